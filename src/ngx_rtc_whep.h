/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WHEP_H_INCLUDED_
#define _NGX_RTC_WHEP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_rtc_whep_handler(ngx_http_request_t *r);
ngx_int_t ngx_rtc_whep_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *text);

/* POST (RFC 9725) of an offer for the stream "name" */
ngx_int_t ngx_rtc_whep_post_stream(ngx_http_request_t *r, ngx_str_t *name);

/* the request body, up to max bytes, in one piece */
ngx_int_t ngx_rtc_whep_read_body(ngx_http_request_t *r, ngx_str_t *body,
    size_t max);

ngx_table_elt_t *ngx_rtc_whep_header_in(ngx_http_request_t *r, char *key);


#endif /* _NGX_RTC_WHEP_H_INCLUDED_ */
