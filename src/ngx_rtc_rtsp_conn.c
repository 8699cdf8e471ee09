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
 * The RTSP client's control connection: an attempt's address (the
 * configured one, or the name through nginx's resolver), connect(), the
 * TLS handshake and certificate verification of rtsps://, then its read
 * handler, which frames what comes into messages for
 * ngx_rtc_rtsp_process() (and skips stray bytes while playing), and the
 * write buffer's sending (ngx_rtc_rtsp_flush()).
 */


#define NGX_RTC_RTSP_SKIP_MAX         65536   /* stray bytes in a row */


static void ngx_rtc_rtsp_resolve_handler(ngx_resolver_ctx_t *ctx);
static ngx_int_t ngx_rtc_rtsp_test_connect(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static ngx_int_t ngx_rtc_rtsp_ssl_init(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static void ngx_rtc_rtsp_ssl_handshake_handler(ngx_connection_t *c);
static ngx_int_t ngx_rtc_rtsp_ssl_handshake(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static void ngx_rtc_rtsp_write_handler(ngx_event_t *wev);
static void ngx_rtc_rtsp_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_rtc_rtsp_skip(ngx_rtc_rtsp_t *rtsp, const char *err);
static void ngx_rtc_rtsp_skipped(ngx_rtc_rtsp_t *rtsp);


void
ngx_rtc_rtsp_connect(ngx_rtc_rtsp_t *rtsp)
{
    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_CONNECTING);

    /* each attempt starts again from the configured URL */

    if (rtsp->redirects) {
        rtsp->redirects = 0;

        if (ngx_rtc_auth_parse_url(&rtsp->conf.url, &rtsp->url) != NGX_OK) {
            /* not reached: ngx_rtc_rtsp_start() parsed it */
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                     "invalid camera URL");
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }
    }

    if (rtsp->conf.addr) {
        ngx_memcpy(&rtsp->sockaddr, rtsp->conf.addr->sockaddr,
                   rtsp->conf.addr->socklen);
        rtsp->socklen = rtsp->conf.addr->socklen;

        ngx_rtc_rtsp_connect_peer(rtsp);
        return;
    }

    /* ngx_rtc_rtsp_resolve_handler() goes on, maybe before this returns */

    if (ngx_rtc_rtsp_resolve(rtsp) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


void
ngx_rtc_rtsp_connect_peer(ngx_rtc_rtsp_t *rtsp)
{
    ngx_int_t               rc;
    ngx_connection_t       *c;
    ngx_peer_connection_t  *pc;

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
    rtsp->udp = rtsp->conf_udp;
    rtsp->fallback = 0;
    rtsp->ssrc = (uint32_t) ngx_random();

    ngx_add_timer(c->write, rtsp->conf.timeout);

    if (rc == NGX_OK) {
        ngx_rtc_rtsp_write_handler(c->write);
    }
}


ngx_int_t
ngx_rtc_rtsp_resolve(ngx_rtc_rtsp_t *rtsp)
{
    ngx_resolver_ctx_t  *ctx;

    if (rtsp->conf.resolver == NULL) {
        /* not reached: ngx_rtc_rtsp_init_conf() gave an address or this */
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "no address for %V",
                                 &rtsp->url.redacted);
    }

    ctx = ngx_resolve_start(rtsp->conf.resolver, NULL);

    if (ctx == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
    }

    if (ctx == NGX_NO_RESOLVER) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "no resolver to resolve %V",
                                 &rtsp->url.redacted);
    }

    ctx->name = rtsp->url.host;
    ctx->handler = ngx_rtc_rtsp_resolve_handler;
    ctx->data = rtsp;
    ctx->timeout = rtsp->conf.resolver_timeout;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp resolving \"%V\"", &ctx->name);

    rtsp->resolving = ctx;

    if (ngx_resolve_name(ctx) != NGX_OK) {
        rtsp->resolving = NULL;
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "cannot resolve %V",
                                 &rtsp->url.redacted);
    }

    return NGX_OK;
}


