/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <ngx_rtc.h>
#include <ngx_rtc_whep_source_media.h>


/*
 * The media of a whep:// source: the codecs the answer chose and their
 * depacketizers; ICE (controlling) and DTLS (client, or server when the
 * answer says a=setup:active) up to the SRTP keys; SRTP unprotect; video
 * RTP through the reordering buffer (ngx_rtc_reorder.c), which asks for
 * what is missing (NACK) and gives a gap up after
 * NGX_RTC_WHEP_SOURCE_REORDER ms; a PLI when media starts and after a
 * loss; receiver reports; frames out through the source's frame().
 */


static void ngx_rtc_whep_source_media_dtls_arm(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_media_keys(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_media_rtp(ngx_rtc_whep_source_t *ws,
    u_char *buf, size_t len);
static void ngx_rtc_whep_source_media_lost(ngx_rtc_whep_source_t *ws,
    ngx_uint_t lost);
static void ngx_rtc_whep_source_media_rtcp(ngx_rtc_whep_source_t *ws,
    u_char *buf, size_t len);
static void ngx_rtc_whep_source_media_au(void *data, u_char *au, size_t len,
    uint32_t rtp_ts, ngx_uint_t key);
static void ngx_rtc_whep_source_media_audio_frame(void *data, u_char *frame,
    size_t len, uint32_t rtp_ts);
static void ngx_rtc_whep_source_media_emit(ngx_rtc_whep_source_t *ws,
    ngx_rtc_frame_t *f, u_char *data, size_t len);


ngx_int_t
ngx_rtc_whep_source_media_video(ngx_rtc_whep_source_t *ws,
    ngx_rtc_sdp_media_t *m)
{
    ngx_uint_t          i, codec;
    ngx_rtc_sdp_fmt_t  *f;

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (f->name.len != 4) {
            continue;
        }

        if (ngx_strncasecmp(f->name.data, (u_char *) "H264", 4) == 0) {
            codec = NGX_RTC_CODEC_H264;

        } else if (ngx_strncasecmp(f->name.data, (u_char *) "H265", 4) == 0) {
            codec = NGX_RTC_CODEC_H265;

        } else {
            continue;
        }

        ngx_memzero(&ws->video.recv, sizeof(ngx_rtc_rtp_recv_t));

        ws->video.codec = codec;
        ws->video.pt = f->pt;
        ws->video.clock = 90000;
        ws->video.recv.clock = 90000;
        ws->video.active = 1;
        ws->video.au_started = 0;

        if (codec == NGX_RTC_CODEC_H264) {
            ngx_rtc_h264_depack_init(&ws->h264, ws->au, NGX_RTC_MAX_FRAME,
                                     ngx_rtc_whep_source_media_au, ws);
            ws->h264.log = &ws->log;         /* its lines name the stream */

        } else {
            ngx_rtc_h265_depack_init(&ws->h265, ws->au, NGX_RTC_MAX_FRAME,
                                     ngx_rtc_whep_source_media_au, ws);
            ws->h265.log = &ws->log;
        }

        ws->conf.codec(ws->conf.data, NGX_RTC_TRACK_VIDEO, codec, 90000, 0);

        return NGX_OK;
    }

    ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "the answer of %V has neither "
                             "H.264 nor H.265 video", &ws->url.redacted);

    return NGX_ERROR;
}


void
ngx_rtc_whep_source_media_audio(ngx_rtc_whep_source_t *ws,
    ngx_rtc_sdp_media_t *m)
{
    ngx_uint_t          i;
    ngx_rtc_sdp_fmt_t  *f;

    ws->audio.active = 0;

    for (i = 0; m && ws->conf.audio != NGX_RTC_AUDIO_OFF && i < m->nfmts;
         i++)
    {
        f = &m->fmts[i];

        if (ngx_rtc_audio_depack_init(&ws->adepack, &f->name, f->pt,
                                      f->clock, f->channels, &f->fmtp,
                                      ws->audio_buf, NGX_RTC_AUDIO_AU_MAX,
                                      ngx_rtc_whep_source_media_audio_frame, ws)
            != NGX_OK
            || ws->adepack.codec == NGX_RTC_CODEC_AAC)
        {
            continue;
        }

        ngx_memzero(&ws->audio.recv, sizeof(ngx_rtc_rtp_recv_t));

        ws->audio.codec = ws->adepack.codec;
        ws->audio.pt = f->pt;
        ws->audio.clock = ws->adepack.clock;
        ws->audio.recv.clock = ws->adepack.clock;
        ws->audio.active = 1;

        ws->conf.codec(ws->conf.data, NGX_RTC_TRACK_AUDIO, ws->audio.codec,
                       ws->audio.clock, ws->adepack.channels);
        return;
    }

    ws->conf.codec(ws->conf.data, NGX_RTC_TRACK_AUDIO, NGX_RTC_CODEC_NONE,
                   0, 0);
}


