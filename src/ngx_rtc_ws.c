/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_sha1.h>
#include <ngx_rtc.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_ws.h>
#include <ngx_rtc_http_reply.h>


/*
 * WebSocket (RFC 6455) on nginx's own connection, after the 101: text
 * messages to the caller, ping/pong, close, fragmentation, and bounds on
 * everything a peer controls.  A peer gets a close frame for a protocol
 * error (5.1, 5.2, 5.4, 5.5), a frame or message over the size limit,
 * a binary message (this API's messages are JSON text), bad UTF-8 (8.1),
 * or a frame that takes too long to arrive; the connection ends once the
 * close frame is out.  The 101 is sent through nginx's header filter;
 * from then on the connection's bytes are read and written here.
 */


#define NGX_RTC_WS_GUID        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define NGX_RTC_WS_IN          4096

#define NGX_RTC_WS_FRAME_TIME  10000   /* a frame, a message: to arrive */
#define NGX_RTC_WS_IDLE_TIME   60000   /* nothing at all from the peer */
#define NGX_RTC_WS_PING_TIME   20000
#define NGX_RTC_WS_SEND_TIME   10000


static ngx_int_t ngx_rtc_ws_accept(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *accept);
static ngx_int_t ngx_rtc_ws_token(ngx_table_elt_t *h, char *token);
static void ngx_rtc_ws_read_handler(ngx_http_request_t *r);
static void ngx_rtc_ws_process(ngx_rtc_ws_t *ws);
static void ngx_rtc_ws_frame_done(ngx_rtc_ws_t *ws);
static void ngx_rtc_ws_write_handler(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_ws_queue(ngx_rtc_ws_t *ws, ngx_uint_t opcode,
    u_char *data, size_t len);
static ngx_int_t ngx_rtc_ws_flush(ngx_rtc_ws_t *ws);
static void ngx_rtc_ws_ping_handler(ngx_event_t *ev);
static void ngx_rtc_ws_finish(ngx_rtc_ws_t *ws);
static void ngx_rtc_ws_cleanup(void *data);


ngx_int_t
ngx_rtc_ws_upgrade(ngx_http_request_t *r, ngx_rtc_ws_t *ws)
{
    size_t               size, pre;
    ngx_int_t            rc;
    ngx_str_t            text, v, accept;
    ngx_table_elt_t     *h, *c2;
    ngx_connection_t    *c;
    ngx_pool_cleanup_t  *cln;

    c = r->connection;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* RFC 6455, 4.2.1; HTTP/2 (RFC 8441) is not done here */

    if (r->http_version != NGX_HTTP_VERSION_11 || r != r->main) {
        ngx_str_set(&text, "a WebSocket needs HTTP/1.1");
        return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
    }

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        ngx_str_set(&text, "a WebSocket handshake has no body");
        return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
    }

    /* not every nginx version fills headers_in.upgrade: looked up here */

    h = ngx_rtc_whep_header_in(r, "Upgrade");
    c2 = ngx_rtc_whep_header_in(r, "Connection");

    if (h == NULL || ngx_rtc_ws_token(h, "websocket") != NGX_OK
        || c2 == NULL || ngx_rtc_ws_token(c2, "upgrade") != NGX_OK)
    {
        ngx_str_set(&text, "this is a WebSocket: Upgrade: websocket, "
                           "Connection: Upgrade");
        return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
    }

    h = ngx_rtc_whep_header_in(r, "Sec-WebSocket-Version");

    if (h == NULL || h->value.len != 2
        || ngx_strncmp(h->value.data, "13", 2) != 0)
    {
        /* 4.4: the versions we speak */
        ngx_str_set(&v, "13");

        if (ngx_rtc_http_reply_header(r, "Sec-WebSocket-Version", &v)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "Sec-WebSocket-Version: 13 only");
        return ngx_rtc_whep_text(r, 426, &text);
    }

    h = ngx_rtc_whep_header_in(r, "Sec-WebSocket-Key");

    if (h == NULL || ngx_rtc_ws_accept(r, &h->value, &accept) != NGX_OK) {
        ngx_str_set(&text, "a bad or missing Sec-WebSocket-Key");
        return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
    }

    /* bytes the client sent after its request, before our 101 */

    pre = r->header_in->last - r->header_in->pos;
    size = ngx_max(NGX_RTC_WS_IN, pre);

    ws->in = ngx_palloc(r->pool, size);
    ws->msg = ngx_palloc(r->pool, NGX_RTC_WS_MAX_MESSAGE);
    ws->out = ngx_palloc(r->pool, NGX_RTC_WS_OUT);
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ws->in == NULL || ws->msg == NULL || ws->out == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_rtc_ws_cleanup;
    cln->data = ws;

    ws->request = r;
    ws->connection = c;
    ws->in_pos = ws->in;
    ws->in_last = ngx_cpymem(ws->in, r->header_in->pos, pre);
    r->header_in->pos = r->header_in->last;
    ws->out_pos = ws->out;
    ws->out_last = ws->out;
    ws->last_in = ngx_current_msec;

    ws->ping.handler = ngx_rtc_ws_ping_handler;
    ws->ping.data = ws;
    ws->ping.log = c->log;
    ws->ping.cancelable = 1;

    ngx_str_set(&v, "websocket");

    if (ngx_rtc_http_reply_header(r, "Upgrade", &v) != NGX_OK
        || ngx_rtc_http_reply_header(r, "Sec-WebSocket-Accept", &accept)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ws, ngx_http_rtc_module);

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    r->header_only = 1;
    r->keepalive = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (r->out || c->buffered) {
        /* a fresh connection's socket buffer takes 200 bytes: not here */
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "rtc ws the 101 answer could not be sent at once");
        return NGX_ERROR;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0, "rtc ws upgraded");

    /* sessions outlive a WebSocket: a worker leaving closes it */
    c->idle = 1;

    r->read_event_handler = ngx_rtc_ws_read_handler;
    r->write_event_handler = ngx_rtc_ws_write_handler;

    ngx_add_timer(&ws->ping, NGX_RTC_WS_PING_TIME);

    r->main->count++;

    /* whatever came with the request, and more, from the event loop */
    ngx_post_event(c->read, &ngx_posted_events);

    return NGX_DONE;
}


