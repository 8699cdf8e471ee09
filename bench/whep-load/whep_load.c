/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * whep-load: a WHEP load generator.  One process, one epoll loop, N
 * sessions, each: POST of a recvonly offer, ICE as the controlling agent
 * over one UDP socket, the DTLS client handshake, then counting what
 * arrives.  See bench/README.md.
 *
 *   whep-load [-n N] [--ramp R] [-d SECONDS] [-p PARALLEL] [--bind ADDR]
 *             [--audio] [--json] [--timeout SECONDS] [--sample N]
 *             [--rcvbuf BYTES] [--interval MS] [--srtp gcm|cm|both]
 *             [--dtls-early] [--no-delete] [--server whep|janus]
 *             [--janus-id N] [--gro] URL
 *
 * Phases: sessions start at --ramp a second (all at once: 0) with at
 * most -p POSTs in flight; once each is up (first keyframe) or failed,
 * a window of -d seconds is measured, the figures printed (wl_report.c),
 * then every session DELETEd.
 */


#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/udp.h>

#include "wl.h"


#ifndef SOL_UDP
#define SOL_UDP           17
#endif

#ifndef UDP_GRO
#define UDP_GRO           104
#endif


#define WL_BATCH          32
#define WL_TICK           (10 * WL_MS)
#define WL_ICE_FIRST      (50 * WL_MS)
#define WL_ICE_MAX        (500 * WL_MS)
#define WL_ICE_GRACE      (200 * WL_MS)  /* for the server's check */
#define WL_JANUS_DTLS     (20 * WL_MS)   /* for Janus's selected pair */
#define WL_LOG_MAX        20
#define WL_GRO_BUF        (65536 + 256)  /* not a power of 2: cache sets */


wl_t  wl;

static uint64_t            wl_t0;
static volatile sig_atomic_t  wl_stop;
static int                 wl_logged;

/* the receive batch: no allocation per packet */
static u_char              wl_bufs[WL_BATCH][WL_MTU + 64];
static struct sockaddr_in  wl_from[WL_BATCH];
static struct iovec        wl_iov[WL_BATCH];
static struct mmsghdr      wl_msgs[WL_BATCH];

/* --gro: a datagram of up to 64 KB and its segment size */
static u_char             *wl_gro_bufs;

static union {
    char                   buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr         align;
} wl_ctrl[WL_BATCH];

const char  *wl_fail_names[WL_FAIL_N] = {
    "none", "http", "answer", "ice", "dtls", "media", "socket"
};


static void wl_usage(const char *msg);
static int wl_session_start(wl_session_t *s);
static void wl_session_timer(wl_session_t *s);
static void wl_session_dtls(wl_session_t *s);
static void wl_session_ice(wl_session_t *s);
static void wl_udp_read(wl_session_t *s);
static void wl_loop_once(void);


uint64_t
wl_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * WL_SEC + ts.tv_nsec / 1000 - wl_t0;
}


