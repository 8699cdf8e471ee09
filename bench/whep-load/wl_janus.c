/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * --server janus: the signalling of the Janus HTTP API (janus.transport.http)
 * and its streaming plugin instead of WHEP.  Per session, one request at a
 * time on the HTTP client of wl_http.c:
 *
 *   POST /janus            {"janus":"create"}          -> session id
 *   POST /janus/S          {"janus":"attach", ...}     -> handle id
 *   POST /janus/S/H        watch mountpoint N          -> ack
 *   GET  /janus/S?maxev=1  (until an event with a jsep) -> Janus's OFFER
 *   POST /janus/S/H        start, jsep: our ANSWER     -> ack, ICE starts
 *   POST /janus/S/H        trickle {"completed":true}  -> ack
 *   POST /janus/S          keepalive, every 20 s (session_timeout is 60 s)
 *   POST /janus/S          destroy, at the end (instead of WHEP's DELETE)
 *
 * Janus offers (setup:actpass, its candidates in the SDP: half trickle) and
 * is the ICE controlling agent (full ICE, libnice): we answer recvonly with
 * setup:active (the DTLS client, as in WHEP), our credentials, fingerprint
 * and host candidate; wl_ice.c then sends ICE-CONTROLLED checks and waits
 * for Janus's check with USE-CANDIDATE before the ClientHello.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "wl.h"


#define WL_JANUS_KEEPALIVE   (20 * WL_SEC)
#define WL_JPATH             1100        /* wl.path and two ids */
#define WL_JGET              (WL_JPATH + 16)


enum {
    WL_J_CREATE = 0,
    WL_J_ATTACH,
    WL_J_WATCH,
    WL_J_POLL,
    WL_J_START,
    WL_J_TRICKLE,
    WL_J_IDLE,
    WL_J_KEEPALIVE
};


static int wl_janus_post(wl_session_t *s, int step, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));


/* the value of "key" at or after p: past the colon and blanks, or NULL */

static const char *
wl_json_find(const char *p, const char *key)
{
    char    k[64];
    size_t  n;

    n = (size_t) snprintf(k, sizeof(k), "\"%s\"", key);

    for (p = strstr(p, k); p; p = strstr(p + 1, k)) {
        p += n;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        if (*p != ':') {
            continue;
        }
        p++;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        return p;
    }

    return NULL;
}


/* a JSON string at p (its opening quote) into dst, unescaped; length or -1 */

static ssize_t
wl_json_string(const char *p, char *dst, size_t size)
{
    char    c, hex[3];
    size_t  n;

    if (p == NULL || *p != '"') {
        return -1;
    }

    for (p++, n = 0; *p && *p != '"'; p++) {
        c = *p;

        if (c == '\\') {
            p++;
            switch (*p) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u':
                /* ASCII only: an SDP has nothing else */
                if (strlen(p) < 5) {
                    return -1;
                }
                hex[0] = p[3];
                hex[1] = p[4];
                hex[2] = '\0';
                c = (char) strtol(hex, NULL, 16);
                p += 4;
                break;
            case '\0':
                return -1;
            default:
                c = *p;          /* \" \\ \/ */
            }
        }

        if (n + 1 >= size) {
            return -1;
        }
        dst[n++] = c;
    }

    if (*p != '"') {
        return -1;
    }

    dst[n] = '\0';

    return (ssize_t) n;
}


static int
wl_janus_post(wl_session_t *s, int step, const char *path,
    const char *fmt, ...)
{
    int      n;
    char     body[8192];
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);

    if (n < 0 || (size_t) n >= sizeof(body)) {
        return -1;
    }

    s->jstep = step;

    return wl_http_start(s, "POST", path, body, (size_t) n);
}


int
wl_janus_start(wl_session_t *s)
{
    return wl_janus_post(s, WL_J_CREATE, wl.path,
                         "{\"janus\":\"create\",\"transaction\":\"c%u\"}",
                         s->id);
}


/* the session's path, /janus/S, and the handle's, /janus/S/H */

