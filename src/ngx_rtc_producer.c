/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_rtsp_stats.h>
#include <ngx_rtc_whep_source.h>
#include <ngx_rtc_ffmpeg.h>
#include <ngx_rtc_transcode.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_runtime.h>


/*
 * Producers: the worker that wins a stream's lease runs its source and
 * appends the source's frames to the stream's ring.  A timer renews the
 * leases, starts sources that are wanted and stops those left idle.
 *
 * transcode=h264 is the producer's, whatever the source: its video access
 * units go through the transcoder (libavcodec in the thread pool, a
 * bounded queue that drops to the next keyframe when the pool falls
 * behind) and come back to the event loop as H.264, which the ring gets
 * through the same ngx_rtc_producer_frame() as any frame.  A transcoder
 * that fails stops the source, which starts again after a backoff.
 */


#define NGX_RTC_PRODUCER_TICK         250
#define NGX_RTC_PRODUCER_BACKOFF_MIN  1000
#define NGX_RTC_PRODUCER_BACKOFF_MAX  30000

/* at most one log line per stream and kind of trouble in this time */
#define NGX_RTC_PRODUCER_LOG   10000


typedef struct {
    ngx_rtc_stream_conf_t    *conf;
    ngx_rtc_stream_sh_t      *sh;
    ngx_rtc_ring_sh_t        *ring;
    ngx_rtc_rtsp_t           *rtsp;
    ngx_rtc_whep_source_t    *whep;
    ngx_rtc_ffmpeg_t         *ffmpeg;
    ngx_rtc_transcode_t      *vtc;        /* transcode=h264 */
    ngx_msec_t                backoff;    /* after a transcoder failed */
    ngx_msec_t                resume;     /* no start before this */
    ngx_uint_t                paused;

    ngx_rtc_lease_t           lease;     /* epoch: the one we write under */
    unsigned                  fenced:1;  /* the ring refused: stop */
    unsigned                  busy:1;    /* a fenced writer is in a write */
    unsigned                  gop_warned:1;

    /* the source's counts last read, one for each NGX_RTC_TRACK_* */
    ngx_rtc_source_stats_t    stats[2];

    ngx_msec_t                big_logged;
    ngx_uint_t                big_dropped;
    size_t                    big_max;
    ngx_msec_t                busy_logged;
    size_t                    gop_bytes; /* since the last keyframe */
    ngx_log_t                 log;       /* its source's: names the stream */
} ngx_rtc_producer_t;


typedef struct {
    ngx_rtc_producer_t       *producers;
    ngx_uint_t                nproducers;
    ngx_uint_t                capacity;   /* configured + runtime streams */
    ngx_event_t               timer;
    ngx_uint_t                ticks;
} ngx_rtc_producers_t;


static void ngx_rtc_producer_stop_all(void);
static void ngx_rtc_producer_tick(ngx_event_t *ev);
static u_char *ngx_rtc_producer_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static void ngx_rtc_producer_start(ngx_rtc_producer_t *p);
static void ngx_rtc_producer_stop(ngx_rtc_producer_t *p);
static void ngx_rtc_producer_source_frame(void *data, ngx_rtc_frame_t *f,
    u_char *au, size_t len);
static void ngx_rtc_producer_frame(void *data, ngx_rtc_frame_t *f,
    u_char *au, size_t len);
static ngx_uint_t ngx_rtc_producer_video(ngx_rtc_producer_t *p,
    ngx_uint_t codec, ngx_uint_t flags);
static void ngx_rtc_producer_transcoded(void *data, ngx_rtc_frame_t *f,
    u_char *au, size_t len);
static void ngx_rtc_producer_transcode_error(void *data, ngx_str_t *reason);
static void ngx_rtc_producer_codec(void *data, ngx_uint_t track,
    ngx_uint_t codec, ngx_uint_t clock, ngx_uint_t channels);
static void ngx_rtc_producer_state(void *data, ngx_uint_t state,
    ngx_str_t *reason);
