/*
 * Copyright (C) nginx-rtc authors
 *
 * The shared-memory frame ring: single-process behaviour against a model of
 * the arena layout, fencing, the lapped reader's way on, then one writer
 * (handed over by exit, by SIGKILL and five times by SIGSTOP and a fence)
 * and four readers in separate processes verifying every byte they get.
 */

/* unit-deps: src/ngx_rtc_ring.c */

#include "ngx_rtc_unit.h"
#include "ngx_rtc_ring.h"
#include "ngx_rtc_latency.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <signal.h>
#include <sched.h>


#define TEST_MODEL_MAX   4096


/*
 * Frame contents derived from seq: any byte at any offset says which frame
 * it belongs to, so a copy mixing two frames never passes test_verify().
 */

static uint64_t
test_word(uint64_t seq, size_t i)
{
    return ((seq << 32) | (seq >> 32))
           ^ ((uint64_t) (i + 1) * 0x9e3779b97f4a7c15ULL);
}


static void
test_fill(u_char *p, uint64_t seq, size_t len)
{
    size_t    i;
    uint64_t  w;

    for (i = 0; i + 8 <= len; i += 8) {
        w = test_word(seq, i);
        ngx_memcpy(p + i, &w, 8);
    }

    if (i < len) {
        w = test_word(seq, i);
        ngx_memcpy(p + i, &w, len - i);
    }
}


