/*
 * Copyright (C) nginx-rtc authors
 *
 * What real cameras send besides RFC 6184 and RFC 7798, through the
 * shared NAL depacketizer (ngx_rtc_nal.c), each of which used to leave a
 * stream "playing" with no picture and nothing in the log:
 *
 *   an aggregation packet (STAP-A, AP) ending in zero padding, a size of
 *   0 or fewer bytes than a size after its NAL units (gortsplib skips it);
 *   RTP packets without payload, between frames or carrying a frame's
 *   marker bit;
 *   single NAL unit packets with Annex-B start codes, up to a whole access
 *   unit (SPS, PPS, IDR) in one packet (gortsplib's "removeAnnexB");
 *
 * and that each kind of rejection is logged: the first, then at most once
 * a minute of media time.  The first checks come from the review
 * (t/unit/test_field_quirks.c of /tmp/rv1).
 *
 * unit-deps: src/ngx_rtc_nal.c src/ngx_rtc_h264.c src/ngx_rtc_h265.c
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>
#include "ngx_rtc_unit.h"
#include "ngx_rtc_h264.h"
#include "ngx_rtc_h265.h"


static u_char  sps[] = {
    0x67, 0x4d, 0x00, 0x2a, 0x9d, 0xa8, 0x1e, 0x00, 0x89, 0xf9, 0x66, 0xe0,
    0x20, 0x20, 0x28, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01,
    0x94, 0x20
};
static u_char  pps[] = { 0x68, 0xee, 0x3c, 0x80 };
static u_char  idr[] = { 0x65, 0x88, 0x84, 0x00, 0x33, 0xff, 0xfe, 0xf6 };
static u_char  pslice[] = { 0x41, 0x9a, 0x24, 0x6c, 0x41, 0x3f };

/* H.265 (7.3.1.2): VPS, SPS, PPS, IDR_N_LP, TRAIL_R; tid 1 */
static u_char  vps5[] = { 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff };
static u_char  sps5[] = { 0x42, 0x01, 0x01, 0x04, 0x08 };
static u_char  pps5[] = { 0x44, 0x01, 0xc1, 0x72 };
static u_char  idr5[] = { 0x28, 0x01, 0xaf, 0x06, 0xb8 };
static u_char  trail5[] = { 0x02, 0x01, 0xd0, 0x09 };


typedef struct {
    ngx_uint_t  n;
    ngx_uint_t  keys;
    uint32_t    ts[16];
    size_t      len;
    u_char      au[4096];               /* the last AU */
} test_sink_t;


static u_char       test_buf[65536];
static test_sink_t  sink;
static ngx_log_t    test_log;


static void
test_handler(void *data, u_char *au, size_t len, uint32_t ts, ngx_uint_t key)
{
    if (sink.n < 16) {
        sink.ts[sink.n] = ts;
    }

    sink.n++;
    sink.keys += key ? 1 : 0;

    if (len <= sizeof(sink.au)) {
        ngx_memcpy(sink.au, au, len);
        sink.len = len;
    }
}


static void
test_init(ngx_rtc_nal_depack_t *d, const ngx_rtc_nal_codec_t *codec,
    size_t size)
{
    ngx_memzero(&sink, sizeof(test_sink_t));
    ngx_rtc_nal_depack_init(d, codec, test_buf, size, test_handler, NULL);
}


/* NAL units in an AU's form: each after its 4-byte length */

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


static ngx_uint_t
test_sink_is(u_char **nals, size_t *lens, ngx_uint_t n)
{
    u_char  au[4096];
    size_t  len;

    len = test_au(au, nals, lens, n);

    return sink.len == len && ngx_memcmp(sink.au, au, len) == 0;
}


/* an aggregation packet: its header, then each NAL unit after its size */

static size_t
test_agg(u_char *pkt, u_char *hdr, size_t hdr_len, u_char **nals,
    size_t *lens, ngx_uint_t n, size_t pad)
{
    u_char      *p;
    ngx_uint_t   i;

    p = ngx_cpymem(pkt, hdr, hdr_len);

    for (i = 0; i < n; i++) {
        *p++ = (u_char) (lens[i] >> 8);
        *p++ = (u_char) lens[i];
        p = ngx_cpymem(p, nals[i], lens[i]);
    }

    ngx_memzero(p, pad);

    return p + pad - pkt;
}


