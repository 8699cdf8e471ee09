/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>


/*
 * The zone: a stream table, a session table and one frame ring per stream,
 * all in one slab pool.  This is the only file that takes the pool's mutex,
 * the one lock the master releases when a worker dies holding it.
 */


static ngx_int_t ngx_rtc_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data);
static u_char *ngx_rtc_shm_configure(ngx_shm_zone_t *shm_zone,
    ngx_rtc_shctx_t *ctx, ngx_rtc_main_conf_t *rmcf,
    ngx_rtc_main_conf_t *ormcf, u_char *buf, u_char *last);
static ngx_uint_t ngx_rtc_shm_stream_running(ngx_rtc_main_conf_t *ormcf,
    ngx_uint_t index);
static ngx_uint_t ngx_rtc_shm_stream_wanted(ngx_rtc_main_conf_t *rmcf,
    ngx_rtc_stream_sh_t *st, ngx_uint_t buffer);
static ngx_rtc_stream_sh_t *ngx_rtc_shm_stream_find(ngx_rtc_shctx_t *ctx,
    ngx_rtc_stream_conf_t *scf, ngx_uint_t retired);
static ngx_uint_t ngx_rtc_shm_stream_idle(ngx_rtc_stream_sh_t *st);
static void ngx_rtc_shm_stream_free(ngx_slab_pool_t *shpool,
    ngx_rtc_stream_sh_t *st);
static ngx_int_t ngx_rtc_shm_stream_new(ngx_slab_pool_t *shpool,
    ngx_rtc_shctx_t *ctx, ngx_rtc_stream_conf_t *scf);
static void ngx_rtc_shm_runtime_end(ngx_slab_pool_t *shpool,
    ngx_rtc_shctx_t *ctx, ngx_rtc_stream_sh_t *st);
static void ngx_rtc_shm_lease_end(ngx_rtc_stream_sh_t *st);
static ngx_uint_t ngx_rtc_shm_fence(ngx_rtc_stream_sh_t *st);
static ngx_uint_t ngx_rtc_shm_recount_locked(ngx_rtc_shctx_t *ctx);
static size_t ngx_rtc_shm_size(ngx_rtc_main_conf_t *rmcf, ngx_uint_t nslots);
static size_t ngx_rtc_shm_tables(ngx_rtc_main_conf_t *rmcf,
    ngx_uint_t nslots);
static size_t ngx_rtc_shm_ring_bytes(size_t buffer, ngx_uint_t *nslots);


ngx_int_t
ngx_rtc_shm_add_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtc_module);

    rmcf->shm_zone = ngx_shared_memory_add(cf, name, size,
                                           &ngx_http_rtc_module);
    if (rmcf->shm_zone == NULL) {
        return NGX_ERROR;
    }

    if (rmcf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "rtc_zone \"%V\" is already defined", name);
        return NGX_ERROR;
    }

    rmcf->shm_zone->init = ngx_rtc_shm_init_zone;
    rmcf->shm_zone->data = rmcf;

    return NGX_OK;
}


/*
 * A new zone is laid out for the configuration: the session table, a
 * worker slot for each worker (at least NGX_RTC_MIN_SLOTS), a stream
 * entry and ring per stream.  A reload that reuses the zone (same name
 * and size) is checked against it: what the zone can take is applied,
 * what it cannot is refused with the reason (the old workers keep
 * serving).
 */

static ngx_int_t
ngx_rtc_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_rtc_shctx_t  *octx = data;

    u_char                 *last, buf[NGX_MAX_ERROR_STR];
    size_t                  size;
    ngx_uint_t              nslots;
    ngx_slab_pool_t        *shpool;
    ngx_rtc_shctx_t        *ctx;
    ngx_rtc_slot_sh_t      *slots;
    ngx_rtc_main_conf_t    *rmcf, *ormcf;

    rmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx) {
        /* reload: keep streams, rings and sessions */
        ctx = octx;

    } else if (shm_zone->shm.exists) {
        ctx = shpool->data;

    } else {
        nslots = ngx_max(NGX_RTC_MIN_SLOTS, rmcf->core->worker_processes);
        size = sizeof(ngx_rtc_shctx_t)
               + rmcf->max_sessions * sizeof(ngx_rtc_session_sh_t);

        ctx = ngx_slab_calloc(shpool, size);
        slots = ngx_slab_calloc(shpool, nslots * sizeof(ngx_rtc_slot_sh_t));

        if (ctx == NULL || slots == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "rtc_zone \"%V\" of %uz bytes is too small for "
                          "its tables (%d stream entries, %ui sessions, %ui "
                          "worker slots: %uz bytes); this configuration "
                          "needs about %uzm", &shm_zone->shm.name,
                          shm_zone->shm.size, NGX_RTC_MAX_STREAMS,
                          rmcf->max_sessions, nslots,
                          ngx_rtc_shm_tables(rmcf, nslots),
                          ngx_rtc_shm_size(rmcf, nslots) >> 20);
            return NGX_ERROR;
        }

        ctx->nsessions = rmcf->max_sessions;
        ctx->max_sessions = rmcf->max_sessions;
        ctx->nslots = nslots;
        ctx->slots_off = (u_char *) slots - (u_char *) shpool;
        shpool->data = ctx;

        size = sizeof(" in rtc_zone \"\"") + shm_zone->shm.name.len;

        shpool->log_ctx = ngx_slab_alloc(shpool, size);
        if (shpool->log_ctx) {
            ngx_sprintf(shpool->log_ctx, " in rtc_zone \"%V\"%Z",
                        &shm_zone->shm.name);
        }
    }

    /*
     * The old workers run on: the changes are made under the lock.  On a
     * reload ngx_cycle is still the running configuration's cycle.
     */

    ormcf = octx ? ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                       ngx_http_rtc_module)
                 : NULL;

    ngx_shmtx_lock(&shpool->mutex);
    last = ngx_rtc_shm_configure(shm_zone, ctx, rmcf, ormcf, buf,
                                 buf + NGX_MAX_ERROR_STR);
    ngx_shmtx_unlock(&shpool->mutex);

    if (last != buf) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0, "%*s",
                      last - buf, buf);
        return NGX_ERROR;
    }

    shm_zone->data = ctx;

    return NGX_OK;
}


/*
 * Fits the configuration into the zone, or says why not: returns the end
 * of the reason written from buf (buf itself when all is well).  Nothing
 * changes before every check passed.
 *
 * A stream removed from the configuration keeps its entry ("retired" at
 * the new generation): the running configuration's workers may use it
 * until they have exited.  From the next reload on, once it has no
 * producer and no viewers, its entry and ring are free for other streams.
 * A changed buffer= needs a new ring: an idle stream gets a new entry,
 * and its old one is retired.
 */

