/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_h265.h"


/*
 * H.265 depacketizer (RFC 7798): single NAL unit packets, aggregation
 * packets (AP) and fragmentation units (FU) into access units, with the
 * same loss handling as the H.264 one (ngx_rtc_h264.c): an AU that lost
 * data is dropped, and so is everything up to the next IRAP picture.
 * PACI packets (4.4.4) are declined.
 *
 * And the packetizer for viewers: access units back into single NAL unit
 * packets, APs of the small NAL units in a row (parameter sets) and FUs
 * of the big ones.
 */


/*
 * Packets this far behind the last sequence number are late or duplicated
 * and are ignored; a bigger step back means the source restarted.
 */
#define NGX_RTC_H265_REORDER      64

#define ngx_rtc_h265_type(nal)    (((nal)[0] >> 1) & 0x3f)


static void ngx_rtc_h265_depack_start(ngx_rtc_h265_depack_t *d, uint32_t ts);
static void ngx_rtc_h265_depack_emit(ngx_rtc_h265_depack_t *d);
static ngx_int_t ngx_rtc_h265_add_ps(ngx_rtc_h265_depack_t *d);
static void ngx_rtc_h265_insert(ngx_rtc_h265_depack_t *d, size_t off,
    u_char *nal, size_t len);
static ngx_int_t ngx_rtc_h265_add_nal(ngx_rtc_h265_depack_t *d, u_char *nal,
    size_t len);
static void ngx_rtc_h265_nal_done(ngx_rtc_h265_depack_t *d, u_char *nal,
    size_t len);
static ngx_int_t ngx_rtc_h265_ap(ngx_rtc_h265_depack_t *d, u_char *p,
    size_t len);
static ngx_int_t ngx_rtc_h265_fu(ngx_rtc_h265_depack_t *d, u_char *p,
    size_t len);
static u_char *ngx_rtc_h265_au_next(u_char *pos, u_char *end, u_char **nal,
    size_t *len);
static ngx_uint_t ngx_rtc_h265_pack_skip(ngx_uint_t type);
static ssize_t ngx_rtc_h265_pack_small(ngx_rtc_h265_pack_t *p, u_char *out,
    ngx_uint_t *last);


void
ngx_rtc_h265_depack_init(ngx_rtc_h265_depack_t *d, u_char *buf, size_t size,
    ngx_rtc_au_handler_pt handler, void *data)
{
    ngx_memzero(d, sizeof(ngx_rtc_h265_depack_t));

    d->buf = buf;
    d->size = size;
    d->handler = handler;
    d->data = data;

    /* nothing is decodable before the first IRAP picture */
    d->wait_key = 1;
}


/*
 * The value of one of the fmtp parameters sprop-vps, sprop-sps, sprop-pps
 * (RFC 7798 7.1): base64 parameter set NAL units separated by commas.
 */

