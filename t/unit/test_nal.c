/*
 * Copyright (C) nginx-rtc authors
 *
 * The shared NAL core (ngx_rtc_nal.c) with both codecs' descriptors:
 * packetizer and depacketizer round trips of generated access units over
 * many MTUs, the exact fragment sizes, aggregation packet headers, where
 * stored parameter sets go into a keyframe, the checks both codecs now
 * share (an FU rebuilding a NAL unit with forbidden_zero_bit), sprop
 * parsing.
 *
 * unit-deps: src/ngx_rtc_nal.c src/ngx_rtc_h264.c src/ngx_rtc_h265.c
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_unit.h"
#include "ngx_rtc_h264.h"
#include "ngx_rtc_h265.h"


typedef struct {
    ngx_uint_t  n;
    size_t      len;
    ngx_uint_t  key;
    u_char      au[65536];
} test_sink_t;


static u_char       test_buf[65536];
static u_char       test_au[65536];
static u_char       test_pkt[70000];
static test_sink_t  test_out;
static uint32_t     test_rand_state = 12345;


static uint32_t
test_rand(void)
{
    test_rand_state = test_rand_state * 1103515245 + 12345;
    return test_rand_state >> 8;
}


static void
test_handler(void *data, u_char *au, size_t len, uint32_t ts, ngx_uint_t key)
{
    test_sink_t  *s = data;

    s->n++;
    s->len = len;
    s->key = key;
    ngx_memcpy(s->au, au, len);
}


/* appends a NAL unit (header bytes "hdr", then "len" bytes in all) */

static size_t
test_nal(u_char *au, size_t pos, u_char *hdr, size_t hlen, size_t len)
{
    size_t  i;

    au[pos] = (u_char) (len >> 24);
    au[pos + 1] = (u_char) (len >> 16);
    au[pos + 2] = (u_char) (len >> 8);
    au[pos + 3] = (u_char) len;

    ngx_memcpy(au + pos + 4, hdr, hlen);

    for (i = hlen; i < len; i++) {
        au[pos + 4 + i] = (u_char) (test_rand() | 0x01);
    }

    return pos + 4 + len;
}


/*
 * Packetizes "au" and depacketizes the packets: NGX_OK if the AU came
 * back byte for byte, as a keyframe.  "frag" gets the largest payload.
 */

