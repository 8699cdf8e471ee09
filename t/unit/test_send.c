/*
 * Copyright (C) nginx-rtc authors
 *
 * The media send path (ngx_rtc_send.c) and what it needs of the
 * packetizers: FU fragments of equal size but the last (H.264, H.265);
 * the GSO batch builder's runs (segment size, the last one shorter, 64
 * segments, 64 KB); and batches sent for real on loopback UDP sockets,
 * with GSO, with sendmmsg(), and through the libnice fallback (stood in
 * for), each packet arriving as one datagram of its size, in order; and
 * a fan-out's batches of several sessions queued and sent together
 * through the worker's io_uring, a session with a broken socket among
 * them; a full socket (the ring's result made -EAGAIN: loopback never
 * fills one) loses a queued video frame, not an audio one.
 *
 * unit-deps: src/ngx_rtc_send.c src/ngx_rtc_uring.c src/ngx_rtc_h264.c src/ngx_rtc_nal.c src/ngx_rtc_h265.c
 * unit-libs: -Wl,--wrap=ngx_rtc_uring_sendmsg -Wl,--wrap=ngx_rtc_uring_submit
 */

#include "ngx_rtc_unit.h"
#include <ngx_rtc.h>
#include <netinet/in.h>
#include "ngx_rtc_h264.h"
#include "ngx_rtc_h265.h"
#include "ngx_rtc_send.h"
#include "ngx_rtc_uring.h"


#define TEST_TAG  10        /* what the SRTP stand-in appends */


/* stand-ins for ngx_rtc_srtp.c, ngx_rtc_ice.c and ngx_rtc_latency.c */

static ngx_rtc_ice_peer_t  *test_peer;
static ngx_uint_t           test_nice_sent;
static size_t               test_nice_len[256];
static ngx_uint_t           test_delays;
static int64_t              test_delay_arrival;


ngx_int_t
ngx_rtc_srtp_protect(ngx_rtc_srtp_t *s, u_char *buf, size_t *len,
    size_t size)
{
    if (size < *len + NGX_RTC_SRTP_MAX_TRAILER_LEN) {
        return NGX_ERROR;
    }

    ngx_memset(buf + *len, 0xaa, TEST_TAG);
    *len += TEST_TAG;

    return NGX_OK;
}


/* a session's "ice" is its peer here, or test_peer without one */

ngx_rtc_ice_peer_t *
ngx_rtc_ice_peer(ngx_rtc_ice_t *ice)
{
    return ice ? (ngx_rtc_ice_peer_t *) ice : test_peer;
}


void
ngx_rtc_latency_sent(int64_t arrival)
{
    if (arrival > 0) {
        test_delays++;
        test_delay_arrival = arrival;
    }
}


ngx_int_t
ngx_rtc_ice_send(ngx_rtc_ice_t *ice, u_char *buf, size_t len)
{
    if (test_nice_sent < 256) {
        test_nice_len[test_nice_sent] = len;
    }

    test_nice_sent++;

    return NGX_OK;
}


static void
test_frag_size(void)
{
    size_t      room, len, f, last, frags;
    ngx_uint_t  bad;

    /* the fewest fragments, equal, the last no longer */

    NGX_RTC_CHECK(ngx_rtc_h264_frag_size(10, 4) == 4);     /* 4 4 2 */
    NGX_RTC_CHECK(ngx_rtc_h264_frag_size(9, 4) == 3);      /* 3 3 3 */
    NGX_RTC_CHECK(ngx_rtc_h264_frag_size(8, 4) == 4);      /* 4 4 */
    NGX_RTC_CHECK(ngx_rtc_h264_frag_size(3, 4) == 3);
    NGX_RTC_CHECK(ngx_rtc_h264_frag_size(2377, 1188) == 793);
    NGX_RTC_CHECK(ngx_rtc_h264_frag_size(0, 4) == 0);

    bad = 0;

    for (room = 1; room < 40; room++) {
        for (len = 1; len < 400; len++) {
            f = ngx_rtc_h264_frag_size(len, room);
            frags = (len + f - 1) / f;
            last = len - (frags - 1) * f;

            if (f > room || frags != (len + room - 1) / room
                || last == 0 || last > f)
            {
                bad++;
            }
        }
    }

    NGX_RTC_CHECK(bad == 0);
}


