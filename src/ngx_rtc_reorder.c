/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_rtc_reorder.h"


/*
 * The reordering buffer of a whep:// source's video
 * (ngx_rtc_whep_source.c) and of an RTSP camera's tracks over UDP
 * (ngx_rtc_rtsp_media.c): a slot per sequence number modulo
 * NGX_RTC_REORDER_SLOTS.  Late packets (before "next") and duplicates are
 * dropped; a packet too far ahead gives up the gaps before it; packets far
 * behind, or behind and not seen (by sequence number and RTP timestamp),
 * NGX_RTC_REORDER_RESTART in a row, are a new sequence (what is held is
 * given up).  A packet too large for a
 * slot that has to wait counts as lost: the caller asks for a keyframe.
 */


static void ngx_rtc_reorder_drain(ngx_rtc_reorder_t *r);
static ngx_uint_t ngx_rtc_reorder_has(ngx_rtc_reorder_t *r, uint16_t seq);
static ngx_uint_t ngx_rtc_reorder_seen(ngx_rtc_reorder_t *r, uint16_t seq,
    uint32_t ts);
static ngx_msec_t ngx_rtc_reorder_oldest(ngx_rtc_reorder_t *r);


void
ngx_rtc_reorder_init(ngx_rtc_reorder_t *r, u_char *buf,
    ngx_rtc_reorder_deliver_pt deliver, void *data)
{
    ngx_memzero(r, sizeof(ngx_rtc_reorder_t));

    r->buf = buf;
    r->deliver = deliver;
    r->data = data;
}


void
ngx_rtc_reorder_reset(ngx_rtc_reorder_t *r)
{
    ngx_memzero(r->len, sizeof(r->len));

    r->held = 0;
    r->behind = 0;
    r->started = 0;
}


ngx_uint_t
ngx_rtc_reorder_put(ngx_rtc_reorder_t *r, u_char *pkt, size_t len,
    uint16_t seq, uint16_t *nack, ngx_uint_t nmax)
{
    uint16_t    s;
    uint32_t    ts;
    ngx_uint_t  slot, n;

    if (len == 0) {
        return 0;
    }

    /* RFC 3550 5.1: a copy has its original's timestamp too */

    ts = 0;

    if (len >= 8) {
        ts = (uint32_t) pkt[4] << 24 | (uint32_t) pkt[5] << 16
             | (uint32_t) pkt[6] << 8 | pkt[7];
    }

    if (!r->started) {
        r->started = 1;
        r->next = seq;
        r->nacked = seq;
    }

    if ((int16_t) (seq - r->next) < 0) {

        if ((int16_t) (seq - r->next) >= -NGX_RTC_REORDER_SLOTS
            && ngx_rtc_reorder_seen(r, seq, ts))
        {
            return 0;                 /* a duplicate */
        }

        /* late, or the first packets of a sequence that started again */

        if (++r->behind < NGX_RTC_REORDER_RESTART) {
            return 0;
        }

        /* the sender's sequence started again: follow it */

        r->lost += r->held + 1;
        ngx_memzero(r->len, sizeof(r->len));
        r->held = 0;
        r->next = seq;
        r->nacked = seq;
    }

    r->behind = 0;

    /* too far ahead: give up what is missing before it */

    while (r->held
           && (int16_t) (seq - r->next) >= NGX_RTC_REORDER_SLOTS)
    {
        ngx_rtc_reorder_skip(r);
    }

    if ((int16_t) (seq - r->next) >= NGX_RTC_REORDER_SLOTS) {
        r->lost += (uint16_t) (seq - r->next);
        r->next = seq;
        r->nacked = seq;
    }

    slot = seq % NGX_RTC_REORDER_SLOTS;

    if (seq == r->next && r->held == 0) {

        /* in order, nothing waits: no copy; its slot remembers it */

        r->arrived = ngx_current_msec;
        r->deliver(r->data, pkt, len);

        r->seq[slot] = seq;
        r->ts[slot] = ts;
        r->next++;

        if ((int16_t) (r->next - r->nacked) > 0) {
            r->nacked = r->next;
        }

        return 0;
    }

    if (ngx_rtc_reorder_has(r, seq)) {
        return 0;                     /* a duplicate */
    }

    if (len > NGX_RTC_REORDER_SLOT_SIZE) {
        r->lost++;
        return 0;
    }

    ngx_memcpy(r->buf + slot * NGX_RTC_REORDER_SLOT_SIZE, pkt, len);
    r->len[slot] = (uint16_t) len;
    r->seq[slot] = seq;
    r->ts[slot] = ts;
    r->at[slot] = ngx_current_msec;
    r->held++;

    ngx_rtc_reorder_drain(r);

    if (r->held == 0) {
        return 0;
    }

    /* a gap before what is held: what is missing, asked for once */

    s = r->nacked;

    if ((int16_t) (s - r->next) < 0) {
        s = r->next;
    }

    for (n = 0; (int16_t) (seq - s) > 0 && n < nmax; s++) {
        if (!ngx_rtc_reorder_has(r, s)) {
            nack[n++] = s;
        }
    }

    if ((int16_t) (seq + 1 - r->nacked) > 0) {
        r->nacked = seq + 1;
    }

    return n;
}


