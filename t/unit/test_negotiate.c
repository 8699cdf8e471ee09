/*
 * Copyright (C) nginx-rtc authors
 *
 * The codec choice (ngx_rtc_negotiate.c) against real offers: Debian's
 * Chromium 156 (recvonly video + audio, the capture in t/e2e/lib/sdp.js)
 * and edits of it, and a GStreamer webrtcbin-shaped offer with H265.
 */

/* unit-deps: src/ngx_rtc_negotiate.c src/ngx_rtc_sdp.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_frame.h"
#include "ngx_rtc_negotiate.h"


static char  chromium[] =
    "v=0\r\n"
    "o=- 3043816315754077771 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=video 41484 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 37 38 102 10"
        "3 104 107 108 109 114 115 116 117 39 40 41 42 43 44 45 46 47 48 118 11"
        "9 120 49\r\n"
    "c=IN IP4 10.99.0.1\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:2033159616 1 udp 2113937151 10.99.0.1 41484 typ host gener"
        "ation 0 network-cost 999\r\n"
    "a=ice-ufrag:SVA5\r\n"
    "a=ice-pwd:QhSNq7NwXXjs9pR0MGiI1BYf\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 9E:BA:2B:84:C7:C4:FF:A3:06:62:00:71:80:11:0D:78:"
        "F6:C8:79:08:DF:1B:11:99:60:6A:E8:7F:68:91:72:14\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
        "\r\n"
    "a=extmap:3 urn:3gpp:video-orientation\r\n"
    "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc"
        "-extensions-01\r\n"
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
        "\r\n"
    "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-"
        "type\r\n"
    "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r"
        "\n"
    "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r"
        "\n"
    "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtcp-xr:rcvr-rtt=all\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 VP9/90000\r\n"
    "a=rtcp-fb:98 goog-remb\r\n"
    "a=rtcp-fb:98 transport-cc\r\n"
    "a=rtcp-fb:98 ccm fir\r\n"
    "a=rtcp-fb:98 nack\r\n"
    "a=rtcp-fb:98 nack pli\r\n"
    "a=fmtp:98 profile-id=0\r\n"
    "a=rtpmap:99 rtx/90000\r\n"
    "a=fmtp:99 apt=98\r\n"
    "a=rtpmap:100 VP9/90000\r\n"
    "a=rtcp-fb:100 goog-remb\r\n"
    "a=rtcp-fb:100 transport-cc\r\n"
    "a=rtcp-fb:100 ccm fir\r\n"
    "a=rtcp-fb:100 nack\r\n"
    "a=rtcp-fb:100 nack pli\r\n"
    "a=fmtp:100 profile-id=2\r\n"
    "a=rtpmap:101 rtx/90000\r\n"
    "a=fmtp:101 apt=100\r\n"
    "a=rtpmap:35 VP9/90000\r\n"
    "a=rtcp-fb:35 goog-remb\r\n"
    "a=rtcp-fb:35 transport-cc\r\n"
    "a=rtcp-fb:35 ccm fir\r\n"
    "a=rtcp-fb:35 nack\r\n"
    "a=rtcp-fb:35 nack pli\r\n"
    "a=fmtp:35 profile-id=1\r\n"
    "a=rtpmap:36 rtx/90000\r\n"
    "a=fmtp:36 apt=35\r\n"
    "a=rtpmap:37 VP9/90000\r\n"
    "a=rtcp-fb:37 goog-remb\r\n"
    "a=rtcp-fb:37 transport-cc\r\n"
    "a=rtcp-fb:37 ccm fir\r\n"
    "a=rtcp-fb:37 nack\r\n"
    "a=rtcp-fb:37 nack pli\r\n"
    "a=fmtp:37 profile-id=3\r\n"
    "a=rtpmap:38 rtx/90000\r\n"
    "a=fmtp:38 apt=37\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 goog-remb\r\n"
    "a=rtcp-fb:102 transport-cc\r\n"
    "a=rtcp-fb:102 ccm fir\r\n"
    "a=rtcp-fb:102 nack\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-leve"
        "l-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:104 H264/90000\r\n"
    "a=rtcp-fb:104 goog-remb\r\n"
    "a=rtcp-fb:104 transport-cc\r\n"
    "a=rtcp-fb:104 ccm fir\r\n"
    "a=rtcp-fb:104 nack\r\n"
    "a=rtcp-fb:104 nack pli\r\n"
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-leve"
        "l-id=42001f\r\n"
    "a=rtpmap:107 rtx/90000\r\n"
    "a=fmtp:107 apt=104\r\n"
    "a=rtpmap:108 H264/90000\r\n"
    "a=rtcp-fb:108 goog-remb\r\n"
    "a=rtcp-fb:108 transport-cc\r\n"
    "a=rtcp-fb:108 ccm fir\r\n"
    "a=rtcp-fb:108 nack\r\n"
    "a=rtcp-fb:108 nack pli\r\n"
    "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-leve"
        "l-id=42e01f\r\n"
    "a=rtpmap:109 rtx/90000\r\n"
    "a=fmtp:109 apt=108\r\n"
    "a=rtpmap:114 H264/90000\r\n"
    "a=rtcp-fb:114 goog-remb\r\n"
    "a=rtcp-fb:114 transport-cc\r\n"
    "a=rtcp-fb:114 ccm fir\r\n"
    "a=rtcp-fb:114 nack\r\n"
    "a=rtcp-fb:114 nack pli\r\n"
    "a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-leve"
        "l-id=42e01f\r\n"
    "a=rtpmap:115 rtx/90000\r\n"
    "a=fmtp:115 apt=114\r\n"
    "a=rtpmap:116 H264/90000\r\n"
    "a=rtcp-fb:116 goog-remb\r\n"
    "a=rtcp-fb:116 transport-cc\r\n"
    "a=rtcp-fb:116 ccm fir\r\n"
    "a=rtcp-fb:116 nack\r\n"
    "a=rtcp-fb:116 nack pli\r\n"
    "a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-leve"
        "l-id=4d001f\r\n"
    "a=rtpmap:117 rtx/90000\r\n"
    "a=fmtp:117 apt=116\r\n"
    "a=rtpmap:39 H264/90000\r\n"
    "a=rtcp-fb:39 goog-remb\r\n"
    "a=rtcp-fb:39 transport-cc\r\n"
    "a=rtcp-fb:39 ccm fir\r\n"
    "a=rtcp-fb:39 nack\r\n"
    "a=rtcp-fb:39 nack pli\r\n"
    "a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level"
        "-id=4d001f\r\n"
    "a=rtpmap:40 rtx/90000\r\n"
    "a=fmtp:40 apt=39\r\n"
    "a=rtpmap:41 H264/90000\r\n"
    "a=rtcp-fb:41 goog-remb\r\n"
    "a=rtcp-fb:41 transport-cc\r\n"
    "a=rtcp-fb:41 ccm fir\r\n"
    "a=rtcp-fb:41 nack\r\n"
    "a=rtcp-fb:41 nack pli\r\n"
    "a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level"
        "-id=f4001f\r\n"
    "a=rtpmap:42 rtx/90000\r\n"
    "a=fmtp:42 apt=41\r\n"
    "a=rtpmap:43 H264/90000\r\n"
    "a=rtcp-fb:43 goog-remb\r\n"
    "a=rtcp-fb:43 transport-cc\r\n"
    "a=rtcp-fb:43 ccm fir\r\n"
    "a=rtcp-fb:43 nack\r\n"
    "a=rtcp-fb:43 nack pli\r\n"
    "a=fmtp:43 level-asymmetry-allowed=1;packetization-mode=0;profile-level"
        "-id=f4001f\r\n"
    "a=rtpmap:44 rtx/90000\r\n"
    "a=fmtp:44 apt=43\r\n"
    "a=rtpmap:45 AV1/90000\r\n"
    "a=rtcp-fb:45 goog-remb\r\n"
    "a=rtcp-fb:45 transport-cc\r\n"
    "a=rtcp-fb:45 ccm fir\r\n"
    "a=rtcp-fb:45 nack\r\n"
    "a=rtcp-fb:45 nack pli\r\n"
    "a=fmtp:45 level-idx=5;profile=0;tier=0\r\n"
    "a=rtpmap:46 rtx/90000\r\n"
    "a=fmtp:46 apt=45\r\n"
    "a=rtpmap:47 AV1/90000\r\n"
    "a=rtcp-fb:47 goog-remb\r\n"
    "a=rtcp-fb:47 transport-cc\r\n"
    "a=rtcp-fb:47 ccm fir\r\n"
    "a=rtcp-fb:47 nack\r\n"
    "a=rtcp-fb:47 nack pli\r\n"
    "a=fmtp:47 level-idx=5;profile=1;tier=0\r\n"
    "a=rtpmap:48 rtx/90000\r\n"
    "a=fmtp:48 apt=47\r\n"
    "a=rtpmap:118 red/90000\r\n"
    "a=rtpmap:119 rtx/90000\r\n"
    "a=fmtp:119 apt=118\r\n"
    "a=rtpmap:120 ulpfec/90000\r\n"
    "a=rtpmap:49 flexfec-03/90000\r\n"
    "a=rtcp-fb:49 goog-remb\r\n"
    "a=rtcp-fb:49 transport-cc\r\n"
    "a=fmtp:49 repair-window=10000000\r\n"
    "m=audio 41027 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 10.99.0.1\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:2033159616 1 udp 2113937151 10.99.0.1 41027 typ host gener"
        "ation 0 network-cost 999\r\n"
    "a=ice-ufrag:SVA5\r\n"
    "a=ice-pwd:QhSNq7NwXXjs9pR0MGiI1BYf\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 9E:BA:2B:84:C7:C4:FF:A3:06:62:00:71:80:11:0D:78:"
        "F6:C8:79:08:DF:1B:11:99:60:6A:E8:7F:68:91:72:14\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
        "\r\n"
    "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc"
        "-extensions-01\r\n"
    "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtcp-xr:rcvr-rtt=all\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n";


/* webrtcbin-like: H265 (no fmtp, Main by default) and H264, no audio */

