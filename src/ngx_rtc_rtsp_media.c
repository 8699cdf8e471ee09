/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include <ngx_rtc.h>
#include <ngx_rtc_rtp.h>
#include <ngx_rtc_rtsp_media.h>


/*
 * The media of the RTSP client's tracks: choosing the video and audio
 * formats from the SDP and setting up their depacketizers (and, for
 * audio=opus, the transcoder), the UDP port pairs and their sockets, RTP
 * and RTCP in (over UDP or interleaved on the control connection), RTCP
 * receiver reports out, frames out through the client's frame().
 *
 * Over UDP, each track's RTP goes back into sequence order through a
 * reordering buffer (ngx_rtc_reorder.c) before its depacketizer: a packet
 * that comes late is waited for NGX_RTC_RTSP_REORDER ms at most, then
 * counts as lost (the video resumes at the next keyframe); duplicates are
 * dropped.  A packet in order goes through at once, without a copy.
 * Interleaved RTP comes in order over TCP: it goes to the depacketizer as
 * it comes.  Each track takes one SSRC at a time (ngx_rtc_rtsp_media_ssrc()).
 */


#define NGX_RTC_RTSP_GARBAGE          256     /* unusable packets in a row */
#define NGX_RTC_RTSP_UDP_RCVBUF       (2 * 1024 * 1024)
#define NGX_RTC_RTSP_SSRC_SILENCE     1500    /* ms: a kept source gone */
#define NGX_RTC_RTSP_SSRC_FLIPS       4       /* back and forth in ... */
#define NGX_RTC_RTSP_SSRC_FLIP_TIME   2500    /* ... ms: two interleave */
#define NGX_RTC_RTSP_CNAME            "nginx-rtc"


static ngx_int_t ngx_rtc_rtsp_media_udp_bind(ngx_rtc_rtsp_t *rtsp,
    struct sockaddr *local, socklen_t len, in_port_t port, ngx_socket_t *s);
static ngx_connection_t *ngx_rtc_rtsp_media_udp_connection(
    ngx_rtc_rtsp_t *rtsp, ngx_socket_t s, ngx_rtc_rtsp_track_t *t);
