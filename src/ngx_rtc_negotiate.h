/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_NEGOTIATE_H_INCLUDED_
#define _NGX_RTC_NEGOTIATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_sdp.h"


#define NGX_RTC_NEGOTIATE_NONE       ((ngx_uint_t) -1)

/* the longest fmtp an inactive m-line of the answer echoes */
#define NGX_RTC_NEGOTIATE_ECHO_FMTP  256

/* HTTP statuses of a refused offer */
#define NGX_RTC_NEGOTIATE_BAD_OFFER  400
#define NGX_RTC_NEGOTIATE_MISMATCH   406
#define NGX_RTC_NEGOTIATE_NO_VIDEO   422      /* no m=video to send on */

#define NGX_RTC_NEGOTIATE_NO_VIDEO_TEXT                                      \
    "the offer has no m=video section to receive video"


/* what the stream sends */

typedef struct {
    ngx_str_t                 name;       /* the stream's, for the reason */
    ngx_uint_t                video;      /* NGX_RTC_CODEC_H264, _H265 */
    ngx_int_t                 profile;    /* H.265 general_profile_idc, or
                                             -1 if not known yet */
    ngx_uint_t                audio;      /* NGX_RTC_CODEC_PCMA, _PCMU,
                                             _OPUS; _NONE: no audio */
} ngx_rtc_negotiate_conf_t;


/* the choice, with the answer's m-lines filled in */

typedef struct {
    ngx_uint_t                video;      /* m-line index in the offer */
    ngx_uint_t                transport;  /* the m-line whose ICE and DTLS
                                             the session takes: the BUNDLE
                                             group's tagged one, or video */
    ngx_uint_t                audio;      /* NGX_RTC_NEGOTIATE_NONE: none */
    ngx_uint_t                video_pt;
    ngx_uint_t                rtx_pt;     /* NGX_RTC_NEGOTIATE_NONE: none */
    ngx_uint_t                audio_pt;
    ngx_uint_t                audio_offered;  /* an audio m-line we could
                                                 take, codec aside */

    ngx_uint_t                status;     /* on failure */
    ngx_str_t                 reason;     /* on failure, in the buffer */
} ngx_rtc_negotiate_t;


ngx_int_t ngx_rtc_negotiate(ngx_rtc_negotiate_conf_t *conf,
    ngx_rtc_sdp_t *offer, ngx_rtc_sdp_answer_t *ans, ngx_rtc_negotiate_t *neg,
    u_char *buf, size_t size);
ngx_int_t ngx_rtc_negotiate_offer(ngx_rtc_sdp_t *offer,
    ngx_rtc_negotiate_t *neg);
ngx_uint_t ngx_rtc_negotiate_video(ngx_rtc_sdp_t *offer);
ngx_uint_t ngx_rtc_negotiate_h264_mode0(ngx_rtc_sdp_t *offer, ngx_uint_t pt);
const char *ngx_rtc_negotiate_codec_name(ngx_uint_t codec);


#endif /* _NGX_RTC_NEGOTIATE_H_INCLUDED_ */
