/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include "ngx_rtc_rtsp.h"
#include "ngx_rtc_rtsp_parse.h"
#include "ngx_rtc_auth.h"
#include "ngx_rtc_rtp.h"
#include "ngx_rtc_sdp.h"
#include "ngx_rtc_h264.h"
#include "ngx_rtc_h265.h"


/*
 * The RTSP client (RFC 2326) of one camera, on the event loop of the worker
 * that owns the stream: OPTIONS, DESCRIBE (Basic or Digest after a 401),
 * SETUP of the first video track over TCP interleaved channels, PLAY, then
 * RTP into the H.264 or H.265 depacketizer and keepalive requests until
 * stopped.  Another video codec is reported through codec() and played,
 * but produces no frames; audio tracks are skipped.  Any
 * error closes the connection and reconnects after an exponential backoff.
 *
 * Everything is allocated once, in the client's own pool, at start: the
 * read buffer, the SDP and the access unit buffer.  Reconnecting allocates
 * nothing.  The host name is resolved synchronously by ngx_parse_url()
 * (getaddrinfo) the first time a connection is attempted; an IP address
 * never blocks, a name blocks the worker for the resolver's time.
 */


#define NGX_RTC_RTSP_RBUF_SIZE        (128 * 1024)
#define NGX_RTC_RTSP_WBUF_SIZE        8192
#define NGX_RTC_RTSP_AU_SIZE          (2 * 1024 * 1024)
#define NGX_RTC_RTSP_BACKOFF_MIN      500
#define NGX_RTC_RTSP_BACKOFF_MAX      30000
#define NGX_RTC_RTSP_SESSION_TIMEOUT  60
#define NGX_RTC_RTSP_SESSION_MAX      256
#define NGX_RTC_RTSP_REASON_MAX       256
#define NGX_RTC_RTSP_AUTH_MAX         2048
#define NGX_RTC_RTSP_USER_AGENT       "nginx-rtc"

#define NGX_RTC_RTSP_AUTH_NONE        0
#define NGX_RTC_RTSP_AUTH_BASIC       1
#define NGX_RTC_RTSP_AUTH_DIGEST      2


typedef enum {
    ngx_rtc_rtsp_step_idle = 0,
    ngx_rtc_rtsp_step_connect,
    ngx_rtc_rtsp_step_options,
    ngx_rtc_rtsp_step_describe,
    ngx_rtc_rtsp_step_setup,
    ngx_rtc_rtsp_step_play,
    ngx_rtc_rtsp_step_playing
} ngx_rtc_rtsp_step_e;


struct ngx_rtc_rtsp_s {
    ngx_rtc_rtsp_conf_t       conf;
    ngx_pool_t               *pool;
    ngx_log_t                 log;

    ngx_rtc_url_t             url;

    ngx_sockaddr_t            sockaddr;
    socklen_t                 socklen;

    ngx_peer_connection_t     peer;
    ngx_event_t               retry;
    ngx_event_t               keepalive;
    ngx_msec_t                backoff;

    ngx_rtc_rtsp_step_e       step;

    /* the request waiting for its response, to resend it after a 401 */
    ngx_uint_t                cseq;
    ngx_uint_t                pending;          /* its CSeq; 0: none */
    const char               *pending_method;
    ngx_str_t                 pending_url;
    const char               *pending_headers;

    ngx_uint_t                auth;             /* NGX_RTC_RTSP_AUTH_* */
    ngx_rtc_auth_digest_t     digest;

    u_char                   *rbuf;
    u_char                   *rpos;
    u_char                   *rlast;
    u_char                   *rend;

    u_char                   *wbuf;
    u_char                   *wpos;
    u_char                   *wlast;
    u_char                   *wend;

    ngx_str_t                 setup_url;
    ngx_str_t                 play_url;         /* the aggregate control */
    ngx_str_t                 session;
    ngx_uint_t                session_timeout;  /* seconds */

