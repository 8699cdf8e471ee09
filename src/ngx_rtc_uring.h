/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_URING_H_INCLUDED_
#define _NGX_RTC_URING_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <sys/socket.h>


/*
 * A worker's io_uring for the media sends of a fan-out: the sendmsg()s of
 * many viewers (each its own ICE socket) queued and handed to the kernel
 * in one io_uring_enter(), which runs them there and then.  Only
 * non-blocking sends with MSG_DONTWAIT: a full socket is a -EAGAIN
 * completion, never a send the kernel keeps for later, so every message
 * and its buffer are done with when ngx_rtc_uring_submit() returns.
 * Raw system calls on the kernel's own header (no liburing).
 */

#define NGX_RTC_URING_ENTRIES    256


/*
 * The worker's ring, set up on first use: NGX_OK, NGX_DECLINED (none here:
 * an old kernel, io_uring turned off, a seccomp filter; logged once).
 */
ngx_int_t ngx_rtc_uring_ready(ngx_log_t *log);

/* queue message i: sendmsg(fd, msg, MSG_DONTWAIT); at most ENTRIES */
void ngx_rtc_uring_sendmsg(ngx_uint_t i, ngx_socket_t fd, struct msghdr *msg);

/*
 * Send the n messages queued (ids 0 .. n - 1) and wait for all of them:
 * res[i] is message i's result, bytes or -errno.  NGX_ERROR: the ring
 * failed (logged; the worker sends without it from then on), res[] of
 * the messages it did not take is -ECANCELED.
 */
ngx_int_t ngx_rtc_uring_submit(ngx_uint_t n, int *res, ngx_log_t *log);


#endif /* _NGX_RTC_URING_H_INCLUDED_ */
