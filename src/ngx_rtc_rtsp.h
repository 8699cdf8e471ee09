/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RTSP_H_INCLUDED_
#define _NGX_RTC_RTSP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_source.h>


/* client ports for transport=udp when rtc_rtsp_udp_ports is not set */
#define NGX_RTC_RTSP_UDP_PORT_MIN 50000
#define NGX_RTC_RTSP_UDP_PORT_MAX 50999


typedef struct ngx_rtc_rtsp_s  ngx_rtc_rtsp_t;


/* the callbacks must not call ngx_rtc_rtsp_stop() */

typedef struct {
    ngx_rtc_source_conf_t     source;   /* url with credentials; timeout:
                                           connect, response, no data */
    ngx_uint_t                udp;      /* transport=udp */
} ngx_rtc_rtsp_conf_t;


ngx_rtc_rtsp_t *ngx_rtc_rtsp_start(ngx_rtc_rtsp_conf_t *conf);
void ngx_rtc_rtsp_stop(ngx_rtc_rtsp_t *rtsp);

ngx_int_t ngx_rtc_rtsp_init_conf(ngx_conf_t *cf, ngx_rtc_main_conf_t *rmcf);
ngx_ssl_t *ngx_rtc_rtsp_ssl_ctx(void);
ngx_int_t ngx_rtc_rtsp_ssl_verify(ngx_connection_t *c, ngx_str_t *host,
    const char **why);


#endif /* _NGX_RTC_RTSP_H_INCLUDED_ */