void
ngx_rtc_whep_source_media_ice_state(void *data, ngx_uint_t state)
{
    ngx_rtc_whep_source_t *ws = data;

    if (state == NGX_RTC_ICE_FAILED) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "ICE with %V failed",
                                 &ws->url.redacted);
        return;
    }

    if (state != NGX_RTC_ICE_CONNECTED || ws->dtls == NULL) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                   "rtc whep source ICE connected, DTLS %s",
                   ws->client ? "client" : "server");

    if (!ws->client) {
        ngx_rtc_dtls_resume(ws->dtls);
        ngx_rtc_whep_source_media_dtls_arm(ws);
        return;
    }

    if (ngx_rtc_dtls_connect(ws->dtls) == NGX_ERROR) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "DTLS with %V failed",
                                 &ws->url.redacted);
        return;
    }

    ngx_rtc_whep_source_media_dtls_arm(ws);
}


void
ngx_rtc_whep_source_media_recv(void *data, u_char *buf, size_t len)
{
    ngx_rtc_whep_source_t *ws = data;

    ngx_int_t  rc;

    if (ngx_rtc_dtls_is_dtls(buf, len)) {
        if (ws->dtls == NULL) {
            return;
        }

        rc = ngx_rtc_dtls_input(ws->dtls, buf, len);

        if (rc == NGX_ERROR) {

            /* a server that goes away sends its close alert */

            ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "DTLS with %V %s",
                                     &ws->url.redacted,
                                     ws->srtp ? "closed" : "failed");
            return;
        }

        if (rc == NGX_DONE) {
            ngx_rtc_whep_source_media_keys(ws);
        }

        ngx_rtc_whep_source_media_dtls_arm(ws);
        return;
    }

    if (ws->srtp == NULL || len < 12 || (buf[0] & 0xc0) != 0x80) {
        return;
    }

    if (ngx_rtc_rtp_is_rtcp(buf, len)) {
        if (ngx_rtc_srtp_unprotect_rtcp(ws->srtp, buf, &len) == NGX_OK) {
            ngx_rtc_whep_source_media_rtcp(ws, buf, len);
        }

        return;
    }

    if (ngx_rtc_srtp_unprotect(ws->srtp, buf, &len) != NGX_OK) {
        return;
    }

    ngx_rtc_whep_source_media_rtp(ws, buf, len);
}


ngx_int_t
ngx_rtc_whep_source_media_dtls_send(void *data, u_char *buf, size_t len)
{
    ngx_rtc_whep_source_t *ws = data;

    return ngx_rtc_ice_send(ws->ice, buf, len);
}


static void
ngx_rtc_whep_source_media_dtls_arm(ngx_rtc_whep_source_t *ws)
{
    ngx_msec_t  t;

    if (ws->dtls == NULL) {
        return;
    }

    t = (ws->srtp == NULL) ? ngx_rtc_dtls_timeout(ws->dtls) : 0;

    if (t) {
        ngx_add_timer(&ws->dtls_timer, t);

    } else if (ws->dtls_timer.timer_set) {
        ngx_del_timer(&ws->dtls_timer);
    }
}


void
ngx_rtc_whep_source_media_dtls_handler(ngx_event_t *ev)
{
    ngx_rtc_whep_source_t *ws = ev->data;

    if (ngx_rtc_dtls_handle_timeout(ws->dtls) == NGX_ERROR) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "DTLS with %V timed out",
                                 &ws->url.redacted);
        return;
    }

    ngx_rtc_whep_source_media_dtls_arm(ws);
    ngx_rtc_gloop_update();
}