static void
ngx_rtc_rtsp_resolve_handler(ngx_resolver_ctx_t *ctx)
{
    ngx_uint_t       i;
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ctx->data;
    rtsp->resolving = NULL;

    if (ctx->state || ctx->naddrs == 0) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot resolve %V: %s",
                                 &rtsp->url.redacted,
                                 ctx->state
                                 ? ngx_resolver_strerror(ctx->state)
                                 : "no address");
        ngx_resolve_name_done(ctx);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    /* a camera with several addresses: the next one on each attempt */

    i = rtsp->attempts++ % ctx->naddrs;

    if (ctx->addrs[i].socklen > sizeof(ngx_sockaddr_t)) {
        i = 0;
    }

    ngx_memcpy(&rtsp->sockaddr, ctx->addrs[i].sockaddr,
               ctx->addrs[i].socklen);
    rtsp->socklen = ctx->addrs[i].socklen;

    ngx_inet_set_port(&rtsp->sockaddr.sockaddr, rtsp->url.port);

    ngx_resolve_name_done(ctx);

    ngx_rtc_rtsp_connect_peer(rtsp);
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


static ngx_int_t
ngx_rtc_rtsp_ssl_init(ngx_rtc_rtsp_t *rtsp, ngx_connection_t *c)
{
    u_char     *host;
    ngx_int_t   rc;

    if (ngx_rtc_rtsp_ssl_ctx() == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "no TLS context for %V (the module did not "
                                 "call ngx_rtc_rtsp_init_ssl)",
                                 &rtsp->url.redacted);
    }

    /* ngx_ssl_connection_t lives in c->pool: freed in ngx_rtc_rtsp_close() */

    c->pool = ngx_create_pool(256, &rtsp->log);
    if (c->pool == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
    }

    if (ngx_ssl_create_connection(ngx_rtc_rtsp_ssl_ctx(), c,
                                  NGX_SSL_BUFFER|NGX_SSL_CLIENT)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "cannot start TLS with %V",
                                 &rtsp->url.redacted);
    }

    /* RFC 6066 3: a host name, never an address, goes into SNI */

    if (rtsp->url.host.len
        && rtsp->url.host.data[0] != '['
        && ngx_inet_addr(rtsp->url.host.data, rtsp->url.host.len)
           == INADDR_NONE)
    {
        host = ngx_pnalloc(rtsp->pool, rtsp->url.host.len + 1);
        if (host == NULL) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
        }

        (void) ngx_cpystrn(host, rtsp->url.host.data, rtsp->url.host.len + 1);

        if (SSL_set_tlsext_host_name(c->ssl->connection, (char *) host) == 0)
        {
            ngx_ssl_error(NGX_LOG_ERR, &rtsp->log, 0,
                          "SSL_set_tlsext_host_name(\"%s\") failed", host);
        }
    }

    rtsp->step = ngx_rtc_rtsp_step_handshake;
    rtsp->log.action = "SSL handshaking to camera";

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        if (!c->write->timer_set) {
            ngx_add_timer(c->write, rtsp->conf.timeout);
        }

        c->ssl->handler = ngx_rtc_rtsp_ssl_handshake_handler;
        return NGX_OK;
    }

    return ngx_rtc_rtsp_ssl_handshake(rtsp, c);
}


static void
ngx_rtc_rtsp_ssl_handshake_handler(ngx_connection_t *c)
{
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = c->data;

    if (ngx_rtc_rtsp_ssl_handshake(rtsp, c) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


static ngx_int_t
ngx_rtc_rtsp_ssl_handshake(ngx_rtc_rtsp_t *rtsp, ngx_connection_t *c)
{
    ngx_int_t    rc;
    const char  *why;

    rtsp->log.action = NULL;

    if (!c->ssl->handshaked) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "TLS handshake with %V %s",
                                 &rtsp->url.redacted,
                                 c->write->timedout || c->read->timedout
                                 ? "timed out" : "failed");
    }

    rc = ngx_rtc_rtsp_ssl_verify(c, &rtsp->url.host, &why);

    if (rc == NGX_DECLINED) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "certificate of %V not trusted: %s",
                                 &rtsp->url.redacted, why);
    }

    if (rc != NGX_OK) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "certificate of %V does not match "
                                 "\"%V\"", &rtsp->url.redacted,
                                 &rtsp->url.host);
    }

    c->read->handler = ngx_rtc_rtsp_read_handler;
    c->write->handler = ngx_rtc_rtsp_write_handler;

    return ngx_rtc_rtsp_begin(rtsp);
}


/*
 * rtc_rtsp_ssl_verify on: the peer's certificate chains to the trusted
 * ones (NGX_DECLINED, *why: OpenSSL's reason) and names the host, or has
 * its address among its SANs (NGX_ABORT).  Also for wheps:// sources.
 */

