/*
 * Copyright (C) nginx-rtc authors
 *
 * The reordering buffer of whep:// sources and RTSP cameras over UDP
 * (ngx_rtc_reorder.c): packets out of order come out in order, gaps are
 * reported once for NACK, given up on request, when a packet is too far
 * ahead, or once waited for long enough; late packets and duplicates are
 * dropped; the 16-bit sequence wraps; a sender that starts again behind
 * is followed; a packet in order is delivered without a copy.
 */

/* unit-deps: src/ngx_rtc_reorder.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc_reorder.h>
#include <stdlib.h>


typedef struct {
    uint16_t    out[1024];
    ngx_uint_t  n;
    ngx_uint_t  big;
} test_sink_t;


static void
test_deliver(void *data, u_char *pkt, size_t len)
{
    test_sink_t *k = data;

    if (len == NGX_RTC_REORDER_SLOT_SIZE + 1) {
        k->big++;
        return;
    }

    NGX_RTC_CHECK(len == 2 || len == 8);

    if (k->n < 1024) {
        k->out[k->n++] = (uint16_t) (pkt[0] << 8 | pkt[1]);
    }
}


static ngx_uint_t
put(ngx_rtc_reorder_t *r, uint16_t seq, uint16_t *nack)
{
    u_char  pkt[2];

    pkt[0] = (u_char) (seq >> 8);
    pkt[1] = (u_char) seq;

    return ngx_rtc_reorder_put(r, pkt, 2, seq, nack, 64);
}


/* an RTP-like packet: the sequence number first, then the timestamp */

static ngx_uint_t
put_ts(ngx_rtc_reorder_t *r, uint16_t seq, uint32_t ts, uint16_t *nack)
{
    u_char  pkt[8];

    pkt[0] = (u_char) (seq >> 8);
    pkt[1] = (u_char) seq;
    pkt[2] = 0;
    pkt[3] = 0;
    pkt[4] = (u_char) (ts >> 24);
    pkt[5] = (u_char) (ts >> 16);
    pkt[6] = (u_char) (ts >> 8);
    pkt[7] = (u_char) ts;

    return ngx_rtc_reorder_put(r, pkt, 8, seq, nack, 64);
}


static void
test_in_order_and_swapped(u_char *buf)
{
    uint16_t           nack[64];
    test_sink_t        k;
    ngx_rtc_reorder_t  r;

    ngx_memzero(&k, sizeof(test_sink_t));
    ngx_rtc_reorder_init(&r, buf, test_deliver, &k);

    NGX_RTC_CHECK(put(&r, 100, nack) == 0);
    NGX_RTC_CHECK(put(&r, 101, nack) == 0);
    NGX_RTC_CHECK(k.n == 2 && k.out[1] == 101);

    /* 103 before 102: held, 102 asked for once */

    NGX_RTC_CHECK(put(&r, 103, nack) == 1 && nack[0] == 102);
    NGX_RTC_CHECK(k.n == 2 && r.held == 1);
    NGX_RTC_CHECK(put(&r, 104, nack) == 0);        /* asked already */
    NGX_RTC_CHECK(put(&r, 102, nack) == 0);
    NGX_RTC_CHECK(k.n == 5 && k.out[2] == 102 && k.out[3] == 103
                  && k.out[4] == 104);
    NGX_RTC_CHECK(r.held == 0 && r.lost == 0);

    /* late and duplicate */

    NGX_RTC_CHECK(put(&r, 103, nack) == 0);
    NGX_RTC_CHECK(put(&r, 107, nack) == 2 && nack[0] == 105
                  && nack[1] == 106);
    NGX_RTC_CHECK(put(&r, 107, nack) == 0);
    NGX_RTC_CHECK(r.held == 1 && k.n == 5);

    /* given up: 105 and 106 lost, 107 delivered */

    ngx_rtc_reorder_skip(&r);
    NGX_RTC_CHECK(r.lost == 2 && r.held == 0 && k.n == 6
                  && k.out[5] == 107);

    /* 106 arrives after all: late */

    NGX_RTC_CHECK(put(&r, 106, nack) == 0 && k.n == 6);
}


