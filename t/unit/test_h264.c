/*
 * Copyright (C) nginx-rtc authors
 *
 * unit-deps: src/ngx_rtc_h264.c src/ngx_rtc_nal.c
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_unit.h"
#include "ngx_rtc_h264.h"


/*
 * Parameter sets from a real camera: the sprop-parameter-sets of a
 * Hikvision DESCRIBE answer (a=Media_header:MEDIAINFO=494D4B48..., profile
 * Main, level 4.2, 1920x1080):
 *   Z00AKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aO48gA==
 */
static u_char  sps[] = {
    0x67,                                   /* F 0, NRI 3, type 7 (SPS) */
    0x4d, 0x00, 0x2a,                       /* profile 77, flags, level 42 */
    0x9d, 0xa8, 0x1e, 0x00, 0x89, 0xf9, 0x66, 0xe0, 0x20, 0x20, 0x28, 0x00,
    0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x94, 0x20
};

static u_char  pps[] = { 0x68, 0xee, 0x3c, 0x80 };  /* type 8 (PPS) */

/*
 * Slice starts as x264 writes them: after the NAL header, the first bit
 * "1" is first_mb_in_slice = 0 (ue(v)).
 */
static u_char  idr[] = { 0x65, 0x88, 0x84, 0x00, 0x33, 0xff, 0xfe, 0xf6 };
static u_char  pslice[] = { 0x41, 0x9a, 0x24, 0x6c, 0x41, 0x3f };
/* the second slice of a picture: first_mb_in_slice != 0 (bit "0...") */
static u_char  idr2[] = { 0x65, 0x00, 0x6e, 0x22, 0x21 };
static u_char  aud[] = { 0x09, 0xf0 };      /* type 9 (AUD) */
static u_char  sei[] = { 0x06, 0x05, 0x01, 0xaa, 0x80 };  /* type 6 */


#define NAUS  8

typedef struct {
    ngx_uint_t  n;
    size_t      len[NAUS];
    uint32_t    ts[NAUS];
    ngx_uint_t  key[NAUS];
    u_char      au[NAUS][16384];
    ngx_uint_t  bad;
} test_sink_t;


static u_char      au_buf[16384];
static test_sink_t  sink;


/* checks that an emitted AU is well formed, and keeps a copy */

static void
test_handler(void *data, u_char *au, size_t len, uint32_t ts, ngx_uint_t key)
{
    size_t        n;
    u_char       *p, *end;
    test_sink_t  *s;

    s = data;

    p = au;
    end = au + len;

    while (p < end) {
        if (end - p < 5) {
            s->bad++;
            break;
        }

        n = ((size_t) p[0] << 24) | ((size_t) p[1] << 16)
            | ((size_t) p[2] << 8) | p[3];

        if (n == 0 || n > (size_t) (end - p - 4)) {
            s->bad++;
            break;
        }

        p += 4 + n;
    }

    if (len == 0 || key != ngx_rtc_h264_au_is_key(au, len)) {
        s->bad++;
    }

    if (s->n < NAUS && len <= sizeof(s->au[0])) {
        ngx_memcpy(s->au[s->n], au, len);
        s->len[s->n] = len;
        s->ts[s->n] = ts;
        s->key[s->n] = key;
    }

    s->n++;
}


static void
test_init(ngx_rtc_h264_depack_t *d, size_t size)
{
    ngx_memzero(&sink, sizeof(test_sink_t));
    ngx_rtc_h264_depack_init(d, au_buf, size, test_handler, &sink);
}


/* the SPS and the PPS, packets seq and seq + 1 of time ts */

static void
test_params(ngx_rtc_h264_depack_t *d, uint16_t seq, uint32_t ts)
{
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(d, sps, sizeof(sps), seq, ts, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(d, pps, sizeof(pps),
                                           (uint16_t) (seq + 1), ts, 0)
                  == NGX_OK);
}


/* an AU in the ring format from NAL units */

static size_t
test_au(u_char *out, u_char **nals, size_t *lens, ngx_uint_t n)
{
    u_char      *p;
    ngx_uint_t   i;

    p = out;

    for (i = 0; i < n; i++) {
        *p++ = (u_char) (lens[i] >> 24);
        *p++ = (u_char) (lens[i] >> 16);
        *p++ = (u_char) (lens[i] >> 8);
        *p++ = (u_char) lens[i];
        p = ngx_cpymem(p, nals[i], lens[i]);
    }

    return p - out;
}