static u_char  au[8192];
static u_char  nal[5000];
static u_char  out[2048];


/* a NAL unit with its 4-byte length prefix, as the ring stores AUs */

static u_char *
test_add_nal(u_char *p, u_char *n, size_t len)
{
    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;

    return ngx_cpymem(p + 4, n, len);
}


/*
 * the payload lengths of the access unit au .. end in 1200-byte payloads
 * (h265: H.265, else H.264): their count, at most 64
 */

static ngx_uint_t
test_pack_lens(ngx_uint_t h265, u_char *end, size_t *lens)
{
    ssize_t              n;
    ngx_uint_t           np, last;
    ngx_rtc_nal_pack_t   pack;

    if (h265) {
        ngx_rtc_h265_pack_init(&pack, au, end - au, 1200);

    } else {
        ngx_rtc_h264_pack_init(&pack, au, end - au, 1200);
    }

    for (np = 0; np < 64; np++) {
        n = h265 ? ngx_rtc_h265_pack_next(&pack, out, &last)
                 : ngx_rtc_h264_pack_next(&pack, out, &last);
        if (n <= 0) {
            break;
        }

        lens[np] = n;
    }

    return np;
}


static void
test_pack_equal(void)
{
    u_char          *p;
    size_t           lens[64];
    ngx_uint_t       i, np;
    static u_char    sps[] = { 0x67, 0x42, 0xc0, 0x1e, 0xda };
    static u_char    pps[] = { 0x68, 0xce, 0x38, 0x80 };

    for (i = 0; i < sizeof(nal); i++) {
        nal[i] = (u_char) (i * 7 + 1);
    }

    /*
     * H.264: an SPS, a PPS and an IDR slice of 5000 bytes in 1200-byte
     * payloads: a STAP-A, then FU-As of 1000 bytes (4999 after the NAL
     * header: 5 fragments, the last of 999) behind 2 bytes of FU headers
     */

    nal[0] = 0x65;

    p = test_add_nal(au, sps, sizeof(sps));
    p = test_add_nal(p, pps, sizeof(pps));
    p = test_add_nal(p, nal, sizeof(nal));

    np = test_pack_lens(0, p, lens);

    NGX_RTC_CHECK(np == 6);
    NGX_RTC_CHECK(lens[0] == 1 + 2 + sizeof(sps) + 2 + sizeof(pps));

    for (i = 1; i < 5; i++) {
        NGX_RTC_CHECK(lens[i] == 2 + 1000);
    }

    NGX_RTC_CHECK(lens[5] == 2 + 999);

    /*
     * the old split (each fragment sized on what is left) made 1000,
     * 1000, 1000, 1000, 999 here but 1194 of 2387 as 1194, 1193: the
     * last no longer holds for all; check a range of sizes
     */

    for (i = 1201; i < 5000; i += 37) {
        p = test_add_nal(au, nal, i);
        np = test_pack_lens(0, p, lens);

        NGX_RTC_CHECK(np >= 2 && ngx_rtc_send_gso_run(lens, np, 64, 65507)
                                 == np);
    }

    /* H.265: an IDR (type 19, 2-byte header) of 5000 bytes */

    nal[0] = 19 << 1;
    nal[1] = 0x01;

    p = test_add_nal(au, nal, sizeof(nal));
    np = test_pack_lens(1, p, lens);

    /* 4998 bytes after the header, 1197 of room: 5 of 1000 but 998 */

    NGX_RTC_CHECK(np == 5);

    for (i = 0; i < 4; i++) {
        NGX_RTC_CHECK(lens[i] == 3 + 1000);
    }

    NGX_RTC_CHECK(lens[4] == 3 + 998);
}


