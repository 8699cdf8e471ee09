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
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_shm.h>
#include <ngx_rtc_send.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_status.h>
#include <ngx_rtc_player.h>
#include <ngx_rtc_snapshot.h>
#include <ngx_rtc_ffmpeg.h>
#include <ngx_rtc_metrics.h>
#include <ngx_rtc_acl.h>
#include <ngx_rtc_go2rtc.h>
#include <sys/eventfd.h>

#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif


static void *ngx_rtc_create_main_conf(ngx_conf_t *cf);
static char *ngx_rtc_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_rtc_create_loc_conf(ngx_conf_t *cf);
static char *ngx_rtc_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_rtc_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_stream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_udp_ports(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_ice_server(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_parse_ports(ngx_conf_t *cf, ngx_str_t *value,
    ngx_uint_t *min, ngx_uint_t *max);
static ssize_t ngx_rtc_conf_buffer(ngx_str_t *value, size_t skip);
static char *ngx_rtc_ice_acl(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_whep(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static void ngx_rtc_conf_endpoint(ngx_conf_t *cf, ngx_command_t *cmd);
static char *ngx_rtc_candidate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_conf_stream_name(ngx_conf_t *cf,
    ngx_http_complex_value_t **cv);
static char *ngx_rtc_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_player(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_rtc_snapshot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_cors_check(ngx_conf_t *cf, void *post, void *data);
static char *ngx_rtc_acl_add(ngx_conf_t *cf, ngx_array_t **acl,
    ngx_str_t *value, ngx_uint_t deny);
static char *ngx_rtc_acl_parse(ngx_conf_t *cf, ngx_str_t *value,
    ngx_rtc_acl_rule_t *rule);
static char *ngx_rtc_go2rtc_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_rtc_go2rtc_version(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_rtc_init_module(ngx_cycle_t *cycle);
static void ngx_rtc_close_eventfds(void *data);
static ngx_int_t ngx_rtc_init_process(ngx_cycle_t *cycle);
static void ngx_rtc_exit_process(ngx_cycle_t *cycle);
static void ngx_rtc_dtls_cleanup(void *data);


static ngx_conf_post_handler_pt  ngx_rtc_cors_post = ngx_rtc_cors_check;

/*
 * The TLS verification of sources was named for rtsps:// cameras only; it
 * covers every source that speaks TLS (rtsps://, wheps://) under its new
 * names, and the old ones stay as aliases of the same settings.
 */

static ngx_conf_deprecated_t  ngx_rtc_rtsp_ssl_verify_alias = {
    ngx_conf_deprecated, "rtc_rtsp_ssl_verify", "rtc_source_ssl_verify"
};

static ngx_conf_deprecated_t  ngx_rtc_rtsp_ssl_trusted_alias = {
    ngx_conf_deprecated, "rtc_rtsp_ssl_trusted_certificate",
    "rtc_source_ssl_trusted_certificate"
};

static ngx_conf_num_bounds_t  ngx_rtc_fanout_budget_bounds = {
    ngx_conf_check_num_bounds, 1, 1048576
};

/* 0 would refuse every offer */
static ngx_conf_num_bounds_t  ngx_rtc_max_sessions_bounds = {
    ngx_conf_check_num_bounds, 1, 1048576
};


static ngx_command_t  ngx_http_rtc_commands[] = {

    { ngx_string("rtc_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
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
      ngx_rtc_candidate,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_udp_ports"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_rtc_udp_ports,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_rtsp_udp_ports"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_rtc_udp_ports,
      NGX_HTTP_MAIN_CONF_OFFSET,
      1,
      NULL },

    { ngx_string("rtc_source_ssl_verify"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, rtsp_ssl_verify),
      NULL },

    { ngx_string("rtc_source_ssl_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, rtsp_ssl_trusted_certificate),
      NULL },

    { ngx_string("rtc_rtsp_ssl_verify"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, rtsp_ssl_verify),
      &ngx_rtc_rtsp_ssl_verify_alias },

    { ngx_string("rtc_rtsp_ssl_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, rtsp_ssl_trusted_certificate),
      &ngx_rtc_rtsp_ssl_trusted_alias },

    { ngx_string("rtc_ice_server"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_rtc_ice_server,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_ice_tcp"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, ice_tcp),
      NULL },

    { ngx_string("rtc_ice_allow"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_rtc_ice_acl,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_ice_deny"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_rtc_ice_acl,
      NGX_HTTP_MAIN_CONF_OFFSET,
      1,
      NULL },

    { ngx_string("rtc_udp_gso"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, udp_gso),
      NULL },

    { ngx_string("rtc_io_uring"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, io_uring),
      NULL },

    { ngx_string("rtc_fanout_budget"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, fanout_budget),
      &ngx_rtc_fanout_budget_bounds },

    { ngx_string("rtc_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, thread_pool),
      NULL },

    { ngx_string("rtc_cors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_rtc_loc_conf_t, cors),
      &ngx_rtc_cors_post },

    { ngx_string("rtc_max_sessions"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_rtc_main_conf_t, max_sessions),
      &ngx_rtc_max_sessions_bounds },

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

    { ngx_string("rtc_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_rtc_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_snapshot"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_rtc_snapshot,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_player"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_rtc_player,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_go2rtc_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE12,
      ngx_rtc_go2rtc_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtc_go2rtc_version"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_rtc_go2rtc_version,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_rtc_loc_conf_t, go2rtc_version),
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
     *     rmcf->eventfd = NULL;
     *     rmcf->runtime_dynamic = 0;
     */

    if (ngx_array_init(&rmcf->streams, cf->pool, 4,
                       sizeof(ngx_rtc_stream_conf_t))
        != NGX_OK)
    {
        return NULL;
    }

    rmcf->candidates = NGX_CONF_UNSET_PTR;
    rmcf->ice_servers = NGX_CONF_UNSET_PTR;
    rmcf->ice_tcp = NGX_CONF_UNSET;
    rmcf->udp_gso = NGX_CONF_UNSET;
    rmcf->io_uring = NGX_CONF_UNSET;
    rmcf->fanout_budget = NGX_CONF_UNSET_UINT;
    rmcf->rtsp_ssl_verify = NGX_CONF_UNSET;
    rmcf->max_sessions = NGX_CONF_UNSET_UINT;
    rmcf->wait_timeout = NGX_CONF_UNSET_MSEC;
    rmcf->runtime_max = NGX_CONF_UNSET_UINT;
    rmcf->runtime_buffer = NGX_CONF_UNSET_SIZE;
    rmcf->runtime_idle = NGX_CONF_UNSET_MSEC;

    /* worker_processes is known when the zone is initialized */
    rmcf->core = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                                  ngx_core_module);

    return rmcf;
}


static char *
ngx_rtc_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ngx_uint_t              i, threads;
    ngx_pool_cleanup_t     *cln;
    ngx_rtc_stream_conf_t  *scf;

    ngx_conf_init_ptr_value(rmcf->candidates, NULL);
    ngx_conf_init_ptr_value(rmcf->ice_servers, NULL);
    ngx_conf_init_value(rmcf->ice_tcp, 0);
    ngx_conf_init_value(rmcf->udp_gso, 1);
    ngx_conf_init_value(rmcf->io_uring, 1);
    ngx_conf_init_uint_value(rmcf->fanout_budget, NGX_RTC_STREAM_BUDGET);
    ngx_conf_init_value(rmcf->rtsp_ssl_verify, 0);

    if (rmcf->thread_pool.data == NULL) {
        ngx_str_set(&rmcf->thread_pool, "default");
    }

    ngx_conf_init_uint_value(rmcf->runtime_max, 32);
    ngx_conf_init_size_value(rmcf->runtime_buffer, 4 * 1024 * 1024);
    ngx_conf_init_msec_value(rmcf->runtime_idle, 30000);

    /*
     * libav's blocking calls run in a thread pool: "default" unless named;
     * runtime streams may ask for audio=opus
     */

    scf = rmcf->streams.elts;
    threads = rmcf->runtime_dynamic && rmcf->runtime_max;

    for (i = 0; i < rmcf->streams.nelts && !threads; i++) {
        if (rmcf->snapshots || scf[i].source == NGX_RTC_SOURCE_FFMPEG
            || scf[i].audio == NGX_RTC_AUDIO_OPUS || scf[i].transcode_h264)
        {
            threads = 1;
        }
    }

    if (threads) {
#if (NGX_THREADS)
        if (ngx_thread_pool_add(cf, &rmcf->thread_pool) == NULL) {
            return NGX_CONF_ERROR;
        }
#else
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "nginx-rtc needs nginx built --with-threads");
        return NGX_CONF_ERROR;
#endif
    }

    ngx_conf_init_uint_value(rmcf->max_sessions, 256);
    ngx_conf_init_msec_value(rmcf->wait_timeout, 10000);

    if (rmcf->streams.nelts && rmcf->shm_zone == NULL) {
        scf = rmcf->streams.elts;
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"rtc_stream\" in %V:%ui needs an \"rtc_zone\" in "
                      "the http block", &scf[0].file, scf[0].line);
        return NGX_CONF_ERROR;
    }

    if (rmcf->endpoint.len && rmcf->shm_zone == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%V\" in %V:%ui needs an \"rtc_zone\" in the http "
                      "block", &rmcf->endpoint, &rmcf->endpoint_file,
                      rmcf->endpoint_line);
        return NGX_CONF_ERROR;
    }

    if (rmcf->shm_zone == NULL) {
        return NGX_CONF_OK;
    }

    if (ngx_rtc_rtsp_init_conf(cf, rmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
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
     *     rlcf->go2rtc_policy = { 0, NULL };
     *     rlcf->go2rtc_version = { 0, NULL };
     */

    rlcf->whep = NGX_CONF_UNSET;
    rlcf->status = NGX_CONF_UNSET;
    rlcf->snapshot = NGX_CONF_UNSET;
    rlcf->go2rtc = NGX_CONF_UNSET;

    return rlcf;
}


static char *
ngx_rtc_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_rtc_loc_conf_t *prev = parent;
    ngx_rtc_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->whep, prev->whep, 0);
    ngx_conf_merge_value(conf->status, prev->status, 0);
    ngx_conf_merge_str_value(conf->cors, prev->cors, "");
    ngx_conf_merge_str_value(conf->go2rtc_version, prev->go2rtc_version,
                             "1.9.14");

    if (conf->cors.len == 3 && ngx_strncmp(conf->cors.data, "off", 3) == 0) {
        ngx_str_set(&conf->cors, "");
    }

    return NGX_CONF_OK;
}


static char *
ngx_rtc_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ssize_t      size, n;
    ngx_int_t    max;
    ngx_str_t   *value, s;
    ngx_msec_t   idle;
    ngx_uint_t   i;

    if (rmcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "rtc_zone needs a name");
        return NGX_CONF_ERROR;
    }

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_zone size \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (size < NGX_RTC_ZONE_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "rtc_zone size \"%V\" is too small: at least "
                           "%uzm, the tables alone (%d stream entries) take "
                           "%uzk", &value[2], (size_t) NGX_RTC_ZONE_MIN >> 20,
                           NGX_RTC_MAX_STREAMS,
                           sizeof(ngx_rtc_shctx_t) >> 10);
        return NGX_CONF_ERROR;
    }

    /* runtime streams (PUT /api/streams): how many, their buffer= idle= */

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "runtime=", 8) == 0) {
            max = ngx_atoi(value[i].data + 8, value[i].len - 8);

            if (max == NGX_ERROR || max > NGX_RTC_MAX_STREAMS) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_zone runtime= must be between 0 "
                                   "and %d", NGX_RTC_MAX_STREAMS);
                return NGX_CONF_ERROR;
            }

            rmcf->runtime_max = max;
            continue;
        }

        if (ngx_strncmp(value[i].data, "runtime_buffer=", 15) == 0) {
            n = ngx_rtc_conf_buffer(&value[i], 15);
            if (n == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_zone runtime_buffer= must be "
                                   "between 256k and 256m");
                return NGX_CONF_ERROR;
            }

            rmcf->runtime_buffer = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "runtime_idle=", 13) == 0) {
            s.data = value[i].data + 13;
            s.len = value[i].len - 13;

            idle = ngx_parse_time(&s, 0);
            if (idle == (ngx_msec_t) NGX_ERROR) {
                goto invalid;
            }

            rmcf->runtime_idle = idle;
            continue;
        }

        goto invalid;
    }

    if (ngx_rtc_shm_add_zone(cf, &value[1], size) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rtc_zone parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static char *
ngx_rtc_stream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ssize_t                 size;
    ngx_int_t               n;
    ngx_str_t              *value, s, *idle;
    ngx_uint_t              i;
    ngx_rtc_url_t           url;
    ngx_rtc_stream_conf_t  *scf;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len >= NGX_RTC_NAME_LEN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_stream name \"%V\": 1 to %d "
                           "characters", &value[1], NGX_RTC_NAME_LEN - 1);
        return NGX_CONF_ERROR;
    }

    /* a URI's path segment of its own: no location reaches them */

    if ((value[1].len == 1 && value[1].data[0] == '.')
        || (value[1].len == 2 && value[1].data[0] == '.'
            && value[1].data[1] == '.'))
    {
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
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "rtc_stream \"%V\" is one too many: one nginx "
                           "serves at most %d streams", &value[1],
                           NGX_RTC_MAX_STREAMS);
        return NGX_CONF_ERROR;
    }

    scf = ngx_array_push(&rmcf->streams);
    if (scf == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(scf, sizeof(ngx_rtc_stream_conf_t));

    scf->name = value[1];
    scf->file = cf->conf_file->file.name;
    scf->line = cf->conf_file->line;
    scf->url = value[2];
    scf->idle = 30000;
    scf->buffer = 4 * 1024 * 1024;

    scf->max_sessions = 0;
    scf->audio = NGX_RTC_AUDIO_COPY;

    if (scf->url.len > 7 && ngx_strncmp(scf->url.data, "ffmpeg:", 7) == 0) {

        /* a libavformat input: a file path or any URL it opens */

        scf->source = NGX_RTC_SOURCE_FFMPEG;

        /* the only form logs and status may show */

        scf->redacted.data = ngx_pnalloc(cf->pool,
                                     NGX_RTC_AUTH_REDACT_SIZE(scf->url.len));
        if (scf->redacted.data == NULL) {
            return NGX_CONF_ERROR;
        }

        scf->redacted.len = ngx_rtc_auth_redact(&scf->url,
                                                scf->redacted.data);

    } else if (ngx_rtc_auth_parse_url(&scf->url, &url) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_stream \"%V\" URL: %s; expected "
                           "rtsp://[user:password@]host[:port]/path, "
                           "whep://[token@]host[:port]/path or "
                           "ffmpeg:input",
                           &value[1], url.err ? url.err : "unknown form");
        return NGX_CONF_ERROR;

    } else {
        scf->source = (url.scheme.data[0] == 'w') ? NGX_RTC_SOURCE_WHEP
                                                  : NGX_RTC_SOURCE_RTSP;

        /* whep://TOKEN@host, whep://user:TOKEN@host: the bearer token */

        if (scf->source == NGX_RTC_SOURCE_WHEP && url.has_userinfo) {
            s = url.password.len ? url.password : url.user;

            scf->token.data = ngx_pstrdup(cf->pool, &s);
            if (scf->token.data == NULL) {
                return NGX_CONF_ERROR;
            }

            scf->token.len = s.len;
        }

        scf->redacted.data = ngx_pstrdup(cf->pool, &url.redacted);
        if (scf->redacted.data == NULL) {
            return NGX_CONF_ERROR;
        }

        scf->redacted.len = url.redacted.len;
    }

    idle = NULL;

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

            idle = &value[i];
            continue;
        }

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            size = ngx_rtc_conf_buffer(&value[i], 7);
            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_stream buffer must be "
                                   "between 256k and 256m");
                return NGX_CONF_ERROR;
            }

            scf->buffer = size;
            continue;
        }

        if (ngx_strncmp(value[i].data, "token=", 6) == 0) {
            if (scf->source != NGX_RTC_SOURCE_WHEP) {
                goto inapplicable;
            }

            if (scf->token.len) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_stream \"%V\": two bearer tokens, "
                                   "token= and the URL's", &scf->name);
                return NGX_CONF_ERROR;
            }

            scf->token.data = value[i].data + 6;
            scf->token.len = value[i].len - 6;

            continue;
        }

        /* an option that would do nothing for this source is an error */

        if (ngx_strcmp(value[i].data, "transport=tcp") == 0) {
            if (scf->source != NGX_RTC_SOURCE_RTSP) {
                goto inapplicable;
            }

            scf->udp = 0;
            continue;
        }

        if (ngx_strcmp(value[i].data, "transport=udp") == 0) {
            if (scf->source != NGX_RTC_SOURCE_RTSP) {
                goto inapplicable;
            }

            scf->udp = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "loop") == 0) {
            if (scf->source != NGX_RTC_SOURCE_FFMPEG) {
                goto inapplicable;
            }

            scf->loop = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "audio=opus") == 0) {
            if (scf->source == NGX_RTC_SOURCE_WHEP) {
                goto inapplicable;
            }

            scf->audio = NGX_RTC_AUDIO_OPUS;
            continue;
        }

        if (ngx_strcmp(value[i].data, "audio=copy") == 0) {
            scf->audio = NGX_RTC_AUDIO_COPY;
            continue;
        }

        if (ngx_strcmp(value[i].data, "audio=off") == 0) {
            scf->audio = NGX_RTC_AUDIO_OFF;
            continue;
        }

        if (ngx_strcmp(value[i].data, "transcode=h264") == 0) {
            scf->transcode_h264 = 1;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            if (scf->source != NGX_RTC_SOURCE_RTSP) {
                goto inapplicable;
            }

            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            scf->timeout = ngx_parse_time(&s, 0);

            if (scf->timeout == (ngx_msec_t) NGX_ERROR
                || scf->timeout < 1000 || scf->timeout > 300000)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_stream timeout must be "
                                   "between 1s and 5m");
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max_sessions=", 13) == 0) {
            n = ngx_atoi(value[i].data + 13, value[i].len - 13);
            if (n == NGX_ERROR || n == 0) {
                goto invalid;
            }

            scf->max_sessions = n;
            continue;
        }

        goto invalid;
    }

    if (scf->always && idle) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "rtc_stream \"%V\": \"%V\" is ignored with "
                           "\"always\"", &value[1], idle);
    }

    /* RFC 6750 2.1: b64token; it goes into a header line as is */

    for (i = 0; i < scf->token.len; i++) {
        if (!(isalnum(scf->token.data[i])
              || (scf->token.data[i] != '\0'
                  && ngx_strchr("-._~+/=", scf->token.data[i]) != NULL)))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "rtc_stream \"%V\": invalid bearer token: "
                               "letters, digits and \"-._~+/=\" only",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rtc_stream parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;

inapplicable:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "rtc_stream \"%V\": \"%V\" does not apply to %s "
                       "sources", &value[1], &value[i],
                       scf->source == NGX_RTC_SOURCE_FFMPEG ? "ffmpeg:"
                       : scf->source == NGX_RTC_SOURCE_WHEP
                         ? "whep:// and wheps://" : "rtsp:// and rtsps://");

    return NGX_CONF_ERROR;
}