void
wl_log(const char *fmt, ...)
{
    va_list  ap;

    fprintf(stderr, "# %8.3f ", (double) wl_now() / WL_SEC);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


void
wl_random(void *buf, size_t len)
{
    if (getrandom(buf, len, 0) != (ssize_t) len) {
        memset(buf, 0x5a, len);
    }
}


static void
wl_usage(const char *msg)
{
    if (msg) {
        fprintf(stderr, "whep-load: %s\n", msg);
    }

    fprintf(stderr,
        "usage: whep-load [-n N] [--ramp R] [-d SECONDS] [-p PARALLEL]\n"
        "                 [--bind ADDR] [--audio] [--json] [--timeout S]\n"
        "                 [--sample N] [--rcvbuf BYTES] [--interval MS]\n"
        "                 [--srtp gcm|cm|both] [--dtls-early] [--no-delete]\n"
        "                 [--server whep|janus] [--janus-id N] [--gro] URL\n"
        "  -n N           sessions (10)\n"
        "  -r, --ramp R   sessions started a second, 0: as fast as -p "
        "allows (0)\n"
        "  -d SECONDS     the measured window once all are up (10)\n"
        "  -p PARALLEL    POSTs in flight at most (8)\n"
        "  -b, --bind A   local address of the UDP sockets (any)\n"
        "  -a, --audio    offer an audio m-line too\n"
        "  -j, --json     the figures as JSON instead of the table\n"
        "  --timeout S    each of POST, ICE, DTLS, first RTP (10)\n"
        "  --sample N     decrypt 1 packet in N after the keyframe (100)\n"
        "  --rcvbuf B     SO_RCVBUF(FORCE) of each UDP socket (1048576)\n"
        "  --no-delete    leave the sessions to time out on the server\n"
        "  --interval MS  the least time between two polls, to batch (2)\n"
        "  --srtp P       SRTP profiles offered: gcm, cm or both (both)\n"
        "  --dtls-early   ClientHello as soon as our check succeeds, as\n"
        "                 browsers do, not after the server's check\n"
        "  --server S     whep (default), or janus: the Janus HTTP API and\n"
        "                 its streaming plugin (Janus offers, we answer)\n"
        "  --janus-id N   the streaming mountpoint to watch (1)\n"
        "  --gro          UDP_GRO on each socket: a GSO send arrives whole\n"
        "                 and is split here, not segmented by the kernel in\n"
        "                 the sender's softirq (loopback)\n"
        "  URL            http://host:port/whep/stream, or with --server\n"
        "                 janus http://host:port/janus\n");

    exit(2);
}


static void
wl_options(int argc, char **argv)
{
    int   c;

    static struct option  opts[] = {
        { "ramp", required_argument, NULL, 'r' },
        { "bind", required_argument, NULL, 'b' },
        { "audio", no_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "sample", required_argument, NULL, 's' },
        { "rcvbuf", required_argument, NULL, 'R' },
        { "no-delete", no_argument, NULL, 'D' },
        { "interval", required_argument, NULL, 'I' },
        { "dtls-early", no_argument, NULL, 'E' },
        { "srtp", required_argument, NULL, 'S' },
        { "server", required_argument, NULL, 'V' },
        { "janus-id", required_argument, NULL, 'J' },
        { "gro", no_argument, NULL, 'G' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    wl.n = 10;
    wl.ramp = 0;
    wl.duration = 10;
    wl.parallel = 8;
    wl.timeout = 10;
    wl.sample = 100;
    wl.rcvbuf = 1 << 20;
    wl.delete = 1;
    wl.interval = 2 * WL_MS;
    wl.srtp_profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
    wl.bind.s_addr = htonl(INADDR_ANY);
    wl.janus_id = 1;

    while ((c = getopt_long(argc, argv, "n:r:d:p:b:ajh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            wl.n = atoi(optarg);
            break;
        case 'r':
            wl.ramp = atof(optarg);
            break;
        case 'd':
            wl.duration = atof(optarg);
            break;
        case 'p':
            wl.parallel = atoi(optarg);
            break;
        case 'b':
            if (inet_pton(AF_INET, optarg, &wl.bind) != 1) {
                wl_usage("--bind: an IPv4 address");
            }
            break;
        case 'a':
            wl.audio = 1;
            break;
        case 'j':
            wl.json = 1;
            break;
        case 't':
            wl.timeout = atof(optarg);
            break;
        case 's':
            wl.sample = atoi(optarg);
            break;
        case 'R':
            wl.rcvbuf = atoi(optarg);
            break;
        case 'D':
            wl.delete = 0;
            break;
        case 'E':
            wl.dtls_early = 1;
            break;
        case 'S':
            if (strcmp(optarg, "gcm") == 0) {
                wl.srtp_profiles = "SRTP_AEAD_AES_128_GCM";

            } else if (strcmp(optarg, "cm") == 0) {
                wl.srtp_profiles = "SRTP_AES128_CM_SHA1_80";

            } else if (strcmp(optarg, "both") != 0) {
                wl_usage("--srtp: gcm, cm or both");
            }
            break;
        case 'V':
            if (strcmp(optarg, "janus") == 0) {
                wl.janus = 1;

            } else if (strcmp(optarg, "whep") != 0) {
                wl_usage("--server: whep or janus");
            }
            break;
        case 'J':
            wl.janus_id = atoi(optarg);
            break;
        case 'G':
            wl.gro = 1;
            break;
        case 'I':
            wl.interval = (uint64_t) (atof(optarg) * WL_MS);
            break;
        default:
            wl_usage(NULL);
        }
    }

    if (optind != argc - 1) {
        wl_usage("one URL");
    }

    wl.url = argv[optind];

    if (wl.n < 1 || wl.parallel < 1 || wl.duration < 0 || wl.ramp < 0
        || wl.timeout <= 0 || wl.sample < 1)
    {
        wl_usage("-n, -p, --timeout, --sample must be positive");
    }

    if (wl_http_parse_url(wl.url, &wl.server, wl.host, sizeof(wl.host),
                          wl.path, sizeof(wl.path)) != 0)
    {
        wl_usage("URL: http://host[:port]/path, IPv4");
    }
}


static void
wl_creds(char *buf, size_t len)
{
    size_t    i;
    u_char    r[64];

    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    wl_random(r, len);

    for (i = 0; i < len; i++) {
        buf[i] = b64[r[i] & 63];
    }

    buf[len] = '\0';
}


static int
wl_session_start(wl_session_t *s)
{
    int                 fd, on, rc;
    char                offer[4096];
    size_t              len;
    socklen_t           slen;
    struct epoll_event  ev;

    s->t_start = wl.now;
    s->fd = -1;
    s->next = UINT64_MAX;

    wl_creds(s->ufrag, WL_UFRAG_LEN);
    wl_creds(s->pwd, WL_PWD_LEN);
    wl_random(&s->tiebreak, sizeof(s->tiebreak));
    wl_random(&s->my_ssrc, sizeof(s->my_ssrc));

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        wl_session_fail(s, WL_FAIL_SOCKET, strerror(errno));
        return -1;
    }

    s->fd = fd;

    /* a keyframe comes in a burst: room for it (FORCE: above rmem_max) */

    on = wl.rcvbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &on, sizeof(on)) == -1) {
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &on, sizeof(on));
    }

    on = 1;
    if (wl.gro
        && setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == -1)
    {
        wl_session_fail(s, WL_FAIL_SOCKET, strerror(errno));
        return -1;
    }

    s->local.sin_family = AF_INET;
    s->local.sin_addr = wl.bind;
    s->local.sin_port = 0;

    if (bind(fd, (struct sockaddr *) &s->local, sizeof(s->local)) == -1) {
        wl_session_fail(s, WL_FAIL_SOCKET, strerror(errno));
        return -1;
    }

    slen = sizeof(s->local);
    getsockname(fd, (struct sockaddr *) &s->local, &slen);

    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t) s->id << 1;

    if (epoll_ctl(wl.ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
        wl_session_fail(s, WL_FAIL_SOCKET, strerror(errno));
        return -1;
    }

    if (wl.janus) {
        rc = wl_janus_start(s);

    } else {
        len = wl_sdp_offer(s, offer, sizeof(offer));
        rc = (len == 0) ? -1 : wl_http_start(s, "POST", wl.path, offer, len);
    }

    if (rc != 0) {
        wl_session_fail(s, WL_FAIL_SOCKET, "cannot POST");
        return -1;
    }

    s->state = WL_HTTP;
    s->next = s->http->deadline;

    return 0;
}


