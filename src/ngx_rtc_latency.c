/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_latency.h"


/*
 * The send delay histogram (ngx_rtc_latency.h).  The worker that sends
 * counts into a histogram of its own process, with no lock on the send
 * path, and adds it to its slot's in the zone under the zone's mutex once
 * a second (ngx_rtc_stream.c's watchdog), when its last session is gone,
 * and when it exits: the old and the new worker of a slot during a reload
 * both add to it, and readers (ngx_rtc_shm_snapshot()) sum the slots
 * under the same mutex.
 */


const uint64_t  ngx_rtc_latency_bounds[NGX_RTC_LATENCY_BUCKETS - 1] = {
    250, 500, 1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000
};


static ngx_rtc_latency_sh_t  *ngx_rtc_latency_worker;
static ngx_shmtx_t           *ngx_rtc_latency_mutex;
static ngx_rtc_latency_t      ngx_rtc_latency_local;


void
ngx_rtc_latency_init_process(ngx_rtc_latency_sh_t *h, ngx_shmtx_t *mutex)
{
    ngx_rtc_latency_worker = h;
    ngx_rtc_latency_mutex = mutex;
    ngx_memzero(&ngx_rtc_latency_local, sizeof(ngx_rtc_latency_t));
}


void
ngx_rtc_latency_sent(int64_t arrival)
{
    int64_t             us;
    ngx_rtc_latency_t  *h;

    if (ngx_rtc_latency_worker == NULL || arrival <= 0) {
        return;
    }

    us = ngx_rtc_latency_now() - arrival;

    if (us < 0) {
        us = 0;
    }

    h = &ngx_rtc_latency_local;

    h->bucket[ngx_rtc_latency_bucket(us)]++;
    h->sum += us;
    h->count++;
}


void
ngx_rtc_latency_flush(void)
{
    ngx_uint_t             i;
    ngx_rtc_latency_t     *h;
    ngx_rtc_latency_sh_t  *sh;

    h = &ngx_rtc_latency_local;
    sh = ngx_rtc_latency_worker;

    if (sh == NULL || h->count == 0) {
        return;
    }

    ngx_shmtx_lock(ngx_rtc_latency_mutex);

    for (i = 0; i < NGX_RTC_LATENCY_BUCKETS; i++) {
        sh->bucket[i] += h->bucket[i];
    }

    sh->sum += h->sum;

    ngx_shmtx_unlock(ngx_rtc_latency_mutex);

    ngx_memzero(h, sizeof(ngx_rtc_latency_t));
}


ngx_uint_t
ngx_rtc_latency_bucket(int64_t us)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_RTC_LATENCY_BUCKETS - 1; i++) {
        if (us <= (int64_t) ngx_rtc_latency_bounds[i]) {
            break;
        }
    }

    return i;
}


void
ngx_rtc_latency_add(ngx_rtc_latency_t *sum, ngx_rtc_latency_sh_t *h)
{
    uint64_t    n;
    ngx_uint_t  i;

    for (i = 0; i < NGX_RTC_LATENCY_BUCKETS; i++) {
        n = h->bucket[i];
        sum->bucket[i] += n;
        sum->count += n;
    }

    sum->sum += h->sum;
}


uint64_t
ngx_rtc_latency_quantile(ngx_rtc_latency_t *h, ngx_uint_t permille)
{
    uint64_t    rank, below, lower, upper, n;
    ngx_uint_t  i;

    if (h->count == 0) {
        return 0;
    }

    /* the rank, times 1000: the sample at permille of count */

    rank = (uint64_t) ngx_min(permille, 1000) * h->count;
    below = 0;
    lower = 0;

    for (i = 0; i < NGX_RTC_LATENCY_BUCKETS; i++) {
        n = h->bucket[i] * 1000;

        if (i == NGX_RTC_LATENCY_BUCKETS - 1) {
            return lower;
        }

        upper = ngx_rtc_latency_bounds[i];

        if (n && below + n >= rank) {
            return lower + (uint64_t) ((double) (upper - lower)
                                       * (double) (rank - below) / n);
        }

        below += n;
        lower = upper;
    }

    return lower;
}
