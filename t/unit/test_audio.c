/*
 * Copyright (C) nginx-rtc authors
 *
 * Audio depacketizers (RFC 3640 AAC, RFC 3551 PCMA, RFC 7587 Opus).  The
 * vectors are real, from GStreamer 1.22: "audiotestsrc wave=sine
 * samplesperbuffer=1024 ! audio/x-raw,rate=16000,channels=1 ! avenc_aac
 * bitrate=8000 ! tee", one branch the encoder's raw AUs (aac_au_*), the
 * other "rtpmp4gpay pt=97" whole RTP packets: with mtu=1400 one AU per
 * packet (aac_pkt_0), with mtu=60 AU 0 (116 bytes) in three fragments
 * (aac_frag_*).  The payloader's caps: clock-rate 16000, mode=AAC-hbr,
 * config=140856e500, sizelength=13, indexlength=3, indexdeltalength=3.
 * Opus: "audiotestsrc ! rate=48000,channels=2 ! opusenc bitrate=16000 !
 * rtpopuspay pt=111"; PCMA: "audiotestsrc samplesperbuffer=160 !
 * rate=8000,channels=1 ! alawenc ! rtppcmapay pt=8".
 */

/* unit-deps: src/ngx_rtc_audio.c src/ngx_rtc_sdp.c src/ngx_rtc_rtp.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_frame.h"
#include "ngx_rtc_rtp.h"
#include "ngx_rtc_audio.h"


static u_char  aac_au_0[] = {
    0xde, 0x02, 0x00, 0x4c, 0x61, 0x76, 0x63, 0x35, 0x39, 0x2e, 0x33, 0x37,
    0x2e, 0x31, 0x30, 0x30, 0x00, 0x02, 0xb0, 0x9e, 0x23, 0xc9, 0xe5, 0x56,
    0x6f, 0xf4, 0xdf, 0xeb, 0xed, 0xad, 0x4b, 0x89, 0x24, 0x5a, 0x49, 0x12,
    0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x92, 0xa1, 0x21, 0x21,
    0x2f, 0x51, 0xb7, 0xae, 0xe3, 0x89, 0x12, 0x24, 0x0c, 0x0c, 0x38, 0x70,
    0xe2, 0x44, 0x89, 0x12, 0x06, 0x1c, 0x3a, 0x79, 0xe7, 0x9e, 0x79, 0xe7,
    0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7,
    0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7,
    0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7,
    0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x7e,
};
static u_char  aac_pkt_0[] = {
    0x80, 0xe1, 0x3b, 0x7e, 0xee, 0x0f, 0x0f, 0x1e, 0xf8, 0x80, 0xb3, 0x46,
    0x00, 0x10, 0x03, 0xa0, 0xde, 0x02, 0x00, 0x4c, 0x61, 0x76, 0x63, 0x35,
    0x39, 0x2e, 0x33, 0x37, 0x2e, 0x31, 0x30, 0x30, 0x00, 0x02, 0xb0, 0x9e,
    0x23, 0xc9, 0xe5, 0x56, 0x6f, 0xf4, 0xdf, 0xeb, 0xed, 0xad, 0x4b, 0x89,
    0x24, 0x5a, 0x49, 0x12, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
    0x92, 0xa1, 0x21, 0x21, 0x2f, 0x51, 0xb7, 0xae, 0xe3, 0x89, 0x12, 0x24,
    0x0c, 0x0c, 0x38, 0x70, 0xe2, 0x44, 0x89, 0x12, 0x06, 0x1c, 0x3a, 0x79,
    0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79,
    0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79,
    0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79,
    0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x7e,
};
static u_char  aac_au_2[] = {
    0x01, 0x2e, 0x95, 0xb5, 0x3b, 0x1e, 0xc3, 0xb7, 0xff, 0xdd, 0xff, 0xbf,
    0xf8, 0xf3, 0xc6, 0xb5, 0x35, 0xff, 0xf5, 0xbf, 0xaf, 0xd7, 0xb6, 0xae,
    0x49, 0x00, 0x48, 0x30, 0x4c, 0x11, 0xc0, 0xb5, 0x2d, 0x6a, 0x59, 0xc9,
    0x66, 0x38, 0x6e, 0x60, 0x90, 0x63, 0x81, 0x20, 0xc1, 0x21, 0x27, 0x01,
    0x8d, 0x84, 0xcc, 0x12, 0x12, 0x0c, 0x0c, 0x12, 0x73, 0x3d, 0x15, 0x21,
    0x80, 0xfe, 0x07, 0xf0, 0x3f, 0x81, 0xfc, 0x0f, 0xe0, 0x3f, 0x87, 0xf0,
    0x0f, 0xe1, 0xfc, 0x0e,
};
static u_char  aac_frag_0[] = {
    0x80, 0x61, 0x00, 0xbe, 0xbe, 0xa3, 0xeb, 0xc3, 0xc8, 0xa0, 0x02, 0x66,
    0x00, 0x10, 0x03, 0xa0, 0xde, 0x02, 0x00, 0x4c, 0x61, 0x76, 0x63, 0x35,
    0x39, 0x2e, 0x33, 0x37, 0x2e, 0x31, 0x30, 0x30, 0x00, 0x02, 0xb0, 0x9e,
    0x23, 0xc9, 0xe5, 0x56, 0x6f, 0xf4, 0xdf, 0xeb, 0xed, 0xad, 0x4b, 0x89,
    0x24, 0x5a, 0x49, 0x12, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
};
static u_char  aac_frag_1[] = {
    0x80, 0x61, 0x00, 0xbf, 0xbe, 0xa3, 0xeb, 0xc3, 0xc8, 0xa0, 0x02, 0x66,
    0x00, 0x10, 0x03, 0xa0, 0x92, 0xa1, 0x21, 0x21, 0x2f, 0x51, 0xb7, 0xae,
    0xe3, 0x89, 0x12, 0x24, 0x0c, 0x0c, 0x38, 0x70, 0xe2, 0x44, 0x89, 0x12,
    0x06, 0x1c, 0x3a, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e,
    0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e,
};
static u_char  aac_frag_2[] = {
    0x80, 0xe1, 0x00, 0xc0, 0xbe, 0xa3, 0xeb, 0xc3, 0xc8, 0xa0, 0x02, 0x66,
    0x00, 0x10, 0x03, 0xa0, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7,
    0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7,
    0x9e, 0x79, 0xe7, 0x9e, 0x79, 0xe7, 0x9e, 0x7e,
};
static u_char  opus_pkt[] = {
    0x80, 0x6f, 0x75, 0x3c, 0xc9, 0x86, 0x0a, 0x26, 0x14, 0x83, 0xba, 0x0c,
    0x78, 0xb4, 0xaf, 0x2e, 0x69, 0xb0, 0x0a, 0xeb, 0xe4, 0x03, 0x69, 0x8b,
    0xcc, 0x5e, 0x7e, 0xe1, 0x64, 0x56, 0xf6, 0x89, 0x3c, 0xb9, 0x16, 0xf0,
    0xb3, 0x27, 0xb9, 0xe1, 0x47, 0xa5, 0x27, 0x52, 0x9f, 0xf2, 0x7a, 0x4f,
    0xd2, 0xe6, 0x6f, 0x23, 0x58, 0x9a, 0xe0, 0x34, 0x96,
};
static u_char  pcma_pkt[] = {
    0x80, 0x88, 0x64, 0x4d, 0xee, 0xd2, 0xc6, 0x96, 0xe5, 0x0b, 0x55, 0x13,
    0xb4, 0xa5, 0xa3, 0xac, 0xac, 0xa3, 0xa5, 0xb7, 0xfc, 0x0a, 0x3a, 0x20,
    0x2d, 0x2c, 0x23, 0x24, 0x31, 0x6c, 0x89, 0xbb, 0xa0, 0xad, 0xac, 0xa2,
    0xa7, 0xb0, 0x96, 0x0c, 0x39, 0x21, 0x2d, 0x2c, 0x22, 0x27, 0x32, 0x1c,
    0x83, 0xbe, 0xa1, 0xad, 0xac, 0xa2, 0xa6, 0xbd, 0x85, 0x06, 0x3f, 0x26,
    0x2d, 0x2c, 0x2d, 0x26, 0x3f, 0x06, 0x85, 0xbd, 0xa6, 0xa2, 0xac, 0xad,
    0xa1, 0xbe, 0x83, 0x1c, 0x32, 0x27, 0x22, 0x2c, 0x2d, 0x21, 0x39, 0x0c,
    0x96, 0xb0, 0xa7, 0xa2, 0xac, 0xad, 0xa0, 0xbb, 0x89, 0x6c, 0x31, 0x24,
    0x23, 0x2c, 0x2d, 0x20, 0x3a, 0x0a, 0xfc, 0xb7, 0xa5, 0xa3, 0xac, 0xac,
    0xa3, 0xa5, 0xb4, 0xd5, 0x34, 0x25, 0x23, 0x2c, 0x2c, 0x23, 0x25, 0x37,
    0x7c, 0x8a, 0xba, 0xa0, 0xad, 0xac, 0xa3, 0xa4, 0xb1, 0xec, 0x09, 0x3b,
    0x20, 0x2d, 0x2c, 0x22, 0x27, 0x30, 0x16, 0x8c, 0xb9, 0xa1, 0xad, 0xac,
    0xa2, 0xa7, 0xb2, 0x9c, 0x03, 0x3e, 0x21, 0x2d, 0x2c, 0x22, 0x26, 0x3d,
    0x05, 0x86, 0xbf, 0xa6, 0xad, 0xac, 0xad, 0xa6, 0xbf, 0x86, 0x05, 0x3d,
    0x26, 0x22, 0x2c, 0x2d,
};


#define MAX_OUT  8


typedef struct {
    ngx_uint_t   n;
    size_t       len[MAX_OUT];
    uint32_t     ts[MAX_OUT];
    u_char       data[MAX_OUT][512];
} out_t;


static void
collect(void *data, u_char *frame, size_t len, uint32_t rtp_ts)
{
    out_t *out = data;

    if (out->n < MAX_OUT && len <= sizeof(out->data[0])) {
        ngx_memcpy(out->data[out->n], frame, len);
        out->len[out->n] = len;
        out->ts[out->n] = rtp_ts;
    }

    out->n++;
}


static ngx_int_t
push(ngx_rtc_audio_depack_t *d, u_char *pkt, size_t len)
{
    ngx_rtc_rtp_hdr_t  h;

    if (ngx_rtc_rtp_parse(pkt, len, &h) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_rtc_audio_depacketize(d, h.payload, h.payload_len, h.seq,
                                     h.ts, h.marker);
}


static ngx_str_t  aac_name = ngx_string("MPEG4-GENERIC");
static ngx_str_t  aac_fmtp = ngx_string(
    "streamtype=5;profile-level-id=2;mode=AAC-hbr;config=140856e500;"
    "sizelength=13;indexlength=3;indexdeltalength=3");


static void
test_aac_config(void)
{
    ngx_uint_t  rate, channels, samples;

    /* 00010 (AAC LC) 1000 (16000 Hz) 0001 (mono) 0 (1024), then SBR sync */
    static u_char  lc16[] = { 0x14, 0x08, 0x56, 0xe5, 0x00 };

    /* 00010 0011 (48000) 0010 (stereo) 0: the common "1190" */
    static u_char  lc48[] = { 0x11, 0x90 };

    /* 00010 0100 (44100) 0010 1 (960-sample frames) */
    static u_char  lc44_960[] = { 0x12, 0x14 };

    /*
     * HE-AAC signalled explicitly: 00101 (SBR) 0110 (24000, the core)
     * 0010 (stereo) 0011 (48000, SBR output) 00010 (AAC LC) 0 (1024)
     */
    static u_char  he[] = { 0x2b, 0x11, 0x88, 0x00 };

    /* 11101 (PS) 0110 (24000) 0001 (mono) 0011 00010 0: stereo out */
    static u_char  hev2[] = { 0xeb, 0x09, 0x88, 0x00 };

    /* escape 1111 with a 24-bit rate: 00010 1111 0x00bb80 (48000) 0001 0 */
    static u_char  esc[] = { 0x17, 0x80, 0x5d, 0xc0, 0x08 };

    /* reserved rate index 1101 */
    static u_char  bad[] = { 0x16, 0x88 };

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(lc16, sizeof(lc16), &rate,
                                           &channels, &samples) == NGX_OK);
    NGX_RTC_CHECK(rate == 16000 && channels == 1 && samples == 1024);

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(lc48, sizeof(lc48), &rate,
                                           &channels, &samples) == NGX_OK);
    NGX_RTC_CHECK(rate == 48000 && channels == 2 && samples == 1024);

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(lc44_960, sizeof(lc44_960), &rate,
                                           &channels, &samples) == NGX_OK);
    NGX_RTC_CHECK(rate == 44100 && channels == 2 && samples == 960);

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(he, sizeof(he), &rate,
                                           &channels, &samples) == NGX_OK);
    NGX_RTC_CHECK(rate == 24000 && channels == 2 && samples == 1024);

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(hev2, sizeof(hev2), &rate,
                                           &channels, &samples) == NGX_OK);
    NGX_RTC_CHECK(rate == 24000 && channels == 2);

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(esc, sizeof(esc), &rate,
                                           &channels, &samples) == NGX_OK);
    NGX_RTC_CHECK(rate == 48000 && channels == 1);

    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(bad, sizeof(bad), &rate,
                                           &channels, &samples) == NGX_ERROR);

    /* cut short: no channel configuration */
    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(lc48, 1, &rate, &channels,
                                           &samples) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_audio_aac_config(lc48, 0, &rate, &channels,
                                           &samples) == NGX_ERROR);
}