static void ngx_rtc_producer_lost(ngx_rtc_producer_t *p, uint64_t epoch);
static void ngx_rtc_producer_busy(ngx_rtc_producer_t *p);
static void ngx_rtc_producer_stats(ngx_rtc_producer_t *p);
static uint64_t ngx_rtc_producer_count(uint64_t now, uint64_t *last);
static void ngx_rtc_producer_too_big(ngx_rtc_producer_t *p, size_t len);
static void ngx_rtc_producer_gop(ngx_rtc_producer_t *p, ngx_rtc_frame_t *f,
    size_t len);


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

    /* runtime streams join later: ngx_rtc_producer_add() */

    ngx_rtc_producers.nproducers = rmcf->streams.nelts;
    ngx_rtc_producers.capacity = rmcf->streams.nelts
                                 + ngx_rtc_shm_runtime_room();
    ngx_rtc_producers.producers = ngx_pcalloc(cycle->pool,
                                        ngx_rtc_producers.capacity
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
    /* the event loop is over: whep:// sources can send nothing more */

    ngx_rtc_whep_source_exit_process();

    ngx_rtc_producer_stop_all();
}


static void
ngx_rtc_producer_stop_all(void)
{
    ngx_uint_t           i;
    ngx_rtc_producer_t  *p;

    if (ngx_rtc_producers.timer.timer_set) {
        ngx_del_timer(&ngx_rtc_producers.timer);
    }

    for (i = 0; i < ngx_rtc_producers.nproducers; i++) {
        p = &ngx_rtc_producers.producers[i];

        if (p->rtsp || p->whep || p->ffmpeg || p->paused) {
            ngx_rtc_producer_stop(p);
            ngx_rtc_shm_release(p->conf->index, &p->lease);
        }
    }
}


/* a runtime stream, for its entry of the zone: ngx_rtc_runtime_sync() */

ngx_int_t
ngx_rtc_producer_add(ngx_rtc_stream_conf_t *conf)
{
    ngx_rtc_producer_t  *p;

    if (ngx_rtc_producers.nproducers == ngx_rtc_producers.capacity) {
        return NGX_ERROR;
    }

    p = &ngx_rtc_producers.producers[ngx_rtc_producers.nproducers++];

    ngx_memzero(p, sizeof(ngx_rtc_producer_t));

    p->conf = conf;
    p->sh = &ngx_rtc_shm_ctx()->streams[conf->index];
    p->ring = ngx_rtc_shm_ring(p->sh);

    return NGX_OK;
}


/*
 * A runtime stream's source changed: the running source stops, before its
 * configuration changes; the lease stays, and the next tick starts the new
 * source.
 */

void
ngx_rtc_producer_restart(ngx_rtc_stream_conf_t *conf)
{
    ngx_uint_t           i;
    ngx_rtc_producer_t  *p;

    for (i = 0; i < ngx_rtc_producers.nproducers; i++) {
        p = &ngx_rtc_producers.producers[i];

        if (p->conf == conf && (p->rtsp || p->ffmpeg)) {
            ngx_rtc_producer_stop(p);
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
    uint64_t             epoch;
    ngx_int_t            rc;
    ngx_uint_t           i;
    ngx_rtc_producer_t  *p;

    if (ngx_exiting || ngx_terminate || ngx_quit) {

        /* hand the streams over to the new workers; keep the viewers */

        ngx_rtc_producer_stop_all();
        ngx_rtc_stream_exiting();
        return;
    }

    /* runtime streams made or changed by a request in any worker */

    ngx_rtc_runtime_sync();

    for (i = 0; i < ngx_rtc_producers.nproducers; i++) {
        p = &ngx_rtc_producers.producers[i];

        epoch = p->lease.epoch;

        /*
         * An on-demand stream nobody wants and nobody produces, the most
         * of a large configuration: nothing to claim or clear, seen
         * without the lock (a viewer that came meanwhile is seen at the
         * next tick, or at once in its own worker: the kick).
         */

        if (epoch == 0 && !p->conf->always && !p->paused
            && !ngx_rtc_shm_claim_needed(p->sh))
        {
            continue;
        }

        rc = ngx_rtc_shm_claim(p->conf->index, p->conf->always, p->conf->idle,
                               &p->lease);

        if (rc == NGX_ABORT) {
            ngx_rtc_producer_lost(p, epoch);
            continue;
        }

        if (rc == NGX_OK && p->lease.epoch != epoch) {

            /* a new lease: never write under an older one's source */

            if (p->rtsp || p->whep || p->ffmpeg) {
                ngx_rtc_producer_stop(p);
            }

            p->fenced = 0;
            p->busy = p->lease.busy;
            p->gop_bytes = 0;

            if (p->lease.fenced && p->lease.fenced != ngx_pid) {
                ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                              "rtc producer: took stream \"%V\" over from "
                              "pid %P (epoch %uL->%uL)", &p->conf->name,
                              p->lease.fenced, p->lease.current - 1,
                              p->lease.current);
            }
        }

        if (p->busy) {
            ngx_rtc_producer_busy(p);
        }

        if (p->rtsp || p->whep) {
            ngx_rtc_producer_stats(p);
        }

        if (p->paused
            && (rc != NGX_OK
                || (ngx_msec_int_t) (ngx_current_msec - p->resume) >= 0))
        {
            p->paused = 0;
        }

        if (rc == NGX_OK && p->rtsp == NULL && p->whep == NULL
            && p->ffmpeg == NULL && !p->paused)
        {
            ngx_rtc_producer_start(p);

        } else if (rc != NGX_OK && (p->rtsp || p->whep || p->ffmpeg)) {
            ngx_rtc_producer_stop(p);
        }
    }

    if (++ngx_rtc_producers.ticks % 4 == 0) {
        ngx_rtc_shm_purge((ngx_cycle_t *) ngx_cycle);
    }

    ngx_add_timer(ev, NGX_RTC_PRODUCER_TICK);
}


static u_char *
ngx_rtc_producer_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char              *p;
    ngx_rtc_producer_t  *pr;

    pr = log->data;
    p = buf;

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s", log->action);
        len -= p - buf;
    }

    return ngx_snprintf(p, len, ", stream: \"%V\"", &pr->conf->name);
}