static ngx_int_t
test_round_trip(const ngx_rtc_nal_codec_t *c, u_char *au, size_t len,
    size_t mtu, size_t *largest)
{
    ssize_t               n;
    uint16_t              seq;
    ngx_uint_t            last, marker;
    ngx_rtc_nal_pack_t    p;
    ngx_rtc_nal_depack_t  d;

    ngx_rtc_nal_depack_init(&d, c, test_buf, sizeof(test_buf),
                            test_handler, &test_out);
    ngx_rtc_nal_pack_init(&p, c, au, len, mtu);

    test_out.n = 0;
    seq = 100;
    marker = 0;
    *largest = 0;

    for ( ;; ) {
        n = ngx_rtc_nal_pack_next(&p, test_pkt, &last);

        if (n <= 0) {
            break;
        }

        if ((size_t) n > mtu) {
            return NGX_ERROR;
        }

        *largest = ngx_max(*largest, (size_t) n);
        marker = last;

        if (ngx_rtc_nal_depacketize(&d, test_pkt, n, seq++, 9000, last)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (n < 0 || !marker || test_out.n != 1 || !test_out.key
        || test_out.len != len || ngx_memcmp(test_out.au, au, len) != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Keyframes of parameter sets, then 1 to 4 slices of random sizes, for
 * both codecs and MTUs from the smallest possible up: every one survives
 * the round trip, no packet exceeds the MTU.
 */

static void
test_round_trips(void)
{
    size_t       len, largest, size;
    ngx_uint_t   i, j, ok, nslices;

    static u_char  h264_sps[] = { 0x67, 0x42, 0xc0, 0x1f };
    static u_char  h264_pps[] = { 0x68 };
    static u_char  h264_idr[] = { 0x65, 0x88 };
    static u_char  h265_vps[] = { 0x40, 0x01 };
    static u_char  h265_sps[] = { 0x42, 0x01 };
    static u_char  h265_pps[] = { 0x44, 0x01 };
    static u_char  h265_idr[] = { 0x28, 0x01, 0xaf };

    ok = 1;

    for (i = 0; i < 400; i++) {
        size = 3 + test_rand() % 1500;
        nslices = 1 + test_rand() % 4;

        /* H.264: SPS, PPS, slices */

        len = test_nal(test_au, 0, h264_sps, sizeof(h264_sps), 4 + i % 8);
        len = test_nal(test_au, len, h264_pps, sizeof(h264_pps), 1 + i % 5);

        for (j = 0; j < nslices; j++) {
            len = test_nal(test_au, len, h264_idr, sizeof(h264_idr),
                           2 + test_rand() % 6000);
        }

        if (test_round_trip(&ngx_rtc_h264_codec, test_au, len, size,
                            &largest)
            != NGX_OK)
        {
            fprintf(stderr, "h264 round trip %lu (mtu %lu)\n",
                    (unsigned long) i, (unsigned long) size);
            ok = 0;
        }

        /* H.265: VPS, SPS, PPS, slices; FUs need 4 bytes */

        size = ngx_max(size, 4);

        len = test_nal(test_au, 0, h265_vps, sizeof(h265_vps), 2 + i % 8);
        len = test_nal(test_au, len, h265_sps, sizeof(h265_sps), 2 + i % 5);
        len = test_nal(test_au, len, h265_pps, sizeof(h265_pps), 2 + i % 3);

        for (j = 0; j < nslices; j++) {
            len = test_nal(test_au, len, h265_idr, sizeof(h265_idr),
                           3 + test_rand() % 6000);
        }

        if (test_round_trip(&ngx_rtc_h265_codec, test_au, len, size,
                            &largest)
            != NGX_OK)
        {
            fprintf(stderr, "h265 round trip %lu (mtu %lu)\n",
                    (unsigned long) i, (unsigned long) size);
            ok = 0;
        }
    }

    NGX_RTC_CHECK(ok);
}


/*
 * The fragment sizes (the UDP GSO work will change them on purpose):
 * a 3000-byte NAL unit at MTU 1200 is cut into fragments of equal size,
 * give or take one, after 2 header bytes (FU-A) or 3 (H.265 FU).
 */

static void
test_fragments(void)
{
    size_t              len;
    ssize_t             n[4];
    ngx_uint_t          i, last, ends[4];
    ngx_rtc_nal_pack_t  p;

    static u_char  h264_idr[] = { 0x65, 0x88 };
    static u_char  h265_idr[] = { 0x28, 0x01, 0xaf };

    len = test_nal(test_au, 0, h264_idr, sizeof(h264_idr), 3000);

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h264_codec, test_au, len, 1200);

    for (i = 0; i < 4; i++) {
        n[i] = ngx_rtc_nal_pack_next(&p, test_pkt, &ends[i]);

        if (i == 0) {
            NGX_RTC_CHECK(test_pkt[0] == ((0x65 & 0xe0) | 28));
            NGX_RTC_CHECK(test_pkt[1] == (0x80 | 5));
        }
    }

    /* 2999 bytes after the header: 1000, 1000, 999 */

    NGX_RTC_CHECK(n[0] == 1002 && n[1] == 1002 && n[2] == 1001 && n[3] == 0);
    NGX_RTC_CHECK(test_pkt[1] == (0x40 | 5) && ends[2] && !ends[1]);

    len = test_nal(test_au, 0, h265_idr, sizeof(h265_idr), 3000);

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h265_codec, test_au, len, 1200);

    for (i = 0; i < 4; i++) {
        n[i] = ngx_rtc_nal_pack_next(&p, test_pkt, &ends[i]);

        if (i == 0) {
            /* PayloadHdr type 49, LayerId 0, TID 1; FU header S, 20 */
            NGX_RTC_CHECK(test_pkt[0] == (49 << 1) && test_pkt[1] == 0x01);
            NGX_RTC_CHECK(test_pkt[2] == (0x80 | 20));
        }
    }

    /* 2998 bytes after the header: equal fragments but the last (GSO) */

    NGX_RTC_CHECK(n[0] == 1003 && n[1] == 1003 && n[2] == 1001 && n[3] == 0);
    NGX_RTC_CHECK(test_pkt[2] == (0x40 | 20) && ends[2] && !ends[1]);

    /* the smallest MTUs: 1 byte of the NAL unit a packet */

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h264_codec, test_au, len, 2);
    NGX_RTC_CHECK(p.error);

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h265_codec, test_au, len, 3);
    NGX_RTC_CHECK(p.error);

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h265_codec, test_au, len, 4);
    NGX_RTC_CHECK(ngx_rtc_nal_pack_next(&p, test_pkt, &last) == 4);
}


