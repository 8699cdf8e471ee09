/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_rtp.h"


#define ngx_rtc_rtp_get16(p)                                                  \
    (uint16_t) (((uint16_t) (p)[0] << 8) | (p)[1])

#define ngx_rtc_rtp_get32(p)                                                  \
    (((uint32_t) (p)[0] << 24) | ((uint32_t) (p)[1] << 16)                    \
     | ((uint32_t) (p)[2] << 8) | (p)[3])


static u_char *ngx_rtc_rtp_put16(u_char *p, uint32_t v);
static u_char *ngx_rtc_rtp_put32(u_char *p, uint32_t v);
static void ngx_rtc_rtp_recv_init_seq(ngx_rtc_rtp_recv_t *r, uint16_t seq);
static ngx_int_t ngx_rtc_rtcp_report_blocks(ngx_rtc_rtcp_info_t *info,
    u_char *p, u_char *end, ngx_uint_t count);
static ngx_int_t ngx_rtc_rtcp_feedback(ngx_rtc_rtcp_info_t *info,
    ngx_uint_t pt, ngx_uint_t fmt, u_char *p, u_char *end);


/*
 * RFC 3550 5.1:
 *
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  |                           timestamp                           |
 *  |           synchronization source (SSRC) identifier            |
 *  |            contributing source (CSRC) identifiers             |
 *
 * then, with X, a 4-byte extension header (profile, length in words) and
 * the extension (5.3.1); with P, padding whose last octet is its length.
 */

ngx_int_t
ngx_rtc_rtp_parse(u_char *p, size_t len, ngx_rtc_rtp_hdr_t *h)
{
    u_char  *pos, *end;
    size_t   n;

    ngx_memzero(h, sizeof(ngx_rtc_rtp_hdr_t));

    if (len < NGX_RTC_RTP_HEADER_LEN) {
        return NGX_ERROR;
    }

    h->version = p[0] >> 6;

    if (h->version != 2) {
        return NGX_ERROR;
    }

    h->padding = (p[0] >> 5) & 1;
    h->extension = (p[0] >> 4) & 1;
    h->csrc_count = p[0] & 0x0f;
    h->marker = p[1] >> 7;
    h->pt = p[1] & 0x7f;
    h->seq = ngx_rtc_rtp_get16(p + 2);
    h->ts = ngx_rtc_rtp_get32(p + 4);
    h->ssrc = ngx_rtc_rtp_get32(p + 8);

    pos = p + NGX_RTC_RTP_HEADER_LEN;
    end = p + len;

    n = h->csrc_count * 4;

    if (n > (size_t) (end - pos)) {
        return NGX_ERROR;
    }

    pos += n;

    if (h->extension) {
        if (end - pos < 4) {
            return NGX_ERROR;
        }

        h->ext_profile = ngx_rtc_rtp_get16(pos);
        n = (size_t) ngx_rtc_rtp_get16(pos + 2) * 4;
        pos += 4;

        if (n > (size_t) (end - pos)) {
            return NGX_ERROR;
        }

        h->ext = pos;
        h->ext_len = n;
        pos += n;
    }

    if (h->padding) {
        /* the count includes the count octet itself: 0 is invalid */

        if (pos == end) {
            return NGX_ERROR;
        }

        n = end[-1];

        if (n == 0 || n > (size_t) (end - pos)) {
            return NGX_ERROR;
        }

        h->padding_len = n;
        end -= n;
    }

    h->payload = pos;
    h->payload_len = end - pos;

    return NGX_OK;
}


void
ngx_rtc_rtp_write_header(u_char *p, ngx_uint_t pt, ngx_uint_t marker,
    uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = (u_char) ((marker ? 0x80 : 0) | (pt & 0x7f));

    p = ngx_rtc_rtp_put16(p + 2, seq);
    p = ngx_rtc_rtp_put32(p, ts);
    (void) ngx_rtc_rtp_put32(p, ssrc);
}


/*
 * RFC 5761 4: with RTP and RTCP on one port, the second octet of RTCP
 * (the packet type) is 192..223, which RTP payload types 64..95 with the
 * marker bit would collide with; they are not used.
 */

ngx_uint_t
ngx_rtc_rtp_is_rtcp(u_char *p, size_t len)
{
    return len >= 2 && p[1] >= 192 && p[1] <= 223;
}


