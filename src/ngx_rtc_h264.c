/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_h264.h"


/*
 * H.264 (RFC 6184, packetization-mode 1): what the shared NAL core
 * (ngx_rtc_nal.c) needs to know of it, and what is H.264's own: IDR
 * detection and the SDP profile-level-id.
 */


static ngx_uint_t ngx_rtc_h264_type(ngx_uint_t type);
static void ngx_rtc_h264_agg_hdr(u_char *hdr, u_char *nal, ngx_uint_t first);


const ngx_rtc_nal_codec_t  ngx_rtc_h264_codec = {
    1,                                  /* forbidden_zero_bit, nal_ref_idc,
                                           nal_unit_type (7.3.1) */
    0,
    0x1f,
    0,
    NGX_RTC_H264_NAL_STAP_A,
    NGX_RTC_H264_NAL_FU_A,
    NGX_RTC_NAL_SPS,
    "h264",
    "STAP-A",
    "FU-A",
    ngx_rtc_h264_type,
    ngx_rtc_h264_agg_hdr
};


/* ITU-T H.264 table 7-1 and RFC 6184 table 1 */

static ngx_uint_t
ngx_rtc_h264_type(ngx_uint_t type)
{
    switch (type) {

    case NGX_RTC_H264_NAL_IDR:
        return NGX_RTC_NAL_VCL|NGX_RTC_NAL_KEY;

    case NGX_RTC_H264_NAL_SLICE:
    case 2: case 3: case 4:             /* data partitions A, B, C */
        return NGX_RTC_NAL_VCL;

    case NGX_RTC_H264_NAL_SPS:
        return NGX_RTC_NAL_PS_SPS;

    case NGX_RTC_H264_NAL_PPS:
        return NGX_RTC_NAL_PS_PPS;

    case NGX_RTC_H264_NAL_AUD:
        return NGX_RTC_NAL_SKIP|NGX_RTC_NAL_AUD;

    case NGX_RTC_H264_NAL_FILLER:
        return NGX_RTC_NAL_SKIP;

    case NGX_RTC_H264_NAL_STAP_A:
    case NGX_RTC_H264_NAL_FU_A:
        return NGX_RTC_NAL_RESERVED;

    case NGX_RTC_H264_NAL_STAP_B:
    case NGX_RTC_H264_NAL_MTAP16:
    case NGX_RTC_H264_NAL_MTAP24:
    case NGX_RTC_H264_NAL_FU_B:
        /* interleaved mode only, which we never negotiate */
        return NGX_RTC_NAL_RESERVED|NGX_RTC_NAL_DECLINE;

    case 0:
    case 30:
    case 31:
        /* undefined */
        return NGX_RTC_NAL_RESERVED|NGX_RTC_NAL_IGNORE;

    default:
        return 0;
    }
}


/* RFC 6184 5.7.1: F 0, the highest NRI of the NAL units, type 24 */

static void
ngx_rtc_h264_agg_hdr(u_char *hdr, u_char *nal, ngx_uint_t first)
{
    if (first || (nal[0] & 0x60) > (hdr[0] & 0x60)) {
        hdr[0] = (u_char) ((nal[0] & 0x60) | NGX_RTC_H264_NAL_STAP_A);
    }
}


void
ngx_rtc_h264_depack_init(ngx_rtc_h264_depack_t *d, u_char *buf, size_t size,
    ngx_rtc_au_handler_pt handler, void *data)
{
    ngx_rtc_nal_depack_init(d, &ngx_rtc_h264_codec, buf, size, handler,
                            data);
}


/*
 * The value of the fmtp parameter sprop-parameter-sets (RFC 6184 8.1):
 * NGX_DECLINED if it holds neither SPS nor PPS.
 */

ngx_int_t
ngx_rtc_h264_sprop(ngx_rtc_h264_depack_t *d, u_char *p, size_t len)
{
    return ngx_rtc_nal_sprop(d, p, len);
}


void
ngx_rtc_h264_pack_init(ngx_rtc_h264_pack_t *p, u_char *au, size_t len,
    size_t mtu)
{
    ngx_rtc_nal_pack_init(p, &ngx_rtc_h264_codec, au, len, mtu);
}


ngx_uint_t
ngx_rtc_h264_au_is_key(u_char *au, size_t len)
{
    u_char  *nal;
    size_t   n;

    return ngx_rtc_nal_au_find(&ngx_rtc_h264_codec, au, len,
                               NGX_RTC_H264_NAL_IDR, &nal, &n)
           == NGX_OK;
}


/* the first NAL unit of a type: NGX_OK, NGX_DECLINED if none */

ngx_int_t
ngx_rtc_h264_au_find(u_char *au, size_t len, ngx_uint_t type, u_char **nal,
    size_t *nal_len)
{
    return ngx_rtc_nal_au_find(&ngx_rtc_h264_codec, au, len, type, nal,
                               nal_len);
}


/* profile_idc, constraint flags, level_idc: SDP profile-level-id */

uint32_t
ngx_rtc_h264_profile_level_id(u_char *sps, size_t len)
{
    if (len < 4 || (sps[0] & 0x1f) != NGX_RTC_H264_NAL_SPS) {
        return 0;
    }

    return ((uint32_t) sps[1] << 16) | ((uint32_t) sps[2] << 8) | sps[3];
}