static void ngx_rtc_rtsp_media_udp_handler(ngx_event_t *rev);
static ngx_int_t ngx_rtc_rtsp_media_garbage(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_media_ssrc(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t, uint32_t ssrc);
static ngx_int_t ngx_rtc_rtsp_media_rtp(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t, u_char *p, size_t len);
static ngx_int_t ngx_rtc_rtsp_media_reorder_init(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t);
static void ngx_rtc_rtsp_media_reorder(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t, u_char *p, size_t len, uint16_t seq);
static void ngx_rtc_rtsp_media_reorder_handler(ngx_event_t *ev);
static void ngx_rtc_rtsp_media_reorder_timer(ngx_rtc_rtsp_track_t *t);
static void ngx_rtc_rtsp_media_deliver(void *data, u_char *p, size_t len);
static void ngx_rtc_rtsp_media_depacketize(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t, ngx_rtc_rtp_hdr_t *h, int64_t now);
static void ngx_rtc_rtsp_media_rtcp(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t, u_char *p, size_t len);
static void ngx_rtc_rtsp_media_au(void *data, u_char *au, size_t len,
    uint32_t rtp_ts, ngx_uint_t key);
static void ngx_rtc_rtsp_media_audio_frame(void *data, u_char *frame,
    size_t len, uint32_t rtp_ts);
static void ngx_rtc_rtsp_media_frame(ngx_rtc_rtsp_track_t *t,
    ngx_rtc_frame_t *f, uint32_t rtp_ts, int64_t capture, size_t len);
static void ngx_rtc_rtsp_media_transcoded(void *data, ngx_rtc_frame_t *f,
    u_char *buf, size_t len);
static void ngx_rtc_rtsp_media_transcode_error(void *data,
    ngx_str_t *reason);
static void ngx_rtc_rtsp_media_emit(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_frame_t *f, u_char *data, size_t len);


static const char  *ngx_rtc_rtsp_media_codecs[] = {
    "none", "H264", "H265", "PCMA", "PCMU", "opus", "AAC"
};


/* H.264 if offered, else H.265, else NGX_RTC_CODEC_NONE: the first format */

ngx_uint_t
ngx_rtc_rtsp_media_video_codec(ngx_rtc_sdp_media_t *video,
    ngx_rtc_sdp_fmt_t **fmt)
{
    ngx_uint_t          j, codec;
    ngx_rtc_sdp_fmt_t  *f;

    *fmt = &video->fmts[0];
    codec = NGX_RTC_CODEC_NONE;

    for (j = 0; j < video->nfmts; j++) {
        f = &video->fmts[j];

        if (f->name.len == 4
            && ngx_strncasecmp(f->name.data, (u_char *) "H264", 4) == 0)
        {
            *fmt = f;
            return NGX_RTC_CODEC_H264;
        }

        if (codec == NGX_RTC_CODEC_NONE
            && f->name.len == 4
            && (ngx_strncasecmp(f->name.data, (u_char *) "H265", 4) == 0
                || ngx_strncasecmp(f->name.data, (u_char *) "HEVC", 4) == 0))
        {
            *fmt = f;
            codec = NGX_RTC_CODEC_H265;
        }
    }

    return codec;
}


ngx_int_t
ngx_rtc_rtsp_media_video(ngx_rtc_rtsp_t *rtsp, ngx_str_t *base,
    ngx_rtc_sdp_media_t *video)
{
    ngx_str_t              sprop;
    ngx_uint_t             j, codec;
    ngx_rtc_sdp_fmt_t     *fmt;
    ngx_rtc_rtsp_track_t  *t;
    static const char     *sprops[] = {
        "sprop-vps", "sprop-sps", "sprop-pps"
    };

    codec = ngx_rtc_rtsp_media_video_codec(video, &fmt);

    t = &rtsp->tracks[NGX_RTC_RTSP_VIDEO];

    t->kind = NGX_RTC_TRACK_VIDEO;
    t->codec = codec;
    t->pt = fmt->pt;
    t->clock = fmt->clock ? fmt->clock : 90000;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V: video %V/%ui, payload type %ui",
                  &rtsp->url.redacted, &fmt->name, t->clock, fmt->pt);

    if (codec == NGX_RTC_CODEC_H264) {
        ngx_rtc_h264_depack_init(&rtsp->h264, rtsp->au, NGX_RTC_RTSP_AU_SIZE,
                                 ngx_rtc_rtsp_media_au, rtsp);
        rtsp->h264.log = &rtsp->log;        /* its lines name the stream */

        /* RFC 6184 8.1: parameter sets before the first in-band ones */

        if (ngx_rtc_sdp_fmtp_param(&fmt->fmtp, "sprop-parameter-sets",
                                   &sprop)
            == NGX_OK
            && ngx_rtc_h264_sprop(&rtsp->h264, sprop.data, sprop.len)
               != NGX_OK)
        {
            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: ignoring invalid "
                          "sprop-parameter-sets", &rtsp->url.redacted);
        }

    } else if (codec == NGX_RTC_CODEC_H265) {
        ngx_rtc_h265_depack_init(&rtsp->h265, rtsp->au, NGX_RTC_RTSP_AU_SIZE,
                                 ngx_rtc_rtsp_media_au, rtsp);
        rtsp->h265.log = &rtsp->log;

        /* RFC 7798 7.1 */

        for (j = 0; j < 3; j++) {
            if (ngx_rtc_sdp_fmtp_param(&fmt->fmtp, sprops[j], &sprop)
                == NGX_OK
                && ngx_rtc_h265_sprop(&rtsp->h265, sprop.data, sprop.len)
                   != NGX_OK)
            {
                ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                              "rtc rtsp %V: ignoring invalid %s",
                              &rtsp->url.redacted, sprops[j]);
            }
        }

        if (ngx_rtc_sdp_fmtp_param(&fmt->fmtp, "sprop-max-don-diff", &sprop)
            == NGX_OK
            && !(sprop.len == 1 && sprop.data[0] == '0'))
        {
            rtsp->h265.donl = 1;
        }

    } else {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: video codec %V is neither H.264 nor "
                      "H.265, no frames will be produced",
                      &rtsp->url.redacted, &fmt->name);
    }

    rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_VIDEO, codec, t->clock,
                     0);

    if (ngx_rtc_rtsp_resolve_url(base, &video->control, t->url_buf,
                                 NGX_RTC_URL_MAX, &t->url)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid control URL in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    return NGX_OK;
}


/*
 * An m=audio line: NGX_OK if one of its formats can be carried (and the
 * depacketizer, and for audio=opus the transcoder, are set up for it),
 * else NGX_DECLINED after an info line saying why.
 */

