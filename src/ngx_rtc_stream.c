/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_session_patch.h>
#include <ngx_rtc_h264.h>
#include <ngx_rtc_h265.h>
#include <ngx_rtc_runtime.h>
#include <ngx_rtc_latency.h>


/*
 * The worker side of the data path.  When the worker's eventfd fires, each
 * stream in the worker slot's pending set (streams whose producer wrote
 * frames since, see ngx_rtc_slot_sh_t) reads its new frames from the
 * ring, video and audio in ring order, packetizes each frame once, and
 * hands the payloads to every local session that takes media (the
 * stream's "active" list).  A wake-up costs the streams that have news,
 * however many streams the worker knows; the walks of all the streams
 * with local sessions (the "watched" list) are the watchdog's, once a
 * second, and an exiting worker's, which no producer wakes any more.
 *
 * Bounded work per event: the fan-out of a stream runs as its own posted
 * event, and after rtc_fanout_budget viewer-packets it yields: it posts
 * itself to ngx_posted_next_events and returns, the frame in progress and
 * the next session to get it kept in the stream.  nginx then polls (with a
 * zero timeout), runs expired timers and the events of every other stream
 * once before this one goes on: a stream with a thousand viewers delays
 * the others, the lease renewal and HTTP requests by one budget at most,
 * and streams share the worker in turns.
 */


#define NGX_RTC_STREAM_POLL      10
#define NGX_RTC_STREAM_EXIT_CHECK  1000  /* ms: the zone, while exiting */
#define NGX_RTC_STREAM_SKIP_LOG  10000



typedef struct {
    ngx_rtc_stream_t         *streams;
    ngx_uint_t                nstreams;
    ngx_uint_t                capacity;   /* configured + runtime streams */

    /* the streams by their zone entry: NGX_RTC_MAX_STREAMS pointers */
    ngx_rtc_stream_t        **by_index;

    /* the streams with sessions in this worker */
    ngx_queue_t               watched;

    ngx_connection_t         *notify;
    ngx_event_t               poll;       /* while exiting */
    ngx_msec_t                exiting;    /* when exiting began */
    ngx_msec_t                exit_check; /* the last look at the zone */
    u_char                   *frame;      /* NGX_RTC_MAX_FRAME bytes */
    ngx_rtc_packets_t        *packets;

    /* what "packets" holds: NACKs of one frame packetize it once */
    ngx_rtc_stream_t         *packed;
    uint64_t                  packed_seq;

    ngx_uint_t                budget;     /* rtc_fanout_budget */

    /* the slot's count of sessions deleted from other workers, seen */
    ngx_atomic_uint_t         deletes;
} ngx_rtc_worker_t;


static void ngx_rtc_stream_init(ngx_rtc_stream_t *st,
    ngx_rtc_stream_conf_t *conf, ngx_log_t *log);
static void ngx_rtc_stream_notify(ngx_event_t *ev);
static void ngx_rtc_stream_process(void);
static void ngx_rtc_stream_pending(void);
static void ngx_rtc_stream_post(ngx_rtc_stream_t *st);
static void ngx_rtc_stream_poll(ngx_event_t *ev);
static void ngx_rtc_stream_watchdog(void);
static void ngx_rtc_stream_removed(ngx_log_t *log);
static void ngx_rtc_stream_sweep(void);
static void ngx_rtc_stream_fan_out(ngx_event_t *ev);
static void ngx_rtc_stream_lapped(ngx_rtc_stream_t *st, uint64_t seq);
static ngx_int_t ngx_rtc_stream_frame(ngx_rtc_stream_t *st, uint64_t seq);
static ngx_int_t ngx_rtc_stream_read(ngx_rtc_stream_t *st, uint64_t seq);
static void ngx_rtc_stream_skipped(ngx_rtc_stream_t *st, uint64_t seq,
    char *why);
static ngx_int_t ngx_rtc_stream_packetize(ngx_rtc_stream_t *st,
    ngx_rtc_packets_t *pk);
static void ngx_rtc_stream_dummy(ngx_event_t *ev);


/* the worker's streams and buffers: a per-process singleton */
static ngx_rtc_worker_t  ngx_rtc_worker;


