/*
 * Copyright (C) nginx-rtc authors
 *
 * SDP parser and answer writer.  Fixtures (t/unit/fixtures/README):
 * a real Chromium 156 offer and real gst-rtsp-server 1.22 DESCRIBE bodies.
 */

/* unit-deps: src/ngx_rtc_sdp.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc_sdp.h>
#include <stdlib.h>


#define FIXTURES  "t/unit/fixtures/"


typedef struct {
    u_char      *data;
    size_t       len;
} buf_t;


static ngx_rtc_sdp_t  *sdp;


/* an exact-size heap copy, so that ASan sees any read past "end" */

static buf_t
buf_dup(const void *data, size_t len)
{
    buf_t  b;

    b.data = malloc(len ? len : 1);
    b.len = len;

    if (len) {
        ngx_memcpy(b.data, data, len);
    }

    return b;
}


static buf_t
buf_file(const char *name)
{
    FILE    *f;
    long     n;
    buf_t    b;
    u_char  *tmp;

    b.data = NULL;
    b.len = 0;

    f = fopen(name, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s (run from the repo root)\n", name);
        return b;
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    tmp = malloc(n ? n : 1);
    if (fread(tmp, 1, n, f) == (size_t) n) {
        b = buf_dup(tmp, n);
    }

    free(tmp);
    fclose(f);

    return b;
}


static ngx_int_t
parse(buf_t *b)
{
    return ngx_rtc_sdp_parse(b->data, b->data + b->len, sdp);
}


static ngx_int_t
parse_str(const char *s)
{
    buf_t      b;
    ngx_int_t  rc;

    b = buf_dup(s, ngx_strlen(s));
    rc = parse(&b);

    /* the parsed strings point into b: callers check only err here */
    free(b.data);

    return rc;
}


static ngx_uint_t
str_eq(ngx_str_t *s, const char *lit)
{
    size_t  len;

    len = ngx_strlen(lit);

    return s->len == len && (len == 0 || ngx_memcmp(s->data, lit, len) == 0);
}


static ngx_uint_t
err_is(const char *err, ngx_uint_t line)
{
    if (sdp->err == NULL || ngx_strcmp(sdp->err, err) != 0
        || sdp->err_line != line)
    {
        fprintf(stderr, "  got err \"%s\" line %lu, want \"%s\" line %lu\n",
                sdp->err ? sdp->err : "(null)",
                (unsigned long) sdp->err_line, err, (unsigned long) line);
        return 0;
    }

    return 1;
}


static ngx_uint_t
fmtp_is(ngx_rtc_sdp_fmt_t *fmt, const char *name, const char *value)
{
    ngx_str_t  v;

    if (fmt == NULL
        || ngx_rtc_sdp_fmtp_param(&fmt->fmtp, name, &v) != NGX_OK)
    {
        return 0;
    }

    return str_eq(&v, value);
}


/* a buffer with "n" copies of "line" after "head" */

static buf_t
buf_repeat(const char *head, const char *line, ngx_uint_t n)
{
    size_t   hlen, llen;
    buf_t    b;
    u_char  *p;

    hlen = ngx_strlen(head);
    llen = ngx_strlen(line);

    b.len = hlen + llen * n;
    b.data = malloc(b.len ? b.len : 1);

    p = ngx_cpymem(b.data, head, hlen);

    while (n--) {
        p = ngx_cpymem(p, line, llen);
    }

    return b;
}


static void
test_chromium_offer(void)
{
    buf_t                 b;
    ngx_uint_t            i;
    ngx_rtc_sdp_fmt_t    *f;
    ngx_rtc_sdp_media_t  *v, *a;

    static ngx_uint_t  h264[] = { 102, 104, 108, 114, 116, 39, 41, 43 };
    static const char *plid[] = { "42001f", "42001f", "42e01f", "42e01f",
                                  "4d001f", "4d001f", "f4001f", "f4001f" };

    b = buf_file(FIXTURES "chromium-offer.sdp");
    NGX_RTC_CHECK(b.len == 6549);

    if (b.data == NULL) {
        return;
    }

    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->err == NULL);
    NGX_RTC_CHECK(sdp->nmedia == 2);

    /* Chromium puts ICE and DTLS parameters in each m= section */

    NGX_RTC_CHECK(str_eq(&sdp->bundle, "0 1"));
    NGX_RTC_CHECK(sdp->ice_ufrag.data == NULL);
    NGX_RTC_CHECK(sdp->fp_alg.data == NULL);
    NGX_RTC_CHECK(sdp->control.data == NULL);

    v = &sdp->media[0];
    a = &sdp->media[1];

    NGX_RTC_CHECK(str_eq(&v->type, "video"));
    NGX_RTC_CHECK(v->port == 9);
    NGX_RTC_CHECK(str_eq(&v->proto, "UDP/TLS/RTP/SAVPF"));
    NGX_RTC_CHECK(str_eq(&v->mid, "0"));
    NGX_RTC_CHECK(v->direction == NGX_RTC_SDP_RECVONLY);
    NGX_RTC_CHECK(v->rtcp_mux);
    NGX_RTC_CHECK(!v->end_of_candidates);
    NGX_RTC_CHECK(str_eq(&v->ice_ufrag, "M41v"));
    NGX_RTC_CHECK(str_eq(&v->ice_pwd, "/3QwvXh7gvTJvvZlzBtrdyw8"));
    NGX_RTC_CHECK(str_eq(&v->fp_alg, "sha-256"));
    NGX_RTC_CHECK(str_eq(&v->fp_value,
                         "2A:A1:9A:0A:3C:9B:A9:60:47:91:8D:95:8B:43:1E:53:"
                         "92:75:71:C8:3D:5A:76:11:38:B6:80:99:43:E0:E4:A1"));
    NGX_RTC_CHECK(str_eq(&v->setup, "actpass"));
    NGX_RTC_CHECK(v->control.data == NULL);

    /* m=video 9 UDP/TLS/RTP/SAVPF 96 97 ... 120 49: 34 formats */

    NGX_RTC_CHECK(v->nfmts == 34);
    NGX_RTC_CHECK(v->fmts[0].pt == 96);
    NGX_RTC_CHECK(str_eq(&v->fmts[0].name, "VP8"));
    NGX_RTC_CHECK(v->fmts[0].clock == 90000);
    NGX_RTC_CHECK(v->fmts[33].pt == 49);
    NGX_RTC_CHECK(str_eq(&v->fmts[33].name, "flexfec-03"));
    NGX_RTC_CHECK(str_eq(&v->fmts[33].fmtp, "repair-window=10000000"));
    NGX_RTC_CHECK(v->fmts[33].rtcp_fb
                  == (NGX_RTC_SDP_FB_REMB|NGX_RTC_SDP_FB_TWCC));

    for (i = 0; i < sizeof(h264) / sizeof(h264[0]); i++) {
        f = ngx_rtc_sdp_find_fmt(v, h264[i]);

        NGX_RTC_CHECK(f != NULL);
        if (f == NULL) {
            continue;
        }

        NGX_RTC_CHECK(str_eq(&f->name, "H264"));
        NGX_RTC_CHECK(f->clock == 90000);
        NGX_RTC_CHECK(f->channels == 0);
        NGX_RTC_CHECK(fmtp_is(f, "profile-level-id", plid[i]));
        NGX_RTC_CHECK(fmtp_is(f, "packetization-mode", (i & 1) ? "0" : "1"));
        NGX_RTC_CHECK(fmtp_is(f, "level-asymmetry-allowed", "1"));
        NGX_RTC_CHECK(f->rtcp_fb == (NGX_RTC_SDP_FB_NACK
                                     |NGX_RTC_SDP_FB_NACK_PLI
                                     |NGX_RTC_SDP_FB_CCM_FIR
                                     |NGX_RTC_SDP_FB_REMB
                                     |NGX_RTC_SDP_FB_TWCC));
    }

    /* a=rtpmap:103 rtx/90000, a=fmtp:103 apt=102, no rtcp-fb */

    f = ngx_rtc_sdp_find_fmt(v, 103);
    NGX_RTC_CHECK(f && str_eq(&f->name, "rtx") && f->rtcp_fb == 0);
    NGX_RTC_CHECK(fmtp_is(f, "apt", "102"));

    NGX_RTC_CHECK(ngx_rtc_sdp_find_fmt(v, 111) == NULL);

    NGX_RTC_CHECK(v->ncands == 2);
    NGX_RTC_CHECK(v->ncands == 2
                  && str_eq(&v->cands[0],
                            "candidate:1775103289 1 udp 2113937151 "
                            "232dfaa5-a4fb-46f7-9db2-71337f68b877.local "
                            "33008 typ host generation 0 network-cost 999"));

    NGX_RTC_CHECK(str_eq(&a->type, "audio"));
    NGX_RTC_CHECK(str_eq(&a->mid, "1"));
    NGX_RTC_CHECK(a->direction == NGX_RTC_SDP_RECVONLY);
    NGX_RTC_CHECK(a->rtcp_mux);
    NGX_RTC_CHECK(str_eq(&a->ice_ufrag, "M41v"));
    NGX_RTC_CHECK(str_eq(&a->setup, "actpass"));
    NGX_RTC_CHECK(a->nfmts == 8);
    NGX_RTC_CHECK(a->ncands == 2);

    /* a=rtpmap:111 opus/48000/2, a=rtcp-fb:111 transport-cc */

    f = ngx_rtc_sdp_find_fmt(a, 111);
    NGX_RTC_CHECK(f && str_eq(&f->name, "opus") && f->clock == 48000
                  && f->channels == 2 && f->rtcp_fb == NGX_RTC_SDP_FB_TWCC);
    NGX_RTC_CHECK(f && str_eq(&f->fmtp, "minptime=10;useinbandfec=1"));
    NGX_RTC_CHECK(fmtp_is(f, "useinbandfec", "1"));

    f = ngx_rtc_sdp_find_fmt(a, 8);
    NGX_RTC_CHECK(f && str_eq(&f->name, "PCMA") && f->clock == 8000
                  && f->channels == 0 && f->fmtp.len == 0);

    /* the last line, a=rtpmap:126 telephone-event/8000 */

    f = ngx_rtc_sdp_find_fmt(a, 126);
    NGX_RTC_CHECK(f && str_eq(&f->name, "telephone-event")
                  && f->clock == 8000);

    /* the same offer without its final CRLF */

    b.len -= 2;
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    f = ngx_rtc_sdp_find_fmt(&sdp->media[1], 126);
    NGX_RTC_CHECK(f && str_eq(&f->name, "telephone-event")
                  && f->clock == 8000);

    free(b.data);
}


