/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_thread_pool.h>
#include <ngx_rtc_frame.h>
#include <ngx_rtc_au.h>
#include <ngx_rtc_transcode.h>

#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>


/*
 * The event loop and the task share the transcoder through three queues:
 * "in" collects what is pushed while a task runs; "work" is the task's
 * input and "out" its output, both the task's alone while it runs
 * (task.event.active).  The codec contexts are the task's alone: the loop
 * touches them only to free them when no task runs.
 */

#define NGX_RTC_TRANSCODE_IN        64      /* frames waiting, then drops */
#define NGX_RTC_TRANSCODE_OUT       256
#define NGX_RTC_TRANSCODE_MARGIN    32      /* out items one input may make */

#define NGX_RTC_TRANSCODE_RATE      48000   /* Opus, RFC 7587 4.1 */
#define NGX_RTC_TRANSCODE_GOP       180000  /* 2 s at 90 kHz */
#define NGX_RTC_TRANSCODE_GAP       5       /* 1/5 s: a gap in the input */


typedef struct {
    ngx_rtc_frame_t           frame;
    size_t                    pos;
} ngx_rtc_transcode_item_t;


typedef struct {
    ngx_rtc_transcode_item_t *items;
    ngx_uint_t                n;
    ngx_uint_t                nalloc;
    u_char                   *data;
    size_t                    used;
    size_t                    size;
} ngx_rtc_transcode_queue_t;


struct ngx_rtc_transcode_s {
    ngx_rtc_transcode_conf_t  conf;
    ngx_thread_task_t         task;

    ngx_rtc_transcode_queue_t in;
    ngx_rtc_transcode_queue_t work;
    ngx_rtc_transcode_queue_t out;
    ngx_uint_t                work_next;

    /* the task's */
    AVCodecContext           *dec;
    AVCodecContext           *enc;
    SwrContext               *swr;
    AVAudioFifo              *fifo;
    AVFrame                  *frame;
    AVFrame                  *eframe;
    AVPacket                 *pkt;
    uint8_t                  *conv;
    int                       conv_samples;
    ngx_uint_t                out_channels;

    uint32_t                  in_last;        /* last input rtp_ts */
    int64_t                   in_ts;          /* the same, unwrapped */
    int64_t                   in_next;        /* audio: expected next */
    int64_t                   out_ts;         /* audio: next output rtp_ts */
    int64_t                   last_key;       /* video: last forced IDR */
    int64_t                   last_pts;
    int64_t                   capture;

    ngx_rtc_au_t              au;             /* H.264 output framing */

    size_t                    reason_len;
    u_char                    reason[160];

    /* the task's flags */
    unsigned                  opened:1;
    unsigned                  started:1;
    unsigned                  failed:1;

    /* the event loop's, apart: the two sides never share a word */
    ngx_uint_t                dead;           /* failed, seen by the loop */
    ngx_uint_t                destroyed;
    ngx_uint_t                delivering;     /* in conf.frame() calls */
    ngx_uint_t                in_drop;        /* video waits for a key */
};


static ngx_int_t ngx_rtc_transcode_queue_add(ngx_rtc_transcode_queue_t *q,
    ngx_rtc_frame_t *f, u_char *data, size_t len);
static ngx_int_t ngx_rtc_transcode_queue_reserve(
    ngx_rtc_transcode_queue_t *q, size_t len);
static void ngx_rtc_transcode_post(ngx_rtc_transcode_t *tc);
static void ngx_rtc_transcode_done(ngx_event_t *ev);
static void ngx_rtc_transcode_free(ngx_rtc_transcode_t *tc);

static void ngx_rtc_transcode_handler(void *data, ngx_log_t *log);
static ngx_int_t ngx_rtc_transcode_open(ngx_rtc_transcode_t *tc);
static ngx_int_t ngx_rtc_transcode_audio(ngx_rtc_transcode_t *tc,
    ngx_rtc_frame_t *f, int64_t ts);
static ngx_int_t ngx_rtc_transcode_audio_open(ngx_rtc_transcode_t *tc,
    AVFrame *frame);
static ngx_int_t ngx_rtc_transcode_audio_encode(ngx_rtc_transcode_t *tc);
static ngx_int_t ngx_rtc_transcode_video(ngx_rtc_transcode_t *tc,
    ngx_rtc_frame_t *f, int64_t ts);