static void
test_stap_a_padding(void)
{
    u_char                *nals[3], pkt[256], hdr[1];
    size_t                 n, lens[3], pad;
    ngx_rtc_nal_depack_t   d;

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);
    hdr[0] = 0x78;

    /* 1 byte (fewer than a size), 2 (a size of 0), 3 bytes of padding */

    for (pad = 1; pad <= 3; pad++) {
        test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

        n = test_agg(pkt, hdr, 1, nals, lens, 2, pad);

        NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0)
                      == NGX_OK);
        NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 2, 3000,
                                               1)
                      == NGX_OK);
        NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 3,
                                               6000, 1)
                      == NGX_OK);

        printf("STAP-A(SPS, PPS) with %d padding bytes, IDR, P: "
               "%lu AUs, %lu keyframes\n",
               (int) pad, (unsigned long) sink.n, (unsigned long) sink.keys);

        NGX_RTC_CHECK(sink.n == 2 && sink.keys == 1);
        NGX_RTC_CHECK(d.rejected == 0 && d.dropped == 0);
    }

    /* the keyframe whole in one STAP-A with padding: SPS PPS IDR as sent */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    n = test_agg(pkt, hdr, 1, nals, lens, 3, 2);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && sink.keys == 1
                  && test_sink_is(nals, lens, 3));

    /* padding that is not zero after a NAL unit, past a size: an error */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    n = test_agg(pkt, hdr, 1, nals, lens, 2, 0);
    pkt[n++] = 0x00;
    pkt[n++] = 0x09;                    /* a size of 9 */
    pkt[n++] = 0x00;

    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(d.rejected == 1 && d.broken);

    /* a STAP-A of padding only holds no NAL unit: an error */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    n = test_agg(pkt, hdr, 1, nals, lens, 0, 4);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0)
                  == NGX_DECLINED);
}


static void
test_ap_padding(void)
{
    u_char                *nals[4], pkt[256], hdr[2];
    size_t                 n, lens[4], pad;
    ngx_rtc_nal_depack_t   d;

    nals[0] = vps5; lens[0] = sizeof(vps5);
    nals[1] = sps5; lens[1] = sizeof(sps5);
    nals[2] = pps5; lens[2] = sizeof(pps5);
    nals[3] = idr5; lens[3] = sizeof(idr5);
    hdr[0] = 48 << 1;                   /* AP */
    hdr[1] = 0x01;

    for (pad = 1; pad <= 2; pad++) {
        test_init(&d, &ngx_rtc_h265_codec, sizeof(test_buf));

        n = test_agg(pkt, hdr, 2, nals, lens, 3, pad);

        NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, n, 1, 3000, 0)
                      == NGX_OK);
        NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, idr5, sizeof(idr5), 2,
                                               3000, 1)
                      == NGX_OK);
        NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, trail5, sizeof(trail5), 3,
                                               6000, 1)
                      == NGX_OK);

        printf("AP(VPS, SPS, PPS) with %d padding bytes, IDR, TRAIL: "
               "%lu AUs, %lu keyframes\n",
               (int) pad, (unsigned long) sink.n, (unsigned long) sink.keys);

        NGX_RTC_CHECK(sink.n == 2 && sink.keys == 1);
    }

    /* with DONL (sprop-max-don-diff > 0): DOND 0, size 0 is padding too */

    test_init(&d, &ngx_rtc_h265_codec, sizeof(test_buf));
    d.donl = 1;

    n = 0;
    pkt[n++] = hdr[0];
    pkt[n++] = hdr[1];
    pkt[n++] = 0x00; pkt[n++] = 0x05;  /* DONL */
    pkt[n++] = 0x00; pkt[n++] = sizeof(vps5);
    n = ngx_cpymem(pkt + n, vps5, sizeof(vps5)) - pkt;
    pkt[n++] = 0x00;                    /* DOND */
    pkt[n++] = 0x00; pkt[n++] = sizeof(sps5);
    n = ngx_cpymem(pkt + n, sps5, sizeof(sps5)) - pkt;
    pkt[n++] = 0x00;                    /* DOND */
    pkt[n++] = 0x00; pkt[n++] = sizeof(pps5);
    n = ngx_cpymem(pkt + n, pps5, sizeof(pps5)) - pkt;
    pkt[n++] = 0x00;                    /* DOND */
    pkt[n++] = 0x00; pkt[n++] = sizeof(idr5);
    n = ngx_cpymem(pkt + n, idr5, sizeof(idr5)) - pkt;
    ngx_memzero(pkt + n, 3);
    n += 3;

    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, n, 1, 3000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && sink.keys == 1
                  && test_sink_is(nals, lens, 4));
}


