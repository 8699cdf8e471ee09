/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_frame.h"
#include "ngx_rtc_sdp.h"
#include "ngx_rtc_audio.h"


/*
 * Audio depacketizers for the formats cameras send:
 *
 *   - AAC as "mpeg4-generic" (RFC 3640), the AU header section of any
 *     mode the fmtp describes (AAC-hbr: sizelength=13, indexlength=3,
 *     indexdeltalength=3; AAC-lbr: 6/2/2), several AUs in one packet or
 *     one AU fragmented over several; each AU becomes one frame, without
 *     an ADTS header, the AudioSpecificConfig being kept beside (config=).
 *     Interleaving (non-zero AU-Index-delta) is refused packet by packet.
 *   - PCMA, PCMU (RFC 3551) and Opus (RFC 7587): one RTP payload is one
 *     frame.
 *
 * Pure: no allocation (the caller gives the buffer for fragmented AUs),
 * every length is checked against what is there.
 */


#define NGX_RTC_AUDIO_AUS_MAX     64       /* AU headers in one packet */

/* a bigger step of the sequence is a restart (RFC 3550 A.1), not a loss */
#define NGX_RTC_AUDIO_DROPOUT     3000


typedef struct {
    u_char                   *pos;
    u_char                   *end;
    ngx_uint_t                bit;         /* in *pos, from the top */
    ngx_uint_t                err;
} ngx_rtc_audio_bits_t;


static ngx_int_t ngx_rtc_audio_aac_init(ngx_rtc_audio_depack_t *d,
    ngx_uint_t channels, ngx_str_t *fmtp);
static ngx_int_t ngx_rtc_audio_fmtp_uint(ngx_str_t *fmtp, const char *name,
    ngx_uint_t max, ngx_uint_t *out);
static ngx_int_t ngx_rtc_audio_aac(ngx_rtc_audio_depack_t *d, u_char *p,
    size_t len, ngx_uint_t lost, uint32_t ts, ngx_uint_t marker);
static ngx_int_t ngx_rtc_audio_aac_fragment(ngx_rtc_audio_depack_t *d,
    u_char *p, size_t len, size_t size, uint32_t ts, ngx_uint_t marker);
static ngx_uint_t ngx_rtc_audio_aac_object(ngx_rtc_audio_bits_t *b);
static ngx_uint_t ngx_rtc_audio_aac_rate(ngx_rtc_audio_bits_t *b);
static uint32_t ngx_rtc_audio_read(ngx_rtc_audio_bits_t *b, ngx_uint_t n);
static ngx_uint_t ngx_rtc_audio_name(ngx_str_t *name, const char *s);


static const ngx_uint_t  ngx_rtc_audio_rates[] = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050,
    16000, 12000, 11025, 8000, 7350, 0, 0, 0
};


/*
 * Sets up the depacketizer for one format of an SDP m=audio line:
 * NGX_OK, or NGX_DECLINED with d->err saying why the format cannot be
 * carried.
 */

