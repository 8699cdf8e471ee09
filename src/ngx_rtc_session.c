/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_dtls.h>
#include <ngx_rtc_srtp.h>
#include <ngx_rtc_send.h>
#include <ngx_rtc_rtp.h>
#include <ngx_rtc_negotiate.h>
#include <ngx_rtc_catchup.h>
#include <openssl/rand.h>

#if (NGX_LINUX) && defined(__GLIBC__)
#include <malloc.h>
#define NGX_RTC_SESSION_TRIM  1
#endif


#if (NGX_RTC_SESSION_HISTORY > NGX_RTC_SRTP_TX_WINDOW)
#error "a NACKed packet must be within the SRTP window of what we send"
#endif


/*
 * One viewer's peer connection: the codec choice and the answer, then
 * ICE -> DTLS -> SRTP media.  It ties the layers together and owns the
 * order in which they are torn down.
 */


#define NGX_RTC_SESSION_CONNECT_TIMEOUT  30000
#define NGX_RTC_SESSION_RTCP_INTERVAL    1000
#define NGX_RTC_SESSION_SILENCE          20000

/* a worker that had at least this many sessions trims at half of them */
#define NGX_RTC_SESSION_TRIM_MIN         16

/*
 * A trim is this long after the last join or leave that asks for one,
 * and at most this long after the first: one trim a burst
 */
#define NGX_RTC_SESSION_TRIM_DELAY       1000
#define NGX_RTC_SESSION_TRIM_WAIT        10000

/*
 * The retransmission budget: a burst of this many packets, refilled at
 * this many a second.  A viewer that lost a burst NACKs all of it, and
 * resending it all at once would make the same burst again.
 */
#define NGX_RTC_SESSION_RTX_BURST        64
#define NGX_RTC_SESSION_RTX_RATE         500


static ngx_uint_t ngx_rtc_session_audio_codec(ngx_rtc_stream_t *st);
static ngx_int_t ngx_rtc_session_ssrcs(ngx_rtc_session_t *s);
static u_char *ngx_rtc_session_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static void ngx_rtc_session_recv(void *data, u_char *buf, size_t len);
static void ngx_rtc_session_rtcp(ngx_rtc_session_t *s, u_char *buf,
    size_t len);
static void ngx_rtc_session_report(ngx_rtc_session_t *s,
    ngx_rtc_rtcp_rb_t *rb);
static void ngx_rtc_session_retransmit(ngx_rtc_session_t *s,
    ngx_rtc_rtcp_info_t *info);
static void ngx_rtc_session_key_request(ngx_rtc_session_t *s);
static void ngx_rtc_session_ice_state(void *data, ngx_uint_t state);
static ngx_int_t ngx_rtc_session_dtls_send(void *data, u_char *buf,
    size_t len);
static void ngx_rtc_session_dtls_arm(ngx_rtc_session_t *s);
static void ngx_rtc_session_dtls_timer(ngx_event_t *ev);
static void ngx_rtc_session_media(ngx_rtc_session_t *s);
static void ngx_rtc_session_send_video(ngx_rtc_session_t *s,
    ngx_rtc_packets_t *pk);
static void ngx_rtc_session_send_audio(ngx_rtc_session_t *s,
    ngx_rtc_packets_t *pk);
static void ngx_rtc_session_rtcp_timer(ngx_event_t *ev);
static void ngx_rtc_session_sender_reports(ngx_rtc_session_t *s);
static void ngx_rtc_session_rtcp_arm(ngx_rtc_session_t *s);
static void ngx_rtc_session_sr(ngx_rtc_session_t *s,
    ngx_rtc_session_track_t *t);
static void ngx_rtc_session_stats(ngx_rtc_session_t *s);
static void ngx_rtc_session_fail(ngx_rtc_session_t *s, const char *why);
static void ngx_rtc_session_close_handler(ngx_event_t *ev);
static void ngx_rtc_session_trim(void);
static void ngx_rtc_session_trim_later(void);
static void ngx_rtc_session_trim_handler(ngx_event_t *ev);


static ngx_str_t  ngx_rtc_session_cname = ngx_string("nginx-rtc");

/* the worker's sessions, and the most of them since the heap was trimmed */
static ngx_uint_t  ngx_rtc_session_n;
static ngx_uint_t  ngx_rtc_session_peak;

/* the trim to come (ngx_rtc_session_trim_later()), asked for first then */
static ngx_event_t  ngx_rtc_session_trim_ev;
static ngx_msec_t   ngx_rtc_session_trim_asked;


ngx_int_t
ngx_rtc_session_id(u_char *id)
{
    if (RAND_bytes(id, NGX_RTC_ID_LEN) != 1) {
        return NGX_ERROR;
    }

    /* the last two bytes name the owner's worker slot */
    id[NGX_RTC_ID_LEN - 2] = (u_char) (ngx_worker >> 8);
    id[NGX_RTC_ID_LEN - 1] = (u_char) ngx_worker;

    return NGX_OK;
}