static ngx_int_t
test_verify(u_char *p, uint64_t seq, size_t len)
{
    size_t    i;
    uint64_t  w, v;

    for (i = 0; i + 8 <= len; i += 8) {
        w = test_word(seq, i);
        ngx_memcpy(&v, p + i, 8);

        if (v != w) {
            return NGX_ERROR;
        }
    }

    if (i < len) {
        w = test_word(seq, i);

        if (ngx_memcmp(p + i, &w, len - i) != 0) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static uint64_t
test_rand(uint64_t *state)
{
    uint64_t  x;

    /* xorshift64* */

    x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;

    return x * 0x2545f4914f6cdd1dULL;
}


/*
 * A model of the ring's arena: frames start 8-byte aligned and never wrap
 * (a frame that does not fit before the end starts again at offset 0).
 * Frame seq is readable while its slot is not reused (head - seq < nslots)
 * and no byte from its start on has been written over.
 */

typedef struct {
    size_t       data_size;
    ngx_uint_t   nslots;
    uint64_t     head;
    uint64_t     reserved;
    size_t       wroff;
    uint64_t     pos[TEST_MODEL_MAX + 1];
    uint32_t     len[TEST_MODEL_MAX + 1];
    u_char       track[TEST_MODEL_MAX + 1];
    u_char       key[TEST_MODEL_MAX + 1];
} test_model_t;


static void
test_model_write(test_model_t *m, size_t len, uint32_t track,
    uint32_t flags)
{
    size_t    off;
    uint64_t  seq, pos;

    seq = ++m->head;
    off = ngx_align(m->wroff, 8);

    if (off > m->data_size || len > m->data_size - off) {
        pos = m->reserved + (m->data_size - m->wroff);
        off = 0;

    } else {
        pos = m->reserved + (off - m->wroff);
    }

    m->reserved = pos + len;
    m->wroff = off + len;
    m->pos[seq] = pos;
    m->len[seq] = (uint32_t) len;
    m->track[seq] = (u_char) track;
    m->key[seq] = (track == NGX_RTC_TRACK_VIDEO
                  && (flags & NGX_RTC_FRAME_KEY));
}


static ngx_uint_t
test_model_readable(test_model_t *m, uint64_t seq)
{
    return seq >= 1 && seq <= m->head && m->head - seq < m->nslots
           && m->reserved - m->pos[seq] <= m->data_size;
}


static uint64_t
test_model_oldest(test_model_t *m)
{
    uint64_t  seq;

    if (m->head == 0) {
        return 0;
    }

    seq = (m->head > m->nslots) ? m->head - m->nslots + 1 : 1;

    while (!test_model_readable(m, seq)) {
        seq++;
    }

    return seq;
}


static uint64_t
test_model_last_key(test_model_t *m)
{
    uint64_t  seq;

    for (seq = m->head; seq > 0; seq--) {
        if (m->key[seq]) {
            return test_model_readable(m, seq) ? seq : 0;
        }
    }

    return 0;
}


static ngx_rtc_ring_sh_t *
test_ring_new(size_t data_size, ngx_uint_t nslots, u_char **mem)
{
    size_t  n;

    n = ngx_rtc_ring_bytes(data_size, nslots);

    *mem = malloc(n + 1);
    if (*mem == NULL) {
        return NULL;
    }

    /* a guard byte after the ring: ASan's redzone catches the rest */
    (*mem)[n] = 0xa5;

    ngx_rtc_ring_init((ngx_rtc_ring_sh_t *) *mem, data_size, nslots);

    return (ngx_rtc_ring_sh_t *) *mem;
}


static ngx_int_t
test_write_epoch(ngx_rtc_ring_sh_t *r, uint64_t epoch, uint32_t track,
    uint32_t flags, size_t len, uint64_t expect_seq)
{
    u_char           *data;
    ngx_int_t         rc;
    ngx_rtc_frame_t   f;

    data = malloc(len + 1);
    if (data == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&f, sizeof(ngx_rtc_frame_t));
    f.capture = (int64_t) expect_seq * 1000;
    f.rtp_ts = (uint32_t) expect_seq * 90;
    f.flags = flags;
    f.track = track;

    test_fill(data, expect_seq, len);

    rc = ngx_rtc_ring_write(r, epoch, &f, data, len);

    free(data);

    if (rc == NGX_OK && (f.seq != expect_seq || f.len != len)) {
        return NGX_ERROR;
    }

    return rc;
}


static ngx_int_t
test_write(ngx_rtc_ring_sh_t *r, uint32_t track, uint32_t flags, size_t len,
    uint64_t expect_seq)
{
    return test_write_epoch(r, ngx_rtc_ring_epoch(r), track, flags, len,
                            expect_seq);
}


/* reads seq and checks metadata and bytes as test_write() made them */

static ngx_int_t
test_read(ngx_rtc_ring_sh_t *r, uint64_t seq, uint32_t track, size_t len)
{
    u_char           *buf;
    ngx_int_t         rc;
    ngx_rtc_frame_t   f;

    buf = malloc(ngx_rtc_ring_max_frame(r) + 1);
    if (buf == NULL) {
        return NGX_ERROR - 1;
    }

    rc = ngx_rtc_ring_read(r, seq, &f, buf, ngx_rtc_ring_max_frame(r));

    if (rc == NGX_OK
        && (f.seq != seq || f.len != len || f.track != track
            || f.capture != (int64_t) seq * 1000
            || f.rtp_ts != (uint32_t) seq * 90
            || test_verify(buf, seq, len) != NGX_OK))
    {
        rc = NGX_ERROR - 1;
    }

    free(buf);

    return rc;
}


static void
test_basic(void)
{
    u_char             *mem, buf[64];
    int64_t             before, after;
    ngx_rtc_frame_t     f;
    ngx_rtc_ring_sh_t  *r;

    r = test_ring_new(4096, 8, &mem);
    NGX_RTC_CHECK(r != NULL);
    if (r == NULL) {
        return;
    }

    NGX_RTC_CHECK(ngx_rtc_ring_max_frame(r) == 1024);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 1, &f, buf, sizeof(buf)) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 0, &f, buf, sizeof(buf))
                  == NGX_DECLINED);

    before = ngx_rtc_latency_now();
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 100, 1)
                  == NGX_OK);
    after = ngx_rtc_latency_now();
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 1);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 1);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 1);
    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 100) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 2, &f, buf, sizeof(buf)) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 1000, &f, buf, sizeof(buf))
                  == NGX_AGAIN);

    /* the buffer is too small: the size comes back in f.len */
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 1, &f, buf, 99) == NGX_ERROR);
    NGX_RTC_CHECK(f.len == 100 && f.seq == 1);
    NGX_RTC_CHECK((f.flags & NGX_RTC_FRAME_KEY) != 0);

    /* the metadata alone */
    ngx_memzero(&f, sizeof(ngx_rtc_frame_t));
    NGX_RTC_CHECK(ngx_rtc_ring_peek(r, 1, &f) == NGX_OK);
    NGX_RTC_CHECK(f.len == 100 && f.seq == 1 && f.rtp_ts == 90);
    NGX_RTC_CHECK(f.track == NGX_RTC_TRACK_VIDEO);

    /* stamped by the ring when written: the start of the send delay */
    NGX_RTC_CHECK(f.arrival >= before && f.arrival <= after);
    NGX_RTC_CHECK(ngx_rtc_ring_peek(r, 2, &f) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ring_peek(r, 0, &f) == NGX_DECLINED);

    /* frames over a quarter of the arena are refused and take no seq */
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 1025, 2)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 1);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 1024, 2) == NGX_OK);
    NGX_RTC_CHECK(test_read(r, 2, NGX_RTC_TRACK_VIDEO, 1024) == NGX_OK);

    /* empty frames are frames */
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 0, 3) == NGX_OK);
    NGX_RTC_CHECK(test_read(r, 3, NGX_RTC_TRACK_AUDIO, 0) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 3, &f, NULL, 0) == NGX_OK);

    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 100) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 3);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 1);
    NGX_RTC_CHECK(mem[ngx_rtc_ring_bytes(4096, 8)] == 0xa5);

    free(mem);
}


static void
test_lap_slots(void)
{
    u_char             *mem;
    uint64_t            seq;
    ngx_rtc_ring_sh_t  *r;

    r = test_ring_new(1024 * 1024, 4, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    for (seq = 1; seq <= 10; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, seq)
                      == NGX_OK);
    }

    for (seq = 1; seq <= 6; seq++) {
        NGX_RTC_CHECK(test_read(r, seq, NGX_RTC_TRACK_AUDIO, 10)
                      == NGX_DECLINED);
    }

    for (seq = 7; seq <= 10; seq++) {
        NGX_RTC_CHECK(test_read(r, seq, NGX_RTC_TRACK_AUDIO, 10) == NGX_OK);
    }

    NGX_RTC_CHECK(test_read(r, 11, NGX_RTC_TRACK_AUDIO, 10) == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 7);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 10);

    free(mem);
}


