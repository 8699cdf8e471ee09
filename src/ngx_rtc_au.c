/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_frame.h>
#include <ngx_rtc_au.h>


/* NAL unit types: ITU-T H.264 table 7-1, ITU-T H.265 table 7-1 */

#define NGX_RTC_AU_H264_SPS      7
#define NGX_RTC_AU_H264_PPS      8
#define NGX_RTC_AU_H264_AUD      9
#define NGX_RTC_AU_H264_FILLER   12

#define NGX_RTC_AU_H265_VPS      32
#define NGX_RTC_AU_H265_SPS      33
#define NGX_RTC_AU_H265_PPS      34
#define NGX_RTC_AU_H265_AUD      35
#define NGX_RTC_AU_H265_FILLER   38


#define ngx_rtc_au_r16(p)  (((size_t) (p)[0] << 8) | (p)[1])


typedef struct {
    u_char                   *pos;
    u_char                   *end;
    ngx_uint_t                nal_length;
} ngx_rtc_au_iter_t;


static ngx_int_t ngx_rtc_au_avcc(ngx_rtc_au_t *au, u_char *p, u_char *end);
static ngx_int_t ngx_rtc_au_hvcc(ngx_rtc_au_t *au, u_char *p, u_char *end);
static ngx_int_t ngx_rtc_au_next(ngx_rtc_au_iter_t *it, u_char **nal,
    size_t *len);
static u_char *ngx_rtc_au_start_code(u_char *p, u_char *end);
static ngx_uint_t ngx_rtc_au_type(ngx_rtc_au_t *au, u_char *nal);
static ngx_uint_t ngx_rtc_au_is_param(ngx_rtc_au_t *au, ngx_uint_t type);
static ngx_int_t ngx_rtc_au_param_add(ngx_rtc_au_t *au, u_char *nal,
    size_t len);
static u_char *ngx_rtc_au_put(u_char *o, u_char *end, u_char *nal,
    size_t len);


/*
 * config: the decoder configuration the demuxer gives (extradata): an
 * avcC or hvcC record (ISO/IEC 14496-15 5.3.3.1, 8.3.3.1) for AVCC/HVCC
 * access units, Annex-B parameter sets, or nothing for Annex-B input.
 */