ngx_rtc_session_t *
ngx_rtc_session_create(ngx_rtc_stream_t *st, u_char *id, ngx_rtc_sdp_t *offer,
    ngx_pool_t *pool, ngx_rtc_session_result_t *res)
{
    u_char                    *p, *reason;
    ngx_str_t                 *cand;
    ngx_uint_t                 i;
    ngx_pool_t                *spool;
    ngx_array_t                cands;
    ngx_rtc_ice_conf_t         ic;
    ngx_rtc_session_t         *s;
    ngx_rtc_sdp_media_t       *m;
    ngx_rtc_main_conf_t       *rmcf;
    ngx_rtc_sdp_answer_t      *ans;
    ngx_rtc_negotiate_t        neg;
    ngx_rtc_negotiate_conf_t   nc;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    ans = ngx_pcalloc(pool, sizeof(ngx_rtc_sdp_answer_t));
    reason = ngx_pnalloc(pool, 512);

    if (ans == NULL || reason == NULL) {
        goto internal;
    }

    nc.name = st->conf->name;
    nc.video = st->sh->codec;
    nc.profile = (nc.video == NGX_RTC_CODEC_H265)
                 ? ngx_rtc_stream_profile(st) : -1;
    nc.audio = ngx_rtc_session_audio_codec(st);

    if (ngx_rtc_negotiate(&nc, offer, ans, &neg, reason, 512) != NGX_OK) {
        res->status = neg.status;
        res->reason = neg.reason;
        return NULL;
    }

    if (neg.audio == NGX_RTC_NEGOTIATE_NONE && neg.audio_offered
        && nc.audio != NGX_RTC_CODEC_NONE)
    {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc session: the offer lacks %s/%ui, the audio of "
                      "stream \"%V\": video only",
                      ngx_rtc_negotiate_codec_name(nc.audio),
                      (ngx_uint_t) (nc.audio == NGX_RTC_CODEC_OPUS
                                    ? 48000 : 8000),
                      &st->conf->name);
    }

    m = &offer->media[neg.transport];

    /* the session is the pool's one (large) allocation */
    spool = ngx_create_pool(256, ngx_cycle->log);
    if (spool == NULL) {
        goto internal;
    }

    s = ngx_pcalloc(spool, sizeof(ngx_rtc_session_t));
    if (s == NULL) {
        ngx_destroy_pool(spool);
        goto internal;
    }

    s->pool = spool;
    s->stream = st;
    ngx_memcpy(s->id, id, NGX_RTC_ID_LEN);
    ngx_hex_dump(s->hex, id, NGX_RTC_ID_LEN);

    s->log = *ngx_cycle->log;
    s->log.handler = ngx_rtc_session_log_error;
    s->log.data = s;
    spool->log = &s->log;

    s->state = NGX_RTC_SESSION_NEW;
    s->last_rtcp = ngx_current_msec;
    s->rtt = -1;

    s->video.active = 1;
    s->video.pt = neg.video_pt;
    s->video.clock = 90000;

    if (neg.audio != NGX_RTC_NEGOTIATE_NONE) {
        s->audio.active = 1;
        s->audio.pt = neg.audio_pt;
        s->audio.clock = (nc.audio == NGX_RTC_CODEC_OPUS) ? 48000 : 8000;
    }

    if (ngx_rtc_session_ssrcs(s) != NGX_OK) {
        goto failed;
    }

    ans->media[neg.video].ssrc = s->video.ssrc;

    if (s->audio.active) {
        ans->media[neg.audio].ssrc = s->audio.ssrc;
    }

#if (NGX_RTC_SDP_RTX)

    if (neg.rtx_pt != NGX_RTC_NEGOTIATE_NONE) {
        s->rtx = 1;
        s->rtx_pt = neg.rtx_pt;
        ans->media[neg.video].rtx_pt = neg.rtx_pt;
        ans->media[neg.video].rtx_ssrc = s->rtx_ssrc;
    }

#endif

    s->dtls_timer.handler = ngx_rtc_session_dtls_timer;
    s->dtls_timer.data = s;
    s->dtls_timer.log = &s->log;
    s->dtls_timer.cancelable = 1;

    s->rtcp_timer.handler = ngx_rtc_session_rtcp_timer;
    s->rtcp_timer.data = s;
    s->rtcp_timer.log = &s->log;
    s->rtcp_timer.cancelable = 1;

    s->close_ev.handler = ngx_rtc_session_close_handler;
    s->close_ev.data = s;
    s->close_ev.log = &s->log;
    s->close_ev.cancelable = 1;

    /* ICE, controlled: the browser nominates */

    ngx_memzero(&ic, sizeof(ngx_rtc_ice_conf_t));
    ic.recv = ngx_rtc_session_recv;
    ic.state = ngx_rtc_session_ice_state;
    ic.data = s;
    ic.port_min = rmcf->port_min;
    ic.port_max = rmcf->port_max;
    ic.candidates = rmcf->candidates;
    ic.servers = rmcf->ice_servers;
    ic.tcp = rmcf->ice_tcp;
    ic.acl = rmcf->ice_acl;
    ic.log = &s->log;

    s->ice = ngx_rtc_ice_create(&ic);
    if (s->ice == NULL) {
        goto failed;
    }

    s->send.ice = s->ice;
    s->send.log = &s->log;

    if (ngx_rtc_ice_remote(s->ice, &m->ice_ufrag, &m->ice_pwd, m->cands,
                           m->ncands)
        != NGX_OK)
    {
        res->status = NGX_HTTP_BAD_REQUEST;
        ngx_str_set(&res->reason, "the offer's ICE candidates are invalid");
        goto failed;
    }

    s->dtls = ngx_rtc_dtls_create(rmcf->dtls, &m->fp_alg, &m->fp_value,
                                  ngx_rtc_session_dtls_send, s, &s->log);
    if (s->dtls == NULL) {

        /* an unusable a=fingerprint is the offer's fault, not ours */

        res->status = NGX_HTTP_BAD_REQUEST;
        ngx_str_set(&res->reason, "the offer's DTLS fingerprint is invalid");
        goto failed;
    }

    if (ngx_array_init(&cands, pool, 8, sizeof(ngx_str_t)) != NGX_OK) {
        goto failed;
    }

    if (ngx_rtc_ice_local(s->ice, pool, &ans->ice_ufrag, &ans->ice_pwd,
                          &cands)
        != NGX_OK)
    {
        goto failed;
    }

    cand = cands.elts;

    for (i = 0; i < cands.nelts && i < NGX_RTC_SDP_MAX_CAND; i++) {
        ans->cands[ans->ncands++] = cand[i];
    }

    ans->fingerprint = *ngx_rtc_dtls_fingerprint(rmcf->dtls);
    ans->cname = ngx_rtc_session_cname;
    ans->msid = st->conf->name;
    RAND_bytes((u_char *) &ans->session_id, sizeof(uint64_t));
    ans->session_id &= 0x7fffffffffffffffULL;

    res->answer.data = ngx_pnalloc(pool, NGX_RTC_SDP_MAX_ANSWER);
    if (res->answer.data == NULL) {
        goto failed;
    }

    p = ngx_rtc_sdp_write_answer(res->answer.data,
                                 res->answer.data + NGX_RTC_SDP_MAX_ANSWER,
                                 ans);
    if (p == NULL) {
        goto failed;
    }

    res->answer.len = p - res->answer.data;

    s->sh = ngx_rtc_shm_session_find(id);
    if (s->sh == NULL) {
        goto failed;
    }

    s->sh->video_codec = (uint32_t) nc.video;
    s->sh->audio_codec = s->audio.active ? (uint32_t) nc.audio
                                         : NGX_RTC_CODEC_NONE;
    ngx_rtc_session_stats(s);

    ngx_rtc_stream_attach(st, s);

    if (++ngx_rtc_session_n > ngx_rtc_session_peak) {
        ngx_rtc_session_peak = ngx_rtc_session_n;
    }

    ngx_add_timer(&s->close_ev, NGX_RTC_SESSION_CONNECT_TIMEOUT);

    if (s->audio.active) {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                      "rtc session created, %s pt %ui%s, %s pt %ui",
                      ngx_rtc_negotiate_codec_name(nc.video), s->video.pt,
                      s->rtx ? " with rtx" : "",
                      ngx_rtc_negotiate_codec_name(nc.audio), s->audio.pt);

    } else {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                      "rtc session created, %s pt %ui%s, no audio",
                      ngx_rtc_negotiate_codec_name(nc.video), s->video.pt,
                      s->rtx ? " with rtx" : "");
    }

    return s;