static void
test_lap_data(void)
{
    u_char             *mem;
    uint64_t            seq;
    ngx_rtc_ring_sh_t  *r;

    /*
     * 1000-byte arena, 250-byte frames at offsets 0, 256, 512; the fourth
     * would end at 1018, so it starts again at 0 and retires frame 1.
     */

    r = test_ring_new(1000, 64, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    for (seq = 1; seq <= 3; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 250, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 1);
    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 250) == NGX_OK);

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 250, 4) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 2);
    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 250) == NGX_DECLINED);

    for (seq = 2; seq <= 4; seq++) {
        NGX_RTC_CHECK(test_read(r, seq, NGX_RTC_TRACK_VIDEO, 250) == NGX_OK);
    }

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 250, 5) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 3);
    NGX_RTC_CHECK(test_read(r, 2, NGX_RTC_TRACK_VIDEO, 250) == NGX_DECLINED);
    NGX_RTC_CHECK(test_read(r, 5, NGX_RTC_TRACK_VIDEO, 250) == NGX_OK);

    free(mem);

    /* a frame that ends exactly at the arena end stays where it is */

    r = test_ring_new(1024, 64, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    for (seq = 1; seq <= 4; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 256, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 1);

    for (seq = 1; seq <= 4; seq++) {
        NGX_RTC_CHECK(test_read(r, seq, NGX_RTC_TRACK_VIDEO, 256) == NGX_OK);
    }

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 256, 5) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(r) == 2);
    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 256) == NGX_DECLINED);
    NGX_RTC_CHECK(test_read(r, 5, NGX_RTC_TRACK_VIDEO, 256) == NGX_OK);

    free(mem);
}


static void
test_last_key(void)
{
    u_char             *mem;
    uint64_t            seq;
    ngx_rtc_ring_sh_t  *r;

    r = test_ring_new(4096, 16, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 10, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 1);

    /* an audio frame flagged KEY is not a video keyframe */
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, NGX_RTC_FRAME_KEY, 10, 2)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 1);

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 10, 3) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 1);

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 10, 4)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 4);

    /* slot reuse: seq 20 takes the slot of seq 4 */

    for (seq = 5; seq <= 19; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 4);
    NGX_RTC_CHECK(test_read(r, 4, NGX_RTC_TRACK_VIDEO, 10) == NGX_OK);

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, 20) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 0);
    NGX_RTC_CHECK(test_read(r, 4, NGX_RTC_TRACK_VIDEO, 10) == NGX_DECLINED);

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 10, 21)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 21);

    /* data reuse: four 1024-byte frames overwrite seq 21's bytes */

    for (seq = 22; seq <= 25; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 1024, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 0);
    NGX_RTC_CHECK(test_read(r, 21, NGX_RTC_TRACK_VIDEO, 10) == NGX_DECLINED);

    free(mem);
}


/*
 * Fencing: a write under an epoch the ring no longer holds is refused,
 * takes no seq and leaves no byte a reader could get.
 */

/* ngx_rtc_ring_live_key(): the newest keyframe of a backlog without a break */

static int64_t
test_arrival(ngx_rtc_ring_sh_t *r, uint64_t seq)
{
    ngx_rtc_frame_t  f;

    if (ngx_rtc_ring_peek(r, seq, &f) != NGX_OK) {
        return -1;
    }

    return f.arrival;
}


static void
test_live_key(void)
{
    u_char             *mem;
    int64_t             t, big;
    ngx_rtc_ring_sh_t  *r;

    r = test_ring_new(4096, 16, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    big = 3600 * 1000000LL;

    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 1, ngx_rtc_latency_now(), big)
                  == 0);

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 10, 1)
                  == NGX_OK);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 10, 2) == NGX_OK);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, 3) == NGX_OK);

    t = test_arrival(r, 2);
    NGX_RTC_CHECK(t > 0);

    /* unbroken up to now */
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 4, t + 10, 1000000) == 1);
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 2, test_arrival(r, 1) + 10,
                                        1000000) == 1);

    /* no keyframe before "end" */
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 1, t, big) == 0);

    /* the last video frame too long ago */
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 4, t + 2000001, 2000000) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 4, t + 2000000, 2000000) == 1);

    /* a break between two video frames */

    usleep(20000);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 10, 4) == NGX_OK);
    t = test_arrival(r, 4);

    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 5, t, 10000) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 5, t, big) == 1);

    /* before the break, the backlog was unbroken */
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 4, test_arrival(r, 2) + 10, 10000)
                  == 1);

    /* audio after a break in the video does not make it live */

    usleep(20000);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, 5) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 6, test_arrival(r, 5), 10000)
                  == 0);

    /* a keyframe after the break starts a live backlog */

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 10, 6)
                  == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_live_key(r, 7, test_arrival(r, 6), 10000)
                  == 6);

    free(mem);
}


