/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SLOT_H_INCLUDED_
#define _NGX_RTC_SLOT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_latency.h"


/*
 * The streams a slot's pending set can name: NGX_RTC_MAX_STREAMS (the
 * zone's stream table), one bit each.
 */
#define NGX_RTC_SLOT_STREAMS     1024
#define NGX_RTC_SLOT_BITS        (8 * sizeof(ngx_atomic_uint_t))
#define NGX_RTC_SLOT_WORDS       (NGX_RTC_SLOT_STREAMS / NGX_RTC_SLOT_BITS)


/*
 * A worker slot (ngx_worker) in the zone: which process runs it now, of
 * which configuration generation, and its wake-up flag.  The old and the
 * new worker of a slot share the entry across a reload, but each has its
 * own eventfd: the flag names the generation that raised it, so a flag
 * raised for a worker that is gone never silences the new one.
 *
 * A process is named by its pid and its start time (the kernel's, in
 * clock ticks since boot): a pid the kernel gave to another process since
 * is not taken for the worker.
 *
 * The pending set: the streams (by their index in the zone's table) that
 * have frames this slot's worker has not looked at.  A producer marks
 * the stream before it raises the flag; the worker clears the flag before
 * it takes the set, so a mark is always taken by a wake-up: the one that
 * follows it, or one already under way.  A wake-up costs the streams that
 * have new frames, not all the streams the worker knows.
 */

typedef struct {
    ngx_atomic_t              wake;       /* 0, or the generation woken */
    ngx_atomic_t              generation; /* of the worker in the slot */
    ngx_pid_t                 pid;
    uint64_t                  start;      /* 0: unknown */
    ngx_atomic_t              deletes;    /* its sessions flagged to close */
    ngx_rtc_latency_sh_t      latency;    /* its send delay histogram */
    ngx_atomic_t              pending[NGX_RTC_SLOT_WORDS];
} ngx_rtc_slot_sh_t;


ngx_int_t ngx_rtc_slot_parse_stat(u_char *p, u_char *last, u_char *state,
    uint64_t *start);
uint64_t ngx_rtc_slot_start(ngx_pid_t pid);
ngx_uint_t ngx_rtc_slot_alive(ngx_pid_t pid, uint64_t start);

void ngx_rtc_slot_enter(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen,
    ngx_pid_t pid, uint64_t start);
ngx_int_t ngx_rtc_slot_signal(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen);
ngx_uint_t ngx_rtc_slot_clear(ngx_rtc_slot_sh_t *sl, ngx_atomic_uint_t gen);
void ngx_rtc_slot_mark(ngx_rtc_slot_sh_t *sl, ngx_uint_t stream);
ngx_atomic_uint_t ngx_rtc_slot_take(ngx_rtc_slot_sh_t *sl, ngx_uint_t word);


#endif /* _NGX_RTC_SLOT_H_INCLUDED_ */
