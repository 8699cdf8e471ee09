/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SNAPSHOT_H_INCLUDED_
#define _NGX_RTC_SNAPSHOT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_rtc_snapshot_handler(ngx_http_request_t *r);
ngx_int_t ngx_rtc_snapshot_stream(ngx_http_request_t *r, ngx_str_t *name);


#endif /* _NGX_RTC_SNAPSHOT_H_INCLUDED_ */
