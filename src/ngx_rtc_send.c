/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <netinet/udp.h>
#include "ngx_rtc_send.h"
#include "ngx_rtc_uring.h"
#include "ngx_rtc_latency.h"


/*
 * The media send path.  A session writes each RTP packet of a frame (its
 * own header, the shared payload behind it) into the worker's send
 * buffer, where it is SRTP-protected in place: the one copy per packet and
 * viewer that encryption needs, as libsrtp2 protects in place.  At the
 * end of the frame (or when the buffer is full) the batch leaves:
 *
 *   - on a selected UDP pair that is not relayed, on the pair's socket
 *     itself: a message with UDP_SEGMENT (UDP GSO, Linux 4.18) for each
 *     run of equal-sized packets, the last of a run possibly shorter (the
 *     packetizers cut a NAL unit into equal fragments for this), and all
 *     the batch's messages in one sendmmsg() (a frame of several NAL
 *     units, a keyframe, is several runs); where GSO fails (EIO: no
 *     checksum offload on the way out, e.g. some tunnels; EINVAL: the
 *     segment over the path's MTU, or an old kernel), sendmmsg() of one
 *     packet a message from then on for that session;
 *   - on TCP and TURN pairs, through libnice one by one, as it frames them.
 *
 * In a fan-out (ngx_rtc_send_defer() .. ngx_rtc_send_commit()) the UDP
 * messages of every viewer are queued instead, one after the other in the
 * buffer, and leave together through the worker's io_uring
 * (ngx_rtc_uring.c) when the fan-out's frame is done or the buffer is
 * full: one system call for up to NGX_RTC_SEND_SLOTS packets of many
 * viewers, rather than one a viewer.  Their results come back before the
 * buffer is used again; a video frame that found its viewer's socket full
 * marks the session (snd->lost), which then waits for the next keyframe,
 * as one sent on its own does (an audio frame dropped is only a drop).
 * Without a ring (rtc_io_uring off, an old kernel, io_uring forbidden)
 * each session's batch leaves at once.
 *
 * A full socket drops the rest of the batch: nothing queues for a slow
 * viewer (the session waits for the next keyframe).
 */


#ifndef SOL_UDP
#define SOL_UDP      17
#endif

#ifndef UDP_SEGMENT
#define UDP_SEGMENT  103
#endif


typedef union {
    char                      buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr            align;
} ngx_rtc_send_cmsg_t;


/* a session's queued messages: one flush, or the part of one that fit */

typedef struct {
    ngx_rtc_send_t           *snd;
    ngx_rtc_ice_peer_t       *peer;
    ngx_uint_t                msg;        /* its first message */
    ngx_uint_t                nmsg;
    int64_t                   arrival;    /* the frame's, 0: none or part */
    unsigned                  audio:1;    /* snd->audio when queued */
} ngx_rtc_send_entry_t;


typedef struct {
    ngx_rtc_send_t           *owner;      /* whose packets are batched */
    ngx_uint_t                n;          /* from slot "used" on */
    ngx_uint_t                no_gso;     /* none here: sendmmsg() */
    ngx_uint_t                uring;      /* rtc_io_uring */
    ngx_log_t                *log;        /* the fan-out's */

    /* in a fan-out with a ring: what is queued */
    ngx_uint_t                defer;
    ngx_uint_t                used;       /* slots */
    ngx_uint_t                nmsg;
    ngx_uint_t                nentries;

    size_t                    len[NGX_RTC_SEND_SLOTS];
    struct iovec              iov[NGX_RTC_SEND_SLOTS];

    /*
     * message m carries the packets of slots pkt[m] .. pkt[m] + npkt[m] - 1;
     * room for the queued ones and, after them, those a session's packets
     * make again when GSO fails for it at the commit
     */
    struct mmsghdr            msg[2 * NGX_RTC_SEND_SLOTS];
    ngx_uint_t                pkt[2 * NGX_RTC_SEND_SLOTS];
    ngx_uint_t                npkt[2 * NGX_RTC_SEND_SLOTS];
    ngx_rtc_send_cmsg_t       cmsg[2 * NGX_RTC_SEND_SLOTS];

    ngx_rtc_send_entry_t      entry[NGX_RTC_SEND_SLOTS];
    int                       res[NGX_RTC_SEND_SLOTS];

    u_char                    buf[NGX_RTC_SEND_SLOTS * NGX_RTC_SEND_SLOT];
} ngx_rtc_send_worker_t;