/* aggregation headers: STAP-A the highest NRI; AP the lowest layer, TID */

static void
test_aggregation(void)
{
    size_t              len;
    ssize_t             n;
    ngx_uint_t          last;
    ngx_rtc_nal_pack_t  p;

    static u_char  sei[] = { 0x06, 0x05 };         /* NRI 0 */
    static u_char  sps[] = { 0x67, 0x42 };         /* NRI 3 */
    static u_char  pps[] = { 0x48, 0xce };         /* NRI 2 */
    static u_char  vps2[] = { 0x40, 0x0a };        /* layer 1, TID 2 */
    static u_char  sps3[] = { 0x42, 0x03 };        /* layer 0, TID 3 */
    static u_char  pps1[] = { 0x44, 0x09 };        /* layer 1, TID 1 */

    len = test_nal(test_au, 0, sei, sizeof(sei), 2);
    len = test_nal(test_au, len, sps, sizeof(sps), 2);
    len = test_nal(test_au, len, pps, sizeof(pps), 2);

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h264_codec, test_au, len, 1200);
    n = ngx_rtc_nal_pack_next(&p, test_pkt, &last);

    NGX_RTC_CHECK(n == 1 + 3 * (2 + 2) && last);
    NGX_RTC_CHECK(test_pkt[0] == (0x60 | 24));
    NGX_RTC_CHECK(test_pkt[1] == 0 && test_pkt[2] == 2
                  && test_pkt[3] == 0x06);

    len = test_nal(test_au, 0, vps2, sizeof(vps2), 2);
    len = test_nal(test_au, len, sps3, sizeof(sps3), 2);
    len = test_nal(test_au, len, pps1, sizeof(pps1), 2);

    ngx_rtc_nal_pack_init(&p, &ngx_rtc_h265_codec, test_au, len, 1200);
    n = ngx_rtc_nal_pack_next(&p, test_pkt, &last);

    /* type 48, layer 0, TID 1 */

    NGX_RTC_CHECK(n == 2 + 3 * (2 + 2) && last);
    NGX_RTC_CHECK(test_pkt[0] == (48 << 1) && test_pkt[1] == 0x01);
}


/* the NAL unit types of an AU, in order, as a string of numbers */

static void
test_types(const ngx_rtc_nal_codec_t *c, u_char *au, size_t len, char *out)
{
    u_char  *pos, *end, *nal;
    size_t   n;

    pos = au;
    end = au + len;
    out[0] = '\0';

    while (pos < end) {
        pos = ngx_rtc_nal_au_next(c, pos, end, &nal, &n);
        if (pos == NULL) {
            strcat(out, "!");
            return;
        }

        sprintf(out + strlen(out), "%s%u", out[0] ? "," : "",
                (unsigned) ngx_rtc_nal_type(c, nal));
    }
}


/* one keyframe AU of single NAL unit packets, ts 3000, seq from 1 */

static void
test_feed(ngx_rtc_nal_depack_t *d, u_char **nals, size_t *lens, ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        (void) ngx_rtc_nal_depacketize(d, nals[i], lens[i], (uint16_t) i + 1,
                                       3000, i == n - 1);
    }
}


