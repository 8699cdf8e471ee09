/*
 * Copyright (C) nginx-rtc authors
 *
 * RTSP message parser.  The responses are captured from gst-rtsp-server
 * 1.22 (Debian 12, "GStreamer RTSP server") serving
 * "videotestsrc ! x264enc ! rtph264pay pt=96 config-interval=1" on
 * rtsp://127.0.0.1:18554/cam, by a plain socket client sending OPTIONS,
 * DESCRIBE, SETUP (interleaved=0-1) and PLAY.
 */

/* unit-deps: src/ngx_rtc_rtsp_parse.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_rtsp_parse.h"


#define S(s)  (u_char *) (s), (u_char *) (s) + sizeof(s) - 1

#define EQ(str, lit)                                                          \
    ((str).len == sizeof(lit) - 1                                             \
     && ngx_memcmp((str).data, lit, sizeof(lit) - 1) == 0)


/* gst-rtsp-server: response to OPTIONS */
static char  options_resp[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 1\r\n"
    "Public: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD,"
    " SETUP, SET_PARAMETER, TEARDOWN\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Date: Wed, 25 Nov 2026 07:45:11 GMT\r\n"
    "\r\n";

/* gst-rtsp-server: response to DESCRIBE, 528-byte SDP body */
static char  describe_resp[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 2\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Base: rtsp://127.0.0.1:18554/cam/\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Date: Wed, 25 Nov 2026 07:45:11 GMT\r\n"
    "Content-Length: 528\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 7836261551043155106 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "i=rtsp-server\r\n"
    "t=0 0\r\n"
    "a=tool:GStreamer\r\n"
    "a=type:broadcast\r\n"
    "a=control:*\r\n"
    "a=range:npt=now-\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:2097\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=framerate:25\r\n"
    "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtkAoC/5cBagwMDU"
    "oAAAAwAgAAAGUeLFyQ==,aMuMsg==;profile-level-id=42c01e;"
    "level-asymmetry-allowed=1\r\n"
    "a=control:stream=0\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:4141632549 cname:user250975599@host-18a5bb30\r\n";

/* gst-rtsp-server: response to SETUP */
static char  setup_resp[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 3\r\n"
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=F6DC4C25;"
    "mode=\"PLAY\"\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Session: 6.vSP8ZBKcmiReaE\r\n"
    "Date: Wed, 25 Nov 2026 07:45:11 GMT\r\n"
    "\r\n";

/*
 * gst-rtsp-server: response to PLAY and, in the same read, the first
 * interleaved packet: '$', channel 0, length 14: RTP V=2 PT=96
 * seq=0x767b ts=0x32e6db20 ssrc=0xf6dc4c25, payload 09 10 (an access unit
 * delimiter NAL), then the start of the next packet (channel 0, 40 bytes).
 */
static char  play_resp[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 4\r\n"
    "RTP-Info: url=rtsp://127.0.0.1:18554/cam/stream=0;seq=30331;"
    "rtptime=853990176\r\n"
    "Range: npt=now-\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Session: 6.vSP8ZBKcmiReaE\r\n"
    "Date: Wed, 25 Nov 2026 07:45:11 GMT\r\n"
    "\r\n"
    "$\x00\x00\x0e"
    "\x80\x60\x76\x7b\x32\xe6\xdb\x20\xf6\xdc\x4c\x25\x09\x10"
    "$\x00\x00\x28\x80\x60\x76\x7c";

/* gst-rtsp-server with RTSPAuth, Digest method, to DESCRIBE without auth */
static char  digest_401[] =
    "RTSP/1.0 401 Unauthorized\r\n"
    "CSeq: 2\r\n"
    "WWW-Authenticate: Digest realm=\"GStreamer RTSP Server\", "
    "nonce=\"27a93cf8a79abb73\"\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Date: Wed, 25 Nov 2026 07:53:24 GMT\r\n"
    "\r\n";

/* the same server with the Basic method */
static char  basic_401[] =
    "RTSP/1.0 401 Unauthorized\r\n"
    "CSeq: 2\r\n"
    "WWW-Authenticate: Basic realm=\"GStreamer RTSP Server\"\r\n"
    "Server: GStreamer RTSP server\r\n"
    "Date: Wed, 25 Nov 2026 07:53:24 GMT\r\n"
    "\r\n";


static void
test_responses(void)
{
    ngx_int_t           rc;
    ngx_rtc_rtsp_msg_t  m;

    rc = ngx_rtc_rtsp_parse(S(options_resp), &m);
    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(m.type == NGX_RTC_RTSP_RESPONSE);
    NGX_RTC_CHECK(m.size == sizeof(options_resp) - 1);
    NGX_RTC_CHECK(m.status == 200 && EQ(m.reason, "OK"));
    NGX_RTC_CHECK(m.cseq == 1);
    NGX_RTC_CHECK(ngx_rtc_rtsp_has_method(&m.public, "GET_PARAMETER"));
    NGX_RTC_CHECK(ngx_rtc_rtsp_has_method(&m.public, "TEARDOWN"));
    NGX_RTC_CHECK(ngx_rtc_rtsp_has_method(&m.public, "OPTIONS"));
    NGX_RTC_CHECK(!ngx_rtc_rtsp_has_method(&m.public, "GET"));
    NGX_RTC_CHECK(!ngx_rtc_rtsp_has_method(&m.public, "REDIRECT"));
    NGX_RTC_CHECK(m.body.len == 0 && m.session.data == NULL);
    NGX_RTC_CHECK(m.content_base.data == NULL);

    rc = ngx_rtc_rtsp_parse(S(describe_resp), &m);
    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(m.size == sizeof(describe_resp) - 1);
    NGX_RTC_CHECK(m.cseq == 2);

    /* no Public header: NULL data (t/fuzz/corpus/rtsp/crash-6afb2f5b...) */
    NGX_RTC_CHECK(m.public.data == NULL);
    NGX_RTC_CHECK(!ngx_rtc_rtsp_has_method(&m.public, "GET_PARAMETER"));
    NGX_RTC_CHECK(EQ(m.content_type, "application/sdp"));
    NGX_RTC_CHECK(EQ(m.content_base, "rtsp://127.0.0.1:18554/cam/"));
    NGX_RTC_CHECK(m.body.len == 528);
    NGX_RTC_CHECK(m.body.len >= 4 && ngx_memcmp(m.body.data, "v=0\r", 4) == 0);

    /* every shorter prefix wants more bytes, none is an error */
    for (size_t n = 0; n < sizeof(describe_resp) - 1; n++) {
        rc = ngx_rtc_rtsp_parse((u_char *) describe_resp,
                                (u_char *) describe_resp + n, &m);
        if (rc != NGX_AGAIN) {
            NGX_RTC_CHECK(rc == NGX_AGAIN);
            break;
        }
    }

    rc = ngx_rtc_rtsp_parse(S(setup_resp), &m);
    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(m.cseq == 3);
    NGX_RTC_CHECK(EQ(m.session, "6.vSP8ZBKcmiReaE"));
    NGX_RTC_CHECK(m.session_timeout == 0);
    NGX_RTC_CHECK(EQ(m.transport, "RTP/AVP/TCP;unicast;interleaved=0-1;"
                                  "ssrc=F6DC4C25;mode=\"PLAY\""));

    rc = ngx_rtc_rtsp_parse(S(digest_401), &m);
    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(m.status == 401 && EQ(m.reason, "Unauthorized"));
    NGX_RTC_CHECK(EQ(m.auth_digest, "realm=\"GStreamer RTSP Server\", "
                                    "nonce=\"27a93cf8a79abb73\""));
    NGX_RTC_CHECK(m.auth_basic.data == NULL);

    rc = ngx_rtc_rtsp_parse(S(basic_401), &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.status == 401);
    NGX_RTC_CHECK(EQ(m.auth_basic, "realm=\"GStreamer RTSP Server\""));
    NGX_RTC_CHECK(m.auth_digest.data == NULL);
}


static void
test_play_and_interleaved(void)
{
    u_char              *p, *end;
    ngx_int_t            rc;
    ngx_rtc_rtsp_msg_t   m;

    p = (u_char *) play_resp;
    end = p + sizeof(play_resp) - 1;

    rc = ngx_rtc_rtsp_parse(p, end, &m);
    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(m.type == NGX_RTC_RTSP_RESPONSE && m.cseq == 4);
    NGX_RTC_CHECK(EQ(m.session, "6.vSP8ZBKcmiReaE"));
    NGX_RTC_CHECK(m.body.len == 0);

    p += m.size;
    NGX_RTC_CHECK(*p == '$');

    /* split across reads: each prefix is AGAIN */
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(p, p + 1, &m) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(p, p + 3, &m) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(p, p + 4, &m) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(p, p + 17, &m) == NGX_AGAIN);

    rc = ngx_rtc_rtsp_parse(p, end, &m);
    NGX_RTC_CHECK(rc == NGX_OK);
    NGX_RTC_CHECK(m.type == NGX_RTC_RTSP_INTERLEAVED);
    NGX_RTC_CHECK(m.channel == 0 && m.data.len == 14 && m.size == 18);
    NGX_RTC_CHECK(m.data.data[0] == 0x80 && m.data.data[12] == 0x09);

    p += m.size;

    /* the next packet: 40 bytes announced, 4 present */
    rc = ngx_rtc_rtsp_parse(p, end, &m);
    NGX_RTC_CHECK(rc == NGX_AGAIN);
}


static void
test_requests_and_variants(void)
{
    ngx_int_t           rc;
    ngx_rtc_rtsp_msg_t  m;

    /* a server's keepalive request to the client (RFC 2326 10.8) */
    rc = ngx_rtc_rtsp_parse(S("GET_PARAMETER rtsp://10.0.0.2/cam RTSP/1.0\r\n"
                              "CSeq: 7\r\n"
                              "Session: 12345678\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.type == NGX_RTC_RTSP_REQUEST);
    NGX_RTC_CHECK(EQ(m.method, "GET_PARAMETER") && m.cseq == 7);
    NGX_RTC_CHECK(EQ(m.uri, "rtsp://10.0.0.2/cam"));

    /* bare LF line ends, lower-case names, session timeout, folding */
    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\n"
                              "cseq:5\n"
                              "session:  ABCDEF01 ; timeout = 30\n"
                              "Content-Base: rtsp://cam/a/\n"
                              "Content-Location: rtsp://cam/b/\n"
                              "Public: OPTIONS,\n"
                              " GET_PARAMETER\n"
                              "content-length: 3\n\nabcXYZ"), &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.cseq == 5);
    NGX_RTC_CHECK(EQ(m.session, "ABCDEF01") && m.session_timeout == 30);
    NGX_RTC_CHECK(EQ(m.content_location, "rtsp://cam/b/"));
    NGX_RTC_CHECK(ngx_rtc_rtsp_has_method(&m.public, "GET_PARAMETER"));
    NGX_RTC_CHECK(EQ(m.body, "abc"));
    NGX_RTC_CHECK(m.size == sizeof("RTSP/1.0 200 OK\n"
                                   "cseq:5\n"
                                   "session:  ABCDEF01 ; timeout = 30\n"
                                   "Content-Base: rtsp://cam/a/\n"
                                   "Content-Location: rtsp://cam/b/\n"
                                   "Public: OPTIONS,\n"
                                   " GET_PARAMETER\n"
                                   "content-length: 3\n\nabc") - 1);

    /* Hikvision-style: both challenges, each in its own header */
    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 401 Unauthorized\r\n"
                              "CSeq: 2\r\n"
                              "WWW-Authenticate: Digest realm=\"IP Camera\", "
                              "nonce=\"a1\", stale=\"FALSE\"\r\n"
                              "WWW-Authenticate: Basic realm=\"IP Camera\"\r\n"
                              "WWW-Authenticate: Digest realm=\"x\"\r\n"
                              "\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.status == 401);
    NGX_RTC_CHECK(EQ(m.auth_basic, "realm=\"IP Camera\""));
    NGX_RTC_CHECK(EQ(m.auth_digest,
                     "realm=\"IP Camera\", nonce=\"a1\", stale=\"FALSE\""));

    /* a status line with an empty reason */
    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 454\r\nCSeq: 9\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.status == 454 && m.reason.len == 0);
}


static void
test_errors(void)
{
    u_char              *big;
    size_t               n;
    ngx_int_t            rc;
    ngx_rtc_rtsp_msg_t   m;

    /* garbage fails at once, without waiting for a blank line */
    rc = ngx_rtc_rtsp_parse(S("\x80\x60\x12\x34"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR && m.err != NULL);

    rc = ngx_rtc_rtsp_parse(S("HTTP/1.1 200 OK\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("rtsp/1.0 200 OK\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S("RTS"), &m) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S("DESCRI"), &m) == NGX_AGAIN);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 2000 OK\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 OK\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/x 200 OK\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\r\nno colon\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\r\nCSeq: x1\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\r\n"
                              "Content-Length: 65537\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\r\n"
                              "Content-Length: 99999999999999999999\r\n\r\n"),
                            &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\r\n"
                              "Content-Length: 2\r\n"
                              "Content-Length: 3\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("RTSP/1.0 200 OK\r\n"
                              "Content-Length: -1\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    rc = ngx_rtc_rtsp_parse(S("OPTIONS * HTTP/1.1\r\n\r\n"), &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    /* a 64 KB body is accepted: the limit is inclusive */
    n = 100 + NGX_RTC_RTSP_MAX_BODY;
    big = malloc(NGX_RTC_RTSP_MAX_HEADER + n);
    NGX_RTC_CHECK(big != NULL);
    if (big == NULL) {
        return;
    }

    n = ngx_sprintf(big, "RTSP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n",
                    NGX_RTC_RTSP_MAX_BODY) - big;
    ngx_memset(big + n, 'x', NGX_RTC_RTSP_MAX_BODY);
    rc = ngx_rtc_rtsp_parse(big, big + n + NGX_RTC_RTSP_MAX_BODY, &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.body.len == NGX_RTC_RTSP_MAX_BODY);
    rc = ngx_rtc_rtsp_parse(big, big + n + NGX_RTC_RTSP_MAX_BODY - 1, &m);
    NGX_RTC_CHECK(rc == NGX_AGAIN);

    /* a header block never ending: AGAIN until 16 KB, then an error */
    n = ngx_sprintf(big, "RTSP/1.0 200 OK\r\n") - big;
    while (n < NGX_RTC_RTSP_MAX_HEADER + 10) {
        n = ngx_sprintf(big + n, "X-Pad: 0123456789\r\n") - big;
    }

    rc = ngx_rtc_rtsp_parse(big, big + NGX_RTC_RTSP_MAX_HEADER - 1, &m);
    NGX_RTC_CHECK(rc == NGX_AGAIN);
    rc = ngx_rtc_rtsp_parse(big, big + n, &m);
    NGX_RTC_CHECK(rc == NGX_ERROR && m.err != NULL);

    /* the blank line right past 16 KB is too late */
    n = NGX_RTC_RTSP_MAX_HEADER - 2;
    ngx_memcpy(big + n, "\r\n\r\n", 4);
    rc = ngx_rtc_rtsp_parse(big, big + n + 4, &m);
    NGX_RTC_CHECK(rc == NGX_ERROR);

    /* and just within it is fine (the bytes before are "X-Pad..." lines) */
    n = 17 + 19 * 800;
    ngx_memcpy(big + n, "\r\n", 2);
    rc = ngx_rtc_rtsp_parse(big, big + n + 2, &m);
    NGX_RTC_CHECK(rc == NGX_OK && m.size == n + 2);

    /* every byte value at every position: no crash, no overread (ASan) */
    for (n = 0; n < 256; n++) {
        u_char  buf[24];

        ngx_memcpy(buf, "RTSP/1.0 200 OK\r\nA:b\r\n\r\n", 24);
        for (size_t i = 0; i < 24; i++) {
            u_char  *copy, save = buf[i];

            buf[i] = (u_char) n;
            copy = malloc(24);
            ngx_memcpy(copy, buf, 24);
            (void) ngx_rtc_rtsp_parse(copy, copy + 24, &m);
            for (size_t k = 0; k <= 24; k++) {
                (void) ngx_rtc_rtsp_parse(copy, copy + k, &m);
            }
            free(copy);
            buf[i] = save;
        }
    }

    free(big);
}


static void
test_transport(void)
{
    ngx_str_t                 v;
    ngx_rtc_rtsp_transport_t  t;

    /* gst-rtsp-server's SETUP answer */
    ngx_str_set(&v, "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=F6DC4C25;"
                    "mode=\"PLAY\"");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_OK);
    NGX_RTC_CHECK(t.tcp && t.interleaved[0] == 0 && t.interleaved[1] == 1);
    NGX_RTC_CHECK(t.has_ssrc && t.ssrc == 0xF6DC4C25);
    NGX_RTC_CHECK(t.client_port[0] == 0 && t.server_port[0] == 0);

    /* UDP, RFC 2326 12.39 example shape */
    ngx_str_set(&v, "RTP/AVP;unicast;client_port=4588-4589;"
                    "server_port=6256-6257");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_OK);
    NGX_RTC_CHECK(!t.tcp && t.interleaved[0] == -1 && !t.has_ssrc);
    NGX_RTC_CHECK(t.client_port[0] == 4588 && t.client_port[1] == 4589);
    NGX_RTC_CHECK(t.server_port[0] == 6256 && t.server_port[1] == 6257);

    /* a camera picking other channels, one value, short lower-case ssrc */
    ngx_str_set(&v, "RTP/AVP/TCP;unicast;interleaved=2;ssrc=1a2b ");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_OK);
    NGX_RTC_CHECK(t.interleaved[0] == 2 && t.interleaved[1] == 3);
    NGX_RTC_CHECK(t.has_ssrc && t.ssrc == 0x1a2b);

    /* several specs: the first counts; a too long ssrc is ignored */
    ngx_str_set(&v, "RTP/AVP/TCP;interleaved=4-5;ssrc=123456789,"
                    "RTP/AVP;client_port=1-2");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_OK);
    NGX_RTC_CHECK(t.interleaved[0] == 4 && !t.has_ssrc);
    NGX_RTC_CHECK(t.client_port[0] == 0);

    ngx_str_set(&v, "RTP/AVP/TCP;interleaved=256-257");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_ERROR);

    ngx_str_set(&v, "RTP/AVP;client_port=70000-70001");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_ERROR);

    ngx_str_set(&v, "RTP/AVP/TCP;interleaved=a-b");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_ERROR);

    ngx_str_set(&v, "MP2T/H2221/UDP;unicast");
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_ERROR);

    v.len = 0;
    v.data = NULL;
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_transport(&v, &t) == NGX_ERROR);
}