static void ngx_rtc_send_batch(ngx_rtc_send_t *snd, int64_t arrival);
static void ngx_rtc_send_nice(ngx_rtc_send_t *snd, ngx_uint_t i,
    ngx_uint_t n);
static ngx_uint_t ngx_rtc_send_messages(ngx_rtc_ice_peer_t *peer,
    ngx_uint_t i, ngx_uint_t n, ngx_uint_t gso);
static ngx_uint_t ngx_rtc_send_now(ngx_rtc_send_t *snd,
    ngx_rtc_ice_peer_t *peer, ngx_uint_t m, ngx_uint_t nm);
static void ngx_rtc_send_mmsg(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t i, ngx_uint_t n);
static void ngx_rtc_send_queue(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t nm, int64_t arrival);
static void ngx_rtc_send_submit(void);
static ngx_int_t ngx_rtc_send_result(ngx_rtc_send_t *snd, ngx_uint_t m,
    ngx_int_t res);
static void ngx_rtc_send_error(ngx_rtc_send_t *snd, ngx_err_t err,
    const char *call);


#if (NGX_RTC_SEND_SLOTS > NGX_RTC_URING_ENTRIES)
#error "the queued messages must fit in the ring"
#endif


/* the worker's send buffer */
static ngx_rtc_send_worker_t  ngx_rtc_send_worker;


/*
 * gso: rtc_udp_gso, the kernel is asked whether it has UDP GSO at all;
 * uring: rtc_io_uring, the ring is set up by the first fan-out
 */

ngx_int_t
ngx_rtc_send_init_process(ngx_cycle_t *cycle, ngx_uint_t gso,
    ngx_uint_t uring)
{
    int            v;
    socklen_t      len;
    ngx_socket_t   s;

    ngx_rtc_send_worker.no_gso = 1;
    ngx_rtc_send_worker.uring = uring;

    if (!gso) {
        return NGX_OK;
    }

    s = ngx_socket(AF_INET, SOCK_DGRAM, 0);
    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "rtc send: " ngx_socket_n " failed");
        return NGX_ERROR;
    }

    len = sizeof(int);

    if (getsockopt(s, SOL_UDP, UDP_SEGMENT, &v, &len) == -1) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, ngx_socket_errno,
                      "rtc send: no UDP GSO in this kernel, "
                      "sending with sendmmsg()");
    } else {
        ngx_rtc_send_worker.no_gso = 0;
    }

    (void) ngx_close_socket(s);

    return NGX_OK;
}


void
ngx_rtc_send_defer(ngx_log_t *log)
{
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    if (w->uring && ngx_rtc_uring_ready(log) == NGX_OK) {
        w->defer = 1;
        w->log = log;
    }
}


void
ngx_rtc_send_commit(void)
{
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    if (w->n) {
        /* a batch its session did not flush: not the callers' habit */
        ngx_rtc_send_batch(w->owner, 0);
    }

    ngx_rtc_send_submit();

    w->defer = 0;
}


u_char *
ngx_rtc_send_buf(ngx_rtc_send_t *snd)
{
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    if (w->owner != snd) {

        /* another session's batch left unsent: not the callers' habit */

        if (w->n) {
            ngx_rtc_send_batch(w->owner, 0);
        }

        w->owner = snd;
    }

    if (snd->full) {
        return NULL;
    }

    if (w->used + w->n == NGX_RTC_SEND_SLOTS) {

        /* the buffer is full: what is in it leaves, the frame goes on */

        ngx_rtc_send_batch(snd, 0);
        ngx_rtc_send_submit();

        if (snd->full) {
            return NULL;
        }
    }

    return w->buf + (w->used + w->n) * NGX_RTC_SEND_SLOT;
}


