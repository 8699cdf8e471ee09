/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <netinet/udp.h>
#include "ngx_rtc_send.h"


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


typedef struct {
    ngx_rtc_send_t           *owner;      /* whose packets are queued */
    ngx_uint_t                n;
    ngx_uint_t                no_gso;     /* none here: sendmmsg() */
    size_t                    len[NGX_RTC_SEND_BATCH];
    struct iovec              iov[NGX_RTC_SEND_BATCH];
    struct mmsghdr            msg[NGX_RTC_SEND_BATCH];

    /* GSO: message m carries packets run[m] .. run[m + 1] - 1 */
    ngx_uint_t                run[NGX_RTC_SEND_BATCH + 1];
    ngx_rtc_send_cmsg_t       cmsg[NGX_RTC_SEND_BATCH];

    u_char                    buf[NGX_RTC_SEND_BATCH * NGX_RTC_SEND_SLOT];
} ngx_rtc_send_worker_t;


static void ngx_rtc_send_batch(ngx_rtc_send_t *snd);
static void ngx_rtc_send_nice(ngx_rtc_send_t *snd, ngx_uint_t n);
static ngx_uint_t ngx_rtc_send_gso(ngx_rtc_send_t *snd,
    ngx_rtc_ice_peer_t *peer, ngx_uint_t n);
static void ngx_rtc_send_mmsg(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t i, ngx_uint_t n);
static void ngx_rtc_send_error(ngx_rtc_send_t *snd, ngx_err_t err,
    const char *call);


/* the worker's send buffer: one batch of one session at a time */
static ngx_rtc_send_worker_t  ngx_rtc_send_worker;


/* gso: rtc_udp_gso; the kernel is asked whether it has UDP GSO at all */

