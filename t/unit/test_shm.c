/*
 * Copyright (C) nginx-rtc authors
 *
 * The zone without nginx: its layout from worker_processes, the session
 * counters (never wrap; counted again after a worker died, even inside
 * ngx_rtc_shm_session_add()), dead workers told apart from reused pids,
 * and the reload rules (what applies, what is refused).  The slab pool is
 * a bump allocator over a plain buffer; the lock is not needed in one
 * process.
 */

/* unit-deps: src/ngx_rtc_shm.c src/ngx_rtc_slot.c src/ngx_rtc_ring.c src/ngx_rtc_latency.c */

#include "ngx_rtc_unit.h"
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>

#include <sys/wait.h>
#include <arpa/inet.h>


/* the incarnation of entry i: what a worker that read it now would hold */
#define TEST_INC(i)  (ngx_rtc_shm_ctx()->streams[i].incarnation)


#define TEST_ARENA  (64 * 1024 * 1024)


ngx_module_t           ngx_http_module;
ngx_module_t           ngx_http_rtc_module;
ngx_pid_t              ngx_pid;
ngx_uint_t             ngx_worker;
static ngx_time_t      test_time;
volatile ngx_time_t   *ngx_cached_time = &test_time;

static u_char         *test_arena;
static size_t          test_used;
static size_t          test_limit;
static ngx_uint_t      test_frees;
static ngx_shm_zone_t  test_zone;
static ngx_log_t       test_log;
static size_t          test_runtime_buffer = 256 * 1024;


/* the nginx functions the zone calls */

void *
ngx_slab_alloc_locked(ngx_slab_pool_t *pool, size_t size)
{
    u_char  *p;

    size = ngx_align(size, 64);

    if (test_used + size > test_limit) {
        return NULL;
    }

    p = test_arena + test_used;
    test_used += size;

    return p;
}


/* the status snapshot and snapshots' copies (not called here): malloc */

void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return malloc(size);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return malloc(size);
}