static char  h265_offer[] =
    "v=0\r\n"
    "o=- 1 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=ice-options:trickle\r\n"
    "a=group:BUNDLE video0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=setup:actpass\r\n"
    "a=ice-ufrag:kL2e\r\n"
    "a=ice-pwd:3oRzXyQmG1rJ6bLkPz0aUtS9\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=recvonly\r\n"
    "a=mid:video0\r\n"
    "a=rtpmap:96 H265/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=fingerprint:sha-256 9E:BA:2B:84:C7:C4:FF:A3:06:62:00:71:80:11:0D:78:"
        "F6:C8:79:08:DF:1B:11:99:60:6A:E8:7F:68:91:72:14\r\n";


/*
 * gst-plugins-rs whepsrc with its default video-caps (webrtcbin's offer):
 * VP8, VP9, H264, H265, AV1 with no a=fmtp, so H.264 in
 * packetization-mode 0 (RFC 6184, 8.1), and no a=rtcp-rsize
 */

static char  whepsrc_offer[] =
    "v=0\r\n"
    "o=- 4257312264435398457 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=ice-options:trickle\r\n"
    "a=group:BUNDLE video0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 101 102 103 104 105\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=setup:actpass\r\n"
    "a=ice-ufrag:kL2e\r\n"
    "a=ice-pwd:3oRzXyQmG1rJ6bLkPz0aUtS9\r\n"
    "a=rtcp-mux\r\n"
    "a=recvonly\r\n"
    "a=mid:video0\r\n"
    "a=rtpmap:101 VP8/90000\r\n"
    "a=rtpmap:102 VP9/90000\r\n"
    "a=rtpmap:103 H264/90000\r\n"
    "a=rtpmap:104 H265/90000\r\n"
    "a=rtpmap:105 AV1/90000\r\n"
    "a=fingerprint:sha-256 9E:BA:2B:84:C7:C4:FF:A3:06:62:00:71:80:11:0D:78:"
        "F6:C8:79:08:DF:1B:11:99:60:6A:E8:7F:68:91:72:14\r\n";