ngx_int_t
ngx_rtc_rtsp_media_audio(ngx_rtc_rtsp_t *rtsp, ngx_str_t *base,
    ngx_rtc_sdp_media_t *media)
{
    ngx_uint_t                 j, clock, channels, codec;
    ngx_thread_pool_t         *tp;
    ngx_rtc_sdp_fmt_t         *fmt;
    ngx_rtc_main_conf_t       *rmcf;
    ngx_rtc_rtsp_track_t      *t;
    ngx_rtc_audio_depack_t    *d;
    ngx_rtc_transcode_conf_t   tc;

    d = &rtsp->audio;
    fmt = NULL;

    for (j = 0; j < media->nfmts; j++) {
        fmt = &media->fmts[j];

        if (ngx_rtc_audio_depack_init(d, &fmt->name, fmt->pt, fmt->clock,
                                      fmt->channels, &fmt->fmtp,
                                      rtsp->audio_buf, NGX_RTC_AUDIO_AU_MAX,
                                      ngx_rtc_rtsp_media_audio_frame, rtsp)
            == NGX_OK)
        {
            break;
        }

        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipping audio format %ui (%V): %s",
                      &rtsp->url.redacted, fmt->pt, &fmt->name, d->err);
    }

    if (j == media->nfmts) {
        return NGX_DECLINED;
    }

    t = &rtsp->tracks[NGX_RTC_RTSP_AUDIO];

    if (ngx_rtc_rtsp_resolve_url(base, &media->control, t->url_buf,
                                 NGX_RTC_URL_MAX, &t->url)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipping audio: invalid control URL",
                      &rtsp->url.redacted);
        return NGX_DECLINED;
    }

    t->kind = NGX_RTC_TRACK_AUDIO;
    t->codec = d->codec;
    t->pt = fmt->pt;
    t->clock = d->clock;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V: audio %s/%ui/%ui, payload type %ui",
                  &rtsp->url.redacted, ngx_rtc_rtsp_media_codecs[d->codec],
                  d->clock, d->channels, fmt->pt);

    codec = d->codec;
    clock = d->clock;
    channels = d->channels;

    /*
     * audio=opus: what is not Opus already goes through the transcoder
     * (ngx_rtc_transcode.c, libavcodec in the thread pool); its Opus
     * packets come back through ngx_rtc_rtsp_media_transcoded().
     */

    if (rtsp->conf.audio == NGX_RTC_AUDIO_OPUS
        && codec != NGX_RTC_CODEC_OPUS)
    {
        if (rtsp->transcode) {
            ngx_rtc_transcode_destroy(rtsp->transcode);
            rtsp->transcode = NULL;
        }

        rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                   ngx_http_rtc_module);
        tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle,
                                 &rmcf->thread_pool);

        ngx_memzero(&tc, sizeof(ngx_rtc_transcode_conf_t));

        tc.codec_in = codec;
        tc.codec_out = NGX_RTC_CODEC_OPUS;
        tc.clock = clock;
        tc.channels = channels;
        tc.config.data = d->config;
        tc.config.len = d->config_len;
        tc.track = NGX_RTC_TRACK_AUDIO;
        tc.pool = tp;
        tc.log = &rtsp->log;
        tc.name = rtsp->url.redacted;
        tc.data = rtsp;
        tc.frame = ngx_rtc_rtsp_media_transcoded;
        tc.error = ngx_rtc_rtsp_media_transcode_error;

        rtsp->transcode = tp ? ngx_rtc_transcode_create(&tc) : NULL;

        if (rtsp->transcode == NULL) {
            ngx_log_error(NGX_LOG_ERR, &rtsp->log, 0,
                          "rtc rtsp %V: skipping audio: cannot transcode "
                          "%s to Opus%s", &rtsp->url.redacted,
                          ngx_rtc_rtsp_media_codecs[codec],
                          tp ? "" : " (no thread pool)");
            return NGX_DECLINED;
        }

        codec = NGX_RTC_CODEC_OPUS;
        clock = 48000;
        channels = ngx_rtc_transcode_channels(channels);
    }

    rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_AUDIO, codec, clock,
                     channels);

    return NGX_OK;
}


/* SETUP's ssrc= (RFC 2326 12.39): preferred if two sources interleave */

void
ngx_rtc_rtsp_media_lock_ssrc(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t,
    uint32_t ssrc)
{
    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp track %ui: SETUP's SSRC %08xD", t->kind, ssrc);

    t->ssrc_setup = ssrc;
    t->ssrc_setup_valid = 1;
}


/*
 * Which source a track plays: NGX_OK for this packet's, NGX_DECLINED to
 * drop it.  A new SSRC takes over at once: an encoder that restarts
 * changes it (RFC 3550 8.2), some cameras at every GOP (Uniview), some
 * announce a wrong one in SETUP.  But old live555 (Reolink firmware)
 * sends a stale session's RTP on the new connection too, interleaved with
 * ours: when the track goes back and forth between two sources (4 times
 * in 2.5 s: two frames of each at 1 fps, while a camera that takes turns
 * a GOP each needs GOPs shorter than 0.8 s), it keeps one, SETUP's if it
 * is one of them, else the first the connection had, and drops the other
 * until the kept one has been silent 1.5 s.  A third source is no part
 * of the pair: it takes over as any new one.
 */

static ngx_int_t
ngx_rtc_rtsp_media_ssrc(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t,
    uint32_t ssrc)
{
    uint32_t     keep;
    const char  *kind;
    ngx_uint_t   silent, level;

    kind = (t->kind == NGX_RTC_TRACK_VIDEO) ? "video" : "audio";

    if (!t->ssrc_valid) {
        t->ssrc = ssrc;
        t->ssrc_first = ssrc;
        t->ssrc_valid = 1;
        t->ssrc_seen = ngx_current_msec;
        return NGX_OK;
    }

    if (ssrc == t->ssrc) {
        t->ssrc_seen = ngx_current_msec;
        return NGX_OK;
    }

    silent = (ngx_current_msec - t->ssrc_seen >= NGX_RTC_RTSP_SSRC_SILENCE);

    if (t->ssrc_locked) {
        if (!silent && t->ssrc_prev_valid && ssrc == t->ssrc_prev) {
            goto drop;
        }

        t->ssrc_locked = 0;
        t->ssrc_flips = 0;
    }

    if (t->ssrc_prev_valid && ssrc == t->ssrc_prev && !silent) {

        if (t->ssrc_flips == 0
            || ngx_current_msec - t->ssrc_flip_start
               >= NGX_RTC_RTSP_SSRC_FLIP_TIME)
        {
            t->ssrc_flips = 0;
            t->ssrc_flip_start = ngx_current_msec;
        }

        if (++t->ssrc_flips >= NGX_RTC_RTSP_SSRC_FLIPS) {
            t->ssrc_locked = 1;

            if (t->ssrc_setup_valid
                && (ssrc == t->ssrc_setup || t->ssrc == t->ssrc_setup))
            {
                keep = t->ssrc_setup;

            } else {
                keep = (ssrc == t->ssrc_first) ? ssrc : t->ssrc;
            }

            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: two sources interleave on the %s "
                          "track (SSRC %08xD and %08xD): playing %08xD",
                          &rtsp->url.redacted, kind, t->ssrc, ssrc, keep);

            if (keep != ssrc) {
                t->ssrc_seen = ngx_current_msec;
                goto drop;
            }
        }

    } else {
        t->ssrc_flips = 0;
    }

    level = (t->ssrc_changes++ == 0) ? NGX_LOG_INFO : NGX_LOG_DEBUG;

    ngx_log_error(level, &rtsp->log, 0,
                  "rtc rtsp %V: the %s track's SSRC %08xD is now %08xD",
                  &rtsp->url.redacted, kind, t->ssrc, ssrc);

    t->ssrc_prev = t->ssrc;
    t->ssrc_prev_valid = 1;
    t->ssrc = ssrc;
    t->ssrc_seen = ngx_current_msec;

    return NGX_OK;