failed:

    if (s->dtls) {
        ngx_rtc_dtls_free(s->dtls);
    }

    if (s->ice) {
        ngx_rtc_ice_destroy(s->ice);
    }

    ngx_destroy_pool(spool);

internal:

    if (res->status == 0) {
        res->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&res->reason, "cannot create a session");
    }

    return NULL;
}


/*
 * The audio codec viewers get: the camera's, unless the configuration
 * turns audio off; AAC only as Opus (audio=opus transcodes it), browsers
 * do not decode AAC over RTP.
 */

static ngx_uint_t
ngx_rtc_session_audio_codec(ngx_rtc_stream_t *st)
{
    ngx_uint_t  codec, clock;

    codec = st->sh->audio_codec;

    if (st->conf->audio == NGX_RTC_AUDIO_OFF) {
        return NGX_RTC_CODEC_NONE;
    }

    if (codec == NGX_RTC_CODEC_AAC) {

        if (st->conf->audio == NGX_RTC_AUDIO_OPUS) {
            return NGX_RTC_CODEC_OPUS;
        }

        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc session: stream \"%V\" has AAC audio, which "
                      "browsers cannot take; \"audio=opus\" transcodes it: "
                      "video only", &st->conf->name);

        return NGX_RTC_CODEC_NONE;
    }

    switch (codec) {

    case NGX_RTC_CODEC_PCMA:
    case NGX_RTC_CODEC_PCMU:
        clock = 8000;
        break;

    case NGX_RTC_CODEC_OPUS:
        clock = 48000;
        break;

    default:
        return NGX_RTC_CODEC_NONE;
    }

    /* the frames' timestamps count at the rate the answer names */

    if (st->sh->audio_clock && st->sh->audio_clock != clock) {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc session: stream \"%V\" has %s audio at %ui Hz, "
                      "not %ui: video only", &st->conf->name,
                      ngx_rtc_negotiate_codec_name(codec),
                      st->sh->audio_clock, clock);

        return NGX_RTC_CODEC_NONE;
    }

    return codec;
}


/*
 * Random, distinct SSRCs (RFC 3550 8.1), initial sequence numbers and
 * timestamp offsets (5.1).
 */

static ngx_int_t
ngx_rtc_session_ssrcs(ngx_rtc_session_t *s)
{
    uint32_t  r[8];

    do {
        if (RAND_bytes((u_char *) r, sizeof(r)) != 1) {
            return NGX_ERROR;
        }

    } while (r[0] == r[1] || r[0] == r[2] || r[1] == r[2]);

    s->video.ssrc = r[0];
    s->audio.ssrc = r[1];
    s->rtx_ssrc = r[2];
    s->video.seq = (uint16_t) r[3];
    s->audio.seq = (uint16_t) (r[3] >> 16);
    s->rtx_seq = (uint16_t) r[4];
    s->video.ts_offset = r[5];
    s->audio.ts_offset = r[6];

    return NGX_OK;
}


static u_char *
ngx_rtc_session_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    ngx_rtc_session_t *s = log->data;

    return ngx_snprintf(buf, len, ", stream: \"%V\", session: %*s",
                        &s->stream->conf->name, (size_t) 2 * NGX_RTC_ID_LEN,
                        s->hex);
}


