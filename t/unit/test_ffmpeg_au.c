/*
 * Copyright (C) nginx-rtc authors
 *
 * unit-deps: src/ngx_rtc_au.c
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_unit.h"
#include "ngx_rtc_frame.h"
#include "ngx_rtc_au.h"


/*
 * Real captures: a 64x64 clip made with
 *   ffmpeg -f lavfi -i testsrc=size=64x64:rate=25 -f lavfi -i sine=... \
 *          -pix_fmt yuv420p -c:v libx264 -g 50 -bf 0 -c:a aac -t 0.2 tiny.mp4
 *   ffmpeg -i tiny.mp4 -c copy -bsf:v h264_mp4toannexb tiny.ts
 *   ffmpeg -f lavfi -i testsrc=size=64x64:rate=25 -pix_fmt yuv420p \
 *          -c:v libx265 -t 0.12 tiny265.mp4
 * (FFmpeg 5.1, x264 164, x265 3.5) as libavformat hands them out: the
 * streams' extradata and the packets' bytes.
 */

/* tiny.mp4 video extradata: the avcC record */
static u_char  avcc[] = {
    0x01,                                   /* configurationVersion */
    0x64, 0x00, 0x0a,                       /* High, constraints, level 1 */
    0xff,                                   /* lengthSizeMinusOne 3 */
    0xe1,                                   /* 1 SPS */
    0x00, 0x18,                             /* 24 bytes */
    0x67, 0x64, 0x00, 0x0a, 0xac, 0xb2, 0x08, 0x4d, 0x80, 0x88, 0x00, 0x00,
    0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0x78, 0x91, 0x32, 0x40,
    0x01,                                   /* 1 PPS */
    0x00, 0x06,                             /* 6 bytes */
    0x68, 0xeb, 0xc3, 0xcb, 0x22, 0xc0,
    0xfd, 0xf8, 0xf8, 0x00                  /* High: chroma, bit depths */
};

#define SPS_LEN  24
#define PPS_LEN  6
#define SPS_OFF  8                          /* in avcc[] */
#define PPS_OFF  35

/*
 * tiny.mp4's first video packet (1282 bytes): x264's SEI (623 bytes) and
 * the IDR slice (651 bytes), here cut to their first 12 bytes with the
 * lengths changed to match.
 */
static u_char  avcc_key[] = {
    0x00, 0x00, 0x00, 0x0c,
    0x06, 0x05, 0xff, 0xff, 0x6b, 0xdc,     /* SEI, user data unregistered */
    0x45, 0xe9, 0xbd, 0xe6, 0xd9, 0x48,
    0x00, 0x00, 0x00, 0x0c,
    0x65, 0x88, 0x84, 0x1d, 0xff, 0xbc,     /* IDR slice (type 5) */
    0x35, 0xc5, 0x78, 0x61, 0xff, 0xe1
};

/* tiny.mp4's second video packet, whole: one P slice (type 1) */
static u_char  avcc_p[] = {
    0x00, 0x00, 0x00, 0x12,
    0x41, 0x9a, 0x3b, 0x10, 0x87, 0x10, 0xd0, 0x0d, 0xbe, 0x3b, 0xfa, 0xb0,
    0xb9, 0x3d, 0xcd, 0x85, 0xee, 0x40
};

/* tiny.ts video extradata: Annex-B SPS and PPS */
static u_char  annexb_config[] = {
    0x00, 0x00, 0x01,
    0x67, 0x64, 0x00, 0x0a, 0xac, 0xb2, 0x08, 0x4d, 0x80, 0x88, 0x00, 0x00,
    0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0x78, 0x91, 0x32, 0x40,
    0x00, 0x00, 0x00, 0x01,
    0x68, 0xeb, 0xc3, 0xcb, 0x22, 0xc0
};

/*
 * tiny.ts's first video packet, cut: AUD, SEI (cut to 6 bytes), SPS, PPS
 * with 4-byte start codes, the IDR slice (cut to 6 bytes) after a 3-byte
 * one.
 */
