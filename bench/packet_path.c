/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Micro-benchmark of the per-packet path, without nginx: what a worker does
 * for each frame of a stream and each packet of each viewer.
 *
 *   per frame (once per worker):  ngx_rtc_ring_read() of one access unit,
 *                                 ngx_rtc_h264_pack_init()/pack_next() into
 *                                 1200-byte payloads (ngx_rtc_stream.c)
 *   per packet and viewer:        ngx_rtc_rtp_write_header(), the payload
 *                                 copied behind it, ngx_rtc_srtp_protect()
 *                                 (ngx_rtc_session.c)
 *
 * The frame is a 30 KB H.264 keyframe (SPS and PPS of a gst-rtsp-server
 * camera, an IDR slice of random bytes, as incompressible as x264's
 * output): 27 packets.  The ring is the zone's default (buffer=4m, 2048
 * slots) holding 100 such frames (fewer of a --frame over 37 KB), read in
 * turn, so that the copy comes from memory rather than from the L1 cache.
 * Each viewer has its own SRTP context and keys, as sessions do.  The
 * "ref_" stages are not the module's path: the same SRTP transforms done
 * with OpenSSL directly, for scale (Debian's libsrtp2 is built with NSS).
 *
 * Build (from the repository root, after "make configure"):
 *
 *   make -C bench                      # -> build/bench/packet_path
 *
 * which runs
 *
 *   cc -O2 -g -Wall -Wextra -Wno-unused-parameter <the -I flags of
 *       UNIT_CFLAGS> -o build/bench/packet_path bench/packet_path.c
 *       src/ngx_rtc_ring.c src/ngx_rtc_h264.c src/ngx_rtc_rtp.c
 *       src/ngx_rtc_srtp.c src/ngx_rtc_srtp_gcm.c src/ngx_rtc_send.c
 *       t/unit/ngx_rtc_unit_stubs.c build/srtp/inst/lib/libsrtp2.a -lcrypto
 *
 * Run (about 15 s; --callgrind about 40 s):
 *
 *   build/bench/packet_path [--seconds 0.5] [--viewers 50] [--frame 30000]
 *   build/bench/packet_path --callgrind          # instructions per packet
 *
 * Each figure is the median of 5 timed batches (the best one beside it);
 * "packets/s per core" is 10^9 / (ns per packet).  --callgrind runs every
 * stage without a system call again under "valgrind --tool=callgrind"
 * (the others print "-"), collecting only inside ngx_rtc_bench_loop(),
 * and prints instructions (Ir) per packet: a figure that does not depend
 * on the machine's load or clock.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>
#include <sys/wait.h>
#include <srtp2/srtp.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "ngx_rtc.h"
#include "ngx_rtc_ring.h"
#include "ngx_rtc_h264.h"
#include "ngx_rtc_rtp.h"
#include "ngx_rtc_srtp.h"
#include "ngx_rtc_send.h"


#define NGX_RTC_BENCH_BUFFER     (4 * 1024 * 1024)
#define NGX_RTC_BENCH_SLOTS      2048
#define NGX_RTC_BENCH_FRAMES     100
#define NGX_RTC_BENCH_PKTS_MAX   4096
#define NGX_RTC_BENCH_BATCHES    5
#define NGX_RTC_BENCH_VIEWERS    1024
#define NGX_RTC_BENCH_PT         96


typedef struct {
    ngx_rtc_srtp_t           *srtp;
    uint16_t                  seq;
    uint32_t                  ssrc;
    u_char                    buf[NGX_RTC_MTU + 256];
} ngx_rtc_bench_viewer_t;


typedef struct ngx_rtc_bench_s  ngx_rtc_bench_t;

typedef void (*ngx_rtc_bench_pt)(ngx_rtc_bench_t *b);


typedef struct {
    char                     *name;
    char                     *what;
    ngx_rtc_bench_pt          run;      /* one iteration */
    ngx_uint_t                frame;    /* an iteration is a frame */
    ngx_uint_t                many;     /* with all --viewers */
    ngx_uint_t                kernel;   /* a syscall: no callgrind */
} ngx_rtc_bench_stage_t;


struct ngx_rtc_bench_s {
    ngx_rtc_ring_sh_t        *ring;
    uint64_t                  first;    /* oldest of our frames */
    uint64_t                  next;     /* next seq to read */
    ngx_uint_t                nframes;  /* first .. first + nframes - 1 */
    u_char                   *frame;    /* ring read buffer */
    ngx_rtc_frame_t           f;
    u_char                   *data;     /* payloads, NGX_RTC_MTU apart */
    size_t                    len[NGX_RTC_BENCH_PKTS_MAX];
    ngx_uint_t                npkts;
    ngx_uint_t                pkt;      /* next packet (packet stages) */
    ngx_rtc_bench_viewer_t   *cm;       /* AES_CM_128_HMAC_SHA1_80 */
    ngx_rtc_bench_viewer_t   *gcm;      /* AEAD_AES_128_GCM, nviewers */
    ngx_uint_t                nviewers;
    EVP_CIPHER_CTX           *ref_gcm;  /* OpenSSL references */
    EVP_CIPHER_CTX           *ref_ctr;
    EVP_MAC_CTX              *ref_hmac;
    int                       fd;
    struct sockaddr_in        sin;
    ngx_uint_t                sink;     /* keeps results alive */
};


static void ngx_rtc_bench_read(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_pack(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_rtp(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_protect_cm(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_protect_gcm(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_path_cm(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_path_gcm(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_path_many(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send_old(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send_gso(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send_mmsg(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send_old_many(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send_gso_many(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_send_uring_many(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_sent(ngx_rtc_bench_t *b, ngx_uint_t n,
    ngx_uint_t old, ngx_uint_t no_gso, ngx_uint_t uring);
static void ngx_rtc_bench_ref_cm(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_ref_gcm(ngx_rtc_bench_t *b);

static void ngx_rtc_bench_path(ngx_rtc_bench_t *b,
    ngx_rtc_bench_viewer_t *v, ngx_uint_t n);
static ngx_uint_t ngx_rtc_bench_next(ngx_rtc_bench_t *b);
static void ngx_rtc_bench_output(ngx_rtc_bench_t *b,
    ngx_rtc_bench_viewer_t *v, ngx_uint_t i, ngx_uint_t copy);
static ngx_int_t ngx_rtc_bench_setup(ngx_rtc_bench_t *b, size_t frame_size,
    ngx_uint_t nviewers);
static ngx_int_t ngx_rtc_bench_ref_init(ngx_rtc_bench_t *b);
static ngx_int_t ngx_rtc_bench_viewers(ngx_rtc_bench_viewer_t *v,
    ngx_uint_t n, ngx_uint_t profile);
static size_t ngx_rtc_bench_au(u_char *au, size_t size);
static uint64_t ngx_rtc_bench_now(void);
static ngx_uint_t ngx_rtc_bench_loop(ngx_rtc_bench_t *b,
    ngx_rtc_bench_stage_t *st, ngx_uint_t n)
    __attribute__((noinline, noclone));
static double ngx_rtc_bench_time(ngx_rtc_bench_t *b,
    ngx_rtc_bench_stage_t *st, double seconds, double *best);
static ngx_uint_t ngx_rtc_bench_packets(ngx_rtc_bench_t *b,
    ngx_rtc_bench_stage_t *st);
static int ngx_rtc_bench_timed(ngx_rtc_bench_t *b, double seconds);
static int ngx_rtc_bench_callgrind(ngx_rtc_bench_t *b, char *self,
    char *viewers, char *frame);
static int ngx_rtc_bench_child(ngx_rtc_bench_t *b, char *name,
    ngx_uint_t n);
static int ngx_rtc_bench_compare(const void *a, const void *b);


static ngx_rtc_bench_stage_t  ngx_rtc_bench_stages[] = {

    { "ring_read", "ring read of the frame (copy out, verify)",
      ngx_rtc_bench_read, 1, 0, 0 },

    { "packetize", "H.264 packetize to 1200-byte payloads",
      ngx_rtc_bench_pack, 1, 0, 0 },

    { "rtp", "RTP header write + payload copy",
      ngx_rtc_bench_rtp, 0, 0, 0 },

    { "srtp_cm", "SRTP protect AES_CM_128_HMAC_SHA1_80",
      ngx_rtc_bench_protect_cm, 0, 0, 0 },

    { "srtp_gcm", "SRTP protect AEAD_AES_128_GCM",
      ngx_rtc_bench_protect_gcm, 0, 0, 0 },

    { "path_cm", "whole path, 1 viewer, AES_CM_128_HMAC_SHA1_80",
      ngx_rtc_bench_path_cm, 1, 0, 0 },

    { "path_gcm", "whole path, 1 viewer, AEAD_AES_128_GCM",
      ngx_rtc_bench_path_gcm, 1, 0, 0 },

    { "path_many", "whole path, N viewers, AEAD_AES_128_GCM",
      ngx_rtc_bench_path_many, 1, 1, 0 },

    { "udp_send", "sendto() of a 1228-byte packet to loopback",
      ngx_rtc_bench_send, 0, 0, 1 },

    { "send_old", "path + sendto() per packet, 1 viewer, GCM",
      ngx_rtc_bench_send_old, 1, 0, 1 },

    { "send_gso", "path + ngx_rtc_send (UDP GSO), 1 viewer, GCM",
      ngx_rtc_bench_send_gso, 1, 0, 1 },

    { "send_mmsg", "path + ngx_rtc_send (sendmmsg), 1 viewer, GCM",
      ngx_rtc_bench_send_mmsg, 1, 0, 1 },

    { "sold_many", "path + sendto() per packet, N viewers, GCM",
      ngx_rtc_bench_send_old_many, 1, 1, 1 },

    { "sgso_many", "path + ngx_rtc_send (UDP GSO), N viewers, GCM",
      ngx_rtc_bench_send_gso_many, 1, 1, 1 },

    { "uring_many", "path + ngx_rtc_send (UDP GSO) via io_uring, N, GCM",
      ngx_rtc_bench_send_uring_many, 1, 1, 1 },

    { "ref_cm", "reference: OpenSSL AES-128-CTR + HMAC-SHA1 80",
      ngx_rtc_bench_ref_cm, 0, 0, 0 },

    { "ref_gcm", "reference: OpenSSL AES-128-GCM seal",
      ngx_rtc_bench_ref_gcm, 0, 0, 0 },

    { NULL, NULL, NULL, 0, 0, 0 }
};


static ngx_log_t  ngx_rtc_bench_log;

/* the viewers' senders, and the loopback sink as their ICE pair */
static ngx_rtc_send_t      ngx_rtc_bench_snd[NGX_RTC_BENCH_VIEWERS];
static ngx_rtc_ice_peer_t  ngx_rtc_bench_peer;


/* stand-in for ngx_rtc_latency.c: no send delay histogram here */

void
ngx_rtc_latency_sent(int64_t arrival)
{
}


/* stand-ins for ngx_rtc_ice.c: the selected pair is the sink */

ngx_rtc_ice_peer_t *
ngx_rtc_ice_peer(ngx_rtc_ice_t *ice)
{
    return &ngx_rtc_bench_peer;
}


ngx_int_t
ngx_rtc_ice_send(ngx_rtc_ice_t *ice, u_char *buf, size_t len)
{
    return NGX_ERROR;
}


/* the unit build links no src/os/unix/ngx_alloc.c (ngx_rtc_srtp_create) */

void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return malloc(size);
}


int
main(int argc, char **argv)
{
    char             *viewers, *frame, *stage;
    double            seconds;
    ngx_uint_t        i, n, callgrind;
    ngx_rtc_bench_t   b;

    seconds = 0.5;
    viewers = "50";
    frame = "30000";
    stage = NULL;
    n = 0;
    callgrind = 0;

    for (i = 1; i < (ngx_uint_t) argc; i++) {

        if (ngx_strcmp(argv[i], "--callgrind") == 0) {
            callgrind = 1;

        } else if (i + 1 < (ngx_uint_t) argc
                   && ngx_strcmp(argv[i], "--seconds") == 0)
        {
            seconds = atof(argv[++i]);

        } else if (i + 1 < (ngx_uint_t) argc
                   && ngx_strcmp(argv[i], "--viewers") == 0)
        {
            viewers = argv[++i];

        } else if (i + 1 < (ngx_uint_t) argc
                   && ngx_strcmp(argv[i], "--frame") == 0)
        {
            frame = argv[++i];

        } else if (i + 2 < (ngx_uint_t) argc
                   && ngx_strcmp(argv[i], "--stage") == 0)
        {
            /* internal: one stage, n iterations, under callgrind */
            stage = argv[++i];
            n = atoi(argv[++i]);

        } else {
            fprintf(stderr, "usage: %s [--seconds S] [--viewers N] "
                    "[--frame BYTES] [--callgrind]\n", argv[0]);
            return 2;
        }
    }

    if (seconds <= 0 || atoi(viewers) < 1
        || atoi(viewers) > NGX_RTC_BENCH_VIEWERS
        || atoi(frame) < 100 || atoi(frame) > NGX_RTC_BENCH_BUFFER / 4)
    {
        fprintf(stderr, "%s: bad --seconds, --viewers (1-%d) or --frame\n",
                argv[0], NGX_RTC_BENCH_VIEWERS);
        return 2;
    }

    if (ngx_rtc_bench_setup(&b, atoi(frame), atoi(viewers)) != NGX_OK) {
        return 1;
    }

    if (stage) {
        return ngx_rtc_bench_child(&b, stage, n);
    }

    if (callgrind) {
        return ngx_rtc_bench_callgrind(&b, argv[0], viewers, frame);
    }

    return ngx_rtc_bench_timed(&b, seconds);
}


/* the stages: one iteration each */

static void
ngx_rtc_bench_read(ngx_rtc_bench_t *b)
{
    if (ngx_rtc_ring_read(b->ring, b->next, &b->f, b->frame,
                          NGX_RTC_MAX_FRAME)
        != NGX_OK)
    {
        fprintf(stderr, "ring read of %lu failed\n", (unsigned long) b->next);
        exit(1);
    }

    b->sink += b->frame[b->f.len - 1];

    if (++b->next == b->first + b->nframes) {
        b->next = b->first;
    }
}


static void
ngx_rtc_bench_pack(ngx_rtc_bench_t *b)
{
    ssize_t              n;
    ngx_uint_t           last;
    ngx_rtc_h264_pack_t  pack;

    /* as ngx_rtc_stream_packetize() */

    b->npkts = 0;

    ngx_rtc_h264_pack_init(&pack, b->frame, b->f.len, NGX_RTC_MTU);

    for ( ;; ) {
        n = ngx_rtc_h264_pack_next(&pack, b->data + b->npkts * NGX_RTC_MTU,
                                   &last);
        if (n <= 0) {
            break;
        }

        b->len[b->npkts++] = n;

        if (b->npkts == NGX_RTC_BENCH_PKTS_MAX) {
            break;
        }
    }

    if (n < 0 || b->npkts == 0) {
        fprintf(stderr, "packetize failed\n");
        exit(1);
    }
}


static void
ngx_rtc_bench_rtp(ngx_rtc_bench_t *b)
{
    ngx_uint_t               i;
    ngx_rtc_bench_viewer_t  *v;

    v = &b->gcm[0];
    i = ngx_rtc_bench_next(b);

    ngx_rtc_rtp_write_header(v->buf, NGX_RTC_BENCH_PT, i == b->npkts - 1,
                             v->seq++, 3600, v->ssrc);
    ngx_memcpy(v->buf + NGX_RTC_RTP_HEADER_LEN, b->data + i * NGX_RTC_MTU,
               b->len[i]);

    b->sink += v->buf[NGX_RTC_RTP_HEADER_LEN + b->len[i] - 1];
}


static void
ngx_rtc_bench_protect_cm(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_output(b, b->cm, ngx_rtc_bench_next(b), 0);
}


static void
ngx_rtc_bench_protect_gcm(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_output(b, b->gcm, ngx_rtc_bench_next(b), 0);
}


static void
ngx_rtc_bench_path_cm(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_path(b, b->cm, 1);
}


static void
ngx_rtc_bench_path_gcm(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_path(b, b->gcm, 1);
}


static void
ngx_rtc_bench_path_many(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_path(b, b->gcm, b->nviewers);
}


/* a frame read and packetized once, then sent to each of n viewers in
 * turn, as ngx_rtc_stream.c fans out */

static void
ngx_rtc_bench_path(ngx_rtc_bench_t *b, ngx_rtc_bench_viewer_t *v,
    ngx_uint_t n)
{
    ngx_uint_t  i, k;

    ngx_rtc_bench_read(b);
    ngx_rtc_bench_pack(b);

    for (k = 0; k < n; k++) {
        for (i = 0; i < b->npkts; i++) {
            ngx_rtc_bench_output(b, &v[k], i, 1);
        }
    }
}


static void
ngx_rtc_bench_send(ngx_rtc_bench_t *b)
{
    ssize_t  n;

    n = sendto(b->fd, b->gcm[0].buf, 1228, 0, (struct sockaddr *) &b->sin,
               sizeof(struct sockaddr_in));

    if (n != 1228 && errno != EAGAIN && errno != ENOBUFS) {
        perror("sendto");
        exit(1);
    }
}


static void
ngx_rtc_bench_send_old(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_sent(b, 1, 1, 0, 0);
}


static void
ngx_rtc_bench_send_gso(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_sent(b, 1, 0, 0, 0);
}


static void
ngx_rtc_bench_send_mmsg(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_sent(b, 1, 0, 1, 0);
}


static void
ngx_rtc_bench_send_old_many(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_sent(b, b->nviewers, 1, 0, 0);
}


static void
ngx_rtc_bench_send_gso_many(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_sent(b, b->nviewers, 0, 0, 0);
}


/* the fan-out as the module makes it: the viewers' sends in the ring */

static void
ngx_rtc_bench_send_uring_many(ngx_rtc_bench_t *b)
{
    ngx_rtc_bench_sent(b, b->nviewers, 0, 0, 1);
}


/*
 * The whole path with the socket, a frame to n viewers: before
 * ngx_rtc_send.c (header and copy into the session's buffer, protect,
 * one sendto() a packet: libnice's own work left out) or through it
 * (header and copy into the worker's send buffer, protect there, one
 * sendmsg() with UDP GSO per run of equal packets, or one sendmmsg(); with
 * uring, the n viewers' messages queued and sent in io_uring_enter()s of
 * 256 packets, as the module's fan-out does).
 */

static void
ngx_rtc_bench_sent(ngx_rtc_bench_t *b, ngx_uint_t n, ngx_uint_t old,
    ngx_uint_t no_gso, ngx_uint_t uring)
{
    u_char                  *p;
    size_t                   len;
    ssize_t                  r;
    ngx_uint_t               i, k;
    ngx_rtc_send_t          *snd;
    ngx_rtc_bench_viewer_t  *v;

    ngx_rtc_bench_read(b);
    ngx_rtc_bench_pack(b);

    if (uring) {
        ngx_rtc_send_defer(&ngx_rtc_bench_log);
    }

    for (k = 0; k < n; k++) {
        v = &b->gcm[k];

        if (old) {
            for (i = 0; i < b->npkts; i++) {
                ngx_rtc_bench_output(b, v, i, 1);

                len = NGX_RTC_RTP_HEADER_LEN + b->len[i] + 16;

                r = sendto(b->fd, v->buf, len, 0, (struct sockaddr *) &b->sin,
                           sizeof(struct sockaddr_in));

                if (r == -1 && errno != EAGAIN && errno != ENOBUFS) {
                    perror("sendto");
                    exit(1);
                }
            }

            continue;
        }

        snd = &ngx_rtc_bench_snd[k];
        snd->srtp = v->srtp;
        snd->log = &ngx_rtc_bench_log;
        snd->no_gso = no_gso;

        for (i = 0; i < b->npkts; i++) {
            p = ngx_rtc_send_buf(snd);
            if (p == NULL) {
                break;
            }

            ngx_rtc_rtp_write_header(p, NGX_RTC_BENCH_PT, i == b->npkts - 1,
                                     v->seq++, 3600, v->ssrc);
            ngx_memcpy(p + NGX_RTC_RTP_HEADER_LEN, b->data + i * NGX_RTC_MTU,
                       b->len[i]);

            if (ngx_rtc_send_add(snd, NGX_RTC_RTP_HEADER_LEN + b->len[i])
                != NGX_OK)
            {
                fprintf(stderr, "srtp protect failed\n");
                exit(1);
            }
        }

        (void) ngx_rtc_send_flush(snd, 0);

        if (snd->errors) {
            fprintf(stderr, "ngx_rtc_send: %lu errors\n",
                    (unsigned long) snd->errors);
            exit(1);
        }
    }

    if (uring) {
        ngx_rtc_send_commit();

        for (k = 0; k < n; k++) {
            if (ngx_rtc_bench_snd[k].errors) {
                fprintf(stderr, "ngx_rtc_send: errors in the ring\n");
                exit(1);
            }
        }
    }
}


/* a reference stage's next packet: v's RTP header written, its length */

static size_t
ngx_rtc_bench_ref_packet(ngx_rtc_bench_t *b, ngx_rtc_bench_viewer_t *v)
{
    ngx_rtc_rtp_write_header(v->buf, NGX_RTC_BENCH_PT, 0, v->seq++, 3600,
                             v->ssrc);

    return b->len[ngx_rtc_bench_next(b)];
}


/*
 * What libsrtp does per packet when it is built with OpenSSL rather than
 * NSS (Debian's is NSS): the same transforms on the same bytes with
 * contexts keyed once, the IV set per packet.  Not the module's path: a
 * reference for the SRTP rows.
 */

static void
ngx_rtc_bench_ref_cm(ngx_rtc_bench_t *b)
{
    int                      n;
    u_char                   iv[16], tag[EVP_MAX_MD_SIZE], roc[4];
    size_t                   len, tlen;
    ngx_rtc_bench_viewer_t  *v;

    v = b->cm;
    len = ngx_rtc_bench_ref_packet(b, v);

    /* RFC 3711 4.1.1: IV = salt ^ (SSRC << 64) ^ (index << 16) */

    ngx_memzero(iv, sizeof(iv));
    ngx_memcpy(iv + 4, v->buf + 8, 4);
    ngx_memcpy(iv + 12, v->buf + 2, 2);
    ngx_memzero(roc, sizeof(roc));

    if (!EVP_EncryptInit_ex(b->ref_ctr, NULL, NULL, NULL, iv)
        || !EVP_EncryptUpdate(b->ref_ctr, v->buf + NGX_RTC_RTP_HEADER_LEN,
                              &n, v->buf + NGX_RTC_RTP_HEADER_LEN, len)
        || !EVP_MAC_init(b->ref_hmac, NULL, 0, NULL)
        || !EVP_MAC_update(b->ref_hmac, v->buf,
                           NGX_RTC_RTP_HEADER_LEN + len)
        || !EVP_MAC_update(b->ref_hmac, roc, 4)
        || !EVP_MAC_final(b->ref_hmac, tag, &tlen, sizeof(tag)))
    {
        fprintf(stderr, "openssl aes-ctr/hmac failed\n");
        exit(1);
    }

    ngx_memcpy(v->buf + NGX_RTC_RTP_HEADER_LEN + len, tag, 10);

    b->sink += tag[0];
}


static void
ngx_rtc_bench_ref_gcm(ngx_rtc_bench_t *b)
{
    int                      n;
    u_char                   iv[12];
    size_t                   len;
    ngx_rtc_bench_viewer_t  *v;

    v = b->gcm;
    len = ngx_rtc_bench_ref_packet(b, v);

    /* RFC 7714 8.1: IV = salt ^ (SSRC, ROC, SEQ) */

    ngx_memzero(iv, sizeof(iv));
    ngx_memcpy(iv + 2, v->buf + 8, 4);
    ngx_memcpy(iv + 10, v->buf + 2, 2);

    if (!EVP_EncryptInit_ex(b->ref_gcm, NULL, NULL, NULL, iv)
        || !EVP_EncryptUpdate(b->ref_gcm, NULL, &n, v->buf,
                              NGX_RTC_RTP_HEADER_LEN)
        || !EVP_EncryptUpdate(b->ref_gcm, v->buf + NGX_RTC_RTP_HEADER_LEN,
                              &n, v->buf + NGX_RTC_RTP_HEADER_LEN, len)
        || !EVP_EncryptFinal_ex(b->ref_gcm, v->buf + 12 + len, &n)
        || !EVP_CIPHER_CTX_ctrl(b->ref_gcm, EVP_CTRL_GCM_GET_TAG, 16,
                                v->buf + NGX_RTC_RTP_HEADER_LEN + len))
    {
        fprintf(stderr, "openssl aes-gcm failed\n");
        exit(1);
    }

    b->sink += v->buf[NGX_RTC_RTP_HEADER_LEN + len];
}


/* the packet stages go round the frame's packets */

static ngx_uint_t
ngx_rtc_bench_next(ngx_rtc_bench_t *b)
{
    ngx_uint_t  i;

    i = b->pkt;

    if (++b->pkt == b->npkts) {
        b->pkt = 0;
    }

    return i;
}


/*
 * ngx_rtc_session_send_video() and ngx_rtc_session_output() for packet i,
 * without the socket; without "copy" the packet is protected again in
 * place (a new sequence number, the payload encrypted once more).
 */

static void
ngx_rtc_bench_output(ngx_rtc_bench_t *b, ngx_rtc_bench_viewer_t *v,
    ngx_uint_t i, ngx_uint_t copy)
{
    size_t  n;

    ngx_rtc_rtp_write_header(v->buf, NGX_RTC_BENCH_PT, i == b->npkts - 1,
                             v->seq++, 3600, v->ssrc);

    if (copy) {
        ngx_memcpy(v->buf + NGX_RTC_RTP_HEADER_LEN,
                   b->data + i * NGX_RTC_MTU, b->len[i]);
    }

    n = NGX_RTC_RTP_HEADER_LEN + b->len[i];

    if (ngx_rtc_srtp_protect(v->srtp, v->buf, &n, sizeof(v->buf)) != NGX_OK) {
        fprintf(stderr, "srtp protect failed\n");
        exit(1);
    }

    b->sink += n;
}


static ngx_int_t
ngx_rtc_bench_setup(ngx_rtc_bench_t *b, size_t frame_size,
    ngx_uint_t nviewers)
{
    int               s;
    size_t            len;
    u_char           *au;
    uint32_t          ts;
    socklen_t         slen;
    ngx_uint_t        i;
    ngx_rtc_frame_t   f;
    ngx_cycle_t       cycle;

    ngx_memzero(b, sizeof(ngx_rtc_bench_t));

    ngx_pagesize = getpagesize();

    b->ring = malloc(ngx_rtc_ring_bytes(NGX_RTC_BENCH_BUFFER,
                                        NGX_RTC_BENCH_SLOTS));
    b->frame = malloc(NGX_RTC_MAX_FRAME);
    b->data = malloc(NGX_RTC_BENCH_PKTS_MAX * NGX_RTC_MTU);
    au = malloc(frame_size);
    b->cm = calloc(1, sizeof(ngx_rtc_bench_viewer_t));
    b->gcm = calloc(nviewers, sizeof(ngx_rtc_bench_viewer_t));

    if (b->ring == NULL || b->frame == NULL || b->data == NULL || au == NULL
        || b->cm == NULL || b->gcm == NULL)
    {
        fprintf(stderr, "out of memory\n");
        return NGX_ERROR;
    }

    ngx_rtc_ring_init(b->ring, NGX_RTC_BENCH_BUFFER, NGX_RTC_BENCH_SLOTS);

    /* up to 100 keyframes, as a producer writes them, in 90% of the ring */

    b->nframes = ngx_min(NGX_RTC_BENCH_FRAMES,
                         NGX_RTC_BENCH_BUFFER * 9 / 10 / frame_size);

    len = ngx_rtc_bench_au(au, frame_size);
    ts = 0;

    for (i = 0; i < b->nframes; i++) {
        ngx_memzero(&f, sizeof(ngx_rtc_frame_t));
        f.capture = 1000000 + i * 40000;
        f.rtp_ts = ts;
        f.flags = NGX_RTC_FRAME_KEY;
        f.track = NGX_RTC_TRACK_VIDEO;
        f.len = len;

        au[len - 1] = (u_char) i;
        ts += 3600;

        if (ngx_rtc_ring_write(b->ring, 0, &f, au, len) != NGX_OK) {
            fprintf(stderr, "ring write failed\n");
            return NGX_ERROR;
        }
    }

    free(au);

    b->first = ngx_rtc_ring_head(b->ring) - b->nframes + 1;
    b->next = b->first;

    if (ngx_rtc_ring_oldest(b->ring) > b->first) {
        fprintf(stderr, "ring lost frames\n");
        return NGX_ERROR;
    }

    if (ngx_rtc_srtp_init(&ngx_rtc_bench_log) != NGX_OK) {
        fprintf(stderr, "srtp_init() failed\n");
        return NGX_ERROR;
    }

    /* UDP GSO and the io_uring as a worker has them (rtc_udp_gso on,
       rtc_io_uring on) */

    ngx_memzero(&cycle, sizeof(ngx_cycle_t));
    cycle.log = &ngx_rtc_bench_log;

    if (ngx_rtc_send_init_process(&cycle, 1, 1) != NGX_OK) {
        fprintf(stderr, "ngx_rtc_send_init_process() failed\n");
        return NGX_ERROR;
    }

    b->nviewers = nviewers;

    if (ngx_rtc_bench_viewers(b->cm, 1, NGX_RTC_SRTP_AES128_CM_SHA1_80)
        != NGX_OK
        || ngx_rtc_bench_viewers(b->gcm, nviewers,
                                 NGX_RTC_SRTP_AEAD_AES_128_GCM)
           != NGX_OK)
    {
        fprintf(stderr, "srtp create failed\n");
        return NGX_ERROR;
    }

    /* the packets of the frame; the first protect of each viewer (libsrtp
     * clones its stream from the template then) happens here */

    ngx_rtc_bench_read(b);
    ngx_rtc_bench_pack(b);
    b->next = b->first;

    ngx_rtc_bench_output(b, b->cm, 0, 1);

    for (i = 0; i < nviewers; i++) {
        ngx_rtc_bench_output(b, &b->gcm[i], 0, 1);
    }

    if (ngx_rtc_bench_ref_init(b) != NGX_OK) {
        fprintf(stderr, "openssl contexts failed\n");
        return NGX_ERROR;
    }

    /* a UDP socket sending to a bound one nobody reads: the kernel drops
     * what does not fit in its small receive buffer */

    b->fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (b->fd == -1) {
        perror("socket");
        return NGX_ERROR;
    }

    ngx_memzero(&b->sin, sizeof(struct sockaddr_in));
    b->sin.sin_family = AF_INET;
    b->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    s = socket(AF_INET, SOCK_DGRAM, 0);
    slen = sizeof(struct sockaddr_in);

    if (s == -1
        || bind(s, (struct sockaddr *) &b->sin, sizeof(struct sockaddr_in))
           == -1
        || getsockname(s, (struct sockaddr *) &b->sin, &slen) == -1)
    {
        perror("udp sink");
        return NGX_ERROR;
    }

    ngx_rtc_bench_peer.fd = b->fd;
    ngx_memcpy(&ngx_rtc_bench_peer.sockaddr, &b->sin,
               sizeof(struct sockaddr_in));
    ngx_rtc_bench_peer.socklen = sizeof(struct sockaddr_in);

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_bench_ref_init(ngx_rtc_bench_t *b)
{
    EVP_MAC     *mac;
    OSSL_PARAM   params[2];

    static u_char  key[20] = "nginx-rtc bench key";

    b->ref_gcm = EVP_CIPHER_CTX_new();
    b->ref_ctr = EVP_CIPHER_CTX_new();

    if (b->ref_gcm == NULL || b->ref_ctr == NULL
        || !EVP_EncryptInit_ex(b->ref_gcm, EVP_aes_128_gcm(), NULL, key,
                               NULL)
        || !EVP_CIPHER_CTX_ctrl(b->ref_gcm, EVP_CTRL_GCM_SET_IVLEN, 12,
                                NULL)
        || !EVP_EncryptInit_ex(b->ref_ctr, EVP_aes_128_ctr(), NULL, key,
                               NULL))
    {
        return NGX_ERROR;
    }

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        return NGX_ERROR;
    }

    b->ref_hmac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 "SHA1", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (b->ref_hmac == NULL
        || !EVP_MAC_init(b->ref_hmac, key, sizeof(key), params))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_bench_viewers(ngx_rtc_bench_viewer_t *v, ngx_uint_t n,
    ngx_uint_t profile)
{
    ngx_uint_t           i, k;
    ngx_rtc_srtp_keys_t  keys;

    for (i = 0; i < n; i++) {
        ngx_memzero(&keys, sizeof(ngx_rtc_srtp_keys_t));

        keys.profile = profile;
        keys.local_len = (profile == NGX_RTC_SRTP_AES128_CM_SHA1_80)
                         ? 30 : 28;
        keys.remote_len = keys.local_len;

        for (k = 0; k < keys.local_len; k++) {
            keys.local[k] = (u_char) (i * 31 + k * 7 + 1);
            keys.remote[k] = (u_char) (i * 17 + k * 5 + 3);
        }

        v[i].srtp = ngx_rtc_srtp_create(&keys, &ngx_rtc_bench_log);
        if (v[i].srtp == NULL) {
            return NGX_ERROR;
        }

        v[i].seq = (uint16_t) (i * 1000 + 1);
        v[i].ssrc = 0x10000000 + i;
    }

    return NGX_OK;
}


/*
 * A keyframe access unit as the ring holds it: SPS, PPS (sprop-parameter-
 * sets of t/unit/fixtures/gst-describe.sdp) and an IDR slice filling the
 * rest with pseudo-random bytes, each NAL unit after a 4-byte length.
 */

static size_t
ngx_rtc_bench_au(u_char *au, size_t size)
{
    u_char     *p;
    size_t      n;
    uint32_t    x;
    ngx_uint_t  i;

    static u_char  sps[] = {
        0x67, 0x42, 0xc0, 0x15, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x6a, 0x0c,
        0x0c, 0x0d, 0x4a, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03,
        0x00, 0x79, 0x1e, 0x2c, 0x5c, 0x90
    };

    static u_char  pps[] = { 0x68, 0xcb, 0x8c, 0xb2 };

    p = au;

    *p++ = 0; *p++ = 0; *p++ = 0; *p++ = sizeof(sps);
    p = ngx_cpymem(p, sps, sizeof(sps));

    *p++ = 0; *p++ = 0; *p++ = 0; *p++ = sizeof(pps);
    p = ngx_cpymem(p, pps, sizeof(pps));

    n = size - (p - au) - 4;

    *p++ = (u_char) (n >> 24);
    *p++ = (u_char) (n >> 16);
    *p++ = (u_char) (n >> 8);
    *p++ = (u_char) n;

    *p++ = 0x65;                /* nal_ref_idc 3, IDR slice */

    x = 2463534242u;

    for (i = 1; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *p++ = (u_char) x;
    }

    return size;
}


static uint64_t
ngx_rtc_bench_now(void)
{
    struct timespec  ts;

    /*
     * the thread's CPU time, not the wall clock: on a machine shared with
     * other work, time spent waiting for a CPU does not count
     */

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* the measured loop; "valgrind --toggle-collect" names it */

static ngx_uint_t
ngx_rtc_bench_loop(ngx_rtc_bench_t *b, ngx_rtc_bench_stage_t *st,
    ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        st->run(b);
    }

    return b->sink;
}


/* ns per iteration: the median of the batches, the best in *best */

static double
ngx_rtc_bench_time(ngx_rtc_bench_t *b, ngx_rtc_bench_stage_t *st,
    double seconds, double *best)
{
    double      ns[NGX_RTC_BENCH_BATCHES], batch;
    uint64_t    t0, t1;
    ngx_uint_t  i, n;

    /* calibrate: grow n until a batch lasts a 1/5 of "seconds" */

    batch = seconds * 1e9 / NGX_RTC_BENCH_BATCHES;
    n = 1;

    for ( ;; ) {
        t0 = ngx_rtc_bench_now();
        ngx_rtc_bench_loop(b, st, n);
        t1 = ngx_rtc_bench_now();

        if (t1 - t0 >= batch / 10 || n >= (ngx_uint_t) 1 << 30) {
            break;
        }

        n *= 2;
    }

    n = (ngx_uint_t) (n * batch / ngx_max((double) (t1 - t0), 1.0)) + 1;

    for (i = 0; i < NGX_RTC_BENCH_BATCHES; i++) {
        t0 = ngx_rtc_bench_now();
        ngx_rtc_bench_loop(b, st, n);
        t1 = ngx_rtc_bench_now();

        ns[i] = (double) (t1 - t0) / n;
    }

    qsort(ns, NGX_RTC_BENCH_BATCHES, sizeof(double), ngx_rtc_bench_compare);

    *best = ns[0];

    return ns[NGX_RTC_BENCH_BATCHES / 2];
}


/* packets (per viewer) an iteration of the stage makes */

static ngx_uint_t
ngx_rtc_bench_packets(ngx_rtc_bench_t *b, ngx_rtc_bench_stage_t *st)
{
    if (!st->frame) {
        return 1;
    }

    return b->npkts * (st->many ? b->nviewers : 1);
}


static int
ngx_rtc_bench_timed(ngx_rtc_bench_t *b, double seconds)
{
    double                  med, best, per;
    ngx_uint_t              pkts;
    ngx_rtc_bench_stage_t  *st;

    printf("# packet path: %u-byte H.264 keyframe -> %lu packets of "
           "<= %d bytes; %lu frames in the ring read in turn; N = %lu "
           "viewers; %s\n",
           (unsigned) b->f.len, (unsigned long) b->npkts, NGX_RTC_MTU,
           (unsigned long) b->nframes, (unsigned long) b->nviewers,
           srtp_get_version_string());
    printf("# median of %d batches (best); packets/s per core = 1e9 / "
           "ns per packet\n", NGX_RTC_BENCH_BATCHES);
    printf("%-10s %-48s %12s %10s %10s %12s\n", "stage", "what",
           "ns/iter", "(best)", "ns/packet", "packets/s");

    for (st = ngx_rtc_bench_stages; st->name; st++) {
        med = ngx_rtc_bench_time(b, st, seconds, &best);
        pkts = ngx_rtc_bench_packets(b, st);
        per = med / pkts;

        printf("%-10s %-48s %12.1f %10.1f %10.1f %12.0f\n", st->name,
               st->what, med, best, per, 1e9 / per);
    }

    return (b->sink == 42) ? 1 : 0;
}


/*
 * Every stage without a system call once more under callgrind, collecting
 * in ngx_rtc_bench_loop() only; the "totals:" line of its output divided
 * by the packets made.
 */

static int
ngx_rtc_bench_callgrind(ngx_rtc_bench_t *b, char *self, char *viewers,
    char *frame)
{
    int                     status;
    char                    dir[] = "/tmp/rtc-callgrind-XXXXXX";
    char                    out[256], opt[300], iters[32], line[256];
    FILE                   *fp;
    pid_t                   pid;
    uint64_t                ir;
    ngx_uint_t              n, pkts;
    ngx_rtc_bench_stage_t  *st;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    printf("# instructions (callgrind Ir) per packet: %u-byte H.264 "
           "keyframe -> %lu packets; N = %lu viewers; %s\n",
           (unsigned) b->f.len, (unsigned long) b->npkts,
           (unsigned long) b->nviewers, srtp_get_version_string());
    printf("%-10s %-48s %12s %12s\n", "stage", "what", "Ir/iter",
           "Ir/packet");

    for (st = ngx_rtc_bench_stages; st->name; st++) {
        if (st->kernel) {
            printf("%-10s %-48s %12s %12s\n", st->name, st->what, "-",
                   "(kernel)");
            continue;
        }

        /* about 20000 packets per stage: a few seconds under valgrind */

        n = st->frame ? 20000 / ngx_rtc_bench_packets(b, st) + 1 : 20000;

        snprintf(out, sizeof(out), "%s/%s.out", dir, st->name);
        snprintf(opt, sizeof(opt), "--callgrind-out-file=%s", out);
        snprintf(iters, sizeof(iters), "%lu", (unsigned long) n);

        fflush(stdout);

        pid = fork();

        if (pid == -1) {
            perror("fork");
            goto failed;
        }

        if (pid == 0) {
            char  *args[] = {
                "valgrind", "--tool=callgrind", "--quiet",
                "--collect-atstart=no",
                "--toggle-collect=ngx_rtc_bench_loop*", opt,
                self, "--viewers", viewers, "--frame", frame,
                "--stage", st->name, iters, NULL
            };

            execvp("valgrind", args);
            perror("valgrind");
            _exit(127);
        }

        if (waitpid(pid, &status, 0) == -1
            || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        {
            fprintf(stderr, "valgrind failed on %s\n", st->name);
            goto failed;
        }

        fp = fopen(out, "r");
        if (fp == NULL) {
            perror(out);
            goto failed;
        }

        ir = 0;

        while (fgets(line, sizeof(line), fp)) {
            if (ngx_strncmp(line, "totals:", 7) == 0) {
                ir = strtoull(line + 7, NULL, 10);
            }
        }

        fclose(fp);
        unlink(out);

        pkts = n * ngx_rtc_bench_packets(b, st);

        printf("%-10s %-48s %12.0f %12.0f\n", st->name, st->what,
               (double) ir / n, (double) ir / pkts);
    }

    rmdir(dir);

    return 0;

failed:

    unlink(out);
    rmdir(dir);

    return 1;
}


static int
ngx_rtc_bench_child(ngx_rtc_bench_t *b, char *name, ngx_uint_t n)
{
    ngx_rtc_bench_stage_t  *st;

    for (st = ngx_rtc_bench_stages; st->name; st++) {
        if (ngx_strcmp(st->name, name) == 0) {
            ngx_rtc_bench_loop(b, st, n);
            return 0;
        }
    }

    fprintf(stderr, "no stage \"%s\"\n", name);

    return 2;
}


static int
ngx_rtc_bench_compare(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}
