/*
 * Copyright (C) nginx-rtc authors
 *
 * What libavformat hands an ffmpeg: source (a file, an HTTP or RTMP
 * stream: outside bytes): the decoder configuration (avcC, hvcC or
 * Annex-B parameter sets) into ngx_rtc_au_init(), packets into
 * ngx_rtc_au_convert() with the bound ngx_rtc_au_bound() promises, and
 * ADTS headers into ngx_rtc_au_adts().  A converted access unit must be in
 * the ring's form and go back to Annex-B in place.
 *
 * Input: a config byte (bit 0: H.265, bit 1: keyframe), the decoder
 * configuration's length (2 bytes) and bytes, then the packet.
 *
 * fuzz-deps: src/ngx_rtc_au.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_frame.h"
#include "ngx_rtc_au.h"


static ngx_rtc_au_t  au;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char   *config, *pkt, *out, asc[2];
    size_t    n, len, bound, header, frame;
    uint8_t   cfg;

    if (size < 3) {
        return 0;
    }

    cfg = data[0];
    n = ngx_min(ngx_rtc_fuzz_be16(data + 1), size - 3);

    config = ngx_rtc_fuzz_copy(data + 3, n);
    pkt = ngx_rtc_fuzz_copy(data + 3 + n, size - 3 - n);
    len = size - 3 - n;

    if (ngx_rtc_au_adts(pkt, pkt + len, &header, &frame, asc) == NGX_OK) {
        NGX_RTC_FUZZ_ASSERT(header < frame && frame <= len);
    }

    if (ngx_rtc_au_init(&au, (cfg & 1) ? NGX_RTC_CODEC_H265
                                       : NGX_RTC_CODEC_H264,
                        n ? config : NULL, n)
        == NGX_OK)
    {
        NGX_RTC_FUZZ_ASSERT(au.params_len <= NGX_RTC_AU_MAX_PARAMS);

        bound = ngx_rtc_au_bound(&au, len);

        out = malloc(bound);
        if (out == NULL) {
            abort();
        }

        if (ngx_rtc_au_convert(&au, pkt, pkt + len, cfg & 2 ? 1 : 0, out,
                               bound, &n)
            == NGX_OK
            && n > 0)
        {
            NGX_RTC_FUZZ_ASSERT(n <= bound);
            ngx_rtc_fuzz_au_check(out, n, bound);
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_au_to_annexb(out, n) == NGX_OK);
        }

        free(out);
    }

    free(pkt);
    free(config);

    return 0;
}
