/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_AUDIO_H_INCLUDED_
#define _NGX_RTC_AUDIO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_AUDIO_CONFIG_MAX   64       /* AudioSpecificConfig bytes */
#define NGX_RTC_AUDIO_AU_MAX       8192     /* AAC: 13-bit AU-size */


/*
 * Called for each audio frame: an AAC access unit (raw, no ADTS header),
 * or one RTP payload of PCMA, PCMU or Opus.  "frame" is valid during the
 * call only; rtp_ts is the frame's own timestamp in the RTP clock.
 */
typedef void (*ngx_rtc_audio_handler_pt)(void *data, u_char *frame,
    size_t len, uint32_t rtp_ts);


typedef struct {
    ngx_uint_t                codec;       /* NGX_RTC_CODEC_* */
    ngx_uint_t                clock;       /* RTP clock rate */
    ngx_uint_t                channels;
    ngx_uint_t                rate;        /* sampling rate */

    /* AAC (RFC 3640): the fmtp and AudioSpecificConfig */
    ngx_uint_t                samples;     /* per AU: 1024 or 960 */
    ngx_uint_t                size_length;
    ngx_uint_t                index_length;
    ngx_uint_t                index_delta_length;
    ngx_uint_t                cts_delta_length;
    ngx_uint_t                dts_delta_length;
    ngx_uint_t                rap;         /* randomaccessindication */
    ngx_uint_t                stream_state_length;
    ngx_uint_t                aux_size_length;
    size_t                    config_len;
    u_char                    config[NGX_RTC_AUDIO_CONFIG_MAX];

    /* an AU fragmented over packets (RFC 3640 3.2.3) */
    u_char                   *buf;
    size_t                    size;
    size_t                    len;
    size_t                    frag_size;   /* the AU's size; 0: none open */
    uint32_t                  frag_ts;
    uint16_t                  last_seq;    /* of every codec's packets */
    unsigned                  seq_valid:1;

    ngx_uint_t                frames;
    ngx_uint_t                dropped;     /* fragments of lost AUs */
    ngx_uint_t                rejected;    /* malformed packets */
    ngx_uint_t                lost;        /* packets missing in sequence */

    const char               *err;         /* why init declined */

    ngx_rtc_audio_handler_pt  handler;
    void                     *data;
} ngx_rtc_audio_depack_t;


ngx_int_t ngx_rtc_audio_depack_init(ngx_rtc_audio_depack_t *d,
    ngx_str_t *name, ngx_uint_t pt, ngx_uint_t clock, ngx_uint_t channels,
    ngx_str_t *fmtp, u_char *buf, size_t size,
    ngx_rtc_audio_handler_pt handler, void *data);
ngx_int_t ngx_rtc_audio_depacketize(ngx_rtc_audio_depack_t *d,
    u_char *payload, size_t len, uint16_t seq, uint32_t ts,
    ngx_uint_t marker);
ngx_int_t ngx_rtc_audio_aac_config(u_char *p, size_t len, ngx_uint_t *rate,
    ngx_uint_t *channels, ngx_uint_t *samples);


#endif /* _NGX_RTC_AUDIO_H_INCLUDED_ */