static void
ngx_rtc_whep_source_media_keys(ngx_rtc_whep_source_t *ws)
{
    ngx_rtc_srtp_keys_t  keys;

    if (ngx_rtc_dtls_srtp_keys(ws->dtls, &keys) != NGX_OK) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "no SRTP keys from DTLS "
                                 "with %V", &ws->url.redacted);
        return;
    }

    ws->srtp = ngx_rtc_srtp_create(&keys, &ws->log);

    ngx_memzero(&keys, sizeof(ngx_rtc_srtp_keys_t));

    if (ws->srtp == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ALERT, "cannot create an SRTP "
                                 "session");
        return;
    }

    /* the server's publisher may come back with new SSRCs */
    ngx_rtc_srtp_evict(ws->srtp);

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                   "rtc whep source %V: media", &ws->url.redacted);

    ws->step = NGX_RTC_WHEP_SOURCE_MEDIA;
    ws->last_media = ngx_current_msec;
    ws->ssrc = (uint32_t) ngx_random();
    ws->need_key = 1;
    ws->last_pli = 0;

    ngx_rtc_reorder_reset(&ws->reorder);

    ws->reason.len = 0;
    ws->conf.state(ws->conf.data, NGX_RTC_RTSP_PLAYING, &ws->reason);
}


static void
ngx_rtc_whep_source_media_rtp(ngx_rtc_whep_source_t *ws, u_char *buf,
    size_t len)
{
    int64_t                       now;
    uint16_t                      nack[NGX_RTC_RTCP_NACK_MAX];
    ngx_uint_t                    n, lost;
    ngx_rtc_rtp_hdr_t             h;
    ngx_rtc_whep_source_track_t  *t;

    if (ngx_rtc_rtp_parse(buf, len, &h) != NGX_OK) {
        return;
    }

    if (ws->video.active && h.pt == ws->video.pt) {
        t = &ws->video;

    } else if (ws->audio.active && h.pt == ws->audio.pt) {
        t = &ws->audio;

    } else {
        return;
    }

    now = ngx_rtc_frame_now();

    ngx_rtc_rtp_recv_update(&t->recv, &h, now);
    t->packets++;

    if (t->kind == NGX_RTC_TRACK_AUDIO) {
        t->au_capture = now;
        t->au_ts = h.ts;

        (void) ngx_rtc_audio_depacketize(&ws->adepack, h.payload,
                                         h.payload_len, h.seq, h.ts,
                                         h.marker);
        return;
    }

    /* ngx_rtc_whep_source_media_lost(): a PLI at the start, after a loss */

    lost = ws->reorder.lost;

    n = ngx_rtc_reorder_put(&ws->reorder, buf, len, h.seq, nack,
                            NGX_RTC_RTCP_NACK_MAX);

    if (n) {
        ngx_rtc_whep_source_media_send_rtcp(ws, 0, nack, n);
    }

    ngx_rtc_whep_source_media_lost(ws, lost);
}


static void
ngx_rtc_whep_source_media_lost(ngx_rtc_whep_source_t *ws, ngx_uint_t lost)
{
    if (ws->reorder.lost != lost) {
        ws->need_key = 1;
    }

    if (ws->need_key
        && ngx_current_msec - ws->last_pli >= NGX_RTC_WHEP_SOURCE_PLI)
    {
        ngx_rtc_whep_source_media_send_rtcp(ws, 1, NULL, 0);
    }

    if (ws->reorder.held == 0) {
        if (ws->reorder_timer.timer_set) {
            ngx_del_timer(&ws->reorder_timer);
        }

    } else if (!ws->reorder_timer.timer_set) {
        ngx_add_timer(&ws->reorder_timer, NGX_RTC_WHEP_SOURCE_REORDER);
    }
}