static ngx_rtc_sdp_t         offer;
static ngx_rtc_sdp_answer_t  ans;
static ngx_rtc_negotiate_t   neg;
static u_char                reason[512];
/*
 * Home Assistant's player (and the WebRTC Camera card): an audio
 * transceiver, then video, both recvonly, in Firefox ESR's shape; then a
 * data channel, and an audio m-line outside the BUNDLE group.
 */

static char  ha_offer[] =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-128.0 4613318016262539146 0 IN IP4 0.0.0.0"
        "\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 9E:BA:2B:84:C7:C4:FF:A3:06:62:00:71:80:11:0D:78:"
        "F6:C8:79:08:DF:1B:11:99:60:6A:E8:7F:68:91:72:14\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=ice-options:trickle\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=recvonly\r\n"
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ice-pwd:a45c5a5b3f3e3a4f9e7c0d2d1e6f7a8b\r\n"
    "a=ice-ufrag:3d1e7c0a\r\n"
    "a=mid:0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=rtpmap:9 G722/8000/1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000/1\r\n"
    "a=setup:actpass\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 126 127\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=recvonly\r\n"
    "a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetiz"
        "ation-mode=1\r\n"
    "a=fmtp:127 apt=126\r\n"
    "a=ice-pwd:a45c5a5b3f3e3a4f9e7c0d2d1e6f7a8b\r\n"
    "a=ice-ufrag:3d1e7c0a\r\n"
    "a=mid:1\r\n"
    "a=rtcp-fb:126 nack\r\n"
    "a=rtcp-fb:126 nack pli\r\n"
    "a=rtcp-fb:126 ccm fir\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:126 H264/90000\r\n"
    "a=rtpmap:127 rtx/90000\r\n"
    "a=setup:actpass\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-pwd:a45c5a5b3f3e3a4f9e7c0d2d1e6f7a8b\r\n"
    "a=ice-ufrag:3d1e7c0a\r\n"
    "a=mid:2\r\n"
    "a=setup:actpass\r\n"
    "a=sctp-port:5000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=recvonly\r\n"
    "a=ice-pwd:b45c5a5b3f3e3a4f9e7c0d2d1e6f7a8b\r\n"
    "a=ice-ufrag:4d1e7c0a\r\n"
    "a=mid:3\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=setup:actpass\r\n";


static char                  edited[16384];


/* the offer with "from" replaced by "to" (once) */

static char *
edit(const char *text, const char *from, const char *to)
{
    const char  *p;
    size_t       n;

    p = strstr(text, from);

    if (p == NULL) {
        fprintf(stderr, "edit: \"%s\" not found\n", from);
        return NULL;
    }

    n = p - text;
    ngx_memcpy(edited, text, n);
    ngx_cpystrn((u_char *) edited + n, (u_char *) to, sizeof(edited) - n);
    n += strlen(to);
    ngx_cpystrn((u_char *) edited + n, (u_char *) p + strlen(from),
                sizeof(edited) - n);

    return edited;
}


/*
 * Debian's Firefox ESR with bundlePolicy "max-bundle", audio then video
 * (VP8 renamed H264 as the e2e test does): the video port 0, bundle-only,
 * no candidates, its fingerprint at the session level.
 */
static char  firefox_max_bundle[] =
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-99.0 7097277214305971826 0 IN IP4 0.0.0.0"
        "\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "a=fingerprint:sha-256 19:F6:C5:44:BB:2B:4D:D5:87:9A:2F:21:54:42:D6:2D:"
        "BC:2F:FB:34:D3:01:13:B0:84:46:1A:F0:1D:64:3F:D5\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=ice-options:trickle\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=candidate:0 1 UDP 2122187007 10.99.0.1 51489 typ host\r\n"
    "a=recvonly\r\n"
    "a=end-of-candidates\r\n"
    "a=ice-pwd:ca720d81d342ff242c85d554fff8117d\r\n"
    "a=ice-ufrag:57bde115\r\n"
    "a=mid:0\r\n"
    "a=rtcp-mux\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
    "a=rtpmap:9 G722/8000/1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 120 124\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=bundle-only\r\n"
    "a=recvonly\r\n"
    "a=ice-pwd:ca720d81d342ff242c85d554fff8117d\r\n"
    "a=ice-ufrag:57bde115\r\n"
    "a=mid:1\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=setup:actpass\r\n"
    "a=rtcp-fb:120 nack\r\n"
    "a=rtcp-fb:120 nack pli\r\n"
    "a=rtcp-fb:120 ccm fir\r\n"
    "a=rtpmap:120 H264/90000\r\n"
    "a=fmtp:120 profile-level-id=42e01f;level-asymmetry-allowed=1;"
        "packetization-mode=1\r\n"
    "a=rtpmap:124 rtx/90000\r\n"
    "a=fmtp:124 apt=120\r\n";


static ngx_int_t
run(char *text, ngx_uint_t video, ngx_int_t profile, ngx_uint_t audio)
{
    ngx_rtc_negotiate_conf_t  nc;

    if (text == NULL
        || ngx_rtc_sdp_parse((u_char *) text, (u_char *) text + strlen(text),
                             &offer)
           != NGX_OK)
    {
        return NGX_ABORT;
    }

    ngx_memzero(&ans, sizeof(ngx_rtc_sdp_answer_t));
    ngx_str_set(&nc.name, "cam");
    nc.video = video;
    nc.profile = profile;
    nc.audio = audio;

    return ngx_rtc_negotiate(&nc, &offer, &ans, &neg, reason,
                             sizeof(reason));
}


static ngx_uint_t
reason_has(const char *s)
{
    return ngx_strlcasestrn(neg.reason.data,
                            neg.reason.data + neg.reason.len,
                            (u_char *) s, strlen(s) - 1)
           != NULL;
}


static ngx_uint_t
is(ngx_str_t *s, const char *v)
{
    return s->len == strlen(v) && ngx_strncmp(s->data, v, s->len) == 0;
}


