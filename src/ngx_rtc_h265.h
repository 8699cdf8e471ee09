/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_H265_H_INCLUDED_
#define _NGX_RTC_H265_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_nal.h"


#define NGX_RTC_H265_PS_MAX       NGX_RTC_NAL_PS_MAX

/* nal_unit_type, ITU-T H.265 table 7-1 and RFC 7798 4.4 */
#define NGX_RTC_H265_NAL_BLA_W_LP 16       /* first IRAP type */
#define NGX_RTC_H265_NAL_IRAP_MAX 23       /* last (reserved) IRAP type */
#define NGX_RTC_H265_NAL_VCL_MAX  31
#define NGX_RTC_H265_NAL_VPS      32
#define NGX_RTC_H265_NAL_SPS      33
#define NGX_RTC_H265_NAL_PPS      34
#define NGX_RTC_H265_NAL_AUD      35
#define NGX_RTC_H265_NAL_FD       38
#define NGX_RTC_H265_NAL_AP       48
#define NGX_RTC_H265_NAL_FU       49
#define NGX_RTC_H265_NAL_PACI     50


/*
 * RFC 7798 payloads through the shared NAL core (ngx_rtc_nal.c), in the
 * same access unit format as H.264 (NAL units with 4-byte big-endian
 * lengths, parameter sets in front of every keyframe).  The packetizer
 * sends single NAL unit packets, APs and FUs, no DONL
 * (sprop-max-don-diff being 0).
 */

typedef ngx_rtc_nal_depack_t  ngx_rtc_h265_depack_t;
typedef ngx_rtc_nal_pack_t    ngx_rtc_h265_pack_t;


extern const ngx_rtc_nal_codec_t  ngx_rtc_h265_codec;


void ngx_rtc_h265_depack_init(ngx_rtc_h265_depack_t *d, u_char *buf,
    size_t size, ngx_rtc_au_handler_pt handler, void *data);
ngx_int_t ngx_rtc_h265_sprop(ngx_rtc_h265_depack_t *d, u_char *p,
    size_t len);


void ngx_rtc_h265_pack_init(ngx_rtc_h265_pack_t *p, u_char *au, size_t len,
    size_t mtu);

/* the state holds the codec from the *_init() on: the core's functions */
#define ngx_rtc_h265_depacketize    ngx_rtc_nal_depacketize
#define ngx_rtc_h265_depack_flush   ngx_rtc_nal_depack_flush
#define ngx_rtc_h265_pack_next      ngx_rtc_nal_pack_next

ngx_int_t ngx_rtc_h265_profile_id(u_char *au, size_t len);


#endif /* _NGX_RTC_H265_H_INCLUDED_ */