drop:

    if (t->ssrc_dropped++ == 0) {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: ignoring RTP of SSRC %08xD on the %s "
                      "track, playing SSRC %08xD",
                      &rtsp->url.redacted, ssrc, kind, t->ssrc);
    }

    return NGX_DECLINED;
}


/*
 * RFC 2326 10.12: the channel pairs given by SETUP, RTP on the first of
 * each, RTCP on the second.  Data may come before the PLAY response.
 */

ngx_int_t
ngx_rtc_rtsp_media_interleaved(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_uint_t             i;
    ngx_rtc_rtsp_track_t  *t;

    if (rtsp->step < ngx_rtc_rtsp_step_play || rtsp->udp) {
        return ngx_rtc_rtsp_media_garbage(rtsp);
    }

    for (i = 0; i < rtsp->ntracks; i++) {
        t = &rtsp->tracks[i];

        if (!t->active) {
            continue;
        }

        if (m->channel == t->channel) {
            return ngx_rtc_rtsp_media_rtp(rtsp, t, m->data.data, m->data.len);
        }

        if (m->channel == t->channel + 1) {
            ngx_rtc_rtsp_media_rtcp(rtsp, t, m->data.data, m->data.len);
            return NGX_OK;
        }
    }

    return ngx_rtc_rtsp_media_garbage(rtsp);
}


/*
 * UDP: a port pair for the track from rtc_rtsp_udp_ports, RTP on the even
 * port, RTCP on the next, bound to the address the control connection
 * uses.  The search starts at a random pair so that a reconnect does not
 * take the ports the old session's packets still arrive at.
 */

ngx_int_t
ngx_rtc_rtsp_media_udp_open(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t)
{
    ngx_int_t              rc;
    ngx_uint_t             lo, hi, npairs, i, port;
    ngx_socket_t           s[2];
    ngx_sockaddr_t         local;
    socklen_t              len;
    ngx_rtc_main_conf_t   *rmcf;

    ngx_rtc_rtsp_media_udp_close(t);

    if (ngx_rtc_rtsp_media_reorder_init(rtsp, t) != NGX_OK) {
        return NGX_ERROR;
    }

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    lo = rmcf->rtsp_port_min;
    hi = rmcf->rtsp_port_max;

    if (lo == 0) {
        lo = NGX_RTC_RTSP_UDP_PORT_MIN;
        hi = NGX_RTC_RTSP_UDP_PORT_MAX;
    }

    lo = (lo + 1) & ~1;                 /* RFC 3550 11: RTP on even ports */
    npairs = (hi >= lo + 1) ? (hi - lo + 1) / 2 : 0;

    if (npairs == 0) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "rtc_rtsp_udp_ports %ui-%ui holds no even/odd "
                                 "port pair", rmcf->rtsp_port_min,
                                 rmcf->rtsp_port_max);
    }

    len = sizeof(ngx_sockaddr_t);

    if (getsockname(rtsp->peer.connection->fd, &local.sockaddr, &len) == -1) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "getsockname() failed for %V",
                                 &rtsp->url.redacted);
    }

    port = ngx_random() % npairs;

    for (i = 0; i < npairs; i++, port = (port + 1) % npairs) {

        rc = ngx_rtc_rtsp_media_udp_bind(rtsp, &local.sockaddr, len,
                                   (in_port_t) (lo + 2 * port), &s[0]);
        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        rc = ngx_rtc_rtsp_media_udp_bind(rtsp, &local.sockaddr, len,
                                   (in_port_t) (lo + 2 * port + 1), &s[1]);
        if (rc != NGX_OK) {
            (void) ngx_close_socket(s[0]);

            if (rc == NGX_DECLINED) {
                continue;
            }

            return NGX_ERROR;
        }

        t->rtp = ngx_rtc_rtsp_media_udp_connection(rtsp, s[0], t);

        if (t->rtp == NULL) {
            (void) ngx_close_socket(s[1]);
            return NGX_ERROR;
        }

        t->rtcp = ngx_rtc_rtsp_media_udp_connection(rtsp, s[1], t);

        if (t->rtcp == NULL) {
            ngx_rtc_rtsp_media_udp_close(t);
            return NGX_ERROR;
        }

        t->port = (in_port_t) (lo + 2 * port);

        return NGX_OK;
    }

    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                             "no free UDP port pair in %ui-%ui for %V",
                             lo, hi, &rtsp->url.redacted);
}


/* NGX_OK, NGX_DECLINED: the port is taken, NGX_ERROR */

