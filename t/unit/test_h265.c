/*
 * Copyright (C) nginx-rtc authors
 *
 * H.265 depacketizer (RFC 7798).  The vectors are real: GStreamer 1.22
 * "videotestsrc num-buffers=2 pattern=black ! 64x64 ! x265enc
 * tune=zerolatency option-string=repeat-headers=1:info=0 ! tee", one
 * branch the encoder's byte-stream access units (au_*, converted here to
 * 4-byte length prefixes with trailing zero bytes dropped), the other
 * "rtph265pay mtu=60 aggregate-mode=zero-latency config-interval=-1"
 * (pkt_*, whole RTP packets): a single VPS packet, FUs of the SPS and of
 * the slices, APs, and a single P slice packet.  AU 0 holds VPS SPS PPS
 * three times (the payloader's copy, then x265's, which repeats them) and
 * an IDR_N_LP; AU 1 one TRAIL_R.
 */

/* unit-deps: src/ngx_rtc_h265.c src/ngx_rtc_nal.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_h265.h"


static u_char  au_0[] = {
    0x00, 0x00, 0x00, 0x17, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08,
    0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f,
    0x92, 0x80, 0x90, 0x00, 0x00, 0x00, 0x30, 0x42, 0x01, 0x01, 0x04, 0x08,
    0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f,
    0x90, 0x04, 0x10, 0x20, 0x8a, 0x52, 0xc9, 0x52, 0x49, 0x95, 0xff, 0xe0,
    0x00, 0x20, 0x00, 0x2d, 0x41, 0x81, 0x81, 0x81, 0x00, 0x00, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x03, 0x00, 0x19, 0x08, 0x00, 0x00, 0x00, 0x08, 0x44,
    0x01, 0xc1, 0x72, 0x86, 0x0c, 0x42, 0x24, 0x00, 0x00, 0x00, 0x17, 0x40,
    0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98,
    0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x92, 0x80, 0x90, 0x00, 0x00,
    0x00, 0x30, 0x42, 0x01, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98,
    0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x90, 0x04, 0x10, 0x20, 0x8a,
    0x52, 0xc9, 0x52, 0x49, 0x95, 0xff, 0xe0, 0x00, 0x20, 0x00, 0x2d, 0x41,
    0x81, 0x81, 0x81, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00,
    0x19, 0x08, 0x00, 0x00, 0x00, 0x08, 0x44, 0x01, 0xc1, 0x72, 0x86, 0x0c,
    0x42, 0x24, 0x00, 0x00, 0x00, 0x17, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff,
    0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x3f, 0x92, 0x80, 0x90, 0x00, 0x00, 0x00, 0x30, 0x42, 0x01, 0x01,
    0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x3f, 0x90, 0x04, 0x10, 0x20, 0x8a, 0x52, 0xc9, 0x52, 0x49, 0x95,
    0xff, 0xe0, 0x00, 0x20, 0x00, 0x2d, 0x41, 0x81, 0x81, 0x81, 0x00, 0x00,
    0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x19, 0x08, 0x00, 0x00, 0x00,
    0x08, 0x44, 0x01, 0xc1, 0x72, 0x86, 0x0c, 0x42, 0x24, 0x00, 0x00, 0x00,
    0x17, 0x28, 0x01, 0xaf, 0x06, 0xb8, 0x63, 0xef, 0x4c, 0xff, 0xe2, 0x5d,
    0xd7, 0xf3, 0xf3, 0x77, 0x8f, 0x5d, 0xa0, 0xbc, 0xf8, 0x29, 0xf3, 0xf8,
};
static u_char  au_1[] = {
    0x00, 0x00, 0x00, 0x0b, 0x02, 0x01, 0xd0, 0x09, 0x7e, 0x10, 0xc6, 0x0d,
    0x70, 0x71, 0xff,
};

static u_char  pkt_0[] = {
    0x80, 0x60, 0x2b, 0x93, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00,
    0x98, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x92, 0x80, 0x90,
};
static u_char  pkt_1[] = {
    0x80, 0x60, 0x2b, 0x94, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x62, 0x01, 0xa1, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x90, 0x04, 0x10, 0x20, 0x8a, 0x52,
    0xc9, 0x52, 0x49, 0x95, 0xff, 0xe0, 0x00, 0x20, 0x00, 0x2d, 0x41, 0x81,
    0x81, 0x81, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x19,
};
static u_char  pkt_2[] = {
    0x80, 0x60, 0x2b, 0x95, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x62, 0x01, 0x61, 0x08,
};
static u_char  pkt_3[] = {
    0x80, 0x60, 0x2b, 0x96, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x60, 0x01, 0x00, 0x08, 0x44, 0x01, 0xc1, 0x72, 0x86, 0x0c, 0x42, 0x24,
    0x00, 0x17, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08, 0x00, 0x00,
    0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x92, 0x80,
    0x90,
};
static u_char  pkt_4[] = {
    0x80, 0x60, 0x2b, 0x97, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x62, 0x01, 0xa1, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x90, 0x04, 0x10, 0x20, 0x8a, 0x52,
    0xc9, 0x52, 0x49, 0x95, 0xff, 0xe0, 0x00, 0x20, 0x00, 0x2d, 0x41, 0x81,
    0x81, 0x81, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x19,
};
static u_char  pkt_5[] = {
    0x80, 0x60, 0x2b, 0x98, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x62, 0x01, 0x61, 0x08,
};
static u_char  pkt_6[] = {
    0x80, 0x60, 0x2b, 0x99, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x60, 0x01, 0x00, 0x08, 0x44, 0x01, 0xc1, 0x72, 0x86, 0x0c, 0x42, 0x24,
    0x00, 0x17, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08, 0x00, 0x00,
    0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x92, 0x80,
    0x90,
};
static u_char  pkt_7[] = {
    0x80, 0x60, 0x2b, 0x9a, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x62, 0x01, 0xa1, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x90, 0x04, 0x10, 0x20, 0x8a, 0x52,
    0xc9, 0x52, 0x49, 0x95, 0xff, 0xe0, 0x00, 0x20, 0x00, 0x2d, 0x41, 0x81,
    0x81, 0x81, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x19,
};
static u_char  pkt_8[] = {
    0x80, 0x60, 0x2b, 0x9b, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x62, 0x01, 0x61, 0x08,
};
static u_char  pkt_9[] = {
    0x80, 0xe0, 0x2b, 0x9c, 0xca, 0xe0, 0x4f, 0xed, 0xfb, 0x9f, 0xc6, 0x84,
    0x60, 0x01, 0x00, 0x08, 0x44, 0x01, 0xc1, 0x72, 0x86, 0x0c, 0x42, 0x24,
    0x00, 0x17, 0x28, 0x01, 0xaf, 0x06, 0xb8, 0x63, 0xef, 0x4c, 0xff, 0xe2,
    0x5d, 0xd7, 0xf3, 0xf3, 0x77, 0x8f, 0x5d, 0xa0, 0xbc, 0xf8, 0x29, 0xf3,
    0xf8,
};
static u_char  pkt_10[] = {
    0x80, 0xe0, 0x2b, 0x9d, 0xca, 0xe0, 0x5d, 0xfd, 0xfb, 0x9f, 0xc6, 0x84,
    0x02, 0x01, 0xd0, 0x09, 0x7e, 0x10, 0xc6, 0x0d, 0x70, 0x71, 0xff,
};


typedef struct {
    u_char      *data;
    size_t       len;
} vec_t;


static vec_t  pkts[] = {
    { pkt_0, sizeof(pkt_0) },
    { pkt_1, sizeof(pkt_1) },
    { pkt_2, sizeof(pkt_2) },
    { pkt_3, sizeof(pkt_3) },
    { pkt_4, sizeof(pkt_4) },
    { pkt_5, sizeof(pkt_5) },
    { pkt_6, sizeof(pkt_6) },
    { pkt_7, sizeof(pkt_7) },
    { pkt_8, sizeof(pkt_8) },
    { pkt_9, sizeof(pkt_9) },
    { pkt_10, sizeof(pkt_10) }
};

static vec_t  aus[] = {
    { au_0, sizeof(au_0) },
    { au_1, sizeof(au_1) }
};


#define NPKTS  (sizeof(pkts) / sizeof(pkts[0]))
#define NAUS   (sizeof(aus) / sizeof(aus[0]))


typedef struct {
    ngx_uint_t   n;
    ngx_uint_t   bad;
    ngx_uint_t   key[8];
    size_t       len[8];
    u_char       au[8][1024];
    uint32_t     ts[8];
} out_t;


static void
on_au(void *data, u_char *au, size_t len, uint32_t ts, ngx_uint_t key)
{
    out_t  *o = data;

    if (o->n < 8 && len <= sizeof(o->au[0])) {
        ngx_memcpy(o->au[o->n], au, len);
        o->len[o->n] = len;
        o->key[o->n] = key;
        o->ts[o->n] = ts;

    } else {
        o->bad++;
    }

    o->n++;
}


static void
feed(ngx_rtc_h265_depack_t *d, u_char *p, size_t len, ngx_int_t seq_shift)
{
    uint16_t  seq;
    uint32_t  ts;

    /* gst packets: 12-byte RTP header, no CSRC, no extension */

    seq = (uint16_t) (((p[2] << 8) | p[3]) + seq_shift);
    ts = ((uint32_t) p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7];

    (void) ngx_rtc_h265_depacketize(d, p + 12, len - 12, seq, ts,
                                    p[1] >> 7);
}