static void
test_chromium_offer_lf(void)
{
    buf_t               b, lf;
    size_t              i, n;
    ngx_rtc_sdp_fmt_t  *f;

    b = buf_file(FIXTURES "chromium-offer.sdp");

    if (b.data == NULL) {
        NGX_RTC_CHECK(0);
        return;
    }

    lf.data = malloc(b.len);

    for (i = 0, n = 0; i < b.len; i++) {
        if (b.data[i] != CR) {
            lf.data[n++] = b.data[i];
        }
    }

    lf.len = n;
    NGX_RTC_CHECK(n == 6549 - 205);

    NGX_RTC_CHECK(parse(&lf) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 2 && sdp->media[0].nfmts == 34);
    NGX_RTC_CHECK(str_eq(&sdp->media[0].ice_pwd, "/3QwvXh7gvTJvvZlzBtrdyw8"));

    f = ngx_rtc_sdp_find_fmt(&sdp->media[0], 108);
    NGX_RTC_CHECK(fmtp_is(f, "profile-level-id", "42e01f"));

    free(lf.data);
    free(b.data);
}


static void
test_gst_describe(void)
{
    buf_t                 b;
    ngx_str_t             v;
    ngx_rtc_sdp_fmt_t    *f;
    ngx_rtc_sdp_media_t  *m;

    b = buf_file(FIXTURES "gst-describe.sdp");
    NGX_RTC_CHECK(b.len == 528);

    if (b.data == NULL) {
        return;
    }

    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 1);
    NGX_RTC_CHECK(str_eq(&sdp->control, "*"));
    NGX_RTC_CHECK(sdp->bundle.data == NULL);

    m = &sdp->media[0];

    NGX_RTC_CHECK(str_eq(&m->type, "video"));
    NGX_RTC_CHECK(m->port == 0);
    NGX_RTC_CHECK(str_eq(&m->proto, "RTP/AVP"));
    NGX_RTC_CHECK(str_eq(&m->control, "stream=0"));
    NGX_RTC_CHECK(m->direction == NGX_RTC_SDP_SENDRECV);
    NGX_RTC_CHECK(!m->rtcp_mux);
    NGX_RTC_CHECK(m->mid.data == NULL);
    NGX_RTC_CHECK(m->ice_ufrag.data == NULL);
    NGX_RTC_CHECK(m->nfmts == 1 && m->ncands == 0);

    f = ngx_rtc_sdp_find_fmt(m, 96);
    NGX_RTC_CHECK(f && str_eq(&f->name, "H264") && f->clock == 90000);
    NGX_RTC_CHECK(fmtp_is(f, "sprop-parameter-sets",
                          "Z0LAFdkBQfsBagwMDUoAAAMAAgAAAwB5HixckA==,"
                          "aMuMsg=="));
    NGX_RTC_CHECK(fmtp_is(f, "profile-level-id", "42c015"));
    NGX_RTC_CHECK(fmtp_is(f, "packetization-mode", "1"));
    NGX_RTC_CHECK(f && ngx_rtc_sdp_fmtp_param(&f->fmtp, "sprop-vps", &v)
                       == NGX_DECLINED);

    free(b.data);

    /* video H.264 and audio PCMA, control per stream */

    b = buf_file(FIXTURES "gst-describe-av.sdp");
    NGX_RTC_CHECK(b.len == 700);

    if (b.data == NULL) {
        return;
    }

    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 2);
    NGX_RTC_CHECK(str_eq(&sdp->control, "*"));
    NGX_RTC_CHECK(str_eq(&sdp->media[0].control, "stream=0"));
    NGX_RTC_CHECK(str_eq(&sdp->media[1].control, "stream=1"));
    NGX_RTC_CHECK(str_eq(&sdp->media[1].type, "audio"));

    f = ngx_rtc_sdp_find_fmt(&sdp->media[1], 8);
    NGX_RTC_CHECK(f && str_eq(&f->name, "PCMA") && f->clock == 8000
                  && f->channels == 0);

    free(b.data);
}


static void
test_camera_shapes(void)
{
    ngx_str_t           v;
    ngx_rtc_sdp_fmt_t  *f;

    /*
     * Constructed in the shape IP cameras send: LF line ends, absolute
     * media control URL, blanks after ";" in fmtp and at line ends,
     * upper-case hex, no session-level control, a second m= with a
     * relative control.
     */

    static const char  cam[] =
        "v=0\n"
        "o=- 1109162014219182 0 IN IP4 0.0.0.0\n"
        "s=Media Presentation\n"
        "c=IN IP4 0.0.0.0\n"
        "t=0 0\n"
        "m=video 0 RTP/AVP 96\n"
        "a=rtpmap:96 H264/90000\n"
        "a=fmtp:96 profile-level-id=420029; packetization-mode=1; "
        "sprop-parameter-sets=Z01AKI2NQDwBE/LgLcBAQFAAAD6AAAw1DoYACYFAAE"
        "xLuvLjQwAEwKAAJiXdeXCg==,aO44gA==\n"
        "a=control:rtsp://192.0.2.10:554/Streaming/Channels/101/"
        "trackID=1 \n"
        "a=Media_header:MEDIAINFO=494D4B48010100000400010000000000;\n"
        "a=appversion:1.0\n"
        "m=audio 0 RTP/AVP 0\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=control:trackID=2\n"
        "a=recvonly\n";

    NGX_RTC_CHECK(parse_str(cam) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 2);
    NGX_RTC_CHECK(sdp->control.data == NULL);

    /* parse_str() freed the input: compare lengths only */

    NGX_RTC_CHECK(sdp->media[0].control.len
                  == sizeof("rtsp://192.0.2.10:554/Streaming/Channels/101/"
                            "trackID=1") - 1);
    NGX_RTC_CHECK(sdp->media[1].control.len == sizeof("trackID=2") - 1);
    NGX_RTC_CHECK(sdp->media[1].direction == NGX_RTC_SDP_RECVONLY);
    NGX_RTC_CHECK(sdp->media[0].direction == NGX_RTC_SDP_SENDRECV);

    {
        buf_t  b;

        b = buf_dup(cam, sizeof(cam) - 1);
        NGX_RTC_CHECK(parse(&b) == NGX_OK);

        f = ngx_rtc_sdp_find_fmt(&sdp->media[0], 96);
        NGX_RTC_CHECK(fmtp_is(f, "packetization-mode", "1"));
        NGX_RTC_CHECK(fmtp_is(f, "PROFILE-LEVEL-ID", "420029"));
        NGX_RTC_CHECK(f && ngx_rtc_sdp_fmtp_param(&f->fmtp, "sprop-parameter"
                                                  "-sets", &v) == NGX_OK
                      && v.len == 75 && v.data[v.len - 1] == '=');
        NGX_RTC_CHECK(str_eq(&sdp->media[0].control,
                             "rtsp://192.0.2.10:554/Streaming/Channels/101/"
                             "trackID=1"));
        NGX_RTC_CHECK(str_eq(&sdp->media[1].control, "trackID=2"));

        f = ngx_rtc_sdp_find_fmt(&sdp->media[1], 0);
        NGX_RTC_CHECK(f && str_eq(&f->name, "PCMU") && f->clock == 8000);

        free(b.data);
    }

    /* RFC 8866, 5: the example session description */

    NGX_RTC_CHECK(parse_str(
        "v=0\r\n"
        "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
        "s=Call to John Smith\r\n"
        "i=SDP Offer #1\r\n"
        "u=http://www.jdoe.example.com/home.html\r\n"
        "e=Jane Doe <jane@jdoe.example.com>\r\n"
        "p=+1 617 555-6011\r\n"
        "c=IN IP4 198.51.100.1\r\n"
        "t=0 0\r\n"
        "m=audio 49170 RTP/AVP 0\r\n"
        "m=audio 49180 RTP/AVP 0\r\n"
        "m=video 51372 RTP/AVP 99\r\n"
        "c=IN IP6 2001:db8::2\r\n"
        "a=rtpmap:99 h263-1998/90000\r\n") == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 3);
    NGX_RTC_CHECK(sdp->media[1].port == 49180);
    NGX_RTC_CHECK(sdp->media[2].port == 51372);
    NGX_RTC_CHECK(sdp->media[2].fmts[0].pt == 99
                  && sdp->media[2].fmts[0].clock == 90000
                  && sdp->media[2].fmts[0].name.len == 9);

    /* RFC 8866, 5.14: "m=video 49170/2 RTP/AVP 31" */

    NGX_RTC_CHECK(parse_str("v=0\r\nm=video 49170/2 RTP/AVP 31\r\n")
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->media[0].port == 49170
                  && sdp->media[0].fmts[0].pt == 31);
}


