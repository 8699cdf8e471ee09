/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTSP_PARSE_H_INCLUDED_
#define _NGX_RTC_RTSP_PARSE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_RTSP_RESPONSE       1
#define NGX_RTC_RTSP_INTERLEAVED    2
#define NGX_RTC_RTSP_REQUEST        3

#define NGX_RTC_RTSP_MAX_HEADER     16384
#define NGX_RTC_RTSP_MAX_BODY       65536

/* the largest message ngx_rtc_rtsp_parse() accepts */
#define NGX_RTC_RTSP_MAX_MESSAGE                                              \
    (NGX_RTC_RTSP_MAX_HEADER + NGX_RTC_RTSP_MAX_BODY)


typedef struct {
    ngx_uint_t      type;              /* NGX_RTC_RTSP_* */
    size_t          size;              /* bytes the whole message takes */

    /* interleaved: '$' channel length16 data */
    ngx_uint_t      channel;
    ngx_str_t       data;

    /* response status line or the request line of a server request */
    ngx_uint_t      status;
    ngx_str_t       reason;
    ngx_str_t       method;
    ngx_str_t       uri;

    ngx_int_t       cseq;              /* -1: absent */
    ngx_int_t       content_length;    /* -1: absent */

    ngx_str_t       session;           /* "Session: id;timeout=60" */
    ngx_uint_t      session_timeout;   /* seconds, 0: absent */

    ngx_str_t       content_base;
    ngx_str_t       content_location;
    ngx_str_t       content_type;
    ngx_str_t       transport;
    ngx_str_t       public;
    ngx_str_t       location;          /* of a 3xx redirect */

    /* WWW-Authenticate values after the scheme name, first of each */
    ngx_str_t       auth_basic;
    ngx_str_t       auth_digest;

    ngx_str_t       body;

    const char     *err;
} ngx_rtc_rtsp_msg_t;


typedef struct {
    ngx_int_t       interleaved[2];    /* -1: absent */
    ngx_uint_t      client_port[2];    /* 0: absent */
    ngx_uint_t      server_port[2];
    uint32_t        ssrc;
    unsigned        has_ssrc:1;
    unsigned        tcp:1;             /* RTP/AVP/TCP */
} ngx_rtc_rtsp_transport_t;


ngx_int_t ngx_rtc_rtsp_parse(u_char *pos, u_char *end, ngx_rtc_rtsp_msg_t *m);
ngx_int_t ngx_rtc_rtsp_parse_transport(ngx_str_t *value,
    ngx_rtc_rtsp_transport_t *t);
u_char *ngx_rtc_rtsp_parse_resync(u_char *pos, u_char *end, u_char *channels,
    ngx_uint_t n);
ngx_uint_t ngx_rtc_rtsp_has_method(ngx_str_t *public, const char *method);
ngx_int_t ngx_rtc_rtsp_resolve_url(ngx_str_t *base, ngx_str_t *control,
    u_char *buf, size_t size, ngx_str_t *out);
ngx_uint_t ngx_rtc_rtsp_parse_sdp_unframed(ngx_rtc_rtsp_msg_t *m);
ngx_uint_t ngx_rtc_rtsp_same_host(ngx_str_t *url1, ngx_str_t *url2);
ngx_int_t ngx_rtc_rtsp_redirect_url(ngx_str_t *url, ngx_str_t *conf,
    ngx_str_t *location, u_char *buf, size_t size, ngx_str_t *out,
    const char **err);


#endif /* _NGX_RTC_RTSP_PARSE_H_INCLUDED_ */
