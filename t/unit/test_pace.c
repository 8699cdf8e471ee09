/*
 * Copyright (C) nginx-rtc authors
 *
 * The catch-up's pace: its rate within the budget, the credit refilled
 * tick by tick and bounded, the compressed timestamps, and when a
 * keyframe request starts a catch-up.
 */

/* unit-deps: src/ngx_rtc_pace.c */

#include "ngx_rtc_unit.h"

#include "ngx_rtc_pace.h"


/* bytes a simulated catch-up sends, tick by tick, until done */

static ngx_msec_t
test_drain(ngx_rtc_pace_t *p, size_t backlog, size_t live, size_t *burst)
{
    ssize_t     c;
    ngx_msec_t  now;

    now = p->start;
    *burst = 0;

    while (now - p->start < 60000) {
        c = ngx_rtc_pace_credit(p, now);

        if (c > 0) {
            if ((size_t) c > *burst) {
                *burst = (size_t) c;
            }

            if ((size_t) c >= backlog) {
                /* at the live edge */
                break;
            }

            ngx_rtc_pace_spend(p, (size_t) c);
            backlog -= (size_t) c;
        }

        now += NGX_RTC_PACE_TICK;
        backlog += live * NGX_RTC_PACE_TICK;
    }

    return now - p->start;
}


static void
test_rate(void)
{
    size_t          burst;
    ngx_msec_t      ms;
    ngx_rtc_pace_t  p;

    /* 1 Mbit/s, 2.5 s behind: 312 KB at the minimum rate, 5 Mbit/s */

    ngx_rtc_pace_init(&p, 312500, 0, 2500, 1000, 0, 90000);
    NGX_RTC_CHECK(p.rate == NGX_RTC_PACE_RATE_MIN);
    NGX_RTC_CHECK(p.credit == (ssize_t) (p.rate * NGX_RTC_PACE_TICK));

    ms = test_drain(&p, 312500, 125, &burst);
    NGX_RTC_CHECK(ms >= 600 && ms <= 650);
    NGX_RTC_CHECK(burst <= 2 * NGX_RTC_PACE_TICK * p.rate);

    /* 4 Mbit/s, 2 s behind: 1 MB at the budget, 4 x live */

    ngx_rtc_pace_init(&p, 1000000, 0, 2000, 0, 0, 90000);
    NGX_RTC_CHECK(p.rate == 2000);

    ms = test_drain(&p, 1000000, 500, &burst);
    NGX_RTC_CHECK(ms >= 650 && ms <= 700);

    /* 8 Mbit/s, 4 s: the budget's ceiling */

    ngx_rtc_pace_init(&p, 4000000, 0, 4000, 0, 0, 90000);
    NGX_RTC_CHECK(p.rate == NGX_RTC_PACE_RATE_MAX);

    /* 60 Mbit/s: twice the live rate, over the ceiling, still empties */

    ngx_rtc_pace_init(&p, 7500000, 0, 1000, 0, 0, 90000);
    NGX_RTC_CHECK(p.rate == 15000);

    ms = test_drain(&p, 7500000, 7500, &burst);
    NGX_RTC_CHECK(ms < 60000);

    /* a keyframe alone, no span: it goes at once */

    ngx_rtc_pace_init(&p, 40000, 40000, 0, 0, 0, 90000);
    NGX_RTC_CHECK(p.rate == NGX_RTC_PACE_RATE_MIN);
    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 0) == 40000);

    /* a keyframe first: at once too, the rest at the rate */

    ngx_rtc_pace_init(&p, 312500, 30000, 2500, 0, 0, 90000);
    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 0) == 30000);
    ngx_rtc_pace_spend(&p, 30000);
    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5) == 5 * 625);

    /* nothing at all */

    ngx_rtc_pace_init(&p, 0, 0, 0, 0, 0, 90000);
    NGX_RTC_CHECK(p.rate == NGX_RTC_PACE_RATE_MIN);
}


static void
test_credit(void)
{
    ngx_rtc_pace_t  p;

    ngx_rtc_pace_init(&p, 312500, 0, 2500, 5000, 0, 90000);

    /* the first tick's worth at once */

    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5000) == 625 * 5);

    ngx_rtc_pace_spend(&p, 3000);
    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5000) == 125);

    /* a tick later: one tick more */

    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5005) == 125 + 3125);

    /* a packet may overdraw: the next tick pays */

    ngx_rtc_pace_spend(&p, 4000);
    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5005) == -750);
    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5010) == -750 + 3125);

    /* after a stall of the loop no more than two ticks */

    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 6000) == 2 * 3125);

    /* the clock going back changes nothing */

    NGX_RTC_CHECK(ngx_rtc_pace_credit(&p, 5900) == 2 * 3125);
}