void
wl_session_fail(wl_session_t *s, wl_fail_e fail, const char *why)
{
    if (s->state == WL_FAILED) {
        return;
    }

    if (wl_logged++ < WL_LOG_MAX) {
        wl_log("session %u: %s failed: %s", s->id, wl_fail_names[fail], why);
    }

    s->state = WL_FAILED;
    s->fail = fail;
    s->next = UINT64_MAX;

    if (!s->deleting) {
        wl_http_close(s);
    }

    wl_dtls_free(s);
    wl_media_free(s);

    if (s->fd != -1) {
        close(s->fd);
        s->fd = -1;
    }

    free(s->answer);
    s->answer = NULL;
}


/* the response to our POST, or to the DELETE at the end */

void
wl_session_answer(wl_session_t *s, int status, char *body, size_t len,
    char *location)
{
    if (s->deleting) {
        s->deleting = 0;
        free(location);
        return;
    }

    if (status != 201) {
        char  why[128];

        free(location);
        snprintf(why, sizeof(why), "status %d: %.80s", status,
                 body ? body : "(no response)");
        why[strcspn(why, "\r\n")] = '\0';
        wl_session_fail(s, WL_FAIL_HTTP, why);
        return;
    }

    s->t_answer = wl.now;
    s->location = location;

    if (wl_session_peer(s, body, len) != 0) {
        return;
    }

    wl_session_ice(s);
}


