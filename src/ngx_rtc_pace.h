/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_PACE_H_INCLUDED_
#define _NGX_RTC_PACE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The pace of a catch-up (pure): a viewer that joins, or asks for a
 * keyframe, gets the frames from the newest keyframe to the live edge
 * faster than real time but not at once, at a byte rate that brings it to
 * the live edge in about NGX_RTC_PACE_TIME, within the session's budget
 * (a few times the live rate: a large backlog takes longer);
 * and their RTP timestamps compressed to the times they are sent, so that
 * the viewer plays them as they come and is at the live edge when the
 * catch-up ends, with an RTP clock still running at the wall clock's pace.
 */

#define NGX_RTC_PACE_TIME       150     /* ms to reach the live edge */
#define NGX_RTC_PACE_TICK       5       /* ms between two sends */

/* keyframe requests: see ngx_rtc_pace_key_request() */
#define NGX_RTC_PACE_KEY_INTERVAL  500  /* ms between two answered */
#define NGX_RTC_PACE_KEY_GUARD     50   /* ms after a catch-up's start */
#define NGX_RTC_PACE_KEY_CATCHUPS  2    /* a viewer's, in a window of */
#define NGX_RTC_PACE_KEY_WINDOW    10000    /* ms */

/* bytes per ms: 5 Mbit/s at least, 30 Mbit/s at most */
#define NGX_RTC_PACE_RATE_MIN   625
#define NGX_RTC_PACE_RATE_MAX   3750


typedef struct {
    ngx_msec_t                start;
    ngx_msec_t                last;       /* of the last credit */
    size_t                    rate;       /* bytes per ms */
    ssize_t                   credit;     /* bytes that may go now */
    ngx_uint_t                clock;      /* RTP units per second */
    uint32_t                  ts_start;   /* the RTP timestamp at start */
    uint32_t                  ts_last;    /* of the last frame */
    ngx_uint_t                frames;
} ngx_rtc_pace_t;


/*
 * bytes: the backlog, from the keyframe to the live edge; key: the
 * keyframe's bytes, which go at once as a live keyframe does; span: the
 * media time the backlog covers (ms); ts: the RTP timestamp its first
 * frame gets
 */
void ngx_rtc_pace_init(ngx_rtc_pace_t *p, size_t bytes, size_t key,
    ngx_msec_t span, ngx_msec_t now, uint32_t ts, ngx_uint_t clock);

/* the bytes that may go now (refilled at the rate, at most two ticks) */
ssize_t ngx_rtc_pace_credit(ngx_rtc_pace_t *p, ngx_msec_t now);

void ngx_rtc_pace_spend(ngx_rtc_pace_t *p, size_t n);

/*
 * the RTP timestamp of the next frame, of bytes, whose sending starts now:
 * the time its last byte goes at the pace, compressed, increasing
 */
uint32_t ngx_rtc_pace_ts(ngx_rtc_pace_t *p, ngx_msec_t now, size_t bytes);


/*
 * A keyframe request (PLI, FIR) at now: NGX_OK when it starts a catch-up
 * (the one in progress, if any, ends), NGX_DECLINED when it is let be.
 * last: when a request last started one (a join's catch-up does not
 * count); p: the catch-up in progress, if any; again: that one was
 * started by a request over another.
 */
ngx_int_t ngx_rtc_pace_key_request(ngx_rtc_pace_t *p, ngx_msec_t now,
    ngx_msec_t last, ngx_uint_t again);


/* what a viewer started in a window: catch-ups, ICE restarts */
typedef struct {
    ngx_msec_t                start;
    ngx_uint_t                n;
} ngx_rtc_pace_budget_t;


ngx_int_t ngx_rtc_pace_budget(ngx_rtc_pace_budget_t *b, ngx_msec_t now,
    ngx_uint_t max, ngx_msec_t window);


#endif /* _NGX_RTC_PACE_H_INCLUDED_ */
