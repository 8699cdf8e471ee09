/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_snapshot.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_http_reply.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>


/*
 * rtc_snapshot: GET .../NAME.jpg answers a JPEG of the stream's newest
 * keyframe.  The first worker to ask for a keyframe (at a width) claims it
 * in the zone, reads the keyframe from the ring and posts a task to the
 * thread pool: libavcodec decodes it, libswscale scales it, the MJPEG
 * encoder makes the JPEG.  Back on the event loop the JPEG goes into the
 * zone, where every later request, in any worker, finds it.  Requests that
 * find the keyframe being encoded elsewhere poll the zone until it is
 * there.  A camera that is not playing is asked for (the zone's demand
 * starts an on-demand stream) and waited for up to rtc_wait_timeout; the
 * stream is then left to its idle timer.
 */


#define NGX_RTC_SNAPSHOT_POLL       20
#define NGX_RTC_SNAPSHOT_MIN_WIDTH  16
#define NGX_RTC_SNAPSHOT_MAX_WIDTH  7680
#define NGX_RTC_SNAPSHOT_ENCODE     5000      /* wait for another encoder */


typedef struct ngx_rtc_snapshot_job_s  ngx_rtc_snapshot_job_t;

typedef struct {
    ngx_http_request_t       *request;
    ngx_rtc_stream_t         *stream;
    ngx_uint_t                width;
    uint64_t                  min_seq;    /* a keyframe the camera sent now */
    uint64_t                  seq;        /* the keyframe being served */
    ngx_msec_t                deadline;
    ngx_event_t               wait;
    ngx_rtc_snapshot_job_t   *job;
    ngx_pool_cleanup_t       *cln;
} ngx_rtc_snapshot_ctx_t;


/* a thread task's work: all of it lives in the task's memory or malloc */

struct ngx_rtc_snapshot_job_s {
    ngx_rtc_snapshot_ctx_t   *ctx;        /* NULL: the request went away */
    ngx_uint_t                stream;
    uint64_t                  seq;
    int64_t                   capture;
    ngx_uint_t                codec;
    ngx_uint_t                width;
    u_char                   *au;         /* ngx_alloc()ed, Annex B */
    size_t                    au_len;
    u_char                   *jpeg;       /* av_malloc()ed */
    size_t                    jpeg_len;
    int                       out_width;
    int                       out_height;
    const char               *err;
};


static void ngx_rtc_snapshot_step(ngx_rtc_snapshot_ctx_t *ctx);
static void ngx_rtc_snapshot_poll(ngx_event_t *ev);
static ngx_int_t ngx_rtc_snapshot_post(ngx_rtc_snapshot_ctx_t *ctx,
    uint64_t seq);
static void ngx_rtc_snapshot_thread(void *data, ngx_log_t *log);
static void ngx_rtc_snapshot_done(ngx_event_t *ev);
static void ngx_rtc_snapshot_cleanup(void *data);
static void ngx_rtc_snapshot_finalize(ngx_rtc_snapshot_ctx_t *ctx,
    ngx_int_t rc);
static ngx_int_t ngx_rtc_snapshot_send(ngx_http_request_t *r,
    ngx_str_t *jpeg, int64_t capture, uint64_t seq, ngx_uint_t width);
static ngx_int_t ngx_rtc_snapshot_text(ngx_http_request_t *r,
    ngx_uint_t status, ngx_uint_t retry, const char *fmt, ...);
static ngx_int_t ngx_rtc_snapshot_name(ngx_http_request_t *r,
    ngx_str_t *name);


ngx_int_t
ngx_rtc_snapshot_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  name;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_rtc_snapshot_name(r, &name);

    if (rc == NGX_DECLINED) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_rtc_snapshot_text(r, NGX_HTTP_NOT_FOUND, 0,
                                     "no stream name: a snapshot is "
                                     "NAME.jpg");
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_rtc_snapshot_stream(r, &name);
}


/* GET or HEAD: the JPEG of the stream "name" (?width=) */

