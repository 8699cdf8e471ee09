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
static ngx_int_t ngx_rtc_shm_init_stream(ngx_slab_pool_t *shpool,
    ngx_rtc_shctx_t *ctx, ngx_rtc_stream_conf_t *scf);


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


static ngx_int_t
ngx_rtc_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_rtc_shctx_t  *octx = data;

    size_t                  size;
    ngx_uint_t              i;
    ngx_slab_pool_t        *shpool;
    ngx_rtc_shctx_t        *ctx;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_stream_conf_t  *scf;

    rmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx) {
        /* reload: keep streams, rings and sessions; add new streams */
        ctx = octx;

    } else if (shm_zone->shm.exists) {
        ctx = shpool->data;

    } else {
        size = sizeof(ngx_rtc_shctx_t)
               + rmcf->max_sessions * sizeof(ngx_rtc_session_sh_t);

        ctx = ngx_slab_calloc(shpool, size);
        if (ctx == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "rtc_zone \"%V\" is too small for %ui sessions",
                          &shm_zone->shm.name, rmcf->max_sessions);
            return NGX_ERROR;
        }

        ctx->nsessions = rmcf->max_sessions;
        shpool->data = ctx;

        size = sizeof(" in rtc_zone \"\"") + shm_zone->shm.name.len;

        shpool->log_ctx = ngx_slab_alloc(shpool, size);
        if (shpool->log_ctx) {
            ngx_sprintf(shpool->log_ctx, " in rtc_zone \"%V\"%Z",
                        &shm_zone->shm.name);
        }
    }

    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if (ngx_rtc_shm_init_stream(shpool, ctx, &scf[i]) != NGX_OK) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "rtc_zone \"%V\" has no room for stream \"%V\" "
                          "(buffer=%uz)", &shm_zone->shm.name, &scf[i].name,
                          scf[i].buffer);
            return NGX_ERROR;
        }
    }

    shm_zone->data = ctx;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_shm_init_stream(ngx_slab_pool_t *shpool, ngx_rtc_shctx_t *ctx,
    ngx_rtc_stream_conf_t *scf)
{
    u_char               *ring;
    size_t                size;
    ngx_uint_t            i, nslots;
    ngx_rtc_stream_sh_t  *st;

    for (i = 0; i < ctx->nstreams; i++) {
        st = &ctx->streams[i];

        if (st->name_len == scf->name.len
            && ngx_strncmp(st->name, scf->name.data, scf->name.len) == 0)
        {
            scf->index = i;
            return NGX_OK;
        }
    }

    if (ctx->nstreams == NGX_RTC_MAX_STREAMS) {
        return NGX_ERROR;
    }

    nslots = ngx_max(scf->buffer / 2048, 256);
    size = ngx_rtc_ring_bytes(scf->buffer, nslots);

    ring = ngx_slab_alloc(shpool, size);
    if (ring == NULL) {
        return NGX_ERROR;
    }

    ngx_rtc_ring_init((ngx_rtc_ring_sh_t *) ring, scf->buffer, nslots);

    st = &ctx->streams[ctx->nstreams];
    ngx_memzero(st, sizeof(ngx_rtc_stream_sh_t));

    st->name_len = scf->name.len;
    ngx_memcpy(st->name, scf->name.data, scf->name.len);
    st->ring_off = ring - (u_char *) shpool;
    st->ring_size = size;

    scf->index = ctx->nstreams++;

    return NGX_OK;
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


/*
 * NGX_OK, NGX_DECLINED: rtc_max_sessions (or the zone's table) is full,
 * NGX_BUSY: the stream has its max_sessions= viewers.
 */

ngx_int_t
ngx_rtc_shm_session_add(ngx_uint_t stream, u_char *id, ngx_uint_t max,
    ngx_uint_t stream_max)
{
    ngx_uint_t             i, slot;
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_stream_sh_t   *st;
    ngx_rtc_session_sh_t  *ss;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    slot = id[0];
    st = &ctx->streams[stream];

    ngx_shmtx_lock(&shpool->mutex);

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

        ngx_memcpy(ss->id, id, NGX_RTC_ID_LEN);
        ss->state = NGX_RTC_SESSION_NEW;
        ss->stream = stream;
        ss->slot = slot;
        ss->pid = ngx_pid;
        ss->created = ngx_time();
        ss->close = 0;
        ss->ice_gen = 0;

        ctx->sessions_used++;
        st->viewers++;
        st->slot_viewers[slot]++;

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


static void
ngx_rtc_shm_session_free_locked(ngx_rtc_shctx_t *ctx, ngx_rtc_session_sh_t *ss)
{
    ngx_rtc_stream_sh_t  *st;

    st = &ctx->streams[ss->stream];

    if (st->viewers) {
        st->viewers--;
    }

    if (st->slot_viewers[ss->slot]) {
        st->slot_viewers[ss->slot]--;
    }

    if (st->viewers == 0) {
        st->idle_since = ngx_current_msec;
    }

    ss->state = NGX_RTC_SESSION_FREE;
    ctx->sessions_used--;
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
 * NGX_RTC_LEASE means its worker died, and another one takes over.
 *
 * Returns NGX_OK: this worker produces (renewed or newly claimed);
 * NGX_DONE: this worker produced and must stop (idle); NGX_DECLINED:
 * nothing to do here.
 */

ngx_int_t
ngx_rtc_shm_claim(ngx_uint_t stream, ngx_uint_t always, ngx_msec_t idle)
{
    ngx_int_t             rc;
    ngx_slab_pool_t      *shpool;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&shpool->mutex);

    if (st->owner == ngx_pid) {
        if (!always && st->viewers == 0
            && (ngx_msec_int_t) (ngx_current_msec - st->idle_since)
               >= (ngx_msec_int_t) idle)
        {
            st->owner = 0;
            st->state = NGX_RTC_STREAM_IDLE;
            rc = NGX_DONE;

        } else {
            st->heartbeat = ngx_current_msec;
            rc = NGX_OK;
        }

    } else if ((always || st->viewers)
               && (st->owner == 0
                   || (ngx_msec_int_t) (ngx_current_msec - st->heartbeat)
                      > NGX_RTC_LEASE))
    {
        st->owner = ngx_pid;
        st->heartbeat = ngx_current_msec;
        st->state = NGX_RTC_STREAM_CONNECTING;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


void
ngx_rtc_shm_release(ngx_uint_t stream)
{
    ngx_slab_pool_t      *shpool;
    ngx_rtc_stream_sh_t  *st;

    shpool = ngx_rtc_shm_pool();
    st = &ngx_rtc_shm_ctx()->streams[stream];

    ngx_shmtx_lock(&shpool->mutex);

    if (st->owner == ngx_pid) {
        st->owner = 0;
        st->state = NGX_RTC_STREAM_IDLE;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * Sessions of a worker that died (kill -9, crash) are freed by the others:
 * their pid no longer exists.  The pids are checked outside the lock.
 */

void
ngx_rtc_shm_purge(ngx_cycle_t *cycle)
{
    ngx_uint_t             i, n, k;
    ngx_pid_t              pids[16], dead[16];
    ngx_slab_pool_t       *shpool;
    ngx_rtc_shctx_t       *ctx;
    ngx_rtc_session_sh_t  *ss;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();
    n = 0;

    ngx_shmtx_lock(&shpool->mutex);

    for (i = 0; i < ctx->nsessions && n < 16; i++) {
        ss = &ctx->sessions[i];

        if (ss->state == NGX_RTC_SESSION_FREE || ss->pid == ngx_pid) {
            continue;
        }

        for (k = 0; k < n; k++) {
            if (pids[k] == ss->pid) {
                break;
            }
        }

        if (k == n) {
            pids[n++] = ss->pid;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    for (i = 0, k = 0; i < n; i++) {
        if (kill(pids[i], 0) == -1 && ngx_errno == NGX_ESRCH) {
            dead[k++] = pids[i];
        }
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

        for (n = 0; n < k; n++) {
            if (ss->pid == dead[n]) {
                ngx_rtc_shm_session_free_locked(ctx, ss);
                break;
            }
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "rtc shm freed sessions of %ui exited worker(s)", k);
}


/*
 * Wake the workers that have viewers of a stream.  The wake flag coalesces:
 * one eventfd write per worker until it has read the ring again.
 */

void
ngx_rtc_shm_wake(ngx_rtc_stream_sh_t *st)
{
    ngx_uint_t             i;
    ngx_rtc_main_conf_t   *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    for (i = 0; i < rmcf->nworkers; i++) {
        if (st->slot_viewers[i]) {
            ngx_rtc_shm_wake_slot(i);
        }
    }
}


void
ngx_rtc_shm_wake_slot(ngx_uint_t slot)
{
    uint64_t              one;
    ngx_rtc_shctx_t      *ctx;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);
    ctx = ngx_rtc_shm_ctx();

    if (slot >= rmcf->nworkers || !ngx_atomic_cmp_set(&ctx->wake[slot], 0, 1))
    {
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
