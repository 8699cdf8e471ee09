/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_ring.h"
#include "ngx_rtc_latency.h"


/*
 * Layout, all offsets from the ring base:
 *
 *     ngx_rtc_ring_sh_t | nslots x ngx_rtc_ring_slot_sh_t | data arena
 *
 * Frame seq lives in slot seq % nslots.  Its data is a contiguous run of the
 * arena (never wrapping: a frame that does not fit before the arena end
 * starts again at offset 0).  Besides the arena offset, every frame records
 * its absolute position "pos": the count of arena bytes used before it,
 * skipped tails included, so that the byte at offset o of lap k has
 * position k * data_size + o and is overwritten by position + data_size.
 *
 * Each slot is a seqlock: "gen" is odd while the writer rewrites the slot
 * and grows on every rewrite, so a reader that saw the same even gen before
 * and after its copy read consistent metadata, even if a new writer stores
 * a seq again that a dead one had stored but not published.  The data is
 * guarded by "reserved", the end position of the frame being written,
 * published before any byte is touched: a reader that copied the frame at
 * pos and then still sees reserved - pos <= data_size knows no byte of it
 * was overwritten.
 *
 * Positions, seqs and gens are ngx_atomic_uint_t (64 bits on 64-bit
 * platforms) and are compared by unsigned differences where they can wrap.
 *
 * Fencing.  "writer" holds the epoch of the one writer allowed (the stream's
 * lease epoch, set by ngx_rtc_ring_fence() at every change of owner) and,
 * in its low bit, "a write is in progress".  A write starts with a
 * compare-and-set from "epoch, idle" to "epoch, writing", so a writer whose
 * epoch is stale touches nothing; a fence keeps the low bit, so a writer
 * that was stopped inside a write (SIGSTOP, a VM pause) finishes or aborts
 * it alone: until it clears the bit, the new writer gets NGX_BUSY and
 * writes nothing.  Writers thus never interleave, whatever their stalls.
 * Before publishing, the writer checks its epoch again: a fenced write
 * leaves its slot odd (unreadable) and the head where it was.  A writer
 * that died inside a write leaves the bit set: ngx_rtc_ring_recover()
 * clears it once its death is certain.
 */

#define NGX_RTC_RING_ALIGN  8
#define NGX_RTC_RING_CACHE  64


struct ngx_rtc_ring_sh_s {
    /* set by ngx_rtc_ring_init(), constant afterwards */
    size_t                    data_size;
    size_t                    data_off;
    ngx_uint_t                nslots;

    /* the fence: epoch << 1 | writing */
    ngx_atomic_t              writer;

    /* written by the writer only; kept here for the next writer */
    ngx_atomic_t              head;      /* newest complete frame */
    ngx_atomic_t              tail;      /* oldest frame still readable */
    ngx_atomic_t              last_key;  /* newest readable video key */
    ngx_atomic_t              reserved;  /* end position of newest frame */
    size_t                    wroff;     /* arena offset of "reserved" */
};


typedef struct {
    ngx_atomic_t              gen;       /* odd while being rewritten */
    ngx_atomic_uint_t         seq;
    ngx_atomic_uint_t         pos;
    size_t                    off;
    int64_t                   capture;
    int64_t                   arrival;
    uint32_t                  rtp_ts;
    uint32_t                  flags;
    uint32_t                  track;
    uint32_t                  len;
} ngx_rtc_ring_slot_sh_t;


#define ngx_rtc_ring_slots_off()                                              \
    ngx_align(sizeof(ngx_rtc_ring_sh_t), NGX_RTC_RING_CACHE)

#define ngx_rtc_ring_slots(r)                                                 \
    ((ngx_rtc_ring_slot_sh_t *) ((u_char *) (r) + ngx_rtc_ring_slots_off()))

#define ngx_rtc_ring_data(r)  ((u_char *) (r) + (r)->data_off)


static size_t ngx_rtc_ring_data_off(ngx_uint_t nslots);
static ngx_int_t ngx_rtc_ring_copy(ngx_rtc_ring_sh_t *r,
    ngx_atomic_uint_t seq, ngx_rtc_frame_t *f, u_char *buf, size_t size);
static void ngx_rtc_ring_leave(ngx_rtc_ring_sh_t *r);


size_t
ngx_rtc_ring_bytes(size_t data_size, ngx_uint_t nslots)
{
    return ngx_rtc_ring_data_off(nslots) + data_size;
}


