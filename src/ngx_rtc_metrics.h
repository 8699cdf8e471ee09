/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_METRICS_H_INCLUDED_
#define _NGX_RTC_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_rtc_metrics_handler(ngx_http_request_t *r);


#endif /* _NGX_RTC_METRICS_H_INCLUDED_ */
