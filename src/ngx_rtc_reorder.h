/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_REORDER_H_INCLUDED_
#define _NGX_RTC_REORDER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_REORDER_SLOTS      128
#define NGX_RTC_REORDER_SLOT_SIZE  1500

/*
 * packets in a row further behind than the window, or behind and never
 * seen: the sender started its sequence again (a relay's camera
 * reconnected, a camera restarted its encoder), not a late one
 */
#define NGX_RTC_REORDER_RESTART    8


/* one packet, in sequence order; valid during the call only */
typedef void (*ngx_rtc_reorder_deliver_pt)(void *data, u_char *pkt,
    size_t len);


/*
 * RTP packets of one source put back in sequence order (pure, bounded):
 * a gap holds the packets after it, at most NGX_RTC_REORDER_SLOTS, until
 * it is filled or given up (ngx_rtc_reorder_skip(), ngx_rtc_reorder_expire(),
 * or a packet too far ahead).  "buf" is the caller's,
 * NGX_RTC_REORDER_SLOTS * NGX_RTC_REORDER_SLOT_SIZE bytes.  A packet in
 * order with nothing held is delivered from the caller's memory, without
 * a copy, whatever its size.
 */

typedef struct {
    u_char                       *buf;
    uint16_t                      len[NGX_RTC_REORDER_SLOTS];
    uint16_t                      seq[NGX_RTC_REORDER_SLOTS];
    uint32_t                      ts[NGX_RTC_REORDER_SLOTS];  /* RTP */
    ngx_msec_t                    at[NGX_RTC_REORDER_SLOTS];  /* arrived */
    uint16_t                      next;       /* delivered next */
    uint16_t                      nacked;     /* asked for up to, excluded */
    ngx_uint_t                    held;       /* packets waiting */
    ngx_uint_t                    lost;       /* given up, in all */
    ngx_uint_t                    behind;     /* far behind, in a row */
    ngx_msec_t                    arrived;    /* the one delivered */

    ngx_rtc_reorder_deliver_pt    deliver;
    void                         *data;

    unsigned                      started:1;
} ngx_rtc_reorder_t;


void ngx_rtc_reorder_init(ngx_rtc_reorder_t *r, u_char *buf,
    ngx_rtc_reorder_deliver_pt deliver, void *data);
void ngx_rtc_reorder_reset(ngx_rtc_reorder_t *r);

/*
 * A packet: delivered with what follows it in order, or held.  The
 * sequence numbers missing before it that were not asked for yet go into
 * nack[] (at most nmax): their count is returned.
 */
ngx_uint_t ngx_rtc_reorder_put(ngx_rtc_reorder_t *r, u_char *pkt,
    size_t len, uint16_t seq, uint16_t *nack, ngx_uint_t nmax);

/* give up the first gap and deliver what is in order after it */
void ngx_rtc_reorder_skip(ngx_rtc_reorder_t *r);

/* give up every gap: deliver all that is held */
void ngx_rtc_reorder_flush(ngx_rtc_reorder_t *r);

/*
 * Give up the gaps waited for "hold" ms or more (since the first packet
 * after them arrived, by ngx_current_msec); returns the ms until the next
 * one is due, 0 when nothing is held.
 */
ngx_msec_t ngx_rtc_reorder_expire(ngx_rtc_reorder_t *r, ngx_msec_t hold);


#endif /* _NGX_RTC_REORDER_H_INCLUDED_ */
