/*
 * Copyright (C) nginx-rtc authors
 *
 * unit-deps: src/ngx_rtc_rtp.c
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_unit.h"
#include "ngx_rtc_rtp.h"


/*
 * RFC 3550 5.1 header with everything optional present:
 *   V=2 P=1 X=1 CC=2, M=1 PT=96, seq 0x1234, ts 90000, SSRC 0xdeadbeef,
 *   two CSRCs, an RFC 8285 one-byte extension (0xBEDE, 1 word: ID 1, L 0,
 *   data 0xaa, two bytes of padding), 3 payload bytes, 3 bytes of padding.
 */
static u_char  rtp_full[] = {
    0xb2, 0xe0, 0x12, 0x34,
    0x00, 0x01, 0x5f, 0x90,
    0xde, 0xad, 0xbe, 0xef,
    0x11, 0x11, 0x11, 0x11,
    0x22, 0x22, 0x22, 0x22,
    0xbe, 0xde, 0x00, 0x01,
    0x10, 0xaa, 0x00, 0x00,
    0x65, 0x88, 0x84,
    0x00, 0x00, 0x03
};


static void
test_rtp_parse(void)
{
    u_char             buf[64];
    ngx_rtc_rtp_hdr_t  h;

    NGX_RTC_CHECK(ngx_rtc_rtp_parse(rtp_full, sizeof(rtp_full), &h)
                  == NGX_OK);
    NGX_RTC_CHECK(h.version == 2 && h.padding == 1 && h.extension == 1);
    NGX_RTC_CHECK(h.csrc_count == 2 && h.marker == 1 && h.pt == 96);
    NGX_RTC_CHECK(h.seq == 0x1234 && h.ts == 90000 && h.ssrc == 0xdeadbeef);
    NGX_RTC_CHECK(h.ext_profile == 0xbede && h.ext == rtp_full + 24
                  && h.ext_len == 4);
    NGX_RTC_CHECK(h.payload == rtp_full + 28 && h.payload_len == 3);
    NGX_RTC_CHECK(h.padding_len == 3);

    /* padding that eats the whole payload is allowed */
    ngx_memcpy(buf, rtp_full, sizeof(rtp_full));
    buf[sizeof(rtp_full) - 1] = 6;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_OK);
    NGX_RTC_CHECK(h.payload_len == 0);

    /* ... not more: 7 would reach into the extension */
    buf[sizeof(rtp_full) - 1] = 7;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);

    /* a padding count of 0 */
    buf[sizeof(rtp_full) - 1] = 0;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);

    /* the extension longer than the packet */
    ngx_memcpy(buf, rtp_full, sizeof(rtp_full));
    buf[23] = 4;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);

    /* the extension header cut */
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(rtp_full, 22, &h) == NGX_ERROR);

    /* CSRCs beyond the end: CC=15 */
    buf[0] = 0x8f;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);

    /* versions 0, 1, 3 */
    buf[0] = 0x00;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);
    buf[0] = 0x40;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);
    buf[0] = 0xc0;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, sizeof(rtp_full), &h) == NGX_ERROR);

    /* short headers */
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(rtp_full, 11, &h) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(rtp_full, 0, &h) == NGX_ERROR);

    /* the bare 12-byte header: empty payload; with P and nothing else */
    buf[0] = 0x80;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, 12, &h) == NGX_OK);
    NGX_RTC_CHECK(h.payload == buf + 12 && h.payload_len == 0);
    buf[0] = 0xa0;
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, 12, &h) == NGX_ERROR);
}


static void
test_rtp_write(void)
{
    u_char             buf[12];
    ngx_rtc_rtp_hdr_t  h;

    /* V=2, M=1 PT=96, seq 0xfffe, ts 0x01020304, SSRC 0xcafebabe */
    static u_char  want[] = {
        0x80, 0xe0, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04,
        0xca, 0xfe, 0xba, 0xbe
    };

    ngx_rtc_rtp_write_header(buf, 96, 1, 0xfffe, 0x01020304, 0xcafebabe);
    NGX_RTC_CHECK(ngx_memcmp(buf, want, 12) == 0);

    ngx_rtc_rtp_write_header(buf, 111, 0, 7, 0xffffffff, 1);
    NGX_RTC_CHECK(ngx_rtc_rtp_parse(buf, 12, &h) == NGX_OK);
    NGX_RTC_CHECK(h.marker == 0 && h.pt == 111 && h.seq == 7
                  && h.ts == 0xffffffff && h.ssrc == 1);
}