static void
ngx_rtc_session_ice_state(void *data, ngx_uint_t state)
{
    ngx_rtc_session_t *s = data;

    if (s->closing) {
        return;
    }

    if (state == NGX_RTC_ICE_FAILED) {
        ngx_rtc_session_fail(s, "ICE failed");
        return;
    }

    if (state == NGX_RTC_ICE_CONNECTED
        && s->state == NGX_RTC_SESSION_NEW)
    {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0, "rtc session ICE connected");

        s->state = NGX_RTC_SESSION_CONNECTED;
        ngx_rtc_shm_session_state(s->id, s->state);

        /*
         * the browser's ClientHello may have come with its successful
         * check, before our pair was selected: the answer goes now
         */

        if (s->dtls) {
            ngx_rtc_dtls_resume(s->dtls);
        }
    }
}


static void
ngx_rtc_session_recv(void *data, u_char *buf, size_t len)
{
    ngx_rtc_session_t *s = data;

    ngx_int_t  rc;

    if (s->closing) {
        return;
    }

    if (ngx_rtc_dtls_is_dtls(buf, len)) {
        rc = ngx_rtc_dtls_input(s->dtls, buf, len);

        if (rc == NGX_ERROR) {
            ngx_rtc_session_fail(s, ngx_rtc_dtls_peer_closed(s->dtls)
                                    ? "peer closed" : "DTLS failed");
            return;
        }

        if (rc == NGX_DONE) {
            ngx_rtc_session_media(s);
        }

        ngx_rtc_session_dtls_arm(s);
        return;
    }

    if (s->srtp == NULL || len < 8 || (buf[0] & 0xc0) != 0x80) {
        return;
    }

    if (!ngx_rtc_rtp_is_rtcp(buf, len)) {
        return;
    }

    if (ngx_rtc_srtp_unprotect_rtcp(s->srtp, buf, &len) != NGX_OK) {
        return;
    }

    /* the viewer has the keys: DTLS needs no more than the close_notify */

    if (!ngx_rtc_dtls_released(s->dtls)) {
        ngx_rtc_dtls_release(s->dtls);

        if (ngx_rtc_dtls_released(s->dtls)) {
            /* OpenSSL's buffers, freed: back to the kernel with the others */
            ngx_rtc_session_trim_later();
        }
    }

    s->last_rtcp = ngx_current_msec;

    ngx_rtc_session_rtcp(s, buf, len);
}


/* the viewer's RTCP: reports, NACK, PLI, FIR (RFC 3550, 4585, 5104) */

static void
ngx_rtc_session_rtcp(ngx_rtc_session_t *s, u_char *buf, size_t len)
{
    ngx_uint_t           i;
    ngx_rtc_rtcp_info_t  info;

    if (ngx_rtc_rtcp_parse(buf, len, &info) != NGX_OK) {
        return;
    }

    for (i = 0; i < info.nrb; i++) {
        ngx_rtc_session_report(s, &info.rb[i]);
    }

    if (s->state != NGX_RTC_SESSION_MEDIA) {
        return;
    }

    if (info.nnack && info.nack_ssrc == s->video.ssrc) {
        ngx_rtc_session_retransmit(s, &info);
    }

    if ((info.pli || info.fir) && info.pli_ssrc == s->video.ssrc) {

        if (info.fir && !info.pli) {

            /*
             * RFC 5104 4.3.1.2: a FIR with the sequence number of the
             * last one is that request again, already answered
             */

            if (s->fir && info.fir_seq == s->fir_seq) {
                s->key_requests++;
                return;
            }

            s->fir = 1;
            s->fir_seq = info.fir_seq;
        }

        ngx_rtc_session_key_request(s);
    }
}


/*
 * A report block on one of our streams.  RTT (RFC 3550 6.4.1): the time
 * since we sent the SR whose NTP time the block echoes in LSR, less the
 * viewer's delay since it received that SR (DLSR, 1/65536 s).
 */

static void
ngx_rtc_session_report(ngx_rtc_session_t *s, ngx_rtc_rtcp_rb_t *rb)
{
    ngx_int_t                 rtt;
    ngx_uint_t                i;
    ngx_rtc_session_track_t  *t;

    if (rb->ssrc == s->video.ssrc) {
        t = &s->video;

    } else if (s->audio.active && rb->ssrc == s->audio.ssrc) {
        t = &s->audio;

    } else {
        return;
    }

    t->fraction_lost = rb->fraction_lost;
    t->cumulative_lost = rb->cumulative_lost;
    t->jitter = rb->jitter;

    if (rb->lsr == 0) {
        return;
    }

    for (i = 0; i < NGX_RTC_SESSION_SRS; i++) {
        if (t->sr[i].lsr != rb->lsr || t->sr[i].sent == 0) {
            continue;
        }

        rtt = (ngx_int_t) (ngx_current_msec - t->sr[i].sent)
              - (ngx_int_t) (((uint64_t) rb->dlsr * 1000) >> 16);

        s->rtt = ngx_max(rtt, 0);
        return;
    }
}


/*
 * Generic NACK (RFC 4585 6.2.1).  The history maps our sequence numbers
 * to the ring frame and the packet's index in it: the frame is read and
 * packetized again (once for a run of packets of one frame, the worker
 * keeps the last one packetized), and the packet goes out as it went
 * first, or inside an RTX packet (RFC 4588 4) with its sequence number in
 * front.  A frame already overwritten in the ring is not resent.
 */

