/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RUNTIME_ARGS_H_INCLUDED_
#define _NGX_RTC_RUNTIME_ARGS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The query of PUT /api/streams?name=NAME&src=URL[&src=URL...], go2rtc's
 * form: the stream's name and, of its sources, the camera we can pull.
 */

typedef struct {
    ngx_str_t                 name;
    ngx_str_t                 url;        /* rtsp:// or rtsps://, no #... */
    ngx_uint_t                audio;      /* NGX_RTC_AUDIO_* */
    ngx_uint_t                nsrc;       /* src= arguments */
    ngx_uint_t                ignored;    /* of them, not used */
} ngx_rtc_runtime_args_t;


/*
 * pure: decodes the arguments into buf (args->len bytes are enough);
 * NGX_ERROR with *err set for a request to refuse with a 400
 */
ngx_int_t ngx_rtc_runtime_args_parse(ngx_str_t *args, u_char *buf,
    ngx_rtc_runtime_args_t *out, const char **err);


/* pure: the query with URLs' user information as "***@" (for logs) */
u_char *ngx_rtc_runtime_args_redact(ngx_str_t *args, u_char *dst);


#endif /* _NGX_RTC_RUNTIME_ARGS_H_INCLUDED_ */