static void
test_sprop(void)
{
    ngx_str_t              s;
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    ngx_str_set(&s, "Z00AKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aO48gA==");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_OK);
    NGX_RTC_CHECK(d.sps_len == sizeof(sps));
    NGX_RTC_CHECK(ngx_memcmp(d.sps, sps, sizeof(sps)) == 0);
    NGX_RTC_CHECK(d.pps_len == sizeof(pps));
    NGX_RTC_CHECK(ngx_memcmp(d.pps, pps, sizeof(pps)) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_profile_level_id(d.sps, d.sps_len)
                  == 0x4d002a);

    /*
     * A Dahua DESCRIBE (realmonitor): a trailing zero byte after the PPS
     * (cabac_zero_word-like), kept as sent.
     */
    ngx_str_set(&s, "Z00AKp2oHgCJ+WbgICAoAAAfQAAGGoQgAA==,aO48gAA=");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_OK);
    NGX_RTC_CHECK(d.sps_len == 25);
    NGX_RTC_CHECK(d.sps[0] == 0x67 && d.sps[17] == 0x1f && d.sps[24] == 0);
    NGX_RTC_CHECK(d.pps_len == 5);
    NGX_RTC_CHECK(d.pps[0] == 0x68 && d.pps[3] == 0x80 && d.pps[4] == 0);

    /* Baseline 3.1, the form in the brief; spaces around the comma */
    ngx_str_set(&s, "Z0IAH5WoFAFuQA== , aM48gA==");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_OK);
    NGX_RTC_CHECK(d.sps_len == 10);
    NGX_RTC_CHECK(ngx_memcmp(d.sps, "\x67\x42\x00\x1f\x95\xa8\x14\x01\x6e\x40",
                             10) == 0);
    NGX_RTC_CHECK(d.pps_len == 4);
    NGX_RTC_CHECK(ngx_memcmp(d.pps, "\x68\xce\x3c\x80", 4) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_profile_level_id(d.sps, d.sps_len)
                  == 0x42001f);

    /* unpadded base64 */
    ngx_str_set(&s, "aM48gA");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_OK);
    NGX_RTC_CHECK(d.pps_len == 4 && d.pps[1] == 0xce);

    /* bad input changes nothing it has not decoded */
    ngx_str_set(&s, "Z0I!AH5W");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_ERROR);
    ngx_str_set(&s, "Z");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_ERROR);
    ngx_str_set(&s, "====");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_ERROR);
    ngx_str_set(&s, ",,");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, 0) == NGX_DECLINED);
    ngx_str_set(&s, "BgUBqoA=");                   /* an SEI only */
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_DECLINED);
    ngx_str_set(&s, "5wAA");                       /* F bit set */
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_ERROR);
    NGX_RTC_CHECK(d.sps_len == 10 && d.pps_len == 4);

    /* 258 bytes do not fit the 256-byte copies */
    {
        u_char      big[400];
        ngx_uint_t  i;

        /* "Zw" starts 0x67 (SPS), then "ZZZZ" is 65 96 59 ... */
        for (i = 0; i < 344; i++) {
            big[i] = 'Z';
        }

        big[1] = 'w';

        NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, big, 340) == NGX_OK);
        NGX_RTC_CHECK(d.sps_len == 255);
        NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, big, 344) == NGX_ERROR);
    }

    NGX_RTC_CHECK(ngx_rtc_h264_profile_level_id(pps, sizeof(pps)) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_profile_level_id(sps, 3) == 0);
}


static void
test_single(void)
{
    u_char                *nals[3];
    size_t                 lens[3], n;
    u_char                 want[256];
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    /* before any IDR: nothing comes out */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           1, 1000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 0);
    NGX_RTC_CHECK(d.dropped == 1 && d.skipped == 1);

    /* SPS, PPS, IDR as single NAL unit packets, marker on the IDR */
    test_params(&d, 2, 4000);
    NGX_RTC_CHECK(sink.n == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 4, 4000, 1)
                  == NGX_OK);

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);
    n = test_au(want, nals, lens, 3);

    NGX_RTC_CHECK(sink.n == 1);
    NGX_RTC_CHECK(sink.key[0] == 1 && sink.ts[0] == 4000);
    NGX_RTC_CHECK(sink.len[0] == n);
    NGX_RTC_CHECK(ngx_memcmp(sink.au[0], want, n) == 0);
    NGX_RTC_CHECK(d.wait_key == 0);
    NGX_RTC_CHECK(d.sps_len == sizeof(sps) && d.pps_len == sizeof(pps));

    /* a P frame without the marker: emitted when the next timestamp comes */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           5, 7000, 0) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, aud, sizeof(aud), 6, 10000, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 2);
    NGX_RTC_CHECK(sink.key[1] == 0 && sink.ts[1] == 7000);
    NGX_RTC_CHECK(sink.len[1] == 4 + sizeof(pslice));
    NGX_RTC_CHECK(ngx_memcmp(sink.au[1] + 4, pslice, sizeof(pslice)) == 0);

    /* AUD + P slice */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           7, 10000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 3);
    NGX_RTC_CHECK(sink.len[2] == 4 + sizeof(aud) + 4 + sizeof(pslice));

    /* a lone SEI with a timestamp of its own is not an AU */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, sei, sizeof(sei), 8, 11000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 3 && d.dropped == 1);

    /* a duplicate is ignored */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, sei, sizeof(sei), 8, 11000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 3 && d.dropped == 1 && d.wait_key == 0);

    NGX_RTC_CHECK(sink.bad == 0);
}