static void
test_ts(void)
{
    uint32_t        ts, prev;
    ngx_uint_t      i;
    ngx_rtc_pace_t  p;

    /* the keyframe gets the start timestamp, across the 32-bit wrap */

    ngx_rtc_pace_init(&p, 312500, 0, 2500, 1000, 0xffffff00, 90000);

    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 1000, 0) == 0xffffff00);

    /* frames sent in the same ms: a tick apart */

    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 1000, 0) == 0xffffff01);
    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 1000, 0) == 0xffffff02);

    /* later ones: the time they go, on the 90 kHz clock */

    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 1010, 0) == 0xffffff00 + 900);
    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 1100, 0)
                  == (uint32_t) (0xffffff00 + 9000));

    /*
     * 75 frames of a 25 fps camera (3 s) sent over 250 ms: ~22500, not
     * 75 x 3600; they only grow
     */

    ngx_rtc_pace_init(&p, 312500, 0, 3000, 0, 1234, 90000);
    prev = 0;

    for (i = 0; i < 75; i++) {
        ts = ngx_rtc_pace_ts(&p, (ngx_msec_t) (i * 250 / 75), 0);

        if (i) {
            NGX_RTC_CHECK((int32_t) (ts - prev) > 0);
        }

        prev = ts;
    }

    NGX_RTC_CHECK(prev - 1234 <= 250 * 90);
    NGX_RTC_CHECK(p.frames == 75);

    /*
     * a frame larger than the credit: stamped when its last bytes go,
     * 6250 bytes over the credit at 625 a ms, 10 ms later
     */

    ngx_rtc_pace_init(&p, 312500, 0, 2500, 0, 0, 90000);
    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 0, 3125 + 6250) == 900);
    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 5, 100) == 901);

    /* audio clocks too */

    ngx_rtc_pace_init(&p, 1000, 0, 100, 0, 0, 48000);
    (void) ngx_rtc_pace_ts(&p, 0, 0);
    NGX_RTC_CHECK(ngx_rtc_pace_ts(&p, 20, 0) == 960);
}


/* the catch-ups a viewer's requests may start: two in ten seconds */

#define KB(t)                                                                 \
    ngx_rtc_pace_budget(&k, t, NGX_RTC_PACE_KEY_CATCHUPS,                     \
                        NGX_RTC_PACE_KEY_WINDOW)


static void
test_key_budget(void)
{
    ngx_msec_t             t;
    ngx_rtc_pace_budget_t  k;

    ngx_memzero(&k, sizeof(ngx_rtc_pace_budget_t));

    t = 50000;

    NGX_RTC_CHECK(KB(t) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 500) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 1000) == NGX_DECLINED);
    NGX_RTC_CHECK(KB(t + NGX_RTC_PACE_KEY_WINDOW - 1) == NGX_DECLINED);

    /* a new window from the first request after the last one ended */
    t += NGX_RTC_PACE_KEY_WINDOW;
    NGX_RTC_CHECK(KB(t) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 20000) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 20001) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 20002) == NGX_DECLINED);

    /* the millisecond clock wraps */
    ngx_memzero(&k, sizeof(ngx_rtc_pace_budget_t));
    t = (ngx_msec_t) -100;
    NGX_RTC_CHECK(KB(t) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 200) == NGX_OK);
    NGX_RTC_CHECK(KB(t + 300) == NGX_DECLINED);
    NGX_RTC_CHECK(KB(t + NGX_RTC_PACE_KEY_WINDOW) == NGX_OK);
}


/* PLI/FIR: when they start a catch-up */

static void
test_key_request(void)
{
    ngx_msec_t      join, last;
    ngx_rtc_pace_t  p;

    ngx_memzero(&p, sizeof(ngx_rtc_pace_t));

    /* a join at 10000: its catch-up does not count against the limit */

    join = 10000;
    last = join - NGX_RTC_PACE_KEY_INTERVAL;
    p.start = join;

    /* sent before the viewer could have the keyframe: it answers it */
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, join, last, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, join + 49, last, 0)
                  == NGX_DECLINED);

    /* later: the keyframe was lost, the catch-up starts again */
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, join + 50, last, 0)
                  == NGX_OK);

    /* ... once: that one runs to its end */
    last = join + 120;
    p.start = last;

    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, last + 300, last, 1)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, last + 900, last, 1)
                  == NGX_DECLINED);

    /* no catch-up: one every 500 ms */
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(NULL, last + 499, last, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(NULL, last + 500, last, 0)
                  == NGX_OK);

    /* after the join, with no catch-up (none to make): at once */
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(NULL, join,
                                           join - NGX_RTC_PACE_KEY_INTERVAL,
                                           0)
                  == NGX_OK);

    /* a catch-up a request started, not over another: the same rules */
    p.start = last;
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, last + 499, last, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(&p, last + 500, last, 0)
                  == NGX_OK);

    /* the millisecond clock wraps */
    last = (ngx_msec_t) -100;
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(NULL, last + 200, last, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_pace_key_request(NULL, last + 600, last, 0)
                  == NGX_OK);
}


int
main(void)
{
    test_rate();
    test_credit();
    test_ts();
    test_key_request();
    test_key_budget();

    return NGX_RTC_UNIT_DONE();
}
