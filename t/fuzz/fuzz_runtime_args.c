/*
 * Copyright (C) nginx-rtc authors
 *
 * The query of go2rtc's PUT /api/streams (r->args, as the client sent it,
 * so any byte may be in it): ngx_rtc_runtime_args_parse() decodes it into
 * a buffer of its length, and a name it accepts is one a URL carries
 * (letters, digits, "_-."), shorter than NGX_RTC_NAME_LEN, the camera URL
 * an rtsp:// or rtsps:// one without go2rtc's "#options".  The redacted
 * request line (ngx_rtc_runtime_args_redact(), what nginx logs) is never
 * longer than the query and keeps no "@" right after a user information
 * of an URL.
 *
 * fuzz-deps: src/ngx_rtc_runtime_args.c src/ngx_rtc_auth.c
 * fuzz-libs: -lcrypto
 */

#include "ngx_rtc_fuzz.h"
#include <ngx_rtc.h>
#include "ngx_rtc_runtime_args.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                  *in, *buf, *red, *last;
    ngx_str_t                args;
    ngx_uint_t               i;
    const char              *err;
    ngx_rtc_runtime_args_t   a;

    in = ngx_rtc_fuzz_copy(data, size);
    buf = malloc(size + 1);
    red = malloc(size + 1);
    if (buf == NULL || red == NULL) {
        abort();
    }

    args.data = in;
    args.len = size;
    err = NULL;

    if (ngx_rtc_runtime_args_parse(&args, buf, &a, &err) == NGX_OK) {
        NGX_RTC_FUZZ_INSIDE(&a.name, buf, buf + size);
        NGX_RTC_FUZZ_ASSERT(a.name.len > 0
                            && a.name.len < NGX_RTC_NAME_LEN);

        for (i = 0; i < a.name.len; i++) {
            NGX_RTC_FUZZ_ASSERT(isalnum(a.name.data[i])
                                || a.name.data[i] == '_'
                                || a.name.data[i] == '-'
                                || a.name.data[i] == '.');
        }

        if (a.url.len) {
            NGX_RTC_FUZZ_INSIDE(&a.url, buf, buf + size);
            NGX_RTC_FUZZ_ASSERT(ngx_strlchr(a.url.data,
                                            a.url.data + a.url.len, '#')
                                == NULL);
            NGX_RTC_FUZZ_ASSERT(
                (a.url.len > 7
                 && ngx_strncasecmp(a.url.data, (u_char *) "rtsp://", 7)
                    == 0)
                || (a.url.len > 8
                    && ngx_strncasecmp(a.url.data, (u_char *) "rtsps://", 8)
                       == 0));
        }

        NGX_RTC_FUZZ_ASSERT(a.ignored <= a.nsrc);
        NGX_RTC_FUZZ_ASSERT(a.audio == NGX_RTC_AUDIO_COPY
                            || a.audio == NGX_RTC_AUDIO_OPUS);

    } else {
        NGX_RTC_FUZZ_ASSERT(err != NULL);
    }

    last = ngx_rtc_runtime_args_redact(&args, red);
    NGX_RTC_FUZZ_ASSERT(last >= red && (size_t) (last - red) <= size);

    free(red);
    free(buf);
    free(in);

    return 0;
}
