/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WHEP_SOURCE_H_INCLUDED_
#define _NGX_RTC_WHEP_SOURCE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_source.h>


typedef struct ngx_rtc_whep_source_s  ngx_rtc_whep_source_t;


/*
 * A whep:// or wheps:// source; states NGX_RTC_RTSP_*.  The callbacks must
 * not call ngx_rtc_whep_source_stop().
 */

typedef struct {
    ngx_rtc_source_conf_t     source;   /* url may hold the token; timeout:
                                           HTTP, ICE + DTLS, no media */
    ngx_str_t                 token;    /* Authorization: Bearer; secret */
} ngx_rtc_whep_source_conf_t;


ngx_rtc_whep_source_t *ngx_rtc_whep_source_start(
    ngx_rtc_whep_source_conf_t *conf);
void ngx_rtc_whep_source_stop(ngx_rtc_whep_source_t *ws);
void ngx_rtc_whep_source_exit_process(void);

/* stats: one for each NGX_RTC_TRACK_* */
void ngx_rtc_whep_source_stats(ngx_rtc_whep_source_t *ws,
    ngx_rtc_source_stats_t *stats);


#endif /* _NGX_RTC_WHEP_SOURCE_H_INCLUDED_ */
