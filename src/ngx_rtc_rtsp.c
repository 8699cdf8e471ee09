/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_http.h>

#include <ngx_rtc.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_rtsp_media.h>


/*
 * The RTSP client (RFC 2326) of one camera, on the event loop of the worker
 * that owns the stream: OPTIONS, DESCRIBE (Basic or Digest after a 401),
 * SETUP of the first H.264 or H.265 video track and of the first audio
 * track we can carry that the camera sends, PLAY, then RTP into the
 * depacketizers and keepalive requests until stopped.  Any error closes
 * the connection (with a TEARDOWN if it still works) and reconnects after
 * an exponential backoff.  Cameras' quirks taken: stray bytes between
 * interleaved frames (skipped, ngx_rtc_rtsp_skip()), a wrong CSeq before
 * PLAY's answer, a second SSRC on a track (ngx_rtc_rtsp_media.c), a
 * redirect of DESCRIBE (ngx_rtc_rtsp_redirect()), an SDP without
 * Content-Length (ngx_rtc_rtsp_sdp_body()).
 *
 * Transports: TCP interleaved (channels 0-1 for video, 2-3 for audio), or
 * UDP (transport=udp): an even/odd port pair per track from
 * rtc_rtsp_udp_ports, both sockets on the event loop, packets accepted
 * from the camera's address only.  RTCP receiver reports go to the camera
 * every 5 s on either transport.  rtsps:// runs the control connection
 * through nginx's ngx_ssl, the context made at configuration time
 * (ngx_rtc_rtsp_init_ssl).
 *
 * Everything is allocated once, in the client's own pool, at start: the
 * read buffer, the SDP and the access unit buffers.  Reconnecting
 * allocates nothing but sockets (and the transcoder, for audio=opus).
 *
 * The camera's address never blocks the worker: an IP address, or a name
 * resolved at configuration time (ngx_rtc_rtsp_init_conf(), as proxy_pass
 * does without a resolver), is used as is; with the http block's
 * "resolver", a name is resolved on every connection attempt by nginx's
 * asynchronous resolver (its cache honours the record's TTL or valid=).
 * rtsps:// keeps the name for SNI and certificate verification.
 *
 * This file is the client's life cycle (start, stop, retrying with
 * backoff) and its requests and their answers: OPTIONS, SETUP, PLAY,
 * keepalive, TEARDOWN, authentication.  The other files of the client:
 * ngx_rtc_rtsp_conn.c the control connection (connecting, resolving, TLS,
 * reading and framing its messages, sending); ngx_rtc_rtsp_describe.c the
 * answer to DESCRIBE (the choice of tracks, redirects, an SDP without
 * Content-Length); ngx_rtc_rtsp_conf.c what is done at configuration time
 * (the cameras' addresses, the TLS context).  The tracks' RTP and RTCP,
 * UDP sockets and depacketizers are ngx_rtc_rtsp_media.c's.
 */


#define NGX_RTC_RTSP_RBUF_SIZE        (128 * 1024)
#define NGX_RTC_RTSP_WBUF_SIZE        8192
#define NGX_RTC_RTSP_BACKOFF_MAX      30000
#define NGX_RTC_RTSP_SESSION_TIMEOUT  60
#define NGX_RTC_RTSP_AUTH_TRIES       3       /* 401s in a row, stale too */
#define NGX_RTC_RTSP_TICK             1000
#define NGX_RTC_RTSP_RR_INTERVAL      5000
#define NGX_RTC_RTSP_USER_AGENT       "nginx-rtc"

#define NGX_RTC_RTSP_AUTH_NONE        0
#define NGX_RTC_RTSP_AUTH_BASIC       1
#define NGX_RTC_RTSP_AUTH_DIGEST      2