void
ngx_rtc_whep_source_media_reorder_handler(ngx_event_t *ev)
{
    ngx_rtc_whep_source_t *ws = ev->data;

    ngx_uint_t  lost;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                   "rtc whep source gives up seq %ui",
                   (ngx_uint_t) ws->reorder.next);

    lost = ws->reorder.lost;

    ngx_rtc_reorder_skip(&ws->reorder);

    ngx_rtc_whep_source_media_lost(ws, lost);
}


void
ngx_rtc_whep_source_media_deliver(void *data, u_char *buf, size_t len)
{
    ngx_rtc_whep_source_t *ws = data;

    int64_t                       now;
    ngx_rtc_rtp_hdr_t             h;
    ngx_rtc_whep_source_track_t  *t;

    if (ngx_rtc_rtp_parse(buf, len, &h) != NGX_OK) {
        return;
    }

    /* the no-video watchdog counts what goes on, not what arrives */

    ws->last_media = ngx_current_msec;

    t = &ws->video;

    /* capture time: when the first packet of an access unit arrived */

    if (!t->au_started || h.ts != t->au_ts) {
        now = ngx_rtc_frame_now();

        t->au_prev_capture = t->au_started ? t->au_capture : now;
        t->au_capture = now;
        t->au_ts = h.ts;
        t->au_started = 1;
    }

    if (t->codec == NGX_RTC_CODEC_H264) {
        (void) ngx_rtc_h264_depacketize(&ws->h264, h.payload, h.payload_len,
                                        h.seq, h.ts, h.marker);

    } else {
        (void) ngx_rtc_h265_depacketize(&ws->h265, h.payload, h.payload_len,
                                        h.seq, h.ts, h.marker);
    }
}


static void
ngx_rtc_whep_source_media_rtcp(ngx_rtc_whep_source_t *ws, u_char *buf,
    size_t len)
{
    ngx_rtc_rtcp_info_t  info;

    if (ngx_rtc_rtcp_parse(buf, len, &info) != NGX_OK) {
        return;
    }

    if (info.has_sr) {
        if (ws->video.recv.valid && info.sr_ssrc == ws->video.recv.ssrc) {
            ngx_rtc_rtp_recv_sr(&ws->video.recv, info.sr_ntp,
                                ngx_current_msec);

        } else if (ws->audio.recv.valid
                   && info.sr_ssrc == ws->audio.recv.ssrc)
        {
            ngx_rtc_rtp_recv_sr(&ws->audio.recv, info.sr_ntp,
                                ngx_current_msec);
        }
    }

    if (info.bye) {
        ngx_log_error(NGX_LOG_INFO, &ws->log, 0,
                      "rtc whep source %V: RTCP BYE", &ws->url.redacted);
    }
}


void
ngx_rtc_whep_source_media_send_rtcp(ngx_rtc_whep_source_t *ws, ngx_uint_t pli,
    uint16_t *nack, ngx_uint_t nnack)
{
    u_char                       *p, buf[1024];
    size_t                        n;
    ngx_str_t                     cname;
    ngx_uint_t                    i;
    ngx_rtc_rtcp_rb_t             rb;
    ngx_rtc_whep_source_track_t  *t;

    if (ws->srtp == NULL) {
        return;
    }

    ngx_str_set(&cname, NGX_RTC_WHEP_SOURCE_CNAME);

    for (i = 0; i < 2; i++) {
        t = (i == 0) ? &ws->video : &ws->audio;

        if (!t->active || (i == 1 && (pli || nnack))) {
            continue;
        }

        p = buf;
        p += ngx_rtc_rtcp_write_rr(p, ws->ssrc,
                                   ngx_rtc_rtp_recv_report(&t->recv,
                                                           ngx_current_msec,
                                                           &rb)
                                   == NGX_OK ? &rb : NULL);
        p += ngx_rtc_rtcp_write_sdes(p, buf + 256 - p, ws->ssrc, &cname);

        if (i == 0 && t->recv.valid) {
            if (pli) {
                p += ngx_rtc_rtcp_write_pli(p, ws->ssrc, t->recv.ssrc);
                ws->last_pli = ngx_current_msec;
                ws->need_key = 0;

                ngx_log_debug0(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                               "rtc whep source PLI");
            }

            if (nnack) {
                p += ngx_rtc_rtcp_write_nack(p, ws->ssrc, t->recv.ssrc,
                                             nack, nnack);
            }
        }

        n = p - buf;

        if (ngx_rtc_srtp_protect_rtcp(ws->srtp, buf, &n, sizeof(buf))
            != NGX_OK)
        {
            continue;
        }

        /* best effort: a lost report is no error */

        (void) ngx_rtc_ice_send(ws->ice, buf, n);
    }
}