static void
wl_janus_paths(wl_session_t *s, char *sp, char *hp, size_t size)
{
    snprintf(sp, size, "%s/%llu", wl.path,
             (unsigned long long) s->janus_session);
    snprintf(hp, size, "%s/%llu/%llu", wl.path,
             (unsigned long long) s->janus_session,
             (unsigned long long) s->janus_handle);
}


/* our answer to Janus's offer: each m-line of it accepted, recvonly */

static size_t
wl_janus_sdp(wl_session_t *s, const char *offer, char *buf, size_t size)
{
    int          pt, first, nmids;
    char         ip[INET_ADDRSTRLEN], mids[256], type[16], proto[64];
    char         mid[64];
    size_t       len;
    const char  *p, *eol, *m, *next, *q, *end;

#define WL_ADD(...)                                                          \
    do {                                                                     \
        int  n_ = snprintf(buf + len, size - len, __VA_ARGS__);              \
        if (n_ < 0 || (size_t) n_ >= size - len) {                           \
            return 0;                                                        \
        }                                                                    \
        len += n_;                                                           \
    } while (0)

    end = offer + strlen(offer);

    /* the mids, for BUNDLE */

    mids[0] = '\0';
    nmids = 0;

    for (p = strstr(offer, "\na=mid:"); p; p = strstr(p + 1, "\na=mid:")) {
        size_t  k = strcspn(p + 7, "\r\n");

        if (strlen(mids) + k + 2 < sizeof(mids)) {
            strcat(mids, " ");
            strncat(mids, p + 7, k);
            nmids++;
        }
    }

    inet_ntop(AF_INET, &s->local.sin_addr, ip, sizeof(ip));

    len = 0;
    WL_ADD("v=0\r\n"
           "o=- %u 2 IN IP4 127.0.0.1\r\n"
           "s=-\r\n"
           "t=0 0\r\n", s->id);

    if (nmids) {
        WL_ADD("a=group:BUNDLE%s\r\n", mids);
    }

    WL_ADD("a=msid-semantic: WMS\r\n");

    first = 1;

    for (m = strstr(offer, "\nm="); m; m = next) {
        m++;
        next = strstr(m, "\nm=");
        eol = next ? next : end;

        if (sscanf(m, "m=%15s %*d %63s %d", type, proto, &pt) != 3) {
            return 0;
        }

        mid[0] = '\0';
        q = strstr(m, "\na=mid:");
        if (q && q < eol) {
            size_t  k = strcspn(q + 7, "\r\n");

            if (k < sizeof(mid)) {
                memcpy(mid, q + 7, k);
                mid[k] = '\0';
            }
        }

        if (strcmp(type, "audio") != 0 && strcmp(type, "video") != 0) {
            WL_ADD("m=%s 0 %s %d\r\nc=IN IP4 0.0.0.0\r\na=mid:%s\r\n"
                   "a=inactive\r\n", type, proto, pt, mid);
            continue;
        }

        WL_ADD("m=%s 9 %s %d\r\n"
               "c=IN IP4 0.0.0.0\r\n"
               "a=mid:%s\r\n"
               "a=recvonly\r\n"
               "a=rtcp-mux\r\n"
               "a=ice-ufrag:%s\r\n"
               "a=ice-pwd:%s\r\n"
               "a=ice-options:trickle\r\n"
               "a=fingerprint:sha-256 %s\r\n"
               "a=setup:active\r\n",
               type, proto, pt, mid, s->ufrag, s->pwd, wl.fingerprint);

        /* the chosen payload type's rtpmap and fmtp, as offered */

        for (p = m; p && p < eol; p = strchr(p, '\n') ? strchr(p, '\n') + 1
                                                      : NULL)
        {
            char  pre[32];
            int   k;

            k = snprintf(pre, sizeof(pre), "a=rtpmap:%d ", pt);
            if (strncmp(p, pre, k) != 0) {
                k = snprintf(pre, sizeof(pre), "a=fmtp:%d ", pt);
                if (strncmp(p, pre, k) != 0) {
                    continue;
                }
            }

            WL_ADD("%.*s\r\n", (int) strcspn(p, "\r\n"), p);
        }

        if (strcmp(type, "video") == 0) {
            WL_ADD("a=rtcp-fb:%d nack\r\n"
                   "a=rtcp-fb:%d nack pli\r\n", pt, pt);
        }

        if (first) {
            WL_ADD("a=candidate:1 1 udp 2130706431 %s %u typ host\r\n",
                   ip, ntohs(s->local.sin_port));
            first = 0;
        }

        WL_ADD("a=end-of-candidates\r\n");
    }

#undef WL_ADD

    return len;
}