static void
test_attributes(void)
{
    buf_t                 b;
    ngx_uint_t            i;
    ngx_rtc_sdp_media_t  *m;

    static const char  frag[] =
        "a=ice-ufrag:EsAw\r\n"
        "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
        "m=audio 9 RTP/AVP 0\r\n"
        "a=mid:1\r\n"
        "a=candidate:1 1 UDP 2130706431 198.51.100.1 49203 typ host\r\n"
        "a=end-of-candidates\r\n";

    /* session-level defaults, media-level overrides, first one wins */

    static const char  s1[] =
        "v=0\r\n"
        "o=- 1 1 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:LS 0 1\r\n"
        "a=group:BUNDLE a b  \r\n"
        "a=group:BUNDLE c\r\n"
        "a=ice-ufrag:sess\r\n"
        "a=ice-ufrag:sess2\r\n"
        "a=ice-pwd:sesspwd\r\n"
        "a=fingerprint:sha-1 00:11\r\n"
        "a=setup:active\r\n"
        "a=sendonly\r\n"
        "a=end-of-candidates\r\n"
        "a=control:rtsp://192.0.2.1/s\r\n"
        "a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n"
        "a=mid:a\r\n"
        "a=mid:b\r\n"
        "a=ice-ufrag:media\r\n"
        "a=fingerprint:bad\r\n"
        "a=fingerprint:sha-256 AA:BB\r\n"
        "a=fingerprint:sha-512 CC:DD\r\n"
        "a=rtcp-fb:* nack\r\n"
        "a=rtcp-fb:96 nack pli\r\n"
        "a=rtcp-fb:96 nack sli\r\n"
        "a=rtcp-fb:97 ccm fir\r\n"
        "a=rtcp-fb:97 ccm tmmbr\r\n"
        "a=rtcp-fb:99 ccm fir\r\n"
        "a=rtpmap:96 H264/90000\r\n"
        "a=rtpmap:96 VP8/90000\r\n"
        "a=rtpmap:97 bad\r\n"
        "a=rtpmap:98 /90000\r\n"
        "a=rtpmap:99 H265/90000\r\n"
        "a=fmtp:96 a=1\r\n"
        "a=fmtp:96 a=2\r\n"
        "a=fmtp:97   \r\n"
        "a=inactive\r\n"
        "a=recvonly\r\n"
        "a=unknown-attribute:with value\r\n"
        "a=rtcp-mux\r\n"
        "x=unknown line type\r\n"
        "not an sdp line\r\n"
        "\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=mid:b\r\n"
        "a=setup:passive\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "a=mid:c\r\n"
        "a=sctp-port:5000\r\n";

    b = buf_dup(s1, sizeof(s1) - 1);

    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 3);
    NGX_RTC_CHECK(str_eq(&sdp->bundle, "a b"));
    NGX_RTC_CHECK(str_eq(&sdp->ice_ufrag, "sess"));
    NGX_RTC_CHECK(str_eq(&sdp->control, "rtsp://192.0.2.1/s"));

    m = &sdp->media[0];
    NGX_RTC_CHECK(str_eq(&m->mid, "a"));
    NGX_RTC_CHECK(str_eq(&m->ice_ufrag, "media"));
    NGX_RTC_CHECK(str_eq(&m->ice_pwd, "sesspwd"));
    NGX_RTC_CHECK(str_eq(&m->fp_alg, "sha-256"));
    NGX_RTC_CHECK(str_eq(&m->fp_value, "AA:BB"));
    NGX_RTC_CHECK(str_eq(&m->setup, "active"));
    NGX_RTC_CHECK(m->direction == NGX_RTC_SDP_INACTIVE);
    NGX_RTC_CHECK(m->rtcp_mux && m->end_of_candidates);
    NGX_RTC_CHECK(m->ncands == 0);
    NGX_RTC_CHECK(m->nfmts == 3);
    NGX_RTC_CHECK(str_eq(&m->fmts[0].name, "H264"));
    NGX_RTC_CHECK(str_eq(&m->fmts[0].fmtp, "a=1"));
    NGX_RTC_CHECK(m->fmts[0].rtcp_fb
                  == (NGX_RTC_SDP_FB_NACK|NGX_RTC_SDP_FB_NACK_PLI));
    NGX_RTC_CHECK(m->fmts[1].name.len == 0 && m->fmts[1].clock == 0);
    NGX_RTC_CHECK(m->fmts[1].fmtp.data && m->fmts[1].fmtp.len == 0);
    NGX_RTC_CHECK(m->fmts[1].rtcp_fb
                  == (NGX_RTC_SDP_FB_NACK|NGX_RTC_SDP_FB_CCM_FIR));
    NGX_RTC_CHECK(m->fmts[2].name.len == 0);
    NGX_RTC_CHECK(m->fmts[2].rtcp_fb == NGX_RTC_SDP_FB_NACK);
    NGX_RTC_CHECK(ngx_rtc_sdp_find_fmt(m, 99) == NULL);

    m = &sdp->media[1];
    NGX_RTC_CHECK(str_eq(&m->mid, "b"));
    NGX_RTC_CHECK(str_eq(&m->ice_ufrag, "sess"));
    NGX_RTC_CHECK(str_eq(&m->fp_alg, "sha-1"));
    NGX_RTC_CHECK(str_eq(&m->fp_value, "00:11"));
    NGX_RTC_CHECK(str_eq(&m->setup, "passive"));
    NGX_RTC_CHECK(m->direction == NGX_RTC_SDP_SENDONLY);
    NGX_RTC_CHECK(!m->rtcp_mux && m->end_of_candidates);
    NGX_RTC_CHECK(str_eq(&m->control, ""));
    NGX_RTC_CHECK(m->control.data == NULL);

    /* RFC 8841: a non-RTP format list */

    m = &sdp->media[2];
    NGX_RTC_CHECK(str_eq(&m->type, "application"));
    NGX_RTC_CHECK(m->nfmts == 1 && m->fmts[0].pt == NGX_RTC_SDP_PT_NONE);
    NGX_RTC_CHECK(str_eq(&m->fmts[0].name, "webrtc-datachannel"));

    free(b.data);

    /* candidates past NGX_RTC_SDP_MAX_CAND are ignored */

    b = buf_repeat("v=0\r\nm=audio 9 RTP/AVP 0\r\n",
                   "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host"
                   "\r\n", 40);
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->media[0].ncands == NGX_RTC_SDP_MAX_CAND);

    for (i = 0; i < sdp->media[0].ncands; i++) {
        NGX_RTC_CHECK(str_eq(&sdp->media[0].cands[i],
                             "candidate:1 1 udp 2130706431 192.0.2.1 5000 "
                             "typ host"));
    }

    free(b.data);

    /* RFC 8840, 9 shape: an sdpfrag of a trickle PATCH, no v= line */

    b = buf_dup(frag, sizeof(frag) - 1);

    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(str_eq(&sdp->media[0].ice_ufrag, "EsAw"));
    NGX_RTC_CHECK(str_eq(&sdp->media[0].mid, "1"));
    NGX_RTC_CHECK(sdp->media[0].ncands == 1
                  && sdp->media[0].end_of_candidates);

    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("missing v= line", 1));

    /* ICE restart fragment: credentials only */

    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + 54, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 0
                  && str_eq(&sdp->ice_pwd, "P2uYro0UCOQ4zxjKXaWCBui1"));

    free(b.data);
}


static void
test_fmtp_param(void)
{
    ngx_str_t  fmtp, v;

    ngx_str_set(&fmtp, "profile-level-id=42e01f;packetization-mode=1");

    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "profile-level-id", &v)
                  == NGX_OK && str_eq(&v, "42e01f"));
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "packetization-mode", &v)
                  == NGX_OK && str_eq(&v, "1"));
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "profile", &v)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "mode=1", &v)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "", &v) == NGX_DECLINED);

    ngx_str_set(&fmtp, " a = 1 ;; b= ;c; d=x=y;");

    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "a", &v) == NGX_OK
                  && str_eq(&v, "1"));
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "b", &v) == NGX_OK
                  && v.len == 0);
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "c", &v) == NGX_OK
                  && v.len == 0);
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "d", &v) == NGX_OK
                  && str_eq(&v, "x=y"));

    /* "a=fmtp:63 111/111" (RFC 2198 red): no parameter names */

    ngx_str_set(&fmtp, "111/111");
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "111", &v) == NGX_DECLINED);

    fmtp.data = NULL;
    fmtp.len = 0;
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&fmtp, "a", &v) == NGX_DECLINED);
}


