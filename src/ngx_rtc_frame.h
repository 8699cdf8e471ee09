/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_FRAME_H_INCLUDED_
#define _NGX_RTC_FRAME_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * One access unit as it travels from a producer through the ring to the
 * packetizers.  Video access units are stored as a sequence of NAL units,
 * each preceded by its length as 4 bytes, big-endian; a keyframe access unit
 * carries its parameter sets (SPS/PPS, and VPS for H.265) in front.
 */

#define NGX_RTC_FRAME_KEY        0x01

/* a reader's frame buffer: no ring takes a larger frame */
#define NGX_RTC_MAX_FRAME        (2 * 1024 * 1024)

/*
 * The largest picture libavcodec decodes for us (snapshots, transcoders,
 * ffmpeg: inputs' probe): 8K, 8192x4320.  An SPS may say 16384x16384; a
 * decoder would allocate such pictures, 400 MB each.
 */
#define NGX_RTC_MAX_PIXELS       (8192 * 4320)

#define NGX_RTC_TRACK_VIDEO      0
#define NGX_RTC_TRACK_AUDIO      1

#define NGX_RTC_CODEC_NONE       0
#define NGX_RTC_CODEC_H264       1
#define NGX_RTC_CODEC_H265       2
#define NGX_RTC_CODEC_PCMA       3
#define NGX_RTC_CODEC_PCMU       4
#define NGX_RTC_CODEC_OPUS       5
#define NGX_RTC_CODEC_AAC        6

/* what a source says of its video besides the codec */
#define NGX_RTC_VIDEO_BFRAMES    0x01     /* H.264 with B-frames */


typedef struct {
    uint64_t                  seq;       /* ring sequence, from 1 */
    int64_t                   capture;   /* wall clock, microseconds */
    int64_t                   arrival;   /* into the ring: monotonic us */
    uint32_t                  rtp_ts;    /* source RTP timestamp */
    uint32_t                  flags;     /* NGX_RTC_FRAME_KEY */
    uint32_t                  track;     /* NGX_RTC_TRACK_* */
    uint32_t                  len;       /* bytes of data */
} ngx_rtc_frame_t;


/* a capture time: the wall clock, microseconds */

static ngx_inline int64_t
ngx_rtc_frame_now(void)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}


/*
 * The capture time of an audio frame with RTP timestamp rtp_ts from a
 * packet that arrived at "arrival" with timestamp ts: later by its place
 * in the packet, at the track's clock (8000 Hz if unknown).
 */

static ngx_inline int64_t
ngx_rtc_frame_audio_capture(int64_t arrival, uint32_t ts, uint32_t rtp_ts,
    ngx_uint_t clock)
{
    return arrival + (int64_t) (int32_t) (rtp_ts - ts) * 1000000
                     / (int64_t) (clock ? clock : 8000);
}


#endif /* _NGX_RTC_FRAME_H_INCLUDED_ */
