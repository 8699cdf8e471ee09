/*
 * Copyright (C) nginx-rtc authors
 *
 * The camera's H.265 RTP payloads (RFC 7798: single NAL units, APs, FUs,
 * with or without DONL fields) through ngx_rtc_h265_depacketize() into
 * access units, which must be well formed (NAL units with 4-byte lengths
 * that add up): the ring and its readers trust them.  Each access unit
 * then goes through the packetizer of the viewers' packets, whose packets
 * must fit the MTU.
 *
 * Input: a config byte (bits 0-1: AU buffer size, bit 2: DONL fields as
 * with sprop-max-don-diff > 0, bit 3: an sprop value follows as a length
 * byte and its bytes, bits 4-7: packetizer MTU), then packets as: length
 * (2), sequence number (2), timestamp (4), flags (1: bit 0 marker, bit 1
 * flush after it), payload.
 *
 * fuzz-deps: src/ngx_rtc_h265.c
 */

#include "ngx_rtc_fuzz.h"
#include "ngx_rtc_h265.h"


static size_t  ngx_rtc_fuzz_au_sizes[] = { 256, 4096, 65536, 2097152 };
static size_t  ngx_rtc_fuzz_au_size;
static size_t  ngx_rtc_fuzz_mtu;


static void
ngx_rtc_fuzz_h265_pack(u_char *au, size_t len)
{
    u_char               *out;
    ssize_t               rc;
    ngx_uint_t            last, npkts;
    ngx_rtc_h265_pack_t   pack;

    (void) ngx_rtc_h265_profile_id(au, len);

    out = malloc(ngx_rtc_fuzz_mtu);
    if (out == NULL) {
        abort();
    }

    ngx_rtc_h265_pack_init(&pack, au, len, ngx_rtc_fuzz_mtu);

    for (npkts = 0; /* void */; npkts++) {

        /* every packet carries at least a byte of the access unit */
        NGX_RTC_FUZZ_ASSERT(npkts <= len + 1);

        rc = ngx_rtc_h265_pack_next(&pack, out, &last);

        if (rc <= 0) {
            break;
        }

        NGX_RTC_FUZZ_ASSERT((size_t) rc <= ngx_rtc_fuzz_mtu);

        if (last) {
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_h265_pack_next(&pack, out, &last)
                                == 0);
            break;
        }
    }

    free(out);
}


static void
ngx_rtc_fuzz_h265_au(void *data, u_char *au, size_t len, uint32_t rtp_ts,
    ngx_uint_t key)
{
    u_char  *p, *end, *copy;
    size_t   n;

    NGX_RTC_FUZZ_ASSERT(len > 0 && len <= ngx_rtc_fuzz_au_size);

    for (p = au, end = au + len; p < end; p += n) {
        NGX_RTC_FUZZ_ASSERT(end - p > 4);
        n = ngx_rtc_fuzz_be32(p);
        p += 4;
        NGX_RTC_FUZZ_ASSERT(n > 0 && n <= (size_t) (end - p));
    }

    /* the ring hands readers a copy of exactly this size */

    copy = ngx_rtc_fuzz_copy(au, len);
    ngx_rtc_fuzz_h265_pack(copy, len);
    free(copy);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                 *buf, *sprop, *payload;
    size_t                  n;
    uint8_t                 cfg, flags;
    const uint8_t          *p, *end;
    ngx_rtc_h265_depack_t   d;

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

    ngx_rtc_h265_depack_init(&d, buf, ngx_rtc_fuzz_au_size,
                             ngx_rtc_fuzz_h265_au, NULL);

    d.donl = (cfg & 4) ? 1 : 0;

    if ((cfg & 8) && p < end) {
        n = *p++;
        n = ngx_min(n, (size_t) (end - p));

        sprop = ngx_rtc_fuzz_copy(p, n);
        (void) ngx_rtc_h265_sprop(&d, sprop, n);
        free(sprop);

        NGX_RTC_FUZZ_ASSERT(d.vps_len <= NGX_RTC_H265_PS_MAX
                            && d.sps_len <= NGX_RTC_H265_PS_MAX
                            && d.pps_len <= NGX_RTC_H265_PS_MAX);
        p += n;
    }

    while (end - p >= 9) {
        n = ngx_rtc_fuzz_be16(p);
        flags = p[8];
        n = ngx_min(n, (size_t) (end - p - 9));

        payload = ngx_rtc_fuzz_copy(p + 9, n);

        (void) ngx_rtc_h265_depacketize(&d, payload, n,
                                        (uint16_t) ngx_rtc_fuzz_be16(p + 2),
                                        ngx_rtc_fuzz_be32(p + 4), flags & 1);
        free(payload);

        NGX_RTC_FUZZ_ASSERT(d.len <= d.size);

        if (flags & 2) {
            ngx_rtc_h265_depack_flush(&d);
        }

        p += 9 + n;
    }

    ngx_rtc_h265_depack_flush(&d);

    /* the rest, or the whole input, taken for an access unit */

    payload = ngx_rtc_fuzz_copy(data + 1, size - 1);
    ngx_rtc_fuzz_h265_pack(payload, size - 1);
    free(payload);

    free(buf);

    return 0;
}