static void
ngx_rtc_producer_start(ngx_rtc_producer_t *p)
{
    ngx_rtc_rtsp_conf_t          rc;
    ngx_rtc_main_conf_t         *rmcf;
    ngx_rtc_ffmpeg_conf_t        fc;
    ngx_rtc_source_conf_t        sc;
    ngx_rtc_whep_source_conf_t   wc;

    /* the settings and callbacks every source takes (ngx_rtc_source.h) */

    ngx_memzero(&sc, sizeof(ngx_rtc_source_conf_t));

    /* what the source logs names the stream: ", stream: "name"" */

    p->log = *ngx_cycle->log;
    p->log.handler = ngx_rtc_producer_log_error;
    p->log.data = p;
    p->log.action = NULL;

    /* a new source counts from zero */

    ngx_memzero(p->stats, sizeof(p->stats));

    sc.url = p->conf->url;
    sc.name = p->conf->name;
    sc.timeout = 10000;
    sc.audio = p->conf->audio;
    sc.log = &p->log;
    sc.data = p;
    sc.frame = ngx_rtc_producer_source_frame;
    sc.codec = ngx_rtc_producer_codec;
    sc.state = ngx_rtc_producer_state;
    sc.addr = p->conf->addr;
    sc.resolver = p->conf->resolver;
    sc.resolver_timeout = p->conf->resolver_timeout;

    switch (p->conf->source) {

    case NGX_RTC_SOURCE_FFMPEG:

        /* the URL may hold credentials: the source logs it redacted */

        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc producer \"%V\" starts", &p->conf->name);

        rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                   ngx_http_rtc_module);

        fc.source = sc;
        fc.source.url.data += sizeof("ffmpeg:") - 1;
        fc.source.url.len -= sizeof("ffmpeg:") - 1;
        fc.pool = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle,
                                      &rmcf->thread_pool);
        fc.loop = p->conf->loop;

        if (fc.pool == NULL) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "rtc producer \"%V\": no thread pool \"%V\"",
                          &p->conf->name, &rmcf->thread_pool);
            break;
        }

        p->ffmpeg = ngx_rtc_ffmpeg_start(&fc);
        break;

    case NGX_RTC_SOURCE_WHEP:
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc producer \"%V\" starts %V",
                      &p->conf->name, &p->conf->redacted);

        wc.source = sc;

        /* an origin may take its rtc_wait_timeout (10 s) to answer */
        wc.source.timeout = 15000;
        wc.token = p->conf->token;

        p->whep = ngx_rtc_whep_source_start(&wc);
        break;

    default: /* NGX_RTC_SOURCE_RTSP */
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc producer \"%V\" starts %V",
                      &p->conf->name, &p->conf->redacted);

        rc.source = sc;
        rc.udp = p->conf->udp;

        if (p->conf->timeout) {
            rc.source.timeout = p->conf->timeout;     /* timeout= */
        }

        p->rtsp = ngx_rtc_rtsp_start(&rc);
    }

    if (p->rtsp == NULL && p->whep == NULL && p->ffmpeg == NULL) {
        ngx_rtc_shm_release(p->conf->index, &p->lease);
    }
}