ngx_int_t
ngx_rtc_h265_sprop(ngx_rtc_h265_depack_t *d, u_char *p, size_t len)
{
    u_char      *end, *q, *e, nal[NGX_RTC_H265_PS_MAX];
    ngx_str_t    src, dst;
    ngx_uint_t   found;

    found = 0;
    end = p + len;

    while (p < end) {

        for (q = p; q < end && *q != ','; q++) { /* void */ }

        for (e = q; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--) {
            /* void */
        }

        while (p < e && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p < e) {
            src.data = p;
            src.len = e - p;
            dst.data = nal;

            if (ngx_base64_decoded_length(src.len) > sizeof(nal)
                || ngx_decode_base64(&dst, &src) != NGX_OK
                || dst.len < 2
                || (nal[0] & 0x80))
            {
                return NGX_ERROR;
            }

            switch (ngx_rtc_h265_type(nal)) {

            case NGX_RTC_H265_NAL_VPS:
                ngx_memcpy(d->vps, nal, dst.len);
                d->vps_len = dst.len;
                found = 1;
                break;

            case NGX_RTC_H265_NAL_SPS:
                ngx_memcpy(d->sps, nal, dst.len);
                d->sps_len = dst.len;
                found = 1;
                break;

            case NGX_RTC_H265_NAL_PPS:
                ngx_memcpy(d->pps, nal, dst.len);
                d->pps_len = dst.len;
                found = 1;
                break;

            default:
                /* SEI may be listed too (sprop-sei): not needed */
                break;
            }
        }

        p = q + 1;
    }

    return found ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_rtc_h265_depacketize(ngx_rtc_h265_depack_t *d, u_char *payload,
    size_t len, uint16_t seq, uint32_t ts, ngx_uint_t marker)
{
    uint16_t    delta;
    ngx_int_t   rc;
    ngx_uint_t  type;

    if (d->seq_valid) {
        delta = (uint16_t) (seq - d->last_seq);

        if (delta != 1) {

            if (delta == 0 || delta >= 0x10000 - NGX_RTC_H265_REORDER) {
                /* a duplicate, or too late: its AU is gone */
                return NGX_OK;
            }

            /* packets were lost, or the source restarted */

            d->wait_key = 1;
            d->fu = 0;

            if (d->started) {
                d->broken = 1;
            }
        }
    }

    d->seq_valid = 1;
    d->last_seq = seq;

    if (d->started && ts != d->ts) {
        ngx_rtc_h265_depack_emit(d);
    }

    if (!d->started) {
        ngx_rtc_h265_depack_start(d, ts);
    }

    rc = NGX_OK;

    if (d->broken) {
        goto done;
    }

    if (len < 2) {
        rc = NGX_DECLINED;
        goto broken;
    }

    type = ngx_rtc_h265_type(payload);

    if (d->fu && type != NGX_RTC_H265_NAL_FU) {
        /* the FU ended without its E bit */
        d->broken = 1;
        goto done;
    }

    switch (type) {

    case NGX_RTC_H265_NAL_AP:
        rc = ngx_rtc_h265_ap(d, payload, len);
        break;

    case NGX_RTC_H265_NAL_FU:
        rc = ngx_rtc_h265_fu(d, payload, len);
        break;

    case NGX_RTC_H265_NAL_PACI:
        rc = NGX_DECLINED;
        break;

    default:

        if (type > NGX_RTC_H265_NAL_PACI) {
            /* unspecified in RFC 7798 4.4: ignore the packet */
            d->rejected++;
            rc = NGX_DECLINED;
            goto done;
        }

        rc = ngx_rtc_h265_add_nal(d, payload, len);
        break;
    }

broken:

    if (rc == NGX_DECLINED) {
        /* the packet carried media we cannot use */
        d->rejected++;
        d->broken = 1;
        d->fu = 0;
    }

done:

    if (marker) {
        ngx_rtc_h265_depack_emit(d);
    }

    return rc;
}


void
ngx_rtc_h265_depack_flush(ngx_rtc_h265_depack_t *d)
{
    ngx_rtc_h265_depack_emit(d);
}


static void
ngx_rtc_h265_depack_start(ngx_rtc_h265_depack_t *d, uint32_t ts)
{
    d->started = 1;
    d->ts = ts;
    d->len = 0;
    d->key = 0;
    d->has_vps = 0;
    d->has_sps = 0;
    d->has_pps = 0;
    d->fu = 0;
    d->broken = 0;
    d->vcl = 0;
}


static void
ngx_rtc_h265_depack_emit(ngx_rtc_h265_depack_t *d)
{
    if (!d->started) {
        return;
    }

    d->started = 0;

    if (d->fu) {
        /* the last NAL unit was cut */
        d->fu = 0;
        d->broken = 1;
    }

    if (d->broken) {
        d->wait_key = 1;
        d->dropped++;
        return;
    }

    if (!d->vcl) {
        /* parameter sets or SEI with a timestamp of their own */
        return;
    }

    if (d->wait_key && !d->key) {
        d->dropped++;
        return;
    }

    if (d->key && (!d->has_vps || !d->has_sps || !d->has_pps)) {

        if (ngx_rtc_h265_add_ps(d) != NGX_OK) {
            /* a keyframe nobody can decode */
            d->wait_key = 1;
            d->dropped++;
            return;
        }
    }

    if (d->key) {
        d->wait_key = 0;
    }

    if (d->handler) {
        d->handler(d->data, d->buf, d->len, d->ts, d->key);
    }
}


/*
 * Put the stored parameter sets a keyframe lacks in front of its first
 * slice segment, in the order VPS, SPS, PPS, each of which the next one
 * refers to (H.265 7.4.3).  Cameras send either all three in band or none.
 */

static ngx_int_t
ngx_rtc_h265_add_ps(ngx_rtc_h265_depack_t *d)
{
    u_char  *pos, *end, *next, *nal;
    size_t   n, need, off;

    if ((!d->has_vps && d->vps_len == 0)
        || (!d->has_sps && d->sps_len == 0)
        || (!d->has_pps && d->pps_len == 0))
    {
        return NGX_DECLINED;
    }

    need = (d->has_vps ? 0 : 4 + d->vps_len)
           + (d->has_sps ? 0 : 4 + d->sps_len)
           + (d->has_pps ? 0 : 4 + d->pps_len);

    if (need > d->size - d->len) {
        return NGX_DECLINED;
    }

    pos = d->buf;
    end = d->buf + d->len;

    while (pos < end) {
        next = ngx_rtc_h265_au_next(pos, end, &nal, &n);
        if (next == NULL) {
            return NGX_DECLINED;
        }

        if (ngx_rtc_h265_type(nal) <= NGX_RTC_H265_NAL_VCL_MAX) {
            break;
        }

        pos = next;
    }

    off = pos - d->buf;

    /* at one offset, the last first */

    if (!d->has_pps) {
        ngx_rtc_h265_insert(d, off, d->pps, d->pps_len);
        d->has_pps = 1;
    }

    if (!d->has_sps) {
        ngx_rtc_h265_insert(d, off, d->sps, d->sps_len);
        d->has_sps = 1;
    }

    if (!d->has_vps) {
        ngx_rtc_h265_insert(d, off, d->vps, d->vps_len);
        d->has_vps = 1;
    }

    return NGX_OK;
}


static void
ngx_rtc_h265_insert(ngx_rtc_h265_depack_t *d, size_t off, u_char *nal,
    size_t len)
{
    u_char  *p;

    p = d->buf + off;

    ngx_memmove(p + 4 + len, p, d->len - off);

    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;
    ngx_memcpy(p + 4, nal, len);

    d->len += 4 + len;
}


static ngx_int_t
ngx_rtc_h265_add_nal(ngx_rtc_h265_depack_t *d, u_char *nal, size_t len)
{
    u_char  *p;
    size_t   room;

    /*
     * forbidden_zero_bit set, nuh_temporal_id_plus1 zero, or a type
     * reserved for RTP payload structures (41-47, 48-63)
     */

    if (len < 2 || (nal[0] & 0x80) || (nal[1] & 0x07) == 0
        || ngx_rtc_h265_type(nal) > 40)
    {
        return NGX_DECLINED;
    }

    room = d->size - d->len;

    if (room < 4 || len > room - 4) {
        /* the AU does not fit: drop it and wait for the next keyframe */
        d->broken = 1;
        return NGX_OK;
    }

    p = d->buf + d->len;

    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;
    ngx_memcpy(p + 4, nal, len);

    d->len += 4 + len;

    ngx_rtc_h265_nal_done(d, p + 4, len);

    return NGX_OK;
}


static void
ngx_rtc_h265_nal_done(ngx_rtc_h265_depack_t *d, u_char *nal, size_t len)
{
    ngx_uint_t  type;

    type = ngx_rtc_h265_type(nal);

    switch (type) {

    case NGX_RTC_H265_NAL_VPS:
        d->has_vps = 1;

        if (len <= NGX_RTC_H265_PS_MAX) {
            ngx_memcpy(d->vps, nal, len);
            d->vps_len = len;
        }

        return;

    case NGX_RTC_H265_NAL_SPS:
        d->has_sps = 1;

        if (len <= NGX_RTC_H265_PS_MAX) {
            ngx_memcpy(d->sps, nal, len);
            d->sps_len = len;
        }

        return;

    case NGX_RTC_H265_NAL_PPS:
        d->has_pps = 1;

        if (len <= NGX_RTC_H265_PS_MAX) {
            ngx_memcpy(d->pps, nal, len);
            d->pps_len = len;
        }

        return;
    }

    if (type > NGX_RTC_H265_NAL_VCL_MAX) {
        return;
    }

    /* BLA, IDR, CRA: 16-21; 22-23 are reserved IRAP types */

    if (type >= NGX_RTC_H265_NAL_BLA_W_LP && type <= 21) {
        d->key = 1;
    }

    if (d->vcl) {
        return;
    }

    d->vcl = 1;

    /*
     * After a loss the AU may have lost its first slice segments: it is
     * whole only if its first one has first_slice_segment_in_pic_flag,
     * the first bit after the NAL unit header (H.265 7.3.6.1).
     */

    if (d->wait_key && (len < 3 || !(nal[2] & 0x80))) {
        d->broken = 1;
    }
}


/*
 * RFC 7798 4.4.2: PayloadHdr, then ([DONL or DOND] 16-bit size, NAL unit)
 * repeated; DONL (16 bits) before the first, DOND (8 bits) before the
 * others, only when sprop-max-don-diff is above 0.
 */

static ngx_int_t
ngx_rtc_h265_ap(ngx_rtc_h265_depack_t *d, u_char *p, size_t len)
{
    u_char     *q, *end;
    size_t      n, don;
    ngx_int_t   rc;

    end = p + len;
    p += 2;

    if (p == end) {
        return NGX_DECLINED;
    }

    /* check every size before taking any NAL unit */

    don = d->donl ? 2 : 0;

    for (q = p; q < end; q += n) {
        if ((size_t) (end - q) < don + 2) {
            return NGX_DECLINED;
        }

        q += don;
        don = d->donl ? 1 : 0;

        n = ((size_t) q[0] << 8) | q[1];
        q += 2;

        if (n < 2 || n > (size_t) (end - q)) {
            return NGX_DECLINED;
        }
    }

    don = d->donl ? 2 : 0;

    while (p < end && !d->broken) {
        p += don;
        don = d->donl ? 1 : 0;

        n = ((size_t) p[0] << 8) | p[1];
        p += 2;

        rc = ngx_rtc_h265_add_nal(d, p, n);
        if (rc != NGX_OK) {
            return rc;
        }

        p += n;
    }

    return NGX_OK;
}


/*
 * RFC 7798 4.4.3: PayloadHdr (2 bytes), FU header (S, E, FuType),
 * DONL when S is set and sprop-max-don-diff is above 0, fragment
 */

static ngx_int_t
ngx_rtc_h265_fu(ngx_rtc_h265_depack_t *d, u_char *p, size_t len)
{
    u_char      *nal, *data;
    size_t       n, room;
    ngx_uint_t   type;

    if (len < 3) {
        return NGX_DECLINED;
    }

    type = p[2] & 0x3f;

    if (type > 40) {
        return NGX_DECLINED;
    }

    data = p + 3;

    if ((p[2] & 0x80) && d->donl) {
        data += 2;
    }

    if (data > p + len) {
        return NGX_DECLINED;
    }

    n = p + len - data;
    room = d->size - d->len;

    if (p[2] & 0x80) {

        if (d->fu) {
            /* the previous FU never ended */
            d->broken = 1;
            return NGX_OK;
        }

        if (room < 6 || n > room - 6) {
            d->broken = 1;
            return NGX_OK;
        }

        d->fu = 1;
        d->fu_start = d->len;

        /* the NAL unit header: F and LayerId from PayloadHdr, the type */
        d->buf[d->len + 4] = (u_char) ((p[0] & 0x81) | (type << 1));
        d->buf[d->len + 5] = p[1];
        ngx_memcpy(d->buf + d->len + 6, data, n);
        d->len += 6 + n;

    } else {

        if (!d->fu) {
            /* the start was lost, or we joined in the middle */
            d->broken = 1;
            return NGX_OK;
        }

        if (ngx_rtc_h265_type(d->buf + d->fu_start + 4) != type) {
            return NGX_DECLINED;
        }

        if (n > room) {
            d->broken = 1;
            return NGX_OK;
        }

        ngx_memcpy(d->buf + d->len, data, n);
        d->len += n;
    }

    if (p[2] & 0x40) {
        d->fu = 0;

        nal = d->buf + d->fu_start;
        n = d->len - d->fu_start - 4;

        if ((nal[4] & 0x80) || (nal[5] & 0x07) == 0) {
            return NGX_DECLINED;
        }

        nal[0] = (u_char) (n >> 24);
        nal[1] = (u_char) (n >> 16);
        nal[2] = (u_char) (n >> 8);
        nal[3] = (u_char) n;

        ngx_rtc_h265_nal_done(d, nal + 4, n);
    }

    return NGX_OK;
}


/* the NAL unit at pos in an AU; NULL at its end or if the AU is malformed */

static u_char *
ngx_rtc_h265_au_next(u_char *pos, u_char *end, u_char **nal, size_t *len)
{
    size_t  n;

    if (end - pos < 4) {
        return NULL;
    }

    n = ((size_t) pos[0] << 24) | ((size_t) pos[1] << 16)
        | ((size_t) pos[2] << 8) | pos[3];

    pos += 4;

    /* the NAL unit header is 2 bytes (H.265 7.3.1.2) */

    if (n < 2 || n > (size_t) (end - pos)) {
        return NULL;
    }

    *nal = pos;
    *len = n;

    return pos + n;
}


void
ngx_rtc_h265_pack_init(ngx_rtc_h265_pack_t *p, u_char *au, size_t len,
    size_t mtu)
{
    u_char      *pos, *next, *nal;
    size_t       n;
    ngx_uint_t   type;

    ngx_memzero(p, sizeof(ngx_rtc_h265_pack_t));

    p->au = au;
    p->pos = au;
    p->end = au + len;
    p->mtu = mtu ? mtu : NGX_RTC_H264_MTU;

    if (p->mtu > 0xffff) {
        /* AP sizes are 16 bits, and so are UDP datagrams */
        p->mtu = 0xffff;
    }

    /* an FU needs 3 header bytes and at least 1 byte of the NAL unit */

    if (p->mtu < 4) {
        p->error = 1;
        return;
    }

    /* check the whole AU first, to know which packet carries the marker */

    for (pos = au; pos < p->end; pos = next) {
        next = ngx_rtc_h265_au_next(pos, p->end, &nal, &n);

        /* forbidden_zero_bit, nuh_temporal_id_plus1 of 0 */

        if (next == NULL || (nal[0] & 0x80) || (nal[1] & 0x07) == 0) {
            p->error = 1;
            return;
        }

        type = ngx_rtc_h265_type(nal);

        if (type > 40) {
            /* would be taken for an RTP payload structure (RFC 7798 4.4) */
            p->error = 1;
            return;
        }

        if (!ngx_rtc_h265_pack_skip(type)) {
            p->last = pos;
        }
    }
}


ssize_t
ngx_rtc_h265_pack_next(ngx_rtc_h265_pack_t *p, u_char *out, ngx_uint_t *last)
{
    u_char  *next, *nal;
    size_t   n, left;

    *last = 0;

    if (p->error) {
        return NGX_ERROR;
    }

    if (p->nal == NULL) {

        /* the next NAL unit we send */

        for ( ;; ) {
            if (p->pos >= p->end) {
                return 0;
            }

            next = ngx_rtc_h265_au_next(p->pos, p->end, &nal, &n);
            if (next == NULL) {
                return NGX_ERROR;
            }

            if (!ngx_rtc_h265_pack_skip(ngx_rtc_h265_type(nal))) {
                break;
            }

            p->pos = next;
        }

        if (n <= p->mtu) {
            return ngx_rtc_h265_pack_small(p, out, last);
        }

        p->nal = nal;
        p->nal_len = n;
        p->off = 2;
        p->nal_last = (p->pos == p->last);
        p->pos = next;
    }

    /*
     * RFC 7798 4.4.3: PayloadHdr (the NAL unit header with Type 49), FU
     * header (S, E, FuType), then the fragment; the NAL unit header itself
     * is not sent.  Fragments are of equal size but the last.
     */

    left = p->nal_len - p->off;
    n = ngx_rtc_h264_frag_size(p->nal_len - 2, p->mtu - 3);

    if (n > left) {
        n = left;
    }

    out[0] = (u_char) ((p->nal[0] & 0x81) | (NGX_RTC_H265_NAL_FU << 1));
    out[1] = p->nal[1];
    out[2] = (u_char) ngx_rtc_h265_type(p->nal);

    if (p->off == 2) {
        out[2] |= 0x80;
    }

    if (n == left) {
        out[2] |= 0x40;
    }

    ngx_memcpy(out + 3, p->nal + p->off, n);
    p->off += n;

    if (p->off == p->nal_len) {
        *last = p->nal_last;
        p->nal = NULL;
    }

    return 3 + n;
}


/*
 * The NAL unit at p->pos fits in a packet: send it alone (RFC 7798 4.4.1),
 * or with the following ones that fit too as an AP (4.4.2).
 */

static ssize_t
ngx_rtc_h265_pack_small(ngx_rtc_h265_pack_t *p, u_char *out,
    ngx_uint_t *last)
{
    u_char      *pos, *next, *stop, *nal, *o;
    size_t       n, size;
    ngx_uint_t   count, layer, tid, v;

    next = ngx_rtc_h265_au_next(p->pos, p->end, &nal, &n);

    size = 2 + 2 + n;
    count = 1;
    stop = next;

    if (size <= p->mtu) {

        for (pos = next; pos < p->end; pos = next) {
            next = ngx_rtc_h265_au_next(pos, p->end, &nal, &n);

            if (ngx_rtc_h265_pack_skip(ngx_rtc_h265_type(nal))) {
                continue;
            }

            if (size + 2 + n > p->mtu) {
                break;
            }

            size += 2 + n;
            count++;
            stop = next;
        }
    }

    if (count == 1) {
        next = ngx_rtc_h265_au_next(p->pos, p->end, &nal, &n);

        ngx_memcpy(out, nal, n);

        *last = (p->pos == p->last);
        p->pos = next;

        return n;
    }

    /*
     * The AP's PayloadHdr: F is 0 (no NAL unit we send has it), LayerId
     * and TID are the lowest of the aggregated NAL units'.
     */

    o = out + 2;
    layer = 0x3f;
    tid = 7;

    for (pos = p->pos; pos < stop; pos = next) {
        next = ngx_rtc_h265_au_next(pos, p->end, &nal, &n);

        if (ngx_rtc_h265_pack_skip(ngx_rtc_h265_type(nal))) {
            continue;
        }

        v = ((nal[0] & 0x01) << 5) | (nal[1] >> 3);

        if (v < layer) {
            layer = v;
        }

        v = nal[1] & 0x07;

        if (v < tid) {
            tid = v;
        }

        *o++ = (u_char) (n >> 8);
        *o++ = (u_char) n;
        o = ngx_cpymem(o, nal, n);

        if (pos == p->last) {
            *last = 1;
        }
    }

    out[0] = (u_char) ((NGX_RTC_H265_NAL_AP << 1) | (layer >> 5));
    out[1] = (u_char) (((layer & 0x1f) << 3) | tid);
    p->pos = stop;

    return o - out;
}


/* access unit delimiters and filler data are not worth sending */

static ngx_uint_t
ngx_rtc_h265_pack_skip(ngx_uint_t type)
{
    return type == NGX_RTC_H265_NAL_AUD || type == NGX_RTC_H265_NAL_FD;
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
        pos = ngx_rtc_h265_au_next(pos, end, &nal, &n);
        if (pos == NULL) {
            return NGX_DECLINED;
        }

        if (ngx_rtc_h265_type(nal) == NGX_RTC_H265_NAL_SPS && n >= 4) {
            return nal[3] & 0x1f;
        }
    }

    return NGX_DECLINED;
}