static void
test_wrap_and_jump(u_char *buf)
{
    uint16_t           nack[64];
    ngx_uint_t         i;
    test_sink_t        k;
    ngx_rtc_reorder_t  r;

    ngx_memzero(&k, sizeof(test_sink_t));
    ngx_rtc_reorder_init(&r, buf, test_deliver, &k);

    NGX_RTC_CHECK(put(&r, 65534, nack) == 0);
    NGX_RTC_CHECK(put(&r, 0, nack) == 1 && nack[0] == 65535);
    NGX_RTC_CHECK(put(&r, 65535, nack) == 0);
    NGX_RTC_CHECK(k.n == 3 && k.out[1] == 65535 && k.out[2] == 0);

    /*
     * a packet a window or more ahead: the gap before what is held is
     * given up, what is held delivered, and the stream goes on at it (what
     * is between is lost, too much to ask for)
     */

    NGX_RTC_CHECK(put(&r, 3, nack) == 2);
    NGX_RTC_CHECK(put(&r, 3 + NGX_RTC_REORDER_SLOTS + 10, nack) == 0);
    NGX_RTC_CHECK(k.n == 5 && k.out[3] == 3
                  && k.out[4] == 3 + NGX_RTC_REORDER_SLOTS + 10);
    NGX_RTC_CHECK(r.held == 0 && r.lost == 2 + NGX_RTC_REORDER_SLOTS + 9);

    ngx_rtc_reorder_skip(&r);
    NGX_RTC_CHECK(k.n == 5);

    /* a source that restarts far away: nothing held, it goes on there */

    NGX_RTC_CHECK(put(&r, 30000, nack) == 0);
    NGX_RTC_CHECK(k.n == 6 && k.out[5] == 30000);

    /* a full window of held packets, then the missing one */

    for (i = 2; i < NGX_RTC_REORDER_SLOTS; i++) {
        (void) put(&r, (uint16_t) (30000 + i), nack);
    }

    NGX_RTC_CHECK(r.held == NGX_RTC_REORDER_SLOTS - 2);
    NGX_RTC_CHECK(put(&r, 30001, nack) == 0);
    NGX_RTC_CHECK(r.held == 0 && k.n == 6 + NGX_RTC_REORDER_SLOTS - 1);

    for (i = 1; i < k.n; i++) {
        if ((uint16_t) (k.out[i] - k.out[i - 1]) > 0x8000) {
            NGX_RTC_CHECK(0);
            break;
        }
    }
}


/*
 * A sequence that starts again behind (a relay's camera reconnected): a
 * stray late packet is dropped, NGX_RTC_REORDER_RESTART in a row are
 * followed, what was held is given up.  A packet too large for a slot
 * that has to wait is lost (the caller asks for a keyframe), not silently
 * dropped; in order, it goes through.
 */

static void
test_restart_behind(u_char *buf)
{
    u_char             big[NGX_RTC_REORDER_SLOT_SIZE + 1];
    uint16_t           nack[64];
    ngx_uint_t         i, n;
    test_sink_t        k;
    ngx_rtc_reorder_t  r;

    ngx_memzero(&k, sizeof(test_sink_t));
    ngx_rtc_reorder_init(&r, buf, test_deliver, &k);

    for (i = 0; i < 100; i++) {
        (void) put(&r, (uint16_t) (10000 + i), nack);
    }

    NGX_RTC_CHECK(k.n == 100 && r.next == 10100);

    /* one very late packet, then the stream goes on */

    NGX_RTC_CHECK(put(&r, 9000, nack) == 0);
    NGX_RTC_CHECK(put(&r, 10100, nack) == 0);
    NGX_RTC_CHECK(k.n == 101 && r.lost == 0);

    /* held behind a gap, then the sender starts again at 5100 */

    NGX_RTC_CHECK(put(&r, 10102, nack) == 1 && r.held == 1);

    for (i = 0; i < NGX_RTC_REORDER_RESTART - 1; i++) {
        NGX_RTC_CHECK(put(&r, (uint16_t) (5100 + i), nack) == 0);
    }

    NGX_RTC_CHECK(k.n == 101);

    n = k.n;

    for (i = NGX_RTC_REORDER_RESTART - 1; i < 20; i++) {
        (void) put(&r, (uint16_t) (5100 + i), nack);
    }

    NGX_RTC_CHECK(k.n == n + 20 - (NGX_RTC_REORDER_RESTART - 1));
    NGX_RTC_CHECK(k.out[n] == 5100 + NGX_RTC_REORDER_RESTART - 1);
    NGX_RTC_CHECK(r.held == 0 && r.lost == 2 && r.next == 5120);

    ngx_memzero(big, sizeof(big));
    NGX_RTC_CHECK(ngx_rtc_reorder_put(&r, big, sizeof(big), 5121, nack, 64)
                  == 0);
    NGX_RTC_CHECK(r.lost == 3 && r.held == 0 && k.big == 0);

    /* in order: delivered as it is */

    NGX_RTC_CHECK(ngx_rtc_reorder_put(&r, big, sizeof(big), 5120, nack, 64)
                  == 0);
    NGX_RTC_CHECK(r.next == 5121 && r.lost == 3 && k.big == 1);
}


/*
 * A camera that restarts its sequence a little behind (within the window,
 * with the same SSRC): NGX_RTC_REORDER_RESTART packets behind that were
 * never delivered (other timestamps) are a new sequence, while duplicates
 * of delivered ones are not.
 */