static void
ngx_rtc_session_retransmit(ngx_rtc_session_t *s, ngx_rtc_rtcp_info_t *info)
{
    u_char                  *p;
    size_t                   n;
    uint16_t                 seq;
    uint64_t                 frame;
    ngx_uint_t               i, marker;
    ngx_msec_t               elapsed;
    ngx_rtc_packets_t       *pk;
    ngx_rtc_session_sent_t  *e;

    elapsed = ngx_current_msec - s->rtx_last;
    s->rtx_last = ngx_current_msec;

    if (elapsed > 1000) {
        elapsed = 1000;
    }

    s->rtx_credit += (ngx_int_t) (elapsed * NGX_RTC_SESSION_RTX_RATE / 1000);

    if (s->rtx_credit > NGX_RTC_SESSION_RTX_BURST) {
        s->rtx_credit = NGX_RTC_SESSION_RTX_BURST;
    }

    for (i = 0; i < info->nnack; i++) {
        seq = info->nack[i];
        e = &s->sent[seq % NGX_RTC_SESSION_HISTORY];

        s->nacks++;

        if (e->frame == 0 || e->seq != seq) {
            continue;
        }

        /*
         * A packet goes again at most once per round trip: a viewer that
         * falls behind repeats its NACKs, and resending each repeat would
         * multiply the load that made it fall behind.
         */

        if (e->resent
            && (uint32_t) ngx_current_msec - e->resent
               < (uint32_t) ngx_max(s->rtt > 0 ? s->rtt : 100, 20))
        {
            continue;
        }

        /* over the budget: the viewer asks again if it still needs it */

        if (s->rtx_credit <= 0) {
            s->rtx_skipped++;
            continue;
        }

        s->rtx_credit--;

        e->resent = (uint32_t) ngx_current_msec ? (uint32_t) ngx_current_msec
                                                : 1;

        /* the history keeps a frame's low 32 bits: no older than the last */

        frame = s->video_frame - (uint32_t) ((uint32_t) s->video_frame
                                             - e->frame);

        pk = ngx_rtc_stream_packets(s->stream, frame);

        if (pk == NULL || e->index >= pk->npkts) {
            continue;
        }

        marker = (e->index == pk->npkts - 1);
        n = pk->len[e->index];

        p = ngx_rtc_send_buf(&s->send);

        if (p == NULL) {
            /* the viewer's socket is full: it will ask again */
            break;
        }

        if (s->rtx) {
            ngx_rtc_rtp_write_header(p, s->rtx_pt, marker, s->rtx_seq++,
                                     e->ts, s->rtx_ssrc);

            /* OSN: the original sequence number */
            p[12] = (u_char) (seq >> 8);
            p[13] = (u_char) seq;

            ngx_memcpy(p + 14, pk->data + e->index * NGX_RTC_MTU, n);
            n += 14;

        } else {
            ngx_rtc_rtp_write_header(p, s->video.pt, marker, seq, e->ts,
                                     s->video.ssrc);
            ngx_memcpy(p + 12, pk->data + e->index * NGX_RTC_MTU, n);
            n += 12;
        }

        if (ngx_rtc_send_add(&s->send, n) == NGX_OK) {
            s->retransmits++;
        }
    }

    (void) ngx_rtc_send_flush(&s->send, 0);
}


/*
 * PLI (RFC 4585 6.3.1) or FIR (RFC 5104 4.3.1): the viewer cannot decode
 * until a keyframe.  It gets the newest one in the ring and the frames
 * after it, paced, as a new viewer does: when, ngx_rtc_pace_key_request()
 * says (at most every 500 ms; during a catch-up, starting it again).
 */

static void
ngx_rtc_session_key_request(ngx_rtc_session_t *s)
{
    s->key_requests++;

    if (ngx_rtc_pace_key_request(s->catching_up ? &s->pace : NULL,
                                 ngx_current_msec, s->last_jump,
                                 s->catchup_again)
        != NGX_OK)
    {
        return;
    }

    if (ngx_rtc_pace_budget(&s->keys, ngx_current_msec,
                            NGX_RTC_PACE_KEY_CATCHUPS, NGX_RTC_PACE_KEY_WINDOW)
        != NGX_OK)
    {

        /* nothing it cannot decode until the camera's next keyframe */

        if (!s->catching_up) {
            s->wait_key = 1;
        }

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &s->log, 0,
                       "rtc session keyframe request: no catch-up left, "
                       "the next keyframe");
        return;
    }

    if (s->catching_up) {
        ngx_rtc_catchup_stop(s);
        s->catchup_again = 1;

    } else {
        s->catchup_again = 0;
    }

    /* at most NGX_RTC_PACE_KEY_CATCHUPS lines a window */

    ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                  "rtc session keyframe request: again from the newest "
                  "keyframe");

    s->last_jump = ngx_current_msec;

    ngx_rtc_catchup_start(s);
}


static ngx_int_t
ngx_rtc_session_dtls_send(void *data, u_char *buf, size_t len)
{
    ngx_rtc_session_t *s = data;

    /* NGX_AGAIN before ICE has a pair: the flight waits for it */

    return ngx_rtc_ice_send(s->ice, buf, len);
}


static void
ngx_rtc_session_dtls_arm(ngx_rtc_session_t *s)
{
    ngx_msec_t  t;

    if (s->closing || s->dtls == NULL) {
        return;
    }

    t = (s->srtp == NULL) ? ngx_rtc_dtls_timeout(s->dtls) : 0;

    if (t) {
        ngx_add_timer(&s->dtls_timer, t);

    } else if (s->dtls_timer.timer_set) {
        ngx_del_timer(&s->dtls_timer);
    }
}


static void
ngx_rtc_session_dtls_timer(ngx_event_t *ev)
{
    ngx_rtc_session_t *s = ev->data;

    if (ngx_rtc_dtls_handle_timeout(s->dtls) == NGX_ERROR) {
        ngx_rtc_session_fail(s, "DTLS timed out");
        return;
    }

    ngx_rtc_session_dtls_arm(s);
}