static ngx_int_t ngx_rtc_transcode_video_open(ngx_rtc_transcode_t *tc,
    AVFrame *frame);
static ngx_int_t ngx_rtc_transcode_video_encode(ngx_rtc_transcode_t *tc,
    AVFrame *frame);
static ngx_int_t ngx_rtc_transcode_fail(ngx_rtc_transcode_t *tc,
    const char *what, int err);


ngx_rtc_transcode_t *
ngx_rtc_transcode_create(ngx_rtc_transcode_conf_t *conf)
{
    ngx_rtc_transcode_t  *tc;

    if (conf->codec_out == NGX_RTC_CODEC_OPUS ? conf->clock == 0
        : conf->codec_out != NGX_RTC_CODEC_H264)
    {
        return NULL;
    }

    tc = ngx_calloc(sizeof(ngx_rtc_transcode_t) + conf->config.len,
                    conf->log);
    if (tc == NULL) {
        return NULL;
    }

    tc->conf = *conf;

    if (conf->config.len) {
        tc->conf.config.data = (u_char *) (tc + 1);
        ngx_memcpy(tc->conf.config.data, conf->config.data, conf->config.len);
    }

    tc->in.nalloc = NGX_RTC_TRANSCODE_IN;
    tc->work.nalloc = NGX_RTC_TRANSCODE_IN;
    tc->out.nalloc = NGX_RTC_TRANSCODE_OUT;

    tc->in.items = ngx_alloc(NGX_RTC_TRANSCODE_IN
                             * sizeof(ngx_rtc_transcode_item_t), conf->log);
    tc->work.items = ngx_alloc(NGX_RTC_TRANSCODE_IN
                               * sizeof(ngx_rtc_transcode_item_t), conf->log);
    tc->out.items = ngx_alloc(NGX_RTC_TRANSCODE_OUT
                              * sizeof(ngx_rtc_transcode_item_t), conf->log);

    if (tc->in.items == NULL || tc->work.items == NULL
        || tc->out.items == NULL)
    {
        ngx_rtc_transcode_free(tc);
        return NULL;
    }

    tc->task.ctx = tc;
    tc->task.handler = ngx_rtc_transcode_handler;
    tc->task.event.data = tc;
    tc->task.event.handler = ngx_rtc_transcode_done;
    tc->task.event.log = conf->log;

    tc->out_channels = ngx_rtc_transcode_channels(conf->channels);

    return tc;
}


/* our codecs and libavcodec's, both ways */

static struct {
    ngx_uint_t                codec;
    enum AVCodecID            av_codec;
} ngx_rtc_transcode_codecs[] = {
    { NGX_RTC_CODEC_H264, AV_CODEC_ID_H264 },
    { NGX_RTC_CODEC_H265, AV_CODEC_ID_HEVC },
    { NGX_RTC_CODEC_PCMA, AV_CODEC_ID_PCM_ALAW },
    { NGX_RTC_CODEC_PCMU, AV_CODEC_ID_PCM_MULAW },
    { NGX_RTC_CODEC_OPUS, AV_CODEC_ID_OPUS },
    { NGX_RTC_CODEC_AAC, AV_CODEC_ID_AAC }
};


ngx_uint_t
ngx_rtc_transcode_codec(ngx_int_t av_codec)
{
    ngx_uint_t  i;

    for (i = 0; i < sizeof(ngx_rtc_transcode_codecs)
                    / sizeof(ngx_rtc_transcode_codecs[0]); i++)
    {
        if ((ngx_int_t) ngx_rtc_transcode_codecs[i].av_codec == av_codec) {
            return ngx_rtc_transcode_codecs[i].codec;
        }
    }

    return NGX_RTC_CODEC_NONE;
}


ngx_int_t
ngx_rtc_transcode_av_codec(ngx_uint_t codec)
{
    ngx_uint_t  i;

    for (i = 0; i < sizeof(ngx_rtc_transcode_codecs)
                    / sizeof(ngx_rtc_transcode_codecs[0]); i++)
    {
        if (ngx_rtc_transcode_codecs[i].codec == codec) {
            return ngx_rtc_transcode_codecs[i].av_codec;
        }
    }

    return AV_CODEC_ID_NONE;
}


