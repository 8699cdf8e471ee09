/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_STATUS_H_INCLUDED_
#define _NGX_RTC_STATUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_rtc_status_handler(ngx_http_request_t *r);

u_char *ngx_rtc_status_json_str(u_char *p, u_char *s, size_t len);
const char *ngx_rtc_status_codec(ngx_uint_t codec);
const char *ngx_rtc_status_stream_state(ngx_uint_t state);


#endif /* _NGX_RTC_STATUS_H_INCLUDED_ */