/*
 * The server's SDP (the WHEP answer, or Janus's offer): its video payload
 * type and SSRC, and the UDP socket connected to its candidate; -1 when
 * the session failed (now or before)
 */

int
wl_session_peer(wl_session_t *s, const char *sdp, size_t len)
{
    const char  *err;

    s->answer = malloc(sizeof(wl_answer_t));

    if (s->answer == NULL
        || wl_sdp_answer(sdp, len, s->answer, &err) != 0)
    {
        wl_session_fail(s, WL_FAIL_ANSWER, s->answer ? err : "no memory");
        return -1;
    }

    if (s->fd == -1) {
        return -1;
    }

    s->video_pt = s->answer->video_pt;
    s->video_ssrc = s->answer->video_ssrc;
    s->peer = s->answer->cand;

    /* only the server's candidate gets through: send() and no filtering */

    if (connect(s->fd, (struct sockaddr *) &s->peer, sizeof(s->peer)) == -1) {
        wl_session_fail(s, WL_FAIL_SOCKET, strerror(errno));
        return -1;
    }

    return 0;
}


/* the first binding request; with Janus, its checks may have come already */

static void
wl_session_ice(wl_session_t *s)
{
    u_char  req[256];
    size_t  n;

    s->state = WL_ICE;
    s->deadline = wl.now + (uint64_t) (wl.timeout * WL_SEC);
    wl_random(s->tid, sizeof(s->tid));

    n = wl_ice_request(s, req);
    (void) send(s->fd, req, n, 0);

    s->ice_tries = 1;
    s->next = wl.now + WL_ICE_FIRST;

    if (wl.janus && s->nominated) {
        s->next = s->t_nominated + WL_JANUS_DTLS;
    }
}


void
wl_janus_ice(wl_session_t *s)
{
    if (s->state == WL_HTTP && s->fd != -1) {
        wl_session_ice(s);
    }
}


/*
 * Our check succeeded (ice_ok) or we answered the server's (peer_checked):
 * DTLS starts once both are done, so that the server has its pair
 * selected when the ClientHello comes, or WL_ICE_GRACE after our success
 * if no check of the server's came.
 */

void
wl_session_connected(wl_session_t *s)
{
    /*
     * Janus is the controlling agent: its pair is selected (and its DTLS
     * server ready) once it had our response to its check with
     * USE-CANDIDATE, whether or not our own check succeeded yet
     */

    if (wl.janus) {
        if (s->state == WL_ICE && s->nominated) {
            s->next = s->t_nominated + WL_JANUS_DTLS;
        }
        return;
    }

    if (s->state != WL_ICE || !s->ice_ok) {
        return;
    }

    if (s->peer_checked || wl.dtls_early) {
        wl_session_dtls(s);
        return;
    }

    s->next = s->t_ice + WL_ICE_GRACE;
}


static void
wl_session_dtls(wl_session_t *s)
{
    s->state = WL_DTLS;
    s->deadline = wl.now + (uint64_t) (wl.timeout * WL_SEC);
    s->next = s->deadline;

    if (wl_dtls_start(s) != 0) {
        wl_session_fail(s, WL_FAIL_DTLS, "SSL_new() failed");
    }
}


