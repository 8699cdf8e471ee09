/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WHEP_URL_H_INCLUDED_
#define _NGX_RTC_WHEP_URL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


void ngx_rtc_whep_url_segment(ngx_str_t *uri, ngx_str_t *seg);
ngx_int_t ngx_rtc_whep_url_parse_id(ngx_str_t *uri, u_char *id);
size_t ngx_rtc_whep_url_location_len(ngx_str_t *uri);
u_char *ngx_rtc_whep_url_location(u_char *dst, ngx_str_t *uri, u_char *hex);


#endif /* _NGX_RTC_WHEP_URL_H_INCLUDED_ */