static void
test_stap_a(void)
{
    u_char                 pkt[64], *p, *nals[4];
    size_t                 lens[4], n;
    u_char                 want[256];
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    /*
     * RFC 6184 5.7.1, figure 7: STAP-A NAL header (F 0, NRI 3, type 24),
     * then NALU 1 size (16 bits), NALU 1, NALU 2 size, NALU 2.
     */
    p = pkt;
    *p++ = 0x78;
    *p++ = 0x00; *p++ = sizeof(sps);
    p = ngx_cpymem(p, sps, sizeof(sps));
    *p++ = 0x00; *p++ = sizeof(pps);
    p = ngx_cpymem(p, pps, sizeof(pps));

    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, p - pkt, 100, 90000, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(d.has_sps && d.has_pps);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 101, 90000,
                                           1) == NGX_OK);

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);
    n = test_au(want, nals, lens, 3);

    NGX_RTC_CHECK(sink.n == 1 && sink.key[0] == 1);
    NGX_RTC_CHECK(sink.len[0] == n && ngx_memcmp(sink.au[0], want, n) == 0);

    /* a STAP-A holding SEI + IDR (+ marker) in one packet */
    p = pkt;
    *p++ = 0x78;
    *p++ = 0x00; *p++ = sizeof(sei);
    p = ngx_cpymem(p, sei, sizeof(sei));
    *p++ = 0x00; *p++ = sizeof(idr);
    p = ngx_cpymem(p, idr, sizeof(idr));

    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, p - pkt, 102, 93000, 1)
                  == NGX_OK);

    /* the stored SPS and PPS go in front */
    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = sei; lens[2] = sizeof(sei);
    nals[3] = idr; lens[3] = sizeof(idr);
    n = test_au(want, nals, lens, 4);

    NGX_RTC_CHECK(sink.n == 2 && sink.key[1] == 1);
    NGX_RTC_CHECK(sink.len[1] == n && ngx_memcmp(sink.au[1], want, n) == 0);
    NGX_RTC_CHECK(sink.bad == 0);
}


static void
test_fu_a(void)
{
    u_char                 pkt[64], nal[31], *nals[3];
    size_t                 lens[3], n;
    u_char                 want[256];
    ngx_uint_t             i;
    ngx_str_t              s;
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    ngx_str_set(&s, "Z00AKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aO48gA==");
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_OK);

    /* an IDR NAL unit: header 0x65, then 30 bytes in 3 fragments */
    nal[0] = 0x65;
    nal[1] = 0x88;
    for (i = 2; i < sizeof(nal); i++) {
        nal[i] = (u_char) i;
    }

    /*
     * RFC 6184 5.8: FU indicator 0x7c (F 0, NRI 3, type 28), FU header
     * S|type 0x85, type 0x05, E|type 0x45, then the fragment; the NAL
     * header is rebuilt from the indicator's NRI and the header's type.
     */
    pkt[0] = 0x7c; pkt[1] = 0x85;
    ngx_memcpy(pkt + 2, nal + 1, 10);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 65535, 5, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(d.fu == 1);

    pkt[1] = 0x05;
    ngx_memcpy(pkt + 2, nal + 11, 10);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 0, 5, 0) == NGX_OK);

    pkt[1] = 0x45;
    ngx_memcpy(pkt + 2, nal + 21, 10);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 1, 5, 1) == NGX_OK);
    NGX_RTC_CHECK(d.fu == 0);

    /* SPS, then PPS, prepended from sprop-parameter-sets */
    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = nal; lens[2] = sizeof(nal);
    n = test_au(want, nals, lens, 3);

    NGX_RTC_CHECK(sink.n == 1 && sink.key[0] == 1 && sink.ts[0] == 5);
    NGX_RTC_CHECK(sink.len[0] == n && ngx_memcmp(sink.au[0], want, n) == 0);

    /* AUD, SPS, IDR: the PPS goes after the SPS, the AUD stays first */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, aud, sizeof(aud), 2, 6, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, sps, sizeof(sps), 3, 6, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 4, 6, 1)
                  == NGX_OK);
    {
        u_char  *nals4[4];
        size_t   lens4[4];

        nals4[0] = aud; lens4[0] = sizeof(aud);
        nals4[1] = sps; lens4[1] = sizeof(sps);
        nals4[2] = pps; lens4[2] = sizeof(pps);
        nals4[3] = idr; lens4[3] = sizeof(idr);
        n = test_au(want, nals4, lens4, 4);
    }
    NGX_RTC_CHECK(sink.n == 2);
    NGX_RTC_CHECK(sink.len[1] == n && ngx_memcmp(sink.au[1], want, n) == 0);

    /* AUD, PPS, IDR: the SPS goes after the AUD, before the PPS */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, aud, sizeof(aud), 5, 7, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pps, sizeof(pps), 6, 7, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 7, 7, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 3);
    NGX_RTC_CHECK(sink.len[2] == n && ngx_memcmp(sink.au[2], want, n) == 0);

    /* a fragment without its start (joined in the middle): AU dropped */
    test_init(&d, sizeof(au_buf));
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, s.data, s.len) == NGX_OK);
    pkt[1] = 0x45;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 10, 9, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 0 && d.dropped == 1 && d.rejected == 0);
    NGX_RTC_CHECK(d.skipped == 1);

    /* a FU-A whose E bit never came, then a new timestamp */
    pkt[1] = 0x85;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 11, 10, 0) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 12, 11, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && d.dropped == 2);
    NGX_RTC_CHECK(sink.ts[0] == 11);

    /* a FU-A interrupted by a single NAL packet */
    pkt[1] = 0x85;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 13, 12, 0) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 14, 12, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && d.dropped == 3 && d.wait_key);

    /* a middle fragment of another NAL type */
    pkt[1] = 0x85;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 15, 13, 0) == NGX_OK);
    pkt[1] = 0x01;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 12, 16, 13, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(sink.n == 1 && d.dropped == 4 && d.rejected == 1);

    /* the two before the first keyframe were the start's, not faults */
    NGX_RTC_CHECK(d.skipped == 2);

    NGX_RTC_CHECK(sink.bad == 0);
}