static void ngx_rtc_rtsp_retry_handler(ngx_event_t *ev);
static void ngx_rtc_rtsp_keepalive_handler(ngx_event_t *ev);
static void ngx_rtc_rtsp_tick_handler(ngx_event_t *ev);
static ngx_int_t ngx_rtc_rtsp_response(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_unauthorized(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_setup_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_setup_next(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_play_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_keepalive_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_server_request(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_request(ngx_rtc_rtsp_t *rtsp,
    const char *method, ngx_str_t *url, const char *headers);
static u_char *ngx_rtc_rtsp_log_error(ngx_log_t *log, u_char *buf,
    size_t len);


static const char  ngx_rtc_rtsp_options_method[] = "OPTIONS";
static const char  ngx_rtc_rtsp_get_parameter_method[] = "GET_PARAMETER";


ngx_rtc_rtsp_t *
ngx_rtc_rtsp_start(ngx_rtc_rtsp_conf_t *conf)
{
    ngx_uint_t       i;
    ngx_pool_t      *pool;
    ngx_rtc_rtsp_t  *rtsp;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, conf->source.log);
    if (pool == NULL) {
        return NULL;
    }

    rtsp = ngx_pcalloc(pool, sizeof(ngx_rtc_rtsp_t));
    if (rtsp == NULL) {
        goto failed;
    }

    rtsp->pool = pool;
    rtsp->conf = conf->source;
    rtsp->conf_udp = conf->udp;

    if (rtsp->conf.timeout == 0) {
        rtsp->conf.timeout = 10000;
    }

    rtsp->log = *conf->source.log;
    rtsp->log.handler = ngx_rtc_rtsp_log_error;
    rtsp->log.data = rtsp;
    rtsp->log.action = NULL;

    if (ngx_rtc_auth_parse_url(&conf->source.url, &rtsp->url) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, conf->source.log, 0,
                      "rtc rtsp invalid camera URL");
        goto failed;
    }

    rtsp->rbuf = ngx_palloc(pool, NGX_RTC_RTSP_RBUF_SIZE);
    rtsp->wbuf = ngx_palloc(pool, NGX_RTC_RTSP_WBUF_SIZE);
    rtsp->au = ngx_palloc(pool, NGX_RTC_RTSP_AU_SIZE);
    rtsp->audio_buf = ngx_palloc(pool, NGX_RTC_AUDIO_AU_MAX);
    rtsp->sdp = ngx_palloc(pool, sizeof(ngx_rtc_sdp_t));

    if (rtsp->rbuf == NULL || rtsp->wbuf == NULL || rtsp->au == NULL
        || rtsp->audio_buf == NULL || rtsp->sdp == NULL)
    {
        goto failed;
    }

    if (conf->udp) {
        rtsp->ubuf = ngx_palloc(pool, NGX_RTC_RTSP_UBUF_SIZE);
        if (rtsp->ubuf == NULL) {
            goto failed;
        }
    }

    rtsp->rpos = rtsp->rbuf;
    rtsp->rlast = rtsp->rbuf;
    rtsp->rend = rtsp->rbuf + NGX_RTC_RTSP_RBUF_SIZE;

    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;
    rtsp->wend = rtsp->wbuf + NGX_RTC_RTSP_WBUF_SIZE;

    rtsp->reason.data = rtsp->reason_buf;

    for (i = 0; i < 2; i++) {
        rtsp->tracks[i].rtsp = rtsp;
        rtsp->tracks[i].url.data = rtsp->tracks[i].url_buf;
    }

    /* cancelable: they must not keep a gracefully exiting worker alive */

    rtsp->retry.handler = ngx_rtc_rtsp_retry_handler;
    rtsp->retry.data = rtsp;
    rtsp->retry.log = &rtsp->log;
    rtsp->retry.cancelable = 1;

    rtsp->keepalive.handler = ngx_rtc_rtsp_keepalive_handler;
    rtsp->keepalive.data = rtsp;
    rtsp->keepalive.log = &rtsp->log;
    rtsp->keepalive.cancelable = 1;

    rtsp->tick.handler = ngx_rtc_rtsp_tick_handler;
    rtsp->tick.data = rtsp;
    rtsp->tick.log = &rtsp->log;
    rtsp->tick.cancelable = 1;

    rtsp->backoff = NGX_RTC_RTSP_BACKOFF_MIN;

    ngx_rtc_rtsp_connect(rtsp);

    return rtsp;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


void
ngx_rtc_rtsp_stop(ngx_rtc_rtsp_t *rtsp)
{
    ngx_uint_t  level;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp stop, %ui frames", rtsp->frames);

    /*
     * no viewers left (or the stream went to another worker) before the
     * camera played: as nginx's "no live upstreams", an error
     */

    if (rtsp->failures && !rtsp->produced) {
        level = (ngx_exiting || ngx_terminate || ngx_quit) ? NGX_LOG_INFO
                                                           : NGX_LOG_ERR;

        ngx_log_error(level, &rtsp->log, 0,
                      "rtc rtsp gave up on %V after %ui failed attempts, "
                      "the last: %V", &rtsp->url.redacted, rtsp->failures,
                      &rtsp->reason);
    }

    ngx_rtc_rtsp_close(rtsp, 1);

    if (rtsp->resolving) {
        ngx_resolve_name_done(rtsp->resolving);
        rtsp->resolving = NULL;
    }

    if (rtsp->retry.timer_set) {
        ngx_del_timer(&rtsp->retry);
    }

    ngx_destroy_pool(rtsp->pool);
}


/* connected (and TLS set up): the first request */

ngx_int_t
ngx_rtc_rtsp_begin(ngx_rtc_rtsp_t *rtsp)
{
    ngx_connection_t  *c;

    c = rtsp->peer.connection;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp connected to %V", &rtsp->url.hostport);

    /* until PLAY is answered, the read timer is the response timeout */

    ngx_add_timer(c->read, rtsp->conf.timeout);

    rtsp->step = ngx_rtc_rtsp_step_options;

    return ngx_rtc_rtsp_request(rtsp, ngx_rtc_rtsp_options_method,
                                &rtsp->url.uri, NULL);
}


static void
ngx_rtc_rtsp_retry_handler(ngx_event_t *ev)
{
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_rtc_rtsp_connect(rtsp);
}


static void
ngx_rtc_rtsp_keepalive_handler(ngx_event_t *ev)
{
    const char      *method;
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ev->data;

    if (rtsp->step != ngx_rtc_rtsp_step_playing) {
        return;
    }

    /*
     * RFC 2326 10.8: GET_PARAMETER with no body as a ping; OPTIONS for
     * servers that do not list it in Public.  A reply that never comes is
     * not an error: the data flow is what the tick watches.
     */

    method = rtsp->get_parameter ? ngx_rtc_rtsp_get_parameter_method
                                 : ngx_rtc_rtsp_options_method;

    if (ngx_rtc_rtsp_request(rtsp, method, &rtsp->play_url, NULL) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    ngx_add_timer(ev, rtsp->session_timeout * 500);
}


/* while playing, every second: the no-data timeout, receiver reports */

static void
ngx_rtc_rtsp_tick_handler(ngx_event_t *ev)
{
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ev->data;

    if (rtsp->step != ngx_rtc_rtsp_step_playing) {
        return;
    }

    if (ngx_current_msec - rtsp->last_media >= rtsp->conf.timeout) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "no data from %V for %M ms",
                                 &rtsp->url.redacted, rtsp->conf.timeout);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    /* the camera said BYE on the video and sends nothing: reconnect */

    if (rtsp->tracks[NGX_RTC_RTSP_VIDEO].bye
        && ngx_current_msec - rtsp->last_media >= NGX_RTC_RTSP_BYE_WAIT)
    {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%V sent RTCP BYE and no data since",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (ngx_current_msec - rtsp->last_rr >= NGX_RTC_RTSP_RR_INTERVAL) {
        if (ngx_rtc_rtsp_media_send_rr(rtsp) != NGX_OK) {
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }
    }

    ngx_add_timer(ev, NGX_RTC_RTSP_TICK);
}


ngx_int_t
ngx_rtc_rtsp_process(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    switch (m->type) {

    case NGX_RTC_RTSP_INTERLEAVED:
        return ngx_rtc_rtsp_media_interleaved(rtsp, m);

    case NGX_RTC_RTSP_REQUEST:
        return ngx_rtc_rtsp_server_request(rtsp, m);

    default: /* NGX_RTC_RTSP_RESPONSE */
        return ngx_rtc_rtsp_response(rtsp, m);
    }
}


static ngx_int_t
ngx_rtc_rtsp_response(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp response %ui, CSeq %i, pending %ui",
                   m->status, m->cseq, rtsp->pending);

    if (rtsp->pending == 0) {
        return NGX_OK;                  /* a stray answer: ignored */
    }

    if (m->cseq >= 0 && (ngx_uint_t) m->cseq != rtsp->pending) {

        /*
         * While playing, a late answer to a keepalive.  Before, the one
         * request outstanding is what it answers: some cameras send
         * "CSeq: 0" or another wrong number in every response.  Not so
         * from a camera that gave a right one on this connection: then
         * it is an answer sent twice, or late, to an earlier request.
         */

        if (rtsp->step == ngx_rtc_rtsp_step_playing || rtsp->cseq_ok) {
            return NGX_OK;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp response with CSeq %i taken for %ui",
                       m->cseq, rtsp->pending);

    } else if (m->cseq >= 0) {
        rtsp->cseq_ok = 1;
    }

    rtsp->pending = 0;

    if (m->status == 401) {
        return ngx_rtc_rtsp_unauthorized(rtsp, m);
    }

    rtsp->auth_tries = 0;

    switch (rtsp->step) {

    case ngx_rtc_rtsp_step_options:

        /* some cameras refuse OPTIONS; DESCRIBE decides */

        if (m->status == 200 && m->public.data) {
            rtsp->get_parameter = ngx_rtc_rtsp_has_method(&m->public,
                                                          "GET_PARAMETER");
        }

        rtsp->step = ngx_rtc_rtsp_step_describe;

        return ngx_rtc_rtsp_request(rtsp, "DESCRIBE", &rtsp->url.uri,
                                    "Accept: application/sdp\r\n");

    case ngx_rtc_rtsp_step_describe:
        return ngx_rtc_rtsp_describe_done(rtsp, m);

    case ngx_rtc_rtsp_step_setup:
        return ngx_rtc_rtsp_setup_done(rtsp, m);

    case ngx_rtc_rtsp_step_play:
        return ngx_rtc_rtsp_play_done(rtsp, m);

    case ngx_rtc_rtsp_step_playing:
        return ngx_rtc_rtsp_keepalive_done(rtsp, m);

    default:
        return NGX_OK;
    }
}


static ngx_int_t
ngx_rtc_rtsp_unauthorized(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_int_t  rc;

    if (!rtsp->url.has_userinfo) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V: the URL has no credentials",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    /*
     * One retry with the credentials; more only when the camera says the
     * Digest nonce went stale (RFC 7616 3.3), not the password wrong, and
     * never more than NGX_RTC_RTSP_AUTH_TRIES in a row.
     */

    if (rtsp->auth_tries >= NGX_RTC_RTSP_AUTH_TRIES) {
        return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
    }

    rc = NGX_DECLINED;

    if (m->auth_digest.data) {
        rc = ngx_rtc_auth_digest_parse(&m->auth_digest, &rtsp->digest);
    }

    if (rc == NGX_OK) {
        if (rtsp->auth_tries && !rtsp->digest.stale) {
            return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
        }

        rtsp->auth = NGX_RTC_RTSP_AUTH_DIGEST;

    } else if (m->auth_basic.data) {
        if (rtsp->auth_tries) {
            return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
        }

        rtsp->auth = NGX_RTC_RTSP_AUTH_BASIC;

    } else {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V: no supported challenge",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    rtsp->auth_tries++;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp retrying with %s authentication",
                   rtsp->auth == NGX_RTC_RTSP_AUTH_DIGEST ? "Digest"
                                                           : "Basic");

    return ngx_rtc_rtsp_request(rtsp, rtsp->pending_method,
                                &rtsp->pending_url, rtsp->pending_headers);
}


ngx_int_t
ngx_rtc_rtsp_setup(ngx_rtc_rtsp_t *rtsp)
{
    u_char                *p;
    ngx_rtc_rtsp_track_t  *t;

    t = &rtsp->tracks[rtsp->setup];

    /* RFC 2326 12.39: one channel pair, one port pair per track */

    if (rtsp->udp) {
        if (ngx_rtc_rtsp_media_udp_open(rtsp, t) != NGX_OK) {
            return NGX_ERROR;
        }

        p = ngx_snprintf(rtsp->transport_buf, sizeof(rtsp->transport_buf) - 1,
                         "Transport: RTP/AVP;unicast;client_port=%d-%d\r\n",
                         (int) t->port, (int) t->port + 1);

    } else {
        t->channel = rtsp->setup * 2;

        p = ngx_snprintf(rtsp->transport_buf, sizeof(rtsp->transport_buf) - 1,
                         "Transport: RTP/AVP/TCP;unicast;"
                         "interleaved=%ui-%ui\r\n",
                         t->channel, t->channel + 1);
    }

    *p = '\0';

    return ngx_rtc_rtsp_request(rtsp, "SETUP", &t->url,
                                (const char *) rtsp->transport_buf);
}


static ngx_int_t
ngx_rtc_rtsp_setup_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_rtc_rtsp_track_t      *t;
    ngx_rtc_rtsp_transport_t   tr;

    t = &rtsp->tracks[rtsp->setup];

    if (m->status != 200) {

        /*
         * 461 Unsupported Transport (RFC 2326 11.4.6) for the first track:
         * the other transport, once.  A refused audio track is left out.
         */

        if (m->status == 461 && rtsp->setup == NGX_RTC_RTSP_VIDEO
            && !rtsp->fallback)
        {
            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: 461 to SETUP over %s, trying %s",
                          &rtsp->url.redacted,
                          rtsp->udp ? "UDP" : "TCP",
                          rtsp->udp ? "TCP" : "UDP");

            ngx_rtc_rtsp_media_udp_close(t);

            rtsp->fallback = 1;
            rtsp->udp = !rtsp->udp;

            if (rtsp->udp && rtsp->ubuf == NULL) {
                rtsp->ubuf = ngx_palloc(rtsp->pool, NGX_RTC_RTSP_UBUF_SIZE);
                if (rtsp->ubuf == NULL) {
                    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                             "out of memory");
                }
            }

            return ngx_rtc_rtsp_setup(rtsp);
        }

        if (rtsp->setup == NGX_RTC_RTSP_AUDIO) {
            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: %ui %V to SETUP of the audio track, "
                          "playing video only", &rtsp->url.redacted,
                          m->status, &m->reason);

            ngx_rtc_rtsp_media_udp_close(t);
            rtsp->ntracks = 1;

            rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_AUDIO,
                             NGX_RTC_CODEC_NONE, 0, 0);

            return ngx_rtc_rtsp_setup_next(rtsp);
        }

        return ngx_rtc_rtsp_status_error(rtsp, m, "SETUP");
    }

    if (rtsp->session.len == 0) {
        if (m->session.len == 0 || m->session.len > NGX_RTC_RTSP_SESSION_MAX)
        {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%s Session header from %V",
                                     m->session.len ? "too long" : "no",
                                     &rtsp->url.redacted);
        }

        ngx_memcpy(rtsp->session_buf, m->session.data, m->session.len);
        rtsp->session.data = rtsp->session_buf;
        rtsp->session.len = m->session.len;

        rtsp->session_timeout = m->session_timeout
                                ? m->session_timeout
                                : NGX_RTC_RTSP_SESSION_TIMEOUT;
    }

    /* the server may pick other channels or ports than the ones asked for */

    ngx_memzero(&tr, sizeof(ngx_rtc_rtsp_transport_t));
    tr.interleaved[0] = -1;

    if (m->transport.data
        && ngx_rtc_rtsp_parse_transport(&m->transport, &tr) != NGX_OK)
    {
        ngx_memzero(&tr, sizeof(ngx_rtc_rtsp_transport_t));
        tr.interleaved[0] = -1;
    }

    if (rtsp->udp) {
        if (tr.interleaved[0] >= 0) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V answered SETUP over UDP with TCP "
                                     "interleaved channels",
                                     &rtsp->url.redacted);
        }

        t->server_rtcp = tr.server_port[1] ? tr.server_port[1]
                         : tr.server_port[0] ? tr.server_port[0] + 1 : 0;

        ngx_log_debug3(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp track %ui: client port %d, server RTCP %d",
                       rtsp->setup, (int) t->port, (int) t->server_rtcp);

    } else {
        if (tr.interleaved[0] < 0 && (tr.client_port[0] || tr.server_port[0]))
        {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V answered SETUP with UDP transport",
                                     &rtsp->url.redacted);
        }

        if (tr.interleaved[0] >= 0) {
            t->channel = tr.interleaved[0];
        }
    }

    if (tr.has_ssrc) {
        ngx_rtc_rtsp_media_lock_ssrc(rtsp, t, tr.ssrc);
    }

    t->active = 1;

    return ngx_rtc_rtsp_setup_next(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_setup_next(ngx_rtc_rtsp_t *rtsp)
{
    if (++rtsp->setup < rtsp->ntracks) {
        return ngx_rtc_rtsp_setup(rtsp);
    }

    rtsp->step = ngx_rtc_rtsp_step_play;

    return ngx_rtc_rtsp_request(rtsp, "PLAY", &rtsp->play_url,
                                "Range: npt=0.000-\r\n");
}


static ngx_int_t
ngx_rtc_rtsp_play_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_connection_t  *c;

    if (m->status != 200) {
        return ngx_rtc_rtsp_status_error(rtsp, m, "PLAY");
    }

    rtsp->step = ngx_rtc_rtsp_step_playing;
    rtsp->reason.len = 0;
    rtsp->last_media = ngx_current_msec;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V: playing over %s, %ui track%s, "
                  "session timeout %uis", &rtsp->url.redacted,
                  rtsp->udp ? "UDP" : "TCP", rtsp->ntracks,
                  rtsp->ntracks > 1 ? "s" : "", rtsp->session_timeout);

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_PLAYING);

    /* the tick watches the media from now on */

    c = rtsp->peer.connection;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ngx_add_timer(&rtsp->keepalive, rtsp->session_timeout * 500);
    ngx_add_timer(&rtsp->tick, NGX_RTC_RTSP_TICK);

    /* a first report opens the way through NATs and firewalls for UDP */

    return ngx_rtc_rtsp_media_send_rr(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_keepalive_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    if (m->status == 454) {
        return ngx_rtc_rtsp_status_error(rtsp, m, rtsp->pending_method);
    }

    if (m->status >= 400
        && rtsp->pending_method == ngx_rtc_rtsp_get_parameter_method)
    {
        /* listed but refused: fall back to OPTIONS */
        rtsp->get_parameter = 0;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_rtsp_server_request(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    u_char      *p;
    const char  *status;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp server request %V", &m->method);

    if (m->cseq < 0) {
        return NGX_OK;
    }

    /* RFC 2326 10.1, 10.8, 10.9: answer pings; refuse the rest */

    if ((m->method.len == 7
         && ngx_strncmp(m->method.data, "OPTIONS", 7) == 0)
        || (m->method.len == 13
            && ngx_strncmp(m->method.data, "GET_PARAMETER", 13) == 0)
        || (m->method.len == 13
            && ngx_strncmp(m->method.data, "SET_PARAMETER", 13) == 0))
    {
        status = "200 OK";

    } else {
        status = "501 Not Implemented";
    }

    p = ngx_slprintf(rtsp->wlast, rtsp->wend,
                     "RTSP/1.0 %s\r\nCSeq: %i\r\n", status, m->cseq);

    if (rtsp->session.len) {
        p = ngx_slprintf(p, rtsp->wend, "Session: %V\r\n", &rtsp->session);
    }

    p = ngx_slprintf(p, rtsp->wend, "\r\n");

    if (p == rtsp->wend) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "write buffer full for %V",
                                 &rtsp->url.redacted);
    }

    rtsp->wlast = p;

    return ngx_rtc_rtsp_flush(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_request(ngx_rtc_rtsp_t *rtsp, const char *method,
    ngx_str_t *url, const char *headers)
{
    u_char     *p, *last;
    ngx_int_t   rc;
    ngx_str_t   authz, m;

    if (rtsp->wpos == rtsp->wlast) {
        rtsp->wpos = rtsp->wbuf;
        rtsp->wlast = rtsp->wbuf;
    }

    p = rtsp->wlast;
    last = rtsp->wend;

    p = ngx_slprintf(p, last,
                     "%s %V RTSP/1.0\r\n"
                     "CSeq: %ui\r\n"
                     "User-Agent: " NGX_RTC_RTSP_USER_AGENT "\r\n",
                     method, url, ++rtsp->cseq);

    if (rtsp->auth != NGX_RTC_RTSP_AUTH_NONE) {

        if (rtsp->auth == NGX_RTC_RTSP_AUTH_BASIC) {
            rc = ngx_rtc_auth_basic(&rtsp->url, rtsp->auth_buf,
                                    NGX_RTC_RTSP_AUTH_MAX, &authz);

        } else {
            m.data = (u_char *) method;
            m.len = ngx_strlen(method);

            rc = ngx_rtc_auth_digest(&rtsp->digest, &rtsp->url.user,
                                     &rtsp->url.password, &m, url,
                                     rtsp->auth_buf, NGX_RTC_RTSP_AUTH_MAX,
                                     &authz);
        }

        if (rc != NGX_OK) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "cannot make credentials for %V",
                                     &rtsp->url.redacted);
        }

        p = ngx_slprintf(p, last, "Authorization: %V\r\n", &authz);
    }

    if (rtsp->session.len) {
        p = ngx_slprintf(p, last, "Session: %V\r\n", &rtsp->session);
    }

    if (headers) {
        p = ngx_slprintf(p, last, "%s", headers);
    }

    p = ngx_slprintf(p, last, "\r\n");

    if (p == last) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%s request for %V too large",
                                 method, &rtsp->url.redacted);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp request %s, CSeq %ui, auth %ui",
                   method, rtsp->cseq, rtsp->auth);

    rtsp->wlast = p;

    rtsp->pending = rtsp->cseq;
    rtsp->pending_sent = ngx_current_msec;
    rtsp->pending_method = method;
    rtsp->pending_url = *url;
    rtsp->pending_headers = headers;

    return ngx_rtc_rtsp_flush(rtsp);
}


