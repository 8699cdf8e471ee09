/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include <ngx_rtc.h>
#include <ngx_rtc_whep_source_media.h>


/*
 * A whep:// source: the producer worker pulls a stream from a WHEP server
 * (an origin nginx-rtc, or another) as it pulls an RTSP camera, into the
 * same ring through the same callbacks.
 *
 * One attempt: POST a recvonly offer (ngx_rtc_sdp_write_offer(): H.264,
 * H.265, Opus, PCMA, PCMU) with our ICE candidates and DTLS fingerprint
 * (ngx_rtc_http_client.c); the 201's answer decides the codecs (the
 * producer's codec()), its candidates and fingerprint; ICE as the
 * controlling agent (libnice, ngx_rtc_ice.c); the DTLS client
 * (ngx_rtc_dtls_connect(); the server role if the answer says
 * a=setup:active) checking the answer's fingerprint; SRTP unprotect
 * (libsrtp2); video RTP through a small reordering buffer that asks for
 * what is missing (NACK) and gives up after NGX_RTC_WHEP_SOURCE_REORDER
 * ms; the depacketizers of the RTSP client; a PLI when media starts and
 * after a loss; receiver reports every second.
 *
 * Any failure (HTTP error, ICE or DTLS failure, no media for the
 * timeout, the DTLS close alert of a server going away) ends the attempt,
 * DELETEs the session if the server gave one, and tries again after an
 * exponential backoff.  ngx_rtc_whep_source_stop() DELETEs the session
 * too; on a gracefully exiting worker that request keeps the worker until
 * it is answered (or times out).
 *
 * This file is the lifecycle: the address, the offer and its POST, the
 * answer, the attempt's deadlines, failures, backoff and DELETE.  ICE,
 * DTLS, SRTP, RTP and RTCP are ngx_rtc_whep_source_media.c's.
 */




