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
#include <ngx_rtc_rtp.h>
#include <ngx_rtc_gloop.h>
#include <openssl/rand.h>


/*
 * One viewer's peer connection: the codec choice and the answer, then
 * ICE -> DTLS -> SRTP media.  It ties the layers together and owns the
 * order in which they are torn down.
 */


#define NGX_RTC_SESSION_CONNECT_TIMEOUT  30000
#define NGX_RTC_SESSION_RTCP_INTERVAL    1000
#define NGX_RTC_SESSION_SILENCE          20000


static ngx_int_t ngx_rtc_session_negotiate(ngx_rtc_stream_t *st,
    ngx_rtc_sdp_t *offer, ngx_rtc_sdp_answer_t *ans, ngx_uint_t *video,
    ngx_pool_t *pool, ngx_rtc_session_result_t *res);
static ngx_rtc_sdp_fmt_t *ngx_rtc_session_h264(ngx_rtc_sdp_media_t *m);
static void ngx_rtc_session_mismatch(ngx_rtc_stream_t *st,
    ngx_rtc_sdp_media_t *m, ngx_pool_t *pool, ngx_rtc_session_result_t *res);
static u_char *ngx_rtc_session_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static void ngx_rtc_session_recv(void *data, u_char *buf, size_t len);
static void ngx_rtc_session_ice_state(void *data, ngx_uint_t state);
static ngx_int_t ngx_rtc_session_dtls_send(void *data, u_char *buf,
    size_t len);
static void ngx_rtc_session_dtls_arm(ngx_rtc_session_t *s);
static void ngx_rtc_session_dtls_timer(ngx_event_t *ev);
static void ngx_rtc_session_media(ngx_rtc_session_t *s);
static void ngx_rtc_session_rtcp_timer(ngx_event_t *ev);
static void ngx_rtc_session_fail(ngx_rtc_session_t *s, const char *why);
static void ngx_rtc_session_close_handler(ngx_event_t *ev);


static const char  *ngx_rtc_codec_names[] = {
    "none", "H264", "H265", "PCMA", "PCMU", "opus", "AAC"
};


ngx_int_t
ngx_rtc_session_id(u_char *id)
{
    if (RAND_bytes(id, NGX_RTC_ID_LEN) != 1) {
        return NGX_ERROR;
    }

    /* the first byte names the owner worker */
    id[0] = (u_char) ngx_worker;

    return NGX_OK;
}


ngx_rtc_session_t *
ngx_rtc_session_create(ngx_rtc_stream_t *st, u_char *id, ngx_rtc_sdp_t *offer,
    ngx_pool_t *pool, ngx_rtc_session_result_t *res)
{
    u_char                *p;
    ngx_str_t             *cand;
    ngx_uint_t             i, video = 0;
    ngx_pool_t            *spool;
    ngx_array_t            cands;
    ngx_rtc_ice_conf_t     ic;
    ngx_rtc_session_t     *s;
    ngx_rtc_sdp_media_t   *m;
    ngx_rtc_main_conf_t   *rmcf;
    ngx_rtc_sdp_answer_t  *ans;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    ans = ngx_pcalloc(pool, sizeof(ngx_rtc_sdp_answer_t));
    if (ans == NULL) {
        goto internal;
    }

    if (ngx_rtc_session_negotiate(st, offer, ans, &video, pool, res)
        != NGX_OK)
    {
        return NULL;
    }

    m = &offer->media[video];

    spool = ngx_create_pool(4096, ngx_cycle->log);
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

    s->pt = ans->media[video].pt;
    s->state = NGX_RTC_SESSION_NEW;
    s->last_rtcp = ngx_current_msec;

    if (RAND_bytes((u_char *) &s->ssrc, sizeof(uint32_t)) != 1
        || RAND_bytes((u_char *) &s->seq, sizeof(uint16_t)) != 1
        || RAND_bytes((u_char *) &s->ts_offset, sizeof(uint32_t)) != 1)
    {
        goto failed;
    }

    ans->media[video].ssrc = s->ssrc;

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
    ic.log = &s->log;

    s->ice = ngx_rtc_ice_create(&ic);
    if (s->ice == NULL) {
        goto failed;
    }

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
    ngx_str_set(&ans->cname, "nginx-rtc");
    ans->msid = st->conf->name;
    RAND_bytes((u_char *) &ans->session_id, sizeof(uint64_t));
    ans->session_id &= 0x7fffffffffffffffULL;

    res->answer.data = ngx_pnalloc(pool, 16384);
    if (res->answer.data == NULL) {
        goto failed;
    }

    p = ngx_rtc_sdp_write_answer(res->answer.data, res->answer.data + 16384,
                                 ans);
    if (p == NULL) {
        goto failed;
    }

    res->answer.len = p - res->answer.data;

    s->sh = ngx_rtc_shm_session_find(id);
    if (s->sh == NULL) {
        goto failed;
    }

    ngx_rtc_stream_attach(st, s);

    ngx_add_timer(&s->close_ev, NGX_RTC_SESSION_CONNECT_TIMEOUT);

    ngx_rtc_gloop_update();

    ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                  "rtc session created, H264 pt %ui", s->pt);

    return s;

