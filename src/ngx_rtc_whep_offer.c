/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_negotiate.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_shm.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_whep_offer.h>


/*
 * From an SDP offer to a session and its answer, whoever asks (the WHEP
 * endpoint, go2rtc's HTTP and WebSocket API): the session registered in
 * the zone (the stream's demand, the limits), the wait for an on-demand
 * camera's first keyframe, the session, the wait for our candidates.
 */


#define NGX_RTC_WHEP_POLL          50

/* server-reflexive and relayed candidates before the answer, bounded */
#define NGX_RTC_WHEP_GATHER_POLL   10
#define NGX_RTC_WHEP_GATHER_TIME   3000

#define NGX_RTC_WHEP_MAX_CANDS     32


static ngx_int_t ngx_rtc_whep_offer_ready(ngx_rtc_stream_t *st);
static void ngx_rtc_whep_offer_wait(ngx_event_t *ev);
static void ngx_rtc_whep_offer_answer(ngx_rtc_whep_offer_t *o);
static void ngx_rtc_whep_offer_gathering(ngx_event_t *ev);
static ngx_int_t ngx_rtc_whep_offer_candidates(ngx_rtc_whep_offer_t *o,
    ngx_rtc_session_t *s);
static void ngx_rtc_whep_offer_unregister(ngx_rtc_whep_offer_t *o);
static void ngx_rtc_whep_offer_fail(ngx_rtc_whep_offer_t *o,
    ngx_uint_t status, ngx_uint_t retry, char *text);
static void ngx_rtc_whep_offer_done(ngx_rtc_whep_offer_t *o);
static void ngx_rtc_whep_offer_cleanup(void *data);


