/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_AU_H_INCLUDED_
#define _NGX_RTC_AU_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Access unit framing for inputs that are not RTP (libavformat demuxers,
 * encoders): H.264/H.265 access units in AVCC/HVCC form (NAL units behind
 * 1, 2 or 4-byte lengths, parameter sets in the avcC/hvcC record) or in
 * Annex-B form (start codes) become the ring's form (ngx_rtc_frame.h):
 * NAL units behind 4-byte big-endian lengths, keyframes with their
 * parameter sets in front.  Pure: no allocation, bounded by (pos, end).
 */

#define NGX_RTC_AU_MAX_PARAMS    1024


typedef struct {
    ngx_uint_t                codec;       /* NGX_RTC_CODEC_H264 / _H265 */
    ngx_uint_t                nal_length;  /* 1, 2, 4; 0: Annex-B input */
    size_t                    params_len;
    u_char                    params[NGX_RTC_AU_MAX_PARAMS];  /* our form */
} ngx_rtc_au_t;


ngx_int_t ngx_rtc_au_init(ngx_rtc_au_t *au, ngx_uint_t codec,
    u_char *config, size_t len);
ngx_int_t ngx_rtc_au_convert(ngx_rtc_au_t *au, u_char *pos, u_char *end,
    ngx_uint_t key, u_char *out, size_t size, size_t *len);
size_t ngx_rtc_au_bound(ngx_rtc_au_t *au, size_t len);
ngx_int_t ngx_rtc_au_to_annexb(u_char *au, size_t len);

ngx_int_t ngx_rtc_au_adts(u_char *pos, u_char *end, size_t *header,
    size_t *frame, u_char *config);


#endif /* _NGX_RTC_AU_H_INCLUDED_ */
