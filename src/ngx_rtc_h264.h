/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_H264_H_INCLUDED_
#define _NGX_RTC_H264_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_nal.h"


#define NGX_RTC_H264_MTU          NGX_RTC_NAL_MTU
#define NGX_RTC_H264_PS_MAX       NGX_RTC_NAL_PS_MAX

/* nal_unit_type, ITU-T H.264 table 7-1 and RFC 6184 table 1 */
#define NGX_RTC_H264_NAL_SLICE    1
#define NGX_RTC_H264_NAL_IDR      5
#define NGX_RTC_H264_NAL_SEI      6
#define NGX_RTC_H264_NAL_SPS      7
#define NGX_RTC_H264_NAL_PPS      8
#define NGX_RTC_H264_NAL_AUD      9
#define NGX_RTC_H264_NAL_FILLER   12
#define NGX_RTC_H264_NAL_STAP_A   24
#define NGX_RTC_H264_NAL_STAP_B   25
#define NGX_RTC_H264_NAL_MTAP16   26
#define NGX_RTC_H264_NAL_MTAP24   27
#define NGX_RTC_H264_NAL_FU_A     28
#define NGX_RTC_H264_NAL_FU_B     29


/*
 * RFC 6184 payloads through the shared NAL core (ngx_rtc_nal.c): the
 * depacketizer's and packetizer's state are the core's.
 */

typedef ngx_rtc_nal_depack_t  ngx_rtc_h264_depack_t;
typedef ngx_rtc_nal_pack_t    ngx_rtc_h264_pack_t;


extern const ngx_rtc_nal_codec_t  ngx_rtc_h264_codec;


void ngx_rtc_h264_depack_init(ngx_rtc_h264_depack_t *d, u_char *buf,
    size_t size, ngx_rtc_au_handler_pt handler, void *data);
ngx_int_t ngx_rtc_h264_sprop(ngx_rtc_h264_depack_t *d, u_char *p,
    size_t len);

void ngx_rtc_h264_pack_init(ngx_rtc_h264_pack_t *p, u_char *au, size_t len,
    size_t mtu);

/* the state holds the codec from the *_init() on: the core's functions */
#define ngx_rtc_h264_depacketize    ngx_rtc_nal_depacketize
#define ngx_rtc_h264_depack_flush   ngx_rtc_nal_depack_flush
#define ngx_rtc_h264_pack_next      ngx_rtc_nal_pack_next


/* the fragment size of FU-A and H.265 FU: the NAL core's rule */
#define ngx_rtc_h264_frag_size  ngx_rtc_nal_frag_size


ngx_uint_t ngx_rtc_h264_au_is_key(u_char *au, size_t len);
ngx_int_t ngx_rtc_h264_au_find(u_char *au, size_t len, ngx_uint_t type,
    u_char **nal, size_t *nal_len);
uint32_t ngx_rtc_h264_profile_level_id(u_char *sps, size_t len);


#endif /* _NGX_RTC_H264_H_INCLUDED_ */
