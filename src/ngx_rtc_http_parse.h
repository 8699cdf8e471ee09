/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_HTTP_PARSE_H_INCLUDED_
#define _NGX_RTC_HTTP_PARSE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_HTTP_MAX_HEADERS   64
#define NGX_RTC_HTTP_MAX_LINE      4096


/*
 * An HTTP/1.1 response (RFC 9112) to one of our requests, as the WHEP
 * source's client reads it.  Strings point into the caller's buffer; a
 * chunked body is decoded in place once it is complete.
 */

typedef struct {
    ngx_uint_t      status;            /* 100..599 */
    ngx_str_t       location;          /* "": none */
    ngx_str_t       content_type;      /* "": none */
    ngx_str_t       body;
    off_t           content_length;    /* -1: none */

    unsigned        chunked:1;
    unsigned        close:1;           /* Connection: close */

    const char     *err;               /* why NGX_ERROR */
} ngx_rtc_http_response_t;


/*
 * The whole response in buf[0, len): NGX_OK (the response is complete),
 * NGX_AGAIN (more is needed; eof: the peer closed, which ends a body
 * without length), NGX_ERROR (r->err says why).  The caller bounds len.
 * May be called again with more data after NGX_AGAIN: it starts over.
 */
ngx_int_t ngx_rtc_http_parse_response(u_char *buf, size_t len,
    ngx_uint_t eof, ngx_rtc_http_response_t *r);


#endif /* _NGX_RTC_HTTP_PARSE_H_INCLUDED_ */