ngx_int_t
ngx_rtc_stream_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t              i;
    ngx_connection_t       *c;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_stream_conf_t  *scf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtc_module);

    /* runtime streams join later: ngx_rtc_stream_add() */

    ngx_rtc_worker.nstreams = rmcf->streams.nelts;
    ngx_rtc_worker.capacity = rmcf->streams.nelts
                              + ngx_rtc_shm_runtime_room();
    ngx_rtc_worker.streams = ngx_pcalloc(cycle->pool, ngx_rtc_worker.capacity
                                         * sizeof(ngx_rtc_stream_t));
    ngx_rtc_worker.by_index = ngx_pcalloc(cycle->pool, NGX_RTC_MAX_STREAMS
                                          * sizeof(ngx_rtc_stream_t *));
    ngx_rtc_worker.frame = ngx_alloc(NGX_RTC_MAX_FRAME, cycle->log);
    ngx_rtc_worker.packets = ngx_alloc(sizeof(ngx_rtc_packets_t), cycle->log);

    if (ngx_rtc_worker.streams == NULL || ngx_rtc_worker.by_index == NULL
        || ngx_rtc_worker.frame == NULL || ngx_rtc_worker.packets == NULL)
    {
        return NGX_ERROR;
    }

    ngx_queue_init(&ngx_rtc_worker.watched);

    ngx_rtc_worker.packets->data = ngx_alloc(NGX_RTC_MAX_PACKETS * NGX_RTC_MTU,
                                             cycle->log);
    if (ngx_rtc_worker.packets->data == NULL) {
        return NGX_ERROR;
    }

    ngx_rtc_worker.budget = rmcf->fanout_budget;

    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        ngx_rtc_stream_init(&ngx_rtc_worker.streams[i], &scf[i], cycle->log);
    }

    if (ngx_worker >= rmcf->nworkers) {
        return NGX_OK;
    }

    c = ngx_get_connection(rmcf->eventfd[ngx_worker], cycle->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->read->handler = ngx_rtc_stream_notify;
    c->read->log = cycle->log;
    c->write->handler = ngx_rtc_stream_dummy;
    c->data = &ngx_rtc_worker;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_free_connection(c);
        return NGX_ERROR;
    }

    ngx_rtc_worker.notify = c;

    ngx_rtc_shm_wake_local(c->read, c->fd);

    ngx_rtc_worker.poll.handler = ngx_rtc_stream_poll;
    ngx_rtc_worker.poll.log = cycle->log;
    ngx_rtc_worker.poll.data = &ngx_rtc_worker;

    return NGX_OK;
}


void
ngx_rtc_stream_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t          i;
    ngx_queue_t        *q;
    ngx_rtc_stream_t   *st;
    ngx_rtc_session_t  *s;

    if (ngx_rtc_worker.poll.timer_set) {
        ngx_del_timer(&ngx_rtc_worker.poll);
    }

    ngx_rtc_latency_flush();

    for (i = 0; i < ngx_rtc_worker.nstreams; i++) {
        st = &ngx_rtc_worker.streams[i];

        while (!ngx_queue_empty(&st->sessions)) {
            q = ngx_queue_head(&st->sessions);
            s = ngx_queue_data(q, ngx_rtc_session_t, queue);
            ngx_rtc_session_close(s, "worker exits");
        }

        if (st->fan_ev.posted) {
            ngx_delete_posted_event(&st->fan_ev);
        }
    }

    if (ngx_rtc_worker.notify) {
        ngx_rtc_shm_wake_local(NULL, -1);

        if (ngx_rtc_worker.notify->read->posted) {
            ngx_delete_posted_event(ngx_rtc_worker.notify->read);
        }

        ngx_del_event(ngx_rtc_worker.notify->read, NGX_READ_EVENT, 0);

        /* the eventfd belongs to the cycle: closed by the master */
        ngx_rtc_worker.notify->fd = (ngx_socket_t) -1;
        ngx_free_connection(ngx_rtc_worker.notify);
        ngx_rtc_worker.notify = NULL;
    }
}


/*
 * A configured stream, or a runtime one (maybe made since the last look).
 * NULL also when reloads have freed the stream's entry and made it another
 * stream's (a worker of an older configuration, exiting: it must not serve
 * that stream's ring under this name); the zone's lock checks it again
 * (ngx_rtc_shm_session_add(), ngx_rtc_shm_demand()).
 */