static void ngx_rtc_whep_source_connect(ngx_rtc_whep_source_t *ws);
static ngx_int_t ngx_rtc_whep_source_resolve(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_resolve_handler(ngx_resolver_ctx_t *ctx);
static void ngx_rtc_whep_source_gather(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_post(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_answered(void *data,
    ngx_rtc_http_response_t *r, ngx_str_t *error);
static ngx_int_t ngx_rtc_whep_source_location(ngx_rtc_whep_source_t *ws,
    ngx_str_t *loc);
static ngx_int_t ngx_rtc_whep_source_answer(ngx_rtc_whep_source_t *ws,
    ngx_str_t *body);
static void ngx_rtc_whep_source_tick_handler(ngx_event_t *ev);
static void ngx_rtc_whep_source_retry_handler(ngx_event_t *ev);
static void ngx_rtc_whep_source_teardown(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_delete(ngx_rtc_whep_source_t *ws);
static void ngx_rtc_whep_source_request(ngx_rtc_whep_source_t *ws,
    ngx_rtc_http_request_t *req);


/* set when the worker's event loop has ended (exit_process) */
static ngx_uint_t  ngx_rtc_whep_source_final;


void
ngx_rtc_whep_source_exit_process(void)
{
    ngx_rtc_whep_source_final = 1;
}


ngx_rtc_whep_source_t *
ngx_rtc_whep_source_start(ngx_rtc_whep_source_conf_t *conf)
{
    u_char                 *p;
    ngx_pool_t             *pool;
    ngx_rtc_whep_source_t  *ws;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, conf->source.log);
    if (pool == NULL) {
        return NULL;
    }

    ws = ngx_pcalloc(pool, sizeof(ngx_rtc_whep_source_t));
    if (ws == NULL) {
        goto failed;
    }

    ws->pool = pool;
    ws->conf = conf->source;
    ws->token = conf->token;
    ws->log = *conf->source.log;

    if (ws->conf.timeout == 0) {
        ws->conf.timeout = 10000;
    }

    if (ngx_rtc_auth_parse_url(&conf->source.url, &ws->url) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, conf->source.log, 0,
                      "rtc whep source invalid URL");
        goto failed;
    }

    ws->au = ngx_palloc(pool, NGX_RTC_MAX_FRAME);
    ws->audio_buf = ngx_palloc(pool, NGX_RTC_AUDIO_AU_MAX);
    ws->sdp = ngx_palloc(pool, sizeof(ngx_rtc_sdp_t));
    ws->offer.data = ngx_pnalloc(pool, NGX_RTC_WHEP_SOURCE_OFFER_SIZE);
    p = ngx_palloc(pool, NGX_RTC_REORDER_SLOTS * NGX_RTC_REORDER_SLOT_SIZE);

    if (ws->au == NULL || ws->audio_buf == NULL || ws->sdp == NULL
        || ws->offer.data == NULL || p == NULL)
    {
        goto failed;
    }

    ngx_rtc_reorder_init(&ws->reorder, p, ngx_rtc_whep_source_media_deliver,
                         ws);

    ws->location.data = ws->location_buf;
    ws->reason.data = ws->reason_buf;

    ws->video.kind = NGX_RTC_TRACK_VIDEO;
    ws->audio.kind = NGX_RTC_TRACK_AUDIO;

    /* cancelable: they must not keep a gracefully exiting worker alive */

    ws->retry.handler = ngx_rtc_whep_source_retry_handler;
    ws->retry.data = ws;
    ws->retry.log = &ws->log;
    ws->retry.cancelable = 1;

    /*
     * not cancelable: while an attempt runs, a gracefully exiting worker
     * waits for the producer's timer to stop the source, which DELETEs
     * the session on the server (ngx_rtc_whep_source_delete())
     */

    ws->tick.handler = ngx_rtc_whep_source_tick_handler;
    ws->tick.data = ws;
    ws->tick.log = &ws->log;

    ws->dtls_timer.handler = ngx_rtc_whep_source_media_dtls_handler;
    ws->dtls_timer.data = ws;
    ws->dtls_timer.log = &ws->log;
    ws->dtls_timer.cancelable = 1;

    ws->reorder_timer.handler = ngx_rtc_whep_source_media_reorder_handler;
    ws->reorder_timer.data = ws;
    ws->reorder_timer.log = &ws->log;
    ws->reorder_timer.cancelable = 1;

    ws->backoff = NGX_RTC_WHEP_SOURCE_BACKOFF_MIN;

    ngx_rtc_whep_source_connect(ws);

    return ws;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


void
ngx_rtc_whep_source_stop(ngx_rtc_whep_source_t *ws)
{
    ngx_uint_t  level;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                   "rtc whep source stop, %ui frames", ws->frames);

    if (ws->failures && !ws->produced) {
        level = (ngx_exiting || ngx_terminate || ngx_quit) ? NGX_LOG_INFO
                                                           : NGX_LOG_ERR;

        ngx_log_error(level, &ws->log, 0,
                      "rtc whep source gave up on %V after %ui failed "
                      "attempts, the last: %V", &ws->url.redacted,
                      ws->failures, &ws->reason);
    }

    ngx_rtc_whep_source_teardown(ws);

    if (ws->resolving) {
        ngx_resolve_name_done(ws->resolving);
        ws->resolving = NULL;
    }

    if (ws->retry.timer_set) {
        ngx_del_timer(&ws->retry);
    }

    ngx_destroy_pool(ws->pool);
}


static void
ngx_rtc_whep_source_connect(ngx_rtc_whep_source_t *ws)
{
    /* the previous failure stays shown until media flows */

    ws->conf.state(ws->conf.data, NGX_RTC_RTSP_CONNECTING, &ws->reason);

    ws->started = ngx_current_msec;
    ws->produced = 0;

    if (ws->conf.addr) {
        ngx_memcpy(&ws->sockaddr, ws->conf.addr->sockaddr,
                   ws->conf.addr->socklen);
        ws->socklen = ws->conf.addr->socklen;

        ngx_rtc_whep_source_gather(ws);
        return;
    }

    ws->step = NGX_RTC_WHEP_SOURCE_RESOLVING;

    /* ngx_rtc_whep_source_resolve_handler() goes on */

    if (ngx_rtc_whep_source_resolve(ws) != NGX_OK) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ALERT, "cannot resolve %V",
                                 &ws->url.redacted);
    }
}