    ngx_uint_t                codec;            /* NGX_RTC_CODEC_* */
    ngx_uint_t                pt;
    ngx_uint_t                channel;          /* interleaved RTP channel */

    ngx_rtc_sdp_t            *sdp;
    ngx_rtc_h264_depack_t     h264;
    ngx_rtc_h265_depack_t     h265;
    u_char                   *au;

    /* arrival time of the first packet of the current and previous AU */
    uint32_t                  au_ts;
    int64_t                   au_capture;
    int64_t                   au_prev_capture;

    ngx_uint_t                level;            /* of the failure reason */
    ngx_str_t                 reason;

    ngx_uint_t                packets;
    ngx_uint_t                frames;

    unsigned                  resolved:1;
    unsigned                  auth_retried:1;
    unsigned                  get_parameter:1;  /* listed in Public */
    unsigned                  au_started:1;

    u_char                    reason_buf[NGX_RTC_RTSP_REASON_MAX];
    u_char                    auth_buf[NGX_RTC_RTSP_AUTH_MAX];
    u_char                    setup_buf[NGX_RTC_URL_MAX];
    u_char                    play_buf[NGX_RTC_URL_MAX];
    u_char                    session_buf[NGX_RTC_RTSP_SESSION_MAX];
};


static void ngx_rtc_rtsp_connect(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_resolve(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_test_connect(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static void ngx_rtc_rtsp_write_handler(ngx_event_t *wev);
static void ngx_rtc_rtsp_read_handler(ngx_event_t *rev);
static void ngx_rtc_rtsp_retry_handler(ngx_event_t *ev);
static void ngx_rtc_rtsp_keepalive_handler(ngx_event_t *ev);
static ngx_int_t ngx_rtc_rtsp_process(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_response(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_unauthorized(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_describe_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_setup_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_play_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_keepalive_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_server_request(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static void ngx_rtc_rtsp_rtp(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m);
static void ngx_rtc_rtsp_au(void *data, u_char *au, size_t len,
    uint32_t rtp_ts, ngx_uint_t key);
static ngx_int_t ngx_rtc_rtsp_request(ngx_rtc_rtsp_t *rtsp,
    const char *method, ngx_str_t *url, const char *headers);
static ngx_int_t ngx_rtc_rtsp_flush(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_fail(ngx_rtc_rtsp_t *rtsp, ngx_uint_t level,
    const char *fmt, ...);
static ngx_int_t ngx_rtc_rtsp_status_error(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m, const char *method);
static void ngx_rtc_rtsp_retry_later(ngx_rtc_rtsp_t *rtsp);
static void ngx_rtc_rtsp_close(ngx_rtc_rtsp_t *rtsp, ngx_uint_t teardown);
static void ngx_rtc_rtsp_set_state(ngx_rtc_rtsp_t *rtsp, ngx_uint_t state);
static u_char *ngx_rtc_rtsp_log_error(ngx_log_t *log, u_char *buf,
    size_t len);


static const char  ngx_rtc_rtsp_options_method[] = "OPTIONS";
static const char  ngx_rtc_rtsp_get_parameter_method[] = "GET_PARAMETER";


ngx_rtc_rtsp_t *
ngx_rtc_rtsp_start(ngx_rtc_rtsp_conf_t *conf)
{
    ngx_pool_t      *pool;
    ngx_rtc_rtsp_t  *rtsp;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, conf->log);
    if (pool == NULL) {
        return NULL;
    }

    rtsp = ngx_pcalloc(pool, sizeof(ngx_rtc_rtsp_t));
    if (rtsp == NULL) {
        goto failed;
    }

    rtsp->pool = pool;
    rtsp->conf = *conf;

    if (rtsp->conf.timeout == 0) {
        rtsp->conf.timeout = 10000;
    }

    rtsp->log = *conf->log;
    rtsp->log.handler = ngx_rtc_rtsp_log_error;
    rtsp->log.data = rtsp;
    rtsp->log.action = NULL;

    if (ngx_rtc_auth_parse_url(&conf->url, &rtsp->url) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, conf->log, 0,
                      "rtc rtsp invalid camera URL");
        goto failed;
    }

    rtsp->rbuf = ngx_palloc(pool, NGX_RTC_RTSP_RBUF_SIZE);
    rtsp->wbuf = ngx_palloc(pool, NGX_RTC_RTSP_WBUF_SIZE);
    rtsp->au = ngx_palloc(pool, NGX_RTC_RTSP_AU_SIZE);
    rtsp->sdp = ngx_palloc(pool, sizeof(ngx_rtc_sdp_t));

    if (rtsp->rbuf == NULL || rtsp->wbuf == NULL || rtsp->au == NULL
        || rtsp->sdp == NULL)
    {
        goto failed;
    }

    rtsp->rpos = rtsp->rbuf;
    rtsp->rlast = rtsp->rbuf;
    rtsp->rend = rtsp->rbuf + NGX_RTC_RTSP_RBUF_SIZE;

    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;
    rtsp->wend = rtsp->wbuf + NGX_RTC_RTSP_WBUF_SIZE;

    rtsp->reason.data = rtsp->reason_buf;

    /* cancelable: they must not keep a gracefully exiting worker alive */

    rtsp->retry.handler = ngx_rtc_rtsp_retry_handler;
    rtsp->retry.data = rtsp;
    rtsp->retry.log = &rtsp->log;
    rtsp->retry.cancelable = 1;

    rtsp->keepalive.handler = ngx_rtc_rtsp_keepalive_handler;
    rtsp->keepalive.data = rtsp;
    rtsp->keepalive.log = &rtsp->log;
    rtsp->keepalive.cancelable = 1;

    rtsp->backoff = NGX_RTC_RTSP_BACKOFF_MIN;

    if (rtsp->url.tls) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "rtsps is not supported yet: %V",
                                 &rtsp->url.redacted);

        ngx_log_error(NGX_LOG_ERR, &rtsp->log, 0, "rtc rtsp %V",
                      &rtsp->reason);

        ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_RETRYING);

        return rtsp;
    }

    ngx_rtc_rtsp_connect(rtsp);

    return rtsp;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


void
ngx_rtc_rtsp_stop(ngx_rtc_rtsp_t *rtsp)
{
    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp stop, %ui frames", rtsp->frames);

    ngx_rtc_rtsp_close(rtsp, 1);

    if (rtsp->retry.timer_set) {
        ngx_del_timer(&rtsp->retry);
    }

    ngx_destroy_pool(rtsp->pool);
}


static void
ngx_rtc_rtsp_connect(ngx_rtc_rtsp_t *rtsp)
{
    ngx_int_t               rc;
    ngx_connection_t       *c;
    ngx_peer_connection_t  *pc;

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_CONNECTING);

    if (!rtsp->resolved && ngx_rtc_rtsp_resolve(rtsp) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    pc = &rtsp->peer;
    ngx_memzero(pc, sizeof(ngx_peer_connection_t));

    pc->sockaddr = &rtsp->sockaddr.sockaddr;
    pc->socklen = rtsp->socklen;
    pc->name = &rtsp->url.hostport;
    pc->get = ngx_event_get_peer;
    pc->log = &rtsp->log;
    pc->log_error = NGX_ERROR_INFO;

    rtsp->log.action = "connecting to camera";

    rc = ngx_event_connect_peer(pc);

    rtsp->log.action = NULL;

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        if (pc->connection) {
            ngx_close_connection(pc->connection);
            pc->connection = NULL;
        }

        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot connect to %V",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    c = pc->connection;
    c->data = rtsp;
    c->read->handler = ngx_rtc_rtsp_read_handler;
    c->write->handler = ngx_rtc_rtsp_write_handler;

    /* closed by ngx_close_idle_connections() on graceful shutdown */
    c->idle = 1;

    rtsp->step = ngx_rtc_rtsp_step_connect;

    ngx_add_timer(c->write, rtsp->conf.timeout);

    if (rc == NGX_OK) {
        ngx_rtc_rtsp_write_handler(c->write);
    }
}


static ngx_int_t
ngx_rtc_rtsp_resolve(ngx_rtc_rtsp_t *rtsp)
{
    ngx_url_t    u;
    ngx_pool_t  *pool;

    /* a scratch pool: failed attempts are repeated and must not pile up */

    pool = ngx_create_pool(1024, &rtsp->log);
    if (pool == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = rtsp->url.hostport;
    u.default_port = rtsp->url.port;

    if (ngx_parse_url(pool, &u) != NGX_OK || u.naddrs == 0
        || u.addrs[0].socklen > sizeof(ngx_sockaddr_t))
    {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot resolve %V: %s",
                                 &rtsp->url.redacted,
                                 u.err ? u.err : "no address");
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    ngx_memcpy(&rtsp->sockaddr, u.addrs[0].sockaddr, u.addrs[0].socklen);
    rtsp->socklen = u.addrs[0].socklen;
    rtsp->resolved = 1;

    ngx_destroy_pool(pool);

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_rtsp_test_connect(ngx_rtc_rtsp_t *rtsp, ngx_connection_t *c)
{
    int        err;
    u_char     msg[NGX_MAX_ERROR_STR], *p;
    socklen_t  len;

    err = 0;
    len = sizeof(int);

    /* Solaris returns the error in errno, others in err */

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err == 0) {
        return NGX_OK;
    }

    p = ngx_strerror(err, msg, sizeof(msg));

    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot connect to %V: %*s",
                             &rtsp->url.redacted, p - msg, msg);
}


static void
ngx_rtc_rtsp_write_handler(ngx_event_t *wev)
{
    ngx_rtc_rtsp_t    *rtsp;
    ngx_connection_t  *c;

    c = wev->data;
    rtsp = c->data;

    if (wev->timedout) {
        if (rtsp->step == ngx_rtc_rtsp_step_connect) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                     "cannot connect to %V: timed out",
                                     &rtsp->url.redacted);

        } else {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "sending to %V timed out",
                                     &rtsp->url.redacted);
        }

        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (rtsp->step != ngx_rtc_rtsp_step_connect) {
        if (ngx_rtc_rtsp_flush(rtsp) != NGX_OK) {
            ngx_rtc_rtsp_retry_later(rtsp);
        }

        return;
    }

    if (ngx_rtc_rtsp_test_connect(rtsp, c) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp connected to %V", &rtsp->url.hostport);

    /* from now on the read timer is the response and no-data timeout */

    ngx_add_timer(c->read, rtsp->conf.timeout);

    rtsp->step = ngx_rtc_rtsp_step_options;

    if (ngx_rtc_rtsp_request(rtsp, ngx_rtc_rtsp_options_method,
                             &rtsp->url.uri, NULL)
        != NGX_OK)
    {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


static void
ngx_rtc_rtsp_read_handler(ngx_event_t *rev)
{
    size_t               n;
    ssize_t              size;
    ngx_int_t            rc;
    ngx_rtc_rtsp_t      *rtsp;
    ngx_connection_t    *c;
    ngx_rtc_rtsp_msg_t   m;

    c = rev->data;
    rtsp = c->data;

    if (c->close) {

        /* graceful shutdown (idle connection) or worker_shutdown_timeout */

        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp closed on shutdown");

        ngx_rtc_rtsp_close(rtsp, 1);
        return;
    }

    if (rev->timedout) {
        if (rtsp->step == ngx_rtc_rtsp_step_playing) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "no data from %V for %M ms",
                                     &rtsp->url.redacted, rtsp->conf.timeout);

        } else {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "no answer to %s from %V within %M ms",
                                     rtsp->pending_method
                                     ? rtsp->pending_method : "request",
                                     &rtsp->url.redacted, rtsp->conf.timeout);
        }

        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (rtsp->step == ngx_rtc_rtsp_step_connect) {

        /* epoll reports a failed connect() to the read handler first */

        if (ngx_rtc_rtsp_test_connect(rtsp, c) != NGX_OK) {
            ngx_rtc_rtsp_retry_later(rtsp);
        }

        return;
    }

    for ( ;; ) {

        /*
         * Keep room for one whole message: the parser refuses any larger
         * than NGX_RTC_RTSP_MAX_MESSAGE, so moving the unparsed rest to the
         * front always leaves space to read into.
         */

        if (rtsp->rpos == rtsp->rlast) {
            rtsp->rpos = rtsp->rbuf;
            rtsp->rlast = rtsp->rbuf;

        } else if (rtsp->rend - rtsp->rlast < 16384) {
            n = rtsp->rlast - rtsp->rpos;
            ngx_memmove(rtsp->rbuf, rtsp->rpos, n);
            rtsp->rpos = rtsp->rbuf;
            rtsp->rlast = rtsp->rbuf + n;
        }

        rtsp->log.action = "reading from camera";

        size = c->recv(c, rtsp->rlast, rtsp->rend - rtsp->rlast);

        rtsp->log.action = NULL;

        if (size == NGX_AGAIN) {
            break;
        }

        if (size == 0) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V closed the connection",
                                     &rtsp->url.redacted);
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }

        if (size == NGX_ERROR) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "reading from %V failed",
                                     &rtsp->url.redacted);
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }

        rtsp->rlast += size;

        for ( ;; ) {
            rc = ngx_rtc_rtsp_parse(rtsp->rpos, rtsp->rlast, &m);

            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR) {
                (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                         "invalid message from %V: %s",
                                         &rtsp->url.redacted, m.err);
                ngx_rtc_rtsp_retry_later(rtsp);
                return;
            }

            if (ngx_rtc_rtsp_process(rtsp, &m) != NGX_OK) {
                ngx_rtc_rtsp_retry_later(rtsp);
                return;
            }

            rtsp->rpos += m.size;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "read event failed for %V",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    ngx_add_timer(rev, rtsp->conf.timeout);
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
     * not an error: the data flow is what the read timeout watches.
     */

    method = rtsp->get_parameter ? ngx_rtc_rtsp_get_parameter_method
                                 : ngx_rtc_rtsp_options_method;

    if (ngx_rtc_rtsp_request(rtsp, method, &rtsp->play_url, NULL) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    ngx_add_timer(ev, rtsp->session_timeout * 500);
}


static ngx_int_t
ngx_rtc_rtsp_process(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    switch (m->type) {

    case NGX_RTC_RTSP_INTERLEAVED:
        ngx_rtc_rtsp_rtp(rtsp, m);
        return NGX_OK;

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

    if (rtsp->pending == 0
        || (m->cseq >= 0 && (ngx_uint_t) m->cseq != rtsp->pending))
    {
        /* a late answer to a keepalive, or a stray one: ignored */
        return NGX_OK;
    }

    rtsp->pending = 0;

    if (m->status == 401) {
        return ngx_rtc_rtsp_unauthorized(rtsp, m);
    }

    rtsp->auth_retried = 0;

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
     * One retry with the credentials; another only when the camera says
     * the Digest nonce went stale (RFC 7616 3.3), not the password wrong.
     */

    rc = NGX_DECLINED;

    if (m->auth_digest.data) {
        rc = ngx_rtc_auth_digest_parse(&m->auth_digest, &rtsp->digest);
    }

    if (rc == NGX_OK) {
        if (rtsp->auth_retried && !rtsp->digest.stale) {
            return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
        }

        rtsp->auth = NGX_RTC_RTSP_AUTH_DIGEST;

    } else if (m->auth_basic.data) {
        if (rtsp->auth_retried) {
            return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
        }

        rtsp->auth = NGX_RTC_RTSP_AUTH_BASIC;

    } else {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V: no supported challenge",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    rtsp->auth_retried = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp retrying with %s authentication",
                   rtsp->auth == NGX_RTC_RTSP_AUTH_DIGEST ? "Digest"
                                                           : "Basic");

    return ngx_rtc_rtsp_request(rtsp, rtsp->pending_method,
                                &rtsp->pending_url, rtsp->pending_headers);
}


static ngx_int_t
ngx_rtc_rtsp_describe_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_str_t             base, sprop;
    ngx_uint_t            i, j, codec;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_fmt_t    *fmt, *f;
    ngx_rtc_sdp_media_t  *media, *video;
    static const char    *sprops[] = {
        "sprop-vps", "sprop-sps", "sprop-pps"
    };

    if (m->status != 200) {
        return ngx_rtc_rtsp_status_error(rtsp, m, "DESCRIBE");
    }

    if (m->body.len == 0) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "DESCRIBE of %V returned no SDP",
                                 &rtsp->url.redacted);
    }

    /* RFC 2326 C.1.1: the base for relative control URLs */

    if (m->content_base.len) {
        base = m->content_base;

    } else if (m->content_location.len) {
        base = m->content_location;

    } else {
        base = rtsp->url.uri;
    }

    sdp = rtsp->sdp;

    if (ngx_rtc_sdp_parse(m->body.data, m->body.data + m->body.len, sdp)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid SDP from %V: %s",
                                 &rtsp->url.redacted,
                                 sdp->err ? sdp->err : "unknown error");
    }

    /* the first video track; others are skipped */

    video = NULL;

    for (i = 0; i < sdp->nmedia; i++) {
        media = &sdp->media[i];

        if (media->type.len == 5
            && ngx_strncasecmp(media->type.data, (u_char *) "video", 5) == 0
            && video == NULL)
        {
            video = media;
            continue;
        }

        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipping %V track %ui (%V)",
                      &rtsp->url.redacted, &media->type, i,
                      media->nfmts ? &media->fmts[0].name : &media->type);
    }

    if (video == NULL || video->nfmts == 0) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "no video track in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    /* H.264 if offered, else H.265, else the first format */

    fmt = &video->fmts[0];
    codec = NGX_RTC_CODEC_NONE;

    for (j = 0; j < video->nfmts; j++) {
        f = &video->fmts[j];

        if (f->name.len == 4
            && ngx_strncasecmp(f->name.data, (u_char *) "H264", 4) == 0)
        {
            fmt = f;
            codec = NGX_RTC_CODEC_H264;
            break;
        }

        if (codec == NGX_RTC_CODEC_NONE
            && ((f->name.len == 4
                 && ngx_strncasecmp(f->name.data, (u_char *) "H265", 4) == 0)
                || (f->name.len == 4
                    && ngx_strncasecmp(f->name.data, (u_char *) "HEVC", 4)
                       == 0)))
        {
            fmt = f;
            codec = NGX_RTC_CODEC_H265;
        }
    }

    rtsp->codec = codec;
    rtsp->pt = fmt->pt;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V: video %V/%ui, payload type %ui",
                  &rtsp->url.redacted, &fmt->name,
                  fmt->clock ? fmt->clock : 90000, fmt->pt);

    if (codec == NGX_RTC_CODEC_H264) {
        ngx_rtc_h264_depack_init(&rtsp->h264, rtsp->au, NGX_RTC_RTSP_AU_SIZE,
                                 ngx_rtc_rtsp_au, rtsp);

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
                                 ngx_rtc_rtsp_au, rtsp);

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

    rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_VIDEO, codec,
                     fmt->clock ? fmt->clock : 90000, 0);

    if (ngx_rtc_rtsp_resolve_url(&base, &video->control, rtsp->setup_buf,
                                 NGX_RTC_URL_MAX, &rtsp->setup_url)
        != NGX_OK
        || ngx_rtc_rtsp_resolve_url(&base, &sdp->control, rtsp->play_buf,
                                    NGX_RTC_URL_MAX, &rtsp->play_url)
           != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid control URL in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    rtsp->step = ngx_rtc_rtsp_step_setup;

    return ngx_rtc_rtsp_request(rtsp, "SETUP", &rtsp->setup_url,
                                "Transport: RTP/AVP/TCP;unicast;"
                                "interleaved=0-1\r\n");
}