failed:

    if (s->dtls) {
        ngx_rtc_dtls_free(s->dtls);
    }

    if (s->ice) {
        ngx_rtc_ice_destroy(s->ice);
        ngx_rtc_gloop_update();
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
 * The codec choice.  The stream's codec is the camera's; the offer must
 * list it.  For H.264 the answer takes a profile-level-id the offer gave,
 * whatever profile the camera sends: browsers decode any of them, yet
 * refuse an answer naming a profile they did not offer.
 */

static ngx_int_t
ngx_rtc_session_negotiate(ngx_rtc_stream_t *st, ngx_rtc_sdp_t *offer,
    ngx_rtc_sdp_answer_t *ans, ngx_uint_t *video, ngx_pool_t *pool,
    ngx_rtc_session_result_t *res)
{
    ngx_uint_t                   i, found;
    ngx_rtc_sdp_fmt_t           *fmt;
    ngx_rtc_sdp_media_t         *m;
    ngx_rtc_sdp_answer_media_t  *am;

    found = 0;

    for (i = 0; i < offer->nmedia; i++) {
        m = &offer->media[i];
        am = &ans->media[i];

        am->type = m->type;
        am->proto = m->proto;
        am->mid = m->mid;
        am->rejected = 1;
        am->pt = m->nfmts ? m->fmts[0].pt : 0;

        if (m->nfmts && m->fmts[0].pt == NGX_RTC_SDP_PT_NONE) {
            am->codec = m->fmts[0].name;     /* e.g. webrtc-datachannel */
        }

        if (found
            || m->type.len != 5
            || ngx_strncmp(m->type.data, "video", 5) != 0
            || m->port == 0
            || m->direction == NGX_RTC_SDP_SENDONLY
            || m->direction == NGX_RTC_SDP_INACTIVE)
        {
            continue;
        }

        found = 1;
        *video = i;

        if (m->ice_ufrag.len == 0 || m->ice_pwd.len == 0) {
            res->status = NGX_HTTP_BAD_REQUEST;
            ngx_str_set(&res->reason, "the offer has no ICE credentials");
            return NGX_ERROR;
        }

        if (m->fp_alg.len == 0 || m->fp_value.len == 0) {
            res->status = NGX_HTTP_BAD_REQUEST;
            ngx_str_set(&res->reason, "the offer has no DTLS fingerprint");
            return NGX_ERROR;
        }

        if (m->setup.len == 7 && ngx_strncmp(m->setup.data, "passive", 7) == 0)
        {
            res->status = NGX_HTTP_BAD_REQUEST;
            ngx_str_set(&res->reason,
                        "the offer's a=setup:passive leaves no DTLS client");
            return NGX_ERROR;
        }

        fmt = NULL;

        if (st->sh->codec == NGX_RTC_CODEC_H264) {
            fmt = ngx_rtc_session_h264(m);
        }

        if (fmt == NULL) {
            ngx_rtc_session_mismatch(st, m, pool, res);
            return NGX_ERROR;
        }

        am->rejected = 0;
        am->pt = fmt->pt;
        am->codec = fmt->name;
        am->clock = fmt->clock;
        am->fmtp = fmt->fmtp;
        am->rtcp_fb = fmt->rtcp_fb
                      & (NGX_RTC_SDP_FB_NACK_PLI|NGX_RTC_SDP_FB_CCM_FIR);
    }

    ans->nmedia = offer->nmedia;

    if (!found) {
        res->status = NGX_RTC_HTTP_NOT_ACCEPTABLE;
        ngx_str_set(&res->reason,
                    "the offer has no m=video section to receive video");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_rtc_sdp_fmt_t *
ngx_rtc_session_h264(ngx_rtc_sdp_media_t *m)
{
    ngx_str_t           v;
    ngx_uint_t          i, k, rank, best_rank;
    ngx_rtc_sdp_fmt_t  *f, *best;

    static const char  *profiles[] = { "42e01f", "42001f", "4d001f", NULL };

    best = NULL;
    best_rank = 100;

    for (i = 0; i < m->nfmts; i++) {
        f = &m->fmts[i];

        if (f->name.len != 4
            || ngx_strncasecmp(f->name.data, (u_char *) "H264", 4) != 0)
        {
            continue;
        }

        /* FU-A needs packetization-mode=1 (RFC 6184, 6.3) */

        if (ngx_rtc_sdp_fmtp_param(&f->fmtp, "packetization-mode", &v)
            != NGX_OK
            || v.len != 1 || v.data[0] != '1')
        {
            continue;
        }

        rank = 50;

        if (ngx_rtc_sdp_fmtp_param(&f->fmtp, "profile-level-id", &v)
            == NGX_OK && v.len == 6)
        {
            for (k = 0; profiles[k]; k++) {
                if (ngx_strncasecmp(v.data, (u_char *) profiles[k], 6) == 0) {
                    rank = k;
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


static void
ngx_rtc_session_mismatch(ngx_rtc_stream_t *st, ngx_rtc_sdp_media_t *m,
    ngx_pool_t *pool, ngx_rtc_session_result_t *res)
{
    u_char      *p, *last;
    ngx_uint_t   i, k, codec;

    codec = st->sh->codec;

    if (codec >= sizeof(ngx_rtc_codec_names) / sizeof(char *)) {
        codec = 0;
    }

    res->status = NGX_RTC_HTTP_NOT_ACCEPTABLE;

    p = ngx_pnalloc(pool, 512);
    if (p == NULL) {
        ngx_str_set(&res->reason, "codec mismatch");
        return;
    }

    res->reason.data = p;
    last = p + 512;

    p = ngx_slprintf(p, last, "stream \"%V\" is %s", &st->conf->name,
                     ngx_rtc_codec_names[codec]);

    if (codec == NGX_RTC_CODEC_H264) {
        p = ngx_slprintf(p, last, " (packetization-mode=1)");
    }

    p = ngx_slprintf(p, last, "; the offer has");

    for (i = 0, k = 0; i < m->nfmts; i++) {

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
    }

    if (m->nfmts == 0) {
        p = ngx_slprintf(p, last, " no codecs");
    }

    res->reason.len = p - res->reason.data;
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
    }
}


static void
ngx_rtc_session_recv(void *data, u_char *buf, size_t len)
{
    ngx_rtc_session_t *s = data;

    ngx_int_t            rc;
    ngx_rtc_rtcp_info_t  info;

    if (s->closing) {
        return;
    }

    if (ngx_rtc_dtls_is_dtls(buf, len)) {
        rc = ngx_rtc_dtls_input(s->dtls, buf, len);

        if (rc == NGX_ERROR) {
            ngx_rtc_session_fail(s, "DTLS failed");
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

    s->last_rtcp = ngx_current_msec;

    ngx_memzero(&info, sizeof(ngx_rtc_rtcp_info_t));

    if (ngx_rtc_rtcp_parse(buf, len, &info) != NGX_OK) {
        return;
    }

    if (info.pli || info.fir) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &s->log, 0,
                       "rtc session picture loss indication");
    }
}


static ngx_int_t
ngx_rtc_session_dtls_send(void *data, u_char *buf, size_t len)
{
    ngx_rtc_session_t *s = data;

    if (ngx_rtc_ice_send(s->ice, buf, len) == NGX_ERROR) {
        return NGX_ERROR;
    }

    return NGX_OK;
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
    ngx_rtc_gloop_update();
}


static void
ngx_rtc_session_media(ngx_rtc_session_t *s)
{
    ngx_rtc_srtp_keys_t  keys;

    if (ngx_rtc_dtls_srtp_keys(s->dtls, &keys) != NGX_OK) {
        ngx_rtc_session_fail(s, "no DTLS-SRTP keys");
        return;
    }

    s->srtp = ngx_rtc_srtp_create(&keys, &s->log);

    ngx_explicit_memzero(&keys, sizeof(ngx_rtc_srtp_keys_t));

    if (s->srtp == NULL) {
        ngx_rtc_session_fail(s, "SRTP setup failed");
        return;
    }

    ngx_log_error(NGX_LOG_INFO, &s->log, 0, "rtc session media starts");

    s->state = NGX_RTC_SESSION_MEDIA;
    s->last_rtcp = ngx_current_msec;
    ngx_rtc_shm_session_state(s->id, s->state);

    if (s->close_ev.timer_set) {
        ngx_del_timer(&s->close_ev);
    }

    ngx_add_timer(&s->rtcp_timer, NGX_RTC_SESSION_RTCP_INTERVAL);

    ngx_rtc_stream_catch_up(s->stream, s);
}


void
ngx_rtc_session_send(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk)
{
    size_t      n;
    uint32_t    ts;
    ngx_uint_t  i;

    if (s->state != NGX_RTC_SESSION_MEDIA || s->closing || pk->npkts == 0) {
        return;
    }

    if (s->wait_key) {
        if (!(pk->frame.flags & NGX_RTC_FRAME_KEY)) {
            return;
        }

        s->wait_key = 0;
    }

    ts = pk->frame.rtp_ts + s->ts_offset;

    for (i = 0; i < pk->npkts; i++) {
        ngx_rtc_rtp_write_header(s->buf, s->pt, i == pk->npkts - 1, s->seq++,
                                 ts, s->ssrc);
        ngx_memcpy(s->buf + 12, pk->data + i * NGX_RTC_MTU, pk->len[i]);

        n = 12 + pk->len[i];

        if (ngx_rtc_srtp_protect(s->srtp, s->buf, &n, sizeof(s->buf))
            != NGX_OK)
        {
            continue;
        }

        (void) ngx_rtc_ice_send(s->ice, s->buf, n);

        s->packets++;
        s->octets += pk->len[i];
    }

    s->last_capture = pk->frame.capture;
    s->last_ts = ts;
}


/* RTCP sender report (RFC 3550, 6.4.1) and the peer's liveness */

static void
ngx_rtc_session_rtcp_timer(ngx_event_t *ev)
{
    ngx_rtc_session_t *s = ev->data;

    size_t      n;
    uint64_t    ntp;
    ngx_str_t   cname;

    if ((ngx_msec_int_t) (ngx_current_msec - s->last_rtcp)
        > NGX_RTC_SESSION_SILENCE)
    {
        ngx_rtc_session_fail(s, "peer silent");
        return;
    }

    if (s->packets) {
        ntp = ((uint64_t) (s->last_capture / 1000000 + 2208988800ULL) << 32)
              | (((uint64_t) (s->last_capture % 1000000) << 32) / 1000000);

        n = ngx_rtc_rtcp_write_sr(s->buf, s->ssrc, ntp, s->last_ts,
                                  s->packets, s->octets);

        ngx_str_set(&cname, "nginx-rtc");
        n += ngx_rtc_rtcp_write_sdes(s->buf + n, 256, s->ssrc, &cname);

        if (ngx_rtc_srtp_protect_rtcp(s->srtp, s->buf, &n, sizeof(s->buf))
            == NGX_OK)
        {
            (void) ngx_rtc_ice_send(s->ice, s->buf, n);
        }
    }

    ngx_add_timer(ev, NGX_RTC_SESSION_RTCP_INTERVAL);
    ngx_rtc_gloop_update();
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

    ngx_rtc_gloop_update();

    ngx_destroy_pool(s->pool);
}