ngx_rtc_stream_t *
ngx_rtc_stream_find(ngx_str_t *name)
{
    ngx_uint_t         i, n;
    ngx_rtc_stream_t  *st;

    for (n = 0; n < 2; n++) {

        for (i = 0; i < ngx_rtc_worker.nstreams; i++) {
            st = &ngx_rtc_worker.streams[i];

            if (st->conf->name.len == name->len
                && ngx_strncmp(st->conf->name.data, name->data, name->len)
                   == 0)
            {
                return (st->sh->incarnation == st->incarnation) ? st : NULL;
            }
        }

        if (ngx_rtc_worker.streams == NULL) {
            break;
        }

        ngx_rtc_runtime_sync();
    }

    return NULL;
}


/*
 * The worker's streams one by one, for listings: the configured ones,
 * then the runtime ones (brought up to date at i == 0); NULL after the
 * last.  conf->name and conf->redacted are what may be shown.
 */

ngx_rtc_stream_t *
ngx_rtc_stream_next(ngx_uint_t i)
{
    if (i == 0 && ngx_rtc_worker.streams) {
        ngx_rtc_runtime_sync();
    }

    return (i < ngx_rtc_worker.nstreams) ? &ngx_rtc_worker.streams[i] : NULL;
}


/* a runtime stream, for its entry of the zone: ngx_rtc_runtime_sync() */

ngx_rtc_stream_t *
ngx_rtc_stream_add(ngx_rtc_stream_conf_t *conf)
{
    ngx_rtc_stream_t  *st;

    if (ngx_rtc_worker.nstreams == ngx_rtc_worker.capacity) {
        return NULL;
    }

    st = &ngx_rtc_worker.streams[ngx_rtc_worker.nstreams++];

    ngx_memzero(st, sizeof(ngx_rtc_stream_t));
    ngx_rtc_stream_init(st, conf, ngx_cycle->log);

    return st;
}


/* a worker's view of a stream: its viewers, its fan-out event */

static void
ngx_rtc_stream_init(ngx_rtc_stream_t *st, ngx_rtc_stream_conf_t *conf,
    ngx_log_t *log)
{
    st->conf = conf;
    st->sh = &ngx_rtc_shm_ctx()->streams[conf->index];
    st->ring = ngx_rtc_shm_ring(st->sh);
    st->incarnation = st->sh->incarnation;
    ngx_queue_init(&st->sessions);
    ngx_queue_init(&st->active);

    st->fan_ev.handler = ngx_rtc_stream_fan_out;
    st->fan_ev.log = log;
    st->fan_ev.data = st;

    if (conf->index < NGX_RTC_MAX_STREAMS) {
        ngx_rtc_worker.by_index[conf->index] = st;
    }
}


ngx_rtc_session_t *
ngx_rtc_stream_session(u_char *id)
{
    ngx_queue_t        *w, *q;
    ngx_rtc_stream_t   *st;
    ngx_rtc_session_t  *s;

    if (ngx_rtc_worker.streams == NULL) {
        return NULL;
    }

    for (w = ngx_queue_head(&ngx_rtc_worker.watched);
         w != ngx_queue_sentinel(&ngx_rtc_worker.watched);
         w = ngx_queue_next(w))
    {
        st = ngx_queue_data(w, ngx_rtc_stream_t, watched);

        for (q = ngx_queue_head(&st->sessions);
             q != ngx_queue_sentinel(&st->sessions);
             q = ngx_queue_next(q))
        {
            s = ngx_queue_data(q, ngx_rtc_session_t, queue);

            if (ngx_memcmp(s->id, id, NGX_RTC_ID_LEN) == 0) {
                return s;
            }
        }
    }

    return NULL;
}


void
ngx_rtc_stream_attach(ngx_rtc_stream_t *st, ngx_rtc_session_t *s)
{
    if (st->nsessions++ == 0) {
        st->cursor = ngx_rtc_ring_head(st->ring) + 1;

        /* a frame left in progress by the sessions gone is not resumed */
        st->fan_next = NULL;

        ngx_queue_insert_tail(&ngx_rtc_worker.watched, &st->watched);
    }

    ngx_queue_insert_tail(&st->sessions, &s->queue);

    if (!ngx_rtc_worker.poll.timer_set) {
        ngx_add_timer(&ngx_rtc_worker.poll, 1000);
    }
}


