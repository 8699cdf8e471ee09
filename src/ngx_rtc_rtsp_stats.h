/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTSP_STATS_H_INCLUDED_
#define _NGX_RTC_RTSP_STATS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_rtsp.h>


/* stats: one for each NGX_RTC_TRACK_* */
void ngx_rtc_rtsp_stats(ngx_rtc_rtsp_t *rtsp, ngx_rtc_source_stats_t *stats);


#endif /* _NGX_RTC_RTSP_STATS_H_INCLUDED_ */