/* ngx_rtc_audio_depack_init() of mpeg4-generic with this fmtp */

static ngx_int_t
test_aac_fmtp(ngx_rtc_audio_depack_t *d, char *fmtp, ngx_uint_t pt,
    ngx_uint_t clock, ngx_uint_t channels)
{
    ngx_str_t      f;
    static out_t   out;
    static u_char  buf[NGX_RTC_AUDIO_AU_MAX];

    f.data = (u_char *) fmtp;
    f.len = ngx_strlen(fmtp);

    return ngx_rtc_audio_depack_init(d, &aac_name, pt, clock, channels, &f,
                                     buf, sizeof(buf), collect, &out);
}


static void
test_init(void)
{
    u_char                  buf[NGX_RTC_AUDIO_AU_MAX];
    out_t                   out;
    ngx_str_t               name, fmtp;
    ngx_rtc_audio_depack_t  d;

    ngx_str_null(&fmtp);

    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &aac_name, 97, 16000, 1,
                                            &aac_fmtp, buf, sizeof(buf),
                                            collect, &out) == NGX_OK);
    NGX_RTC_CHECK(d.codec == NGX_RTC_CODEC_AAC);
    NGX_RTC_CHECK(d.clock == 16000 && d.rate == 16000 && d.channels == 1);
    NGX_RTC_CHECK(d.size_length == 13 && d.index_length == 3
                  && d.index_delta_length == 3);
    NGX_RTC_CHECK(d.config_len == 5 && d.config[0] == 0x14
                  && d.config[4] == 0x00);

    /* RFC 3551 static payload types without an rtpmap */

    ngx_str_null(&name);

    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 8, 0, 0, &fmtp, NULL,
                                            0, collect, &out) == NGX_OK);
    NGX_RTC_CHECK(d.codec == NGX_RTC_CODEC_PCMA && d.clock == 8000
                  && d.channels == 1);

    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 0, 0, 0, &fmtp, NULL,
                                            0, collect, &out) == NGX_OK);
    NGX_RTC_CHECK(d.codec == NGX_RTC_CODEC_PCMU);

    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 3, 0, 0, &fmtp, NULL,
                                            0, collect, &out)
                  == NGX_DECLINED);         /* GSM */
    NGX_RTC_CHECK(d.err != NULL);

    ngx_str_set(&name, "pcmu");
    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 0, 8000, 1, &fmtp,
                                            NULL, 0, collect, &out)
                  == NGX_OK);
    NGX_RTC_CHECK(d.codec == NGX_RTC_CODEC_PCMU);

    /* RFC 7587 7: opus/48000/2 */
    ngx_str_set(&name, "opus");
    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 111, 48000, 2, &fmtp,
                                            NULL, 0, collect, &out)
                  == NGX_OK);
    NGX_RTC_CHECK(d.codec == NGX_RTC_CODEC_OPUS && d.clock == 48000
                  && d.channels == 2);

    ngx_str_set(&name, "MP4A-LATM");
    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 96, 16000, 1, &fmtp,
                                            buf, sizeof(buf), collect, &out)
                  == NGX_DECLINED);

    ngx_str_set(&name, "G726-32");
    NGX_RTC_CHECK(ngx_rtc_audio_depack_init(&d, &name, 97, 8000, 1, &fmtp,
                                            buf, sizeof(buf), collect, &out)
                  == NGX_DECLINED);

    /* mpeg4-generic without config, with bad config, without AU headers */

    NGX_RTC_CHECK(test_aac_fmtp(&d, "mode=AAC-hbr;sizelength=13;indexlength=3",
                                97, 16000, 1) == NGX_DECLINED);

    NGX_RTC_CHECK(test_aac_fmtp(&d, "mode=AAC-hbr;config=14x8;sizelength=13",
                                97, 16000, 1) == NGX_DECLINED);

    NGX_RTC_CHECK(test_aac_fmtp(&d, "mode=AAC-hbr;config=1408;sizelength=130",
                                97, 16000, 1) == NGX_DECLINED);

    NGX_RTC_CHECK(test_aac_fmtp(&d,
                                "mode=generic;config=1408;constantsize=200",
                                97, 16000, 1) == NGX_DECLINED);

    NGX_RTC_CHECK(test_aac_fmtp(&d, "streamtype=4;config=1408;sizelength=13",
                                96, 90000, 0) == NGX_DECLINED);

    /* AAC-lbr, parameter names in any case */
    NGX_RTC_CHECK(test_aac_fmtp(&d, "Mode=AAC-lbr; Config=1190; SizeLength=6; "
                                    "IndexLength=2; IndexDeltaLength=2",
                                97, 48000, 2) == NGX_OK);
    NGX_RTC_CHECK(d.size_length == 6 && d.index_length == 2
                  && d.channels == 2 && d.rate == 48000);
}