static void
ngx_rtc_whep_source_media_au(void *data, u_char *au, size_t len,
    uint32_t rtp_ts, ngx_uint_t key)
{
    ngx_rtc_whep_source_t *ws = data;

    ngx_rtc_frame_t               f;
    ngx_rtc_whep_source_track_t  *t;

    t = &ws->video;

    ngx_memzero(&f, sizeof(ngx_rtc_frame_t));

    f.track = NGX_RTC_TRACK_VIDEO;
    f.rtp_ts = rtp_ts;
    f.capture = (rtp_ts == t->au_ts) ? t->au_capture : t->au_prev_capture;
    f.len = len;
    f.flags = key ? NGX_RTC_FRAME_KEY : 0;

    ngx_rtc_whep_source_media_emit(ws, &f, au, len);
}


static void
ngx_rtc_whep_source_media_audio_frame(void *data, u_char *frame, size_t len,
    uint32_t rtp_ts)
{
    ngx_rtc_whep_source_t *ws = data;

    ngx_rtc_frame_t               f;
    ngx_rtc_whep_source_track_t  *t;

    t = &ws->audio;

    ngx_memzero(&f, sizeof(ngx_rtc_frame_t));

    f.track = NGX_RTC_TRACK_AUDIO;
    f.rtp_ts = rtp_ts;
    f.capture = ngx_rtc_frame_audio_capture(t->au_capture, t->au_ts, rtp_ts,
                                            t->clock);
    f.len = len;

    ngx_rtc_whep_source_media_emit(ws, &f, frame, len);
}


static void
ngx_rtc_whep_source_media_emit(ngx_rtc_whep_source_t *ws, ngx_rtc_frame_t *f,
    u_char *data, size_t len)
{
    ws->frames++;

    /* a server that gives frames is a success: the next failure is new */

    if (!ws->produced && f->track == NGX_RTC_TRACK_VIDEO) {
        ws->produced = 1;
        ws->backoff = NGX_RTC_WHEP_SOURCE_BACKOFF_MIN;

        if (ws->failures) {
            ngx_log_error(NGX_LOG_NOTICE, &ws->log, 0,
                          "rtc whep source %V plays again after %ui failed "
                          "attempts", &ws->url.redacted, ws->failures);
            ws->failures = 0;
        }
    }

    ws->conf.frame(ws->conf.data, f, data, len);
}


/*
 * What the source counted of the origin's RTP, for the producer
 * (ngx_rtc_source.h): the packets of each track, and what its
 * depacketizers lost (gaps the reordering buffer gave up), refused and
 * dropped (but while joining: before the first keyframe) since they were
 * set up for the current answer.
 */

void
ngx_rtc_whep_source_stats(ngx_rtc_whep_source_t *ws,
    ngx_rtc_source_stats_t *stats)
{
    ngx_rtc_nal_depack_t    *d;
    ngx_rtc_source_stats_t  *s;

    s = &stats[NGX_RTC_TRACK_VIDEO];

    switch (ws->video.codec) {

    case NGX_RTC_CODEC_H264:
        d = &ws->h264;
        break;

    case NGX_RTC_CODEC_H265:
        d = &ws->h265;
        break;

    default:
        d = NULL;
    }

    s->packets = ws->video.packets;
    s->lost = d ? d->lost : 0;
    s->rejected = d ? d->rejected : 0;
    s->dropped = d ? d->dropped - d->skipped : 0;

    s = &stats[NGX_RTC_TRACK_AUDIO];

    s->packets = ws->audio.packets;
    s->lost = ws->adepack.lost;
    s->rejected = ws->adepack.rejected;
    s->dropped = ws->adepack.dropped;
}
