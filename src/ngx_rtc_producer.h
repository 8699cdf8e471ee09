/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_PRODUCER_H_INCLUDED_
#define _NGX_RTC_PRODUCER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>


ngx_int_t ngx_rtc_producer_init_process(ngx_cycle_t *cycle);
void ngx_rtc_producer_exit_process(ngx_cycle_t *cycle);
void ngx_rtc_producer_kick(void);
ngx_int_t ngx_rtc_producer_add(ngx_rtc_stream_conf_t *conf);
void ngx_rtc_producer_restart(ngx_rtc_stream_conf_t *conf);


#endif /* _NGX_RTC_PRODUCER_H_INCLUDED_ */
