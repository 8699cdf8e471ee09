/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>
#include "ngx_rtc_uring.h"


/*
 * Why a ring: a viewer's frame is one sendmsg() (UDP GSO) on its own ICE
 * socket, so a fan-out to N viewers was N system calls, and on a machine
 * with kernel page-table isolation and no PCID each one costs its entry
 * and exit and a TLB refilled after it: ~2 µs a message of the ~20 µs a
 * viewer's P-frame costs (bench/README.md, "io_uring").  Queued here, the
 * messages of a fan-out cost one io_uring_enter() per NGX_RTC_URING_ENTRIES,
 * and each still runs the kernel's UDP send as sendmsg() would, in the
 * worker's own context (the sockets are non-blocking and the messages
 * MSG_DONTWAIT, which io_uring takes as "complete now or fail": no
 * io-wq thread, nothing in flight after the call).
 *
 * The ring is the kernel's ABI (linux/io_uring.h, Linux 5.1+; the flags
 * below are tried and dropped on older kernels): three shared mappings,
 * the submission queue's index array, the SQEs and the completion queue.
 */


typedef struct {
    int                       fd;         /* -1: none */
    ngx_uint_t                tried;

    unsigned                  tail;       /* ours: the next SQE */
    unsigned                  mask;
    unsigned                 *sq_head;
    unsigned                 *sq_tail;
    unsigned                 *sq_array;

    unsigned                  cq_mask;
    unsigned                 *cq_head;
    unsigned                 *cq_tail;
    struct io_uring_cqe      *cqes;

    struct io_uring_sqe      *sqes;
} ngx_rtc_uring_t;


static ngx_int_t ngx_rtc_uring_setup(ngx_rtc_uring_t *u, ngx_log_t *log);
static ngx_uint_t ngx_rtc_uring_reap(ngx_rtc_uring_t *u, ngx_uint_t n,
    int *res);
static void ngx_rtc_uring_fail(ngx_rtc_uring_t *u, ngx_err_t err,
    ngx_log_t *log);


static ngx_rtc_uring_t  ngx_rtc_uring = { -1, 0, 0, 0, NULL, NULL, NULL,
                                          0, NULL, NULL, NULL, NULL };


ngx_int_t
ngx_rtc_uring_ready(ngx_log_t *log)
{
    ngx_rtc_uring_t  *u;

    u = &ngx_rtc_uring;

    if (u->fd != -1) {
        return NGX_OK;
    }

    if (u->tried) {
        return NGX_DECLINED;
    }

    u->tried = 1;

    return ngx_rtc_uring_setup(u, log);
}


static ngx_int_t
ngx_rtc_uring_setup(ngx_rtc_uring_t *u, ngx_log_t *log)
{
    int                      fd;
    u_char                  *sq, *cq;
    size_t                   sq_len, cq_len, sqes_len;
    uint32_t                 flags;
    ngx_err_t                err;
    struct io_uring_params   p;

    /*
     * SUBMIT_ALL: a message that fails does not stop the others;
     * SINGLE_ISSUER, DEFER_TASKRUN: only this thread uses the ring, and
     * the kernel does its completion work when we ask for completions
     */

    flags = 0;
#ifdef IORING_SETUP_SUBMIT_ALL
    flags |= IORING_SETUP_SUBMIT_ALL;
#endif
#if defined IORING_SETUP_SINGLE_ISSUER && defined IORING_SETUP_DEFER_TASKRUN
    flags |= IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN;
#endif

    for ( ;; ) {
        ngx_memzero(&p, sizeof(struct io_uring_params));
        p.flags = flags;

        fd = (int) syscall(__NR_io_uring_setup, NGX_RTC_URING_ENTRIES, &p);

        if (fd != -1) {
            break;
        }

        err = ngx_errno;

        if (err == NGX_EINVAL && flags) {
            /* a kernel older than the flags */
            flags = 0;
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, log, err,
                      "rtc send: no io_uring here (io_uring_setup() failed), "
                      "a system call per viewer and frame");
        return NGX_DECLINED;
    }

    sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);

    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        sq_len = ngx_max(sq_len, cq_len);
    }

    sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);

    cq = MAP_FAILED;

    sq = mmap(NULL, sq_len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE,
              fd, IORING_OFF_SQ_RING);

    if (sq == MAP_FAILED) {
        goto failed;
    }

    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        cq = sq;

    } else {
        cq = mmap(NULL, cq_len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE,
                  fd, IORING_OFF_CQ_RING);

        if (cq == MAP_FAILED) {
            goto failed;
        }
    }

    u->sqes = mmap(NULL, sqes_len, PROT_READ|PROT_WRITE,
                   MAP_SHARED|MAP_POPULATE, fd, IORING_OFF_SQES);

    if (u->sqes == MAP_FAILED) {
        goto failed;
    }

    u->sq_head = (unsigned *) (sq + p.sq_off.head);
    u->sq_tail = (unsigned *) (sq + p.sq_off.tail);
    u->sq_array = (unsigned *) (sq + p.sq_off.array);
    u->mask = *(unsigned *) (sq + p.sq_off.ring_mask);
    u->tail = *u->sq_tail;

    u->cq_head = (unsigned *) (cq + p.cq_off.head);
    u->cq_tail = (unsigned *) (cq + p.cq_off.tail);
    u->cq_mask = *(unsigned *) (cq + p.cq_off.ring_mask);
    u->cqes = (struct io_uring_cqe *) (cq + p.cq_off.cqes);

    u->fd = fd;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "rtc send: io_uring of %ui entries, flags %xD",
                  (ngx_uint_t) p.sq_entries, flags);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_NOTICE, log, ngx_errno,
                  "rtc send: io_uring mmap() failed, "
                  "a system call per viewer and frame");

    if (cq != MAP_FAILED && cq != sq) {
        (void) munmap(cq, cq_len);
    }

    if (sq != MAP_FAILED) {
        (void) munmap(sq, sq_len);
    }

    (void) close(fd);

    return NGX_DECLINED;
}