static u_char *
ngx_rtc_shm_configure(ngx_shm_zone_t *shm_zone, ngx_rtc_shctx_t *ctx,
    ngx_rtc_main_conf_t *rmcf, ngx_rtc_main_conf_t *ormcf, u_char *buf,
    u_char *last)
{
    u_char                 *p;
    ngx_int_t               rc;
    ngx_uint_t              i, k, gen, nnew, nfree, nruntime;
    ngx_slab_pool_t        *shpool;
    ngx_rtc_stream_sh_t    *st;
    ngx_rtc_stream_conf_t  *scf;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    gen = ctx->generation + 1;

    if ((ngx_uint_t) rmcf->core->worker_processes > ctx->nslots) {
        return ngx_slprintf(buf, last,
                    "rtc_zone \"%V\" was laid out for %ui worker processes, "
                    "worker_processes is %i: change the rtc_zone size or "
                    "name to apply it", &shm_zone->shm.name, ctx->nslots,
                    rmcf->core->worker_processes);
    }

    if (rmcf->max_sessions > ctx->nsessions) {
        return ngx_slprintf(buf, last,
                    "rtc_max_sessions changed from %ui to %ui, rtc_zone "
                    "\"%V\" has room for %ui: change the rtc_zone size or "
                    "name to apply it", ctx->max_sessions,
                    rmcf->max_sessions, &shm_zone->shm.name, ctx->nsessions);
    }

    /*
     * Entries retired by an earlier configuration, idle, and not used by
     * the running one (a reload that failed after this function may have
     * retired them) are free.
     */

    for (i = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (st->name_len && st->retired && st->retired < gen
            && ngx_rtc_shm_stream_idle(st)
            && !ngx_rtc_shm_stream_running(ormcf, i)
            && !ngx_rtc_shm_stream_wanted(rmcf, st, 1))
        {
            ngx_rtc_shm_stream_free(shpool, st);
        }
    }

    /* the checks */

    scf = rmcf->streams.elts;
    nnew = 0;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        st = ngx_rtc_shm_stream_find(ctx, &scf[i], 0);

        if (st && st->buffer != scf[i].buffer && !ngx_rtc_shm_stream_idle(st))
        {
            return ngx_slprintf(buf, last,
                    "rtc_stream \"%V\" buffer= changed from %uz to %uz "
                    "while the stream is in use: reload when it has no "
                    "viewers and no producer, or change the rtc_zone name "
                    "to apply it", &scf[i].name, st->buffer, scf[i].buffer);
        }

        if ((st == NULL || st->buffer != scf[i].buffer)
            && ngx_rtc_shm_stream_find(ctx, &scf[i], 1) == NULL)
        {
            nnew++;
        }
    }

    nfree = NGX_RTC_MAX_STREAMS - ctx->nstreams;
    nruntime = 0;

    for (i = 0; i < ctx->nstreams; i++) {
        if (ctx->streams[i].name_len == 0) {
            nfree++;

        } else if (ctx->streams[i].runtime_off) {
            nruntime++;
        }
    }

    if (nnew > nfree) {
        p = ngx_slprintf(buf, last,
                    "rtc_zone \"%V\" has no free stream entry for %ui new "
                    "stream(s): its %d entries hold the streams of the "
                    "running configuration and removed streams still in "
                    "use; remove streams in one reload and add the new "
                    "ones in the next, or change the rtc_zone name",
                    &shm_zone->shm.name, nnew, NGX_RTC_MAX_STREAMS);

        if (nruntime == 0) {
            return p;
        }

        return ngx_slprintf(p, last,
                            " (%ui of them are runtime streams, which only "
                            "a new zone drops)", nruntime);
    }

    /*
     * New entries and rings first: a failure leaves the zone as it was.
     * Until the next loop, a stream has an index when it got a new entry.
     */

    for (i = 0; i < rmcf->streams.nelts; i++) {
        scf[i].index = NGX_CONF_UNSET_UINT;

        st = ngx_rtc_shm_stream_find(ctx, &scf[i], 0);

        if ((st && st->buffer == scf[i].buffer)
            || ngx_rtc_shm_stream_find(ctx, &scf[i], 1))
        {
            continue;
        }

        /* no room is said below, with what to do: not ngx_slab's [crit] */

        shpool->log_nomem = 0;
        rc = ngx_rtc_shm_stream_new(shpool, ctx, &scf[i]);
        shpool->log_nomem = 1;

        if (rc == NGX_ERROR) {

            for (k = 0; k < i; k++) {
                if (scf[k].index != NGX_CONF_UNSET_UINT) {
                    ngx_rtc_shm_stream_free(shpool,
                                            &ctx->streams[scf[k].index]);
                }
            }

            return ngx_slprintf(buf, last,
                        "rtc_zone \"%V\" has no room for stream \"%V\" "
                        "(buffer=%uz): make the zone larger or the buffer "
                        "smaller; this configuration of %ui stream%s needs "
                        "about %uzm", &shm_zone->shm.name, &scf[i].name,
                        scf[i].buffer, rmcf->streams.nelts,
                        rmcf->streams.nelts == 1 ? "" : "s",
                        ngx_rtc_shm_size(rmcf, ctx->nslots) >> 20);
        }
    }

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if (scf[i].index != NGX_CONF_UNSET_UINT) {
            continue;
        }

        st = ngx_rtc_shm_stream_find(ctx, &scf[i], 0);

        if (st == NULL || st->buffer != scf[i].buffer) {
            st = ngx_rtc_shm_stream_find(ctx, &scf[i], 1);
            st->retired = 0;
        }

        scf[i].index = st - ctx->streams;

        /* an rtc_stream takes the entry of a runtime stream of its name */

        ngx_rtc_shm_runtime_end(shpool, ctx, st);
    }

    /*
     * Entries no longer configured: retired at this generation.  Runtime
     * streams stay, but for one whose name an rtc_stream now has.
     */

    for (i = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (st->name_len == 0 || st->retired) {
            continue;
        }

        for (k = 0; k < rmcf->streams.nelts; k++) {
            if (scf[k].index == i) {
                break;
            }
        }

        if (k < rmcf->streams.nelts) {
            continue;
        }

        if (st->runtime_off && !ngx_rtc_shm_stream_wanted(rmcf, st, 0)) {
            continue;
        }

        ngx_rtc_shm_runtime_end(shpool, ctx, st);
        st->retired = gen;
    }

    ctx->max_sessions = rmcf->max_sessions;
    ctx->runtime_max = rmcf->runtime_max;
    ctx->generation = gen;
    rmcf->generation = gen;

    return buf;
}


/*
 * The entry of a configured stream by name (retired: 0), or of a retired
 * one of the same name and buffer= that can serve again (retired: 1).
 */

static ngx_rtc_stream_sh_t *
ngx_rtc_shm_stream_find(ngx_rtc_shctx_t *ctx, ngx_rtc_stream_conf_t *scf,
    ngx_uint_t retired)
{
    ngx_uint_t            i;
    ngx_rtc_stream_sh_t  *st;

    for (i = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (st->name_len != scf->name.len
            || ngx_strncmp(st->name, scf->name.data, scf->name.len) != 0)
        {
            continue;
        }

        if (retired == 0 && st->retired == 0) {
            return st;
        }

        if (retired && st->retired && st->buffer == scf->buffer) {
            return st;
        }
    }

    return NULL;
}


/* is the entry a stream of the running configuration? */

static ngx_uint_t
ngx_rtc_shm_stream_running(ngx_rtc_main_conf_t *ormcf, ngx_uint_t index)
{
    ngx_uint_t              i;
    ngx_rtc_stream_conf_t  *scf;

    if (ormcf == NULL) {
        return 0;
    }

    scf = ormcf->streams.elts;

    for (i = 0; i < ormcf->streams.nelts; i++) {
        if (scf[i].index == index) {
            return 1;
        }
    }

    return 0;
}


/*
 * A retired entry the new configuration has again (same name, buffer=;
 * buffer: 1), or an entry whose name it has (buffer: 0)
 */