/* a depacketizer of the test's AAC stream into buf, out emptied */

static void
test_aac_start(ngx_rtc_audio_depack_t *d, u_char *buf, size_t size,
    out_t *out)
{
    ngx_memzero(out, sizeof(out_t));

    (void) ngx_rtc_audio_depack_init(d, &aac_name, 97, 16000, 1, &aac_fmtp,
                                     buf, size, collect, out);
}


static void
test_aac_whole(void)
{
    u_char                  buf[NGX_RTC_AUDIO_AU_MAX];
    out_t                   out;
    ngx_rtc_audio_depack_t  d;

    test_aac_start(&d, buf, sizeof(buf), &out);

    NGX_RTC_CHECK(push(&d, aac_pkt_0, sizeof(aac_pkt_0)) == NGX_OK);
    NGX_RTC_CHECK(out.n == 1);
    NGX_RTC_CHECK(out.len[0] == sizeof(aac_au_0));
    NGX_RTC_CHECK(ngx_memcmp(out.data[0], aac_au_0, sizeof(aac_au_0)) == 0);
    NGX_RTC_CHECK(out.ts[0] == 0xee0f0f1e);
}


static void
test_aac_fragments(void)
{
    u_char                  buf[NGX_RTC_AUDIO_AU_MAX];
    out_t                   out;
    ngx_rtc_audio_depack_t  d;

    test_aac_start(&d, buf, sizeof(buf), &out);

    /* 44 + 44 + 28 bytes of one 116-byte AU, the marker on the last */

    NGX_RTC_CHECK(push(&d, aac_frag_0, sizeof(aac_frag_0)) == NGX_OK);
    NGX_RTC_CHECK(push(&d, aac_frag_1, sizeof(aac_frag_1)) == NGX_OK);
    NGX_RTC_CHECK(out.n == 0);
    NGX_RTC_CHECK(push(&d, aac_frag_2, sizeof(aac_frag_2)) == NGX_OK);
    NGX_RTC_CHECK(out.n == 1);
    NGX_RTC_CHECK(out.len[0] == sizeof(aac_au_0));
    NGX_RTC_CHECK(ngx_memcmp(out.data[0], aac_au_0, sizeof(aac_au_0)) == 0);
    NGX_RTC_CHECK(out.ts[0] == 0xbea3ebc3);

    /* the middle fragment lost: nothing comes out, the AU is dropped */

    out.n = 0;
    NGX_RTC_CHECK(push(&d, aac_frag_0, sizeof(aac_frag_0)) == NGX_OK);
    NGX_RTC_CHECK(push(&d, aac_frag_2, sizeof(aac_frag_2)) != NGX_ERROR);
    NGX_RTC_CHECK(out.n == 0);
    NGX_RTC_CHECK(d.dropped >= 1);

    /* and the next whole AU is delivered again */

    NGX_RTC_CHECK(push(&d, aac_frag_0, sizeof(aac_frag_0)) == NGX_OK);
    NGX_RTC_CHECK(push(&d, aac_frag_1, sizeof(aac_frag_1)) == NGX_OK);
    NGX_RTC_CHECK(push(&d, aac_frag_2, sizeof(aac_frag_2)) == NGX_OK);
    NGX_RTC_CHECK(out.n == 1);

    /* an AU larger than the buffer is refused */

    test_aac_start(&d, buf, 100, &out);
    NGX_RTC_CHECK(push(&d, aac_frag_0, sizeof(aac_frag_0)) == NGX_DECLINED);
    NGX_RTC_CHECK(out.n == 0);
}


