/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_h265.h"


/*
 * H.265 (RFC 7798): what the shared NAL core (ngx_rtc_nal.c) needs to
 * know of it, and what is H.265's own: the SPS's profile.  The core takes
 * single NAL unit packets, aggregation packets (AP) and fragmentation
 * units (FU), with DONL/DOND when sprop-max-don-diff is above 0 (the
 * depacketizer's "donl"); PACI packets (4.4.4) are declined.
 */


#define ngx_rtc_h265_nal_type(nal)  (((nal)[0] >> 1) & 0x3f)


static ngx_uint_t ngx_rtc_h265_type(ngx_uint_t type);
static void ngx_rtc_h265_agg_hdr(u_char *hdr, u_char *nal, ngx_uint_t first);


const ngx_rtc_nal_codec_t  ngx_rtc_h265_codec = {
    2,                                  /* forbidden_zero_bit,
                                           nal_unit_type, nuh_layer_id,
                                           nuh_temporal_id_plus1
                                           (7.3.1.2) */
    1,
    0x3f,
    1,
    NGX_RTC_H265_NAL_AP,
    NGX_RTC_H265_NAL_FU,
    NGX_RTC_NAL_VPS,
    "h265",
    "AP",
    "FU",
    ngx_rtc_h265_type,
    ngx_rtc_h265_agg_hdr
};


/* ITU-T H.265 table 7-1 and RFC 7798 4.4 */

static ngx_uint_t
ngx_rtc_h265_type(ngx_uint_t type)
{
    if (type <= NGX_RTC_H265_NAL_VCL_MAX) {

        /* BLA, IDR, CRA: 16-21; 22-23 are reserved IRAP types */

        if (type >= NGX_RTC_H265_NAL_BLA_W_LP && type <= 21) {
            return NGX_RTC_NAL_VCL|NGX_RTC_NAL_KEY;
        }

        return NGX_RTC_NAL_VCL;
    }

    switch (type) {

    case NGX_RTC_H265_NAL_VPS:
        return NGX_RTC_NAL_PS_VPS;

    case NGX_RTC_H265_NAL_SPS:
        return NGX_RTC_NAL_PS_SPS;

    case NGX_RTC_H265_NAL_PPS:
        return NGX_RTC_NAL_PS_PPS;

    case NGX_RTC_H265_NAL_AUD:
        return NGX_RTC_NAL_SKIP|NGX_RTC_NAL_AUD;

    case NGX_RTC_H265_NAL_FD:
        return NGX_RTC_NAL_SKIP;

    case NGX_RTC_H265_NAL_PACI:
        return NGX_RTC_NAL_RESERVED|NGX_RTC_NAL_DECLINE;
    }

    if (type > NGX_RTC_H265_NAL_PACI) {
        /* unspecified in RFC 7798 4.4 */
        return NGX_RTC_NAL_RESERVED|NGX_RTC_NAL_IGNORE;
    }

    /* 41-47 reserved, 48-49 AP and FU */

    return type > 40 ? NGX_RTC_NAL_RESERVED : 0;
}


/*
 * RFC 7798 4.4.2: the AP's PayloadHdr: F is 0 (no NAL unit we send has
 * it), LayerId and TID are the lowest of the aggregated NAL units'.
 */

static void
ngx_rtc_h265_agg_hdr(u_char *hdr, u_char *nal, ngx_uint_t first)
{
    ngx_uint_t  layer, tid, v;

    layer = ((nal[0] & 0x01) << 5) | (nal[1] >> 3);
    tid = nal[1] & 0x07;

    if (!first) {
        v = ((hdr[0] & 0x01) << 5) | (hdr[1] >> 3);
        layer = ngx_min(layer, v);

        v = hdr[1] & 0x07;
        tid = ngx_min(tid, v);
    }

    hdr[0] = (u_char) ((NGX_RTC_H265_NAL_AP << 1) | (layer >> 5));
    hdr[1] = (u_char) (((layer & 0x1f) << 3) | tid);
}


void
ngx_rtc_h265_depack_init(ngx_rtc_h265_depack_t *d, u_char *buf, size_t size,
    ngx_rtc_au_handler_pt handler, void *data)
{
    ngx_rtc_nal_depack_init(d, &ngx_rtc_h265_codec, buf, size, handler,
                            data);
}


/*
 * The value of one of the fmtp parameters sprop-vps, sprop-sps, sprop-pps
 * (RFC 7798 7.1): NGX_ERROR if it holds no parameter set.
 */

ngx_int_t
ngx_rtc_h265_sprop(ngx_rtc_h265_depack_t *d, u_char *p, size_t len)
{
    return ngx_rtc_nal_sprop(d, p, len) == NGX_OK ? NGX_OK : NGX_ERROR;
}


void
ngx_rtc_h265_pack_init(ngx_rtc_h265_pack_t *p, u_char *au, size_t len,
    size_t mtu)
{
    ngx_rtc_nal_pack_init(p, &ngx_rtc_h265_codec, au, len, mtu);
}


/*
 * general_profile_idc of the AU's SPS (H.265 7.3.2.2.1, 7.3.3): after the
 * NAL unit header, a byte of sps_video_parameter_set_id,
 * sps_max_sub_layers_minus1 and sps_temporal_id_nesting_flag, then
 * general_profile_space (2 bits), general_tier_flag and the profile (5
 * bits).  Neither byte can hold an emulation prevention byte: the NAL
 * unit header before them is not 0x0000.  NGX_DECLINED: no SPS.
 */

ngx_int_t
ngx_rtc_h265_profile_id(u_char *au, size_t len)
{
    u_char  *pos, *end, *nal;
    size_t   n;

    pos = au;
    end = au + len;

    while (pos < end) {
        pos = ngx_rtc_nal_au_next(&ngx_rtc_h265_codec, pos, end, &nal, &n);
        if (pos == NULL) {
            return NGX_DECLINED;
        }

        if (ngx_rtc_h265_nal_type(nal) == NGX_RTC_H265_NAL_SPS && n >= 4) {
            return nal[3] & 0x1f;
        }
    }

    return NGX_DECLINED;
}