ngx_int_t
ngx_rtc_send_init_process(ngx_cycle_t *cycle, ngx_uint_t gso)
{
    int            v;
    socklen_t      len;
    ngx_socket_t   s;

    ngx_rtc_send_worker.no_gso = 1;

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


u_char *
ngx_rtc_send_buf(ngx_rtc_send_t *snd)
{
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    if (w->owner != snd) {

        /* another session's batch left unsent: not the callers' habit */

        if (w->n) {
            ngx_rtc_send_batch(w->owner);
        }

        w->owner = snd;
    }

    if (snd->full) {
        return NULL;
    }

    if (w->n == NGX_RTC_SEND_BATCH) {
        ngx_rtc_send_batch(snd);

        if (snd->full) {
            return NULL;
        }
    }

    return w->buf + w->n * NGX_RTC_SEND_SLOT;
}


ngx_int_t
ngx_rtc_send_add(ngx_rtc_send_t *snd, size_t len)
{
    u_char                 *p;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    if (w->owner != snd || w->n == NGX_RTC_SEND_BATCH) {
        return NGX_ERROR;
    }

    p = w->buf + w->n * NGX_RTC_SEND_SLOT;

    if (ngx_rtc_srtp_protect(snd->srtp, p, &len, NGX_RTC_SEND_SLOT)
        != NGX_OK)
    {
        snd->errors++;
        return NGX_ERROR;
    }

    w->len[w->n++] = len;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_send_flush(ngx_rtc_send_t *snd)
{
    ngx_uint_t  full;

    if (ngx_rtc_send_worker.owner == snd) {
        ngx_rtc_send_batch(snd);
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


static void
ngx_rtc_send_batch(ngx_rtc_send_t *snd)
{
    ngx_uint_t              i, n;
    ngx_rtc_ice_peer_t     *peer;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    n = w->n;
    w->n = 0;

    if (n == 0) {
        return;
    }

    peer = ngx_rtc_ice_peer(snd->ice);

    if (peer == NULL) {
        snd->path = NGX_RTC_SEND_NICE;
        ngx_rtc_send_nice(snd, n);
        return;
    }

    for (i = 0; i < n; i++) {
        w->iov[i].iov_base = w->buf + i * NGX_RTC_SEND_SLOT;
        w->iov[i].iov_len = w->len[i];
    }

    i = 0;

    if (!w->no_gso && !snd->no_gso) {
        snd->path = NGX_RTC_SEND_GSO;

        i = ngx_rtc_send_gso(snd, peer, n);

        if (i == n) {
            return;
        }

        /* GSO declined from packet i on */
    }

    snd->path = NGX_RTC_SEND_SENDMMSG;

    ngx_rtc_send_mmsg(snd, peer, i, n);
}


/* TCP, TURN: libnice frames each packet */

static void
ngx_rtc_send_nice(ngx_rtc_send_t *snd, ngx_uint_t n)
{
    ngx_int_t               rc;
    ngx_uint_t              i;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    for (i = 0; i < n; i++) {
        rc = ngx_rtc_ice_send(snd->ice, w->buf + i * NGX_RTC_SEND_SLOT,
                              w->len[i]);
        snd->calls++;

        if (rc == NGX_OK) {
            snd->packets++;
            snd->bytes += w->len[i];
            continue;
        }

        if (rc == NGX_AGAIN) {
            snd->drops += n - i;
            snd->full = 1;
            return;
        }

        snd->errors++;
    }
}


/*
 * The batch's n packets as messages of equal-sized runs, each with
 * UDP_SEGMENT if it is more than one packet: the kernel cuts its datagram
 * into segments of the first packet's size, the last one possibly
 * shorter.  The messages leave in one sendmmsg() (sendmsg() for one).
 * Returns n, or the first packet of the run where GSO is not to be had
 * (snd->no_gso set): the caller sends from it with sendmmsg().
 */

static ngx_uint_t
ngx_rtc_send_gso(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer, ngx_uint_t n)
{
    int                     r;
    size_t                  bytes;
    uint16_t                seg;
    ngx_err_t               err;
    ngx_uint_t              i, j, k, m, nm;
    struct msghdr          *mh;
    struct cmsghdr         *cmsg;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    for (i = 0, nm = 0; i < n; i += k, nm++) {
        k = ngx_rtc_send_gso_run(&w->len[i], n - i, NGX_RTC_SEND_GSO_SEGS,
                                 NGX_RTC_SEND_GSO_BYTES);

        w->run[nm] = i;

        mh = &w->msg[nm].msg_hdr;

        ngx_memzero(mh, sizeof(struct msghdr));

        mh->msg_name = &peer->sockaddr;
        mh->msg_namelen = peer->socklen;
        mh->msg_iov = &w->iov[i];
        mh->msg_iovlen = k;

        if (k > 1) {
            ngx_memzero(&w->cmsg[nm], sizeof(ngx_rtc_send_cmsg_t));

            mh->msg_control = w->cmsg[nm].buf;
            mh->msg_controllen = sizeof(w->cmsg[nm].buf);

            seg = (uint16_t) w->len[i];

            cmsg = CMSG_FIRSTHDR(mh);
            cmsg->cmsg_level = SOL_UDP;
            cmsg->cmsg_type = UDP_SEGMENT;
            cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            ngx_memcpy(CMSG_DATA(cmsg), &seg, sizeof(uint16_t));
        }
    }

    w->run[nm] = n;

    m = 0;

    while (m < nm) {

        if (nm - m == 1) {
            r = (sendmsg(peer->fd, &w->msg[m].msg_hdr, 0) == -1) ? -1 : 1;

        } else {
            r = sendmmsg(peer->fd, &w->msg[m], nm - m, 0);
        }

        snd->calls++;

        if (r > 0) {
            for ( /* void */ ; r > 0; r--, m++) {
                for (bytes = 0, j = w->run[m]; j < w->run[m + 1]; j++) {
                    bytes += w->len[j];
                }

                snd->packets += w->run[m + 1] - w->run[m];
                snd->bytes += bytes;
            }

            continue;
        }

        /* message m failed */

        err = ngx_socket_errno;
        i = w->run[m];
        k = w->run[m + 1] - i;

        if (r == 0 || err == NGX_EAGAIN || err == ENOBUFS) {
            snd->drops += n - i;
            snd->full = 1;
            return n;
        }

        if (k > 1
            && (err == EIO || err == NGX_EINVAL || err == EMSGSIZE
                || err == NGX_ENOPROTOOPT || err == NGX_EOPNOTSUPP))
        {
            ngx_log_error(NGX_LOG_INFO, snd->log, err,
                          "rtc send: UDP GSO failed, sendmmsg() from now on");
            snd->no_gso = 1;
            return i;
        }

        ngx_rtc_send_error(snd, err, nm - m == 1 ? "sendmsg()" : "sendmmsg()");

        snd->errors += k;
        m++;
    }

    return n;
}


static void
ngx_rtc_send_mmsg(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t i, ngx_uint_t n)
{
    int                     r;
    ngx_err_t               err;
    ngx_uint_t              j;
    struct msghdr          *mh;
    ngx_rtc_send_worker_t  *w;

    w = &ngx_rtc_send_worker;

    for (j = i; j < n; j++) {
        mh = &w->msg[j].msg_hdr;

        ngx_memzero(mh, sizeof(struct msghdr));

        mh->msg_name = &peer->sockaddr;
        mh->msg_namelen = peer->socklen;
        mh->msg_iov = &w->iov[j];
        mh->msg_iovlen = 1;
    }

    while (i < n) {
        r = sendmmsg(peer->fd, &w->msg[i], n - i, 0);
        snd->calls++;

        if (r > 0) {
            for (j = i; j < i + r; j++) {
                snd->bytes += w->len[j];
            }

            snd->packets += r;
            i += r;
            continue;
        }

        err = ngx_socket_errno;

        if (r == 0 || err == NGX_EAGAIN || err == ENOBUFS) {
            snd->drops += n - i;
            snd->full = 1;
            return;
        }

        /* the packet that failed is skipped */

        ngx_rtc_send_error(snd, err, "sendmmsg()");

        snd->errors++;
        i++;
    }
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
