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
 *     itself: one sendmsg() with UDP_SEGMENT (UDP GSO, Linux 4.18) for
 *     each run of equal-sized packets, the last of a run possibly shorter
 *     (the packetizers cut a NAL unit into equal fragments for this);
 *     where GSO fails (EIO: no checksum offload on the way out, e.g. some
 *     tunnels; EINVAL: the segment over the path's MTU, or an old kernel),
 *     sendmmsg() from then on for that session;
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


typedef struct {
    ngx_rtc_send_t           *owner;      /* whose packets are queued */
    ngx_uint_t                n;
    ngx_uint_t                no_gso;     /* none here: sendmmsg() */
    size_t                    len[NGX_RTC_SEND_BATCH];
    struct iovec              iov[NGX_RTC_SEND_BATCH];
    struct mmsghdr            msg[NGX_RTC_SEND_BATCH];
    u_char                    buf[NGX_RTC_SEND_BATCH * NGX_RTC_SEND_SLOT];
} ngx_rtc_send_worker_t;


static void ngx_rtc_send_batch(ngx_rtc_send_t *snd);
static void ngx_rtc_send_nice(ngx_rtc_send_t *snd, ngx_uint_t n);
static ngx_int_t ngx_rtc_send_gso(ngx_rtc_send_t *snd,
    ngx_rtc_ice_peer_t *peer, ngx_uint_t i, ngx_uint_t k);
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
    ngx_int_t               rc;
    ngx_uint_t              i, k, n;
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

        while (i < n) {
            k = ngx_rtc_send_gso_run(&w->len[i], n - i, NGX_RTC_SEND_GSO_SEGS,
                                     NGX_RTC_SEND_GSO_BYTES);

            rc = ngx_rtc_send_gso(snd, peer, i, k);

            if (rc == NGX_OK) {
                i += k;
                continue;
            }

            if (rc == NGX_AGAIN) {
                snd->drops += n - i;
                snd->full = 1;
                return;
            }

            if (rc == NGX_DECLINED) {
                snd->no_gso = 1;
                break;
            }

            snd->errors += k;
            i += k;
        }

        if (i == n) {
            return;
        }
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
 * Packets i .. i + k - 1 in one sendmsg(): with UDP_SEGMENT the kernel
 * cuts the datagram into segments of the first packet's size, the last
 * one possibly shorter.  NGX_DECLINED: GSO is not to be had here.
 */

static ngx_int_t
ngx_rtc_send_gso(ngx_rtc_send_t *snd, ngx_rtc_ice_peer_t *peer,
    ngx_uint_t i, ngx_uint_t k)
{
    size_t                  bytes;
    ssize_t                 n;
    uint16_t                seg;
    ngx_err_t               err;
    ngx_uint_t              j;
    struct msghdr           msg;
    struct cmsghdr         *cmsg;
    ngx_rtc_send_worker_t  *w;

    union {
        char                buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr      align;
    } control;

    w = &ngx_rtc_send_worker;

    ngx_memzero(&msg, sizeof(struct msghdr));

    msg.msg_name = &peer->sockaddr;
    msg.msg_namelen = peer->socklen;
    msg.msg_iov = &w->iov[i];
    msg.msg_iovlen = k;

    if (k > 1) {
        ngx_memzero(&control, sizeof(control));

        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);

        seg = (uint16_t) w->len[i];

        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_UDP;
        cmsg->cmsg_type = UDP_SEGMENT;
        cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        ngx_memcpy(CMSG_DATA(cmsg), &seg, sizeof(uint16_t));
    }

    n = sendmsg(peer->fd, &msg, 0);
    snd->calls++;

    if (n == -1) {
        err = ngx_socket_errno;

        if (err == NGX_EAGAIN || err == ENOBUFS) {
            return NGX_AGAIN;
        }

        if (k > 1
            && (err == EIO || err == NGX_EINVAL || err == EMSGSIZE
                || err == NGX_ENOPROTOOPT || err == NGX_EOPNOTSUPP))
        {
            ngx_log_error(NGX_LOG_INFO, snd->log, err,
                          "rtc send: UDP GSO failed, sendmmsg() from now on");
            return NGX_DECLINED;
        }

        ngx_rtc_send_error(snd, err, "sendmsg()");

        return NGX_ERROR;
    }

    for (bytes = 0, j = i; j < i + k; j++) {
        bytes += w->len[j];
    }

    snd->packets += k;
    snd->bytes += bytes;

    return NGX_OK;
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