void
ngx_rtc_uring_sendmsg(ngx_uint_t i, ngx_socket_t fd, struct msghdr *msg)
{
    unsigned              idx;
    ngx_rtc_uring_t      *u;
    struct io_uring_sqe  *sqe;

    u = &ngx_rtc_uring;

    idx = (u->tail + (unsigned) i) & u->mask;
    sqe = &u->sqes[idx];

    ngx_memzero(sqe, sizeof(struct io_uring_sqe));

    sqe->opcode = IORING_OP_SENDMSG;
    sqe->fd = fd;
    sqe->addr = (uint64_t) (uintptr_t) msg;
    sqe->len = 1;
    sqe->msg_flags = MSG_DONTWAIT;
    sqe->user_data = i;

    u->sq_array[idx] = idx;
}


ngx_int_t
ngx_rtc_uring_submit(ngx_uint_t n, int *res, ngx_log_t *log)
{
    int               r;
    unsigned          taken;
    ngx_err_t         err;
    ngx_uint_t        i, done, turns;
    ngx_rtc_uring_t  *u;

    u = &ngx_rtc_uring;

    for (i = 0; i < n; i++) {
        res[i] = -ECANCELED;
    }

    if (n == 0) {
        return NGX_OK;
    }

    __atomic_store_n(u->sq_tail, u->tail + (unsigned) n, __ATOMIC_RELEASE);

    done = 0;

    /* each turn takes messages or completions; a few turns at most */

    for (turns = 0; done < n; turns++) {

        taken = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE) - u->tail;

        r = (int) syscall(__NR_io_uring_enter, u->fd, (unsigned) n - taken,
                          (unsigned) (n - done), IORING_ENTER_GETEVENTS,
                          NULL, 0);

        err = (r == -1) ? ngx_errno : 0;

        done += ngx_rtc_uring_reap(u, n, res);

        if (err == 0 || err == NGX_EINTR || err == NGX_EAGAIN
            || err == NGX_EBUSY)
        {
            if (turns < 2 * n + 8) {
                continue;
            }

            err = NGX_EAGAIN;
        }

        ngx_rtc_uring_fail(u, err, log);

        return NGX_ERROR;
    }

    u->tail += (unsigned) n;

    return NGX_OK;
}


static ngx_uint_t
ngx_rtc_uring_reap(ngx_rtc_uring_t *u, ngx_uint_t n, int *res)
{
    unsigned              head, tail;
    ngx_uint_t            got;
    struct io_uring_cqe  *cqe;

    head = *u->cq_head;
    tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);

    for (got = 0; head != tail; head++) {
        cqe = &u->cqes[head & u->cq_mask];

        if (cqe->user_data < n) {
            res[cqe->user_data] = cqe->res;
            got++;
        }
    }

    __atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);

    return got;
}


/* the ring is given up for this worker: sends go one by one from now on */

static void
ngx_rtc_uring_fail(ngx_rtc_uring_t *u, ngx_err_t err, ngx_log_t *log)
{
    ngx_log_error(NGX_LOG_ALERT, log, err,
                  "rtc send: io_uring_enter() failed, "
                  "a system call per viewer and frame from now on");

    (void) close(u->fd);

    u->fd = -1;
}
