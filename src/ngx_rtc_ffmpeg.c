/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_thread_pool.h>
#include <ngx_rtc.h>
#include <ngx_rtc_au.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_transcode.h>
#include <ngx_rtc_ffmpeg.h>

#include <libavformat/avformat.h>
#include <libavutil/time.h>


/*
 * The source lives on the event loop; libavformat's blocking calls run in
 * a thread of the pool, one task at a time (task.event.active).  A task
 * opens the input if needed and reads a batch: about 40 ms of media, at
 * most NGX_RTC_FFMPEG_BATCH frames, already in the ring's form.  The
 * loop plays the batch at the pace of its timestamps on a timer while the
 * next task fills the other batch.
 *
 * While a task runs, the fields under "the task's" below and the batch it
 * fills are the task's alone; the loop touches neither.  The loop asks a
 * running task to stop through "cancel", which libavformat's interrupt
 * callback reads, so that no blocking call outlasts a stop.
 */

#define NGX_RTC_FFMPEG_BATCH        96      /* frames */
#define NGX_RTC_FFMPEG_ROOM         32      /* for a packet cut in frames */
#define NGX_RTC_FFMPEG_BATCH_TIME   40000   /* us of media per task */
#define NGX_RTC_FFMPEG_BACKOFF_MIN  1000
#define NGX_RTC_FFMPEG_BACKOFF_MAX  30000
#define NGX_RTC_FFMPEG_LATE         1000    /* ms: play on from now */
#define NGX_RTC_FFMPEG_EARLY        3000    /* ms: a jump, play now */
#define NGX_RTC_FFMPEG_CONFIG_MAX   8192    /* audio decoder configuration */
#define NGX_RTC_FFMPEG_LOG_RATE     20      /* libav lines a second */

#define NGX_RTC_FFMPEG_OPEN         0
#define NGX_RTC_FFMPEG_READ         1


typedef struct {
    int64_t                   time;       /* us, decode order: pacing */
    uint32_t                  rtp_ts;
    uint32_t                  flags;
    uint32_t                  track;
    size_t                    pos;
    size_t                    len;
} ngx_rtc_ffmpeg_pkt_t;


typedef struct {
    ngx_rtc_ffmpeg_pkt_t      pkts[NGX_RTC_FFMPEG_BATCH];
    ngx_uint_t                n;
    ngx_uint_t                next;       /* the loop's: next to play */
    u_char                   *data;
    size_t                    used;
    size_t                    size;
} ngx_rtc_ffmpeg_batch_t;


struct ngx_rtc_ffmpeg_s {
    ngx_rtc_source_conf_t     conf;
    ngx_thread_pool_t        *thread_pool;
    ngx_uint_t                loop;       /* restart at the end */
    ngx_str_t                 redacted;   /* the URL for logs and status */
    char                     *url;        /* NUL-terminated, for libav */

    ngx_thread_task_t         task;
    ngx_atomic_t              cancel;

    /* the task's (the loop's, too, between tasks) */
    AVFormatContext          *fmt;
    AVPacket                 *pkt;
    ngx_rtc_ffmpeg_batch_t   *fill;
    int                       vindex;
    int                       aindex;
    ngx_uint_t                vcodec;     /* NGX_RTC_CODEC_* */
    ngx_uint_t                acodec;     /* _NONE: not one of ours */
    int                       av_acodec;  /* enum AVCodecID */
    ngx_uint_t                aclock;
    ngx_uint_t                achannels;
    size_t                    aconfig_len;
    u_char                    aconfig[NGX_RTC_FFMPEG_CONFIG_MAX];
    ngx_rtc_au_t              au;
    int64_t                   offset;     /* us added by loops, reopens */
    int64_t                   pass_start; /* us, first packet of a pass */
    int64_t                   pass_end;
    int64_t                   made[2];    /* us: next made-up time, v, a */
    ngx_uint_t                vbframes;   /* H.264 with B-frames */
    int64_t                   deadline;   /* av_gettime_relative() */
    int                       err;
    ngx_uint_t                eof;
    size_t                    reason_len;
    u_char                    reason[NGX_RTC_ERROR_LEN];

    /* the event loop's */
    ngx_uint_t                op;
    ngx_rtc_ffmpeg_batch_t    batches[2];
    ngx_rtc_ffmpeg_batch_t   *play;
    ngx_rtc_ffmpeg_batch_t   *ready;
    ngx_event_t               pace;
    ngx_event_t               retry;
    ngx_msec_t                backoff;
    ngx_uint_t                failures;   /* in a row, since it played */
    ngx_msec_t                anchor_msec;
    int64_t                   anchor_time;
    ngx_rtc_transcode_t      *atc;
    ngx_uint_t                audio_copy;
    ngx_uint_t                anchored;
    ngx_uint_t                ended;
    ngx_uint_t                stopped;
};