static void
wl_session_timer(wl_session_t *s)
{
    u_char    req[256];
    size_t    n;
    uint64_t  backoff;

    s->next = UINT64_MAX;

    switch (s->state) {

    case WL_HTTP:
        if (s->http && wl.now >= s->http->deadline) {
            wl_http_close(s);
            wl_session_fail(s, WL_FAIL_HTTP, "timed out");
            return;
        }
        s->next = s->http ? s->http->deadline : UINT64_MAX;
        return;

    case WL_ICE:
        if (wl.now >= s->deadline) {
            wl_session_fail(s, WL_FAIL_ICE, "no binding response");
            return;
        }

        /*
         * Janus: the ClientHello WL_JANUS_DTLS after its nomination.
         * libnice tells Janus of the selected pair (which makes its DTLS
         * server) only after the read of our response returns: a
         * ClientHello right behind the response is dropped ("still
         * waiting for the DTLS stack") and comes again 1 s later
         */

        if (wl.janus && s->nominated) {
            if (wl.now >= s->t_nominated + WL_JANUS_DTLS) {
                wl_session_dtls(s);
                return;
            }
            s->next = s->t_nominated + WL_JANUS_DTLS;
            return;
        }

        if (s->ice_ok && wl.janus) {
            s->next = s->deadline;      /* its nomination is to come */
            return;
        }

        if (s->ice_ok) {
            wl_session_dtls(s);
            return;
        }

        n = wl_ice_request(s, req);
        (void) send(s->fd, req, n, 0);

        backoff = WL_ICE_FIRST << (s->ice_tries < 4 ? s->ice_tries : 4);
        s->ice_tries++;
        s->next = wl.now + (backoff < WL_ICE_MAX ? backoff : WL_ICE_MAX);
        return;

    case WL_DTLS:
        if (wl.now >= s->deadline) {
            wl_session_fail(s, WL_FAIL_DTLS, "handshake timed out");
            return;
        }
        s->next = s->deadline;
        wl_dtls_timer(s);
        return;

    case WL_MEDIA:
        wl_media_rtcp_timer(s);

        if (wl.janus && s->state == WL_MEDIA) {
            backoff = wl_janus_keepalive(s);
            if (backoff < s->next) {
                s->next = backoff;
            }
        }
        return;

    default:
        return;
    }
}


static void wl_udp_datagram(wl_session_t *s, u_char *buf, size_t len,
    struct sockaddr_in *from);


static void
wl_udp_read(wl_session_t *s)
{
    int              i, n, k, gso;
    u_char          *buf;
    size_t           len, seg, off;
    struct cmsghdr  *cmsg;

    for (k = 0; k < 4; k++) {

        for (i = 0; i < WL_BATCH; i++) {
            wl_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);

            if (wl.gro) {
                wl_msgs[i].msg_hdr.msg_controllen = sizeof(wl_ctrl[i].buf);
            }
        }

        n = recvmmsg(s->fd, wl_msgs, WL_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            return;
        }

        for (i = 0; i < n; i++) {
            buf = wl_iov[i].iov_base;
            len = wl_msgs[i].msg_len;
            seg = len;

            /* --gro: the kernel's datagrams of one GSO send, unsplit */

            if (wl.gro) {
                for (cmsg = CMSG_FIRSTHDR(&wl_msgs[i].msg_hdr);
                     cmsg;
                     cmsg = CMSG_NXTHDR(&wl_msgs[i].msg_hdr, cmsg))
                {
                    if (cmsg->cmsg_level == SOL_UDP
                        && cmsg->cmsg_type == UDP_GRO)
                    {
                        memcpy(&gso, CMSG_DATA(cmsg), sizeof(int));
                        seg = gso > 0 ? (size_t) gso : len;
                    }
                }
            }

            for (off = 0; off < len; off += seg) {
                wl_udp_datagram(s, buf + off,
                                len - off < seg ? len - off : seg,
                                &wl_from[i]);

                if (s->fd == -1) {
                    return;             /* failed */
                }
            }
        }

        if (n < WL_BATCH) {
            return;
        }
    }
}