static void
test_empty_payload(void)
{
    u_char                *nals[3], pkt[256], hdr[1], fu[8];
    size_t                 n, lens[3];
    ngx_rtc_nal_depack_t   d;

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);
    hdr[0] = 0x78;

    n = test_agg(pkt, hdr, 1, nals, lens, 2, 0);

    /* an empty packet of its own timestamp between frames, with marker */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    (void) ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0);
    (void) ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 2, 3000, 1);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 0, 3, 4500, 1)
                  == NGX_OK);
    (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 4, 6000, 1);
    (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 5, 9000, 1);

    printf("an empty RTP payload between frames: %lu AUs (want 3)\n",
           (unsigned long) sink.n);

    NGX_RTC_CHECK(sink.n == 3 && sink.keys == 1);
    NGX_RTC_CHECK(d.rejected == 0 && d.dropped == 0);

    /* ... the last packet of a frame, with its timestamp and marker */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    (void) ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0);
    (void) ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 2, 3000, 0);
    (void) ngx_rtc_h264_depacketize(&d, pkt, 0, 3, 3000, 1);

    NGX_RTC_CHECK(sink.n == 1 && sink.ts[0] == 3000);

    (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 4, 6000, 1);

    printf("an empty RTP payload as a frame's last packet: %lu AUs "
           "(want 2)\n", (unsigned long) sink.n);

    NGX_RTC_CHECK(sink.n == 2 && sink.keys == 1);

    /* ... in the middle of a FU-A, and of another timestamp: ignored */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    (void) ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0);

    fu[0] = 0x7c;
    fu[1] = 0x80 | 5;
    ngx_memcpy(fu + 2, idr + 1, 4);
    (void) ngx_rtc_h264_depacketize(&d, fu, 6, 2, 3000, 0);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 0, 3, 3000, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 0, 4, 1234, 0)
                  == NGX_OK);
    fu[1] = 0x40 | 5;
    ngx_memcpy(fu + 2, idr + 5, 3);
    (void) ngx_rtc_h264_depacketize(&d, fu, 5, 5, 3000, 1);

    NGX_RTC_CHECK(sink.n == 1 && sink.keys == 1
                  && test_sink_is(nals, lens, 3));

    /* it takes its sequence number: the packet after it follows it */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    (void) ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 0);
    (void) ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 2, 3000, 1);
    (void) ngx_rtc_h264_depacketize(&d, pkt, 0, 3, 6000, 0);
    (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 4, 6000, 1);

    NGX_RTC_CHECK(sink.n == 2 && !d.wait_key);
}


/* NAL units after start codes: each after "sc" (3 or 4) bytes */

static size_t
test_annexb(u_char *out, u_char **nals, size_t *lens, ngx_uint_t n,
    size_t *sc)
{
    u_char      *p;
    ngx_uint_t   i;

    p = out;

    for (i = 0; i < n; i++) {
        if (sc[i] == 4) {
            *p++ = 0;
        }

        *p++ = 0; *p++ = 0; *p++ = 1;
        p = ngx_cpymem(p, nals[i], lens[i]);
    }

    return p - out;
}


