/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_frame.h"
#include "ngx_rtc_negotiate.h"


/*
 * The codec choice (pure): the stream's codecs against the offer's.  The
 * first video m-line the viewer can receive on carries the stream's video
 * or the offer is refused; the first bundled audio m-line that lists the
 * stream's audio codec carries the audio.  Any other RTP m-line of the
 * video's BUNDLE group stays in it, inactive (the audio the viewer cannot
 * take, or the stream does not have): the viewer still gets video.  What
 * cannot be bundled is rejected (port 0).
 */


static ngx_uint_t ngx_rtc_negotiate_receives(ngx_rtc_sdp_media_t *m,
    const char *type);
static ngx_uint_t ngx_rtc_negotiate_transport(ngx_rtc_sdp_t *offer,
    ngx_uint_t video);
static ngx_int_t ngx_rtc_negotiate_check(ngx_rtc_sdp_media_t *m,
    ngx_rtc_negotiate_t *neg);
static ngx_rtc_sdp_fmt_t *ngx_rtc_negotiate_h264(ngx_rtc_sdp_media_t *m);
static ngx_int_t ngx_rtc_negotiate_h264_mode(ngx_rtc_sdp_fmt_t *f);
static ngx_rtc_sdp_fmt_t *ngx_rtc_negotiate_h265(ngx_rtc_sdp_media_t *m,
    ngx_int_t profile);
static ngx_uint_t ngx_rtc_negotiate_rtx(ngx_rtc_sdp_media_t *m,
    ngx_uint_t pt);
static ngx_rtc_sdp_fmt_t *ngx_rtc_negotiate_audio(ngx_rtc_sdp_media_t *m,
    ngx_uint_t codec, ngx_str_t *name);
static ngx_rtc_sdp_fmt_t *ngx_rtc_negotiate_inactive(ngx_rtc_sdp_t *offer,
    ngx_rtc_sdp_media_t *m);
static ngx_uint_t ngx_rtc_negotiate_savpf(ngx_str_t *proto);
static ngx_uint_t ngx_rtc_negotiate_is(ngx_str_t *s, const char *name);
static void ngx_rtc_negotiate_mismatch(ngx_rtc_negotiate_conf_t *conf,
    ngx_rtc_sdp_media_t *m, ngx_rtc_negotiate_t *neg, u_char *buf,
    size_t size);


static const char  *ngx_rtc_negotiate_codecs[] = {
    "none", "H264", "H265", "PCMA", "PCMU", "opus", "AAC"
};