static void
ngx_rtc_session_media(ngx_rtc_session_t *s)
{
    ngx_rtc_srtp_keys_t    keys;
    ngx_rtc_dtls_stats_t  *st;

    if (ngx_rtc_dtls_srtp_keys(s->dtls, &keys) != NGX_OK) {
        ngx_rtc_session_fail(s, "no DTLS-SRTP keys");
        return;
    }

    s->srtp = ngx_rtc_srtp_create(&keys, &s->log);
    s->srtp_profile = keys.profile;
    s->send.srtp = s->srtp;

    ngx_explicit_memzero(&keys, sizeof(ngx_rtc_srtp_keys_t));

    if (s->srtp == NULL) {
        ngx_rtc_session_fail(s, "SRTP setup failed");
        return;
    }

    st = ngx_rtc_dtls_stats(s->dtls);

    ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                  "rtc session media starts, DTLS: ClientHellos: %ui, "
                  "flights held for ICE: %ui, resent by the timer: %ui",
                  st->hellos, st->held, st->timeouts);

    s->state = NGX_RTC_SESSION_MEDIA;
    s->last_rtcp = ngx_current_msec;
    ngx_rtc_shm_session_state(s->id, s->state);

    /* only now does the fan-out walk this session */
    ngx_rtc_stream_activate(s->stream, s);

    if (s->close_ev.timer_set) {
        ngx_del_timer(&s->close_ev);
    }

    s->report_due = ngx_current_msec + NGX_RTC_SESSION_RTCP_INTERVAL;
    ngx_rtc_session_rtcp_arm(s);

    /* the catch-up does not count against the keyframe requests' limit */
    s->last_jump = ngx_current_msec - NGX_RTC_PACE_KEY_INTERVAL;

    s->rtx_credit = NGX_RTC_SESSION_RTX_BURST;
    s->rtx_last = ngx_current_msec;

    ngx_rtc_catchup_start(s);

    ngx_rtc_session_trim_later();
}


/* a frame packetized by the stream: each session sends its own copy */

void
ngx_rtc_session_send(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk)
{
    if (s->state != NGX_RTC_SESSION_MEDIA || s->closing || pk->npkts == 0) {
        return;
    }

    if (pk->frame.track == NGX_RTC_TRACK_VIDEO) {

        /*
         * the catch-up sends it, from the ring, when it gets there; it
         * may have sent the frame the fan-out is giving out in turns
         */

        if (!s->catching_up && pk->frame.seq > s->video_frame) {
            ngx_rtc_session_send_video(s, pk);
        }

    } else if (s->audio.active) {
        ngx_rtc_session_send_audio(s, pk);
    }

    if ((ngx_msec_int_t) (ngx_current_msec - s->report_due) >= 0) {
        /* the SRs ride on a frame: no wake-up of their own */
        ngx_rtc_session_sender_reports(s);
    }
}


static void
ngx_rtc_session_send_video(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk)
{
    uint32_t                  ts;
    ngx_uint_t                i;
    ngx_rtc_session_track_t  *t;

    t = &s->video;

    if (s->send.lost) {
        /* a frame queued in a fan-out found the socket full */
        s->send.lost = 0;
        s->wait_key = 1;
    }

    if (s->wait_key) {
        if (!(pk->frame.flags & NGX_RTC_FRAME_KEY)) {
            return;
        }

        s->wait_key = 0;
    }

    if (s->rebase) {
        s->rebase = 0;
        t->ts_offset = t->last_ts + NGX_RTC_SESSION_TS_STEP - pk->frame.rtp_ts;
    }

    ts = pk->frame.rtp_ts + t->ts_offset;

    /*
     * The frame's packets go out together (ngx_rtc_send.c).  When the
     * viewer's socket is full, the rest of the frame is dropped, and the
     * frames that would refer to it, until the next keyframe.  Nothing
     * queues up for a slow viewer.
     */

    for (i = 0; i < pk->npkts; i++) {
        if (ngx_rtc_session_send_packet(s, pk, i, ts) == NGX_AGAIN) {
            s->send.drops += pk->npkts - i;
            break;
        }
    }

    /* once the frame is with the kernel, its send delay counts */

    if (ngx_rtc_send_flush(&s->send, pk->frame.arrival) == NGX_AGAIN) {
        s->wait_key = 1;
    }

    t->last_capture = pk->frame.capture;
    t->last_ts = ts;
}


/*
 * Packet i of a video frame, with timestamp ts, into the session's send
 * batch (ngx_rtc_send.c; the caller flushes it): NGX_AGAIN when the
 * viewer's socket is full.
 */

ngx_int_t
ngx_rtc_session_send_packet(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk,
    ngx_uint_t i, uint32_t ts)
{
    u_char                   *p;
    size_t                    n;
    ngx_rtc_session_sent_t   *e;
    ngx_rtc_session_track_t  *t;

    t = &s->video;
    n = pk->len[i];

    p = ngx_rtc_send_buf(&s->send);

    if (p == NULL) {
        return NGX_AGAIN;
    }

    /* what a NACK needs to make this packet again */

    s->video_frame = pk->frame.seq;

    e = &s->sent[t->seq % NGX_RTC_SESSION_HISTORY];
    e->frame = (uint32_t) pk->frame.seq;
    e->ts = ts;
    e->seq = t->seq;
    e->index = (uint16_t) i;
    e->resent = 0;

    ngx_rtc_rtp_write_header(p, t->pt, i == pk->npkts - 1, t->seq++,
                             ts, t->ssrc);
    ngx_memcpy(p + 12, pk->data + i * NGX_RTC_MTU, n);

    (void) ngx_rtc_send_add(&s->send, 12 + n);

    t->packets++;
    t->octets += n;

    return NGX_OK;
}


/* one audio frame, one packet: Opus, PCMA, PCMU as they are (no marker) */