static void
test_fence(void)
{
    u_char             *mem, buf[64];
    ngx_rtc_frame_t     f;
    ngx_rtc_ring_sh_t  *r;

    r = test_ring_new(4096, 8, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    NGX_RTC_CHECK(ngx_rtc_ring_epoch(r) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_fence(r, 7) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_epoch(r) == 7);
    NGX_RTC_CHECK(ngx_rtc_ring_writing(r) == 0);

    NGX_RTC_CHECK(test_write_epoch(r, 7, NGX_RTC_TRACK_VIDEO,
                                   NGX_RTC_FRAME_KEY, 100, 1) == NGX_OK);
    NGX_RTC_CHECK(test_write_epoch(r, 7, NGX_RTC_TRACK_VIDEO, 0, 100, 2)
                  == NGX_OK);

    /* another owner takes over: epoch 8 */

    NGX_RTC_CHECK(ngx_rtc_ring_fence(r, 8) == 0);

    /* the stalled one wakes up and writes under 7: refused, no seq */

    NGX_RTC_CHECK(test_write_epoch(r, 7, NGX_RTC_TRACK_VIDEO,
                                   NGX_RTC_FRAME_KEY, 200, 3) == NGX_ABORT);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 2);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(r) == 1);
    NGX_RTC_CHECK(ngx_rtc_ring_read(r, 3, &f, buf, sizeof(buf))
                  == NGX_AGAIN);
    NGX_RTC_CHECK(ngx_rtc_ring_writing(r) == 0);

    /* an epoch from the future is no better */

    NGX_RTC_CHECK(test_write_epoch(r, 9, NGX_RTC_TRACK_VIDEO, 0, 10, 3)
                  == NGX_ABORT);

    /* the owner of 8 goes on from head; seq 3 holds its frame */

    NGX_RTC_CHECK(test_write_epoch(r, 8, NGX_RTC_TRACK_VIDEO, 0, 300, 3)
                  == NGX_OK);
    NGX_RTC_CHECK(test_read(r, 3, NGX_RTC_TRACK_VIDEO, 300) == NGX_OK);
    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 100) == NGX_OK);
    NGX_RTC_CHECK(test_write_epoch(r, 7, NGX_RTC_TRACK_VIDEO, 0, 10, 4)
                  == NGX_ABORT);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 3);

    /* a recover with nothing left in progress changes nothing */

    NGX_RTC_CHECK(ngx_rtc_ring_recover(r, 8) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_epoch(r) == 8);

    free(mem);
}


/*
 * A lapped reader goes on at a newer keyframe, or at the newest frame
 * read again, and always after the seq it was refused, however often it
 * is lapped: the fan-out loop cannot spin.
 */

static void
test_resume(void)
{
    u_char             *mem;
    uint64_t            seq, next, cursor, head;
    ngx_uint_t          i, k, laps;
    ngx_rtc_ring_sh_t  *r;

    r = test_ring_new(1024 * 1024, 8, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    /* no keyframe at all: 20 frames in 8 slots, the reader is at 1 */

    for (seq = 1; seq <= 20; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 10, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, 10) == NGX_DECLINED);

    next = ngx_rtc_ring_resume(r, 1);
    NGX_RTC_CHECK(next == 20);

    /* lapped again before it read 20: 20 is gone too, no keyframe yet */

    for (seq = 21; seq <= 40; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, 0, 10, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(test_read(r, next, NGX_RTC_TRACK_VIDEO, 10)
                  == NGX_DECLINED);

    next = ngx_rtc_ring_resume(r, next);
    NGX_RTC_CHECK(next == 40);
    NGX_RTC_CHECK(test_read(r, next, NGX_RTC_TRACK_VIDEO, 10) == NGX_OK);

    /* a keyframe newer than the refused seq wins over head */

    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY, 10,
                             41) == NGX_OK);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, 42) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_ring_resume(r, 30) == 41);

    /* the keyframe itself refused: on at head, never at 41 again */

    NGX_RTC_CHECK(ngx_rtc_ring_resume(r, 41) == 42);

    /* refused at head: wait for the next frame */

    NGX_RTC_CHECK(ngx_rtc_ring_resume(r, 42) == 43);

    /*
     * The fan-out loop against a writer that laps it at every read, with
     * no keyframe ever: it must get through to the head it started with
     * (the old loop went back to that head, itself overwritten, forever).
     */

    cursor = 43;
    head = 42 + 3 * 8;
    laps = 0;

    for (seq = 43; seq <= head; seq++) {
        NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, seq)
                      == NGX_OK);
    }

    for (i = 0; i < 100 && cursor <= head; i++) {

        /* 9 more frames in 8 slots: the frame the reader wants is gone */

        for (k = 0; k < 9; k++) {
            seq = ngx_rtc_ring_head(r) + 1;
            NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_AUDIO, 0, 10, seq)
                          == NGX_OK);
        }

        if (test_read(r, cursor, NGX_RTC_TRACK_AUDIO, 10) == NGX_DECLINED) {
            next = ngx_rtc_ring_resume(r, cursor);
            NGX_RTC_CHECK(next > cursor);
            cursor = next;
            laps++;
            continue;
        }

        cursor++;
    }

    NGX_RTC_CHECK(cursor > head);
    NGX_RTC_CHECK(laps >= 1);
    NGX_RTC_CHECK(i < 100);

    free(mem);
}


/* one frame-size rule for the writer and the readers */

static void
test_max_frame(void)
{
    u_char             *mem;
    ngx_rtc_ring_sh_t  *r;

    NGX_RTC_CHECK(ngx_rtc_ring_max_frame_size(4096) == 1024);
    NGX_RTC_CHECK(ngx_rtc_ring_max_frame_size(8 * 1024 * 1024)
                  == NGX_RTC_MAX_FRAME);
    NGX_RTC_CHECK(ngx_rtc_ring_max_frame_size((size_t) 256 * 1024 * 1024)
                  == NGX_RTC_MAX_FRAME);

    /* a 16 MiB ring takes no frame a reader's 2 MiB buffer cannot */

    r = test_ring_new(16 * 1024 * 1024, 64, &mem);
    if (r == NULL) {
        NGX_RTC_CHECK(r != NULL);
        return;
    }

    NGX_RTC_CHECK(ngx_rtc_ring_max_frame(r) == NGX_RTC_MAX_FRAME);
    NGX_RTC_CHECK(ngx_rtc_ring_size(r) == 16 * 1024 * 1024);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY,
                             NGX_RTC_MAX_FRAME + 1, 1) == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == 0);
    NGX_RTC_CHECK(test_write(r, NGX_RTC_TRACK_VIDEO, NGX_RTC_FRAME_KEY,
                             NGX_RTC_MAX_FRAME, 1) == NGX_OK);
    NGX_RTC_CHECK(test_read(r, 1, NGX_RTC_TRACK_VIDEO, NGX_RTC_MAX_FRAME)
                  == NGX_OK);

    free(mem);
}