static void
test_demux(void)
{
    u_char  p[2];

    /* RFC 5761 4: RTCP packet types 192..223 */
    p[0] = 0x80;

    p[1] = 200;                                 /* SR */
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 1);
    p[1] = 206;                                 /* PSFB */
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 1);
    p[1] = 192;
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 1);
    p[1] = 223;
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 1);
    p[1] = 0xe0;                                /* RTP PT 96 + marker */
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 0);
    p[1] = 96;
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 0);
    p[1] = 0x80 | 63;                           /* PT 63 + marker: 191 */
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 2) == 0);
    p[1] = 200;
    NGX_RTC_CHECK(ngx_rtc_rtp_is_rtcp(p, 1) == 0);
}


static void
test_rtcp_write(void)
{
    u_char     buf[64];
    size_t     n;
    ngx_str_t  cname;

    /*
     * RFC 3550 6.4.1 SR: 0x80 (V=2, RC=0), PT 200, length 6 (words - 1),
     * SSRC, NTP msw, NTP lsw, RTP timestamp, packet count, octet count.
     */
    static u_char  sr[] = {
        0x80, 0xc8, 0x00, 0x06,
        0x12, 0x34, 0x56, 0x78,
        0xe8, 0xfe, 0x6f, 0x80,                 /* 2023-11-14T22:13:20Z */
        0x80, 0x00, 0x00, 0x00,                 /* + 0.5 s */
        0x00, 0x0f, 0x42, 0x40,
        0x00, 0x00, 0x00, 0x64,
        0x00, 0x01, 0x86, 0xa0
    };

    /*
     * RFC 3550 6.5 SDES: 0x81 (V=2, SC=1), PT 202, length 4; chunk: SSRC,
     * CNAME (1), length 6, "abcdef", then a null octet ending the item
     * list and padding to 32 bits (2 + 6 + 1 = 9, so 3 nulls).
     */
    static u_char  sdes[] = {
        0x81, 0xca, 0x00, 0x04,
        0x12, 0x34, 0x56, 0x78,
        0x01, 0x06, 'a', 'b', 'c', 'd', 'e', 'f',
        0x00, 0x00, 0x00, 0x00
    };

    ngx_memset(buf, 0xee, sizeof(buf));
    n = ngx_rtc_rtcp_write_sr(buf, 0x12345678,
                              ngx_rtc_rtcp_ntp(1700000000500000ULL),
                              1000000, 100, 100000);
    NGX_RTC_CHECK(n == 28 && n == sizeof(sr));
    NGX_RTC_CHECK(ngx_memcmp(buf, sr, sizeof(sr)) == 0);
    NGX_RTC_CHECK(buf[28] == 0xee);

    NGX_RTC_CHECK(ngx_rtc_rtcp_ntp(0) == (uint64_t) 2208988800ULL << 32);
    NGX_RTC_CHECK((uint32_t) ngx_rtc_rtcp_ntp(250000) == 0x40000000);

    ngx_str_set(&cname, "abcdef");
    ngx_memset(buf, 0xee, sizeof(buf));
    n = ngx_rtc_rtcp_write_sdes(buf, sizeof(buf), 0x12345678, &cname);
    NGX_RTC_CHECK(n == sizeof(sdes));
    NGX_RTC_CHECK(ngx_memcmp(buf, sdes, sizeof(sdes)) == 0);
    NGX_RTC_CHECK(buf[n] == 0xee);

    /* 2 + 5 + 1 = 8: one null, no more */
    ngx_str_set(&cname, "abcde");
    n = ngx_rtc_rtcp_write_sdes(buf, sizeof(buf), 0x12345678, &cname);
    NGX_RTC_CHECK(n == 16 && buf[3] == 3 && buf[9] == 5 && buf[15] == 0);

    /* 2 + 2 + 1 = 5: padded to 8 */
    ngx_str_set(&cname, "ab");
    n = ngx_rtc_rtcp_write_sdes(buf, sizeof(buf), 0x12345678, &cname);
    NGX_RTC_CHECK(n == 16);

    /* no room */
    ngx_str_set(&cname, "abcdef");
    NGX_RTC_CHECK(ngx_rtc_rtcp_write_sdes(buf, 19, 1, &cname) == 0);
    NGX_RTC_CHECK(ngx_rtc_rtcp_write_sdes(buf, 20, 1, &cname) == 20);
    cname.len = 256;
    NGX_RTC_CHECK(ngx_rtc_rtcp_write_sdes(buf, sizeof(buf), 1, &cname) == 0);

    /* PLI, RFC 4585 6.3.1: 0x81 (FMT 1), PT 206, length 2, two SSRCs */
    n = ngx_rtc_rtcp_write_pli(buf, 1, 0xdeadbeef);
    NGX_RTC_CHECK(n == 12);
    NGX_RTC_CHECK(ngx_memcmp(buf, "\x81\xce\x00\x02\x00\x00\x00\x01"
                                  "\xde\xad\xbe\xef", 12) == 0);
}


