/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_dtls.h>
#include <ngx_rtc_srtp.h>
#include <ngx_rtc_gloop.h>
#include <ngx_rtc_auth.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_status.h>
#include <sys/eventfd.h>


static void *ngx_rtc_create_main_conf(ngx_conf_t *cf);
static char *ngx_rtc_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_rtc_create_loc_conf(ngx_conf_t *cf);
static char *ngx_rtc_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_rtc_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_stream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_udp_ports(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_whep(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_rtc_init_module(ngx_cycle_t *cycle);
static void ngx_rtc_close_eventfds(void *data);
static ngx_int_t ngx_rtc_init_process(ngx_cycle_t *cycle);
static void ngx_rtc_exit_process(ngx_cycle_t *cycle);
static void ngx_rtc_dtls_cleanup(void *data);


static ngx_command_t  ngx_http_rtc_commands[] = {

    { ngx_string("rtc_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_rtc_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_rtc_stream,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_candidate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_conf_set_str_array_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, candidates),
      NULL },

    { ngx_string("rtc_udp_ports"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_rtc_udp_ports,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_max_sessions"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, max_sessions),
      NULL },

    { ngx_string("rtc_wait_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, wait_timeout),
      NULL },

    { ngx_string("rtc_whep"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_rtc_whep,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_rtc_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_rtc_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_rtc_create_main_conf,              /* create main configuration */
    ngx_rtc_init_main_conf,                /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_rtc_create_loc_conf,               /* create location configuration */
    ngx_rtc_merge_loc_conf                 /* merge location configuration */
};


ngx_module_t  ngx_http_rtc_module = {
    NGX_MODULE_V1,
    &ngx_http_rtc_module_ctx,              /* module context */
    ngx_http_rtc_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_rtc_init_module,                   /* init module */
    ngx_rtc_init_process,                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_rtc_exit_process,                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_rtc_create_main_conf(ngx_conf_t *cf)
{
    ngx_uint_t            i;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_rtc_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     rmcf->shm_zone = NULL;
     *     rmcf->port_min = 0;
     *     rmcf->port_max = 0;
     *     rmcf->dtls = NULL;
     *     rmcf->nworkers = 0;
     */

    if (ngx_array_init(&rmcf->streams, cf->pool, 4,
                       sizeof(ngx_rtc_stream_conf_t))
        != NGX_OK)
    {
        return NULL;
    }

    rmcf->candidates = NGX_CONF_UNSET_PTR;
    rmcf->max_sessions = NGX_CONF_UNSET_UINT;
    rmcf->wait_timeout = NGX_CONF_UNSET_MSEC;

    for (i = 0; i < NGX_RTC_MAX_WORKERS; i++) {
        rmcf->eventfd[i] = -1;
    }

    return rmcf;
}


static char *
ngx_rtc_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ngx_pool_cleanup_t  *cln;

    ngx_conf_init_ptr_value(rmcf->candidates, NULL);
    ngx_conf_init_uint_value(rmcf->max_sessions, 256);
    ngx_conf_init_msec_value(rmcf->wait_timeout, 10000);

    if (rmcf->streams.nelts && rmcf->shm_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"rtc_stream\" needs an \"rtc_zone\"");
        return NGX_CONF_ERROR;
    }

    if (rmcf->shm_zone == NULL) {
        return NGX_CONF_OK;
    }

    /* one certificate per configuration, made before the workers fork */

    rmcf->dtls = ngx_rtc_dtls_ctx_create(cf->log);
    if (rmcf->dtls == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_rtc_dtls_cleanup;
    cln->data = rmcf->dtls;

    return NGX_CONF_OK;
}


static void
ngx_rtc_dtls_cleanup(void *data)
{
    ngx_rtc_dtls_ctx_free(data);
}


static void *
ngx_rtc_create_loc_conf(ngx_conf_t *cf)
{
    ngx_rtc_loc_conf_t  *rlcf;

    rlcf = ngx_pcalloc(cf->pool, sizeof(ngx_rtc_loc_conf_t));
    if (rlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     rlcf->whep_stream = NULL;
     */

    rlcf->whep = NGX_CONF_UNSET;
    rlcf->status = NGX_CONF_UNSET;

    return rlcf;
}


static char *
ngx_rtc_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_rtc_loc_conf_t *prev = parent;
    ngx_rtc_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->whep, prev->whep, 0);
    ngx_conf_merge_value(conf->status, prev->status, 0);

    return NGX_CONF_OK;
}


static char *
ngx_rtc_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (rmcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_zone size \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (ngx_rtc_shm_add_zone(cf, &value[1], size) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_rtc_stream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ssize_t                 size;
    ngx_str_t              *value, s;
    ngx_uint_t              i;
    ngx_rtc_url_t           url;
    ngx_rtc_stream_conf_t  *scf;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len >= NGX_RTC_NAME_LEN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_stream name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < value[1].len; i++) {
        if (!(isalnum(value[1].data[i]) || value[1].data[i] == '_'
              || value[1].data[i] == '-' || value[1].data[i] == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid rtc_stream name \"%V\": "
                               "letters, digits, \"_\", \"-\" and \".\" only",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if (scf[i].name.len == value[1].len
            && ngx_strncmp(scf[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate rtc_stream \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (rmcf->streams.nelts == NGX_RTC_MAX_STREAMS) {
        return "has too many streams";
    }

    scf = ngx_array_push(&rmcf->streams);
    if (scf == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(scf, sizeof(ngx_rtc_stream_conf_t));

    scf->name = value[1];
    scf->url = value[2];
    scf->idle = 30000;
    scf->buffer = 4 * 1024 * 1024;

    if (ngx_rtc_auth_parse_url(&scf->url, &url) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_stream \"%V\" URL: expected "
                           "rtsp://[user:password@]host[:port]/path",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    scf->redacted.data = ngx_pstrdup(cf->pool, &url.redacted);
    if (scf->redacted.data == NULL) {
        return NGX_CONF_ERROR;
    }

    scf->redacted.len = url.redacted.len;

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "always") == 0) {
            scf->always = 1;
            continue;
        }

        if (ngx_strncmp(value[i].data, "idle=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            scf->idle = ngx_parse_time(&s, 0);
            if (scf->idle == (ngx_msec_t) NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            size = ngx_parse_size(&s);
            if (size == NGX_ERROR || size < 256 * 1024
                || size > 256 * 1024 * 1024)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_stream buffer must be "
                                   "between 256k and 256m");
                return NGX_CONF_ERROR;
            }

            scf->buffer = size;
            continue;
        }

        if (ngx_strcmp(value[i].data, "transport=tcp") == 0) {
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rtc_stream parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static char *
ngx_rtc_udp_ports(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    u_char     *dash;
    ngx_int_t   min, max;
    ngx_str_t  *value;

    value = cf->args->elts;

    dash = ngx_strlchr(value[1].data, value[1].data + value[1].len, '-');
    if (dash == NULL) {
        goto invalid;
    }

    min = ngx_atoi(value[1].data, dash - value[1].data);
    max = ngx_atoi(dash + 1, value[1].data + value[1].len - dash - 1);

    if (min < 1 || max > 65535 || min > max) {
        goto invalid;
    }

    rmcf->port_min = min;
    rmcf->port_max = max;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rtc_udp_ports \"%V\", expected MIN-MAX",
                       &value[1]);
    return NGX_CONF_ERROR;
}


static char *
ngx_rtc_whep(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    ngx_str_t                         *value;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_compile_complex_value_t   ccv;

    if (rlcf->whep != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    rlcf->whep = 1;

    if (cf->args->nelts == 2) {
        value = cf->args->elts;

        rlcf->whep_stream = ngx_palloc(cf->pool,
                                       sizeof(ngx_http_complex_value_t));
        if (rlcf->whep_stream == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[1];
        ccv.complex_value = rlcf->whep_stream;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_whep_handler;

    return NGX_CONF_OK;
}


static char *
ngx_rtc_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (rlcf->status != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    rlcf->status = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_status_handler;

    return NGX_CONF_OK;
}


/*
 * In the master, before the workers fork: one eventfd per worker slot, so
 * that a producer in any worker can wake the workers with viewers.
 */

static ngx_int_t
ngx_rtc_init_module(ngx_cycle_t *cycle)
{
    ngx_uint_t            i;
    ngx_core_conf_t      *ccf;
    ngx_pool_cleanup_t   *cln;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtc_module);

    if (rmcf == NULL || rmcf->shm_zone == NULL) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ccf->worker_processes > NGX_RTC_MAX_WORKERS) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "rtc supports at most %d worker processes",
                      NGX_RTC_MAX_WORKERS);
        return NGX_ERROR;
    }

    rmcf->nworkers = ccf->worker_processes;

    cln = ngx_pool_cleanup_add(cycle->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_rtc_close_eventfds;
    cln->data = rmcf;

    for (i = 0; i < rmcf->nworkers; i++) {
        rmcf->eventfd[i] = eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC);

        if (rmcf->eventfd[i] == -1) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                          "rtc eventfd() failed");
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_rtc_close_eventfds(void *data)
{
    ngx_rtc_main_conf_t *rmcf = data;

    ngx_uint_t  i;

    for (i = 0; i < rmcf->nworkers; i++) {
        if (rmcf->eventfd[i] != -1) {
            (void) close(rmcf->eventfd[i]);
            rmcf->eventfd[i] = -1;
        }
    }
}


static ngx_int_t
ngx_rtc_init_process(ngx_cycle_t *cycle)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtc_module);

    if (rmcf == NULL || rmcf->shm_zone == NULL
        || ngx_process != NGX_PROCESS_WORKER)
    {
        return NGX_OK;
    }

    if (ngx_rtc_srtp_init(cycle->log) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_rtc_gloop_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_rtc_stream_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_rtc_producer_init_process(cycle);
}


static void
ngx_rtc_exit_process(ngx_cycle_t *cycle)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtc_module);

    if (rmcf == NULL || rmcf->shm_zone == NULL
        || ngx_process != NGX_PROCESS_WORKER)
    {
        return;
    }

    ngx_rtc_producer_exit_process(cycle);
    ngx_rtc_stream_exit_process(cycle);
    ngx_rtc_gloop_done(cycle);
}
