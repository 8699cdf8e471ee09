/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_h264.h"


/*
 * Packets this far behind the last sequence number are late or duplicated
 * and are ignored; a bigger step back means the source restarted.
 */
#define NGX_RTC_H264_REORDER      64


static void ngx_rtc_h264_depack_start(ngx_rtc_h264_depack_t *d, uint32_t ts);
static void ngx_rtc_h264_depack_emit(ngx_rtc_h264_depack_t *d);
static ngx_int_t ngx_rtc_h264_add_ps(ngx_rtc_h264_depack_t *d);
static void ngx_rtc_h264_insert(ngx_rtc_h264_depack_t *d, size_t off,
    u_char *nal, size_t len);
static ngx_int_t ngx_rtc_h264_add_nal(ngx_rtc_h264_depack_t *d, u_char *nal,
    size_t len);
static void ngx_rtc_h264_nal_done(ngx_rtc_h264_depack_t *d, u_char *nal,
    size_t len);
static ngx_int_t ngx_rtc_h264_stap_a(ngx_rtc_h264_depack_t *d, u_char *p,
    size_t len);
static ngx_int_t ngx_rtc_h264_fu_a(ngx_rtc_h264_depack_t *d, u_char *p,
    size_t len);
static ssize_t ngx_rtc_h264_base64(u_char *dst, size_t size, u_char *src,
    size_t len);
static u_char *ngx_rtc_h264_au_next(u_char *pos, u_char *end, u_char **nal,
    size_t *len);
static ssize_t ngx_rtc_h264_pack_small(ngx_rtc_h264_pack_t *p, u_char *out,
    ngx_uint_t *last);
static ngx_uint_t ngx_rtc_h264_pack_skip(ngx_uint_t type);


void
ngx_rtc_h264_depack_init(ngx_rtc_h264_depack_t *d, u_char *buf, size_t size,
    ngx_rtc_au_handler_pt handler, void *data)
{
    ngx_memzero(d, sizeof(ngx_rtc_h264_depack_t));

    d->buf = buf;
    d->size = size;
    d->handler = handler;
    d->data = data;

    /* nothing is decodable before the first IDR */
    d->wait_key = 1;
}


/*
 * The value of the fmtp parameter sprop-parameter-sets (RFC 6184 8.1):
 * base64 parameter set NAL units separated by commas.
 */