/* the size after a prefix of skip bytes ("buffer="): 256k to 256m */

static ssize_t
ngx_rtc_conf_buffer(ngx_str_t *value, size_t skip)
{
    ssize_t    size;
    ngx_str_t  s;

    s.data = value->data + skip;
    s.len = value->len - skip;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR || size < 256 * 1024 || size > 256 * 1024 * 1024) {
        return NGX_ERROR;
    }

    return size;
}


static char *
ngx_rtc_udp_ports(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (cmd->offset == 1) {
        return ngx_rtc_parse_ports(cf, &value[1], &rmcf->rtsp_port_min,
                                   &rmcf->rtsp_port_max);
    }

    return ngx_rtc_parse_ports(cf, &value[1], &rmcf->port_min,
                               &rmcf->port_max);
}


static char *
ngx_rtc_parse_ports(ngx_conf_t *cf, ngx_str_t *value, ngx_uint_t *min,
    ngx_uint_t *max)
{
    u_char     *dash;
    ngx_int_t   lo, hi;

    if (*min) {
        return "is duplicate";
    }

    dash = ngx_strlchr(value->data, value->data + value->len, '-');
    if (dash == NULL) {
        goto invalid;
    }

    lo = ngx_atoi(value->data, dash - value->data);
    hi = ngx_atoi(dash + 1, value->data + value->len - dash - 1);

    if (lo < 1 || hi > 65535 || lo > hi) {
        goto invalid;
    }

    *min = lo;
    *max = hi;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid port range \"%V\", expected MIN-MAX", value);
    return NGX_CONF_ERROR;
}


