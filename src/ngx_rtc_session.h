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


typedef struct {
    ngx_uint_t                status;     /* HTTP status on failure */
    ngx_str_t                 reason;     /* plain text for the client */
    ngx_str_t                 answer;
} ngx_rtc_session_result_t;


struct ngx_rtc_session_s {
    u_char                    id[NGX_RTC_ID_LEN];
    u_char                    hex[2 * NGX_RTC_ID_LEN];
    ngx_queue_t               queue;
    ngx_pool_t               *pool;
    ngx_log_t                 log;
    ngx_rtc_stream_t         *stream;
    ngx_rtc_session_sh_t     *sh;

    void                     *ice;
    void                     *dtls;
    void                     *srtp;

    ngx_uint_t                state;
    ngx_uint_t                pt;
    uint32_t                  ssrc;
    uint16_t                  seq;
    uint32_t                  ts_offset;
    uint32_t                  packets;
    uint32_t                  octets;
    int64_t                   last_capture;
    uint32_t                  last_ts;
    ngx_msec_t                last_rtcp;

    ngx_event_t               dtls_timer;
    ngx_event_t               rtcp_timer;
    ngx_event_t               close_ev;

    unsigned                  wait_key:1;
    unsigned                  closing:1;

    u_char                    buf[NGX_RTC_MTU + 256];
};


ngx_int_t ngx_rtc_session_id(u_char *id);
ngx_rtc_session_t *ngx_rtc_session_create(ngx_rtc_stream_t *st, u_char *id,
    ngx_rtc_sdp_t *offer, ngx_pool_t *pool, ngx_rtc_session_result_t *res);
void ngx_rtc_session_send(ngx_rtc_session_t *s, ngx_rtc_packets_t *pk);
void ngx_rtc_session_close(ngx_rtc_session_t *s, const char *why);


#endif /* _NGX_RTC_SESSION_H_INCLUDED_ */
