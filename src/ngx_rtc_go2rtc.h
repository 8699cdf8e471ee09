/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_GO2RTC_H_INCLUDED_
#define _NGX_RTC_GO2RTC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* rtc_go2rtc_api: the part of go2rtc's HTTP and WebSocket API HA uses */
ngx_int_t ngx_rtc_go2rtc_handler(ngx_http_request_t *r);


#endif /* _NGX_RTC_GO2RTC_H_INCLUDED_ */
