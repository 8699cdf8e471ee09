/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_runtime.h>


/* the interface only: configured streams answer 200, others 403 */

ngx_int_t
ngx_rtc_runtime_put(ngx_http_request_t *r, ngx_rtc_runtime_policy_t *policy)
{
    ngx_str_t  name, text;

    if (ngx_http_arg(r, (u_char *) "name", 4, &name) != NGX_OK
        || name.len == 0)
    {
        ngx_str_set(&text, "rtc: PUT /api/streams needs a name\n");
        return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
    }

    if (ngx_rtc_stream_find(&name) != NULL) {
        r->headers_out.status = NGX_HTTP_OK;
        r->headers_out.content_length_n = 0;
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    ngx_str_set(&text, "rtc: no such stream and runtime streams are off\n");
    return ngx_rtc_whep_text(r, NGX_HTTP_FORBIDDEN, &text);
}