/* RFC 3550 6.4.1: sender report without report blocks */

size_t
ngx_rtc_rtcp_write_sr(u_char *p, uint32_t ssrc, uint64_t ntp,
    uint32_t rtp_ts, uint32_t packets, uint32_t octets)
{
    p[0] = 0x80;
    p[1] = NGX_RTC_RTCP_SR;

    p = ngx_rtc_rtp_put16(p + 2, NGX_RTC_RTCP_SR_LEN / 4 - 1);
    p = ngx_rtc_rtp_put32(p, ssrc);
    p = ngx_rtc_rtp_put32(p, (uint32_t) (ntp >> 32));
    p = ngx_rtc_rtp_put32(p, (uint32_t) ntp);
    p = ngx_rtc_rtp_put32(p, rtp_ts);
    p = ngx_rtc_rtp_put32(p, packets);
    (void) ngx_rtc_rtp_put32(p, octets);

    return NGX_RTC_RTCP_SR_LEN;
}


/*
 * RFC 3550 6.5: one chunk with a CNAME item; the item list ends with at
 * least one null octet and is padded with nulls to 32 bits.
 */

size_t
ngx_rtc_rtcp_write_sdes(u_char *p, size_t size, uint32_t ssrc,
    ngx_str_t *cname)
{
    size_t  n;

    if (cname->len > 255) {
        return 0;
    }

    /* header, SSRC, CNAME type and length, text, null, padding */
    n = (4 + 4 + 2 + cname->len + 1 + 3) & ~(size_t) 3;

    if (n > size) {
        return 0;
    }

    ngx_memzero(p, n);

    p[0] = 0x81;
    p[1] = NGX_RTC_RTCP_SDES;
    (void) ngx_rtc_rtp_put16(p + 2, (uint32_t) (n / 4 - 1));
    (void) ngx_rtc_rtp_put32(p + 4, ssrc);
    p[8] = 1;
    p[9] = (u_char) cname->len;
    ngx_memcpy(p + 10, cname->data, cname->len);

    return n;
}


/* RFC 3550 6.4.2: receiver report with one report block, or none */

size_t
ngx_rtc_rtcp_write_rr(u_char *p, uint32_t ssrc, ngx_rtc_rtcp_rb_t *rb)
{
    ngx_int_t  lost;

    p[0] = rb ? 0x81 : 0x80;
    p[1] = NGX_RTC_RTCP_RR;

    (void) ngx_rtc_rtp_put16(p + 2, rb ? NGX_RTC_RTCP_RR_LEN / 4 - 1 : 1);
    p = ngx_rtc_rtp_put32(p + 4, ssrc);

    if (rb == NULL) {
        return 8;
    }

    /* cumulative number of packets lost: 24 bits, signed */

    lost = rb->cumulative_lost;

    if (lost > 0x7fffff) {
        lost = 0x7fffff;

    } else if (lost < -0x800000) {
        lost = -0x800000;
    }

    p = ngx_rtc_rtp_put32(p, rb->ssrc);
    p = ngx_rtc_rtp_put32(p, ((uint32_t) (rb->fraction_lost & 0xff) << 24)
                             | ((uint32_t) lost & 0xffffff));
    p = ngx_rtc_rtp_put32(p, rb->highest_seq);
    p = ngx_rtc_rtp_put32(p, rb->jitter);
    p = ngx_rtc_rtp_put32(p, rb->lsr);
    (void) ngx_rtc_rtp_put32(p, rb->dlsr);

    return NGX_RTC_RTCP_RR_LEN;
}


/* RFC 4585 6.3.1: picture loss indication, 12 bytes */

size_t
ngx_rtc_rtcp_write_pli(u_char *p, uint32_t ssrc, uint32_t media_ssrc)
{
    p[0] = 0x81;
    p[1] = NGX_RTC_RTCP_PSFB;

    p = ngx_rtc_rtp_put16(p + 2, 2);
    p = ngx_rtc_rtp_put32(p, ssrc);
    (void) ngx_rtc_rtp_put32(p, media_ssrc);

    return 12;
}


/*
 * Generic NACK (RFC 4585 6.2.1) of up to NGX_RTC_RTCP_NACK_MAX sequence
 * numbers in increasing order (modulo 2^16): one FCI entry per run of 17.
 * p has room for 12 + 4 * n bytes.
 */

