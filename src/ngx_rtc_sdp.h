/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SDP_H_INCLUDED_
#define _NGX_RTC_SDP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_SDP_MAX_CLOCK      1000000    /* an rtpmap's clock, Hz */
#define NGX_RTC_SDP_MAX_MEDIA      16
/*
 * Chromium 156 offers 34 video payload types for one recvonly transceiver
 * (VP8, VP9 x4, H264 x8, AV1 x2, each with rtx, plus red, ulpfec, flexfec).
 */
#define NGX_RTC_SDP_MAX_FMT        64
#define NGX_RTC_SDP_MAX_CAND       16
#define NGX_RTC_SDP_MAX_LINES      1024
#define NGX_RTC_SDP_MAX_LINE_LEN   4096

/*
 * An answer to any offer we take fits: two echoed fmtp of up to a line
 * each (video, audio), the bundle's attributes repeated in up to 16
 * sections, 16 candidates.
 */
#define NGX_RTC_SDP_MAX_ANSWER     32768

/* in an offer: m= media, proto and formats, hash functions; a=mid */
#define NGX_RTC_SDP_MAX_TOKEN      32
#define NGX_RTC_SDP_MAX_MID        32

/* ngx_rtc_sdp_fmt_t.pt of a non-RTP format ("webrtc-datachannel") */
#define NGX_RTC_SDP_PT_NONE        ((ngx_uint_t) -1)

#define NGX_RTC_SDP_SENDRECV       0
#define NGX_RTC_SDP_SENDONLY       1
#define NGX_RTC_SDP_RECVONLY       2
#define NGX_RTC_SDP_INACTIVE       3

#define NGX_RTC_SDP_FB_NACK        0x01
#define NGX_RTC_SDP_FB_NACK_PLI    0x02
#define NGX_RTC_SDP_FB_CCM_FIR     0x04
#define NGX_RTC_SDP_FB_REMB        0x08
#define NGX_RTC_SDP_FB_TWCC        0x10

/* the answer can name an RTX stream (RFC 4588) beside a video codec */
#define NGX_RTC_SDP_RTX            1


typedef struct {
    ngx_uint_t                  pt;
    ngx_str_t                   name;      /* "H264", or the non-RTP fmt */
    ngx_uint_t                  clock;
    ngx_uint_t                  channels;  /* 0 if rtpmap names none */
    ngx_str_t                   fmtp;      /* value after "a=fmtp:PT " */
    ngx_uint_t                  rtcp_fb;   /* NGX_RTC_SDP_FB_* */
} ngx_rtc_sdp_fmt_t;


typedef struct {
    ngx_str_t                   type;
    ngx_uint_t                  port;
    ngx_str_t                   proto;
    ngx_str_t                   mid;
    ngx_str_t                   control;
    ngx_uint_t                  direction;

    unsigned                    rtcp_mux:1;
    unsigned                    rtcp_rsize:1;
    unsigned                    end_of_candidates:1;
    unsigned                    bundle_only:1;

    /* effective values: media level, else session level */
    ngx_str_t                   ice_ufrag;
    ngx_str_t                   ice_pwd;
    ngx_str_t                   fp_alg;
    ngx_str_t                   fp_value;
    ngx_str_t                   setup;

    ngx_uint_t                  nfmts;
    ngx_rtc_sdp_fmt_t           fmts[NGX_RTC_SDP_MAX_FMT];

    ngx_uint_t                  ncands;
    ngx_str_t                   cands[NGX_RTC_SDP_MAX_CAND];
} ngx_rtc_sdp_media_t;


