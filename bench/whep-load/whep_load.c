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
 *             [--no-delete] URL
 *
 * Phases: sessions start at --ramp a second (all at once: 0) with at
 * most -p POSTs in flight; once each is up (first keyframe) or failed,
 * a window of -d seconds is measured; then every session is DELETEd and
 * the figures printed.
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

#include "wl.h"


#define WL_BATCH          32
#define WL_TICK           (10 * WL_MS)
#define WL_ICE_FIRST      (50 * WL_MS)
#define WL_ICE_MAX        (500 * WL_MS)
#define WL_ICE_GRACE      (200 * WL_MS)  /* for the server's check */
#define WL_LOG_MAX        20


wl_t  wl;

static uint64_t            wl_t0;
static volatile sig_atomic_t  wl_stop;
static int                 wl_logged;

/* the receive batch: no allocation per packet */
static u_char              wl_bufs[WL_BATCH][WL_MTU + 64];
static struct sockaddr_in  wl_from[WL_BATCH];
static struct iovec        wl_iov[WL_BATCH];
static struct mmsghdr      wl_msgs[WL_BATCH];

static const char  *wl_fail_names[WL_FAIL_N] = {
    "none", "http", "answer", "ice", "dtls", "media", "socket"
};


static void wl_usage(const char *msg);
static int wl_session_start(wl_session_t *s);
static void wl_session_timer(wl_session_t *s);
static void wl_session_dtls(wl_session_t *s);
static void wl_udp_read(wl_session_t *s);
static void wl_loop_once(void);
static void wl_report(double window, double cpu_ms, uint64_t t_run);


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
        "                 [--dtls-early] [--no-delete] URL\n"
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
        "  --dtls-early   ClientHello as soon as our check succeeds, as\n"
        "                 browsers do, not after the server's check\n"
        "  URL            http://host:port/whep/stream\n");

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
    wl.bind.s_addr = htonl(INADDR_ANY);

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
    int                 fd, on;
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

    len = wl_sdp_offer(s, offer, sizeof(offer));

    if (len == 0
        || wl_http_start(s, "POST", wl.path, offer, len) != 0)
    {
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
    u_char       req[256];
    size_t       n;
    const char  *err;

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

    s->answer = malloc(sizeof(wl_answer_t));

    if (s->answer == NULL
        || wl_sdp_answer(body, len, s->answer, &err) != 0)
    {
        wl_session_fail(s, WL_FAIL_ANSWER, s->answer ? err : "no memory");
        return;
    }

    if (s->fd == -1) {
        return;
    }

    s->video_pt = s->answer->video_pt;
    s->video_ssrc = s->answer->video_ssrc;
    s->peer = s->answer->cand;

    /* only the server's candidate gets through: send() and no filtering */

    if (connect(s->fd, (struct sockaddr *) &s->peer, sizeof(s->peer)) == -1) {
        wl_session_fail(s, WL_FAIL_SOCKET, strerror(errno));
        return;
    }

    s->state = WL_ICE;
    s->deadline = wl.now + (uint64_t) (wl.timeout * WL_SEC);
    wl_random(s->tid, sizeof(s->tid));

    n = wl_ice_request(s, req);
    (void) send(s->fd, req, n, 0);

    s->ice_tries = 1;
    s->next = wl.now + WL_ICE_FIRST;
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
        return;

    default:
        return;
    }
}