static void
test_errors(void)
{
    buf_t        b;
    u_char       line[128];
    ngx_uint_t   i;

    static const char  nul[] = "v=0\r\nm=video 9 RTP/AVP 96\r\na=mid:0\0x\r\n";

    static const char  camera_ctl[] =
        "v=0\r\nm=da\x1b[2J\rta 0 RTP/AVP 98\r\n"
        "m=video 0 RTP/AVP 96\r\n"
        "a=rtpmap:96 X\x1b]0;pwned\x07\r/90000\r\n";

    static const char  *bad_m[] = {
        "m=",
        "m=video",
        "m=video 9",
        "m=video 9 RTP/AVP",
        "m=video 9 RTP/AVP   ",
        "m=video x RTP/AVP 96",
        "m=video -1 RTP/AVP 96",
        "m=video 65536 RTP/AVP 96",
        "m=video 99999999999999999999 RTP/AVP 96",
        "m=video 9/ RTP/AVP 96",
        "m=video 9/x RTP/AVP 96",
        "m=video /2 RTP/AVP 96",
        "m=video 9 RTP/AVP 128",
        "m=video 9 RTP/AVP 96 abc",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 -1",
        "m=video 9 RTP/AVP 0x60",
    };

    /* 0-length input */

    b = buf_dup("", 0);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("empty SDP", 0));
    free(b.data);

    NGX_RTC_CHECK(ngx_rtc_sdp_parse(NULL, NULL, sdp) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("empty SDP", 0));

    /* missing lines */

    NGX_RTC_CHECK(parse_str("o=- 1 1 IN IP4 0.0.0.0\r\nm=video 9 RTP/AVP 96"
                            "\r\n") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("missing v= line", 1));

    NGX_RTC_CHECK(parse_str("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0"
                            "\r\n") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("no m= line", 0));

    NGX_RTC_CHECK(parse_str("\r\n\n\r\n") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("missing v= line", 0));

    NGX_RTC_CHECK(parse_str("v=0") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("no m= line", 0));

    /* no line end at all */

    NGX_RTC_CHECK(parse_str("v=0\r\nm=video 9 RTP/AVP 96") == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 1 && sdp->media[0].fmts[0].pt == 96);

    NGX_RTC_CHECK(parse_str("v=0\r\nm=video 9 RTP/AVP 96\r") == NGX_OK);

    /* bad v= */

    NGX_RTC_CHECK(parse_str("v=1\r\nm=video 9 RTP/AVP 96\r\n") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("bad v= line", 1));
    NGX_RTC_CHECK(parse_str("v=\r\n") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("bad v= line", 1));
    NGX_RTC_CHECK(parse_str("\r\nv=00\r\n") == NGX_ERROR);
    NGX_RTC_CHECK(err_is("bad v= line", 2));
    NGX_RTC_CHECK(parse_str("v=0\r\nm=video 9 RTP/AVP 96\r\nv=0\r\n")
                  == NGX_ERROR);
    NGX_RTC_CHECK(err_is("duplicate v= line", 3));

    /* bad m= */

    for (i = 0; i < sizeof(bad_m) / sizeof(bad_m[0]); i++) {
        (void) ngx_sprintf(line, "v=0\r\ns=-\r\n%s\r\n%Z", bad_m[i]);

        NGX_RTC_CHECK(parse_str((char *) line) == NGX_ERROR);
        NGX_RTC_CHECK(err_is("bad m= line", 3));
    }

    NGX_RTC_CHECK(parse_str("v=0\r\nm=video 65535 RTP/AVP 127 0\r\n")
                  == NGX_OK);

    /* 1000 m= lines: the 17th is refused, at line 1 + 17 */

    b = buf_repeat("v=0\r\n", "m=video 9 RTP/AVP 96\r\n", 1000);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("too many m= lines", 18));
    free(b.data);

    b = buf_repeat("v=0\r\n", "m=video 9 RTP/AVP 96\r\n",
                   NGX_RTC_SDP_MAX_MEDIA);
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == NGX_RTC_SDP_MAX_MEDIA);
    free(b.data);

    /* formats: 64 fit, 65 do not */

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP", " 96", NGX_RTC_SDP_MAX_FMT);
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->media[0].nfmts == NGX_RTC_SDP_MAX_FMT);
    free(b.data);

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP", " 96",
                   NGX_RTC_SDP_MAX_FMT + 1);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("too many formats", 2));
    free(b.data);

    /* lines: 1024 fit, 1025 do not */

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP 96\r\n", "a=x\r\n",
                   NGX_RTC_SDP_MAX_LINES - 2);
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    free(b.data);

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP 96\r\n", "\n",
                   NGX_RTC_SDP_MAX_LINES - 1);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("too many lines", NGX_RTC_SDP_MAX_LINES + 1));
    free(b.data);

    /* NUL bytes */

    b = buf_dup(nul, sizeof(nul) - 1);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("NUL byte", 3));
    free(b.data);

    b = buf_dup("\0", 1);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("NUL byte", 1));
    free(b.data);

    /* a line of 4096 bytes is the longest */

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP 96\r\na=mid:", "x",
                   NGX_RTC_SDP_MAX_LINE_LEN - 6);
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->media[0].mid.len == NGX_RTC_SDP_MAX_LINE_LEN - 6);
    free(b.data);

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP 96\r\na=mid:", "x",
                   NGX_RTC_SDP_MAX_LINE_LEN - 5);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("line too long", 3));
    free(b.data);

    b = buf_repeat("v=0\r\nm=video 9 RTP/AVP 96\r\na=mid:", "x\r",
                   NGX_RTC_SDP_MAX_LINE_LEN);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("line too long", 3));
    free(b.data);

    /* 16 MiB without a line end */

    b = buf_repeat("v=0\r\na=", "y", 16 * 1024 * 1024);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("line too long", 2));
    free(b.data);

    /*
     * A camera's control characters (a CR inside a line, an ESC, a BEL)
     * become '?': the names it gives reach error.log
     */

    b = buf_dup(camera_ctl, sizeof(camera_ctl) - 1);
    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 2
                  && sdp->media[0].type.len == 9
                  && ngx_strncmp(sdp->media[0].type.data, "da?[2J?ta", 9) == 0
                  && sdp->media[1].nfmts == 1
                  && sdp->media[1].fmts[0].name.len == 12
                  && ngx_strncmp(sdp->media[1].fmts[0].name.data,
                                 "X?]0;pwned??", 12) == 0
                  && sdp->media[1].fmts[0].clock == 90000);
    free(b.data);

    /* a clock rate no camera has: the format has no name (unusable) */

    NGX_RTC_CHECK(parse_str("v=0\r\nm=video 9 RTP/AVP 96 97\r\n"
                            "a=rtpmap:96 H264/4294967295\r\n"
                            "a=rtpmap:97 H264/1000000\r\n") == NGX_OK);
    NGX_RTC_CHECK(sdp->media[0].fmts[0].name.len == 0
                  && sdp->media[0].fmts[1].clock == 1000000);

    /* a CR alone does not end a line: one line of 5000 bytes */

    b = buf_repeat("v=0\r\n", "a=x\r", 1250);
    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);
    NGX_RTC_CHECK(err_is("line too long", 2));
    free(b.data);
}


/* the lines of an answer, CRLF-terminated, against the expected ones */

static void
check_lines(u_char *p, u_char *end, const char **expect, ngx_uint_t n)
{
    u_char      *lf;
    ngx_str_t    line;
    ngx_uint_t   i;

    for (i = 0; p < end; i++) {
        lf = ngx_strlchr(p, end, LF);

        NGX_RTC_CHECK(lf != NULL && lf > p && lf[-1] == CR);
        if (lf == NULL || lf == p) {
            return;
        }

        line.data = p;
        line.len = lf - 1 - p;

        if (i >= n || !str_eq(&line, expect[i])) {
            fprintf(stderr, "  line %lu: \"%.*s\", want \"%s\"\n",
                    (unsigned long) i + 1, (int) line.len, line.data,
                    i < n ? expect[i] : "(end)");
            NGX_RTC_CHECK(0);
        }

        p = lf + 1;
    }

    NGX_RTC_CHECK(i == n);
}


#define FP  "sha-256 2A:A1:9A:0A:3C:9B:A9:60:47:91:8D:95:8B:43:1E:53:92:75:" \
            "71:C8:3D:5A:76:11:38:B6:80:99:43:E0:E4:A1"
#define CAND1  "candidate:1 1 udp 2130706431 10.99.0.1 40000 typ host"
#define CAND2  "candidate:2 1 tcp 1518280447 10.99.0.1 9 typ host " \
               "tcptype passive"

static void
answer_init(ngx_rtc_sdp_answer_t *a)
{
    ngx_memzero(a, sizeof(ngx_rtc_sdp_answer_t));

    a->session_id = 4611686018427387905ULL;
    ngx_str_set(&a->ice_ufrag, "nRtc");
    ngx_str_set(&a->ice_pwd, "bS8xW5cHq2Ld0Zt4Mv7Ue1Gk");
    ngx_str_set(&a->fingerprint, FP);
    ngx_str_set(&a->cname, "nginx-rtc");
    ngx_str_set(&a->msid, "cam1");

    a->ncands = 2;
    ngx_str_set(&a->cands[0], CAND1);
    ngx_str_set(&a->cands[1], CAND2);

    ngx_str_set(&a->media[0].type, "video");
    ngx_str_set(&a->media[0].proto, "UDP/TLS/RTP/SAVPF");
    ngx_str_set(&a->media[0].mid, "0");
    a->media[0].pt = 108;
    ngx_str_set(&a->media[0].codec, "H264");
    a->media[0].clock = 90000;
    ngx_str_set(&a->media[0].fmtp, "level-asymmetry-allowed=1;"
                "packetization-mode=1;profile-level-id=42e01f");
    a->media[0].rtcp_fb = NGX_RTC_SDP_FB_NACK|NGX_RTC_SDP_FB_NACK_PLI
                          |NGX_RTC_SDP_FB_CCM_FIR;
    a->media[0].rtcp_rsize = 1;          /* Chromium offers it */
    a->media[0].ssrc = 0xdeadbeef;

    a->nmedia = 1;
}


static const char  *answer_video[] = {
    "m=video 9 UDP/TLS/RTP/SAVPF 108",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:nRtc",
    "a=ice-pwd:bS8xW5cHq2Ld0Zt4Mv7Ue1Gk",
    "a=ice-options:trickle",
    "a=fingerprint:" FP,
    "a=setup:passive",
    "a=mid:0",
    "a=sendonly",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:108 H264/90000",
    "a=rtcp-fb:108 nack",
    "a=rtcp-fb:108 nack pli",
    "a=rtcp-fb:108 ccm fir",
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;"
        "profile-level-id=42e01f",
    "a=ssrc:3735928559 cname:nginx-rtc",
    "a=ssrc:3735928559 msid:cam1 cam1-0",
    "a=msid:cam1 cam1-0",
    "a=" CAND1,
    "a=" CAND2,
    "a=end-of-candidates",
};