static void
ngx_rtc_producer_stop(ngx_rtc_producer_t *p)
{
    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "rtc producer \"%V\" stops", &p->conf->name);

    /* what the source counted since the last tick */

    if (p->rtsp || p->whep) {
        ngx_rtc_producer_stats(p);
    }

    if (p->ffmpeg) {
        ngx_rtc_ffmpeg_stop(p->ffmpeg);
        p->ffmpeg = NULL;
    }

    if (p->rtsp) {
        ngx_rtc_rtsp_stop(p->rtsp);
        p->rtsp = NULL;
    }

    if (p->whep) {
        ngx_rtc_whep_source_stop(p->whep);
        p->whep = NULL;
    }

    if (p->vtc) {
        ngx_rtc_transcode_destroy(p->vtc);
        p->vtc = NULL;
    }
}


/* a frame from the source: video through the transcoder if there is one */

static void
ngx_rtc_producer_source_frame(void *data, ngx_rtc_frame_t *f, u_char *au,
    size_t len)
{
    ngx_rtc_producer_t *p = data;

    if (p->vtc && f->track == NGX_RTC_TRACK_VIDEO) {

        /* NGX_DECLINED and NGX_ERROR: it has logged or will say why */

        (void) ngx_rtc_transcode_push(p->vtc, f, au, len);
        return;
    }

    ngx_rtc_producer_frame(data, f, au, len);
}


static void
ngx_rtc_producer_frame(void *data, ngx_rtc_frame_t *f, u_char *au,
    size_t len)
{
    ngx_rtc_producer_t *p = data;

    ngx_int_t  rc;

    if (p->fenced) {
        return;
    }

    /* never a write before the zone knows the fenced one has ended */

    if (p->busy) {
        ngx_rtc_producer_busy(p);

        if (p->busy) {
            return;
        }
    }

    rc = ngx_rtc_ring_write(p->ring, p->lease.epoch, f, au, len);

    switch (rc) {

    case NGX_OK:
        break;

    case NGX_ABORT:

        /*
         * Another worker took the stream over while this one stalled.
         * The source is stopped from the timer, not from its own callback.
         */

        p->fenced = 1;
        ngx_rtc_producer_kick();
        return;

    case NGX_BUSY:
        p->busy = 1;
        return;

    default: /* NGX_DECLINED */
        ngx_rtc_producer_too_big(p, len);
        return;
    }

    ngx_rtc_producer_gop(p, f, len);

    /* single writer: only the owner updates these counters */

    p->sh->frames_in++;
    p->sh->bytes_in += len;

    if (f->flags & NGX_RTC_FRAME_KEY) {
        p->sh->keyframes_in++;
    }

    ngx_rtc_shm_wake(p->sh);
}


/*
 * This worker held the stream under "epoch" and lost it (it stalled
 * longer than the lease, another worker took over): stop the source, which
 * closes the camera connection, and leave the stream to its new owner.
 */

static void
ngx_rtc_producer_lost(ngx_rtc_producer_t *p, uint64_t epoch)
{
    if (p->lease.owner) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "rtc producer: lost stream \"%V\" to pid %P "
                      "(epoch %uL->%uL), stopping", &p->conf->name,
                      p->lease.owner, epoch, p->lease.current);

    } else {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "rtc producer: lost stream \"%V\": lease expired "
                      "(epoch %uL->%uL), stopping", &p->conf->name,
                      epoch, p->lease.current);
    }

    if (p->rtsp || p->whep || p->ffmpeg) {
        ngx_rtc_producer_stop(p);
    }

    p->fenced = 0;
    p->busy = 0;
}


/*
 * The previous owner was fenced inside a ring write: the ring takes no
 * frame until that write ends.  If its worker is gone, end it here.  Once
 * it has ended, the zone forgets whose it was before this worker writes
 * (ngx_rtc_shm_write_ended()).
 */

static void
ngx_rtc_producer_busy(ngx_rtc_producer_t *p)
{
    ngx_pid_t  pid;

    if (!ngx_rtc_ring_writing(p->ring)) {
        ngx_rtc_shm_write_ended(p->conf->index, &p->lease);
        p->busy = 0;
        return;
    }

    pid = p->lease.writing;

    if (pid == 0 || pid == ngx_pid
        || (kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH))
    {
        if (ngx_rtc_ring_recover(p->ring, p->lease.epoch)) {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "rtc producer \"%V\": ended the write left by "
                          "exited pid %P", &p->conf->name, pid);
        }

        if (!ngx_rtc_ring_writing(p->ring)) {
            ngx_rtc_shm_write_ended(p->conf->index, &p->lease);
            p->busy = 0;
        }

        return;
    }

    if (ngx_current_msec - p->busy_logged >= NGX_RTC_PRODUCER_LOG
        || p->busy_logged == 0)
    {
        p->busy_logged = ngx_current_msec ? ngx_current_msec : 1;

        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "rtc producer \"%V\": pid %P stalls inside a write "
                      "to the stream, waiting for it", &p->conf->name, pid);
    }
}