void
ngx_rtc_stream_detach(ngx_rtc_stream_t *st, ngx_rtc_session_t *s)
{
    ngx_rtc_stream_deactivate(st, s);

    ngx_queue_remove(&s->queue);

    if (--st->nsessions == 0) {
        ngx_queue_remove(&st->watched);
    }
}


/*
 * A session that can take media joins the fan-out (at the tail: after the
 * frame in progress if any, which it gets then), one that cannot leaves
 * it.  The fan-out walks only these.
 */

void
ngx_rtc_stream_activate(ngx_rtc_stream_t *st, ngx_rtc_session_t *s)
{
    if (s->active) {
        return;
    }

    s->active = 1;
    st->nactive++;
    ngx_queue_insert_tail(&st->active, &s->active_q);
}


void
ngx_rtc_stream_deactivate(ngx_rtc_stream_t *st, ngx_rtc_session_t *s)
{
    if (!s->active) {
        return;
    }

    if (st->fan_next == &s->active_q) {
        st->fan_next = ngx_queue_next(&s->active_q);
    }

    s->active = 0;
    st->nactive--;
    ngx_queue_remove(&s->active_q);
}


/* one frame of the ring, packetized: the worker's buffer, or NULL */

ngx_rtc_packets_t *
ngx_rtc_stream_packets(ngx_rtc_stream_t *st, uint64_t seq)
{
    if (ngx_rtc_stream_frame(st, seq) != NGX_OK) {
        return NULL;
    }

    return ngx_rtc_worker.packets;
}


/*
 * The newest keyframe before "end" from which the stream's video came
 * without a break of NGX_RTC_STREAM_LIVE_GAP up to now, or 0: where a
 * joining viewer's catch-up starts (end: the fan-out's cursor), and the
 * snapshot's picture (end: after the ring's head).  A gap is measured
 * rather than the source's state looked at: a reload or a takeover
 * reconnects the camera within a second, and what the ring holds is
 * still a picture of now.
 */

uint64_t
ngx_rtc_stream_live_key(ngx_rtc_stream_t *st, uint64_t end)
{
    return ngx_rtc_ring_live_key(st->ring, end, ngx_rtc_latency_now(),
                                 (int64_t) NGX_RTC_STREAM_LIVE_GAP * 1000);
}


/*
 * The H.265 profile (general_profile_idc) of the stream's newest keyframe,
 * for the codec choice; -1 if there is none in the ring.
 */

ngx_int_t
ngx_rtc_stream_profile(ngx_rtc_stream_t *st)
{
    uint64_t          key;
    ngx_int_t         profile;
    ngx_rtc_frame_t   frame;

    key = ngx_rtc_ring_last_key(st->ring);

    if (key == 0) {
        return -1;
    }

    /* the frame buffer is the packets' source: they are stale from now */
    ngx_rtc_worker.packed = NULL;

    if (ngx_rtc_ring_read(st->ring, key, &frame, ngx_rtc_worker.frame,
                          NGX_RTC_MAX_FRAME)
        != NGX_OK)
    {
        return -1;
    }

    profile = ngx_rtc_h265_profile_id(ngx_rtc_worker.frame, frame.len);

    return (profile == NGX_DECLINED) ? -1 : profile;
}


static void
ngx_rtc_stream_notify(ngx_event_t *ev)
{
    ssize_t            n;
    uint64_t           value;
    ngx_connection_t  *c;

    c = ev->data;

    /*
     * epoll said readable: one read takes the whole count (not
     * EFD_SEMAPHORE).  Posted by a producer of this worker
     * (ngx_rtc_shm.c): nothing was written; a write by another worker
     * meanwhile keeps the fd readable, and epoll reports it next turn.
     */

    if (ev->ready) {
        ev->ready = 0;

        n = read(c->fd, &value, sizeof(uint64_t));

        (void) n;
    }

    /* clear before reading the rings: a frame written from now on wakes us */

    (void) ngx_rtc_shm_wake_clear();

    if (ngx_exiting) {
        ngx_rtc_stream_exiting();
    }

    ngx_rtc_stream_process();
}