static void
test_loss(void)
{
    u_char                 pkt[64];
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    /* IDR (seq 10, 11), P (12) */
    test_params(&d, 10, 0);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 12, 0, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           13, 3000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 2 && d.wait_key == 0 && d.lost == 0);

    /* 14 lost: the P frames that follow are dropped */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           15, 9000, 1) == NGX_OK);
    NGX_RTC_CHECK(d.wait_key == 1 && d.lost == 1);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           16, 12000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 2 && d.dropped == 2);

    /* after a keyframe, no drop is the start's */
    NGX_RTC_CHECK(d.skipped == 0);

    /* an IDR whose first slice was lost: still waiting */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr2, sizeof(idr2),
                                           17, 15000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 2 && d.dropped == 3 && d.wait_key == 1);

    /* the next IDR: SPS/PPS in front, then P frames again */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr),
                                           18, 18000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 3 && sink.key[2] == 1);
    NGX_RTC_CHECK(sink.len[2] == 4 + sizeof(sps) + 4 + sizeof(pps)
                                 + 4 + sizeof(idr));
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           19, 21000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 4 && sink.key[3] == 0);

    /*
     * Loss inside an IDR FU-A (seq 21 lost), even across the 16-bit wrap:
     * the AU is dropped, and so is what follows up to the next IDR.
     */
    pkt[0] = 0x7c; pkt[1] = 0x85;
    ngx_memcpy(pkt + 2, idr + 1, 4);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 6, 20, 24000, 0)
                  == NGX_OK);
    pkt[1] = 0x45;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 6, 22, 24000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 4 && d.dropped == 4 && d.wait_key);
    NGX_RTC_CHECK(d.lost == 2);

    d.last_seq = 65534;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr),
                                           65535, 27000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 5 && d.wait_key == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           0, 30000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 6 && d.wait_key == 0);

    /* late (reordered) packets are ignored without a loss */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           65530, 20000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 6 && d.wait_key == 0 && d.last_seq == 0);
    NGX_RTC_CHECK(d.lost == 2);

    /*
     * a big step back is a restarted source: a loss for the AUs, but no
     * packets counted lost (RFC 3550 A.1: MAX_DROPOUT)
     */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           30000, 33000, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 6 && d.wait_key == 1 && d.last_seq == 30000);
    NGX_RTC_CHECK(d.lost == 2);

    /* 2999 forward is a loss, 3000 a restart */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           32999, 36000, 1) == NGX_OK);
    NGX_RTC_CHECK(d.lost == 2 + 2998);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice),
                                           35999, 39000, 1) == NGX_OK);
    NGX_RTC_CHECK(d.lost == 2 + 2998);

    NGX_RTC_CHECK(sink.bad == 0);
}