static ngx_int_t
ngx_rtc_rtsp_media_udp_bind(ngx_rtc_rtsp_t *rtsp, struct sockaddr *local,
    socklen_t len, in_port_t port, ngx_socket_t *s)
{
    int        size;
    ngx_err_t  err;

    *s = ngx_socket(local->sa_family, SOCK_DGRAM, 0);

    if (*s == (ngx_socket_t) -1) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "UDP socket for %V failed",
                                 &rtsp->url.redacted);
    }

    ngx_inet_set_port(local, port);

    if (bind(*s, local, len) == -1) {
        err = ngx_socket_errno;
        (void) ngx_close_socket(*s);

        if (err == NGX_EADDRINUSE || err == NGX_EACCES) {
            return NGX_DECLINED;
        }

        ngx_log_error(NGX_LOG_ERR, &rtsp->log, err,
                      "rtc rtsp bind() to port %d failed", (int) port);

        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "cannot bind a UDP port for %V",
                                 &rtsp->url.redacted);
    }

    if (ngx_nonblocking(*s) == -1) {
        (void) ngx_close_socket(*s);
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 ngx_nonblocking_n " failed for %V",
                                 &rtsp->url.redacted);
    }

    /* room for a keyframe's burst; the kernel caps it at rmem_max */

    size = NGX_RTC_RTSP_UDP_RCVBUF;

    (void) setsockopt(*s, SOL_SOCKET, SO_RCVBUF, (const void *) &size,
                      sizeof(int));

    return NGX_OK;
}


static ngx_connection_t *
ngx_rtc_rtsp_media_udp_connection(ngx_rtc_rtsp_t *rtsp, ngx_socket_t s,
    ngx_rtc_rtsp_track_t *t)
{
    ngx_event_t       *rev;
    ngx_connection_t  *c;

    c = ngx_get_connection(s, &rtsp->log);

    if (c == NULL) {
        (void) ngx_close_socket(s);
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "no free connection for a UDP socket of %V",
                                 &rtsp->url.redacted);
        return NULL;
    }

    c->type = SOCK_DGRAM;
    c->data = t;
    c->log = &rtsp->log;
    c->read->log = &rtsp->log;
    c->write->log = &rtsp->log;

    /* closed by ngx_close_idle_connections() on graceful shutdown */
    c->idle = 1;

    rev = c->read;
    rev->handler = ngx_rtc_rtsp_media_udp_handler;

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_close_connection(c);
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "read event failed for a UDP socket of %V",
                                 &rtsp->url.redacted);
        return NULL;
    }

    return c;
}


static void
ngx_rtc_rtsp_media_udp_handler(ngx_event_t *rev)
{
    ssize_t                n;
    ngx_err_t              err;
    ngx_uint_t             i;
    socklen_t              len;
    ngx_sockaddr_t         sa;
    ngx_rtc_rtsp_t        *rtsp;
    ngx_connection_t      *c;
    ngx_rtc_rtsp_track_t  *t;

    c = rev->data;
    t = c->data;
    rtsp = t->rtsp;

    if (c->close) {
        ngx_rtc_rtsp_close(rtsp, 1);
        return;
    }

    for (i = 0; i < NGX_RTC_RTSP_READS; i++) {

        len = sizeof(ngx_sockaddr_t);

        n = recvfrom(c->fd, rtsp->ubuf, NGX_RTC_RTSP_UBUF_SIZE, 0,
                     &sa.sockaddr, &len);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN || err == NGX_EINTR) {
                rev->ready = 0;
                break;
            }

            /* ICMP errors from earlier sends: not this packet's fault */

            ngx_log_error(NGX_LOG_INFO, &rtsp->log, err,
                          "rtc rtsp recvfrom() failed");
            continue;
        }

        /* packets from anyone but the camera are dropped */

        if (ngx_cmp_sockaddr(&sa.sockaddr, len, &rtsp->sockaddr.sockaddr,
                             rtsp->socklen, 0)
            != NGX_OK)
        {
            continue;
        }

        if (rtsp->step < ngx_rtc_rtsp_step_play) {
            continue;
        }

        if (c == t->rtcp) {
            ngx_rtc_rtsp_media_rtcp(rtsp, t, rtsp->ubuf, n);
            continue;
        }

        if (ngx_rtc_rtsp_media_rtp(rtsp, t, rtsp->ubuf, n) != NGX_OK) {

            /* closes this connection too */

            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }
    }

    if (i == NGX_RTC_RTSP_READS) {
        ngx_post_event(rev, &ngx_posted_events);
        return;
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "read event failed for a UDP socket of %V",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


void
ngx_rtc_rtsp_media_udp_close(ngx_rtc_rtsp_track_t *t)
{
    if (t->rtp) {
        ngx_close_connection(t->rtp);
        t->rtp = NULL;
    }

    if (t->rtcp) {
        ngx_close_connection(t->rtcp);
        t->rtcp = NULL;
    }

    t->port = 0;
    t->server_rtcp = 0;
}


/*
 * A packet we cannot use: on no channel or port of ours, not RTP, another
 * payload type.  A camera that sends nothing else is broken: reconnect.
 */

static ngx_int_t
ngx_rtc_rtsp_media_garbage(ngx_rtc_rtsp_t *rtsp)
{
    if (++rtsp->garbage < NGX_RTC_RTSP_GARBAGE) {
        return NGX_OK;
    }

    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                             "%ui unusable packets in a row from %V",
                             rtsp->garbage, &rtsp->url.redacted);
}