/*
 * A worker that exits gracefully (reload, quit) keeps its sessions until
 * they end, but the new workers' producers wake only the new workers'
 * eventfds: the old worker polls its rings instead.
 */

static void
ngx_rtc_stream_poll(ngx_event_t *ev)
{
    ngx_core_conf_t  *ccf;

    ngx_rtc_latency_flush();

    if (ngx_rtc_worker.streams == NULL
        || ngx_queue_empty(&ngx_rtc_worker.watched))
    {
        return;
    }

    /*
     * Not cancelable: while this worker has sessions the timer is armed,
     * so a graceful exit waits for them (or for worker_shutdown_timeout).
     */

    if (!ngx_exiting) {
        ngx_rtc_stream_watchdog();
        ngx_add_timer(ev, 1000);
        return;
    }

    if (ngx_rtc_worker.exiting == 0
        || ngx_current_msec - ngx_rtc_worker.exit_check
           >= NGX_RTC_STREAM_EXIT_CHECK)
    {
        if (ngx_rtc_worker.exiting == 0) {
            ngx_rtc_worker.exiting = ngx_current_msec ? ngx_current_msec : 1;
        }

        ngx_rtc_worker.exit_check = ngx_current_msec;

        /*
         * No new worker will produce into this zone (a stop, a reload to
         * another zone, now or while this worker was exiting from an
         * earlier reload): the viewers would keep a frozen picture until
         * worker_shutdown_timeout, and a DELETE, answered by a new
         * worker from its own zone, could not end them.  They end now,
         * with DTLS's close_notify: a player can join again at once.
         */

        if (ngx_rtc_shm_retired()) {
            ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                          "rtc zone not used by a newer configuration "
                          "(a stop, or a reload to another rtc_zone): "
                          "closing this worker's sessions");

            ngx_rtc_stream_exit_process((ngx_cycle_t *) ngx_cycle);
            return;
        }

        ngx_rtc_stream_removed(ev->log);

        if (ngx_queue_empty(&ngx_rtc_worker.watched)) {
            return;
        }
    }

    ngx_rtc_stream_process();

    ccf = (ngx_core_conf_t *) ngx_get_conf(ngx_cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->shutdown_timeout
        && ngx_current_msec - ngx_rtc_worker.exiting >= ccf->shutdown_timeout)
    {
        ngx_rtc_stream_exit_process((ngx_cycle_t *) ngx_cycle);
        return;
    }

    ngx_add_timer(ev, NGX_RTC_STREAM_POLL);
}


/*
 * An exiting worker's viewers of a stream that the newest configuration
 * removed, or gave a new ring (buffer=): nobody writes its ring again.
 */

static void
ngx_rtc_stream_removed(ngx_log_t *log)
{
    ngx_uint_t          i, n;
    ngx_queue_t        *q;
    ngx_rtc_stream_t   *st;
    ngx_rtc_session_t  *s;

    for (i = 0; i < ngx_rtc_worker.nstreams; i++) {
        st = &ngx_rtc_worker.streams[i];

        if (ngx_queue_empty(&st->sessions)
            || (st->sh->incarnation == st->incarnation
                && !ngx_rtc_shm_removed(st->sh)))
        {
            continue;
        }

        for (n = 0; !ngx_queue_empty(&st->sessions); n++) {
            q = ngx_queue_head(&st->sessions);
            s = ngx_queue_data(q, ngx_rtc_session_t, queue);
            ngx_rtc_session_close(s, "the stream left the configuration");
        }

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "rtc stream \"%V\" is not in the new configuration: "
                      "closed its %ui session(s) in this exiting worker",
                      &st->conf->name, n);
    }
}


/*
 * Every second while there are viewers: a wake-up that was lost (a flag
 * left raised by a worker that is gone, an eventfd write that failed) is
 * made up for here, so a stream can stall for a second but never freeze.
 */