static void
test_oversize(void)
{
    u_char                 pkt[128];
    ngx_rtc_h264_depack_t  d;

    /* room for SPS + PPS + a small IDR, not for 3 fragments of 60 bytes */
    test_init(&d, 100);

    test_params(&d, 1, 0);

    ngx_memset(pkt, 0x11, sizeof(pkt));
    pkt[0] = 0x7c; pkt[1] = 0x85; pkt[2] = 0x88;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 62, 3, 0, 0) == NGX_OK);
    pkt[1] = 0x05;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 62, 4, 0, 0) == NGX_OK);
    pkt[1] = 0x45;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 62, 5, 0, 1) == NGX_OK);
    NGX_RTC_CHECK(sink.n == 0 && d.dropped == 1 && d.wait_key);

    /* SPS and PPS were whole and are kept; the next IDR fits */
    NGX_RTC_CHECK(d.sps_len == sizeof(sps) && d.pps_len == sizeof(pps));
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 6, 3000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && sink.key[0] && d.wait_key == 0);

    /* fits alone, not with the SPS and PPS in front: dropped */
    ngx_memset(pkt, 0x22, sizeof(pkt));
    pkt[0] = 0x65; pkt[1] = 0x88;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 80, 7, 6000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && d.dropped == 2 && d.wait_key);

    /* exactly full: 4 + 96 */
    test_params(&d, 8, 9000);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt,
                                           100 - 12 - sizeof(sps)
                                           - sizeof(pps), 10, 9000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 2 && sink.len[1] == 100);

    /* a key AU and no parameter sets known at all */
    test_init(&d, sizeof(au_buf));
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 1, 0, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 0 && d.dropped == 1 && d.wait_key);

    NGX_RTC_CHECK(sink.bad == 0);
}


static void
test_truncated(void)
{
    u_char                 pkt[64];
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    test_params(&d, 1, 0);

    /* STAP-A: NALU size 0x0020 with 5 bytes left */
    ngx_memcpy(pkt, "\x78\x00\x20\x65\x88\x84\x00\x33", 8);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 8, 3, 0, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(d.rejected == 1 && d.broken);

    /* the rest of that AU is dropped; the next one starts clean */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 4, 0, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 0 && d.dropped == 1);

    test_init(&d, sizeof(au_buf));
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, (u_char *) "Z0IAH5WoFAFuQA==,aM48gA==",
                                     25) == NGX_OK);

    /* STAP-A: a whole NAL, then one byte: padding, not an error */
    ngx_memcpy(pkt, "\x78\x00\x02\x09\xf0\x00", 6);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 6, 1, 0, 0)
                  == NGX_OK);
    /* STAP-A: a zero size first */
    ngx_memcpy(pkt, "\x78\x00\x00\x00\x02\x09\xf0", 7);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 7, 2, 3000, 0)
                  == NGX_DECLINED);
    /* STAP-A: header only */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 1, 3, 6000, 0)
                  == NGX_DECLINED);
    /* STAP-A holding a FU-A */
    ngx_memcpy(pkt, "\x78\x00\x03\x7c\x85\x88", 6);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 6, 4, 9000, 0)
                  == NGX_DECLINED);
    /* FU-A: indicator only */
    ngx_memcpy(pkt, "\x7c\x85", 2);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 1, 5, 12000, 0)
                  == NGX_DECLINED);
    /* FU-A of a FU-A */
    ngx_memcpy(pkt, "\x7c\x9c\x00", 3);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 6, 15000, 0)
                  == NGX_DECLINED);
    /* empty payload: ignored */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 0, 7, 18000, 0)
                  == NGX_OK);
    /* F bit */
    ngx_memcpy(pkt, "\xe5\x88\x84", 3);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 8, 21000, 0)
                  == NGX_DECLINED);
    /* STAP-B, MTAP16, MTAP24, FU-B: interleaved mode */
    pkt[0] = 0x79;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 9, 24000, 0)
                  == NGX_DECLINED);
    pkt[0] = 0x7a;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 10, 27000, 0)
                  == NGX_DECLINED);
    pkt[0] = 0x7b;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 11, 30000, 0)
                  == NGX_DECLINED);
    pkt[0] = 0x7d;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 12, 33000, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(d.rejected == 10);

    /* types 0 and 30, 31: ignored, the AU is not harmed */
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 13, 36000, 0)
                  == NGX_OK);
    pkt[0] = 0x7e;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 14, 36000, 0)
                  == NGX_DECLINED);
    pkt[0] = 0x00;
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 3, 15, 36000, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(d.rejected == 12);
    NGX_RTC_CHECK(sink.n == 1 && sink.key[0] && sink.ts[0] == 36000);

    NGX_RTC_CHECK(sink.bad == 0);
}


/* xorshift32: a fixed, portable sequence */

static uint32_t  test_seed = 2463534242u;

static uint32_t
test_rand(void)
{
    test_seed ^= test_seed << 13;
    test_seed ^= test_seed >> 17;
    test_seed ^= test_seed << 5;

    return test_seed;
}