static ngx_int_t
resolve(const char *base, const char *control, u_char *buf, size_t size,
    ngx_str_t *out)
{
    ngx_str_t  b, c;

    b.data = (u_char *) base;
    b.len = ngx_strlen(base);
    c.data = (u_char *) control;
    c.len = ngx_strlen(control);

    return ngx_rtc_rtsp_resolve_url(&b, &c, buf, size, out);
}


static void
test_resolve_url(void)
{
    u_char     buf[256];
    ngx_str_t  out;

    /* gst-rtsp-server: Content-Base with a slash, "stream=0" */
    NGX_RTC_CHECK(resolve("rtsp://127.0.0.1:18554/cam/", "stream=0", buf,
                          sizeof(buf), &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://127.0.0.1:18554/cam/stream=0"));

    /* the session-level "*" */
    NGX_RTC_CHECK(resolve("rtsp://127.0.0.1:18554/cam/", "*", buf,
                          sizeof(buf), &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://127.0.0.1:18554/cam/"));
    NGX_RTC_CHECK(resolve("rtsp://cam/x", "", buf, sizeof(buf), &out)
                  == NGX_OK && EQ(out, "rtsp://cam/x"));

    /* no slash in the base (request URL), and a query (Dahua) */
    NGX_RTC_CHECK(resolve("rtsp://cam/live", "trackID=1", buf, sizeof(buf),
                          &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://cam/live/trackID=1"));
    NGX_RTC_CHECK(resolve("rtsp://10.0.0.5:554/cam/realmonitor?channel=1"
                          "&subtype=0", "trackID=0", buf, sizeof(buf), &out)
                  == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://10.0.0.5:554/cam/realmonitor?channel=1"
                          "&subtype=0/trackID=0"));

    /* absolute URL, absolute path */
    NGX_RTC_CHECK(resolve("rtsp://cam/live/", "RTSP://10.0.0.9/media/v",
                          buf, sizeof(buf), &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "RTSP://10.0.0.9/media/v"));
    NGX_RTC_CHECK(resolve("rtsp://cam:8554/live/", "/other/track1", buf,
                          sizeof(buf), &out) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://cam:8554/other/track1"));
    NGX_RTC_CHECK(resolve("rtsp://cam", "/t", buf, sizeof(buf), &out)
                  == NGX_OK && EQ(out, "rtsp://cam/t"));

    /* refused: too long, a space, a base without authority */
    NGX_RTC_CHECK(resolve("rtsp://cam/live/", "trackID=1", buf, 20, &out)
                  == NGX_ERROR);
    NGX_RTC_CHECK(resolve("rtsp://cam/live/", "track 1", buf, sizeof(buf),
                          &out) == NGX_ERROR);
    NGX_RTC_CHECK(resolve("cam", "/t", buf, sizeof(buf), &out) == NGX_ERROR);
}


/*
 * A DESCRIBE answer whose SDP has no Content-Length (live555-based
 * firmware): the message ends with its header, however the bytes came;
 * ngx_rtc_rtsp_parse_sdp_unframed() tells it for the client's own rule.
 */

static void
test_sdp_unframed(void)
{
    ngx_rtc_rtsp_msg_t  m;

    static char  noclen[] =
        "RTSP/1.0 200 OK\r\n"
        "CSeq: 3\r\n"
        "Content-Type: application/sdp\r\n"
        "\r\n"
        "v=0\r\n"
        "o=- 1 1 IN IP4 127.0.0.1\r\n";

    static char  noclen_param[] =
        "RTSP/1.0 200 OK\r\nCSeq: 3\r\n"
        "Content-Type: Application/SDP ; charset=utf-8\r\n\r\n";

    static char  other_type[] =
        "RTSP/1.0 200 OK\r\nCSeq: 3\r\n"
        "Content-Type: application/sdpx\r\n\r\n";

    static char  not_200[] =
        "RTSP/1.0 404 Not Found\r\nCSeq: 3\r\n"
        "Content-Type: application/sdp\r\n\r\n";

    static char  clen0[] =
        "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 0\r\n"
        "Content-Type: application/sdp\r\n\r\n";

    /* the header only (not the 31 bytes of SDP), cut after it or not */

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(noclen), &m) == NGX_OK);
    NGX_RTC_CHECK(m.content_length == -1 && m.body.len == 0);
    NGX_RTC_CHECK(m.size == sizeof(noclen) - 1 - 31);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_sdp_unframed(&m));

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse((u_char *) noclen,
                                     (u_char *) noclen + m.size, &m)
                  == NGX_OK);
    NGX_RTC_CHECK(m.size == sizeof(noclen) - 1 - 31);

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(noclen_param), &m) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_sdp_unframed(&m));

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(other_type), &m) == NGX_OK);
    NGX_RTC_CHECK(!ngx_rtc_rtsp_parse_sdp_unframed(&m));

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(not_200), &m) == NGX_OK);
    NGX_RTC_CHECK(!ngx_rtc_rtsp_parse_sdp_unframed(&m));

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(clen0), &m) == NGX_OK);
    NGX_RTC_CHECK(m.content_length == 0);
    NGX_RTC_CHECK(!ngx_rtc_rtsp_parse_sdp_unframed(&m));

    /* with a length: the body it says */

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(describe_resp), &m) == NGX_OK);
    NGX_RTC_CHECK(m.content_length == 528 && m.body.len == 528);
    NGX_RTC_CHECK(!ngx_rtc_rtsp_parse_sdp_unframed(&m));
}


