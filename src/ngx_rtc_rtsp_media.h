/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTSP_MEDIA_H_INCLUDED_
#define _NGX_RTC_RTSP_MEDIA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_rtc.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_rtsp_parse.h>
#include <ngx_rtc_rtp.h>
#include <ngx_rtc_auth.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_h264.h>
#include <ngx_rtc_h265.h>
#include <ngx_rtc_audio.h>
#include <ngx_rtc_transcode.h>
#include <ngx_rtc_reorder.h>


/* after an RTCP BYE on the video, this long without data ends it */
#define NGX_RTC_RTSP_BYE_WAIT         1000

/* over UDP, ms a missing RTP packet is waited for (as whep:// sources) */
#define NGX_RTC_RTSP_REORDER          100

/* ms without data that end an SDP without Content-Length */
#define NGX_RTC_RTSP_SDP_QUIET        200


/*
 * Inside the RTSP client: the client's state, shared by its files (the
 * life cycle and requests in ngx_rtc_rtsp.c, the control connection in
 * ngx_rtc_rtsp_conn.c, the answer to DESCRIBE in ngx_rtc_rtsp_describe.c,
 * the media of its tracks in ngx_rtc_rtsp_media.c), and what each calls
 * in the others.
 */


#define NGX_RTC_RTSP_UBUF_SIZE        65536
#define NGX_RTC_RTSP_AU_SIZE          NGX_RTC_MAX_FRAME
#define NGX_RTC_RTSP_BACKOFF_MIN      500
#define NGX_RTC_RTSP_SESSION_MAX      256
#define NGX_RTC_RTSP_REASON_MAX       256
#define NGX_RTC_RTSP_AUTH_MAX         2048
#define NGX_RTC_RTSP_READS            32      /* reads per event */

#define NGX_RTC_RTSP_VIDEO            0       /* index in tracks[] */
#define NGX_RTC_RTSP_AUDIO            1


typedef enum {
    ngx_rtc_rtsp_step_idle = 0,
    ngx_rtc_rtsp_step_connect,
    ngx_rtc_rtsp_step_handshake,
    ngx_rtc_rtsp_step_options,
    ngx_rtc_rtsp_step_describe,
    ngx_rtc_rtsp_step_setup,
    ngx_rtc_rtsp_step_play,
    ngx_rtc_rtsp_step_playing
} ngx_rtc_rtsp_step_e;


/* one SETUP track: the RTP session of the video or of the audio */

typedef struct {
    ngx_rtc_rtsp_t           *rtsp;
    ngx_uint_t                kind;             /* NGX_RTC_TRACK_* */
    ngx_uint_t                codec;            /* NGX_RTC_CODEC_* */
    ngx_uint_t                pt;
    ngx_uint_t                clock;
    ngx_uint_t                channel;          /* interleaved RTP channel */
    ngx_str_t                 url;              /* its control URL */

    /* UDP */
    ngx_connection_t         *rtp;
    ngx_connection_t         *rtcp;
    in_port_t                 port;             /* ours, RTP; RTCP + 1 */
    in_port_t                 server_rtcp;      /* the camera's RTCP port */

    /* RFC 3550 A.1, A.3, A.8: what the receiver reports say */
    ngx_rtc_rtp_recv_t        recv;

    /* UDP: RTP back in sequence order; buffer from the client's pool */
    ngx_rtc_reorder_t         reorder;
    ngx_event_t               reorder_timer;
    ngx_uint_t                reordered;        /* late, put back */

    /* the first packet of the current and previous video AU, audio packet */
    uint32_t                  au_ts;
    int64_t                   au_capture;
    int64_t                   au_prev_capture;

    ngx_uint_t                packets;
    ngx_uint_t                frames;

    /* the source we play (ngx_rtc_rtsp_media_ssrc()) */
    uint32_t                  ssrc;
    uint32_t                  ssrc_prev;        /* the one it replaced */
    uint32_t                  ssrc_setup;       /* SETUP's ssrc= */
    uint32_t                  ssrc_first;       /* the connection's first */
    ngx_msec_t                ssrc_seen;        /* its last packet */
    ngx_msec_t                bye_msec;         /* an RTCP BYE came */
    ngx_msec_t                ssrc_flip_start;
    ngx_uint_t                ssrc_flips;       /* back to ssrc_prev */
    ngx_uint_t                ssrc_dropped;     /* others', this connection */
    ngx_uint_t                ssrc_changes;     /* this connection */

    unsigned                  active:1;         /* SETUP done */
    unsigned                  ssrc_valid:1;
    unsigned                  ssrc_prev_valid:1;
    unsigned                  ssrc_setup_valid:1;
    unsigned                  ssrc_locked:1;    /* two sources interleave */
    unsigned                  au_started:1;
    unsigned                  bye:1;            /* an RTCP BYE logged */
    unsigned                  reorder_logged:1;

    u_char                    url_buf[NGX_RTC_URL_MAX];
} ngx_rtc_rtsp_track_t;