static u_char  buf[65536];
static out_t   out;


static void
test_stream(void)
{
    size_t                 i, k, j;
    ngx_rtc_h265_depack_t  d;

    /* in order: both AUs, byte for byte */

    ngx_memzero(&out, sizeof(out_t));
    ngx_rtc_h265_depack_init(&d, buf, sizeof(buf), on_au, &out);

    for (i = 0; i < NPKTS; i++) {
        feed(&d, pkts[i].data, pkts[i].len, 0);
    }

    NGX_RTC_CHECK(out.n == NAUS && out.bad == 0);
    NGX_RTC_CHECK(out.key[0] == 1 && out.key[1] == 0);
    NGX_RTC_CHECK(out.ts[0] != out.ts[1]);

    for (i = 0; i < NAUS && i < out.n; i++) {
        NGX_RTC_CHECK(out.len[i] == aus[i].len
                      && ngx_memcmp(out.au[i], aus[i].data, aus[i].len)
                         == 0);
    }

    /* a duplicate of every packet changes nothing */

    ngx_memzero(&out, sizeof(out_t));
    ngx_rtc_h265_depack_init(&d, buf, sizeof(buf), on_au, &out);

    for (i = 0; i < NPKTS; i++) {
        feed(&d, pkts[i].data, pkts[i].len, 0);
        feed(&d, pkts[i].data, pkts[i].len, 0);
    }

    NGX_RTC_CHECK(out.n == NAUS && d.rejected == 0);

    /*
     * one packet lost, each in turn: AU 0 (the IRAP) is lost with any of
     * its packets, and AU 1 depends on it; nothing damaged comes out
     */

    for (k = 0; k < NPKTS; k++) {
        ngx_memzero(&out, sizeof(out_t));
        ngx_rtc_h265_depack_init(&d, buf, sizeof(buf), on_au, &out);

        for (i = 0; i < NPKTS; i++) {
            if (i != k) {
                feed(&d, pkts[i].data, pkts[i].len, 0);
            }
        }

        if (k == 0) {
            /* the first packet (a VPS): no sequence gap to see */
            NGX_RTC_CHECK(out.n == 2 && out.len[0] == aus[0].len - 4 - 23);

        } else if (k < NPKTS - 1) {
            NGX_RTC_CHECK(out.n == 0);

        } else {
            NGX_RTC_CHECK(out.n == 1 && out.len[0] == aus[0].len);
        }
    }

    /* a buffer too small for the IRAP: dropped, no overflow (ASan) */

    for (j = 1; j < aus[0].len + 8; j += 7) {
        u_char  *small;

        small = malloc(j);
        ngx_memzero(&out, sizeof(out_t));
        ngx_rtc_h265_depack_init(&d, small, j, on_au, &out);

        for (i = 0; i < NPKTS; i++) {
            feed(&d, pkts[i].data, pkts[i].len, 0);
        }

        NGX_RTC_CHECK(j >= aus[0].len || out.n == 0);
        free(small);
    }
}


