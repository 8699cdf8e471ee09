/*
 * Copyright (C) nginx-rtc authors
 *
 * H.265 packetizer (RFC 7798), checked packet by packet and by a round
 * trip through the depacketizer.  The parameter sets and slices are
 * real: x265 (GStreamer 1.22 x265enc tune=zerolatency, 64x64 black, the
 * capture test_h265.c uses): VPS, SPS, PPS, an IDR_N_LP slice and a
 * TRAIL_R slice.  Big slices are made by repeating the IDR slice's bytes
 * after its header: the packetizer never looks inside a NAL unit.
 */

/* unit-deps: src/ngx_rtc_h265.c src/ngx_rtc_nal.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_h265.h"


/* nal_unit_type 32, nuh_layer_id 0, nuh_temporal_id_plus1 1 */
static u_char  vps[] = {
    0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00,
    0x98, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x92, 0x80, 0x90,
};

/* type 33; the 4th byte: profile_space 0, tier 0, general_profile_idc 4 */
static u_char  sps[] = {
    0x42, 0x01, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00,
    0x00, 0x03, 0x00, 0x00, 0x3f, 0x90, 0x04, 0x10, 0x20, 0x8a, 0x52, 0xc9,
    0x52, 0x49, 0x95, 0xff, 0xe0, 0x00, 0x20, 0x00, 0x2d, 0x41, 0x81, 0x81,
    0x81, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x19, 0x08,
};

/* type 34 */
static u_char  pps[] = {
    0x44, 0x01, 0xc1, 0x72, 0x86, 0x0c, 0x42, 0x24,
};

/* type 20 (IDR_N_LP), first_slice_segment_in_pic_flag set */
static u_char  idr[] = {
    0x28, 0x01, 0xaf, 0x06, 0xb8, 0x63, 0xef, 0x4c, 0xff, 0xe2, 0x5d, 0xd7,
    0xf3, 0xf3, 0x77, 0x8f, 0x5d, 0xa0, 0xbc, 0xf8, 0x29, 0xf3, 0xf8,
};

/* type 1 (TRAIL_R) */
static u_char  trail[] = {
    0x02, 0x01, 0xd0, 0x09, 0x7e, 0x10, 0xc6, 0x0d, 0x70, 0x71, 0xff,
};

/* type 35 (AUD), pic_type 0: not sent */
static u_char  aud[] = { 0x46, 0x01, 0x10 };


typedef struct {
    u_char      data[65536];
    size_t      len;
    ngx_uint_t  count;
    ngx_uint_t  key;
    uint32_t    ts;
} out_t;


static u_char  au_buf[65536];
static u_char  out_buf[65536];
static out_t   out;


static void
test_handler(void *data, u_char *au, size_t len, uint32_t ts, ngx_uint_t key)
{
    out_t  *o = data;

    if (len <= sizeof(o->data)) {
        ngx_memcpy(o->data, au, len);
        o->len = len;
    }

    o->count++;
    o->key = key;
    o->ts = ts;
}


static u_char *
add_nal(u_char *p, u_char *nal, size_t len)
{
    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;

    return ngx_cpymem(p + 4, nal, len);
}


/* an IDR slice of "len" bytes: the real header, the real data repeated */

static u_char *
add_big_idr(u_char *p, size_t len)
{
    size_t  i;

    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;
    p += 4;

    for (i = 0; i < len; i++) {
        p[i] = (i < sizeof(idr)) ? idr[i] : idr[2 + i % (sizeof(idr) - 2)];
    }

    return p + len;
}


/*
 * Packetize an AU and depacketize it again; returns the packet count and
 * fails a check if a packet is bigger than mtu or is declined by the
 * depacketizer, or if the marker is not on the last packet alone.
 */

static ngx_uint_t
round_trip(u_char *au, size_t len, size_t mtu, uint16_t *seq, uint32_t ts,
    ngx_rtc_h265_depack_t *d)
{
    ssize_t               n;
    ngx_uint_t            last, npkts, bad;
    ngx_rtc_h265_pack_t   pack;

    ngx_rtc_h265_pack_init(&pack, au, len, mtu);

    npkts = 0;
    bad = 0;

    for ( ;; ) {
        n = ngx_rtc_h265_pack_next(&pack, out_buf, &last);

        if (n <= 0) {
            NGX_RTC_CHECK(n == 0);
            break;
        }

        if ((size_t) n > mtu) {
            bad++;
        }

        npkts++;

        if (ngx_rtc_h265_depacketize(d, out_buf, n, (*seq)++, ts, last)
            != NGX_OK)
        {
            bad++;
        }

        if (last) {
            /* nothing after the marker */
            NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                          == 0);
            break;
        }
    }

    NGX_RTC_CHECK(bad == 0);

    return npkts;
}


