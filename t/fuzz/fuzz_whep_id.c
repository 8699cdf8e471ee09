/*
 * Copyright (C) nginx-rtc authors
 *
 * The WHEP resource URL of a request (r->uri, already percent-decoded and
 * normalized by nginx, so any byte may be in it) mapped to a stream name
 * (POST /whep/NAME: ngx_rtc_whep_url_segment()) and to a session id
 * (DELETE /whep/NAME/ID: ngx_rtc_whep_url_parse_id(), 32 hex digits,
 * 16 bytes, the first naming the owner's worker slot); and back, the
 * Location of a new session (ngx_rtc_whep_url_location()): only visible
 * ASCII, decoding to the URI, a "/" and the id.
 *
 * fuzz-deps: src/ngx_rtc_whep_url.c
 */

#include "ngx_rtc_fuzz.h"
#include <ngx_rtc.h>
#include "ngx_rtc_whep_url.h"


static void
ngx_rtc_fuzz_whep_location(ngx_str_t *uri)
{
    u_char      *loc, *p, *last, *d, *dec;
    size_t       size;
    ngx_int_t    n;

    static u_char  id[] = "0123456789abcdef0123456789abcdef";

    size = ngx_rtc_whep_url_location_len(uri);

    loc = malloc(size);
    dec = malloc(size);
    if (loc == NULL || dec == NULL) {
        abort();
    }

    last = ngx_rtc_whep_url_location(loc, uri, id);

    NGX_RTC_FUZZ_ASSERT(last > loc && (size_t) (last - loc) <= size);

    d = dec;

    for (p = loc; p < last; p++) {
        NGX_RTC_FUZZ_ASSERT(*p > 0x20 && *p < 0x7f);
        NGX_RTC_FUZZ_ASSERT(*p != '?' && *p != '#' && *p != '"');

        if (*p == '%') {
            NGX_RTC_FUZZ_ASSERT(last - p > 2);
            n = ngx_hextoi(p + 1, 2);
            NGX_RTC_FUZZ_ASSERT(n != NGX_ERROR);
            *d++ = (u_char) n;
            p += 2;
            continue;
        }

        *d++ = *p;
    }

    /* the URI, a "/" unless it ends with one, and the id */

    NGX_RTC_FUZZ_ASSERT((size_t) (d - dec) >= uri->len + 32);
    NGX_RTC_FUZZ_ASSERT(ngx_memcmp(dec, uri->data, uri->len) == 0);
    NGX_RTC_FUZZ_ASSERT(ngx_memcmp(d - 32, id, 32) == 0);
    NGX_RTC_FUZZ_ASSERT((size_t) (d - dec) - 32 - uri->len
                        == ((uri->len && uri->data[uri->len - 1] == '/')
                            ? 0 : 1));

    free(dec);
    free(loc);
}


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

    ngx_rtc_fuzz_whep_location(&uri);

    free(in);

    return 0;
}