static void
test_gso_run(void)
{
    size_t      len[200];
    ngx_uint_t  i;

    /* equal, the last shorter: one run */

    len[0] = 1200; len[1] = 1200; len[2] = 1200; len[3] = 700;
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 4, 64, 65507) == 4);

    /* a shorter one ends a run, even with more behind it */

    len[3] = 700; len[4] = 1200;
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 5, 64, 65507) == 4);
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(&len[4], 1, 64, 65507) == 1);

    /* a small first packet (a STAP-A) goes alone before longer ones */

    len[0] = 60; len[1] = 1200; len[2] = 1200;
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 3, 64, 65507) == 1);
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(&len[1], 2, 64, 65507) == 2);

    /* all equal */

    for (i = 0; i < 200; i++) {
        len[i] = 1000;
    }

    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 10, 64, 65507) == 10);

    /* at most 64 segments, and 64 KB in all */

    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 200, 64, 1000000) == 64);
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 200, 64, 65507) == 64);
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 200, 64, 10500) == 10);

    len[0] = 1222;

    for (i = 1; i < 200; i++) {
        len[i] = 1222;
    }

    /* 53 * 1222 = 64766, 54 * 1222 = 65988 */
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 200, 64, 65507) == 53);

    /* the shorter last one must fit too */

    len[53] = 100;
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 54, 64, 64766) == 53);

    /* one packet, or none */

    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 1, 64, 65507) == 1);
    NGX_RTC_CHECK(ngx_rtc_send_gso_run(len, 0, 64, 65507) == 0);
}


/*
 * The worker's io_uring as it is, but for the messages to test_full_fd:
 * sent, and reported as a full socket would be (-EAGAIN)
 */

static ngx_socket_t  test_full_fd = -1;
static ngx_socket_t  test_msg_fd[NGX_RTC_URING_ENTRIES];

void __real_ngx_rtc_uring_sendmsg(ngx_uint_t i, ngx_socket_t fd,
    struct msghdr *msg);
ngx_int_t __real_ngx_rtc_uring_submit(ngx_uint_t n, int *res, ngx_log_t *log);
void __wrap_ngx_rtc_uring_sendmsg(ngx_uint_t i, ngx_socket_t fd,
    struct msghdr *msg);
ngx_int_t __wrap_ngx_rtc_uring_submit(ngx_uint_t n, int *res, ngx_log_t *log);


void
__wrap_ngx_rtc_uring_sendmsg(ngx_uint_t i, ngx_socket_t fd,
    struct msghdr *msg)
{
    if (i < NGX_RTC_URING_ENTRIES) {
        test_msg_fd[i] = fd;
    }

    __real_ngx_rtc_uring_sendmsg(i, fd, msg);
}


ngx_int_t
__wrap_ngx_rtc_uring_submit(ngx_uint_t n, int *res, ngx_log_t *log)
{
    ngx_int_t   rc;
    ngx_uint_t  i;

    rc = __real_ngx_rtc_uring_submit(n, res, log);

    for (i = 0; i < n && i < NGX_RTC_URING_ENTRIES; i++) {
        if (test_msg_fd[i] == test_full_fd && res[i] >= 0) {
            res[i] = -EAGAIN;
        }
    }

    return rc;
}


/* a frame's packets through the send path, received on loopback */

static ngx_socket_t        rx = -1;
static ngx_rtc_ice_peer_t  peer;