static void
wl_udp_datagram(wl_session_t *s, u_char *buf, size_t len,
    struct sockaddr_in *from)
{
    u_char  b;

    if (len == 0) {
        return;
    }

    b = buf[0];

    /* RFC 7983 demultiplexing */

    if (b >= 128 && b <= 191) {
        if (s->state == WL_MEDIA) {
            wl_media_rtp(s, buf, len);
        }

    } else if (b <= 3) {
        wl_ice_stun(s, buf, len, from);

    } else if (b >= 20 && b <= 63) {
        if (s->state == WL_DTLS) {
            wl_dtls_input(s, buf, len);
        }
    }
}


static void
wl_loop_once(void)
{
    int                 i, n;
    uint32_t            id;
    wl_session_t       *s;
    struct epoll_event  ev[256];

    static uint64_t     next_tick, last_wait;

    /*
     * a frame reaches a session as a burst of packets: waiting a little
     * between two polls lets them queue, so that one recvmmsg() takes
     * several and one epoll_wait() reports many sockets; but not while a
     * session sets up, whose every round trip would wait for it
     */

    if (wl.interval && wl.setting_up == 0 && wl.started == wl.n
        && wl.now - last_wait < wl.interval)
    {
        struct timespec  ts;

        ts.tv_sec = 0;
        ts.tv_nsec = (long) (wl.interval - (wl.now - last_wait)) * 1000;
        nanosleep(&ts, NULL);
    }

    n = epoll_wait(wl.ep, ev, 256, WL_TICK / WL_MS);
    wl.now = wl_now();
    last_wait = wl.now;

    for (i = 0; i < n; i++) {
        id = (uint32_t) (ev[i].data.u64 >> 1);
        s = &wl.sessions[id];

        if (ev[i].data.u64 & 1) {
            wl_http_event(s, ev[i].events);

        } else if (s->fd != -1) {
            wl_udp_read(s);
        }
    }

    if (wl.now < next_tick) {
        return;
    }

    next_tick = wl.now + WL_TICK;

    /* timers: one comparison per session and tick */

    wl.setting_up = 0;

    for (i = 0; i < wl.started; i++) {
        s = &wl.sessions[i];

        if (s->next <= wl.now) {
            wl_session_timer(s);
        }

        if ((s->state > WL_NEW && s->state < WL_MEDIA)
            || (s->state == WL_MEDIA && !s->key_seen))
        {
            wl.setting_up++;
        }
    }
}


static int
wl_settled(void)
{
    int            i;
    wl_session_t  *s;

    for (i = 0; i < wl.n; i++) {
        s = &wl.sessions[i];

        if (s->state == WL_FAILED) {
            continue;
        }

        if (s->state != WL_MEDIA) {
            return 0;
        }

        if (!s->key_seen
            && wl.now < s->t_dtls + (uint64_t) (wl.timeout * WL_SEC))
        {
            return 0;
        }
    }

    return 1;
}


static void
wl_on_signal(int sig)
{
    wl_stop = 1;
}


static double
wl_cpu_ms(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3
           + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}