ngx_int_t
ngx_rtc_rtsp_fail(ngx_rtc_rtsp_t *rtsp, ngx_uint_t level, const char *fmt,
    ...)
{
    u_char   *p, *q;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(rtsp->reason_buf,
                      rtsp->reason_buf + NGX_RTC_RTSP_REASON_MAX, fmt, args);
    va_end(args);

    /* reason phrases and SDP errors come from the camera: keep them plain */

    for (q = rtsp->reason_buf; q < p; q++) {
        if (*q < 0x20 || *q >= 0x7f) {
            *q = '?';
        }
    }

    rtsp->reason.data = rtsp->reason_buf;
    rtsp->reason.len = p - rtsp->reason_buf;
    rtsp->level = level;

    return NGX_ERROR;
}


ngx_int_t
ngx_rtc_rtsp_status_error(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m,
    const char *method)
{
    /* "401 Unauthorized from " and the redacted URL */

    if (method == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "%ui %V from %V",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "%ui %V from %V (%s)",
                             m->status, &m->reason, &rtsp->url.redacted,
                             method);
}


/*
 * As nginx logs upstreams: the state changes at "error", which the
 * default error_log level shows, the repeats at "info".  The first
 * failure of a camera, or the loss of one that was playing, is a change;
 * the failures after it, until the camera plays again, are repeats.  Our
 * own trouble (out of memory) keeps its level.
 */

