/*
 * Copyright (C) nginx-rtc authors
 *
 * The WHEP resource URL of a request (r->uri, already percent-decoded and
 * normalized by nginx, so any byte may be in it) mapped to a stream name
 * (POST /whep/NAME: ngx_rtc_whep_url_segment()) and to a session id
 * (DELETE /whep/NAME/ID: ngx_rtc_whep_url_parse_id(), 32 hex digits,
 * 16 bytes, the first naming the owner's worker slot).
 *
 * fuzz-deps: src/ngx_rtc_whep_url.c
 */

#include "ngx_rtc_fuzz.h"
#include <ngx_rtc.h>
#include "ngx_rtc_whep_url.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *in, id[NGX_RTC_ID_LEN], hex[2 * NGX_RTC_ID_LEN];
    ngx_str_t    uri, seg;
    ngx_uint_t   i;

    static u_char  digits[] = "0123456789abcdef";

    in = ngx_rtc_fuzz_copy(data, size);

    uri.data = in;
    uri.len = size;

    ngx_rtc_whep_url_segment(&uri, &seg);

    NGX_RTC_FUZZ_INSIDE(&seg, in, in + size);
    NGX_RTC_FUZZ_ASSERT(ngx_strlchr(seg.data, seg.data + seg.len, '/')
                        == NULL);

    if (ngx_rtc_whep_url_parse_id(&uri, id) == NGX_OK) {

        /* the id is the segment: nothing else decodes to a live session */

        NGX_RTC_FUZZ_ASSERT(seg.len == 2 * NGX_RTC_ID_LEN);

        for (i = 0; i < NGX_RTC_ID_LEN; i++) {
            hex[2 * i] = digits[id[i] >> 4];
            hex[2 * i + 1] = digits[id[i] & 0xf];
        }

        for (i = 0; i < 2 * NGX_RTC_ID_LEN; i++) {
            NGX_RTC_FUZZ_ASSERT(hex[i] == (seg.data[i] | 0x20)
                                || (seg.data[i] >= '0' && seg.data[i] <= '9'
                                    && hex[i] == seg.data[i]));
        }
    }

    free(in);

    return 0;
}
