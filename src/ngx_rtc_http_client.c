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
#include <ngx_rtc_http_client.h>


/*
 * One HTTP/1.1 request of a whep:// source (ngx_rtc_whep_source.c) on
 * its own connection (ngx_event_connect_peer, Connection: close): POST of
 * the offer, DELETE of the session.  wheps:// goes through the TLS
 * context and verification of rtsps:// cameras (ngx_rtc_rtsp.c).  The
 * response is read into a bounded buffer and parsed by
 * ngx_rtc_http_parse.c.  The bearer token goes into the request only,
 * never into a log line.
 */


#define NGX_RTC_HTTP_RBUF_SIZE    65536


struct ngx_rtc_http_client_s {
    ngx_rtc_http_request_t    req;
    ngx_pool_t               *pool;
    ngx_log_t                 log;
    ngx_peer_connection_t     peer;

    u_char                   *wbuf;
    u_char                   *wpos;
    u_char                   *wlast;

    u_char                   *rbuf;
    size_t                    rlen;

    unsigned                  connected:1;
    unsigned                  handshaked:1;
};


static ngx_int_t ngx_rtc_http_client_connected(ngx_rtc_http_client_t *hc);
static void ngx_rtc_http_client_ssl_handshake(ngx_connection_t *c);
static ngx_int_t ngx_rtc_http_client_ssl_verify(ngx_rtc_http_client_t *hc,
    ngx_connection_t *c);
static void ngx_rtc_http_client_write_handler(ngx_event_t *wev);
static void ngx_rtc_http_client_read_handler(ngx_event_t *rev);
static void ngx_rtc_http_client_finish(ngx_rtc_http_client_t *hc,
    ngx_rtc_http_response_t *r, const char *fmt, ...);
static void ngx_rtc_http_client_close(ngx_rtc_http_client_t *hc);