static u_char  annexb_key[] = {
    0x00, 0x00, 0x00, 0x01, 0x09, 0xf0,     /* AUD */
    0x00, 0x00, 0x00, 0x01,
    0x06, 0x05, 0xff, 0xff, 0x6b, 0xdc,     /* SEI */
    0x00, 0x00, 0x00, 0x01,
    0x67, 0x64, 0x00, 0x0a, 0xac, 0xb2, 0x08, 0x4d, 0x80, 0x88, 0x00, 0x00,
    0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0x78, 0x91, 0x32, 0x40,
    0x00, 0x00, 0x00, 0x01,
    0x68, 0xeb, 0xc3, 0xcb, 0x22, 0xc0,     /* PPS */
    0x00, 0x00, 0x01,
    0x65, 0x88, 0x84, 0x1d, 0xff, 0xbc      /* IDR */
};

/* the ring's form of annexb_key[]: AUD gone */
static u_char  annexb_key_ours[] = {
    0x00, 0x00, 0x00, 0x06,
    0x06, 0x05, 0xff, 0xff, 0x6b, 0xdc,
    0x00, 0x00, 0x00, 0x18,
    0x67, 0x64, 0x00, 0x0a, 0xac, 0xb2, 0x08, 0x4d, 0x80, 0x88, 0x00, 0x00,
    0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0x90, 0x78, 0x91, 0x32, 0x40,
    0x00, 0x00, 0x00, 0x06,
    0x68, 0xeb, 0xc3, 0xcb, 0x22, 0xc0,
    0x00, 0x00, 0x00, 0x06,
    0x65, 0x88, 0x84, 0x1d, 0xff, 0xbc
};

/* tiny.ts's second video packet, whole: AUD, then the P slice */
static u_char  annexb_p[] = {
    0x00, 0x00, 0x00, 0x01, 0x09, 0xf0,
    0x00, 0x00, 0x00, 0x01,
    0x41, 0x9a, 0x3b, 0x10, 0x87, 0x10, 0xd0, 0x0d, 0xbe, 0x3b, 0xfa, 0xb0,
    0xb9, 0x3d, 0xcd, 0x85, 0xee, 0x40
};

/* tiny265.mp4 video extradata: the hvcC record */
static u_char  hvcc[] = {
    0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x1e, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00,
    0x0f,                                   /* lengthSizeMinusOne 3 */
    0x03,                                   /* 3 arrays */
    0x20, 0x00, 0x01, 0x00, 0x18,           /* VPS (32): 1 NAL, 24 bytes */
    0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
    0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x1e, 0x95, 0x98, 0x09,
    0x21, 0x00, 0x01, 0x00, 0x28,           /* SPS (33): 1 NAL, 40 bytes */
    0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x03, 0x00, 0x1e, 0xa0, 0x20, 0x81, 0x05, 0x96, 0x56,
    0x69, 0x24, 0xca, 0xf0, 0x16, 0x80, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80,
    0x00, 0x00, 0x0c, 0x84,
    0x22, 0x00, 0x01, 0x00, 0x07,           /* PPS (34): 1 NAL, 7 bytes */
    0x44, 0x01, 0xc1, 0x72, 0xb4, 0x22, 0x40
};

/* tiny265.mp4's first packet, cut to 8 bytes: IDR_N_LP (type 20) */
static u_char  hvcc_key[] = {
    0x00, 0x00, 0x00, 0x08,
    0x28, 0x01, 0xaf, 0x1d, 0x80, 0xc2, 0xf9, 0xab
};

/*
 * tiny.ts's first AAC packet starts with this ADTS header: MPEG-4, no
 * CRC, AAC LC, 48 kHz (index 3), 1 channel, 219 bytes.
 */
static u_char  adts[] = { 0xff, 0xf1, 0x4c, 0x40, 0x1b, 0x7f, 0xfc };