/* rtc_ice_server stun:host:port | turn:host:port [username=U] [credential=C] */

static char *
ngx_rtc_ice_server(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ngx_str_t             *value;
    ngx_uint_t             i;
    ngx_rtc_ice_server_t  *srv;

    value = cf->args->elts;

    if (!(ngx_strncmp(value[1].data, "stun:", 5) == 0
          || ngx_strncmp(value[1].data, "turn:", 5) == 0
          || ngx_strncmp(value[1].data, "turns:", 6) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_ice_server \"%V\": expected "
                           "stun:, turn: or turns: URL", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (rmcf->ice_servers == NGX_CONF_UNSET_PTR) {
        rmcf->ice_servers = ngx_array_create(cf->pool, 2,
                                             sizeof(ngx_rtc_ice_server_t));
        if (rmcf->ice_servers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    srv = ngx_array_push(rmcf->ice_servers);
    if (srv == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(srv, sizeof(ngx_rtc_ice_server_t));
    srv->url = value[1];

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "username=", 9) == 0) {
            srv->username.data = value[i].data + 9;
            srv->username.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "credential=", 11) == 0) {
            srv->credential.data = value[i].data + 11;
            srv->credential.len = value[i].len - 11;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rtc_ice_server parameter \"%V\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* rtc_ice_allow | rtc_ice_deny  address | CIDR | all, as allow/deny */

static char *
ngx_rtc_ice_acl(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    return ngx_rtc_acl_add(cf, &rmcf->ice_acl, &value[1], cmd->offset);
}


/* a rule of an address, a CIDR or "all" at the end of *acl (made if NULL) */

static char *
ngx_rtc_acl_add(ngx_conf_t *cf, ngx_array_t **acl, ngx_str_t *value,
    ngx_uint_t deny)
{
    ngx_rtc_acl_rule_t  *rule;

    if (*acl == NULL) {
        *acl = ngx_array_create(cf->pool, 4, sizeof(ngx_rtc_acl_rule_t));
        if (*acl == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(*acl);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    rule->deny = deny;

    return ngx_rtc_acl_parse(cf, value, rule);
}


/* an address, a CIDR or "all" into a rule; rule->deny is the caller's */

static char *
ngx_rtc_acl_parse(ngx_conf_t *cf, ngx_str_t *value, ngx_rtc_acl_rule_t *rule)
{
    ngx_int_t  rc;

    ngx_memzero(&rule->cidr, sizeof(ngx_cidr_t));

    if (value->len == 3 && ngx_strncmp(value->data, "all", 3) == 0) {
        return NGX_CONF_OK;
    }

    rc = ngx_ptocidr(value, &rule->cidr);

    if (rc == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", value);
        return NGX_CONF_ERROR;
    }

    if (rc == NGX_DONE) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "low address bits of %V are meaningless", value);
    }

    return NGX_CONF_OK;
}


/*
 * rtc_candidate: IP addresses, every one of them (ICE candidates carry an
 * address, never a name: RFC 8445 5.1.1)
 */

static char *
ngx_rtc_candidate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_main_conf_t *rmcf = conf;

    ngx_int_t    rc;
    ngx_str_t   *value, *s;
    ngx_uint_t   i;
    ngx_addr_t   addr;

    if (rmcf->candidates == NGX_CONF_UNSET_PTR) {
        rmcf->candidates = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (rmcf->candidates == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        rc = ngx_parse_addr(cf->pool, &addr, value[i].data, value[i].len);

        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        if (rc != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "rtc_candidate \"%V\" is not an IP address "
                               "(IPv4 or IPv6, no port, no name)", &value[i]);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(rmcf->candidates);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


/* the first location of the module's: it needs a zone (checked later) */

static void
ngx_rtc_conf_endpoint(ngx_conf_t *cf, ngx_command_t *cmd)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtc_module);

    if (rmcf->endpoint.len == 0 && cf->conf_file) {
        rmcf->endpoint = cmd->name;
        rmcf->endpoint_file = cf->conf_file->file.name;
        rmcf->endpoint_line = cf->conf_file->line;
    }
}


static char *
ngx_rtc_whep(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_rtc_conf_endpoint(cf, cmd);

    if (rlcf->whep != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    rlcf->whep = 1;

    if (ngx_rtc_conf_stream_name(cf, &rlcf->whep_stream) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_whep_handler;

    return NGX_CONF_OK;
}


/*
 * The optional argument of rtc_whep and rtc_snapshot: the stream's name,
 * with variables; none: *cv stays NULL, the name is the URI's last part.
 */

static char *
ngx_rtc_conf_stream_name(ngx_conf_t *cf, ngx_http_complex_value_t **cv)
{
    ngx_str_t                         *value;
    ngx_http_compile_complex_value_t   ccv;

    if (cf->args->nelts != 2) {
        return NGX_CONF_OK;
    }

    value = cf->args->elts;

    *cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (*cv == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = *cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* rtc_cors is sent as it is: an origin (RFC 6454, 6.2), visible ASCII */

static char *
ngx_rtc_cors_check(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t *origin = data;

    ngx_uint_t  i;

    for (i = 0; i < origin->len; i++) {
        if (origin->data[i] <= 0x20 || origin->data[i] >= 0x7f) {
            return "takes an origin: no blanks, control or non-ASCII "
                   "characters";
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_rtc_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_rtc_conf_endpoint(cf, cmd);

    if (rlcf->status != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    rlcf->status = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_status_handler;

    return NGX_CONF_OK;
}


/* rtc_metrics: the zone's counters for Prometheus */

static char *
ngx_rtc_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    ngx_rtc_conf_endpoint(cf, cmd);

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_rtc_metrics_handler;

    return NGX_CONF_OK;
}


/* rtc_snapshot [stream]: JPEGs of the newest keyframe */

static char *
ngx_rtc_snapshot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    ngx_rtc_main_conf_t       *rmcf;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_rtc_conf_endpoint(cf, cmd);

    if (rlcf->snapshot != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    rlcf->snapshot = 1;

    if (ngx_rtc_conf_stream_name(cf, &rlcf->snapshot_stream) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

#if !(NGX_THREADS)
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "rtc_snapshot needs nginx built --with-threads");
    return NGX_CONF_ERROR;
#endif

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtc_module);
    rmcf->snapshots = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_snapshot_handler;

    return NGX_CONF_OK;
}


/*
 * rtc_go2rtc_api [streams=dynamic] [allow=CIDR[,CIDR...]]: go2rtc's API
 * (ngx_rtc_go2rtc.c).  streams=dynamic lets PUT /api/streams make
 * streams of URLs whose addresses allow= lists (and no other).
 */

static char *
ngx_rtc_go2rtc_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    u_char                    *p, *last, *comma;
    ngx_str_t                 *value, v;
    ngx_uint_t                 i;
    ngx_rtc_main_conf_t       *rmcf;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_rtc_conf_endpoint(cf, cmd);

    if (rlcf->go2rtc != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    rlcf->go2rtc = 1;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "streams=dynamic") == 0) {
            rlcf->go2rtc_policy.dynamic = 1;
            continue;
        }

        if (ngx_strncmp(value[i].data, "allow=", 6) == 0
            && value[i].len > 6 && rlcf->go2rtc_policy.allow == NULL)
        {
            p = value[i].data + 6;
            last = value[i].data + value[i].len;

            while (p < last) {
                comma = ngx_strlchr(p, last, ',');
                if (comma == NULL) {
                    comma = last;
                }

                v.data = p;
                v.len = comma - p;
                p = comma + 1;

                if (v.len == 0) {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "an empty address in \"%V\"",
                                       &value[i]);
                    return NGX_CONF_ERROR;
                }

                if ((v.len == 3 && ngx_strncmp(v.data, "all", 3) == 0)
                    || (v.len > 2 && ngx_strncmp(v.data + v.len - 2, "/0", 2)
                                     == 0))
                {
                    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                                       "\"%V\" lets any caller of PUT "
                                       "/api/streams choose where nginx "
                                       "connects: list the camera networks",
                                       &v);
                }

                if (ngx_rtc_acl_add(cf, &rlcf->go2rtc_policy.allow, &v, 0)
                    != NGX_CONF_OK)
                {
                    return NGX_CONF_ERROR;
                }
            }

            /* what allow= does not list is denied */

            ngx_str_set(&v, "all");

            if (ngx_rtc_acl_add(cf, &rlcf->go2rtc_policy.allow, &v, 1)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (rlcf->go2rtc_policy.dynamic != (rlcf->go2rtc_policy.allow != NULL)) {
        return "needs streams=dynamic and allow= together: runtime streams "
               "pull only from the camera networks allow= lists";
    }

    /* runtime streams: the thread pool (audio=opus), rtsps:// cameras' TLS */

    if (rlcf->go2rtc_policy.dynamic) {
        rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtc_module);
        rmcf->runtime_dynamic = 1;
    }

#if !(NGX_THREADS)
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "rtc_go2rtc_api needs nginx built --with-threads "
                       "(frame.jpeg)");
    return NGX_CONF_ERROR;
#endif

    /* /api/frame.jpeg is rtc_snapshot's */

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtc_module);
    rmcf->snapshots = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_go2rtc_handler;

    /* "location /api/ {}": HA's "GET /api" is redirected to "/api/" */
    clcf->auto_redirect = 1;

    return NGX_CONF_OK;
}


/* rtc_go2rtc_version: the go2rtc version whose API we claim to speak */

static char *
ngx_rtc_go2rtc_version(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char        *rv;
    ngx_str_t   *v;
    ngx_uint_t   i;

    rv = ngx_conf_set_str_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    v = (ngx_str_t *) ((char *) conf + cmd->offset);

    for (i = 0; i < v->len; i++) {
        if (!((v->data[i] >= '0' && v->data[i] <= '9')
              || v->data[i] == '.' || v->data[i] == '-'
              || (v->data[i] >= 'a' && v->data[i] <= 'z')))
        {
            return "takes a version: digits, dots, \"-\" and a-z";
        }
    }

    if (v->len == 0 || v->len > 32) {
        return "takes a version of 1 to 32 characters";
    }

    return NGX_CONF_OK;
}


/* rtc_player [whep_prefix]: the player page; "/whep/" by default */

static char *
ngx_rtc_player(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_rtc_loc_conf_t *rlcf = conf;

    u_char                    *p;
    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_rtc_conf_endpoint(cf, cmd);

    if (rlcf->player.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 1) {
        ngx_str_set(&rlcf->player, "/whep/");

    } else {
        rlcf->player = value[1];

        if (rlcf->player.len == 0
            || rlcf->player.data[rlcf->player.len - 1] != '/')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "rtc_player: the WHEP prefix \"%V\" must end "
                               "with \"/\" (the stream name follows it)",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        for (p = rlcf->player.data;
             p < rlcf->player.data + rlcf->player.len;
             p++)
        {
            if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "rtc_player: invalid character in the "
                                   "WHEP prefix \"%V\"", &value[1]);
                return NGX_CONF_ERROR;
            }
        }
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_rtc_player_handler;

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

    /* the zone has a slot for each (ngx_rtc_shm_init_zone() checked) */

    rmcf->nworkers = ccf->worker_processes;

    rmcf->eventfd = ngx_palloc(cycle->pool, rmcf->nworkers * sizeof(ngx_fd_t));
    if (rmcf->eventfd == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < rmcf->nworkers; i++) {
        rmcf->eventfd[i] = -1;
    }

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

    ngx_rtc_ffmpeg_init_log();

    if (ngx_rtc_gloop_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_rtc_shm_enter(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_rtc_latency_init_process(&ngx_rtc_shm_slot(ngx_worker)->latency,
                                 &ngx_rtc_shm_pool()->mutex);

    if (ngx_rtc_send_init_process(cycle, rmcf->udp_gso,
                                  rmcf->io_uring) != NGX_OK) {
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

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        ngx_rtc_shm_leave();
    }

    ngx_rtc_producer_exit_process(cycle);
    ngx_rtc_stream_exit_process(cycle);
    ngx_rtc_gloop_done(cycle);
}
