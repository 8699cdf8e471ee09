/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTSP_H_INCLUDED_
#define _NGX_RTC_RTSP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>


/* states reported through ngx_rtc_rtsp_conf_t.state */
#define NGX_RTC_RTSP_CONNECTING   1
#define NGX_RTC_RTSP_PLAYING      2
#define NGX_RTC_RTSP_RETRYING     3

/* client ports for transport=udp when rtc_rtsp_udp_ports is not set */
#define NGX_RTC_RTSP_UDP_PORT_MIN 50000
#define NGX_RTC_RTSP_UDP_PORT_MAX 50999


typedef struct ngx_rtc_rtsp_s  ngx_rtc_rtsp_t;


/*
 * The callbacks run inside the client's event handlers: they must not call
 * ngx_rtc_rtsp_stop().  "au" and "reason" are valid during the call only.
 */

typedef struct {
    ngx_str_t     url;                 /* with credentials */
    ngx_msec_t    timeout;             /* connect, response, no-data */
    ngx_uint_t    udp;                 /* transport=udp */
    ngx_uint_t    audio;               /* NGX_RTC_AUDIO_* */
    ngx_log_t    *log;
    void         *data;

    /*
     * One frame: a video access unit (ngx_rtc_frame.h) or an audio frame
     * (an AAC AU without ADTS, a PCMA/PCMU/Opus payload, or an Opus packet
     * from the transcoder); f: track, rtp_ts, capture (us), flags, len
     */
    void        (*frame)(void *data, ngx_rtc_frame_t *f, u_char *au,
                         size_t len);

    /*
     * After DESCRIBE, for each track used: NGX_RTC_TRACK_VIDEO with
     * NGX_RTC_CODEC_H264/H265 (or _NONE: not decodable), clock 90000, and
     * as "channels" the NGX_RTC_VIDEO_* flags (ffmpeg: sources only);
     * NGX_RTC_TRACK_AUDIO with the audio codec, its RTP clock and
     * channels, or NGX_RTC_CODEC_NONE when the stream has no audio (any
     * more).
     */
    void        (*codec)(void *data, ngx_uint_t track, ngx_uint_t codec,
                         ngx_uint_t clock, ngx_uint_t channels);

    /* NGX_RTC_RTSP_*; reason: short text, credentials redacted */
    void        (*state)(void *data, ngx_uint_t state, ngx_str_t *reason);

    /* the camera's address, or the resolver for its name */
    ngx_addr_t               *addr;
    ngx_resolver_t           *resolver;
    ngx_msec_t                resolver_timeout;
} ngx_rtc_rtsp_conf_t;


ngx_rtc_rtsp_t *ngx_rtc_rtsp_start(ngx_rtc_rtsp_conf_t *conf);
void ngx_rtc_rtsp_stop(ngx_rtc_rtsp_t *rtsp);

ngx_int_t ngx_rtc_rtsp_init_conf(ngx_conf_t *cf, ngx_rtc_main_conf_t *rmcf);
ngx_ssl_t *ngx_rtc_rtsp_ssl_ctx(void);
ngx_int_t ngx_rtc_rtsp_ssl_verify(ngx_connection_t *c, ngx_str_t *host,
    const char **why);


#endif /* _NGX_RTC_RTSP_H_INCLUDED_ */