static void
test_avcc(void)
{
    u_char        out[256];
    size_t        len;
    ngx_rtc_au_t  au;

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, avcc,
                                  sizeof(avcc)) == NGX_OK);
    NGX_RTC_CHECK(au.nal_length == 4);
    NGX_RTC_CHECK(au.params_len == 4 + SPS_LEN + 4 + PPS_LEN);
    NGX_RTC_CHECK(au.params[3] == SPS_LEN);
    NGX_RTC_CHECK(ngx_memcmp(au.params + 4, avcc + SPS_OFF, SPS_LEN) == 0);
    NGX_RTC_CHECK(au.params[4 + SPS_LEN + 3] == PPS_LEN);
    NGX_RTC_CHECK(ngx_memcmp(au.params + 8 + SPS_LEN, avcc + PPS_OFF,
                             PPS_LEN) == 0);

    /* a keyframe gets SPS and PPS in front, the NAL units follow as is */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, avcc_key,
                                     avcc_key + sizeof(avcc_key), 1,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == au.params_len + sizeof(avcc_key));
    NGX_RTC_CHECK(ngx_memcmp(out, au.params, au.params_len) == 0);
    NGX_RTC_CHECK(ngx_memcmp(out + au.params_len, avcc_key,
                             sizeof(avcc_key)) == 0);
    NGX_RTC_CHECK(len <= ngx_rtc_au_bound(&au, sizeof(avcc_key)));

    /* not a keyframe: unchanged */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, avcc_p, avcc_p + sizeof(avcc_p),
                                     0, out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == sizeof(avcc_p));
    NGX_RTC_CHECK(ngx_memcmp(out, avcc_p, len) == 0);

    /* output too small */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, avcc_key,
                                     avcc_key + sizeof(avcc_key), 1,
                                     out, au.params_len + 10, &len)
                  == NGX_ERROR);

    /* a NAL length past the end */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, avcc_p,
                                     avcc_p + sizeof(avcc_p) - 1, 0,
                                     out, sizeof(out), &len) == NGX_ERROR);

    /* a truncated length field */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, avcc_p, avcc_p + 3, 0,
                                     out, sizeof(out), &len) == NGX_ERROR);
}


static void
test_avcc_short_lengths(void)
{
    u_char        cfg[sizeof(avcc)], in[64], out[128];
    size_t        len;
    ngx_uint_t    i;
    ngx_rtc_au_t  au;

    /*
     * The same record with lengthSizeMinusOne 1 and 0: the P slice behind
     * 2-byte, then 1-byte lengths (there after a zero-length NAL unit,
     * skipped).
     */

    for (i = 0; i < 2; i++) {
        ngx_memcpy(cfg, avcc, sizeof(avcc));
        cfg[4] = i ? 0xfc : 0xfd;

        NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, cfg,
                                      sizeof(cfg)) == NGX_OK);
        NGX_RTC_CHECK(au.nal_length == 2 - i);

        in[0] = 0x00;
        in[1] = 0x12;
        ngx_memcpy(in + 2, avcc_p + 4, 0x12);

        NGX_RTC_CHECK(ngx_rtc_au_convert(&au, in, in + 2 + 0x12, 0,
                                         out, sizeof(out), &len) == NGX_OK);
        NGX_RTC_CHECK(len == sizeof(avcc_p));
        NGX_RTC_CHECK(ngx_memcmp(out, avcc_p, len) == 0);
        NGX_RTC_CHECK(len <= ngx_rtc_au_bound(&au, 2 + 0x12));
    }

    /* lengthSizeMinusOne 2 is not allowed */

    cfg[4] = 0xfe;
    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, cfg, sizeof(cfg))
                  == NGX_ERROR);

    /* truncated records */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, avcc, 6)
                  == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, avcc, 30)
                  == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, avcc, PPS_OFF)
                  == NGX_ERROR);

    /* no extradata at all: Annex-B input */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, NULL, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(au.nal_length == 0 && au.params_len == 0);

    /* neither a record nor start codes */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, avcc + 8, 24)
                  == NGX_ERROR);
}


