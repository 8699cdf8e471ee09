/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_H_INCLUDED_
#define _NGX_RTC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc_runtime.h>


/*
 * Streams in one nginx, configured and made at run time: the entries of
 * the zone's stream table (792 bytes each) and of each worker slot's
 * pending set (NGX_RTC_SLOT_STREAMS)
 */
/* the module's version: debian/changelog's (t/e2e/metrics.test.js) */
#define NGX_RTC_VERSION          "0.2.0"

#define NGX_RTC_MAX_STREAMS      1024
#define NGX_RTC_NAME_LEN         64
#define NGX_RTC_ERROR_LEN        160
#define NGX_RTC_ID_LEN           16          /* session id bytes */
#define NGX_RTC_MTU              1200

#define NGX_RTC_HTTP_NOT_ACCEPTABLE  406


typedef struct ngx_rtc_stream_sh_s   ngx_rtc_stream_sh_t;
typedef struct ngx_rtc_session_sh_s  ngx_rtc_session_sh_t;
typedef struct ngx_rtc_shctx_s       ngx_rtc_shctx_t;
typedef struct ngx_rtc_stream_s      ngx_rtc_stream_t;
typedef struct ngx_rtc_session_s     ngx_rtc_session_t;


#define NGX_RTC_SOURCE_RTSP      0
#define NGX_RTC_SOURCE_FFMPEG    1
#define NGX_RTC_SOURCE_WHEP      2        /* whep://, wheps:// */

#define NGX_RTC_AUDIO_COPY       0        /* pass through what the camera sends */
#define NGX_RTC_AUDIO_OPUS       1        /* transcode AAC (and others) to Opus */
#define NGX_RTC_AUDIO_OFF        2        /* video only */


typedef struct {
    ngx_str_t                 name;
    ngx_str_t                 url;        /* may hold credentials */
    ngx_str_t                 redacted;   /* for logs and status */
    ngx_str_t                 file;       /* where, for later errors */
    ngx_uint_t                line;
    ngx_msec_t                idle;
    size_t                    buffer;
    ngx_uint_t                index;
    ngx_uint_t                source;     /* NGX_RTC_SOURCE_* */
    ngx_uint_t                audio;      /* NGX_RTC_AUDIO_* */
    ngx_uint_t                max_sessions;   /* 0: no per-stream limit */
    ngx_msec_t                timeout;    /* rtsp:// timeout=; 0: 10 s */
    unsigned                  always:1;
    unsigned                  udp:1;      /* transport=udp */
    unsigned                  loop:1;     /* ffmpeg: restart at EOF */
    unsigned                  transcode_h264:1;

    /* whep://: the bearer token (token= or the URL's userinfo); secret */
    ngx_str_t                 token;

    /* rtsp://, whep://: the address, or the resolver of the name */
    ngx_addr_t               *addr;
    ngx_resolver_t           *resolver;
    ngx_msec_t                resolver_timeout;
} ngx_rtc_stream_conf_t;


typedef struct {
    ngx_str_t                 url;        /* stun:host:port, turn:host:port */
    ngx_str_t                 username;
    ngx_str_t                 credential;
} ngx_rtc_ice_server_t;


typedef struct {
    ngx_shm_zone_t           *shm_zone;
    ngx_array_t               streams;    /* of ngx_rtc_stream_conf_t */
    ngx_array_t              *candidates; /* of ngx_str_t */
    ngx_array_t              *ice_servers;   /* of ngx_rtc_ice_server_t */
    ngx_flag_t                ice_tcp;
    ngx_array_t              *ice_acl;    /* of ngx_rtc_acl_rule_t */
    ngx_uint_t                port_min;
    ngx_uint_t                port_max;
    ngx_uint_t                rtsp_port_min;  /* RTP/RTCP over UDP from cameras */
    ngx_uint_t                rtsp_port_max;
    ngx_flag_t                rtsp_ssl_verify;
    ngx_str_t                 rtsp_ssl_trusted_certificate;
    ngx_str_t                 thread_pool;
    ngx_uint_t                max_sessions;
    ngx_msec_t                wait_timeout;
    void                     *dtls;       /* ngx_rtc_dtls_ctx_t */
    ngx_fd_t                 *eventfd;    /* one per worker slot */
    ngx_uint_t                nworkers;
    ngx_flag_t                snapshots;  /* an rtc_snapshot location */
    ngx_str_t                 endpoint;   /* the first rtc_whep, ...: */
    ngx_str_t                 endpoint_file;      /* where, for errors */
    ngx_uint_t                endpoint_line;
    ngx_flag_t                udp_gso;    /* rtc_udp_gso */
    ngx_flag_t                io_uring;   /* rtc_io_uring */
    ngx_uint_t                fanout_budget;  /* rtc_fanout_budget */

    /* runtime streams (PUT /api/streams): rtc_zone runtime=, ... */
    ngx_uint_t                runtime_max;
    size_t                    runtime_buffer;
    ngx_msec_t                runtime_idle;
    ngx_flag_t                runtime_dynamic;   /* a location allows them */
    ngx_core_conf_t          *core;       /* worker_processes */
    ngx_atomic_uint_t         generation; /* this configuration's */
    uint64_t                  start;      /* the worker process start time */
} ngx_rtc_main_conf_t;


typedef struct {
    ngx_flag_t                whep;
    ngx_http_complex_value_t *whep_stream;
    ngx_flag_t                status;
    ngx_str_t                 cors;       /* Access-Control-Allow-Origin; "" off */
    ngx_str_t                 player;     /* rtc_player: the WHEP prefix */
    ngx_flag_t                snapshot;
    ngx_http_complex_value_t *snapshot_stream;
    ngx_flag_t                go2rtc;     /* rtc_go2rtc_api */
    ngx_rtc_runtime_policy_t  go2rtc_policy;
    ngx_str_t                 go2rtc_version;
} ngx_rtc_loc_conf_t;


extern ngx_module_t  ngx_http_rtc_module;


#include <ngx_rtc_frame.h>
#include <ngx_rtc_shm.h>


#endif /* _NGX_RTC_H_INCLUDED_ */