/*
 * A compound packet as a browser sends it back to a sender (RFC 3550 6.1,
 * RFC 4585 6.1): RR with one report block, PLI, generic NACK.
 */
static u_char  compound[] = {
    /* RR: V=2 RC=1, PT 201, length 7; SSRC of packet sender */
    0x81, 0xc9, 0x00, 0x07,
    0x01, 0x02, 0x03, 0x04,
    /* report block: SSRC 0xdeadbeef, fraction 64/256, cumulative 5 */
    0xde, 0xad, 0xbe, 0xef,
    0x40, 0x00, 0x00, 0x05,
    0x00, 0x01, 0x12, 0x34,                     /* ext. highest seq */
    0x00, 0x00, 0x00, 0x10,                     /* jitter */
    0x12, 0x34, 0x56, 0x78,                     /* LSR */
    0x00, 0x01, 0x00, 0x00,                     /* DLSR: 1 s */
    /* PSFB PLI: V=2 FMT 1, PT 206, length 2; sender, media source */
    0x81, 0xce, 0x00, 0x02,
    0x01, 0x02, 0x03, 0x04,
    0xde, 0xad, 0xbe, 0xef,
    /* RTPFB generic NACK: FMT 1, PT 205, length 4; sender, media */
    0x81, 0xcd, 0x00, 0x04,
    0x01, 0x02, 0x03, 0x04,
    0xde, 0xad, 0xbe, 0xef,
    0x00, 0x64, 0x00, 0x05,                     /* PID 100, BLP: 101, 103 */
    0xff, 0xff, 0x80, 0x01                      /* 65535, 0, 16 */
};