static ngx_int_t
test_sockets(void)
{
    int                 size;
    socklen_t           len;
    struct sockaddr_in  sin;

    rx = socket(AF_INET, SOCK_DGRAM, 0);
    peer.fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (rx == -1 || peer.fd == -1) {
        return NGX_ERROR;
    }

    size = 4 * 1024 * 1024;

    if (setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(int))
        == -1)
    {
        (void) setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(int));
    }

    ngx_memzero(&sin, sizeof(struct sockaddr_in));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(rx, (struct sockaddr *) &sin, sizeof(struct sockaddr_in))
        == -1)
    {
        return NGX_ERROR;
    }

    len = sizeof(struct sockaddr_in);

    if (getsockname(rx, (struct sockaddr *) &sin, &len) == -1) {
        return NGX_ERROR;
    }

    ngx_memcpy(&peer.sockaddr, &sin, sizeof(struct sockaddr_in));
    peer.socklen = sizeof(struct sockaddr_in);

    if (fcntl(peer.fd, F_SETFL, O_NONBLOCK) == -1
        || fcntl(rx, F_SETFL, O_NONBLOCK) == -1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * n packets: 12 bytes of "header" with the index, then len[i] bytes; the
 * flush with the frame's arrival
 */

static ngx_int_t
test_frame_at(ngx_rtc_send_t *snd, size_t *len, ngx_uint_t n,
    int64_t arrival)
{
    u_char      *p;
    ngx_uint_t   i;

    for (i = 0; i < n; i++) {
        p = ngx_rtc_send_buf(snd);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(p, 12);
        p[0] = 0x80;
        p[2] = (u_char) (i >> 8);
        p[3] = (u_char) i;
        ngx_memset(p + 12, (int) (i & 0xff), len[i]);

        if (ngx_rtc_send_add(snd, 12 + len[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_rtc_send_flush(snd, arrival);
}


static ngx_int_t
test_frame(ngx_rtc_send_t *snd, size_t *len, ngx_uint_t n)
{
    return test_frame_at(snd, len, n, 0);
}


/* every datagram: its size, its index, its bytes; NGX_OK if all came */

static ngx_int_t
test_receive(size_t *len, ngx_uint_t n)
{
    u_char      buf[65536];
    ssize_t     r;
    ngx_uint_t  i, bad;

    bad = 0;

    for (i = 0; i < n; i++) {
        r = recv(rx, buf, sizeof(buf), 0);

        if (r != (ssize_t) (12 + len[i] + TEST_TAG)
            || buf[2] != (u_char) (i >> 8) || buf[3] != (u_char) i
            || (len[i] && buf[12 + len[i] - 1] != (u_char) (i & 0xff))
            || buf[r - 1] != 0xaa)
        {
            fprintf(stderr, "datagram %lu: %ld bytes, expected %lu\n",
                    (unsigned long) i, (long) r,
                    (unsigned long) (12 + len[i] + TEST_TAG));
            bad++;
            break;
        }
    }

    /* nothing more */

    r = recv(rx, buf, sizeof(buf), 0);

    return (bad == 0 && r == -1) ? NGX_OK : NGX_ERROR;
}


/* io_uring turned off on this machine (Linux 6.6+): nothing to test */

static ngx_uint_t
test_uring_off(void)
{
    int    fd;
    char   c;

    fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY);
    if (fd == -1) {
        return 0;
    }

    c = '0';
    (void) read(fd, &c, 1);
    (void) close(fd);

    return c != '0';
}


/*
 * A fan-out: three sessions' frames queued, the first with a socket that
 * is not one; nothing leaves before the commit, then the other two's
 * packets arrive whole and in order, each frame's send delay counted
 * once, the broken one's packets counted as errors.  Then one frame
 * longer than the buffer, queued: it leaves in two submissions, in order.
 */

static void
test_fanout(ngx_log_t *log)
{
    u_char              buf[65536];
    size_t              len[300];
    ssize_t             r;
    ngx_uint_t          i, k, bad;
    ngx_cycle_t         cycle;
    ngx_rtc_send_t      a, b, c;
    ngx_rtc_ice_peer_t  pa, pb, pc;

    if (test_uring_off()) {
        fprintf(stderr, "io_uring is turned off here: fan-out skipped\n");
        return;
    }

    ngx_memzero(&cycle, sizeof(ngx_cycle_t));
    cycle.log = log;

    NGX_RTC_CHECK(ngx_rtc_send_init_process(&cycle, 1, 1) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_uring_ready(log) == NGX_OK);

    pa = peer;
    pb = peer;
    pc = peer;
    pb.fd = socket(AF_INET, SOCK_DGRAM|SOCK_NONBLOCK, 0);
    pc.fd = 1000000;

    NGX_RTC_CHECK(pb.fd != -1);

    ngx_memzero(&a, sizeof(ngx_rtc_send_t));
    ngx_memzero(&b, sizeof(ngx_rtc_send_t));
    ngx_memzero(&c, sizeof(ngx_rtc_send_t));
    a.log = log;
    b.log = log;
    c.log = log;
    a.ice = (ngx_rtc_ice_t *) &pa;
    b.ice = (ngx_rtc_ice_t *) &pb;
    c.ice = (ngx_rtc_ice_t *) &pc;

    len[0] = 40;
    len[1] = 1000; len[2] = 1000; len[3] = 1000; len[4] = 900;
    len[5] = 1100; len[6] = 1100; len[7] = 1099;

    test_delays = 0;

    ngx_rtc_send_defer(log);

    NGX_RTC_CHECK(test_frame_at(&c, len, 8, 100) == NGX_OK);
    NGX_RTC_CHECK(test_frame_at(&a, len, 8, 200) == NGX_OK);
    NGX_RTC_CHECK(test_frame_at(&b, len, 8, 300) == NGX_OK);

    /* queued: nothing has left */

    NGX_RTC_CHECK(test_receive(len, 0) == NGX_OK);
    NGX_RTC_CHECK(a.packets == 0 && test_delays == 0);

    ngx_rtc_send_commit();

    NGX_RTC_CHECK(c.errors == 8 && c.packets == 0 && !c.lost);
    NGX_RTC_CHECK(a.packets == 8 && a.errors == 0 && a.drops == 0);
    NGX_RTC_CHECK(b.packets == 8 && b.errors == 0 && b.drops == 0);
    NGX_RTC_CHECK(a.path == NGX_RTC_SEND_GSO && a.calls == 1);
    NGX_RTC_CHECK(test_delays == 2 && test_delay_arrival == 300);

    /* a's 8 datagrams, then b's */

    for (bad = 0, k = 0; k < 16; k++) {
        i = k % 8;
        r = recv(rx, buf, sizeof(buf), 0);

        if (r != (ssize_t) (12 + len[i] + TEST_TAG) || buf[3] != i) {
            bad++;
        }
    }

    NGX_RTC_CHECK(bad == 0);
    NGX_RTC_CHECK(test_receive(len, 0) == NGX_OK);

    /* longer than the buffer */

    for (i = 0; i < 300; i++) {
        len[i] = 1000 + i % 2;
    }

    ngx_rtc_send_defer(log);

    NGX_RTC_CHECK(test_frame_at(&a, len, 300, 400) == NGX_OK);

    ngx_rtc_send_commit();

    NGX_RTC_CHECK(a.packets == 308 && test_delay_arrival == 400);
    NGX_RTC_CHECK(test_receive(len, 300) == NGX_OK);

    /*
     * A full socket: a queued video frame marks its session (which then
     * waits for a keyframe), an audio frame is a drop and no more
     */

    test_full_fd = pb.fd;

    b.drops = 0;
    ngx_rtc_send_defer(log);
    NGX_RTC_CHECK(test_frame(&b, len, 3) == NGX_OK);
    ngx_rtc_send_commit();
    NGX_RTC_CHECK(b.lost && b.drops == 3);

    /* they did leave: only their results were made "full" */
    NGX_RTC_CHECK(test_receive(len, 3) == NGX_OK);

    b.lost = 0;
    b.drops = 0;
    ngx_rtc_send_defer(log);
    b.audio = 1;
    NGX_RTC_CHECK(test_frame(&b, len, 1) == NGX_OK);
    b.audio = 0;
    ngx_rtc_send_commit();
    NGX_RTC_CHECK(!b.lost && b.drops == 1);

    test_full_fd = -1;

    NGX_RTC_CHECK(test_receive(len, 1) == NGX_OK);

    /* out of a fan-out, a flush leaves at once again */

    NGX_RTC_CHECK(test_frame(&b, len, 3) == NGX_OK);
    NGX_RTC_CHECK(test_receive(len, 3) == NGX_OK);

    (void) close(pb.fd);
}


static void
test_batches(void)
{
    size_t          len[300];
    ngx_log_t       log;
    ngx_uint_t      i;
    ngx_rtc_send_t  snd;

    if (test_sockets() != NGX_OK) {
        fprintf(stderr, "no loopback UDP sockets: skipped\n");
        return;
    }

    ngx_memzero(&log, sizeof(ngx_log_t));
    ngx_memzero(&snd, sizeof(ngx_rtc_send_t));
    snd.log = &log;

    test_peer = &peer;

    /*
     * A keyframe as the packetizer makes it: a STAP-A, 3 FU-A of one NAL
     * unit and its shorter last, 2 of the next and its last: 3 messages
     * (the STAP-A alone, 2 with UDP GSO) in one sendmmsg()
     */

    len[0] = 40;
    len[1] = 1000; len[2] = 1000; len[3] = 1000; len[4] = 900;
    len[5] = 1100; len[6] = 1100; len[7] = 1099;

    NGX_RTC_CHECK(test_frame(&snd, len, 8) == NGX_OK);
    NGX_RTC_CHECK(snd.path == NGX_RTC_SEND_GSO);
    NGX_RTC_CHECK(snd.calls == 1);
    NGX_RTC_CHECK(snd.packets == 8);
    NGX_RTC_CHECK(snd.drops == 0 && snd.errors == 0);
    NGX_RTC_CHECK(test_receive(len, 8) == NGX_OK);

    /* a frame longer than the buffer (256 packets), equal ones: in order */

    for (i = 0; i < 300; i++) {
        len[i] = 1188;
    }

    len[299] = 17;

    snd.calls = 0;
    snd.packets = 0;
    snd.bytes = 0;

    NGX_RTC_CHECK(test_frame(&snd, len, 300) == NGX_OK);
    NGX_RTC_CHECK(snd.packets == 300);
    NGX_RTC_CHECK(snd.bytes
                  == 299 * (12 + 1188 + TEST_TAG) + 12 + 17 + TEST_TAG);

    /* 256 in the first batch: 5 messages of 64 KB at most in one call */
    NGX_RTC_CHECK(snd.calls == 2);
    NGX_RTC_CHECK(test_receive(len, 300) == NGX_OK);

    /* sendmmsg(): the whole batch in one call */

    snd.no_gso = 1;
    snd.calls = 0;

    len[0] = 40;
    len[1] = 1000; len[2] = 1000; len[3] = 1000; len[4] = 900;
    len[5] = 1100; len[6] = 1100; len[7] = 1099;

    NGX_RTC_CHECK(test_frame(&snd, len, 8) == NGX_OK);
    NGX_RTC_CHECK(snd.path == NGX_RTC_SEND_SENDMMSG);
    NGX_RTC_CHECK(snd.calls == 1);
    NGX_RTC_CHECK(test_receive(len, 8) == NGX_OK);

    /* no direct pair (TCP, TURN): libnice, one packet at a time */

    test_peer = NULL;
    snd.calls = 0;
    snd.packets = 0;

    NGX_RTC_CHECK(test_frame(&snd, len, 8) == NGX_OK);
    NGX_RTC_CHECK(snd.path == NGX_RTC_SEND_NICE);
    NGX_RTC_CHECK(snd.calls == 8 && snd.packets == 8);
    NGX_RTC_CHECK(test_nice_sent == 8);
    NGX_RTC_CHECK(test_nice_len[0] == 12 + 40 + TEST_TAG);
    NGX_RTC_CHECK(test_nice_len[7] == 12 + 1099 + TEST_TAG);

    /* nothing reached the UDP socket */

    NGX_RTC_CHECK(test_receive(len, 0) == NGX_OK);

    test_peer = NULL;

    test_fanout(&log);

    (void) close(rx);
    (void) close(peer.fd);
}


int
main(void)
{
    test_frag_size();
    test_pack_equal();
    test_gso_run();
    test_batches();

    return NGX_RTC_UNIT_DONE();
}