void
ngx_rtc_rtsp_retry_later(ngx_rtc_rtsp_t *rtsp)
{
    ngx_uint_t         level, playing;
    ngx_connection_t  *c;

    if (rtsp->reason.len == 0) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "error with %V",
                                 &rtsp->url.redacted);
    }

    playing = rtsp->produced;

    /*
     * A TEARDOWN on a connection still good: without it some cameras
     * (old live555) keep streaming the session and send its RTP on the
     * next connection too.
     */

    c = rtsp->peer.connection;

    ngx_rtc_rtsp_close(rtsp, c && !c->read->eof && !c->read->error
                             && !c->write->error && !c->write->timedout);

    level = (playing || rtsp->failures == 0) ? NGX_LOG_ERR : NGX_LOG_INFO;

    if (rtsp->level < NGX_LOG_ERR) {
        level = rtsp->level;
    }

    rtsp->failures++;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V", &rtsp->reason);
        return;
    }

    if (rtsp->failures == 1) {
        ngx_log_error(level, &rtsp->log, 0,
                      "rtc rtsp %V%s, retrying in %M ms",
                      &rtsp->reason, playing ? " (was playing)" : "",
                      rtsp->backoff);

    } else {
        ngx_log_error(level, &rtsp->log, 0,
                      "rtc rtsp %V, retrying in %M ms (%ui failures in a row)",
                      &rtsp->reason, rtsp->backoff, rtsp->failures);
    }

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_RETRYING);

    if (rtsp->retry.timer_set) {
        ngx_del_timer(&rtsp->retry);
    }

    ngx_add_timer(&rtsp->retry, rtsp->backoff);

    rtsp->backoff = ngx_min(rtsp->backoff * 2, NGX_RTC_RTSP_BACKOFF_MAX);
}