ngx_int_t
ngx_rtc_negotiate(ngx_rtc_negotiate_conf_t *conf, ngx_rtc_sdp_t *offer,
    ngx_rtc_sdp_answer_t *ans, ngx_rtc_negotiate_t *neg, u_char *buf,
    size_t size)
{
    ngx_str_t                    name;
    ngx_uint_t                   i;
    ngx_rtc_sdp_fmt_t           *fmt;
    ngx_rtc_sdp_media_t         *m;
    ngx_rtc_sdp_answer_media_t  *am;

    neg->video = NGX_RTC_NEGOTIATE_NONE;
    neg->transport = NGX_RTC_NEGOTIATE_NONE;
    neg->audio = NGX_RTC_NEGOTIATE_NONE;
    neg->rtx_pt = NGX_RTC_NEGOTIATE_NONE;
    neg->audio_offered = 0;
    neg->status = 0;
    ngx_str_null(&neg->reason);

    /* every m-line is rejected unless taken below */

    for (i = 0; i < offer->nmedia; i++) {
        m = &offer->media[i];
        am = &ans->media[i];

        ngx_memzero(am, sizeof(ngx_rtc_sdp_answer_media_t));

        am->type = m->type;
        am->proto = m->proto;
        am->mid = m->mid;
        am->rejected = 1;
        am->pt = m->nfmts ? m->fmts[0].pt : 0;

        if (m->nfmts && m->fmts[0].pt == NGX_RTC_SDP_PT_NONE) {
            am->codec = m->fmts[0].name;     /* e.g. webrtc-datachannel */
        }
    }

    ans->nmedia = offer->nmedia;

    if (ngx_rtc_negotiate_offer(offer, neg) != NGX_OK) {
        return NGX_ERROR;
    }

    i = neg->video;
    m = &offer->media[i];

    switch (conf->video) {

    case NGX_RTC_CODEC_H264:
        fmt = ngx_rtc_negotiate_h264(m);
        break;

    case NGX_RTC_CODEC_H265:
        fmt = ngx_rtc_negotiate_h265(m, conf->profile);
        break;

    default:
        fmt = NULL;
    }

    if (fmt == NULL) {
        ngx_rtc_negotiate_mismatch(conf, m, neg, buf, size);
        return NGX_ERROR;
    }

    am = &ans->media[i];

    am->rejected = 0;
    am->pt = fmt->pt;
    am->codec = fmt->name;
    am->clock = fmt->clock;
    am->fmtp = fmt->fmtp;
    am->rtcp_fb = fmt->rtcp_fb & (NGX_RTC_SDP_FB_NACK|NGX_RTC_SDP_FB_NACK_PLI
                                  |NGX_RTC_SDP_FB_CCM_FIR);
    am->rtcp_rsize = m->rtcp_rsize;

    neg->video = i;
    neg->video_pt = fmt->pt;

    /* retransmissions go on an RTX stream only with nack (RFC 4588 8.6) */

    if (am->rtcp_fb & NGX_RTC_SDP_FB_NACK) {
        neg->rtx_pt = ngx_rtc_negotiate_rtx(m, fmt->pt);
    }

    /* audio shares the video's transport: it must be in its BUNDLE group */

    for (i = 0; i < offer->nmedia; i++) {
        m = &offer->media[i];

        if (!ngx_rtc_negotiate_receives(m, "audio")
            || !ngx_rtc_sdp_bundled(offer, &m->mid)
            || !ngx_rtc_sdp_bundled(offer,
                                          &offer->media[neg->video].mid))
        {
            continue;
        }

        neg->audio_offered = 1;

        fmt = ngx_rtc_negotiate_audio(m, conf->audio, &name);

        if (fmt == NULL) {
            continue;
        }

        am = &ans->media[i];

        am->rejected = 0;
        am->pt = fmt->pt;
        am->codec = name;
        am->rtcp_rsize = m->rtcp_rsize;
        am->clock = (conf->audio == NGX_RTC_CODEC_OPUS) ? 48000 : 8000;
        am->channels = (conf->audio == NGX_RTC_CODEC_OPUS) ? 2 : 0;

        if (conf->audio == NGX_RTC_CODEC_OPUS) {
            am->fmtp = fmt->fmtp;            /* minptime, useinbandfec */
        }

        neg->audio = i;
        neg->audio_pt = fmt->pt;
        break;
    }

    /*
     * RFC 8843, 7.3.3: the offerer-tagged m-line (the first mid of the
     * group) cannot be rejected alone, and players that put audio first
     * give our trickled candidates its mid.  As browsers do, the other RTP
     * m-lines of the group stay in it with nothing to carry: a=inactive,
     * one format of the offer's (RFC 8829, 5.3.1).
     */

    if (!ngx_rtc_sdp_bundled(offer, &offer->media[neg->video].mid)) {
        return NGX_OK;
    }

    for (i = 0; i < offer->nmedia; i++) {
        am = &ans->media[i];

        if (!am->rejected) {
            continue;
        }

        fmt = ngx_rtc_negotiate_inactive(offer, &offer->media[i]);

        if (fmt == NULL) {
            continue;
        }

        am->rejected = 0;
        am->inactive = 1;
        am->rtcp_rsize = offer->media[i].rtcp_rsize;
        am->pt = fmt->pt;
        am->codec = fmt->name;
        am->clock = fmt->clock;
        am->channels = fmt->channels;

        /* the answer's size stays bounded: a long fmtp is not echoed */

        if (fmt->fmtp.len <= NGX_RTC_NEGOTIATE_ECHO_FMTP) {
            am->fmtp = fmt->fmtp;
        }
    }

    return NGX_OK;
}