static void
ngx_rtc_session_send_audio(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk)
{
    u_char                   *p;
    size_t                    n;
    uint32_t                  ts;
    ngx_int_t                 rc;
    ngx_rtc_session_track_t  *t;

    t = &s->audio;

    p = ngx_rtc_send_buf(&s->send);

    if (p == NULL) {
        s->send.drops++;
        return;
    }

    ts = pk->frame.rtp_ts + t->ts_offset;
    n = pk->len[0];

    ngx_rtc_rtp_write_header(p, t->pt, 0, t->seq++, ts, t->ssrc);
    ngx_memcpy(p + 12, pk->data, n);

    (void) ngx_rtc_send_add(&s->send, 12 + n);

    /* an audio packet dropped costs the video no keyframe wait */

    s->send.audio = 1;
    rc = ngx_rtc_send_flush(&s->send, pk->frame.arrival);
    s->send.audio = 0;

    if (rc != NGX_OK) {
        return;
    }

    t->packets++;
    t->octets += n;
    t->last_capture = pk->frame.capture;
    t->last_ts = ts;
}


/*
 * RTCP sender reports (RFC 3550, 6.4.1), the numbers of /rtc/status and
 * the peer's liveness.  The reports go once a second with a frame the
 * session sends (ngx_rtc_session_send()): a timer of their own woke the
 * worker once a second for each session, ~25 wake-ups a second a worker
 * at 50 viewers, each of them costly on a host with kernel page-table
 * isolation.  The timer is left the liveness check and the reports of a
 * stream that sends no frames; it is due on the second of the worker's
 * clock, the same for all the worker's sessions: one wake-up a second for
 * them all.
 */

static void
ngx_rtc_session_rtcp_timer(ngx_event_t *ev)
{
    ngx_rtc_session_t *s = ev->data;

    if ((ngx_msec_int_t) (ngx_current_msec - s->last_rtcp)
        > NGX_RTC_SESSION_SILENCE)
    {
        ngx_rtc_session_fail(s, "peer silent");
        return;
    }

    if ((ngx_msec_int_t) (ngx_current_msec - s->report_due)
        >= NGX_RTC_SESSION_RTCP_INTERVAL)
    {
        /* no frame for a second */
        ngx_rtc_session_sender_reports(s);
    }

    ngx_rtc_session_rtcp_arm(s);
}


static void
ngx_rtc_session_rtcp_arm(ngx_rtc_session_t *s)
{
    ngx_add_timer(&s->rtcp_timer, NGX_RTC_SESSION_RTCP_INTERVAL
                                  - ngx_current_msec
                                    % NGX_RTC_SESSION_RTCP_INTERVAL);
}


static void
ngx_rtc_session_sender_reports(ngx_rtc_session_t *s)
{
    s->report_due = ngx_current_msec + NGX_RTC_SESSION_RTCP_INTERVAL;

    ngx_rtc_session_sr(s, &s->video);

    if (s->audio.active) {
        ngx_rtc_session_sr(s, &s->audio);
    }

    ngx_rtc_session_stats(s);

    /*
     * no GLib sync here: a send through libnice (TCP, TURN) syncs the
     * agent's own loop (ngx_rtc_ice_send())
     */
}


/*
 * The SR maps the RTP timestamp of the last frame sent to its capture
 * time, on the wall clock both tracks share: the viewer lines audio and
 * video up with it.  The SR's send time is kept for the RTT.
 */

static void
ngx_rtc_session_sr(ngx_rtc_session_t *s, ngx_rtc_session_track_t *t)
{
    u_char                 buf[NGX_RTC_MTU + 256];
    size_t                 n;
    int64_t                capture;
    uint64_t               ntp;
    ngx_time_t            *tp;
    ngx_rtc_session_sr_t  *sr;

    /*
     * none while the video catches up: its timestamps are compressed and
     * no longer map to the frames' capture times until the live edge
     */

    if (t->packets == 0 || (t == &s->video && s->catching_up)) {
        return;
    }

    capture = t->last_capture;

    if (capture <= 0) {
        tp = ngx_timeofday();
        capture = (int64_t) tp->sec * 1000000 + tp->msec * 1000;
    }

    ntp = ngx_rtc_rtcp_ntp((uint64_t) capture);

    n = ngx_rtc_rtcp_write_sr(buf, t->ssrc, ntp, t->last_ts, t->packets,
                              t->octets);
    n += ngx_rtc_rtcp_write_sdes(buf + n, 256, t->ssrc,
                                 &ngx_rtc_session_cname);

    if (ngx_rtc_srtp_protect_rtcp(s->srtp, buf, &n, sizeof(buf))
        != NGX_OK)
    {
        return;
    }

    if (ngx_rtc_ice_send(s->ice, buf, n) != NGX_OK) {
        return;
    }

    sr = &t->sr[t->nsr++ % NGX_RTC_SESSION_SRS];
    sr->lsr = (uint32_t) (ntp >> 16);
    sr->sent = ngx_current_msec;
}


/* the numbers /rtc/status shows */

static void
ngx_rtc_session_stats(ngx_rtc_session_t *s)
{
    ngx_int_t              lost;
    ngx_rtc_session_sh_t  *sh;

    sh = s->sh;

    lost = s->video.cumulative_lost + s->audio.cumulative_lost;

    sh->packets_sent = s->send.packets;
    sh->bytes_sent = s->send.bytes;
    sh->packets_lost = (uint32_t) ngx_max(lost, 0);
    sh->fraction_lost = (uint32_t) s->video.fraction_lost;
    sh->jitter_ms = (uint32_t) ((uint64_t) s->video.jitter * 1000
                                / s->video.clock);
    sh->rtt_ms = (int32_t) s->rtt;
    sh->nacks = (uint32_t) s->nacks;
    sh->retransmits = (uint32_t) s->retransmits;
    sh->key_requests = (uint32_t) s->key_requests;
    sh->drops = (uint32_t) s->send.drops;
    sh->send_path = (uint32_t) s->send.path;
    sh->send_calls = s->send.calls;
    sh->srtp_profile = (uint32_t) (s->srtp ? s->srtp_profile : 0);
    sh->dtls_released = (uint32_t) (s->dtls
                                    ? ngx_rtc_dtls_released(s->dtls) : 0);

    if (s->ice) {
        ngx_rtc_ice_pair(s->ice, &sh->ice_local, &sh->ice_remote,
                         &sh->ice_tcp);
    }
}