static void
test_annexb(void)
{
    u_char        out[256];
    size_t        len, plen;
    ngx_rtc_au_t  au;

    /* extradata in Annex-B form: remembered as parameter sets */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, annexb_config,
                                  sizeof(annexb_config)) == NGX_OK);
    NGX_RTC_CHECK(au.nal_length == 0);
    NGX_RTC_CHECK(au.params_len == 4 + SPS_LEN + 4 + PPS_LEN);
    NGX_RTC_CHECK(ngx_memcmp(au.params + 4, avcc + SPS_OFF, SPS_LEN) == 0);

    /* in-band SPS/PPS: no second copy in front; AUD dropped */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, annexb_key,
                                     annexb_key + sizeof(annexb_key), 1,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == sizeof(annexb_key_ours));
    NGX_RTC_CHECK(ngx_memcmp(out, annexb_key_ours, len) == 0);
    NGX_RTC_CHECK(len <= ngx_rtc_au_bound(&au, sizeof(annexb_key)));

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, annexb_p,
                                     annexb_p + sizeof(annexb_p), 0,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == sizeof(avcc_p));
    NGX_RTC_CHECK(ngx_memcmp(out, avcc_p, len) == 0);

    /* in-band parameter sets are learnt without extradata */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, NULL, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, annexb_key,
                                     annexb_key + sizeof(annexb_key), 1,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(au.params_len == 4 + SPS_LEN + 4 + PPS_LEN);
    plen = au.params_len;

    /* a keyframe without them: from the IDR slice on, SPS/PPS in front */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, annexb_key + 54,
                                     annexb_key + sizeof(annexb_key), 1,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == plen + 4 + 6);
    NGX_RTC_CHECK(ngx_memcmp(out, annexb_key_ours + 10, plen) == 0);
    NGX_RTC_CHECK(ngx_memcmp(out + plen, annexb_key_ours + 10 + plen, 10)
                  == 0);

    /* only an AUD: nothing */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, annexb_p, annexb_p + 6, 0,
                                     out, sizeof(out), &len) == NGX_DECLINED);

    /* no start code at all: nothing */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, avcc_p + 4, avcc_p + 8, 0,
                                     out, sizeof(out), &len) == NGX_DECLINED);
}


static void
test_annexb_zeros(void)
{
    u_char        out[64];
    size_t        len;
    ngx_rtc_au_t  au;

    /*
     * trailing_zero_8bits after a NAL unit, an empty NAL unit between two
     * start codes, garbage before the first start code
     */

    static u_char  in[] = {
        0xaa, 0xbb,
        0x00, 0x00, 0x01, 0x41, 0x9a, 0x3b, 0x00, 0x00,
        0x00, 0x00, 0x01,
        0x00, 0x00, 0x01, 0x41, 0x9a, 0x4f, 0x00
    };

    static u_char  ours[] = {
        0x00, 0x00, 0x00, 0x03, 0x41, 0x9a, 0x3b,
        0x00, 0x00, 0x00, 0x03, 0x41, 0x9a, 0x4f
    };

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H264, NULL, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, in, in + sizeof(in), 0,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == sizeof(ours));
    NGX_RTC_CHECK(ngx_memcmp(out, ours, len) == 0);
}