static void
ngx_rtc_stream_watchdog(void)
{
    ngx_uint_t         rc, pending;
    ngx_queue_t       *q;
    ngx_rtc_stream_t  *st;

    rc = ngx_rtc_shm_wake_clear();

    /* a flag whose wake-up was lost */
    ngx_rtc_stream_sweep();

    /* frames whose mark was lost: the walk of every watched stream */

    for (q = ngx_queue_head(&ngx_rtc_worker.watched), pending = 0;
         q != ngx_queue_sentinel(&ngx_rtc_worker.watched);
         q = ngx_queue_next(q))
    {
        st = ngx_queue_data(q, ngx_rtc_stream_t, watched);

        if (st->cursor <= ngx_rtc_ring_head(st->ring)) {
            ngx_rtc_stream_post(st);
            pending++;
        }
    }

    if (rc == 2) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "rtc stream cleared a wake-up flag left by an exited "
                      "worker");
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "rtc stream watchdog flag:%ui pending:%ui", rc, pending);

    if (rc || pending) {
        ngx_rtc_stream_process();
    }
}


void
ngx_rtc_stream_exiting(void)
{
    if (ngx_rtc_worker.exiting == 0) {
        if (ngx_rtc_worker.poll.timer_set) {
            ngx_del_timer(&ngx_rtc_worker.poll);
        }

        ngx_rtc_stream_poll(&ngx_rtc_worker.poll);
    }
}


static void
ngx_rtc_stream_process(void)
{
    ngx_queue_t          *q;
    ngx_atomic_uint_t     deletes;
    ngx_rtc_main_conf_t  *rmcf;

    ngx_rtc_session_patch_mailbox();

    /*
     * A DELETE in another worker flags the session in the zone, counts it
     * in this worker's slot and wakes this worker as a frame does: the
     * sessions' flags are looked at when the count moved, not on every
     * frame (and by the watchdog every second).
     */

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    if (ngx_worker < rmcf->nworkers) {
        deletes = ngx_rtc_shm_slot(ngx_worker)->deletes;

        if (deletes != ngx_rtc_worker.deletes) {
            ngx_rtc_worker.deletes = deletes;
            ngx_rtc_stream_sweep();
        }
    }

    if (ngx_worker < rmcf->nworkers && !ngx_exiting) {
        ngx_rtc_stream_pending();
        return;
    }

    /*
     * An exiting worker: the slot's pending set is its new worker's now,
     * and it polls every watched stream instead.
     */

    for (q = ngx_queue_head(&ngx_rtc_worker.watched);
         q != ngx_queue_sentinel(&ngx_rtc_worker.watched);
         q = ngx_queue_next(q))
    {
        ngx_rtc_stream_post(ngx_queue_data(q, ngx_rtc_stream_t, watched));
    }
}


/*
 * The streams of the worker slot's pending set, taken (after the flag was
 * cleared): their fan-outs are posted.  A stream without sessions here
 * was marked for the viewers of the slot's other process (the old or the
 * new worker of a reload) or for sessions gone since: nothing to do.
 */

static void
ngx_rtc_stream_pending(void)
{
    ngx_uint_t          w, b;
    ngx_rtc_stream_t   *st;
    ngx_atomic_uint_t   bits;
    ngx_rtc_slot_sh_t  *sl;

    sl = ngx_rtc_shm_slot(ngx_worker);

    for (w = 0; w < NGX_RTC_SLOT_WORDS; w++) {

        if (sl->pending[w] == 0) {
            continue;
        }

        bits = ngx_rtc_slot_take(sl, w);

        for (b = w * NGX_RTC_SLOT_BITS; bits; b++, bits >>= 1) {

            if (!(bits & 1)) {
                continue;
            }

            st = ngx_rtc_worker.by_index[b];

            if (st && st->nsessions) {
                ngx_rtc_stream_post(st);
            }
        }
    }
}


static void
ngx_rtc_stream_post(ngx_rtc_stream_t *st)
{
    if (!st->fan_ev.posted) {
        ngx_post_event(&st->fan_ev, &ngx_posted_events);
    }
}


static void
ngx_rtc_stream_sweep(void)
{
    ngx_queue_t        *w, *wnext, *q, *next;
    ngx_rtc_stream_t   *st;
    ngx_rtc_session_t  *s;

    /* a stream whose last session closes leaves the list: next first */

    for (w = ngx_queue_head(&ngx_rtc_worker.watched);
         w != ngx_queue_sentinel(&ngx_rtc_worker.watched);
         w = wnext)
    {
        wnext = ngx_queue_next(w);
        st = ngx_queue_data(w, ngx_rtc_stream_t, watched);

        for (q = ngx_queue_head(&st->sessions);
             q != ngx_queue_sentinel(&st->sessions);
             q = next)
        {
            next = ngx_queue_next(q);
            s = ngx_queue_data(q, ngx_rtc_session_t, queue);

            if (s->sh->close) {
                ngx_rtc_session_close(s, "deleted");
            }
        }
    }
}


