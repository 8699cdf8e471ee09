/*
 * Copyright (C) nginx-rtc authors
 *
 * A go2rtc signalling message (a WebSocket text message or a POST body)
 * through the JSON reader: ngx_rtc_json_parse over the whole text, then
 * the lookups ngx_rtc_go2rtc.c makes ("type", "value", "sdp") and the
 * strings unescaped in place.  Invariants: values lie inside the text
 * and inside their object; an unescaped string is never longer than its
 * text; a text that parses parses again after its strings are unescaped
 * in a copy (nothing outside a string moved).
 *
 * fuzz-deps: src/ngx_rtc_json.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_json.h"


static void
ngx_rtc_fuzz_json_string(ngx_rtc_json_t *in, ngx_rtc_json_t *v)
{
    ngx_str_t  s;

    NGX_RTC_FUZZ_ASSERT(v->start >= in->start && v->end <= in->end
                        && v->start < v->end);

    if (v->type != NGX_RTC_JSON_STRING) {
        return;
    }

    NGX_RTC_FUZZ_ASSERT(v->end - v->start >= 2 && v->start[0] == '"'
                        && v->end[-1] == '"');

    s.data = v->start;

    if (ngx_rtc_json_string(v, &s) == NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(s.len <= (size_t) (v->end - v->start));
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char          *text;
    ngx_rtc_json_t   msg, v, w;

    text = malloc(size + 1);
    if (text == NULL) {
        abort();
    }

    ngx_memcpy(text, data, size);

    if (ngx_rtc_json_parse(text, text + size, &msg) != NGX_OK) {
        free(text);
        return 0;
    }

    NGX_RTC_FUZZ_ASSERT(msg.start >= text && msg.end <= text + size);

    if (ngx_rtc_json_get(&msg, "value", &v) == NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(msg.type == NGX_RTC_JSON_OBJECT);

        if (ngx_rtc_json_get(&v, "sdp", &w) == NGX_OK) {
            ngx_rtc_fuzz_json_string(&v, &w);
        }

        if (ngx_rtc_json_get(&v, "type", &w) == NGX_OK) {
            ngx_rtc_fuzz_json_string(&v, &w);
        }

        ngx_rtc_fuzz_json_string(&msg, &v);
    }

    if (ngx_rtc_json_get(&msg, "type", &v) == NGX_OK) {
        ngx_rtc_fuzz_json_string(&msg, &v);
    }

    free(text);

    return 0;
}
