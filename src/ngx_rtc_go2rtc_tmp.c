/*
 * Copyright (C) nginx-rtc authors
 */


/*
 * TEMPORARY, branch "runtime" only: a stand-in for branch "go2rtc"'s
 * rtc_go2rtc_api, serving PUT /api/streams and nothing else, so that
 * runtime streams are tested before that branch is merged.  At the merge
 * remove this file, its "rtc_go2rtc_api" entry in ngx_rtc_module.c and
 * "go2rtc_tmp" in ngx_rtc_loc_conf_t (ngx_rtc.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_acl.h>
#include <ngx_rtc_runtime.h>


static ngx_int_t ngx_rtc_go2rtc_tmp_handler(ngx_http_request_t *r);


/* rtc_go2rtc_api [streams=dynamic] [allow=CIDR[,CIDR...]] */

char *
ngx_rtc_go2rtc_tmp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    u_char                    *p, *last, *comma;
    ngx_str_t                 *value, s;
    ngx_uint_t                 i;
    ngx_rtc_acl_rule_t        *rule;
    ngx_rtc_main_conf_t       *rmcf;
    ngx_rtc_runtime_policy_t  *policy;
    ngx_http_core_loc_conf_t  *clcf;

    policy = ngx_pcalloc(cf->pool, sizeof(ngx_rtc_runtime_policy_t));
    if (policy == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "streams=dynamic") == 0) {
            policy->dynamic = 1;
            continue;
        }

        if (ngx_strncmp(value[i].data, "allow=", 6) != 0) {
            return "has an invalid parameter";
        }

        policy->allow = ngx_array_create(cf->pool, 4,
                                         sizeof(ngx_rtc_acl_rule_t));
        if (policy->allow == NULL) {
            return NGX_CONF_ERROR;
        }

        p = value[i].data + 6;
        last = value[i].data + value[i].len;

        while (p < last) {
            comma = ngx_strlchr(p, last, ',');
            if (comma == NULL) {
                comma = last;
            }

            s.data = p;
            s.len = comma - p;
            p = comma + 1;

            rule = ngx_array_push(policy->allow);
            if (rule == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_memzero(rule, sizeof(ngx_rtc_acl_rule_t));

            if (ngx_ptocidr(&s, &rule->cidr) == NGX_ERROR) {
                return "has an invalid allow= address";
            }
        }
    }

    if (policy->dynamic) {
        rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtc_module);
        rmcf->runtime_dynamic = 1;
    }

    rlcf->go2rtc_tmp = policy;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_go2rtc_tmp_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_rtc_go2rtc_tmp_handler(ngx_http_request_t *r)
{
    ngx_rtc_loc_conf_t  *rlcf;

    if (r->uri.len < 12
        || ngx_strncmp(r->uri.data + r->uri.len - 12, "/api/streams", 12)
           != 0)
    {
        return NGX_HTTP_NOT_FOUND;
    }

    if (r->method != NGX_HTTP_PUT) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    return ngx_rtc_runtime_put(r, rlcf->go2rtc_tmp);
}
