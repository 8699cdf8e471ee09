/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_LATENCY_H_INCLUDED_
#define _NGX_RTC_LATENCY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <time.h>


/*
 * The send delay: from a frame's arrival in the ring (its producer wrote
 * it) to the moment the last of its SRTP packets for one viewer was handed
 * to the kernel, once per viewer and live frame, in a histogram of fixed
 * buckets per worker slot in the zone.  The bounds, in microseconds, are
 * those of ngx_rtc_latency_bounds[]; the last bucket is +Inf.
 */

#define NGX_RTC_LATENCY_BUCKETS  11


/* in the zone, a worker slot's: changed and read under the zone's mutex */

typedef struct {
    uint64_t                  bucket[NGX_RTC_LATENCY_BUCKETS];
    uint64_t                  sum;        /* microseconds */
} ngx_rtc_latency_sh_t;


/* a sum over the workers, in process memory (status, metrics) */

typedef struct {
    uint64_t                  bucket[NGX_RTC_LATENCY_BUCKETS];
    uint64_t                  sum;        /* microseconds */
    uint64_t                  count;
} ngx_rtc_latency_t;


/* the upper bounds of the finite buckets, microseconds */
extern const uint64_t  ngx_rtc_latency_bounds[NGX_RTC_LATENCY_BUCKETS - 1];


/* the delay's clock: monotonic, microseconds, one for all processes */

static ngx_inline int64_t
ngx_rtc_latency_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/* h: this worker's slot's histogram, mutex: the zone's */
void ngx_rtc_latency_init_process(ngx_rtc_latency_sh_t *h,
    ngx_shmtx_t *mutex);

/*
 * a viewer's packets of the frame that arrived at "arrival" went out now:
 * counted in the process, no lock
 */
void ngx_rtc_latency_sent(int64_t arrival);

/* what the process counted since, added to its slot under the mutex */
void ngx_rtc_latency_flush(void);

/* pure: the bucket of a delay of us microseconds */
ngx_uint_t ngx_rtc_latency_bucket(int64_t us);

/*
 * adds a worker's histogram into sum (the caller holds the mutex); count
 * is that of its buckets
 */
void ngx_rtc_latency_add(ngx_rtc_latency_t *sum, ngx_rtc_latency_sh_t *h);

/*
 * pure: the q-quantile (permille, 0..1000) in microseconds, interpolated
 * linearly within its bucket; the +Inf bucket gives the highest finite
 * bound; 0 with no samples
 */
uint64_t ngx_rtc_latency_quantile(ngx_rtc_latency_t *h, ngx_uint_t permille);


#endif /* _NGX_RTC_LATENCY_H_INCLUDED_ */
