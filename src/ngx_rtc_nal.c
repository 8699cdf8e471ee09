/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_nal.h"


/*
 * The RTP payload structures H.264 (RFC 6184) and H.265 (RFC 7798) share,
 * once for both, parameterised by ngx_rtc_nal_codec_t:
 *
 *   depacketizer: single NAL unit packets, aggregation packets (STAP-A,
 *   AP) and fragmentation units (FU-A, FU) into access units of NAL units
 *   with 4-byte lengths; parameter sets remembered and put in front of
 *   keyframes that lack them; an AU that lost data is dropped, and so is
 *   everything up to the next keyframe.  What cameras send besides the
 *   RFCs is taken as gortsplib and ffmpeg take it: an aggregation packet
 *   ending in zero padding, an empty payload, Annex-B start codes in a
 *   single NAL unit packet.  What is rejected is logged once per kind,
 *   then at most once a minute.
 *
 *   packetizer: access units back into single NAL unit packets,
 *   aggregation packets of the small NAL units in a row (parameter sets)
 *   and FUs of the big ones.
 *
 * Everything here works on caller-given memory and allocates nothing.
 */


/*
 * Packets this far behind the last sequence number are late or duplicated
 * and are ignored; a bigger step back means the source restarted.
 */
#define NGX_RTC_NAL_REORDER       64

/*
 * A step forward this big is a source that restarted its sequence, not
 * packets lost (RFC 3550 A.1, MAX_DROPOUT): it is not counted in "lost"
 */
#define NGX_RTC_NAL_DROPOUT       3000

#define NGX_RTC_NAL_FU_S          0x80
#define NGX_RTC_NAL_FU_E          0x40

/*
 * Each kind of rejection is logged the first time, then at most once a
 * minute of the stream's media time: the RTP clock of video is 90 kHz
 * (RFC 6184 5.1, RFC 7798 4.1).
 */
#define NGX_RTC_NAL_LOG_EVERY     (60 * 90000)


static ngx_uint_t ngx_rtc_nal_valid(const ngx_rtc_nal_codec_t *c, u_char *nal,
    size_t len);
static u_char *ngx_rtc_nal_ps(ngx_rtc_nal_depack_t *d, ngx_uint_t k,
    size_t **len);
static ngx_uint_t ngx_rtc_nal_has_ps(ngx_rtc_nal_depack_t *d, ngx_uint_t k);
static void ngx_rtc_nal_set_ps(ngx_rtc_nal_depack_t *d, ngx_uint_t k);
static void ngx_rtc_nal_depack_start(ngx_rtc_nal_depack_t *d, uint32_t ts);
static void ngx_rtc_nal_depack_emit(ngx_rtc_nal_depack_t *d);
static void ngx_rtc_nal_depack_drop(ngx_rtc_nal_depack_t *d);
static ngx_int_t ngx_rtc_nal_add_ps(ngx_rtc_nal_depack_t *d);
static void ngx_rtc_nal_insert(ngx_rtc_nal_depack_t *d, size_t off,
    u_char *nal, size_t len);
static ngx_int_t ngx_rtc_nal_add(ngx_rtc_nal_depack_t *d, u_char *nal,
    size_t len);
static void ngx_rtc_nal_done(ngx_rtc_nal_depack_t *d, u_char *nal,
    size_t len);
static ngx_int_t ngx_rtc_nal_agg(ngx_rtc_nal_depack_t *d, u_char *p,
    size_t len);
static ngx_int_t ngx_rtc_nal_fu(ngx_rtc_nal_depack_t *d, u_char *p,
    size_t len);
static ngx_uint_t ngx_rtc_nal_is_annexb(u_char *p, size_t len);
static ngx_int_t ngx_rtc_nal_annexb(ngx_rtc_nal_depack_t *d, u_char *p,
    size_t len);
static void ngx_rtc_nal_error(ngx_rtc_nal_depack_t *d, ngx_uint_t err,
    ngx_uint_t arg);
static ssize_t ngx_rtc_nal_base64(u_char *dst, size_t size, u_char *src,
    size_t len);
static ssize_t ngx_rtc_nal_pack_small(ngx_rtc_nal_pack_t *p, u_char *out,
    ngx_uint_t *last);


/* the 4-byte big-endian length in front of each NAL unit of an AU */

static ngx_inline void
ngx_rtc_nal_put_len(u_char *p, size_t len)
{
    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;
}


/* a NAL unit header with nal_unit_type "type" instead of its own */

static ngx_inline u_char
ngx_rtc_nal_with_type(const ngx_rtc_nal_codec_t *c, u_char b, ngx_uint_t type)
{
    return (u_char) ((b & ~(c->mask << c->shift)) | (type << c->shift));
}