static void
test_roundtrip_au(u_char *au, size_t len, size_t mtu, ngx_uint_t *npkts)
{
    u_char                 out[1500];
    ssize_t                n;
    uint16_t               seq;
    ngx_uint_t             last, marker, pkts, bad;
    ngx_rtc_h264_pack_t    pk;
    ngx_rtc_h264_depack_t  d;

    test_init(&d, sizeof(au_buf));

    ngx_rtc_h264_pack_init(&pk, au, len, mtu);

    seq = 65530;
    pkts = 0;
    marker = 0;
    bad = 0;

    for ( ;; ) {
        ngx_memset(out, 0xee, sizeof(out));

        n = ngx_rtc_h264_pack_next(&pk, out, &last);
        if (n <= 0) {
            NGX_RTC_CHECK(n == 0);
            break;
        }

        if ((size_t) n > mtu || out[mtu] != 0xee || marker) {
            bad++;
        }

        marker = last;
        pkts++;

        NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, out, n, seq++, 42, last)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(bad == 0);
    NGX_RTC_CHECK(marker == 1);
    NGX_RTC_CHECK(sink.n == 1);
    NGX_RTC_CHECK(sink.bad == 0);

    *npkts = pkts;
}


static void
test_pack(void)
{
    u_char               *nals[5], big[5000], *p, out[1500], au[6000];
    size_t                lens[5], n, len;
    ssize_t               rc;
    ngx_uint_t            i, last, pkts;
    ngx_rtc_h264_pack_t   pk;

    /* a 5000-byte IDR NAL unit */
    big[0] = 0x65;
    big[1] = 0x88;
    for (i = 2; i < sizeof(big); i++) {
        big[i] = (u_char) test_rand();
    }

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = big; lens[2] = sizeof(big);
    len = test_au(au, nals, lens, 3);

    /* STAP-A (SPS, PPS), then 5 FU-A of 999 or 1000 bytes */
    ngx_rtc_h264_pack_init(&pk, au, len, 1200);

    rc = ngx_rtc_h264_pack_next(&pk, out, &last);
    NGX_RTC_CHECK(rc == 1 + 2 + sizeof(sps) + 2 + sizeof(pps));
    NGX_RTC_CHECK(out[0] == 0x78 && last == 0);
    NGX_RTC_CHECK(out[1] == 0 && out[2] == sizeof(sps));
    NGX_RTC_CHECK(ngx_memcmp(out + 3, sps, sizeof(sps)) == 0);

    p = big + 1;

    for (i = 0; i < 5; i++) {
        rc = ngx_rtc_h264_pack_next(&pk, out, &last);
        NGX_RTC_CHECK(rc == 2 + 999 || rc == 2 + 1000);
        NGX_RTC_CHECK(out[0] == 0x7c);
        NGX_RTC_CHECK(out[1] == ((i == 0 ? 0x80 : 0) | (i == 4 ? 0x40 : 0)
                                 | 5));
        NGX_RTC_CHECK(last == (i == 4));
        NGX_RTC_CHECK(rc > 2 && ngx_memcmp(out + 2, p, rc - 2) == 0);
        p += rc > 2 ? rc - 2 : 0;
    }

    NGX_RTC_CHECK(p == big + sizeof(big));
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == 0);

    /* depacketized again: the same AU */
    test_roundtrip_au(au, len, 1200, &pkts);
    NGX_RTC_CHECK(pkts == 6);
    NGX_RTC_CHECK(sink.len[0] == len
                  && ngx_memcmp(sink.au[0], au, len) == 0);
    NGX_RTC_CHECK(sink.key[0] == 1 && sink.ts[0] == 42);

    /* every MTU from 3 up: still the same AU */
    for (n = 3; n < 1400; n += (n < 40 ? 1 : 37)) {
        test_roundtrip_au(au, len, n, &pkts);
        NGX_RTC_CHECK(sink.len[0] == len
                      && ngx_memcmp(sink.au[0], au, len) == 0);
    }

    /* the AUD is not sent, the SEI is; a single NAL unit packet */
    nals[0] = aud; lens[0] = sizeof(aud);
    nals[1] = sps; lens[1] = sizeof(sps);
    nals[2] = pps; lens[2] = sizeof(pps);
    nals[3] = sei; lens[3] = sizeof(sei);
    nals[4] = big; lens[4] = 1200;
    len = test_au(au, nals, lens, 5);

    ngx_rtc_h264_pack_init(&pk, au, len, 1200);
    rc = ngx_rtc_h264_pack_next(&pk, out, &last);
    NGX_RTC_CHECK(rc == 1 + 2 + sizeof(sps) + 2 + sizeof(pps)
                        + 2 + sizeof(sei));
    NGX_RTC_CHECK(out[0] == 0x78 && last == 0);
    rc = ngx_rtc_h264_pack_next(&pk, out, &last);
    NGX_RTC_CHECK(rc == 1200 && last == 1);
    NGX_RTC_CHECK(ngx_memcmp(out, big, 1200) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == 0);

    test_roundtrip_au(au, len, 1200, &pkts);
    NGX_RTC_CHECK(pkts == 2);
    NGX_RTC_CHECK(sink.len[0] == len - 4 - sizeof(aud)
                  && ngx_memcmp(sink.au[0], au + 4 + sizeof(aud),
                                len - 4 - sizeof(aud)) == 0);

    /* a P frame with a trailing AUD: the marker is on the slice */
    nals[0] = pslice; lens[0] = sizeof(pslice);
    nals[1] = aud; lens[1] = sizeof(aud);
    len = test_au(au, nals, lens, 2);
    ngx_rtc_h264_pack_init(&pk, au, len, 1200);
    rc = ngx_rtc_h264_pack_next(&pk, out, &last);
    NGX_RTC_CHECK(rc == sizeof(pslice) && last == 1);
    NGX_RTC_CHECK(ngx_memcmp(out, pslice, sizeof(pslice)) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == 0);

    /* the STAP-A NRI is the highest one: SEI (NRI 0) + slice (NRI 2) */
    nals[0] = sei; lens[0] = sizeof(sei);
    nals[1] = pslice; lens[1] = sizeof(pslice);
    len = test_au(au, nals, lens, 2);
    ngx_rtc_h264_pack_init(&pk, au, len, 1200);
    rc = ngx_rtc_h264_pack_next(&pk, out, &last);
    NGX_RTC_CHECK(rc == 1 + 2 + sizeof(sei) + 2 + sizeof(pslice));
    NGX_RTC_CHECK(out[0] == 0x58 && last == 1);

    /* only an AUD: nothing to send */
    nals[0] = aud; lens[0] = sizeof(aud);
    len = test_au(au, nals, lens, 1);
    ngx_rtc_h264_pack_init(&pk, au, len, 1200);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == 0);
    ngx_rtc_h264_pack_init(&pk, au, 0, 1200);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == 0);

    /* malformed AUs */
    ngx_memcpy(au, "\x00\x00\x00\x09\x65\x88", 6);        /* length > AU */
    ngx_rtc_h264_pack_init(&pk, au, 6, 1200);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == NGX_ERROR);
    ngx_memcpy(au, "\x00\x00\x00\x00\x65\x88", 6);        /* length 0 */
    ngx_rtc_h264_pack_init(&pk, au, 6, 1200);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == NGX_ERROR);
    ngx_memcpy(au, "\x00\x00\x00\x02\x65\x88\x00\x00", 8); /* short prefix */
    ngx_rtc_h264_pack_init(&pk, au, 8, 1200);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == NGX_ERROR);
    ngx_memcpy(au, "\x00\x00\x00\x02\x7c\x88", 6);        /* a FU-A inside */
    ngx_rtc_h264_pack_init(&pk, au, 6, 1200);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == NGX_ERROR);
    ngx_memcpy(au, "\x00\x00\x00\x02\x65\x88", 6);        /* MTU too small */
    ngx_rtc_h264_pack_init(&pk, au, 6, 2);
    NGX_RTC_CHECK(ngx_rtc_h264_pack_next(&pk, out, &last) == NGX_ERROR);

    /* au_is_key, au_find */
    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);
    len = test_au(au, nals, lens, 3);
    NGX_RTC_CHECK(ngx_rtc_h264_au_is_key(au, len) == 1);
    NGX_RTC_CHECK(ngx_rtc_h264_au_is_key(au, len - 1) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_au_find(au, len, NGX_RTC_H264_NAL_PPS, &p, &n)
                  == NGX_OK);
    NGX_RTC_CHECK(n == sizeof(pps) && ngx_memcmp(p, pps, n) == 0);
    NGX_RTC_CHECK(ngx_rtc_h264_au_find(au, len, NGX_RTC_H264_NAL_SEI, &p, &n)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_h264_au_find(au, len - 1, NGX_RTC_H264_NAL_SEI,
                                       &p, &n) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_h264_au_is_key(au, 4 + sizeof(sps)) == 0);
}