/* the session lines of our answers, then those of its video if asked */

static ngx_uint_t
expect_session(const char **expect, const char *bundle, const char *msid,
    ngx_uint_t video)
{
    ngx_uint_t  i, n;

    n = 0;
    expect[n++] = "v=0";
    expect[n++] = "o=- 4611686018427387905 2 IN IP4 127.0.0.1";
    expect[n++] = "s=-";
    expect[n++] = "t=0 0";
    expect[n++] = bundle;
    expect[n++] = msid;

    for (i = 0; video && i < sizeof(answer_video) / sizeof(answer_video[0]);
         i++)
    {
        expect[n++] = answer_video[i];
    }

    return n;
}


static void
test_answer(void)
{
    size_t                 len, n;
    u_char                *p, *buf;
    ngx_uint_t             i;
    ngx_rtc_sdp_answer_t   a;
    const char            *expect[64];

    static u_char          out[8192];

    answer_init(&a);

    /* H.264 only */

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        return;
    }

    n = expect_session(expect, "a=group:BUNDLE 0",
                       "a=msid-semantic: WMS cam1", 1);

    check_lines(out, p, expect, n);

    /* it fits in exactly len + 1 bytes, and in nothing shorter */

    len = p - out;

    for (i = 0; i <= len + 1; i++) {
        buf = malloc(i ? i : 1);
        p = ngx_rtc_sdp_write_answer(buf, buf + i, &a);
        NGX_RTC_CHECK((p == NULL) == (i <= len));
        NGX_RTC_CHECK(p == NULL || ngx_memcmp(buf, out, len) == 0);
        free(buf);
    }

    /* our answer parses back */

    NGX_RTC_CHECK(ngx_rtc_sdp_parse(out, out + len, sdp) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 1);
    NGX_RTC_CHECK(str_eq(&sdp->bundle, "0"));
    NGX_RTC_CHECK(sdp->media[0].direction == NGX_RTC_SDP_SENDONLY);
    NGX_RTC_CHECK(str_eq(&sdp->media[0].setup, "passive"));
    NGX_RTC_CHECK(str_eq(&sdp->media[0].fp_alg, "sha-256"));
    NGX_RTC_CHECK(sdp->media[0].ncands == 2
                  && sdp->media[0].end_of_candidates);
    NGX_RTC_CHECK(sdp->media[0].fmts[0].rtcp_fb
                  == (NGX_RTC_SDP_FB_NACK|NGX_RTC_SDP_FB_NACK_PLI
                      |NGX_RTC_SDP_FB_CCM_FIR));

    /* video and a rejected audio: port 0, the offer's first PT */

    a.nmedia = 2;
    ngx_str_set(&a.media[1].type, "audio");
    ngx_str_set(&a.media[1].proto, "UDP/TLS/RTP/SAVPF");
    ngx_str_set(&a.media[1].mid, "1");
    a.media[1].rejected = 1;
    a.media[1].pt = 111;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        return;
    }

    n = expect_session(expect, "a=group:BUNDLE 0",
                       "a=msid-semantic: WMS cam1", 1);

    expect[n++] = "m=audio 0 UDP/TLS/RTP/SAVPF 111";
    expect[n++] = "c=IN IP4 0.0.0.0";
    expect[n++] = "a=mid:1";
    expect[n++] = "a=inactive";

    check_lines(out, p, expect, n);

    NGX_RTC_CHECK(ngx_rtc_sdp_parse(out, p, sdp) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 2 && sdp->media[1].port == 0);
    NGX_RTC_CHECK(sdp->media[1].direction == NGX_RTC_SDP_INACTIVE);
    NGX_RTC_CHECK(sdp->media[1].ncands == 0);

    /* rejected first, then video with Opus audio bundled */

    a.nmedia = 3;
    a.media[2] = a.media[0];
    a.media[0] = a.media[1];
    ngx_str_set(&a.media[0].mid, "0");
    ngx_str_set(&a.media[2].mid, "2");
    ngx_str_set(&a.media[1].type, "audio");
    ngx_str_set(&a.media[1].mid, "1");
    a.media[1].rejected = 0;
    a.media[1].pt = 111;
    ngx_str_set(&a.media[1].codec, "opus");
    a.media[1].clock = 48000;
    a.media[1].channels = 2;
    ngx_str_set(&a.media[1].fmtp, "minptime=10;useinbandfec=1");
    a.media[1].rtcp_fb = NGX_RTC_SDP_FB_TWCC|NGX_RTC_SDP_FB_REMB;
    a.media[1].rtcp_rsize = 1;
    a.media[1].ssrc = 1;
    a.ncands = 0;
    a.msid.len = 0;
    a.cname.len = 0;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        return;
    }

    n = expect_session(expect, "a=group:BUNDLE 1 2", "a=msid-semantic: WMS",
                       0);
    expect[n++] = "m=audio 0 UDP/TLS/RTP/SAVPF 111";
    expect[n++] = "c=IN IP4 0.0.0.0";
    expect[n++] = "a=mid:0";
    expect[n++] = "a=inactive";
    expect[n++] = "m=audio 9 UDP/TLS/RTP/SAVPF 111";
    expect[n++] = "c=IN IP4 0.0.0.0";
    expect[n++] = "a=rtcp:9 IN IP4 0.0.0.0";
    expect[n++] = "a=ice-ufrag:nRtc";
    expect[n++] = "a=ice-pwd:bS8xW5cHq2Ld0Zt4Mv7Ue1Gk";
    expect[n++] = "a=ice-options:trickle";
    expect[n++] = "a=fingerprint:" FP;
    expect[n++] = "a=setup:passive";
    expect[n++] = "a=mid:1";
    expect[n++] = "a=sendonly";
    expect[n++] = "a=rtcp-mux";
    expect[n++] = "a=rtcp-rsize";
    expect[n++] = "a=rtpmap:111 opus/48000/2";
    expect[n++] = "a=rtcp-fb:111 goog-remb";
    expect[n++] = "a=rtcp-fb:111 transport-cc";
    expect[n++] = "a=fmtp:111 minptime=10;useinbandfec=1";
    expect[n++] = "a=end-of-candidates";

    for (i = 0; i < 17; i++) {
        if (i == 8) {
            expect[n++] = "a=mid:2";
            continue;
        }

        expect[n++] = answer_video[i];
    }

    check_lines(out, p, expect, n);

    /* values that would break the SDP */

    answer_init(&a);
    ngx_str_set(&a.media[0].mid, "0\r\na=inject");
    NGX_RTC_CHECK(ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a)
                  == NULL);

    answer_init(&a);
    ngx_str_set(&a.media[0].mid, "0 1");
    NGX_RTC_CHECK(ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a)
                  == NULL);

    answer_init(&a);
    ngx_str_set(&a.cands[1], "candidate:1\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a)
                  == NULL);

    answer_init(&a);
    a.nmedia = NGX_RTC_SDP_MAX_MEDIA + 1;
    NGX_RTC_CHECK(ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a)
                  == NULL);

    answer_init(&a);
    a.ncands = NGX_RTC_SDP_MAX_CAND + 1;
    NGX_RTC_CHECK(ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a)
                  == NULL);
}


/*
 * An audio m-line first that the stream cannot fill, as Home Assistant
 * offers it: bundled, inactive, the offer's format echoed, the bundle's
 * transport and candidates (its first section), no ssrc or msid.
 */

static void
test_answer_inactive(void)
{
    u_char                *p;
    ngx_uint_t             i, n, m, fmt;
    ngx_rtc_sdp_answer_t   a;
    const char            *expect[64];

    static u_char          out[8192];

    answer_init(&a);

    a.nmedia = 2;
    a.media[1] = a.media[0];
    ngx_str_set(&a.media[1].mid, "1");

    ngx_memzero(&a.media[0], sizeof(ngx_rtc_sdp_answer_media_t));
    ngx_str_set(&a.media[0].type, "audio");
    ngx_str_set(&a.media[0].proto, "UDP/TLS/RTP/SAVPF");
    ngx_str_set(&a.media[0].mid, "0");
    a.media[0].inactive = 1;
    a.media[0].rtcp_rsize = 1;
    a.media[0].pt = 109;
    ngx_str_set(&a.media[0].codec, "opus");
    a.media[0].clock = 48000;
    a.media[0].channels = 2;
    ngx_str_set(&a.media[0].fmtp, "maxplaybackrate=48000;stereo=1");
    a.media[0].ssrc = 77;               /* never written */

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        return;
    }

    n = expect_session(expect, "a=group:BUNDLE 0 1",
                       "a=msid-semantic: WMS cam1", 0);

    m = n;
    expect[n++] = "m=audio 9 UDP/TLS/RTP/SAVPF 109";

    for (i = 1; i < 8; i++) {
        expect[n++] = answer_video[i];     /* c=, ICE, DTLS */
    }

    expect[n++] = "a=mid:0";
    expect[n++] = "a=inactive";
    expect[n++] = "a=rtcp-mux";
    expect[n++] = "a=rtcp-rsize";
    fmt = n;
    expect[n++] = "a=rtpmap:109 opus/48000/2";
    expect[n++] = "a=fmtp:109 maxplaybackrate=48000;stereo=1";
    expect[n++] = "a=" CAND1;
    expect[n++] = "a=" CAND2;
    expect[n++] = "a=end-of-candidates";

    for (i = 0; i < 17; i++) {
        expect[n++] = (i == 8) ? "a=mid:1" : answer_video[i];
    }

    expect[n++] = "a=ssrc:3735928559 cname:nginx-rtc";
    expect[n++] = "a=ssrc:3735928559 msid:cam1 cam1-1";
    expect[n++] = "a=msid:cam1 cam1-1";

    check_lines(out, p, expect, n);

    NGX_RTC_CHECK(ngx_rtc_sdp_parse(out, p, sdp) == NGX_OK);
    NGX_RTC_CHECK(str_eq(&sdp->bundle, "0 1"));
    NGX_RTC_CHECK(sdp->nmedia == 2 && sdp->media[0].port == 9);
    NGX_RTC_CHECK(sdp->media[0].direction == NGX_RTC_SDP_INACTIVE);
    NGX_RTC_CHECK(sdp->media[0].ncands == 2);
    NGX_RTC_CHECK(sdp->media[1].direction == NGX_RTC_SDP_SENDONLY);

    /* a static payload type without a=rtpmap stays without one */

    a.media[0].pt = 0;
    a.media[0].codec.len = 0;
    a.media[0].fmtp.len = 0;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        return;
    }

    expect[m] = "m=audio 9 UDP/TLS/RTP/SAVPF 0";

    for (i = fmt; i + 2 < n; i++) {
        expect[i] = expect[i + 2];
    }

    check_lines(out, p, expect, n - 2);
}