static void
test_sprop(void)
{
    u_char                 pkt[64], *idr;
    size_t                 n, off;
    ngx_str_t              s;
    ngx_rtc_h265_depack_t  d;

    /* the camera's sprop values (base64 of AU 0's VPS, SPS, PPS) */

    ngx_memzero(&out, sizeof(out_t));
    ngx_rtc_h265_depack_init(&d, buf, sizeof(buf), on_au, &out);

    ngx_str_set(&s, "QAEMAf//BAgAAAMAmAgAAAMAAD+SgJA=");
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, s.data, s.len) == NGX_OK);
    ngx_str_set(&s, " QgEBBAgAAAMAmAgAAAMAAD+QBBAgilLJUkmV/+AAIAAtQYGBgQAAAwAB"
                    "AAADABkI");
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, s.data, s.len) == NGX_OK);
    ngx_str_set(&s, "RAHBcoYMQiQ=");
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, s.data, s.len) == NGX_OK);
    NGX_RTC_CHECK(d.vps_len && d.sps_len && d.pps_len == 8);

    ngx_str_set(&s, "!!!");
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, s.data, s.len) == NGX_ERROR);
    ngx_str_set(&s, "AgHQ");            /* a TRAIL_R header: no set */
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, s.data, s.len) == NGX_ERROR);

    /* the IDR of AU 0 (its last NAL unit) alone, as a single NAL packet */

    for (off = 0, idr = NULL, n = 0; off < aus[0].len; off += 4 + n) {
        n = ((size_t) aus[0].data[off + 2] << 8) | aus[0].data[off + 3];
        idr = aus[0].data + off + 4;
    }

    NGX_RTC_CHECK(idr != NULL && ((idr[0] >> 1) & 0x3f) == 20);
    if (idr == NULL || n > sizeof(pkt)) {
        return;
    }

    ngx_memcpy(pkt, idr, n);
    (void) ngx_rtc_h265_depacketize(&d, pkt, n, 1, 3000, 1);

    /* out: VPS SPS PPS IDR, the sets from the sprop values */
    NGX_RTC_CHECK(out.n == 1 && out.key[0] == 1);
    NGX_RTC_CHECK(out.len[0] == 4 * 4 + d.vps_len + d.sps_len + d.pps_len + n);
    NGX_RTC_CHECK(out.au[0][4] == 0x40 && out.au[0][4 + 4 + d.vps_len] == 0x42);
    NGX_RTC_CHECK(ngx_memcmp(out.au[0] + out.len[0] - n, idr, n) == 0);
}