static ngx_int_t
ngx_rtc_whep_source_resolve(ngx_rtc_whep_source_t *ws)
{
    ngx_resolver_ctx_t  *ctx;

    if (ws->conf.resolver == NULL) {
        return NGX_ERROR;
    }

    ctx = ngx_resolve_start(ws->conf.resolver, NULL);

    if (ctx == NULL || ctx == NGX_NO_RESOLVER) {
        return NGX_ERROR;
    }

    ctx->name = ws->url.host;
    ctx->handler = ngx_rtc_whep_source_resolve_handler;
    ctx->data = ws;
    ctx->timeout = ws->conf.resolver_timeout;

    ws->resolving = ctx;

    if (ngx_resolve_name(ctx) != NGX_OK) {
        ws->resolving = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_rtc_whep_source_resolve_handler(ngx_resolver_ctx_t *ctx)
{
    ngx_uint_t              i;
    ngx_rtc_whep_source_t  *ws;

    ws = ctx->data;
    ws->resolving = NULL;

    if (ctx->state || ctx->naddrs == 0) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "cannot resolve %V: %s",
                                 &ws->url.redacted,
                                 ctx->state
                                 ? ngx_resolver_strerror(ctx->state)
                                 : "no address");
        ngx_resolve_name_done(ctx);
        return;
    }

    /* several addresses: the next one on each attempt */

    i = ws->attempts++ % ctx->naddrs;

    if (ctx->addrs[i].socklen > sizeof(ngx_sockaddr_t)) {
        i = 0;
    }

    ngx_memcpy(&ws->sockaddr, ctx->addrs[i].sockaddr, ctx->addrs[i].socklen);
    ws->socklen = ctx->addrs[i].socklen;

    ngx_inet_set_port(&ws->sockaddr.sockaddr, ws->url.port);

    ngx_resolve_name_done(ctx);

    ngx_rtc_whep_source_gather(ws);
}


/* our ICE agent, controlling; its candidates go into the offer */

static void
ngx_rtc_whep_source_gather(ngx_rtc_whep_source_t *ws)
{
    ngx_rtc_ice_conf_t    ic;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    ws->apool = ngx_create_pool(4096, &ws->log);
    if (ws->apool == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ALERT, "out of memory");
        return;
    }

    ngx_memzero(&ic, sizeof(ngx_rtc_ice_conf_t));

    ic.recv = ngx_rtc_whep_source_media_recv;
    ic.state = ngx_rtc_whep_source_media_ice_state;
    ic.data = ws;
    ic.port_min = rmcf->port_min;
    ic.port_max = rmcf->port_max;
    ic.candidates = rmcf->candidates;
    ic.servers = rmcf->ice_servers;
    ic.controlling = 1;
    ic.consent = 1;
    ic.log = &ws->log;

    ws->ice = ngx_rtc_ice_create(&ic);

    if (ws->ice == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "cannot create an ICE "
                                 "agent for %V", &ws->url.redacted);
        return;
    }

    ws->step = NGX_RTC_WHEP_SOURCE_GATHERING;

    /* with STUN or TURN servers: their candidates first, for a while */

    ngx_rtc_whep_source_retry_handler(&ws->retry);
}