/* the answer to the Chromium fixture, as the session layer would build it */

static u_char *
answer_from_offer(ngx_rtc_sdp_t *o, u_char *out, u_char *last)
{
    ngx_str_t                    v;
    ngx_uint_t                   i, j;
    ngx_rtc_sdp_fmt_t           *f;
    ngx_rtc_sdp_media_t         *m;
    ngx_rtc_sdp_answer_t         a;
    ngx_rtc_sdp_answer_media_t  *am;

    answer_init(&a);
    a.nmedia = o->nmedia;

    for (i = 0; i < o->nmedia; i++) {
        m = &o->media[i];
        am = &a.media[i];

        ngx_memzero(am, sizeof(ngx_rtc_sdp_answer_media_t));
        am->type = m->type;
        am->proto = m->proto;
        am->mid = m->mid;
        am->rejected = 1;
        am->pt = m->fmts[0].pt;
        am->codec = m->fmts[0].name;
        am->ssrc = 1000 + i;

        for (j = 0; j < m->nfmts; j++) {
            f = &m->fmts[j];

            if (f->name.len == 4
                && ngx_strncasecmp(f->name.data, (u_char *) "H264", 4) == 0
                && ngx_rtc_sdp_fmtp_param(&f->fmtp, "packetization-mode", &v)
                   == NGX_OK
                && v.len == 1 && v.data[0] == '1')
            {
                am->rejected = 0;
                am->pt = f->pt;
                am->codec = f->name;
                am->clock = f->clock;
                am->fmtp = f->fmtp;
                am->rtcp_fb = f->rtcp_fb & (NGX_RTC_SDP_FB_NACK
                                            |NGX_RTC_SDP_FB_NACK_PLI
                                            |NGX_RTC_SDP_FB_CCM_FIR);
                break;
            }
        }
    }

    return ngx_rtc_sdp_write_answer(out, last, &a);
}


static ngx_uint_t
contains(u_char *p, u_char *last, const char *s)
{
    return ngx_strlcasestrn(p, last, (u_char *) s, ngx_strlen(s) - 1)
           != NULL;
}


static void
test_answer_to_chromium(void)
{
    u_char      *p, *s;
    buf_t        b;
    ngx_uint_t   n;

    static u_char  out[8192];

    b = buf_file(FIXTURES "chromium-offer.sdp");

    if (b.data == NULL || parse(&b) != NGX_OK) {
        NGX_RTC_CHECK(0);
        free(b.data);
        return;
    }

    p = answer_from_offer(sdp, out, out + sizeof(out));
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        free(b.data);
        return;
    }

    if (getenv("NGX_RTC_SDP_DUMP_ANSWER")) {
        fwrite(out, 1, p - out, stdout);
    }

    /* the first H.264 packetization-mode=1 is PT 102 (42001f) */

    NGX_RTC_CHECK(contains(out, p, "\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n"));
    NGX_RTC_CHECK(contains(out, p, "\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"));
    NGX_RTC_CHECK(contains(out, p, "\r\na=group:BUNDLE 0\r\n"));

    for (n = 0, s = out; (s = ngx_strlcasestrn(s, p, (u_char *) "\nm=", 2));
         s += 3)
    {
        n++;
    }

    NGX_RTC_CHECK(n == 2);

    free(b.data);
}


/*
 * A WHEP client's offer (ngx_rtc_sdp_parse_offer()) and fragment: the
 * values that reach the answer, a header or libnice are checked against
 * their grammar, and a bad one is an error naming the line.  A camera's
 * SDP (ngx_rtc_sdp_parse()) is read as loosely as before.
 */

typedef struct {
    const char  *from;      /* in the Chromium fixture, first occurrence */
    const char  *to;
    const char  *err;       /* NULL: accepted */
} offer_edit_t;


#define buf_lit(s)  buf_dup(s, sizeof(s) - 1)


static buf_t
buf_edit(buf_t *orig, const char *from, const char *to)
{
    size_t   flen, tlen, off;
    buf_t    b;
    u_char  *p;

    flen = ngx_strlen(from);
    tlen = ngx_strlen(to);

    p = ngx_strlcasestrn(orig->data, orig->data + orig->len,
                         (u_char *) from, flen - 1);

    if (p == NULL) {
        fprintf(stderr, "  \"%s\" not in the fixture\n", from);
        b.data = NULL;
        b.len = 0;
        return b;
    }

    off = p - orig->data;

    b.len = orig->len - flen + tlen;
    b.data = malloc(b.len);

    ngx_memcpy(b.data, orig->data, off);
    ngx_memcpy(b.data + off, to, tlen);
    ngx_memcpy(b.data + off + tlen, p + flen, orig->len - off - flen);

    return b;
}