/*
 * A NAL unit an access unit may hold: its header is whole, its
 * forbidden_zero_bit clear (set, the sender flags a damaged NAL unit),
 * its nuh_temporal_id_plus1 not 0 (H.265), its type not one reserved for
 * RTP payload structures.
 */

static ngx_uint_t
ngx_rtc_nal_valid(const ngx_rtc_nal_codec_t *c, u_char *nal, size_t len)
{
    if (len < c->hdr || (nal[0] & 0x80)) {
        return 0;
    }

    if (c->tid && (nal[1] & 0x07) == 0) {
        return 0;
    }

    return !(c->type(ngx_rtc_nal_type(c, nal)) & NGX_RTC_NAL_RESERVED);
}


void
ngx_rtc_nal_depack_init(ngx_rtc_nal_depack_t *d,
    const ngx_rtc_nal_codec_t *codec, u_char *buf, size_t size,
    ngx_rtc_au_handler_pt handler, void *data)
{
    ngx_memzero(d, sizeof(ngx_rtc_nal_depack_t));

    d->codec = codec;
    d->buf = buf;
    d->size = size;
    d->handler = handler;
    d->data = data;

    /* nothing is decodable before the first keyframe */
    d->wait_key = 1;
}


/* the stored parameter set k */

static u_char *
ngx_rtc_nal_ps(ngx_rtc_nal_depack_t *d, ngx_uint_t k, size_t **len)
{
    switch (k) {

    case NGX_RTC_NAL_VPS:
        *len = &d->vps_len;
        return d->vps;

    case NGX_RTC_NAL_SPS:
        *len = &d->sps_len;
        return d->sps;

    default:
        *len = &d->pps_len;
        return d->pps;
    }
}


/* the open AU holds parameter set k */

static ngx_uint_t
ngx_rtc_nal_has_ps(ngx_rtc_nal_depack_t *d, ngx_uint_t k)
{
    switch (k) {

    case NGX_RTC_NAL_VPS:
        return d->has_vps;

    case NGX_RTC_NAL_SPS:
        return d->has_sps;

    default:
        return d->has_pps;
    }
}


static void
ngx_rtc_nal_set_ps(ngx_rtc_nal_depack_t *d, ngx_uint_t k)
{
    switch (k) {

    case NGX_RTC_NAL_VPS:
        d->has_vps = 1;
        break;

    case NGX_RTC_NAL_SPS:
        d->has_sps = 1;
        break;

    default:
        d->has_pps = 1;
    }
}


/*
 * The value of an fmtp parameter listing parameter sets in base64,
 * separated by commas: sprop-parameter-sets (RFC 6184 8.1), sprop-vps,
 * sprop-sps, sprop-pps (RFC 7798 7.1).  NGX_DECLINED: it held no
 * parameter set (SEI only).
 */

ngx_int_t
ngx_rtc_nal_sprop(ngx_rtc_nal_depack_t *d, u_char *p, size_t len)
{
    u_char                     *end, *q, *e, *ps;
    size_t                     *ps_len;
    ssize_t                     n;
    ngx_uint_t                  found, flags;
    const ngx_rtc_nal_codec_t  *c;
    u_char                      nal[NGX_RTC_NAL_PS_MAX];

    c = d->codec;
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
            n = ngx_rtc_nal_base64(nal, sizeof(nal), p, e - p);

            if (n < (ssize_t) c->hdr || (nal[0] & 0x80)) {
                return NGX_ERROR;
            }

            flags = c->type(ngx_rtc_nal_type(c, nal));

            /* other NAL units (SEI) are not needed out of band */

            if (flags & NGX_RTC_NAL_PS) {
                ps = ngx_rtc_nal_ps(d, flags >> NGX_RTC_NAL_PS_SHIFT,
                                    &ps_len);
                ngx_memcpy(ps, nal, n);
                *ps_len = n;
                found = 1;
            }
        }

        p = q + 1;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_rtc_nal_depacketize(ngx_rtc_nal_depack_t *d, u_char *payload, size_t len,
    uint16_t seq, uint32_t ts, ngx_uint_t marker)
{
    uint16_t                    delta;
    ngx_int_t                   rc;
    ngx_uint_t                  type, flags;
    const ngx_rtc_nal_codec_t  *c;

    c = d->codec;

    if (d->seq_valid) {
        delta = (uint16_t) (seq - d->last_seq);

        if (delta != 1) {

            if (delta == 0 || delta >= 0x10000 - NGX_RTC_NAL_REORDER) {
                /* a duplicate, or too late: its AU is gone */
                return NGX_OK;
            }

            /*
             * Packets were lost (or the source restarted): the open AU is
             * incomplete, and the next AUs may reference what was lost.
             */

            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_LOSS, delta - 1);

            if (delta < NGX_RTC_NAL_DROPOUT) {
                d->lost += delta - 1;
            }

            d->wait_key = 1;
            d->fu = 0;

            if (d->started) {
                d->broken = 1;
            }
        }
    }

    d->seq_valid = 1;
    d->last_seq = seq;

    if (len == 0) {

        /*
         * Some cameras send RTP packets without payload (RFC 3550 5.1
         * allows one of padding only): nothing is lost, the packet is
         * ignored, but for its marker bit ending the open AU.
         */

        if (marker && d->started && ts == d->ts) {
            ngx_rtc_nal_depack_emit(d);
        }

        return NGX_OK;
    }

    if (d->started && ts != d->ts) {
        ngx_rtc_nal_depack_emit(d);
    }

    if (!d->started) {
        ngx_rtc_nal_depack_start(d, ts);
    }

    rc = NGX_OK;

    if (d->broken) {
        goto done;
    }

    if (len < c->hdr) {
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_SHORT, len);
        rc = NGX_DECLINED;
        goto broken;
    }

    type = ngx_rtc_nal_type(c, payload);

    if (d->fu && type != c->fu) {
        /* the FU ended without its E bit */
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_FU, 0);
        d->broken = 1;
        goto done;
    }

    if (type == c->agg) {
        rc = ngx_rtc_nal_agg(d, payload, len);

    } else if (type == c->fu) {
        rc = ngx_rtc_nal_fu(d, payload, len);

    } else if (ngx_rtc_nal_is_annexb(payload, len)) {
        rc = ngx_rtc_nal_annexb(d, payload, len);

    } else {
        flags = c->type(type);

        if (flags & NGX_RTC_NAL_IGNORE) {
            /* undefined (RFC 6184 table 1, RFC 7798 4.4): ignore it */
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_TYPE, type);
            d->rejected++;
            rc = NGX_DECLINED;
            goto done;
        }

        if (flags & NGX_RTC_NAL_DECLINE) {
            /* interleaved mode (never negotiated), PACI */
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_MODE, type);
            rc = NGX_DECLINED;

        } else {
            rc = ngx_rtc_nal_add(d, payload, len);
        }
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
        ngx_rtc_nal_depack_emit(d);
    }

    return rc;
}