int
main(int argc, char **argv)
{
    int            i, up;
    double         cpu0, window;
    uint64_t       t_win, t_end, t_del;
    wl_session_t  *s;
    struct rlimit  rl;

    wl_t0 = 0;
    wl_t0 = wl_now();

    wl_options(argc, argv);

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, wl_on_signal);
    signal(SIGTERM, wl_on_signal);

    /* a UDP socket per session and a TCP one per POST in flight */

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    if (srtp_init() != srtp_err_status_ok || wl_dtls_init() != 0) {
        fprintf(stderr, "whep-load: libsrtp2 or OpenSSL init failed\n");
        return 1;
    }

    if (wl.gro) {
        wl_gro_bufs = malloc(WL_BATCH * WL_GRO_BUF);

        if (wl_gro_bufs == NULL) {
            fprintf(stderr, "whep-load: no memory\n");
            return 1;
        }
    }

    for (i = 0; i < WL_BATCH; i++) {
        wl_iov[i].iov_base = wl_bufs[i];
        wl_iov[i].iov_len = WL_MTU + 64;
        wl_msgs[i].msg_hdr.msg_iov = &wl_iov[i];
        wl_msgs[i].msg_hdr.msg_iovlen = 1;
        wl_msgs[i].msg_hdr.msg_name = &wl_from[i];

        if (wl.gro) {
            wl_iov[i].iov_base = wl_gro_bufs + i * WL_GRO_BUF;
            wl_iov[i].iov_len = WL_GRO_BUF;
            wl_msgs[i].msg_hdr.msg_control = wl_ctrl[i].buf;
        }
    }

    wl.sessions = calloc(wl.n, sizeof(wl_session_t));
    wl.ep = epoll_create1(EPOLL_CLOEXEC);

    if (wl.sessions == NULL || wl.ep == -1) {
        fprintf(stderr, "whep-load: no memory or epoll\n");
        return 1;
    }

    for (i = 0; i < wl.n; i++) {
        wl.sessions[i].id = i;
        wl.sessions[i].fd = -1;
        wl.sessions[i].next = UINT64_MAX;
    }

    wl.now = wl_now();

    wl_log("%d sessions of %s, ramp %g/s, %d POSTs in flight",
           wl.n, wl.url, wl.ramp, wl.parallel);

    /* ramp */

    while (wl.started < wl.n && !wl_stop) {
        int  allowed;

        allowed = wl.ramp > 0
                  ? (int) ((double) wl.now / WL_SEC * wl.ramp) + 1 : wl.n;

        while (wl.started < wl.n && wl.started < allowed
               && wl.in_flight < wl.parallel)
        {
            wl_session_start(&wl.sessions[wl.started++]);
        }

        wl_loop_once();
    }

    /* until each is up or failed */

    while (!wl_settled() && !wl_stop) {
        wl_loop_once();
    }

    up = 0;
    for (i = 0; i < wl.n; i++) {
        up += wl.sessions[i].state == WL_MEDIA;
    }

    /* bench/load.js takes the server's figures from this line on */

    wl_log("%d up, %d failed; measuring %g s", up, wl.n - up, wl.duration);

    /* the window */

    for (i = 0; i < wl.n; i++) {
        s = &wl.sessions[i];
        s->w_packets = s->packets;
        s->w_bytes = s->bytes;
        s->w_expected = wl_media_expected(s);
        s->w_received = wl_media_received(s);
    }

    cpu0 = wl_cpu_ms();
    t_win = wl.now;
    t_end = wl.now + (uint64_t) (wl.duration * WL_SEC);

    while (wl.now < t_end && !wl_stop) {
        wl_loop_once();
    }

    window = (double) (wl.now - t_win) / WL_SEC;
    cpu0 = wl_cpu_ms() - cpu0;

    for (i = 0; i < wl.n; i++) {
        s = &wl.sessions[i];
        s->w_packets = s->packets - s->w_packets;
        s->w_bytes = s->bytes - s->w_bytes;
        s->w_expected = wl_media_expected(s) - s->w_expected;
        s->w_received = wl_media_received(s) - s->w_received;
    }

    wl_report(window, cpu0, wl.now);

    /* DELETE every session the server made, -p at a time */

    t_del = wl.now + 5 * WL_SEC;
    i = 0;

    while (wl.delete && wl.now < t_del) {
        while (i < wl.n && wl.in_flight < wl.parallel) {
            s = &wl.sessions[i++];

            if (s->location == NULL) {
                continue;
            }

            wl_http_close(s);
            s->deleting = 1;

            if (wl.janus ? wl_janus_destroy(s) != 0
                : wl_http_start(s, "DELETE", s->location, NULL, 0) != 0)
            {
                s->deleting = 0;
            }
        }

        if (i == wl.n && wl.in_flight == 0) {
            break;
        }

        wl_loop_once();
    }

    return 0;
}