static void
test_chromium(void)
{
    u_char  *p, out[16384];

    /* H.264 + PCMA: 42e01f packetization-mode=1 (pt 108), its rtx 109 */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video == 0);
    NGX_RTC_CHECK(neg.video_pt == 108);
    NGX_RTC_CHECK(neg.rtx_pt == 109);
    NGX_RTC_CHECK(neg.audio == 1);
    NGX_RTC_CHECK(neg.audio_pt == 8);
    NGX_RTC_CHECK(ans.nmedia == 2);
    NGX_RTC_CHECK(!ans.media[0].rejected && !ans.media[1].rejected);
    NGX_RTC_CHECK(ans.media[0].rtcp_fb == (NGX_RTC_SDP_FB_NACK
                                           | NGX_RTC_SDP_FB_NACK_PLI
                                           | NGX_RTC_SDP_FB_CCM_FIR));
    NGX_RTC_CHECK(is(&ans.media[1].codec, "PCMA"));
    NGX_RTC_CHECK(ans.media[1].clock == 8000);
    NGX_RTC_CHECK(ans.media[1].rtcp_fb == 0);
    NGX_RTC_CHECK(ans.media[1].fmtp.len == 0);

    /* the answer the SDP writer makes of it */

    ngx_str_set(&ans.ice_ufrag, "abcd");
    ngx_str_set(&ans.ice_pwd, "0123456789abcdefghijkl");
    ngx_str_set(&ans.fingerprint, "sha-256 00:11");
    ngx_str_set(&ans.cname, "nginx-rtc");
    ngx_str_set(&ans.msid, "cam");
    ans.media[0].ssrc = 1111;
    ans.media[1].ssrc = 2222;

#if (NGX_RTC_SDP_RTX)
    ans.media[0].rtx_pt = neg.rtx_pt;
    ans.media[0].rtx_ssrc = 3333;
#endif

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out) - 1, &ans);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        *p = '\0';
        NGX_RTC_CHECK(strstr((char *) out, "a=group:BUNDLE 0 1\r\n") != NULL);
        NGX_RTC_CHECK(strstr((char *) out,
                             "m=audio 9 UDP/TLS/RTP/SAVPF 8\r\n") != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=rtpmap:8 PCMA/8000\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=rtcp-fb:108 nack\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=msid:cam cam-1\r\n") != NULL);

#if (NGX_RTC_SDP_RTX)
        NGX_RTC_CHECK(strstr((char *) out,
                             "m=video 9 UDP/TLS/RTP/SAVPF 108 109\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=rtpmap:109 rtx/90000\r\n"
                                           "a=fmtp:109 apt=108\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=ssrc-group:FID 1111 3333\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=ssrc:3333 cname:nginx-rtc\r\n")
                      != NULL);
#endif
    }

    /* Opus: pt 111, stereo, the offer's fmtp */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_OPUS)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == 1 && neg.audio_pt == 111);
    NGX_RTC_CHECK(is(&ans.media[1].codec, "opus"));
    NGX_RTC_CHECK(ans.media[1].clock == 48000);
    NGX_RTC_CHECK(ans.media[1].channels == 2);
    NGX_RTC_CHECK(is(&ans.media[1].fmtp, "minptime=10;useinbandfec=1"));

    /* PCMU */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMU)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == 1 && neg.audio_pt == 0);

    /*
     * a stream without audio: the audio m-line stays bundled, inactive,
     * video plays
     */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(neg.audio_offered == 1);
    NGX_RTC_CHECK(!ans.media[0].rejected && !ans.media[0].inactive);
    NGX_RTC_CHECK(!ans.media[1].rejected && ans.media[1].inactive);
    NGX_RTC_CHECK(ans.media[1].pt == 111);     /* echoes a format */
    NGX_RTC_CHECK(is(&ans.media[1].codec, "opus"));

    /* AAC never goes to a viewer as is */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_AAC)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);

    /* H.265 to Chromium: 406 naming both codecs */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H265, 1, NGX_RTC_CODEC_PCMA)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == 406);
    NGX_RTC_CHECK(reason_has("stream \"cam\" is H265 (profile-id=1)"));
    NGX_RTC_CHECK(reason_has("the offer has VP8 rtx VP9 H264 AV1"));
}


