/*
 * Copyright (C) nginx-rtc authors
 *
 * ngx_rtc_http_reply.c: the responses of the module's HTTP handlers.  A
 * header value with a control character is never added; a reply sets the
 * status, Content-Type and Content-Length of its one buffer, sends the
 * header and then the buffer, unless the request is header-only (HEAD) or
 * the header could not be sent.  nginx's list, pool and filters are
 * stand-ins here that record what they were given.
 *
 * unit-deps: src/ngx_rtc_http_reply.c
 */

#include "ngx_rtc_unit.h"
#include <ngx_http.h>
#include "ngx_rtc_http_reply.h"


static ngx_table_elt_t   headers[8];
static ngx_uint_t        nheaders;
static ngx_int_t         send_header_rc;
static ngx_uint_t        sent_header;
static ngx_chain_t      *sent_body;
static ngx_buf_t         body_buf;


void *
ngx_list_push(ngx_list_t *l)
{
    return (nheaders < 8) ? &headers[nheaders++] : NULL;
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    NGX_RTC_CHECK(size == sizeof(ngx_buf_t));

    ngx_memzero(&body_buf, sizeof(ngx_buf_t));

    return &body_buf;
}


ngx_int_t
ngx_http_send_header(ngx_http_request_t *r)
{
    sent_header++;

    /* nginx's header filter: HEAD is header-only */

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    return send_header_rc;
}


ngx_int_t
ngx_http_output_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    sent_body = in;

    NGX_RTC_CHECK(in != NULL && in->next == NULL);

    return NGX_OK;
}


static ngx_log_t           log_;
static ngx_connection_t    conn;
static ngx_http_request_t  req;


static void
request(ngx_uint_t method)
{
    ngx_memzero(&req, sizeof(ngx_http_request_t));
    req.connection = &conn;
    req.main = &req;
    req.method = method;

    conn.log = &log_;

    nheaders = 0;
    send_header_rc = NGX_OK;
    sent_header = 0;
    sent_body = NULL;
}


static ngx_int_t
header(char *key, char *value)
{
    ngx_str_t  v;

    v.data = (u_char *) value;
    v.len = ngx_strlen(value);

    return ngx_rtc_http_reply_header(&req, key, &v);
}


int
main(void)
{
    u_char       data[] = "{\"a\":1}";
    ngx_int_t    rc;
    ngx_buf_t    b;
    ngx_str_t    v;
    ngx_uint_t   i;
    const char  *bad[] = { "a\r\nSet-Cookie: x", "a\nb", "a\rb", "\x01",
                           "a\x7f", "a\0b" };

    /* a header: key and value as given */

    request(NGX_HTTP_GET);

    NGX_RTC_CHECK(header("ETag", "\"abc\"") == NGX_OK);
    NGX_RTC_CHECK(nheaders == 1 && headers[0].hash == 1);
    NGX_RTC_CHECK(headers[0].key.len == 4
                  && ngx_strncmp(headers[0].key.data, "ETag", 4) == 0);
    NGX_RTC_CHECK(headers[0].value.len == 5
                  && ngx_strncmp(headers[0].value.data, "\"abc\"", 5) == 0);

    /* HTAB and SP are field content (RFC 9110, 5.5), obs-text too */

    NGX_RTC_CHECK(header("Link", "<a>;\trel=\"ice-server\" \x80") == NGX_OK);
    NGX_RTC_CHECK(nheaders == 2);

    /* a control character: not added */

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v.data = (u_char *) bad[i];
        v.len = (i == 5) ? 3 : ngx_strlen(bad[i]);

        NGX_RTC_CHECK(ngx_rtc_http_reply_header(&req, "Location", &v)
                      == NGX_ERROR);
    }

    NGX_RTC_CHECK(nheaders == 2);

    /* a reply: status, type, length, then the buffer, the last one */

    request(NGX_HTTP_GET);

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.pos = data;
    b.last = data + 7;
    b.memory = 1;

    rc = ngx_rtc_http_reply(&req, NGX_HTTP_CREATED, "application/sdp", &b);

    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(req.headers_out.status == NGX_HTTP_CREATED);
    NGX_RTC_CHECK(req.headers_out.content_length_n == 7);
    NGX_RTC_CHECK(req.headers_out.content_type.len == 15
                  && req.headers_out.content_type_len == 15
                  && ngx_strncmp(req.headers_out.content_type.data,
                                 "application/sdp", 15) == 0);
    NGX_RTC_CHECK(sent_header == 1 && sent_body && sent_body->buf == &b);
    NGX_RTC_CHECK(b.last_buf == 1 && b.last_in_chain == 1);

    /* a subrequest's buffer is not the last of the response */

    request(NGX_HTTP_GET);
    req.main = NULL;

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.pos = data;
    b.last = data + 7;
    b.memory = 1;

    (void) ngx_rtc_http_reply(&req, NGX_HTTP_OK, "text/plain", &b);

    NGX_RTC_CHECK(b.last_buf == 0 && b.last_in_chain == 1);

    /* HEAD: the header with the body's length, no body */

    request(NGX_HTTP_HEAD);

    rc = ngx_rtc_http_reply_data(&req, NGX_HTTP_OK, "application/json",
                                 data, 7);

    NGX_RTC_CHECK(rc == NGX_OK && sent_header == 1 && sent_body == NULL);
    NGX_RTC_CHECK(req.headers_out.content_length_n == 7);

    /* the header not sent: its code, no body */

    request(NGX_HTTP_GET);
    send_header_rc = NGX_ERROR;

    rc = ngx_rtc_http_reply_data(&req, NGX_HTTP_OK, "application/json",
                                 data, 7);

    NGX_RTC_CHECK(rc == NGX_ERROR && sent_body == NULL);

    /* the data as a memory buffer */

    request(NGX_HTTP_GET);

    rc = ngx_rtc_http_reply_data(&req, NGX_HTTP_NOT_FOUND, "text/plain",
                                 data, 7);

    NGX_RTC_CHECK(rc == NGX_OK && sent_body && sent_body->buf == &body_buf);
    NGX_RTC_CHECK(body_buf.pos == data && body_buf.last == data + 7
                  && body_buf.memory == 1 && body_buf.last_buf == 1);
    NGX_RTC_CHECK(req.headers_out.status == NGX_HTTP_NOT_FOUND
                  && req.headers_out.content_length_n == 7);

    return NGX_RTC_UNIT_DONE();
}
