/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SRTP_H_INCLUDED_
#define _NGX_RTC_SRTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* DTLS-SRTP protection profile identifiers (RFC 5764, RFC 7714) */
#define NGX_RTC_SRTP_AES128_CM_SHA1_80     0x0001
#define NGX_RTC_SRTP_AEAD_AES_128_GCM      0x0007

/*
 * Room that protect needs after the packet: libsrtp's SRTP_MAX_TRAILER_LEN
 * (16 bytes of tag, 128 of MKI); SRTCP adds its 4-byte index to that.
 */
#define NGX_RTC_SRTP_MAX_TRAILER_LEN       (16 + 128)
#define NGX_RTC_SRTCP_MAX_TRAILER_LEN      (16 + 128 + 4)

/*
 * Replay windows, in packets: what we receive, and what we send, where it
 * only has to reach as far back as a NACKed packet goes out again with its
 * own sequence number (NGX_RTC_SESSION_HISTORY); libsrtp shifts the whole
 * window for each packet protected.
 */
#define NGX_RTC_SRTP_RX_WINDOW             1024
#define NGX_RTC_SRTP_TX_WINDOW             256


typedef struct {
    ngx_uint_t                profile;
    u_char                    local[64];     /* key || salt we send with */
    size_t                    local_len;
    u_char                    remote[64];    /* key || salt the peer uses */
    size_t                    remote_len;
} ngx_rtc_srtp_keys_t;


typedef struct ngx_rtc_srtp_s  ngx_rtc_srtp_t;


ngx_int_t ngx_rtc_srtp_init(ngx_log_t *log);
void ngx_rtc_srtp_evict(ngx_rtc_srtp_t *s);
ngx_rtc_srtp_t *ngx_rtc_srtp_create(ngx_rtc_srtp_keys_t *keys,
    ngx_log_t *log);
ngx_int_t ngx_rtc_srtp_protect(ngx_rtc_srtp_t *s, u_char *buf, size_t *len,
    size_t size);
ngx_int_t ngx_rtc_srtp_protect_rtcp(ngx_rtc_srtp_t *s, u_char *buf,
    size_t *len, size_t size);
ngx_int_t ngx_rtc_srtp_unprotect(ngx_rtc_srtp_t *s, u_char *buf,
    size_t *len);
ngx_int_t ngx_rtc_srtp_unprotect_rtcp(ngx_rtc_srtp_t *s, u_char *buf,
    size_t *len);
void ngx_rtc_srtp_free(ngx_rtc_srtp_t *s);


#endif /* _NGX_RTC_SRTP_H_INCLUDED_ */
