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


#endif /* _NGX_RTC_WHEP_H_INCLUDED_ */