/* many tiny and odd rings, every step checked against the model */

static void
test_model(void)
{
    u_char             *mem;
    size_t              len, max;
    uint32_t            track, flags;
    uint64_t            seq, rnd, from;
    ngx_int_t           rc, want;
    ngx_uint_t          d, n, step, bad;
    test_model_t       *m;
    ngx_rtc_ring_sh_t  *r;

    static size_t      sizes[] = { 0, 3, 7, 8, 16, 17, 64, 100, 1000, 4096 };
    static ngx_uint_t  slots[] = { 0, 1, 2, 3, 5, 64 };

    m = malloc(sizeof(test_model_t));
    if (m == NULL) {
        NGX_RTC_CHECK(m != NULL);
        return;
    }

    rnd = 0x1234567;

    for (d = 0; d < sizeof(sizes) / sizeof(sizes[0]); d++) {
        for (n = 0; n < sizeof(slots) / sizeof(slots[0]); n++) {

            r = test_ring_new(sizes[d], slots[n], &mem);
            if (r == NULL) {
                NGX_RTC_CHECK(r != NULL);
                continue;
            }

            ngx_memzero(m, sizeof(test_model_t));
            m->data_size = sizes[d];
            m->nslots = slots[n] ? slots[n] : 1;

            max = sizes[d] / 4;
            bad = 0;

            for (step = 0; step < 1000; step++) {
                len = test_rand(&rnd) % (max + 2);
                track = test_rand(&rnd) % 2;
                flags = (test_rand(&rnd) % 4 == 0) ? NGX_RTC_FRAME_KEY : 0;

                rc = test_write(r, track, flags, len, m->head + 1);

                if (len > max) {
                    bad += (rc != NGX_DECLINED);
                    continue;
                }

                bad += (rc != NGX_OK);

                test_model_write(m, len, track, flags);

                bad += (ngx_rtc_ring_head(r) != m->head);
                bad += (ngx_rtc_ring_oldest(r) != test_model_oldest(m));
                bad += (ngx_rtc_ring_last_key(r) != test_model_last_key(m));

                from = (m->head > m->nslots + 3) ? m->head - m->nslots - 3
                                                 : 0;

                for (seq = from; seq <= m->head + 2; seq++) {
                    if (test_model_readable(m, seq)) {
                        want = NGX_OK;

                    } else if (seq > m->head) {
                        want = NGX_AGAIN;

                    } else {
                        want = NGX_DECLINED;
                    }

                    rc = test_read(r, seq, m->track[seq], m->len[seq]);

                    bad += (rc != want);
                }
            }

            if (bad) {
                fprintf(stderr, "model: data_size %lu nslots %lu: %lu bad\n",
                        (unsigned long) sizes[d], (unsigned long) slots[n],
                        (unsigned long) bad);
            }

            NGX_RTC_CHECK(bad == 0);
            NGX_RTC_CHECK(mem[ngx_rtc_ring_bytes(sizes[d], slots[n])]
                          == 0xa5);

            free(mem);
        }
    }

    free(m);
}


/* no pointers inside: one ring seen through two mappings at two addresses */

static void
test_remap(void)
{
    int                 fd;
    size_t              n;
    uint64_t            seq;
    ngx_rtc_ring_sh_t  *a, *b;

    n = ngx_rtc_ring_bytes(4096, 8);

    fd = memfd_create("rtc-ring-test", 0);
    NGX_RTC_CHECK(fd != -1);
    if (fd == -1) {
        return;
    }

    NGX_RTC_CHECK(ftruncate(fd, n) == 0);

    a = mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
    b = mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);

    NGX_RTC_CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b);
    if (a == MAP_FAILED || b == MAP_FAILED) {
        return;
    }

    ngx_rtc_ring_init(a, 4096, 8);

    for (seq = 1; seq <= 20; seq++) {
        NGX_RTC_CHECK(test_write(seq % 2 ? a : b, NGX_RTC_TRACK_VIDEO,
                                 seq % 5 ? 0 : NGX_RTC_FRAME_KEY, 300, seq)
                      == NGX_OK);
    }

    NGX_RTC_CHECK(ngx_rtc_ring_head(b) == 20);
    NGX_RTC_CHECK(ngx_rtc_ring_last_key(b) == 20);
    NGX_RTC_CHECK(ngx_rtc_ring_oldest(b) == 13);

    for (seq = 13; seq <= 20; seq++) {
        NGX_RTC_CHECK(test_read(seq % 2 ? b : a, seq, NGX_RTC_TRACK_VIDEO,
                                300)
                      == NGX_OK);
    }

    munmap(a, n);
    munmap(b, n);
}