ngx_int_t
ngx_rtc_audio_depack_init(ngx_rtc_audio_depack_t *d, ngx_str_t *name,
    ngx_uint_t pt, ngx_uint_t clock, ngx_uint_t channels, ngx_str_t *fmtp,
    u_char *buf, size_t size, ngx_rtc_audio_handler_pt handler, void *data)
{
    ngx_memzero(d, sizeof(ngx_rtc_audio_depack_t));

    d->buf = buf;
    d->size = size;
    d->handler = handler;
    d->data = data;

    /* RFC 3551 6: static payload types need no rtpmap */

    if (name->len == 0) {
        if (pt == 0) {
            d->codec = NGX_RTC_CODEC_PCMU;

        } else if (pt == 8) {
            d->codec = NGX_RTC_CODEC_PCMA;

        } else {
            d->err = "static payload type of an unsupported codec";
            return NGX_DECLINED;
        }

        d->clock = 8000;
        d->channels = 1;
        d->rate = 8000;

        return NGX_OK;
    }

    if (ngx_rtc_audio_name(name, "PCMA") || ngx_rtc_audio_name(name, "PCMU"))
    {
        d->codec = (name->data[3] == 'A' || name->data[3] == 'a')
                   ? NGX_RTC_CODEC_PCMA : NGX_RTC_CODEC_PCMU;
        d->clock = clock ? clock : 8000;
        d->channels = channels ? channels : 1;
        d->rate = d->clock;

        return NGX_OK;
    }

    if (ngx_rtc_audio_name(name, "opus")) {

        /* RFC 7587 7: always "opus/48000/2", whatever is inside */

        d->codec = NGX_RTC_CODEC_OPUS;
        d->clock = 48000;
        d->channels = 2;
        d->rate = 48000;

        return NGX_OK;
    }

    if (ngx_rtc_audio_name(name, "mpeg4-generic")) {
        d->clock = clock;
        return ngx_rtc_audio_aac_init(d, channels, fmtp);
    }

    if (ngx_rtc_audio_name(name, "MP4A-LATM")) {
        d->err = "MP4A-LATM (RFC 6416) is not supported";
        return NGX_DECLINED;
    }

    d->err = "unsupported codec";

    return NGX_DECLINED;
}


static ngx_int_t
ngx_rtc_audio_aac_init(ngx_rtc_audio_depack_t *d, ngx_uint_t channels,
    ngx_str_t *fmtp)
{
    u_char      *p;
    ngx_int_t    hi, lo;
    ngx_str_t    v;
    ngx_uint_t   i, n;

    if (d->clock == 0) {
        d->err = "mpeg4-generic without a clock rate";
        return NGX_DECLINED;
    }

    /* RFC 3640 4.1: streamtype 5 is audio */

    if (ngx_rtc_audio_fmtp_uint(fmtp, "streamtype", 63, &n) == NGX_OK
        && n != 5)
    {
        d->err = "mpeg4-generic stream is not audio";
        return NGX_DECLINED;
    }

    if (ngx_rtc_sdp_fmtp_param(fmtp, "config", &v) != NGX_OK
        || v.len == 0 || v.len % 2
        || v.len / 2 > NGX_RTC_AUDIO_CONFIG_MAX)
    {
        d->err = "mpeg4-generic without a usable config";
        return NGX_DECLINED;
    }

    for (i = 0, p = v.data; i < v.len / 2; i++, p += 2) {
        hi = ngx_hextoi(p, 1);
        lo = ngx_hextoi(p + 1, 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            d->err = "mpeg4-generic config is not hexadecimal";
            return NGX_DECLINED;
        }

        d->config[i] = (u_char) (hi << 4 | lo);
    }

    d->config_len = v.len / 2;

    if (ngx_rtc_audio_aac_config(d->config, d->config_len, &d->rate,
                                 &d->channels, &d->samples)
        != NGX_OK)
    {
        d->err = "invalid AudioSpecificConfig";
        return NGX_DECLINED;
    }

    if (d->channels == 0) {
        d->channels = channels ? channels : 2;
    }

    /*
     * RFC 3640 4.1: absent lengths are 0; a sizelength of 0 means
     * constant-size AUs without AU headers, which we do not take.
     * Lengths are capped so that one header fits in 32-bit reads.
     */

    if (ngx_rtc_audio_fmtp_uint(fmtp, "sizelength", 16, &d->size_length)
           == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "indexlength", 16,
                                   &d->index_length) == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "indexdeltalength", 16,
                                   &d->index_delta_length) == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "ctsdeltalength", 32,
                                   &d->cts_delta_length) == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "dtsdeltalength", 32,
                                   &d->dts_delta_length) == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "randomaccessindication", 1,
                                   &d->rap) == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "streamstateindication", 32,
                                   &d->stream_state_length) == NGX_ERROR
        || ngx_rtc_audio_fmtp_uint(fmtp, "auxiliarydatasizelength", 32,
                                   &d->aux_size_length) == NGX_ERROR)
    {
        d->err = "invalid mpeg4-generic parameter";
        return NGX_DECLINED;
    }

    if (d->size_length == 0) {
        d->err = "mpeg4-generic without AU headers is not supported";
        return NGX_DECLINED;
    }

    d->codec = NGX_RTC_CODEC_AAC;

    return NGX_OK;
}