/* what an Opus output carries for "channels" input channels */

ngx_uint_t
ngx_rtc_transcode_channels(ngx_uint_t channels)
{
    return channels >= 2 ? 2 : 1;
}


/*
 * NGX_OK: queued; NGX_DECLINED: dropped (queue full, or video waiting for
 * a keyframe after drops); NGX_ERROR: the transcoder has failed.
 */

ngx_int_t
ngx_rtc_transcode_push(ngx_rtc_transcode_t *tc, ngx_rtc_frame_t *f,
    u_char *data, size_t len)
{
    ngx_uint_t  key;

    if (tc->dead || tc->destroyed) {
        return NGX_ERROR;
    }

    key = (f->flags & NGX_RTC_FRAME_KEY) ? 1 : 0;

    if (tc->conf.codec_out == NGX_RTC_CODEC_H264) {

        if (tc->in_drop && !key) {
            return NGX_DECLINED;
        }

        if (tc->in.n == tc->in.nalloc) {

            /* too slow: start again at the next keyframe */

            ngx_log_error(NGX_LOG_WARN, tc->conf.log, 0,
                          "rtc transcode \"%V\" cannot keep up, %ui frames "
                          "dropped up to the next keyframe",
                          &tc->conf.name, tc->in.n + 1);

            tc->in.n = 0;
            tc->in.used = 0;
            tc->in_drop = 1;

            if (!key) {
                return NGX_DECLINED;
            }
        }

        tc->in_drop = 0;

    } else if (tc->in.n == tc->in.nalloc) {
        ngx_log_debug0(NGX_LOG_DEBUG_CORE, tc->conf.log, 0,
                       "rtc transcode audio frame dropped");
        return NGX_DECLINED;
    }

    if (ngx_rtc_transcode_queue_add(&tc->in, f, data, len) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!tc->task.event.active) {
        ngx_rtc_transcode_post(tc);
    }

    return NGX_OK;
}


/* a task still running frees the transcoder when it completes */

void
ngx_rtc_transcode_destroy(ngx_rtc_transcode_t *tc)
{
    if (tc->task.event.active || tc->delivering) {
        tc->destroyed = 1;
        return;
    }

    ngx_rtc_transcode_free(tc);
}