ngx_int_t
ngx_rtc_h264_sprop(ngx_rtc_h264_depack_t *d, u_char *p, size_t len)
{
    u_char      *end, *q, *e;
    ssize_t      n;
    ngx_uint_t   found;
    u_char       nal[NGX_RTC_H264_PS_MAX];

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
            n = ngx_rtc_h264_base64(nal, sizeof(nal), p, e - p);

            if (n <= 0 || (nal[0] & 0x80)) {
                return NGX_ERROR;
            }

            switch (nal[0] & 0x1f) {

            case NGX_RTC_H264_NAL_SPS:
                ngx_memcpy(d->sps, nal, n);
                d->sps_len = n;
                found = 1;
                break;

            case NGX_RTC_H264_NAL_PPS:
                ngx_memcpy(d->pps, nal, n);
                d->pps_len = n;
                found = 1;
                break;

            default:
                /* other NAL units (SEI) are not needed out of band */
                break;
            }
        }

        if (q == end) {
            break;
        }

        p = q + 1;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_rtc_h264_depacketize(ngx_rtc_h264_depack_t *d, u_char *payload,
    size_t len, uint16_t seq, uint32_t ts, ngx_uint_t marker)
{
    uint16_t    delta;
    ngx_int_t   rc;
    ngx_uint_t  type;

    if (d->seq_valid) {
        delta = (uint16_t) (seq - d->last_seq);

        if (delta != 1) {

            if (delta == 0 || delta >= 0x10000 - NGX_RTC_H264_REORDER) {
                /* a duplicate, or too late: its AU is gone */
                return NGX_OK;
            }

            /*
             * Packets were lost (or the source restarted): the open AU is
             * incomplete, and the next AUs may reference what was lost.
             */

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
        ngx_rtc_h264_depack_emit(d);
    }

    if (!d->started) {
        ngx_rtc_h264_depack_start(d, ts);
    }

    rc = NGX_OK;

    if (d->broken) {
        goto done;
    }

    if (len == 0) {
        rc = NGX_DECLINED;
        goto broken;
    }

    type = payload[0] & 0x1f;

    if (d->fu && type != NGX_RTC_H264_NAL_FU_A) {
        /* the FU-A ended without its E bit */
        d->broken = 1;
        goto done;
    }

    switch (type) {

    case NGX_RTC_H264_NAL_STAP_A:
        rc = ngx_rtc_h264_stap_a(d, payload, len);
        break;

    case NGX_RTC_H264_NAL_FU_A:
        rc = ngx_rtc_h264_fu_a(d, payload, len);
        break;

    case NGX_RTC_H264_NAL_STAP_B:
    case NGX_RTC_H264_NAL_MTAP16:
    case NGX_RTC_H264_NAL_MTAP24:
    case NGX_RTC_H264_NAL_FU_B:
        /* interleaved mode only, which we never negotiate */
        rc = NGX_DECLINED;
        break;

    case 0:
    case 30:
    case 31:
        /* undefined in RFC 6184 table 1: ignore the packet */
        d->rejected++;
        rc = NGX_DECLINED;
        goto done;

    default:
        rc = ngx_rtc_h264_add_nal(d, payload, len);
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
        ngx_rtc_h264_depack_emit(d);
    }

    return rc;
}


void
ngx_rtc_h264_depack_flush(ngx_rtc_h264_depack_t *d)
{
    ngx_rtc_h264_depack_emit(d);
}


static void
ngx_rtc_h264_depack_start(ngx_rtc_h264_depack_t *d, uint32_t ts)
{
    d->started = 1;
    d->ts = ts;
    d->len = 0;
    d->key = 0;
    d->has_sps = 0;
    d->has_pps = 0;
    d->fu = 0;
    d->broken = 0;
    d->vcl = 0;
}


static void
ngx_rtc_h264_depack_emit(ngx_rtc_h264_depack_t *d)
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
        /*
         * No slice: parameter sets or SEI sent with a timestamp of their
         * own.  In-band SPS/PPS are remembered and go out with the next
         * keyframe.
         */
        return;
    }

    if (d->wait_key && !d->key) {
        d->dropped++;
        return;
    }

    if (d->key && (!d->has_sps || !d->has_pps)) {

        if (ngx_rtc_h264_add_ps(d) != NGX_OK) {
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
 * Put the stored SPS and PPS into a keyframe AU that lacks them: the SPS
 * after a leading AUD (which must come first, H.264 7.4.1.2.3), the PPS
 * after the AU's last SPS before its first slice.
 */

static ngx_int_t
ngx_rtc_h264_add_ps(ngx_rtc_h264_depack_t *d)
{
    u_char      *pos, *end, *next, *nal;
    size_t       n, need, sps_off, pps_off;
    ngx_uint_t   type;

    if ((!d->has_sps && d->sps_len == 0) || (!d->has_pps && d->pps_len == 0))
    {
        return NGX_DECLINED;
    }

    need = 0;

    if (!d->has_sps) {
        need += 4 + d->sps_len;
    }

    if (!d->has_pps) {
        need += 4 + d->pps_len;
    }

    if (need > d->size - d->len) {
        return NGX_DECLINED;
    }

    sps_off = 0;
    pps_off = 0;

    pos = d->buf;
    end = d->buf + d->len;

    while (pos < end) {
        next = ngx_rtc_h264_au_next(pos, end, &nal, &n);
        if (next == NULL) {
            return NGX_DECLINED;
        }

        type = nal[0] & 0x1f;

        if (type >= NGX_RTC_H264_NAL_SLICE && type <= NGX_RTC_H264_NAL_IDR) {
            break;
        }

        if (type == NGX_RTC_H264_NAL_AUD && pos == d->buf) {
            sps_off = next - d->buf;
        }

        if (type == NGX_RTC_H264_NAL_SPS) {
            pps_off = next - d->buf;
        }

        pos = next;
    }

    if (!d->has_sps) {
        pps_off = sps_off;
    }

    /* the later offset first: inserting there leaves the earlier one valid */

    if (!d->has_pps) {
        ngx_rtc_h264_insert(d, pps_off, d->pps, d->pps_len);
        d->has_pps = 1;
    }

    if (!d->has_sps) {
        ngx_rtc_h264_insert(d, sps_off, d->sps, d->sps_len);
        d->has_sps = 1;
    }

    return NGX_OK;
}


static void
ngx_rtc_h264_insert(ngx_rtc_h264_depack_t *d, size_t off, u_char *nal,
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
ngx_rtc_h264_add_nal(ngx_rtc_h264_depack_t *d, u_char *nal, size_t len)
{
    u_char      *p;
    size_t       room;
    ngx_uint_t   type;

    if (len == 0 || (nal[0] & 0x80)) {
        /* forbidden_zero_bit: the sender flags a damaged NAL unit */
        return NGX_DECLINED;
    }

    type = nal[0] & 0x1f;

    if (type == 0 || type >= NGX_RTC_H264_NAL_STAP_A) {
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

    ngx_rtc_h264_nal_done(d, p + 4, len);

    return NGX_OK;
}


static void
ngx_rtc_h264_nal_done(ngx_rtc_h264_depack_t *d, u_char *nal, size_t len)
{
    ngx_uint_t  type;

    type = nal[0] & 0x1f;

    switch (type) {

    case NGX_RTC_H264_NAL_SPS:
        d->has_sps = 1;

        if (len <= NGX_RTC_H264_PS_MAX) {
            ngx_memcpy(d->sps, nal, len);
            d->sps_len = len;
        }

        break;

    case NGX_RTC_H264_NAL_PPS:
        d->has_pps = 1;

        if (len <= NGX_RTC_H264_PS_MAX) {
            ngx_memcpy(d->pps, nal, len);
            d->pps_len = len;
        }

        break;

    case NGX_RTC_H264_NAL_IDR:
        d->key = 1;

        /* fall through */

    case 1: case 2: case 3: case 4:

        if (d->vcl) {
            break;
        }

        d->vcl = 1;

        /*
         * After a loss the AU may have lost its first slices.  The slice
         * header starts with first_mb_in_slice, ue(v), whose code for 0
         * is the single bit "1" (H.264 7.3.3, 9.1): the AU is whole only
         * if its first slice starts at macroblock 0.
         */

        if (d->wait_key && (len < 2 || !(nal[1] & 0x80))) {
            d->broken = 1;
        }

        break;

    default:
        break;
    }
}


/* RFC 6184 5.7.1: STAP-A header, then (16-bit size, NAL unit) repeated */

static ngx_int_t
ngx_rtc_h264_stap_a(ngx_rtc_h264_depack_t *d, u_char *p, size_t len)
{
    u_char     *q, *end;
    size_t      n;
    ngx_int_t   rc;

    end = p + len;
    p++;

    if (p == end) {
        return NGX_DECLINED;
    }

    /* check every size before taking any NAL unit */

    for (q = p; q < end; q += n) {
        if (end - q < 2) {
            return NGX_DECLINED;
        }

        n = ((size_t) q[0] << 8) | q[1];
        q += 2;

        if (n == 0 || n > (size_t) (end - q)) {
            return NGX_DECLINED;
        }
    }

    while (p < end && !d->broken) {
        n = ((size_t) p[0] << 8) | p[1];
        p += 2;

        rc = ngx_rtc_h264_add_nal(d, p, n);
        if (rc != NGX_OK) {
            return rc;
        }

        p += n;
    }

    return NGX_OK;
}


/* RFC 6184 5.8: FU indicator, FU header (S, E, R, type), fragment */

static ngx_int_t
ngx_rtc_h264_fu_a(ngx_rtc_h264_depack_t *d, u_char *p, size_t len)
{
    u_char      *nal;
    size_t       n, room;
    ngx_uint_t   type;

    if (len < 2) {
        return NGX_DECLINED;
    }

    type = p[1] & 0x1f;

    if (type == 0 || type >= NGX_RTC_H264_NAL_STAP_A) {
        return NGX_DECLINED;
    }

    n = len - 2;
    room = d->size - d->len;

    if (p[1] & 0x80) {

        if (d->fu) {
            /* the previous FU-A never ended */
            d->broken = 1;
            return NGX_OK;
        }

        if (room < 5 || n > room - 5) {
            d->broken = 1;
            return NGX_OK;
        }

        d->fu = 1;
        d->fu_start = d->len;

        /* the NAL header: F and NRI from the indicator, the type */
        d->buf[d->len + 4] = (u_char) ((p[0] & 0xe0) | type);
        ngx_memcpy(d->buf + d->len + 5, p + 2, n);
        d->len += 5 + n;

    } else {

        if (!d->fu) {
            /* the start was lost, or we joined in the middle */
            d->broken = 1;
            return NGX_OK;
        }

        if ((d->buf[d->fu_start + 4] & 0x1f) != type) {
            return NGX_DECLINED;
        }

        if (n > room) {
            d->broken = 1;
            return NGX_OK;
        }

        ngx_memcpy(d->buf + d->len, p + 2, n);
        d->len += n;
    }

    if (p[1] & 0x40) {
        d->fu = 0;

        nal = d->buf + d->fu_start;
        n = d->len - d->fu_start - 4;

        nal[0] = (u_char) (n >> 24);
        nal[1] = (u_char) (n >> 16);
        nal[2] = (u_char) (n >> 8);
        nal[3] = (u_char) n;

        ngx_rtc_h264_nal_done(d, nal + 4, n);
    }

    return NGX_OK;
}


/*
 * RFC 4648 base64 (the URL-safe alphabet too), padding optional; returns
 * the decoded length, or -1 on a bad character or if "size" is too small.
 */

static ssize_t
ngx_rtc_h264_base64(u_char *dst, size_t size, u_char *src, size_t len)
{
    u_char      c;
    size_t      i, n;
    uint32_t    acc, v;
    ngx_uint_t  bits;

    while (len && src[len - 1] == '=') {
        len--;
    }

    if (len % 4 == 1) {
        return -1;
    }

    acc = 0;
    bits = 0;
    n = 0;

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;

        } else if (c == '+' || c == '-') {
            v = 62;

        } else if (c == '/' || c == '_') {
            v = 63;

        } else {
            return -1;
        }

        acc = (acc << 6) | v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;

            if (n == size) {
                return -1;
            }

            dst[n++] = (u_char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    return n;
}


/* the NAL unit at pos in an AU; NULL at its end or if the AU is malformed */

static u_char *
ngx_rtc_h264_au_next(u_char *pos, u_char *end, u_char **nal, size_t *len)
{
    size_t  n;

    if (end - pos < 4) {
        return NULL;
    }

    n = ((size_t) pos[0] << 24) | ((size_t) pos[1] << 16)
        | ((size_t) pos[2] << 8) | pos[3];

    pos += 4;

    if (n == 0 || n > (size_t) (end - pos)) {
        return NULL;
    }

    *nal = pos;
    *len = n;

    return pos + n;
}


ngx_uint_t
ngx_rtc_h264_au_is_key(u_char *au, size_t len)
{
    u_char  *pos, *end, *nal;
    size_t   n;

    pos = au;
    end = au + len;

    while (pos < end) {
        pos = ngx_rtc_h264_au_next(pos, end, &nal, &n);
        if (pos == NULL) {
            return 0;
        }

        if ((nal[0] & 0x1f) == NGX_RTC_H264_NAL_IDR) {
            return 1;
        }
    }

    return 0;
}


/* the first NAL unit of a type: NGX_OK, NGX_DECLINED if none */

ngx_int_t
ngx_rtc_h264_au_find(u_char *au, size_t len, ngx_uint_t type, u_char **nal,
    size_t *nal_len)
{
    u_char  *pos, *end, *p;
    size_t   n;

    pos = au;
    end = au + len;

    while (pos < end) {
        pos = ngx_rtc_h264_au_next(pos, end, &p, &n);
        if (pos == NULL) {
            return NGX_ERROR;
        }

        if ((ngx_uint_t) (p[0] & 0x1f) == type) {
            *nal = p;
            *nal_len = n;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
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


void
ngx_rtc_h264_pack_init(ngx_rtc_h264_pack_t *p, u_char *au, size_t len,
    size_t mtu)
{
    u_char      *pos, *next, *nal;
    size_t       n;
    ngx_uint_t   type;

    ngx_memzero(p, sizeof(ngx_rtc_h264_pack_t));

    p->au = au;
    p->pos = au;
    p->end = au + len;
    p->mtu = mtu ? mtu : NGX_RTC_H264_MTU;

    if (p->mtu > 0xffff) {
        /* STAP-A sizes are 16 bits, and so are UDP datagrams */
        p->mtu = 0xffff;
    }

    /* an FU-A needs 2 header bytes and at least 1 byte of the NAL unit */

    if (p->mtu < 3) {
        p->error = 1;
        return;
    }

    /* check the whole AU first, to know which packet carries the marker */

    for (pos = au; pos < p->end; pos = next) {
        next = ngx_rtc_h264_au_next(pos, p->end, &nal, &n);

        if (next == NULL || (nal[0] & 0x80)) {
            p->error = 1;
            return;
        }

        type = nal[0] & 0x1f;

        if (type == 0 || type >= NGX_RTC_H264_NAL_STAP_A) {
            /* would be taken for an RTP payload structure */
            p->error = 1;
            return;
        }

        if (!ngx_rtc_h264_pack_skip(type)) {
            p->last = pos;
        }
    }
}


ssize_t
ngx_rtc_h264_pack_next(ngx_rtc_h264_pack_t *p, u_char *out, ngx_uint_t *last)
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

            next = ngx_rtc_h264_au_next(p->pos, p->end, &nal, &n);
            if (next == NULL) {
                return NGX_ERROR;
            }

            if (!ngx_rtc_h264_pack_skip(nal[0] & 0x1f)) {
                break;
            }

            p->pos = next;
        }

        if (n <= p->mtu) {
            return ngx_rtc_h264_pack_small(p, out, last);
        }

        p->nal = nal;
        p->nal_len = n;
        p->off = 1;
        p->nal_last = (p->pos == p->last);
        p->pos = next;
    }

    /*
     * RFC 6184 5.8: FU indicator (F, NRI of the NAL unit, type 28), FU
     * header (S, E, the NAL unit type), then the fragment; the NAL header
     * itself is not sent.  Fragments are of equal size but the last.
     */

    left = p->nal_len - p->off;
    n = ngx_rtc_h264_frag_size(p->nal_len - 1, p->mtu - 2);

    if (n > left) {
        n = left;
    }

    out[0] = (u_char) ((p->nal[0] & 0xe0) | NGX_RTC_H264_NAL_FU_A);
    out[1] = (u_char) (p->nal[0] & 0x1f);

    if (p->off == 1) {
        out[1] |= 0x80;
    }

    if (n == left) {
        out[1] |= 0x40;
    }

    ngx_memcpy(out + 2, p->nal + p->off, n);
    p->off += n;

    if (p->off == p->nal_len) {
        *last = p->nal_last;
        p->nal = NULL;
    }

    return 2 + n;
}


/*
 * The NAL unit at p->pos fits in a packet: send it alone (RFC 6184 5.6), or
 * with the following ones that fit too as a STAP-A (RFC 6184 5.7.1).
 */

static ssize_t
ngx_rtc_h264_pack_small(ngx_rtc_h264_pack_t *p, u_char *out,
    ngx_uint_t *last)
{
    u_char      *pos, *next, *stop, *nal, *o;
    size_t       n, size;
    ngx_uint_t   nri, count;

    next = ngx_rtc_h264_au_next(p->pos, p->end, &nal, &n);

    size = 1 + 2 + n;
    count = 1;
    stop = next;

    if (size <= p->mtu) {

        for (pos = next; pos < p->end; pos = next) {
            next = ngx_rtc_h264_au_next(pos, p->end, &nal, &n);

            if (ngx_rtc_h264_pack_skip(nal[0] & 0x1f)) {
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
        next = ngx_rtc_h264_au_next(p->pos, p->end, &nal, &n);

        ngx_memcpy(out, nal, n);

        *last = (p->pos == p->last);
        p->pos = next;

        return n;
    }

    o = out + 1;
    nri = 0;

    for (pos = p->pos; pos < stop; pos = next) {
        next = ngx_rtc_h264_au_next(pos, p->end, &nal, &n);

        if (ngx_rtc_h264_pack_skip(nal[0] & 0x1f)) {
            continue;
        }

        /* the STAP-A NRI is the highest of its NAL units' */

        if ((ngx_uint_t) (nal[0] & 0x60) > nri) {
            nri = nal[0] & 0x60;
        }

        *o++ = (u_char) (n >> 8);
        *o++ = (u_char) n;
        o = ngx_cpymem(o, nal, n);

        if (pos == p->last) {
            *last = 1;
        }
    }

    out[0] = (u_char) (nri | NGX_RTC_H264_NAL_STAP_A);
    p->pos = stop;

    return o - out;
}


/* not sent: access unit delimiters and filler data carry nothing */

static ngx_uint_t
ngx_rtc_h264_pack_skip(ngx_uint_t type)
{
    return type == NGX_RTC_H264_NAL_AUD || type == NGX_RTC_H264_NAL_FILLER;
}
