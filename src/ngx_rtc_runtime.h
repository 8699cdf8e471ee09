/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_RUNTIME_H_INCLUDED_
#define _NGX_RTC_RUNTIME_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * Runtime streams: streams created by a request (go2rtc's
 * PUT /api/streams) rather than by rtc_stream, kept in the zone.
 */

typedef struct {
    ngx_flag_t                dynamic;    /* streams=dynamic */
    ngx_array_t              *allow;      /* of ngx_rtc_acl_rule_t, or NULL */
} ngx_rtc_runtime_policy_t;


/*
 * PUT /api/streams?name=NAME&src=URL[&src=URL...] (no body): 200 when
 * NAME is a stream (configured, or made or changed now under the policy),
 * 403 with a reason when the policy refuses it, 400 for a malformed
 * request, 507 when the zone has no room for it, 502 when the camera's
 * host name does not resolve.  Sends the response; returns what a content
 * handler returns (NGX_DONE while a camera's host name is resolved).
 *
 * A location that may pass policy->dynamic set must set the main conf's
 * runtime_dynamic at configuration time (the thread pool for audio=opus,
 * the TLS context of rtsps:// cameras are made for it).
 */
ngx_int_t ngx_rtc_runtime_put(ngx_http_request_t *r,
    ngx_rtc_runtime_policy_t *policy);

/* the worker picks up runtime streams made or changed in the zone */
void ngx_rtc_runtime_sync(void);
ngx_int_t ngx_rtc_runtime_redact(ngx_pool_t *pool, ngx_str_t *s);


#endif /* _NGX_RTC_RUNTIME_H_INCLUDED_ */