/*
 * The m-line that carries the video: the first video one the viewer
 * receives on, or NGX_RTC_NEGOTIATE_NONE.  Without one the offer is
 * refused before a session is registered or a camera started (422).
 */

/*
 * What needs no stream: a video section to send on (else 422), its
 * transport's ICE credentials and fingerprint and a DTLS role for us
 * (else 400).  Checked before an offer waits for an on-demand camera.
 */

ngx_int_t
ngx_rtc_negotiate_offer(ngx_rtc_sdp_t *offer, ngx_rtc_negotiate_t *neg)
{
    ngx_uint_t  i;

    i = ngx_rtc_negotiate_video(offer);

    if (i == NGX_RTC_NEGOTIATE_NONE) {
        neg->status = NGX_RTC_NEGOTIATE_NO_VIDEO;
        ngx_str_set(&neg->reason, NGX_RTC_NEGOTIATE_NO_VIDEO_TEXT);
        return NGX_ERROR;
    }

    neg->transport = ngx_rtc_negotiate_transport(offer, i);

    if (ngx_rtc_negotiate_check(&offer->media[neg->transport], neg)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    neg->video = i;

    return NGX_OK;
}


ngx_uint_t
ngx_rtc_negotiate_video(ngx_rtc_sdp_t *offer)
{
    ngx_uint_t  i;

    for (i = 0; i < offer->nmedia; i++) {
        if (ngx_rtc_negotiate_receives(&offer->media[i], "video")) {
            return i;
        }
    }

    return NGX_RTC_NEGOTIATE_NONE;
}


/* the video format pt is H.264 in packetization-mode 0 (single NAL unit) */

ngx_uint_t
ngx_rtc_negotiate_h264_mode0(ngx_rtc_sdp_t *offer, ngx_uint_t pt)
{
    ngx_uint_t          i;
    ngx_rtc_sdp_fmt_t  *f;

    i = ngx_rtc_negotiate_video(offer);

    if (i == NGX_RTC_NEGOTIATE_NONE) {
        return 0;
    }

    f = ngx_rtc_sdp_find_fmt(&offer->media[i], pt);

    return f != NULL && ngx_rtc_negotiate_is(&f->name, "H264")
           && ngx_rtc_negotiate_h264_mode(f) == 0;
}


const char *
ngx_rtc_negotiate_codec_name(ngx_uint_t codec)
{
    if (codec >= sizeof(ngx_rtc_negotiate_codecs) / sizeof(char *)) {
        codec = NGX_RTC_CODEC_NONE;
    }

    return ngx_rtc_negotiate_codecs[codec];
}


/* an m-line of this type that lets us send */

static ngx_uint_t
ngx_rtc_negotiate_receives(ngx_rtc_sdp_media_t *m, const char *type)
{
    return ngx_rtc_negotiate_is(&m->type, type)
           && m->port != 0
           && m->direction != NGX_RTC_SDP_SENDONLY
           && m->direction != NGX_RTC_SDP_INACTIVE;
}


/*
 * RFC 8843, 7.2.1 and 7.3.1: bundled media use the transport of the
 * offerer-tagged section (the group's first mid): the ICE credentials,
 * candidates and fingerprint the offer gives there, which a bundled
 * section may lack (Chromium's and Firefox's max-bundle offers list
 * candidates only in the tagged one).  The video's own section if it is
 * not bundled, or the tagged one is disabled or names no ICE.
 */

static ngx_uint_t
ngx_rtc_negotiate_transport(ngx_rtc_sdp_t *offer, ngx_uint_t video)
{
    ngx_uint_t            i;
    ngx_rtc_sdp_media_t  *m;

    if (!ngx_rtc_sdp_bundled(offer, &offer->media[video].mid)) {
        return video;
    }

    for (i = 0; i < offer->nmedia; i++) {
        m = &offer->media[i];

        if (ngx_rtc_sdp_bundled(offer, &m->mid) == 1) {
            return (m->port != 0 && m->ice_ufrag.len) ? i : video;
        }
    }

    return video;
}


static ngx_int_t
ngx_rtc_negotiate_check(ngx_rtc_sdp_media_t *m, ngx_rtc_negotiate_t *neg)
{
    neg->status = NGX_RTC_NEGOTIATE_BAD_OFFER;

    if (m->ice_ufrag.len == 0 || m->ice_pwd.len == 0) {
        ngx_str_set(&neg->reason, "the offer has no ICE credentials");
        return NGX_ERROR;
    }

    if (m->fp_alg.len == 0 || m->fp_value.len == 0) {
        ngx_str_set(&neg->reason, "the offer has no DTLS fingerprint");
        return NGX_ERROR;
    }

    if (ngx_rtc_negotiate_is(&m->setup, "passive")) {
        ngx_str_set(&neg->reason,
                    "the offer's a=setup:passive leaves no DTLS client");
        return NGX_ERROR;
    }

    neg->status = 0;

    return NGX_OK;
}


/*
 * H.264: FU-A needs packetization-mode=1 (RFC 6184, 6.3).  The answer
 * takes a profile-level-id the offer gave, whatever profile the camera
 * sends: browsers decode any of them, yet refuse an answer naming a
 * profile they did not offer.
 *
 * A format in mode 0 (no packetization-mode, RFC 6184 8.1: GStreamer's
 * whepsrc with its default caps) comes after every mode 1 format, and is
 * taken when the offer has no other: the viewer gets FU-A all the same,
 * which GStreamer's rtph264depay and libwebrtc take in any mode.  Mode 2
 * (interleaved, RFC 6184 6.4) needs a decoding order we do not send.
 */

static ngx_rtc_sdp_fmt_t *
ngx_rtc_negotiate_h264(ngx_rtc_sdp_media_t *m)
{
    ngx_int_t           mode;
    ngx_str_t           v;
    ngx_uint_t          i, k, rank, best_rank;
    ngx_rtc_sdp_fmt_t  *f, *best;

    static const char  *profiles[] = { "42e01f", "42001f", "4d001f", NULL };

    best = NULL;
    best_rank = 1000;

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (!ngx_rtc_negotiate_is(&f->name, "H264")) {
            continue;
        }

        mode = ngx_rtc_negotiate_h264_mode(f);

        if (mode != 0 && mode != 1) {
            continue;
        }

        rank = (mode == 1) ? 50 : 150;

        if (ngx_rtc_sdp_fmtp_param(&f->fmtp, "profile-level-id", &v)
            == NGX_OK && v.len == 6)
        {
            for (k = 0; profiles[k]; k++) {
                if (ngx_strncasecmp(v.data, (u_char *) profiles[k], 6) == 0) {
                    rank = rank - 50 + k;
                    break;
                }
            }
        }

        if (rank < best_rank) {
            best = f;
            best_rank = rank;
        }
    }

    return best;
}