static void
test_restart_near(u_char *buf)
{
    uint16_t           nack[64];
    ngx_uint_t         i, n;
    test_sink_t        k;
    ngx_rtc_reorder_t  r;

    ngx_memzero(&k, sizeof(test_sink_t));
    ngx_rtc_reorder_init(&r, buf, test_deliver, &k);

    for (i = 0; i < 100; i++) {
        (void) put_ts(&r, (uint16_t) (65500 + i), 3000 * (i / 4), nack);
    }

    NGX_RTC_CHECK(k.n == 100 && r.next == (uint16_t) (65500 + 100));

    /* the last 20 again, twice: duplicates, however many */

    for (i = 0; i < 40; i++) {
        NGX_RTC_CHECK(put_ts(&r, (uint16_t) (65580 + i % 20),
                             3000 * ((80 + i % 20) / 4), nack)
                      == 0);
    }

    NGX_RTC_CHECK(k.n == 100 && r.lost == 0 && r.behind == 0);

    /* starts again 50 behind (across the wrap): followed at the RESTART-th */

    n = k.n;

    for (i = 0; i < 20; i++) {
        (void) put_ts(&r, (uint16_t) (65550 + i), 900000 + 3000 * (i / 4),
                      nack);
    }

    NGX_RTC_CHECK(k.n == n + 20 - (NGX_RTC_REORDER_RESTART - 1));
    NGX_RTC_CHECK(k.out[n] == (uint16_t) (65550 + NGX_RTC_REORDER_RESTART
                                          - 1));
    NGX_RTC_CHECK(r.next == (uint16_t) (65550 + 20) && r.held == 0);
}


/*
 * The hold: ngx_rtc_reorder_expire() gives up a gap once the first packet
 * after it has waited "hold" ms, not before, and tells how long the next
 * gap may still wait; a packet in order is not copied.
 */

static u_char  *test_last;

static void
test_deliver_ptr(void *data, u_char *pkt, size_t len)
{
    test_last = pkt;
    test_deliver(data, pkt, len);
}


static void
test_expire(u_char *buf)
{
    u_char             pkt[2];
    uint16_t           nack[64];
    test_sink_t        k;
    ngx_rtc_reorder_t  r;

    ngx_memzero(&k, sizeof(test_sink_t));
    ngx_rtc_reorder_init(&r, buf, test_deliver_ptr, &k);

    ngx_current_msec = 1000;

    pkt[0] = 0;
    pkt[1] = 10;
    NGX_RTC_CHECK(ngx_rtc_reorder_put(&r, pkt, 2, 10, nack, 64) == 0);
    NGX_RTC_CHECK(k.n == 1 && test_last == pkt && r.arrived == 1000);

    NGX_RTC_CHECK(ngx_rtc_reorder_expire(&r, 100) == 0);

    /* 11 missing from 1000, 14 missing from 1060 */

    NGX_RTC_CHECK(put(&r, 12, nack) == 1);
    NGX_RTC_CHECK(put(&r, 13, nack) == 0);

    ngx_current_msec = 1060;
    NGX_RTC_CHECK(put(&r, 15, nack) == 1 && nack[0] == 14);

    ngx_current_msec = 1099;
    NGX_RTC_CHECK(ngx_rtc_reorder_expire(&r, 100) == 1);
    NGX_RTC_CHECK(k.n == 1 && r.held == 3);

    /* 11 given up; 14 has waited 40 ms of its 100 */

    ngx_current_msec = 1100;
    NGX_RTC_CHECK(ngx_rtc_reorder_expire(&r, 100) == 60);
    NGX_RTC_CHECK(k.n == 3 && k.out[1] == 12 && k.out[2] == 13);
    NGX_RTC_CHECK(r.lost == 1 && r.held == 1 && r.arrived == 1000);

    /* 14 comes in time: delivered with 15, which arrived at 1060 */

    NGX_RTC_CHECK(put(&r, 14, nack) == 0);
    NGX_RTC_CHECK(k.n == 5 && k.out[4] == 15 && r.arrived == 1060);
    NGX_RTC_CHECK(ngx_rtc_reorder_expire(&r, 100) == 0);

    /* the first gap filled, a later one due: the timer's second look */

    ngx_current_msec = 2000;
    NGX_RTC_CHECK(put(&r, 17, nack) == 1);
    ngx_current_msec = 2050;
    NGX_RTC_CHECK(put(&r, 19, nack) == 1);
    NGX_RTC_CHECK(put(&r, 16, nack) == 0);
    NGX_RTC_CHECK(k.n == 7 && r.held == 1);

    ngx_current_msec = 2100;
    NGX_RTC_CHECK(ngx_rtc_reorder_expire(&r, 100) == 50);
    ngx_current_msec = 2150;
    NGX_RTC_CHECK(ngx_rtc_reorder_expire(&r, 100) == 0);
    NGX_RTC_CHECK(k.n == 8 && k.out[7] == 19 && r.lost == 2);

    /* flush: all gaps given up at once */

    NGX_RTC_CHECK(put(&r, 22, nack) == 2);
    NGX_RTC_CHECK(put(&r, 25, nack) == 2);
    ngx_rtc_reorder_flush(&r);
    NGX_RTC_CHECK(k.n == 10 && k.out[9] == 25 && r.held == 0
                  && r.lost == 6 && r.next == 26);
}


int
main(void)
{
    u_char  *buf;

    buf = malloc(NGX_RTC_REORDER_SLOTS * NGX_RTC_REORDER_SLOT_SIZE);

    test_in_order_and_swapped(buf);
    test_wrap_and_jump(buf);
    test_restart_behind(buf);
    test_restart_near(buf);
    test_expire(buf);

    free(buf);

    return NGX_RTC_UNIT_DONE();
}