struct ngx_rtc_rtsp_s {
    ngx_rtc_source_conf_t     conf;
    ngx_pool_t               *pool;
    ngx_log_t                 log;

    ngx_rtc_url_t             url;

    ngx_sockaddr_t            sockaddr;
    socklen_t                 socklen;

    ngx_peer_connection_t     peer;
    ngx_event_t               retry;
    ngx_event_t               keepalive;
    ngx_event_t               tick;
    ngx_msec_t                backoff;
    ngx_msec_t                last_media;       /* video RTP arrived */
    ngx_msec_t                last_rr;

    ngx_rtc_rtsp_step_e       step;

    /* the request waiting for its response, to resend it after a 401 */
    ngx_uint_t                cseq;
    ngx_uint_t                pending;          /* its CSeq; 0: none */
    ngx_msec_t                pending_sent;     /* its answer's clock */
    const char               *pending_method;
    ngx_str_t                 pending_url;
    const char               *pending_headers;

    ngx_uint_t                auth;             /* NGX_RTC_RTSP_AUTH_* */
    ngx_uint_t                auth_tries;
    ngx_rtc_auth_digest_t     digest;

    u_char                   *rbuf;
    u_char                   *rpos;
    u_char                   *rlast;
    u_char                   *rend;

    u_char                   *wbuf;
    u_char                   *wpos;
    u_char                   *wlast;
    u_char                   *wend;

    u_char                   *ubuf;             /* a UDP datagram */

    ngx_str_t                 play_url;         /* the aggregate control */
    ngx_str_t                 session;
    ngx_uint_t                session_timeout;  /* seconds */

    ngx_rtc_rtsp_track_t      tracks[2];        /* video, audio */
    ngx_uint_t                ntracks;
    ngx_uint_t                setup;            /* the track in SETUP */
    ngx_uint_t                udp;              /* this connection's */
    uint32_t                  ssrc;             /* ours, in RTCP */

    ngx_rtc_sdp_t            *sdp;
    ngx_rtc_h264_depack_t     h264;
    ngx_rtc_h265_depack_t     h265;
    ngx_rtc_audio_depack_t    audio;
    u_char                   *au;
    u_char                   *audio_buf;

    ngx_rtc_transcode_t      *transcode;

    ngx_uint_t                level;            /* of the failure reason */
    ngx_str_t                 reason;

    ngx_uint_t                garbage;          /* unusable packets */
    size_t                    skipped;          /* stray bytes in a row */
    ngx_uint_t                skips;            /* times, this connection */
    const char               *skip_err;         /* why the last skip */
    ngx_uint_t                frames;

    ngx_resolver_ctx_t       *resolving;        /* the camera's name */
    ngx_uint_t                attempts;         /* connections, for DNS */
    ngx_uint_t                failures;         /* in a row, not playing */

