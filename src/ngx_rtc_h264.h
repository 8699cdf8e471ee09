/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_H264_H_INCLUDED_
#define _NGX_RTC_H264_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_H264_MTU          1200     /* default RTP payload size */
#define NGX_RTC_H264_PS_MAX       256      /* largest SPS/PPS we keep */

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
 * Called for each complete access unit: NAL units, each preceded by its
 * length as 4 bytes big-endian (ngx_rtc_frame.h).  "au" points into the
 * depacketizer's buffer and is only valid during the call.
 */
typedef void (*ngx_rtc_au_handler_pt)(void *data, u_char *au, size_t len,
    uint32_t rtp_ts, ngx_uint_t key);


typedef struct {
    u_char                 *buf;        /* caller-provided AU buffer */
    size_t                  size;
    size_t                  len;
    size_t                  fu_start;   /* offset of the FU-A NAL's prefix */
    uint32_t                ts;
    uint16_t                last_seq;
    unsigned                seq_valid:1;
    unsigned                started:1;  /* an AU with timestamp ts is open */
    unsigned                key:1;      /* AU holds an IDR slice */
    unsigned                has_sps:1;  /* AU holds an SPS */
    unsigned                has_pps:1;  /* AU holds a PPS */
    unsigned                fu:1;       /* FU-A in progress */
    unsigned                wait_key:1; /* after loss: drop until an IDR */
    unsigned                broken:1;   /* open AU lost data: drop it */
    unsigned                vcl:1;      /* AU holds a slice */
    u_char                  sps[NGX_RTC_H264_PS_MAX];  /* latest known */
    size_t                  sps_len;
    u_char                  pps[NGX_RTC_H264_PS_MAX];
    size_t                  pps_len;
    ngx_uint_t              dropped;    /* AUs dropped */
    ngx_uint_t              rejected;   /* packets declined */
    ngx_rtc_au_handler_pt   handler;
    void                   *data;
} ngx_rtc_h264_depack_t;


typedef struct {
    u_char                 *au;
    u_char                 *end;
    u_char                 *pos;        /* next NAL's length prefix */
    u_char                 *last;       /* prefix of the last NAL we send */
    u_char                 *nal;        /* NAL being sent as FU-A, or NULL */
    size_t                  nal_len;
    size_t                  off;        /* bytes of nal already sent */
    size_t                  mtu;
    ngx_uint_t              nal_last;   /* nal is the AU's last */
    ngx_uint_t              error;      /* malformed AU */
} ngx_rtc_h264_pack_t;


void ngx_rtc_h264_depack_init(ngx_rtc_h264_depack_t *d, u_char *buf,
    size_t size, ngx_rtc_au_handler_pt handler, void *data);
ngx_int_t ngx_rtc_h264_sprop(ngx_rtc_h264_depack_t *d, u_char *p,
    size_t len);
ngx_int_t ngx_rtc_h264_depacketize(ngx_rtc_h264_depack_t *d,
    u_char *payload, size_t len, uint16_t seq, uint32_t ts,
    ngx_uint_t marker);
void ngx_rtc_h264_depack_flush(ngx_rtc_h264_depack_t *d);

void ngx_rtc_h264_pack_init(ngx_rtc_h264_pack_t *p, u_char *au, size_t len,
    size_t mtu);
ssize_t ngx_rtc_h264_pack_next(ngx_rtc_h264_pack_t *p, u_char *out,
    ngx_uint_t *last);


/*
 * The size of the fragments (FU-A, H.265 FU) of a NAL unit of len bytes
 * (those after its header, which is not sent) in payloads of room bytes:
 * the fewest fragments, all of this size but the last, which is no
 * longer.  Equal packets are what UDP GSO sends in one call
 * (ngx_rtc_send.c).
 */

static ngx_inline size_t
ngx_rtc_h264_frag_size(size_t len, size_t room)
{
    size_t  frags;

    if (room == 0 || len == 0) {
        return len;
    }

    frags = (len + room - 1) / room;

    return (len + frags - 1) / frags;
}


ngx_uint_t ngx_rtc_h264_au_is_key(u_char *au, size_t len);
ngx_int_t ngx_rtc_h264_au_find(u_char *au, size_t len, ngx_uint_t type,
    u_char **nal, size_t *nal_len);
uint32_t ngx_rtc_h264_profile_level_id(u_char *sps, size_t len);


#endif /* _NGX_RTC_H264_H_INCLUDED_ */