static void
test_offer_strict(void)
{
    buf_t        orig, b;
    ngx_int_t    rc;
    ngx_str_t    t;
    ngx_uint_t   i;

    static u_char  out[16384];

    static const offer_edit_t  edits[] = {

        /* the case: a non-ASCII byte in a=mid was a 500 */
        { "a=mid:0", "a=mid:\xc3\xa9", "a=mid is not a token of 1 to 32 "
                                       "characters" },
        { "a=mid:0", "a=mid:0\x01", "control character" },
        { "a=mid:0", "a=mid:0\x7f", "control character" },
        { "a=mid:0", "a=mid:0\rX", "control character" },
        { "a=mid:0", "a=mid:a/b", "a=mid is not a token of 1 to 32 "
                                  "characters" },
        { "a=mid:0", "a=mid:\"0\"", "a=mid is not a token of 1 to 32 "
                                    "characters" },
        { "a=mid:0", "a=mid:", "a=mid is not a token of 1 to 32 "
                               "characters" },
        { "a=mid:0", "a=mid:0123456789012345678901234567890123",
          "a=mid is not a token of 1 to 32 characters" },
        { "a=mid:0", "a=mid:01234567890123456789012345678901", NULL },
        { "a=mid:0", "a=mid:sdparta_0", NULL },
        { "a=mid:1", "a=mid:0", "duplicate a=mid" },

        { "a=ice-ufrag:M41v", "a=ice-ufrag:M4\xc3\xa9", "a=ice-ufrag is not "
                                                "4 to 256 ice-chars" },
        { "a=ice-ufrag:M41v", "a=ice-ufrag:M41", "a=ice-ufrag is not 4 to "
                                                 "256 ice-chars" },
        { "a=ice-ufrag:M41v", "a=ice-ufrag:M4-v", "a=ice-ufrag is not 4 to "
                                                  "256 ice-chars" },
        { "a=ice-ufrag:M41v", "a=ice-ufrag:M+/v", NULL },
        { "a=ice-pwd:/3QwvXh7gvTJvvZlzBtrdyw8",
          "a=ice-pwd:/3QwvXh7gvTJvvZlzBtrd", "a=ice-pwd is not 22 to 256 "
                                             "ice-chars" },
        { "a=ice-pwd:/3QwvXh7gvTJvvZlzBtrdyw8",
          "a=ice-pwd:/3QwvXh7gvTJvvZlzBtrdy\xff", "a=ice-pwd is not 22 to "
                                                  "256 ice-chars" },

        { "a=fingerprint:sha-256 2A", "a=fingerprint:sha-256 2G",
          "a=fingerprint is not a hash function and hex byte pairs" },
        { "a=fingerprint:sha-256 2A", "a=fingerprint:sh\xc3\xa4 2A",
          "a=fingerprint is not a hash function and hex byte pairs" },
        { "a=fingerprint:sha-256 2A", "a=fingerprint:sha-256  2a", NULL },
        { "E4:A1\r\n", "E4:\r\n",
          "a=fingerprint is not a hash function and hex byte pairs" },
        { "E4:A1\r\n", "E4:A1:\r\n",
          "a=fingerprint is not a hash function and hex byte pairs" },

        { "m=video 9 UDP/TLS/RTP/SAVPF", "m=vid\xc3\xa9o 9 "
          "UDP/TLS/RTP/SAVPF", "m= media or proto is not a token" },
        { "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 "
          "UDP/TLS//SAVPF", "m= media or proto is not a token" },
        { "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 "
          "UDP/TLS/RTP/SAVPF/", "m= media or proto is not a token" },
        { "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 "
          "UDP/\"TLS\"/RTP/SAVPF", "m= media or proto is not a token" },

        { "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP8/90000\r\n"
          "m=application 9 UDP/DTLS/SCTP webrtc-\xff", "m= format is not a "
                                                         "token" },
        { "a=rtpmap:96 VP8/90000", "a=rtpmap:96 V\xc3\xa9P8/90000", NULL },
        { "a=fmtp:97 apt=96", "a=fmtp:97 apt=96\x0b", "control character" },
        { "a=fmtp:97 apt=96", "a=fmtp:97\tapt=96", NULL },
        { "s=-", "s=caf\xc3\xa9", NULL },
    };

    orig = buf_file(FIXTURES "chromium-offer.sdp");

    if (orig.data == NULL) {
        NGX_RTC_CHECK(0);
        return;
    }

    /* the browsers' offers, as they are */

    NGX_RTC_CHECK(ngx_rtc_sdp_parse_offer(orig.data, orig.data + orig.len,
                                          sdp)
                  == NGX_OK);

    b = buf_file(FIXTURES "firefox-offer.sdp");
    NGX_RTC_CHECK(b.data
                  && ngx_rtc_sdp_parse_offer(b.data, b.data + b.len, sdp)
                     == NGX_OK);
    free(b.data);

    b = buf_file(FIXTURES "safari-offer.sdp");
    NGX_RTC_CHECK(b.data
                  && ngx_rtc_sdp_parse_offer(b.data, b.data + b.len, sdp)
                     == NGX_OK);
    free(b.data);

    for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        b = buf_edit(&orig, edits[i].from, edits[i].to);

        if (b.data == NULL) {
            NGX_RTC_CHECK(0);
            continue;
        }

        rc = ngx_rtc_sdp_parse_offer(b.data, b.data + b.len, sdp);

        if (edits[i].err == NULL) {
            if (rc != NGX_OK) {
                fprintf(stderr, "  edit %lu: %s at line %lu\n",
                        (unsigned long) i, sdp->err,
                        (unsigned long) sdp->err_line);
            }

            NGX_RTC_CHECK(rc == NGX_OK);

            /* accepted: its answer can be written (no 500) */
            NGX_RTC_CHECK(answer_from_offer(sdp, out, out + sizeof(out))
                          != NULL);

        } else {
            NGX_RTC_CHECK(rc == NGX_ERROR);
            NGX_RTC_CHECK(sdp->err && ngx_strcmp(sdp->err, edits[i].err)
                                      == 0
                          && sdp->err_line > 0);

            if (sdp->err == NULL || ngx_strcmp(sdp->err, edits[i].err)) {
                fprintf(stderr, "  edit %lu: got \"%s\"\n",
                        (unsigned long) i, sdp->err ? sdp->err : "(null)");
            }

            /* a camera's SDP is read as before */
            NGX_RTC_CHECK(parse(&b) == NGX_OK
                          || (sdp->err
                              && ngx_strcmp(sdp->err, edits[i].err) != 0));
        }

        free(b.data);
    }

    /* the line is named */

    b = buf_edit(&orig, "a=mid:0", "a=mid:\xc3\xa9");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_offer(b.data, b.data + b.len, sdp)
                  == NGX_ERROR);
    NGX_RTC_CHECK(err_is("a=mid is not a token of 1 to 32 characters", 18));
    free(b.data);

    free(orig.data);

    /* fragments (RFC 8840): the same checks */

    b = buf_lit("m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:au\r\n"
                "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 1 && str_eq(&sdp->media[0].mid, "au")
                  && str_eq(&sdp->media[0].type, "audio")
                  && str_eq(&sdp->media[0].ice_ufrag, "abcd"));
    free(b.data);

    b = buf_lit("a=ice-ufrag:abcd\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
                "a=mid:\xe2\x82\xac\r\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_ERROR);
    NGX_RTC_CHECK(err_is("a=mid is not a token of 1 to 32 characters", 3));
    free(b.data);

    b = buf_lit("m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\n\nX: y\r\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(str_eq(&sdp->media[0].mid, "0"));
    free(b.data);

    b = buf_lit("m=vi\"eo 9 UDP/TLS/RTP/SAVPF 0\r\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_ERROR);
    NGX_RTC_CHECK(err_is("m= media or proto is not a token", 1));
    free(b.data);

    /* the token validator itself (RFC 8866, 9) */

    ngx_str_set(&t, "UDP/TLS/RTP/SAVPF");
    NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 1, 32) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 0, 32) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 1, 16) == NGX_ERROR);

    ngx_str_set(&t, "!#$%&'*+-.^_`{|}~09AZaz");
    NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 0, 32) == NGX_OK);

    for (i = 0; i < 256; i++) {
        u_char  c = (u_char) i;

        t.data = &c;
        t.len = 1;

        NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 1, 32)
                      == ((ngx_strchr("\"(),/:;<=>?@[\\]", c) || c <= 0x20
                           || c >= 0x7f)
                          ? NGX_ERROR : NGX_OK));
    }

    t.len = 0;
    NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 0, 32) == NGX_ERROR);

    ngx_str_set(&t, "/RTP");
    NGX_RTC_CHECK(ngx_rtc_sdp_is_token(&t, 1, 32) == NGX_ERROR);
}


/* xorshift64*: a fixed seed makes every failure reproducible */

static uint64_t  prng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
prng(void)
{
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;

    return (uint32_t) ((prng_state * 0x2545f4914f6cdd1dULL) >> 32);
}


static ngx_uint_t
str_inside(ngx_str_t *s, buf_t *b)
{
    if (s->len == 0) {
        return 1;
    }

    return s->data >= b->data && s->data + s->len <= b->data + b->len;
}


/* one report per broken invariant, with the iteration to replay */

#define INVARIANT(cond)                                                       \
    do {                                                                      \
        if (!(cond) && broken++ < 10) {                                       \
            fprintf(stderr, "FAIL %s:%d: iteration %lu: %s\n",                \
                    __FILE__, __LINE__, (unsigned long) i, #cond);            \
        }                                                                     \
    } while (0)

static void
test_mutations(void)
{
    size_t                 len, off, n;
    u_char                *p, *tmp;
    buf_t                  orig, b;
    ngx_str_t              v;
    ngx_uint_t             i, j, k, ok, bad, nmut, broken;
    ngx_rtc_sdp_media_t   *m;

    static u_char          out[16384];
    static const u_char    special[] = "\0\r\n =:/;* 0123456789-";
    static const char     *names[] = { "profile-level-id",
                                       "packetization-mode", "apt",
                                       "sprop-parameter-sets" };

    orig = buf_file(FIXTURES "chromium-offer.sdp");

    if (orig.data == NULL) {
        NGX_RTC_CHECK(0);
        return;
    }

    tmp = malloc(orig.len * 2 + 64);
    ok = 0;
    bad = 0;
    broken = 0;

    for (i = 0; i < 100000; i++) {
        ngx_memcpy(tmp, orig.data, orig.len);
        len = orig.len;

        nmut = 1 + prng() % 8;

        for (k = 0; k < nmut && len; k++) {
            off = prng() % len;

            switch (prng() % 6) {

            case 0:
                tmp[off] = (u_char) prng();
                break;

            case 1:
                tmp[off] = special[prng() % (sizeof(special) - 1)];
                break;

            case 2:
                /* delete a range */
                n = prng() % 64;
                n = ngx_min(n, len - off);
                ngx_memmove(tmp + off, tmp + off + n, len - off - n);
                len -= n;
                break;

            case 3:
                /* duplicate a range, within the spare room */
                n = prng() % 64;
                n = ngx_min(n, len - off);
                n = ngx_min(n, orig.len * 2 + 64 - len);
                ngx_memmove(tmp + off + n, tmp + off, len - off);
                len += n;
                break;

            case 4:
                len = off;
                break;

            default:
                tmp[off] ^= 1 << (prng() % 8);
                break;
            }
        }

        b = buf_dup(tmp, len);

        if (parse(&b) != NGX_OK) {
            INVARIANT(sdp->err != NULL);
            bad++;
            free(b.data);
            continue;
        }

        ok++;

        /* every string points into the input */

        INVARIANT(sdp->nmedia <= NGX_RTC_SDP_MAX_MEDIA);
        INVARIANT(str_inside(&sdp->bundle, &b));

        for (j = 0; j < sdp->nmedia; j++) {
            m = &sdp->media[j];

            INVARIANT(m->nfmts >= 1 && m->nfmts <= NGX_RTC_SDP_MAX_FMT);
            INVARIANT(m->ncands <= NGX_RTC_SDP_MAX_CAND);
            INVARIANT(m->direction <= NGX_RTC_SDP_INACTIVE);
            INVARIANT(str_inside(&m->mid, &b)
                          && str_inside(&m->ice_pwd, &b)
                          && str_inside(&m->fp_value, &b));

            for (k = 0; k < m->nfmts; k++) {
                INVARIANT(str_inside(&m->fmts[k].fmtp, &b)
                              && str_inside(&m->fmts[k].name, &b));

                for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
                    if (ngx_rtc_sdp_fmtp_param(&m->fmts[k].fmtp, names[n],
                                               &v)
                        == NGX_OK)
                    {
                        INVARIANT(str_inside(&v, &b));
                    }
                }
            }

            for (k = 0; k < m->ncands; k++) {
                INVARIANT(str_inside(&m->cands[k], &b));
            }
        }

        /* and the writer copes with whatever mids and names came in */

        p = answer_from_offer(sdp, out, out + sizeof(out));
        INVARIANT(p == NULL || p < out + sizeof(out));

        free(b.data);
    }

    printf("# mutations: %lu parsed, %lu refused, %lu broken invariants\n",
           (unsigned long) ok, (unsigned long) bad, (unsigned long) broken);

    NGX_RTC_CHECK(broken == 0);
    NGX_RTC_CHECK(ok > 1000 && bad > 1000);

    free(tmp);
    free(orig.data);
}


