/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_STREAM_H_INCLUDED_
#define _NGX_RTC_STREAM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>


/* FU headers: 2 bytes (H.264 FU-A), 3 (H.265 FU) */
#define NGX_RTC_MAX_PACKETS  (NGX_RTC_MAX_FRAME / (NGX_RTC_MTU - 3) + 8)


/*
 * A packetized frame: RTP payloads, without RTP headers; a video access
 * unit, or one audio frame in one payload.  No payloads: nothing to send.
 */

typedef struct {
    ngx_rtc_frame_t           frame;
    ngx_uint_t                npkts;
    size_t                    len[NGX_RTC_MAX_PACKETS];
    u_char                   *data;       /* npkts * NGX_RTC_MTU bytes */
} ngx_rtc_packets_t;


/*
 * The fan-out's budget: viewer-packets one run of a stream's fan-out
 * sends before it yields (rtc_fanout_budget); a session's frame is never
 * split, so a run may pass it by one frame.
 */
#define NGX_RTC_STREAM_BUDGET    1024


/* a worker's view of one stream: its local viewers and ring cursor */

struct ngx_rtc_stream_s {
    ngx_rtc_stream_conf_t    *conf;
    ngx_rtc_stream_sh_t      *sh;
    ngx_rtc_ring_sh_t        *ring;
    uint64_t                  incarnation;    /* sh's when ring was read */
    ngx_queue_t               sessions;
    ngx_uint_t                nsessions;

    /* in the worker's streams with sessions, while it has some */
    ngx_queue_t               watched;

    /* sessions that take media (DTLS done, not closing): the fan-out's */
    ngx_queue_t               active;
    ngx_uint_t                nactive;

    /*
     * the fan-out, a posted event; a frame in progress is fan_seq, and
     * fan_next the next active session to get it (NULL: none)
     */
    ngx_event_t               fan_ev;
    ngx_queue_t              *fan_next;
    uint64_t                  fan_seq;

    uint64_t                  cursor;     /* next seq to fan out */
    ngx_msec_t                skip_logged;
    ngx_uint_t                skipped;    /* since skip_logged */
};


/*
 * A break in a stream's video longer than this (an on-demand stream gone
 * idle, a camera that dropped off) makes what the ring holds from before
 * it history: no viewer's catch-up, no snapshot starts from it.
 */
#define NGX_RTC_STREAM_LIVE_GAP  2000    /* ms */


ngx_int_t ngx_rtc_stream_init_process(ngx_cycle_t *cycle);
void ngx_rtc_stream_exit_process(ngx_cycle_t *cycle);
ngx_rtc_stream_t *ngx_rtc_stream_find(ngx_str_t *name);
ngx_rtc_stream_t *ngx_rtc_stream_next(ngx_uint_t i);
ngx_rtc_stream_t *ngx_rtc_stream_add(ngx_rtc_stream_conf_t *conf);
void ngx_rtc_stream_attach(ngx_rtc_stream_t *st, ngx_rtc_session_t *s);
void ngx_rtc_stream_detach(ngx_rtc_stream_t *st, ngx_rtc_session_t *s);
void ngx_rtc_stream_activate(ngx_rtc_stream_t *st, ngx_rtc_session_t *s);
void ngx_rtc_stream_deactivate(ngx_rtc_stream_t *st, ngx_rtc_session_t *s);
ngx_rtc_packets_t *ngx_rtc_stream_packets(ngx_rtc_stream_t *st, uint64_t seq);
ngx_int_t ngx_rtc_stream_profile(ngx_rtc_stream_t *st);
uint64_t ngx_rtc_stream_live_key(ngx_rtc_stream_t *st, uint64_t end);
ngx_rtc_session_t *ngx_rtc_stream_session(u_char *id);
void ngx_rtc_stream_exiting(void);


#endif /* _NGX_RTC_STREAM_H_INCLUDED_ */