static void
test_annexb_single(void)
{
    u_char                *nals[4], pkt[256];
    size_t                 n, lens[4], sc[4];
    ngx_uint_t             i;
    ngx_rtc_nal_depack_t   d;

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);

    /* 4-byte start codes, 3-byte ones, both */

    for (i = 0; i < 3; i++) {
        test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

        sc[0] = (i == 1) ? 3 : 4;
        sc[1] = (i == 0) ? 4 : 3;
        sc[2] = (i == 0) ? 4 : 3;

        n = test_annexb(pkt, nals, lens, 3, sc);

        NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 1)
                      == NGX_OK);

        printf("Annex-B single NAL packet (SPS PPS IDR, start codes %d %d "
               "%d): %lu keyframes\n", (int) sc[0], (int) sc[1], (int) sc[2],
               (unsigned long) sink.keys);

        NGX_RTC_CHECK(sink.n == 1 && sink.keys == 1
                      && test_sink_is(nals, lens, 3));
    }

    /* one NAL unit a packet, each with its start code; trailing zeros */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    sc[0] = 4;

    for (i = 0; i < 3; i++) {
        n = test_annexb(pkt, &nals[i], &lens[i], 1, sc);
        pkt[n++] = 0;
        pkt[n++] = 0;

        NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1 + i, 3000, i == 2)
                      == NGX_OK);
    }

    nals[3] = pslice; lens[3] = sizeof(pslice);
    n = test_annexb(pkt, &nals[3], &lens[3], 1, sc);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 4, 6000, 1) == NGX_OK);

    NGX_RTC_CHECK(sink.n == 2 && sink.keys == 1
                  && test_sink_is(&nals[3], &lens[3], 1));

    /* empty NAL units between start codes, zero_bytes before them */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    n = 0;
    ngx_memcpy(pkt, "\x00\x00\x01\x00\x00\x00\x00\x01", 8);
    n = 8 + test_annexb(pkt + 8, nals, lens, 3, sc);
    ngx_memcpy(pkt + n, "\x00\x00\x01", 3);
    n += 3;

    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 1 && test_sink_is(nals, lens, 3));

    /* H.265: VPS SPS PPS IDR in one packet */

    nals[0] = vps5; lens[0] = sizeof(vps5);
    nals[1] = sps5; lens[1] = sizeof(sps5);
    nals[2] = pps5; lens[2] = sizeof(pps5);
    nals[3] = idr5; lens[3] = sizeof(idr5);
    sc[0] = 4; sc[1] = 4; sc[2] = 3; sc[3] = 3;

    test_init(&d, &ngx_rtc_h265_codec, sizeof(test_buf));

    n = test_annexb(pkt, nals, lens, 4, sc);
    NGX_RTC_CHECK(ngx_rtc_h265_depacketize(&d, pkt, n, 1, 3000, 1)
                  == NGX_OK);

    printf("H.265 Annex-B single NAL packet (VPS SPS PPS IDR): "
           "%lu keyframes\n", (unsigned long) sink.keys);

    NGX_RTC_CHECK(sink.n == 1 && sink.keys == 1
                  && test_sink_is(nals, lens, 4));

    /* a NAL unit ends at 00 00 00: then only 00 00 01 may come */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    ngx_memcpy(pkt, "\x00\x00\x00\x01\x65\x88\x00\x00\x00\x02\x41", 11);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 11, 1, 3000, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(sink.n == 0 && d.rejected == 1);

    /* a forbidden_zero_bit after a start code: the AU is dropped */

    ngx_memcpy(pkt, "\x00\x00\x01\xe5\x88\x84", 6);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 6, 2, 6000, 1)
                  == NGX_DECLINED);

    /* an AU bigger than the buffer: dropped, not written past it */

    test_init(&d, &ngx_rtc_h264_codec, 40);

    nals[0] = sps; lens[0] = sizeof(sps);
    nals[1] = pps; lens[1] = sizeof(pps);
    nals[2] = idr; lens[2] = sizeof(idr);
    sc[0] = 4; sc[1] = 4; sc[2] = 4;

    n = test_annexb(pkt, nals, lens, 3, sc);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, n, 1, 3000, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(sink.n == 0 && d.dropped == 1);

    /* what it never takes for Annex-B: "00 00" then anything but 00, 01 */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    ngx_memcpy(pkt, "\x00\x00\x03\x01", 4);
    NGX_RTC_CHECK(ngx_rtc_h264_depacketize(&d, pkt, 4, 1, 3000, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(d.rejected == 1 && !d.broken);
}


/*
 * The stubs print log lines to stderr with NGX_RTC_UNIT_LOG set: they
 * are caught in a file for the checks.
 */

static FILE  *test_log_file;
static int    test_stderr = -1;


static void
test_log_start(void)
{
    fflush(stderr);

    test_log_file = tmpfile();
    test_stderr = dup(2);
    (void) dup2(fileno(test_log_file), 2);

    setenv("NGX_RTC_UNIT_LOG", "1", 1);
}


static size_t
test_log_end(char *buf, size_t size)
{
    size_t  n;

    fflush(stderr);
    (void) dup2(test_stderr, 2);
    close(test_stderr);

    unsetenv("NGX_RTC_UNIT_LOG");

    rewind(test_log_file);
    n = fread(buf, 1, size - 1, test_log_file);
    buf[n] = '\0';
    fclose(test_log_file);

    return n;
}


static ngx_uint_t
test_count(char *s, char *what)
{
    ngx_uint_t  n;

    for (n = 0; (s = strstr(s, what)) != NULL; s++) {
        n++;
    }

    return n;
}


static void
test_log_rate(void)
{
    u_char                 pkt[64];
    char                   text[8192];
    uint32_t               ts;
    uint16_t               seq;
    ngx_uint_t             i;
    ngx_rtc_nal_depack_t   d;

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));

    test_log.log_level = NGX_LOG_DEBUG;
    d.log = &test_log;

    /* a STAP-A with a bad size in every frame, 10 frames a second */

    ngx_memcpy(pkt, "\x78\x00\x20\x65\x88\x84\x00\x33", 8);

    test_log_start();

    seq = 1;
    ts = 0;

    for (i = 0; i < 10 * 130; i++) {
        (void) ngx_rtc_h264_depacketize(&d, pkt, 8, seq++, ts, 0);
        (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), seq++, ts,
                                        1);
        ts += 9000;
        ngx_current_msec += 100;
    }

    /* undefined NAL unit types, of two kinds: each logged on its own */

    pkt[0] = 0x1e;
    (void) ngx_rtc_h264_depacketize(&d, pkt, 3, seq++, ts, 0);
    (void) ngx_rtc_h264_depacketize(&d, pkt, 3, seq++, ts, 0);

    pkt[0] = 0x79;
    (void) ngx_rtc_h264_depacketize(&d, pkt, 3, seq++, ts, 1);

    test_log_end(text, sizeof(text));

    printf("log of 130 s of bad STAP-A, 2 undefined types, a STAP-B:\n%s",
           text);

    /* the first, then after 60 s and 120 s, with the count since */

    NGX_RTC_CHECK(test_count(text, "STAP-A with a bad NAL unit size") == 3);
    NGX_RTC_CHECK(test_count(text, "times since") == 2);
    NGX_RTC_CHECK(test_count(text, "(600 times since") == 2);
    NGX_RTC_CHECK(test_count(text, "rtc h264: ") == 5);
    NGX_RTC_CHECK(test_count(text, "undefined NAL unit type 30") == 1);
    NGX_RTC_CHECK(test_count(text, "type 25 (interleaved mode") == 1);
    NGX_RTC_CHECK(d.rejected == 1300 + 3);

    /* timestamps that jump around do not make the clock go */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));
    d.log = &test_log;

    pkt[0] = 0x1f;

    test_log_start();

    for (i = 0; i < 1000; i++) {
        (void) ngx_rtc_h264_depacketize(&d, pkt, 3, i, i * 2654435761u, 1);
    }

    test_log_end(text, sizeof(text));

    NGX_RTC_CHECK(test_count(text, "undefined NAL unit type 31") == 1);

    /*
     * timestamps that leap a second a packet make a minute of media time
     * in 60 packets: within nginx (a log set) the wall clock's minute
     * counts too
     */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));
    d.log = &test_log;

    test_log_start();

    for (i = 0; i < 6000; i++) {
        (void) ngx_rtc_h264_depacketize(&d, pkt, 3, i, i * 90000, 1);
    }

    ngx_current_msec += 60000;
    (void) ngx_rtc_h264_depacketize(&d, pkt, 3, i, i * 90000, 1);

    test_log_end(text, sizeof(text));

    NGX_RTC_CHECK(test_count(text, "undefined NAL unit type 31") == 2);
    NGX_RTC_CHECK(test_count(text, "(6000 times since") == 1);

    /* a keyframe without parameter sets, none known: logged as such */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));
    d.log = &test_log;

    test_log_start();
    (void) ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 1, 3000, 1);
    test_log_end(text, sizeof(text));

    printf("%s", text);

    NGX_RTC_CHECK(test_count(text, "a keyframe without SPS") == 1);

    /* the quirks taken are not errors: nothing logged */

    test_init(&d, &ngx_rtc_h265_codec, sizeof(test_buf));
    d.log = &test_log;

    test_log_start();
    (void) ngx_rtc_h265_depacketize(&d, pkt, 0, 1, 3000, 1);
    test_log_end(text, sizeof(text));

    NGX_RTC_CHECK(text[0] == '\0');

    /* packets lost: once, as the access units after it are dropped */

    test_init(&d, &ngx_rtc_h264_codec, sizeof(test_buf));
    d.log = &test_log;

    test_log_start();
    (void) ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 1, 3000, 0);
    (void) ngx_rtc_h264_depacketize(&d, idr, sizeof(idr), 4, 3000, 1);
    (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 5, 6000, 1);
    (void) ngx_rtc_h264_depacketize(&d, pslice, sizeof(pslice), 7, 9000, 1);
    test_log_end(text, sizeof(text));

    printf("%s", text);

    NGX_RTC_CHECK(test_count(text, "rtc h264: 2 RTP packets missing") == 1);
    NGX_RTC_CHECK(test_count(text, "rtc h264: ") == 1);
    NGX_RTC_CHECK(d.errors[NGX_RTC_NAL_ERR_LOSS] == 1);
}


int
main(void)
{
    test_stap_a_padding();
    test_ap_padding();
    test_empty_payload();
    test_annexb_single();
    test_log_rate();

    return NGX_RTC_UNIT_DONE();
}