void *
ngx_slab_calloc_locked(ngx_slab_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_slab_alloc_locked(pool, size);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


void *
ngx_slab_alloc(ngx_slab_pool_t *pool, size_t size)
{
    return ngx_slab_alloc_locked(pool, size);
}


void *
ngx_slab_calloc(ngx_slab_pool_t *pool, size_t size)
{
    return ngx_slab_calloc_locked(pool, size);
}


void
ngx_slab_free_locked(ngx_slab_pool_t *pool, void *p)
{
    test_frees++;
}


void
ngx_shmtx_lock(ngx_shmtx_t *mtx)
{
}


void
ngx_shmtx_unlock(ngx_shmtx_t *mtx)
{
}


ngx_shm_zone_t *
ngx_shared_memory_add(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    void *tag)
{
    return &test_zone;
}


void ngx_cdecl
ngx_conf_log_error(ngx_uint_t level, ngx_conf_t *cf, ngx_err_t err,
    const char *fmt, ...)
{
}


/* a configuration: its cycle, main conf and zone */

typedef struct {
    ngx_cycle_t            cycle;
    void                  *conf_ctx[1];
    void                  *main_conf[1];
    ngx_http_conf_ctx_t    http;
    ngx_core_conf_t        core;
    ngx_rtc_main_conf_t    rmcf;
    ngx_shm_zone_t         zone;
    ngx_rtc_stream_conf_t  scf[NGX_RTC_MAX_STREAMS];
    u_char                 names[NGX_RTC_MAX_STREAMS][8];
} test_conf_t;


static test_conf_t *
test_conf(ngx_int_t workers, ngx_uint_t sessions, const char *streams)
{
    u_char       *p;
    size_t        buffer;
    const char   *s;
    test_conf_t  *c;

    static test_conf_t  confs[16];
    static ngx_uint_t   nconfs;

    c = &confs[nconfs++ % 16];
    ngx_memzero(c, sizeof(test_conf_t));

    c->conf_ctx[0] = &c->http;
    c->http.main_conf = c->main_conf;
    c->main_conf[0] = &c->rmcf;
    c->cycle.conf_ctx = (void ****) c->conf_ctx;
    c->cycle.log = &test_log;
    c->core.worker_processes = workers;

    c->rmcf.core = &c->core;
    c->rmcf.max_sessions = sessions;
    c->rmcf.nworkers = workers;
    c->rmcf.shm_zone = &c->zone;
    c->rmcf.streams.elts = c->scf;
    c->rmcf.streams.size = sizeof(ngx_rtc_stream_conf_t);

    /* "name:kbytes name:kbytes ..." */

    for (s = streams; *s; c->rmcf.streams.nelts++) {
        p = c->names[c->rmcf.streams.nelts];

        while (*s && *s != ':') {
            *p++ = *s++;
        }

        c->scf[c->rmcf.streams.nelts].name.data =
                                             c->names[c->rmcf.streams.nelts];
        c->scf[c->rmcf.streams.nelts].name.len =
                                     p - c->names[c->rmcf.streams.nelts];

        for (buffer = 0, s++; *s >= '0' && *s <= '9'; s++) {
            buffer = buffer * 10 + (*s - '0');
        }

        c->scf[c->rmcf.streams.nelts].buffer = buffer * 1024;

        while (*s == ' ') {
            s++;
        }
    }

    c->zone.shm.addr = test_arena;
    c->zone.shm.name.data = (u_char *) "cams";
    c->zone.shm.name.len = 4;
    c->zone.shm.log = &test_log;
    c->zone.data = &c->rmcf;

    return c;
}


/* the master's init of a configuration; "running" is the old cycle */

static ngx_int_t
test_init(test_conf_t *c, test_conf_t *running)
{
    ngx_int_t   rc;
    ngx_conf_t  cf;

    if (running == NULL) {
        ngx_memzero(&test_zone, sizeof(ngx_shm_zone_t));
        ngx_memzero(&cf, sizeof(ngx_conf_t));
        cf.ctx = &c->http;
        (void) ngx_rtc_shm_add_zone(&cf, &c->zone.shm.name, TEST_ARENA);
        c->rmcf.shm_zone = &c->zone;
        c->zone.init = test_zone.init;
        ngx_memzero(test_arena, sizeof(ngx_slab_pool_t));
        test_used = sizeof(ngx_slab_pool_t);

        ngx_cycle = &c->cycle;
        rc = c->zone.init(&c->zone, NULL);

    } else {
        c->zone.init = running->zone.init;

        ngx_cycle = &running->cycle;
        rc = c->zone.init(&c->zone, running->zone.data);
    }

    if (rc == NGX_OK) {
        ngx_cycle = &c->cycle;
    }

    return rc;
}


static ngx_rtc_stream_sh_t *
test_stream(test_conf_t *c, ngx_uint_t i)
{
    return &ngx_rtc_shm_ctx()->streams[c->scf[i].index];
}


static void
test_id(u_char *id, ngx_uint_t n, ngx_uint_t slot)
{
    ngx_memzero(id, NGX_RTC_ID_LEN);
    id[0] = (u_char) n;
    id[NGX_RTC_ID_LEN - 2] = (u_char) (slot >> 8);
    id[NGX_RTC_ID_LEN - 1] = (u_char) slot;
}


static ngx_pid_t
test_dead_pid(void)
{
    int    st;
    pid_t  pid;

    pid = fork();

    if (pid == 0) {
        _exit(0);
    }

    (void) waitpid(pid, &st, 0);

    return pid;
}


static void
test_layout(void)
{
    u_char            id[NGX_RTC_ID_LEN];
    test_conf_t      *c;
    ngx_rtc_shctx_t  *ctx;

    /* more workers than the old fixed 64: a slot each */

    c = test_conf(80, 8, "cam:256");
    NGX_RTC_CHECK(test_init(c, NULL) == NGX_OK);

    ctx = ngx_rtc_shm_ctx();
    NGX_RTC_CHECK(ctx->nslots == 80 && ctx->nsessions == 8);
    NGX_RTC_CHECK(ctx->generation == 1 && c->rmcf.generation == 1);

    ngx_pid = getpid();
    c->rmcf.start = ngx_rtc_slot_start(ngx_pid);

    test_id(id, 1, 79);
    NGX_RTC_CHECK(ngx_rtc_shm_session_add(0, TEST_INC(0), id, 8, 0) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_shm_slot_viewers(test_stream(c, 0))[79] == 1);

    test_id(id, 2, 80);
    NGX_RTC_CHECK(ngx_rtc_shm_session_add(0, TEST_INC(0), id, 8, 0) == NGX_DECLINED);

    /* a small configuration still gets 64 slots (reloads up to 64) */

    c = test_conf(2, 8, "cam:256");
    NGX_RTC_CHECK(test_init(c, NULL) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_shm_ctx()->nslots == NGX_RTC_MIN_SLOTS);
}


static void
test_counters(void)
{
    u_char                 id[NGX_RTC_ID_LEN];
    ngx_uint_t             i;
    ngx_pid_t              dead;
    test_conf_t           *c;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_stream_sh_t   *st;
    ngx_rtc_session_sh_t  *ss;

    c = test_conf(4, 8, "cam:256 cam2:256");
    NGX_RTC_CHECK(test_init(c, NULL) == NGX_OK);

    ctx = ngx_rtc_shm_ctx();
    st = test_stream(c, 0);

    /* sessions of this process (slot 1) */

    ngx_pid = getpid();
    c->rmcf.start = ngx_rtc_slot_start(ngx_pid);

    for (i = 0; i < 3; i++) {
        test_id(id, i, 1);
        NGX_RTC_CHECK(ngx_rtc_shm_session_add(0, TEST_INC(0), id, 8, 0) == NGX_OK);
    }

    NGX_RTC_CHECK(ctx->sessions_used == 3 && st->viewers == 3);

    /* the stream's max_sessions= */

    test_id(id, 9, 1);
    NGX_RTC_CHECK(ngx_rtc_shm_session_add(0, TEST_INC(0), id, 8, 3) == NGX_BUSY);

    /*
     * A worker (slot 2) that died inside ngx_rtc_shm_session_add(): the
     * entry is NEW, the counters were not incremented.  Another one's
     * process was a zombie-free exit, a third's pid now names another
     * process (this one's parent, with another start time).
     */

    dead = test_dead_pid();

    ss = &ctx->sessions[5];
    test_id(ss->id, 50, 2);
    ss->stream = 0;
    ss->slot = 2;
    ss->pid = dead;
    ss->start = 12345;
    ss->state = NGX_RTC_SESSION_NEW;

    ss = &ctx->sessions[6];
    test_id(ss->id, 60, 3);
    ss->stream = 1;
    ss->slot = 3;
    ss->pid = getppid();
    ss->start = ngx_rtc_slot_start(getppid()) + 1;
    ss->state = NGX_RTC_SESSION_MEDIA;
    ctx->sessions_used++;
    test_stream(c, 1)->viewers++;
    ngx_rtc_shm_slot_viewers(test_stream(c, 1))[3]++;

    /* a live process of another worker, correctly named: kept */

    ss = &ctx->sessions[7];
    test_id(ss->id, 70, 3);
    ss->stream = 1;
    ss->slot = 3;
    ss->pid = getppid();
    ss->start = ngx_rtc_slot_start(getppid());
    ss->state = NGX_RTC_SESSION_MEDIA;
    ctx->sessions_used++;
    test_stream(c, 1)->viewers++;
    ngx_rtc_shm_slot_viewers(test_stream(c, 1))[3]++;

    NGX_RTC_CHECK(ctx->sessions_used == 5);

    ngx_rtc_shm_purge(&c->cycle);

    NGX_RTC_CHECK(ctx->sessions[5].state == NGX_RTC_SESSION_FREE);
    NGX_RTC_CHECK(ctx->sessions[6].state == NGX_RTC_SESSION_FREE);
    NGX_RTC_CHECK(ctx->sessions[7].state == NGX_RTC_SESSION_MEDIA);

    /* no wrap, and the counts the table says */

    NGX_RTC_CHECK(ctx->sessions_used == 4);
    NGX_RTC_CHECK(st->viewers == 3 && test_stream(c, 1)->viewers == 1);
    NGX_RTC_CHECK(ngx_rtc_shm_slot_viewers(st)[1] == 3);
    NGX_RTC_CHECK(ngx_rtc_shm_slot_viewers(st)[2] == 0);
    NGX_RTC_CHECK(ngx_rtc_shm_slot_viewers(test_stream(c, 1))[3] == 1);

    /* deleting more than was added never wraps */

    for (i = 0; i < 3; i++) {
        test_id(id, i, 1);
        ngx_rtc_shm_session_del(id);
        ngx_rtc_shm_session_del(id);
    }

    ctx->sessions_used = 0;
    ctx->sessions[7].state = NGX_RTC_SESSION_FREE;
    NGX_RTC_CHECK(st->viewers == 0 && ngx_rtc_shm_slot_viewers(st)[1] == 0);

    test_id(id, 70, 3);
    ctx->sessions[7].state = NGX_RTC_SESSION_MEDIA;
    ngx_rtc_shm_session_del(id);
    NGX_RTC_CHECK(ctx->sessions_used == 0);
}


/*
 * More processes with sessions than a purge checks at once: the dead
 * worker's sessions, after those of NGX_RTC_PURGE_PIDS + 4 live ones in
 * the table, are freed within two purges (the scan goes on where the
 * last one stopped), and the live ones are kept.
 */

static void
test_purge_many(void)
{
    int                    fds[2], st;
    u_char                 c0;
    pid_t                  kids[NGX_RTC_PURGE_PIDS + 4];
    ngx_uint_t             i, n, calls;
    test_conf_t           *c;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_session_sh_t  *ss;

    n = NGX_RTC_PURGE_PIDS + 4;

    c = test_conf(4, 64, "cam:256");
    NGX_RTC_CHECK(test_init(c, NULL) == NGX_OK);
    ctx = ngx_rtc_shm_ctx();

    ngx_pid = getpid();
    c->rmcf.start = ngx_rtc_slot_start(ngx_pid);

    NGX_RTC_CHECK(pipe(fds) == 0);

    for (i = 0; i < n; i++) {
        kids[i] = fork();

        if (kids[i] == 0) {
            /* lives until the pipe closes */
            close(fds[1]);
            (void) read(fds[0], &c0, 1);
            _exit(0);
        }
    }

    close(fds[0]);

    for (i = 0; i <= n; i++) {
        ss = &ctx->sessions[i];
        test_id(ss->id, 100 + i, 2);
        ss->stream = 0;
        ss->slot = 2;
        ss->pid = (i < n) ? kids[i] : test_dead_pid();
        ss->start = (i < n) ? ngx_rtc_slot_start(kids[i]) : 12345;
        ss->state = NGX_RTC_SESSION_MEDIA;
        ctx->sessions_used++;
    }

    for (calls = 1; calls <= 2; calls++) {
        ngx_rtc_shm_purge(&c->cycle);

        if (ctx->sessions[n].state == NGX_RTC_SESSION_FREE) {
            break;
        }
    }

    NGX_RTC_CHECK(calls <= 2);

    for (i = 0; i < n; i++) {
        NGX_RTC_CHECK(ctx->sessions[i].state == NGX_RTC_SESSION_MEDIA);
    }

    close(fds[1]);

    for (i = 0; i < n; i++) {
        (void) waitpid(kids[i], &st, 0);
    }
}


static void
test_reload(void)
{
    u_char                *p, id[NGX_RTC_ID_LEN];
    size_t                 used;
    uint64_t               inc;
    ngx_uint_t             i;
    test_conf_t           *c1, *c2, *c3, *c4, *c5;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_stream_sh_t   *cam, *idle;

    static u_char          many[NGX_RTC_MAX_STREAMS * 16];

    c1 = test_conf(4, 8, "cam:1024 idle:1024 gone:256");
    NGX_RTC_CHECK(test_init(c1, NULL) == NGX_OK);
    ctx = ngx_rtc_shm_ctx();

    cam = test_stream(c1, 0);
    idle = test_stream(c1, 1);

    ngx_current_msec = 100000;
    cam->owner = 4242;
    cam->heartbeat = ngx_current_msec;

    /* refused: nothing changes */

    c2 = test_conf(100, 8, "cam:1024 idle:1024 gone:256");
    NGX_RTC_CHECK(test_init(c2, c1) == NGX_ERROR);

    c2 = test_conf(4, 16, "cam:1024 idle:1024 gone:256");
    NGX_RTC_CHECK(test_init(c2, c1) == NGX_ERROR);
    NGX_RTC_CHECK(ctx->max_sessions == 8 && ctx->generation == 1);

    c2 = test_conf(4, 8, "cam:2048 idle:1024 gone:256");
    used = test_used;
    NGX_RTC_CHECK(test_init(c2, c1) == NGX_ERROR);
    NGX_RTC_CHECK(test_used == used && ctx->nstreams == 3);

    /* applies: fewer sessions, a new ring for idle, "gone" retired */

    c2 = test_conf(4, 4, "cam:1024 idle:2048");
    NGX_RTC_CHECK(test_init(c2, c1) == NGX_OK);
    NGX_RTC_CHECK(ctx->max_sessions == 4 && ctx->generation == 2);
    NGX_RTC_CHECK(test_stream(c2, 0) == cam);
    NGX_RTC_CHECK(test_stream(c2, 1) != idle);
    NGX_RTC_CHECK(test_stream(c2, 1)->buffer == 2048 * 1024);
    NGX_RTC_CHECK(idle->retired == 2 && ctx->streams[2].retired == 2);
    NGX_RTC_CHECK(ctx->nstreams == 4);

    /* the running workers (c1) may still use them: not freed yet */

    NGX_RTC_CHECK(idle->name_len != 0 && ctx->streams[2].name_len != 0);

    /* a stream configured again before its entry was freed: back */

    c3 = test_conf(4, 4, "cam:1024 idle:2048 gone:256");
    NGX_RTC_CHECK(test_init(c3, c2) == NGX_OK);
    NGX_RTC_CHECK(test_stream(c3, 2) == &ctx->streams[2]);
    NGX_RTC_CHECK(ctx->streams[2].retired == 0);

    /* the old idle entry is free now: "new" takes it */

    inc = idle->incarnation;

    c4 = test_conf(4, 4, "cam:1024 idle:2048 gone:256 new:256");
    NGX_RTC_CHECK(test_init(c4, c3) == NGX_OK);
    NGX_RTC_CHECK(test_stream(c4, 3) == idle);
    NGX_RTC_CHECK(ctx->nstreams == 4);

    /*
     * A worker of c1, still exiting, holds idle's index: the entry is
     * "new" now, and neither a viewer nor a snapshot of c1's "idle" may
     * land on it.
     */

    NGX_RTC_CHECK(idle->incarnation == inc + 1);

    ngx_pid = getpid();
    c4->rmcf.start = ngx_rtc_slot_start(ngx_pid);
    test_id(id, 1, 1);

    NGX_RTC_CHECK(ngx_rtc_shm_session_add(idle - ctx->streams, inc, id, 4, 0)
                  == NGX_ABORT);
    NGX_RTC_CHECK(idle->viewers == 0 && ctx->sessions_used == 0);
    NGX_RTC_CHECK(ngx_rtc_shm_demand(idle - ctx->streams, inc, 1)
                  == NGX_ABORT);
    NGX_RTC_CHECK(idle->demand == 0);

    NGX_RTC_CHECK(ngx_rtc_shm_session_add(idle - ctx->streams, inc + 1, id,
                                          4, 0)
                  == NGX_OK);
    NGX_RTC_CHECK(idle->viewers == 1);
    ngx_rtc_shm_session_del(id);
    NGX_RTC_CHECK(idle->viewers == 0 && ctx->sessions_used == 0);

    /* a full table: replacing streams at once is refused */

    for (i = 0, p = many; i < NGX_RTC_MAX_STREAMS - 3; i++) {
        p = ngx_sprintf(p, "a%ui:256 ", i);
    }

    *p = '\0';

    c5 = test_conf(4, 4, (char *) many);
    NGX_RTC_CHECK(c5->rmcf.streams.nelts == NGX_RTC_MAX_STREAMS - 3);
    NGX_RTC_CHECK(test_init(c5, c4) == NGX_ERROR);

    /* no room for a ring: refused, and nothing is left behind */

    used = test_used;
    test_limit = used + 64 * 1024;
    c5 = test_conf(4, 4, "cam:1024 idle:2048 gone:256 new:256 big:4096");
    NGX_RTC_CHECK(test_init(c5, c4) == NGX_ERROR);
    NGX_RTC_CHECK(ctx->generation == 4);
    test_limit = TEST_ARENA;
}


/*
 * The ring's fence word (epoch << 1 | writing): ngx_rtc_ring_sh_t is
 * opaque, so it is found by a value only it holds.  The test sets the
 * writing bit itself: a writer stalled inside ngx_rtc_ring_write().
 */

static ngx_atomic_t *
test_fence_word(ngx_rtc_ring_sh_t *r)
{
    ngx_uint_t     i;
    ngx_atomic_t  *w;

    (void) ngx_rtc_ring_fence(r, 0x5a5a5a);
    w = (ngx_atomic_t *) r;

    for (i = 0; i < 8; i++) {
        if (w[i] == 0x5a5a5a << 1) {
            return &w[i];
        }
    }

    return NULL;
}


static void
test_stall(ngx_atomic_t *w, uint64_t epoch)
{
    NGX_RTC_CHECK(ngx_atomic_cmp_set(w, epoch << 1, (epoch << 1) | 1));
}


/*
 * Whose is a write left in progress: a takeover charges it to the owner
 * it fenced, and once that write has ended (the new owner saw the bit
 * clear) nobody; so a second stall, of the new owner, is charged to the
 * new owner and not to the one before (who may be alive: its write would
 * be ended under a live writer, two writers at once).
 */

static void
test_fence(void)
{
    test_conf_t          *c;
    ngx_atomic_t         *w;
    ngx_rtc_lease_t       la, lb, lc;
    ngx_rtc_ring_sh_t    *r;
    ngx_rtc_stream_sh_t  *st;

    c = test_conf(4, 8, "cam:256");
    NGX_RTC_CHECK(test_init(c, NULL) == NGX_OK);

    st = test_stream(c, 0);
    r = ngx_rtc_shm_ring(st);
    w = test_fence_word(r);
    NGX_RTC_CHECK(w != NULL);

    ngx_memzero(&la, sizeof(ngx_rtc_lease_t));
    ngx_memzero(&lb, sizeof(ngx_rtc_lease_t));
    ngx_memzero(&lc, sizeof(ngx_rtc_lease_t));

    ngx_current_msec = 300000;

    /* A produces and stalls inside a write */

    ngx_pid = 7001;
    NGX_RTC_CHECK(ngx_rtc_shm_claim(0, 1, 0, &la) == NGX_OK);
    NGX_RTC_CHECK(la.busy == 0 && st->writing == 0);
    test_stall(w, la.epoch);

    /* B takes over: the write in progress is A's */

    ngx_current_msec += NGX_RTC_LEASE + 1;
    ngx_pid = 7002;
    NGX_RTC_CHECK(ngx_rtc_shm_claim(0, 1, 0, &lb) == NGX_OK);
    NGX_RTC_CHECK(lb.busy == 1 && lb.writing == 7001);
    NGX_RTC_CHECK(ngx_rtc_ring_writing(r));

    /* B waits while A is inside; then A leaves (its write aborted) */

    ngx_rtc_shm_write_ended(0, &lb);
    NGX_RTC_CHECK(st->writing == 7001);

    *w = lb.epoch << 1;
    ngx_rtc_shm_write_ended(0, &lb);
    NGX_RTC_CHECK(st->writing == 0 && lb.writing == 0);

    /* B writes, and stalls inside a write of its own: C takes over */

    test_stall(w, lb.epoch);

    ngx_current_msec += NGX_RTC_LEASE + 1;
    ngx_pid = 7003;
    NGX_RTC_CHECK(ngx_rtc_shm_claim(0, 1, 0, &lc) == NGX_OK);
    NGX_RTC_CHECK(lc.busy == 1 && lc.writing == 7002);
}


/* runtime streams: made, kept as they are, changed, capped, reloaded */

static ngx_uint_t
test_runtime_put(const char *name, const char *url, in_addr_t a,
    ngx_uint_t *count)
{
    struct sockaddr_in     sin;
    ngx_rtc_runtime_src_t  src;

    ngx_memzero(&sin, sizeof(struct sockaddr_in));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(554);
    sin.sin_addr.s_addr = a;

    src.name.data = (u_char *) name;
    src.name.len = ngx_strlen(name);
    src.url.data = (u_char *) url;
    src.url.len = ngx_strlen(url);
    src.audio = NGX_RTC_AUDIO_OPUS;
    src.buffer = test_runtime_buffer;
    src.sockaddr = (struct sockaddr *) &sin;
    src.socklen = sizeof(struct sockaddr_in);

    return ngx_rtc_shm_runtime_put(&src, count);
}


static ngx_int_t
test_runtime_index(const char *name)
{
    ngx_uint_t            i;
    ngx_rtc_shctx_t      *ctx;
    ngx_rtc_stream_sh_t  *st;

    ctx = ngx_rtc_shm_ctx();

    for (i = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (ngx_rtc_shm_stream_listed(st)
            && st->name_len == ngx_strlen(name)
            && ngx_strncmp(st->name, name, st->name_len) == 0)
        {
            return i;
        }
    }

    return -1;
}


static void
test_runtime(void)
{
    u_char                   name[16];
    uint64_t                 version;
    ngx_int_t                a, b;
    ngx_uint_t               i, rc, count, gen;
    test_conf_t             *c, *c2, *c3;
    ngx_rtc_shctx_t         *ctx;
    ngx_rtc_runtime_copy_t   copy;

    c = test_conf(2, 8, "cam:256");
    c->rmcf.runtime_max = 2;
    NGX_RTC_CHECK(test_init(c, NULL) == NGX_OK);

    ctx = ngx_rtc_shm_ctx();
    NGX_RTC_CHECK(ctx->runtime_max == 2 && ctx->runtime_gen == 0);

    rc = test_runtime_put("camera.a", "rtsp://u:p@10.0.0.2/s",
                          inet_addr("10.0.0.2"), &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_CREATED && count == 0);

    a = test_runtime_index("camera.a");
    NGX_RTC_CHECK(a == 1);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(a, &copy) == NGX_OK);
    NGX_RTC_CHECK(copy.url_len == 21
                  && ngx_strncmp(copy.url, "rtsp://u:p@10.0.0.2/s", 21) == 0);
    NGX_RTC_CHECK(copy.audio == NGX_RTC_AUDIO_OPUS
                  && copy.buffer == 256 * 1024 && copy.name_len == 8);
    NGX_RTC_CHECK(((struct sockaddr_in *) &copy.sockaddr)->sin_port
                  == htons(554));
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(0, &copy) == NGX_DECLINED);

    version = copy.version;
    gen = ngx_rtc_shm_runtime_gen();

    /* the same again (Home Assistant, before every offer): nothing */

    rc = test_runtime_put("camera.a", "rtsp://u:p@10.0.0.2/s",
                          inet_addr("10.0.0.2"), &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_SAME && count == 1);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_gen() == gen);

    /* another URL, or only another address: a new version */

    rc = test_runtime_put("camera.a", "rtsp://u:q@10.0.0.2/s",
                          inet_addr("10.0.0.2"), &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_UPDATED);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(a, &copy) == NGX_OK);
    NGX_RTC_CHECK(copy.version > version && copy.url[9] == 'q');

    version = copy.version;

    rc = test_runtime_put("camera.a", "rtsp://u:q@10.0.0.2/s",
                          inet_addr("10.0.0.3"), &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_UPDATED);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(a, &copy) == NGX_OK);
    NGX_RTC_CHECK(copy.version > version);
    NGX_RTC_CHECK(test_runtime_index("camera.a") == a);

    /* a configured name is left alone; the cap holds */

    rc = test_runtime_put("cam", "rtsp://10.0.0.9/", inet_addr("10.0.0.9"),
                          &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_CONFIGURED);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(c->scf[0].index, &copy)
                  == NGX_DECLINED);

    rc = test_runtime_put("camera.b", "rtsp://10.0.0.4/", inet_addr("10.0.0.4"),
                          &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_CREATED && count == 1);

    rc = test_runtime_put("camera.c", "rtsp://10.0.0.5/", inet_addr("10.0.0.5"),
                          &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_CAP && count == 2);
    NGX_RTC_CHECK(test_runtime_index("camera.c") == -1);

    /* a reload keeps them, neither retired nor freed; a new cap applies */

    c2 = test_conf(2, 8, "cam:256");
    c2->rmcf.runtime_max = 3;
    NGX_RTC_CHECK(test_init(c2, c) == NGX_OK);

    b = test_runtime_index("camera.b");
    NGX_RTC_CHECK(test_runtime_index("camera.a") == a && b >= 0);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(a, &copy) == NGX_OK);
    NGX_RTC_CHECK(copy.version == version + 1 || copy.version > version);
    NGX_RTC_CHECK(ctx->runtime_max == 3);

    rc = test_runtime_put("camera.c", "rtsp://10.0.0.5/", inet_addr("10.0.0.5"),
                          &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_CREATED && count == 2);

    /* an rtc_stream of a runtime stream's name takes its entry over */

    gen = ngx_rtc_shm_runtime_gen();

    c3 = test_conf(2, 8, "cam:256 camera.a:256");
    c3->rmcf.runtime_max = 3;
    NGX_RTC_CHECK(test_init(c3, c2) == NGX_OK);
    NGX_RTC_CHECK(c3->scf[1].index == (ngx_uint_t) a);
    NGX_RTC_CHECK(ctx->streams[a].runtime_off == 0
                  && ctx->streams[a].retired == 0);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_gen() != gen);
    NGX_RTC_CHECK(ngx_rtc_shm_runtime_get(a, &copy) == NGX_DECLINED);

    rc = test_runtime_put("camera.a", "rtsp://10.0.0.2/", inet_addr("10.0.0.2"),
                          &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_CONFIGURED && count == 2);

    /* no room in the zone for a ring: said, and nothing half made */

    test_limit = test_used + 64 * 1024;
    rc = test_runtime_put("camera.d", "rtsp://10.0.0.6/", inet_addr("10.0.0.6"),
                          &count);
    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_MEMORY);
    NGX_RTC_CHECK(test_runtime_index("camera.d") == -1);
    test_limit = TEST_ARENA;

    /* the stream table: NGX_RTC_MAX_STREAMS entries in all (small rings) */

    ctx->runtime_max = NGX_RTC_MAX_STREAMS;
    test_runtime_buffer = 4096;

    for (i = 0; i < NGX_RTC_MAX_STREAMS; i++) {
        *ngx_sprintf(name, "r%ui", i) = '\0';
        rc = test_runtime_put((char *) name, "rtsp://10.0.0.7/",
                              inet_addr("10.0.0.7"), &count);
        if (rc != NGX_RTC_RUNTIME_CREATED) {
            break;
        }
    }

    NGX_RTC_CHECK(rc == NGX_RTC_RUNTIME_TABLE);
    NGX_RTC_CHECK(ctx->nstreams == NGX_RTC_MAX_STREAMS);
    NGX_RTC_CHECK(i == NGX_RTC_MAX_STREAMS - 4);
    test_runtime_buffer = 256 * 1024;

    /* they hold their entries: a reload with a new stream is refused */

    c = test_conf(2, 8, "cam:256 camera.a:256 new:256");
    c->rmcf.runtime_max = 3;
    NGX_RTC_CHECK(test_init(c, c3) == NGX_ERROR);
    NGX_RTC_CHECK(test_runtime_index("r0") >= 0);
    NGX_RTC_CHECK(test_runtime_index("new") == -1);
}


int
main(void)
{
    test_log.log_level = NGX_LOG_DEBUG;
    test_arena = calloc(1, TEST_ARENA);
    if (test_arena == NULL) {
        return 1;
    }
    test_limit = TEST_ARENA;
    test_time.sec = 1000;

    ngx_http_module.index = 0;
    ngx_http_rtc_module.ctx_index = 0;

    test_layout();
    test_counters();
    test_purge_many();
    test_reload();
    test_fence();
    test_runtime();

    free(test_arena);

    return NGX_RTC_UNIT_DONE();
}