static void
ngx_rtc_whep_source_post(ngx_rtc_whep_source_t *ws)
{
    u_char                 *p;
    ngx_str_t              *cand;
    ngx_uint_t              i;
    ngx_array_t             cands;
    ngx_rtc_sdp_offer_t     o;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_http_request_t  req;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    ngx_memzero(&o, sizeof(ngx_rtc_sdp_offer_t));

    if (ngx_array_init(&cands, ws->apool, 8, sizeof(ngx_str_t)) != NGX_OK
        || ngx_rtc_ice_local(ws->ice, ws->apool, &o.ice_ufrag, &o.ice_pwd,
                             &cands)
           != NGX_OK)
    {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ALERT, "no ICE candidates");
        return;
    }

    cand = cands.elts;

    for (i = 0; i < cands.nelts && i < NGX_RTC_SDP_MAX_CAND; i++) {
        o.cands[o.ncands++] = cand[i];
    }

    o.fingerprint = *ngx_rtc_dtls_fingerprint(rmcf->dtls);
    o.audio = (ws->conf.audio != NGX_RTC_AUDIO_OFF);
    RAND_bytes((u_char *) &o.session_id, sizeof(uint64_t));
    o.session_id &= 0x7fffffffffffffffULL;

    p = ngx_rtc_sdp_write_offer(ws->offer.data,
                                ws->offer.data
                                + NGX_RTC_WHEP_SOURCE_OFFER_SIZE, &o);
    if (p == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ALERT, "the offer does not "
                                 "fit in %d bytes",
                                 NGX_RTC_WHEP_SOURCE_OFFER_SIZE);
        return;
    }

    ws->offer.len = p - ws->offer.data;

    ngx_memzero(&req, sizeof(ngx_rtc_http_request_t));

    req.method = "POST";
    req.path = ws->url.path;
    ngx_str_set(&req.content_type, "application/sdp");
    req.body = ws->offer;
    req.done = ngx_rtc_whep_source_answered;
    req.data = ws;

    ngx_rtc_whep_source_request(ws, &req);

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                   "rtc whep source POST %V, %uz bytes of offer",
                   &ws->url.redacted, ws->offer.len);

    ws->step = NGX_RTC_WHEP_SOURCE_POSTING;
    ws->http = ngx_rtc_http_client_request(&req);

    if (ws->http == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "cannot connect to %V",
                                 &ws->url.redacted);
        return;
    }

    if (!ws->tick.timer_set) {
        ngx_add_timer(&ws->tick, NGX_RTC_WHEP_SOURCE_TICK);
    }
}


/* what every request has: the server, its TLS, the token */

static void
ngx_rtc_whep_source_request(ngx_rtc_whep_source_t *ws,
    ngx_rtc_http_request_t *req)
{
    req->sockaddr = &ws->sockaddr.sockaddr;
    req->socklen = ws->socklen;
    req->host = ws->url.host;
    req->hostport = ws->url.hostport;
    req->tls = ws->url.tls;
    req->token = ws->token;
    req->timeout = ws->conf.timeout;
    req->log = ws->conf.log;
}


static void
ngx_rtc_whep_source_answered(void *data, ngx_rtc_http_response_t *r,
    ngx_str_t *error)
{
    ngx_rtc_whep_source_t *ws = data;

    size_t      n;
    ngx_uint_t  i;

    ws->http = NULL;

    if (r == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "POST to %V: %V",
                                 &ws->url.redacted, error);
        return;
    }

    if (r->status != 201) {

        /* the server's reason, one line of printable text, shortened */

        for (i = 0; i < r->body.len && i < 96; i++) {
            if (r->body.data[i] < 0x20 || r->body.data[i] >= 0x7f) {
                break;
            }
        }

        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "%V answered %ui%s%*s",
                                 &ws->url.redacted, r->status,
                                 i ? ": " : "", i, r->body.data);
        return;
    }

    if (ngx_rtc_whep_source_location(ws, &r->location) != NGX_OK) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "%V answered 201 without "
                                 "a usable Location", &ws->url.redacted);
        return;
    }

    if (ngx_rtc_whep_source_answer(ws, &r->body) != NGX_OK) {
        return;
    }

    /* the resource is a capability (DELETE, PATCH): not all of it */

    for (n = ws->location.len; n && ws->location.data[n - 1] != '/'; n--) {
        /* void */
    }

    n = ngx_min(ws->location.len, n + 8);

    ngx_log_error(NGX_LOG_INFO, &ws->log, 0,
                  "rtc whep source %V: session %*s..., %s%s",
                  &ws->url.redacted, n, ws->location.data,
                  ws->video.codec == NGX_RTC_CODEC_H265 ? "H.265" : "H.264",
                  ws->audio.active ? " with audio" : "");

    /* ICE and DTLS have the time from the answer */

    ws->started = ngx_current_msec;
}