/* 4.2.2: base64(SHA-1(key + GUID)); the key is 16 bytes in base64 */

static ngx_int_t
ngx_rtc_ws_accept(ngx_http_request_t *r, ngx_str_t *key, ngx_str_t *accept)
{
    u_char      raw[16], hash[20];
    ngx_str_t   dec, src;
    ngx_sha1_t  sha1;

    if (key->len != 24) {
        return NGX_ERROR;
    }

    dec.data = raw;

    if (ngx_decode_base64(&dec, key) != NGX_OK || dec.len != 16) {
        return NGX_ERROR;
    }

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, key->data, key->len);
    ngx_sha1_update(&sha1, NGX_RTC_WS_GUID, sizeof(NGX_RTC_WS_GUID) - 1);
    ngx_sha1_final(hash, &sha1);

    accept->data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(20));
    if (accept->data == NULL) {
        return NGX_ERROR;
    }

    src.data = hash;
    src.len = 20;

    ngx_encode_base64(accept, &src);

    return NGX_OK;
}


/* a comma-separated header that lists the token, case-insensitively */

static ngx_int_t
ngx_rtc_ws_token(ngx_table_elt_t *h, char *token)
{
    u_char  *p, *end, *s;
    size_t   len;

    len = ngx_strlen(token);
    p = h->value.data;
    end = p + h->value.len;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        s = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if ((size_t) (p - s) == len && ngx_strncasecmp(s, (u_char *) token,
                                                      len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


static void
ngx_rtc_ws_read_handler(ngx_http_request_t *r)
{
    size_t             size;
    ssize_t            n;
    ngx_msec_t         deadline;
    ngx_rtc_ws_t      *ws;
    ngx_connection_t  *c;

    ws = ngx_http_get_module_ctx(r, ngx_http_rtc_module);
    c = r->connection;

    if (ws == NULL || ws->done) {
        return;
    }

    if (c->read->timedout) {
        c->read->timedout = 0;

        if (ws->close_sent) {
            ngx_rtc_ws_finish(ws);
            return;
        }

        if (ws->frame_start) {
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "rtc ws a frame took too long to arrive");
            ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_POLICY, "too slow");

        } else {
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "rtc ws nothing from the peer for %M ms",
                          (ngx_msec_t) NGX_RTC_WS_IDLE_TIME);
            ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_GOING_AWAY, "idle");
        }

        return;
    }

    size = NGX_RTC_WS_IN;

    for ( ;; ) {
        ngx_rtc_ws_process(ws);

        if (ws->close_sent) {
            /* the rest is not read: the write side ends the connection */
            return;
        }

        /* room: everything before in_pos is done with */

        if (ws->in_pos == ws->in_last) {
            ws->in_pos = ws->in;
            ws->in_last = ws->in;

        } else if (ws->in_pos > ws->in) {
            ws->in_last = ngx_movemem(ws->in, ws->in_pos,
                                      ws->in_last - ws->in_pos);
            ws->in_pos = ws->in;
        }

        n = c->recv(c, ws->in_last, ws->in + size - ws->in_last);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                           "rtc ws the peer closed the connection");
            ngx_rtc_ws_finish(ws);
            return;
        }

        ws->in_last += n;
        ws->last_in = ngx_current_msec;
    }

    /* a frame or a message begun: the time it started */

    if (!ws->in_frame && ws->in_pos == ws->in_last && ws->msg_opcode == 0) {
        ws->frame_start = 0;

    } else if (ws->frame_start == 0) {
        ws->frame_start = ngx_current_msec;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_rtc_ws_finish(ws);
        return;
    }

    /* 10 s for a frame (or a fragmented message) once it starts */

    deadline = ws->frame_start ? ws->frame_start + NGX_RTC_WS_FRAME_TIME
                               : ws->last_in + NGX_RTC_WS_IDLE_TIME;

    ngx_add_timer(c->read, (ngx_msec_int_t) (deadline - ngx_current_msec) > 0
                           ? deadline - ngx_current_msec : 1);
}