static ngx_uint_t
ngx_rtc_shm_stream_wanted(ngx_rtc_main_conf_t *rmcf, ngx_rtc_stream_sh_t *st,
    ngx_uint_t buffer)
{
    ngx_uint_t              i;
    ngx_rtc_stream_conf_t  *scf;

    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if (scf[i].name.len == st->name_len
            && (!buffer || scf[i].buffer == st->buffer)
            && ngx_strncmp(scf[i].name.data, st->name, st->name_len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* no producer (or a dead one) and no viewers: no worker reads or writes */

static ngx_uint_t
ngx_rtc_shm_stream_idle(ngx_rtc_stream_sh_t *st)
{
    return st->viewers == 0
           && (st->owner == 0
               || (ngx_msec_int_t) (ngx_current_msec - st->heartbeat)
                  > NGX_RTC_LEASE);
}


/*
 * Under the lock: the entry is free from now on, with its ring and the
 * JPEGs its snapshots kept (the next stream_new() zeroes their offsets).
 */

static void
ngx_rtc_shm_stream_free(ngx_slab_pool_t *shpool, ngx_rtc_stream_sh_t *st)
{
    ngx_uint_t          i;
    ngx_rtc_snap_sh_t  *sn;

    for (i = 0; i < NGX_RTC_SNAP_SLOTS; i++) {
        sn = &st->snaps[i];

        if (sn->state == NGX_RTC_SNAP_READY) {
            ngx_slab_free_locked(shpool, (u_char *) shpool + sn->off);
        }

        sn->state = NGX_RTC_SNAP_FREE;
    }

    ngx_slab_free_locked(shpool, (u_char *) shpool + st->ring_off);

    st->name_len = 0;
    st->retired = 0;
}


/* a free or a new entry, with a new ring; NGX_ERROR: no memory */

static ngx_int_t
ngx_rtc_shm_stream_new(ngx_slab_pool_t *shpool, ngx_rtc_shctx_t *ctx,
    ngx_rtc_stream_conf_t *scf)
{
    u_char               *ring;
    size_t                size, viewers_off;
    uint32_t             *viewers;
    uint64_t              incarnation;
    ngx_uint_t            i, nslots;
    ngx_rtc_stream_sh_t  *st;

    for (i = 0; i < ctx->nstreams; i++) {
        if (ctx->streams[i].name_len == 0) {
            break;
        }
    }

    st = &ctx->streams[i];

    if (i == ctx->nstreams) {
        viewers = ngx_slab_calloc_locked(shpool,
                                         ctx->nslots * sizeof(uint32_t));
        if (viewers == NULL) {
            return NGX_ERROR;
        }

        viewers_off = (u_char *) viewers - (u_char *) shpool;

    } else {
        viewers_off = st->slot_viewers_off;
        viewers = (uint32_t *) ((u_char *) shpool + viewers_off);
    }

    size = ngx_rtc_shm_ring_bytes(scf->buffer, &nslots);

    ring = ngx_slab_alloc_locked(shpool, size);

    if (ring == NULL) {
        if (i == ctx->nstreams) {
            ngx_slab_free_locked(shpool, viewers);
        }

        return NGX_ERROR;
    }

    ngx_rtc_ring_init((ngx_rtc_ring_sh_t *) ring, scf->buffer, nslots);
    ngx_memzero(viewers, ctx->nslots * sizeof(uint32_t));

    incarnation = st->incarnation + 1;

    ngx_memzero(st, sizeof(ngx_rtc_stream_sh_t));

    st->incarnation = incarnation;
    st->name_len = scf->name.len;
    ngx_memcpy(st->name, scf->name.data, scf->name.len);
    st->ring_off = ring - (u_char *) shpool;
    st->ring_size = size;
    st->buffer = scf->buffer;
    st->slot_viewers_off = viewers_off;

    scf->index = i;

    if (i == ctx->nstreams) {
        ctx->nstreams++;
    }

    return NGX_OK;
}


/*
 * Runtime streams: made by a request (PUT /api/streams) in a free entry of
 * the stream table, each with its source in a slab block of its own.  A
 * reload keeps them (ngx_rtc_shm_configure()); a source that changes gets
 * a new block and a new version, which the workers notice through
 * ctx->runtime_gen (ngx_rtc_runtime_sync()).  Returns NGX_RTC_RUNTIME_*;
 * "count": the runtime streams there were.
 */

ngx_uint_t
ngx_rtc_shm_runtime_put(ngx_rtc_runtime_src_t *src, ngx_uint_t *count)
{
    size_t                  size;
    ngx_uint_t              i, n, rc;
    ngx_slab_pool_t        *shpool;
    ngx_rtc_shctx_t        *ctx;
    ngx_rtc_stream_sh_t    *st, *found;
    ngx_rtc_runtime_sh_t   *rs, *old;
    ngx_rtc_stream_conf_t   scf;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    size = offsetof(ngx_rtc_runtime_sh_t, url) + src->url.len;
    found = NULL;
    rs = NULL;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0, n = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (!ngx_rtc_shm_stream_listed(st)) {
            continue;
        }

        if (st->runtime_off) {
            n++;
        }

        if (st->name_len == src->name.len
            && ngx_strncmp(st->name, src->name.data, src->name.len) == 0)
        {
            found = st;
        }
    }

    *count = n;

    if (found && found->runtime_off == 0) {
        rc = NGX_RTC_RUNTIME_CONFIGURED;
        goto done;
    }

    if (found) {
        old = (ngx_rtc_runtime_sh_t *) ((u_char *) shpool
                                        + found->runtime_off);

        if (old->audio == src->audio
            && old->url_len == src->url.len
            && ngx_memcmp(old->url, src->url.data, src->url.len) == 0
            && old->socklen == src->socklen
            && ngx_memcmp(&old->sockaddr, src->sockaddr, src->socklen) == 0)
        {
            rc = NGX_RTC_RUNTIME_SAME;
            goto done;
        }

        rs = ngx_slab_alloc_locked(shpool, size);
        if (rs == NULL) {
            rc = NGX_RTC_RUNTIME_MEMORY;
            goto done;
        }

        ngx_slab_free_locked(shpool, old);
        st = found;
        rc = NGX_RTC_RUNTIME_UPDATED;
        goto fill;
    }

    if (n >= ctx->runtime_max) {
        rc = NGX_RTC_RUNTIME_CAP;
        goto done;
    }

    for (i = 0; i < ctx->nstreams; i++) {
        if (ctx->streams[i].name_len == 0) {
            break;
        }
    }

    if (i == NGX_RTC_MAX_STREAMS) {
        rc = NGX_RTC_RUNTIME_TABLE;
        goto done;
    }

    rs = ngx_slab_alloc_locked(shpool, size);

    ngx_memzero(&scf, sizeof(ngx_rtc_stream_conf_t));
    scf.name = src->name;
    scf.buffer = src->buffer;

    if (rs == NULL || ngx_rtc_shm_stream_new(shpool, ctx, &scf) != NGX_OK) {
        if (rs) {
            ngx_slab_free_locked(shpool, rs);
        }

        rc = NGX_RTC_RUNTIME_MEMORY;
        goto done;
    }

    st = &ctx->streams[scf.index];
    st->idle_since = ngx_current_msec;
    rc = NGX_RTC_RUNTIME_CREATED;

fill:

    ngx_memzero(rs, offsetof(ngx_rtc_runtime_sh_t, url));

    rs->version = ++ctx->runtime_gen;
    rs->audio = src->audio;
    rs->socklen = src->socklen;
    ngx_memcpy(&rs->sockaddr, src->sockaddr, src->socklen);
    rs->url_len = src->url.len;
    ngx_memcpy(rs->url, src->url.data, src->url.len);

    st->runtime_off = (u_char *) rs - (u_char *) shpool;

done:

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/* a copy of a runtime stream's entry; NGX_DECLINED: not a runtime one */

ngx_int_t
ngx_rtc_shm_runtime_get(ngx_uint_t index, ngx_rtc_runtime_copy_t *copy)
{
    ngx_int_t              rc;
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_stream_sh_t   *st;
    ngx_rtc_runtime_sh_t  *rs;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&shpool->mutex);

    st = &ctx->streams[index < ctx->nstreams ? index : 0];

    if (index < ctx->nstreams && ngx_rtc_shm_stream_listed(st)
        && st->runtime_off)
    {
        rs = (ngx_rtc_runtime_sh_t *) ((u_char *) shpool + st->runtime_off);

        if (rs->url_len <= NGX_RTC_URL_MAX
            && rs->socklen <= sizeof(ngx_sockaddr_t))
        {
            copy->version = rs->version;
            copy->audio = rs->audio;
            copy->buffer = st->buffer;
            copy->socklen = rs->socklen;
            ngx_memcpy(&copy->sockaddr, &rs->sockaddr, rs->socklen);
            copy->name_len = st->name_len;
            ngx_memcpy(copy->name, st->name, st->name_len);
            copy->url_len = rs->url_len;
            ngx_memcpy(copy->url, rs->url, rs->url_len);

            rc = NGX_OK;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/*
 * How many runtime streams a worker starting now may meet: those there
 * are, or the cap (rtc_zone runtime=) if higher; a new one is made only
 * under the cap (a lower cap keeps the streams made under a higher one).
 */

ngx_uint_t
ngx_rtc_shm_runtime_room(void)
{
    ngx_uint_t        i, n;
    ngx_slab_pool_t  *shpool;
    ngx_rtc_shctx_t  *ctx;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0, n = 0; i < ctx->nstreams; i++) {
        if (ngx_rtc_shm_stream_listed(&ctx->streams[i])
            && ctx->streams[i].runtime_off)
        {
            n++;
        }
    }

    n = ngx_max(n, ctx->runtime_max);

    ngx_shmtx_unlock(&shpool->mutex);

    return ngx_min(n, NGX_RTC_MAX_STREAMS);
}


/* changes with every runtime stream made or changed: read without lock */

ngx_uint_t
ngx_rtc_shm_runtime_gen(void)
{
    ngx_rtc_shctx_t  *ctx;

    ctx = ngx_rtc_shm_ctx();

    return ctx ? ctx->runtime_gen : 0;
}


/* under the lock: the entry is no runtime stream from now on */

static void
ngx_rtc_shm_runtime_end(ngx_slab_pool_t *shpool, ngx_rtc_shctx_t *ctx,
    ngx_rtc_stream_sh_t *st)
{
    if (st->runtime_off == 0) {
        return;
    }

    ngx_slab_free_locked(shpool, (u_char *) shpool + st->runtime_off);
    st->runtime_off = 0;
    ctx->runtime_gen++;
}


/*
 * About the size of a zone for a configuration (in the messages of a
 * zone too small): its tables, each stream's ring and its viewers per
 * slot, runtime= rings if a location allows runtime streams, and the slab
 * allocator's own (a descriptor per page, rounding to pages).
 */

static size_t
ngx_rtc_shm_size(ngx_rtc_main_conf_t *rmcf, ngx_uint_t nslots)
{
    size_t                  size, ring;
    ngx_uint_t              i, n;
    ngx_rtc_stream_conf_t  *scf;

    size = ngx_rtc_shm_tables(rmcf, nslots);
    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        size += ngx_rtc_shm_ring_bytes(scf[i].buffer, &n)
                + nslots * sizeof(uint32_t) + 2 * ngx_pagesize;
    }

    if (rmcf->runtime_dynamic) {
        ring = ngx_rtc_shm_ring_bytes(rmcf->runtime_buffer, &n)
               + nslots * sizeof(uint32_t) + 2 * ngx_pagesize;
        size += rmcf->runtime_max * ring;
    }

    size += size / 64 + 64 * ngx_pagesize;

    return ngx_align(size, 1024 * 1024);
}


/* the zone's tables: streams, mailbox, sessions, worker slots */

static size_t
ngx_rtc_shm_tables(ngx_rtc_main_conf_t *rmcf, ngx_uint_t nslots)
{
    return sizeof(ngx_rtc_shctx_t)
           + rmcf->max_sessions * sizeof(ngx_rtc_session_sh_t)
           + nslots * sizeof(ngx_rtc_slot_sh_t);
}


/* a ring of "buffer" bytes of frames: its size and its frame slots */

static size_t
ngx_rtc_shm_ring_bytes(size_t buffer, ngx_uint_t *nslots)
{
    *nslots = ngx_max(buffer / 2048, 256);

    return ngx_rtc_ring_bytes(buffer, *nslots);
}


ngx_rtc_shctx_t *
ngx_rtc_shm_ctx(void)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    if (rmcf == NULL || rmcf->shm_zone == NULL) {
        return NULL;
    }

    return rmcf->shm_zone->data;
}


ngx_slab_pool_t *
ngx_rtc_shm_pool(void)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    return (ngx_slab_pool_t *) rmcf->shm_zone->shm.addr;
}


void *
ngx_rtc_shm_ring(ngx_rtc_stream_sh_t *st)
{
    return (u_char *) ngx_rtc_shm_pool() + st->ring_off;
}


/* the stream's viewers per worker slot: uint32_t[ctx->nslots] */

uint32_t *
ngx_rtc_shm_slot_viewers(ngx_rtc_stream_sh_t *st)
{
    return (uint32_t *) ((u_char *) ngx_rtc_shm_pool() + st->slot_viewers_off);
}


ngx_rtc_slot_sh_t *
ngx_rtc_shm_slot(ngx_uint_t slot)
{
    ngx_rtc_slot_sh_t  *slots;

    slots = (ngx_rtc_slot_sh_t *) ((u_char *) ngx_rtc_shm_pool()
                                   + ngx_rtc_shm_ctx()->slots_off);

    return &slots[slot];
}


/*
 * A worker takes its slot: it names its process (pid and start time) and
 * its generation, and voids the wake flag an earlier process of the slot
 * may have left raised (an old worker's, or one that died).
 */

ngx_int_t
ngx_rtc_shm_enter(ngx_cycle_t *cycle)
{
    ngx_slab_pool_t      *shpool;
    ngx_rtc_shctx_t      *ctx;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtc_module);

    rmcf->start = ngx_rtc_slot_start(ngx_pid);

    if (ngx_worker >= ngx_rtc_shm_ctx()->nslots) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "rtc shm worker %ui has no slot", ngx_worker);
        return NGX_ERROR;
    }

    ngx_rtc_slot_enter(ngx_rtc_shm_slot(ngx_worker), rmcf->generation,
                       ngx_pid, rmcf->start);

    /*
     * The configuration runs: what it retired is gone (a reload that
     * failed after the zone's part retired entries too, and starts no
     * worker).  A worker of a generation marked left (one of its workers
     * was stopped by hand, and this is its replacement) runs it again.
     */

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);

    if (rmcf->generation > ctx->started) {
        ctx->started = rmcf->generation;
    }

    if (ctx->left == rmcf->generation) {
        ctx->left = 0;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


/*
 * The entry of a stream that a configuration which runs has no more (or
 * has with a new ring): an exiting worker's viewers of it end.
 */

ngx_uint_t
ngx_rtc_shm_removed(ngx_rtc_stream_sh_t *st)
{
    ngx_uint_t  retired;

    retired = st->retired;

    return retired && retired <= ngx_rtc_shm_ctx()->started;
}


/*
 * No configuration after this worker's took the zone: a graceful stop, a
 * reload to another zone (name or size), the old binary's workers after
 * an upgrade.  Nobody will write its rings again.  The workers of an
 * older configuration, still exiting when that happens, learn it from
 * the newest one's: the first of those to exit marks its generation as
 * left (ngx_rtc_shm_leave()).  A reload that fails after the zone's part
 * (another module's error) leaves the generation moved on: the zone then
 * counts as taken until the running configuration's workers exit.
 */

ngx_uint_t
ngx_rtc_shm_retired(void)
{
    ngx_uint_t            gen;
    ngx_rtc_shctx_t      *ctx;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);
    ctx = ngx_rtc_shm_ctx();

    if (ctx == NULL) {
        return 0;
    }

    gen = ctx->generation;

    return gen == rmcf->generation || ctx->left == gen;
}