ngx_int_t
ngx_rtc_send_add(ngx_rtc_send_t *snd, size_t len)
{
    u_char                 *p;
    ngx_uint_t              i;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    i = w->used + w->n;

    if (w->owner != snd || i == NGX_RTC_SEND_SLOTS) {
        return NGX_ERROR;
    }

    p = w->buf + i * NGX_RTC_SEND_SLOT;

    if (ngx_rtc_srtp_protect(snd->srtp, p, &len, NGX_RTC_SEND_SLOT)
        != NGX_OK)
    {
        snd->errors++;
        return NGX_ERROR;
    }

    w->len[i] = len;
    w->n++;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_send_flush(ngx_rtc_send_t *snd, int64_t arrival)
{
    ngx_uint_t  full;

    if (ngx_rtc_send_worker.owner == snd) {
        ngx_rtc_send_batch(snd, snd->full ? 0 : arrival);
    }

    full = snd->full;
    snd->full = 0;

    return full ? NGX_AGAIN : NGX_OK;
}


ngx_uint_t
ngx_rtc_send_gso_run(size_t *len, ngx_uint_t n, ngx_uint_t segs, size_t bytes)
{
    size_t      seg, total;
    ngx_uint_t  k;

    if (n == 0) {
        return 0;
    }

    seg = len[0];
    total = seg;

    for (k = 1; k < n && k < segs; k++) {

        if (len[k] > seg || total + len[k] > bytes) {
            break;
        }

        total += len[k];

        if (len[k] < seg) {
            /* a shorter segment ends the run */
            k++;
            break;
        }
    }

    return k;
}


/*
 * The owner's batch, slots "used" .. "used" + n - 1: queued in a fan-out,
 * sent at once otherwise; arrival, the frame's when the batch ends it
 * whole, makes its send delay count once the frame is with the kernel.
 */

static void
ngx_rtc_send_batch(ngx_rtc_send_t *snd, int64_t arrival)
{
    ngx_uint_t              i, n, nm, m, gso, errors;
    ngx_rtc_ice_peer_t     *peer;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    i = w->used;
    n = w->n;
    w->n = 0;

    if (n == 0) {
        return;
    }

    errors = snd->errors;

    peer = ngx_rtc_ice_peer(snd->ice);

    if (peer == NULL) {
        snd->path = NGX_RTC_SEND_NICE;
        ngx_rtc_send_nice(snd, i, n);
        goto sent;
    }

    gso = !w->no_gso && !snd->no_gso;

    snd->path = gso ? NGX_RTC_SEND_GSO : NGX_RTC_SEND_SENDMMSG;

    nm = ngx_rtc_send_messages(peer, i, n, gso);

    if (w->defer) {
        ngx_rtc_send_queue(snd, peer, nm, arrival);
        return;
    }

    m = ngx_rtc_send_now(snd, peer, w->nmsg, nm);

    if (m < w->nmsg + nm) {
        /* GSO declined from message m on: one packet a message */
        snd->path = NGX_RTC_SEND_SENDMMSG;
        ngx_rtc_send_mmsg(snd, peer, w->pkt[m], i + n - w->pkt[m]);
    }

sent:

    if (!snd->full && snd->errors == errors) {
        ngx_rtc_latency_sent(arrival);
    }
}


/* TCP, TURN: libnice frames each packet */

static void
ngx_rtc_send_nice(ngx_rtc_send_t *snd, ngx_uint_t i, ngx_uint_t n)
{
    ngx_int_t               rc;
    ngx_uint_t              j;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    for (j = i; j < i + n; j++) {
        rc = ngx_rtc_ice_send(snd->ice, w->buf + j * NGX_RTC_SEND_SLOT,
                              w->len[j]);
        snd->calls++;

        if (rc == NGX_OK) {
            snd->packets++;
            snd->bytes += w->len[j];
            continue;
        }

        if (rc == NGX_AGAIN) {
            snd->drops += i + n - j;
            snd->full = 1;
            return;
        }

        snd->errors++;
    }
}


/*
 * The messages of slots i .. i + n - 1, from message w->nmsg on: with gso,
 * one for each run of equal-sized packets, with UDP_SEGMENT if it is more
 * than one packet (the kernel cuts its datagram into segments of the first
 * packet's size, the last one possibly shorter); one a packet otherwise.
 * Returns how many.
 */

static ngx_uint_t
ngx_rtc_send_messages(ngx_rtc_ice_peer_t *peer, ngx_uint_t i, ngx_uint_t n,
    ngx_uint_t gso)
{
    uint16_t                seg;
    ngx_uint_t              j, k, m;
    struct msghdr          *mh;
    struct cmsghdr         *cmsg;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    for (j = i; j < i + n; j++) {
        w->iov[j].iov_base = w->buf + j * NGX_RTC_SEND_SLOT;
        w->iov[j].iov_len = w->len[j];
    }

    for (m = w->nmsg, j = i; j < i + n; j += k, m++) {

        k = gso ? ngx_rtc_send_gso_run(&w->len[j], i + n - j,
                                       NGX_RTC_SEND_GSO_SEGS,
                                       NGX_RTC_SEND_GSO_BYTES)
                : 1;

        w->pkt[m] = j;
        w->npkt[m] = k;

        mh = &w->msg[m].msg_hdr;

        ngx_memzero(mh, sizeof(struct msghdr));

        mh->msg_name = &peer->sockaddr;
        mh->msg_namelen = peer->socklen;
        mh->msg_iov = &w->iov[j];
        mh->msg_iovlen = k;

        if (k > 1) {
            ngx_memzero(&w->cmsg[m], sizeof(ngx_rtc_send_cmsg_t));

            mh->msg_control = w->cmsg[m].buf;
            mh->msg_controllen = sizeof(w->cmsg[m].buf);

            seg = (uint16_t) w->len[j];

            cmsg = CMSG_FIRSTHDR(mh);
            cmsg->cmsg_level = SOL_UDP;
            cmsg->cmsg_type = UDP_SEGMENT;
            cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            ngx_memcpy(CMSG_DATA(cmsg), &seg, sizeof(uint16_t));
        }
    }

    return m - w->nmsg;
}


/*
 * Messages m .. m + nm - 1 in one sendmmsg() (sendmsg() for one).  Returns
 * m + nm, or the message where GSO is not to be had (snd->no_gso set).
 * A full socket drops the rest (snd->full).
 */

static ngx_uint_t
ngx_rtc_send_now(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer, ngx_uint_t m,
    ngx_uint_t nm)
{
    int                     r;
    ngx_int_t               rc;
    ngx_uint_t              end, j;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    end = m + nm;

    while (m < end) {

        if (end - m == 1) {
            r = (sendmsg(peer->fd, &w->msg[m].msg_hdr, 0) == -1) ? -1 : 1;

        } else {
            r = sendmmsg(peer->fd, &w->msg[m], end - m, 0);
        }

        snd->calls++;

        if (r > 0) {
            for ( /* void */ ; r > 0; r--, m++) {
                (void) ngx_rtc_send_result(snd, m, 0);
            }

            continue;
        }

        /* message m failed; none sent is a full socket */

        rc = ngx_rtc_send_result(snd, m,
                                 r == 0 ? -NGX_EAGAIN : -ngx_socket_errno);

        if (rc == NGX_DECLINED) {
            return m;
        }

        if (rc == NGX_AGAIN) {
            for (j = m + 1; j < end; j++) {
                snd->drops += w->npkt[j];
            }

            snd->full = 1;
            return end;
        }

        m++;
    }

    return end;
}


/* slots i .. i + n - 1 without GSO, one packet a message, at once */

static void
ngx_rtc_send_mmsg(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t i, ngx_uint_t n)
{
    ngx_uint_t  nm;

    nm = ngx_rtc_send_messages(peer, i, n, 0);

    (void) ngx_rtc_send_now(snd, peer, ngx_rtc_send_worker.nmsg, nm);
}


/* the owner's nm messages from w->nmsg on stay in the buffer, queued */

static void
ngx_rtc_send_queue(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t nm, int64_t arrival)
{
    ngx_uint_t              m;
    ngx_rtc_send_entry_t   *e;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    e = &w->entry[w->nentries++];

    e->snd = snd;
    e->peer = peer;
    e->msg = w->nmsg;
    e->nmsg = nm;
    e->arrival = arrival;
    e->audio = snd->audio;

    for (m = w->nmsg; m < w->nmsg + nm; m++) {
        ngx_rtc_uring_sendmsg(m, peer->fd, &w->msg[m].msg_hdr);
    }

    w->nmsg += nm;
    w->used = w->pkt[w->nmsg - 1] + w->npkt[w->nmsg - 1];
}


/*
 * What is queued leaves in one io_uring_enter(); each session has its
 * messages' results.  Where the ring failed, or GSO did for a session,
 * its packets are still in the buffer and leave at once without it.
 */

static void
ngx_rtc_send_submit(void)
{
    ngx_int_t               rc;
    ngx_uint_t              i, m, end, lost, errors;
    ngx_rtc_send_t         *snd;
    ngx_rtc_send_entry_t   *e;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    if (w->nmsg == 0) {
        w->used = 0;
        return;
    }

    if (ngx_rtc_uring_submit(w->nmsg, w->res, w->log) != NGX_OK) {
        /* the ring is gone: the sends it did not take go one by one */
        w->uring = 0;
        w->defer = 0;
    }

    for (i = 0; i < w->nentries; i++) {
        e = &w->entry[i];
        snd = e->snd;

        lost = 0;
        errors = snd->errors;
        end = e->msg + e->nmsg;

        /* the io_uring_enter() that carried its messages */
        snd->calls++;

        for (m = e->msg; m < end; m++) {

            if (w->res[m] == -ECANCELED) {
                /* not taken by a failed ring */
                m = ngx_rtc_send_now(snd, e->peer, m, end - m);

                if (m == end) {
                    lost = snd->full;
                    snd->full = 0;
                    break;
                }

                rc = NGX_DECLINED;

            } else {
                rc = ngx_rtc_send_result(snd, m, w->res[m] < 0 ? w->res[m]
                                                                : 0);
            }

            if (rc == NGX_DECLINED) {
                /* GSO failed: this message and the rest one by one */
                ngx_rtc_send_mmsg(snd, e->peer, w->pkt[m],
                                  w->pkt[end - 1] + w->npkt[end - 1]
                                  - w->pkt[m]);
                lost = snd->full;
                snd->full = 0;
                break;
            }

            if (rc == NGX_AGAIN) {
                lost = 1;
            }
        }

        if (lost) {
            /* a video frame with a hole: its session waits for a keyframe */
            if (!e->audio) {
                snd->lost = 1;
            }

        } else if (!snd->lost && snd->errors == errors) {
            ngx_rtc_latency_sent(e->arrival);
        }
    }

    w->nentries = 0;
    w->nmsg = 0;
    w->used = 0;
}


/*
 * The result of message m, 0 for sent or -errno: counted; NGX_OK, NGX_AGAIN
 * (the socket is full: dropped), NGX_DECLINED (GSO is not to be had here:
 * snd->no_gso set, the message is to be sent again without it), NGX_ERROR
 */

static ngx_int_t
ngx_rtc_send_result(ngx_rtc_send_t *snd, ngx_uint_t m, ngx_int_t res)
{
    size_t                  bytes;
    ngx_err_t               err;
    ngx_uint_t              j, k;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    k = w->npkt[m];

    if (res >= 0) {
        for (bytes = 0, j = w->pkt[m]; j < w->pkt[m] + k; j++) {
            bytes += w->len[j];
        }

        snd->packets += k;
        snd->bytes += bytes;

        return NGX_OK;
    }

    err = (ngx_err_t) -res;

    if (err == NGX_EAGAIN || err == ENOBUFS) {
        snd->drops += k;
        return NGX_AGAIN;
    }

    if (k > 1
        && (err == EIO || err == NGX_EINVAL || err == EMSGSIZE
            || err == NGX_ENOPROTOOPT || err == NGX_EOPNOTSUPP))
    {
        ngx_log_error(NGX_LOG_INFO, snd->log, err,
                      "rtc send: UDP GSO failed, sendmmsg() from now on");
        snd->no_gso = 1;
        return NGX_DECLINED;
    }

    ngx_rtc_send_error(snd, err, k > 1 ? "sendmsg(UDP_SEGMENT)" : "sendmsg()");

    snd->errors += k;

    return NGX_ERROR;
}


/* the first error of a session is logged, the others only counted */

static void
ngx_rtc_send_error(ngx_rtc_send_t *snd, ngx_err_t err, const char *call)
{
    if (snd->errors == 0) {
        ngx_log_error(NGX_LOG_INFO, snd->log, err, "rtc send: %s failed",
                      call);
    }
}
