/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_rtc_reorder.h"


/*
 * The reordering buffer of a whep:// source's video (ngx_rtc_whep_source.c):
 * a slot per sequence number modulo NGX_RTC_REORDER_SLOTS.  Late packets
 * (before "next") and duplicates are dropped; a packet too far ahead gives
 * up the gaps before it; packets far behind, NGX_RTC_REORDER_RESTART in a
 * row, are a new sequence (what is held is given up).  A packet too large
 * for a slot counts as lost: the caller asks for a keyframe.
 */


static void ngx_rtc_reorder_drain(ngx_rtc_reorder_t *r);
static ngx_uint_t ngx_rtc_reorder_has(ngx_rtc_reorder_t *r, uint16_t seq);


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
    ngx_uint_t  slot, n;

    if (len == 0) {
        return 0;
    }

    if (len > NGX_RTC_REORDER_SLOT_SIZE) {
        r->lost++;
        return 0;
    }

    if (!r->started) {
        r->started = 1;
        r->next = seq;
        r->nacked = seq;
    }

    if ((int16_t) (seq - r->next) < -NGX_RTC_REORDER_SLOTS) {

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

    if ((int16_t) (seq - r->next) < 0) {
        return 0;                     /* late, or a duplicate */
    }

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

    if (ngx_rtc_reorder_has(r, seq)) {
        return 0;                     /* a duplicate */
    }

    slot = seq % NGX_RTC_REORDER_SLOTS;

    ngx_memcpy(r->buf + slot * NGX_RTC_REORDER_SLOT_SIZE, pkt, len);
    r->len[slot] = (uint16_t) len;
    r->seq[slot] = seq;
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


static void
ngx_rtc_reorder_drain(ngx_rtc_reorder_t *r)
{
    ngx_uint_t  slot;

    while (ngx_rtc_reorder_has(r, r->next)) {
        slot = r->next % NGX_RTC_REORDER_SLOTS;

        r->deliver(r->data, r->buf + slot * NGX_RTC_REORDER_SLOT_SIZE,
                   r->len[slot]);

        r->len[slot] = 0;
        r->held--;
        r->next++;

        if ((int16_t) (r->next - r->nacked) > 0) {
            r->nacked = r->next;
        }
    }
}


static ngx_uint_t
ngx_rtc_reorder_has(ngx_rtc_reorder_t *r, uint16_t seq)
{
    ngx_uint_t  slot;

    slot = seq % NGX_RTC_REORDER_SLOTS;

    return r->len[slot] && r->seq[slot] == seq;
}
