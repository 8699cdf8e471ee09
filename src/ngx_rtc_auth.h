/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_AUTH_H_INCLUDED_
#define _NGX_RTC_AUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_URL_MAX            2048
#define NGX_RTC_URL_CRED_MAX       256

#define NGX_RTC_AUTH_PARAM_MAX     512

#define NGX_RTC_AUTH_MD5           0
#define NGX_RTC_AUTH_SHA256        1


/*
 * An rtsp://, rtsps://, whep:// or wheps:// URL split into its parts.
 * Everything lives in the struct's own arrays, so it can be kept after the
 * source string is gone.  "uri" is what goes on the request line (the URL without user
 * information); "redacted" is the only form that may be logged or shown.
 */

typedef struct {
    ngx_str_t       scheme;            /* "rtsp", "rtsps", "whep", "wheps" */
    ngx_str_t       user;              /* percent-decoded; len 0: none */
    ngx_str_t       password;          /* percent-decoded */
    ngx_str_t       host;              /* "10.0.0.2", "cam.lan", "[::1]" */
    in_port_t       port;              /* 554, 322, 80, 443 by default */
    ngx_str_t       hostport;          /* host ":" port, for ngx_parse_url */
    ngx_str_t       path;              /* "/path?query", "/" at least */
    ngx_str_t       uri;               /* scheme "://" host[:port] path */
    ngx_str_t       redacted;          /* "rtsp://" "***@" host:port path */

    unsigned        tls:1;
    unsigned        has_userinfo:1;

    const char     *err;               /* why parsing failed; no secret */

    u_char          user_buf[NGX_RTC_URL_CRED_MAX];
    u_char          password_buf[NGX_RTC_URL_CRED_MAX];
    u_char          uri_buf[NGX_RTC_URL_MAX];
    u_char          redacted_buf[NGX_RTC_URL_MAX + 16];
    u_char          hostport_buf[320];
} ngx_rtc_url_t;


/* a Digest challenge (RFC 7616 3.3), values unquoted into the struct */

typedef struct {
    ngx_str_t       realm;
    ngx_str_t       nonce;
    ngx_str_t       opaque;
    ngx_str_t       algorithm;         /* as sent; empty: MD5 */
    ngx_uint_t      hash;              /* NGX_RTC_AUTH_MD5 / _SHA256 */
    ngx_uint_t      nc;                /* requests made with this nonce */

    unsigned        qop_auth:1;        /* "auth" offered: use it */
    unsigned        sess:1;            /* "-sess" algorithm */
    unsigned        stale:1;
    unsigned        userhash:1;        /* requested; not supported */

    ngx_str_t       cnonce;            /* set by the caller or generated */

    u_char          realm_buf[NGX_RTC_AUTH_PARAM_MAX];
    u_char          nonce_buf[NGX_RTC_AUTH_PARAM_MAX];
    u_char          opaque_buf[NGX_RTC_AUTH_PARAM_MAX];
    u_char          algorithm_buf[32];
    u_char          cnonce_buf[64];
} ngx_rtc_auth_digest_t;


ngx_int_t ngx_rtc_auth_parse_url(ngx_str_t *url, ngx_rtc_url_t *u);

/*
 * The printable form of any URL, e.g. an ffmpeg: input's, into "buf" of
 * NGX_RTC_AUTH_REDACT_SIZE(url->len) bytes; returns its length.
 */
#define NGX_RTC_AUTH_REDACT_SIZE(len)  (4 * (len) + 8)
size_t ngx_rtc_auth_redact(ngx_str_t *url, u_char *buf);
ngx_uint_t ngx_rtc_auth_secret_name(u_char *name, size_t len);

ngx_int_t ngx_rtc_auth_basic(ngx_rtc_url_t *u, u_char *buf, size_t size,
    ngx_str_t *out);

ngx_int_t ngx_rtc_auth_digest_parse(ngx_str_t *challenge,
    ngx_rtc_auth_digest_t *d);
ngx_int_t ngx_rtc_auth_digest(ngx_rtc_auth_digest_t *d, ngx_str_t *user,
    ngx_str_t *password, ngx_str_t *method, ngx_str_t *uri, u_char *buf,
    size_t size, ngx_str_t *out);


#endif /* _NGX_RTC_AUTH_H_INCLUDED_ */
