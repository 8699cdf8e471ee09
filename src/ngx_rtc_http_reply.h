/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_HTTP_REPLY_H_INCLUDED_
#define _NGX_RTC_HTTP_REPLY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * The responses of the module's HTTP handlers: a header value checked for
 * control characters, a whole body in one buffer.
 */

ngx_int_t ngx_rtc_http_reply_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value);
ngx_int_t ngx_rtc_http_reply(ngx_http_request_t *r, ngx_uint_t status,
    char *type, ngx_buf_t *b);
ngx_int_t ngx_rtc_http_reply_data(ngx_http_request_t *r, ngx_uint_t status,
    char *type, u_char *data, size_t len);


#endif /* _NGX_RTC_HTTP_REPLY_H_INCLUDED_ */
