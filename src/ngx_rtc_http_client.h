/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_HTTP_CLIENT_H_INCLUDED_
#define _NGX_RTC_HTTP_CLIENT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_http_parse.h>


typedef struct ngx_rtc_http_client_s  ngx_rtc_http_client_t;

/*
 * The end of a request: the response (valid during the call only), or
 * NULL and a short reason.  Called once, from an event handler, never
 * from ngx_rtc_http_client_request(); the client is freed when it
 * returns, so it must not call ngx_rtc_http_client_abort().
 */
typedef void (*ngx_rtc_http_done_pt)(void *data, ngx_rtc_http_response_t *r,
    ngx_str_t *error);


typedef struct {
    struct sockaddr          *sockaddr;
    socklen_t                 socklen;
    ngx_str_t                 host;       /* Host, SNI, verification */
    ngx_str_t                 hostport;   /* Host: host ":" port */
    ngx_uint_t                tls;        /* through the wheps:// context */

    const char               *method;
    ngx_str_t                 path;       /* the request target */
    ngx_str_t                 content_type;
    ngx_str_t                 body;
    ngx_str_t                 token;      /* Authorization: Bearer; secret */

    ngx_msec_t                timeout;    /* each of connect, send, read */
    ngx_uint_t                linger;     /* keeps an exiting worker */
    ngx_log_t                *log;

    ngx_rtc_http_done_pt      done;       /* NULL: nobody waits */
    void                     *data;
} ngx_rtc_http_request_t;


/* NULL: the request could not start (logged at alert when it is ours) */
ngx_rtc_http_client_t *ngx_rtc_http_client_request(
    ngx_rtc_http_request_t *req);
void ngx_rtc_http_client_abort(ngx_rtc_http_client_t *hc);


#endif /* _NGX_RTC_HTTP_CLIENT_H_INCLUDED_ */
