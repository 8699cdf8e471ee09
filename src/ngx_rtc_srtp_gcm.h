/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SRTP_GCM_H_INCLUDED_
#define _NGX_RTC_SRTP_GCM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/evp.h>


/* AEAD_AES_128_GCM (RFC 7714): master key || master salt, 16 + 12 bytes */
#define NGX_RTC_SRTP_GCM_KEY_LEN       16
#define NGX_RTC_SRTP_GCM_SALT_LEN      12
#define NGX_RTC_SRTP_GCM_MASTER_LEN    28
#define NGX_RTC_SRTP_GCM_TAG_LEN       16

/* the SSRCs a session sends under one key: video, audio, RTX, a spare */
#define NGX_RTC_SRTP_GCM_STREAMS       4


typedef struct {
    uint32_t                  ssrc;       /* as in the header */
    uint64_t                  index;      /* highest sent: ROC << 16 | SEQ */
} ngx_rtc_srtp_gcm_stream_t;


/*
 * The send side of an AEAD_AES_128_GCM session for RTP: the session key in
 * an AES-128-GCM EVP_CIPHER_CTX, keyed once for encryption, the session
 * salt, and the rollover counter of each SSRC sent.
 */

typedef struct {
    EVP_CIPHER_CTX           *ctx;        /* NULL: not in use */
    u_char                    salt[NGX_RTC_SRTP_GCM_SALT_LEN];
    uint32_t                  nstreams;
    ngx_rtc_srtp_gcm_stream_t streams[NGX_RTC_SRTP_GCM_STREAMS];
    ngx_log_t                *log;
    ngx_uint_t                full;       /* "too many SSRCs" logged */
} ngx_rtc_srtp_gcm_t;


/* master: the master key || master salt we send with (RFC 5764 4.2) */
ngx_int_t ngx_rtc_srtp_gcm_init(ngx_rtc_srtp_gcm_t *g, u_char *master,
    size_t len, ngx_log_t *log);

/* the session key and salt themselves (the KDF's output) */
ngx_int_t ngx_rtc_srtp_gcm_init_session(ngx_rtc_srtp_gcm_t *g, u_char *key,
    u_char *salt, ngx_log_t *log);

/*
 * SRTP-protect the RTP packet of *len bytes in buf in place: the payload
 * encrypted, the 16-byte tag appended (the caller leaves room for it)
 */
ngx_int_t ngx_rtc_srtp_gcm_protect(ngx_rtc_srtp_gcm_t *g, u_char *buf,
    size_t *len);

void ngx_rtc_srtp_gcm_cleanup(ngx_rtc_srtp_gcm_t *g);


#endif /* _NGX_RTC_SRTP_GCM_H_INCLUDED_ */
