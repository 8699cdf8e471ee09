/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_ICE_H_INCLUDED_
#define _NGX_RTC_ICE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_ICE_CONNECTED  1
#define NGX_RTC_ICE_FAILED     2


typedef struct ngx_rtc_ice_s  ngx_rtc_ice_t;


typedef struct {
    /* one datagram (DTLS, SRTP, SRTCP); STUN is consumed by libnice */
    void              (*recv)(void *data, u_char *buf, size_t len);
    /* NGX_RTC_ICE_CONNECTED once, NGX_RTC_ICE_FAILED once */
    void              (*state)(void *data, ngx_uint_t state);
    void               *data;

    ngx_uint_t          port_min;      /* 0: any */
    ngx_uint_t          port_max;

    /* ngx_str_t: IP addresses advertised in addition (1:1 NAT), or NULL */
    ngx_array_t        *candidates;

    ngx_str_t           stun_server;   /* IP address, optional */
    ngx_uint_t          stun_port;

    ngx_log_t          *log;
} ngx_rtc_ice_conf_t;


/*
 * One ICE agent per WebRTC session: RFC 5245, controlled role, one
 * component (BUNDLE + rtcp-mux), UDP host candidates (and server-reflexive
 * ones with stun_server), consent freshness (RFC 7675).
 *
 * Callbacks run on the worker's event loop, from a GLib dispatch or from
 * within ngx_rtc_ice_remote()/ngx_rtc_ice_send(); never after
 * ngx_rtc_ice_destroy(), which is safe to call from a callback.
 * There is no ICE timeout here: a session that never connects must be
 * ended by the caller's own timer.
 */

ngx_rtc_ice_t *ngx_rtc_ice_create(ngx_rtc_ice_conf_t *conf);

/* ufrag, pwd and "candidate:..." attribute values, allocated from pool */
ngx_int_t ngx_rtc_ice_local(ngx_rtc_ice_t *ice, ngx_pool_t *pool,
    ngx_str_t *ufrag, ngx_str_t *pwd, ngx_array_t *cands);

/*
 * the offer's ice-ufrag/ice-pwd and "candidate:..." values (with or
 * without "a="); may be called again with more candidates (trickle) and
 * ufrag == NULL; unusable candidates (mDNS names, TCP) are skipped
 */
ngx_int_t ngx_rtc_ice_remote(ngx_rtc_ice_t *ice, ngx_str_t *ufrag,
    ngx_str_t *pwd, ngx_str_t *cands, ngx_uint_t ncands);

/* NGX_OK, NGX_AGAIN (not connected yet, or the socket is full), NGX_ERROR */
ngx_int_t ngx_rtc_ice_send(ngx_rtc_ice_t *ice, u_char *buf, size_t len);

void ngx_rtc_ice_destroy(ngx_rtc_ice_t *ice);


#endif /* _NGX_RTC_ICE_H_INCLUDED_ */