/* a worker's graceful exit (or a stop's) when no newer one took the zone */

void
ngx_rtc_shm_leave(void)
{
    ngx_slab_pool_t      *shpool;
    ngx_rtc_shctx_t      *ctx;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);
    ctx = ngx_rtc_shm_ctx();

    if (ctx == NULL) {
        return;
    }

    shpool = ngx_rtc_shm_pool();

    /* the test and the mark under the lock: a reload may move it on */

    ngx_shmtx_lock(&shpool->mutex);

    if (ctx->generation == rmcf->generation) {
        ctx->left = ctx->generation;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * The worker, before it reads the rings: clears its wake flag.  Returns
 * 2 if the flag was left by a generation no longer in the slot.
 */

ngx_uint_t
ngx_rtc_shm_wake_clear(void)
{
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    if (ngx_worker >= rmcf->nworkers) {
        return 0;
    }

    return ngx_rtc_slot_clear(ngx_rtc_shm_slot(ngx_worker), rmcf->generation);
}


/*
 * NGX_OK, NGX_DECLINED: rtc_max_sessions (or the zone's table) is full,
 * NGX_BUSY: the stream has its max_sessions= viewers, NGX_ABORT: the entry
 * is no longer the stream the caller knew ("incarnation", an exiting
 * worker's after reloads freed and reused it).
 */

ngx_int_t
ngx_rtc_shm_session_add(ngx_uint_t stream, uint64_t incarnation, u_char *id,
    ngx_uint_t max, ngx_uint_t stream_max)
{
    ngx_uint_t             i, slot;
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_stream_sh_t   *st;
    ngx_rtc_main_conf_t   *rmcf;
    ngx_rtc_session_sh_t  *ss;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);
    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    slot = ngx_rtc_shm_id_slot(id);
    st = &ctx->streams[stream];

    if (slot >= ctx->nslots) {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&shpool->mutex);

    if (st->incarnation != incarnation || st->name_len == 0) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_ABORT;
    }

    if (ctx->sessions_used >= ngx_min(max, ctx->nsessions)) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    if (stream_max && st->viewers >= stream_max) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_BUSY;
    }

    for (i = 0; i < ctx->nsessions; i++) {
        ss = &ctx->sessions[i];

        if (ss->state != NGX_RTC_SESSION_FREE) {
            continue;
        }

        /*
         * The state last, then the counters: a worker that dies in here
         * leaves a free entry, or one that the purge frees and recounts.
         */

        ngx_memcpy(ss->id, id, NGX_RTC_ID_LEN);
        ss->stream = stream;
        ss->slot = slot;
        ss->pid = ngx_pid;
        ss->start = rmcf->start;
        ss->created = ngx_time();
        ss->close = 0;
        ss->ice_gen = 0;
        ss->state = NGX_RTC_SESSION_NEW;

        /* the media statistics and all after them: none yet */
        ngx_memzero(&ss->video_codec, sizeof(ngx_rtc_session_sh_t)
                    - offsetof(ngx_rtc_session_sh_t, video_codec));

        ctx->sessions_used++;
        st->viewers++;
        ngx_rtc_shm_slot_viewers(st)[slot]++;

        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_OK;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_DECLINED;
}