/* the frames in the buffer, as far as they go */

static void
ngx_rtc_ws_process(ngx_rtc_ws_t *ws)
{
    u_char              *dst;
    size_t               n;
    ngx_int_t            rc;
    ngx_rtc_ws_frame_t  *f;

    f = &ws->frame;

    while (!ws->close_sent && (ws->in_frame || ws->in_pos < ws->in_last)) {

        if (!ws->in_frame) {
            rc = ngx_rtc_ws_frame_parse(ws->in_pos, ws->in_last,
                                        NGX_RTC_WS_MAX_MESSAGE, f);

            if (rc == NGX_AGAIN) {
                return;
            }

            if (rc == NGX_ERROR) {
                ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                              "rtc ws %s", f->err);
                ngx_rtc_ws_close(ws, f->code, f->err);
                return;
            }

            ws->in_pos += f->header;
            ws->in_frame = 1;
            ws->frame_got = 0;

            if (f->opcode == NGX_RTC_WS_CONT && ws->msg_opcode == 0) {
                ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_PROTOCOL,
                                 "continuation without a message");
                return;
            }

            if (f->opcode == NGX_RTC_WS_TEXT
                || f->opcode == NGX_RTC_WS_BINARY)
            {
                if (ws->msg_opcode) {
                    ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_PROTOCOL,
                                     "a message inside a fragmented one");
                    return;
                }

                if (f->opcode == NGX_RTC_WS_BINARY) {
                    ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_DATA_TYPE,
                                     "text messages only");
                    return;
                }

                ws->msg_opcode = f->opcode;
                ws->msg_len = 0;
                ws->utf8 = 0;
            }

            if (f->opcode < NGX_RTC_WS_CLOSE
                && f->len > NGX_RTC_WS_MAX_MESSAGE - ws->msg_len)
            {
                ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_TOO_BIG,
                                 "message too large");
                return;
            }
        }

        /* the payload, as much of it as is here */

        n = (size_t) ngx_min((uint64_t) (ws->in_last - ws->in_pos),
                             f->len - ws->frame_got);

        dst = (f->opcode >= NGX_RTC_WS_CLOSE)
              ? ws->control + ws->frame_got
              : ws->msg + ws->msg_len + ws->frame_got;

        ngx_memcpy(dst, ws->in_pos, n);
        ngx_rtc_ws_frame_unmask(dst, n, f->mask, ws->frame_got);

        ws->in_pos += n;
        ws->frame_got += n;

        if (ws->frame_got < f->len) {
            return;
        }

        ws->in_frame = 0;

        ngx_rtc_ws_frame_done(ws);

        if (ws->msg_opcode == 0) {
            /* progress: the next frame has its own time */
            ws->frame_start = 0;
        }
    }
}


