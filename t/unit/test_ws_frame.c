/*
 * Copyright (C) nginx-rtc authors
 *
 * WebSocket framing (ngx_rtc_ws_frame.c): client frame headers as RFC 6455
 * has them (5.7's examples), the errors a server closes with (5.1, 5.2,
 * 5.5), unmasking across reads, server headers, close codes (7.4), and
 * incremental UTF-8 validation (RFC 3629).
 */

/* unit-deps: src/ngx_rtc_ws_frame.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc_ws_frame.h>


static void
test_parse(void)
{
    ngx_rtc_ws_frame_t  f;

    /* 5.7: a masked "Hello" from a client */
    u_char  hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                        0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    /* 5.7: the unmasked "Hello" a server sends */
    u_char  server[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    u_char  frag[] = { 0x01, 0x83, 1, 2, 3, 4 };
    u_char  len16[] = { 0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4 };
    u_char  len64[] = { 0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4 };
    u_char  msb[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
    u_char  rsv[] = { 0xc1, 0x80, 1, 2, 3, 4 };
    u_char  op3[] = { 0x83, 0x80, 1, 2, 3, 4 };
    u_char  ping_frag[] = { 0x09, 0x80, 1, 2, 3, 4 };
    u_char  ping_long[] = { 0x89, 0xfe, 0, 126, 1, 2, 3, 4 };

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(hello, hello + sizeof(hello),
                                         65536, &f) == NGX_OK);
    NGX_RTC_CHECK(f.fin == 1 && f.opcode == NGX_RTC_WS_TEXT && f.len == 5
                  && f.header == 6);

    ngx_rtc_ws_frame_unmask(hello + 6, 2, f.mask, 0);
    ngx_rtc_ws_frame_unmask(hello + 8, 3, f.mask, 2);
    NGX_RTC_CHECK(ngx_memcmp(hello + 6, "Hello", 5) == 0);

    /* every prefix of a header wants more */
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(hello, hello + 1, 65536, &f)
                  == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(hello, hello + 5, 65536, &f)
                  == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(len64, len64 + 9, 1 << 20, &f)
                  == NGX_AGAIN);

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(server, server + sizeof(server),
                                         65536, &f) == NGX_ERROR);
    NGX_RTC_CHECK(f.code == NGX_RTC_WS_CLOSE_PROTOCOL);

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(frag, frag + sizeof(frag), 65536, &f)
                  == NGX_OK);
    NGX_RTC_CHECK(f.fin == 0 && f.len == 3);

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(len16, len16 + sizeof(len16),
                                         65536, &f) == NGX_OK);
    NGX_RTC_CHECK(f.len == 256 && f.header == 8);

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(len64, len64 + sizeof(len64),
                                         1 << 20, &f) == NGX_OK);
    NGX_RTC_CHECK(f.len == 65536 && f.header == 14);

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(len64, len64 + sizeof(len64),
                                         65535, &f) == NGX_ERROR);
    NGX_RTC_CHECK(f.code == NGX_RTC_WS_CLOSE_TOO_BIG);

    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(msb, msb + sizeof(msb), 65536, &f)
                  == NGX_ERROR && f.code == NGX_RTC_WS_CLOSE_PROTOCOL);
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(rsv, rsv + sizeof(rsv), 65536, &f)
                  == NGX_ERROR && f.code == NGX_RTC_WS_CLOSE_PROTOCOL);
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(op3, op3 + sizeof(op3), 65536, &f)
                  == NGX_ERROR && f.code == NGX_RTC_WS_CLOSE_PROTOCOL);
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(ping_frag,
                                         ping_frag + sizeof(ping_frag),
                                         65536, &f)
                  == NGX_ERROR && f.code == NGX_RTC_WS_CLOSE_PROTOCOL);
    NGX_RTC_CHECK(ngx_rtc_ws_frame_parse(ping_long,
                                         ping_long + sizeof(ping_long),
                                         65536, &f)
                  == NGX_ERROR && f.code == NGX_RTC_WS_CLOSE_PROTOCOL);
}


static void
test_header(void)
{
    u_char  buf[16], *p;

    p = ngx_rtc_ws_frame_header(buf, NGX_RTC_WS_TEXT, 5);
    NGX_RTC_CHECK(p - buf == 2 && buf[0] == 0x81 && buf[1] == 5);

    p = ngx_rtc_ws_frame_header(buf, NGX_RTC_WS_TEXT, 256);
    NGX_RTC_CHECK(p - buf == 4 && buf[1] == 126 && buf[2] == 1 && buf[3] == 0);

    p = ngx_rtc_ws_frame_header(buf, NGX_RTC_WS_CLOSE, 65536);
    NGX_RTC_CHECK(p - buf == 10 && buf[0] == 0x88 && buf[1] == 127
                  && buf[7] == 1 && buf[8] == 0 && buf[9] == 0);

    NGX_RTC_CHECK(ngx_rtc_ws_close_code_valid(1000));
    NGX_RTC_CHECK(ngx_rtc_ws_close_code_valid(1011));
    NGX_RTC_CHECK(ngx_rtc_ws_close_code_valid(4999));
    NGX_RTC_CHECK(!ngx_rtc_ws_close_code_valid(999));
    NGX_RTC_CHECK(!ngx_rtc_ws_close_code_valid(1005));
    NGX_RTC_CHECK(!ngx_rtc_ws_close_code_valid(1006));
    NGX_RTC_CHECK(!ngx_rtc_ws_close_code_valid(1015));
    NGX_RTC_CHECK(!ngx_rtc_ws_close_code_valid(2000));
    NGX_RTC_CHECK(!ngx_rtc_ws_close_code_valid(5000));
}


static ngx_int_t
utf8(const char *s, size_t len, size_t cut)
{
    ngx_uint_t  state;

    state = 0;

    if (ngx_rtc_ws_utf8(&state, (u_char *) s, cut) != NGX_OK
        || ngx_rtc_ws_utf8(&state, (u_char *) s + cut, len - cut) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return state == 0 ? NGX_OK : NGX_AGAIN;
}


static void
test_utf8(void)
{
    size_t  i;

    static const char  good[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                "\xed\x9f\xbf\xf4\x8f\xbf\xbf";

    for (i = 0; i <= sizeof(good) - 1; i++) {
        NGX_RTC_CHECK(utf8(good, sizeof(good) - 1, i) == NGX_OK);
    }

    NGX_RTC_CHECK(utf8("\xe2\x82", 2, 1) == NGX_AGAIN);
    NGX_RTC_CHECK(utf8("\xff", 1, 0) == NGX_ERROR);
    NGX_RTC_CHECK(utf8("\xc0\x80", 2, 1) == NGX_ERROR);          /* overlong */
    NGX_RTC_CHECK(utf8("\xe0\x80\x80", 3, 1) == NGX_ERROR);
    NGX_RTC_CHECK(utf8("\xed\xa0\x80", 3, 2) == NGX_ERROR);      /* surrogate */
    NGX_RTC_CHECK(utf8("\xf4\x90\x80\x80", 4, 1) == NGX_ERROR); /* > U+10FFFF */
    NGX_RTC_CHECK(utf8("\xf0\x80\x80\x80", 4, 3) == NGX_ERROR);
    NGX_RTC_CHECK(utf8("\x80", 1, 1) == NGX_ERROR);
    NGX_RTC_CHECK(utf8("\xc3\x28", 2, 1) == NGX_ERROR);
}


int
main(void)
{
    test_parse();
    test_header();
    test_utf8();

    return NGX_RTC_UNIT_DONE();
}
