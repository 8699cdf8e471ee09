/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_NAL_H_INCLUDED_
#define _NGX_RTC_NAL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_NAL_MTU           1200     /* default RTP payload size */
#define NGX_RTC_NAL_PS_MAX        256      /* largest parameter set kept */

/* parameter sets, in the order each refers to the one before */
#define NGX_RTC_NAL_VPS           0
#define NGX_RTC_NAL_SPS           1
#define NGX_RTC_NAL_PPS           2

/* what a nal_unit_type is: ngx_rtc_nal_codec_t.type() */
#define NGX_RTC_NAL_VCL           0x0001   /* a slice (segment) */
#define NGX_RTC_NAL_KEY           0x0002   /* one of a keyframe (IDR, IRAP) */
#define NGX_RTC_NAL_SKIP          0x0004   /* not sent: AUD, filler data */
#define NGX_RTC_NAL_RESERVED      0x0008   /* no NAL unit of an AU has it */
#define NGX_RTC_NAL_DECLINE       0x0010   /* a payload structure we refuse */
#define NGX_RTC_NAL_IGNORE        0x0020   /* an undefined payload type */
#define NGX_RTC_NAL_AUD           0x0040   /* access unit delimiter */
#define NGX_RTC_NAL_PS            0x0100   /* a parameter set, of index: */
#define NGX_RTC_NAL_PS_SHIFT      12       /* flags >> shift */
#define NGX_RTC_NAL_PS_VPS        (NGX_RTC_NAL_PS | 0x0000)
#define NGX_RTC_NAL_PS_SPS        (NGX_RTC_NAL_PS | 0x1000)
#define NGX_RTC_NAL_PS_PPS        (NGX_RTC_NAL_PS | 0x2000)

/* what the depacketizer rejects or drops, each logged on its own */
#define NGX_RTC_NAL_ERR_SHORT     0        /* shorter than a NAL header */
#define NGX_RTC_NAL_ERR_TYPE      1        /* undefined type: ignored */
#define NGX_RTC_NAL_ERR_MODE      2        /* interleaved mode, PACI */
#define NGX_RTC_NAL_ERR_AGG       3        /* STAP-A, AP: bad sizes */
#define NGX_RTC_NAL_ERR_FU        4        /* FU-A, FU: malformed */
#define NGX_RTC_NAL_ERR_NAL       5        /* a NAL unit header we refuse */
#define NGX_RTC_NAL_ERR_BIG       6        /* AU larger than the buffer */
#define NGX_RTC_NAL_ERR_NO_PS     7        /* keyframe, no parameter sets */
#define NGX_RTC_NAL_ERR_LOSS      8        /* a gap in sequence numbers */
#define NGX_RTC_NAL_ERR_N         9


/*
 * What sets H.264 (RFC 6184) and H.265 (RFC 7798) apart for the shared
 * payload structures: the size of the NAL unit header (the FU header and
 * the aggregation packet's sizes follow it), where nal_unit_type lies in
 * its first byte, the types of the aggregation packet (STAP-A, AP) and of
 * the fragmentation unit (FU-A, FU), the parameter sets the codec has.
 */

typedef struct {
    size_t                  hdr;        /* NAL unit header: 1 or 2 bytes */
    ngx_uint_t              shift;      /* nal_unit_type in byte 0 */
    ngx_uint_t              mask;
    ngx_uint_t              tid;        /* nuh_temporal_id_plus1, never 0,
                                           in the low 3 bits of byte 1 */
    ngx_uint_t              agg;        /* STAP-A, AP */
    ngx_uint_t              fu;         /* FU-A, FU */
    ngx_uint_t              first_ps;   /* SPS (H.264), VPS (H.265) */
    char                   *name;       /* "h264", in log messages */
    char                   *agg_name;   /* "STAP-A", "AP" */
    char                   *fu_name;    /* "FU-A", "FU" */

    /* NGX_RTC_NAL_* flags of a nal_unit_type */
    ngx_uint_t            (*type)(ngx_uint_t type);

    /*
     * An aggregation packet's payload header from its NAL units' headers,
     * one at a time, the first with "first" set.
     */
    void                  (*agg_hdr)(u_char *hdr, u_char *nal,
                                     ngx_uint_t first);
} ngx_rtc_nal_codec_t;


/*
 * Called for each complete access unit: NAL units, each preceded by its
 * length as 4 bytes big-endian (ngx_rtc_frame.h).  "au" points into the
 * depacketizer's buffer and is only valid during the call.
 */
typedef void (*ngx_rtc_au_handler_pt)(void *data, u_char *au, size_t len,
    uint32_t rtp_ts, ngx_uint_t key);