static void
ngx_rtc_ws_frame_done(ngx_rtc_ws_t *ws)
{
    u_char              *p;
    ngx_str_t            msg;
    ngx_uint_t           code;
    ngx_rtc_ws_frame_t  *f;

    f = &ws->frame;

    switch (f->opcode) {

    case NGX_RTC_WS_CLOSE:

        /* 5.5.1: a code, then a UTF-8 reason, or nothing */

        code = NGX_RTC_WS_CLOSE_NORMAL;

        if (f->len == 1) {
            ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_PROTOCOL, "bad close frame");
            return;
        }

        if (f->len >= 2) {
            code = (ws->control[0] << 8) | ws->control[1];
            ws->utf8 = 0;

            if (!ngx_rtc_ws_close_code_valid(code)) {
                ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_PROTOCOL,
                                 "bad close code");
                return;
            }

            if (ngx_rtc_ws_utf8(&ws->utf8, ws->control + 2, f->len - 2)
                != NGX_OK
                || ws->utf8 != 0)
            {
                ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_BAD_DATA,
                                 "bad UTF-8");
                return;
            }
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->connection->log, 0,
                       "rtc ws close %ui from the peer", code);

        ngx_rtc_ws_close(ws, code, NULL);
        return;

    case NGX_RTC_WS_PING:
        if (ngx_rtc_ws_queue(ws, NGX_RTC_WS_PONG, ws->control, f->len)
            != NGX_OK
            || ngx_rtc_ws_flush(ws) == NGX_ERROR)
        {
            ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_POLICY, "not reading");
        }

        return;

    case NGX_RTC_WS_PONG:
        return;
    }

    /* text (binary was refused at its header) */

    p = ws->msg + ws->msg_len;
    ws->msg_len += f->len;

    if (ngx_rtc_ws_utf8(&ws->utf8, p, f->len) != NGX_OK
        || (f->fin && ws->utf8 != 0))
    {
        ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                      "rtc ws bad UTF-8 in a text message");
        ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_BAD_DATA, "bad UTF-8");
        return;
    }

    if (!f->fin) {
        return;
    }

    ws->msg_opcode = 0;

    msg.data = ws->msg;
    msg.len = ws->msg_len;

    ws->message(ws, &msg);
}


ngx_int_t
ngx_rtc_ws_send_text(ngx_rtc_ws_t *ws, u_char *data, size_t len)
{
    if (ws->close_sent || ws->done) {
        return NGX_ERROR;
    }

    if (ngx_rtc_ws_queue(ws, NGX_RTC_WS_TEXT, data, len) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                      "rtc ws the peer does not read its messages");
        ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_POLICY, "not reading");
        return NGX_ERROR;
    }

    if (ngx_rtc_ws_flush(ws) == NGX_ERROR) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_rtc_ws_close(ngx_rtc_ws_t *ws, ngx_uint_t code, const char *reason)
{
    u_char  buf[NGX_RTC_WS_MAX_CONTROL], *p;
    size_t  len;

    if (ws->close_sent || ws->done) {
        return;
    }

    p = buf;
    *p++ = (u_char) (code >> 8);
    *p++ = (u_char) code;

    if (reason) {
        len = ngx_min(ngx_strlen(reason), sizeof(buf) - 2);
        p = ngx_cpymem(p, reason, len);
    }

    /* no room for it: the connection ends without it */
    (void) ngx_rtc_ws_queue(ws, NGX_RTC_WS_CLOSE, buf, p - buf);

    ws->close_sent = 1;

    /* the write handler sends it and ends the connection, never the caller */
    ngx_post_event(ws->connection->write, &ngx_posted_events);
}


