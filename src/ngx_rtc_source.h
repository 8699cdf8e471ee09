/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SOURCE_H_INCLUDED_
#define _NGX_RTC_SOURCE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_frame.h>


/*
 * What every source (rtsp://, whep://, ffmpeg:) takes from the producer:
 * the settings they have in common and the callbacks they report through.
 * Each source's conf embeds it as "source".
 */

/* states reported through ngx_rtc_source_conf_t.state */
#define NGX_RTC_RTSP_CONNECTING   1
#define NGX_RTC_RTSP_PLAYING      2
#define NGX_RTC_RTSP_RETRYING     3


/*
 * What a source counted of one track's RTP from the camera, read by the
 * producer (ngx_rtc_rtsp_stats(), ngx_rtc_whep_source_stats(): one for
 * each NGX_RTC_TRACK_*) for the stream's counters.  A count may start
 * again at zero: the depacketizer's, when it is set up for a new
 * connection, which each source does just before it calls codec().  The
 * producer reads them in each codec() and state() call and on its timer,
 * and takes a count smaller than the one before as one that started again.
 */

typedef struct {
    uint64_t      packets;             /* RTP packets of the track */
    uint64_t      lost;                /* missing from their sequence */
    uint64_t      rejected;            /* malformed: the depacketizer
                                          refused their payload */
    uint64_t      dropped;             /* access units the depacketizer
                                          dropped: malformed, incomplete,
                                          or waiting for a keyframe after
                                          either (not while joining) */
} ngx_rtc_source_stats_t;


/*
 * The callbacks run inside the source's event handlers: they must not stop
 * the source.  "au" and "reason" are valid during the call only.
 */

typedef struct {
    ngx_str_t     url;                 /* may hold credentials or a token */
    ngx_str_t     name;                /* the stream's, for the log */
    ngx_msec_t    timeout;             /* the source's own: connect, media */
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
     * Once the media is known, for each track used: NGX_RTC_TRACK_VIDEO
     * with NGX_RTC_CODEC_H264/H265 (or _NONE: not decodable), clock 90000,
     * and as "channels" the NGX_RTC_VIDEO_* flags (ffmpeg: sources only);
     * NGX_RTC_TRACK_AUDIO with the audio codec, its RTP clock and
     * channels, or NGX_RTC_CODEC_NONE when the stream has no audio (any
     * more).
     */
    void        (*codec)(void *data, ngx_uint_t track, ngx_uint_t codec,
                         ngx_uint_t clock, ngx_uint_t channels);

    /* NGX_RTC_RTSP_*; reason: short text, credentials redacted */
    void        (*state)(void *data, ngx_uint_t state, ngx_str_t *reason);

    /* rtsp://, whep://: the server's address, or the resolver for its name */
    ngx_addr_t               *addr;
    ngx_resolver_t           *resolver;
    ngx_msec_t                resolver_timeout;
} ngx_rtc_source_conf_t;


#endif /* _NGX_RTC_SOURCE_H_INCLUDED_ */
