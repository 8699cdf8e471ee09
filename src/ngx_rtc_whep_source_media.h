/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WHEP_SOURCE_MEDIA_H_INCLUDED_
#define _NGX_RTC_WHEP_SOURCE_MEDIA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_rtc.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_auth.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_rtp.h>
#include <ngx_rtc_h264.h>
#include <ngx_rtc_h265.h>
#include <ngx_rtc_audio.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_gloop.h>
#include <ngx_rtc_dtls.h>
#include <ngx_rtc_srtp.h>
#include <ngx_rtc_http_client.h>
#include <ngx_rtc_reorder.h>
#include <ngx_rtc_whep_source.h>


/*
 * Inside a whep:// source: its state, shared by the lifecycle
 * (ngx_rtc_whep_source.c) and the media (ngx_rtc_whep_source_media.c),
 * and what each of the two calls in the other.
 */


#define NGX_RTC_WHEP_SOURCE_BACKOFF_MIN  500
#define NGX_RTC_WHEP_SOURCE_BACKOFF_MAX  30000
#define NGX_RTC_WHEP_SOURCE_NO_MEDIA     5000
#define NGX_RTC_WHEP_SOURCE_TICK         1000
#define NGX_RTC_WHEP_SOURCE_GATHER       50      /* poll, ms */
#define NGX_RTC_WHEP_SOURCE_GATHER_MAX   3000
#define NGX_RTC_WHEP_SOURCE_PLI          500     /* at most one per */
#define NGX_RTC_WHEP_SOURCE_REORDER      100     /* ms a gap is waited for */
#define NGX_RTC_WHEP_SOURCE_OFFER_SIZE   8192
#define NGX_RTC_WHEP_SOURCE_REASON_MAX   256
#define NGX_RTC_WHEP_SOURCE_CNAME        "nginx-rtc"

#define NGX_RTC_WHEP_SOURCE_IDLE         0
#define NGX_RTC_WHEP_SOURCE_RESOLVING    1
#define NGX_RTC_WHEP_SOURCE_GATHERING    2
#define NGX_RTC_WHEP_SOURCE_POSTING      3
#define NGX_RTC_WHEP_SOURCE_CONNECTING   4       /* ICE, DTLS */
#define NGX_RTC_WHEP_SOURCE_MEDIA        5


typedef struct {
    ngx_uint_t                kind;             /* NGX_RTC_TRACK_* */
    ngx_uint_t                codec;            /* NGX_RTC_CODEC_* */
    ngx_uint_t                pt;
    ngx_uint_t                clock;
    ngx_rtc_rtp_recv_t        recv;

    /* the first packet of the current and previous video AU, audio */
    uint32_t                  au_ts;
    int64_t                   au_capture;
    int64_t                   au_prev_capture;

    ngx_uint_t                packets;
    unsigned                  active:1;
    unsigned                  au_started:1;
} ngx_rtc_whep_source_track_t;


struct ngx_rtc_whep_source_s {
    ngx_rtc_source_conf_t          conf;
    ngx_str_t                      token;       /* secret */
    ngx_pool_t                    *pool;
    ngx_pool_t                    *apool;       /* the attempt's */
    ngx_log_t                      log;

    ngx_rtc_url_t                  url;

    ngx_sockaddr_t                 sockaddr;
    socklen_t                      socklen;
    ngx_resolver_ctx_t            *resolving;
    ngx_uint_t                     attempts;

    ngx_uint_t                     step;
    ngx_rtc_http_client_t         *http;
    ngx_rtc_ice_t                 *ice;
    ngx_rtc_dtls_t                *dtls;
    ngx_rtc_srtp_t                *srtp;

    ngx_event_t                    retry;       /* backoff, gathering */
    ngx_event_t                    tick;
    ngx_event_t                    dtls_timer;
    ngx_event_t                    reorder_timer;

    ngx_msec_t                     backoff;
    ngx_msec_t                     started;     /* this attempt */
    ngx_msec_t                     last_media;
    ngx_msec_t                     last_pli;
    ngx_uint_t                     failures;    /* in a row */

    ngx_str_t                      location;    /* the session's path */
    ngx_str_t                      offer;
    ngx_rtc_sdp_t                 *sdp;

    ngx_rtc_whep_source_track_t    video;
    ngx_rtc_whep_source_track_t    audio;
    ngx_rtc_reorder_t              reorder;

    ngx_rtc_h264_depack_t          h264;
    ngx_rtc_h265_depack_t          h265;
    ngx_rtc_audio_depack_t         adepack;
    u_char                        *au;
    u_char                        *audio_buf;

    uint32_t                       ssrc;        /* ours, in RTCP */
    ngx_uint_t                     frames;
    ngx_uint_t                     lost;        /* packets given up */

    ngx_str_t                      reason;

    unsigned                       client:1;    /* DTLS client */
    unsigned                       produced:1;  /* a frame this attempt */
    unsigned                       need_key:1;  /* PLI pending */

    u_char                         location_buf[NGX_RTC_URL_MAX];
    u_char                         reason_buf[NGX_RTC_WHEP_SOURCE_REASON_MAX];
};



/* ngx_rtc_whep_source_media.c */

ngx_int_t ngx_rtc_whep_source_media_video(ngx_rtc_whep_source_t *ws,
    ngx_rtc_sdp_media_t *m);
void ngx_rtc_whep_source_media_audio(ngx_rtc_whep_source_t *ws,
    ngx_rtc_sdp_media_t *m);
void ngx_rtc_whep_source_media_ice_state(void *data, ngx_uint_t state);
void ngx_rtc_whep_source_media_recv(void *data, u_char *buf, size_t len);
ngx_int_t ngx_rtc_whep_source_media_dtls_send(void *data, u_char *buf,
    size_t len);
void ngx_rtc_whep_source_media_dtls_handler(ngx_event_t *ev);
void ngx_rtc_whep_source_media_reorder_handler(ngx_event_t *ev);
void ngx_rtc_whep_source_media_deliver(void *data, u_char *buf, size_t len);
void ngx_rtc_whep_source_media_send_rtcp(ngx_rtc_whep_source_t *ws,
    ngx_uint_t pli, uint16_t *nack, ngx_uint_t nnack);


/* ngx_rtc_whep_source.c */

void ngx_rtc_whep_source_fail(ngx_rtc_whep_source_t *ws, ngx_uint_t level,
    const char *fmt, ...);


#endif /* _NGX_RTC_WHEP_SOURCE_MEDIA_H_INCLUDED_ */