/*
 * Stored parameter sets go into keyframes that lack them: after a leading
 * AUD, each after the one it refers to, before SEI and slices.
 */

static void
test_parameter_sets(void)
{
    char                  types[128];
    ngx_rtc_nal_depack_t  d;

    static u_char  h264_sps[] = { 0x67, 0x42, 0xc0, 0x1f };
    static u_char  h264_pps[] = { 0x68, 0xce };
    static u_char  h264_aud[] = { 0x09, 0xf0 };
    static u_char  h264_sei[] = { 0x06, 0x05, 0x01 };
    static u_char  h264_idr[] = { 0x65, 0x88, 0x84 };
    static u_char  h265_vps[] = { 0x40, 0x01, 0x0c };
    static u_char  h265_sps[] = { 0x42, 0x01, 0x01 };
    static u_char  h265_pps[] = { 0x44, 0x01, 0xc1 };
    static u_char  h265_aud[] = { 0x46, 0x01, 0x10 };
    static u_char  h265_sei[] = { 0x4e, 0x01, 0x05 };
    static u_char  h265_idr[] = { 0x28, 0x01, 0xaf };

    u_char  *a[] = { h264_aud, h264_sei, h264_idr };
    size_t   al[] = { 2, 3, 3 };
    u_char  *b[] = { h265_aud, h265_sei, h265_idr };
    size_t   bl[] = { 3, 3, 3 };
    u_char  *c[] = { h265_vps, h265_sei, h265_idr };
    size_t   cl[] = { 3, 3, 3 };

    /* H.264: SPS and PPS out of band, an AU of AUD, SEI, IDR */

    ngx_rtc_h264_depack_init(&d, test_buf, sizeof(test_buf), test_handler,
                             &test_out);
    ngx_memcpy(d.sps, h264_sps, sizeof(h264_sps));
    d.sps_len = sizeof(h264_sps);
    ngx_memcpy(d.pps, h264_pps, sizeof(h264_pps));
    d.pps_len = sizeof(h264_pps);

    test_out.n = 0;
    test_feed(&d, a, al, 3);
    test_types(&ngx_rtc_h264_codec, test_out.au, test_out.len, types);

    NGX_RTC_CHECK(test_out.n == 1 && test_out.key);
    NGX_RTC_CHECK(strcmp(types, "9,7,8,6,5") == 0);

    /* H.265: the same, with VPS */

    ngx_rtc_h265_depack_init(&d, test_buf, sizeof(test_buf), test_handler,
                             &test_out);
    ngx_memcpy(d.vps, h265_vps, 3);
    d.vps_len = 3;
    ngx_memcpy(d.sps, h265_sps, 3);
    d.sps_len = 3;
    ngx_memcpy(d.pps, h265_pps, 3);
    d.pps_len = 3;

    test_out.n = 0;
    test_feed(&d, b, bl, 3);
    test_types(&ngx_rtc_h265_codec, test_out.au, test_out.len, types);

    NGX_RTC_CHECK(test_out.n == 1 && test_out.key);
    NGX_RTC_CHECK(strcmp(types, "35,32,33,34,39,20") == 0);

    /* a VPS in band: SPS and PPS after it, before the SEI */

    test_out.n = 0;
    d.seq_valid = 0;
    test_feed(&d, c, cl, 3);
    test_types(&ngx_rtc_h265_codec, test_out.au, test_out.len, types);

    NGX_RTC_CHECK(test_out.n == 1);
    NGX_RTC_CHECK(strcmp(types, "32,33,34,39,20") == 0);

    /* no stored PPS: a keyframe nobody can decode is dropped */

    d.pps_len = 0;
    d.seq_valid = 0;
    test_out.n = 0;
    test_feed(&d, c, cl, 3);

    NGX_RTC_CHECK(test_out.n == 0 && d.wait_key);
}