static void
wl_udp_read(wl_session_t *s)
{
    int      i, n, k;
    u_char   b, *buf;
    size_t   len;

    for (k = 0; k < 4; k++) {

        for (i = 0; i < WL_BATCH; i++) {
            wl_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
        }

        n = recvmmsg(s->fd, wl_msgs, WL_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            return;
        }

        for (i = 0; i < n; i++) {
            buf = wl_bufs[i];
            len = wl_msgs[i].msg_len;

            if (len == 0) {
                continue;
            }

            b = buf[0];

            /* RFC 7983 demultiplexing */

            if (b >= 128 && b <= 191) {
                if (s->state == WL_MEDIA) {
                    wl_media_rtp(s, buf, len);
                }

            } else if (b <= 3) {
                wl_ice_stun(s, buf, len, &wl_from[i]);

            } else if (b >= 20 && b <= 63) {
                if (s->state == WL_DTLS) {
                    wl_dtls_input(s, buf, len);
                }
            }

            if (s->fd == -1) {
                return;             /* failed */
            }
        }

        if (n < WL_BATCH) {
            return;
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

    for (i = 0; i < WL_BATCH; i++) {
        wl_iov[i].iov_base = wl_bufs[i];
        wl_iov[i].iov_len = WL_MTU + 64;
        wl_msgs[i].msg_hdr.msg_iov = &wl_iov[i];
        wl_msgs[i].msg_hdr.msg_iovlen = 1;
        wl_msgs[i].msg_hdr.msg_name = &wl_from[i];
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

            if (wl_http_start(s, "DELETE", s->location, NULL, 0) != 0) {
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


/* reporting */


static int
wl_cmp(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


typedef struct {
    int     n;
    double  p50;
    double  p95;
    double  max;
} wl_dist_t;


static wl_dist_t
wl_dist(double *v, int n)
{
    wl_dist_t  d;

    memset(&d, 0, sizeof(d));
    d.n = n;

    if (n == 0) {
        d.p50 = d.p95 = d.max = NAN;
        return d;
    }

    qsort(v, n, sizeof(double), wl_cmp);

    d.p50 = v[(int) ceil(0.50 * n) - 1];
    d.p95 = v[(int) ceil(0.95 * n) - 1];
    d.max = v[n - 1];

    return d;
}


static void
wl_report(double window, double cpu_ms, uint64_t t_run)
{
    int            i, up, failed, stalled, gcm, cm;
    int            fails[WL_FAIL_N];
    int            nk, nf, na, ni, nd;
    double        *key, *first, *ans, *ice, *dtls;
    double         pps, mbit, loss, cpu;
    uint64_t       packets, bytes, expected, received, decrypted, dfail;
    uint64_t       lost_all, exp_all, rtcp_out, stun_in;
    wl_dist_t      dk, df, da, di, dd;
    wl_session_t  *s;

    key = calloc(wl.n, sizeof(double));
    first = calloc(wl.n, sizeof(double));
    ans = calloc(wl.n, sizeof(double));
    ice = calloc(wl.n, sizeof(double));
    dtls = calloc(wl.n, sizeof(double));

    memset(fails, 0, sizeof(fails));
    up = failed = stalled = gcm = cm = 0;
    nk = nf = na = ni = nd = 0;
    packets = bytes = expected = received = decrypted = dfail = 0;
    lost_all = exp_all = rtcp_out = stun_in = 0;

    for (i = 0; i < wl.n; i++) {
        s = &wl.sessions[i];

        if (s->state == WL_MEDIA) {
            up++;
            gcm += s->gcm;
            cm += !s->gcm;

            if (s->w_packets == 0) {
                stalled++;
            }

        } else {
            failed++;
            fails[s->state == WL_FAILED ? s->fail : WL_FAIL_NONE]++;
        }

#define WL_MS_SINCE(t)  ((double) ((t) - s->t_start) / WL_MS)

        if (s->t_key) {
            key[nk++] = WL_MS_SINCE(s->t_key);
        }
        if (s->t_first) {
            first[nf++] = WL_MS_SINCE(s->t_first);
        }
        if (s->t_answer) {
            ans[na++] = WL_MS_SINCE(s->t_answer);
        }
        if (s->t_ice) {
            ice[ni++] = WL_MS_SINCE(s->t_ice);
        }
        if (s->t_dtls) {
            dtls[nd++] = WL_MS_SINCE(s->t_dtls);
        }

#undef WL_MS_SINCE

        packets += s->w_packets;
        bytes += s->w_bytes;
        expected += s->w_expected;
        received += s->w_received;
        decrypted += s->decrypted;
        dfail += s->decrypt_failed;
        rtcp_out += s->rtcp_out;
        stun_in += s->stun_in;
        exp_all += wl_media_expected(s);
        lost_all += wl_media_expected(s) > wl_media_received(s)
                    ? wl_media_expected(s) - wl_media_received(s) : 0;
    }

    dk = wl_dist(key, nk);
    df = wl_dist(first, nf);
    da = wl_dist(ans, na);
    di = wl_dist(ice, ni);
    dd = wl_dist(dtls, nd);

    pps = window > 0 ? packets / window : 0;
    mbit = window > 0 ? bytes * 8 / window / 1e6 : 0;
    loss = expected ? 100.0 * ((double) expected - (double) received)
                      / expected : 0;
    if (loss < 0) {
        loss = 0;
    }
    cpu = window > 0 ? cpu_ms / window : 0;

    if (wl.json) {
        printf("{\n"
               "  \"url\": \"%s\",\n"
               "  \"sessions\": %d,\n"
               "  \"ramp\": %g,\n"
               "  \"parallel\": %d,\n"
               "  \"window_s\": %.3f,\n"
               "  \"up\": %d,\n"
               "  \"failed\": %d,\n"
               "  \"failures\": {",
               wl.url, wl.n, wl.ramp, wl.parallel, window, up, failed);

        for (i = 1; i < WL_FAIL_N; i++) {
            printf("%s\"%s\": %d", i > 1 ? ", " : "", wl_fail_names[i],
                   fails[i]);
        }

        printf(", \"pending\": %d},\n", fails[WL_FAIL_NONE]);

        printf("  \"stalled\": %d,\n"
               "  \"srtp\": {\"gcm\": %d, \"cm\": %d},\n"
               "  \"packets\": %llu,\n"
               "  \"bytes\": %llu,\n"
               "  \"packets_per_s\": %.1f,\n"
               "  \"packets_per_s_per_session\": %.2f,\n"
               "  \"mbit_per_s\": %.3f,\n"
               "  \"expected\": %llu,\n"
               "  \"lost\": %lld,\n"
               "  \"loss_pct\": %.4f,\n"
               "  \"expected_since_start\": %llu,\n"
               "  \"lost_since_start\": %llu,\n",
               stalled, gcm, cm, (unsigned long long) packets,
               (unsigned long long) bytes, pps, up ? pps / up : 0, mbit,
               (unsigned long long) expected,
               (long long) expected - (long long) received, loss,
               (unsigned long long) exp_all, (unsigned long long) lost_all);

#define WL_JDIST(name, d)                                                    \
        printf("  \"%s\": {\"n\": %d, \"p50\": %.1f, \"p95\": %.1f, "         \
               "\"max\": %.1f},\n", name, d.n,                                \
               isnan(d.p50) ? -1.0 : d.p50, isnan(d.p95) ? -1.0 : d.p95,      \
               isnan(d.max) ? -1.0 : d.max)

        WL_JDIST("answer_ms", da);
        WL_JDIST("ice_ms", di);
        WL_JDIST("dtls_ms", dd);
        WL_JDIST("first_packet_ms", df);
        WL_JDIST("first_keyframe_ms", dk);

#undef WL_JDIST

        printf("  \"decrypted\": %llu,\n"
               "  \"decrypt_failures\": %llu,\n"
               "  \"rtcp_sent\": %llu,\n"
               "  \"stun_received\": %llu,\n"
               "  \"client_cpu_ms\": %.1f,\n"
               "  \"client_cpu_ms_per_s\": %.2f,\n"
               "  \"run_s\": %.3f\n"
               "}\n",
               (unsigned long long) decrypted, (unsigned long long) dfail,
               (unsigned long long) rtcp_out, (unsigned long long) stun_in,
               cpu_ms, cpu, (double) t_run / WL_SEC);

    } else {
        printf("# whep-load %s: %d sessions, ramp %g/s, %d parallel; "
               "window %.1f s; SRTP GCM %d, CM %d\n",
               wl.url, wl.n, wl.ramp, wl.parallel, window, gcm, cm);
        printf("# times from the POST, ms: answer, ICE (binding success), "
               "DTLS done, first RTP, first keyframe packet\n");
        printf("%8s %6s %6s %9s %9s %8s %8s %7s %8s %8s %8s %18s %9s "
               "%8s %8s\n",
               "sessions", "up", "failed", "pkts/s", "pkts/s/s", "Mbit/s",
               "loss %", "lost", "answer", "dtls", "first", "key p50/p95/max",
               "decrypted", "dec.fail", "cpu ms/s");
        printf("%8d %6d %6d %9.0f %9.1f %8.2f %8.3f %7lld %8.0f %8.0f "
               "%8.0f %6.0f/%5.0f/%5.0f %9llu %8llu %8.1f\n",
               wl.n, up, failed, pps, up ? pps / up : 0, mbit, loss,
               (long long) expected - (long long) received, da.p50, dd.p50,
               df.p50, dk.p50, dk.p95, dk.max, (unsigned long long) decrypted,
               (unsigned long long) dfail, cpu);
        printf("# failed: ");
        for (i = 1; i < WL_FAIL_N; i++) {
            printf("%s %d, ", wl_fail_names[i], fails[i]);
        }
        printf("not up in time %d; no RTP in the window: %d; "
               "lost since the start: %llu of %llu; ICE p50 %.0f ms; "
               "client cpu %.2f ms/s per session\n",
               fails[WL_FAIL_NONE], stalled, (unsigned long long) lost_all,
               (unsigned long long) exp_all, di.p50, up ? cpu / up : 0);
    }

    fflush(stdout);

    free(key);
    free(first);
    free(ans);
    free(ice);
    free(dtls);
}