static ngx_int_t
redirect(const char *url, const char *conf, const char *location,
    u_char *buf, size_t size, ngx_str_t *out, const char **err)
{
    ngx_str_t  u, c, l;

    u.data = (u_char *) url;
    u.len = ngx_strlen(url);
    c.data = (u_char *) conf;
    c.len = ngx_strlen(conf);
    l.data = (u_char *) location;
    l.len = ngx_strlen(location);

    *err = NULL;

    return ngx_rtc_rtsp_redirect_url(&u, &c, &l, buf, size, out, err);
}


/*
 * The URL of a 3xx's Location: the configured host only (another port
 * or path), with the configured credentials, else the Location's own.
 */

static void
test_redirect_url(void)
{
    u_char               buf[256];
    ngx_str_t            out;
    const char          *err;
    ngx_rtc_rtsp_msg_t   m;

    static char  resp[] =
        "RTSP/1.0 302 Found\r\n"
        "CSeq: 3\r\n"
        "Location: rtsp://10.0.0.8:8554/ch1\r\n"
        "\r\n";

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse(S(resp), &m) == NGX_OK);
    NGX_RTC_CHECK(m.status == 302);
    NGX_RTC_CHECK(EQ(m.location, "rtsp://10.0.0.8:8554/ch1"));

    /* the same host, another port and path: the configured credentials */

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://u:p%40s@cam.lan/live",
                           "rtsp://CAM.lan:8554/ch1", buf, sizeof(buf), &out,
                           &err) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://u:p%40s@CAM.lan:8554/ch1"));

    /* ... even over the Location's own */

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://u:p@cam.lan/live",
                           "rtsp://x:y@cam.lan/ch1", buf, sizeof(buf), &out,
                           &err) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://u:p@cam.lan/ch1"));

    /* none configured: the Location's */

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://cam.lan/live",
                           "rtsp://x:y@cam.lan/ch1", buf, sizeof(buf), &out,
                           &err) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://x:y@cam.lan/ch1"));

    /* an absolute path: the current scheme and authority */

    NGX_RTC_CHECK(redirect("rtsp://10.0.0.2:554/a?b=c", "rtsp://u:p@10.0.0.2/a",
                           "/ch2?x=1", buf, sizeof(buf), &out, &err)
                  == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://u:p@10.0.0.2:554/ch2?x=1"));

    NGX_RTC_CHECK(redirect("rtsps://[::1]:3222/a", "rtsps://u:p@[::1]:3222/a",
                           "/b", buf, sizeof(buf), &out, &err) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsps://u:p@[::1]:3222/b"));

    /* another host: refused, with or without credentials */

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://u:p@cam.lan/live",
                           "rtsp://10.0.0.9/ch1", buf, sizeof(buf), &out,
                           &err) == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://cam.lan/live",
                           "rtsp://v:q@nvr.lan/ch1", buf, sizeof(buf), &out,
                           &err) == NGX_ERROR && err);

    /* the host a user information ends in, as the URL parser reads it */

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://u:p@cam.lan/live",
                           "rtsp://cam.lan@evil.lan/ch1", buf, sizeof(buf),
                           &out, &err) == NGX_ERROR && err);

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://u:p@cam.lan/live",
                           "rtsp://evil.lan?@cam.lan/ch1", buf, sizeof(buf),
                           &out, &err) == NGX_OK);
    NGX_RTC_CHECK(EQ(out, "rtsp://u:p@cam.lan/ch1"));

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://u:p@cam.lan/live",
                           "rtsp://cam.lan.evil.lan/ch1", buf, sizeof(buf),
                           &out, &err) == NGX_ERROR && err);

    /* rtsp:// to rtsps:// yes, not back */

    NGX_RTC_CHECK(redirect("rtsp://cam.lan/live", "rtsp://cam.lan/live",
                           "rtsps://cam.lan/live", buf, sizeof(buf), &out,
                           &err) == NGX_OK);
    NGX_RTC_CHECK(redirect("rtsps://cam.lan/live", "rtsps://cam.lan/live",
                           "rtsp://cam.lan/live", buf, sizeof(buf), &out,
                           &err) == NGX_ERROR && err);

    /* refused: another scheme, no host, no scheme, a relative path */

    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "http://a/b", buf,
                           sizeof(buf), &out, &err) == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "rtsp:///b", buf,
                           sizeof(buf), &out, &err) == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "//evil/b", buf,
                           sizeof(buf), &out, &err) == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "c", buf,
                           sizeof(buf), &out, &err) == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "", buf,
                           sizeof(buf), &out, &err) == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "rtsp://a/b c", buf,
                           sizeof(buf), &out, &err) == NGX_ERROR && err);

    /* too long, with the credentials or without */

    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://user:pass@a/b",
                           "rtsp://a/0123456789", buf, 24, &out, &err)
                  == NGX_ERROR && err);
    NGX_RTC_CHECK(redirect("rtsp://a/b", "rtsp://a/b", "rtsp://a/0123456789",
                           buf, 12, &out, &err) == NGX_ERROR && err);
}