size_t
ngx_rtc_rtcp_write_nack(u_char *p, uint32_t ssrc, uint32_t media_ssrc,
    uint16_t *seqs, ngx_uint_t n)
{
    u_char      *q;
    uint16_t     pid, blp, d;
    ngx_uint_t   i, nfci;

    if (n == 0) {
        return 0;
    }

    q = p + 12;
    nfci = 0;
    i = 0;

    while (i < n && i < NGX_RTC_RTCP_NACK_MAX) {
        pid = seqs[i++];
        blp = 0;

        while (i < n) {
            d = (uint16_t) (seqs[i] - pid);

            if (d == 0 || d > 16) {
                break;
            }

            blp |= (uint16_t) (1 << (d - 1));
            i++;
        }

        q = ngx_rtc_rtp_put16(q, pid);
        q = ngx_rtc_rtp_put16(q, blp);
        nfci++;
    }

    p[0] = 0x81;                          /* FMT 1: generic NACK */
    p[1] = NGX_RTC_RTCP_RTPFB;

    (void) ngx_rtc_rtp_put16(p + 2, (uint16_t) (2 + nfci));
    (void) ngx_rtc_rtp_put32(p + 4, ssrc);
    (void) ngx_rtc_rtp_put32(p + 8, media_ssrc);

    return 12 + 4 * nfci;
}


/* RFC 3550 A.1 init_seq(): the sequence starts again at seq */

static void
ngx_rtc_rtp_recv_init_seq(ngx_rtc_rtp_recv_t *r, uint16_t seq)
{
    r->base_seq = seq;
    r->max_seq = seq;
    r->cycles = 0;
    r->received = 0;
    r->expected_prior = 0;
    r->received_prior = 0;
}


/* RFC 3550 A.1 (without probation), A.8: a packet of the source arrived */

void
ngx_rtc_rtp_recv_update(ngx_rtc_rtp_recv_t *r, ngx_rtc_rtp_hdr_t *h,
    int64_t now)
{
    int64_t   arrival, transit, d;
    uint16_t  delta;

    if (!r->valid || h->ssrc != r->ssrc) {
        r->ssrc = h->ssrc;
        ngx_rtc_rtp_recv_init_seq(r, h->seq);
        r->jitter = 0;
        r->transit = 0;
        r->base_time = now;
        r->valid = 1;

    } else {
        delta = (uint16_t) (h->seq - (uint16_t) r->max_seq);

        if (delta < 3000) {
            if (h->seq < (uint16_t) r->max_seq) {
                r->cycles += 0x10000;
            }

            r->max_seq = h->seq;

        } else if (delta <= 0x10000 - 100) {

            /* a big jump: the source restarted its sequence */

            ngx_rtc_rtp_recv_init_seq(r, h->seq);
        }
    }

    r->received++;

    /* interarrival jitter in timestamp units, kept times 16 */

    arrival = (now - r->base_time) * (int64_t) r->clock / 1000000;
    transit = arrival - (int64_t) h->ts;

    if (r->received > 1) {
        d = transit - r->transit;

        if (d < 0) {
            d = -d;
        }

        if (d < 0x7fffffff) {
            r->jitter += (uint32_t) d - ((r->jitter + 8) >> 4);
        }
    }

    r->transit = transit;
}


/* an SR of the source: its NTP time, for LSR and DLSR */

void
ngx_rtc_rtp_recv_sr(ngx_rtc_rtp_recv_t *r, uint64_t ntp, ngx_msec_t now)
{
    r->lsr = (uint32_t) (ntp >> 16);
    r->lsr_time = now;
    r->has_sr = 1;
}


/* RFC 3550 6.4.1, A.3: the report block; NGX_DECLINED before any packet */

ngx_int_t
ngx_rtc_rtp_recv_report(ngx_rtc_rtp_recv_t *r, ngx_msec_t now,
    ngx_rtc_rtcp_rb_t *rb)
{
    uint32_t  ext, expected, interval, received, lost;

    if (!r->valid) {
        return NGX_DECLINED;
    }

    ngx_memzero(rb, sizeof(ngx_rtc_rtcp_rb_t));

    ext = r->cycles + r->max_seq;
    expected = ext - r->base_seq + 1;
    interval = expected - r->expected_prior;
    received = r->received - r->received_prior;

    r->expected_prior = expected;
    r->received_prior = r->received;

    lost = interval > received ? interval - received : 0;

    rb->ssrc = r->ssrc;
    rb->fraction_lost = interval ? (lost << 8) / interval : 0;
    rb->cumulative_lost = (ngx_int_t) expected - (ngx_int_t) r->received;
    rb->highest_seq = ext;
    rb->jitter = r->jitter >> 4;

    if (r->has_sr) {
        rb->lsr = r->lsr;
        rb->dlsr = (uint32_t) ((uint64_t) (now - r->lsr_time) * 65536 / 1000);
    }

    return NGX_OK;
}