void
ngx_rtc_nal_depack_flush(ngx_rtc_nal_depack_t *d)
{
    ngx_rtc_nal_depack_emit(d);
}


static void
ngx_rtc_nal_depack_start(ngx_rtc_nal_depack_t *d, uint32_t ts)
{
    uint32_t  delta;

    /*
     * The media clock of the log's rate limit: forward steps of up to a
     * second count (a camera's frame interval), steps back of up to a
     * second do not (B-frames: timestamps in decoding order), a bigger
     * jump is a new base.  Timestamps that jump around (a broken or
     * hostile source) keep it from going forward, and so keep the log
     * quiet; so does a source whose steps are all big, which needs 60
     * AUs to make a minute.
     */

    delta = ts - d->clock_ts;

    if (!d->clock_valid) {
        d->clock_valid = 1;
        d->clock_ts = ts;

    } else if (delta <= 90000) {
        d->clock += delta;
        d->clock_ts = ts;

    } else if (delta < (uint32_t) -90000) {
        d->clock_ts = ts;
    }

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
ngx_rtc_nal_depack_emit(ngx_rtc_nal_depack_t *d)
{
    ngx_uint_t  k;

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
        ngx_rtc_nal_depack_drop(d);
        return;
    }

    if (!d->vcl) {
        /*
         * No slice: parameter sets or SEI sent with a timestamp of their
         * own.  In-band parameter sets are remembered and go out with the
         * next keyframe.
         */
        return;
    }

    if (d->wait_key && !d->key) {
        ngx_rtc_nal_depack_drop(d);
        return;
    }

    if (d->key) {

        for (k = d->codec->first_ps; k <= NGX_RTC_NAL_PPS; k++) {
            if (!ngx_rtc_nal_has_ps(d, k)) {
                break;
            }
        }

        if (k <= NGX_RTC_NAL_PPS && ngx_rtc_nal_add_ps(d) != NGX_OK) {
            /* a keyframe nobody can decode */
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_NO_PS, k);
            d->wait_key = 1;
            d->dropped++;
            return;
        }

        d->wait_key = 0;
        d->synced = 1;
    }

    if (d->handler) {
        d->handler(d->data, d->buf, d->len, d->ts, d->key);
    }
}


/*
 * An AU dropped, broken or waiting for a keyframe.  Before the first
 * keyframe, with nothing lost or refused yet, it is the start of a
 * stream joined between two keyframes (or in a fragmented NAL unit),
 * no fault of the source's: counted apart, as "skipped".
 */

static void
ngx_rtc_nal_depack_drop(ngx_rtc_nal_depack_t *d)
{
    d->dropped++;

    if (!d->synced && d->lost == 0 && d->rejected == 0) {
        d->skipped++;
    }
}