static ngx_int_t
ngx_rtc_rtsp_setup_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_rtc_rtsp_transport_t  t;

    if (m->status != 200) {
        return ngx_rtc_rtsp_status_error(rtsp, m, "SETUP");
    }

    if (m->session.len == 0 || m->session.len > NGX_RTC_RTSP_SESSION_MAX) {
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

    /* the server may pick other channels than the ones asked for */

    rtsp->channel = 0;

    if (m->transport.data
        && ngx_rtc_rtsp_parse_transport(&m->transport, &t) == NGX_OK)
    {
        if (t.interleaved[0] < 0 && (t.client_port[0] || t.server_port[0])) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V answered SETUP with UDP transport",
                                     &rtsp->url.redacted);
        }

        if (t.interleaved[0] >= 0) {
            rtsp->channel = t.interleaved[0];
        }
    }

    rtsp->step = ngx_rtc_rtsp_step_play;

    return ngx_rtc_rtsp_request(rtsp, "PLAY", &rtsp->play_url,
                                "Range: npt=0.000-\r\n");
}


static ngx_int_t
ngx_rtc_rtsp_play_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    if (m->status != 200) {
        return ngx_rtc_rtsp_status_error(rtsp, m, "PLAY");
    }

    rtsp->step = ngx_rtc_rtsp_step_playing;
    rtsp->backoff = NGX_RTC_RTSP_BACKOFF_MIN;
    rtsp->reason.len = 0;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V: playing, session timeout %uis",
                  &rtsp->url.redacted, rtsp->session_timeout);

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_PLAYING);

    ngx_add_timer(&rtsp->keepalive, rtsp->session_timeout * 500);

    return NGX_OK;
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