/*
 * The checks the codecs now share: an FU whose payload header has
 * forbidden_zero_bit set is refused by both (a single NAL unit packet
 * with it always was); too short NAL units in an AU are malformed.
 */

static void
test_shared_checks(void)
{
    u_char               *nal;
    size_t                n;
    ngx_int_t             rc;
    ngx_rtc_nal_depack_t  d;

    static u_char  h264_fu[] = { 0x80 | 0x7c, 0xc5, 0x88, 0x84 };
    static u_char  h265_fu[] = { 0x80 | 0x62, 0x01, 0xd3, 0xaf };
    static u_char  au1[] = { 0, 0, 0, 1, 0x28, 0, 0, 0, 0 };

    ngx_rtc_h264_depack_init(&d, test_buf, sizeof(test_buf), test_handler,
                             &test_out);
    rc = ngx_rtc_h264_depacketize(&d, h264_fu, sizeof(h264_fu), 1, 0, 1);
    NGX_RTC_CHECK(rc == NGX_DECLINED && d.rejected == 1);

    ngx_rtc_h265_depack_init(&d, test_buf, sizeof(test_buf), test_handler,
                             &test_out);
    rc = ngx_rtc_h265_depacketize(&d, h265_fu, sizeof(h265_fu), 1, 0, 1);
    NGX_RTC_CHECK(rc == NGX_DECLINED && d.rejected == 1);

    /* a 1-byte H.265 NAL unit has half a header */

    NGX_RTC_CHECK(ngx_rtc_nal_au_next(&ngx_rtc_h265_codec, au1, au1 + 5,
                                      &nal, &n)
                  == NULL);
    NGX_RTC_CHECK(ngx_rtc_nal_au_next(&ngx_rtc_h264_codec, au1, au1 + 5,
                                      &nal, &n)
                  == au1 + 5 && n == 1);
}


/* sprop: both alphabets of base64; what is not a parameter set */

static void
test_sprop(void)
{
    ngx_rtc_nal_depack_t  d;

    ngx_rtc_h264_depack_init(&d, test_buf, sizeof(test_buf), NULL, NULL);

    /* 0x67 0xfb 0xef: "Z_vv" (URL-safe) and "Z/vv" */

    NGX_RTC_CHECK(ngx_rtc_nal_sprop(&d, (u_char *) "Z_vv", 4) == NGX_OK);
    NGX_RTC_CHECK(d.sps_len == 3 && d.sps[1] == 0xfb && d.sps[2] == 0xef);

    NGX_RTC_CHECK(ngx_rtc_nal_sprop(&d, (u_char *) " Z/vv , aM4=", 12)
                  == NGX_OK);
    NGX_RTC_CHECK(d.pps_len == 2 && d.pps[0] == 0x68 && d.pps[1] == 0xce);

    /* SEI only (0x06 0x05): nothing taken */

    NGX_RTC_CHECK(ngx_rtc_nal_sprop(&d, (u_char *) "BgU=", 4)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_h264_sprop(&d, (u_char *) "BgU=", 4)
                  == NGX_DECLINED);

    /* forbidden_zero_bit, bad characters */

    NGX_RTC_CHECK(ngx_rtc_nal_sprop(&d, (u_char *) "5/vv", 4) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_nal_sprop(&d, (u_char *) "Z*vv", 4) == NGX_ERROR);

    /* H.265: a 1-byte NAL unit is malformed; SEI only is an error */

    ngx_rtc_h265_depack_init(&d, test_buf, sizeof(test_buf), NULL, NULL);

    NGX_RTC_CHECK(ngx_rtc_nal_sprop(&d, (u_char *) "QA==", 4) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, (u_char *) "TgEF", 4) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_h265_sprop(&d, (u_char *) "QAEM", 4) == NGX_OK);
    NGX_RTC_CHECK(d.vps_len == 3 && d.vps[2] == 0x0c);
}


int
main(void)
{
    test_round_trips();
    test_fragments();
    test_aggregation();
    test_parameter_sets();
    test_shared_checks();
    test_sprop();

    return NGX_RTC_UNIT_DONE();
}