static ngx_rtc_session_sh_t *
ngx_rtc_shm_session_lookup(ngx_rtc_shctx_t *ctx, u_char *id)
{
    ngx_uint_t             i;
    ngx_rtc_session_sh_t  *ss;

    for (i = 0; i < ctx->nsessions; i++) {
        ss = &ctx->sessions[i];

        if (ss->state != NGX_RTC_SESSION_FREE
            && ngx_memcmp(ss->id, id, NGX_RTC_ID_LEN) == 0)
        {
            return ss;
        }
    }

    return NULL;
}


/* a session that ends leaves its counts to its stream's totals */

static void
ngx_rtc_shm_session_account_locked(ngx_rtc_stream_sh_t *st,
    ngx_rtc_session_sh_t *ss)
{
    st->ended_packets_sent += ss->packets_sent;
    st->ended_bytes_sent += ss->bytes_sent;
    st->ended_packets_lost += ss->packets_lost;
    st->ended_nacks += ss->nacks;
    st->ended_retransmits += ss->retransmits;
    st->ended_key_requests += ss->key_requests;
    st->ended_drops += ss->drops;
}

/* the counters never wrap: the purge recounts them after a worker died */

static void
ngx_rtc_shm_session_free_locked(ngx_rtc_shctx_t *ctx, ngx_rtc_session_sh_t *ss)
{
    uint32_t             *slot_viewers;
    ngx_rtc_stream_sh_t  *st;

    ss->state = NGX_RTC_SESSION_FREE;

    if (ctx->sessions_used) {
        ctx->sessions_used--;
    }

    if (ss->stream >= ctx->nstreams) {
        return;
    }

    st = &ctx->streams[ss->stream];
    slot_viewers = ngx_rtc_shm_slot_viewers(st);

    ngx_rtc_shm_session_account_locked(st, ss);

    if (st->viewers) {
        st->viewers--;
    }

    if (ss->slot < ctx->nslots && slot_viewers[ss->slot]) {
        slot_viewers[ss->slot]--;
    }

    if (st->viewers == 0) {
        st->idle_since = ngx_current_msec;
    }
}


void
ngx_rtc_shm_session_del(u_char *id)
{
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_session_sh_t  *ss;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);

    ss = ngx_rtc_shm_session_lookup(ctx, id);
    if (ss) {
        ngx_rtc_shm_session_free_locked(ctx, ss);
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


ngx_rtc_session_sh_t *
ngx_rtc_shm_session_find(u_char *id)
{
    ngx_slab_pool_t       *shpool;
    ngx_rtc_session_sh_t  *ss;

    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);
    ss = ngx_rtc_shm_session_lookup(ngx_rtc_shm_ctx(), id);
    ngx_shmtx_unlock(&shpool->mutex);

    return ss;
}


ngx_int_t
ngx_rtc_shm_session_close(u_char *id, ngx_uint_t *slot)
{
    ngx_slab_pool_t       *shpool;
    ngx_rtc_session_sh_t  *ss;

    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);

    ss = ngx_rtc_shm_session_lookup(ngx_rtc_shm_ctx(), id);
    if (ss == NULL || ss->state == NGX_RTC_SESSION_CLOSING) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    ss->close = 1;
    *slot = ss->slot;

    /* the owner looks for flagged sessions only when this moved */
    ngx_rtc_shm_slot(ss->slot)->deletes++;

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


void
ngx_rtc_shm_session_state(u_char *id, ngx_uint_t state)
{
    ngx_slab_pool_t       *shpool;
    ngx_rtc_session_sh_t  *ss;

    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);

    ss = ngx_rtc_shm_session_lookup(ngx_rtc_shm_ctx(), id);
    if (ss) {
        ss->state = state;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * Producer election: a stream that is wanted (always, or viewers in any
 * worker) gets a producer; the first worker to find it without a live
 * owner takes it.  The owner renews its heartbeat; a lease older than
 * NGX_RTC_LEASE means its worker died (or stalled), and another one takes
 * over.  Every change of owner bumps the stream's epoch and fences the
 * ring with it, so a stalled owner that wakes up can write nothing more.
 *
 * Returns NGX_OK: this worker produces under lease->epoch (renewed, or
 * newly claimed: the epoch changed); NGX_DONE: this worker produced and
 * must stop (idle); NGX_ABORT: this worker held lease->epoch and lost it
 * while it stalled: it must stop, and does not claim again in this call;
 * NGX_DECLINED: nothing to do here.
 */

ngx_int_t
ngx_rtc_shm_claim(ngx_uint_t stream, ngx_uint_t always, ngx_msec_t idle,
    ngx_rtc_lease_t *lease)
{
    ngx_int_t             rc;
    ngx_uint_t            expired;
    ngx_slab_pool_t      *shpool;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];
    rc = NGX_DECLINED;
    lease->busy = 0;

    ngx_shmtx_lock(&shpool->mutex);

    expired = !ngx_rtc_shm_lease_live(st);

    if (lease->epoch
        && (st->owner != ngx_pid || st->epoch != lease->epoch))
    {
        lease->epoch = 0;
        rc = NGX_ABORT;

    } else if (lease->epoch) {
        if (!always && st->viewers == 0
            && (ngx_msec_int_t) (ngx_current_msec - st->idle_since)
               >= (ngx_msec_int_t) idle)
        {
            ngx_rtc_shm_lease_end(st);
            lease->epoch = 0;
            rc = NGX_DONE;

        } else {
            st->heartbeat = ngx_current_msec;
            rc = NGX_OK;
        }

    } else if ((always || st->viewers
                || (st->demand
                    && (ngx_msec_int_t) (st->demand - ngx_current_msec) > 0))
               && (st->owner == 0 || expired || st->owner == ngx_pid))
    {
        /* our pid without our lease: a reused pid, never a live owner */

        if (st->owner) {
            st->takeovers++;
        }

        st->fenced = st->owner;
        st->owner = ngx_pid;
        st->heartbeat = ngx_current_msec;
        st->state = NGX_RTC_STREAM_CONNECTING;

        lease->busy = ngx_rtc_shm_fence(st);
        lease->epoch = st->epoch;
        rc = NGX_OK;

    } else if (st->owner && (expired || st->owner == ngx_pid)) {

        /*
         * The producer of a stream nobody wants died (or stalls): nobody
         * takes it over, so clear its lease here for the status to be true.
         */

        ngx_rtc_shm_lease_end(st);
    }

    lease->current = st->epoch;
    lease->owner = st->owner;
    lease->fenced = st->fenced;
    lease->writing = st->writing;

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


void
ngx_rtc_shm_release(ngx_uint_t stream, ngx_rtc_lease_t *lease)
{
    ngx_slab_pool_t      *shpool;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];

    ngx_shmtx_lock(&shpool->mutex);

    if (st->owner == ngx_pid && st->epoch == lease->epoch) {
        ngx_rtc_shm_lease_end(st);
    }

    ngx_shmtx_unlock(&shpool->mutex);

    lease->epoch = 0;
}