static void
test_round_trip(void)
{
    u_char                 *p, *q, *expect;
    size_t                  len, elen, mtu;
    uint16_t                seq;
    ngx_uint_t              i, npkts;
    ngx_rtc_h265_depack_t   d;

    static size_t  mtus[] = { 1200, 60, 4, 5, 100 };

    for (i = 0; i < sizeof(mtus) / sizeof(size_t); i++) {
        mtu = mtus[i];

        ngx_memzero(&out, sizeof(out_t));
        ngx_rtc_h265_depack_init(&d, au_buf, sizeof(au_buf), test_handler,
                                 &out);
        seq = 65530;

        /* keyframe: AUD (dropped), VPS, SPS, PPS, a 5000-byte IDR slice */

        p = out_buf + 32768;
        expect = p;
        p = add_nal(p, aud, sizeof(aud));
        q = p;
        p = add_nal(p, vps, sizeof(vps));
        p = add_nal(p, sps, sizeof(sps));
        p = add_nal(p, pps, sizeof(pps));
        p = add_big_idr(p, 5000);
        len = p - expect;
        elen = p - q;

        /* out_buf's first half carries the packets, the second the AU */

        npkts = round_trip(expect, len, mtu, &seq, 3000, &d);

        NGX_RTC_CHECK(out.count == 1);
        NGX_RTC_CHECK(out.key == 1);
        NGX_RTC_CHECK(out.ts == 3000);
        NGX_RTC_CHECK(out.len == elen);
        NGX_RTC_CHECK(ngx_memcmp(out.data, q, elen) == 0);

        if (mtu == 1200) {
            /* one AP of the parameter sets, 5 FUs of the slice */
            NGX_RTC_CHECK(npkts == 6);
        }

        /* a delta frame: one small slice */

        p = out_buf + 32768;
        p = add_nal(p, trail, sizeof(trail));

        npkts = round_trip(out_buf + 32768, p - (out_buf + 32768), mtu, &seq,
                           6000, &d);

        NGX_RTC_CHECK(out.count == 2);
        NGX_RTC_CHECK(out.key == 0);
        NGX_RTC_CHECK(out.len == 4 + sizeof(trail));
        NGX_RTC_CHECK(ngx_memcmp(out.data + 4, trail, sizeof(trail)) == 0);
        NGX_RTC_CHECK(npkts == (mtu >= sizeof(trail)
                                  ? 1 : (sizeof(trail) - 2 + mtu - 4)
                                        / (mtu - 3)));
        NGX_RTC_CHECK(d.dropped == 0);
    }
}