ngx_int_t
ngx_rtc_snapshot_stream(ngx_http_request_t *r, ngx_str_t *name)
{
    uint64_t                 head;
    ngx_int_t                rc, n;
    ngx_str_t                arg;
    ngx_rtc_stream_t        *st;
    ngx_rtc_main_conf_t     *rmcf;
    ngx_rtc_snapshot_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    if (rmcf->shm_zone == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    st = ngx_rtc_stream_find(name);
    if (st == NULL) {

        /* an exiting worker's configuration is not the running one */

        if (ngx_exiting) {
            return ngx_rtc_snapshot_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                       "the server is restarting: try again");
        }

        return ngx_rtc_snapshot_text(r, NGX_HTTP_NOT_FOUND, 0,
                                     "unknown stream \"%V\"", name);
    }

    n = 0;

    if (ngx_http_arg(r, (u_char *) "width", 5, &arg) == NGX_OK) {
        n = ngx_atoi(arg.data, arg.len);

        if (n < NGX_RTC_SNAPSHOT_MIN_WIDTH || n > NGX_RTC_SNAPSHOT_MAX_WIDTH)
        {
            return ngx_rtc_snapshot_text(r, NGX_HTTP_BAD_REQUEST, 0,
                                         "width must be a number from %d "
                                         "to %d",
                                         NGX_RTC_SNAPSHOT_MIN_WIDTH,
                                         NGX_RTC_SNAPSHOT_MAX_WIDTH);
        }

        n &= ~1;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_snapshot_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx->cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->cln->handler = ngx_rtc_snapshot_cleanup;
    ctx->cln->data = ctx;

    ctx->request = r;
    ctx->stream = st;
    ctx->width = n;
    ctx->deadline = ngx_current_msec + rmcf->wait_timeout;

    ctx->wait.handler = ngx_rtc_snapshot_poll;
    ctx->wait.data = ctx;
    ctx->wait.log = r->connection->log;

    /* checked under the lock: the entry is still this stream's */

    if (ngx_rtc_shm_demand(st->conf->index, st->incarnation, ctx->deadline)
        != NGX_OK)
    {
        return ngx_rtc_snapshot_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                     "the server is restarting: try again");
    }

    /*
     * What the ring holds from before a break in the stream (an on-demand
     * stream gone idle, a camera that dropped off) is not a picture of
     * now: only a keyframe written from now on will do.
     */

    head = ngx_rtc_ring_head(st->ring);

    if (ngx_rtc_stream_live_key(st, head + 1) == 0) {
        ctx->min_seq = head + 1;
    }

    ngx_rtc_producer_kick();

    r->main->count++;

    ngx_rtc_snapshot_step(ctx);

    return NGX_DONE;
}


/*
 * The stream: the directive's value, or the last segment less ".jpg";
 * NGX_DECLINED when there is none.
 */