ngx_int_t
ngx_rtc_whep_offer(ngx_rtc_whep_offer_t *o, ngx_str_t *sdp)
{
    ngx_int_t             rc;
    ngx_rtc_stream_t     *st;
    ngx_pool_cleanup_t   *cln;
    ngx_rtc_main_conf_t  *rmcf;
    ngx_rtc_negotiate_t   neg;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);
    st = o->stream;

    cln = ngx_pool_cleanup_add(o->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_rtc_whep_offer_cleanup;
    cln->data = o;

    o->wait.data = o;
    o->wait.log = o->log;

    if (ngx_rtc_sdp_parse_offer(sdp->data, sdp->data + sdp->len, &o->sdp)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, o->log, 0,
                      "rtc whep bad offer: %s at line %ui",
                      o->sdp.err, o->sdp.err_line);

        o->text.data = ngx_pnalloc(o->pool, 128);
        if (o->text.data == NULL) {
            return NGX_ERROR;
        }

        o->text.len = ngx_snprintf(o->text.data, 128,
                                   "bad SDP offer: %s (line %ui)",
                                   o->sdp.err ? o->sdp.err : "invalid",
                                   o->sdp.err_line)
                      - o->text.data;
        o->status = NGX_HTTP_BAD_REQUEST;

        ngx_rtc_whep_offer_done(o);
        return NGX_OK;
    }

    /*
     * What the stream does not decide is refused before the session is
     * registered, which would start an on-demand camera: no video to send
     * on (422, not the codec mismatch's 406: Eyevinn's player answers a
     * 406 by offering again with the other kind of media, and again, at
     * once, forever), no ICE credentials, fingerprint or DTLS role (400)
     */

    if (ngx_rtc_negotiate_offer(&o->sdp, &neg) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, o->log, 0,
                      "rtc whep offer refused: %V", &neg.reason);

        o->status = neg.status;
        o->text = neg.reason;

        ngx_rtc_whep_offer_done(o);
        return NGX_OK;
    }

    /*
     * An exiting worker gets offers on connections it accepted before:
     * a browser's keep-alive or preconnected socket.  If no new worker
     * uses its zone (a stop, a reload to another zone), nobody will feed a
     * session made here: 503, and the connection closes after it (nginx
     * keeps none alive while exiting), so the retry reaches a new worker.
     */

    if (ngx_exiting && ngx_rtc_shm_retired()) {
        ngx_log_error(NGX_LOG_INFO, o->log, 0,
                      "rtc whep offer refused: this worker is exiting and "
                      "its zone is not used by a new configuration");

        ngx_rtc_whep_offer_fail(o, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                "the server is restarting: try again");
        return NGX_OK;
    }

    if (ngx_rtc_session_id(o->id) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the registered session is the stream's demand: it starts a producer */

    rc = ngx_rtc_shm_session_add(st->conf->index, st->incarnation, o->id,
                                 rmcf->max_sessions, st->conf->max_sessions);

    if (rc != NGX_OK) {
        if (rc == NGX_ABORT) {
            ngx_log_error(NGX_LOG_INFO, o->log, 0,
                          "rtc whep offer refused: a reload gave stream "
                          "\"%V\"'s entry to another stream",
                          &st->conf->name);

            ngx_rtc_whep_offer_fail(o, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                    "the server is restarting: try again");
            return NGX_OK;
        }

        if (rc == NGX_BUSY) {
            ngx_log_error(NGX_LOG_WARN, o->log, 0,
                          "rtc whep stream \"%V\" has max_sessions=%ui "
                          "viewers", &st->conf->name, st->conf->max_sessions);

            ngx_rtc_whep_offer_fail(o, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                    "too many viewers of this stream");
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_WARN, o->log, 0,
                      "rtc whep session limit %ui reached",
                      rmcf->max_sessions);

        ngx_rtc_whep_offer_fail(o, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                "too many sessions");
        return NGX_OK;
    }

    o->registered = 1;
    o->deadline = ngx_current_msec + rmcf->wait_timeout;
    o->wait.handler = ngx_rtc_whep_offer_wait;

    if (ngx_rtc_whep_offer_ready(st)) {
        ngx_rtc_whep_offer_answer(o);
        return NGX_OK;
    }

    ngx_rtc_producer_kick();
    ngx_add_timer(&o->wait, NGX_RTC_WHEP_POLL);
    o->async = 1;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_whep_offer_refuse(ngx_http_request_t *r, ngx_uint_t status,
    char *text)
{
    ngx_str_t  reason;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    reason.data = (u_char *) text;
    reason.len = ngx_strlen(text);

    return ngx_rtc_whep_text(r, status, &reason);
}


ngx_int_t
ngx_rtc_whep_offer_read(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post)
{
    ngx_int_t  rc;

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, post);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_rtc_whep_offer_body(ngx_http_request_t *r, ngx_str_t *body, size_t max)
{
    ngx_str_t  text;

    if (ngx_rtc_whep_read_body(r, body, max) == NGX_OK) {
        return NGX_OK;
    }

    ngx_str_set(&text, "the offer is too large or unreadable");
    ngx_http_finalize_request(r,
        ngx_rtc_whep_text(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &text));

    return NGX_ERROR;
}


void
ngx_rtc_whep_offer_request(ngx_rtc_whep_offer_t *o, ngx_http_request_t *r,
    ngx_str_t *sdp)
{
    o->pool = r->pool;
    o->log = r->connection->log;
    o->connection = r->connection;

    /*
     * The client leaving while the offer waits (a closed connection, an
     * HTTP/2 stream reset) ends the request at once (499); the pool's
     * cleanup then takes the offer back
     */

    r->read_event_handler = ngx_http_test_reading;

    if (ngx_rtc_whep_offer(o, sdp) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/*
 * The camera of an on-demand stream connects when the first viewer comes:
 * the offer waits (bounded) for the stream's codec and first keyframe.
 */

static ngx_int_t
ngx_rtc_whep_offer_ready(ngx_rtc_stream_t *st)
{
    ngx_uint_t  codec;

    codec = st->sh->codec;

    if (codec == NGX_RTC_CODEC_NONE) {
        return 0;
    }

    return codec != NGX_RTC_CODEC_H264 || ngx_rtc_ring_last_key(st->ring);
}


static void
ngx_rtc_whep_offer_wait(ngx_event_t *ev)
{
    ngx_rtc_whep_offer_t *o = ev->data;

    u_char               *p;
    ngx_rtc_stream_sh_t  *sh;

    if (ngx_rtc_whep_offer_ready(o->stream)) {
        ngx_rtc_whep_offer_answer(o);
        return;
    }

    if ((ngx_msec_int_t) (ngx_current_msec - o->deadline) < 0
        && !ngx_exiting)
    {
        ngx_add_timer(ev, NGX_RTC_WHEP_POLL);
        return;
    }

    sh = o->stream->sh;

    o->text.data = ngx_pnalloc(o->pool, 64 + NGX_RTC_NAME_LEN
                                        + NGX_RTC_ERROR_LEN);
    if (o->text.data == NULL) {
        ngx_rtc_whep_offer_fail(o, NGX_HTTP_INTERNAL_SERVER_ERROR, 0,
                                "no memory");
        return;
    }

    p = ngx_sprintf(o->text.data, "stream \"%V\" is not ready",
                    &o->stream->conf->name);

    if (sh->error_len) {
        p = ngx_sprintf(p, ": %*s", ngx_min(sh->error_len, NGX_RTC_ERROR_LEN),
                        sh->error);
    }

    o->text.len = p - o->text.data;
    o->status = NGX_HTTP_SERVICE_UNAVAILABLE;
    o->retry = 1;

    /* a refused offer leaves the zone before its answer goes out */
    ngx_rtc_whep_offer_unregister(o);

    ngx_rtc_whep_offer_done(o);
}


static void
ngx_rtc_whep_offer_answer(ngx_rtc_whep_offer_t *o)
{
    ngx_rtc_session_t         *s;
    ngx_rtc_session_result_t   res;

    ngx_memzero(&res, sizeof(ngx_rtc_session_result_t));

    s = ngx_rtc_session_create(o->stream, o->id, &o->sdp, o->pool, &res);

    if (s == NULL) {
        ngx_log_error(NGX_LOG_INFO, o->log, 0,
                      "rtc whep offer refused: %V", &res.reason);

        ngx_rtc_whep_offer_unregister(o);

        o->status = res.status;
        o->text = res.reason;

        ngx_rtc_whep_offer_done(o);
        return;
    }

    /* the session owns the registration from now on */
    o->registered = 0;
    o->text = res.answer;

    if (ngx_rtc_negotiate_h264_mode0(&o->sdp, s->video.pt)) {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                      "rtc whep the viewer offered H.264 in "
                      "packetization-mode 0 only: it gets FU-A");
    }

    if (ngx_rtc_ice_gathered(s->ice)) {
        o->session = s;
        ngx_rtc_whep_offer_done(o);
        return;
    }

    /*
     * The answer carries all our candidates: WHEP has no trickle from the
     * server to the client.  Wait (bounded) for the server-reflexive and
     * relayed ones (STUN and TURN servers).
     */

    o->pending = 1;
    o->deadline = ngx_current_msec + NGX_RTC_WHEP_GATHER_TIME;
    o->wait.handler = ngx_rtc_whep_offer_gathering;

    ngx_add_timer(&o->wait, NGX_RTC_WHEP_GATHER_POLL);
    o->async = 1;
}


static void
ngx_rtc_whep_offer_gathering(ngx_event_t *ev)
{
    ngx_rtc_whep_offer_t *o = ev->data;

    ngx_rtc_session_t  *s;

    s = ngx_rtc_stream_session(o->id);

    if (s == NULL) {
        o->pending = 0;
        ngx_rtc_whep_offer_fail(o, NGX_HTTP_INTERNAL_SERVER_ERROR, 0,
                                "the session ended while gathering "
                                "candidates");
        return;
    }

    if (!ngx_rtc_ice_gathered(s->ice)
        && (ngx_msec_int_t) (ngx_current_msec - o->deadline) < 0
        && !ngx_exiting)
    {
        ngx_add_timer(ev, NGX_RTC_WHEP_GATHER_POLL);
        return;
    }

    o->pending = 0;

    if (ngx_rtc_whep_offer_candidates(o, s) != NGX_OK) {
        ngx_rtc_session_close(s, "no memory");
        ngx_rtc_whep_offer_fail(o, NGX_HTTP_INTERNAL_SERVER_ERROR, 0,
                                "no memory");
        return;
    }

    o->session = s;
    ngx_rtc_whep_offer_done(o);
}


/*
 * The answer again with every candidate gathered by now: its
 * "a=candidate" lines (in the first bundled section) replaced by the new
 * list, in front of "a=end-of-candidates".
 */

static ngx_int_t
ngx_rtc_whep_offer_candidates(ngx_rtc_whep_offer_t *o, ngx_rtc_session_t *s)
{
    u_char       *p, *pos, *end, *next, *dst;
    size_t        len;
    ngx_str_t     ufrag, pwd, *c, *answer;
    ngx_uint_t    i, n, done;
    ngx_array_t   cands;

    answer = &o->text;

    if (ngx_array_init(&cands, o->pool, 8, sizeof(ngx_str_t)) != NGX_OK
        || ngx_rtc_ice_local(s->ice, o->pool, &ufrag, &pwd, &cands) != NGX_OK)
    {
        return NGX_ERROR;
    }

    c = cands.elts;
    n = ngx_min(cands.nelts, NGX_RTC_WHEP_MAX_CANDS);

    len = answer->len;

    for (i = 0; i < n; i++) {
        len += sizeof("a=" CRLF) - 1 + c[i].len;
    }

    dst = ngx_pnalloc(o->pool, len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    p = dst;
    done = 0;
    end = answer->data + answer->len;

    for (pos = answer->data; pos < end; pos = next) {
        next = ngx_strlchr(pos, end, LF);
        next = next ? next + 1 : end;

        if ((size_t) (next - pos) >= sizeof("a=candidate:") - 1
            && ngx_strncmp(pos, "a=candidate:", sizeof("a=candidate:") - 1)
               == 0)
        {
            pos = next;

        } else if ((size_t) (next - pos) < sizeof("a=end-of-candidates") - 1
                   || ngx_strncmp(pos, "a=end-of-candidates",
                                  sizeof("a=end-of-candidates") - 1)
                      != 0)
        {
            p = ngx_cpymem(p, pos, next - pos);
            continue;
        }

        if (!done) {
            for (i = 0; i < n; i++) {
                p = ngx_sprintf(p, "a=%V" CRLF, &c[i]);
            }

            done = 1;
        }

        p = ngx_cpymem(p, pos, next - pos);
    }

    answer->data = dst;
    answer->len = p - dst;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_whep_offer_trickle(u_char *id, ngx_str_t *cands, ngx_uint_t n)
{
    ngx_rtc_session_t  *s;

    s = ngx_rtc_stream_session(id);
    if (s == NULL) {
        return NGX_DECLINED;
    }

    return ngx_rtc_ice_remote(s->ice, NULL, NULL, cands, n);
}


static void
ngx_rtc_whep_offer_unregister(ngx_rtc_whep_offer_t *o)
{
    if (o->registered) {
        ngx_rtc_shm_session_del(o->id);
        o->registered = 0;
    }
}


static void
ngx_rtc_whep_offer_fail(ngx_rtc_whep_offer_t *o, ngx_uint_t status,
    ngx_uint_t retry, char *text)
{
    ngx_rtc_whep_offer_unregister(o);

    o->status = status;
    o->retry = retry;
    o->text.data = (u_char *) text;
    o->text.len = ngx_strlen(text);

    ngx_rtc_whep_offer_done(o);
}


static void
ngx_rtc_whep_offer_done(ngx_rtc_whep_offer_t *o)
{
    ngx_uint_t         async;
    ngx_connection_t  *c;

    if (o->wait.timer_set) {
        ngx_del_timer(&o->wait);
    }

    c = o->connection;
    async = o->async;

    o->done = 1;
    o->handler(o);

    /*
     * From our timer, as nginx's own event handlers do: what finalizing
     * the request posted runs now (a request whose client is gone ends
     * through a posted request; left there, it would stay until its
     * connection closes, an HTTP/2 stream with it)
     */

    if (async && c) {
        ngx_http_run_posted_requests(c);
    }
}


static void
ngx_rtc_whep_offer_cleanup(void *data)
{
    ngx_rtc_whep_offer_t *o = data;

    ngx_rtc_session_t  *s;

    if (o->wait.timer_set) {
        ngx_del_timer(&o->wait);
    }

    ngx_rtc_whep_offer_unregister(o);

    if (o->pending) {
        /* the client left while candidates gathered */

        s = ngx_rtc_stream_session(o->id);
        if (s) {
            ngx_rtc_session_close(s, "client left before the answer");
        }

        o->pending = 0;
    }
}