static void
test_hvcc(void)
{
    u_char        out[256];
    size_t        len;
    ngx_rtc_au_t  au;

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H265, hvcc,
                                  sizeof(hvcc)) == NGX_OK);
    NGX_RTC_CHECK(au.nal_length == 4);
    NGX_RTC_CHECK(au.params_len == 4 + 24 + 4 + 40 + 4 + 7);
    NGX_RTC_CHECK(au.params[4] == 0x40);             /* VPS */
    NGX_RTC_CHECK(au.params[4 + 24 + 4] == 0x42);    /* SPS */
    NGX_RTC_CHECK(au.params[4 + 24 + 4 + 40 + 4] == 0x44);  /* PPS */

    NGX_RTC_CHECK(ngx_rtc_au_convert(&au, hvcc_key,
                                     hvcc_key + sizeof(hvcc_key), 1,
                                     out, sizeof(out), &len) == NGX_OK);
    NGX_RTC_CHECK(len == au.params_len + sizeof(hvcc_key));
    NGX_RTC_CHECK(ngx_memcmp(out + au.params_len, hvcc_key,
                             sizeof(hvcc_key)) == 0);

    /* truncated inside the SPS array */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H265, hvcc, 60)
                  == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_H265, hvcc, 22)
                  == NGX_ERROR);

    /* an unknown codec */

    NGX_RTC_CHECK(ngx_rtc_au_init(&au, NGX_RTC_CODEC_AAC, hvcc, sizeof(hvcc))
                  == NGX_ERROR);
}


static void
test_to_annexb(void)
{
    u_char  buf[sizeof(annexb_key_ours)];

    ngx_memcpy(buf, annexb_key_ours, sizeof(buf));

    NGX_RTC_CHECK(ngx_rtc_au_to_annexb(buf, sizeof(buf)) == NGX_OK);
    NGX_RTC_CHECK(ngx_memcmp(buf, annexb_key + 6, 4) == 0);
    NGX_RTC_CHECK(buf[10 + 3] == 1 && buf[10 + 4] == 0x67);
    NGX_RTC_CHECK(ngx_memcmp(buf + sizeof(buf) - 10, "\0\0\0\1", 4) == 0);

    /* a length past the end, a zero length */

    ngx_memcpy(buf, annexb_key_ours, sizeof(buf));
    NGX_RTC_CHECK(ngx_rtc_au_to_annexb(buf, sizeof(buf) - 1) == NGX_ERROR);

    ngx_memzero(buf, 8);
    NGX_RTC_CHECK(ngx_rtc_au_to_annexb(buf, sizeof(buf)) == NGX_ERROR);
}


static void
test_adts(void)
{
    u_char  frame[219], config[2];
    size_t  header, len;

    ngx_memzero(frame, sizeof(frame));
    ngx_memcpy(frame, adts, sizeof(adts));

    NGX_RTC_CHECK(ngx_rtc_au_adts(frame, frame + sizeof(frame), &header,
                                  &len, config) == NGX_OK);
    NGX_RTC_CHECK(header == 7);
    NGX_RTC_CHECK(len == 219);

    /* the same AudioSpecificConfig as tiny.mp4's (11 88, then SBR info) */

    NGX_RTC_CHECK(config[0] == 0x11 && config[1] == 0x88);

    /* cut short: frame length past the end */

    NGX_RTC_CHECK(ngx_rtc_au_adts(frame, frame + 100, &header, &len,
                                  config) == NGX_ERROR);

    /* with CRC: a 9-byte header */

    frame[1] = 0xf0;
    NGX_RTC_CHECK(ngx_rtc_au_adts(frame, frame + sizeof(frame), &header,
                                  &len, config) == NGX_OK);
    NGX_RTC_CHECK(header == 9);

    /* reserved sampling frequency index 13 */

    frame[2] = 0x74;
    NGX_RTC_CHECK(ngx_rtc_au_adts(frame, frame + sizeof(frame), &header,
                                  &len, config) == NGX_ERROR);

    /* a raw AAC frame (tiny.mp4's first): no ADTS */

    NGX_RTC_CHECK(ngx_rtc_au_adts((u_char *) "\xde\x02\x00\x4c\x61\x76\x63",
                                  (u_char *) "\xde\x02\x00\x4c\x61\x76\x63"
                                  + 7, &header, &len, config)
                  == NGX_DECLINED);
}


int
main(void)
{
    test_avcc();
    test_avcc_short_lengths();
    test_annexb();
    test_annexb_zeros();
    test_hvcc();
    test_to_annexb();
    test_adts();

    return NGX_RTC_UNIT_DONE();
}