static size_t
ngx_rtc_ring_data_off(ngx_uint_t nslots)
{
    if (nslots == 0) {
        nslots = 1;
    }

    return ngx_align(ngx_rtc_ring_slots_off()
                     + nslots * sizeof(ngx_rtc_ring_slot_sh_t),
                     NGX_RTC_RING_CACHE);
}


void
ngx_rtc_ring_init(ngx_rtc_ring_sh_t *r, size_t data_size, ngx_uint_t nslots)
{
    if (nslots == 0) {
        nslots = 1;
    }

    /* the arena needs no zeroing: no slot points into it yet */

    ngx_memzero(r, ngx_rtc_ring_data_off(nslots));

    r->data_size = data_size;
    r->data_off = ngx_rtc_ring_data_off(nslots);
    r->nslots = nslots;
    r->tail = 1;
}


/*
 * The one frame-size rule, for the writer and every reader: a quarter of
 * the arena at most, so that a few frames (a keyframe among them) stay
 * readable and a frame always fits after a skip, and never more than a
 * reader's buffer (NGX_RTC_MAX_FRAME).
 */

size_t
ngx_rtc_ring_max_frame_size(size_t data_size)
{
    return ngx_min(data_size / 4, NGX_RTC_MAX_FRAME);
}


size_t
ngx_rtc_ring_max_frame(ngx_rtc_ring_sh_t *r)
{
    return ngx_rtc_ring_max_frame_size(r->data_size);
}


size_t
ngx_rtc_ring_size(ngx_rtc_ring_sh_t *r)
{
    return r->data_size;
}


/*
 * Make "epoch" the only one allowed to write; called under the zone lock
 * at every change of the stream's owner.  Returns 1 if a write of an
 * older epoch is still in progress (its writer is stalled or dead).
 */

ngx_uint_t
ngx_rtc_ring_fence(ngx_rtc_ring_sh_t *r, ngx_atomic_uint_t epoch)
{
    ngx_atomic_uint_t  w;

    for ( ;; ) {
        w = r->writer;

        if (ngx_atomic_cmp_set(&r->writer, w, (epoch << 1) | (w & 1))) {
            return w & 1;
        }
    }
}


/* the writer of the write in progress is known to be dead: let epoch go on */

ngx_uint_t
ngx_rtc_ring_recover(ngx_rtc_ring_sh_t *r, ngx_atomic_uint_t epoch)
{
    return ngx_atomic_cmp_set(&r->writer, (epoch << 1) | 1, epoch << 1);
}


ngx_atomic_uint_t
ngx_rtc_ring_epoch(ngx_rtc_ring_sh_t *r)
{
    return r->writer >> 1;
}


ngx_uint_t
ngx_rtc_ring_writing(ngx_rtc_ring_sh_t *r)
{
    return r->writer & 1;
}


/*
 * NGX_OK; NGX_DECLINED: over ngx_rtc_ring_max_frame(); NGX_ABORT: epoch is
 * not the ring's (fenced), nothing was written; NGX_BUSY: the write of a
 * fenced writer is still in progress, nothing was written.
 */