static void
ngx_rtc_rtsp_rtp(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    int64_t            now;
    struct timeval     tv;
    ngx_rtc_rtp_hdr_t  h;

    /*
     * The channel pair given by SETUP: RTP on the first, RTCP on the
     * second (ignored).  Data may come before the PLAY response.
     */

    if (m->channel != rtsp->channel
        || rtsp->step < ngx_rtc_rtsp_step_play)
    {
        return;
    }

    if (ngx_rtc_rtp_parse(m->data.data, m->data.len, &h) != NGX_OK
        || h.pt != rtsp->pt)
    {
        return;
    }

    rtsp->packets++;

    if (rtsp->codec != NGX_RTC_CODEC_H264
        && rtsp->codec != NGX_RTC_CODEC_H265)
    {
        return;
    }

    /* capture time: when the first packet of an access unit arrived */

    if (!rtsp->au_started || h.ts != rtsp->au_ts) {
        ngx_gettimeofday(&tv);
        now = (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;

        rtsp->au_prev_capture = rtsp->au_started ? rtsp->au_capture : now;
        rtsp->au_capture = now;
        rtsp->au_ts = h.ts;
        rtsp->au_started = 1;
    }

    if (rtsp->codec == NGX_RTC_CODEC_H264) {
        (void) ngx_rtc_h264_depacketize(&rtsp->h264, h.payload,
                                        h.payload_len, h.seq, h.ts, h.marker);

    } else {
        (void) ngx_rtc_h265_depacketize(&rtsp->h265, h.payload,
                                        h.payload_len, h.seq, h.ts, h.marker);
    }
}


static void
ngx_rtc_rtsp_au(void *data, u_char *au, size_t len, uint32_t rtp_ts,
    ngx_uint_t key)
{
    ngx_rtc_rtsp_t *rtsp = data;

    ngx_rtc_frame_t  f;

    /*
     * An access unit completes on its marker bit or on the first packet
     * of the next one; in the latter case its capture time is the
     * previous one.
     */

    ngx_memzero(&f, sizeof(ngx_rtc_frame_t));

    f.track = NGX_RTC_TRACK_VIDEO;
    f.rtp_ts = rtp_ts;
    f.capture = (rtp_ts == rtsp->au_ts) ? rtsp->au_capture
                                        : rtsp->au_prev_capture;
    f.flags = key ? NGX_RTC_FRAME_KEY : 0;
    f.len = len;

    rtsp->frames++;

    rtsp->conf.frame(rtsp->conf.data, &f, au, len);
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
    rtsp->pending_method = method;
    rtsp->pending_url = *url;
    rtsp->pending_headers = headers;

    return ngx_rtc_rtsp_flush(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_flush(ngx_rtc_rtsp_t *rtsp)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = rtsp->peer.connection;

    while (rtsp->wpos < rtsp->wlast) {

        rtsp->log.action = "writing to camera";

        n = c->send(c, rtsp->wpos, rtsp->wlast - rtsp->wpos);

        rtsp->log.action = NULL;

        if (n == NGX_ERROR) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "writing to %V failed",
                                     &rtsp->url.redacted);
        }

        if (n == NGX_AGAIN || n == 0) {
            if (!c->write->timer_set) {
                ngx_add_timer(c->write, rtsp->conf.timeout);
            }

            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                         "write event failed for %V",
                                         &rtsp->url.redacted);
            }

            return NGX_OK;
        }

        rtsp->wpos += n;
    }

    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    return NGX_OK;
}


