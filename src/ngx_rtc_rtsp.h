/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTSP_H_INCLUDED_
#define _NGX_RTC_RTSP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_frame.h>


/* states reported through ngx_rtc_rtsp_conf_t.state */
#define NGX_RTC_RTSP_CONNECTING   1
#define NGX_RTC_RTSP_PLAYING      2
#define NGX_RTC_RTSP_RETRYING     3


typedef struct ngx_rtc_rtsp_s  ngx_rtc_rtsp_t;


/*
 * The callbacks run inside the client's event handlers: they must not call
 * ngx_rtc_rtsp_stop().  "au" and "reason" are valid during the call only.
 */

typedef struct {
    ngx_str_t     url;                 /* with credentials */
    ngx_msec_t    timeout;             /* connect and response timeout */
    ngx_log_t    *log;
    void         *data;

    /* one access unit; f: track, rtp_ts, capture (us), flags, len */
    void        (*frame)(void *data, ngx_rtc_frame_t *f, u_char *au,
                         size_t len);

    /* after DESCRIBE, for each track used */
    void        (*codec)(void *data, ngx_uint_t track, ngx_uint_t codec,
                         ngx_uint_t clock, ngx_uint_t channels);

    /* NGX_RTC_RTSP_*; reason: short text, credentials redacted */
    void        (*state)(void *data, ngx_uint_t state, ngx_str_t *reason);
} ngx_rtc_rtsp_conf_t;


ngx_rtc_rtsp_t *ngx_rtc_rtsp_start(ngx_rtc_rtsp_conf_t *conf);
void ngx_rtc_rtsp_stop(ngx_rtc_rtsp_t *rtsp);


#endif /* _NGX_RTC_RTSP_H_INCLUDED_ */