static ngx_int_t
ngx_rtc_snapshot_name(ngx_http_request_t *r, ngx_str_t *name)
{
    u_char              *p, *last;
    ngx_rtc_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    if (rlcf->snapshot_stream) {
        if (ngx_http_complex_value(r, rlcf->snapshot_stream, name) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else {
        last = r->uri.data + r->uri.len;

        for (p = last; p > r->uri.data && p[-1] != '/'; p--) {
            /* void */
        }

        if (last - p < 5 || ngx_strncasecmp(last - 4, (u_char *) ".jpg", 4)
                            != 0)
        {
            return NGX_DECLINED;
        }

        name->data = p;
        name->len = last - 4 - p;
    }

    if (name->len == 0 || name->len > NGX_RTC_NAME_LEN) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_rtc_snapshot_step(ngx_rtc_snapshot_ctx_t *ctx)
{
    int64_t               capture;
    uint64_t              seq;
    ngx_int_t             rc;
    ngx_str_t             jpeg, error;
    ngx_uint_t            codec;
    ngx_rtc_stream_t     *st;
    ngx_http_request_t   *r;
    ngx_rtc_stream_sh_t  *sh;

    r = ctx->request;
    st = ctx->stream;
    sh = st->sh;

    if (ctx->job) {

        /*
         * Our task is not back in time (the pool is busy): the request
         * gives up as it does on another worker's encode; the task goes
         * on, and its JPEG goes into the zone for the next request.
         */

        ctx->job->ctx = NULL;
        ctx->job = NULL;

        ngx_rtc_snapshot_finalize(ctx,
            ngx_rtc_snapshot_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                  "snapshot of \"%V\" not ready",
                                  &st->conf->name));
        return;
    }

    codec = sh->codec;

    if (codec == NGX_RTC_CODEC_NONE && sh->audio_codec != NGX_RTC_CODEC_NONE
        && sh->state == NGX_RTC_STREAM_PLAYING)
    {
        ngx_rtc_snapshot_finalize(ctx,
            ngx_rtc_snapshot_text(r, NGX_HTTP_NOT_FOUND, 0,
                                  "stream \"%V\" has no video (audio only)",
                                  &st->conf->name));
        return;
    }

    seq = ngx_rtc_ring_last_key(st->ring);

    if ((codec != NGX_RTC_CODEC_H264 && codec != NGX_RTC_CODEC_H265)
        || seq == 0 || seq < ctx->min_seq)
    {
        if ((ngx_msec_int_t) (ngx_current_msec - ctx->deadline) >= 0) {

            /* the stream's last error says why (credentials redacted) */

            error.len = ngx_min(sh->error_len, NGX_RTC_ERROR_LEN);
            error.data = sh->error;

            ngx_rtc_snapshot_finalize(ctx,
                ngx_rtc_snapshot_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, 2,
                                      "stream \"%V\" has no picture yet "
                                      "(camera not ready%s%V)",
                                      &st->conf->name,
                                      error.len ? ": " : "", &error));
            return;
        }

        ngx_add_timer(&ctx->wait, NGX_RTC_SNAPSHOT_POLL * 2);
        return;
    }

    rc = ngx_rtc_shm_snap_get(st->conf->index, seq, ctx->width, r->pool,
                              &jpeg, &capture);

    switch (rc) {

    case NGX_OK:
        ngx_rtc_snapshot_finalize(ctx,
            ngx_rtc_snapshot_send(r, &jpeg, capture, seq, ctx->width));
        return;

    case NGX_AGAIN:

        /* another worker encodes it */

        if ((ngx_msec_int_t) (ngx_current_msec - ctx->deadline)
            >= NGX_RTC_SNAPSHOT_ENCODE)
        {
            ngx_rtc_snapshot_finalize(ctx,
                ngx_rtc_snapshot_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                      "snapshot of \"%V\" not ready",
                                      &st->conf->name));
            return;
        }

        ngx_add_timer(&ctx->wait, NGX_RTC_SNAPSHOT_POLL);
        return;

    case NGX_DECLINED:

        /* ours to encode */

        rc = ngx_rtc_snapshot_post(ctx, seq);

        if (rc == NGX_AGAIN) {
            /* overwritten while we looked: try the newest again */
            ngx_rtc_shm_snap_fail(st->conf->index, seq, ctx->width);
            ngx_add_timer(&ctx->wait, 1);
            return;
        }

        if (rc != NGX_OK) {
            ngx_rtc_shm_snap_fail(st->conf->index, seq, ctx->width);
            ngx_rtc_snapshot_finalize(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;

    default:
        ngx_rtc_snapshot_finalize(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
}


static void
ngx_rtc_snapshot_poll(ngx_event_t *ev)
{
    ngx_rtc_snapshot_ctx_t *ctx = ev->data;

    ngx_connection_t  *c;

    c = ctx->request->connection;

    ngx_rtc_snapshot_step(ctx);

    /* what finalizing posted (the client gone) runs now, see whep_offer.c */
    ngx_http_run_posted_requests(c);
}


/* the keyframe, copied out of the ring, to the thread pool */

static ngx_int_t
ngx_rtc_snapshot_post(ngx_rtc_snapshot_ctx_t *ctx, uint64_t seq)
{
    u_char                  *p, *end;
    size_t                   size, n;
    ngx_int_t                rc;
    ngx_rtc_frame_t          f;
    ngx_msec_int_t           left;
    ngx_thread_pool_t       *tp;
    ngx_thread_task_t       *task;
    ngx_http_request_t      *r;
    ngx_rtc_main_conf_t     *rmcf;
    ngx_rtc_snapshot_job_t  *job;

    r = ctx->request;
    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &rmcf->thread_pool);
    if (tp == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "rtc snapshot: thread pool \"%V\" not found",
                      &rmcf->thread_pool);
        return NGX_ERROR;
    }

    size = ngx_min(ngx_rtc_ring_max_frame(ctx->stream->ring),
                   NGX_RTC_MAX_FRAME);

    /*
     * The task outlives the request if the client goes away: its memory
     * is the task's own (malloc), freed by the completion handler.
     */

    task = ngx_calloc(sizeof(ngx_thread_task_t)
                      + sizeof(ngx_rtc_snapshot_job_t), r->connection->log);
    if (task == NULL) {
        return NGX_ERROR;
    }

    job = (ngx_rtc_snapshot_job_t *) (task + 1);
    task->ctx = job;

    job->au = ngx_alloc(size + AV_INPUT_BUFFER_PADDING_SIZE,
                        r->connection->log);
    if (job->au == NULL) {
        ngx_free(task);
        return NGX_ERROR;
    }

    rc = ngx_rtc_ring_read(ctx->stream->ring, seq, &f, job->au, size);

    if (rc != NGX_OK || f.track != NGX_RTC_TRACK_VIDEO
        || !(f.flags & NGX_RTC_FRAME_KEY))
    {
        ngx_free(job->au);
        ngx_free(task);
        return NGX_AGAIN;
    }

    /* length-prefixed NAL units to Annex B, in place: 4-byte start codes */

    p = job->au;
    end = job->au + f.len;

    while (end - p >= 4) {
        n = ((size_t) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];

        if (n > (size_t) (end - p - 4)) {
            break;
        }

        p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 1;
        p += 4 + n;
    }

    if (p != end) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "rtc snapshot: stream \"%V\" keyframe %uL is malformed",
                      &ctx->stream->conf->name, seq);
        ngx_free(job->au);
        ngx_free(task);
        return NGX_ERROR;
    }

    ngx_memzero(job->au + f.len, AV_INPUT_BUFFER_PADDING_SIZE);

    job->ctx = ctx;
    job->stream = ctx->stream->conf->index;
    job->seq = seq;
    job->capture = f.capture;
    job->codec = ctx->stream->sh->codec;
    job->width = ctx->width;
    job->au_len = f.len;

    task->handler = ngx_rtc_snapshot_thread;
    task->event.handler = ngx_rtc_snapshot_done;
    task->event.data = task;
    task->event.log = ngx_cycle->log;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        ngx_free(job->au);
        ngx_free(task);
        return NGX_ERROR;
    }

    ctx->job = job;
    ctx->seq = seq;

    /*
     * The task may wait in the pool's queue behind others (an ffmpeg:
     * input's open blocked on a slow server): the request waits for it as
     * for another worker's encode.  The timer also keeps an exiting worker
     * until the task is back, for the request to be answered: a worker
     * whose events and timers are over exits, with the request open.
     */

    left = (ngx_msec_int_t) (ctx->deadline + NGX_RTC_SNAPSHOT_ENCODE
                             - ngx_current_msec);

    ngx_add_timer(&ctx->wait, ngx_max(left, NGX_RTC_SNAPSHOT_POLL));

    return NGX_OK;
}