static void
test_donl_and_errors(void)
{
    u_char                 pkt[128];
    ngx_rtc_h265_depack_t  d;

    ngx_memzero(&out, sizeof(out_t));
    ngx_rtc_h265_depack_init(&d, buf, sizeof(buf), on_au, &out);
    d.donl = 1;

    /*
     * RFC 7798 4.4.2 with DONL: PayloadHdr (type 48), DONL 0x0000,
     * size 3, IDR_W_RADL header 26 01 + 0x80 (first slice), DOND 0x01,
     * size 3, another slice segment 26 01 + 0x00.
     */

    ngx_memcpy(pkt, "\x60\x01" "\x00\x00" "\x00\x03" "\x26\x01\x80"
                    "\x01" "\x00\x03" "\x26\x01\x00", 15);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 15, 10, 90, 1) == NGX_OK);
    NGX_RTC_CHECK(out.n == 0);          /* IRAP without parameter sets */
    NGX_RTC_CHECK(d.dropped == 1);

    /* FU with DONL: S (type 19), DONL, data; E */
    ngx_memcpy(d.vps, "\x40\x01", 2);
    d.vps_len = 2;
    ngx_memcpy(d.sps, "\x42\x01", 2);
    d.sps_len = 2;
    ngx_memcpy(d.pps, "\x44\x01", 2);
    d.pps_len = 2;

    ngx_memcpy(pkt, "\x62\x01" "\x93" "\x00\x05" "\x80\xaa", 7);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 7, 11, 180, 0) == NGX_OK);
    ngx_memcpy(pkt, "\x62\x01" "\x53" "\xbb", 4);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 4, 12, 180, 1) == NGX_OK);
    NGX_RTC_CHECK(out.n == 1 && out.key[0] == 1);
    NGX_RTC_CHECK(out.len[0] == 3 * 6 + 4 + 5);
    NGX_RTC_CHECK(ngx_memcmp(out.au[0] + 18, "\x00\x00\x00\x05"
                                             "\x26\x01\x80\xaa\xbb", 9) == 0);

    /* refused: PACI, forbidden bit, TID 0, AP size past the end */
    d.donl = 0;

    ngx_memcpy(pkt, "\x64\x01\x00\x00", 4);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 4, 13, 270, 1)
                  == NGX_DECLINED);
    ngx_memcpy(pkt, "\xa6\x01\x80", 3);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 3, 14, 360, 1)
                  == NGX_DECLINED);
    ngx_memcpy(pkt, "\x26\x00\x80", 3);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 3, 15, 450, 1)
                  == NGX_DECLINED);
    ngx_memcpy(pkt, "\x60\x01\x00\x09\x26\x01\x80", 7);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 7, 16, 540, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, 1, 17, 630, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(out.n == 1);
}


static void
test_garbage(void)
{
    u_char                 pkt[300];
    uint32_t               x;
    ngx_uint_t             i, j, n;
    ngx_rtc_h265_depack_t  d;

    /* random payloads of the interesting types: no crash, no overread */

    ngx_memzero(&out, sizeof(out_t));
    ngx_rtc_h265_depack_init(&d, buf, 2048, on_au, &out);

    x = 12345;

    for (i = 0; i < 200000; i++) {
        x = x * 1103515245 + 12345;
        n = (x >> 16) % sizeof(pkt);

        for (j = 0; j < n; j++) {
            x = x * 1103515245 + 12345;
            pkt[j] = (u_char) (x >> 16);
        }

        if (n > 0 && (i & 3) != 3) {
            pkt[0] = (u_char) ((pkt[0] & 0x81) | ((48 + (i & 1)) << 1));
        }

        if (n > 1) {
            pkt[1] |= 1;
        }

        (void) ngx_rtc_h265_depacketize(&d, pkt, n, (uint16_t) (i / 3),
                                        (uint32_t) (i / 5), (x >> 8) & 1);
    }

    NGX_RTC_CHECK(d.len <= d.size);
}


int
main(void)
{
    test_stream();
    test_sprop();
    test_donl_and_errors();
    test_garbage();

    return NGX_RTC_UNIT_DONE();
}