ngx_int_t
ngx_rtc_rtsp_ssl_verify(ngx_connection_t *c, ngx_str_t *host,
    const char **why)
{
    long                  rc;
    u_char                ip[NGX_INET6_ADDRSTRLEN + 1];
    size_t                n;
    X509                 *cert;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    if (rmcf->rtsp_ssl_verify != 1) {
        return NGX_OK;
    }

    rc = SSL_get_verify_result(c->ssl->connection);

    if (rc != X509_V_OK) {
        *why = X509_verify_cert_error_string(rc);
        return NGX_DECLINED;
    }

    /* a name as ngx_ssl_check_host() does; an address in its SANs */

    cert = SSL_get_peer_certificate(c->ssl->connection);
    rc = 0;

    if (cert) {
        if (host->data[0] == '['
            || ngx_inet_addr(host->data, host->len) != INADDR_NONE)
        {
            n = host->len;

            if (host->data[0] == '[' && n > 2) {
                n -= 2;
                (void) ngx_cpystrn(ip, host->data + 1,
                                   ngx_min(n, NGX_INET6_ADDRSTRLEN) + 1);

            } else {
                (void) ngx_cpystrn(ip, host->data,
                                   ngx_min(n, NGX_INET6_ADDRSTRLEN) + 1);
            }

            rc = (X509_check_ip_asc(cert, (char *) ip, 0) == 1);

        } else {
            rc = (ngx_ssl_check_host(c, host) == NGX_OK);
        }

        X509_free(cert);
    }

    return rc ? NGX_OK : NGX_ABORT;
}


static void
ngx_rtc_rtsp_write_handler(ngx_event_t *wev)
{
    ngx_int_t          rc;
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

    if (rtsp->url.tls) {
        rc = ngx_rtc_rtsp_ssl_init(rtsp, c);

    } else {
        rc = ngx_rtc_rtsp_begin(rtsp);
    }

    if (rc != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


static void
ngx_rtc_rtsp_read_handler(ngx_event_t *rev)
{
    size_t               n;
    ssize_t              size;
    ngx_int_t            rc;
    ngx_uint_t           reads;
    ngx_msec_t           left, elapsed;
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
        rev->timedout = 0;

        if (rtsp->sdp_wait
            && (size_t) (rtsp->rlast - rtsp->rpos) > rtsp->sdp_header)
        {
            /* the camera went quiet: that was the SDP */

            if (ngx_rtc_rtsp_sdp_body(rtsp) != NGX_OK) {
                ngx_rtc_rtsp_retry_later(rtsp);
                return;
            }

            ngx_add_timer(rev, rtsp->conf.timeout);
            return;
        }

        if (rtsp->sdp_wait) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "no SDP from %V within %M ms of its "
                                     "DESCRIBE answer without "
                                     "Content-Length",
                                     &rtsp->url.redacted,
                                     rtsp->conf.timeout);

        } else {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "no answer to %s from %V within %M ms",
                                     rtsp->pending_method
                                     ? rtsp->pending_method : "request",
                                     &rtsp->url.redacted,
                                     rtsp->conf.timeout);
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

    for (reads = 0; /* void */; reads++) {

        if (reads == NGX_RTC_RTSP_READS) {

            /* a fast camera must not starve the worker: continue later */

            ngx_post_event(rev, &ngx_posted_events);
            return;
        }

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
                                     "%V closed the connection%s",
                                     &rtsp->url.redacted,
                                     rtsp->sdp_wait
                                     ? " after a DESCRIBE answer without "
                                       "Content-Length" : "");
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

            if (rtsp->sdp_wait) {

                /* the SDP without length comes: the quiet timer ends it */

                n = rtsp->rlast - rtsp->rpos - rtsp->sdp_header;

                if (n > NGX_RTC_RTSP_MAX_BODY) {
                    (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                             "invalid message from %V: "
                                             "SDP without Content-Length "
                                             "over %d bytes",
                                             &rtsp->url.redacted,
                                             NGX_RTC_RTSP_MAX_BODY);
                    ngx_rtc_rtsp_retry_later(rtsp);
                    return;
                }

                break;
            }

            rc = ngx_rtc_rtsp_parse(rtsp->rpos, rtsp->rlast, &m);

            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR) {
                if (ngx_rtc_rtsp_skip(rtsp, m.err) != NGX_OK) {
                    ngx_rtc_rtsp_retry_later(rtsp);
                    return;
                }

                continue;
            }

            if (rtsp->skipped) {
                ngx_rtc_rtsp_skipped(rtsp);
            }

            rc = ngx_rtc_rtsp_process(rtsp, &m);

            if (rc == NGX_DONE) {
                return;                 /* redirected: c is closed */
            }

            if (rc != NGX_OK) {
                ngx_rtc_rtsp_retry_later(rtsp);
                return;
            }

            if (rtsp->sdp_wait) {
                continue;               /* its header stays at rpos */
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

    /*
     * While playing, the tick watches the media instead.  Before, the
     * answer to the pending request is due conf.timeout after it went:
     * what else the camera sends (requests of its own, a header a byte at
     * a time) does not push that back.
     */

    if (rtsp->step != ngx_rtc_rtsp_step_playing) {
        left = rtsp->conf.timeout;

        if (rtsp->pending || rtsp->sdp_wait) {
            elapsed = ngx_current_msec - rtsp->pending_sent;
            left = (elapsed < left) ? left - elapsed : 1;
        }

        /*
         * The SDP without length ends when the camera has been quiet
         * NGX_RTC_RTSP_SDP_QUIET ms, or at the answer's deadline (what
         * came is the SDP then): each read sets the timer anew, which
         * ngx_add_timer() alone would not do for a change under
         * NGX_TIMER_LAZY_DELAY.
         */

        if (rtsp->sdp_wait
            && (size_t) (rtsp->rlast - rtsp->rpos) > rtsp->sdp_header)
        {
            left = ngx_min(left, NGX_RTC_RTSP_SDP_QUIET);

            if (rev->timer_set) {
                ngx_del_timer(rev);
            }
        }

        ngx_add_timer(rev, left);
    }
}