/*
 * The fan-out of one stream, within the budget: each new frame is read
 * and packetized once, then given to the active sessions in turn.  Frames
 * go out in ring order to every session; a session gets a frame whole.
 * The cursor passes a frame when its fan-out begins (a catch-up runs up
 * to the cursor, so it sends the frame in progress itself; the session
 * then skips it, ngx_rtc_session_send()).
 */

static void
ngx_rtc_stream_fan_out(ngx_event_t *ev)
{
    uint64_t            head;
    ngx_int_t           rc, budget;
    ngx_queue_t        *q;
    ngx_rtc_stream_t   *st;
    ngx_rtc_packets_t  *pk;
    ngx_rtc_session_t  *s;

    st = ev->data;

    budget = (ngx_int_t) ngx_rtc_worker.budget;
    head = ngx_rtc_ring_head(st->ring);

    for ( ;; ) {

        if (st->fan_next == NULL) {

            if (st->cursor > head) {
                return;
            }

            if (st->nactive == 0) {
                /* nobody takes media yet: a catch-up starts from here */
                st->cursor = head + 1;
                return;
            }

            if (budget <= 0) {
                break;
            }

            rc = ngx_rtc_stream_read(st, st->cursor);

            if (rc == NGX_DECLINED) {
                ngx_rtc_stream_lapped(st, st->cursor);
                continue;
            }

            st->fan_seq = st->cursor++;

            if (rc != NGX_OK) {
                continue;
            }

            st->fan_next = ngx_queue_head(&st->active);

        } else {

            /* resumed: the worker's buffer may hold another frame now */

            rc = ngx_rtc_stream_frame(st, st->fan_seq);

            if (rc != NGX_OK) {
                st->fan_next = NULL;

                if (rc == NGX_DECLINED) {
                    ngx_rtc_stream_lapped(st, st->fan_seq);
                }

                continue;
            }
        }

        pk = ngx_rtc_worker.packets;

        /* the sessions' sends leave together (ngx_rtc_send.c) */

        ngx_rtc_send_defer(ev->log);

        while (st->fan_next != ngx_queue_sentinel(&st->active)) {

            if (budget <= 0) {
                ngx_rtc_send_commit();
                goto yield;
            }

            q = st->fan_next;
            st->fan_next = ngx_queue_next(q);
            s = ngx_queue_data(q, ngx_rtc_session_t, active_q);

            ngx_rtc_session_send(s, pk);

            budget -= (ngx_int_t) ngx_max(pk->npkts, 1);
        }

        ngx_rtc_send_commit();

        st->fan_next = NULL;
    }

yield:

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "rtc stream \"%V\" fan-out yields at %uL",
                   &st->conf->name, st->fan_seq);

    ngx_post_event(ev, &ngx_posted_next_events);
}


/*
 * Lapped: the frames we missed are gone; go on at a newer keyframe or the
 * newest frame, never at a seq refused already.
 */

static void
ngx_rtc_stream_lapped(ngx_rtc_stream_t *st, uint64_t seq)
{
    uint64_t            next;
    ngx_queue_t        *q;
    ngx_rtc_session_t  *s;

    next = ngx_rtc_ring_resume(st->ring, seq);

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "rtc stream \"%V\" reader lapped at %uL, resuming at %uL",
                  &st->conf->name, seq, next);

    for (q = ngx_queue_head(&st->sessions);
         q != ngx_queue_sentinel(&st->sessions);
         q = ngx_queue_next(q))
    {
        s = ngx_queue_data(q, ngx_rtc_session_t, queue);
        s->wait_key = 1;
    }

    st->fan_next = NULL;

    if (next > st->cursor) {
        st->cursor = next;
    }
}


/* frame seq packetized in the worker's buffer: read again unless it is */