void
ngx_rtc_rtsp_close(ngx_rtc_rtsp_t *rtsp, ngx_uint_t teardown)
{
    size_t             len;
    ngx_uint_t         level;
    ngx_pool_t        *pool;
    ngx_connection_t  *c;
    u_char             reason[NGX_RTC_RTSP_REASON_MAX];

    c = rtsp->peer.connection;

    if (c) {
        if (teardown && rtsp->session.len) {
            /*
             * best effort: one send attempt, no waiting for the answer;
             * the reason of the failure that closes stays
             */

            len = rtsp->reason.len;
            level = rtsp->level;
            ngx_memcpy(reason, rtsp->reason_buf, len);

            (void) ngx_rtc_rtsp_request(rtsp, "TEARDOWN", &rtsp->play_url,
                                        NULL);

            ngx_memcpy(rtsp->reason_buf, reason, len);
            rtsp->reason.len = len;
            rtsp->level = level;
        }

        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        pool = c->pool;

        ngx_close_connection(c);
        rtsp->peer.connection = NULL;

        if (pool) {
            ngx_destroy_pool(pool);
        }
    }

    ngx_rtc_rtsp_media_reset(rtsp);

    if (rtsp->keepalive.timer_set) {
        ngx_del_timer(&rtsp->keepalive);
    }

    if (rtsp->tick.timer_set) {
        ngx_del_timer(&rtsp->tick);
    }

    rtsp->step = ngx_rtc_rtsp_step_idle;
    rtsp->pending = 0;
    rtsp->pending_method = NULL;
    rtsp->session.len = 0;
    rtsp->auth = NGX_RTC_RTSP_AUTH_NONE;
    rtsp->auth_tries = 0;
    rtsp->get_parameter = 0;
    rtsp->ntracks = 0;
    rtsp->garbage = 0;
    rtsp->skipped = 0;
    rtsp->skips = 0;
    rtsp->produced = 0;
    rtsp->cseq_ok = 0;
    rtsp->sdp_wait = 0;
    rtsp->log.action = NULL;

    rtsp->rpos = rtsp->rbuf;
    rtsp->rlast = rtsp->rbuf;
    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;
}


void
ngx_rtc_rtsp_set_state(ngx_rtc_rtsp_t *rtsp, ngx_uint_t state)
{
    /*
     * RETRYING carries the failure; CONNECTING the previous one, if any,
     * so that a camera that keeps failing shows why; PLAYING none.
     */

    rtsp->conf.state(rtsp->conf.data, state, &rtsp->reason);
}


static u_char *
ngx_rtc_rtsp_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char          *p;
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = log->data;
    p = buf;

    /* context for nginx's own messages (connect(), recv(), send()) */

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s, camera: %V", log->action,
                         &rtsp->url.redacted);
        len -= p - buf;
    }

    if (rtsp->conf.name.len) {
        p = ngx_snprintf(p, len, ", stream: \"%V\"", &rtsp->conf.name);
    }

    return p;
}
