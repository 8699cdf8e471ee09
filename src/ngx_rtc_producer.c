/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_ffmpeg.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_stream.h>


/*
 * Producers: the worker that wins a stream's lease runs its source and
 * appends the source's frames to the stream's ring.  A timer renews the
 * leases, starts sources that are wanted and stops those left idle.
 */


#define NGX_RTC_PRODUCER_TICK  250


typedef struct {
    ngx_rtc_stream_conf_t    *conf;
    ngx_rtc_stream_sh_t      *sh;
    ngx_rtc_ring_sh_t        *ring;
    ngx_rtc_rtsp_t           *rtsp;
    ngx_rtc_ffmpeg_t         *ffmpeg;
} ngx_rtc_producer_t;


typedef struct {
    ngx_rtc_producer_t       *producers;
    ngx_uint_t                nproducers;
    ngx_event_t               timer;
    ngx_uint_t                ticks;
} ngx_rtc_producers_t;


static void ngx_rtc_producer_tick(ngx_event_t *ev);
static void ngx_rtc_producer_start(ngx_rtc_producer_t *p);
static void ngx_rtc_producer_stop(ngx_rtc_producer_t *p);
static void ngx_rtc_producer_frame(void *data, ngx_rtc_frame_t *f,
    u_char *au, size_t len);
static void ngx_rtc_producer_codec(void *data, ngx_uint_t track,
    ngx_uint_t codec, ngx_uint_t clock, ngx_uint_t channels);
static void ngx_rtc_producer_state(void *data, ngx_uint_t state,
    ngx_str_t *reason);


/* the worker's producers: a per-process singleton */
static ngx_rtc_producers_t  ngx_rtc_producers;


ngx_int_t
ngx_rtc_producer_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t              i;
    ngx_rtc_shctx_t        *ctx;
    ngx_rtc_producer_t     *p;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_stream_conf_t  *scf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtc_module);
    ctx = ngx_rtc_shm_ctx();

    ngx_rtc_producers.nproducers = rmcf->streams.nelts;
    ngx_rtc_producers.producers = ngx_pcalloc(cycle->pool,
                                        rmcf->streams.nelts
                                        * sizeof(ngx_rtc_producer_t));
    if (ngx_rtc_producers.producers == NULL) {
        return NGX_ERROR;
    }

    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        p = &ngx_rtc_producers.producers[i];
        p->conf = &scf[i];
        p->sh = &ctx->streams[scf[i].index];
        p->ring = ngx_rtc_shm_ring(p->sh);
    }

    ngx_rtc_producers.timer.handler = ngx_rtc_producer_tick;
    ngx_rtc_producers.timer.log = cycle->log;
    ngx_rtc_producers.timer.data = &ngx_rtc_producers;
    ngx_rtc_producers.timer.cancelable = 1;

    ngx_add_timer(&ngx_rtc_producers.timer, 1);

    return NGX_OK;
}


void
ngx_rtc_producer_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t           i;
    ngx_rtc_producer_t  *p;

    if (ngx_rtc_producers.timer.timer_set) {
        ngx_del_timer(&ngx_rtc_producers.timer);
    }

    for (i = 0; i < ngx_rtc_producers.nproducers; i++) {
        p = &ngx_rtc_producers.producers[i];

        if (p->rtsp || p->ffmpeg) {
            ngx_rtc_producer_stop(p);
            ngx_rtc_shm_release(p->conf->index);
        }
    }
}


/* a viewer arrived: look for work now rather than at the next tick */

void
ngx_rtc_producer_kick(void)
{
    if (ngx_rtc_producers.timer.timer_set) {
        ngx_del_timer(&ngx_rtc_producers.timer);
    }

    ngx_add_timer(&ngx_rtc_producers.timer, 1);
}


static void
ngx_rtc_producer_tick(ngx_event_t *ev)
{
    ngx_int_t            rc;
    ngx_uint_t           i;
    ngx_rtc_producer_t  *p;

    if (ngx_exiting || ngx_terminate || ngx_quit) {

        /* hand the streams over to the new workers; keep the viewers */

        ngx_rtc_producer_exit_process((ngx_cycle_t *) ngx_cycle);
        ngx_rtc_stream_exiting();
        return;
    }

    for (i = 0; i < ngx_rtc_producers.nproducers; i++) {
        p = &ngx_rtc_producers.producers[i];

        rc = ngx_rtc_shm_claim(p->conf->index, p->conf->always, p->conf->idle);

        if (rc == NGX_OK && p->rtsp == NULL && p->ffmpeg == NULL) {
            ngx_rtc_producer_start(p);

        } else if (rc != NGX_OK && (p->rtsp || p->ffmpeg)) {
            ngx_rtc_producer_stop(p);
        }
    }

    if (++ngx_rtc_producers.ticks % 4 == 0) {
        ngx_rtc_shm_purge((ngx_cycle_t *) ngx_cycle);
    }

    ngx_add_timer(ev, NGX_RTC_PRODUCER_TICK);
}