/* random bytes, or a well-formed AU of random NAL units */

static size_t
test_random_au(u_char *au, size_t size, u_char *bytes, size_t len)
{
    u_char  *p, *end;
    size_t   n;

    if (bytes) {
        ngx_memcpy(au, bytes, len);
        return len;
    }

    p = au;
    end = au + size;

    while (test_rand() % 8) {
        n = 1 + test_rand() % ((test_rand() & 1) ? 40 : 3000);

        if ((size_t) (end - p) < 4 + n) {
            break;
        }

        *p++ = (u_char) (n >> 24);
        *p++ = (u_char) (n >> 16);
        *p++ = (u_char) (n >> 8);
        *p++ = (u_char) n;

        /* F 0, any NRI, types 1..23 */
        *p++ = (u_char) ((test_rand() & 0x60) | (1 + test_rand() % 23));

        for (n--; n; n--) {
            *p++ = (u_char) test_rand();
        }
    }

    return p - au;
}


/*
 * Random payloads: wholly random, or with a plausible first byte (single
 * NAL, STAP-A, FU-A) to get past the first checks; sequence numbers mostly
 * in order; a small AU buffer so that overflow happens too.
 */

static void
test_garbage(void)
{
    u_char                *hp, *hout, *abuf;
    u_char                 pkt[1600], au[8000];
    size_t                 len, bufsize;
    ssize_t                n;
    uint16_t               seq;
    uint32_t               ts, r;
    ngx_int_t              rc;
    ngx_uint_t             i, j, last, bad, marker, packed;
    ngx_rtc_h264_pack_t    pk;
    ngx_rtc_h264_depack_t  d;
    static u_char          first[] = { 0x65, 0x41, 0x67, 0x68, 0x78, 0x7c,
                                       0x5c, 0x06, 0x09 };

    /* heap buffers of exact sizes, so that ASan sees any overrun */

    bufsize = 4096;
    abuf = malloc(bufsize);
    if (abuf == NULL) {
        NGX_RTC_CHECK(abuf != NULL);
        return;
    }

    ngx_memzero(&sink, sizeof(test_sink_t));
    ngx_rtc_h264_depack_init(&d, abuf, bufsize, test_handler, &sink);

    seq = 0;
    ts = 0;
    bad = 0;
    packed = 0;

    for (i = 0; i < 100000; i++) {
        r = test_rand();

        len = (r & 0x100) ? test_rand() % 1500 : test_rand() % 40;

        for (j = 0; j < len; j++) {
            pkt[j] = (u_char) test_rand();
        }

        if (len && (r & 3)) {
            pkt[0] = first[test_rand() % sizeof(first)];

            if (pkt[0] == 0x7c || pkt[0] == 0x5c) {
                if (len > 1) {
                    pkt[1] = (pkt[1] & 0xc0) | 5;
                }
            }
        }

        seq += ((r >> 4) & 0xf) == 0 ? (uint16_t) test_rand() % 5 : 1;

        if (((r >> 8) & 7) == 0) {
            ts += 3000;
        }

        hp = malloc(len ? len : 1);
        if (hp == NULL) {
            break;
        }

        ngx_memcpy(hp, pkt, len);

        rc = ngx_rtc_h264_depacketize(&d, hp, len, seq, ts, (r >> 12) & 1);

        if (rc != NGX_OK && rc != NGX_DECLINED) {
            bad++;
        }

        if (d.len > bufsize || d.sps_len > NGX_RTC_H264_PS_MAX
            || d.pps_len > NGX_RTC_H264_PS_MAX)
        {
            bad++;
        }

        if ((r >> 20) == 0) {
            (void) ngx_rtc_h264_sprop(&d, hp, len);
        }

        free(hp);

        /*
         * The packetizer on random bytes, and on random well-formed AUs:
         * never more than the MTU, the marker on the last packet only.
         */

        if ((r & 0xf0000) == 0) {
            len = test_random_au(au, sizeof(au), (r >> 24) & 1 ? pkt : NULL,
                                 len);

            hp = malloc(len ? len : 1);
            if (hp == NULL) {
                break;
            }

            ngx_memcpy(hp, au, len);
            ngx_rtc_h264_pack_init(&pk, hp, len, 3 + test_rand() % 1400);

            hout = malloc(pk.mtu);
            if (hout == NULL) {
                free(hp);
                break;
            }

            marker = 0;

            for (j = 0; j < 20000; j++) {
                n = ngx_rtc_h264_pack_next(&pk, hout, &last);
                if (n <= 0) {
                    break;
                }

                if ((size_t) n > pk.mtu || marker) {
                    bad++;
                }

                marker = last;
            }

            if (j == 20000 || (n == 0 && j > 0 && !marker)) {
                bad++;
            }

            free(hout);
            free(hp);

            packed += j;
        }
    }

    ngx_rtc_h264_depack_flush(&d);
    free(abuf);

    NGX_RTC_CHECK(bad == 0);
    NGX_RTC_CHECK(sink.bad == 0);
    NGX_RTC_CHECK(d.rejected > 0 && d.dropped > 0);
    NGX_RTC_CHECK(packed > 0);

    printf("garbage: %lu AUs, %lu dropped, %lu packets declined, "
           "%lu packets made\n", (unsigned long) sink.n,
           (unsigned long) d.dropped, (unsigned long) d.rejected,
           (unsigned long) packed);
}


int
main(void)
{
    test_sprop();
    test_single();
    test_stap_a();
    test_fu_a();
    test_loss();
    test_oversize();
    test_truncated();
    test_pack();
    test_garbage();

    return NGX_RTC_UNIT_DONE();
}