static void
test_rtcp_parse(void)
{
    u_char               buf[256], *p;
    ngx_uint_t           i;
    ngx_rtc_rtcp_info_t  info;

    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(compound, sizeof(compound), &info)
                  == NGX_OK);
    NGX_RTC_CHECK(info.nrb == 1);
    NGX_RTC_CHECK(info.sender_ssrc == 0x01020304);
    NGX_RTC_CHECK(info.rb[0].ssrc == 0xdeadbeef);
    NGX_RTC_CHECK(info.rb[0].fraction_lost == 64
                  && info.rb[0].cumulative_lost == 5);
    NGX_RTC_CHECK(info.rb[0].highest_seq == 0x11234
                  && info.rb[0].jitter == 16);
    NGX_RTC_CHECK(info.rb[0].lsr == 0x12345678
                  && info.rb[0].dlsr == 0x10000);
    NGX_RTC_CHECK(info.pli == 1 && info.pli_ssrc == 0xdeadbeef);
    NGX_RTC_CHECK(info.fir == 0 && info.has_sr == 0);
    NGX_RTC_CHECK(info.nack_ssrc == 0xdeadbeef);
    NGX_RTC_CHECK(info.nnack == 6);
    NGX_RTC_CHECK(info.nack[0] == 100 && info.nack[1] == 101
                  && info.nack[2] == 103);
    NGX_RTC_CHECK(info.nack[3] == 65535 && info.nack[4] == 0
                  && info.nack[5] == 15);

    /* the RR writer gives the same report block back */
    {
        ngx_rtc_rtcp_rb_t  rb;

        rb = info.rb[0];
        NGX_RTC_CHECK(ngx_rtc_rtcp_write_rr(buf, 0x01020304, &rb) == 32);
        NGX_RTC_CHECK(ngx_memcmp(buf, compound, 32) == 0);

        /* a negative cumulative loss (duplicates), 24-bit two's complement */
        rb.cumulative_lost = -2;
        (void) ngx_rtc_rtcp_write_rr(buf, 1, &rb);
        NGX_RTC_CHECK(ngx_memcmp(buf + 12, "\x40\xff\xff\xfe", 4) == 0);
        NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, 32, &info) == NGX_OK);
        NGX_RTC_CHECK(info.rb[0].cumulative_lost == -2);

        rb.cumulative_lost = 0x7fffffff;
        (void) ngx_rtc_rtcp_write_rr(buf, 1, &rb);
        NGX_RTC_CHECK(ngx_memcmp(buf + 12, "\x40\x7f\xff\xff", 4) == 0);

        NGX_RTC_CHECK(ngx_rtc_rtcp_write_rr(buf, 1, NULL) == 8);
        NGX_RTC_CHECK(ngx_memcmp(buf, "\x80\xc9\x00\x01\x00\x00\x00\x01", 8)
                      == 0);
        NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, 8, &info) == NGX_OK);
        NGX_RTC_CHECK(info.nrb == 0 && info.sender_ssrc == 1);
    }

    /* SR (with one report block) + SDES + FIR + BYE */
    p = buf;
    p += ngx_rtc_rtcp_write_sr(p, 0x0a0b0c0d, 0x1122334455667788ULL,
                               3000, 10, 1000);
    buf[0] = 0x81;                              /* RC=1 */
    buf[3] = 12;                                /* 28 + 24 bytes */
    ngx_memcpy(p, compound + 8, 24);
    p += 24;
    {
        ngx_str_t  cname = ngx_string("cam");

        p += ngx_rtc_rtcp_write_sdes(p, 64, 0x0a0b0c0d, &cname);
    }
    /* FIR, RFC 5104 4.3.1: FMT 4, length 4, media source 0, FCI */
    ngx_memcpy(p, "\x84\xce\x00\x04\x00\x00\x00\x01\x00\x00\x00\x00"
                  "\xde\xad\xbe\xef\x07\x00\x00\x00", 20);
    p += 20;
    ngx_memcpy(p, "\x81\xcb\x00\x01\x0a\x0b\x0c\x0d", 8);    /* BYE */
    p += 8;

    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, p - buf, &info) == NGX_OK);
    NGX_RTC_CHECK(info.has_sr && info.sr_ssrc == 0x0a0b0c0d);
    NGX_RTC_CHECK(info.sr_ntp == 0x1122334455667788ULL);
    NGX_RTC_CHECK(info.sr_rtp_ts == 3000 && info.sr_packets == 10
                  && info.sr_octets == 1000);
    NGX_RTC_CHECK(info.nrb == 1 && info.rb[0].ssrc == 0xdeadbeef);
    NGX_RTC_CHECK(info.fir == 1 && info.pli_ssrc == 0xdeadbeef);
    NGX_RTC_CHECK(info.fir_seq == 7);
    NGX_RTC_CHECK(info.bye == 1 && info.pli == 0 && info.nnack == 0);

    /* NACKs beyond 64 are counted, not kept */
    p = buf;
    ngx_memcpy(p, "\x81\xcd\x00\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
    p += 12;
    for (i = 0; i < 8; i++) {
        *p++ = 0; *p++ = (u_char) (i * 17); *p++ = 0xff; *p++ = 0xff;
    }
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, p - buf, &info) == NGX_OK);
    NGX_RTC_CHECK(info.nnack == 64 && info.nack_dropped == 8 * 17 - 64);
    NGX_RTC_CHECK(info.nack[63] == 3 * 17 + 12);

    /* SDES, APP, XR, REMB and transport-cc are skipped */
    p = buf;
    ngx_memcpy(p, "\x81\xca\x00\x01\x00\x00\x00\x01", 8);        /* SDES */
    p += 8;
    ngx_memcpy(p, "\x80\xcc\x00\x02\x00\x00\x00\x01test", 12);   /* APP */
    p += 12;
    ngx_memcpy(p, "\x80\xcf\x00\x01\x00\x00\x00\x01", 8);        /* XR */
    p += 8;
    ngx_memcpy(p, "\x8f\xce\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00", 12);
    p += 12;                                                    /* AFB */
    ngx_memcpy(p, "\x8f\xcd\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02", 12);
    p += 12;                                                    /* TWCC */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, p - buf, &info) == NGX_OK);
    NGX_RTC_CHECK(info.pli == 0 && info.fir == 0 && info.nnack == 0);

    /* padding on the last packet: RR with P, 4 bytes of padding */
    ngx_memcpy(buf, "\xa0\xc9\x00\x02\x00\x00\x00\x01\x00\x00\x00\x04", 12);
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, 12, &info) == NGX_OK);
    buf[11] = 5;
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, 12, &info) == NGX_ERROR);
    buf[11] = 0;
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, 12, &info) == NGX_ERROR);
    /* the padding taking the SSRC away */
    buf[11] = 8;
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, 12, &info) == NGX_ERROR);
}