static void
ngx_rtc_ws_write_handler(ngx_http_request_t *r)
{
    ngx_rtc_ws_t      *ws;
    ngx_connection_t  *c;

    ws = ngx_http_get_module_ctx(r, ngx_http_rtc_module);
    c = r->connection;

    if (ws == NULL || ws->done) {
        return;
    }

    if (c->write->timedout) {
        c->write->timedout = 0;

        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "rtc ws the peer did not read for %M ms",
                      (ngx_msec_t) NGX_RTC_WS_SEND_TIME);
        ngx_rtc_ws_finish(ws);
        return;
    }

    if (ngx_rtc_ws_flush(ws) == NGX_ERROR) {
        ngx_rtc_ws_finish(ws);
        return;
    }

    if (ws->close_sent && ws->out_pos == ws->out_last) {
        ngx_rtc_ws_finish(ws);
    }
}


static ngx_int_t
ngx_rtc_ws_queue(ngx_rtc_ws_t *ws, ngx_uint_t opcode, u_char *data,
    size_t len)
{
    if (ws->out_pos == ws->out_last) {
        ws->out_pos = ws->out;
        ws->out_last = ws->out;
    }

    if (len + 10 > (size_t) (ws->out + NGX_RTC_WS_OUT - ws->out_last)) {

        if (ws->out_pos > ws->out) {
            ws->out_last = ngx_movemem(ws->out, ws->out_pos,
                                       ws->out_last - ws->out_pos);
            ws->out_pos = ws->out;
        }

        if (len + 10 > (size_t) (ws->out + NGX_RTC_WS_OUT - ws->out_last)) {
            return NGX_ERROR;
        }
    }

    ws->out_last = ngx_rtc_ws_frame_header(ws->out_last, opcode, len);

    if (len) {
        ws->out_last = ngx_cpymem(ws->out_last, data, len);
    }

    return NGX_OK;
}


/* NGX_OK: all sent; NGX_AGAIN: the rest when the socket takes it */

static ngx_int_t
ngx_rtc_ws_flush(ngx_rtc_ws_t *ws)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = ws->connection;

    while (ws->out_pos < ws->out_last) {
        n = c->send(c, ws->out_pos, ws->out_last - ws->out_pos);

        if (n == NGX_AGAIN) {
            if (!c->write->timer_set) {
                ngx_add_timer(c->write, NGX_RTC_WS_SEND_TIME);
            }

            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                return NGX_ERROR;
            }

            return NGX_AGAIN;
        }

        if (n == NGX_ERROR || n == 0) {
            c->error = 1;
            ngx_post_event(c->write, &ngx_posted_events);
            return NGX_ERROR;
        }

        ws->out_pos += n;
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    return NGX_OK;
}


static void
ngx_rtc_ws_ping_handler(ngx_event_t *ev)
{
    ngx_rtc_ws_t *ws = ev->data;

    if (ws->done || ws->close_sent) {
        return;
    }

    if (ngx_rtc_ws_queue(ws, NGX_RTC_WS_PING, NULL, 0) != NGX_OK) {
        ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_POLICY, "not reading");
        return;
    }

    (void) ngx_rtc_ws_flush(ws);

    ngx_add_timer(&ws->ping, NGX_RTC_WS_PING_TIME);
}


/* the end: from an event handler, as its last act */

static void
ngx_rtc_ws_finish(ngx_rtc_ws_t *ws)
{
    ngx_http_request_t  *r;

    if (ws->done) {
        return;
    }

    ws->done = 1;
    r = ws->request;

    if (ws->ping.timer_set) {
        ngx_del_timer(&ws->ping);
    }

    if (ws->closed) {
        ws->closed(ws);
    }

    /* the peer reads our close frame before the connection goes */
    r->lingering_close = ws->close_sent;

    ngx_http_finalize_request(r, NGX_DONE);
}


static void
ngx_rtc_ws_cleanup(void *data)
{
    ngx_rtc_ws_t *ws = data;

    if (ws->ping.timer_set) {
        ngx_del_timer(&ws->ping);
    }

    if (!ws->done) {
        ws->done = 1;

        if (ws->closed) {
            ws->closed(ws);
        }
    }
}