/*
 * Stray bytes between '$' frames while playing (Canon and Axis stacks,
 * live555 after a partial write): the next place a message may start.
 */

static void
test_resync(void)
{
    u_char          *p, *end;
    static u_char    ch[2] = { 0, 1 };
    static u_char    crlf[] = "\r\n$\x00\x00\x0c\x80\x60";
    static u_char    others[] = "x$\x07\x00\x20\x80"
                                "$\x00\x00\x04\x80"
                                "$\x01\x00\x20\x40"
                                "$\x01\x00\x20\x81";
    static u_char    req[] = "\x17\x17SET_PARAMETER rtsp://cam/ RTSP/1.0\r\n";
    static u_char    resp[] = "PLAYRTSP/1.0 200 OK\r\n";
    static u_char    cut[] = "\x17\x17RTS";
    static u_char    none[] = "\x17$\x09\x00\x20\x80 GET / HTTP/1.1";

    /* a CRLF, then a frame on channel 0 (RTP version 2, 12 bytes) */

    p = crlf;
    end = crlf + sizeof(crlf) - 1;

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p + 1, end, ch, 2) == p + 2);

    /* a '$' on a channel not ours, a short one, not version 2: skipped */

    p = others;
    end = others + sizeof(others) - 1;

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, end, ch, 2) == p + 16);

    /* without channels (UDP): responses and server requests only */

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, end, ch, 0) == end);

    /* a server's request, a response */

    p = req;
    end = req + sizeof(req) - 1;

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, end, ch, 2) == p + 2);

    p = resp;
    end = resp + sizeof(resp) - 1;

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, end, ch, 2) == p + 4);

    /* cut at the end: the start of one is kept for more bytes */

    p = cut;
    end = cut + sizeof(cut) - 1;

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, end, ch, 2) == p + 2);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, p + 1, ch, 2) == p + 1);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(crlf, crlf + 4, ch, 2)
                  == crlf + 2);
    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(crlf, crlf + 6, ch, 2)
                  == crlf + 2);

    /* nothing: all of it */

    p = none;
    end = none + sizeof(none) - 1;

    NGX_RTC_CHECK(ngx_rtc_rtsp_parse_resync(p, end, ch, 2) == end);
}


int
main(void)
{
    test_responses();
    test_play_and_interleaved();
    test_requests_and_variants();
    test_errors();
    test_transport();
    test_resolve_url();
    test_sdp_unframed();
    test_redirect_url();
    test_resync();

    return NGX_RTC_UNIT_DONE();
}