static void
test_audio_edits(void)
{
    /* an offer without PCMA: video only */

    NGX_RTC_CHECK(run(edit(chromium, "a=rtpmap:8 PCMA/8000\r\n",
                           "a=rtpmap:8 PCMU/16000\r\n"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(neg.audio_offered == 1);
    NGX_RTC_CHECK(!ans.media[0].rejected && ans.media[1].inactive);

    /* static payload type 8 without a=rtpmap (RFC 3551 6) */

    NGX_RTC_CHECK(run(edit(chromium, "a=rtpmap:8 PCMA/8000\r\n", ""),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == 1 && neg.audio_pt == 8);
    NGX_RTC_CHECK(is(&ans.media[1].codec, "PCMA"));

    /* opus must be stereo-signalled (RFC 7587 7) */

    NGX_RTC_CHECK(run(edit(chromium, "opus/48000/2", "opus/48000"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_OPUS)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);

    /* audio outside the BUNDLE group has no transport of its own here */

    NGX_RTC_CHECK(run(edit(chromium, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(ans.media[1].rejected && !ans.media[1].inactive);

    /* a sendonly audio m-line is not ours to send on: inactive */

    NGX_RTC_CHECK(run(edit(chromium, "a=mid:1\r\n",
                           "a=mid:1\r\na=sendonly\r\n"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(neg.audio_offered == 0);
    NGX_RTC_CHECK(ans.media[1].inactive);
}


static void
test_video_edits(void)
{
    /* without nack there is no RTX (RFC 4588 8.6) */

    NGX_RTC_CHECK(run(edit(chromium, "a=rtcp-fb:108 nack\r\n", ""),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 108);
    NGX_RTC_CHECK(neg.rtx_pt == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(ans.media[0].rtcp_fb == (NGX_RTC_SDP_FB_NACK_PLI
                                           | NGX_RTC_SDP_FB_CCM_FIR));

    /* no ICE credentials: 400 */

    NGX_RTC_CHECK(run(edit(chromium, "a=ice-pwd:QhSNq7NwXXjs9pR0MGiI1BYf\r\n",
                           ""),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == 400);

    /* no video m-line to send on: 422, not the codec mismatch's 406 */

    NGX_RTC_CHECK(run(edit(chromium, "m=video 41484", "m=video 0"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == 422);
    NGX_RTC_CHECK(reason_has("no m=video"));
    NGX_RTC_CHECK(ngx_rtc_negotiate_video(&offer) == NGX_RTC_NEGOTIATE_NONE);

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_negotiate_video(&offer) == 0);
}


/*
 * H.264 packetization modes (RFC 6184, 8.1): mode 1 first; a format
 * without packetization-mode (mode 0: whepsrc's default caps) or with
 * packetization-mode=0 last, taken when nothing better is offered, its
 * fmtp echoed; mode 2 refused, and named in the 406.
 */

static void
test_h264_modes(void)
{
    u_char  *p, out[16384];

    static u_char  twice[16384];

    /* Chromium offers mode 0 formats too (104, 114): mode 1 wins */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 108);
    NGX_RTC_CHECK(!ngx_rtc_negotiate_h264_mode0(&offer, 108));
    NGX_RTC_CHECK(ngx_rtc_negotiate_h264_mode0(&offer, 104));

    /* whepsrc: H264 without a=fmtp, taken, no fmtp in the answer */

    NGX_RTC_CHECK(run(whepsrc_offer, NGX_RTC_CODEC_H264, -1,
                      NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video == 0 && neg.video_pt == 103);
    NGX_RTC_CHECK(is(&ans.media[0].codec, "H264"));
    NGX_RTC_CHECK(ans.media[0].clock == 90000);
    NGX_RTC_CHECK(ans.media[0].fmtp.len == 0);
    NGX_RTC_CHECK(ngx_rtc_negotiate_h264_mode0(&offer, 103));
    NGX_RTC_CHECK(!ngx_rtc_negotiate_h264_mode0(&offer, 101));

    ngx_str_set(&ans.ice_ufrag, "abcd");
    ngx_str_set(&ans.ice_pwd, "0123456789abcdefghijkl");
    ngx_str_set(&ans.fingerprint, "sha-256 00:11");
    ans.media[0].ssrc = 1111;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out) - 1, &ans);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        *p = '\0';
        NGX_RTC_CHECK(strstr((char *) out,
                             "m=video 9 UDP/TLS/RTP/SAVPF 103\r\n") != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=rtpmap:103 H264/90000\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=fmtp:") == NULL);
    }

    /* an explicit packetization-mode=0, its fmtp echoed as offered */

    NGX_RTC_CHECK(run(edit(whepsrc_offer, "a=rtpmap:104",
                           "a=fmtp:103 profile-level-id=42e01f;"
                           "packetization-mode=0\r\na=rtpmap:104"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 103);
    NGX_RTC_CHECK(is(&ans.media[0].fmtp,
                     "profile-level-id=42e01f;packetization-mode=0"));
    NGX_RTC_CHECK(ngx_rtc_negotiate_h264_mode0(&offer, 103));

    /* mode 0 with a preferred profile after mode 1 with another one */

    ngx_cpystrn(twice, (u_char *) edit(whepsrc_offer, "104 105\r\n",
                                       "104 105 106\r\n"),
                sizeof(twice));

    NGX_RTC_CHECK(run(edit((char *) twice, "a=rtpmap:104",
                           "a=fmtp:103 profile-level-id=42e01f\r\n"
                           "a=rtpmap:106 H264/90000\r\n"
                           "a=fmtp:106 profile-level-id=640c1f;"
                           "packetization-mode=1\r\na=rtpmap:104"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 106);
    NGX_RTC_CHECK(!ngx_rtc_negotiate_h264_mode0(&offer, 106));

    /* mode 2 (interleaved) only: 406, naming it */

    NGX_RTC_CHECK(run(edit(whepsrc_offer, "a=rtpmap:104",
                           "a=fmtp:103 packetization-mode=2\r\n"
                           "a=rtpmap:104"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == 406);
    NGX_RTC_CHECK(reason_has("stream \"cam\" is H264 "
                             "(packetization-mode=1); the offer has VP8 VP9 "
                             "H264 (packetization-mode=2) H265 AV1"));

    /* no H264 at all: the names only */

    NGX_RTC_CHECK(run(edit(whepsrc_offer, "a=rtpmap:103 H264/90000",
                           "a=rtpmap:103 VP8/90000"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == 406);
    NGX_RTC_CHECK(reason_has("the offer has VP8 VP9 H265 AV1"));
}


/* RFC 5506, 5: reduced-size RTCP in the answer only if offered */

static void
test_rtcp_rsize(void)
{
    u_char  *p, out[16384];

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(offer.media[0].rtcp_rsize && offer.media[1].rtcp_rsize);
    NGX_RTC_CHECK(ans.media[0].rtcp_rsize && ans.media[1].rtcp_rsize);

    /* the video's removed: the audio keeps it */

    NGX_RTC_CHECK(run(edit(chromium, "a=rtcp-rsize\r\n", ""),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(!ans.media[0].rtcp_rsize && ans.media[1].rtcp_rsize);

    /* an inactive section echoes the offer's too */

    NGX_RTC_CHECK(run(edit(chromium, "a=rtcp-rsize\r\n", ""),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[1].inactive && ans.media[1].rtcp_rsize);

    /* whepsrc offers none: the answer has none */

    NGX_RTC_CHECK(run(whepsrc_offer, NGX_RTC_CODEC_H264, -1,
                      NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(!ans.media[0].rtcp_rsize);

    ngx_str_set(&ans.ice_ufrag, "abcd");
    ngx_str_set(&ans.ice_pwd, "0123456789abcdefghijkl");
    ngx_str_set(&ans.fingerprint, "sha-256 00:11");

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out) - 1, &ans);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        *p = '\0';
        NGX_RTC_CHECK(strstr((char *) out, "a=rtcp-mux\r\n") != NULL);
        NGX_RTC_CHECK(strstr((char *) out, "a=rtcp-rsize") == NULL);
    }

    /* h265_offer has it */

    NGX_RTC_CHECK(run(h265_offer, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);

    ngx_str_set(&ans.ice_ufrag, "abcd");
    ngx_str_set(&ans.ice_pwd, "0123456789abcdefghijkl");
    ngx_str_set(&ans.fingerprint, "sha-256 00:11");

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out) - 1, &ans);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        *p = '\0';
        NGX_RTC_CHECK(strstr((char *) out, "a=rtcp-mux\r\na=rtcp-rsize\r\n")
                      != NULL);
    }
}


/*
 * RFC 8843, 7.3.3: the offerer-tagged m-line (mid 0, the audio) cannot be
 * rejected alone; Firefox adds the candidates we trickle with sdpMid "0"
 * only if it has a transceiver for it.
 */

static void
test_inactive(void)
{
    u_char  *p, *v, *d, out[16384];

    static u_char  twice[16384];

    /* a stream without audio; with AAC, which browsers do not take */

    NGX_RTC_CHECK(run(ha_offer, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video == 1 && neg.video_pt == 126);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(ans.nmedia == 4);
    NGX_RTC_CHECK(!ans.media[0].rejected && ans.media[0].inactive);
    NGX_RTC_CHECK(ans.media[0].pt == 109);
    NGX_RTC_CHECK(is(&ans.media[0].codec, "opus"));
    NGX_RTC_CHECK(ans.media[0].clock == 48000 && ans.media[0].channels == 2);
    NGX_RTC_CHECK(ans.media[0].rtcp_fb == 0 && ans.media[0].ssrc == 0);
    NGX_RTC_CHECK(!ans.media[1].rejected && !ans.media[1].inactive);
    NGX_RTC_CHECK(ans.media[2].rejected && !ans.media[2].inactive);
    NGX_RTC_CHECK(ans.media[3].rejected && !ans.media[3].inactive);

    ngx_str_set(&ans.ice_ufrag, "abcd");
    ngx_str_set(&ans.ice_pwd, "0123456789abcdefghijkl");
    ngx_str_set(&ans.fingerprint, "sha-256 00:11");
    ngx_str_set(&ans.cname, "nginx-rtc");
    ngx_str_set(&ans.msid, "cam");
    ans.ncands = 1;
    ngx_str_set(&ans.cands[0], "candidate:1 1 udp 1 10.0.0.1 4000 typ host");
    ans.media[1].ssrc = 1111;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out) - 1, &ans);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        *p = '\0';

        v = (u_char *) strstr((char *) out, "m=video ");
        d = (u_char *) strstr((char *) out, "m=application ");

        NGX_RTC_CHECK(v != NULL && d != NULL && v < d);
        NGX_RTC_CHECK(strstr((char *) out, "a=group:BUNDLE 0 1\r\n")
                      != NULL);

        /* the audio: port 9, the bundle's transport and candidates */

        NGX_RTC_CHECK(strstr((char *) out,
                             "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 109\r\n"
                             "c=IN IP4 0.0.0.0\r\n"
                             "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                             "a=ice-ufrag:abcd\r\n"
                             "a=ice-pwd:0123456789abcdefghijkl\r\n"
                             "a=ice-options:trickle\r\n"
                             "a=fingerprint:sha-256 00:11\r\n"
                             "a=setup:passive\r\n"
                             "a=mid:0\r\n"
                             "a=inactive\r\n"
                             "a=rtcp-mux\r\n"      /* no rtcp-rsize */
                             "a=rtpmap:109 opus/48000/2\r\n"
                             "a=fmtp:109 maxplaybackrate=48000;stereo=1;"
                             "useinbandfec=1\r\n"
                             "a=candidate:1 1 udp 1 10.0.0.1 4000 typ host"
                             "\r\n"
                             "a=end-of-candidates\r\n"
                             "m=video 9 UDP/TLS/RTP/SAVPF 126\r\n")
                      != NULL);

        /* no stream in it; one in the video */

        NGX_RTC_CHECK(v && ngx_strlcasestrn(out, v, (u_char *) "a=ssrc:", 6)
                           == NULL);
        NGX_RTC_CHECK(v && ngx_strlcasestrn(out, v, (u_char *) "a=msid:", 6)
                           == NULL);
        NGX_RTC_CHECK(v && d && ngx_strlcasestrn(v, d,
                                                 (u_char *) "a=msid:cam cam-1",
                                                 15)
                                != NULL);
        NGX_RTC_CHECK(v && d && ngx_strlcasestrn(v, d,
                                                 (u_char *) "a=candidate:",
                                                 11)
                                == NULL);

        /* the data channel and the unbundled audio: rejected */

        NGX_RTC_CHECK(strstr((char *) out,
                             "m=application 0 UDP/DTLS/SCTP "
                             "webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
                             "a=mid:2\r\na=inactive\r\n")
                      != NULL);
        NGX_RTC_CHECK(strstr((char *) out,
                             "m=audio 0 UDP/TLS/RTP/SAVPF 109\r\n"
                             "c=IN IP4 0.0.0.0\r\na=mid:3\r\n"
                             "a=inactive\r\n")
                      != NULL);
    }

    NGX_RTC_CHECK(run(ha_offer, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_AAC)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == NGX_RTC_NEGOTIATE_NONE);
    NGX_RTC_CHECK(ans.media[0].inactive && ans.media[0].pt == 109);

    /* PCMA: the audio carries it */

    NGX_RTC_CHECK(run(ha_offer, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_PCMA)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.audio == 0 && neg.audio_pt == 8);
    NGX_RTC_CHECK(!ans.media[0].rejected && !ans.media[0].inactive);
    NGX_RTC_CHECK(ans.media[3].rejected);

    /* repair formats are not echoed alone: the first other one */

    NGX_RTC_CHECK(run(edit(ha_offer, "SAVPF 109 9 0 8 101",
                           "SAVPF 101 9 0 8 109"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].inactive && ans.media[0].pt == 101);

    NGX_RTC_CHECK(run(edit(ha_offer,
                           "a=rtpmap:109 opus/48000/2\r\na=rtpmap:9",
                           "a=rtpmap:109 red/48000/2\r\na=rtpmap:9"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].inactive && ans.media[0].pt == 9);
    NGX_RTC_CHECK(is(&ans.media[0].codec, "G722"));

    /* what cannot be bundled stays rejected (port 0) */

    NGX_RTC_CHECK(run(edit(ha_offer, "a=group:BUNDLE 0 1 2",
                           "a=group:BUNDLE 1 2"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].rejected && !ans.media[0].inactive);

    NGX_RTC_CHECK(run(edit(ha_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 109 9",
                           "m=audio 0 UDP/TLS/RTP/SAVPF 109 9"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].rejected);

    NGX_RTC_CHECK(run(edit(ha_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 109 9",
                           "m=audio 9 RTP/AVP 109 9"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].rejected);

    NGX_RTC_CHECK(run(edit(ha_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 109 9",
                           "m=text 9 UDP/TLS/RTP/SAVPF 109 9"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].rejected);

    /* only a repair format: nothing to echo */

    p = (u_char *) edit(ha_offer, "SAVPF 109 9 0 8 101", "SAVPF 109");
    NGX_RTC_CHECK(p != NULL);
    ngx_cpystrn(twice, (u_char *) edited, sizeof(twice));

    NGX_RTC_CHECK(run(edit((char *) twice,
                           "a=rtpmap:109 opus/48000/2\r\na=rtpmap:9",
                           "a=rtpmap:109 red/48000/2\r\na=rtpmap:9"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].rejected);

    /* a second video m-line, in the group: inactive */

    p = (u_char *) edit(ha_offer, "a=group:BUNDLE 0 1 2",
                        "a=group:BUNDLE 0 1 2 3");
    NGX_RTC_CHECK(p != NULL);
    ngx_cpystrn(twice, (u_char *) edited, sizeof(twice));

    NGX_RTC_CHECK(run(edit((char *) twice,
                           "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\n",
                           "m=video 9 UDP/TLS/RTP/SAVPF 109\r\n"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video == 1);
    NGX_RTC_CHECK(ans.media[0].inactive && ans.media[3].inactive);
    NGX_RTC_CHECK(is(&ans.media[3].type, "video") && ans.media[3].pt == 109);

    /* TCP/DTLS/RTP/SAVPF (RFC 7850) bundles too */

    NGX_RTC_CHECK(run(edit(ha_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 109 9",
                           "m=audio 9 TCP/DTLS/RTP/SAVPF 109 9"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].inactive);
}


/*
 * The largest answer to an offer we take fits NGX_RTC_SDP_MAX_ANSWER:
 * 16 m-lines with 32-byte mids, the video's and the audio's fmtp a line
 * long each, 14 inactive m-lines with 32-byte protos and format names and
 * fmtp too long to echo, 16 long candidates of ours.
 */

static void
test_answer_size(void)
{
    u_char      *p, *last;
    size_t       n;
    ngx_uint_t   i;

    static u_char  text[65536], out[NGX_RTC_SDP_MAX_ANSWER];

    p = text;
    last = text + sizeof(text) - 1;

    p = ngx_slprintf(p, last,
                     "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                     "a=ice-ufrag:abcd\r\n"
                     "a=ice-pwd:0123456789abcdefghijkl\r\n"
                     "a=fingerprint:sha-256 00:11\r\n"
                     "a=setup:actpass\r\n"
                     "a=group:BUNDLE");

    for (i = 0; i < NGX_RTC_SDP_MAX_MEDIA; i++) {
        p = ngx_slprintf(p, last, " m%031ui", i);
    }

    p = ngx_slprintf(p, last, "\r\n");

    for (i = 0; i < NGX_RTC_SDP_MAX_MEDIA; i++) {
        p = ngx_slprintf(p, last, "m=%s 9 %s 96\r\na=mid:m%031ui\r\n"
                         "a=recvonly\r\na=rtcp-mux\r\n",
                         i ? "audio" : "video",
                         i < 2 ? "UDP/TLS/RTP/SAVPF"
                               : "UDP/TLS/TLS/TLS/TLS/TL/RTP/SAVPF",
                         i);

        if (i == 0) {
            p = ngx_slprintf(p, last, "a=rtpmap:96 H264/90000\r\n"
                             "a=fmtp:96 packetization-mode=1;x=");

        } else if (i == 1) {
            p = ngx_slprintf(p, last, "a=rtpmap:96 opus/48000/2\r\n"
                             "a=fmtp:96 x=");

        } else {
            p = ngx_slprintf(p, last, "a=rtpmap:96 %032ui/1000000/255\r\n"
                             "a=fmtp:96 x=", i);
        }

        n = (i < 2) ? 4000 : NGX_RTC_NEGOTIATE_ECHO_FMTP;

        if ((size_t) (last - p) > n) {
            ngx_memset(p, 'a', n);
            p += n;
        }

        p = ngx_slprintf(p, last, "\r\n");
    }

    NGX_RTC_CHECK(p < last);

    *p = '\0';

    NGX_RTC_CHECK(run((char *) text, NGX_RTC_CODEC_H264, -1,
                      NGX_RTC_CODEC_OPUS)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video == 0 && neg.audio == 1);

    for (i = 2; i < NGX_RTC_SDP_MAX_MEDIA; i++) {
        NGX_RTC_CHECK(ans.media[i].inactive && ans.media[i].codec.len == 32
                      && ans.media[i].fmtp.len == 0);
    }

    ngx_str_set(&ans.ice_ufrag, "abcd");
    ngx_str_set(&ans.ice_pwd, "0123456789abcdefghijkl");
    ngx_str_set(&ans.fingerprint,
                "sha-256 8F:4E:0D:5B:35:91:C1:6E:93:C5:42:65:23:4F:D2:49:"
                "1C:3E:60:A1:21:7B:73:D2:F8:E5:88:5E:48:7D:C4:1A");
    ngx_str_set(&ans.cname, "nginx-rtc");
    ngx_str_set(&ans.msid, "a-stream-name-of-32-bytes-xxxxxx");
    ans.ncands = NGX_RTC_SDP_MAX_CAND;

    for (i = 0; i < NGX_RTC_SDP_MAX_CAND; i++) {
        ngx_str_set(&ans.cands[i],
                    "candidate:4294967295 1 udp 4294967295 "
                    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff 65535 typ relay "
                    "raddr 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff rport 65535 "
                    "generation 0");
    }

    ans.media[0].ssrc = 4294967295U;
    ans.media[0].rtx_pt = 97;
    ans.media[0].rtx_ssrc = 4294967294U;
    ans.media[1].ssrc = 4294967293U;

    p = ngx_rtc_sdp_write_answer(out, out + sizeof(out), &ans);
    NGX_RTC_CHECK(p != NULL);

    if (p) {
        fprintf(stderr, "# the largest answer: %lu bytes of %d\n",
                (unsigned long) (p - out), NGX_RTC_SDP_MAX_ANSWER);
    }

    /* a long fmtp that fits is echoed; a format with a long name is not */

    NGX_RTC_CHECK(run(edit(ha_offer, "a=rtpmap:109 opus/48000/2\r\n",
                           "a=rtpmap:109 "
                           "opusopusopusopusopusopusopusopus1/48000/2\r\n"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(ans.media[0].inactive && ans.media[0].pt == 9);
}


static void
test_h265(void)
{
    /* Main stream, H265 without profile-id (Main inferred, RFC 7798 7.1) */

    NGX_RTC_CHECK(run(h265_offer, NGX_RTC_CODEC_H265, 1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 96);
    NGX_RTC_CHECK(is(&ans.media[0].codec, "H265"));
    NGX_RTC_CHECK(ans.media[0].clock == 90000);
    NGX_RTC_CHECK(neg.rtx_pt == NGX_RTC_NEGOTIATE_NONE);

    /* the profile not known yet: the first H265 */

    NGX_RTC_CHECK(run(h265_offer, NGX_RTC_CODEC_H265, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 96);

    /* the same offer to an H.264 stream */

    NGX_RTC_CHECK(run(h265_offer, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 97);

    /* a Main 10 stream, a Main-only viewer: 406 */

    NGX_RTC_CHECK(run(h265_offer, NGX_RTC_CODEC_H265, 2, NGX_RTC_CODEC_NONE)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == 406);
    NGX_RTC_CHECK(reason_has("is H265 (profile-id=2); "
                             "the offer has H265 H264"));

    /* a Main 10 viewer takes Main; its fmtp goes back in the answer */

    NGX_RTC_CHECK(run(edit(h265_offer, "a=rtpmap:97",
                           "a=fmtp:96 profile-id=2;tx-mode=SRST\r\n"
                           "a=rtpmap:97"),
                      NGX_RTC_CODEC_H265, 1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 96);
    NGX_RTC_CHECK(is(&ans.media[0].fmtp, "profile-id=2;tx-mode=SRST"));

    /* an exact profile beats Main 10 */

    NGX_RTC_CHECK(run(edit(h265_offer, "96 97\r\n", "96 98 97\r\n"
                           "a=rtpmap:98 H265/90000\r\n"
                           "a=fmtp:98 profile-id=1\r\n"
                           "a=fmtp:96 profile-id=2\r\n"),
                      NGX_RTC_CODEC_H265, 1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video_pt == 98);
}


/*
 * RFC 8843, 6: port 0 with a=bundle-only in the BUNDLE group is bundled,
 * not disabled; the session's ICE and DTLS come from the tagged section
 */

static void
test_bundle_only(void)
{
    NGX_RTC_CHECK(run(firefox_max_bundle, NGX_RTC_CODEC_H264, -1,
                      NGX_RTC_CODEC_OPUS)
                  == NGX_OK);
    NGX_RTC_CHECK(offer.media[1].bundle_only && offer.media[1].port == 9);
    NGX_RTC_CHECK(neg.video == 1 && neg.video_pt == 120);
    NGX_RTC_CHECK(neg.audio == 0 && neg.audio_pt == 109);
    NGX_RTC_CHECK(neg.transport == 0);
    NGX_RTC_CHECK(offer.media[0].ncands == 1 && offer.media[1].ncands == 0);
    NGX_RTC_CHECK(!ans.media[0].rejected && !ans.media[1].rejected);

    /* the video section tagged: its own transport, bundle-only or not */

    NGX_RTC_CHECK(run(edit(firefox_max_bundle, "a=group:BUNDLE 0 1",
                           "a=group:BUNDLE 1 0"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_OPUS)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.video == 1 && neg.transport == 1);

    /* the chromium offer, not max-bundle: its own section */

    NGX_RTC_CHECK(run(chromium, NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_NONE)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.transport == neg.video);

    /* bundle-only out of the group: disabled, so no video to take */

    NGX_RTC_CHECK(run(edit(firefox_max_bundle, "a=group:BUNDLE 0 1",
                           "a=group:BUNDLE 0"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_OPUS)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == NGX_RTC_NEGOTIATE_NO_VIDEO);
    NGX_RTC_CHECK(offer.media[1].port == 0);

    /* port 0 without bundle-only: disabled */

    NGX_RTC_CHECK(run(edit(firefox_max_bundle, "a=bundle-only\r\n", ""),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_OPUS)
                  == NGX_ERROR);
    NGX_RTC_CHECK(neg.status == NGX_RTC_NEGOTIATE_NO_VIDEO);

    /* a tagged section without ICE: the video's own */

    NGX_RTC_CHECK(run(edit(firefox_max_bundle,
                           "a=ice-ufrag:57bde115\r\na=mid:0",
                           "a=mid:0"),
                      NGX_RTC_CODEC_H264, -1, NGX_RTC_CODEC_OPUS)
                  == NGX_OK);
    NGX_RTC_CHECK(neg.transport == 1);
}


int
main(void)
{
    test_chromium();
    test_audio_edits();
    test_video_edits();
    test_h264_modes();
    test_rtcp_rsize();
    test_inactive();
    test_answer_size();
    test_h265();
    test_bundle_only();

    return NGX_RTC_UNIT_DONE();
}