/*
 * What the source counted since the last read (ngx_rtc_source.h), added
 * to the stream's counters in the zone.  Read on the timer and in the
 * source's codec() and state() calls (never a packet's path), so that a
 * depacketizer set up again is seen at zero before it counts anything:
 * its counts then start again, not from the last ones.  Like frames_in,
 * the counters have one writer, the owner, and take no lock; a producer
 * fenced out of the stream only keeps its reading.
 */

static void
ngx_rtc_producer_stats(ngx_rtc_producer_t *p)
{
    uint64_t                packets, lost, rejected, dropped;
    ngx_uint_t              i;
    ngx_rtc_source_stats_t  now[2], *s, *last;

    ngx_memzero(now, sizeof(now));

    if (p->rtsp) {
        ngx_rtc_rtsp_stats(p->rtsp, now);

    } else if (p->whep) {
        ngx_rtc_whep_source_stats(p->whep, now);

    } else {
        return;
    }

    packets = 0;
    lost = 0;
    rejected = 0;
    dropped = 0;

    for (i = 0; i < 2; i++) {
        s = &now[i];
        last = &p->stats[i];

        packets += ngx_rtc_producer_count(s->packets, &last->packets);
        lost += ngx_rtc_producer_count(s->lost, &last->lost);
        rejected += ngx_rtc_producer_count(s->rejected, &last->rejected);
        dropped += ngx_rtc_producer_count(s->dropped, &last->dropped);
    }

    if ((packets | lost | rejected | dropped) == 0
        || p->fenced || p->sh->epoch != p->lease.epoch)
    {
        return;
    }

    p->sh->packets_in += packets;
    p->sh->packets_in_lost += lost;
    p->sh->packets_in_rejected += rejected;
    p->sh->frames_in_rejected += dropped;
}


/* a count's growth since "last"; smaller than "last": it started again */

static uint64_t
ngx_rtc_producer_count(uint64_t now, uint64_t *last)
{
    uint64_t  n;

    n = (now >= *last) ? now - *last : now;
    *last = now;

    return n;
}


static void
ngx_rtc_producer_too_big(ngx_rtc_producer_t *p, size_t len)
{
    /* the ring refuses a size before an epoch: count it if ours */

    if (p->sh->epoch == p->lease.epoch) {
        p->sh->frames_in_dropped++;
    }

    p->big_dropped++;
    p->big_max = ngx_max(p->big_max, len);

    if (ngx_current_msec - p->big_logged < NGX_RTC_PRODUCER_LOG
        && p->big_logged)
    {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "rtc producer \"%V\" dropped %ui frame(s) of up to %uz "
                  "bytes: over the limit of %uz bytes (a quarter of "
                  "buffer=%uz, at most %uz)", &p->conf->name, p->big_dropped,
                  p->big_max, ngx_rtc_ring_max_frame(p->ring),
                  ngx_rtc_ring_size(p->ring), (size_t) NGX_RTC_MAX_FRAME);

    p->big_logged = ngx_current_msec ? ngx_current_msec : 1;
    p->big_dropped = 0;
    p->big_max = 0;
}


/*
 * An instant start needs the newest keyframe and all after it in the ring:
 * warn once when a GOP takes more than half the buffer.
 */

static void
ngx_rtc_producer_gop(ngx_rtc_producer_t *p, ngx_rtc_frame_t *f, size_t len)
{
    size_t  size;

    if (f->track != NGX_RTC_TRACK_VIDEO) {
        p->gop_bytes += len;
        return;
    }

    if (!(f->flags & NGX_RTC_FRAME_KEY)) {
        p->gop_bytes += len;
        return;
    }

    size = ngx_rtc_ring_size(p->ring);

    if (p->sh->keyframes_in && !p->gop_warned && p->gop_bytes > size / 2) {
        p->gop_warned = 1;

        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "rtc producer \"%V\": a GOP takes %uz bytes, "
                      "buffer=%uz holds less than two: viewers may wait "
                      "for a keyframe, raise buffer=", &p->conf->name,
                      p->gop_bytes, size);
    }

    p->gop_bytes = len;
}


