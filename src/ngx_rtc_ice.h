/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_ICE_H_INCLUDED_
#define _NGX_RTC_ICE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_ICE_CONNECTED  1
#define NGX_RTC_ICE_FAILED     2

/* candidate types of the selected pair (0: none selected yet) */
#define NGX_RTC_ICE_CAND_HOST   1
#define NGX_RTC_ICE_CAND_SRFLX  2
#define NGX_RTC_ICE_CAND_PRFLX  3
#define NGX_RTC_ICE_CAND_RELAY  4


typedef struct ngx_rtc_ice_s  ngx_rtc_ice_t;


typedef struct {
    ngx_socket_t        fd;
    socklen_t           socklen;
    ngx_sockaddr_t      sockaddr;
} ngx_rtc_ice_peer_t;


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

    /* rtc_ice_server: ngx_rtc_ice_server_t (ngx_rtc.h), or NULL */
    ngx_array_t        *servers;
    ngx_uint_t          tcp;           /* rtc_ice_tcp: ICE-TCP too */

    /* 1: we offered (a whep:// source) and nominate; 0: viewers offer */
    ngx_uint_t          controlling;

    /*
     * 1: libnice's consent freshness ends the agent when the peer stops
     * answering (a whep:// source: an origin gone is found in seconds);
     * 0: the caller judges the peer's liveness (a viewer: its SRTCP)
     */
    ngx_uint_t          consent;

    /* rtc_ice_allow, rtc_ice_deny: ngx_rtc_acl_rule_t, or NULL */
    ngx_array_t        *acl;

    ngx_log_t          *log;
} ngx_rtc_ice_conf_t;


#define NGX_RTC_ICE_STUN       1
#define NGX_RTC_ICE_TURN       2

#define NGX_RTC_ICE_UDP        0
#define NGX_RTC_ICE_TCP        1
#define NGX_RTC_ICE_TLS        2


/* a stun:, stuns:, turn: or turns: URL (RFC 7064, RFC 7065) */

typedef struct {
    ngx_uint_t          type;          /* NGX_RTC_ICE_STUN, _TURN */
    ngx_uint_t          transport;     /* NGX_RTC_ICE_UDP, _TCP, _TLS */
    ngx_str_t           host;          /* without [] */
    ngx_uint_t          port;
} ngx_rtc_ice_url_t;


/*
 * One ICE agent per WebRTC session: RFC 5245, controlled role (the
 * controlling one for a whep:// source, which offers), one
 * component (BUNDLE + rtcp-mux), UDP host candidates, server-reflexive and
 * relayed ones from the STUN and TURN servers, ICE-TCP passive and active
 * candidates with tcp, consent freshness (RFC 7675).
 *
 * Callbacks run on the worker's event loop, from a GLib dispatch or from
 * within ngx_rtc_ice_remote()/ngx_rtc_ice_send(); never after
 * ngx_rtc_ice_destroy(), which is safe to call from a callback.
 * There is no ICE timeout here: a session that never connects must be
 * ended by the caller's own timer.
 */

ngx_rtc_ice_t *ngx_rtc_ice_create(ngx_rtc_ice_conf_t *conf);

/*
 * ufrag, pwd and "candidate:..." attribute values, allocated from pool;
 * the candidates gathered so far: all of them once ngx_rtc_ice_gathered()
 */
ngx_int_t ngx_rtc_ice_local(ngx_rtc_ice_t *ice, ngx_pool_t *pool,
    ngx_str_t *ufrag, ngx_str_t *pwd, ngx_array_t *cands);

/* 1 once server-reflexive and relayed candidates are gathered (or failed) */
ngx_uint_t ngx_rtc_ice_gathered(ngx_rtc_ice_t *ice);

/*
 * the offer's ice-ufrag/ice-pwd and "candidate:..." values (with or
 * without "a="); may be called again with more candidates (trickle) and
 * ufrag == NULL; unusable candidates (mDNS names, TCP) are skipped
 */
ngx_int_t ngx_rtc_ice_remote(ngx_rtc_ice_t *ice, ngx_str_t *ufrag,
    ngx_str_t *pwd, ngx_str_t *cands, ngx_uint_t ncands);

/* 1 if ufrag is the remote ice-ufrag in use */
ngx_uint_t ngx_rtc_ice_remote_is(ngx_rtc_ice_t *ice, ngx_str_t *ufrag);

/*
 * ICE restart (RFC 8445, 9): new local credentials (ngx_rtc_ice_local()
 * tells them), the peer's new ones and candidates; the selected pair
 * carries media until the new checks succeed
 */
ngx_int_t ngx_rtc_ice_restart(ngx_rtc_ice_t *ice, ngx_str_t *ufrag,
    ngx_str_t *pwd, ngx_str_t *cands, ngx_uint_t ncands);

/* NGX_OK, NGX_AGAIN (not connected yet, or the socket is full), NGX_ERROR */
ngx_int_t ngx_rtc_ice_send(ngx_rtc_ice_t *ice, u_char *buf, size_t len);

/*
 * The selected pair's local socket and the peer's address, for sending
 * on it directly (ngx_rtc_send.c), while a UDP pair that is not relayed
 * is selected and ICE is connected; NULL: send with ngx_rtc_ice_send()
 * (TCP and TURN pairs need libnice's framing).  Valid until the next
 * libnice call or callback; the socket is libnice's, never to be closed.
 */
ngx_rtc_ice_peer_t *ngx_rtc_ice_peer(ngx_rtc_ice_t *ice);

void ngx_rtc_ice_destroy(ngx_rtc_ice_t *ice);

/* the selected pair: NGX_RTC_ICE_CAND_* of each side, 1 for ICE-TCP */
void ngx_rtc_ice_pair(ngx_rtc_ice_t *ice, uint32_t *local, uint32_t *remote,
    uint32_t *tcp);

/* pure: NGX_OK or NGX_ERROR */
ngx_int_t ngx_rtc_ice_parse_url(ngx_str_t *url, ngx_rtc_ice_url_t *u);


#endif /* _NGX_RTC_ICE_H_INCLUDED_ */