static ngx_int_t
ngx_rtc_rtsp_media_rtp(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t,
    u_char *p, size_t len)
{
    int64_t            now;
    uint32_t           ssrc;
    ngx_uint_t         valid;
    ngx_rtc_rtp_hdr_t  h;

    if (ngx_rtc_rtp_parse(p, len, &h) != NGX_OK) {
        return ngx_rtc_rtsp_media_garbage(rtsp);
    }

    if (h.pt != t->pt) {
        return ngx_rtc_rtsp_media_garbage(rtsp);
    }

    /* one source a track */

    ssrc = t->ssrc;
    valid = t->ssrc_valid;

    if (ngx_rtc_rtsp_media_ssrc(rtsp, t, h.ssrc) != NGX_OK) {
        return NGX_OK;
    }

    if (valid && ssrc != t->ssrc && t->reorder.started) {

        /* the old source's last packets, then the new one's sequence */

        ngx_rtc_reorder_flush(&t->reorder);
        ngx_rtc_reorder_reset(&t->reorder);
        ngx_rtc_rtsp_media_reorder_timer(t);
    }

    rtsp->garbage = 0;

    /* the video keeps the stream alive: a picture that stops is a failure */

    if (t->kind == NGX_RTC_TRACK_VIDEO) {
        rtsp->last_media = ngx_current_msec;

        /* the video goes on after a BYE: a new source took over */

        if (t->bye
            && ngx_current_msec - t->bye_msec >= NGX_RTC_RTSP_BYE_WAIT)
        {
            t->bye = 0;
        }
    }

    now = ngx_rtc_frame_now();

    /* the statistics of the reports see the packets as they arrive */

    t->recv.clock = t->clock;
    ngx_rtc_rtp_recv_update(&t->recv, &h, now);

    t->packets++;

    if (rtsp->udp && t->reorder.buf) {
        ngx_rtc_rtsp_media_reorder(rtsp, t, p, len, h.seq);
        return NGX_OK;
    }

    ngx_rtc_rtsp_media_depacketize(rtsp, t, &h, now);

    return NGX_OK;
}


/*
 * The reordering buffer of a UDP track: allocated once, at the first
 * SETUP over UDP, and kept for the client's next connections.
 */

static ngx_int_t
ngx_rtc_rtsp_media_reorder_init(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t)
{
    u_char  *buf;

    if (t->reorder.buf) {
        return NGX_OK;
    }

    buf = ngx_palloc(rtsp->pool,
                     NGX_RTC_REORDER_SLOTS * NGX_RTC_REORDER_SLOT_SIZE);
    if (buf == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
    }

    ngx_rtc_reorder_init(&t->reorder, buf, ngx_rtc_rtsp_media_deliver, t);

    /* cancelable: it must not keep a gracefully exiting worker alive */

    t->reorder_timer.handler = ngx_rtc_rtsp_media_reorder_handler;
    t->reorder_timer.data = t;
    t->reorder_timer.log = &rtsp->log;
    t->reorder_timer.cancelable = 1;

    return NGX_OK;
}


static void
ngx_rtc_rtsp_media_reorder(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t,
    u_char *p, size_t len, uint16_t seq)
{
    ngx_uint_t  late;

    /* a packet that fills the gap held packets wait behind */

    late = (t->reorder.held && seq == t->reorder.next);

    (void) ngx_rtc_reorder_put(&t->reorder, p, len, seq, NULL, 0);

    if (late) {
        t->reordered++;

        if (!t->reorder_logged) {
            t->reorder_logged = 1;

            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: RTP of the %s track arrives out of "
                          "order, putting it back in order",
                          &rtsp->url.redacted,
                          t->kind == NGX_RTC_TRACK_VIDEO ? "video" : "audio");
        }
    }

    ngx_rtc_rtsp_media_reorder_timer(t);
}


/* a gap waited for long enough: given up, what follows it delivered */

static void
ngx_rtc_rtsp_media_reorder_handler(ngx_event_t *ev)
{
    ngx_rtc_rtsp_track_t *t = ev->data;

    ngx_msec_t  wait;
    ngx_uint_t  lost;

    lost = t->reorder.lost;

    wait = ngx_rtc_reorder_expire(&t->reorder, NGX_RTC_RTSP_REORDER);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "rtc rtsp track %ui: %ui RTP packets given up, %ui held, "
                   "%ui put back in order so far", t->kind,
                   t->reorder.lost - lost, t->reorder.held, t->reordered);

    if (wait) {
        ngx_add_timer(ev, wait);
    }
}


/*
 * Packets wait: a timer runs, set when the first of them came; when it
 * fires, ngx_rtc_reorder_expire() gives the gaps due up and tells how
 * long the next one may still wait.
 */

static void
ngx_rtc_rtsp_media_reorder_timer(ngx_rtc_rtsp_track_t *t)
{
    if (t->reorder.held == 0) {
        if (t->reorder_timer.timer_set) {
            ngx_del_timer(&t->reorder_timer);
        }

        return;
    }

    if (!t->reorder_timer.timer_set) {
        ngx_add_timer(&t->reorder_timer, NGX_RTC_RTSP_REORDER);
    }
}


/* a packet out of the reordering buffer, in sequence order */

