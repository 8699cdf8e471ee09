/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_DTLS_H_INCLUDED_
#define _NGX_RTC_DTLS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_rtc_srtp.h"


/* largest datagram we send: records are packed up to this size */
#define NGX_RTC_DTLS_MTU  1200


typedef struct ngx_rtc_dtls_ctx_s  ngx_rtc_dtls_ctx_t;
typedef struct ngx_rtc_dtls_s      ngx_rtc_dtls_t;


/* how the handshake went */

typedef struct {
    ngx_uint_t                hellos;     /* ClientHellos received */
    ngx_uint_t                timeouts;   /* flights resent by the timer */
    ngx_uint_t                held;       /* flights held for the path */
} ngx_rtc_dtls_stats_t;

/*
 * sends one datagram: NGX_OK, NGX_AGAIN if it could not go out (no path to
 * the peer yet: a handshake flight is then sent again by
 * ngx_rtc_dtls_resume()), NGX_ERROR; must not free the ngx_rtc_dtls_t
 * that calls it
 */
typedef ngx_int_t (*ngx_rtc_dtls_send_pt)(void *data, u_char *buf,
    size_t len);


ngx_rtc_dtls_ctx_t *ngx_rtc_dtls_ctx_create(ngx_log_t *log);
void ngx_rtc_dtls_ctx_free(ngx_rtc_dtls_ctx_t *ctx);
ngx_str_t *ngx_rtc_dtls_fingerprint(ngx_rtc_dtls_ctx_t *ctx);

ngx_rtc_dtls_t *ngx_rtc_dtls_create(ngx_rtc_dtls_ctx_t *ctx,
    ngx_str_t *fp_alg, ngx_str_t *fp_value, ngx_rtc_dtls_send_pt send,
    void *data, ngx_log_t *log);
ngx_int_t ngx_rtc_dtls_connect(ngx_rtc_dtls_t *d);
ngx_int_t ngx_rtc_dtls_input(ngx_rtc_dtls_t *d, u_char *buf, size_t len);
void ngx_rtc_dtls_resume(ngx_rtc_dtls_t *d);
ngx_rtc_dtls_stats_t *ngx_rtc_dtls_stats(ngx_rtc_dtls_t *d);
ngx_msec_t ngx_rtc_dtls_timeout(ngx_rtc_dtls_t *d);
ngx_int_t ngx_rtc_dtls_handle_timeout(ngx_rtc_dtls_t *d);
ngx_int_t ngx_rtc_dtls_srtp_keys(ngx_rtc_dtls_t *d,
    ngx_rtc_srtp_keys_t *keys);
void ngx_rtc_dtls_release(ngx_rtc_dtls_t *d);
ngx_uint_t ngx_rtc_dtls_peer_closed(ngx_rtc_dtls_t *d);
ngx_uint_t ngx_rtc_dtls_released(ngx_rtc_dtls_t *d);
void ngx_rtc_dtls_free(ngx_rtc_dtls_t *d);
ngx_uint_t ngx_rtc_dtls_is_dtls(u_char *buf, size_t len);


#endif /* _NGX_RTC_DTLS_H_INCLUDED_ */
