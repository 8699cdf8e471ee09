/*
 * Copyright (C) nginx-rtc authors
 *
 * The camera's H.265 RTP payloads (RFC 7798: single NAL units, APs, FUs,
 * with or without DONL fields) through ngx_rtc_h265_depacketize() into
 * access units, which must be well formed (NAL units with 4-byte lengths
 * that add up): the ring and its readers trust them.  Each access unit
 * then goes through the packetizer of the viewers' packets, whose packets
 * must fit the MTU.  The input format is in ngx_rtc_fuzz.h.
 *
 * fuzz-deps: src/ngx_rtc_h265.c src/ngx_rtc_nal.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_h265.h"


static ngx_rtc_fuzz_packets_t  pk;


static void
ngx_rtc_fuzz_h265_pack(u_char *au, size_t len)
{
    (void) ngx_rtc_h265_profile_id(au, len);

    ngx_rtc_fuzz_pack(ngx_rtc_h265_pack_init, ngx_rtc_h265_pack_next, au, len,
                      pk.mtu);
}


static void
ngx_rtc_fuzz_h265_au(void *data, u_char *au, size_t len, uint32_t rtp_ts,
    ngx_uint_t key)
{
    u_char  *copy;

    ngx_rtc_fuzz_au_check(au, len, pk.au_size);

    /* the ring hands readers a copy of exactly this size */

    copy = ngx_rtc_fuzz_copy(au, len);
    ngx_rtc_fuzz_h265_pack(copy, len);
    free(copy);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                 *buf, *rest;
    ngx_rtc_h265_depack_t   d;

    if (ngx_rtc_fuzz_packets_init(&pk, data, size) != NGX_OK) {
        return 0;
    }

    buf = malloc(pk.au_size);
    if (buf == NULL) {
        abort();
    }

    ngx_rtc_h265_depack_init(&d, buf, pk.au_size, ngx_rtc_fuzz_h265_au,
                             NULL);

    d.donl = pk.donl;

    if (pk.sprop) {
        (void) ngx_rtc_h265_sprop(&d, pk.sprop, pk.sprop_len);
        NGX_RTC_FUZZ_ASSERT(d.vps_len <= NGX_RTC_H265_PS_MAX
                            && d.sps_len <= NGX_RTC_H265_PS_MAX
                            && d.pps_len <= NGX_RTC_H265_PS_MAX);
        free(pk.sprop);
    }

    while (ngx_rtc_fuzz_packets_next(&pk)) {
        (void) ngx_rtc_h265_depacketize(&d, pk.payload, pk.len, pk.seq, pk.ts,
                                        pk.marker);

        NGX_RTC_FUZZ_ASSERT(d.len <= d.size);

        if (pk.flush) {
            ngx_rtc_h265_depack_flush(&d);
        }
    }

    ngx_rtc_h265_depack_flush(&d);

    /* the input after the config byte taken for an access unit */

    rest = ngx_rtc_fuzz_copy(data + 1, size - 1);
    ngx_rtc_fuzz_h265_pack(rest, size - 1);
    free(rest);

    free(buf);

    return 0;
}
