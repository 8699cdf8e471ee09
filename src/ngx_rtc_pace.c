/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_pace.h"


void
ngx_rtc_pace_init(ngx_rtc_pace_t *p, size_t bytes, size_t key,
    ngx_msec_t span, ngx_msec_t now, uint32_t ts, ngx_uint_t clock)
{
    size_t  live, rate, budget;

    /*
     * While the backlog goes out the camera adds to it at the live rate:
     * sending bytes / T + live a ms empties it in T.  The session's
     * budget is 4 times the live rate (within RATE_MIN and RATE_MAX): a
     * larger backlog takes longer.  At least twice the live rate, so that
     * it always empties, and RATE_MIN.
     */

    live = span ? bytes / span : 0;

    budget = ngx_max(4 * live, NGX_RTC_PACE_RATE_MIN);
    budget = ngx_min(budget, NGX_RTC_PACE_RATE_MAX);

    rate = ngx_min(bytes / NGX_RTC_PACE_TIME + live, budget);
    rate = ngx_max(rate, NGX_RTC_PACE_RATE_MIN);
    rate = ngx_max(rate, 2 * live);

    p->start = now;
    p->last = now;
    p->rate = rate;
    /*
     * The keyframe goes at once, for the first picture: a burst no larger
     * than the camera's own keyframes, which the fan-out sends so
     */

    p->credit = (ssize_t) ngx_max(rate * NGX_RTC_PACE_TICK, key);
    p->clock = clock;
    p->ts_start = ts;
    p->ts_last = ts;
    p->frames = 0;
}


ssize_t
ngx_rtc_pace_credit(ngx_rtc_pace_t *p, ngx_msec_t now)
{
    ssize_t     max;
    ngx_msec_t  elapsed;

    elapsed = now - p->last;

    if ((ngx_msec_int_t) elapsed <= 0) {
        return p->credit;
    }

    p->last = now;

    /* no more than two ticks at once after a stall of the loop */

    max = (ssize_t) (p->rate * 2 * NGX_RTC_PACE_TICK);

    if (elapsed > 2 * NGX_RTC_PACE_TICK) {
        elapsed = 2 * NGX_RTC_PACE_TICK;
    }

    p->credit += (ssize_t) (p->rate * elapsed);

    if (p->credit > max) {
        p->credit = max;
    }

    return p->credit;
}


void
ngx_rtc_pace_spend(ngx_rtc_pace_t *p, size_t n)
{
    p->credit -= (ssize_t) n;
}


uint32_t
ngx_rtc_pace_ts(ngx_rtc_pace_t *p, ngx_msec_t now, size_t bytes)
{
    ssize_t   wait;
    uint32_t  ts;

    /*
     * The frames are stamped with the time they go out, on an RTP clock
     * that started at ts_start: played as they arrive, and the last one,
     * the live frame, stamped "now" as live frames are.  Frames sent in
     * the same millisecond are a tick apart: timestamps only grow.  A
     * frame larger than the credit is stamped with the time its last
     * bytes go: it arrives as its timestamp says, and the viewer's jitter
     * estimate does not grow with the pace.
     */

    wait = (ssize_t) bytes - ngx_max(p->credit, 0);

    if (wait > 0) {
        now += (ngx_msec_t) wait / p->rate;
    }

    ts = p->ts_start
         + (uint32_t) ((uint64_t) (now - p->start) * p->clock / 1000);

    if (p->frames && (int32_t) (ts - p->ts_last) <= 0) {
        ts = p->ts_last + 1;
    }

    p->ts_last = ts;
    p->frames++;

    return ts;
}


/*
 * At most one answered request every NGX_RTC_PACE_KEY_INTERVAL.  A
 * catch-up sends its keyframe first, at once: a request within
 * NGX_RTC_PACE_KEY_GUARD of its start was sent before the viewer could
 * have it, and the keyframe answers it; a later one says the keyframe was
 * lost (at a join, its first packets, which the viewer cannot NACK, as it
 * has not seen them), and the catch-up starts again rather than the
 * viewer waiting for its end or for the camera's next keyframe.  A
 * catch-up so started again runs to its end: a viewer whose link loses
 * keyframe after keyframe is not held in back-to-back catch-ups at the
 * paced rate, which would load the link that loses them.
 */

ngx_int_t
ngx_rtc_pace_key_request(ngx_rtc_pace_t *p, ngx_msec_t now, ngx_msec_t last,
    ngx_uint_t again)
{
    if ((ngx_msec_int_t) (now - last) < NGX_RTC_PACE_KEY_INTERVAL) {
        return NGX_DECLINED;
    }

    if (p == NULL) {
        return NGX_OK;
    }

    if (again
        || (ngx_msec_int_t) (now - p->start) < NGX_RTC_PACE_KEY_GUARD)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * At most max things in a window from the first: NGX_OK and counted, or
 * NGX_DECLINED.  A request ngx_rtc_pace_key_request() answers starts a
 * catch-up if the viewer's budget has one left (NGX_RTC_PACE_KEY_CATCHUPS
 * in NGX_RTC_PACE_KEY_WINDOW): each resends the ring from its newest
 * keyframe, up to 4 times the live rate, and a viewer asking twice a
 * second had ~15 Mbit/s of a 4 Mbit/s camera sent to it (~12,000 times
 * what it sent); beyond, the camera's next keyframe answers it.
 */

ngx_int_t
ngx_rtc_pace_budget(ngx_rtc_pace_budget_t *b, ngx_msec_t now, ngx_uint_t max,
    ngx_msec_t window)
{
    if (b->n == 0
        || (ngx_msec_int_t) (now - b->start) >= (ngx_msec_int_t) window)
    {
        b->start = now;
        b->n = 0;
    }

    if (b->n >= max) {
        return NGX_DECLINED;
    }

    b->n++;

    return NGX_OK;
}