ngx_rtc_http_client_t *
ngx_rtc_http_client_request(ngx_rtc_http_request_t *req)
{
    size_t                  len;
    u_char                 *p;
    ngx_int_t               rc;
    ngx_pool_t             *pool;
    ngx_connection_t       *c;
    ngx_rtc_http_client_t  *hc;

    pool = ngx_create_pool(1024, req->log);
    if (pool == NULL) {
        return NULL;
    }

    hc = ngx_pcalloc(pool, sizeof(ngx_rtc_http_client_t));
    if (hc == NULL) {
        goto failed;
    }

    hc->pool = pool;
    hc->req = *req;
    hc->log = *req->log;

    /* what goes on: the strings are the caller's, copy them */

    len = sizeof(" ") - 1 + req->path.len + sizeof(" HTTP/1.1" CRLF) - 1
          + ngx_strlen(req->method)
          + sizeof("Host: " CRLF) - 1 + req->hostport.len
          + sizeof("User-Agent: nginx-rtc" CRLF) - 1
          + sizeof("Connection: close" CRLF) - 1
          + sizeof("Accept: application/sdp" CRLF) - 1
          + sizeof("Content-Type: " CRLF) - 1 + req->content_type.len
          + sizeof("Content-Length: " CRLF) - 1 + NGX_SIZE_T_LEN
          + sizeof("Authorization: Bearer " CRLF) - 1 + req->token.len
          + sizeof(CRLF) - 1 + req->body.len;

    hc->wbuf = ngx_pnalloc(pool, len);
    hc->rbuf = ngx_pnalloc(pool, NGX_RTC_HTTP_RBUF_SIZE);
    p = ngx_pnalloc(pool, req->host.len + 1);

    if (hc->wbuf == NULL || hc->rbuf == NULL || p == NULL) {
        goto failed;
    }

    hc->req.host.data = p;
    (void) ngx_cpystrn(p, req->host.data, req->host.len + 1);

    hc->req.hostport.data = ngx_pstrdup(pool, &req->hostport);
    if (hc->req.hostport.data == NULL) {
        goto failed;
    }

    /* the rest was copied into the request, or is the caller's no more */

    ngx_str_null(&hc->req.path);
    ngx_str_null(&hc->req.body);
    ngx_str_null(&hc->req.token);
    ngx_str_null(&hc->req.content_type);

    p = ngx_sprintf(hc->wbuf, "%s %V HTTP/1.1" CRLF
                              "Host: %V" CRLF
                              "User-Agent: nginx-rtc" CRLF
                              "Connection: close" CRLF,
                    req->method, &req->path, &req->hostport);

    if (req->body.len) {
        p = ngx_sprintf(p, "Accept: application/sdp" CRLF
                           "Content-Type: %V" CRLF
                           "Content-Length: %uz" CRLF,
                        &req->content_type, req->body.len);
    }

    if (req->token.len) {
        p = ngx_sprintf(p, "Authorization: Bearer %V" CRLF, &req->token);
    }

    p = ngx_cpymem(p, CRLF, 2);
    p = ngx_cpymem(p, req->body.data, req->body.len);

    hc->wpos = hc->wbuf;
    hc->wlast = p;

    hc->peer.sockaddr = req->sockaddr;
    hc->peer.socklen = req->socklen;
    hc->peer.name = &hc->req.hostport;
    hc->peer.get = ngx_event_get_peer;
    hc->peer.log = &hc->log;
    hc->peer.log_error = NGX_ERROR_INFO;

    /* the socket address is the caller's: keep a copy */

    hc->peer.sockaddr = ngx_palloc(pool, req->socklen);
    if (hc->peer.sockaddr == NULL) {
        goto failed;
    }

    ngx_memcpy(hc->peer.sockaddr, req->sockaddr, req->socklen);

    rc = ngx_event_connect_peer(&hc->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        if (hc->peer.connection) {
            ngx_close_connection(hc->peer.connection);
        }

        goto failed;
    }

    c = hc->peer.connection;
    c->data = hc;
    c->read->handler = ngx_rtc_http_client_read_handler;
    c->write->handler = ngx_rtc_http_client_write_handler;

    /*
     * a DELETE on a gracefully exiting worker keeps it until it is done
     * (its timeout bounds the wait); other requests end with the worker
     */

    c->read->cancelable = !req->linger;
    c->write->cancelable = !req->linger;

    ngx_add_timer(c->write, req->timeout);

    if (rc == NGX_OK) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return hc;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


void
ngx_rtc_http_client_abort(ngx_rtc_http_client_t *hc)
{
    ngx_rtc_http_client_close(hc);
}


/* NGX_OK: send; NGX_AGAIN: TLS handshake; NGX_DONE: finished (freed) */

static ngx_int_t
ngx_rtc_http_client_connected(ngx_rtc_http_client_t *hc)
{
    int                err;
    u_char            *host;
    socklen_t          len;
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = hc->peer.connection;

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_rtc_http_client_finish(hc, NULL, "cannot connect: %s",
                                   strerror(err));
        return NGX_DONE;
    }

    hc->peer.connection->log->action = NULL;

    if (!hc->req.tls) {
        return NGX_OK;
    }

    if (ngx_rtc_rtsp_ssl_ctx() == NULL) {
        ngx_rtc_http_client_finish(hc, NULL, "no TLS context");
        return NGX_DONE;
    }

    c->pool = ngx_create_pool(256, &hc->log);
    if (c->pool == NULL) {
        ngx_rtc_http_client_finish(hc, NULL, "out of memory");
        return NGX_DONE;
    }

    if (ngx_ssl_create_connection(ngx_rtc_rtsp_ssl_ctx(), c,
                                  NGX_SSL_BUFFER|NGX_SSL_CLIENT)
        != NGX_OK)
    {
        ngx_rtc_http_client_finish(hc, NULL, "cannot start TLS");
        return NGX_DONE;
    }

    /* RFC 6066 3: a host name, never an address, goes into SNI */

    host = hc->req.host.data;

    if (hc->req.host.len && host[0] != '['
        && ngx_inet_addr(host, hc->req.host.len) == INADDR_NONE
        && SSL_set_tlsext_host_name(c->ssl->connection, (char *) host) == 0)
    {
        ngx_ssl_error(NGX_LOG_ERR, &hc->log, 0,
                      "SSL_set_tlsext_host_name(\"%s\") failed", host);
    }

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        c->ssl->handler = ngx_rtc_http_client_ssl_handshake;
        return NGX_AGAIN;
    }

    return (ngx_rtc_http_client_ssl_verify(hc, c) == NGX_OK) ? NGX_OK
                                                            : NGX_DONE;
}


static void
ngx_rtc_http_client_ssl_handshake(ngx_connection_t *c)
{
    ngx_rtc_http_client_t  *hc;

    hc = c->data;

    if (ngx_rtc_http_client_ssl_verify(hc, c) != NGX_OK) {
        return;
    }

    c->read->handler = ngx_rtc_http_client_read_handler;
    c->write->handler = ngx_rtc_http_client_write_handler;

    ngx_rtc_http_client_write_handler(c->write);
}


/* the handshake ended: NGX_OK, or finished (freed) and NGX_ERROR */

static ngx_int_t
ngx_rtc_http_client_ssl_verify(ngx_rtc_http_client_t *hc,
    ngx_connection_t *c)
{
    ngx_int_t    rc;
    const char  *why;

    if (!c->ssl->handshaked) {
        ngx_rtc_http_client_finish(hc, NULL, "TLS handshake %s",
                                   c->write->timedout || c->read->timedout
                                   ? "timed out" : "failed");
        return NGX_ERROR;
    }

    rc = ngx_rtc_rtsp_ssl_verify(c, &hc->req.host, &why);

    if (rc == NGX_DECLINED) {
        ngx_rtc_http_client_finish(hc, NULL, "certificate not trusted: %s",
                                   why);
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        ngx_rtc_http_client_finish(hc, NULL, "certificate does not match "
                                   "\"%V\"", &hc->req.host);
        return NGX_ERROR;
    }

    hc->handshaked = 1;

    return NGX_OK;
}