static ngx_int_t
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


static ngx_int_t
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


static void
ngx_rtc_rtsp_retry_later(ngx_rtc_rtsp_t *rtsp)
{
    if (rtsp->reason.len == 0) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "error with %V",
                                 &rtsp->url.redacted);
    }

    ngx_rtc_rtsp_close(rtsp, 0);

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        ngx_log_error(rtsp->level, &rtsp->log, 0, "rtc rtsp %V",
                      &rtsp->reason);
        return;
    }

    ngx_log_error(rtsp->level, &rtsp->log, 0,
                  "rtc rtsp %V, retrying in %M ms",
                  &rtsp->reason, rtsp->backoff);

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_RETRYING);

    ngx_add_timer(&rtsp->retry, rtsp->backoff);

    rtsp->backoff = ngx_min(rtsp->backoff * 2, NGX_RTC_RTSP_BACKOFF_MAX);
}


static void
ngx_rtc_rtsp_close(ngx_rtc_rtsp_t *rtsp, ngx_uint_t teardown)
{
    ngx_connection_t  *c;

    c = rtsp->peer.connection;

    if (c) {
        if (teardown && rtsp->session.len
            && rtsp->step >= ngx_rtc_rtsp_step_play)
        {
            /* best effort: one send attempt, no waiting for the answer */
            (void) ngx_rtc_rtsp_request(rtsp, "TEARDOWN", &rtsp->play_url,
                                        NULL);
        }

        ngx_close_connection(c);
        rtsp->peer.connection = NULL;
    }

    if (rtsp->keepalive.timer_set) {
        ngx_del_timer(&rtsp->keepalive);
    }

    rtsp->step = ngx_rtc_rtsp_step_idle;
    rtsp->pending = 0;
    rtsp->pending_method = NULL;
    rtsp->session.len = 0;
    rtsp->auth = NGX_RTC_RTSP_AUTH_NONE;
    rtsp->auth_retried = 0;
    rtsp->get_parameter = 0;
    rtsp->au_started = 0;
    rtsp->channel = 0;

    rtsp->rpos = rtsp->rbuf;
    rtsp->rlast = rtsp->rbuf;
    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;
}


static void
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

    /* context for nginx's own messages (connect(), recv(), send()) */

    if (log->action == NULL) {
        return buf;
    }

    rtsp = log->data;

    p = ngx_snprintf(buf, len, " while %s, camera: %V", log->action,
                     &rtsp->url.redacted);

    return p;
}
