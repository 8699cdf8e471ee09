/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_PRODUCER_H_INCLUDED_
#define _NGX_RTC_PRODUCER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


ngx_int_t ngx_rtc_producer_init_process(ngx_cycle_t *cycle);
void ngx_rtc_producer_exit_process(ngx_cycle_t *cycle);
void ngx_rtc_producer_kick(void);


#endif /* _NGX_RTC_PRODUCER_H_INCLUDED_ */