/*
 * The owner under "lease" saw the ring's write bit clear after a takeover
 * found it set: the fenced write has ended, and the pid it was charged to
 * no longer names the write in progress.  Cleared under the lock before
 * the owner writes, so that a fence of the owner's own stalled write
 * charges it to the owner, not to the writer before.
 */

void
ngx_rtc_shm_write_ended(ngx_uint_t stream, ngx_rtc_lease_t *lease)
{
    ngx_slab_pool_t      *shpool;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];

    ngx_shmtx_lock(&shpool->mutex);

    if (st->owner == ngx_pid && st->epoch == lease->epoch
        && !ngx_rtc_ring_writing(ngx_rtc_shm_ring(st)))
    {
        st->writing = 0;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    lease->writing = 0;
}


/* under the lock: the stream has no producer from now on */

static void
ngx_rtc_shm_lease_end(ngx_rtc_stream_sh_t *st)
{
    st->fenced = st->owner;
    st->owner = 0;
    st->state = NGX_RTC_STREAM_IDLE;

    (void) ngx_rtc_shm_fence(st);
}


/*
 * Under the lock: a new epoch for the stream and its ring.  A write left
 * in progress belongs to the owner fenced when it was first seen.
 */

static ngx_uint_t
ngx_rtc_shm_fence(ngx_rtc_stream_sh_t *st)
{
    ngx_uint_t  busy;

    st->epoch++;

    busy = ngx_rtc_ring_fence(ngx_rtc_shm_ring(st), st->epoch);

    if (!busy) {
        st->writing = 0;

    } else if (st->writing == 0) {
        st->writing = st->fenced;
    }

    return busy;
}


/*
 * Without the lock: might the stream have something for the producer
 * timer (viewers, a snapshot's demand, an owner, live or dead)?  0 when
 * ngx_rtc_shm_claim() would do nothing for a worker without its lease.
 */

ngx_uint_t
ngx_rtc_shm_claim_needed(ngx_rtc_stream_sh_t *st)
{
    return st->viewers || st->owner
           || (st->demand
               && (ngx_msec_int_t) (st->demand - ngx_current_msec) > 0);
}


/* an owner whose heartbeat is older than the lease is no owner */

ngx_uint_t
ngx_rtc_shm_lease_live(ngx_rtc_stream_sh_t *st)
{
    return st->owner != 0
           && (ngx_msec_int_t) (ngx_current_msec - st->heartbeat)
              <= NGX_RTC_LEASE;
}


/*
 * Sessions of a worker that died (kill -9, crash) are freed by the others:
 * their process no longer exists, or its pid now names another process
 * (the start time differs).  The processes are checked outside the lock.
 * A worker that died holding the lock may have left the counters half
 * updated: they are counted again from the table.  A call checks up to
 * NGX_RTC_PURGE_PIDS processes, and the next one goes on from where the
 * table's scan stopped: with more processes than that, each is reached
 * in turn.
 */

void
ngx_rtc_shm_purge(ngx_cycle_t *cycle)
{
    uint64_t               starts[NGX_RTC_PURGE_PIDS];
    ngx_uint_t             i, j, n, k, found, fixed;
    ngx_pid_t              pids[NGX_RTC_PURGE_PIDS];
    ngx_uint_t             dead[NGX_RTC_PURGE_PIDS];
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_session_sh_t  *ss;

    static ngx_uint_t      next;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    n = 0;

    ngx_shmtx_lock(&shpool->mutex);

    for (j = 0; j < ctx->nsessions; j++) {
        i = (next + j) % ctx->nsessions;
        ss = &ctx->sessions[i];

        if (ss->state == NGX_RTC_SESSION_FREE || ss->pid == ngx_pid) {
            continue;
        }

        for (k = 0; k < n; k++) {
            if (pids[k] == ss->pid && starts[k] == ss->start) {
                break;
            }
        }

        if (k < n) {
            continue;
        }

        if (n == NGX_RTC_PURGE_PIDS) {
            next = i;
            break;
        }

        pids[n] = ss->pid;
        starts[n++] = ss->start;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    found = n;

    for (i = 0, k = 0; i < found; i++) {
        dead[i] = !ngx_rtc_slot_alive(pids[i], starts[i]);
        k += dead[i];
    }

    if (k == 0) {
        return;
    }

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < ctx->nsessions; i++) {
        ss = &ctx->sessions[i];

        if (ss->state == NGX_RTC_SESSION_FREE) {
            continue;
        }

        for (n = 0; n < found; n++) {
            if (ss->pid == pids[n] && ss->start == starts[n] && dead[n]) {
                ngx_rtc_shm_session_free_locked(ctx, ss);
                break;
            }
        }
    }

    fixed = ngx_rtc_shm_recount_locked(ctx);

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "rtc shm freed sessions of %ui exited worker(s)", k);

    if (fixed) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "rtc shm corrected %ui session counter(s) left by an "
                      "exited worker", fixed);
    }
}


/*
 * The counters from the session table: sessions_used, and each stream's
 * viewers in all and per worker slot.  Returns how many were wrong.
 */

static ngx_uint_t
ngx_rtc_shm_recount_locked(ngx_rtc_shctx_t *ctx)
{
    uint32_t              *slot_viewers, *viewers;
    ngx_uint_t             i, used, fixed;
    ngx_rtc_stream_sh_t   *st;
    ngx_rtc_session_sh_t  *ss;

    used = 0;
    fixed = 0;
    viewers = ctx->recount;

    ngx_memzero(viewers, sizeof(ctx->recount));

    for (i = 0; i < ctx->nsessions; i++) {
        ss = &ctx->sessions[i];

        if (ss->state == NGX_RTC_SESSION_FREE) {
            continue;
        }

        used++;

        if (ss->stream < ctx->nstreams) {
            viewers[ss->stream]++;
        }
    }

    if (ctx->sessions_used != used) {
        ctx->sessions_used = used;
        fixed++;
    }

    for (i = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (st->viewers != viewers[i]) {
            st->viewers = viewers[i];
            fixed++;

            if (viewers[i] == 0) {
                st->idle_since = ngx_current_msec;
            }
        }

        if (st->slot_viewers_off) {
            ngx_memzero(ngx_rtc_shm_slot_viewers(st),
                        ctx->nslots * sizeof(uint32_t));
        }
    }

    for (i = 0; i < ctx->nsessions; i++) {
        ss = &ctx->sessions[i];

        if (ss->state == NGX_RTC_SESSION_FREE || ss->stream >= ctx->nstreams
            || ss->slot >= ctx->nslots)
        {
            continue;
        }

        st = &ctx->streams[ss->stream];
        slot_viewers = ngx_rtc_shm_slot_viewers(st);
        slot_viewers[ss->slot]++;
    }

    return fixed;
}


/*
 * Wake the workers that have viewers of a stream: the stream joins each
 * one's pending set, and the wake flag coalesces: one eventfd write per
 * worker until it has taken its pending set again.
 */

