/*
 * Copyright (C) nginx-rtc authors
 *
 * Shared by the fuzz harnesses t/fuzz/fuzz_<name>.c.  Each harness is one
 * LLVMFuzzerTestOneInput() over one pure parser; it is linked either with
 * libFuzzer (clang -fsanitize=fuzzer,address,undefined: "make fuzz") or
 * with t/fuzz/replay.c (gcc with ASan/UBSan: "make fuzz-replay", part of
 * "make test"), which runs it over every file of t/fuzz/corpus/<name>/.
 *
 * A harness line "fuzz-deps: src/a.c ..." names the sources to link and
 * "fuzz-libs: -lx" the libraries, as unit-deps/unit-libs do for t/unit.
 *
 * Beside memory errors (the sanitizers' part), harnesses check what the
 * callers of a parser rely on: results point inside the input, lengths
 * add up.  A broken invariant aborts with the harness's file and line.
 */

#ifndef _NGX_RTC_FUZZ_H_INCLUDED_
#define _NGX_RTC_FUZZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>

#include "ngx_rtc_h264.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define NGX_RTC_FUZZ_ASSERT(cond)                                             \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz invariant broken %s:%d: %s\n",              \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)


/* s is empty or lies within [start, end) */

#define NGX_RTC_FUZZ_INSIDE(s, start, end)                                    \
    NGX_RTC_FUZZ_ASSERT((s)->len == 0                                         \
                        || ((s)->data >= (u_char *) (start)                   \
                            && (s)->data + (s)->len <= (u_char *) (end)))


/*
 * A fresh heap copy of exactly n bytes: reads past it are caught by ASan,
 * and so is any read of an empty one (glibc's malloc(0) is not NULL).
 */

static ngx_inline u_char *
ngx_rtc_fuzz_copy(const uint8_t *data, size_t n)
{
    u_char  *p;

    p = malloc(n);
    if (p == NULL) {
        abort();
    }

    if (n) {
        ngx_memcpy(p, data, n);
    }

    return p;
}


static ngx_inline uint32_t
ngx_rtc_fuzz_be16(const uint8_t *p)
{
    return ((uint32_t) p[0] << 8) | p[1];
}


static ngx_inline uint32_t
ngx_rtc_fuzz_be32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


/*
 * The depacketizer harnesses (fuzz_h264.c, fuzz_h265.c) share an input
 * format: a config byte (bits 0-1: access unit buffer size, bit 2: DONL
 * fields (H.265), bit 3: an sprop value follows as a length byte and its
 * bytes, bits 4-7: packetizer MTU), then packets as length (2), sequence
 * number (2), timestamp (4), flags (1: bit 0 marker, bit 1 flush after it)
 * and the payload, cut short at the end of the input.
 */

typedef struct {
    const uint8_t  *pos;
    const uint8_t  *end;
    size_t          au_size;
    size_t          mtu;
    ngx_uint_t      donl;
    u_char         *sprop;          /* a heap copy, or NULL: the caller
                                       frees it */
    size_t          sprop_len;

    /* the current packet */
    u_char         *payload;        /* a heap copy of exactly len bytes */
    size_t          len;
    uint16_t        seq;
    uint32_t        ts;
    ngx_uint_t      marker;
    ngx_uint_t      flush;
} ngx_rtc_fuzz_packets_t;


typedef void (*ngx_rtc_fuzz_pack_init_pt)(ngx_rtc_h264_pack_t *p, u_char *au,
    size_t len, size_t mtu);
typedef ssize_t (*ngx_rtc_fuzz_pack_next_pt)(ngx_rtc_h264_pack_t *p,
    u_char *out, ngx_uint_t *last);


/* NGX_ERROR: no config byte */