/*
 * Put the stored parameter sets a keyframe AU lacks before its first
 * slice: the first of the codec's after a leading AUD (which must come
 * first, H.264 7.4.1.2.3, H.265 7.4.2.4.4), each other one after the
 * AU's last parameter set of the kind before it (which it refers to),
 * or where that one goes.
 */

static ngx_int_t
ngx_rtc_nal_add_ps(ngx_rtc_nal_depack_t *d)
{
    u_char                     *pos, *end, *next, *nal, *ps;
    size_t                      n, need, *ps_len;
    size_t                      off[NGX_RTC_NAL_PPS + 1];
    size_t                      after[NGX_RTC_NAL_PPS + 1];
    ngx_uint_t                  k, flags, first;
    const ngx_rtc_nal_codec_t  *c;

    c = d->codec;
    first = c->first_ps;
    need = 0;

    for (k = first; k <= NGX_RTC_NAL_PPS; k++) {
        after[k] = 0;

        if (ngx_rtc_nal_has_ps(d, k)) {
            continue;
        }

        (void) ngx_rtc_nal_ps(d, k, &ps_len);

        if (*ps_len == 0) {
            return NGX_DECLINED;
        }

        need += 4 + *ps_len;
    }

    if (need > d->size - d->len) {
        return NGX_DECLINED;
    }

    off[first] = 0;

    pos = d->buf;
    end = d->buf + d->len;

    while (pos < end) {
        next = ngx_rtc_nal_au_next(c, pos, end, &nal, &n);
        if (next == NULL) {
            return NGX_DECLINED;
        }

        flags = c->type(ngx_rtc_nal_type(c, nal));

        if (flags & NGX_RTC_NAL_VCL) {
            break;
        }

        if ((flags & NGX_RTC_NAL_AUD) && pos == d->buf) {
            off[first] = next - d->buf;
        }

        if (flags & NGX_RTC_NAL_PS) {
            after[flags >> NGX_RTC_NAL_PS_SHIFT] = next - d->buf;
        }

        pos = next;
    }

    for (k = first + 1; k <= NGX_RTC_NAL_PPS; k++) {
        off[k] = ngx_rtc_nal_has_ps(d, k - 1) ? after[k - 1] : off[k - 1];
    }

    /*
     * The later offsets first, so that inserting leaves the earlier ones
     * valid: they do not decrease with k.
     */

    for (k = NGX_RTC_NAL_PPS + 1; k-- > first; /* void */) {
        if (ngx_rtc_nal_has_ps(d, k)) {
            continue;
        }

        ps = ngx_rtc_nal_ps(d, k, &ps_len);
        ngx_rtc_nal_insert(d, off[k], ps, *ps_len);
        ngx_rtc_nal_set_ps(d, k);
    }

    return NGX_OK;
}


static void
ngx_rtc_nal_insert(ngx_rtc_nal_depack_t *d, size_t off, u_char *nal,
    size_t len)
{
    u_char  *p;

    p = d->buf + off;

    ngx_memmove(p + 4 + len, p, d->len - off);

    ngx_rtc_nal_put_len(p, len);
    ngx_memcpy(p + 4, nal, len);

    d->len += 4 + len;
}


/* one whole NAL unit from a packet */

static ngx_int_t
ngx_rtc_nal_add(ngx_rtc_nal_depack_t *d, u_char *nal, size_t len)
{
    u_char  *p;
    size_t   room;

    if (!ngx_rtc_nal_valid(d->codec, nal, len)) {
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_NAL, len ? nal[0] : 0);
        return NGX_DECLINED;
    }

    room = d->size - d->len;

    if (room < 4 || len > room - 4) {
        /* the AU does not fit: drop it and wait for the next keyframe */
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_BIG, d->size);
        d->broken = 1;
        return NGX_OK;
    }

    p = d->buf + d->len;

    ngx_rtc_nal_insert(d, d->len, nal, len);

    ngx_rtc_nal_done(d, p + 4, len);

    return NGX_OK;
}


/* a NAL unit is complete in the AU: what it tells of the AU */

static void
ngx_rtc_nal_done(ngx_rtc_nal_depack_t *d, u_char *nal, size_t len)
{
    u_char                     *ps;
    size_t                     *ps_len;
    ngx_uint_t                  flags, k;
    const ngx_rtc_nal_codec_t  *c;

    c = d->codec;
    flags = c->type(ngx_rtc_nal_type(c, nal));

    if (flags & NGX_RTC_NAL_PS) {
        k = flags >> NGX_RTC_NAL_PS_SHIFT;

        ngx_rtc_nal_set_ps(d, k);

        if (len <= NGX_RTC_NAL_PS_MAX) {
            ps = ngx_rtc_nal_ps(d, k, &ps_len);
            ngx_memcpy(ps, nal, len);
            *ps_len = len;
        }

        return;
    }

    if (!(flags & NGX_RTC_NAL_VCL)) {
        return;
    }

    if (flags & NGX_RTC_NAL_KEY) {
        d->key = 1;
    }

    if (d->vcl) {
        return;
    }

    d->vcl = 1;

    /*
     * After a loss the AU may have lost its first slices.  The first bit
     * after the NAL unit header is 1 only in the first slice of a
     * picture: H.264 first_mb_in_slice ue(v), whose code for 0 is the
     * single bit "1" (H.264 7.3.3, 9.1); H.265
     * first_slice_segment_in_pic_flag (H.265 7.3.6.1).
     */

    if (d->wait_key && (len < c->hdr + 1 || !(nal[c->hdr] & 0x80))) {
        d->broken = 1;
    }
}


