/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTP_H_INCLUDED_
#define _NGX_RTC_RTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_RTP_HEADER_LEN     12

/* RTCP packet types: RFC 3550 12.1, RFC 4585 6.1 */
#define NGX_RTC_RTCP_SR            200
#define NGX_RTC_RTCP_RR            201
#define NGX_RTC_RTCP_SDES          202
#define NGX_RTC_RTCP_BYE           203
#define NGX_RTC_RTCP_APP           204
#define NGX_RTC_RTCP_RTPFB         205
#define NGX_RTC_RTCP_PSFB          206

#define NGX_RTC_RTCP_SR_LEN        28
#define NGX_RTC_RTCP_RR_LEN        32     /* with one report block */

#define NGX_RTC_RTCP_NACK_MAX      64
#define NGX_RTC_RTCP_RB_MAX        4


typedef struct {
    ngx_uint_t                 version;
    ngx_uint_t                 padding;
    ngx_uint_t                 extension;
    ngx_uint_t                 csrc_count;
    ngx_uint_t                 marker;
    ngx_uint_t                 pt;
    uint16_t                   seq;
    uint32_t                   ts;
    uint32_t                   ssrc;
    u_char                    *payload;
    size_t                     payload_len;

    uint16_t                   ext_profile; /* 0xBEDE: RFC 8285 one-byte */
    u_char                    *ext;         /* extension data */
    size_t                     ext_len;
    size_t                     padding_len;
} ngx_rtc_rtp_hdr_t;


/* RFC 3550 6.4.1 report block */
typedef struct {
    uint32_t                   ssrc;        /* the source reported on */
    ngx_uint_t                 fraction_lost;
    ngx_int_t                  cumulative_lost;
    uint32_t                   highest_seq;
    uint32_t                   jitter;
    uint32_t                   lsr;
    uint32_t                   dlsr;
} ngx_rtc_rtcp_rb_t;


typedef struct {
    ngx_uint_t                 pli;         /* counts seen */
    ngx_uint_t                 fir;
    ngx_uint_t                 nnack;       /* lost seqs (PID + BLP) */
    uint16_t                   nack[NGX_RTC_RTCP_NACK_MAX];

    uint32_t                   sender_ssrc; /* of the first SR/RR/FB */
    uint32_t                   pli_ssrc;    /* media source of a PLI/FIR */
    ngx_uint_t                 fir_seq;     /* of the last FIR's entry */
    uint32_t                   nack_ssrc;   /* media source of nack[] */
    ngx_uint_t                 nack_dropped; /* beyond nack[], or other
                                                media sources */

    ngx_uint_t                 nrb;         /* all report blocks, capped */
    ngx_rtc_rtcp_rb_t          rb[NGX_RTC_RTCP_RB_MAX];

    ngx_uint_t                 has_sr;
    uint32_t                   sr_ssrc;
    uint64_t                   sr_ntp;
    uint32_t                   sr_rtp_ts;
    uint32_t                   sr_packets;
    uint32_t                   sr_octets;

    ngx_uint_t                 bye;
} ngx_rtc_rtcp_info_t;


/*
 * What a receiver knows of one source (RFC 3550 A.1 without probation,
 * A.3, A.8): sequence numbers, loss, jitter, the last SR; what its
 * receiver reports say.  Zeroed: nothing received yet.
 */
typedef struct {
    ngx_uint_t                 clock;       /* set by the caller */
    uint32_t                   ssrc;
    uint32_t                   base_seq;
    uint32_t                   max_seq;
    uint32_t                   cycles;
    uint32_t                   received;
    uint32_t                   expected_prior;
    uint32_t                   received_prior;
    int64_t                    base_time;   /* us, for arrival times */
    uint32_t                   jitter;      /* times 16 */
    int64_t                    transit;
    uint32_t                   lsr;         /* of the last SR */
    ngx_msec_t                 lsr_time;

    unsigned                   valid:1;
    unsigned                   has_sr:1;
} ngx_rtc_rtp_recv_t;


ngx_int_t ngx_rtc_rtp_parse(u_char *p, size_t len, ngx_rtc_rtp_hdr_t *h);
void ngx_rtc_rtp_write_header(u_char *p, ngx_uint_t pt, ngx_uint_t marker,
    uint16_t seq, uint32_t ts, uint32_t ssrc);
ngx_uint_t ngx_rtc_rtp_is_rtcp(u_char *p, size_t len);

size_t ngx_rtc_rtcp_write_sr(u_char *p, uint32_t ssrc, uint64_t ntp,
    uint32_t rtp_ts, uint32_t packets, uint32_t octets);
size_t ngx_rtc_rtcp_write_sdes(u_char *p, size_t size, uint32_t ssrc,
    ngx_str_t *cname);
size_t ngx_rtc_rtcp_write_rr(u_char *p, uint32_t ssrc,
    ngx_rtc_rtcp_rb_t *rb);
size_t ngx_rtc_rtcp_write_pli(u_char *p, uint32_t ssrc, uint32_t media_ssrc);
size_t ngx_rtc_rtcp_write_nack(u_char *p, uint32_t ssrc, uint32_t media_ssrc,
    uint16_t *seqs, ngx_uint_t n);
uint64_t ngx_rtc_rtcp_ntp(uint64_t usec);
ngx_int_t ngx_rtc_rtcp_parse(u_char *p, size_t len,
    ngx_rtc_rtcp_info_t *info);

void ngx_rtc_rtp_recv_update(ngx_rtc_rtp_recv_t *r, ngx_rtc_rtp_hdr_t *h,
    int64_t now);
void ngx_rtc_rtp_recv_sr(ngx_rtc_rtp_recv_t *r, uint64_t ntp,
    ngx_msec_t now);
ngx_int_t ngx_rtc_rtp_recv_report(ngx_rtc_rtp_recv_t *r, ngx_msec_t now,
    ngx_rtc_rtcp_rb_t *rb);


#endif /* _NGX_RTC_RTP_H_INCLUDED_ */
