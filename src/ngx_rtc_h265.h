/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_H265_H_INCLUDED_
#define _NGX_RTC_H265_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_h264.h"


#define NGX_RTC_H265_PS_MAX       256      /* largest VPS/SPS/PPS we keep */

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
 * The H.265 twin of ngx_rtc_h264_depack_t: RTP payloads (RFC 7798) in,
 * access units out through the same handler type, in the same format
 * (NAL units with 4-byte big-endian lengths, parameter sets in front of
 * every keyframe).
 */

typedef struct {
    u_char                 *buf;        /* caller-provided AU buffer */
    size_t                  size;
    size_t                  len;
    size_t                  fu_start;   /* offset of the FU NAL's prefix */
    uint32_t                ts;
    uint16_t                last_seq;
    unsigned                seq_valid:1;
    unsigned                started:1;
    unsigned                key:1;      /* AU holds an IRAP picture */
    unsigned                has_vps:1;
    unsigned                has_sps:1;
    unsigned                has_pps:1;
    unsigned                fu:1;       /* FU in progress */
    unsigned                wait_key:1; /* after loss: drop until an IRAP */
    unsigned                broken:1;   /* open AU lost data: drop it */
    unsigned                vcl:1;      /* AU holds a slice segment */
    unsigned                donl:1;     /* sprop-max-don-diff > 0 */
    u_char                  vps[NGX_RTC_H265_PS_MAX];  /* latest known */
    size_t                  vps_len;
    u_char                  sps[NGX_RTC_H265_PS_MAX];
    size_t                  sps_len;
    u_char                  pps[NGX_RTC_H265_PS_MAX];
    size_t                  pps_len;
    ngx_uint_t              dropped;    /* AUs dropped */
    ngx_uint_t              rejected;   /* packets declined */
    ngx_rtc_au_handler_pt   handler;
    void                   *data;
} ngx_rtc_h265_depack_t;


void ngx_rtc_h265_depack_init(ngx_rtc_h265_depack_t *d, u_char *buf,
    size_t size, ngx_rtc_au_handler_pt handler, void *data);
ngx_int_t ngx_rtc_h265_sprop(ngx_rtc_h265_depack_t *d, u_char *p,
    size_t len);
ngx_int_t ngx_rtc_h265_depacketize(ngx_rtc_h265_depack_t *d,
    u_char *payload, size_t len, uint16_t seq, uint32_t ts,
    ngx_uint_t marker);
void ngx_rtc_h265_depack_flush(ngx_rtc_h265_depack_t *d);


/*
 * The packetizer's cursor over one access unit is the H.264 one's: the
 * same fields, with H.265 payload structures (RFC 7798: single NAL unit
 * packets, APs, FUs; no DONL, sprop-max-don-diff being 0).
 */

typedef ngx_rtc_h264_pack_t  ngx_rtc_h265_pack_t;


void ngx_rtc_h265_pack_init(ngx_rtc_h265_pack_t *p, u_char *au, size_t len,
    size_t mtu);
ssize_t ngx_rtc_h265_pack_next(ngx_rtc_h265_pack_t *p, u_char *out,
    ngx_uint_t *last);

ngx_int_t ngx_rtc_h265_profile_id(u_char *au, size_t len);


#endif /* _NGX_RTC_H265_H_INCLUDED_ */