/*
 * The session's resource: a path, or an absolute URL of the same server
 * (RFC 9725 4.2), whose path is kept; visible ASCII only, as it goes on
 * the DELETE's request line.
 */

static ngx_int_t
ngx_rtc_whep_source_location(ngx_rtc_whep_source_t *ws, ngx_str_t *loc)
{
    u_char     *p, *end;
    size_t      n;
    ngx_str_t   path;

    p = loc->data;
    end = loc->data + loc->len;

    if (loc->len == 0) {
        return NGX_ERROR;
    }

    if (p[0] != '/') {
        p = ngx_strlchr(p, end, ':');

        if (p == NULL || end - p < 4 || p[1] != '/' || p[2] != '/') {
            return NGX_ERROR;
        }

        p = ngx_strlchr(p + 3, end, '/');

        if (p == NULL) {
            return NGX_ERROR;
        }
    }

    path.data = p;
    path.len = end - p;

    if (path.len >= NGX_RTC_URL_MAX) {
        return NGX_ERROR;
    }

    for (n = 0; n < path.len; n++) {
        if (path.data[n] <= 0x20 || path.data[n] >= 0x7f) {
            return NGX_ERROR;
        }
    }

    ws->location.len = path.len;
    ngx_memcpy(ws->location.data, path.data, path.len);

    return NGX_OK;
}


/*
 * The answer, held to the grammar of an offer (its values go to libnice
 * and OpenSSL): its video (required) and audio codecs, of the sections
 * that send, ICE credentials and candidates, fingerprint, DTLS role.
 */

static ngx_int_t
ngx_rtc_whep_source_answer(ngx_rtc_whep_source_t *ws, ngx_str_t *body)
{
    ngx_uint_t            i;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_media_t  *m, *video, *audio, *cm;
    ngx_rtc_main_conf_t  *rmcf;

    sdp = ws->sdp;

    if (ngx_rtc_sdp_parse_offer(body->data, body->data + body->len, sdp)
        != NGX_OK)
    {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "invalid answer from %V: "
                                 "%s (line %ui)", &ws->url.redacted,
                                 sdp->err ? sdp->err : "invalid SDP",
                                 sdp->err_line);
        return NGX_ERROR;
    }

    video = NULL;
    audio = NULL;
    cm = NULL;

    for (i = 0; i < sdp->nmedia; i++) {
        m = &sdp->media[i];

        if (m->port == 0 || m->nfmts == 0) {
            continue;
        }

        if (cm == NULL && m->ncands) {
            cm = m;
        }

        /*
         * a section that sends us nothing, though maybe in the BUNDLE
         * group with the bundle's candidates: an origin without audio
         * answers our audio inactive (RFC 8843, 7.3.3)
         */

        if (m->direction == NGX_RTC_SDP_INACTIVE
            || m->direction == NGX_RTC_SDP_RECVONLY)
        {
            continue;
        }

        if (video == NULL && m->type.len == 5
            && ngx_strncmp(m->type.data, "video", 5) == 0)
        {
            video = m;

        } else if (audio == NULL && m->type.len == 5
                   && ngx_strncmp(m->type.data, "audio", 5) == 0)
        {
            audio = m;
        }
    }

    if (video == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "the answer of %V has no "
                                 "video", &ws->url.redacted);
        return NGX_ERROR;
    }

    if (video->ice_ufrag.len == 0 || video->fp_value.len == 0) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "the answer of %V lacks "
                                 "ICE credentials or a fingerprint",
                                 &ws->url.redacted);
        return NGX_ERROR;
    }

    if (ngx_rtc_whep_source_media_video(ws, video) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_rtc_whep_source_media_audio(ws, audio);

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    ws->step = NGX_RTC_WHEP_SOURCE_CONNECTING;

    ws->dtls = ngx_rtc_dtls_create(rmcf->dtls, &video->fp_alg,
                                   &video->fp_value,
                                   ngx_rtc_whep_source_media_dtls_send, ws,
                                   &ws->log);
    if (ws->dtls == NULL) {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "the answer of %V has an "
                                 "unusable fingerprint", &ws->url.redacted);
        return NGX_ERROR;
    }

    /* RFC 8842 5.3: we offered actpass; "active" makes us the server */

    ws->client = !(video->setup.len == 6
                   && ngx_strncmp(video->setup.data, "active", 6) == 0);

    if (ngx_rtc_ice_remote(ws->ice, &video->ice_ufrag, &video->ice_pwd,
                           cm ? cm->cands : NULL, cm ? cm->ncands : 0)
        != NGX_OK)
    {
        ngx_rtc_gloop_update();
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "the answer of %V has "
                                 "invalid ICE candidates",
                                 &ws->url.redacted);
        return NGX_ERROR;
    }

    ngx_rtc_gloop_update();

    return NGX_OK;
}