/* the SDP as a JSON string (quotes included) */

static int
wl_json_escape(const char *src, char *dst, size_t size)
{
    size_t  n;

    n = 0;
    dst[n++] = '"';

    for ( ; *src; src++) {
        if (n + 4 >= size) {
            return -1;
        }

        switch (*src) {
        case '\r': dst[n++] = '\\'; dst[n++] = 'r'; break;
        case '\n': dst[n++] = '\\'; dst[n++] = 'n'; break;
        case '"':  dst[n++] = '\\'; dst[n++] = '"'; break;
        case '\\': dst[n++] = '\\'; dst[n++] = '\\'; break;
        default:   dst[n++] = *src;
        }
    }

    dst[n++] = '"';
    dst[n] = '\0';

    return 0;
}


/* the offer arrived: connect the socket, answer, start */

static void
wl_janus_offer(wl_session_t *s, const char *sdp)
{
    char         ans[4096], esc[6144], sp[WL_JPATH], hp[WL_JPATH];
    size_t       n;
    socklen_t    slen;

    s->t_answer = wl.now;

    if (wl_session_peer(s, sdp, strlen(sdp)) != 0) {
        return;
    }

    /* the address the route to Janus's candidate takes: our candidate */

    slen = sizeof(s->local);
    getsockname(s->fd, (struct sockaddr *) &s->local, &slen);

    n = wl_janus_sdp(s, sdp, ans, sizeof(ans));

    if (n == 0 || wl_json_escape(ans, esc, sizeof(esc)) != 0) {
        wl_session_fail(s, WL_FAIL_ANSWER, "cannot make the answer");
        return;
    }

    wl_janus_paths(s, sp, hp, sizeof(sp));

    if (wl_janus_post(s, WL_J_START, hp,
                      "{\"janus\":\"message\",\"transaction\":\"s%u\","
                      "\"body\":{\"request\":\"start\"},"
                      "\"jsep\":{\"type\":\"answer\",\"sdp\":%s}}",
                      s->id, esc) != 0)
    {
        wl_session_fail(s, WL_FAIL_SOCKET, "cannot POST");
    }
}


/* the response to one of our requests (the HTTP connection is closed) */

