/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SHM_H_INCLUDED_
#define _NGX_RTC_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_STREAM_IDLE        0
#define NGX_RTC_STREAM_CONNECTING  1
#define NGX_RTC_STREAM_PLAYING     2
#define NGX_RTC_STREAM_RETRYING    3

#define NGX_RTC_SESSION_FREE       0
#define NGX_RTC_SESSION_NEW        1
#define NGX_RTC_SESSION_CONNECTED  2
#define NGX_RTC_SESSION_MEDIA      3
#define NGX_RTC_SESSION_CLOSING    4

/* a producer whose heartbeat is older than this has died */
#define NGX_RTC_LEASE              2000


/* everything below lives in the zone: offsets and pids, no pointers */

struct ngx_rtc_stream_sh_s {
    u_char                    name[NGX_RTC_NAME_LEN];
    size_t                    name_len;
    size_t                    ring_off;       /* from the slab pool start */
    size_t                    ring_size;
    ngx_pid_t                 owner;          /* producer pid, 0: none */
    ngx_msec_t                heartbeat;      /* monotonic, all processes */
    ngx_msec_t                idle_since;
    ngx_uint_t                state;
    ngx_uint_t                codec;          /* video, NGX_RTC_CODEC_* */
    ngx_uint_t                audio_codec;    /* NGX_RTC_CODEC_NONE: none */
    ngx_uint_t                audio_clock;
    ngx_uint_t                audio_channels;
    ngx_uint_t                viewers;
    uint32_t                  slot_viewers[NGX_RTC_MAX_WORKERS];
    uint64_t                  frames_in;
    uint64_t                  bytes_in;
    uint64_t                  keyframes_in;
    size_t                    error_len;
    u_char                    error[NGX_RTC_ERROR_LEN];
};


struct ngx_rtc_session_sh_s {
    u_char                    id[NGX_RTC_ID_LEN];
    ngx_uint_t                state;
    ngx_uint_t                stream;
    ngx_uint_t                slot;
    ngx_pid_t                 pid;
    time_t                    created;
    ngx_atomic_t              close;          /* asked to close */
};


struct ngx_rtc_shctx_s {
    ngx_uint_t                nstreams;
    ngx_rtc_stream_sh_t       streams[NGX_RTC_MAX_STREAMS];
    ngx_atomic_t              wake[NGX_RTC_MAX_WORKERS];
    ngx_uint_t                nsessions;
    ngx_uint_t                sessions_used;
    ngx_rtc_session_sh_t      sessions[1];
};


ngx_int_t ngx_rtc_shm_add_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size);
ngx_rtc_shctx_t *ngx_rtc_shm_ctx(void);
ngx_slab_pool_t *ngx_rtc_shm_pool(void);
void *ngx_rtc_shm_ring(ngx_rtc_stream_sh_t *st);

ngx_int_t ngx_rtc_shm_session_add(ngx_uint_t stream, u_char *id,
    ngx_uint_t max);
void ngx_rtc_shm_session_del(u_char *id);
ngx_rtc_session_sh_t *ngx_rtc_shm_session_find(u_char *id);
ngx_int_t ngx_rtc_shm_session_close(u_char *id, ngx_uint_t *slot);
void ngx_rtc_shm_session_state(u_char *id, ngx_uint_t state);

ngx_int_t ngx_rtc_shm_claim(ngx_uint_t stream, ngx_uint_t always,
    ngx_msec_t idle);
void ngx_rtc_shm_release(ngx_uint_t stream);
void ngx_rtc_shm_purge(ngx_cycle_t *cycle);

void ngx_rtc_shm_wake(ngx_rtc_stream_sh_t *st);
void ngx_rtc_shm_wake_slot(ngx_uint_t slot);

void ngx_rtc_shm_stream_error(ngx_rtc_stream_sh_t *st, ngx_uint_t state,
    ngx_str_t *error);


#endif /* _NGX_RTC_SHM_H_INCLUDED_ */