static void
test_packets(void)
{
    u_char               au[256], *p;
    ssize_t              n;
    ngx_uint_t           last;
    ngx_rtc_h265_pack_t  pack;

    /* VPS, SPS, PPS, IDR in 1200 bytes: one AP, marker set */

    p = add_nal(au, vps, sizeof(vps));
    p = add_nal(p, sps, sizeof(sps));
    p = add_nal(p, pps, sizeof(pps));
    p = add_nal(p, idr, sizeof(idr));

    ngx_rtc_h265_pack_init(&pack, au, p - au, 1200);

    n = ngx_rtc_h265_pack_next(&pack, out_buf, &last);

    /* PayloadHdr: Type 48, LayerId 0, TID 1 (RFC 7798 4.4.2) */
    NGX_RTC_CHECK(n == (ssize_t) (2 + 4 * 2 + sizeof(vps) + sizeof(sps)
                                  + sizeof(pps) + sizeof(idr)));
    NGX_RTC_CHECK(out_buf[0] == (48 << 1) && out_buf[1] == 0x01);
    NGX_RTC_CHECK(out_buf[2] == 0 && out_buf[3] == sizeof(vps));
    NGX_RTC_CHECK(ngx_memcmp(out_buf + 4, vps, sizeof(vps)) == 0);
    NGX_RTC_CHECK(last == 1);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last) == 0);

    /* the IDR slice alone in 20 bytes: FUs, S then E (4.4.3) */

    p = add_nal(au, idr, sizeof(idr));

    ngx_rtc_h265_pack_init(&pack, au, p - au, 20);

    n = ngx_rtc_h265_pack_next(&pack, out_buf, &last);

    /* 21 bytes after the NAL unit header in 2 fragments: 11 and 10 */
    NGX_RTC_CHECK(n == 3 + 11);
    NGX_RTC_CHECK(out_buf[0] == (49 << 1) && out_buf[1] == 0x01);
    NGX_RTC_CHECK(out_buf[2] == (0x80 | 20));
    NGX_RTC_CHECK(ngx_memcmp(out_buf + 3, idr + 2, 11) == 0);
    NGX_RTC_CHECK(last == 0);

    n = ngx_rtc_h265_pack_next(&pack, out_buf, &last);
    NGX_RTC_CHECK(n == 3 + 10);
    NGX_RTC_CHECK(out_buf[2] == (0x40 | 20));
    NGX_RTC_CHECK(ngx_memcmp(out_buf + 3, idr + 13, 10) == 0);
    NGX_RTC_CHECK(last == 1);

    /* exactly the MTU: a single NAL unit packet, as is (4.4.1) */

    ngx_rtc_h265_pack_init(&pack, au, p - au, sizeof(idr));
    n = ngx_rtc_h265_pack_next(&pack, out_buf, &last);
    NGX_RTC_CHECK(n == sizeof(idr));
    NGX_RTC_CHECK(ngx_memcmp(out_buf, idr, sizeof(idr)) == 0);
    NGX_RTC_CHECK(last == 1);

    /* an AU of only an AUD sends nothing */

    p = add_nal(au, aud, sizeof(aud));
    ngx_rtc_h265_pack_init(&pack, au, p - au, 1200);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last) == 0);
}


static void
test_errors(void)
{
    u_char               au[64], *p;
    ngx_uint_t           last;
    ngx_rtc_h265_pack_t  pack;

    static u_char  fbit[] = { 0x80 | 0x02, 0x01, 0x00 };
    static u_char  tid0[] = { 0x02, 0x00, 0x00 };
    static u_char  fu[] = { 49 << 1, 0x01, 0x80, 0x00 };
    static u_char  one[] = { 0x02 };

    p = add_nal(au, fbit, sizeof(fbit));
    ngx_rtc_h265_pack_init(&pack, au, p - au, 1200);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                  == NGX_ERROR);

    p = add_nal(au, tid0, sizeof(tid0));
    ngx_rtc_h265_pack_init(&pack, au, p - au, 1200);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                  == NGX_ERROR);

    /* a payload structure type inside an AU */
    p = add_nal(au, fu, sizeof(fu));
    ngx_rtc_h265_pack_init(&pack, au, p - au, 1200);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                  == NGX_ERROR);

    /* a NAL unit shorter than its header */
    p = add_nal(au, one, sizeof(one));
    ngx_rtc_h265_pack_init(&pack, au, p - au, 1200);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                  == NGX_ERROR);

    /* a length beyond the AU */
    p = add_nal(au, trail, sizeof(trail));
    ngx_rtc_h265_pack_init(&pack, au, p - au - 1, 1200);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                  == NGX_ERROR);

    /* no room for an FU */
    p = add_nal(au, trail, sizeof(trail));
    ngx_rtc_h265_pack_init(&pack, au, p - au, 3);
    NGX_RTC_CHECK(ngx_rtc_h265_pack_next(&pack, out_buf, &last)
                  == NGX_ERROR);
}


static void
test_profile(void)
{
    u_char  au[256], *p;

    p = add_nal(au, vps, sizeof(vps));
    p = add_nal(p, sps, sizeof(sps));
    p = add_nal(p, idr, sizeof(idr));

    NGX_RTC_CHECK(ngx_rtc_h265_profile_id(au, p - au) == 4);

    p = add_nal(au, idr, sizeof(idr));
    NGX_RTC_CHECK(ngx_rtc_h265_profile_id(au, p - au) == NGX_DECLINED);

    /* truncated */
    p = add_nal(au, sps, sizeof(sps));
    NGX_RTC_CHECK(ngx_rtc_h265_profile_id(au, p - au - 1) == NGX_DECLINED);
}


int
main(void)
{
    test_round_trip();
    test_packets();
    test_errors();
    test_profile();

    return NGX_RTC_UNIT_DONE();
}