ngx_int_t
ngx_rtc_ring_write(ngx_rtc_ring_sh_t *r, ngx_atomic_uint_t epoch,
    ngx_rtc_frame_t *f, u_char *data, size_t len)
{
    size_t                   off;
    int64_t                  arrival;
    ngx_atomic_uint_t        seq, tail, pos, end, w;
    ngx_rtc_ring_slot_sh_t  *slots, *s, *t;

    if (len > ngx_rtc_ring_max_frame(r)) {
        return NGX_DECLINED;
    }

    /* the start of the send delay (ngx_rtc_latency.h) */
    arrival = ngx_rtc_latency_now();

    if (!ngx_atomic_cmp_set(&r->writer, epoch << 1, (epoch << 1) | 1)) {
        w = r->writer;
        return ((w >> 1) != epoch) ? NGX_ABORT : NGX_BUSY;
    }

    slots = ngx_rtc_ring_slots(r);

    /* a new writer simply continues from head */

    seq = r->head + 1;
    s = &slots[seq % r->nslots];

    off = ngx_align(r->wroff, NGX_RTC_RING_ALIGN);

    if (off > r->data_size || len > r->data_size - off) {
        pos = r->reserved + (r->data_size - r->wroff);
        off = 0;

    } else {
        pos = r->reserved + (off - r->wroff);
    }

    end = pos + len;

    /*
     * Retire, before any byte is written, the frame whose slot is reused
     * and every frame whose data the new one overwrites.  Frames are
     * retired oldest first, so one intact frame means all newer are intact.
     */

    s->gen = (s->gen + 1) | 1;

    for (tail = r->tail; tail < seq; tail++) {
        t = &slots[tail % r->nslots];

        if ((t->gen & 1) == 0
            && t->seq == tail
            && end - t->pos <= r->data_size)
        {
            break;
        }
    }

    if (r->last_key < tail) {
        r->last_key = 0;
    }

    r->tail = tail;
    r->reserved = end;
    r->wroff = off + len;

    ngx_memory_barrier();

    if (len) {
        ngx_memcpy(ngx_rtc_ring_data(r) + off, data, len);
    }

    s->seq = seq;
    s->pos = pos;
    s->off = off;
    s->capture = f->capture;
    s->arrival = arrival;
    s->rtp_ts = f->rtp_ts;
    s->flags = f->flags;
    s->track = f->track;
    s->len = (uint32_t) len;

    ngx_memory_barrier();

    /*
     * Fenced while writing: publish nothing.  The slot stays odd (the seq
     * is rewritten by the next writer, which goes on from head), and the
     * new writer has waited for this one (NGX_BUSY) until the bit clears.
     */

    if (r->writer != ((epoch << 1) | 1)) {
        s->gen += 2;
        ngx_rtc_ring_leave(r);
        return NGX_ABORT;
    }

    s->gen++;

    /*
     * The slot must be complete before head says so: a reader that saw
     * head >= seq and then an inconsistent slot concludes the frame is gone.
     */

    ngx_memory_barrier();

    if (f->track == NGX_RTC_TRACK_VIDEO && (f->flags & NGX_RTC_FRAME_KEY)) {
        r->last_key = seq;
    }

    r->head = seq;

    f->seq = seq;
    f->len = (uint32_t) len;

    /*
     * A fence between the check and here let this complete frame through;
     * the next write is refused.
     */

    ngx_rtc_ring_leave(r);

    return NGX_OK;
}


static void
ngx_rtc_ring_leave(ngx_rtc_ring_sh_t *r)
{
    ngx_atomic_uint_t  w;

    ngx_memory_barrier();

    /* only the writer in progress clears the bit; a fence may change epoch */

    for ( ;; ) {
        w = r->writer;

        if (ngx_atomic_cmp_set(&r->writer, w, w & ~(ngx_atomic_uint_t) 1)) {
            return;
        }
    }
}


ngx_int_t
ngx_rtc_ring_read(ngx_rtc_ring_sh_t *r, uint64_t seq, ngx_rtc_frame_t *f,
    u_char *buf, size_t size)
{
    ngx_int_t          rc;
    ngx_uint_t         i;
    ngx_atomic_uint_t  want, head;

    if (seq == 0) {
        return NGX_DECLINED;
    }

    want = (ngx_atomic_uint_t) seq;

    for (i = 0; /* void */; i++) {

        /*
         * head first: if it already covered seq, an inconsistent slot can
         * only mean the frame was overwritten since
         */

        head = r->head;
        ngx_memory_barrier();

        rc = ngx_rtc_ring_copy(r, want, f, buf, size);

        if (rc != NGX_AGAIN) {
            f->seq = seq;
            return rc;
        }

        if (want <= head) {
            return NGX_DECLINED;
        }

        /* not published when we looked; try again if it is now */

        ngx_memory_barrier();

        if (want > r->head || i > 0) {
            return NGX_AGAIN;
        }
    }
}


/*
 * A frame's metadata (length, track, flags, times) without its data: what
 * a reader needs to plan before it copies.  NGX_OK, NGX_AGAIN or
 * NGX_DECLINED as ngx_rtc_ring_read() (a zero-size read: "too large for
 * the buffer" means the metadata was read consistently).
 */

ngx_int_t
ngx_rtc_ring_peek(ngx_rtc_ring_sh_t *r, uint64_t seq, ngx_rtc_frame_t *f)
{
    ngx_int_t  rc;

    rc = ngx_rtc_ring_read(r, seq, f, NULL, 0);

    return (rc == NGX_ERROR) ? NGX_OK : rc;
}


/*
 * The ring's health at a glance (status, metrics): the capture times of
 * its newest frame, newest keyframe and oldest frame, read without copying
 * the frames; NGX_DECLINED when it holds none.  The oldest frame may be
 * overwritten while we look: a few tries further on.
 */