typedef struct {
    const ngx_rtc_nal_codec_t  *codec;
    u_char                 *buf;        /* caller-provided AU buffer */
    size_t                  size;
    size_t                  len;
    size_t                  fu_start;   /* offset of the FU NAL's prefix */
    uint32_t                ts;
    uint16_t                last_seq;
    unsigned                seq_valid:1;
    unsigned                started:1;  /* an AU with timestamp ts is open */
    unsigned                key:1;      /* AU holds a keyframe slice */
    unsigned                has_vps:1;  /* AU holds a VPS (H.265) */
    unsigned                has_sps:1;  /* AU holds an SPS */
    unsigned                has_pps:1;  /* AU holds a PPS */
    unsigned                fu:1;       /* FU in progress */
    unsigned                wait_key:1; /* after loss: drop until a key */
    unsigned                broken:1;   /* open AU lost data: drop it */
    unsigned                vcl:1;      /* AU holds a slice */
    unsigned                donl:1;     /* H.265 sprop-max-don-diff > 0 */
    unsigned                synced:1;   /* a keyframe went out */
    u_char                  vps[NGX_RTC_NAL_PS_MAX];  /* latest known */
    size_t                  vps_len;
    u_char                  sps[NGX_RTC_NAL_PS_MAX];
    size_t                  sps_len;
    u_char                  pps[NGX_RTC_NAL_PS_MAX];
    size_t                  pps_len;
    ngx_uint_t              dropped;    /* AUs dropped */
    ngx_uint_t              skipped;    /* of them, before the first
                                           keyframe, nothing lost or
                                           refused yet: joining */
    ngx_uint_t              rejected;   /* packets declined */
    ngx_uint_t              lost;       /* packets missing in sequence */
    ngx_rtc_au_handler_pt   handler;
    void                   *data;

    /*
     * Where rejections are logged: the caller sets it after *_init() (the
     * stream's log); NULL: the cycle's.
     */
    ngx_log_t              *log;
    uint64_t                clock;      /* media time, 90 kHz */
    uint32_t                clock_ts;   /* the latest RTP timestamp */
    unsigned                clock_valid:1;
    uint64_t                logged[NGX_RTC_NAL_ERR_N];  /* clock + 1 */
    ngx_msec_t              logged_msec[NGX_RTC_NAL_ERR_N];
    ngx_uint_t              errors[NGX_RTC_NAL_ERR_N];  /* since logged */
} ngx_rtc_nal_depack_t;


typedef struct {
    const ngx_rtc_nal_codec_t  *codec;
    u_char                 *au;
    u_char                 *end;
    u_char                 *pos;        /* next NAL's length prefix */
    u_char                 *last;       /* prefix of the last NAL we send */
    u_char                 *nal;        /* NAL being sent as FUs, or NULL */
    size_t                  nal_len;
    size_t                  off;        /* bytes of nal already sent */
    size_t                  mtu;
    ngx_uint_t              nal_last;   /* nal is the AU's last */
    ngx_uint_t              error;      /* malformed AU */
} ngx_rtc_nal_pack_t;


void ngx_rtc_nal_depack_init(ngx_rtc_nal_depack_t *d,
    const ngx_rtc_nal_codec_t *codec, u_char *buf, size_t size,
    ngx_rtc_au_handler_pt handler, void *data);
ngx_int_t ngx_rtc_nal_sprop(ngx_rtc_nal_depack_t *d, u_char *p, size_t len);
ngx_int_t ngx_rtc_nal_depacketize(ngx_rtc_nal_depack_t *d, u_char *payload,
    size_t len, uint16_t seq, uint32_t ts, ngx_uint_t marker);
void ngx_rtc_nal_depack_flush(ngx_rtc_nal_depack_t *d);

void ngx_rtc_nal_pack_init(ngx_rtc_nal_pack_t *p,
    const ngx_rtc_nal_codec_t *codec, u_char *au, size_t len, size_t mtu);
ssize_t ngx_rtc_nal_pack_next(ngx_rtc_nal_pack_t *p, u_char *out,
    ngx_uint_t *last);

u_char *ngx_rtc_nal_au_next(const ngx_rtc_nal_codec_t *codec, u_char *pos,
    u_char *end, u_char **nal, size_t *len);
ngx_int_t ngx_rtc_nal_au_find(const ngx_rtc_nal_codec_t *codec, u_char *au,
    size_t len, ngx_uint_t type, u_char **nal, size_t *nal_len);


#define ngx_rtc_nal_type(c, nal)  (((nal)[0] >> (c)->shift) & (c)->mask)


/*
 * The size of the fragments (FU-A, H.265 FU) of a NAL unit of len bytes
 * (those after its header, which is not sent) in payloads of room bytes:
 * the fewest fragments, all of this size but the last, which is no
 * longer.  Equal packets are what UDP GSO sends in one call
 * (ngx_rtc_send.c).
 */

static ngx_inline size_t
ngx_rtc_nal_frag_size(size_t len, size_t room)
{
    size_t  frags;

    if (room == 0 || len == 0) {
        return len;
    }

    frags = (len + room - 1) / room;

    return (len + frags - 1) / frags;
}


#endif /* _NGX_RTC_NAL_H_INCLUDED_ */