/*
 * Many processes: a writer (handed over to a second one, which is then
 * SIGKILLed at a random point, and then to a third, which is stopped with
 * SIGSTOP and fenced, five times over, the stopped writer continued while
 * its successor writes) against three readers that read as fast as they
 * can and jump to the oldest frame when lapped, and a slow one that gets
 * lapped on purpose and goes on at ngx_rtc_ring_resume().  Every NGX_OK
 * frame is checked byte by byte, and its bytes say which writer (epoch)
 * made it: no fenced writer may publish a frame after its fence, but the
 * one it was inside of when stopped.  Run twice: with frames lost to data
 * overwrites first, then to slot reuse first.
 */

#define TEST_MP_READERS  4
#define TEST_MP_MAXLEN   (50 * 1024)
#define TEST_MP_EPOCHS   16
#define TEST_MP_STOPS    5


/*
 * Written by the parent, read by the children: what each fence allowed
 * (the readers check it); the newest seq writers may write now (a writer
 * at the gate waits, so the parent, however late it runs, finds it there
 * to stop and never finished).
 */

typedef struct {
    volatile uint64_t         limit[TEST_MP_EPOCHS];  /* newest seq allowed */
    volatile uint64_t         gate;
} test_mp_ctl_t;


static void
test_mp_spec(uint64_t seq, ngx_rtc_frame_t *f)
{
    uint64_t  h;

    h = seq * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;

    f->seq = seq;
    f->capture = (int64_t) seq * 33333 * TEST_MP_EPOCHS;
    f->rtp_ts = (uint32_t) (seq * 3000);

    if (seq % 2 == 0) {
        /* audio, sometimes flagged KEY, which makes it no video keyframe */
        f->track = NGX_RTC_TRACK_AUDIO;
        f->flags = (seq % 10 == 0) ? NGX_RTC_FRAME_KEY : 0;
        f->len = 1 + h % 1500;

    } else if (seq % 100 == 1) {
        f->track = NGX_RTC_TRACK_VIDEO;
        f->flags = NGX_RTC_FRAME_KEY;
        f->len = 20 * 1024 + h % (TEST_MP_MAXLEN - 20 * 1024 + 1);

    } else {
        f->track = NGX_RTC_TRACK_VIDEO;
        f->flags = 0;
        f->len = 1 + h % (16 * 1024);
    }
}


/* the bytes of frame seq as the writer of "epoch" makes them */

static uint64_t
test_mp_salt(uint64_t seq, uint64_t epoch)
{
    return seq ^ (epoch << 48);
}


/* exits 0 at "until", 4 when fenced */

static int
test_mp_writer(ngx_rtc_ring_sh_t *r, test_mp_ctl_t *ctl, uint64_t until,
    uint64_t epoch)
{
    u_char           *data;
    uint64_t          seq;
    ngx_int_t         rc;
    ngx_rtc_frame_t   f;

    data = malloc(TEST_MP_MAXLEN);
    if (data == NULL) {
        return 2;
    }

    for ( ;; ) {

        /*
         * A fenced writer still inside its write may publish that frame
         * (ngx_rtc_ring_fence()): the frame to write is made for the seq
         * after it, so wait until it has left (it can begin no other).
         */

        if (ngx_rtc_ring_writing(r)) {
            usleep(50);
            continue;
        }

        ngx_memory_barrier();

        seq = ngx_rtc_ring_head(r) + 1;

        if (seq > until) {
            break;
        }

        if (seq > ctl->gate) {
            usleep(100);
            continue;
        }

        test_mp_spec(seq, &f);
        f.seq = 0;
        f.capture += epoch;
        test_fill(data, test_mp_salt(seq, epoch), f.len);

        rc = ngx_rtc_ring_write(r, epoch, &f, data, f.len);

        if (rc == NGX_ABORT) {
            free(data);
            return 4;
        }

        if (rc == NGX_BUSY) {
            /* the fenced writer is still inside its write */
            usleep(50);
            continue;
        }

        if (rc != NGX_OK || f.seq != seq) {
            fprintf(stderr, "writer %lu: seq %lu not written\n",
                    (unsigned long) epoch, (unsigned long) seq);
            return 1;
        }
    }

    free(data);

    return 0;
}