/* RFC 6184, 8.1: packetization-mode, 0 when absent; -1 if not a number */

static ngx_int_t
ngx_rtc_negotiate_h264_mode(ngx_rtc_sdp_fmt_t *f)
{
    ngx_str_t  v;

    if (ngx_rtc_sdp_fmtp_param(&f->fmtp, "packetization-mode", &v)
        != NGX_OK)
    {
        return 0;
    }

    return (v.len == 1) ? ngx_atoi(v.data, 1) : NGX_ERROR;
}


/*
 * H.265 (RFC 7798 7.1): profile-id defaults to 1 (Main).  The offer's
 * profile-id must be the stream's, or Main 10 for a Main stream (a Main 10
 * decoder decodes Main, H.265 A.3.3).  An unknown stream profile takes the
 * first H265 the offer lists.
 */

static ngx_rtc_sdp_fmt_t *
ngx_rtc_negotiate_h265(ngx_rtc_sdp_media_t *m, ngx_int_t profile)
{
    ngx_int_t           id;
    ngx_str_t           v;
    ngx_uint_t          i;
    ngx_rtc_sdp_fmt_t  *f, *main10;

    main10 = NULL;

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (!ngx_rtc_negotiate_is(&f->name, "H265")) {
            continue;
        }

        if (profile < 0) {
            return f;
        }

        id = 1;

        if (ngx_rtc_sdp_fmtp_param(&f->fmtp, "profile-id", &v) == NGX_OK) {
            id = ngx_atoi(v.data, v.len);
        }

        if (id == profile) {
            return f;
        }

        if (id == 2 && profile == 1 && main10 == NULL) {
            main10 = f;
        }
    }

    return main10;
}