static void
test_aac_multi(void)
{
    u_char                  buf[NGX_RTC_AUDIO_AU_MAX], *p;
    u_char                  pkt[4 + 2 * sizeof(aac_au_2) + 8];
    out_t                   out;
    ngx_rtc_audio_depack_t  d;

    test_aac_start(&d, buf, sizeof(buf), &out);

    /*
     * RFC 3640 3.3.6: AU-headers-length 32, two 16-bit AU headers of
     * AU-size 76 (0x260 = 76 << 3) with AU-Index 0 and AU-Index-delta 0,
     * then the two AUs (the encoder's AU 2, twice).
     */

    p = pkt;
    *p++ = 0x00; *p++ = 0x20;
    *p++ = 0x02; *p++ = 0x60;
    *p++ = 0x02; *p++ = 0x60;
    p = ngx_cpymem(p, aac_au_2, sizeof(aac_au_2));
    p = ngx_cpymem(p, aac_au_2, sizeof(aac_au_2));

    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, p - pkt, 7, 0xfffffc00,
                                            1) == NGX_OK);
    NGX_RTC_CHECK(out.n == 2);
    NGX_RTC_CHECK(out.len[0] == 76 && out.len[1] == 76);
    NGX_RTC_CHECK(ngx_memcmp(out.data[1], aac_au_2, 76) == 0);

    /* the second AU 1024 samples later, across the timestamp wrap */
    NGX_RTC_CHECK(out.ts[0] == 0xfffffc00 && out.ts[1] == 0);

    /* one byte short of the second AU */
    out.n = 0;
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, p - pkt - 1, 8, 0, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(out.n == 0);

    /* AU-Index-delta 1: interleaved, refused */
    pkt[5] = 0x61;
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, p - pkt, 9, 0, 1)
                  == NGX_DECLINED);
    pkt[5] = 0x60;

    /* AU-headers-length past the packet; 0; a header cut in the middle */
    pkt[1] = 0xf0;
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 10, 10, 0, 1)
                  == NGX_DECLINED);
    pkt[1] = 0x00;
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, p - pkt, 11, 0, 1)
                  == NGX_DECLINED);
    pkt[1] = 0x18;
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, p - pkt, 12, 0, 1)
                  == NGX_DECLINED);
    pkt[1] = 0x20;
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 1, 13, 0, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 0, 14, 0, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(out.n == 0);

    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, p - pkt, 15, 0, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(out.n == 2);
}