ngx_int_t
ngx_rtc_au_init(ngx_rtc_au_t *au, ngx_uint_t codec, u_char *config,
    size_t len)
{
    u_char             *nal;
    size_t              n;
    ngx_rtc_au_iter_t   it;

    au->codec = codec;
    au->nal_length = 0;
    au->params_len = 0;

    if (codec != NGX_RTC_CODEC_H264 && codec != NGX_RTC_CODEC_H265) {
        return NGX_ERROR;
    }

    if (config == NULL || len == 0) {
        return NGX_OK;
    }

    /* configurationVersion 1 */

    if (config[0] == 1) {
        return codec == NGX_RTC_CODEC_H264
               ? ngx_rtc_au_avcc(au, config, config + len)
               : ngx_rtc_au_hvcc(au, config, config + len);
    }

    if (ngx_rtc_au_start_code(config, config + len) == NULL) {
        return NGX_ERROR;
    }

    it.pos = config;
    it.end = config + len;
    it.nal_length = 0;

    while (ngx_rtc_au_next(&it, &nal, &n) == NGX_OK) {
        if (ngx_rtc_au_is_param(au, ngx_rtc_au_type(au, nal))
            && ngx_rtc_au_param_add(au, nal, n) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * AVCDecoderConfigurationRecord:
 *   configurationVersion(8) AVCProfileIndication(8)
 *   profile_compatibility(8) AVCLevelIndication(8)
 *   reserved(6) lengthSizeMinusOne(2)
 *   reserved(3) numOfSequenceParameterSets(5)
 *     { sequenceParameterSetLength(16) NAL } ...
 *   numOfPictureParameterSets(8)
 *     { pictureParameterSetLength(16) NAL } ...
 */

static ngx_int_t
ngx_rtc_au_avcc(ngx_rtc_au_t *au, u_char *p, u_char *end)
{
    size_t      len;
    ngx_uint_t  i, n, set;

    if (end - p < 7) {
        return NGX_ERROR;
    }

    au->nal_length = (p[4] & 0x03) + 1;

    if (au->nal_length == 3) {
        return NGX_ERROR;
    }

    n = p[5] & 0x1f;
    p += 6;

    for (set = 0; set < 2; set++) {

        for (i = 0; i < n; i++) {
            if (end - p < 2) {
                return NGX_ERROR;
            }

            len = ngx_rtc_au_r16(p);
            p += 2;

            if (len == 0 || (size_t) (end - p) < len
                || ngx_rtc_au_param_add(au, p, len) != NGX_OK)
            {
                return NGX_ERROR;
            }

            p += len;
        }

        if (set == 0) {
            if (end - p < 1) {
                return NGX_ERROR;
            }

            n = *p++;
        }
    }

    return NGX_OK;
}


/*
 * HEVCDecoderConfigurationRecord: 22 bytes of profile, tier, level and
 * format fields, lengthSizeMinusOne in the low 2 bits of byte 21, then
 *   numOfArrays(8)
 *     { array_completeness(1) reserved(1) NAL_unit_type(6)
 *       numNalus(16) { nalUnitLength(16) NAL } ... } ...
 */

static ngx_int_t
ngx_rtc_au_hvcc(ngx_rtc_au_t *au, u_char *p, u_char *end)
{
    size_t      len;
    ngx_uint_t  i, j, narrays, nnals, type;

    if (end - p < 23) {
        return NGX_ERROR;
    }

    au->nal_length = (p[21] & 0x03) + 1;

    if (au->nal_length == 3) {
        return NGX_ERROR;
    }

    narrays = p[22];
    p += 23;

    for (i = 0; i < narrays; i++) {
        if (end - p < 3) {
            return NGX_ERROR;
        }

        type = p[0] & 0x3f;
        nnals = ngx_rtc_au_r16(p + 1);
        p += 3;

        for (j = 0; j < nnals; j++) {
            if (end - p < 2) {
                return NGX_ERROR;
            }

            len = ngx_rtc_au_r16(p);
            p += 2;

            if ((size_t) (end - p) < len) {
                return NGX_ERROR;
            }

            /* VPS, SPS, PPS; SEI arrays are left out */

            if (len && ngx_rtc_au_is_param(au, type)
                && ngx_rtc_au_param_add(au, p, len) != NGX_OK)
            {
                return NGX_ERROR;
            }

            p += len;
        }
    }

    return NGX_OK;
}


/*
 * One access unit to the ring's form in "out".  Access unit delimiters and
 * filler data are dropped.  Parameter sets found in the access unit replace
 * the remembered ones; a keyframe without them gets the remembered ones in
 * front.  NGX_DECLINED: nothing left (e.g. a lone delimiter).
 */

ngx_int_t
ngx_rtc_au_convert(ngx_rtc_au_t *au, u_char *pos, u_char *end,
    ngx_uint_t key, u_char *out, size_t size, size_t *len)
{
    u_char             *o, *oend, *nal;
    size_t              n;
    ngx_int_t           rc;
    ngx_uint_t          type, sps;
    ngx_rtc_au_iter_t   it;

    /* first pass: are the parameter sets in band? */

    it.pos = pos;
    it.end = end;
    it.nal_length = au->nal_length;

    sps = 0;

    while ((rc = ngx_rtc_au_next(&it, &nal, &n)) == NGX_OK) {
        type = ngx_rtc_au_type(au, nal);

        if (type == NGX_RTC_AU_H264_SPS && au->codec == NGX_RTC_CODEC_H264) {
            sps = 1;
        }

        if (type == NGX_RTC_AU_H265_SPS && au->codec == NGX_RTC_CODEC_H265) {
            sps = 1;
        }
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    o = out;
    oend = out + size;

    if (key && !sps && au->params_len) {
        if (au->params_len > size) {
            return NGX_ERROR;
        }

        o = ngx_cpymem(o, au->params, au->params_len);
    }

    if (sps) {
        au->params_len = 0;
    }

    it.pos = pos;

    while (ngx_rtc_au_next(&it, &nal, &n) == NGX_OK) {
        type = ngx_rtc_au_type(au, nal);

        if (au->codec == NGX_RTC_CODEC_H264
            ? (type == NGX_RTC_AU_H264_AUD || type == NGX_RTC_AU_H264_FILLER)
            : (type == NGX_RTC_AU_H265_AUD || type == NGX_RTC_AU_H265_FILLER))
        {
            continue;
        }

        if (sps && ngx_rtc_au_is_param(au, type)
            && ngx_rtc_au_param_add(au, nal, n) != NGX_OK)
        {
            /* too large to remember: better none than a partial set */
            au->params_len = 0;
            sps = 0;
        }

        o = ngx_rtc_au_put(o, oend, nal, n);
        if (o == NULL) {
            return NGX_ERROR;
        }
    }

    *len = o - out;

    return *len ? NGX_OK : NGX_DECLINED;
}


/* the most bytes ngx_rtc_au_convert() may write for "len" bytes of input */

size_t
ngx_rtc_au_bound(ngx_rtc_au_t *au, size_t len)
{
    /*
     * Each NAL unit written has at least 1 byte of payload behind at least
     * 1 byte of length or start code (3 with start codes): 2 input bytes
     * may become 5.
     */

    return au->params_len + len / 2 * 5 + 8;
}


/* the ring's form to Annex-B, in place: each 4-byte length a start code */

ngx_int_t
ngx_rtc_au_to_annexb(u_char *au, size_t len)
{
    u_char  *p, *end;
    size_t   n;

    p = au;
    end = au + len;

    while (p < end) {
        if (end - p < 4) {
            return NGX_ERROR;
        }

        n = ((size_t) p[0] << 24) | ((size_t) p[1] << 16)
            | ((size_t) p[2] << 8) | p[3];

        if (n == 0 || n > (size_t) (end - p) - 4) {
            return NGX_ERROR;
        }

        p[0] = 0;
        p[1] = 0;
        p[2] = 0;
        p[3] = 1;

        p += 4 + n;
    }

    return NGX_OK;
}


/*
 * An ADTS header (ISO/IEC 14496-3 1.A.2.2.1):
 *   syncword(12) ID(1) layer(2) protection_absent(1)
 *   profile_ObjectType(2) sampling_frequency_index(4) private_bit(1)
 *   channel_configuration(3) original_copy(1) home(1)
 *   copyright_id_bit(1) copyright_id_start(1) aac_frame_length(13)
 *   adts_buffer_fullness(11) number_of_raw_data_blocks_in_frame(2)
 *   [crc_check(16) when protection_absent is 0]
 * "header" gets its size, "frame" aac_frame_length (header included),
 * "config" the equivalent 2-byte AudioSpecificConfig (1.6.2.1):
 * audioObjectType(5) samplingFrequencyIndex(4) channelConfiguration(4)
 * and three zero bits of GASpecificConfig.  NGX_DECLINED: no ADTS.
 */

ngx_int_t
ngx_rtc_au_adts(u_char *pos, u_char *end, size_t *header, size_t *frame,
    u_char *config)
{
    size_t      hlen, flen;
    ngx_uint_t  aot, sfi, chan;

    if (end - pos < 7 || pos[0] != 0xff || (pos[1] & 0xf6) != 0xf0) {
        return NGX_DECLINED;
    }

    hlen = (pos[1] & 0x01) ? 7 : 9;

    aot = (pos[2] >> 6) + 1;
    sfi = (pos[2] >> 2) & 0x0f;
    chan = ((pos[2] & 0x01) << 2) | (pos[3] >> 6);

    flen = ((size_t) (pos[3] & 0x03) << 11) | ((size_t) pos[4] << 3)
           | (pos[5] >> 5);

    /* 13 and up are reserved sampling frequency indices */

    if (sfi > 12 || flen <= hlen || flen > (size_t) (end - pos)) {
        return NGX_ERROR;
    }

    *header = hlen;
    *frame = flen;

    config[0] = (u_char) ((aot << 3) | (sfi >> 1));
    config[1] = (u_char) (((sfi & 0x01) << 7) | (chan << 3));

    return NGX_OK;
}


/* NGX_OK: a NAL unit; NGX_DONE: none left; NGX_ERROR: malformed */

static ngx_int_t
ngx_rtc_au_next(ngx_rtc_au_iter_t *it, u_char **nal, size_t *len)
{
    u_char      *p, *s, *q;
    size_t       n;
    ngx_uint_t   i;

    for ( ;; ) {
        p = it->pos;

        if (p >= it->end) {
            return NGX_DONE;
        }

        if (it->nal_length) {
            if ((size_t) (it->end - p) < it->nal_length) {
                return NGX_ERROR;
            }

            n = 0;

            for (i = 0; i < it->nal_length; i++) {
                n = (n << 8) | p[i];
            }

            p += it->nal_length;

            if (n > (size_t) (it->end - p)) {
                return NGX_ERROR;
            }

            it->pos = p + n;

            if (n == 0) {
                continue;
            }

            *nal = p;
            *len = n;

            return NGX_OK;
        }

        /* Annex-B: bytes before the first start code are not a NAL unit */

        s = ngx_rtc_au_start_code(p, it->end);
        if (s == NULL) {
            it->pos = it->end;
            return NGX_DONE;
        }

        s += 3;

        q = ngx_rtc_au_start_code(s, it->end);
        it->pos = q ? q : it->end;

        /* trailing_zero_8bits and a 4-byte start code's first zero */

        q = it->pos;

        while (q > s && q[-1] == 0) {
            q--;
        }

        if (q == s) {
            continue;
        }

        *nal = s;
        *len = q - s;

        return NGX_OK;
    }
}


/* the position of the next 00 00 01 */

static u_char *
ngx_rtc_au_start_code(u_char *p, u_char *end)
{
    while (end - p >= 3) {
        if (p[2] > 1) {
            p += 3;

        } else if (p[0] == 0 && p[1] == 0 && p[2] == 1) {
            return p;

        } else {
            p++;
        }
    }

    return NULL;
}


static ngx_uint_t
ngx_rtc_au_type(ngx_rtc_au_t *au, u_char *nal)
{
    if (au->codec == NGX_RTC_CODEC_H264) {
        return nal[0] & 0x1f;
    }

    return (nal[0] >> 1) & 0x3f;
}


static ngx_uint_t
ngx_rtc_au_is_param(ngx_rtc_au_t *au, ngx_uint_t type)
{
    if (au->codec == NGX_RTC_CODEC_H264) {
        return type == NGX_RTC_AU_H264_SPS || type == NGX_RTC_AU_H264_PPS;
    }

    return type >= NGX_RTC_AU_H265_VPS && type <= NGX_RTC_AU_H265_PPS;
}


static ngx_int_t
ngx_rtc_au_param_add(ngx_rtc_au_t *au, u_char *nal, size_t len)
{
    u_char  *o;

    o = ngx_rtc_au_put(au->params + au->params_len,
                       au->params + NGX_RTC_AU_MAX_PARAMS, nal, len);
    if (o == NULL) {
        return NGX_ERROR;
    }

    au->params_len = o - au->params;

    return NGX_OK;
}


static u_char *
ngx_rtc_au_put(u_char *o, u_char *end, u_char *nal, size_t len)
{
    if ((uint64_t) len > 0xffffffff || (size_t) (end - o) < 4 + len) {
        return NULL;
    }

    *o++ = (u_char) (len >> 24);
    *o++ = (u_char) (len >> 16);
    *o++ = (u_char) (len >> 8);
    *o++ = (u_char) len;

    return ngx_cpymem(o, nal, len);
}
