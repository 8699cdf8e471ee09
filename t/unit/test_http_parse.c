/*
 * Copyright (C) nginx-rtc authors
 *
 * The HTTP/1.1 response parser of whep:// sources (ngx_rtc_http_parse.c):
 * the 201 with its Location and SDP answer, Content-Length and chunked
 * bodies (decoded in place), responses that are not complete yet, and
 * what is refused.
 */

/* unit-deps: src/ngx_rtc_http_parse.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc_http_parse.h>
#include <stdlib.h>


static ngx_int_t
parse(const char *text, ngx_uint_t eof, ngx_rtc_http_response_t *r,
    u_char **copy)
{
    size_t  len;

    len = ngx_strlen(text);

    *copy = malloc(len + 1);
    ngx_memcpy(*copy, text, len);

    return ngx_rtc_http_parse_response(*copy, len, eof, r);
}


static ngx_uint_t
str_is(ngx_str_t *s, const char *want)
{
    return s->len == ngx_strlen(want)
           && ngx_memcmp(s->data, want, s->len) == 0;
}


static void
test_created(void)
{
    u_char                   *b;
    ngx_rtc_http_response_t   r;

    NGX_RTC_CHECK(parse("HTTP/1.1 201 Created\r\n"
                        "Content-Type: application/sdp\r\n"
                        "Location:  /whep/cam/0a1b \r\n"
                        "content-length: 5\r\n"
                        "\r\n"
                        "v=0\r\n", 0, &r, &b) == NGX_OK);
    NGX_RTC_CHECK(r.status == 201);
    NGX_RTC_CHECK(str_is(&r.location, "/whep/cam/0a1b"));
    NGX_RTC_CHECK(str_is(&r.content_type, "application/sdp"));
    NGX_RTC_CHECK(str_is(&r.body, "v=0\r\n"));
    free(b);

    /* LF only, no reason phrase, a body without length ends at EOF */

    NGX_RTC_CHECK(parse("HTTP/1.0 200\nX: y\n\nabc", 0, &r, &b)
                  == NGX_AGAIN);
    free(b);
    NGX_RTC_CHECK(parse("HTTP/1.0 200\nX: y\n\nabc", 1, &r, &b) == NGX_OK);
    NGX_RTC_CHECK(r.status == 200 && str_is(&r.body, "abc"));
    free(b);

    /* 204: no body whatever follows */

    NGX_RTC_CHECK(parse("HTTP/1.1 204 No Content\r\n\r\n", 0, &r, &b)
                  == NGX_OK);
    NGX_RTC_CHECK(r.status == 204 && r.body.len == 0);
    free(b);
}


static void
test_incomplete(void)
{
    u_char                   *b;
    ngx_rtc_http_response_t   r;

    NGX_RTC_CHECK(parse("", 0, &r, &b) == NGX_AGAIN);
    free(b);
    NGX_RTC_CHECK(parse("HTTP/1.1 201 Cr", 0, &r, &b) == NGX_AGAIN);
    free(b);
    NGX_RTC_CHECK(parse("HTTP/1.1 201 Created\r\nLocation: /x\r\n", 0,
                        &r, &b) == NGX_AGAIN);
    free(b);
    NGX_RTC_CHECK(parse("HTTP/1.1 201 Created\r\nContent-Length: 10\r\n"
                        "\r\nabc", 0, &r, &b) == NGX_AGAIN);
    free(b);

    /* the peer closed early */

    NGX_RTC_CHECK(parse("HTTP/1.1 201 Created\r\nContent-Length: 10\r\n"
                        "\r\nabc", 1, &r, &b) == NGX_ERROR);
    NGX_RTC_CHECK(r.err != NULL);
    free(b);
    NGX_RTC_CHECK(parse("", 1, &r, &b) == NGX_ERROR);
    free(b);
}


/* the head of a chunked 201 */

#define CHUNKED  "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"


static void
test_chunked(void)
{
    u_char                   *b;
    ngx_rtc_http_response_t   r;

    NGX_RTC_CHECK(parse("HTTP/1.1 201 Created\r\n"
                        "Transfer-Encoding: chunked\r\n"
                        "Content-Length: 99\r\n"
                        "\r\n"
                        "4;ext=1\r\nv=0\r\r\n"
                        "A\r\n0123456789\r\n"
                        "0\r\n"
                        "Trailer: x\r\n"
                        "\r\n", 0, &r, &b) == NGX_OK);
    NGX_RTC_CHECK(r.chunked && r.content_length == -1);
    NGX_RTC_CHECK(str_is(&r.body, "v=0\r0123456789"));
    free(b);

    NGX_RTC_CHECK(parse(CHUNKED "4\r\nv=0", 0, &r, &b) == NGX_AGAIN);
    free(b);
    NGX_RTC_CHECK(parse(CHUNKED "4\r\nv=0\r\n0\r\n", 0, &r, &b) == NGX_AGAIN);
    free(b);
    NGX_RTC_CHECK(parse(CHUNKED "4\r\nv=0\r\n0\r\n", 1, &r, &b) == NGX_ERROR);
    free(b);

    /* sizes: not hex, too large; data not followed by its CRLF */

    NGX_RTC_CHECK(parse(CHUNKED "x\r\n", 0, &r, &b) == NGX_ERROR);
    free(b);
    NGX_RTC_CHECK(parse(CHUNKED "fffffffffff\r\n", 0, &r, &b) == NGX_ERROR);
    free(b);
    NGX_RTC_CHECK(parse(CHUNKED "2\r\nabc\r\n0\r\n\r\n", 0, &r, &b)
                  == NGX_ERROR);
    free(b);
}


static void
test_refused(void)
{
    u_char                   *b;
    ngx_rtc_http_response_t   r;

    static const char  *bad[] = {
        "HTTP/2 201 Created\r\n\r\n",
        "HTTP/1.1 20 Created\r\n\r\n",
        "HTTP/1.1 2011 Created\r\n\r\n",
        "HTTP/1.1 201 Cre\x01ted\r\n\r\n",
        "HTTP/1.1 101 Switching\r\n\r\n",
        "HTTP/1.1 201 Created\r\n folded\r\n\r\n",
        "HTTP/1.1 201 Created\r\nNo colon\r\n\r\n",
        "HTTP/1.1 201 Created\r\nName : v\r\n\r\n",
        "HTTP/1.1 201 Created\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 201 Created\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n"
        "Content-Length: 2\r\n\r\nab",
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip\r\n\r\n",
        NULL
    };

    ngx_uint_t  i;

    for (i = 0; bad[i]; i++) {
        if (parse(bad[i], 0, &r, &b) != NGX_ERROR || r.err == NULL) {
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
            NGX_RTC_CHECK(0);
        }

        free(b);
    }
}


int
main(void)
{
    test_created();
    test_incomplete();
    test_chunked();
    test_refused();

    return NGX_RTC_UNIT_DONE();
}