static void
test_rtcp_malformed(void)
{
    u_char               buf[256];
    ngx_rtc_rtcp_info_t  info;

    ngx_memcpy(buf, compound, sizeof(compound));

    /* cut anywhere inside: always an error, never a read past the end */
    {
        size_t  n;

        for (n = 0; n < sizeof(compound); n++) {
            if (n == 32 || n == 44) {
                /* whole packets: RR, RR + PLI */
                NGX_RTC_CHECK(ngx_rtc_rtcp_parse(compound, n, &info)
                              == NGX_OK);
                continue;
            }

            NGX_RTC_CHECK(ngx_rtc_rtcp_parse(compound, n, &info)
                          == NGX_ERROR);
        }
    }

    /* length beyond the buffer */
    buf[3] = 8;
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, sizeof(compound), &info)
                  == NGX_ERROR);
    buf[3] = 7;

    /* version 1 in the second packet */
    buf[32] = 0x41;
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, sizeof(compound), &info)
                  == NGX_ERROR);
    buf[32] = 0x81;

    /* RC=2 with room for one block */
    buf[0] = 0x82;
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(buf, sizeof(compound), &info)
                  == NGX_ERROR);
    buf[0] = 0x81;

    /* a PLI of length 1: no media source */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse((u_char *) "\x81\xce\x00\x01"
                                     "\x00\x00\x00\x01", 8, &info)
                  == NGX_ERROR);
    /* a NACK without FCI */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse((u_char *) "\x81\xcd\x00\x02"
                                     "\x00\x00\x00\x01\x00\x00\x00\x02", 12,
                                     &info) == NGX_ERROR);
    /* a FIR without FCI */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse((u_char *) "\x84\xce\x00\x02"
                                     "\x00\x00\x00\x01\x00\x00\x00\x00", 12,
                                     &info) == NGX_ERROR);
    /* an SR cut in its sender info */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse((u_char *) "\x80\xc8\x00\x02"
                                     "\x00\x00\x00\x01\x00\x00\x00\x02", 12,
                                     &info) == NGX_ERROR);
    /* RTP is not RTCP */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(rtp_full, sizeof(rtp_full), &info)
                  == NGX_ERROR);
    /* trailing bytes after a whole packet */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(compound, 34, &info) == NGX_ERROR);
    /* empty */
    NGX_RTC_CHECK(ngx_rtc_rtcp_parse(compound, 0, &info) == NGX_ERROR);
}


static uint32_t  test_seed = 88172645u;

static uint32_t
test_rand(void)
{
    test_seed ^= test_seed << 13;
    test_seed ^= test_seed >> 17;
    test_seed ^= test_seed << 5;

    return test_seed;
}


/* random packets: parsers stay inside the buffer (ASan) and consistent */

static void
test_random(void)
{
    u_char              *p;
    size_t               len, j;
    uint32_t             r;
    ngx_uint_t           i, bad, ok;
    ngx_rtc_rtp_hdr_t    h;
    ngx_rtc_rtcp_info_t  info;

    bad = 0;
    ok = 0;

    for (i = 0; i < 100000; i++) {
        r = test_rand();
        len = (r & 1) ? test_rand() % 1500 : test_rand() % 80;

        /* exactly len bytes on the heap, so ASan sees any overread */
        p = malloc(len ? len : 1);
        if (p == NULL) {
            break;
        }

        for (j = 0; j < len; j++) {
            p[j] = (u_char) test_rand();
        }

        if (len && (r & 6)) {
            p[0] = (p[0] & 0x3f) | 0x80;
        }

        if (len > 3 && (r & 8)) {
            /* a plausible RTCP length */
            p[2] = 0;
            p[3] = (u_char) ((len / 4 - 1) & 0xff);
            p[1] = 200 + (r >> 8) % 8;
        }

        if (ngx_rtc_rtp_parse(p, len, &h) == NGX_OK) {
            ok++;

            if (h.payload < p || h.payload + h.payload_len > p + len
                || (h.ext && h.ext + h.ext_len > h.payload))
            {
                bad++;
            }
        }

        if (ngx_rtc_rtcp_parse(p, len, &info) == NGX_OK) {
            ok++;

            if (info.nnack > NGX_RTC_RTCP_NACK_MAX
                || info.nrb > NGX_RTC_RTCP_RB_MAX)
            {
                bad++;
            }
        }

        free(p);
    }

    NGX_RTC_CHECK(bad == 0);
    NGX_RTC_CHECK(ok > 1000);
}


int
main(void)
{
    test_rtp_parse();
    test_rtp_write();
    test_demux();
    test_rtcp_write();
    test_rtcp_parse();
    test_rtcp_malformed();
    test_random();

    return NGX_RTC_UNIT_DONE();
}
