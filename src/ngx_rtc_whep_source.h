/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WHEP_SOURCE_H_INCLUDED_
#define _NGX_RTC_WHEP_SOURCE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>


typedef struct ngx_rtc_whep_source_s  ngx_rtc_whep_source_t;


/*
 * A whep:// or wheps:// source: the same callbacks as the RTSP client's
 * (ngx_rtc_rtsp.h), states NGX_RTC_RTSP_*.  The callbacks must not call
 * ngx_rtc_whep_source_stop().
 */

typedef struct {
    ngx_str_t     url;                 /* may hold the token */
    ngx_str_t     token;               /* Authorization: Bearer; secret */
    ngx_msec_t    timeout;             /* HTTP, ICE + DTLS, no media */
    ngx_uint_t    audio;               /* NGX_RTC_AUDIO_OFF: video only */
    ngx_log_t    *log;
    void         *data;

    void        (*frame)(void *data, ngx_rtc_frame_t *f, u_char *au,
                         size_t len);
    void        (*codec)(void *data, ngx_uint_t track, ngx_uint_t codec,
                         ngx_uint_t clock, ngx_uint_t channels);
    void        (*state)(void *data, ngx_uint_t state, ngx_str_t *reason);

    ngx_addr_t               *addr;
    ngx_resolver_t           *resolver;
    ngx_msec_t                resolver_timeout;
} ngx_rtc_whep_source_conf_t;


ngx_rtc_whep_source_t *ngx_rtc_whep_source_start(
    ngx_rtc_whep_source_conf_t *conf);
void ngx_rtc_whep_source_stop(ngx_rtc_whep_source_t *ws);
void ngx_rtc_whep_source_exit_process(void);


#endif /* _NGX_RTC_WHEP_SOURCE_H_INCLUDED_ */
