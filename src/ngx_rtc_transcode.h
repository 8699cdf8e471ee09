/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_TRANSCODE_H_INCLUDED_
#define _NGX_RTC_TRANSCODE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_frame.h>


/*
 * A per-stream transcoder on libavcodec: AAC (or PCMA, PCMU, or any audio
 * codec libavcodec decodes) to Opus, 48 kHz, 20 ms frames, mono or stereo;
 * or H.265 to H.264 (libx264: ultrafast, zerolatency, a keyframe every
 * 2 s).  Frames are pushed on the event loop; decoding and encoding run in
 * the thread pool, one task at a time; the results come back on the event
 * loop through "frame".  Codecs are opened in the first task.
 *
 * Input frames are the ring's: raw audio frames (an AAC access unit
 * without ADTS, PCM bytes), video access units in the ring's form.  Output
 * frames are the ring's too: one Opus packet each (rtp_ts at 48 kHz), or
 * H.264 access units with SPS/PPS in front of keyframes (rtp_ts as given,
 * 90 kHz).
 */

typedef struct ngx_rtc_transcode_s  ngx_rtc_transcode_t;


typedef struct {
    ngx_uint_t                codec_in;    /* NGX_RTC_CODEC_* or _NONE */
    ngx_int_t                 av_codec;    /* enum AVCodecID for _NONE */
    ngx_uint_t                codec_out;   /* _OPUS or _H264 */
    ngx_uint_t                clock;       /* of the input rtp_ts */
    ngx_uint_t                channels;    /* audio input */
    ngx_str_t                 config;      /* AudioSpecificConfig, extradata */
    ngx_uint_t                track;       /* NGX_RTC_TRACK_* of the output */
    ngx_str_t                 name;        /* the stream or source, for logs */

    ngx_thread_pool_t        *pool;
    ngx_log_t                *log;
    void                     *data;

    /* an output frame; "buf" is valid during the call only */
    void                    (*frame)(void *data, ngx_rtc_frame_t *f,
                                     u_char *buf, size_t len);

    /* the transcoder failed for good; it drops what is pushed from now */
    void                    (*error)(void *data, ngx_str_t *reason);
} ngx_rtc_transcode_conf_t;


ngx_rtc_transcode_t *ngx_rtc_transcode_create(ngx_rtc_transcode_conf_t *conf);
ngx_int_t ngx_rtc_transcode_push(ngx_rtc_transcode_t *tc, ngx_rtc_frame_t *f,
    u_char *data, size_t len);
void ngx_rtc_transcode_destroy(ngx_rtc_transcode_t *tc);
ngx_uint_t ngx_rtc_transcode_channels(ngx_uint_t channels);
ngx_uint_t ngx_rtc_transcode_codec(ngx_int_t av_codec);
ngx_int_t ngx_rtc_transcode_av_codec(ngx_uint_t codec);


#endif /* _NGX_RTC_TRANSCODE_H_INCLUDED_ */
