/*
 * Copyright (C) nginx-rtc authors
 *
 * The WHEP resource URL (ngx_rtc_whep_url.c): the stream name and session
 * id of a request's (decoded) URI, and the Location of a new session,
 * percent-encoded again so that nothing of the URI can end the header.
 */

/* unit-deps: src/ngx_rtc_whep_url.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc.h>
#include <ngx_rtc_whep_url.h>
#include <stdlib.h>


static const char  *hex = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";


static ngx_uint_t
location_is(const char *uri, size_t len, const char *want)
{
    u_char     *p, *buf;
    ngx_str_t   u;
    ngx_uint_t  ok;

    u.data = (u_char *) uri;
    u.len = len;

    buf = malloc(ngx_rtc_whep_url_location_len(&u));
    p = ngx_rtc_whep_url_location(buf, &u, (u_char *) hex);

    ok = ((size_t) (p - buf) <= ngx_rtc_whep_url_location_len(&u)
          && (size_t) (p - buf) == ngx_strlen(want)
          && ngx_memcmp(buf, want, p - buf) == 0);

    if (!ok) {
        fprintf(stderr, "  location of \"%.*s\": \"%.*s\", want \"%s\"\n",
                (int) len, uri, (int) (p - buf), buf, want);
    }

    free(buf);

    return ok;
}


#define location(uri, want)  location_is(uri, sizeof(uri) - 1, want)


static void
test_location(void)
{
    NGX_RTC_CHECK(location("/whep/cam",
                           "/whep/cam/0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
    NGX_RTC_CHECK(location("/whep/cam/",
                           "/whep/cam/0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
    NGX_RTC_CHECK(location("",
                           "/0a1b2c3d4e5f60718293a4b5c6d7e8f9"));

    /* the issue's case: POST /whep/%0d%0aX-Injected:%201/cam */

    NGX_RTC_CHECK(location("/whep/\r\nX-Injected: 1/cam",
                           "/whep/%0D%0AX-Injected:%201/cam/"
                           "0a1b2c3d4e5f60718293a4b5c6d7e8f9"));

    /* what would change the resource named: "%", "?", "#" */

    NGX_RTC_CHECK(location("/whep/a%20b?c#d/cam",
                           "/whep/a%2520b%3Fc%23d/cam/"
                           "0a1b2c3d4e5f60718293a4b5c6d7e8f9"));

    /* every other byte outside RFC 3986 pchar */

    NGX_RTC_CHECK(location("/w/\t\x01\x7f\x80\xff\"<>\\^`{|}[] x",
                           "/w/%09%01%7F%80%FF%22%3C%3E%5C%5E%60%7B%7C%7D"
                           "%5B%5D%20x/0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
    NGX_RTC_CHECK(location("/w/\0x",
                           "/w/%00x/0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
    NGX_RTC_CHECK(location("/w/caf\xc3\xa9",
                           "/w/caf%C3%A9/0a1b2c3d4e5f60718293a4b5c6d7e8f9"));

    /* and what stays as it is */

    NGX_RTC_CHECK(location("/-._~!$&'()*+,;=:@AZaz09",
                           "/-._~!$&'()*+,;=:@AZaz09/"
                           "0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
}


static void
test_segment_and_id(void)
{
    u_char      id[NGX_RTC_ID_LEN];
    ngx_str_t   uri, seg;

    ngx_str_set(&uri, "/whep/cam//");
    ngx_rtc_whep_url_segment(&uri, &seg);
    NGX_RTC_CHECK(seg.len == 3 && ngx_strncmp(seg.data, "cam", 3) == 0);

    ngx_str_set(&uri, "cam");
    ngx_rtc_whep_url_segment(&uri, &seg);
    NGX_RTC_CHECK(seg.len == 3 && seg.data == uri.data);

    ngx_str_set(&uri, "///");
    ngx_rtc_whep_url_segment(&uri, &seg);
    NGX_RTC_CHECK(seg.len == 0);

    ngx_str_set(&uri, "/whep/cam/0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    NGX_RTC_CHECK(ngx_rtc_whep_url_parse_id(&uri, id) == NGX_OK);
    NGX_RTC_CHECK(id[0] == 0x0a && id[1] == 0x1b && id[15] == 0xf9);

    ngx_str_set(&uri, "/whep/cam/0A1B2C3D4E5F60718293A4B5C6D7E8F9/");
    NGX_RTC_CHECK(ngx_rtc_whep_url_parse_id(&uri, id) == NGX_OK);
    NGX_RTC_CHECK(id[0] == 0x0a && id[15] == 0xf9);

    ngx_str_set(&uri, "/whep/cam/0a1b2c3d4e5f60718293a4b5c6d7e8f");
    NGX_RTC_CHECK(ngx_rtc_whep_url_parse_id(&uri, id) == NGX_DECLINED);

    ngx_str_set(&uri, "/whep/cam/0a1b2c3d4e5f60718293a4b5c6d7e8f9a");
    NGX_RTC_CHECK(ngx_rtc_whep_url_parse_id(&uri, id) == NGX_DECLINED);

    ngx_str_set(&uri, "/whep/cam/0a1b2c3d4e5f60718293a4b5c6d7e8fg");
    NGX_RTC_CHECK(ngx_rtc_whep_url_parse_id(&uri, id) == NGX_DECLINED);

    ngx_str_set(&uri, "/whep/cam");
    NGX_RTC_CHECK(ngx_rtc_whep_url_parse_id(&uri, id) == NGX_DECLINED);
}


int
main(void)
{
    test_location();
    test_segment_and_id();

    return NGX_RTC_UNIT_DONE();
}