/*
 * A message that does not parse while playing may be stray bytes between
 * '$' frames (ngx_rtc_rtsp_parse_resync()): skip to the next place a
 * message may start, up to NGX_RTC_RTSP_SKIP_MAX bytes without one.
 * Before PLAY, or past the bound, it fails the connection.
 */

static ngx_int_t
ngx_rtc_rtsp_skip(ngx_rtc_rtsp_t *rtsp, const char *err)
{
    u_char                 *p, channels[4];
    ngx_uint_t              i, n;
    ngx_rtc_rtsp_track_t   *t;

    /*
     * Before PLAY, or an answer to our request that does not parse (it
     * is no stray byte: skipping it would only time the request out)
     */

    if (rtsp->step < ngx_rtc_rtsp_step_play
        || (rtsp->pending && rtsp->skipped == 0
            && rtsp->rlast - rtsp->rpos >= 5
            && ngx_strncmp(rtsp->rpos, "RTSP/", 5) == 0))
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid message from %V: %s",
                                 &rtsp->url.redacted, err);
    }

    n = 0;

    for (i = 0; !rtsp->udp && i < rtsp->ntracks; i++) {
        t = &rtsp->tracks[i];

        if (t->active) {
            channels[n++] = (u_char) t->channel;
            channels[n++] = (u_char) (t->channel + 1);
        }
    }

    p = ngx_rtc_rtsp_parse_resync(rtsp->rpos + 1, rtsp->rlast, channels, n);

    if (rtsp->skipped == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp skipping stray bytes: %s", err);
        rtsp->skip_err = err;
    }

    rtsp->skipped += p - rtsp->rpos;
    rtsp->rpos = p;

    if (rtsp->skipped > NGX_RTC_RTSP_SKIP_MAX) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid message from %V: %s, "
                                 "no message in %uz bytes after it",
                                 &rtsp->url.redacted, err, rtsp->skipped);
    }

    return NGX_OK;
}


/* a message after stray bytes: the first time at info, later at debug */

static void
ngx_rtc_rtsp_skipped(ngx_rtc_rtsp_t *rtsp)
{
    if (rtsp->skips++ == 0) {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipped %uz stray bytes between "
                      "messages (%s; once logged per connection)",
                      &rtsp->url.redacted, rtsp->skipped,
                      rtsp->skip_err ? rtsp->skip_err : "unknown");

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp skipped %uz stray bytes (%ui times)",
                       rtsp->skipped, rtsp->skips);
    }

    rtsp->skipped = 0;
}


ngx_int_t
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