static ngx_int_t
ngx_rtc_stream_frame(ngx_rtc_stream_t *st, uint64_t seq)
{
    if (ngx_rtc_worker.packed == st && ngx_rtc_worker.packed_seq == seq) {
        return NGX_OK;
    }

    return ngx_rtc_stream_read(st, seq);
}


/* read one frame from the ring and packetize it into the worker's buffer */

static ngx_int_t
ngx_rtc_stream_read(ngx_rtc_stream_t *st, uint64_t seq)
{
    ngx_int_t           rc;
    ngx_rtc_packets_t  *pk;

    pk = ngx_rtc_worker.packets;

    ngx_rtc_worker.packed = NULL;
    pk->npkts = 0;

    rc = ngx_rtc_ring_read(st->ring, seq, &pk->frame, ngx_rtc_worker.frame,
                           NGX_RTC_MAX_FRAME);

    if (rc == NGX_ERROR) {
        ngx_rtc_stream_skipped(st, seq, "over the frame size limit");
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return (rc == NGX_AGAIN) ? NGX_ERROR : rc;
    }

    if (ngx_rtc_stream_packetize(st, pk) != NGX_OK) {
        ngx_rtc_stream_skipped(st, seq, "cannot be packetized");
        pk->npkts = 0;
        return NGX_ERROR;
    }

    ngx_rtc_worker.packed = st;
    ngx_rtc_worker.packed_seq = seq;

    return NGX_OK;
}


/* a frame no viewer gets: say so, at most every 10 s per stream */

static void
ngx_rtc_stream_skipped(ngx_rtc_stream_t *st, uint64_t seq, char *why)
{
    st->skipped++;

    if (st->skip_logged
        && ngx_current_msec - st->skip_logged < NGX_RTC_STREAM_SKIP_LOG)
    {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "rtc stream \"%V\" skipped %ui frame(s), the last %uL "
                  "of %uD bytes: %s", &st->conf->name, st->skipped, seq,
                  ngx_rtc_worker.packets->frame.len, why);

    st->skip_logged = ngx_current_msec ? ngx_current_msec : 1;
    st->skipped = 0;
}


static ngx_int_t
ngx_rtc_stream_packetize(ngx_rtc_stream_t *st, ngx_rtc_packets_t *pk)
{
    ssize_t              n;
    ngx_uint_t           last;
    ngx_rtc_h264_pack_t  pack;

    if (pk->frame.track == NGX_RTC_TRACK_AUDIO) {

        /*
         * One raw codec frame (RFC 7587 4.2, RFC 3551 4.5.14).  A frame
         * nobody can take makes no packets: not an error, the video
         * around it goes on.
         */

        if (st->sh->audio_codec == NGX_RTC_CODEC_NONE
            || pk->frame.len == 0 || pk->frame.len > NGX_RTC_MTU)
        {
            return NGX_OK;
        }

        ngx_memcpy(pk->data, ngx_rtc_worker.frame, pk->frame.len);
        pk->len[0] = pk->frame.len;
        pk->npkts = 1;

        return NGX_OK;
    }

    if (pk->frame.track != NGX_RTC_TRACK_VIDEO) {
        return NGX_ERROR;
    }

    switch (st->sh->codec) {

    case NGX_RTC_CODEC_H264:
        ngx_rtc_h264_pack_init(&pack, ngx_rtc_worker.frame, pk->frame.len,
                               NGX_RTC_MTU);
        break;

    case NGX_RTC_CODEC_H265:
        ngx_rtc_h265_pack_init(&pack, ngx_rtc_worker.frame, pk->frame.len,
                               NGX_RTC_MTU);
        break;

    default:
        return NGX_ERROR;
    }

    for ( ;; ) {
        if (pk->npkts == NGX_RTC_MAX_PACKETS) {
            return NGX_ERROR;
        }

        n = (st->sh->codec == NGX_RTC_CODEC_H264)
            ? ngx_rtc_h264_pack_next(&pack,
                                     pk->data + pk->npkts * NGX_RTC_MTU, &last)
            : ngx_rtc_h265_pack_next(&pack,
                                     pk->data + pk->npkts * NGX_RTC_MTU, &last);
        if (n <= 0) {
            break;
        }

        pk->len[pk->npkts++] = n;
    }

    if (n < 0 || pk->npkts == 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_rtc_stream_dummy(ngx_event_t *ev)
{
}
