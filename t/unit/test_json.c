/*
 * Copyright (C) nginx-rtc authors
 *
 * The JSON reader of go2rtc's messages (ngx_rtc_json.c): RFC 8259 texts
 * taken and refused, members looked up, strings unescaped (surrogate
 * pairs to UTF-8; lone surrogates and NUL refused), the depth bound.
 */

/* unit-deps: src/ngx_rtc_json.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc_json.h>
#include <string.h>


static ngx_int_t
parse(const char *s, ngx_rtc_json_t *v)
{
    return ngx_rtc_json_parse((u_char *) s, (u_char *) s + strlen(s), v);
}


static void
test_parse(void)
{
    size_t          i;
    ngx_rtc_json_t  v;

    static const char  *good[] = {
        "{}", " [ ] ", "0", "-0.5e+10", "true", "false", "null", "\"\"",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\\n\"}",
        "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
    };

    static const char  *bad[] = {
        "", "{", "}", "[1,]", "{\"a\"}", "{\"a\":}", "{a:1}", "01", "1.",
        "-", "1e", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12g4\"",
        "\"a\nb\"", "[1 2]", "{\"a\":1,}", "1 2",
        "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (parse(good[i], &v) != NGX_OK) {
            fprintf(stderr, "  refused: %s\n", good[i]);
            NGX_RTC_CHECK(0);
        }
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &v) != NGX_ERROR) {
            fprintf(stderr, "  taken: %s\n", bad[i]);
            NGX_RTC_CHECK(0);
        }
    }
}


static void
test_get(void)
{
    u_char          buf[64];
    ngx_str_t       s;
    ngx_rtc_json_t  msg, v, sdp;

    static char  text[] =
        "{ \"type\" : \"webrtc\", \"value\": {\"type\":\"offer\","
        "\"sdp\":\"v=0\\r\\no=- 1\\u00e9\\ud83d\\ude00\\/\","
        "\"ice_servers\":[{\"urls\":[\"stun:x\"]}]}, \"typex\": 1 }";

    NGX_RTC_CHECK(parse(text, &msg) == NGX_OK);
    NGX_RTC_CHECK(msg.type == NGX_RTC_JSON_OBJECT);

    NGX_RTC_CHECK(ngx_rtc_json_get(&msg, "type", &v) == NGX_OK);
    NGX_RTC_CHECK(v.type == NGX_RTC_JSON_STRING
                  && v.end - v.start == 8
                  && ngx_strncmp(v.start, "\"webrtc\"", 8) == 0);

    NGX_RTC_CHECK(ngx_rtc_json_get(&msg, "typ", &v) == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_json_get(&msg, "none", &v) == NGX_DECLINED);

    NGX_RTC_CHECK(ngx_rtc_json_get(&msg, "value", &v) == NGX_OK);
    NGX_RTC_CHECK(v.type == NGX_RTC_JSON_OBJECT);
    NGX_RTC_CHECK(ngx_rtc_json_get(&v, "sdp", &sdp) == NGX_OK);

    s.data = buf;
    NGX_RTC_CHECK(ngx_rtc_json_string(&sdp, &s) == NGX_OK);
    NGX_RTC_CHECK(s.len == 17
                  && ngx_memcmp(s.data, "v=0\r\no=- 1\xc3\xa9\xf0\x9f\x98\x80/",
                                17) == 0);

    NGX_RTC_CHECK(ngx_rtc_json_get(&v, "ice_servers", &sdp) == NGX_OK
                  && sdp.type == NGX_RTC_JSON_ARRAY);

    /* not an object: no members */
    NGX_RTC_CHECK(parse("[\"type\"]", &v) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_json_get(&v, "type", &sdp) == NGX_DECLINED);

    NGX_RTC_CHECK(parse("\"\\ud800\"", &v) == NGX_OK);
    s.data = buf;
    NGX_RTC_CHECK(ngx_rtc_json_string(&v, &s) == NGX_ERROR);

    NGX_RTC_CHECK(parse("\"\\udc00\\ud800\"", &v) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_json_string(&v, &s) == NGX_ERROR);

    NGX_RTC_CHECK(parse("\"a\\u0000\"", &v) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_json_string(&v, &s) == NGX_ERROR);

    /* in place, as the WebSocket messages are */
    {
        char  t[] = "\"a\\\"b\\\\c\\u0041\"";

        NGX_RTC_CHECK(parse(t, &v) == NGX_OK);
        s.data = v.start;
        NGX_RTC_CHECK(ngx_rtc_json_string(&v, &s) == NGX_OK);
        NGX_RTC_CHECK(s.len == 6 && ngx_memcmp(s.data, "a\"b\\cA", 6) == 0);
    }
}


int
main(void)
{
    test_parse();
    test_get();

    return NGX_RTC_UNIT_DONE();
}
