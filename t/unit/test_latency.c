/*
 * Copyright (C) nginx-rtc authors
 *
 * The send delay histogram: the bucket of a delay (bounds inclusive, the
 * last bucket +Inf), the samples counted by ngx_rtc_latency_sent() in
 * the process and added to the worker's histogram by
 * ngx_rtc_latency_flush() under the zone's mutex, the sum over workers,
 * and quantiles interpolated within a bucket.
 */

/* unit-deps: src/ngx_rtc_latency.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_latency.h"


static ngx_uint_t  test_locked;
static ngx_uint_t  test_locks;


/* the zone's mutex, as the flush takes it */

void
ngx_shmtx_lock(ngx_shmtx_t *mtx)
{
    NGX_RTC_CHECK(!test_locked);
    test_locked = 1;
    test_locks++;
}


void
ngx_shmtx_unlock(ngx_shmtx_t *mtx)
{
    NGX_RTC_CHECK(test_locked);
    test_locked = 0;
}


static void
test_bucket(void)
{
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(0) == 0);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(-5) == 0);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(250) == 0);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(251) == 1);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(1000) == 2);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(1999) == 3);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(2000) == 3);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(250000) == 9);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(250001) == 10);
    NGX_RTC_CHECK(ngx_rtc_latency_bucket(INT64_MAX)
                  == NGX_RTC_LATENCY_BUCKETS - 1);
}


static void
test_sent(void)
{
    int64_t               now;
    ngx_uint_t            i, n;
    ngx_rtc_latency_t     sum;
    ngx_shmtx_t           mutex;
    ngx_rtc_latency_sh_t  h, g;

    ngx_memzero(&h, sizeof(h));
    ngx_memzero(&g, sizeof(g));

    /* before the worker has a slot: nothing, and no crash */

    ngx_rtc_latency_sent(ngx_rtc_latency_now());
    ngx_rtc_latency_flush();
    NGX_RTC_CHECK(test_locks == 0);

    ngx_rtc_latency_init_process(&h, &mutex);

    now = ngx_rtc_latency_now();
    NGX_RTC_CHECK(now > 0);

    ngx_rtc_latency_sent(now);              /* well under 250 us */
    ngx_rtc_latency_sent(now - 3000000);    /* 3 s: +Inf */
    ngx_rtc_latency_sent(0);                /* no arrival: not counted */
    ngx_rtc_latency_sent(now + 1000000);    /* in the future: 0 */

    /* counted in the process: the zone's histogram moves at the flush */

    for (i = 0, n = 0; i < NGX_RTC_LATENCY_BUCKETS; i++) {
        n += h.bucket[i];
    }

    NGX_RTC_CHECK(n == 0 && h.sum == 0);

    ngx_rtc_latency_flush();
    NGX_RTC_CHECK(test_locks == 1 && !test_locked);

    for (i = 0, n = 0; i < NGX_RTC_LATENCY_BUCKETS; i++) {
        n += h.bucket[i];
    }

    NGX_RTC_CHECK(n == 3);
    NGX_RTC_CHECK(h.bucket[0] == 2);
    NGX_RTC_CHECK(h.bucket[NGX_RTC_LATENCY_BUCKETS - 1] == 1);
    NGX_RTC_CHECK(h.sum >= 3000000 && h.sum < 3100000);

    /* nothing new: no lock; more: added to what the slot has */

    ngx_rtc_latency_flush();
    NGX_RTC_CHECK(test_locks == 1);

    ngx_rtc_latency_sent(now - 3000000);
    ngx_rtc_latency_flush();
    NGX_RTC_CHECK(test_locks == 2);
    NGX_RTC_CHECK(h.bucket[NGX_RTC_LATENCY_BUCKETS - 1] == 2);
    NGX_RTC_CHECK(h.sum >= 6000000 && h.sum < 6200000);
    h.bucket[NGX_RTC_LATENCY_BUCKETS - 1] = 1;
    h.sum -= 3000000;

    /* two workers add up */

    g.bucket[3] = 5;
    g.sum = 5 * 1500;

    ngx_memzero(&sum, sizeof(sum));
    ngx_rtc_latency_add(&sum, &h);
    ngx_rtc_latency_add(&sum, &g);

    NGX_RTC_CHECK(sum.count == 8);
    NGX_RTC_CHECK(sum.bucket[0] == 2 && sum.bucket[3] == 5);
    NGX_RTC_CHECK(sum.sum == h.sum + 7500);

    ngx_rtc_latency_init_process(NULL, NULL);
}


static void
test_quantile(void)
{
    ngx_rtc_latency_t  h;

    ngx_memzero(&h, sizeof(h));

    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 500) == 0);

    /* 100 samples in (1, 2] ms: p50 halfway, p99 near the top */

    h.bucket[3] = 100;
    h.count = 100;

    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 500) == 1500);
    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 990) == 1990);
    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 1000) == 2000);
    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 0) == 1000);

    /* 90 in [0, 250] us, 10 in (5, 10] ms */

    ngx_memzero(&h, sizeof(h));
    h.bucket[0] = 90;
    h.bucket[5] = 10;
    h.count = 100;

    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 450) == 125);
    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 900) == 250);
    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 950) == 7500);
    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 990) == 9500);

    /* in +Inf: the highest finite bound */

    ngx_memzero(&h, sizeof(h));
    h.bucket[0] = 1;
    h.bucket[NGX_RTC_LATENCY_BUCKETS - 1] = 99;
    h.count = 100;

    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 500) == 250000);

    /* a huge count does not overflow the interpolation */

    ngx_memzero(&h, sizeof(h));
    h.bucket[9] = (uint64_t) 1 << 50;
    h.count = h.bucket[9];

    NGX_RTC_CHECK(ngx_rtc_latency_quantile(&h, 500) == 175000);
}


int
main(void)
{
    test_bucket();
    test_sent();
    test_quantile();

    return NGX_RTC_UNIT_DONE();
}