/*
 * RFC 6184 5.7.1 STAP-A, RFC 7798 4.4.2 AP: the payload header, then
 * ([DONL or DOND] 16-bit size, NAL unit) repeated; DONL (16 bits) before
 * the first, DOND (8 bits) before the others, only in H.265 when
 * sprop-max-don-diff is above 0.  After the first NAL unit, a size of 0
 * or fewer bytes left than a size end the packet: zero padding some
 * cameras add (gortsplib skips it too).
 */

static ngx_int_t
ngx_rtc_nal_agg(ngx_rtc_nal_depack_t *d, u_char *p, size_t len)
{
    u_char     *q, *end;
    size_t      n, don, hdr;
    ngx_int_t   rc;

    hdr = d->codec->hdr;
    end = p + len;
    p += hdr;

    if (p == end) {
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_AGG, 0);
        return NGX_DECLINED;
    }

    /* check every size before taking any NAL unit */

    don = d->donl ? 2 : 0;

    for (q = p; q < end; q += n) {

        if ((size_t) (end - q) < don + 2) {

            if (q > p) {
                /* padding */
                end = q;
                break;
            }

            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_AGG, 0);
            return NGX_DECLINED;
        }

        n = ((size_t) q[don] << 8) | q[don + 1];

        if (n == 0 && q > p) {
            /* padding */
            end = q;
            break;
        }

        q += don + 2;
        don = d->donl ? 1 : 0;

        if (n < hdr || n > (size_t) (end - q)) {
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_AGG, n);
            return NGX_DECLINED;
        }
    }

    don = d->donl ? 2 : 0;

    while (p < end && !d->broken) {
        p += don;
        don = d->donl ? 1 : 0;

        n = ((size_t) p[0] << 8) | p[1];
        p += 2;

        rc = ngx_rtc_nal_add(d, p, n);
        if (rc != NGX_OK) {
            return rc;
        }

        p += n;
    }

    return NGX_OK;
}


/*
 * RFC 6184 5.8 FU-A: FU indicator, FU header (S, E, R, type), fragment.
 * RFC 7798 4.4.3 FU: PayloadHdr (2 bytes), FU header (S, E, FuType),
 * DONL when S is set and sprop-max-don-diff is above 0, fragment.
 * The NAL unit header is the payload header with the FU header's type.
 */

static ngx_int_t
ngx_rtc_nal_fu(ngx_rtc_nal_depack_t *d, u_char *p, size_t len)
{
    u_char                     *nal, *data, fu;
    size_t                      n, room, hdr;
    ngx_uint_t                  type;
    const ngx_rtc_nal_codec_t  *c;

    c = d->codec;
    hdr = c->hdr;

    if (len < hdr + 1) {
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_FU, 0);
        return NGX_DECLINED;
    }

    fu = p[hdr];
    type = fu & c->mask;

    if (c->type(type) & NGX_RTC_NAL_RESERVED) {
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_FU, 0);
        return NGX_DECLINED;
    }

    data = p + hdr + 1;

    if ((fu & NGX_RTC_NAL_FU_S) && d->donl) {
        data += 2;
    }

    if (data > p + len) {
        ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_FU, 0);
        return NGX_DECLINED;
    }

    n = p + len - data;
    room = d->size - d->len;

    if (fu & NGX_RTC_NAL_FU_S) {

        if (d->fu) {
            /* the previous FU never ended */
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_FU, 0);
            d->broken = 1;
            return NGX_OK;
        }

        if (room < 4 + hdr || n > room - 4 - hdr) {
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_BIG, d->size);
            d->broken = 1;
            return NGX_OK;
        }

        d->fu = 1;
        d->fu_start = d->len;

        nal = d->buf + d->len + 4;

        ngx_memcpy(nal, p, hdr);
        nal[0] = ngx_rtc_nal_with_type(c, p[0], type);

        ngx_memcpy(nal + hdr, data, n);
        d->len += 4 + hdr + n;

    } else {

        if (!d->fu) {
            /* the start was lost, or we joined in the middle */
            d->broken = 1;
            return NGX_OK;
        }

        if (ngx_rtc_nal_type(c, d->buf + d->fu_start + 4) != type) {
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_FU, 0);
            return NGX_DECLINED;
        }

        if (n > room) {
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_BIG, d->size);
            d->broken = 1;
            return NGX_OK;
        }

        ngx_memcpy(d->buf + d->len, data, n);
        d->len += n;
    }

    if (fu & NGX_RTC_NAL_FU_E) {
        d->fu = 0;

        nal = d->buf + d->fu_start;
        n = d->len - d->fu_start - 4;

        if (!ngx_rtc_nal_valid(c, nal + 4, n)) {
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_NAL, nal[4]);
            return NGX_DECLINED;
        }

        ngx_rtc_nal_put_len(nal, n);

        ngx_rtc_nal_done(d, nal + 4, n);
    }

    return NGX_OK;
}