/* RFC 4588 8.6: a=rtpmap:<pt> rtx/<clock>, a=fmtp:<pt> apt=<media pt> */

static ngx_uint_t
ngx_rtc_negotiate_rtx(ngx_rtc_sdp_media_t *m, ngx_uint_t pt)
{
    ngx_str_t           v;
    ngx_uint_t          i;
    ngx_rtc_sdp_fmt_t  *f;

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (!ngx_rtc_negotiate_is(&f->name, "rtx") || f->clock != 90000) {
            continue;
        }

        if (ngx_rtc_sdp_fmtp_param(&f->fmtp, "apt", &v) == NGX_OK
            && ngx_atoi(v.data, v.len) == (ngx_int_t) pt)
        {
            return f->pt;
        }
    }

    return NGX_RTC_NEGOTIATE_NONE;
}


/*
 * PCMA/8000 and PCMU/8000 (RFC 3551 4.5.14, also by their static payload
 * types 8 and 0 without a=rtpmap), opus/48000/2 (RFC 7587 7)
 */

static ngx_rtc_sdp_fmt_t *
ngx_rtc_negotiate_audio(ngx_rtc_sdp_media_t *m, ngx_uint_t codec,
    ngx_str_t *name)
{
    ngx_uint_t          i, static_pt;
    const char         *want;
    ngx_rtc_sdp_fmt_t  *f;

    switch (codec) {

    case NGX_RTC_CODEC_PCMA:
        want = "PCMA";
        static_pt = 8;
        break;

    case NGX_RTC_CODEC_PCMU:
        want = "PCMU";
        static_pt = 0;
        break;

    case NGX_RTC_CODEC_OPUS:
        want = "opus";
        static_pt = NGX_RTC_NEGOTIATE_NONE;
        break;

    default:
        return NULL;
    }

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (f->name.len == 0) {
            if (f->pt == static_pt) {
                name->data = (u_char *) want;
                name->len = 4;
                return f;
            }

            continue;
        }

        if (!ngx_rtc_negotiate_is(&f->name, want)) {
            continue;
        }

        if (codec == NGX_RTC_CODEC_OPUS
            ? (f->clock != 48000 || f->channels != 2)
            : (f->clock != 8000 || f->channels > 1))
        {
            continue;
        }

        *name = f->name;
        return f;
    }

    return NULL;
}


/*
 * An audio or video m-line of the BUNDLE group on RTP/SAVPF, not disabled
 * (port 0): its first format that is not a repair format (RTX, RED, FEC
 * name another format) and whose name is a short token, or NULL if it has
 * none and must be rejected.
 */