/* DTLS done: SRTP keys, a keyframe asked for, media */


/*
 * Video packets go through the reordering buffer (ngx_rtc_reorder.c): a
 * gap holds the packets after it and asks for the missing ones (NACK);
 * after NGX_RTC_WHEP_SOURCE_REORDER ms, or when the buffer would
 * overflow, the gap is given up: the depacketizer drops the broken access
 * unit and a keyframe is asked for (PLI).
 */


/*
 * A compound RTCP packet (RFC 3550 6.1): our receiver report on the
 * video (with its report block once packets came), our CNAME, then a PLI
 * (RFC 4585 6.3.1) or a generic NACK; then one for the audio.
 */


/* every second: receiver reports, and the attempt's deadlines */

static void
ngx_rtc_whep_source_tick_handler(ngx_event_t *ev)
{
    ngx_rtc_whep_source_t *ws = ev->data;

    if (ws->step == NGX_RTC_WHEP_SOURCE_MEDIA) {
        if (ngx_current_msec - ws->last_media
            >= NGX_RTC_WHEP_SOURCE_NO_MEDIA)
        {
            ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "no video from %V "
                                     "for %M ms", &ws->url.redacted,
                                     ngx_current_msec - ws->last_media);
            return;
        }

        ngx_rtc_whep_source_media_send_rtcp(ws, 0, NULL, 0);

    } else if (ws->step == NGX_RTC_WHEP_SOURCE_CONNECTING
               && ngx_current_msec - ws->started >= ws->conf.timeout)
    {
        ngx_rtc_whep_source_fail(ws, NGX_LOG_ERR, "ICE and DTLS with %V did "
                                 "not complete in %M ms", &ws->url.redacted,
                                 ws->conf.timeout);
        return;
    }

    ngx_add_timer(ev, NGX_RTC_WHEP_SOURCE_TICK);
}


/* the backoff after a failure, or a wait for gathered candidates */

static void
ngx_rtc_whep_source_retry_handler(ngx_event_t *ev)
{
    ngx_rtc_whep_source_t *ws = ev->data;

    if (ws->step == NGX_RTC_WHEP_SOURCE_GATHERING) {
        if (!ngx_rtc_ice_gathered(ws->ice)
            && ngx_current_msec - ws->started
               < NGX_RTC_WHEP_SOURCE_GATHER_MAX)
        {
            ngx_add_timer(ev, NGX_RTC_WHEP_SOURCE_GATHER);
            return;
        }

        ngx_rtc_whep_source_post(ws);
        return;
    }

    ngx_rtc_whep_source_connect(ws);
}