/* in a thread of the pool: decode, scale, encode; no nginx calls */

static void
ngx_rtc_snapshot_thread(void *data, ngx_log_t *log)
{
    ngx_rtc_snapshot_job_t *job = data;

    int                  w, h, rc;
    AVFrame             *frame, *out;
    AVPacket            *pkt;
    const AVCodec       *codec;
    AVCodecContext      *dec, *enc;
    struct SwsContext   *sws;

    dec = NULL;
    enc = NULL;
    sws = NULL;
    out = NULL;

    frame = av_frame_alloc();
    pkt = av_packet_alloc();

    if (frame == NULL || pkt == NULL) {
        job->err = "out of memory";
        goto done;
    }

    codec = avcodec_find_decoder(job->codec == NGX_RTC_CODEC_H265
                                 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
    if (codec == NULL) {
        job->err = "no decoder for the codec";
        goto done;
    }

    dec = avcodec_alloc_context3(codec);
    if (dec == NULL) {
        job->err = "out of memory";
        goto done;
    }

    dec->thread_count = 1;
    dec->max_pixels = NGX_RTC_MAX_PIXELS;

    if (avcodec_open2(dec, codec, NULL) < 0) {
        job->err = "cannot open the decoder";
        goto done;
    }

    pkt->data = job->au;
    pkt->size = (int) job->au_len;
    pkt->flags = AV_PKT_FLAG_KEY;

    if (avcodec_send_packet(dec, pkt) < 0
        || avcodec_send_packet(dec, NULL) < 0
        || avcodec_receive_frame(dec, frame) < 0)
    {
        job->err = "cannot decode the keyframe";
        goto done;
    }

    w = frame->width;
    h = frame->height;

    if (w <= 0 || h <= 0) {
        job->err = "keyframe has no size";
        goto done;
    }

    if (job->width && (int) job->width != w) {
        h = (int) (((int64_t) h * (int64_t) job->width + w / 2) / w);
        w = (int) job->width;
        h = ngx_max((h & ~1), 2);
    }

    sws = sws_getContext(frame->width, frame->height, frame->format,
                         w, h, AV_PIX_FMT_YUVJ420P, SWS_BICUBIC,
                         NULL, NULL, NULL);
    out = av_frame_alloc();

    if (sws == NULL || out == NULL) {
        job->err = "cannot scale the picture";
        goto done;
    }

    out->format = AV_PIX_FMT_YUVJ420P;
    out->width = w;
    out->height = h;

    if (av_frame_get_buffer(out, 0) < 0) {
        job->err = "out of memory";
        goto done;
    }

    sws_scale(sws, (const uint8_t * const *) frame->data, frame->linesize,
              0, frame->height, out->data, out->linesize);

    codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (codec == NULL) {
        job->err = "no JPEG encoder";
        goto done;
    }

    enc = avcodec_alloc_context3(codec);
    if (enc == NULL) {
        job->err = "out of memory";
        goto done;
    }

    enc->width = w;
    enc->height = h;
    enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
    enc->time_base = (AVRational) { 1, 25 };
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 3;
    enc->thread_count = 1;

    out->quality = enc->global_quality;
    out->pts = 0;

    if (avcodec_open2(enc, codec, NULL) < 0) {
        job->err = "cannot open the JPEG encoder";
        goto done;
    }

    av_packet_unref(pkt);

    rc = avcodec_send_frame(enc, out);
    if (rc >= 0) {
        rc = avcodec_receive_packet(enc, pkt);
    }

    if (rc < 0 || pkt->size <= 0) {
        job->err = "cannot encode the JPEG";
        goto done;
    }

    job->jpeg = av_malloc(pkt->size);
    if (job->jpeg == NULL) {
        job->err = "out of memory";
        goto done;
    }

    ngx_memcpy(job->jpeg, pkt->data, pkt->size);
    job->jpeg_len = pkt->size;
    job->out_width = w;
    job->out_height = h;

done:

    if (pkt) {
        /* the decoder's packet pointed at job->au: not its to free */
        av_packet_free(&pkt);
    }

    av_frame_free(&frame);
    av_frame_free(&out);
    sws_freeContext(sws);
    avcodec_free_context(&dec);
    avcodec_free_context(&enc);
}


/* back on the event loop */

static void
ngx_rtc_snapshot_done(ngx_event_t *ev)
{
    ngx_thread_task_t *task = ev->data;

    ngx_int_t                rc;
    ngx_str_t                jpeg;
    ngx_connection_t        *c;
    ngx_rtc_snapshot_ctx_t  *ctx;
    ngx_rtc_snapshot_job_t  *job;

    job = task->ctx;
    ctx = job->ctx;

    if (job->jpeg) {
        rc = ngx_rtc_shm_snap_put(job->stream, job->seq, job->width,
                                  job->jpeg, job->jpeg_len, job->capture);

        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "rtc snapshot: stream %ui keyframe %uL encoded: "
                      "%dx%d JPEG, %uz bytes%s",
                      job->stream, job->seq, job->out_width,
                      job->out_height, job->jpeg_len,
                      rc == NGX_ERROR ? ", no room in the zone to keep it"
                                      : "");

    } else {
        ngx_rtc_shm_snap_fail(job->stream, job->seq, job->width);

        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "rtc snapshot: stream %ui keyframe %uL: %s",
                      job->stream, job->seq, job->err);
    }

    if (ctx) {
        ctx->job = NULL;

        if (job->jpeg) {
            jpeg.len = job->jpeg_len;
            jpeg.data = ngx_pnalloc(ctx->request->pool, jpeg.len);

            if (jpeg.data == NULL) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

            } else {
                ngx_memcpy(jpeg.data, job->jpeg, jpeg.len);
                rc = ngx_rtc_snapshot_send(ctx->request, &jpeg, job->capture,
                                           job->seq, job->width);
            }

        } else {
            rc = ngx_rtc_snapshot_text(ctx->request,
                                       NGX_HTTP_SERVICE_UNAVAILABLE, 1,
                                       "no snapshot of \"%V\": %s",
                                       &ctx->stream->conf->name, job->err);
        }

        c = ctx->request->connection;

        ngx_rtc_snapshot_finalize(ctx, rc);
        ngx_http_run_posted_requests(c);
    }

    av_free(job->jpeg);
    ngx_free(job->au);
    ngx_free(task);
}