static void
ngx_rtc_producer_codec(void *data, ngx_uint_t track, ngx_uint_t codec,
    ngx_uint_t clock, ngx_uint_t channels)
{
    ngx_rtc_producer_t *p = data;

    /* a depacketizer was set up just now: its counts start again */

    ngx_rtc_producer_stats(p);

    if (p->fenced || p->sh->epoch != p->lease.epoch) {
        return;
    }

    if (track == NGX_RTC_TRACK_VIDEO) {
        p->sh->codec = ngx_rtc_producer_video(p, codec, channels);
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

    /* a failed connection's last counts, before it is set up again */

    ngx_rtc_producer_stats(p);

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


/*
 * The source's video codec (after each DESCRIBE or open) and its
 * NGX_RTC_VIDEO_* flags: the codec the ring gets.  Browsers decode neither
 * H.265 nor B-frames over WebRTC; transcode=h264 re-encodes those.
 */

static ngx_uint_t
ngx_rtc_producer_video(ngx_rtc_producer_t *p, ngx_uint_t codec,
    ngx_uint_t flags)
{
    ngx_rtc_main_conf_t       *rmcf;
    ngx_rtc_transcode_conf_t   tcf;

    if (p->vtc) {
        ngx_rtc_transcode_destroy(p->vtc);
        p->vtc = NULL;
    }

    if (!(codec == NGX_RTC_CODEC_H265
          || (codec == NGX_RTC_CODEC_H264 && (flags & NGX_RTC_VIDEO_BFRAMES))))
    {
        return codec;
    }

    if (!p->conf->transcode_h264) {

        if (codec == NGX_RTC_CODEC_H264) {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "rtc producer \"%V\": the video has B-frames, "
                          "which WebRTC players do not decode well, "
                          "use transcode=h264", &p->conf->name);
        }

        return codec;
    }

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    ngx_memzero(&tcf, sizeof(ngx_rtc_transcode_conf_t));

    tcf.codec_in = codec;
    tcf.codec_out = NGX_RTC_CODEC_H264;
    tcf.clock = 90000;
    tcf.track = NGX_RTC_TRACK_VIDEO;
    tcf.pool = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle,
                                   &rmcf->thread_pool);
    tcf.log = ngx_cycle->log;
    tcf.name = p->conf->name;
    tcf.data = p;
    tcf.frame = ngx_rtc_producer_transcoded;
    tcf.error = ngx_rtc_producer_transcode_error;

    p->vtc = tcf.pool ? ngx_rtc_transcode_create(&tcf) : NULL;

    if (p->vtc == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "rtc producer \"%V\": cannot transcode %s to H.264%s",
                      &p->conf->name,
                      codec == NGX_RTC_CODEC_H265 ? "H.265" : "B-frames",
                      tcf.pool ? "" : " (no thread pool)");
        return codec;
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "rtc producer \"%V\": %s transcoded to H.264",
                  &p->conf->name,
                  codec == NGX_RTC_CODEC_H265 ? "H.265" : "H.264 B-frames");

    return NGX_RTC_CODEC_H264;
}


/* an H.264 access unit from the transcoder, on the event loop */

static void
ngx_rtc_producer_transcoded(void *data, ngx_rtc_frame_t *f, u_char *au,
    size_t len)
{
    ngx_rtc_producer_t *p = data;

    p->backoff = 0;

    ngx_rtc_producer_frame(data, f, au, len);
}


/* the transcoder failed (it has logged why): the source starts again */

static void
ngx_rtc_producer_transcode_error(void *data, ngx_str_t *reason)
{
    ngx_rtc_producer_t *p = data;

    p->backoff = p->backoff ? ngx_min(p->backoff * 2,
                                      NGX_RTC_PRODUCER_BACKOFF_MAX)
                            : NGX_RTC_PRODUCER_BACKOFF_MIN;

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "rtc producer \"%V\": restarting in %M ms",
                  &p->conf->name, p->backoff);

    /* "reason" is the transcoder's: used before it is destroyed */

    ngx_rtc_shm_stream_error(p->sh, NGX_RTC_STREAM_RETRYING, reason);

    ngx_rtc_producer_stop(p);

    p->paused = 1;
    p->resume = ngx_current_msec + p->backoff;
}
