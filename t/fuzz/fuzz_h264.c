/*
 * Copyright (C) nginx-rtc authors
 *
 * The camera's H.264 RTP payloads (RFC 6184: single NAL units, STAP-A,
 * FU-A and whatever else arrives) through ngx_rtc_h264_depacketize() into
 * access units, and each access unit through the packetizer the viewers'
 * packets come from.  An access unit must be well formed (NAL units with
 * 4-byte lengths that add up), as the ring and the packetizer trust it;
 * packets must fit the MTU.  The input format is in ngx_rtc_fuzz.h.
 *
 * fuzz-deps: src/ngx_rtc_h264.c src/ngx_rtc_nal.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_h264.h"


static ngx_rtc_fuzz_packets_t  pk;


static void
ngx_rtc_fuzz_h264_pack(u_char *au, size_t len)
{
    u_char  *nal;
    size_t   n;

    (void) ngx_rtc_h264_au_is_key(au, len);

    if (ngx_rtc_h264_au_find(au, len, NGX_RTC_H264_NAL_SPS, &nal, &n)
        == NGX_OK)
    {
        NGX_RTC_FUZZ_ASSERT(nal >= au && nal + n <= au + len);
        (void) ngx_rtc_h264_profile_level_id(nal, n);
    }

    ngx_rtc_fuzz_pack(ngx_rtc_h264_pack_init, ngx_rtc_h264_pack_next, au, len,
                      pk.mtu);
}


static void
ngx_rtc_fuzz_h264_au(void *data, u_char *au, size_t len, uint32_t rtp_ts,
    ngx_uint_t key)
{
    u_char  *copy;

    ngx_rtc_fuzz_au_check(au, len, pk.au_size);

    if (key) {
        NGX_RTC_FUZZ_ASSERT(ngx_rtc_h264_au_is_key(au, len));
    }

    /* the ring hands readers a copy of exactly this size */

    copy = ngx_rtc_fuzz_copy(au, len);
    ngx_rtc_fuzz_h264_pack(copy, len);
    free(copy);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                 *buf, *rest;
    ngx_rtc_h264_depack_t   d;

    if (ngx_rtc_fuzz_packets_init(&pk, data, size) != NGX_OK) {
        return 0;
    }

    buf = malloc(pk.au_size);
    if (buf == NULL) {
        abort();
    }

    ngx_rtc_h264_depack_init(&d, buf, pk.au_size, ngx_rtc_fuzz_h264_au,
                             NULL);

    if (pk.sprop) {
        (void) ngx_rtc_h264_sprop(&d, pk.sprop, pk.sprop_len);
        NGX_RTC_FUZZ_ASSERT(d.sps_len <= NGX_RTC_H264_PS_MAX
                            && d.pps_len <= NGX_RTC_H264_PS_MAX);
        free(pk.sprop);
    }

    while (ngx_rtc_fuzz_packets_next(&pk)) {
        (void) ngx_rtc_h264_depacketize(&d, pk.payload, pk.len, pk.seq, pk.ts,
                                        pk.marker);

        NGX_RTC_FUZZ_ASSERT(d.len <= d.size);

        if (pk.flush) {
            ngx_rtc_h264_depack_flush(&d);
        }
    }

    ngx_rtc_h264_depack_flush(&d);

    /* the input after the config byte taken for an access unit */

    rest = ngx_rtc_fuzz_copy(data + 1, size - 1);
    ngx_rtc_fuzz_h264_pack(rest, size - 1);
    free(rest);

    free(buf);

    return 0;
}