void
ngx_rtc_shm_wake(ngx_rtc_stream_sh_t *st)
{
    uint32_t              *slot_viewers;
    ngx_uint_t             i, index;
    ngx_rtc_main_conf_t   *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);
    slot_viewers = ngx_rtc_shm_slot_viewers(st);
    index = st - ngx_rtc_shm_ctx()->streams;

    for (i = 0; i < rmcf->nworkers; i++) {
        if (slot_viewers[i]) {

            /* the mark before the flag: ngx_rtc_slot_sh_t */

            ngx_rtc_slot_mark(ngx_rtc_shm_slot(i), index);
            ngx_rtc_shm_wake_slot(i);
        }
    }
}


static ngx_event_t  *ngx_rtc_shm_local_ev;
static ngx_fd_t      ngx_rtc_shm_local_fd = -1;


void
ngx_rtc_shm_wake_local(ngx_event_t *ev, ngx_fd_t fd)
{
    ngx_rtc_shm_local_ev = ev;
    ngx_rtc_shm_local_fd = ev ? fd : -1;
}


/*
 * The flag is tagged with this configuration's generation: only a writer
 * of the slot's current generation writes the eventfd of the slot's
 * worker (see ngx_rtc_slot_signal()).  A producer waking its own worker
 * (viewers of its stream here) posts the reading event instead: no
 * write(), no epoll_wait() return, and the fan-out runs in this turn of
 * the event loop.
 */

void
ngx_rtc_shm_wake_slot(ngx_uint_t slot)
{
    uint64_t              one;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    if (slot >= rmcf->nworkers
        || ngx_rtc_slot_signal(ngx_rtc_shm_slot(slot), rmcf->generation)
           != NGX_OK)
    {
        return;
    }

    if (ngx_rtc_shm_local_ev && rmcf->eventfd[slot] == ngx_rtc_shm_local_fd) {
        ngx_post_event(ngx_rtc_shm_local_ev, &ngx_posted_events);
        return;
    }

    one = 1;

    if (write(rmcf->eventfd[slot], &one, sizeof(uint64_t)) == -1) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "rtc shm eventfd write failed");
    }
}


