/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The offer (recvonly H.264, optionally audio; BUNDLE, rtcp-mux,
 * setup:active) and what the answer says (ICE credentials, candidates,
 * fingerprint, payload types, SSRCs).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "wl.h"


size_t
wl_sdp_offer(wl_session_t *s, char *buf, size_t size)
{
    int     n;
    char    cand[160], ip[INET_ADDRSTRLEN];
    size_t  len;

    /*
     * a host candidate only when the socket is bound to an address: with
     * INADDR_ANY the server learns ours as peer-reflexive from our checks
     */

    cand[0] = '\0';

    if (s->local.sin_addr.s_addr != htonl(INADDR_ANY)) {
        inet_ntop(AF_INET, &s->local.sin_addr, ip, sizeof(ip));
        snprintf(cand, sizeof(cand),
                 "a=candidate:1 1 udp 2130706431 %s %u typ host\r\n",
                 ip, ntohs(s->local.sin_port));
    }

    n = snprintf(buf, size,
                 "v=0\r\n"
                 "o=- %u 2 IN IP4 127.0.0.1\r\n"
                 "s=-\r\n"
                 "t=0 0\r\n"
                 "a=group:BUNDLE 0%s\r\n"
                 "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n"
                 "c=IN IP4 0.0.0.0\r\n"
                 "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                 "%s"
                 "a=ice-ufrag:%s\r\n"
                 "a=ice-pwd:%s\r\n"
                 "a=fingerprint:sha-256 %s\r\n"
                 "a=setup:active\r\n"
                 "a=mid:0\r\n"
                 "a=recvonly\r\n"
                 "a=rtcp-mux\r\n"
                 "a=rtcp-rsize\r\n"
                 "a=rtpmap:102 H264/90000\r\n"
                 "a=rtcp-fb:102 nack pli\r\n"
                 "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
                 "profile-level-id=42e01f\r\n",
                 s->id, wl.audio ? " 1" : "", cand, s->ufrag, s->pwd,
                 wl.fingerprint);

    if (n < 0 || (size_t) n >= size) {
        return 0;
    }

    len = n;

    if (!wl.audio) {
        return len;
    }

    n = snprintf(buf + len, size - len,
                 "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\n"
                 "c=IN IP4 0.0.0.0\r\n"
                 "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                 "a=ice-ufrag:%s\r\n"
                 "a=ice-pwd:%s\r\n"
                 "a=fingerprint:sha-256 %s\r\n"
                 "a=setup:active\r\n"
                 "a=mid:1\r\n"
                 "a=recvonly\r\n"
                 "a=rtcp-mux\r\n"
                 "a=rtpmap:111 opus/48000/2\r\n"
                 "a=rtpmap:0 PCMU/8000\r\n"
                 "a=rtpmap:8 PCMA/8000\r\n",
                 s->ufrag, s->pwd, wl.fingerprint);

    if (n < 0 || (size_t) n >= size - len) {
        return 0;
    }

    return len + n;
}


/* a line's value into dst (NUL-terminated), 0 if it does not fit */

static int
wl_sdp_copy(char *dst, size_t size, const char *p, const char *end)
{
    size_t  n;

    n = end - p;
    if (n >= size) {
        return 0;
    }

    memcpy(dst, p, n);
    dst[n] = '\0';

    return 1;
}


int
wl_sdp_answer(const char *sdp, size_t len, wl_answer_t *a, const char **err)
{
    int                 media, port;
    char                ip[64], proto[8], typ[16];
    unsigned long       prio, best;
    const char         *p, *end, *eol, *v;
    unsigned long long  ssrc;

    memset(a, 0, sizeof(wl_answer_t));
    a->video_pt = -1;
    a->audio_pt = -1;

    media = 0;          /* 1: video, 2: audio, 3: another */
    best = 0;
    end = sdp + len;

    for (p = sdp; p < end; p = eol + 1) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        v = eol;
        if (v > p && v[-1] == '\r') {
            v--;
        }

#define WL_IS(s)  ((size_t) (v - p) > sizeof(s) - 1                          \
                   && memcmp(p, s, sizeof(s) - 1) == 0)

        if (WL_IS("m=video ")) {
            media = 1;
            /* "m=video 9 UDP/TLS/RTP/SAVPF 102": the first payload type */
            if (sscanf(p, "m=video %*d %*s %d", &a->video_pt) != 1) {
                a->video_pt = -1;
            }

        } else if (WL_IS("m=audio ")) {
            media = 2;
            if (sscanf(p, "m=audio %d %*s %d", &port, &a->audio_pt) != 2
                || port == 0)
            {
                a->audio_pt = -1;
            }

        } else if (WL_IS("m=")) {
            media = 3;

        } else if (WL_IS("a=ice-ufrag:")) {
            if (!wl_sdp_copy(a->ufrag, sizeof(a->ufrag), p + 12, v)) {
                goto bad;
            }

        } else if (WL_IS("a=ice-pwd:")) {
            if (!wl_sdp_copy(a->pwd, sizeof(a->pwd), p + 10, v)) {
                goto bad;
            }

        } else if (WL_IS("a=fingerprint:")) {
            const char  *sp;

            sp = memchr(p, ' ', v - p);
            if (sp == NULL
                || !wl_sdp_copy(a->fp_alg, sizeof(a->fp_alg), p + 14, sp)
                || !wl_sdp_copy(a->fp, sizeof(a->fp), sp + 1, v))
            {
                goto bad;
            }

        } else if (WL_IS("a=ssrc:")) {
            ssrc = strtoull(p + 7, NULL, 10);

            if (media == 1 && a->video_ssrc == 0) {
                a->video_ssrc = (uint32_t) ssrc;

            } else if (media == 2 && a->audio_ssrc == 0) {
                a->audio_ssrc = (uint32_t) ssrc;
            }

        } else if (WL_IS("a=candidate:")) {
            struct in_addr  in;

            /* "a=candidate:1 1 UDP 2015363327 10.99.0.1 49044 typ host" */

            if (sscanf(p, "a=candidate:%*s %*d %7s %lu %63s %d typ %15s",
                       proto, &prio, ip, &port, typ) != 5)
            {
                continue;
            }

            if (strcasecmp(proto, "udp") != 0
                || inet_pton(AF_INET, ip, &in) != 1
                || port <= 0 || port > 65535 || prio <= best)
            {
                continue;
            }

            best = prio;
            a->cand.sin_family = AF_INET;
            a->cand.sin_addr = in;
            a->cand.sin_port = htons(port);
        }

#undef WL_IS
    }

    if (a->ufrag[0] == '\0' || a->pwd[0] == '\0') {
        *err = "no ICE credentials";
        return -1;
    }

    if (strcasecmp(a->fp_alg, "sha-256") != 0 || a->fp[0] == '\0') {
        *err = "no sha-256 fingerprint";
        return -1;
    }

    if (best == 0) {
        *err = "no UDP IPv4 candidate";
        return -1;
    }

    if (a->video_pt < 0) {
        *err = "no video";
        return -1;
    }

    return 0;

bad:

    *err = "an attribute too long";
    return -1;
}
