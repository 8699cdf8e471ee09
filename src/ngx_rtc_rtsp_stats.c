/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_rtsp_media.h>
#include <ngx_rtc_rtsp_stats.h>


/*
 * What the RTSP client counted of the camera's RTP, for the producer
 * (ngx_rtc_source.h): the packets of each track (for the client's life),
 * and what its depacketizers lost, refused and dropped (for the current
 * connection: they are set up again after each DESCRIBE, each just
 * before the client calls codec()).  The video's is the depacketizer of
 * the track's codec: the other one may hold an earlier connection's.
 * AUs dropped while joining the stream (before its first keyframe) are
 * not the camera's fault and not counted.  Only reads: the client's
 * per-packet path is not touched.
 */

void
ngx_rtc_rtsp_stats(ngx_rtc_rtsp_t *rtsp, ngx_rtc_source_stats_t *stats)
{
    ngx_rtc_rtsp_track_t    *t;
    ngx_rtc_nal_depack_t    *d;
    ngx_rtc_source_stats_t  *s;

    t = &rtsp->tracks[NGX_RTC_RTSP_VIDEO];
    s = &stats[NGX_RTC_TRACK_VIDEO];

    switch (t->codec) {

    case NGX_RTC_CODEC_H264:
        d = &rtsp->h264;
        break;

    case NGX_RTC_CODEC_H265:
        d = &rtsp->h265;
        break;

    default:
        d = NULL;
    }

    s->packets = t->packets;
    s->lost = d ? d->lost : 0;
    s->rejected = d ? d->rejected : 0;
    s->dropped = d ? d->dropped - d->skipped : 0;

    t = &rtsp->tracks[NGX_RTC_RTSP_AUDIO];
    s = &stats[NGX_RTC_TRACK_AUDIO];

    s->packets = t->packets;
    s->lost = rtsp->audio.lost;
    s->rejected = rtsp->audio.rejected;
    s->dropped = rtsp->audio.dropped;
}
