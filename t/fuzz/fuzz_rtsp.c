/*
 * Copyright (C) nginx-rtc authors
 *
 * What a camera (or whoever answers on its address) sends the RTSP client:
 * the bytes of the TCP connection, read the way ngx_rtc_rtsp.c reads them.
 * ngx_rtc_rtsp_parse() runs over the stream message by message; each
 * response's Transport, Public, WWW-Authenticate Digest challenge and SDP
 * body (with its control URLs resolved against Content-Base) go through
 * the parsers the client hands them to.  The first message is also parsed
 * from a shorter copy of the stream, which must give "not yet" or the same
 * message: the parser is not resumable and is called again with more.
 * A message that does not parse is skipped as the client does while
 * playing (ngx_rtc_rtsp_parse_resync(), channels 0 to 3), and the parse
 * goes on from where that points.
 *
 * A message without Content-Length ends with its header, whatever
 * follows.  The client's own rule for a 200 SDP answer without one
 * (ngx_rtc_rtsp_parse_sdp_unframed(): the bytes that follow, until the
 * camera is quiet) is applied as if it went quiet at the end of the
 * input: that body, up to 64 KB, goes to the SDP parser, and the parse of
 * the stream goes on as before.  A Location goes through
 * ngx_rtc_rtsp_redirect_url() with two configured URLs of the same host
 * and different credentials: every result followed names that host (as
 * the URL parser reads it), with or without the configured credentials.
 *
 * fuzz-deps: src/ngx_rtc_rtsp_parse.c src/ngx_rtc_sdp.c src/ngx_rtc_auth.c
 * fuzz-libs: -lcrypto
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_rtsp_parse.h"
#include "ngx_rtc_sdp.h"
#include "ngx_rtc_auth.h"


static ngx_rtc_sdp_t          sdp;
static ngx_rtc_auth_digest_t  digest;
static ngx_rtc_url_t          url_parsed;


static void
ngx_rtc_fuzz_rtsp_redirect(ngx_str_t *location)
{
    u_char      *buf1, *buf2, *p;
    ngx_int_t    rc1, rc2;
    ngx_str_t    out1, out2;
    const char  *err;

    static ngx_str_t  url = ngx_string("rtsp://10.0.0.2:554/stream1");
    static ngx_str_t  conf1 = ngx_string("rtsp://aa:bb@10.0.0.2/stream1");
    static ngx_str_t  conf2 = ngx_string("rtsp://cc:dd@10.0.0.2/stream1");

    buf1 = malloc(NGX_RTC_URL_MAX);
    buf2 = malloc(NGX_RTC_URL_MAX);
    if (buf1 == NULL || buf2 == NULL) {
        abort();
    }

    err = NULL;
    rc1 = ngx_rtc_rtsp_redirect_url(&url, &conf1, location, buf1,
                                    NGX_RTC_URL_MAX, &out1, &err);
    NGX_RTC_FUZZ_ASSERT(rc1 == NGX_OK || (rc1 == NGX_ERROR && err));

    rc2 = ngx_rtc_rtsp_redirect_url(&url, &conf2, location, buf2,
                                    NGX_RTC_URL_MAX, &out2, &err);
    NGX_RTC_FUZZ_ASSERT(rc1 == rc2);

    if (rc1 == NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(out1.data == buf1 && out1.len <= NGX_RTC_URL_MAX);

        /* it goes on a request line */

        for (p = out1.data; p < out1.data + out1.len; p++) {
            NGX_RTC_FUZZ_ASSERT(*p > 0x20 && *p != 0x7f);
        }

        /* only to the configured host, the credentials with it */

        NGX_RTC_FUZZ_ASSERT(ngx_rtc_rtsp_same_host(&out1, &conf1));
        NGX_RTC_FUZZ_ASSERT(ngx_rtc_rtsp_same_host(&out2, &conf2));

        if (ngx_rtc_auth_parse_url(&out1, &url_parsed) == NGX_OK) {
            NGX_RTC_FUZZ_ASSERT(url_parsed.host.len == 8
                                && ngx_memcmp(url_parsed.host.data,
                                              "10.0.0.2", 8) == 0);
        }
    }

    free(buf1);
    free(buf2);
}


static void
ngx_rtc_fuzz_rtsp_url(ngx_str_t *base, ngx_str_t *control)
{
    u_char     *buf, *p;
    ngx_str_t   out;

    buf = malloc(NGX_RTC_URL_MAX);
    if (buf == NULL) {
        abort();
    }

    if (ngx_rtc_rtsp_resolve_url(base, control, buf, NGX_RTC_URL_MAX, &out)
        == NGX_OK)
    {
        NGX_RTC_FUZZ_ASSERT(out.data == buf && out.len <= NGX_RTC_URL_MAX);

        /* it goes on a request line */

        for (p = out.data; p < out.data + out.len; p++) {
            NGX_RTC_FUZZ_ASSERT(*p > 0x20 && *p != 0x7f);
        }
    }

    free(buf);
}