static void
ngx_rtc_producer_start(ngx_rtc_producer_t *p)
{
    ngx_rtc_rtsp_conf_t     rc;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_ffmpeg_conf_t   fc;

    if (p->conf->source == NGX_RTC_SOURCE_FFMPEG) {

        /* the URL may hold credentials: the source logs it redacted */

        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc producer \"%V\" starts", &p->conf->name);

        rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                   ngx_http_rtc_module);

        ngx_memzero(&fc, sizeof(ngx_rtc_ffmpeg_conf_t));

        fc.url.data = p->conf->url.data + sizeof("ffmpeg:") - 1;
        fc.url.len = p->conf->url.len - (sizeof("ffmpeg:") - 1);
        fc.timeout = 10000;
        fc.pool = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle,
                                      &rmcf->thread_pool);
        fc.log = ngx_cycle->log;
        fc.audio = p->conf->audio;
        fc.loop = p->conf->loop;
        fc.transcode_h264 = p->conf->transcode_h264;
        fc.data = p;
        fc.frame = ngx_rtc_producer_frame;
        fc.codec = ngx_rtc_producer_codec;
        fc.state = ngx_rtc_producer_state;

        if (fc.pool == NULL) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "rtc producer \"%V\": no thread pool \"%V\"",
                          &p->conf->name, &rmcf->thread_pool);

        } else {
            p->ffmpeg = ngx_rtc_ffmpeg_start(&fc);
        }

        if (p->ffmpeg == NULL) {
            ngx_rtc_shm_release(p->conf->index);
        }

        return;
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "rtc producer \"%V\" starts %V",
                  &p->conf->name, &p->conf->redacted);

    ngx_memzero(&rc, sizeof(ngx_rtc_rtsp_conf_t));

    rc.url = p->conf->url;
    rc.udp = p->conf->udp;
    rc.audio = p->conf->audio;
    rc.timeout = 10000;
    rc.log = ngx_cycle->log;
    rc.data = p;
    rc.frame = ngx_rtc_producer_frame;
    rc.codec = ngx_rtc_producer_codec;
    rc.state = ngx_rtc_producer_state;
    rc.addr = p->conf->addr;
    rc.resolver = p->conf->resolver;
    rc.resolver_timeout = p->conf->resolver_timeout;

    p->rtsp = ngx_rtc_rtsp_start(&rc);

    if (p->rtsp == NULL) {
        ngx_rtc_shm_release(p->conf->index);
    }
}


static void
ngx_rtc_producer_stop(ngx_rtc_producer_t *p)
{
    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "rtc producer \"%V\" stops", &p->conf->name);

    if (p->ffmpeg) {
        ngx_rtc_ffmpeg_stop(p->ffmpeg);
        p->ffmpeg = NULL;
    }

    if (p->rtsp) {
        ngx_rtc_rtsp_stop(p->rtsp);
        p->rtsp = NULL;
    }
}


static void
ngx_rtc_producer_frame(void *data, ngx_rtc_frame_t *f, u_char *au,
    size_t len)
{
    ngx_rtc_producer_t *p = data;

    if (ngx_rtc_ring_write(p->ring, f, au, len) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "rtc producer \"%V\" dropped a %uz-byte frame: "
                      "buffer too small", &p->conf->name, len);
        return;
    }

    /* single writer: only the owner updates these counters */

    p->sh->frames_in++;
    p->sh->bytes_in += len;

    if (f->flags & NGX_RTC_FRAME_KEY) {
        p->sh->keyframes_in++;
    }

    ngx_rtc_shm_wake(p->sh);
}


static void
ngx_rtc_producer_codec(void *data, ngx_uint_t track, ngx_uint_t codec,
    ngx_uint_t clock, ngx_uint_t channels)
{
    ngx_rtc_producer_t *p = data;

    if (track == NGX_RTC_TRACK_VIDEO) {
        p->sh->codec = codec;
        return;
    }

    p->sh->audio_clock = clock;
    p->sh->audio_channels = channels;
    ngx_memory_barrier();
    p->sh->audio_codec = codec;
}


static void
ngx_rtc_producer_state(void *data, ngx_uint_t state, ngx_str_t *reason)
{
    ngx_rtc_producer_t *p = data;

    ngx_uint_t  st;

    switch (state) {

    case NGX_RTC_RTSP_PLAYING:
        st = NGX_RTC_STREAM_PLAYING;
        break;

    case NGX_RTC_RTSP_RETRYING:
        st = NGX_RTC_STREAM_RETRYING;
        break;

    default:
        st = NGX_RTC_STREAM_CONNECTING;
    }

    ngx_rtc_shm_stream_error(p->sh, st, reason);
}