static void
test_passthrough(void)
{
    out_t                   out;
    ngx_str_t               name, fmtp;
    ngx_rtc_audio_depack_t  d;

    ngx_memzero(&out, sizeof(out_t));
    ngx_str_null(&fmtp);

    ngx_str_set(&name, "PCMA");
    (void) ngx_rtc_audio_depack_init(&d, &name, 8, 8000, 1, &fmtp, NULL, 0,
                                     collect, &out);

    NGX_RTC_CHECK(push(&d, pcma_pkt, sizeof(pcma_pkt)) == NGX_OK);
    NGX_RTC_CHECK(out.n == 1 && out.len[0] == 160);
    NGX_RTC_CHECK(ngx_memcmp(out.data[0], pcma_pkt + 12, 160) == 0);
    NGX_RTC_CHECK(out.ts[0] == 0xeed2c696);

    ngx_str_set(&name, "OPUS");
    (void) ngx_rtc_audio_depack_init(&d, &name, 111, 48000, 2, &fmtp, NULL,
                                     0, collect, &out);

    NGX_RTC_CHECK(push(&d, opus_pkt, sizeof(opus_pkt)) == NGX_OK);
    NGX_RTC_CHECK(out.n == 2 && out.len[1] == sizeof(opus_pkt) - 12);
    NGX_RTC_CHECK(out.data[1][0] == 0x78);   /* TOC: config 15, stereo 0 */

    /* an empty payload is no frame */
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, opus_pkt, 0, 1, 0, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(out.n == 2 && d.rejected == 1);
}