static ngx_int_t
ngx_rtc_transcode_queue_add(ngx_rtc_transcode_queue_t *q, ngx_rtc_frame_t *f,
    u_char *data, size_t len)
{
    ngx_rtc_transcode_item_t  *it;

    if (q->n == q->nalloc || ngx_rtc_transcode_queue_reserve(q, len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    it = &q->items[q->n++];

    it->frame = *f;
    it->frame.len = len;
    it->pos = q->used;

    ngx_memcpy(q->data + q->used, data, len);
    q->used += len;

    return NGX_OK;
}


/* realloc(): the queues grow in the threads as well as on the loop */

static ngx_int_t
ngx_rtc_transcode_queue_reserve(ngx_rtc_transcode_queue_t *q, size_t len)
{
    u_char  *p;
    size_t   size;

    if (q->size - q->used >= len) {
        return NGX_OK;
    }

    size = ngx_max(q->size * 2, q->used + len + 4096);

    p = realloc(q->data, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q->data = p;
    q->size = size;

    return NGX_OK;
}


static void
ngx_rtc_transcode_post(ngx_rtc_transcode_t *tc)
{
    ngx_rtc_transcode_queue_t  q;

    if (tc->work_next >= tc->work.n) {

        if (tc->in.n == 0) {
            return;
        }

        q = tc->work;
        tc->work = tc->in;
        tc->in = q;

        tc->in.n = 0;
        tc->in.used = 0;
        tc->work_next = 0;
    }

    if (ngx_thread_task_post(tc->conf.pool, &tc->task) != NGX_OK) {

        /* the pool's queue is full: the next push tries again */

        ngx_log_error(NGX_LOG_WARN, tc->conf.log, 0,
                      "rtc transcode \"%V\" task not posted",
                      &tc->conf.name);
    }
}


/* on the event loop, when a task completed */

static void
ngx_rtc_transcode_done(ngx_event_t *ev)
{
    ngx_rtc_transcode_t *tc = ev->data;

    ngx_uint_t                 i;
    ngx_str_t                  reason;
    ngx_rtc_transcode_item_t  *it;

    if (tc->destroyed) {
        ngx_rtc_transcode_free(tc);
        return;
    }

    /* a frame() callback may destroy the transcoder (its owner stops) */

    tc->delivering = 1;

    for (i = 0; i < tc->out.n && !tc->destroyed; i++) {
        it = &tc->out.items[i];
        tc->conf.frame(tc->conf.data, &it->frame, tc->out.data + it->pos,
                       it->frame.len);
    }

    tc->delivering = 0;

    if (tc->destroyed) {
        ngx_rtc_transcode_free(tc);
        return;
    }

    tc->out.n = 0;
    tc->out.used = 0;

    if (tc->failed) {
        tc->dead = 1;

        reason.data = tc->reason;
        reason.len = tc->reason_len;

        ngx_log_error(NGX_LOG_ERR, tc->conf.log, 0, "rtc %V", &reason);

        /* the callback may destroy the transcoder: the last thing */

        tc->conf.error(tc->conf.data, &reason);
        return;
    }

    ngx_rtc_transcode_post(tc);
}


static void
ngx_rtc_transcode_free(ngx_rtc_transcode_t *tc)
{
    avcodec_free_context(&tc->dec);
    avcodec_free_context(&tc->enc);
    swr_free(&tc->swr);

    if (tc->fifo) {
        av_audio_fifo_free(tc->fifo);
    }

    av_frame_free(&tc->frame);
    av_frame_free(&tc->eframe);
    av_packet_free(&tc->pkt);
    av_freep(&tc->conv);

    free(tc->in.data);
    free(tc->work.data);
    free(tc->out.data);

    if (tc->in.items) {
        ngx_free(tc->in.items);
    }

    if (tc->work.items) {
        ngx_free(tc->work.items);
    }

    if (tc->out.items) {
        ngx_free(tc->out.items);
    }

    ngx_free(tc);
}


/*
 * In a thread of the pool: the transcoder's own fields only.
 */

static void
ngx_rtc_transcode_handler(void *data, ngx_log_t *log)
{
    ngx_rtc_transcode_t *tc = data;

    int64_t                    ts;
    ngx_int_t                  rc;
    ngx_rtc_transcode_item_t  *it;

    if (!tc->opened && ngx_rtc_transcode_open(tc) != NGX_OK) {
        return;
    }

    while (tc->work_next < tc->work.n
           && tc->out.n + NGX_RTC_TRANSCODE_MARGIN <= tc->out.nalloc
           && !tc->failed)
    {
        it = &tc->work.items[tc->work_next++];

        if (!tc->started) {
            tc->in_ts = it->frame.rtp_ts;

        } else {
            tc->in_ts += (int32_t) (it->frame.rtp_ts - tc->in_last);
        }

        tc->in_last = it->frame.rtp_ts;
        tc->capture = it->frame.capture;
        ts = tc->in_ts;

        av_packet_unref(tc->pkt);

        if (av_new_packet(tc->pkt, it->frame.len) < 0) {
            (void) ngx_rtc_transcode_fail(tc, "packet", AVERROR(ENOMEM));
            return;
        }

        ngx_memcpy(tc->pkt->data, tc->work.data + it->pos, it->frame.len);

        if (tc->conf.codec_out == NGX_RTC_CODEC_OPUS) {
            rc = ngx_rtc_transcode_audio(tc, &it->frame, ts);

        } else {
            rc = ngx_rtc_transcode_video(tc, &it->frame, ts);
        }

        if (rc != NGX_OK) {
            return;
        }
    }
}


static ngx_int_t
ngx_rtc_transcode_open(ngx_rtc_transcode_t *tc)
{
    int                    err;
    u_char                 asc[2];
    ngx_str_t              config;
    ngx_uint_t             sfi;
    const AVCodec         *codec;
    enum AVCodecID         id;

    static ngx_uint_t      rates[] = {
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000,
        12000, 11025, 8000, 7350
    };

    tc->opened = 1;

    tc->frame = av_frame_alloc();
    tc->pkt = av_packet_alloc();

    if (tc->frame == NULL || tc->pkt == NULL) {
        return ngx_rtc_transcode_fail(tc, "allocation", AVERROR(ENOMEM));
    }

    id = (enum AVCodecID) (tc->conf.codec_in == NGX_RTC_CODEC_NONE
                           ? tc->conf.av_codec
                           : ngx_rtc_transcode_av_codec(tc->conf.codec_in));

    codec = avcodec_find_decoder(id);
    if (codec == NULL) {
        return ngx_rtc_transcode_fail(tc, "no decoder",
                                      AVERROR_DECODER_NOT_FOUND);
    }

    tc->dec = avcodec_alloc_context3(codec);
    if (tc->dec == NULL) {
        return ngx_rtc_transcode_fail(tc, "decoder", AVERROR(ENOMEM));
    }

    if (tc->conf.codec_out == NGX_RTC_CODEC_OPUS) {
        tc->dec->sample_rate = (int) tc->conf.clock;
        av_channel_layout_default(&tc->dec->ch_layout,
                                  tc->conf.channels ? tc->conf.channels : 1);

        tc->dec->time_base = (AVRational) { 1, (int) tc->conf.clock };
        tc->dec->pkt_timebase = tc->dec->time_base;

    } else {
        tc->dec->time_base = (AVRational) { 1, 90000 };
        tc->dec->pkt_timebase = tc->dec->time_base;
        tc->dec->thread_type = FF_THREAD_SLICE;

        /* a larger picture is an error, not an allocation */
        tc->dec->max_pixels = NGX_RTC_MAX_PIXELS;
    }

    config = tc->conf.config;

    if (config.len == 0 && id == AV_CODEC_ID_AAC) {

        /* no AudioSpecificConfig: AAC LC at the clock's rate */

        for (sfi = 0; sfi < sizeof(rates) / sizeof(rates[0]); sfi++) {
            if (rates[sfi] == tc->conf.clock) {
                break;
            }
        }

        asc[0] = (u_char) ((2 << 3) | (sfi >> 1));
        asc[1] = (u_char) (((sfi & 1) << 7)
                           | ((tc->conf.channels & 0x0f) << 3));

        config.data = asc;
        config.len = 2;
    }

    if (config.len) {
        tc->dec->extradata = av_mallocz(config.len
                                        + AV_INPUT_BUFFER_PADDING_SIZE);
        if (tc->dec->extradata == NULL) {
            return ngx_rtc_transcode_fail(tc, "decoder", AVERROR(ENOMEM));
        }

        ngx_memcpy(tc->dec->extradata, config.data, config.len);
        tc->dec->extradata_size = (int) config.len;
    }

    err = avcodec_open2(tc->dec, codec, NULL);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "cannot open the decoder", err);
    }

    if (tc->conf.codec_out == NGX_RTC_CODEC_H264
        && ngx_rtc_au_init(&tc->au, NGX_RTC_CODEC_H264, NULL, 0) != NGX_OK)
    {
        return ngx_rtc_transcode_fail(tc, "framing", AVERROR_BUG);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_transcode_audio(ngx_rtc_transcode_t *tc, ngx_rtc_frame_t *f,
    int64_t ts)
{
    int      err, n, count;
    int64_t  gap;

    if (!tc->started) {
        tc->started = 1;
        tc->in_next = ts;
        tc->out_ts = av_rescale(ts, NGX_RTC_TRANSCODE_RATE, tc->conf.clock);
    }

    /* a gap in the input (loss, a pause): the same gap in the output */

    gap = ts - tc->in_next;

    if (gap > (int64_t) tc->conf.clock / NGX_RTC_TRANSCODE_GAP) {
        tc->out_ts += av_rescale(gap, NGX_RTC_TRANSCODE_RATE, tc->conf.clock);
    }

    tc->in_next = ts;

    tc->pkt->pts = ts;

    err = avcodec_send_packet(tc->dec, tc->pkt);

    if (err < 0 && err != AVERROR(EAGAIN)) {

        /* a damaged frame: skip it */

        return NGX_OK;
    }

    for ( ;; ) {
        err = avcodec_receive_frame(tc->dec, tc->frame);

        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) {
            return NGX_OK;
        }

        if (err < 0) {
            return NGX_OK;
        }

        if (tc->frame->sample_rate > 0) {
            tc->in_next += av_rescale(tc->frame->nb_samples, tc->conf.clock,
                                      tc->frame->sample_rate);
        }

        if (tc->enc == NULL
            && ngx_rtc_transcode_audio_open(tc, tc->frame) != NGX_OK)
        {
            return NGX_ERROR;
        }

        count = swr_get_out_samples(tc->swr, tc->frame->nb_samples);

        if (count > tc->conv_samples) {
            av_freep(&tc->conv);

            if (av_samples_alloc(&tc->conv, NULL, (int) tc->out_channels,
                                 count, AV_SAMPLE_FMT_S16, 0)
                < 0)
            {
                tc->conv_samples = 0;
                return ngx_rtc_transcode_fail(tc, "resampler buffer",
                                              AVERROR(ENOMEM));
            }

            tc->conv_samples = count;
        }

        n = swr_convert(tc->swr, &tc->conv, count,
                        (const uint8_t **) tc->frame->extended_data,
                        tc->frame->nb_samples);

        av_frame_unref(tc->frame);

        if (n < 0) {
            return ngx_rtc_transcode_fail(tc, "resampling", n);
        }

        if (n && av_audio_fifo_write(tc->fifo, (void **) &tc->conv, n) < n) {
            return ngx_rtc_transcode_fail(tc, "audio buffer",
                                          AVERROR(ENOMEM));
        }

        if (ngx_rtc_transcode_audio_encode(tc) != NGX_OK) {
            return NGX_ERROR;
        }
    }
}


static ngx_int_t
ngx_rtc_transcode_audio_open(ngx_rtc_transcode_t *tc, AVFrame *frame)
{
    int                 err;
    const AVCodec      *codec;
    AVChannelLayout     layout;

    codec = avcodec_find_encoder_by_name("libopus");
    if (codec == NULL) {
        return ngx_rtc_transcode_fail(tc, "no libopus encoder",
                                      AVERROR_ENCODER_NOT_FOUND);
    }

    tc->enc = avcodec_alloc_context3(codec);
    if (tc->enc == NULL) {
        return ngx_rtc_transcode_fail(tc, "encoder", AVERROR(ENOMEM));
    }

    av_channel_layout_default(&layout, (int) tc->out_channels);

    tc->enc->sample_rate = NGX_RTC_TRANSCODE_RATE;
    tc->enc->sample_fmt = AV_SAMPLE_FMT_S16;
    tc->enc->bit_rate = tc->out_channels == 2 ? 64000 : 32000;
    tc->enc->time_base = (AVRational) { 1, NGX_RTC_TRANSCODE_RATE };

    err = av_channel_layout_copy(&tc->enc->ch_layout, &layout);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "encoder", err);
    }

    err = avcodec_open2(tc->enc, codec, NULL);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "cannot open the Opus encoder",
                                      err);
    }

    err = swr_alloc_set_opts2(&tc->swr, &layout, AV_SAMPLE_FMT_S16,
                              NGX_RTC_TRANSCODE_RATE, &frame->ch_layout,
                              frame->format, frame->sample_rate, 0, NULL);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "resampler", err);
    }

    err = swr_init(tc->swr);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "resampler", err);
    }

    tc->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_S16, (int) tc->out_channels,
                                   tc->enc->frame_size * 4);
    tc->eframe = av_frame_alloc();

    if (tc->fifo == NULL || tc->eframe == NULL) {
        return ngx_rtc_transcode_fail(tc, "encoder", AVERROR(ENOMEM));
    }

    tc->eframe->nb_samples = tc->enc->frame_size;
    tc->eframe->format = AV_SAMPLE_FMT_S16;
    tc->eframe->sample_rate = NGX_RTC_TRANSCODE_RATE;

    err = av_channel_layout_copy(&tc->eframe->ch_layout, &layout);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "encoder", err);
    }

    err = av_frame_get_buffer(tc->eframe, 0);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "encoder", err);
    }

    return NGX_OK;
}