static int
test_mp_reader(ngx_rtc_ring_sh_t *r, test_mp_ctl_t *ctl, uint64_t total,
    ngx_uint_t slow, ngx_uint_t keyed)
{
    u_char           *buf;
    uint64_t          seq, head, last, oldest, key, epoch, top, next;
    ngx_int_t         rc;
    ngx_uint_t        ok, declined, again, jumps, keys;
    ngx_rtc_frame_t   f, e;

    buf = malloc(ngx_rtc_ring_max_frame(r));
    if (buf == NULL) {
        return 2;
    }

    ok = 0;
    declined = 0;
    again = 0;
    jumps = 0;
    keys = 0;
    key = 0;
    last = 0;
    top = 0;
    seq = 1;

    while (seq <= total) {

        head = ngx_rtc_ring_head(r);

        if (head < last) {
            fprintf(stderr, "reader: head went back %lu -> %lu\n",
                    (unsigned long) last, (unsigned long) head);
            return 1;
        }

        last = head;

        rc = ngx_rtc_ring_read(r, seq, &f, buf, ngx_rtc_ring_max_frame(r));

        switch (rc) {

        case NGX_OK:
            test_mp_spec(seq, &e);
            epoch = (uint64_t) (f.capture - e.capture);

            if (f.seq != seq || f.len != e.len || f.track != e.track
                || f.flags != e.flags || epoch >= TEST_MP_EPOCHS
                || f.rtp_ts != e.rtp_ts
                || test_verify(buf, test_mp_salt(seq, epoch), f.len)
                   != NGX_OK)
            {
                fprintf(stderr, "reader: torn frame %lu, len %lu\n",
                        (unsigned long) seq, (unsigned long) f.len);
                return 1;
            }

            /* writers follow each other: never an older one's frame later */

            if (epoch < top || seq > ctl->limit[epoch]) {
                fprintf(stderr, "reader: frame %lu by fenced writer %lu "
                        "(newest writer seen %lu, its limit %lu)\n",
                        (unsigned long) seq, (unsigned long) epoch,
                        (unsigned long) top,
                        (unsigned long) ctl->limit[epoch]);
                return 1;
            }

            top = epoch;

            if (seq == key) {
                if (f.track != NGX_RTC_TRACK_VIDEO
                    || !(f.flags & NGX_RTC_FRAME_KEY))
                {
                    fprintf(stderr, "reader: last_key %lu is no keyframe\n",
                            (unsigned long) seq);
                    return 1;
                }

                keys++;
            }

            ok++;
            seq++;

            if (slow && ok % 16 == 0) {
                usleep(2000);
            }

            break;

        case NGX_AGAIN:
            if (seq <= head) {
                fprintf(stderr, "reader: AGAIN for %lu, head %lu\n",
                        (unsigned long) seq, (unsigned long) head);
                return 1;
            }

            again++;
            sched_yield();
            break;

        case NGX_DECLINED:
            declined++;
            jumps++;

            if (slow) {
                key = ngx_rtc_ring_last_key(r);
                next = ngx_rtc_ring_resume(r, seq);

                if (next <= seq) {
                    fprintf(stderr, "reader: resume %lu after %lu\n",
                            (unsigned long) next, (unsigned long) seq);
                    return 1;
                }

                /* resumed at the keyframe, or at the newest frame */

                if (next != key) {
                    key = 0;
                }

                seq = next;

            } else {
                oldest = ngx_rtc_ring_oldest(r);
                seq = ngx_max(seq + 1, oldest);
            }

            break;

        default:
            fprintf(stderr, "reader: rc %ld for %lu\n", (long) rc,
                    (unsigned long) seq);
            return 1;
        }
    }

    printf("#   reader%s: %lu ok, %lu declined, %lu again, %lu jumps,"
           " %lu keyframe starts\n", slow ? " (slow)" : "",
           (unsigned long) ok, (unsigned long) declined,
           (unsigned long) again, (unsigned long) jumps,
           (unsigned long) keys);

    free(buf);

    /*
     * The slow reader must have been lapped and, where keyframes outlive
     * a few of its naps (a ring of 64 slots or more), restarted on one.
     */

    if (ok == 0
        || (slow && (jumps == 0 || (keyed && keys == 0))))
    {
        return 3;
    }

    return 0;
}


/* role: a writer's epoch (until "until"), or -1 - the reader's number */

static pid_t
test_mp_fork(ngx_rtc_ring_sh_t *r, test_mp_ctl_t *ctl, int fd, size_t n,
    ngx_uint_t nslots, uint64_t total, ngx_int_t role, uint64_t until)
{
    int                 rc;
    pid_t               pid;
    ngx_rtc_ring_sh_t  *own;

    fflush(stdout);

    pid = fork();

    if (pid != 0) {
        return pid;
    }

    alarm(60);

    if (role >= 0) {
        rc = test_mp_writer(r, ctl, until, (uint64_t) role);

    } else {
        /* readers map the ring again, at an address of their own */

        own = mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
        if (own == MAP_FAILED) {
            _exit(2);
        }

        rc = test_mp_reader(own, ctl, total,
                            -1 - role == TEST_MP_READERS - 1, nslots >= 64);
    }

    fflush(stdout);
    _exit(rc);
}


/* the parent fences the ring, as the zone's claim does under its lock */

static ngx_uint_t
test_mp_fence(ngx_rtc_ring_sh_t *r, test_mp_ctl_t *ctl, uint64_t epoch)
{
    ngx_uint_t  busy;

    /* the writer is stopped or gone: head stays */

    ctl->limit[epoch - 1] = ngx_rtc_ring_head(r);
    ngx_memory_barrier();

    busy = ngx_rtc_ring_fence(r, epoch);

    /* a write it was stopped inside may still end in one published frame */

    if (busy) {
        ctl->limit[epoch - 1]++;
    }

    ngx_memory_barrier();

    return busy;
}


