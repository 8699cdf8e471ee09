/*
 * Copyright (C) nginx-rtc authors
 *
 * A camera URL (rtc_stream, and the rtsp:// URLs a camera names):
 * ngx_rtc_auth_parse_url(), then the Basic credentials made from it.  The
 * request URI goes on a request line and the redacted form into logs and
 * the status page: the first holds no blanks or controls; the second
 * is the same with or without the user information but for "***@".
 *
 * fuzz-deps: src/ngx_rtc_auth.c
 * fuzz-libs: -lcrypto
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_auth.h"


static ngx_rtc_url_t  u, u2;


/*
 * The same URL without its user information must parse, with the same
 * redacted form but for the "***@": the credentials leave no other trace.
 */

static void
ngx_rtc_fuzz_url_without_userinfo(u_char *in, size_t size)
{
    u_char     *p, *end, *path, *at, *bare;
    size_t      n;
    ngx_str_t   url, r1, r2;

    end = in + size;

    p = in + u.scheme.len + sizeof("://") - 1;
    path = ngx_strlchr(p, end, '/');
    if (path == NULL) {
        path = end;
    }

    for (at = NULL; p < path; p++) {
        if (*p == '@') {
            at = p;
        }
    }

    NGX_RTC_FUZZ_ASSERT(at != NULL);

    n = u.scheme.len + sizeof("://") - 1;

    bare = malloc(size);
    if (bare == NULL) {
        abort();
    }

    ngx_memcpy(bare, in, n);
    ngx_memcpy(bare + n, at + 1, end - at - 1);

    url.data = bare;
    url.len = n + (end - at - 1);

    NGX_RTC_FUZZ_ASSERT(ngx_rtc_auth_parse_url(&url, &u2) == NGX_OK);
    NGX_RTC_FUZZ_ASSERT(!u2.has_userinfo);

    /* the redacted forms after the scheme: "***@" and the rest */

    r1.data = u.redacted.data + n + 4;
    r1.len = u.redacted.len - n - 4;
    r2.data = u2.redacted.data + n;
    r2.len = u2.redacted.len - n;

    NGX_RTC_FUZZ_ASSERT(ngx_memcmp(u.redacted.data + n, "***@", 4) == 0);
    NGX_RTC_FUZZ_ASSERT(r1.len == r2.len
                        && ngx_memcmp(r1.data, r2.data, r1.len) == 0);

    free(bare);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char     *in, *buf, *p;
    ngx_str_t   url, out;

    in = ngx_rtc_fuzz_copy(data, size);

    url.data = in;
    url.len = size;

    if (ngx_rtc_auth_parse_url(&url, &u) != NGX_OK) {
        free(in);
        return 0;
    }

    NGX_RTC_FUZZ_ASSERT(u.uri.data == u.uri_buf
                        && u.uri.len < sizeof(u.uri_buf));
    NGX_RTC_FUZZ_ASSERT(u.redacted.data == u.redacted_buf
                        && u.redacted.len <= sizeof(u.redacted_buf));
    NGX_RTC_FUZZ_ASSERT(u.hostport.data == u.hostport_buf
                        && u.hostport.len <= sizeof(u.hostport_buf));
    NGX_RTC_FUZZ_INSIDE(&u.host, u.uri_buf, u.uri_buf + u.uri.len);
    NGX_RTC_FUZZ_INSIDE(&u.path, u.uri_buf, u.uri_buf + u.uri.len);
    NGX_RTC_FUZZ_ASSERT(u.host.len > 0 && u.port > 0);
    NGX_RTC_FUZZ_ASSERT(u.path.len > 0 && u.path.data[0] == '/');
    NGX_RTC_FUZZ_ASSERT(u.user.len <= NGX_RTC_URL_CRED_MAX
                        && u.password.len <= NGX_RTC_URL_CRED_MAX);

    for (p = u.uri.data; p < u.uri.data + u.uri.len; p++) {
        NGX_RTC_FUZZ_ASSERT(*p > 0x20 && *p != 0x7f);
    }

    for (p = u.redacted.data; p < u.redacted.data + u.redacted.len; p++) {
        NGX_RTC_FUZZ_ASSERT(*p >= 0x20 && *p != 0x7f);
    }

    if (u.has_userinfo) {
        ngx_rtc_fuzz_url_without_userinfo(in, size);
    }

    /* ngx_rtc_rtsp.c answers Basic only for a URL with user information */

    if (u.has_userinfo) {
        buf = malloc(1024);
        if (buf == NULL) {
            abort();
        }

        if (ngx_rtc_auth_basic(&u, buf, 1024, &out) == NGX_OK) {
            NGX_RTC_FUZZ_ASSERT(out.data == buf && out.len <= 1024);
        }

        free(buf);
    }
    free(in);

    return 0;
}
