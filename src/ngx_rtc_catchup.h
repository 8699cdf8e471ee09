/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_CATCHUP_H_INCLUDED_
#define _NGX_RTC_CATCHUP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>


/*
 * A session's catch-up: when its media starts, or its viewer asks for a
 * keyframe, the video frames from the newest keyframe in the ring to the
 * live edge go out paced (ngx_rtc_pace.c), from a timer, while the live
 * fan-out skips the session's video; then the session follows the fan-out.
 *
 * Only a backlog the source sent without a break up to now is caught up
 * (ngx_rtc_stream_live_key()): a gap of NGX_RTC_STREAM_LIVE_GAP between
 * two of its video frames, or since the last one, means pictures from
 * before the stream went idle or the camera dropped off, and the session
 * waits for a live keyframe instead.
 */

void ngx_rtc_catchup_start(ngx_rtc_session_t *s);
void ngx_rtc_catchup_stop(ngx_rtc_session_t *s);


#endif /* _NGX_RTC_CATCHUP_H_INCLUDED_ */