void
ngx_rtc_whep_source_fail(ngx_rtc_whep_source_t *ws, ngx_uint_t level,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(ws->reason_buf,
                      ws->reason_buf + NGX_RTC_WHEP_SOURCE_REASON_MAX, fmt,
                      args);
    va_end(args);

    ws->reason.len = p - ws->reason_buf;

    /* the repeats, until the origin plays again, at "info" (as RTSP's) */

    if (ws->failures && level == NGX_LOG_ERR) {
        ngx_log_error(NGX_LOG_INFO, &ws->log, 0,
                      "rtc whep source %V, retrying in %M ms (%ui failures "
                      "in a row)", &ws->reason, ws->backoff,
                      ws->failures + 1);

    } else {
        ngx_log_error(level, &ws->log, 0,
                      "rtc whep source %V, retrying in %M ms", &ws->reason,
                      ws->backoff);
    }

    ws->failures++;

    ngx_rtc_whep_source_teardown(ws);

    ws->conf.state(ws->conf.data, NGX_RTC_RTSP_RETRYING, &ws->reason);

    ngx_add_timer(&ws->retry, ws->backoff);

    ws->backoff = ngx_min(ws->backoff * 2, NGX_RTC_WHEP_SOURCE_BACKOFF_MAX);
}


/* the attempt ends: its request, agent, DTLS, SRTP go; its session too */

static void
ngx_rtc_whep_source_teardown(ngx_rtc_whep_source_t *ws)
{
    if (ws->http) {
        ngx_rtc_http_client_abort(ws->http);
        ws->http = NULL;
    }

    ngx_rtc_whep_source_delete(ws);

    if (ws->srtp) {
        ngx_rtc_srtp_free(ws->srtp);
        ws->srtp = NULL;
    }

    if (ws->dtls) {
        ngx_rtc_dtls_free(ws->dtls);
        ws->dtls = NULL;
    }

    if (ws->ice) {
        ngx_rtc_ice_destroy(ws->ice);
        ws->ice = NULL;
        ngx_rtc_gloop_update();
    }

    if (ws->apool) {
        ngx_destroy_pool(ws->apool);
        ws->apool = NULL;
    }

    if (ws->tick.timer_set) {
        ngx_del_timer(&ws->tick);
    }

    if (ws->dtls_timer.timer_set) {
        ngx_del_timer(&ws->dtls_timer);
    }

    if (ws->reorder_timer.timer_set) {
        ngx_del_timer(&ws->reorder_timer);
    }

    if (ws->retry.timer_set) {
        ngx_del_timer(&ws->retry);
    }

    ws->video.active = 0;
    ws->audio.active = 0;
    ngx_rtc_reorder_reset(&ws->reorder);
    ws->step = NGX_RTC_WHEP_SOURCE_IDLE;
}


/* RFC 9725 4.6: the session ends with a DELETE of its resource */

static void
ngx_rtc_whep_source_delete(ngx_rtc_whep_source_t *ws)
{
    ngx_rtc_http_request_t  req;

    if (ws->location.len == 0) {
        return;
    }

    if (ngx_rtc_whep_source_final) {

        /* the event loop is over (a fast shutdown): nothing can go out */

        ngx_log_error(NGX_LOG_INFO, &ws->log, 0,
                      "rtc whep source %V: the worker exits, its session "
                      "is left to the server's timeout", &ws->url.redacted);

        ws->location.len = 0;
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &ws->log, 0,
                   "rtc whep source DELETE %V", &ws->location);

    ngx_memzero(&req, sizeof(ngx_rtc_http_request_t));

    ngx_rtc_whep_source_request(ws, &req);

    req.method = "DELETE";
    req.path = ws->location;
    req.linger = 1;

    /* nobody waits for the answer; the client copied what it needs */

    (void) ngx_rtc_http_client_request(&req);

    ws->location.len = 0;
}


