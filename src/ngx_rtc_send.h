/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SEND_H_INCLUDED_
#define _NGX_RTC_SEND_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_srtp.h>


/* how a session's media leaves: /rtc/status "send" */
#define NGX_RTC_SEND_NONE        0     /* nothing sent yet */
#define NGX_RTC_SEND_NICE        1     /* libnice: TCP, TURN */
#define NGX_RTC_SEND_SENDMMSG    2     /* the pair's socket, sendmmsg() */
#define NGX_RTC_SEND_GSO         3     /* the pair's socket, UDP GSO */

/* room for one packet: RTP header, RTX's OSN, payload, SRTP trailer */
#define NGX_RTC_SEND_SLOT                                                     \
    ngx_align(12 + 2 + NGX_RTC_MTU + NGX_RTC_SRTP_MAX_TRAILER_LEN, 16)

/*
 * packets the worker's send buffer holds: a session's batch, or the
 * batches of a fan-out queued for one io_uring_enter() (as many as the
 * ring's entries); a longer frame is sent in several
 */
#define NGX_RTC_SEND_SLOTS       256

/*
 * One UDP GSO send: at most UDP_MAX_SEGMENTS (64) segments, and all of
 * them in one IP datagram (64 KB, less the IPv4 or IPv6 and UDP headers).
 */
#define NGX_RTC_SEND_GSO_SEGS    64
#define NGX_RTC_SEND_GSO_BYTES   (65535 - 40 - 8)


/*
 * A session's media sender: RTP packets are written into the worker's
 * send buffer, SRTP-protected in place there, and sent as a batch: on the
 * selected ICE pair's UDP socket, one sendmsg() with UDP GSO for each run
 * of equal-sized packets (sendmmsg() where GSO fails), or one by one
 * through libnice for TCP and TURN pairs.  In a fan-out the UDP messages
 * of all its sessions leave together, through the worker's io_uring.
 */

typedef struct {
    ngx_rtc_ice_t            *ice;
    ngx_rtc_srtp_t           *srtp;
    ngx_log_t                *log;

    uint64_t                  packets;    /* sent: RTP, retransmissions */
    uint64_t                  bytes;      /* SRTP bytes sent */
    ngx_uint_t                drops;      /* not sent: socket full */
    ngx_uint_t                errors;     /* not sent: other errors */
    ngx_uint_t                calls;      /* send system calls, or
                                             messages in an io_uring */

    ngx_uint_t                path;       /* NGX_RTC_SEND_*: the last one */

    unsigned                  full:1;     /* dropped in this batch */
    unsigned                  no_gso:1;   /* GSO failed here: sendmmsg */
    unsigned                  lost:1;     /* a queued video frame found
                                             the socket full; the
                                             session clears it */
    unsigned                  audio:1;    /* the batch is audio, which a
                                             full socket does not make
                                             "lost" */
} ngx_rtc_send_t;


ngx_int_t ngx_rtc_send_init_process(ngx_cycle_t *cycle, ngx_uint_t gso,
    ngx_uint_t uring);

/*
 * A fan-out: from ngx_rtc_send_defer() to ngx_rtc_send_commit(), the
 * batches sessions flush are queued, and leave when the buffer is full
 * and at the commit (all of them sent or failed by its return); without
 * an io_uring they leave at each flush as elsewhere.  The sessions must
 * outlive the commit.
 */
void ngx_rtc_send_defer(ngx_log_t *log);
void ngx_rtc_send_commit(void);

/*
 * The buffer for the next packet, NGX_RTC_SEND_SLOT bytes; NULL once a
 * packet of this batch found the socket full (the caller stops there and
 * counts the rest as drops).
 */
u_char *ngx_rtc_send_buf(ngx_rtc_send_t *snd);

/* protect the len bytes of RTP in the buffer and queue them: NGX_OK, _ERROR */
ngx_int_t ngx_rtc_send_add(ngx_rtc_send_t *snd, size_t len);

/*
 * send what is batched: NGX_OK, NGX_AGAIN (some dropped: socket full; a
 * queued batch reports it later, in snd->lost); arrival, a frame's arrival
 * (ngx_rtc_latency.h) when the batch ends a whole frame, 0 otherwise:
 * its send delay is counted once it is with the kernel
 */
ngx_int_t ngx_rtc_send_flush(ngx_rtc_send_t *snd, int64_t arrival);

/*
 * pure: of n packets of len[], how many go in the first GSO send: all of
 * the first one's size but the last, which may be shorter, within segs
 * segments and bytes bytes; at least one
 */
ngx_uint_t ngx_rtc_send_gso_run(size_t *len, ngx_uint_t n, ngx_uint_t segs,
    size_t bytes);


#endif /* _NGX_RTC_SEND_H_INCLUDED_ */
