/*
 * Copyright (C) nginx-rtc authors
 *
 * The reordering buffer of whep:// sources (ngx_rtc_reorder.c): packets
 * out of order come out in order, gaps are reported once for NACK, given
 * up on request or when a packet is too far ahead; late packets and
 * duplicates are dropped; the 16-bit sequence wraps; a sender that
 * starts again behind is followed.
 */

/* unit-deps: src/ngx_rtc_reorder.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc_reorder.h>
#include <stdlib.h>


typedef struct {
    uint16_t    out[1024];
    ngx_uint_t  n;
} test_sink_t;


static void
test_deliver(void *data, u_char *pkt, size_t len)
{
    test_sink_t *k = data;

    NGX_RTC_CHECK(len == 2);

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
 * followed, what was held is given up.  A packet too large for a slot is
 * lost (the caller asks for a keyframe), not silently dropped.
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
    NGX_RTC_CHECK(ngx_rtc_reorder_put(&r, big, sizeof(big), 5120, nack, 64)
                  == 0);
    NGX_RTC_CHECK(r.lost == 3);
}


int
main(void)
{
    u_char  *buf;

    buf = malloc(NGX_RTC_REORDER_SLOTS * NGX_RTC_REORDER_SLOT_SIZE);

    test_in_order_and_swapped(buf);
    test_wrap_and_jump(buf);
    test_restart_behind(buf);

    free(buf);

    return NGX_RTC_UNIT_DONE();
}