static void
test_mp(size_t data_size, ngx_uint_t nslots, uint64_t total)
{
    int                 fd, status;
    pid_t               readers[TEST_MP_READERS], w, next;
    size_t              n;
    uint64_t            handover, kill_at, at, epoch;
    ngx_int_t           i;
    ngx_uint_t          killed, busy, inside;
    test_mp_ctl_t      *ctl;
    ngx_rtc_ring_sh_t  *r;

    printf("# %lu frames, arena %lu, %lu slots\n", (unsigned long) total,
           (unsigned long) data_size, (unsigned long) nslots);

    n = ngx_rtc_ring_bytes(data_size, nslots);

    fd = memfd_create("rtc-ring-mp", 0);
    if (fd == -1 || ftruncate(fd, n) != 0) {
        NGX_RTC_CHECK(0);
        return;
    }

    r = mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
    ctl = mmap(NULL, sizeof(test_mp_ctl_t), PROT_READ|PROT_WRITE,
               MAP_SHARED|MAP_ANONYMOUS, -1, 0);

    if (r == MAP_FAILED || ctl == MAP_FAILED) {
        NGX_RTC_CHECK(r != MAP_FAILED && ctl != MAP_FAILED);
        return;
    }

    for (i = 0; i < TEST_MP_EPOCHS; i++) {
        ctl->limit[i] = (uint64_t) -1;
    }

    ctl->gate = (uint64_t) -1;

    ngx_rtc_ring_init(r, data_size, nslots);
    epoch = 1;
    NGX_RTC_CHECK(ngx_rtc_ring_fence(r, epoch) == 0);

    for (i = 0; i < TEST_MP_READERS; i++) {
        readers[i] = test_mp_fork(r, ctl, fd, n, nslots, total, -1 - i, 0);
        NGX_RTC_CHECK(readers[i] > 0);
    }

    /* the first writer hands over at 35% by exiting */

    handover = total * 35 / 100;
    kill_at = total * 50 / 100;

    w = test_mp_fork(r, ctl, fd, n, nslots, total, epoch, handover);
    NGX_RTC_CHECK(w > 0 && waitpid(w, &status, 0) == w);
    NGX_RTC_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == handover);

    NGX_RTC_CHECK(test_mp_fence(r, ctl, ++epoch) == 0);

    /* the second one dies wherever it is when head passes 50% */

    w = test_mp_fork(r, ctl, fd, n, nslots, total, epoch, total);
    NGX_RTC_CHECK(w > 0);

    while (ngx_rtc_ring_head(r) < kill_at
           && waitpid(w, &status, WNOHANG) == 0)
    {
        usleep(100);
    }

    killed = (kill(w, SIGKILL) == 0);
    NGX_RTC_CHECK(waitpid(w, &status, 0) == w);

    /* dead inside a write: nobody ends it but the next owner */

    busy = test_mp_fence(r, ctl, ++epoch);

    if (busy) {
        NGX_RTC_CHECK(ngx_rtc_ring_recover(r, epoch) == 1);
    }

    printf("#   writer 2 %s at head %lu%s\n", killed ? "killed" : "finished",
           (unsigned long) ngx_rtc_ring_head(r),
           busy ? ", inside a write" : "");

    /*
     * Five times: stop the writer, fence it, start the next one, let the
     * stopped one go on while its successor writes.  It must stop at its
     * next write (exit 4) having published at most the frame it was in.
     */

    inside = 0;
    ctl->gate = total * 64 / 100;
    w = test_mp_fork(r, ctl, fd, n, nslots, total, epoch, total);
    NGX_RTC_CHECK(w > 0);

    for (i = 0; i < TEST_MP_STOPS; i++) {
        at = total * (60 + 8 * i) / 100;

        /* a writer that failed would leave head where it is */

        while (ngx_rtc_ring_head(r) < at) {
            if (waitpid(w, &status, WNOHANG) != 0) {
                fprintf(stderr, "writer %lu ended at head %lu: status "
                        "0x%x\n", (unsigned long) epoch,
                        (unsigned long) ngx_rtc_ring_head(r), status);
                NGX_RTC_CHECK(0);
                goto failed;
            }

            usleep(100);
        }

        NGX_RTC_CHECK(kill(w, SIGSTOP) == 0);
        NGX_RTC_CHECK(waitpid(w, &status, WUNTRACED) == w
                      && WIFSTOPPED(status));

        busy = test_mp_fence(r, ctl, ++epoch);
        inside += busy;

        /* up to 4% past the next stop, or to the end after the last */

        ctl->gate = (i + 1 < TEST_MP_STOPS)
                    ? total * (64 + 8 * (i + 1)) / 100 : (uint64_t) -1;
        ngx_memory_barrier();

        next = test_mp_fork(r, ctl, fd, n, nslots, total, epoch, total);
        NGX_RTC_CHECK(next > 0);

        usleep(2000);

        NGX_RTC_CHECK(kill(w, SIGCONT) == 0);
        NGX_RTC_CHECK(waitpid(w, &status, 0) == w);
        NGX_RTC_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);

        w = next;
    }

    printf("#   %lu of %d writers stopped inside a write\n",
           (unsigned long) inside, TEST_MP_STOPS);

    /* the last one finishes */

    NGX_RTC_CHECK(waitpid(w, &status, 0) == w);
    NGX_RTC_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    NGX_RTC_CHECK(ngx_rtc_ring_head(r) == total);

    for (i = 0; i < TEST_MP_READERS; i++) {
        NGX_RTC_CHECK(waitpid(readers[i], &status, 0) == readers[i]);
        NGX_RTC_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "reader %ld: status 0x%x\n", (long) i, status);
        }
    }

    goto done;

failed:

    /* the readers wait for frames that will not come */

    for (i = 0; i < TEST_MP_READERS; i++) {
        (void) kill(readers[i], SIGKILL);
        (void) waitpid(readers[i], &status, 0);
    }

done:

    munmap(ctl, sizeof(test_mp_ctl_t));
    munmap(r, n);
    close(fd);
}


int
main(void)
{
    test_basic();
    test_lap_slots();
    test_lap_data();
    test_last_key();
    test_live_key();
    test_fence();
    test_resume();
    test_max_frame();
    test_model();
    test_remap();
    /* about 1.28 MB of frames per 256: data runs out before slots */
    test_mp(1024 * 1024, 256, 200000);

    /* about 80 KB per 16 frames: slots run out long before data */
    test_mp(2 * 1024 * 1024, 16, 200000);

    return NGX_RTC_UNIT_DONE();
}