/*
 * A payload that starts with an Annex-B start code (H.264 B.1, H.265
 * B.2): 00 00 01 or 00 00 00 01.  No NAL unit starts so: its header would
 * be of nal_unit_type 0, unspecified (H.264 table 7-1), or have
 * nuh_temporal_id_plus1 0, forbidden (H.265 7.4.2.2).
 */

static ngx_uint_t
ngx_rtc_nal_is_annexb(u_char *p, size_t len)
{
    if (len < 4 || p[0] != 0 || p[1] != 0) {
        return 0;
    }

    return p[2] == 1 || (p[2] == 0 && p[3] == 1);
}


/*
 * Some cameras send NAL units with their start codes, even a whole access
 * unit (SPS, PPS, IDR) in one packet (gortsplib and ffmpeg take them
 * too): each NAL unit runs from a start code to the next 00 00 00 or
 * 00 00 01 or the payload's end (H.264 B.2, H.265 B.2; its last byte is
 * never 0, H.264 7.4.1, H.265 7.4.2), and goes into the AU as if it came
 * in a packet of its own.
 */

static ngx_int_t
ngx_rtc_nal_annexb(ngx_rtc_nal_depack_t *d, u_char *p, size_t len)
{
    u_char     *end, *start, *nal, *next;
    ngx_int_t   rc;

    end = p + len;

    for ( ;; ) {

        /* zero_byte, start_code_prefix_one_3bytes */

        start = p;

        while (p < end && *p == 0) {
            p++;
        }

        if (p == end || d->broken) {
            return NGX_OK;
        }

        if (*p != 0x01 || p - start < 2) {
            /* a NAL unit ends at 00 00 00 or 00 00 01, never 00 00 02 */
            ngx_rtc_nal_error(d, NGX_RTC_NAL_ERR_NAL, *p);
            return NGX_DECLINED;
        }

        nal = ++p;

        while (end - p >= 3 && !(p[0] == 0 && p[1] == 0 && p[2] <= 0x01)) {
            p++;
        }

        if (end - p < 3) {

            /* the rest is the NAL unit's, but trailing_zero_8bits */

            for (p = end; p > nal && p[-1] == 0; p--) { /* void */ }

            next = end;

        } else {
            next = p;
        }

        if (p > nal) {
            rc = ngx_rtc_nal_add(d, nal, p - nal);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        p = next;
    }
}


/*
 * A rejection of kind err: the first is logged, then one a minute of the
 * stream's media time with how many there were since.  The log is the
 * stream's if the caller set d->log; the cycle's otherwise, if any (the
 * unit tests and fuzzers have none).
 */

static void
ngx_rtc_nal_error(ngx_rtc_nal_depack_t *d, ngx_uint_t err, ngx_uint_t arg)
{
    char                       *what, *ps;
    u_char                     *p;
    ngx_str_t                   more;
    ngx_log_t                  *log;
    const ngx_rtc_nal_codec_t  *c;
    u_char                      buf[64];

    d->errors[err]++;

    if (d->logged[err]
        && d->clock + 1 - d->logged[err] < NGX_RTC_NAL_LOG_EVERY)
    {
        return;
    }

    /*
     * In nginx (a log set), a minute of the wall clock too: a source
     * whose timestamps leap a second each packet makes a minute of media
     * time in 60 packets
     */

    if (d->log && d->logged[err]
        && ngx_current_msec - d->logged_msec[err]
           < NGX_RTC_NAL_LOG_EVERY / 90)
    {
        return;
    }

    log = d->log;

    if (log == NULL) {
        if (ngx_cycle == NULL) {
            return;
        }

        log = ngx_cycle->log;
    }

    more.len = 0;
    more.data = buf;

    if (d->logged[err]) {
        p = ngx_snprintf(buf, sizeof(buf), " (%ui times since the last "
                         "message)", d->errors[err]);
        more.len = p - buf;
    }

    d->logged[err] = d->clock + 1;
    d->logged_msec[err] = d->log ? ngx_current_msec : 0;
    d->errors[err] = 0;

    c = d->codec;
    what = "access unit dropped, waiting for a keyframe";

    switch (err) {

    case NGX_RTC_NAL_ERR_SHORT:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: a payload of %ui byte, shorter than a NAL "
                      "unit header: %s%V", c->name, arg, what, &more);
        break;

    case NGX_RTC_NAL_ERR_TYPE:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "rtc %s: a packet of undefined NAL unit type %ui: "
                      "ignored%V", c->name, arg, &more);
        break;

    case NGX_RTC_NAL_ERR_MODE:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: a packet of type %ui (interleaved mode or "
                      "PACI, not supported): %s%V", c->name, arg, what, &more);
        break;

    case NGX_RTC_NAL_ERR_AGG:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: %s with a bad NAL unit size (%ui): %s%V",
                      c->name, c->agg_name, arg, what, &more);
        break;

    case NGX_RTC_NAL_ERR_FU:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: a malformed %s, or one that did not end: %s%V",
                      c->name, c->fu_name, what, &more);
        break;

    case NGX_RTC_NAL_ERR_NAL:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: a NAL unit with forbidden_zero_bit set or of "
                      "a reserved type (first byte %02xi): %s%V",
                      c->name, arg, what, &more);
        break;

    case NGX_RTC_NAL_ERR_BIG:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: an access unit larger than %ui bytes: %s%V",
                      c->name, arg, what, &more);
        break;

    case NGX_RTC_NAL_ERR_NO_PS:
        ps = (arg == NGX_RTC_NAL_VPS) ? "VPS"
             : (arg == NGX_RTC_NAL_SPS) ? "SPS" : "PPS";

        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtc %s: a keyframe without %s, none known yet (in "
                      "band or from the SDP): dropped%V", c->name, ps, &more);
        break;

    default: /* NGX_RTC_NAL_ERR_LOSS */
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "rtc %s: %ui RTP packets missing (lost, or another "
                      "source): %s%V", c->name, arg, what, &more);
    }
}