/* NGX_OK: set; NGX_DECLINED: absent (*out = 0); NGX_ERROR: invalid */

static ngx_int_t
ngx_rtc_audio_fmtp_uint(ngx_str_t *fmtp, const char *name, ngx_uint_t max,
    ngx_uint_t *out)
{
    ngx_int_t  n;
    ngx_str_t  v;

    *out = 0;

    if (ngx_rtc_sdp_fmtp_param(fmtp, name, &v) != NGX_OK) {
        return NGX_DECLINED;
    }

    n = ngx_atoi(v.data, v.len);

    if (n == NGX_ERROR || (ngx_uint_t) n > max) {
        return NGX_ERROR;
    }

    *out = n;

    return NGX_OK;
}


/*
 * ISO/IEC 14496-3 1.6.2.1 AudioSpecificConfig: the object type, sampling
 * rate and channels, the SBR/PS extension (HE-AAC v1/v2 signalled
 * explicitly), and GASpecificConfig's frameLengthFlag.  *rate is the core
 * rate, the one a 1024- or 960-sample frame is counted in; *channels is 0
 * when the config defers to a program config element.
 */

ngx_int_t
ngx_rtc_audio_aac_config(u_char *p, size_t len, ngx_uint_t *rate,
    ngx_uint_t *channels, ngx_uint_t *samples)
{
    ngx_uint_t            aot, config, ps;
    ngx_rtc_audio_bits_t  b;

    b.pos = p;
    b.end = p + len;
    b.bit = 0;
    b.err = 0;

    aot = ngx_rtc_audio_aac_object(&b);
    *rate = ngx_rtc_audio_aac_rate(&b);
    config = ngx_rtc_audio_read(&b, 4);

    ps = 0;

    if (aot == 5 || aot == 29) {
        ps = (aot == 29);

        (void) ngx_rtc_audio_aac_rate(&b);      /* the SBR output rate */
        aot = ngx_rtc_audio_aac_object(&b);

        if (aot == 22) {
            (void) ngx_rtc_audio_read(&b, 4);
        }
    }

    if (b.err || *rate == 0 || aot == 0) {
        return NGX_ERROR;
    }

    /* table 1.19: channelConfiguration */

    if (config >= 1 && config <= 6) {
        *channels = config;

    } else if (config == 7) {
        *channels = 8;

    } else {
        *channels = 0;
    }

    if (ps) {
        *channels = 2;                 /* parametric stereo: mono core */
    }

    *samples = 1024;

    switch (aot) {

    case 1: case 2: case 3: case 4: case 6: case 7:
    case 17: case 19: case 20: case 21: case 22: case 23:

        /* GASpecificConfig: frameLengthFlag */

        if (ngx_rtc_audio_read(&b, 1) == 1) {
            *samples = 960;
        }

        if (b.err) {
            return NGX_ERROR;
        }

        break;

    default:
        break;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_rtc_audio_aac_object(ngx_rtc_audio_bits_t *b)
{
    ngx_uint_t  aot;

    aot = ngx_rtc_audio_read(b, 5);

    if (aot == 31) {
        aot = 32 + ngx_rtc_audio_read(b, 6);
    }

    return aot;
}


static ngx_uint_t
ngx_rtc_audio_aac_rate(ngx_rtc_audio_bits_t *b)
{
    ngx_uint_t  index;

    index = ngx_rtc_audio_read(b, 4);

    if (index == 0xf) {
        return ngx_rtc_audio_read(b, 24);
    }

    return ngx_rtc_audio_rates[index];
}


ngx_int_t
ngx_rtc_audio_depacketize(ngx_rtc_audio_depack_t *d, u_char *payload,
    size_t len, uint16_t seq, uint32_t ts, ngx_uint_t marker)
{
    uint16_t    delta;
    ngx_int_t   rc;
    ngx_uint_t  lost;

    /* packets missing: counted, and an open AAC fragment is lost */

    lost = 0;

    if (d->seq_valid) {
        delta = (uint16_t) (seq - d->last_seq);

        if (delta != 1) {
            lost = 1;

            if (delta != 0 && delta < NGX_RTC_AUDIO_DROPOUT) {
                d->lost += delta - 1;
            }
        }
    }

    d->seq_valid = 1;
    d->last_seq = seq;

    switch (d->codec) {

    case NGX_RTC_CODEC_AAC:
        rc = ngx_rtc_audio_aac(d, payload, len, lost, ts, marker);
        break;

    case NGX_RTC_CODEC_PCMA:
    case NGX_RTC_CODEC_PCMU:
    case NGX_RTC_CODEC_OPUS:

        if (len == 0) {
            rc = NGX_DECLINED;
            break;
        }

        d->frames++;
        d->handler(d->data, payload, len, ts);

        rc = NGX_OK;
        break;

    default:
        rc = NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        d->rejected++;
    }

    return rc;
}


/*
 * RFC 3640 3.2: AU-headers-length (16 bits, in bits), the AU headers,
 * padding to a byte, the auxiliary section, then the AUs (or a fragment
 * of one AU) back to back.
 */

static ngx_int_t
ngx_rtc_audio_aac(ngx_rtc_audio_depack_t *d, u_char *p, size_t len,
    ngx_uint_t lost, uint32_t ts, ngx_uint_t marker)
{
    u_char                *data, *end;
    size_t                 hbits, hbytes, total, aux;
    uint32_t               inc;
    ngx_uint_t             i, n;
    ngx_rtc_audio_bits_t   b;
    size_t                 sizes[NGX_RTC_AUDIO_AUS_MAX];

    if (lost && d->frag_size) {
        d->frag_size = 0;
        d->dropped++;
    }

    if (len < 2) {
        return NGX_DECLINED;
    }

    hbits = ((size_t) p[0] << 8) | p[1];
    hbytes = (hbits + 7) / 8;

    if (hbits == 0 || hbytes > len - 2) {
        return NGX_DECLINED;
    }

    b.pos = p + 2;
    b.end = p + 2 + hbytes;
    b.bit = 0;
    b.err = 0;

    n = 0;

    /* bits read so far: (b.pos - (p + 2)) * 8 + b.bit */

    while ((size_t) (b.pos - (p + 2)) * 8 + b.bit < hbits) {

        if (n == NGX_RTC_AUDIO_AUS_MAX) {
            return NGX_DECLINED;
        }

        sizes[n] = ngx_rtc_audio_read(&b, d->size_length);

        /* RFC 3640 3.2.1.1: AU-Index in the first, deltas after it */

        if (n == 0) {
            (void) ngx_rtc_audio_read(&b, d->index_length);

        } else if (ngx_rtc_audio_read(&b, d->index_delta_length) != 0) {
            return NGX_DECLINED;       /* interleaved */
        }

        if (d->cts_delta_length && ngx_rtc_audio_read(&b, 1)) {
            (void) ngx_rtc_audio_read(&b, d->cts_delta_length);
        }

        if (d->dts_delta_length && ngx_rtc_audio_read(&b, 1)) {
            (void) ngx_rtc_audio_read(&b, d->dts_delta_length);
        }

        if (d->rap) {
            (void) ngx_rtc_audio_read(&b, 1);
        }

        (void) ngx_rtc_audio_read(&b, d->stream_state_length);

        if (b.err) {
            return NGX_DECLINED;
        }

        n++;
    }

    if ((size_t) (b.pos - (p + 2)) * 8 + b.bit != hbits) {
        return NGX_DECLINED;           /* a header ran past the length */
    }

    data = p + 2 + hbytes;
    end = p + len;

    /* RFC 3640 3.2.2: the auxiliary section, skipped */

    if (d->aux_size_length) {
        b.pos = data;
        b.end = end;
        b.bit = 0;
        b.err = 0;

        aux = ngx_rtc_audio_read(&b, d->aux_size_length);

        if (b.err) {
            return NGX_DECLINED;
        }

        aux = (d->aux_size_length + aux + 7) / 8;

        if (aux > (size_t) (end - data)) {
            return NGX_DECLINED;
        }

        data += aux;
    }

    if (n == 1 && (sizes[0] > (size_t) (end - data) || d->frag_size)) {
        return ngx_rtc_audio_aac_fragment(d, data, end - data, sizes[0], ts,
                                          marker);
    }

    total = 0;

    for (i = 0; i < n; i++) {
        if (sizes[i] == 0) {
            return NGX_DECLINED;
        }

        total += sizes[i];
    }

    if (total > (size_t) (end - data)) {
        return NGX_DECLINED;
    }

    /* AUs after the first: one frame duration later each, in RTP clock */

    inc = (uint32_t) ((uint64_t) d->samples * d->clock / d->rate);

    for (i = 0; i < n; i++) {
        d->frames++;
        d->handler(d->data, data, sizes[i], ts + (uint32_t) i * inc);
        data += sizes[i];
    }

    return NGX_OK;
}


/*
 * RFC 3640 3.2.3: an AU larger than a packet is sent in fragments, each
 * with a single AU header carrying the whole AU's size, all with the
 * AU's timestamp, the marker bit on the last one.
 */

static ngx_int_t
ngx_rtc_audio_aac_fragment(ngx_rtc_audio_depack_t *d, u_char *p, size_t len,
    size_t size, uint32_t ts, ngx_uint_t marker)
{
    if (d->frag_size && (d->frag_ts != ts || d->frag_size != size)) {

        /* the open AU lost its end */

        d->frag_size = 0;
        d->dropped++;
    }

    if (d->frag_size == 0) {
        if (size == 0 || size > d->size) {
            return NGX_DECLINED;
        }

        d->frag_size = size;
        d->frag_ts = ts;
        d->len = 0;
    }

    if (len > d->frag_size - d->len) {
        d->frag_size = 0;
        return NGX_DECLINED;
    }

    ngx_memcpy(d->buf + d->len, p, len);
    d->len += len;

    if (d->len == d->frag_size) {
        d->frag_size = 0;
        d->frames++;
        d->handler(d->data, d->buf, d->len, ts);
        return NGX_OK;
    }

    if (marker) {

        /* the last fragment came, the AU is still short */

        d->frag_size = 0;
        d->dropped++;
    }

    return NGX_OK;
}


/* up to 32 bits, most significant first; past the end sets err, gives 0 */

static uint32_t
ngx_rtc_audio_read(ngx_rtc_audio_bits_t *b, ngx_uint_t n)
{
    uint32_t  v;

    v = 0;

    while (n--) {
        if (b->pos >= b->end) {
            b->err = 1;
            return 0;
        }

        v = (v << 1) | ((*b->pos >> (7 - b->bit)) & 1);

        if (++b->bit == 8) {
            b->bit = 0;
            b->pos++;
        }
    }

    return v;
}


static ngx_uint_t
ngx_rtc_audio_name(ngx_str_t *name, const char *s)
{
    size_t  len;

    len = ngx_strlen(s);

    return name->len == len
           && ngx_strncasecmp(name->data, (u_char *) s, len) == 0;
}
