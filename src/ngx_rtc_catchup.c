/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_rtc.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_pace.h>
#include <ngx_rtc_catchup.h>


static void ngx_rtc_catchup_handler(ngx_event_t *ev);
static void ngx_rtc_catchup_send(ngx_rtc_session_t *s);
static void ngx_rtc_catchup_done(ngx_rtc_session_t *s);


void
ngx_rtc_catchup_start(ngx_rtc_session_t *s)
{
    size_t                    key_bytes;
    int64_t                   first, last;
    uint32_t                  ts, key_ts;
    uint64_t                  seq, key;
    ngx_msec_t                span;
    ngx_event_t              *ev;
    ngx_rtc_frame_t           f;
    ngx_rtc_stream_t         *st;
    ngx_rtc_session_track_t  *t;

    st = s->stream;
    t = &s->video;

    key = ngx_rtc_stream_live_key(st, st->cursor);

    if (key == 0) {
        /*
         * no keyframe behind the fan-out, or pictures from before a break
         * (ngx_rtc_stream_live_key()): the next keyframe comes live
         */
        s->wait_key = 1;
        return;
    }

    /* the backlog: its bytes and the media time it covers */

    s->catchup_bytes = 0;
    first = -1;
    last = -1;
    key_ts = 0;
    key_bytes = 0;

    for (seq = key; seq < st->cursor; seq++) {

        if (ngx_rtc_ring_peek(st->ring, seq, &f) != NGX_OK) {
            /* overwritten meanwhile: ngx_rtc_catchup_send() will see */
            break;
        }

        if (f.track != NGX_RTC_TRACK_VIDEO) {
            continue;
        }

        if (first < 0) {
            first = f.capture;
            key_ts = f.rtp_ts;
            key_bytes = f.len;
        }

        last = f.capture;
        s->catchup_bytes += f.len;
    }

    span = (first >= 0 && last > first) ? (ngx_msec_t) ((last - first) / 1000)
                                        : 0;

    /*
     * A new viewer's clock starts at the keyframe's timestamp; after a
     * keyframe request the frames go again after those already sent.
     */

    ts = t->packets ? t->last_ts + NGX_RTC_SESSION_TS_STEP
                    : key_ts + t->ts_offset;

    ngx_rtc_pace_init(&s->pace, s->catchup_bytes, key_bytes, span,
                      ngx_current_msec, ts, t->clock);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, &s->log, 0,
                   "rtc catchup: %uL frames, %uz bytes over %M ms, "
                   "%uz bytes/ms", st->cursor - key, s->catchup_bytes, span,
                   s->pace.rate);

    s->wait_key = 0;
    s->rebase = 0;
    s->catching_up = 1;
    s->catchup_seq = key;
    s->catchup_pkt = 0;

    ev = &s->catchup_ev;
    ev->handler = ngx_rtc_catchup_handler;
    ev->data = s;
    ev->log = &s->log;
    ev->cancelable = 1;

    /* the keyframe's first bytes go at once */

    ngx_rtc_catchup_send(s);
}


void
ngx_rtc_catchup_stop(ngx_rtc_session_t *s)
{
    if (s->catchup_ev.timer_set) {
        ngx_del_timer(&s->catchup_ev);
    }

    s->catching_up = 0;
}


static void
ngx_rtc_catchup_handler(ngx_event_t *ev)
{
    ngx_rtc_session_t *s = ev->data;

    ngx_rtc_catchup_send(s);
}


/*
 * What the credit allows: whole packets, a frame possibly split across
 * ticks (it is read and packetized again, or found in the worker's
 * buffer); frames the fan-out passed meanwhile follow, up to its cursor.
 */

static void
ngx_rtc_catchup_send(ngx_rtc_session_t *s)
{
    ngx_int_t           rc;
    ngx_uint_t          i;
    ngx_rtc_stream_t   *st;
    ngx_rtc_packets_t  *pk;

    st = s->stream;

    (void) ngx_rtc_pace_credit(&s->pace, ngx_current_msec);

    while (s->pace.credit > 0) {

        if (s->closing || s->state != NGX_RTC_SESSION_MEDIA) {
            ngx_rtc_catchup_stop(s);
            return;
        }

        if (s->catchup_seq >= st->cursor) {
            ngx_rtc_catchup_done(s);
            return;
        }

        pk = ngx_rtc_stream_packets(st, s->catchup_seq);

        if (pk == NULL) {

            /* overwritten (or unreadable): on from the next keyframe */

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &s->log, 0,
                           "rtc catchup: frame %uL is gone, waiting for "
                           "a keyframe", s->catchup_seq);

            ngx_rtc_catchup_stop(s);
            s->wait_key = 1;
            s->rebase = (s->video.packets != 0);
            return;
        }

        if (pk->frame.track != NGX_RTC_TRACK_VIDEO || pk->npkts == 0) {
            s->catchup_seq++;
            s->catchup_pkt = 0;
            continue;
        }

        if (s->catchup_pkt == 0) {
            s->catchup_ts = ngx_rtc_pace_ts(&s->pace, ngx_current_msec,
                                            pk->npkts * 12 + pk->frame.len);
        }

        while (s->catchup_pkt < pk->npkts && s->pace.credit > 0) {
            i = s->catchup_pkt++;

            rc = ngx_rtc_session_send_packet(s, pk, i, s->catchup_ts);

            ngx_rtc_pace_spend(&s->pace, 12 + pk->len[i]);

            if (rc == NGX_AGAIN) {
                /* the socket is full: the rest waits for the next tick */
                s->send.drops++;
                s->pace.credit = 0;
            }
        }

        /* the frame's packets sent so far go out together */

        if (ngx_rtc_send_flush(&s->send, 0) == NGX_AGAIN) {
            s->pace.credit = 0;
        }

        if (s->catchup_pkt == pk->npkts) {
            s->video.last_ts = s->catchup_ts;
            s->video.last_capture = pk->frame.capture;
            s->catchup_rtp_ts = pk->frame.rtp_ts;
            s->catchup_seq++;
            s->catchup_pkt = 0;
        }
    }

    if (s->catchup_seq >= st->cursor && s->catchup_pkt == 0) {
        ngx_rtc_catchup_done(s);
        return;
    }

    ngx_add_timer(&s->catchup_ev, NGX_RTC_PACE_TICK);
}


/*
 * At the live edge: the fan-out's frames follow with the timestamps of
 * the last one sent, their spacing as the camera made it.
 */

static void
ngx_rtc_catchup_done(ngx_rtc_session_t *s)
{
    ngx_rtc_catchup_stop(s);

    s->video.ts_offset = s->video.last_ts - s->catchup_rtp_ts;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, &s->log, 0,
                   "rtc catchup done: %ui frames, %uz bytes in %M ms",
                   s->pace.frames, s->catchup_bytes,
                   ngx_current_msec - s->pace.start);

    /* the INFO line tests and benchmarks read */

    ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                  "rtc session at the live edge: %ui frames caught up "
                  "in %M ms", s->pace.frames,
                  ngx_current_msec - s->pace.start);
}
