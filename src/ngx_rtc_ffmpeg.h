/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_FFMPEG_H_INCLUDED_
#define _NGX_RTC_FFMPEG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_thread_pool.h>
#include <ngx_rtc_source.h>


/*
 * An "ffmpeg:" source: anything libavformat opens (files, http(s), rtmp,
 * hls...).  Opening and reading run in the thread pool, one task at a
 * time; the frames come back to the event loop, which hands them out at
 * the pace of their timestamps.  The callbacks (ngx_rtc_source.h), with
 * the NGX_RTC_RTSP_* states, run on the event loop and must not call
 * ngx_rtc_ffmpeg_stop().
 */

typedef struct ngx_rtc_ffmpeg_s  ngx_rtc_ffmpeg_t;


typedef struct {
    ngx_rtc_source_conf_t     source;     /* url without "ffmpeg:", may
                                             hold credentials; timeout:
                                             each blocking libav call */
    ngx_thread_pool_t        *pool;
    ngx_uint_t                loop;       /* restart at the end */
} ngx_rtc_ffmpeg_conf_t;


void ngx_rtc_ffmpeg_init_log(void);
ngx_rtc_ffmpeg_t *ngx_rtc_ffmpeg_start(ngx_rtc_ffmpeg_conf_t *conf);
void ngx_rtc_ffmpeg_stop(ngx_rtc_ffmpeg_t *ff);


#endif /* _NGX_RTC_FFMPEG_H_INCLUDED_ */
