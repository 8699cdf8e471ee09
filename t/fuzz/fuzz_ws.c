/*
 * Copyright (C) nginx-rtc authors
 *
 * A WebSocket peer's byte stream, read as ngx_rtc_ws.c reads it: frame
 * headers (ngx_rtc_ws_frame_parse) from whatever bytes have arrived, the
 * stream cut into reads at the points the first input byte gives, each
 * payload unmasked as it comes (at its offset) and text checked as UTF-8
 * incrementally.  Invariants: a header fits what was there and is at
 * most 14 bytes; a frame is never larger than the limit; unmasking in
 * pieces equals unmasking at once; UTF-8 checked in pieces agrees with
 * the check in one piece.
 *
 * fuzz-deps: src/ngx_rtc_ws_frame.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_ws_frame.h"


#define NGX_RTC_FUZZ_WS_MAX  4096


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char              *in, *pos, *last, *end, *a, *b;
    size_t               step, n, k;
    uint64_t             got;
    ngx_int_t            rc, r1, r2;
    ngx_uint_t           s1, s2;
    ngx_rtc_ws_frame_t   f;

    if (size < 1) {
        return 0;
    }

    step = 1 + (data[0] & 0x1f);
    in = malloc(size);
    if (in == NULL) {
        abort();
    }

    ngx_memcpy(in, data + 1, size - 1);

    pos = in;
    end = in + size - 1;
    last = ngx_min(pos + step, end);

    while (pos < end) {
        rc = ngx_rtc_ws_frame_parse(pos, last, NGX_RTC_FUZZ_WS_MAX, &f);

        if (rc == NGX_AGAIN) {
            if (last == end) {
                break;
            }

            last = ngx_min(last + step, end);
            continue;
        }

        if (rc == NGX_ERROR) {
            NGX_RTC_FUZZ_ASSERT(f.err != NULL);
            NGX_RTC_FUZZ_ASSERT(f.code == NGX_RTC_WS_CLOSE_PROTOCOL
                                || f.code == NGX_RTC_WS_CLOSE_TOO_BIG);
            break;
        }

        NGX_RTC_FUZZ_ASSERT(f.header >= 6 && f.header <= 14);
        NGX_RTC_FUZZ_ASSERT(f.header <= (size_t) (last - pos));
        NGX_RTC_FUZZ_ASSERT(f.len <= NGX_RTC_FUZZ_WS_MAX);
        NGX_RTC_FUZZ_ASSERT(f.opcode < NGX_RTC_WS_CLOSE
                            || (f.len <= NGX_RTC_WS_MAX_CONTROL && f.fin));

        pos += f.header;

        n = ngx_min((uint64_t) (end - pos), f.len);

        /* the payload in reads of "step" bytes, against it at once */

        a = malloc(n + 1);
        b = malloc(n + 1);
        if (a == NULL || b == NULL) {
            abort();
        }

        ngx_memcpy(a, pos, n);
        ngx_memcpy(b, pos, n);

        ngx_rtc_ws_frame_unmask(b, n, f.mask, 0);

        s1 = 0;
        r1 = NGX_OK;

        for (got = 0; got < n; got += k) {
            k = ngx_min(step, n - got);
            ngx_rtc_ws_frame_unmask(a + got, k, f.mask, got);

            if (r1 == NGX_OK) {
                r1 = ngx_rtc_ws_utf8(&s1, a + got, k);
            }
        }

        NGX_RTC_FUZZ_ASSERT(n == 0 || ngx_memcmp(a, b, n) == 0);

        s2 = 0;
        r2 = ngx_rtc_ws_utf8(&s2, b, n);

        NGX_RTC_FUZZ_ASSERT(r1 == r2);
        NGX_RTC_FUZZ_ASSERT(r1 != NGX_OK || s1 == s2);

        free(a);
        free(b);

        pos += n;
        last = ngx_min(pos + step, end);
    }

    free(in);

    return 0;
}