void
ngx_rtc_shm_stream_error(ngx_rtc_stream_sh_t *st, ngx_uint_t state,
    ngx_str_t *error)
{
    size_t            len;
    ngx_slab_pool_t  *shpool;

    shpool = ngx_rtc_shm_pool();
    len = error ? ngx_min(error->len, NGX_RTC_ERROR_LEN) : 0;

    ngx_shmtx_lock(&shpool->mutex);

    /* a producer that lost the stream must not speak for the new one */

    if (st->owner != ngx_pid) {
        ngx_shmtx_unlock(&shpool->mutex);
        return;
    }

    st->state = state;

    if (state == NGX_RTC_STREAM_RETRYING) {
        st->reconnects++;
    }

    if (error) {
        ngx_memcpy(st->error, error->data, len);
        st->error_len = len;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * The mailbox.  The requester posts under the lock and wakes the owner's
 * eventfd; the owner takes the request (WORKING), acts outside the lock and
 * answers (DONE); the requester polls for the answer and frees the slot.
 * A requester that gives up cancels: a request not yet taken is dropped,
 * one being worked on is ABANDONED and freed by its answer.
 *
 * NGX_OK; NGX_DECLINED: no such session (or it is closing); NGX_BUSY: no
 * free slot.
 */

ngx_int_t
ngx_rtc_shm_mbox_post(ngx_rtc_mbox_msg_t *msg, ngx_uint_t *slot)
{
    ngx_uint_t             i;
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_mbox_sh_t     *mb;
    ngx_rtc_session_sh_t  *ss;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    ngx_shmtx_lock(&shpool->mutex);

    ss = ngx_rtc_shm_session_lookup(ctx, msg->id);

    if (ss == NULL || ss->state == NGX_RTC_SESSION_CLOSING || ss->close) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    for (i = 0; i < NGX_RTC_MBOX_SLOTS; i++) {
        mb = &ctx->mbox[i];

        if (mb->state == NGX_RTC_MBOX_FREE
            || (ngx_msec_int_t) (ngx_current_msec - mb->posted)
               > NGX_RTC_MBOX_STALE)
        {
            break;
        }
    }

    if (i == NGX_RTC_MBOX_SLOTS) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_BUSY;
    }

    if (mb->state == NGX_RTC_MBOX_REQUEST) {
        ctx->mbox_pending--;
    }

    msg->index = i;
    msg->seq = ++ctx->mbox_seq;

    mb->state = NGX_RTC_MBOX_REQUEST;
    mb->op = msg->op;
    mb->seq = msg->seq;
    mb->owner = ss->pid;
    mb->slot = ss->slot;
    mb->posted = ngx_current_msec;
    ngx_memcpy(mb->id, msg->id, NGX_RTC_ID_LEN);
    mb->status = 0;

    mb->tag_len = ngx_min(msg->tag_len, NGX_RTC_MBOX_TAG);
    ngx_memcpy(mb->tag, msg->tag, mb->tag_len);

    mb->req_len = ngx_min(msg->len, NGX_RTC_MBOX_DATA);
    ngx_memcpy(mb->req, msg->data, mb->req_len);

    mb->resp_len = 0;

    ctx->mbox_pending++;

    *slot = ss->slot;

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


/* the owner: the next request for this process, NGX_OK; none: NGX_DONE */

ngx_int_t
ngx_rtc_shm_mbox_take(ngx_rtc_mbox_msg_t *msg)
{
    ngx_uint_t          i;
    ngx_slab_pool_t    *shpool;
    ngx_rtc_shctx_t    *ctx;
    ngx_rtc_mbox_sh_t  *mb;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    /* the wake-up path of every frame: no lock while nothing is posted */

    if (ctx->mbox_pending == 0) {
        return NGX_DONE;
    }

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < NGX_RTC_MBOX_SLOTS; i++) {
        mb = &ctx->mbox[i];

        if (mb->state != NGX_RTC_MBOX_REQUEST || mb->owner != ngx_pid) {
            continue;
        }

        mb->state = NGX_RTC_MBOX_WORKING;
        ctx->mbox_pending--;

        msg->index = i;
        msg->seq = mb->seq;
        msg->op = mb->op;
        ngx_memcpy(msg->id, mb->id, NGX_RTC_ID_LEN);
        msg->status = 0;
        msg->tag_len = mb->tag_len;
        ngx_memcpy(msg->tag, mb->tag, mb->tag_len);
        msg->len = mb->req_len;
        ngx_memcpy(msg->data, mb->req, mb->req_len);

        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_OK;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_DONE;
}


void
ngx_rtc_shm_mbox_answer(ngx_rtc_mbox_msg_t *msg)
{
    ngx_slab_pool_t    *shpool;
    ngx_rtc_mbox_sh_t  *mb;

    shpool = ngx_rtc_shm_pool();
    mb = &ngx_rtc_shm_ctx()->mbox[msg->index];

    ngx_shmtx_lock(&shpool->mutex);

    if (mb->seq == msg->seq) {

        if (mb->state == NGX_RTC_MBOX_WORKING) {
            mb->status = msg->status;
            mb->tag_len = ngx_min(msg->tag_len, NGX_RTC_MBOX_TAG);
            ngx_memcpy(mb->tag, msg->tag, mb->tag_len);
            mb->resp_len = ngx_min(msg->len, NGX_RTC_MBOX_DATA);
            ngx_memcpy(mb->resp, msg->data, mb->resp_len);
            mb->state = NGX_RTC_MBOX_DONE;

        } else if (mb->state == NGX_RTC_MBOX_ABANDONED) {
            mb->state = NGX_RTC_MBOX_FREE;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/* the requester: NGX_OK with the answer, NGX_AGAIN, NGX_ERROR: slot lost */

ngx_int_t
ngx_rtc_shm_mbox_result(ngx_rtc_mbox_msg_t *msg)
{
    ngx_int_t           rc;
    ngx_slab_pool_t    *shpool;
    ngx_rtc_mbox_sh_t  *mb;

    shpool = ngx_rtc_shm_pool();
    mb = &ngx_rtc_shm_ctx()->mbox[msg->index];

    ngx_shmtx_lock(&shpool->mutex);

    if (mb->seq != msg->seq || mb->state == NGX_RTC_MBOX_FREE) {
        rc = NGX_ERROR;

    } else if (mb->state != NGX_RTC_MBOX_DONE) {
        rc = NGX_AGAIN;

    } else {
        msg->status = mb->status;
        msg->tag_len = mb->tag_len;
        ngx_memcpy(msg->tag, mb->tag, mb->tag_len);
        msg->len = mb->resp_len;
        ngx_memcpy(msg->data, mb->resp, mb->resp_len);
        mb->state = NGX_RTC_MBOX_FREE;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


void
ngx_rtc_shm_mbox_cancel(ngx_rtc_mbox_msg_t *msg)
{
    ngx_slab_pool_t    *shpool;
    ngx_rtc_shctx_t    *ctx;
    ngx_rtc_mbox_sh_t  *mb;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    mb = &ctx->mbox[msg->index];

    ngx_shmtx_lock(&shpool->mutex);

    if (mb->seq == msg->seq) {

        if (mb->state == NGX_RTC_MBOX_REQUEST) {
            ctx->mbox_pending--;
        }

        mb->state = (mb->state == NGX_RTC_MBOX_WORKING)
                    ? NGX_RTC_MBOX_ABANDONED : NGX_RTC_MBOX_FREE;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * A request that wants the stream without being a viewer (a snapshot):
 * an on-demand stream is claimed until "until", and its idle timer starts
 * again from now.  NGX_ABORT: the entry is no longer the stream the caller
 * knew (see ngx_rtc_shm_session_add()).
 */

ngx_int_t
ngx_rtc_shm_demand(ngx_uint_t stream, uint64_t incarnation, ngx_msec_t until)
{
    ngx_slab_pool_t      *shpool;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];

    ngx_shmtx_lock(&shpool->mutex);

    if (st->incarnation != incarnation || st->name_len == 0) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_ABORT;
    }

    if (st->demand == 0
        || (ngx_msec_int_t) (until - st->demand) > 0)
    {
        st->demand = until ? until : 1;
    }

    st->idle_since = ngx_current_msec;

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


/*
 * The JPEG of keyframe "seq" at "width": NGX_OK with a copy in "pool";
 * NGX_AGAIN while another worker encodes it; NGX_DECLINED when the caller
 * is to encode it (the slot is now the caller's); NGX_ERROR when no memory.
 * Slots of older keyframes are freed on the way.
 */

ngx_int_t
ngx_rtc_shm_snap_get(ngx_uint_t stream, uint64_t seq, ngx_uint_t width,
    ngx_pool_t *pool, ngx_str_t *jpeg, int64_t *capture)
{
    ngx_int_t             rc;
    ngx_uint_t            i;
    ngx_slab_pool_t      *shpool;
    ngx_rtc_snap_sh_t    *sn, *free;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];
    free = NULL;
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < NGX_RTC_SNAP_SLOTS; i++) {
        sn = &st->snaps[i];

        if (sn->state == NGX_RTC_SNAP_ENCODING
            && (ngx_msec_int_t) (ngx_current_msec - sn->started)
               > NGX_RTC_SNAP_STALE)
        {
            sn->state = NGX_RTC_SNAP_FREE;
        }

        if (sn->state == NGX_RTC_SNAP_READY && sn->seq < seq) {
            ngx_slab_free_locked(shpool, (u_char *) shpool + sn->off);
            sn->state = NGX_RTC_SNAP_FREE;
        }

        if (sn->state == NGX_RTC_SNAP_FREE) {
            if (free == NULL) {
                free = sn;
            }
            continue;
        }

        if (sn->seq != seq || sn->width != width) {
            continue;
        }

        if (sn->state == NGX_RTC_SNAP_ENCODING) {
            rc = NGX_AGAIN;
            goto done;
        }

        jpeg->data = ngx_pnalloc(pool, sn->len);
        if (jpeg->data == NULL) {
            rc = NGX_ERROR;
            goto done;
        }

        ngx_memcpy(jpeg->data, (u_char *) shpool + sn->off, sn->len);
        jpeg->len = sn->len;
        *capture = sn->capture;

        rc = NGX_OK;
        goto done;
    }

    if (free == NULL) {
        /* every slot busy with this keyframe at other widths: wait */
        rc = NGX_AGAIN;
        goto done;
    }

    free->seq = seq;
    free->width = width;
    free->state = NGX_RTC_SNAP_ENCODING;
    free->pid = ngx_pid;
    free->started = ngx_current_msec;
    free->len = 0;

done:

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/* the encoder's result: NGX_ERROR if the zone has no room for it */

ngx_int_t
ngx_rtc_shm_snap_put(ngx_uint_t stream, uint64_t seq, ngx_uint_t width,
    u_char *jpeg, size_t len, int64_t capture)
{
    u_char               *p;
    ngx_int_t             rc;
    ngx_uint_t            i;
    ngx_slab_pool_t      *shpool;
    ngx_rtc_snap_sh_t    *sn;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < NGX_RTC_SNAP_SLOTS; i++) {
        sn = &st->snaps[i];

        if (sn->state != NGX_RTC_SNAP_ENCODING || sn->pid != ngx_pid
            || sn->seq != seq || sn->width != width)
        {
            continue;
        }

        p = ngx_slab_alloc_locked(shpool, len);
        if (p == NULL) {
            sn->state = NGX_RTC_SNAP_FREE;
            rc = NGX_ERROR;
            break;
        }

        ngx_memcpy(p, jpeg, len);

        sn->off = p - (u_char *) shpool;
        sn->len = len;
        sn->capture = capture;
        sn->state = NGX_RTC_SNAP_READY;
        st->snapshots++;

        rc = NGX_OK;
        break;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


void
ngx_rtc_shm_snap_fail(ngx_uint_t stream, uint64_t seq, ngx_uint_t width)
{
    ngx_uint_t            i;
    ngx_slab_pool_t      *shpool;
    ngx_rtc_snap_sh_t    *sn;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < NGX_RTC_SNAP_SLOTS; i++) {
        sn = &st->snaps[i];

        if (sn->state == NGX_RTC_SNAP_ENCODING && sn->pid == ngx_pid
            && sn->seq == seq && sn->width == width)
        {
            sn->state = NGX_RTC_SNAP_FREE;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/* the stream and session tables, copied under the lock */

ngx_int_t
ngx_rtc_shm_snapshot(ngx_pool_t *pool, ngx_rtc_shm_snapshot_t *snap)
{
    ngx_uint_t        i, n;
    ngx_slab_pool_t  *shpool;
    ngx_rtc_shctx_t  *ctx;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    /* the entries in use so far: the table only grows, room for a few more */

    n = ngx_min(ctx->nstreams + 16, NGX_RTC_MAX_STREAMS);

    snap->streams = ngx_palloc(pool, n * sizeof(ngx_rtc_stream_sh_t));
    snap->sessions = ngx_palloc(pool,
                                ctx->nsessions * sizeof(ngx_rtc_session_sh_t));

    if (snap->streams == NULL || snap->sessions == NULL) {
        return NGX_ERROR;
    }

    snap->zone_size = shpool->end - (u_char *) shpool;

    ngx_shmtx_lock(&shpool->mutex);

    snap->nstreams = ngx_min(ctx->nstreams, n);
    ngx_memcpy(snap->streams, ctx->streams,
               snap->nstreams * sizeof(ngx_rtc_stream_sh_t));

    for (i = 0, n = 0; i < ctx->nsessions; i++) {
        if (ctx->sessions[i].state != NGX_RTC_SESSION_FREE) {
            snap->sessions[n++] = ctx->sessions[i];
        }
    }

    snap->nsessions = n;
    snap->max_sessions = ctx->max_sessions;
    snap->pages_free = shpool->pfree;

    ngx_memzero(&snap->send_delay, sizeof(ngx_rtc_latency_t));

    for (i = 0; i < ctx->nslots; i++) {
        ngx_rtc_latency_add(&snap->send_delay, &ngx_rtc_shm_slot(i)->latency);
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}
