/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_latency.h"


/*
 * The send delay histogram (ngx_rtc_latency.h).  The worker that sends
 * counts into its own slot's histogram with atomic adds: no lock on the
 * send path, and the old and the new worker of a slot during a reload
 * both count right.  Readers add the slots up without the lock; a reader
 * may see a sample in its bucket and not yet in the sum, never a count
 * that disagrees with the buckets (the count is their sum).
 */


const uint64_t  ngx_rtc_latency_bounds[NGX_RTC_LATENCY_BUCKETS - 1] = {
    250, 500, 1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000
};


static ngx_rtc_latency_sh_t  *ngx_rtc_latency_worker;


void
ngx_rtc_latency_init_process(ngx_rtc_latency_sh_t *h)
{
    ngx_rtc_latency_worker = h;
}


void
ngx_rtc_latency_sent(int64_t arrival)
{
    int64_t                us;
    ngx_rtc_latency_sh_t  *h;

    h = ngx_rtc_latency_worker;

    if (h == NULL || arrival <= 0) {
        return;
    }

    us = ngx_rtc_latency_now() - arrival;

    if (us < 0) {
        us = 0;
    }

    (void) ngx_atomic_fetch_add(&h->bucket[ngx_rtc_latency_bucket(us)], 1);
    (void) ngx_atomic_fetch_add(&h->sum, (ngx_atomic_int_t) us);
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
