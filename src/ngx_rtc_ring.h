/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RING_H_INCLUDED_
#define _NGX_RTC_RING_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_frame.h"


/*
 * A per-stream ring of frames in shared memory: one writer process, any
 * number of lock-free readers.  The ring lives in caller-given memory of
 * ngx_rtc_ring_bytes() bytes (a slab block, or an mmap()ed area in tests),
 * holds offsets only, and may be mapped at different addresses.
 *
 * Readers never block the writer.  A reader asks for a frame by sequence
 * number and gets a verified copy, or learns that the frame is not written
 * yet (NGX_AGAIN) or already overwritten (NGX_DECLINED: go on at
 * ngx_rtc_ring_resume()).
 *
 * Only the writer holding the ring's epoch writes (see ngx_rtc_ring_fence()):
 * each write names the epoch it is made under and is refused when the
 * epoch moved on.
 */

typedef struct ngx_rtc_ring_sh_s  ngx_rtc_ring_sh_t;


size_t ngx_rtc_ring_bytes(size_t data_size, ngx_uint_t nslots);
void ngx_rtc_ring_init(ngx_rtc_ring_sh_t *r, size_t data_size,
    ngx_uint_t nslots);
size_t ngx_rtc_ring_max_frame_size(size_t data_size);
size_t ngx_rtc_ring_max_frame(ngx_rtc_ring_sh_t *r);
size_t ngx_rtc_ring_size(ngx_rtc_ring_sh_t *r);

ngx_uint_t ngx_rtc_ring_fence(ngx_rtc_ring_sh_t *r, ngx_atomic_uint_t epoch);
ngx_uint_t ngx_rtc_ring_recover(ngx_rtc_ring_sh_t *r,
    ngx_atomic_uint_t epoch);
ngx_atomic_uint_t ngx_rtc_ring_epoch(ngx_rtc_ring_sh_t *r);
ngx_uint_t ngx_rtc_ring_writing(ngx_rtc_ring_sh_t *r);

ngx_int_t ngx_rtc_ring_write(ngx_rtc_ring_sh_t *r, ngx_atomic_uint_t epoch,
    ngx_rtc_frame_t *f, u_char *data, size_t len);
ngx_int_t ngx_rtc_ring_read(ngx_rtc_ring_sh_t *r, uint64_t seq,
    ngx_rtc_frame_t *f, u_char *buf, size_t size);
ngx_int_t ngx_rtc_ring_peek(ngx_rtc_ring_sh_t *r, uint64_t seq,
    ngx_rtc_frame_t *f);

uint64_t ngx_rtc_ring_head(ngx_rtc_ring_sh_t *r);
uint64_t ngx_rtc_ring_last_key(ngx_rtc_ring_sh_t *r);


/* capture times (usec) of the newest frame, newest keyframe, oldest frame */

typedef struct {
    int64_t                   newest;
    int64_t                   key;        /* 0: no keyframe readable */
    int64_t                   oldest;
} ngx_rtc_ring_times_t;

ngx_int_t ngx_rtc_ring_times(ngx_rtc_ring_sh_t *r, ngx_rtc_ring_times_t *t);
uint64_t ngx_rtc_ring_oldest(ngx_rtc_ring_sh_t *r);
uint64_t ngx_rtc_ring_resume(ngx_rtc_ring_sh_t *r, uint64_t seq);
uint64_t ngx_rtc_ring_live_key(ngx_rtc_ring_sh_t *r, uint64_t end,
    int64_t now, int64_t gap);


#endif /* _NGX_RTC_RING_H_INCLUDED_ */
