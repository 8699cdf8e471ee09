/*
 * Copyright (C) nginx-rtc authors
 *
 * The WHEP resource URL of a request (r->uri, already percent-decoded and
 * normalized by nginx, so any byte may be in it) mapped to a stream name
 * (POST /whep/NAME) and to a session id (DELETE /whep/NAME/ID: 32 hex
 * digits, 16 bytes, the first naming the owner's worker slot).
 *
 * The mapping lives in ngx_rtc_whep.c as static functions of a file that
 * needs a running nginx; until it moves to a pure function (e.g.
 * ngx_rtc_whep_parse_resource(ngx_str_t *uri, ngx_str_t *name, u_char *id)
 * in a pure file), this harness carries a copy of it, kept in step by hand:
 * ngx_rtc_whep_last_segment() and the hex loop of ngx_rtc_whep_delete().
 *
 * fuzz-deps:
 */

#include "ngx_rtc_fuzz.h"


#define NGX_RTC_FUZZ_ID_LEN  16           /* NGX_RTC_ID_LEN */


/* a copy of ngx_rtc_whep_last_segment() */

static void
ngx_rtc_fuzz_whep_last_segment(ngx_str_t *uri, ngx_str_t *seg)
{
    u_char  *p, *end;

    end = uri->data + uri->len;

    while (end > uri->data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > uri->data && p[-1] != '/'; p--) {
        /* void */
    }

    seg->data = p;
    seg->len = end - p;
}


/* the session id part of ngx_rtc_whep_delete() */

static ngx_int_t
ngx_rtc_fuzz_whep_id(ngx_str_t *seg, u_char *id)
{
    ngx_int_t   n;
    ngx_uint_t  i;

    if (seg->len != 2 * NGX_RTC_FUZZ_ID_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < NGX_RTC_FUZZ_ID_LEN; i++) {
        n = ngx_hextoi(seg->data + 2 * i, 2);
        if (n == NGX_ERROR) {
            return NGX_DECLINED;
        }

        id[i] = (u_char) n;
    }

    return NGX_OK;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *in, id[NGX_RTC_FUZZ_ID_LEN], hex[2 * NGX_RTC_FUZZ_ID_LEN];
    ngx_str_t    uri, seg;
    ngx_uint_t   i;

    static u_char  digits[] = "0123456789abcdef";

    in = ngx_rtc_fuzz_copy(data, size);

    uri.data = in;
    uri.len = size;

    ngx_rtc_fuzz_whep_last_segment(&uri, &seg);

    NGX_RTC_FUZZ_INSIDE(&seg, in, in + size);
    NGX_RTC_FUZZ_ASSERT(ngx_strlchr(seg.data, seg.data + seg.len, '/')
                        == NULL);

    if (ngx_rtc_fuzz_whep_id(&seg, id) == NGX_OK) {

        /* the id is the segment: nothing else decodes to a live session */

        for (i = 0; i < NGX_RTC_FUZZ_ID_LEN; i++) {
            hex[2 * i] = digits[id[i] >> 4];
            hex[2 * i + 1] = digits[id[i] & 0xf];
        }

        for (i = 0; i < 2 * NGX_RTC_FUZZ_ID_LEN; i++) {
            NGX_RTC_FUZZ_ASSERT(hex[i] == (seg.data[i] | 0x20)
                                || (seg.data[i] >= '0' && seg.data[i] <= '9'
                                    && hex[i] == seg.data[i]));
        }
    }

    free(in);

    return 0;
}