ngx_int_t
ngx_rtc_ring_times(ngx_rtc_ring_sh_t *r, ngx_rtc_ring_times_t *t)
{
    uint64_t         head, seq;
    ngx_uint_t       tries;
    ngx_rtc_frame_t  f;

    head = ngx_rtc_ring_head(r);

    if (head == 0 || ngx_rtc_ring_peek(r, head, &f) != NGX_OK) {
        return NGX_DECLINED;
    }

    t->newest = f.capture;
    t->key = 0;

    seq = ngx_rtc_ring_last_key(r);

    if (seq && ngx_rtc_ring_peek(r, seq, &f) == NGX_OK) {
        t->key = f.capture;
    }

    t->oldest = t->newest;
    seq = ngx_rtc_ring_oldest(r);

    for (tries = 0; tries < 8 && seq && seq <= head; tries++, seq += 16) {
        if (ngx_rtc_ring_peek(r, seq, &f) == NGX_OK) {
            t->oldest = f.capture;
            break;
        }
    }

    return NGX_OK;
}


/* NGX_AGAIN here means "no consistent copy": the caller tells why */

static ngx_int_t
ngx_rtc_ring_copy(ngx_rtc_ring_sh_t *r, ngx_atomic_uint_t seq,
    ngx_rtc_frame_t *f, u_char *buf, size_t size)
{
    size_t                   off, len;
    ngx_atomic_uint_t        gen, pos;
    ngx_rtc_ring_slot_sh_t  *s;

    s = &ngx_rtc_ring_slots(r)[seq % r->nslots];

    gen = s->gen;
    ngx_memory_barrier();

    if ((gen & 1) || s->seq != seq) {
        return NGX_AGAIN;
    }

    pos = s->pos;
    off = s->off;
    len = s->len;

    f->capture = s->capture;
    f->arrival = s->arrival;
    f->rtp_ts = s->rtp_ts;
    f->flags = s->flags;
    f->track = s->track;
    f->len = (uint32_t) len;

    if (off > r->data_size || len > r->data_size - off) {
        /* metadata of a frame being stored in the slot right now */
        return NGX_AGAIN;
    }

    if (len > size) {
        ngx_memory_barrier();
        return (s->gen == gen) ? NGX_ERROR : NGX_AGAIN;
    }

    if (len) {
        ngx_memcpy(buf, ngx_rtc_ring_data(r) + off, len);
    }

    ngx_memory_barrier();

    if (s->gen != gen || r->reserved - pos > r->data_size) {
        return NGX_AGAIN;
    }

    return NGX_OK;
}


uint64_t
ngx_rtc_ring_head(ngx_rtc_ring_sh_t *r)
{
    return r->head;
}


uint64_t
ngx_rtc_ring_last_key(ngx_rtc_ring_sh_t *r)
{
    return r->last_key;
}


/*
 * The newest keyframe if the video frames from it up to "end" (excluded)
 * came without a break: none more than "gap" usec after the one before
 * it, nor the last more than "gap" before "now" (arrival times, the
 * ring's clock).  0: no keyframe before "end", one overwritten, or a
 * break (what the ring holds is from before it).  Audio frames are not
 * looked at.
 */

uint64_t
ngx_rtc_ring_live_key(ngx_rtc_ring_sh_t *r, uint64_t end, int64_t now,
    int64_t gap)
{
    int64_t          arrived;
    uint64_t         key, seq;
    ngx_rtc_frame_t  f;

    key = r->last_key;

    if (key == 0 || key >= end) {
        return 0;
    }

    arrived = -1;

    for (seq = key; seq < end; seq++) {

        if (ngx_rtc_ring_peek(r, seq, &f) != NGX_OK) {
            return 0;
        }

        if (f.track != NGX_RTC_TRACK_VIDEO) {
            continue;
        }

        if (arrived >= 0 && f.arrival - arrived > gap) {
            return 0;
        }

        arrived = f.arrival;
    }

    if (arrived < 0 || now - arrived > gap) {
        return 0;
    }

    return key;
}


/*
 * Where a reader refused "seq" (NGX_DECLINED: overwritten) goes on: at the
 * newest keyframe if it is newer, else at the newest frame, re-read now.
 * Always after seq, so a reader lapped again and again still advances.
 */

uint64_t
ngx_rtc_ring_resume(ngx_rtc_ring_sh_t *r, uint64_t seq)
{
    uint64_t  key, head;

    key = r->last_key;

    if (key > seq) {
        return key;
    }

    head = r->head;

    return (head > seq) ? head : seq + 1;
}


uint64_t
ngx_rtc_ring_oldest(ngx_rtc_ring_sh_t *r)
{
    /*
     * May exceed head by one while the writer stores a frame that retired
     * all older ones.
     */

    return r->head ? r->tail : 0;
}