/*
 * Failures inside ICE or DTLS callbacks close the session from a posted
 * event, after the libraries have returned.
 */

static void
ngx_rtc_session_fail(ngx_rtc_session_t *s, const char *why)
{
    if (s->closing) {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, &s->log, 0, "rtc session closing: %s", why);

    s->closing = 1;

    ngx_rtc_stream_deactivate(s->stream, s);

    if (s->close_ev.timer_set) {
        ngx_del_timer(&s->close_ev);
    }

    ngx_post_event(&s->close_ev, &ngx_posted_events);
}


static void
ngx_rtc_session_close_handler(ngx_event_t *ev)
{
    ngx_rtc_session_t *s = ev->data;

    ngx_rtc_session_close(s, ev->timedout ? "not connected in time" : NULL);
}


void
ngx_rtc_session_close(ngx_rtc_session_t *s, const char *why)
{
    if (why) {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0, "rtc session closed: %s",
                      why);
    }

    s->closing = 1;

    if (s->close_ev.timer_set) {
        ngx_del_timer(&s->close_ev);
    }

    if (s->close_ev.posted) {
        ngx_delete_posted_event(&s->close_ev);
    }

    if (s->dtls_timer.timer_set) {
        ngx_del_timer(&s->dtls_timer);
    }

    if (s->rtcp_timer.timer_set) {
        ngx_del_timer(&s->rtcp_timer);
    }

    ngx_rtc_catchup_stop(s);

    ngx_rtc_stream_detach(s->stream, s);

    /* close_notify goes out through ICE, so DTLS ends first */

    if (s->dtls) {
        ngx_rtc_dtls_free(s->dtls);
    }

    if (s->srtp) {
        ngx_rtc_srtp_free(s->srtp);
    }

    if (s->ice) {
        ngx_rtc_ice_destroy(s->ice);
    }

    ngx_rtc_shm_session_del(s->id);

    ngx_destroy_pool(s->pool);

    ngx_rtc_session_n--;
    ngx_rtc_session_trim();
}


/*
 * What a session frees stays in glibc's malloc: its arenas keep the free
 * memory they hold between blocks still in use, and a worker keeps the
 * memory of the most sessions it ever had (some 40 MB after 300 at once,
 * bench/churn.js) for good.  malloc_trim(0) gives the free pages back
 * (madvise()) when the worker's last session ends, or its sessions fall
 * to half of the most since the last trim, of at least
 * NGX_RTC_SESSION_TRIM_MIN; and after joins (below).
 */

static void
ngx_rtc_session_trim(void)
{
#if (NGX_RTC_SESSION_TRIM)

    if (ngx_rtc_session_peak == 0
        || (ngx_rtc_session_n != 0
            && (ngx_rtc_session_peak < NGX_RTC_SESSION_TRIM_MIN
                || ngx_rtc_session_n > ngx_rtc_session_peak / 2)))
    {
        return;
    }

    ngx_rtc_session_trim_later();

#endif
}


/*
 * A join's handshakes (the POST and its SDP, ICE, DTLS) allocate far
 * more than the session keeps, and what they free stays in the heap
 * between the blocks of the sessions that came with it: ~30 KB a session
 * after 50 joins (bench/README.md).  So a session's media start and its
 * DTLS release (ngx_rtc_dtls_release(), at the viewer's first RTCP) ask
 * for a trim too.
 *
 * A trim is not cheap: madvise() of every free page run, 2-13 ms a call
 * in a worker of 100-250 sessions after a burst of joins or leaves
 * (bench/README.md), the worker's viewers waiting.  So it is never done
 * at once: one cancelable timer a worker, NGX_RTC_SESSION_TRIM_DELAY
 * after the last request, NGX_RTC_SESSION_TRIM_WAIT at most after the
 * first; a burst of joins or leaves is one trim after it.
 */

static void
ngx_rtc_session_trim_later(void)
{
#if (NGX_RTC_SESSION_TRIM)

    ngx_event_t  *ev;

    ev = &ngx_rtc_session_trim_ev;

    if (!ev->timer_set) {
        ev->handler = ngx_rtc_session_trim_handler;
        ev->log = ngx_cycle->log;

        /* not NULL: nginx's timer debug logging reads it as a connection */
        ev->data = ev;

        /* never holds a worker that is shutting down */
        ev->cancelable = 1;

        ngx_rtc_session_trim_asked = ngx_current_msec;

    } else if (ngx_current_msec - ngx_rtc_session_trim_asked
               >= NGX_RTC_SESSION_TRIM_WAIT - NGX_RTC_SESSION_TRIM_DELAY)
    {
        /* a burst this long: the trim stays when it is */
        return;
    }

    ngx_add_timer(ev, NGX_RTC_SESSION_TRIM_DELAY);

#endif
}


static void
ngx_rtc_session_trim_handler(ngx_event_t *ev)
{
#if (NGX_RTC_SESSION_TRIM)

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "rtc session trim: %ui sessions, %ui at most",
                   ngx_rtc_session_n, ngx_rtc_session_peak);

    (void) malloc_trim(0);

    ngx_rtc_session_peak = ngx_rtc_session_n;

#endif
}