/*
 * The offer of a whep:// source: parsed by the strict parser, receive
 * only, actpass, its credentials, fingerprint and candidates; H.264,
 * both H.265 profiles; Opus, PCMA, PCMU unless video only; refused values
 * that would break a line.
 */

static void
test_whep_source_offer(void)
{
    u_char               out[8192], *p;
    ngx_str_t            v;
    ngx_rtc_sdp_offer_t  o;

    ngx_memzero(&o, sizeof(ngx_rtc_sdp_offer_t));

    o.session_id = 42;
    ngx_str_set(&o.ice_ufrag, "abcd");
    ngx_str_set(&o.ice_pwd, "0123456789012345678901");
    ngx_str_set(&o.fingerprint, "sha-256 AB:CD:EF");
    ngx_str_set(&o.cands[0],
                "candidate:1 1 UDP 2015363327 10.99.0.1 40000 typ host");
    o.ncands = 1;
    o.audio = 1;

    p = ngx_rtc_sdp_write_offer(out, out + sizeof(out), &o);
    NGX_RTC_CHECK(p != NULL);

    if (p == NULL) {
        return;
    }

    NGX_RTC_CHECK(ngx_rtc_sdp_parse_offer(out, p, sdp) == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 2);
    NGX_RTC_CHECK(str_eq(&sdp->bundle, "0 1"));

    NGX_RTC_CHECK(str_eq(&sdp->media[0].type, "video")
                  && sdp->media[0].direction == NGX_RTC_SDP_RECVONLY
                  && sdp->media[0].rtcp_mux
                  && str_eq(&sdp->media[0].setup, "actpass")
                  && str_eq(&sdp->media[0].ice_ufrag, "abcd")
                  && str_eq(&sdp->media[0].fp_alg, "sha-256")
                  && str_eq(&sdp->media[0].fp_value, "AB:CD:EF")
                  && sdp->media[0].ncands == 1
                  && sdp->media[0].end_of_candidates);
    NGX_RTC_CHECK(sdp->media[0].nfmts == 3
                  && str_eq(&sdp->media[0].fmts[0].name, "H264")
                  && str_eq(&sdp->media[0].fmts[1].name, "H265")
                  && str_eq(&sdp->media[0].fmts[2].name, "H265")
                  && (sdp->media[0].fmts[0].rtcp_fb & NGX_RTC_SDP_FB_NACK)
                  && (sdp->media[0].fmts[1].rtcp_fb
                      & NGX_RTC_SDP_FB_NACK_PLI));
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&sdp->media[0].fmts[0].fmtp,
                                         "packetization-mode", &v)
                  == NGX_OK && str_eq(&v, "1"));
    NGX_RTC_CHECK(ngx_rtc_sdp_fmtp_param(&sdp->media[0].fmts[2].fmtp,
                                         "profile-id", &v)
                  == NGX_OK && str_eq(&v, "2"));

    NGX_RTC_CHECK(str_eq(&sdp->media[1].type, "audio")
                  && sdp->media[1].direction == NGX_RTC_SDP_RECVONLY
                  && sdp->media[1].nfmts == 3
                  && str_eq(&sdp->media[1].fmts[0].name, "opus")
                  && sdp->media[1].fmts[0].channels == 2
                  && str_eq(&sdp->media[1].fmts[1].name, "PCMA")
                  && str_eq(&sdp->media[1].fmts[2].name, "PCMU"));

    /* video only */

    o.audio = 0;
    p = ngx_rtc_sdp_write_offer(out, out + sizeof(out), &o);
    NGX_RTC_CHECK(p != NULL && ngx_rtc_sdp_parse_offer(out, p, sdp) == NGX_OK
                  && sdp->nmedia == 1 && str_eq(&sdp->bundle, "0"));

    /* too small a buffer, a line break in a value */

    NGX_RTC_CHECK(ngx_rtc_sdp_write_offer(out, out + 200, &o) == NULL);

    ngx_str_set(&o.ice_pwd, "0123456789\r\na=x:012345678901");
    NGX_RTC_CHECK(ngx_rtc_sdp_write_offer(out, out + sizeof(out), &o)
                  == NULL);
}


/*
 * Trickle fragments (RFC 8840) as clients send them: candidates before
 * any m= line (taken as the one ICE transport's), a section with more
 * than NGX_RTC_SDP_MAX_CAND (the rest counted, dropped), MediaMTX's
 * shape (the offer's whole m= line, a=mid the m-line index).
 */

static void
test_frag_candidates(void)
{
    u_char      *p;
    buf_t        b;
    ngx_uint_t   i;

    static u_char  text[8192];

    /* session level: taken in a fragment */

    b = buf_lit("a=ice-ufrag:EsAw\r\n"
                "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
                "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\n"
                "a=candidate:2 1 udp 2122260223 192.0.2.2 61765 typ host\r\n"
                "a=end-of-candidates\r\n");

    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 0 && sdp->ncands == 2);
    NGX_RTC_CHECK(str_eq(&sdp->cands[0], "candidate:1 1 udp 2122260223 "
                                         "192.0.2.1 61764 typ host"));
    NGX_RTC_CHECK(str_eq(&sdp->cands[1], "candidate:2 1 udp 2122260223 "
                                         "192.0.2.2 61765 typ host"));
    NGX_RTC_CHECK(sdp->end_of_candidates && sdp->cands_dropped == 0);

    /* not in an offer (RFC 8839, 5.1: media level) */

    NGX_RTC_CHECK(parse(&b) == NGX_ERROR);     /* no v= */
    free(b.data);

    b = buf_lit("v=0\r\n"
                "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\n"
                "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");

    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->ncands == 0 && sdp->media[0].ncands == 0);
    free(b.data);

    /* an end-of-candidates alone; a fragment with no candidate */

    b = buf_lit("a=end-of-candidates\r\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->ncands == 0 && sdp->end_of_candidates);
    free(b.data);

    b = buf_lit("a=ice-ufrag:EsAw\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
                "a=mid:0\r\n");
    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->ncands == 0 && sdp->media[0].ncands == 0);
    NGX_RTC_CHECK(!sdp->end_of_candidates);
    free(b.data);

    /* MediaMTX: the offer's m= line, 30 candidates in one section */

    p = ngx_sprintf(text, "a=ice-ufrag:EsAw\r\n"
                    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
                    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 "
                    "37 38 102 103 104 107 108 109 114 115 116 117 39 40 41 "
                    "42 43 44 45 46 47 48 118 119 120 49\r\n"
                    "a=mid:0\r\n");

    for (i = 0; i < 30; i++) {
        p = ngx_sprintf(p, "a=candidate:%ui 1 udp 2122260223 10.0.%ui.1 "
                        "%ui typ host generation 0 ufrag EsAw network-id %ui "
                        "network-cost 10\r\n", 1000 + i, i, 50000 + i, i);
    }

    b = buf_dup(text, p - text);

    NGX_RTC_CHECK(ngx_rtc_sdp_parse_frag(b.data, b.data + b.len, sdp)
                  == NGX_OK);
    NGX_RTC_CHECK(sdp->nmedia == 1
                  && sdp->media[0].ncands == NGX_RTC_SDP_MAX_CAND);
    NGX_RTC_CHECK(sdp->cands_dropped == 30 - NGX_RTC_SDP_MAX_CAND);
    NGX_RTC_CHECK(sdp->media[0].cands[0].len > 10
                  && ngx_strncmp(sdp->media[0].cands[0].data,
                                 "candidate:1000 ", 15) == 0);
    free(b.data);
}


/* RFC 5506, 5: a=rtcp-rsize read per section, answered only if offered */

static void
test_answer_rsize(void)
{
    u_char                *p;
    buf_t                  b;
    ngx_rtc_sdp_answer_t   a;

    static u_char          out[8192];

    b = buf_lit("v=0\r\n"
                "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                "a=rtcp-mux\r\n"
                "a=rtcp-rsize\r\n"
                "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
                "a=rtcp-mux\r\n");

    NGX_RTC_CHECK(parse(&b) == NGX_OK);
    NGX_RTC_CHECK(sdp->media[0].rtcp_rsize && !sdp->media[1].rtcp_rsize);
    free(b.data);

    answer_init(&a);
    a.media[0].rtcp_rsize = 0;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        NGX_RTC_CHECK(contains(out, p, "\r\na=rtcp-mux\r\n"));
        NGX_RTC_CHECK(!contains(out, p, "rtcp-rsize"));
    }

    a.media[0].rtcp_rsize = 1;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &a);
    NGX_RTC_CHECK(p != NULL && contains(out, p, "\r\na=rtcp-mux\r\n"
                                                "a=rtcp-rsize\r\n"));
}


int
main(void)
{
    sdp = malloc(sizeof(ngx_rtc_sdp_t));

    test_chromium_offer();
    test_chromium_offer_lf();
    test_gst_describe();
    test_camera_shapes();
    test_attributes();
    test_fmtp_param();
    test_errors();
    test_answer();
    test_answer_inactive();
    test_answer_to_chromium();
    test_offer_strict();
    test_mutations();
    test_whep_source_offer();
    test_frag_candidates();
    test_answer_rsize();

    free(sdp);

    return NGX_RTC_UNIT_DONE();
}
