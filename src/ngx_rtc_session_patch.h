/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SESSION_PATCH_H_INCLUDED_
#define _NGX_RTC_SESSION_PATCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>


/*
 * ICE restarts: 3 in 30 s (a phone changing networks may need two); the
 * 429 past them says to retry after the window
 */
#define NGX_RTC_SESSION_RESTARTS          3
#define NGX_RTC_SESSION_RESTART_SECONDS   30


/* "<32 hex digits>-<ICE restarts>", quoted */
#define NGX_RTC_SESSION_ETAG_LEN  (2 * NGX_RTC_ID_LEN + NGX_INT_T_LEN + 3)


void ngx_rtc_session_patch_apply(ngx_rtc_session_t *s,
    ngx_rtc_mbox_msg_t *msg, ngx_pool_t *pool);
size_t ngx_rtc_session_patch_etag(u_char *buf, ngx_rtc_session_t *s);

/* the owner's wake-up path: answers the mailbox's requests (PATCH) */
void ngx_rtc_session_patch_mailbox(void);


#endif /* _NGX_RTC_SESSION_PATCH_H_INCLUDED_ */