static ngx_rtc_sdp_fmt_t *
ngx_rtc_negotiate_inactive(ngx_rtc_sdp_t *offer, ngx_rtc_sdp_media_t *m)
{
    ngx_uint_t          i, k;
    ngx_rtc_sdp_fmt_t  *f;

    static const char  *repair[] = {
        "rtx", "red", "ulpfec", "flexfec-03", NULL
    };

    if (!(ngx_rtc_negotiate_is(&m->type, "audio")
          || ngx_rtc_negotiate_is(&m->type, "video"))
        || m->port == 0
        || !ngx_rtc_negotiate_savpf(&m->proto)
        || !ngx_rtc_sdp_bundled(offer, &m->mid))
    {
        return NULL;
    }

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (f->pt > 127 || f->name.len > NGX_RTC_SDP_MAX_TOKEN) {
            continue;
        }

        for (k = 0; repair[k]; k++) {
            if (ngx_rtc_negotiate_is(&f->name, repair[k])) {
                break;
            }
        }

        if (repair[k] == NULL) {
            return f;
        }
    }

    return NULL;
}


/*
 * "RTP/SAVPF", "UDP/TLS/RTP/SAVPF" (RFC 5764, 8), "TCP/DTLS/RTP/SAVPF"
 * (RFC 7850)
 */

static ngx_uint_t
ngx_rtc_negotiate_savpf(ngx_str_t *proto)
{
    size_t  len;

    len = sizeof("RTP/SAVPF") - 1;

    return proto->len >= len
           && (proto->len == len || proto->data[proto->len - len - 1] == '/')
           && ngx_strncasecmp(proto->data + proto->len - len,
                              (u_char *) "RTP/SAVPF", len) == 0;
}


static ngx_uint_t
ngx_rtc_negotiate_is(ngx_str_t *s, const char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return s->len == len
           && ngx_strncasecmp(s->data, (u_char *) name, len) == 0;
}


/*
 * "stream "cam" is H265 (profile-id=1); the offer has VP8 VP9 H264"; an
 * H.264 the offer has in a mode we do not send is named with it: "the
 * offer has VP8 H264 (packetization-mode=2)"
 */

static void
ngx_rtc_negotiate_mismatch(ngx_rtc_negotiate_conf_t *conf,
    ngx_rtc_sdp_media_t *m, ngx_rtc_negotiate_t *neg, u_char *buf,
    size_t size)
{
    u_char      *p, *last;
    ngx_str_t    v;
    ngx_uint_t   i, k;

    neg->status = NGX_RTC_NEGOTIATE_MISMATCH;

    p = buf;
    last = buf + size;

    p = ngx_slprintf(p, last, "stream \"%V\" is %s", &conf->name,
                     ngx_rtc_negotiate_codec_name(conf->video));

    if (conf->video == NGX_RTC_CODEC_H264) {
        p = ngx_slprintf(p, last, " (packetization-mode=1)");

    } else if (conf->video == NGX_RTC_CODEC_H265 && conf->profile >= 0) {
        p = ngx_slprintf(p, last, " (profile-id=%i)", conf->profile);
    }

    p = ngx_slprintf(p, last, "; the offer has");

    for (i = 0; i < m->nfmts; i++) {

        /* each name once: skip names seen before in the list */

        for (k = 0; k < i; k++) {
            if (m->fmts[k].name.len == m->fmts[i].name.len
                && ngx_strncasecmp(m->fmts[k].name.data, m->fmts[i].name.data,
                                   m->fmts[i].name.len) == 0)
            {
                break;
            }
        }

        if (k < i || m->fmts[i].name.len == 0) {
            continue;
        }

        p = ngx_slprintf(p, last, " %V", &m->fmts[i].name);

        if (conf->video == NGX_RTC_CODEC_H264
            && ngx_rtc_negotiate_is(&m->fmts[i].name, "H264")
            && ngx_rtc_sdp_fmtp_param(&m->fmts[i].fmtp, "packetization-mode",
                                      &v)
               == NGX_OK
            && v.len <= 8)
        {
            p = ngx_slprintf(p, last, " (packetization-mode=%V)", &v);
        }
    }

    if (m->nfmts == 0) {
        p = ngx_slprintf(p, last, " no codecs");
    }

    neg->reason.data = buf;
    neg->reason.len = p - buf;
}