/* NTP timestamp (RFC 5905 6: seconds since 1900, 32.32) of a Unix time */

uint64_t
ngx_rtc_rtcp_ntp(uint64_t usec)
{
    uint64_t  sec, frac;

    sec = usec / 1000000 + 2208988800ULL;
    frac = ((usec % 1000000) << 32) / 1000000;

    return (sec << 32) | frac;
}


ngx_int_t
ngx_rtc_rtcp_parse(u_char *p, size_t len, ngx_rtc_rtcp_info_t *info)
{
    u_char      *end, *body, *last;
    size_t       n, pad, hlen;
    ngx_uint_t   count, pt;

    ngx_memzero(info, sizeof(ngx_rtc_rtcp_info_t));

    if (len == 0) {
        return NGX_ERROR;
    }

    end = p + len;

    /* RFC 3550 6.1: a compound packet is RTCP packets back to back */

    while (p < end) {

        if (end - p < 4 || (p[0] >> 6) != 2) {
            return NGX_ERROR;
        }

        count = p[0] & 0x1f;
        pt = p[1];
        n = ((size_t) ngx_rtc_rtp_get16(p + 2) + 1) * 4;

        if (n > (size_t) (end - p)) {
            return NGX_ERROR;
        }

        body = p + 4;
        last = p + n;

        if (p[0] & 0x20) {
            /* padding: its last octet counts it, itself included */
            pad = last[-1];

            if (pad == 0 || pad > n - 4) {
                return NGX_ERROR;
            }

            last -= pad;
        }

        switch (pt) {

        case NGX_RTC_RTCP_SR:
        case NGX_RTC_RTCP_RR:

            /* SSRC of sender; an SR's sender info: NTP, RTP ts, counts */

            hlen = (pt == NGX_RTC_RTCP_SR) ? 24 : 4;

            if (last - body < (ssize_t) hlen) {
                return NGX_ERROR;
            }

            if (pt == NGX_RTC_RTCP_SR && !info->has_sr) {
                info->has_sr = 1;
                info->sr_ssrc = ngx_rtc_rtp_get32(body);
                info->sr_ntp = ((uint64_t) ngx_rtc_rtp_get32(body + 4) << 32)
                               | ngx_rtc_rtp_get32(body + 8);
                info->sr_rtp_ts = ngx_rtc_rtp_get32(body + 12);
                info->sr_packets = ngx_rtc_rtp_get32(body + 16);
                info->sr_octets = ngx_rtc_rtp_get32(body + 20);
            }

            if (info->sender_ssrc == 0) {
                info->sender_ssrc = ngx_rtc_rtp_get32(body);
            }

            if (ngx_rtc_rtcp_report_blocks(info, body + hlen, last, count)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            break;

        case NGX_RTC_RTCP_RTPFB:
        case NGX_RTC_RTCP_PSFB:

            /* "count" is FMT here */

            if (ngx_rtc_rtcp_feedback(info, pt, count, body, last) != NGX_OK)
            {
                return NGX_ERROR;
            }

            break;

        case NGX_RTC_RTCP_BYE:
            info->bye = 1;
            break;

        default:
            /* SDES, APP, XR, ...: not needed */
            break;
        }

        p += n;
    }

    return NGX_OK;
}


/*
 * RFC 3550 6.4.1 report block, 24 bytes:
 *
 *  |                 SSRC_1 (SSRC of first source)                 |
 *  | fraction lost |       cumulative number of packets lost       |
 *  |           extended highest sequence number received           |
 *  |                      interarrival jitter                      |
 *  |                         last SR (LSR)                         |
 *  |                   delay since last SR (DLSR)                  |
 */

static ngx_int_t
ngx_rtc_rtcp_report_blocks(ngx_rtc_rtcp_info_t *info, u_char *p,
    u_char *end, ngx_uint_t count)
{
    uint32_t            lost;
    ngx_rtc_rtcp_rb_t  *rb;

    /* profile-specific extensions may follow the blocks */

    if (count * 24 > (size_t) (end - p)) {
        return NGX_ERROR;
    }

    for ( /* void */ ; count; count--, p += 24) {

        if (info->nrb == NGX_RTC_RTCP_RB_MAX) {
            continue;
        }

        rb = &info->rb[info->nrb++];

        rb->ssrc = ngx_rtc_rtp_get32(p);
        rb->fraction_lost = p[4];

        lost = ngx_rtc_rtp_get32(p + 4) & 0xffffff;
        rb->cumulative_lost = (lost & 0x800000) ? (ngx_int_t) lost - 0x1000000
                                                : (ngx_int_t) lost;

        rb->highest_seq = ngx_rtc_rtp_get32(p + 8);
        rb->jitter = ngx_rtc_rtp_get32(p + 12);
        rb->lsr = ngx_rtc_rtp_get32(p + 16);
        rb->dlsr = ngx_rtc_rtp_get32(p + 20);
    }

    return NGX_OK;
}


/*
 * RFC 4585 6.1: SSRC of packet sender, SSRC of media source, then the
 * feedback control information (FCI).
 */

static ngx_int_t
ngx_rtc_rtcp_feedback(ngx_rtc_rtcp_info_t *info, ngx_uint_t pt,
    ngx_uint_t fmt, u_char *p, u_char *end)
{
    uint16_t    pid, blp;
    uint32_t    media;
    ngx_uint_t  i;

    if (end - p < 8) {
        return NGX_ERROR;
    }

    if (info->sender_ssrc == 0) {
        info->sender_ssrc = ngx_rtc_rtp_get32(p);
    }

    media = ngx_rtc_rtp_get32(p + 4);
    p += 8;

    if (pt == NGX_RTC_RTCP_PSFB) {

        switch (fmt) {

        case 1:
            /* PLI, RFC 4585 6.3.1: no FCI */
            info->pli++;
            info->pli_ssrc = media;
            break;

        case 4:
            /*
             * FIR, RFC 5104 4.3.1: the media source field is 0; each FCI
             * entry (8 bytes) names a target SSRC and a sequence number
             */

            if (end - p < 8) {
                return NGX_ERROR;
            }

            info->fir++;
            info->pli_ssrc = ngx_rtc_rtp_get32(p);
            info->fir_seq = p[4];
            break;

        default:
            /* SLI, RPSI, REMB (AFB), ...: not needed */
            break;
        }

        return NGX_OK;
    }

    if (fmt != 1) {
        /* not a generic NACK (TMMBR, transport-cc, ...) */
        return NGX_OK;
    }

    /*
     * Generic NACK, RFC 4585 6.2.1: FCI entries of a packet ID (PID) and a
     * bitmask of following lost packets (BLP): bit i means PID + i + 1.
     */

    if (end - p < 4) {
        return NGX_ERROR;
    }

    if (info->nnack == 0 && info->nack_dropped == 0) {
        info->nack_ssrc = media;
    }

    for ( /* void */ ; end - p >= 4; p += 4) {
        pid = ngx_rtc_rtp_get16(p);
        blp = ngx_rtc_rtp_get16(p + 2);

        if (media != info->nack_ssrc) {
            info->nack_dropped++;
            continue;
        }

        for (i = 0; i < 17; i++) {

            if (i > 0 && !(blp & (1 << (i - 1)))) {
                continue;
            }

            if (info->nnack == NGX_RTC_RTCP_NACK_MAX) {
                info->nack_dropped++;
                continue;
            }

            info->nack[info->nnack++] = (uint16_t) (pid + i);
        }
    }

    return NGX_OK;
}


static u_char *
ngx_rtc_rtp_put16(u_char *p, uint32_t v)
{
    p[0] = (u_char) (v >> 8);
    p[1] = (u_char) v;

    return p + 2;
}


static u_char *
ngx_rtc_rtp_put32(u_char *p, uint32_t v)
{
    p[0] = (u_char) (v >> 24);
    p[1] = (u_char) (v >> 16);
    p[2] = (u_char) (v >> 8);
    p[3] = (u_char) v;

    return p + 4;
}