typedef struct {
    ngx_str_t                   ice_ufrag;
    ngx_str_t                   ice_pwd;
    ngx_str_t                   fp_alg;
    ngx_str_t                   fp_value;
    ngx_str_t                   setup;
    ngx_str_t                   bundle;    /* mids of a=group:BUNDLE */
    ngx_str_t                   control;

    ngx_uint_t                  nmedia;
    ngx_rtc_sdp_media_t         media[NGX_RTC_SDP_MAX_MEDIA];

    /*
     * A fragment's candidates before any m= line (RFC 8840 puts them in
     * a media section; some clients do not): the one ICE transport's
     */
    ngx_uint_t                  ncands;
    ngx_str_t                   cands[NGX_RTC_SDP_MAX_CAND];

    ngx_uint_t                  cands_dropped;  /* past the limits */
    unsigned                    end_of_candidates:1;

    const char                 *err;
    ngx_uint_t                  err_line;
} ngx_rtc_sdp_t;


typedef struct {
    ngx_str_t                   type;
    ngx_str_t                   proto;
    ngx_str_t                   mid;

    unsigned                    rejected:1;   /* port 0, out of BUNDLE */
    unsigned                    inactive:1;   /* bundled, carries nothing */
    unsigned                    rtcp_rsize:1; /* offered (RFC 5506, 5) */

    ngx_uint_t                  pt;
    ngx_str_t                   codec;
    ngx_uint_t                  clock;
    ngx_uint_t                  channels;
    ngx_str_t                   fmtp;
    ngx_uint_t                  rtcp_fb;
    uint32_t                    ssrc;
    ngx_uint_t                  rtx_pt;    /* 0: no RTX */
    uint32_t                    rtx_ssrc;
} ngx_rtc_sdp_answer_media_t;


typedef struct {
    uint64_t                    session_id;
    ngx_str_t                   ice_ufrag;
    ngx_str_t                   ice_pwd;
    ngx_str_t                   fingerprint;  /* "sha-256 AB:CD:..." */
    ngx_str_t                   cname;
    ngx_str_t                   msid;

    ngx_uint_t                  ncands;
    ngx_str_t                   cands[NGX_RTC_SDP_MAX_CAND];

    ngx_uint_t                  nmedia;
    ngx_rtc_sdp_answer_media_t  media[NGX_RTC_SDP_MAX_MEDIA];
} ngx_rtc_sdp_answer_t;


/* a whep:// source's recvonly offer (ngx_rtc_whep_source.c) */

typedef struct {
    uint64_t                    session_id;
    ngx_str_t                   ice_ufrag;
    ngx_str_t                   ice_pwd;
    ngx_str_t                   fingerprint;  /* "sha-256 AB:CD:..." */
    ngx_uint_t                  audio;        /* offer an audio section */

    ngx_uint_t                  ncands;
    ngx_str_t                   cands[NGX_RTC_SDP_MAX_CAND];
} ngx_rtc_sdp_offer_t;


ngx_int_t ngx_rtc_sdp_parse(u_char *pos, u_char *end, ngx_rtc_sdp_t *sdp);
ngx_int_t ngx_rtc_sdp_parse_offer(u_char *pos, u_char *end,
    ngx_rtc_sdp_t *sdp);
ngx_int_t ngx_rtc_sdp_parse_frag(u_char *pos, u_char *end,
    ngx_rtc_sdp_t *sdp);
ngx_uint_t ngx_rtc_sdp_bundled(ngx_rtc_sdp_t *sdp, ngx_str_t *mid);
ngx_int_t ngx_rtc_sdp_is_token(ngx_str_t *s, ngx_uint_t slash, size_t max);
ngx_int_t ngx_rtc_sdp_fmtp_param(ngx_str_t *fmtp, const char *name,
    ngx_str_t *value);
ngx_rtc_sdp_fmt_t *ngx_rtc_sdp_find_fmt(ngx_rtc_sdp_media_t *m,
    ngx_uint_t pt);
u_char *ngx_rtc_sdp_write_answer(u_char *p, u_char *last,
    ngx_rtc_sdp_answer_t *a);
u_char *ngx_rtc_sdp_write_offer(u_char *p, u_char *last,
    ngx_rtc_sdp_offer_t *o);


#endif /* _NGX_RTC_SDP_H_INCLUDED_ */