static ngx_inline ngx_int_t
ngx_rtc_fuzz_packets_init(ngx_rtc_fuzz_packets_t *pk, const uint8_t *data,
    size_t size)
{
    size_t   n;
    uint8_t  cfg;

    static const size_t  au_sizes[] = { 256, 4096, 65536, 2097152 };
    static const size_t  mtus[] = { 3, 4, 5, 16, 100, 576, 1200, 1200,
                                    1200, 1200, 1200, 1200, 1200, 1400,
                                    9000, 65535 };

    ngx_memzero(pk, sizeof(ngx_rtc_fuzz_packets_t));

    if (size < 1) {
        return NGX_ERROR;
    }

    pk->pos = data;
    pk->end = data + size;

    cfg = *pk->pos++;

    pk->au_size = au_sizes[cfg & 3];
    pk->mtu = mtus[cfg >> 4];
    pk->donl = (cfg & 4) ? 1 : 0;

    if ((cfg & 8) && pk->pos < pk->end) {
        n = *pk->pos++;
        n = ngx_min(n, (size_t) (pk->end - pk->pos));

        pk->sprop = ngx_rtc_fuzz_copy(pk->pos, n);
        pk->sprop_len = n;
        pk->pos += n;
    }

    return NGX_OK;
}


/* the next packet: 1, or 0 at the end */

static ngx_inline ngx_uint_t
ngx_rtc_fuzz_packets_next(ngx_rtc_fuzz_packets_t *pk)
{
    size_t          n;
    const uint8_t  *p;

    free(pk->payload);
    pk->payload = NULL;

    p = pk->pos;

    if (pk->end - p < 9) {
        return 0;
    }

    n = ngx_min(ngx_rtc_fuzz_be16(p), (size_t) (pk->end - p - 9));

    pk->seq = (uint16_t) ngx_rtc_fuzz_be16(p + 2);
    pk->ts = ngx_rtc_fuzz_be32(p + 4);
    pk->marker = p[8] & 1;
    pk->flush = (p[8] & 2) ? 1 : 0;
    pk->payload = ngx_rtc_fuzz_copy(p + 9, n);
    pk->len = n;

    pk->pos = p + 9 + n;

    return 1;
}


/* an access unit: NAL units, each after its 4-byte big-endian length */

static ngx_inline void
ngx_rtc_fuzz_au_check(u_char *au, size_t len, size_t max)
{
    u_char  *p, *end;
    size_t   n;

    NGX_RTC_FUZZ_ASSERT(len > 0 && len <= max);

    for (p = au, end = au + len; p < end; p += n) {
        NGX_RTC_FUZZ_ASSERT(end - p > 4);
        n = ngx_rtc_fuzz_be32(p);
        p += 4;
        NGX_RTC_FUZZ_ASSERT(n > 0 && n <= (size_t) (end - p));
    }
}


/*
 * Packetizes an access unit (H.264 or H.265: the same cursor) into an
 * exact-size buffer of mtu bytes: each packet fits and carries at least a
 * byte of the unit, and nothing follows the packet with the marker.
 */

static ngx_inline void
ngx_rtc_fuzz_pack(ngx_rtc_fuzz_pack_init_pt init,
    ngx_rtc_fuzz_pack_next_pt next, u_char *au, size_t len, size_t mtu)
{
    u_char               *out;
    ssize_t               rc;
    ngx_uint_t            last, npkts;
    ngx_rtc_h264_pack_t   pack;

    out = malloc(mtu);
    if (out == NULL) {
        abort();
    }

    init(&pack, au, len, mtu);

    for (npkts = 0; /* void */; npkts++) {
        NGX_RTC_FUZZ_ASSERT(npkts <= len + 1);

        rc = next(&pack, out, &last);

        if (rc <= 0) {
            break;
        }

        NGX_RTC_FUZZ_ASSERT((size_t) rc <= mtu);

        if (last) {
            NGX_RTC_FUZZ_ASSERT(next(&pack, out, &last) == 0);
            break;
        }
    }

    free(out);
}


#endif /* _NGX_RTC_FUZZ_H_INCLUDED_ */