static void ngx_rtc_ffmpeg_connect(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_retry_handler(ngx_event_t *ev);
static ngx_int_t ngx_rtc_ffmpeg_post(ngx_rtc_ffmpeg_t *ff, ngx_uint_t op);
static void ngx_rtc_ffmpeg_done(ngx_event_t *ev);
static void ngx_rtc_ffmpeg_opened(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_pace_handler(ngx_event_t *ev);
static void ngx_rtc_ffmpeg_play(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_emit(ngx_rtc_ffmpeg_t *ff,
    ngx_rtc_ffmpeg_batch_t *b, ngx_rtc_ffmpeg_pkt_t *pk);
static void ngx_rtc_ffmpeg_read(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_fail(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_close(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_free(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_transcoders_destroy(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_tc_frame(void *data, ngx_rtc_frame_t *f,
    u_char *buf, size_t len);
static void ngx_rtc_ffmpeg_tc_audio_error(void *data, ngx_str_t *reason);
static void ngx_rtc_ffmpeg_reason(ngx_rtc_ffmpeg_t *ff, const char *what,
    int err);
static void ngx_rtc_ffmpeg_av_log(void *avcl, int level, const char *fmt,
    va_list args);

static void ngx_rtc_ffmpeg_handler(void *data, ngx_log_t *log);
static int ngx_rtc_ffmpeg_interrupt(void *data);
static ngx_int_t ngx_rtc_ffmpeg_open(ngx_rtc_ffmpeg_t *ff);
static void ngx_rtc_ffmpeg_read_batch(ngx_rtc_ffmpeg_t *ff);
static ngx_int_t ngx_rtc_ffmpeg_rewind(ngx_rtc_ffmpeg_t *ff);
static ngx_int_t ngx_rtc_ffmpeg_packet(ngx_rtc_ffmpeg_t *ff,
    ngx_rtc_ffmpeg_batch_t *b, AVPacket *pkt, int64_t *time);
static void ngx_rtc_ffmpeg_pcm(ngx_rtc_ffmpeg_t *ff,
    ngx_rtc_ffmpeg_batch_t *b, size_t len);
static ngx_int_t ngx_rtc_ffmpeg_reserve(ngx_rtc_ffmpeg_batch_t *b,
    size_t len);


/* libav's lines: the second they count in, logged, not logged */
static ngx_atomic_t  ngx_rtc_ffmpeg_log_sec;
static ngx_atomic_t  ngx_rtc_ffmpeg_log_n;
static ngx_atomic_t  ngx_rtc_ffmpeg_log_dropped;


/*
 * A worker's start: libav's messages (of ffmpeg: sources, transcoders,
 * snapshots' scaler and encoder) go to the error log, errors only, one
 * line each, never to stderr as libav's own lines.
 */

void
ngx_rtc_ffmpeg_init_log(void)
{
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(ngx_rtc_ffmpeg_av_log);
}


ngx_rtc_ffmpeg_t *
ngx_rtc_ffmpeg_start(ngx_rtc_ffmpeg_conf_t *conf)
{
    u_char            *p;
    ngx_rtc_ffmpeg_t  *ff;

    static ngx_uint_t  inited;

    if (!inited) {
        inited = 1;
        (void) avformat_network_init();
    }

    ff = ngx_calloc(sizeof(ngx_rtc_ffmpeg_t) + conf->source.url.len + 1
                    + NGX_RTC_AUTH_REDACT_SIZE(conf->source.url.len),
                    conf->source.log);
    if (ff == NULL) {
        return NULL;
    }

    ff->conf = conf->source;
    ff->thread_pool = conf->pool;
    ff->loop = conf->loop;

    p = (u_char *) (ff + 1);
    ff->url = (char *) p;
    p = ngx_cpymem(p, conf->source.url.data, conf->source.url.len);
    *p++ = '\0';

    ff->redacted.data = p;
    ff->redacted.len = ngx_rtc_auth_redact(&conf->source.url, p);

    ff->task.ctx = ff;
    ff->task.handler = ngx_rtc_ffmpeg_handler;
    ff->task.event.data = ff;
    ff->task.event.handler = ngx_rtc_ffmpeg_done;
    ff->task.event.log = conf->source.log;

    ff->pace.handler = ngx_rtc_ffmpeg_pace_handler;
    ff->pace.data = ff;
    ff->pace.log = conf->source.log;
    ff->pace.cancelable = 1;

    ff->retry.handler = ngx_rtc_ffmpeg_retry_handler;
    ff->retry.data = ff;
    ff->retry.log = conf->source.log;
    ff->retry.cancelable = 1;

    ff->backoff = NGX_RTC_FFMPEG_BACKOFF_MIN;
    ff->vindex = -1;
    ff->aindex = -1;
    ff->pass_start = AV_NOPTS_VALUE;

    ngx_log_error(NGX_LOG_INFO, conf->source.log, 0, "rtc ffmpeg opens \"%V\"",
                  &ff->redacted);

    ngx_rtc_ffmpeg_connect(ff);

    return ff;
}


/* a task still running frees the source when it completes */

void
ngx_rtc_ffmpeg_stop(ngx_rtc_ffmpeg_t *ff)
{
    ff->stopped = 1;
    ff->cancel = 1;

    if (ff->pace.timer_set) {
        ngx_del_timer(&ff->pace);
    }

    if (ff->retry.timer_set) {
        ngx_del_timer(&ff->retry);
    }

    ngx_rtc_ffmpeg_transcoders_destroy(ff);

    if (ff->task.event.active) {
        return;
    }

    ngx_rtc_ffmpeg_free(ff);
}


static void
ngx_rtc_ffmpeg_connect(ngx_rtc_ffmpeg_t *ff)
{
    ngx_str_t  reason;

    reason.data = ff->reason;
    reason.len = ff->reason_len;

    ff->conf.state(ff->conf.data, NGX_RTC_RTSP_CONNECTING, &reason);

    if (ngx_rtc_ffmpeg_post(ff, NGX_RTC_FFMPEG_OPEN) != NGX_OK) {
        ngx_rtc_ffmpeg_fail(ff);
    }
}


static void
ngx_rtc_ffmpeg_retry_handler(ngx_event_t *ev)
{
    ngx_rtc_ffmpeg_t *ff = ev->data;

    ngx_rtc_ffmpeg_connect(ff);
}


static ngx_int_t
ngx_rtc_ffmpeg_post(ngx_rtc_ffmpeg_t *ff, ngx_uint_t op)
{
    ngx_uint_t               i;
    ngx_rtc_ffmpeg_batch_t  *b;

    b = NULL;

    for (i = 0; i < 2; i++) {
        if (&ff->batches[i] != ff->play && &ff->batches[i] != ff->ready) {
            b = &ff->batches[i];
            break;
        }
    }

    if (b == NULL || ff->task.event.active) {
        return NGX_AGAIN;
    }

    ff->op = op;
    ff->fill = b;

    if (ngx_thread_task_post(ff->thread_pool, &ff->task) != NGX_OK) {
        ngx_rtc_ffmpeg_reason(ff, "thread pool", AVERROR(EAGAIN));
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* on the event loop, when a task completed */

static void
ngx_rtc_ffmpeg_done(ngx_event_t *ev)
{
    ngx_rtc_ffmpeg_t *ff = ev->data;

    ngx_str_t                reason;
    ngx_rtc_ffmpeg_batch_t  *b;

    if (ff->stopped) {
        ngx_rtc_ffmpeg_free(ff);
        return;
    }

    b = ff->fill;
    ff->fill = NULL;

    if (ff->op == NGX_RTC_FFMPEG_OPEN) {

        if (ff->fmt == NULL) {
            ngx_rtc_ffmpeg_fail(ff);
            return;
        }

        ngx_rtc_ffmpeg_opened(ff);
    }

    if (b->n) {
        b->next = 0;

        if (ff->play == NULL) {
            ff->play = b;

        } else {
            ff->ready = b;
        }

        ff->backoff = NGX_RTC_FFMPEG_BACKOFF_MIN;

        if (ff->failures) {
            ngx_log_error(NGX_LOG_NOTICE, ff->conf.log, 0,
                          "rtc ffmpeg \"%V\" plays again after %ui failed "
                          "attempts", &ff->redacted, ff->failures);
            ff->failures = 0;
        }
    }

    if (ff->err) {
        ngx_rtc_ffmpeg_fail(ff);
        return;
    }

    if (ff->eof) {

        /* a file plays once without "loop"; a live input reconnects */

        if (ngx_strstr(ff->url, "://") == NULL
            || ngx_strncmp(ff->url, "file:", 5) == 0)
        {
            ff->ended = 1;

            ngx_rtc_ffmpeg_reason(ff, "end of", 0);

            reason.data = ff->reason;
            reason.len = ff->reason_len;

            ngx_log_error(NGX_LOG_INFO, ff->conf.log, 0, "rtc ffmpeg %V",
                          &reason);

            ff->conf.state(ff->conf.data, NGX_RTC_RTSP_PLAYING, &reason);

        } else {
            ngx_rtc_ffmpeg_reason(ff, "end of stream", 0);
            ngx_rtc_ffmpeg_fail(ff);
            return;
        }
    }

    if (!ff->pace.timer_set) {
        ngx_rtc_ffmpeg_play(ff);

    } else {
        ngx_rtc_ffmpeg_read(ff);
    }
}


/*
 * The input is open: codecs to report, the audio transcoder to make.
 * transcode=h264 is the producer's (ngx_rtc_producer.c), told of
 * B-frames through the video codec's flags.
 */

static void
ngx_rtc_ffmpeg_opened(ngx_rtc_ffmpeg_t *ff)
{
    ngx_str_t                  none;
    ngx_uint_t                 acodec, aclock, achannels;
    ngx_rtc_transcode_conf_t   tcf;

    static char  *names[] = {
        "none", "H.264", "H.265", "PCMA", "PCMU", "Opus", "AAC"
    };

    ngx_memzero(&tcf, sizeof(ngx_rtc_transcode_conf_t));

    tcf.pool = ff->thread_pool;
    tcf.log = ff->conf.log;
    tcf.name = ff->redacted;
    tcf.data = ff;
    tcf.frame = ngx_rtc_ffmpeg_tc_frame;

    acodec = NGX_RTC_CODEC_NONE;
    aclock = 0;
    achannels = 0;
    ff->audio_copy = 0;

    if (ff->aindex >= 0 && ff->conf.audio != NGX_RTC_AUDIO_OFF) {

        if (ff->acodec == NGX_RTC_CODEC_OPUS
            || (ff->conf.audio == NGX_RTC_AUDIO_COPY
                && ff->acodec != NGX_RTC_CODEC_NONE))
        {
            ff->audio_copy = 1;
            acodec = ff->acodec;
            aclock = ff->aclock;
            achannels = ff->achannels;

        } else if (ff->conf.audio == NGX_RTC_AUDIO_OPUS) {
            tcf.codec_in = ff->acodec;
            tcf.av_codec = ff->av_acodec;
            tcf.codec_out = NGX_RTC_CODEC_OPUS;
            tcf.clock = ff->aclock;
            tcf.channels = ff->achannels;
            tcf.config.data = ff->aconfig;
            tcf.config.len = ff->aconfig_len;
            tcf.track = NGX_RTC_TRACK_AUDIO;
            tcf.error = ngx_rtc_ffmpeg_tc_audio_error;

            ff->atc = ngx_rtc_transcode_create(&tcf);

            if (ff->atc) {
                acodec = NGX_RTC_CODEC_OPUS;
                aclock = 48000;
                achannels = ngx_rtc_transcode_channels(ff->achannels);
            }

        } else {
            ngx_log_error(NGX_LOG_NOTICE, ff->conf.log, 0,
                          "rtc ffmpeg \"%V\": audio codec \"%s\" is not "
                          "passed through, use audio=opus",
                          &ff->redacted, avcodec_get_name(ff->av_acodec));
        }
    }

    ngx_log_error(NGX_LOG_INFO, ff->conf.log, 0,
                  "rtc ffmpeg \"%V\" opened: video %s%s, audio %s",
                  &ff->redacted, names[ff->vcodec],
                  ff->vbframes ? " with B-frames" : "",
                  ff->aindex < 0 ? "none"
                  : (ff->atc ? "to Opus"
                     : (ff->audio_copy ? names[acodec] : "dropped")));

    ff->conf.codec(ff->conf.data, NGX_RTC_TRACK_VIDEO, ff->vcodec, 90000,
                   ff->vbframes ? NGX_RTC_VIDEO_BFRAMES : 0);
    ff->conf.codec(ff->conf.data, NGX_RTC_TRACK_AUDIO, acodec, aclock,
                   achannels);

    ngx_str_null(&none);

    ff->conf.state(ff->conf.data, NGX_RTC_RTSP_PLAYING, &none);
}


static void
ngx_rtc_ffmpeg_pace_handler(ngx_event_t *ev)
{
    ngx_rtc_ffmpeg_t *ff = ev->data;

    ngx_rtc_ffmpeg_play(ff);
}


/*
 * Hands out the frames that are due and arms the timer for the next one:
 * media time (decode order) against the monotonic clock, from an anchor
 * that moves when the input jumps or the loop falls behind.
 */

static void
ngx_rtc_ffmpeg_play(ngx_rtc_ffmpeg_t *ff)
{
    int64_t                  delta;
    ngx_msec_t               now;
    ngx_msec_int_t           wait;
    ngx_rtc_ffmpeg_pkt_t    *pk;
    ngx_rtc_ffmpeg_batch_t  *b;

    while (ff->play) {
        b = ff->play;

        while (b->next < b->n) {
            pk = &b->pkts[b->next];
            now = ngx_current_msec;

            if (!ff->anchored) {
                ff->anchored = 1;
                ff->anchor_msec = now;
                ff->anchor_time = pk->time;
            }

            delta = (pk->time - ff->anchor_time) / 1000;
            wait = (ngx_msec_int_t) (ff->anchor_msec + (ngx_msec_t) delta
                                     - now);

            if (wait > NGX_RTC_FFMPEG_EARLY || wait < -NGX_RTC_FFMPEG_LATE) {
                ff->anchor_msec = now;
                ff->anchor_time = pk->time;
                wait = 0;
            }

            if (wait > 0) {
                ngx_add_timer(&ff->pace, (ngx_msec_t) wait);
                ngx_rtc_ffmpeg_read(ff);
                return;
            }

            b->next++;

            ngx_rtc_ffmpeg_emit(ff, b, pk);
        }

        b->n = 0;
        b->next = 0;

        ff->play = ff->ready;
        ff->ready = NULL;

        ngx_rtc_ffmpeg_read(ff);
    }
}


static void
ngx_rtc_ffmpeg_emit(ngx_rtc_ffmpeg_t *ff, ngx_rtc_ffmpeg_batch_t *b,
    ngx_rtc_ffmpeg_pkt_t *pk)
{
    u_char           *data;
    ngx_rtc_frame_t   f;

    ngx_memzero(&f, sizeof(ngx_rtc_frame_t));

    f.capture = ngx_rtc_frame_now();
    f.rtp_ts = pk->rtp_ts;
    f.flags = pk->flags;
    f.track = pk->track;
    f.len = pk->len;

    data = b->data + pk->pos;

    if (pk->track == NGX_RTC_TRACK_VIDEO) {
        ff->conf.frame(ff->conf.data, &f, data, pk->len);
        return;
    }

    if (ff->atc) {
        (void) ngx_rtc_transcode_push(ff->atc, &f, data, pk->len);
        return;
    }

    if (ff->audio_copy) {
        ff->conf.frame(ff->conf.data, &f, data, pk->len);
    }
}


/* the next read, when a batch is free and no task runs */

static void
ngx_rtc_ffmpeg_read(ngx_rtc_ffmpeg_t *ff)
{
    if (ff->task.event.active || ff->fmt == NULL || ff->ended || ff->stopped
        || ff->retry.timer_set)
    {
        return;
    }

    if (ngx_rtc_ffmpeg_post(ff, NGX_RTC_FFMPEG_READ) == NGX_ERROR) {
        ngx_rtc_ffmpeg_fail(ff);
    }
}


/* no task runs: close, report ff->reason, open again after a while */

static void
ngx_rtc_ffmpeg_fail(ngx_rtc_ffmpeg_t *ff)
{
    ngx_str_t  reason;

    ngx_rtc_ffmpeg_close(ff);

    if (ff->pace.timer_set) {
        ngx_del_timer(&ff->pace);
    }

    ff->play = NULL;
    ff->ready = NULL;
    ff->batches[0].n = 0;
    ff->batches[1].n = 0;
    ff->anchored = 0;

    ngx_rtc_ffmpeg_transcoders_destroy(ff);

    if (ff->reason_len == 0) {
        ngx_rtc_ffmpeg_reason(ff, "failed", AVERROR_UNKNOWN);
    }

    reason.data = ff->reason;
    reason.len = ff->reason_len;

    /*
     * As for RTSP cameras (ngx_rtc_rtsp_retry_later()): the first failure
     * at "error", the repeats until the input plays again at "info"
     */

    if (ff->failures++ == 0) {
        ngx_log_error(NGX_LOG_ERR, ff->conf.log, 0,
                      "rtc ffmpeg %V, retrying in %M ms", &reason,
                      ff->backoff);

    } else {
        ngx_log_error(NGX_LOG_INFO, ff->conf.log, 0,
                      "rtc ffmpeg %V, retrying in %M ms (%ui failures in a "
                      "row)", &reason, ff->backoff, ff->failures);
    }

    ff->conf.state(ff->conf.data, NGX_RTC_RTSP_RETRYING, &reason);

    ngx_add_timer(&ff->retry, ff->backoff);

    ff->backoff = ngx_min(ff->backoff * 2, NGX_RTC_FFMPEG_BACKOFF_MAX);
}


/*
 * No task runs.  With "cancel" set the interrupt callback stops any I/O
 * closing would wait for (an RTMP goodbye, a TLS close notify).
 */

static void
ngx_rtc_ffmpeg_close(ngx_rtc_ffmpeg_t *ff)
{
    if (ff->fmt) {
        ff->cancel = 1;
        avformat_close_input(&ff->fmt);
        ff->cancel = ff->stopped;
    }
}


static void
ngx_rtc_ffmpeg_free(ngx_rtc_ffmpeg_t *ff)
{
    ngx_rtc_ffmpeg_close(ff);

    av_packet_free(&ff->pkt);

    free(ff->batches[0].data);
    free(ff->batches[1].data);

    ngx_rtc_ffmpeg_transcoders_destroy(ff);

    ngx_free(ff);
}


static void
ngx_rtc_ffmpeg_transcoders_destroy(ngx_rtc_ffmpeg_t *ff)
{
    if (ff->atc) {
        ngx_rtc_transcode_destroy(ff->atc);
        ff->atc = NULL;
    }
}


static void
ngx_rtc_ffmpeg_tc_frame(void *data, ngx_rtc_frame_t *f, u_char *buf,
    size_t len)
{
    ngx_rtc_ffmpeg_t *ff = data;

    ff->conf.frame(ff->conf.data, f, buf, len);
}


/* no Opus: video only from now on */

static void
ngx_rtc_ffmpeg_tc_audio_error(void *data, ngx_str_t *reason)
{
    ngx_rtc_ffmpeg_t *ff = data;

    ngx_log_error(NGX_LOG_ERR, ff->conf.log, 0,
                  "rtc ffmpeg \"%V\": audio dropped", &ff->redacted);

    ngx_rtc_transcode_destroy(ff->atc);
    ff->atc = NULL;

    ff->conf.codec(ff->conf.data, NGX_RTC_TRACK_AUDIO, NGX_RTC_CODEC_NONE,
                   0, 0);
}


/* "reason": what failed, the input, and libav's word for why */

static void
ngx_rtc_ffmpeg_reason(ngx_rtc_ffmpeg_t *ff, const char *what, int err)
{
    u_char  *p, *last;
    size_t   room;
    char     buf[AV_ERROR_MAX_STRING_SIZE];

    p = ff->reason;
    last = ff->reason + NGX_RTC_ERROR_LEN;

    /* the URL shortened from the left if need be, the error kept whole */

    if (err == AVERROR_EXIT && !ff->cancel) {

        /* the interrupt callback's deadline */
        err = AVERROR(ETIMEDOUT);
    }

    if (err) {
        (void) av_strerror(err, buf, sizeof(buf));

    } else {
        buf[0] = '\0';
    }

    room = NGX_RTC_ERROR_LEN - ngx_min(NGX_RTC_ERROR_LEN,
                                       ngx_strlen(what) + ngx_strlen(buf)
                                       + sizeof("ffmpeg:\"\" : ..."));

    p = ngx_slprintf(p, last, "%s \"ffmpeg:", what);

    if (ff->redacted.len > room) {
        p = ngx_slprintf(p, last, "...%*s", room,
                         ff->redacted.data + ff->redacted.len - room);

    } else {
        p = ngx_slprintf(p, last, "%V", &ff->redacted);
    }

    p = ngx_slprintf(p, last, "\"%s%s", err ? ": " : "", buf);

    ff->reason_len = p - ff->reason;
}


/*
 * libav's own messages (errors only), from the event loop and from the
 * pool's threads alike, as nginx's thread pool itself logs.
 */

static void
ngx_rtc_ffmpeg_av_log(void *avcl, int level, const char *fmt, va_list args)
{
    int                 i, n, prefix;
    char                line[512];
    ngx_atomic_uint_t   now, sec, dropped;

    if (level > av_log_get_level()) {
        return;
    }

    prefix = 1;

    av_log_format_line2(avcl, level, fmt, args, line, sizeof(line), &prefix);

    n = (int) ngx_strlen(line);

    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        n--;
    }

    if (n == 0) {
        return;
    }

    /*
     * A hostile or broken input makes libav say something of every
     * macroblock: NGX_RTC_FFMPEG_LOG_RATE lines a second at most, then
     * how many were not logged.  Pool threads log too: atomics, and a
     * count that may be off by the lines racing a new second.
     */

    now = (ngx_atomic_uint_t) ngx_time();
    sec = ngx_rtc_ffmpeg_log_sec;

    if (now != sec && ngx_atomic_cmp_set(&ngx_rtc_ffmpeg_log_sec, sec, now)) {

        do {
            dropped = ngx_rtc_ffmpeg_log_dropped;
        } while (!ngx_atomic_cmp_set(&ngx_rtc_ffmpeg_log_dropped, dropped,
                                     0));

        ngx_rtc_ffmpeg_log_n = 0;

        if (dropped) {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "rtc ffmpeg: %uA more lines of libav not logged "
                          "(%d a second at most)", dropped,
                          NGX_RTC_FFMPEG_LOG_RATE);
        }
    }

    if (ngx_atomic_fetch_add(&ngx_rtc_ffmpeg_log_n, 1)
        >= NGX_RTC_FFMPEG_LOG_RATE)
    {
        (void) ngx_atomic_fetch_add(&ngx_rtc_ffmpeg_log_dropped, 1);
        return;
    }

    /* they quote what the server sent (a reason phrase): keep them plain */

    for (i = 0; i < n; i++) {
        if ((u_char) line[i] < 0x20 || line[i] == 0x7f) {
            line[i] = '?';
        }
    }

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0, "rtc ffmpeg: %*s",
                  (size_t) n, line);
}


/*
 * In a thread of the pool: the task's fields only.
 */

static void
ngx_rtc_ffmpeg_handler(void *data, ngx_log_t *log)
{
    ngx_rtc_ffmpeg_t *ff = data;

    ff->err = 0;
    ff->eof = 0;
    ff->reason_len = 0;

    if (ff->op == NGX_RTC_FFMPEG_OPEN && ngx_rtc_ffmpeg_open(ff) != NGX_OK) {
        return;
    }

    ngx_rtc_ffmpeg_read_batch(ff);
}


/*
 * libavformat's blocking calls poll this.  Beside a stop and the deadline,
 * the worker's own exit ends them: a worker that exits waits for the
 * pool's threads (ngx_thread_pool's exit_process) before the modules'
 * exit_process could stop the source.
 */

static int
ngx_rtc_ffmpeg_interrupt(void *data)
{
    ngx_rtc_ffmpeg_t *ff = data;

    if (ff->cancel || ngx_exiting || ngx_terminate || ngx_quit) {
        return 1;
    }

    return av_gettime_relative() > ff->deadline;
}


static ngx_int_t
ngx_rtc_ffmpeg_open(ngx_rtc_ffmpeg_t *ff)
{
    int                 err, aindex;
    unsigned            i, nopts;
    AVStream           *st;
    AVDictionary      **opts;
    AVFormatContext    *fmt;
    AVCodecParameters  *par;

    fmt = avformat_alloc_context();
    if (fmt == NULL) {
        ngx_rtc_ffmpeg_reason(ff, "cannot open", AVERROR(ENOMEM));
        return NGX_ERROR;
    }

    fmt->interrupt_callback.callback = ngx_rtc_ffmpeg_interrupt;
    fmt->interrupt_callback.opaque = ff;

    ff->deadline = av_gettime_relative() + (int64_t) ff->conf.timeout * 1000;

    /* on failure avformat_open_input() frees the context */

    err = avformat_open_input(&fmt, ff->url, NULL, NULL);
    if (err < 0) {
        ngx_rtc_ffmpeg_reason(ff, "cannot open", err);
        return NGX_ERROR;
    }

    ff->deadline = av_gettime_relative() + (int64_t) ff->conf.timeout * 1000;

    /* the probe decodes: no picture larger than NGX_RTC_MAX_PIXELS */

    nopts = fmt->nb_streams;
    opts = NULL;

    if (nopts) {
        opts = av_calloc(nopts, sizeof(AVDictionary *));
        if (opts == NULL) {
            ngx_rtc_ffmpeg_reason(ff, "cannot open", AVERROR(ENOMEM));
            goto failed;
        }

        for (i = 0; i < nopts; i++) {
            (void) av_dict_set_int(&opts[i], "max_pixels",
                                   NGX_RTC_MAX_PIXELS, 0);
        }
    }

    err = avformat_find_stream_info(fmt, opts);

    if (opts) {
        for (i = 0; i < nopts; i++) {
            av_dict_free(&opts[i]);
        }

        av_free(opts);
    }

    if (err < 0) {
        ngx_rtc_ffmpeg_reason(ff, "no stream information in", err);
        goto failed;
    }

    ff->vindex = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL,
                                     0);
    if (ff->vindex < 0) {
        ngx_rtc_ffmpeg_reason(ff, "no video in", 0);
        goto failed;
    }

    st = fmt->streams[ff->vindex];
    par = st->codecpar;

    ff->vcodec = ngx_rtc_transcode_codec(par->codec_id);

    if (ff->vcodec != NGX_RTC_CODEC_H264 && ff->vcodec != NGX_RTC_CODEC_H265)
    {
        ff->reason_len = ngx_snprintf(ff->reason, NGX_RTC_ERROR_LEN,
                                      "video codec \"%s\" is not supported",
                                      avcodec_get_name(par->codec_id))
                         - ff->reason;
        goto failed;
    }

    if ((int64_t) par->width * par->height > NGX_RTC_MAX_PIXELS) {
        ff->reason_len = ngx_snprintf(ff->reason, NGX_RTC_ERROR_LEN,
                                      "video size %dx%d is too large",
                                      par->width, par->height)
                         - ff->reason;
        goto failed;
    }

    ff->vbframes = (par->video_delay > 0);

    if (ngx_rtc_au_init(&ff->au, ff->vcodec, par->extradata,
                        par->extradata_size)
        != NGX_OK)
    {
        ngx_rtc_ffmpeg_reason(ff, "bad video codec configuration in", 0);
        goto failed;
    }

    ff->aindex = -1;
    ff->acodec = NGX_RTC_CODEC_NONE;
    ff->aconfig_len = 0;

    aindex = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, ff->vindex,
                                 NULL, 0);

    if (aindex >= 0 && ff->conf.audio != NGX_RTC_AUDIO_OFF) {
        ff->aindex = aindex;

        par = fmt->streams[aindex]->codecpar;

        ff->av_acodec = par->codec_id;
        ff->aclock = par->sample_rate > 0 ? par->sample_rate : 48000;
        ff->achannels = par->ch_layout.nb_channels > 0
                        ? par->ch_layout.nb_channels : 1;

        ff->acodec = ngx_rtc_transcode_codec(par->codec_id);

        if (ff->acodec == NGX_RTC_CODEC_OPUS) {
            ff->aclock = 48000;     /* RFC 7587 4.1, whatever the input */
        }

        if (par->extradata_size > 0
            && par->extradata_size <= NGX_RTC_FFMPEG_CONFIG_MAX)
        {
            ngx_memcpy(ff->aconfig, par->extradata, par->extradata_size);
            ff->aconfig_len = par->extradata_size;
        }
    }

    if (ff->pkt == NULL) {
        ff->pkt = av_packet_alloc();
        if (ff->pkt == NULL) {
            ngx_rtc_ffmpeg_reason(ff, "cannot read", AVERROR(ENOMEM));
            goto failed;
        }
    }

    /* a reopened input continues the timestamps */

    if (ff->pass_start != AV_NOPTS_VALUE) {
        ff->offset += ff->pass_end - ff->pass_start;
        ff->pass_start = AV_NOPTS_VALUE;
    }

    ff->made[0] = 0;
    ff->made[1] = 0;

    ff->fmt = fmt;

    return NGX_OK;

failed:

    avformat_close_input(&fmt);

    return NGX_ERROR;
}


static void
ngx_rtc_ffmpeg_read_batch(ngx_rtc_ffmpeg_t *ff)
{
    int                      err;
    int64_t                  time, first;
    ngx_rtc_ffmpeg_batch_t  *b;

    b = ff->fill;
    b->n = 0;
    b->used = 0;

    first = AV_NOPTS_VALUE;

    ff->deadline = av_gettime_relative() + (int64_t) ff->conf.timeout * 1000;

    while (b->n + NGX_RTC_FFMPEG_ROOM <= NGX_RTC_FFMPEG_BATCH
           && !ff->cancel)
    {
        err = av_read_frame(ff->fmt, ff->pkt);

        if (err == AVERROR(EAGAIN)) {

            /* a demuxer with nothing yet: the same deadline as I/O */

            if (ngx_rtc_ffmpeg_interrupt(ff)) {
                ngx_rtc_ffmpeg_reason(ff, "cannot read", AVERROR_EXIT);
                ff->err = AVERROR_EXIT;
                return;
            }

            av_usleep(10000);
            continue;
        }

        ff->deadline = av_gettime_relative()
                       + (int64_t) ff->conf.timeout * 1000;

        if (err == AVERROR_EOF
            || (err < 0 && ff->fmt->pb && ff->fmt->pb->eof_reached))
        {
            if (!ff->loop) {
                ff->eof = 1;
                return;
            }

            /* a pass without a packet: do not spin */

            if (ff->pass_start == AV_NOPTS_VALUE) {
                ngx_rtc_ffmpeg_reason(ff, "nothing to play in", 0);
                ff->err = AVERROR_EOF;
                return;
            }

            if (ngx_rtc_ffmpeg_rewind(ff) != NGX_OK) {
                return;
            }

            continue;
        }

        if (err < 0) {
            ngx_rtc_ffmpeg_reason(ff, "cannot read", err);
            ff->err = err;
            return;
        }

        if (ngx_rtc_ffmpeg_packet(ff, b, ff->pkt, &time) == NGX_OK) {

            if (first == AV_NOPTS_VALUE) {
                first = time;

            } else if (time - first >= NGX_RTC_FFMPEG_BATCH_TIME) {
                av_packet_unref(ff->pkt);
                return;
            }
        }

        av_packet_unref(ff->pkt);
    }
}


/* "loop": back to the start, the timestamps going on from the end */

static ngx_int_t
ngx_rtc_ffmpeg_rewind(ngx_rtc_ffmpeg_t *ff)
{
    int      err;
    int64_t  start;

    ff->offset += ngx_max(ff->pass_end - ff->pass_start, 1);
    ff->pass_start = AV_NOPTS_VALUE;
    ff->made[0] = 0;
    ff->made[1] = 0;

    start = ff->fmt->start_time != AV_NOPTS_VALUE ? ff->fmt->start_time : 0;

    ff->deadline = av_gettime_relative() + (int64_t) ff->conf.timeout * 1000;

    err = av_seek_frame(ff->fmt, -1, start, AVSEEK_FLAG_BACKWARD);

    if (err >= 0) {
        return NGX_OK;
    }

    /* not seekable: open it again */

    avformat_close_input(&ff->fmt);

    if (ngx_rtc_ffmpeg_open(ff) != NGX_OK) {
        ff->err = AVERROR_EOF;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* one packet into the batch, in the ring's form, with its times */

static ngx_int_t
ngx_rtc_ffmpeg_packet(ngx_rtc_ffmpeg_t *ff, ngx_rtc_ffmpeg_batch_t *b,
    AVPacket *pkt, int64_t *time)
{
    u_char                *data, asc[2];
    size_t                 len, header, frame, bound;
    int64_t                dts, pts, dur, t, pt;
    ngx_int_t              rc;
    AVStream              *st;
    AVRational             tb;
    ngx_uint_t             clock, video;
    ngx_rtc_ffmpeg_pkt_t  *pk;

    if (pkt->stream_index == ff->vindex) {
        video = 1;
        clock = 90000;

    } else if (pkt->stream_index == ff->aindex) {
        video = 0;
        clock = ff->aclock;

    } else {
        return NGX_DECLINED;
    }

    /*
     * Frames over the ring's limit go on to the producer, whose ring
     * refuses them with a warning; only absurd sizes stop here.
     */

    if (pkt->size <= 0 || pkt->size > 8 * NGX_RTC_MAX_FRAME) {
        return NGX_DECLINED;
    }

    st = ff->fmt->streams[pkt->stream_index];
    tb = st->time_base;

    dur = pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q)
                            : 0;

    dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;

    if (dts != AV_NOPTS_VALUE) {
        dts = av_rescale_q(dts, tb, AV_TIME_BASE_Q);
        pts = pkt->pts != AV_NOPTS_VALUE
              ? av_rescale_q(pkt->pts, tb, AV_TIME_BASE_Q) : dts;

    } else {

        /*
         * A raw elementary stream (a .h264 or .h265 file): no timestamps,
         * only durations (the demuxer's frame rate, 25 by default); the
         * packets' times are made from them, in decoding order.
         */

        if (dur == 0 && video && st->avg_frame_rate.num > 0
            && st->avg_frame_rate.den > 0)
        {
            dur = av_rescale(1000000, st->avg_frame_rate.den,
                             st->avg_frame_rate.num);
        }

        if (dur <= 0) {
            return NGX_DECLINED;
        }

        dts = ff->made[video ? 0 : 1];
        pts = dts;
        ff->made[video ? 0 : 1] += dur;
    }

    if (ff->pass_start == AV_NOPTS_VALUE) {
        ff->pass_start = dts;
        ff->pass_end = dts;
    }

    ff->pass_end = ngx_max(ff->pass_end, ngx_max(dts, pts) + dur);

    t = dts - ff->pass_start + ff->offset;
    pt = pts - ff->pass_start + ff->offset;

    data = pkt->data;
    len = pkt->size;

    pk = &b->pkts[b->n];

    pk->time = t;
    pk->rtp_ts = (uint32_t) av_rescale(pt, clock, 1000000);
    pk->track = video ? NGX_RTC_TRACK_VIDEO : NGX_RTC_TRACK_AUDIO;
    pk->flags = 0;
    pk->pos = b->used;

    if (video) {
        bound = ngx_rtc_au_bound(&ff->au, len);

        if (ngx_rtc_ffmpeg_reserve(b, bound) != NGX_OK) {
            return NGX_DECLINED;
        }

        rc = ngx_rtc_au_convert(&ff->au, data, data + len,
                                (pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0,
                                b->data + b->used, bound, &len);
        if (rc != NGX_OK) {
            return NGX_DECLINED;
        }

        if (pkt->flags & AV_PKT_FLAG_KEY) {
            pk->flags = NGX_RTC_FRAME_KEY;
        }

    } else {

        /* AAC in MPEG-TS and the like: ADTS off, its config kept */

        if (ff->acodec == NGX_RTC_CODEC_AAC
            && ngx_rtc_au_adts(data, data + len, &header, &frame, asc)
               == NGX_OK)
        {
            if (ff->aconfig_len == 0) {
                ff->aconfig[0] = asc[0];
                ff->aconfig[1] = asc[1];
                ff->aconfig_len = 2;
            }

            data += header;
            len = frame - header;
        }

        if (ngx_rtc_ffmpeg_reserve(b, len) != NGX_OK) {
            return NGX_DECLINED;
        }

        ngx_memcpy(b->data + b->used, data, len);

        if (ff->acodec == NGX_RTC_CODEC_PCMA
            || ff->acodec == NGX_RTC_CODEC_PCMU)
        {
            ngx_rtc_ffmpeg_pcm(ff, b, len);
            *time = t;
            return NGX_OK;
        }
    }

    pk->len = len;
    b->used += len;
    b->n++;

    *time = t;

    return NGX_OK;
}


/*
 * G.711 from a file comes in blocks of any length (128 ms in Matroska):
 * 20 ms frames, as an RTP sender packs them (RFC 3551 4.2, 4.5.14).
 */

static void
ngx_rtc_ffmpeg_pcm(ngx_rtc_ffmpeg_t *ff, ngx_rtc_ffmpeg_batch_t *b,
    size_t len)
{
    size_t                 off, n, chunk;
    ngx_uint_t             samples;
    ngx_rtc_ffmpeg_pkt_t  *first, *pk;

    first = &b->pkts[b->n];
    /* 20 ms a packet; a sample at least (a clock under 50 Hz) */
    chunk = ngx_max(ff->aclock / 50, 1) * ff->achannels;

    for (off = 0; off < len && b->n < NGX_RTC_FFMPEG_BATCH; off += n) {
        n = ngx_min(chunk, len - off);
        samples = off / ff->achannels;

        pk = &b->pkts[b->n++];

        *pk = *first;
        pk->time = first->time + (int64_t) samples * 1000000 / ff->aclock;
        pk->rtp_ts = first->rtp_ts + samples;
        pk->pos = b->used + off;
        pk->len = n;
    }

    b->used += len;
}


static ngx_int_t
ngx_rtc_ffmpeg_reserve(ngx_rtc_ffmpeg_batch_t *b, size_t len)
{
    u_char  *p;
    size_t   size;

    if (b->size - b->used >= len) {
        return NGX_OK;
    }

    size = ngx_max(b->size * 2, b->used + len + 65536);

    p = realloc(b->data, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b->data = p;
    b->size = size;

    return NGX_OK;
}