void
wl_janus_response(wl_session_t *s, int status, char *body, size_t len)
{
    char          type[32], why[160], sp[WL_JPATH], hp[WL_JPATH], *sdp;
    char          get[WL_JGET];
    const char   *v, *jsep;
    unsigned long long  id;

    if (s->deleting) {
        s->deleting = 0;
        return;
    }

    if (s->state == WL_FAILED) {
        return;
    }

    type[0] = '\0';
    v = body ? wl_json_find(body, "janus") : NULL;
    (void) wl_json_string(v, type, sizeof(type));

    if (status != 200 || strcmp(type, "error") == 0) {
        const char  *r = body ? wl_json_find(body, "reason") : NULL;

        snprintf(why, sizeof(why), "step %d: status %d %s %.80s", s->jstep,
                 status, type, r ? r : "(no response)");
        why[strcspn(why, "\r\n")] = '\0';

        if (s->jstep >= WL_J_TRICKLE) {
            wl_log("session %u: %s", s->id, why);
            return;                     /* trickle, keepalive: not fatal */
        }

        wl_session_fail(s, WL_FAIL_HTTP, why);
        return;
    }

    wl_janus_paths(s, sp, hp, sizeof(sp));

    switch (s->jstep) {

    case WL_J_CREATE:
    case WL_J_ATTACH:
        v = wl_json_find(body, "data");
        v = v ? wl_json_find(v, "id") : NULL;
        id = v ? strtoull(v, NULL, 10) : 0;

        if (id == 0) {
            wl_session_fail(s, WL_FAIL_HTTP, "no id in the response");
            return;
        }

        if (s->jstep == WL_J_CREATE) {
            s->janus_session = id;
            wl_janus_paths(s, sp, hp, sizeof(sp));
            s->location = strdup(sp);

            if (wl_janus_post(s, WL_J_ATTACH, sp,
                              "{\"janus\":\"attach\",\"transaction\":\"a%u\","
                              "\"plugin\":\"janus.plugin.streaming\"}",
                              s->id) != 0)
            {
                wl_session_fail(s, WL_FAIL_SOCKET, "cannot POST");
            }
            return;
        }

        s->janus_handle = id;
        wl_janus_paths(s, sp, hp, sizeof(sp));

        if (wl_janus_post(s, WL_J_WATCH, hp,
                          "{\"janus\":\"message\",\"transaction\":\"w%u\","
                          "\"body\":{\"request\":\"watch\",\"id\":%d}}",
                          s->id, wl.janus_id) != 0)
        {
            wl_session_fail(s, WL_FAIL_SOCKET, "cannot POST");
        }
        return;

    case WL_J_WATCH:
    case WL_J_POLL:
        jsep = wl_json_find(body, "jsep");

        if (jsep == NULL) {
            v = wl_json_find(body, "error");
            if (v && s->jstep == WL_J_POLL) {
                snprintf(why, sizeof(why), "watch: %.100s", v);
                why[strcspn(why, "\r\n")] = '\0';
                wl_session_fail(s, WL_FAIL_ANSWER, why);
                return;
            }

            /* an ack, a keepalive, another event: wait for the offer */

            snprintf(get, sizeof(get), "%s?maxev=1", sp);
            s->jstep = WL_J_POLL;

            if (wl_http_start(s, "GET", get, NULL, 0) != 0) {
                wl_session_fail(s, WL_FAIL_SOCKET, "cannot GET");
            }
            return;
        }

        sdp = malloc(len + 1);
        if (sdp == NULL
            || wl_json_string(wl_json_find(jsep, "sdp"), sdp, len + 1) < 0)
        {
            free(sdp);
            wl_session_fail(s, WL_FAIL_ANSWER, "no SDP in the jsep");
            return;
        }

        wl_janus_offer(s, sdp);
        free(sdp);
        return;

    case WL_J_START:
        /* Janus has our answer: ICE as the controlled agent */

        wl_janus_ice(s);

        if (s->state == WL_FAILED) {
            return;
        }

        if (wl_janus_post(s, WL_J_TRICKLE, hp,
                          "{\"janus\":\"trickle\",\"transaction\":\"t%u\","
                          "\"candidate\":{\"completed\":true}}",
                          s->id) != 0)
        {
            wl_log("session %u: cannot POST the trickle", s->id);
        }
        return;

    default:
        s->jstep = WL_J_IDLE;
        return;
    }
}


/* in WL_MEDIA: a keepalive every 20 s, spread; when the timer wants next */

uint64_t
wl_janus_keepalive(wl_session_t *s)
{
    char  sp[WL_JPATH], hp[WL_JPATH];

    if (s->next_keepalive == 0) {
        s->next_keepalive = wl.now + WL_JANUS_KEEPALIVE / 2
                            + (s->id * 7919u) % (WL_JANUS_KEEPALIVE / 2);
    }

    if (wl.now >= s->next_keepalive && s->http == NULL) {
        wl_janus_paths(s, sp, hp, sizeof(sp));

        (void) wl_janus_post(s, WL_J_KEEPALIVE, sp,
                             "{\"janus\":\"keepalive\","
                             "\"transaction\":\"k%u\"}", s->id);

        s->next_keepalive = wl.now + WL_JANUS_KEEPALIVE;

    } else if (wl.now >= s->next_keepalive) {
        return wl.now + 100 * WL_MS;       /* a request in flight */
    }

    return s->next_keepalive;
}


/* at the end: destroy the session (the handle, its PeerConnection) */

int
wl_janus_destroy(wl_session_t *s)
{
    return wl_janus_post(s, WL_J_IDLE, s->location,
                         "{\"janus\":\"destroy\",\"transaction\":\"d%u\"}",
                         s->id);
}