static void
ngx_rtc_rtsp_media_deliver(void *data, u_char *p, size_t len)
{
    ngx_rtc_rtsp_track_t *t = data;

    int64_t            now;
    ngx_rtc_rtp_hdr_t  h;

    if (ngx_rtc_rtp_parse(p, len, &h) != NGX_OK) {
        return;
    }

    /* when it arrived, not when its gap was filled */

    now = ngx_rtc_frame_now()
          - (int64_t) (ngx_current_msec - t->reorder.arrived) * 1000;

    ngx_rtc_rtsp_media_depacketize(t->rtsp, t, &h, now);
}


/* a packet to its depacketizer: "now" is when it arrived */

static void
ngx_rtc_rtsp_media_depacketize(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t,
    ngx_rtc_rtp_hdr_t *h, int64_t now)
{
    if (t->kind == NGX_RTC_TRACK_AUDIO) {

        /* the arrival of the packet; its frames are later by their ts */

        t->au_capture = now;
        t->au_ts = h->ts;

        (void) ngx_rtc_audio_depacketize(&rtsp->audio, h->payload,
                                         h->payload_len, h->seq, h->ts,
                                         h->marker);
        return;
    }

    if (t->codec != NGX_RTC_CODEC_H264 && t->codec != NGX_RTC_CODEC_H265) {
        return;
    }

    /* capture time: when the first packet of an access unit arrived */

    if (!t->au_started || h->ts != t->au_ts) {
        t->au_prev_capture = t->au_started ? t->au_capture : now;
        t->au_capture = now;
        t->au_ts = h->ts;
        t->au_started = 1;
    }

    if (t->codec == NGX_RTC_CODEC_H264) {
        (void) ngx_rtc_h264_depacketize(&rtsp->h264, h->payload,
                                        h->payload_len, h->seq, h->ts,
                                        h->marker);

    } else {
        (void) ngx_rtc_h265_depacketize(&rtsp->h265, h->payload,
                                        h->payload_len, h->seq, h->ts,
                                        h->marker);
    }
}


static void
ngx_rtc_rtsp_media_rtcp(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_track_t *t,
    u_char *p, size_t len)
{
    ngx_rtc_rtcp_info_t  info;

    if (ngx_rtc_rtcp_parse(p, len, &info) != NGX_OK) {
        return;
    }

    if (info.has_sr && (!t->ssrc_valid || info.sr_ssrc == t->ssrc)) {
        ngx_rtc_rtp_recv_sr(&t->recv, info.sr_ntp, ngx_current_msec);
    }

    /* once a track: a camera may send one in every RTCP packet */

    if (info.bye && !t->bye) {
        t->bye = 1;
        t->bye_msec = ngx_current_msec;

        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: RTCP BYE on the %s track",
                      &rtsp->url.redacted,
                      t->kind == NGX_RTC_TRACK_VIDEO ? "video" : "audio");
    }
}


/* a receiver report and our CNAME for each track (RFC 3550 6.1, 6.4.2) */

ngx_int_t
ngx_rtc_rtsp_media_send_rr(ngx_rtc_rtsp_t *rtsp)
{
    u_char                *p, buf[4 + NGX_RTC_RTCP_RR_LEN + 64];
    size_t                 n;
    ngx_str_t              cname;
    ngx_uint_t             i;
    ngx_sockaddr_t         sa;
    ngx_rtc_rtcp_rb_t      rb, *rbp;
    ngx_rtc_rtsp_track_t  *t;

    rtsp->last_rr = ngx_current_msec;

    if (rtsp->wpos == rtsp->wlast) {
        rtsp->wpos = rtsp->wbuf;
        rtsp->wlast = rtsp->wbuf;
    }

    ngx_str_set(&cname, NGX_RTC_RTSP_CNAME);

    for (i = 0; i < rtsp->ntracks; i++) {
        t = &rtsp->tracks[i];

        if (!t->active) {
            continue;
        }

        rbp = (ngx_rtc_rtp_recv_report(&t->recv, ngx_current_msec, &rb)
               == NGX_OK) ? &rb : NULL;

        p = buf + 4;
        p += ngx_rtc_rtcp_write_rr(p, rtsp->ssrc, rbp);
        p += ngx_rtc_rtcp_write_sdes(p, buf + sizeof(buf) - p, rtsp->ssrc,
                                     &cname);
        n = p - (buf + 4);

        if (rtsp->udp) {
            if (t->rtcp == NULL || t->server_rtcp == 0) {
                continue;
            }

            ngx_memcpy(&sa, &rtsp->sockaddr, rtsp->socklen);
            ngx_inet_set_port(&sa.sockaddr, t->server_rtcp);

            /* best effort: a lost report is no error */

            (void) sendto(t->rtcp->fd, buf + 4, n, 0, &sa.sockaddr,
                          rtsp->socklen);
            continue;
        }

        /* RFC 2326 10.12 */

        buf[0] = '$';
        buf[1] = (u_char) (t->channel + 1);
        buf[2] = (u_char) (n >> 8);
        buf[3] = (u_char) n;

        if ((size_t) (rtsp->wend - rtsp->wlast) < n + 4) {

            /* requests are waiting for the socket: skip this report */
            continue;
        }

        rtsp->wlast = ngx_cpymem(rtsp->wlast, buf, n + 4);
    }

    if (rtsp->udp || rtsp->peer.connection == NULL) {
        return NGX_OK;
    }

    return ngx_rtc_rtsp_flush(rtsp);
}