/* 20 ms of samples at a time from the FIFO to the encoder */

static ngx_int_t
ngx_rtc_transcode_audio_encode(ngx_rtc_transcode_t *tc)
{
    int                        err, size;
    ngx_rtc_frame_t            of;

    size = tc->enc->frame_size;

    while (av_audio_fifo_size(tc->fifo) >= size) {

        err = av_frame_make_writable(tc->eframe);
        if (err < 0) {
            return ngx_rtc_transcode_fail(tc, "encoder", err);
        }

        if (av_audio_fifo_read(tc->fifo, (void **) tc->eframe->data, size)
            < size)
        {
            return ngx_rtc_transcode_fail(tc, "audio buffer", AVERROR_BUG);
        }

        tc->eframe->pts = tc->out_ts;

        err = avcodec_send_frame(tc->enc, tc->eframe);
        if (err < 0) {
            return ngx_rtc_transcode_fail(tc, "encoding", err);
        }

        for ( ;; ) {
            err = avcodec_receive_packet(tc->enc, tc->pkt);

            if (err == AVERROR(EAGAIN)) {
                break;
            }

            if (err < 0) {
                return ngx_rtc_transcode_fail(tc, "encoding", err);
            }

            ngx_memzero(&of, sizeof(ngx_rtc_frame_t));

            of.capture = tc->capture;
            of.rtp_ts = (uint32_t) tc->out_ts;
            of.track = tc->conf.track;

            tc->out_ts += tc->pkt->duration > 0 ? tc->pkt->duration : size;

            err = ngx_rtc_transcode_queue_add(&tc->out, &of, tc->pkt->data,
                                              tc->pkt->size);

            av_packet_unref(tc->pkt);

            if (err != NGX_OK) {
                return ngx_rtc_transcode_fail(tc, "output queue",
                                              AVERROR(ENOMEM));
            }
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_transcode_video(ngx_rtc_transcode_t *tc, ngx_rtc_frame_t *f,
    int64_t ts)
{
    int  err;

    /* the decoder starts at a keyframe */

    if (!tc->started) {
        if (!(f->flags & NGX_RTC_FRAME_KEY)) {
            return NGX_OK;
        }

        tc->started = 1;
        tc->last_key = ts - NGX_RTC_TRANSCODE_GOP;
        tc->last_pts = ts - 1;
    }

    if (ngx_rtc_au_to_annexb(tc->pkt->data, tc->pkt->size) != NGX_OK) {
        return NGX_OK;
    }

    tc->pkt->pts = ts;
    tc->pkt->dts = AV_NOPTS_VALUE;

    err = avcodec_send_packet(tc->dec, tc->pkt);

    if (err < 0 && err != AVERROR(EAGAIN)) {
        return NGX_OK;
    }

    for ( ;; ) {
        err = avcodec_receive_frame(tc->dec, tc->frame);

        if (err < 0) {
            return NGX_OK;
        }

        err = ngx_rtc_transcode_video_encode(tc, tc->frame);

        av_frame_unref(tc->frame);

        if (err != NGX_OK) {
            return NGX_ERROR;
        }
    }
}


static ngx_int_t
ngx_rtc_transcode_video_encode(ngx_rtc_transcode_t *tc, AVFrame *frame)
{
    int              err;
    size_t           len, bound;
    int64_t          pts;
    ngx_int_t        rc;
    ngx_rtc_frame_t  of;

    if (tc->enc
        && (tc->enc->width != frame->width
            || tc->enc->height != frame->height
            || tc->enc->pix_fmt != frame->format))
    {
        /* the picture size changed: a new encoder */
        avcodec_free_context(&tc->enc);
    }

    if (tc->enc == NULL && ngx_rtc_transcode_video_open(tc, frame) != NGX_OK)
    {
        return NGX_ERROR;
    }

    pts = frame->best_effort_timestamp != AV_NOPTS_VALUE
          ? frame->best_effort_timestamp : frame->pts;

    if (pts == AV_NOPTS_VALUE || pts <= tc->last_pts) {
        pts = tc->last_pts + 1;
    }

    tc->last_pts = pts;
    frame->pts = pts;

    /* a keyframe every 2 s, whatever the source's GOP */

    if (pts - tc->last_key >= NGX_RTC_TRANSCODE_GOP) {
        frame->pict_type = AV_PICTURE_TYPE_I;
        tc->last_key = pts;

    } else {
        frame->pict_type = AV_PICTURE_TYPE_NONE;
    }

    err = avcodec_send_frame(tc->enc, frame);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "encoding", err);
    }

    for ( ;; ) {
        err = avcodec_receive_packet(tc->enc, tc->pkt);

        if (err == AVERROR(EAGAIN)) {
            return NGX_OK;
        }

        if (err < 0) {
            return ngx_rtc_transcode_fail(tc, "encoding", err);
        }

        ngx_memzero(&of, sizeof(ngx_rtc_frame_t));

        of.capture = tc->capture;
        of.rtp_ts = (uint32_t) tc->pkt->pts;
        of.track = tc->conf.track;
        of.flags = (tc->pkt->flags & AV_PKT_FLAG_KEY) ? NGX_RTC_FRAME_KEY : 0;

        /* to the ring's form, straight into the output queue */

        bound = ngx_rtc_au_bound(&tc->au, tc->pkt->size);

        if (tc->out.n == tc->out.nalloc
            || ngx_rtc_transcode_queue_reserve(&tc->out, bound) != NGX_OK)
        {
            av_packet_unref(tc->pkt);
            return ngx_rtc_transcode_fail(tc, "output queue",
                                          AVERROR(ENOMEM));
        }

        rc = ngx_rtc_au_convert(&tc->au, tc->pkt->data,
                                tc->pkt->data + tc->pkt->size,
                                of.flags & NGX_RTC_FRAME_KEY,
                                tc->out.data + tc->out.used, bound, &len);

        av_packet_unref(tc->pkt);

        if (rc != NGX_OK) {
            continue;
        }

        of.len = len;

        tc->out.items[tc->out.n].frame = of;
        tc->out.items[tc->out.n].pos = tc->out.used;
        tc->out.n++;
        tc->out.used += len;
    }
}


static ngx_int_t
ngx_rtc_transcode_video_open(ngx_rtc_transcode_t *tc, AVFrame *frame)
{
    int             err;
    const char     *name;
    const AVCodec  *codec;

    if (frame->format != AV_PIX_FMT_YUV420P
        && frame->format != AV_PIX_FMT_YUVJ420P)
    {
        name = av_get_pix_fmt_name(frame->format);

        tc->reason_len = ngx_snprintf(tc->reason, sizeof(tc->reason),
                                      "transcode: pixel format %s "
                                      "not supported",
                                      name ? name : "unknown")
                         - tc->reason;
        tc->failed = 1;

        return NGX_ERROR;
    }

    codec = avcodec_find_encoder_by_name("libx264");
    if (codec == NULL) {
        return ngx_rtc_transcode_fail(tc, "no libx264 encoder",
                                      AVERROR_ENCODER_NOT_FOUND);
    }

    tc->enc = avcodec_alloc_context3(codec);
    if (tc->enc == NULL) {
        return ngx_rtc_transcode_fail(tc, "encoder", AVERROR(ENOMEM));
    }

    tc->enc->width = frame->width;
    tc->enc->height = frame->height;
    tc->enc->pix_fmt = frame->format;
    tc->enc->sample_aspect_ratio = frame->sample_aspect_ratio;
    tc->enc->time_base = (AVRational) { 1, 90000 };
    tc->enc->framerate = (AVRational) { 25, 1 };     /* a hint only */
    tc->enc->gop_size = 250;
    tc->enc->max_b_frames = 0;

    (void) av_opt_set(tc->enc->priv_data, "preset", "ultrafast", 0);
    (void) av_opt_set(tc->enc->priv_data, "tune", "zerolatency", 0);
    (void) av_opt_set(tc->enc->priv_data, "profile", "baseline", 0);
    (void) av_opt_set(tc->enc->priv_data, "forced-idr", "1", 0);

    err = avcodec_open2(tc->enc, codec, NULL);
    if (err < 0) {
        return ngx_rtc_transcode_fail(tc, "cannot open the H.264 encoder",
                                      err);
    }

    /* the new encoder starts with an IDR */

    tc->last_key = tc->last_pts - NGX_RTC_TRANSCODE_GOP;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_transcode_fail(ngx_rtc_transcode_t *tc, const char *what, int err)
{
    char  buf[AV_ERROR_MAX_STRING_SIZE];

    (void) av_strerror(err, buf, sizeof(buf));

    tc->reason_len = ngx_snprintf(tc->reason, sizeof(tc->reason),
                                  "transcode: %s: %s", what, buf)
                     - tc->reason;
    tc->failed = 1;

    return NGX_ERROR;
}