/*
 * RFC 4648 base64 (the URL-safe alphabet too), padding optional; returns
 * the decoded length, or -1 on a bad character or if "size" is too small.
 */

static ssize_t
ngx_rtc_nal_base64(u_char *dst, size_t size, u_char *src, size_t len)
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

u_char *
ngx_rtc_nal_au_next(const ngx_rtc_nal_codec_t *codec, u_char *pos,
    u_char *end, u_char **nal, size_t *len)
{
    size_t  n;

    if (end - pos < 4) {
        return NULL;
    }

    n = ((size_t) pos[0] << 24) | ((size_t) pos[1] << 16)
        | ((size_t) pos[2] << 8) | pos[3];

    pos += 4;

    /* at least the NAL unit header */

    if (n < codec->hdr || n > (size_t) (end - pos)) {
        return NULL;
    }

    *nal = pos;
    *len = n;

    return pos + n;
}


/* the first NAL unit of a type: NGX_OK, NGX_DECLINED if none */

ngx_int_t
ngx_rtc_nal_au_find(const ngx_rtc_nal_codec_t *codec, u_char *au, size_t len,
    ngx_uint_t type, u_char **nal, size_t *nal_len)
{
    u_char  *pos, *end, *p;
    size_t   n;

    pos = au;
    end = au + len;

    while (pos < end) {
        pos = ngx_rtc_nal_au_next(codec, pos, end, &p, &n);
        if (pos == NULL) {
            return NGX_ERROR;
        }

        if (ngx_rtc_nal_type(codec, p) == type) {
            *nal = p;
            *nal_len = n;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


void
ngx_rtc_nal_pack_init(ngx_rtc_nal_pack_t *p, const ngx_rtc_nal_codec_t *codec,
    u_char *au, size_t len, size_t mtu)
{
    u_char  *pos, *next, *nal;
    size_t   n;

    ngx_memzero(p, sizeof(ngx_rtc_nal_pack_t));

    p->codec = codec;
    p->au = au;
    p->pos = au;
    p->end = au + len;
    p->mtu = mtu ? mtu : NGX_RTC_NAL_MTU;

    if (p->mtu > 0xffff) {
        /* aggregated NAL unit sizes are 16 bits, and so are UDP datagrams */
        p->mtu = 0xffff;
    }

    /* an FU needs its headers and at least 1 byte of the NAL unit */

    if (p->mtu < codec->hdr + 2) {
        p->error = 1;
        return;
    }

    /* check the whole AU first, to know which packet carries the marker */

    for (pos = au; pos < p->end; pos = next) {
        next = ngx_rtc_nal_au_next(codec, pos, p->end, &nal, &n);

        /* a reserved type would be taken for an RTP payload structure */

        if (next == NULL || !ngx_rtc_nal_valid(codec, nal, n)) {
            p->error = 1;
            return;
        }

        if (!(codec->type(ngx_rtc_nal_type(codec, nal)) & NGX_RTC_NAL_SKIP))
        {
            p->last = pos;
        }
    }
}


ssize_t
ngx_rtc_nal_pack_next(ngx_rtc_nal_pack_t *p, u_char *out, ngx_uint_t *last)
{
    u_char                     *next, *nal;
    size_t                      n, left, hdr;
    const ngx_rtc_nal_codec_t  *c;

    *last = 0;

    if (p->error) {
        return NGX_ERROR;
    }

    c = p->codec;
    hdr = c->hdr;

    if (p->nal == NULL) {

        /* the next NAL unit we send */

        for ( ;; ) {
            if (p->pos >= p->end) {
                return 0;
            }

            next = ngx_rtc_nal_au_next(c, p->pos, p->end, &nal, &n);
            if (next == NULL) {
                return NGX_ERROR;
            }

            if (!(c->type(ngx_rtc_nal_type(c, nal)) & NGX_RTC_NAL_SKIP)) {
                break;
            }

            p->pos = next;
        }

        if (n <= p->mtu) {
            return ngx_rtc_nal_pack_small(p, out, last);
        }

        p->nal = nal;
        p->nal_len = n;
        p->off = hdr;
        p->nal_last = (p->pos == p->last);
        p->pos = next;
    }

    /*
     * RFC 6184 5.8, RFC 7798 4.4.3: the payload header (the NAL unit
     * header with the FU's type), the FU header (S, E, the NAL unit's
     * type), then the fragment; the NAL unit header itself is not sent.
     * Fragments are of equal size but the last (UDP GSO sends equal
     * segments in one call).
     */

    left = p->nal_len - p->off;
    n = ngx_rtc_nal_frag_size(p->nal_len - hdr, p->mtu - hdr - 1);

    if (n > left) {
        n = left;
    }

    ngx_memcpy(out, p->nal, hdr);
    out[0] = ngx_rtc_nal_with_type(c, p->nal[0], c->fu);
    out[hdr] = (u_char) ngx_rtc_nal_type(c, p->nal);

    if (p->off == hdr) {
        out[hdr] |= NGX_RTC_NAL_FU_S;
    }

    if (n == left) {
        out[hdr] |= NGX_RTC_NAL_FU_E;
    }

    ngx_memcpy(out + hdr + 1, p->nal + p->off, n);
    p->off += n;

    if (p->off == p->nal_len) {
        *last = p->nal_last;
        p->nal = NULL;
    }

    return hdr + 1 + n;
}


/*
 * The NAL unit at p->pos fits in a packet: send it alone (RFC 6184 5.6,
 * RFC 7798 4.4.1), or with the following ones that fit too as an
 * aggregation packet (RFC 6184 5.7.1 STAP-A, RFC 7798 4.4.2 AP).
 */

static ssize_t
ngx_rtc_nal_pack_small(ngx_rtc_nal_pack_t *p, u_char *out, ngx_uint_t *last)
{
    u_char                     *pos, *next, *stop, *nal, *o;
    size_t                      n, size;
    ngx_uint_t                  count, first;
    const ngx_rtc_nal_codec_t  *c;

    c = p->codec;

    /* the AU was checked whole (ngx_rtc_nal_pack_init()): never NULL */

    next = ngx_rtc_nal_au_next(c, p->pos, p->end, &nal, &n);
    if (next == NULL) {
        p->error = 1;
        return NGX_ERROR;
    }

    size = c->hdr + 2 + n;
    count = 1;
    stop = next;

    if (size <= p->mtu) {

        for (pos = next; pos < p->end; pos = next) {
            next = ngx_rtc_nal_au_next(c, pos, p->end, &nal, &n);

            if (c->type(ngx_rtc_nal_type(c, nal)) & NGX_RTC_NAL_SKIP) {
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
        next = ngx_rtc_nal_au_next(c, p->pos, p->end, &nal, &n);
        if (next == NULL) {
            p->error = 1;
            return NGX_ERROR;
        }

        ngx_memcpy(out, nal, n);

        *last = (p->pos == p->last);
        p->pos = next;

        return n;
    }

    o = out + c->hdr;
    first = 1;

    for (pos = p->pos; pos < stop; pos = next) {
        next = ngx_rtc_nal_au_next(c, pos, p->end, &nal, &n);

        if (c->type(ngx_rtc_nal_type(c, nal)) & NGX_RTC_NAL_SKIP) {
            continue;
        }

        c->agg_hdr(out, nal, first);
        first = 0;

        *o++ = (u_char) (n >> 8);
        *o++ = (u_char) n;
        o = ngx_cpymem(o, nal, n);

        if (pos == p->last) {
            *last = 1;
        }
    }

    p->pos = stop;

    return o - out;
}