static void
ngx_rtc_fuzz_rtsp_msg(ngx_rtc_rtsp_msg_t *m, u_char *pos, u_char *end)
{
    ngx_str_t                  base, *fields[12];
    ngx_uint_t                 i;
    ngx_rtc_rtsp_transport_t   t;

    static ngx_str_t  url = ngx_string("rtsp://10.0.0.2:554/stream1");

    NGX_RTC_FUZZ_ASSERT(m->size > 0 && m->size <= (size_t) (end - pos));

    if (m->type == NGX_RTC_RTSP_INTERLEAVED) {
        NGX_RTC_FUZZ_ASSERT(m->channel <= 255);
        NGX_RTC_FUZZ_ASSERT(m->size == 4 + m->data.len);
        NGX_RTC_FUZZ_INSIDE(&m->data, pos, pos + m->size);
        return;
    }

    NGX_RTC_FUZZ_ASSERT(m->type == NGX_RTC_RTSP_RESPONSE
                        || m->type == NGX_RTC_RTSP_REQUEST);

    fields[0] = &m->reason;
    fields[1] = &m->method;
    fields[2] = &m->uri;
    fields[3] = &m->session;
    fields[4] = &m->content_base;
    fields[5] = &m->content_location;
    fields[6] = &m->content_type;
    fields[7] = &m->transport;
    fields[8] = &m->public;
    fields[9] = &m->auth_digest;
    fields[10] = &m->body;
    fields[11] = &m->location;

    for (i = 0; i < 12; i++) {
        NGX_RTC_FUZZ_INSIDE(fields[i], pos, pos + m->size);
    }

    NGX_RTC_FUZZ_INSIDE(&m->auth_basic, pos, pos + m->size);

    /* without Content-Length the message ends with its header */

    NGX_RTC_FUZZ_ASSERT(m->content_length >= -1
                        && m->content_length <= NGX_RTC_RTSP_MAX_BODY);
    NGX_RTC_FUZZ_ASSERT(m->body.len
                        == (size_t) ngx_max(m->content_length, 0));

    if (m->location.data) {
        ngx_rtc_fuzz_rtsp_redirect(&m->location);
    }

    if (m->transport.data) {
        (void) ngx_rtc_rtsp_parse_transport(&m->transport, &t);
    }

    (void) ngx_rtc_rtsp_has_method(&m->public, "GET_PARAMETER");

    if (m->auth_digest.data) {
        (void) ngx_rtc_auth_digest_parse(&m->auth_digest, &digest);
    }

    if (m->body.len == 0) {
        return;
    }

    if (m->content_base.len) {
        base = m->content_base;

    } else if (m->content_location.len) {
        base = m->content_location;

    } else {
        base = url;
    }

    if (ngx_rtc_sdp_parse(m->body.data, m->body.data + m->body.len, &sdp)
        != NGX_OK)
    {
        return;
    }

    ngx_rtc_fuzz_rtsp_url(&base, &sdp.control);

    for (i = 0; i < sdp.nmedia; i++) {
        ngx_rtc_fuzz_rtsp_url(&base, &sdp.media[i].control);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char              *in, *pos, *end, *part, *next;
    size_t               cut, first;
    ngx_int_t            rc, first_rc;
    ngx_uint_t           n;
    ngx_rtc_rtsp_msg_t   m;

    static u_char        channels[] = { 0, 1, 2, 3 };

    in = ngx_rtc_fuzz_copy(data, size);
    end = in + size;

    first = 0;
    first_rc = NGX_AGAIN;

    for (pos = in, n = 0; n < 4096; n++) {
        rc = ngx_rtc_rtsp_parse(pos, end, &m);

        if (n == 0) {
            first_rc = rc;
            first = m.size;
        }

        if (rc == NGX_AGAIN) {
            break;
        }

        if (rc == NGX_ERROR) {
            NGX_RTC_FUZZ_ASSERT(m.err != NULL);

            /* stray bytes: the next place a message may start, or end */

            next = ngx_rtc_rtsp_parse_resync(pos + 1, end, channels, 4);
            NGX_RTC_FUZZ_ASSERT(next > pos && next <= end);

            pos = next;
            continue;
        }

        NGX_RTC_FUZZ_ASSERT(rc == NGX_OK);

        ngx_rtc_fuzz_rtsp_msg(&m, pos, end);

        /* an SDP without length: the rest, as if the camera went quiet */

        if (ngx_rtc_rtsp_parse_sdp_unframed(&m)) {
            NGX_RTC_FUZZ_ASSERT(m.body.len == 0);

            next = pos + m.size;

            if (end - next <= NGX_RTC_RTSP_MAX_BODY) {
                (void) ngx_rtc_sdp_parse(next, end, &sdp);
            }
        }

        pos += m.size;
    }

    /* the first message from a copy cut short: "again", or the same */

    if (size > 1) {
        cut = (first_rc == NGX_OK && first > 1) ? first - 1 : size / 2;

        if (size > 2 && (data[size - 1] & 1)) {
            cut = size - 1;
        }

        part = ngx_rtc_fuzz_copy(data, cut);

        rc = ngx_rtc_rtsp_parse(part, part + cut, &m);

        if (rc == NGX_OK) {
            NGX_RTC_FUZZ_ASSERT(first_rc == NGX_OK && m.size == first);
            ngx_rtc_fuzz_rtsp_msg(&m, part, part + cut);
        }

        /* a message split by TCP must not be taken for a bad one */

        if (first_rc == NGX_OK && cut < first) {
            NGX_RTC_FUZZ_ASSERT(rc == NGX_AGAIN);
        }

        free(part);
    }

    free(in);

    return 0;
}
