/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_FFMPEG_H_INCLUDED_
#define _NGX_RTC_FFMPEG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_thread_pool.h>
#include <ngx_rtc_frame.h>


/*
 * An "ffmpeg:" source: anything libavformat opens (files, http(s), rtmp,
 * hls...).  Opening and reading run in the thread pool, one task at a
 * time; the frames come back to the event loop, which hands them out at
 * the pace of their timestamps.  The callbacks are those of the RTSP
 * client (ngx_rtc_rtsp_conf_t), with its NGX_RTC_RTSP_* states; they run
 * on the event loop and must not call ngx_rtc_ffmpeg_stop().
 */

typedef struct ngx_rtc_ffmpeg_s  ngx_rtc_ffmpeg_t;


typedef struct {
    ngx_str_t                 url;        /* without "ffmpeg:"; may hold
                                             credentials */
    ngx_msec_t                timeout;    /* each blocking libav call */
    ngx_thread_pool_t        *pool;
    ngx_log_t                *log;
    ngx_uint_t                audio;      /* NGX_RTC_AUDIO_* */
    ngx_uint_t                loop;       /* restart at the end */
    void                     *data;

    void                    (*frame)(void *data, ngx_rtc_frame_t *f,
                                     u_char *au, size_t len);
    void                    (*codec)(void *data, ngx_uint_t track,
                                     ngx_uint_t codec, ngx_uint_t clock,
                                     ngx_uint_t channels);
    void                    (*state)(void *data, ngx_uint_t state,
                                     ngx_str_t *reason);
} ngx_rtc_ffmpeg_conf_t;


ngx_rtc_ffmpeg_t *ngx_rtc_ffmpeg_start(ngx_rtc_ffmpeg_conf_t *conf);
void ngx_rtc_ffmpeg_stop(ngx_rtc_ffmpeg_t *ff);


#endif /* _NGX_RTC_FFMPEG_H_INCLUDED_ */