static void
ngx_rtc_http_client_write_handler(ngx_event_t *wev)
{
    ssize_t                 n;
    ngx_connection_t       *c;
    ngx_rtc_http_client_t  *hc;

    c = wev->data;
    hc = c->data;

    if (wev->timedout) {
        ngx_rtc_http_client_finish(hc, NULL, "timed out sending the "
                                   "request");
        return;
    }

    if (!hc->connected) {
        hc->connected = 1;

        if (ngx_rtc_http_client_connected(hc) != NGX_OK) {
            return;
        }
    }

    while (hc->wpos < hc->wlast) {
        n = c->send(c, hc->wpos, hc->wlast - hc->wpos);

        if (n == NGX_AGAIN) {
            if (!wev->timer_set) {
                ngx_add_timer(wev, hc->req.timeout);
            }

            (void) ngx_handle_write_event(wev, 0);
            return;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_rtc_http_client_finish(hc, NULL, "cannot send the request");
            return;
        }

        hc->wpos += n;
    }

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    if (!c->read->timer_set) {
        ngx_add_timer(c->read, hc->req.timeout);
    }

    if (c->read->ready) {
        ngx_rtc_http_client_read_handler(c->read);
    }
}


static void
ngx_rtc_http_client_read_handler(ngx_event_t *rev)
{
    ssize_t                  n;
    ngx_int_t                rc;
    ngx_uint_t               eof;
    ngx_connection_t        *c;
    ngx_rtc_http_client_t   *hc;
    ngx_rtc_http_response_t  r;

    c = rev->data;
    hc = c->data;

    if (rev->timedout) {
        ngx_rtc_http_client_finish(hc, NULL, "timed out waiting for the "
                                   "response");
        return;
    }

    if (hc->wpos < hc->wlast) {
        /* a response before the request is sent: read it after */
        if (ngx_handle_read_event(rev, 0) != NGX_OK) {
            ngx_rtc_http_client_finish(hc, NULL, "read event failed");
        }

        return;
    }

    for ( ;; ) {
        if (hc->rlen == NGX_RTC_HTTP_RBUF_SIZE) {
            ngx_rtc_http_client_finish(hc, NULL, "response larger than "
                                       "%uz bytes",
                                       (size_t) NGX_RTC_HTTP_RBUF_SIZE);
            return;
        }

        n = c->recv(c, hc->rbuf + hc->rlen, NGX_RTC_HTTP_RBUF_SIZE - hc->rlen);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(rev, 0) != NGX_OK) {
                ngx_rtc_http_client_finish(hc, NULL, "read event failed");
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_rtc_http_client_finish(hc, NULL, "connection failed while "
                                       "reading the response");
            return;
        }

        eof = (n == 0);
        hc->rlen += n;

        rc = ngx_rtc_http_parse_response(hc->rbuf, hc->rlen, eof, &r);

        if (rc == NGX_OK) {
            ngx_rtc_http_client_finish(hc, &r, NULL);
            return;
        }

        if (rc == NGX_ERROR) {
            ngx_rtc_http_client_finish(hc, NULL, "invalid response: %s",
                                       r.err);
            return;
        }

        if (eof) {
            ngx_rtc_http_client_finish(hc, NULL, "connection closed "
                                       "before the response ended");
            return;
        }
    }
}


static void
ngx_rtc_http_client_finish(ngx_rtc_http_client_t *hc,
    ngx_rtc_http_response_t *r, const char *fmt, ...)
{
    u_char     buf[NGX_RTC_ERROR_LEN], *p;
    va_list    args;
    ngx_str_t  err;

    if (hc->req.done) {
        if (r) {
            hc->req.done(hc->req.data, r, NULL);

        } else {
            va_start(args, fmt);
            p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
            va_end(args);

            err.data = buf;
            err.len = p - buf;

            hc->req.done(hc->req.data, NULL, &err);
        }
    }

    ngx_rtc_http_client_close(hc);
}


static void
ngx_rtc_http_client_close(ngx_rtc_http_client_t *hc)
{
    ngx_pool_t        *pool;
    ngx_connection_t  *c;

    c = hc->peer.connection;

    if (c) {
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        pool = c->pool;

        ngx_close_connection(c);

        if (pool) {
            ngx_destroy_pool(pool);
        }

        hc->peer.connection = NULL;
    }

    ngx_destroy_pool(hc->pool);
}