static void
ngx_rtc_rtsp_media_au(void *data, u_char *au, size_t len, uint32_t rtp_ts,
    ngx_uint_t key)
{
    ngx_rtc_rtsp_t *rtsp = data;

    ngx_rtc_frame_t        f;
    ngx_rtc_rtsp_track_t  *t;

    /*
     * An access unit completes on its marker bit or on the first packet
     * of the next one; in the latter case its capture time is the
     * previous one.
     */

    t = &rtsp->tracks[NGX_RTC_RTSP_VIDEO];

    ngx_rtc_rtsp_media_frame(t, &f, rtp_ts,
                             (rtp_ts == t->au_ts) ? t->au_capture
                                                  : t->au_prev_capture,
                             len);

    f.flags = key ? NGX_RTC_FRAME_KEY : 0;

    ngx_rtc_rtsp_media_emit(rtsp, &f, au, len);
}


static void
ngx_rtc_rtsp_media_audio_frame(void *data, u_char *frame, size_t len,
    uint32_t rtp_ts)
{
    ngx_rtc_rtsp_t *rtsp = data;

    ngx_rtc_frame_t        f;
    ngx_rtc_rtsp_track_t  *t;

    t = &rtsp->tracks[NGX_RTC_RTSP_AUDIO];

    /* the packet's arrival, plus the frame's place in it */

    ngx_rtc_rtsp_media_frame(t, &f, rtp_ts,
                             ngx_rtc_frame_audio_capture(t->au_capture,
                                                         t->au_ts, rtp_ts,
                                                         t->clock),
                             len);

    if (rtsp->transcode) {
        if (ngx_rtc_transcode_push(rtsp->transcode, &f, frame, len)
            == NGX_ERROR)
        {
            /* it said why through ngx_rtc_rtsp_media_transcode_error() */
            return;
        }

        return;
    }

    ngx_rtc_rtsp_media_emit(rtsp, &f, frame, len);
}


static void
ngx_rtc_rtsp_media_frame(ngx_rtc_rtsp_track_t *t, ngx_rtc_frame_t *f,
    uint32_t rtp_ts, int64_t capture, size_t len)
{
    ngx_memzero(f, sizeof(ngx_rtc_frame_t));

    f->track = t->kind;
    f->rtp_ts = rtp_ts;
    f->capture = capture;
    f->len = len;

    t->frames++;
}


/* an Opus packet from the transcoder, on the event loop */

static void
ngx_rtc_rtsp_media_transcoded(void *data, ngx_rtc_frame_t *f, u_char *buf,
    size_t len)
{
    ngx_rtc_rtsp_t *rtsp = data;

    f->track = NGX_RTC_TRACK_AUDIO;

    ngx_rtc_rtsp_media_emit(rtsp, f, buf, len);
}


static void
ngx_rtc_rtsp_media_transcode_error(void *data, ngx_str_t *reason)
{
    ngx_rtc_rtsp_t *rtsp = data;

    ngx_log_error(NGX_LOG_ERR, &rtsp->log, 0,
                  "rtc rtsp %V: audio transcoding failed, no audio: %V",
                  &rtsp->url.redacted, reason);

    rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_AUDIO,
                     NGX_RTC_CODEC_NONE, 0, 0);
}


static void
ngx_rtc_rtsp_media_emit(ngx_rtc_rtsp_t *rtsp, ngx_rtc_frame_t *f,
    u_char *data, size_t len)
{
    rtsp->frames++;

    /* a camera that gives frames is a success: the next failure is new */

    if (!rtsp->produced && f->track == NGX_RTC_TRACK_VIDEO) {
        rtsp->produced = 1;
        rtsp->backoff = NGX_RTC_RTSP_BACKOFF_MIN;

        if (rtsp->failures) {
            ngx_log_error(NGX_LOG_NOTICE, &rtsp->log, 0,
                          "rtc rtsp %V plays again after %ui failed "
                          "attempts", &rtsp->url.redacted, rtsp->failures);
            rtsp->failures = 0;
        }
    }

    rtsp->conf.frame(rtsp->conf.data, f, data, len);
}


/* the connection is gone: the tracks' sockets, statistics, transcoder */

void
ngx_rtc_rtsp_media_reset(ngx_rtc_rtsp_t *rtsp)
{
    ngx_uint_t             i;
    ngx_rtc_rtsp_track_t  *t;

    for (i = 0; i < 2; i++) {
        t = &rtsp->tracks[i];

        ngx_rtc_rtsp_media_udp_close(t);

        t->active = 0;
        t->ssrc_valid = 0;
        t->ssrc_prev_valid = 0;
        t->ssrc_setup_valid = 0;
        t->ssrc_locked = 0;
        t->ssrc_flips = 0;
        t->ssrc_dropped = 0;
        t->ssrc_changes = 0;
        t->recv.valid = 0;
        t->recv.has_sr = 0;
        t->au_started = 0;
        t->bye = 0;
        t->channel = 0;

        /* what waits is of the connection gone: dropped */

        if (t->reorder_timer.timer_set) {
            ngx_del_timer(&t->reorder_timer);
        }

        ngx_rtc_reorder_reset(&t->reorder);
        t->reordered = 0;
        t->reorder_logged = 0;
    }

    if (rtsp->transcode) {
        ngx_rtc_transcode_destroy(rtsp->transcode);
        rtsp->transcode = NULL;
    }
}