    ngx_rtc_url_t            *location;         /* a redirect's, checked */
    ngx_uint_t                redirects;        /* this attempt's hops */
    size_t                    sdp_header;       /* an SDP without length: */

    unsigned                  get_parameter:1;  /* listed in Public */
    unsigned                  cseq_ok:1;        /* a right CSeq answered */
    unsigned                  produced:1;       /* a frame since connect */
    unsigned                  fallback:1;       /* tried the other transport */
    unsigned                  conf_udp:1;       /* transport=udp */
    unsigned                  sdp_wait:1;       /* its header at rpos */
    unsigned                  sdp_logged:1;

    u_char                    reason_buf[NGX_RTC_RTSP_REASON_MAX];
    u_char                    auth_buf[NGX_RTC_RTSP_AUTH_MAX];
    u_char                    play_buf[NGX_RTC_URL_MAX];
    u_char                    session_buf[NGX_RTC_RTSP_SESSION_MAX];
    u_char                    transport_buf[128];
};


/* ngx_rtc_rtsp_media.c */

ngx_uint_t ngx_rtc_rtsp_media_video_codec(ngx_rtc_sdp_media_t *video,
    ngx_rtc_sdp_fmt_t **fmt);
ngx_int_t ngx_rtc_rtsp_media_video(ngx_rtc_rtsp_t *rtsp, ngx_str_t *base,
    ngx_rtc_sdp_media_t *media);
ngx_int_t ngx_rtc_rtsp_media_audio(ngx_rtc_rtsp_t *rtsp, ngx_str_t *base,
    ngx_rtc_sdp_media_t *media);
ngx_int_t ngx_rtc_rtsp_media_udp_open(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t);
void ngx_rtc_rtsp_media_udp_close(ngx_rtc_rtsp_track_t *t);
void ngx_rtc_rtsp_media_lock_ssrc(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_track_t *t, uint32_t ssrc);
ngx_int_t ngx_rtc_rtsp_media_interleaved(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
ngx_int_t ngx_rtc_rtsp_media_send_rr(ngx_rtc_rtsp_t *rtsp);
void ngx_rtc_rtsp_media_reset(ngx_rtc_rtsp_t *rtsp);


/* ngx_rtc_rtsp.c */

ngx_int_t ngx_rtc_rtsp_begin(ngx_rtc_rtsp_t *rtsp);
ngx_int_t ngx_rtc_rtsp_process(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
ngx_int_t ngx_rtc_rtsp_setup(ngx_rtc_rtsp_t *rtsp);
ngx_int_t ngx_rtc_rtsp_fail(ngx_rtc_rtsp_t *rtsp, ngx_uint_t level,
    const char *fmt, ...);
ngx_int_t ngx_rtc_rtsp_status_error(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m, const char *method);
void ngx_rtc_rtsp_retry_later(ngx_rtc_rtsp_t *rtsp);
void ngx_rtc_rtsp_close(ngx_rtc_rtsp_t *rtsp, ngx_uint_t teardown);
void ngx_rtc_rtsp_set_state(ngx_rtc_rtsp_t *rtsp, ngx_uint_t state);


/* ngx_rtc_rtsp_conn.c */

void ngx_rtc_rtsp_connect(ngx_rtc_rtsp_t *rtsp);
void ngx_rtc_rtsp_connect_peer(ngx_rtc_rtsp_t *rtsp);
ngx_int_t ngx_rtc_rtsp_resolve(ngx_rtc_rtsp_t *rtsp);
ngx_int_t ngx_rtc_rtsp_flush(ngx_rtc_rtsp_t *rtsp);


/* ngx_rtc_rtsp_describe.c */

ngx_int_t ngx_rtc_rtsp_describe_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
ngx_int_t ngx_rtc_rtsp_sdp_body(ngx_rtc_rtsp_t *rtsp);


#endif /* _NGX_RTC_RTSP_MEDIA_H_INCLUDED_ */
