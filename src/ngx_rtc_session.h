/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SESSION_H_INCLUDED_
#define _NGX_RTC_SESSION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_send.h>
#include <ngx_rtc_pace.h>


typedef struct {
    ngx_uint_t                status;     /* HTTP status on failure */
    ngx_str_t                 reason;     /* plain text for the client */
    ngx_str_t                 answer;
} ngx_rtc_session_result_t;


#define NGX_RTC_SESSION_HISTORY  256      /* video packets a NACK can name */
#define NGX_RTC_SESSION_SRS      4        /* SRs remembered for the RTT */

/*
 * After a jump to a keyframe its frames go out again with timestamps
 * following the last frame sent: this far (90 kHz) after it.
 */
#define NGX_RTC_SESSION_TS_STEP  3000


typedef struct {
    uint32_t                  lsr;        /* middle 32 bits of its NTP time */
    ngx_msec_t                sent;
} ngx_rtc_session_sr_t;


/* where a sent video packet came from: enough to make it again */

typedef struct {
    uint32_t                  frame;      /* ring seq, low 32 bits; 0: none */
    uint32_t                  resent;     /* ngx_current_msec; 0: none */
    uint32_t                  ts;
    uint16_t                  seq;
    uint16_t                  index;      /* the packet's in the frame */
} ngx_rtc_session_sent_t;


/* one outgoing RTP stream (RFC 3550), and what the viewer reports on it */

typedef struct {
    ngx_uint_t                pt;
    uint32_t                  ssrc;
    uint16_t                  seq;
    uint32_t                  ts_offset;
    ngx_uint_t                clock;
    uint32_t                  packets;    /* as SR counts them */
    uint32_t                  octets;
    int64_t                   last_capture;
    uint32_t                  last_ts;

    ngx_rtc_session_sr_t      sr[NGX_RTC_SESSION_SRS];
    ngx_uint_t                nsr;

    ngx_uint_t                fraction_lost;  /* 1/256, the last report */
    ngx_int_t                 cumulative_lost;
    uint32_t                  jitter;     /* timestamp units */

    unsigned                  active:1;
} ngx_rtc_session_track_t;


struct ngx_rtc_session_s {
    u_char                    id[NGX_RTC_ID_LEN];
    u_char                    hex[2 * NGX_RTC_ID_LEN];
    ngx_queue_t               queue;
    ngx_queue_t               active_q;   /* in the stream's fan-out */
    ngx_pool_t               *pool;
    ngx_log_t                 log;
    ngx_rtc_stream_t         *stream;
    ngx_rtc_session_sh_t     *sh;

    void                     *ice;
    void                     *dtls;
    void                     *srtp;

    ngx_uint_t                state;
    ngx_rtc_session_track_t   video;
    ngx_rtc_session_track_t   audio;

    ngx_uint_t                rtx_pt;     /* with rtx set */
    uint32_t                  rtx_ssrc;
    uint16_t                  rtx_seq;

    ngx_msec_t                last_rtcp;
    ngx_msec_t                report_due;     /* the next SRs and stats */
    ngx_msec_t                last_jump;  /* to a keyframe, on PLI/FIR */
    ngx_int_t                 rtt;        /* ms; -1: not measured */

    ngx_rtc_send_t            send;       /* counts packets, drops */
    uint64_t                  video_frame;    /* ring seq of the last sent */
    ngx_uint_t                nacks;      /* packets asked for again */
    ngx_uint_t                retransmits;
    ngx_uint_t                key_requests;   /* PLI, FIR */
    ngx_uint_t                fir_seq;        /* of the last FIR */

    ngx_event_t               dtls_timer;
    ngx_event_t               rtcp_timer;
    ngx_event_t               close_ev;

    /* the catch-up in progress (ngx_rtc_catchup.c) */
    ngx_rtc_pace_t            pace;
    ngx_rtc_pace_budget_t     keys;       /* catch-ups of its requests */
    ngx_rtc_pace_budget_t     restarts;   /* ICE restarts */
    ngx_event_t               catchup_ev;
    uint64_t                  catchup_seq;    /* the next ring frame */
    ngx_uint_t                catchup_pkt;    /* its next packet */
    uint32_t                  catchup_ts;     /* its timestamp */
    uint32_t                  catchup_rtp_ts; /* the source's, of the last */
    size_t                    catchup_bytes;

    /* the retransmission budget, in packets */
    ngx_int_t                 rtx_credit;
    ngx_msec_t                rtx_last;
    ngx_uint_t                rtx_skipped;    /* NACKed, over the budget */

    unsigned                  wait_key:1;
    unsigned                  rebase:1;   /* next video frame: new ts_offset */
    unsigned                  rtx:1;
    unsigned                  closing:1;
    unsigned                  catching_up:1;
    unsigned                  catchup_again:1;    /* started again by a PLI */
    unsigned                  active:1;   /* in the stream's fan-out */
    unsigned                  fir:1;      /* fir_seq is set */

    ngx_rtc_session_sent_t    sent[NGX_RTC_SESSION_HISTORY];

    ngx_uint_t                srtp_profile;   /* NGX_RTC_SRTP_*, status */
};


ngx_int_t ngx_rtc_session_id(u_char *id);
ngx_rtc_session_t *ngx_rtc_session_create(ngx_rtc_stream_t *st, u_char *id,
    ngx_rtc_sdp_t *offer, ngx_pool_t *pool, ngx_rtc_session_result_t *res);
void ngx_rtc_session_send(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk);
ngx_int_t ngx_rtc_session_send_packet(ngx_rtc_session_t *s,
    ngx_rtc_packets_t *pk, ngx_uint_t i, uint32_t ts);
void ngx_rtc_session_close(ngx_rtc_session_t *s, const char *why);


#endif /* _NGX_RTC_SESSION_H_INCLUDED_ */