/* packets missing from the sequence: counted, whatever the codec */

static void
test_lost(void)
{
    u_char                  pkt[32];
    out_t                   out;
    ngx_str_t               name, fmtp;
    ngx_rtc_audio_depack_t  d;

    ngx_memzero(&out, sizeof(out_t));
    ngx_memset(pkt, 0xd5, sizeof(pkt));
    ngx_str_null(&fmtp);

    ngx_str_set(&name, "PCMU");
    (void) ngx_rtc_audio_depack_init(&d, &name, 0, 8000, 1, &fmtp, NULL, 0,
                                     collect, &out);

    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 65534, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 65535, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(d.lost == 0);

    /* 0 and 1 lost, across the wrap */
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 2, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(d.lost == 2);

    /* a duplicate, a late packet: none lost */
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 2, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 65535, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(d.lost == 2);

    /* a restarted sequence (RFC 3550 A.1, MAX_DROPOUT): none lost */
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 20000, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_audio_depacketize(&d, pkt, 32, 20004, 0, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(d.lost == 5 && out.n == 7);

    /* a new setup counts again from zero */
    (void) ngx_rtc_audio_depack_init(&d, &name, 0, 8000, 1, &fmtp, NULL, 0,
                                     collect, &out);
    NGX_RTC_CHECK(d.lost == 0 && !d.seq_valid);
}


int
main(void)
{
    test_aac_config();
    test_init();
    test_aac_whole();
    test_aac_fragments();
    test_aac_multi();
    test_passthrough();
    test_lost();

    return NGX_RTC_UNIT_DONE();
}
