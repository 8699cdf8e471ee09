/*
 * Copyright (C) nginx-rtc authors
 *
 * The camera's H.264 RTP payloads (RFC 6184: single NAL units, STAP-A,
 * FU-A and whatever else arrives) through ngx_rtc_h264_depacketize() into
 * access units, and each access unit through the packetizer the viewers'
 * packets come from.  An access unit must be well formed (NAL units with
 * 4-byte lengths that add up), as the ring and the packetizer trust it;
 * packets must fit the MTU.
 *
 * Input: a config byte (bits 0-1: AU buffer size, bit 3: an sprop value
 * follows as a length byte and its bytes, bits 4-7: packetizer MTU), then
 * packets as: length (2), sequence number (2), timestamp (4), flags (1:
 * bit 0 marker, bit 1 flush after it), payload.
 *
 * fuzz-deps: src/ngx_rtc_h264.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_h264.h"


static size_t  ngx_rtc_fuzz_au_sizes[] = { 256, 4096, 65536, 2097152 };
static size_t  ngx_rtc_fuzz_mtu;
static size_t  ngx_rtc_fuzz_au_size;


static void
ngx_rtc_fuzz_h264_pack(u_char *au, size_t len)
{
    u_char               *out, *nal;
    size_t                n;
    ssize_t               rc;
    ngx_uint_t            last, npkts;
    ngx_rtc_h264_pack_t   pack;

    (void) ngx_rtc_h264_au_is_key(au, len);

    if (ngx_rtc_h264_au_find(au, len, NGX_RTC_H264_NAL_SPS, &nal, &n)
        == NGX_OK)
    {
        NGX_RTC_FUZZ_ASSERT(nal >= au && nal + n <= au + len);
        (void) ngx_rtc_h264_profile_level_id(nal, n);
    }

    out = malloc(ngx_rtc_fuzz_mtu);
    if (out == NULL) {
        abort();
    }

    ngx_rtc_h264_pack_init(&pack, au, len, ngx_rtc_fuzz_mtu);

    for (npkts = 0; /* void */; npkts++) {

        /* every packet carries at least a byte of the access unit */
        NGX_RTC_FUZZ_ASSERT(npkts <= len + 1);

        rc = ngx_rtc_h264_pack_next(&pack, out, &last);

        if (rc <= 0) {
            break;
        }

        NGX_RTC_FUZZ_ASSERT((size_t) rc <= ngx_rtc_fuzz_mtu);

        if (last) {
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_h264_pack_next(&pack, out, &last)
                                == 0);
            break;
        }
    }

    free(out);
}


static void
ngx_rtc_fuzz_h264_au(void *data, u_char *au, size_t len, uint32_t rtp_ts,
    ngx_uint_t key)
{
    u_char  *p, *end, *copy;
    size_t   n;

    NGX_RTC_FUZZ_ASSERT(len > 0 && len <= ngx_rtc_fuzz_au_size);

    /* NAL units, each after its 4-byte big-endian length */

    for (p = au, end = au + len; p < end; p += n) {
        NGX_RTC_FUZZ_ASSERT(end - p > 4);
        n = ngx_rtc_fuzz_be32(p);
        p += 4;
        NGX_RTC_FUZZ_ASSERT(n > 0 && n <= (size_t) (end - p));
    }

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
    u_char                 *buf, *sprop, *payload;
    size_t                  n;
    uint8_t                 cfg, flags;
    const uint8_t          *p, *end;
    ngx_rtc_h264_depack_t   d;

    static size_t  mtus[] = { 3, 4, 5, 16, 100, 576, 1200, 1200,
                              1200, 1200, 1200, 1200, 1200, 1400, 9000,
                              65535 };

    if (size < 1) {
        return 0;
    }

    p = data;
    end = data + size;

    cfg = *p++;

    ngx_rtc_fuzz_au_size = ngx_rtc_fuzz_au_sizes[cfg & 3];
    ngx_rtc_fuzz_mtu = mtus[cfg >> 4];

    buf = malloc(ngx_rtc_fuzz_au_size);
    if (buf == NULL) {
        abort();
    }

    ngx_rtc_h264_depack_init(&d, buf, ngx_rtc_fuzz_au_size,
                             ngx_rtc_fuzz_h264_au, NULL);

    if ((cfg & 8) && p < end) {
        n = *p++;
        n = ngx_min(n, (size_t) (end - p));

        sprop = ngx_rtc_fuzz_copy(p, n);
        (void) ngx_rtc_h264_sprop(&d, sprop, n);
        free(sprop);

        NGX_RTC_FUZZ_ASSERT(d.sps_len <= NGX_RTC_H264_PS_MAX
                            && d.pps_len <= NGX_RTC_H264_PS_MAX);
        p += n;
    }

    while (end - p >= 9) {
        n = ngx_rtc_fuzz_be16(p);
        flags = p[8];
        n = ngx_min(n, (size_t) (end - p - 9));

        payload = ngx_rtc_fuzz_copy(p + 9, n);

        (void) ngx_rtc_h264_depacketize(&d, payload, n,
                                        (uint16_t) ngx_rtc_fuzz_be16(p + 2),
                                        ngx_rtc_fuzz_be32(p + 4), flags & 1);
        free(payload);

        NGX_RTC_FUZZ_ASSERT(d.len <= d.size);

        if (flags & 2) {
            ngx_rtc_h264_depack_flush(&d);
        }

        p += 9 + n;
    }

    ngx_rtc_h264_depack_flush(&d);

    /* the rest, or the whole input, taken for an access unit */

    payload = ngx_rtc_fuzz_copy(data + 1, size - 1);
    ngx_rtc_fuzz_h264_pack(payload, size - 1);
    free(payload);

    free(buf);

    return 0;
}