void
ngx_rtc_reorder_skip(ngx_rtc_reorder_t *r)
{
    while (r->held && !ngx_rtc_reorder_has(r, r->next)) {
        r->next++;
        r->lost++;
    }

    ngx_rtc_reorder_drain(r);
}


void
ngx_rtc_reorder_flush(ngx_rtc_reorder_t *r)
{
    while (r->held) {
        ngx_rtc_reorder_skip(r);
    }
}


ngx_msec_t
ngx_rtc_reorder_expire(ngx_rtc_reorder_t *r, ngx_msec_t hold)
{
    ngx_msec_t  waited;

    /*
     * every packet held is after the first gap: that gap has been waited
     * for since the oldest of them arrived
     */

    while (r->held) {
        waited = ngx_current_msec - ngx_rtc_reorder_oldest(r);

        if (waited < hold) {
            return hold - waited;
        }

        ngx_rtc_reorder_skip(r);
    }

    return 0;
}


/*
 * The buffer's state is brought up to date before each delivery: a
 * delivery that reset the buffer (its owner stopping) leaves it empty,
 * not with a count of held packets gone below zero.
 */

static void
ngx_rtc_reorder_drain(ngx_rtc_reorder_t *r)
{
    size_t      len;
    ngx_uint_t  slot;

    while (ngx_rtc_reorder_has(r, r->next)) {
        slot = r->next % NGX_RTC_REORDER_SLOTS;

        len = r->len[slot];
        r->arrived = r->at[slot];

        r->len[slot] = 0;
        r->held--;
        r->next++;

        if ((int16_t) (r->next - r->nacked) > 0) {
            r->nacked = r->next;
        }

        r->deliver(r->data, r->buf + slot * NGX_RTC_REORDER_SLOT_SIZE, len);
    }
}


static ngx_uint_t
ngx_rtc_reorder_has(ngx_rtc_reorder_t *r, uint16_t seq)
{
    ngx_uint_t  slot;

    slot = seq % NGX_RTC_REORDER_SLOTS;

    return r->len[slot] && r->seq[slot] == seq;
}


/*
 * Delivered already: its slot remembers it.  A sequence that started
 * again a little behind reuses the numbers with other timestamps.
 */

static ngx_uint_t
ngx_rtc_reorder_seen(ngx_rtc_reorder_t *r, uint16_t seq, uint32_t ts)
{
    ngx_uint_t  slot;

    slot = seq % NGX_RTC_REORDER_SLOTS;

    return r->len[slot] == 0 && r->seq[slot] == seq && r->ts[slot] == ts;
}


/* when the packet held longest arrived; called with packets held */

static ngx_msec_t
ngx_rtc_reorder_oldest(ngx_rtc_reorder_t *r)
{
    ngx_uint_t  i, first;
    ngx_msec_t  oldest;

    oldest = 0;
    first = 1;

    for (i = 0; i < NGX_RTC_REORDER_SLOTS; i++) {
        if (r->len[i] == 0) {
            continue;
        }

        if (first || (ngx_msec_int_t) (r->at[i] - oldest) < 0) {
            oldest = r->at[i];
            first = 0;
        }
    }

    return oldest;
}
