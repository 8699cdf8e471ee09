/*
 * Copyright (C) nginx-rtc authors
 *
 * The HTTP/1.1 response parser of whep:// sources (a WHEP server's
 * answer to our POST and DELETE): any bytes, complete or not, peer
 * closed or not.  What it returns points inside the input; a chunked
 * body, decoded in place, is no longer than the input.
 *
 * fuzz-deps: src/ngx_rtc_http_parse.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_http_parse.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                   *in;
    ngx_int_t                 rc;
    ngx_uint_t                eof;
    ngx_rtc_http_response_t   r;

    for (eof = 0; eof < 2; eof++) {
        in = ngx_rtc_fuzz_copy(data, size);

        rc = ngx_rtc_http_parse_response(in, size, eof, &r);

        NGX_RTC_FUZZ_ASSERT(rc == NGX_OK || rc == NGX_AGAIN
                            || rc == NGX_ERROR);
        NGX_RTC_FUZZ_ASSERT(rc != NGX_ERROR || r.err != NULL);
        NGX_RTC_FUZZ_ASSERT(!(eof && rc == NGX_AGAIN));

        if (rc == NGX_OK) {
            NGX_RTC_FUZZ_ASSERT(r.status >= 200 && r.status <= 599);
            NGX_RTC_FUZZ_INSIDE(&r.body, in, in + size);
            NGX_RTC_FUZZ_INSIDE(&r.location, in, in + size);
            NGX_RTC_FUZZ_INSIDE(&r.content_type, in, in + size);
        }

        free(in);
    }

    return 0;
}