/* the request's pool goes away: a running task must not touch it */

static void
ngx_rtc_snapshot_cleanup(void *data)
{
    ngx_rtc_snapshot_ctx_t *ctx = data;

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    if (ctx->job) {
        ctx->job->ctx = NULL;
        ctx->job = NULL;
    }
}


static void
ngx_rtc_snapshot_finalize(ngx_rtc_snapshot_ctx_t *ctx, ngx_int_t rc)
{
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_rtc_snapshot_send(ngx_http_request_t *r, ngx_str_t *jpeg,
    int64_t capture, uint64_t seq, ngx_uint_t width)
{
    u_char            *etag;
    ngx_str_t          v;
    ngx_table_elt_t   *h;

    /* the keyframe's capture time; If-Modified-Since: 304 (nginx's filter) */

    r->headers_out.last_modified_time = (time_t) (capture / 1000000);

    ngx_str_set(&v, "no-cache");

    if (ngx_rtc_http_reply_header(r, "Cache-Control", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    etag = ngx_pnalloc(r->pool, NGX_INT64_LEN * 2 + 4);
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "ETag");
    h->value.data = etag;
    h->value.len = ngx_sprintf(etag, "\"%uL-%ui\"", seq, width) - etag;
    r->headers_out.etag = h;

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    return ngx_rtc_http_reply_data(r, NGX_HTTP_OK, "image/jpeg", jpeg->data,
                                   jpeg->len);
}


/* a short plain-text error (the WHEP endpoint's), Retry-After if "retry" */

static ngx_int_t
ngx_rtc_snapshot_text(ngx_http_request_t *r, ngx_uint_t status,
    ngx_uint_t retry, const char *fmt, ...)
{
    u_char     *p;
    va_list     args;
    ngx_str_t   text, v;

    p = ngx_pnalloc(r->pool, 256);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    va_start(args, fmt);
    text.len = ngx_vslprintf(p, p + 256, fmt, args) - p;
    va_end(args);

    text.data = p;

    if (retry) {
        v.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (v.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        v.len = ngx_sprintf(v.data, "%ui", retry) - v.data;

        if (ngx_rtc_http_reply_header(r, "Retry-After", &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_rtc_whep_text(r, status, &text);
}
