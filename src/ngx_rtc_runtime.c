/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif
#include <ngx_rtc.h>
#include <ngx_rtc_acl.h>
#include <ngx_rtc_auth.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_runtime_args.h>
#include <ngx_rtc_runtime.h>


/*
 * Runtime streams: go2rtc's PUT /api/streams makes an on-demand RTSP
 * stream that no rtc_stream names, when the location allows it
 * (streams=dynamic) and the camera's address is inside its allow= list.
 * The address is checked once, here: a numeric host as it is, a host name
 * through nginx's asynchronous resolver (never a blocking lookup), and the
 * stream connects to the address that was checked, never to one resolved
 * later.  The stream lives in the zone (ngx_rtc_shm_runtime_put()), so
 * every worker sees it and reloads keep it; each worker builds its own
 * stream configuration from the zone's entry (ngx_rtc_runtime_sync()).
 */


typedef struct {
    ngx_http_request_t       *request;
    ngx_rtc_runtime_policy_t *policy;
    ngx_rtc_runtime_args_t    args;
    ngx_rtc_url_t            *url;
    ngx_resolver_ctx_t       *resolving;
} ngx_rtc_runtime_ctx_t;


/* a runtime stream as this worker runs it */

typedef struct {
    ngx_rtc_stream_conf_t     conf;
    uint64_t                  version;
    ngx_addr_t                addr;
    ngx_sockaddr_t            sockaddr;
    u_char                    name[NGX_RTC_NAME_LEN];
    u_char                    url[NGX_RTC_URL_MAX];
    u_char                    redacted[NGX_RTC_URL_MAX + 16];
} ngx_rtc_runtime_local_t;


static ngx_int_t ngx_rtc_runtime_configured(ngx_http_request_t *r,
    ngx_str_t *name);
static ngx_int_t ngx_rtc_runtime_resolve(ngx_http_request_t *r,
    ngx_rtc_runtime_ctx_t *ctx, ngx_str_t *host);
static void ngx_rtc_runtime_resolved(ngx_resolver_ctx_t *rctx);
static void ngx_rtc_runtime_cleanup(void *data);
static ngx_int_t ngx_rtc_runtime_apply(ngx_rtc_runtime_ctx_t *ctx,
    struct sockaddr *sa, socklen_t socklen);
static ngx_int_t ngx_rtc_runtime_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *fmt, ...);
static ngx_int_t ngx_rtc_runtime_local(ngx_rtc_runtime_local_t *lc,
    ngx_rtc_runtime_copy_t *copy, ngx_uint_t index);


/*
 * This worker's runtime streams by zone entry, the generation of the
 * zone's runtime table it last read, and buffers too large for a stack:
 * per-process singletons.
 */
static ngx_rtc_runtime_local_t  *ngx_rtc_runtime_locals[NGX_RTC_MAX_STREAMS];
static ngx_uint_t                ngx_rtc_runtime_seen;
static ngx_rtc_runtime_copy_t    ngx_rtc_runtime_copy;
static ngx_rtc_url_t             ngx_rtc_runtime_url;


ngx_int_t
ngx_rtc_runtime_put(ngx_http_request_t *r, ngx_rtc_runtime_policy_t *policy)
{
    u_char                 *buf;
    ngx_int_t               rc;
    ngx_str_t               host;
    ngx_addr_t              addr;
    const char             *err;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_runtime_ctx_t  *ctx;

    /*
     * The query holds the camera's credentials: from now on the request
     * line nginx logs for this request (error.log, $request) has them
     * redacted; $request_uri and $args once the query is parsed.
     */

    if (ngx_rtc_runtime_redact(r->pool, &r->request_line) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    if (rmcf->shm_zone == NULL) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "no rtc_zone: no streams");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_runtime_ctx_t));
    buf = ngx_pnalloc(r->pool, r->args.len + 1);
    if (ctx == NULL || buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->policy = policy;

    rc = ngx_rtc_runtime_args_parse(&r->args, buf, &ctx->args, &err);

    /* what is parsed is in buf: the query itself is only logged now */

    if (ngx_rtc_runtime_redact(r->pool, &r->unparsed_uri) != NGX_OK
        || ngx_rtc_runtime_redact(r->pool, &r->args) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_BAD_REQUEST,
                                      "PUT /api/streams %s", err);
    }

    if (ngx_rtc_runtime_configured(r, &ctx->args.name)) {
        r->headers_out.status = NGX_HTTP_OK;
        r->headers_out.content_length_n = 0;
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    if (!policy->dynamic) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "no stream \"%V\" and runtime streams "
                                      "are off (streams=dynamic)",
                                      &ctx->args.name);
    }

    if (rmcf->runtime_max == 0) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "no stream \"%V\" and runtime streams "
                                      "are off (rtc_zone runtime=0)",
                                      &ctx->args.name);
    }

    if (ctx->args.url.len == 0) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_BAD_REQUEST,
                                      "no rtsp:// or rtsps:// src for "
                                      "\"%V\" (other sources are not "
                                      "supported)", &ctx->args.name);
    }

    ctx->url = ngx_palloc(r->pool, sizeof(ngx_rtc_url_t));
    if (ctx->url == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_rtc_auth_parse_url(&ctx->args.url, ctx->url) != NGX_OK) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_BAD_REQUEST,
                                      "the src of \"%V\" is not an "
                                      "rtsp://[user:password@]host[:port]"
                                      "/path URL: %s", &ctx->args.name,
                                      ctx->url->err ? ctx->url->err
                                                    : "unknown form");
    }

    if (ctx->args.url.len > NGX_RTC_URL_MAX) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_BAD_REQUEST,
                                      "the src of \"%V\" is longer than "
                                      "%d bytes", &ctx->args.name,
                                      NGX_RTC_URL_MAX);
    }

    host = ctx->url->host;

    if (host.len > 2 && host.data[0] == '[') {
        host.data++;
        host.len -= 2;
    }

    rc = ngx_parse_addr(r->pool, &addr, host.data, host.len);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_rtc_runtime_resolve(r, ctx, &host);
    }

    ngx_inet_set_port(addr.sockaddr, ctx->url->port);

    if (!ngx_rtc_acl_allowed(policy->allow, addr.sockaddr)) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "camera address not allowed: %V "
                                      "is outside allow=", &host);
    }

    return ngx_rtc_runtime_apply(ctx, addr.sockaddr, addr.socklen);
}


/* a stream of the configuration (rtc_stream) has the name */

static ngx_int_t
ngx_rtc_runtime_configured(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t              i;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_stream_conf_t  *scf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);
    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if (scf[i].name.len == name->len
            && ngx_strncmp(scf[i].name.data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * A camera named by its host name: resolved with the http block's
 * "resolver", asynchronously; the request waits (NGX_DONE).  Without a
 * resolver the name is refused: a blocking lookup would stall the worker.
 */

static ngx_int_t
ngx_rtc_runtime_resolve(ngx_http_request_t *r, ngx_rtc_runtime_ctx_t *ctx,
    ngx_str_t *host)
{
    ngx_resolver_ctx_t        *rctx;
    ngx_http_cleanup_t        *cln;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->resolver == NULL || clcf->resolver->connections.nelts == 0) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "camera host \"%V\" is a name and "
                                      "there is no \"resolver\": give its "
                                      "address", host);
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rctx = ngx_resolve_start(clcf->resolver, NULL);

    if (rctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rctx == NGX_NO_RESOLVER) {
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                      "camera host \"%V\" is a name and "
                                      "there is no \"resolver\": give its "
                                      "address", host);
    }

    rctx->name = *host;
    rctx->handler = ngx_rtc_runtime_resolved;
    rctx->data = ctx;
    rctx->timeout = clcf->resolver_timeout;

    ctx->resolving = rctx;

    cln->handler = ngx_rtc_runtime_cleanup;
    cln->data = ctx;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "rtc runtime resolving \"%V\"", host);

    r->main->count++;

    if (ngx_resolve_name(rctx) != NGX_OK) {
        ctx->resolving = NULL;
        r->main->count--;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_rtc_runtime_resolved(ngx_resolver_ctx_t *rctx)
{
    ngx_rtc_runtime_ctx_t *ctx = rctx->data;

    ngx_int_t            rc;
    ngx_uint_t           i;
    socklen_t            socklen;
    ngx_sockaddr_t       sockaddr;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;
    ctx->resolving = NULL;
    socklen = 0;

    if (rctx->state || rctx->naddrs == 0) {
        rc = ngx_rtc_runtime_refuse(r, NGX_HTTP_BAD_GATEWAY,
                                    "cannot resolve camera host \"%V\": %s",
                                    &rctx->name,
                                    rctx->state
                                    ? ngx_resolver_strerror(rctx->state)
                                    : "no address");
        ngx_resolve_name_done(rctx);
        goto done;
    }

    /* the first address allow= takes: the one the stream connects to */

    for (i = 0; i < rctx->naddrs; i++) {
        if (rctx->addrs[i].socklen > sizeof(ngx_sockaddr_t)) {
            continue;
        }

        ngx_memcpy(&sockaddr, rctx->addrs[i].sockaddr,
                   rctx->addrs[i].socklen);
        socklen = rctx->addrs[i].socklen;
        ngx_inet_set_port(&sockaddr.sockaddr, ctx->url->port);

        if (ngx_rtc_acl_allowed(ctx->policy->allow, &sockaddr.sockaddr)) {
            break;
        }
    }

    if (i == rctx->naddrs) {
        rc = ngx_rtc_runtime_refuse(r, NGX_HTTP_FORBIDDEN,
                                    "camera address not allowed: no "
                                    "address of \"%V\" is inside allow=",
                                    &rctx->name);
        ngx_resolve_name_done(rctx);
        goto done;
    }

    ngx_resolve_name_done(rctx);

    rc = ngx_rtc_runtime_apply(ctx, &sockaddr.sockaddr, socklen);

done:

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


/* the request ended while resolving */

static void
ngx_rtc_runtime_cleanup(void *data)
{
    ngx_rtc_runtime_ctx_t *ctx = data;

    if (ctx->resolving) {
        ngx_resolve_name_done(ctx->resolving);
        ctx->resolving = NULL;
    }
}


/* the camera's address was allowed: make the stream, or change it */

static ngx_int_t
ngx_rtc_runtime_apply(ngx_rtc_runtime_ctx_t *ctx, struct sockaddr *sa,
    socklen_t socklen)
{
    ngx_uint_t              rc, count;
    ngx_http_request_t     *r;
    ngx_rtc_main_conf_t    *rmcf;
    ngx_rtc_runtime_src_t   src;

    r = ctx->request;
    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    src.name = ctx->args.name;
    src.url = ctx->args.url;
    src.audio = ctx->args.audio;

#if (NGX_THREADS)
    /* AAC to Opus runs in the thread pool (made for streams=dynamic) */

    if (src.audio == NGX_RTC_AUDIO_OPUS
        && ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &rmcf->thread_pool)
           == NULL)
    {
        src.audio = NGX_RTC_AUDIO_COPY;
    }
#else
    src.audio = NGX_RTC_AUDIO_COPY;
#endif

    src.buffer = rmcf->runtime_buffer;
    src.sockaddr = sa;
    src.socklen = socklen;

    rc = ngx_rtc_shm_runtime_put(&src, &count);

    switch (rc) {

    case NGX_RTC_RUNTIME_CREATED:
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "rtc runtime stream \"%V\" created: %V%s",
                      &src.name, &ctx->url->redacted,
                      src.audio == NGX_RTC_AUDIO_OPUS ? " audio=opus" : "");
        break;

    case NGX_RTC_RUNTIME_UPDATED:
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "rtc runtime stream \"%V\" changed: %V%s",
                      &src.name, &ctx->url->redacted,
                      src.audio == NGX_RTC_AUDIO_OPUS ? " audio=opus" : "");
        break;

    case NGX_RTC_RUNTIME_SAME:
    case NGX_RTC_RUNTIME_CONFIGURED:
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "rtc runtime stream \"%V\" as it was", &src.name);
        break;

    case NGX_RTC_RUNTIME_CAP:
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                      "no room for stream \"%V\": %ui "
                                      "runtime streams, the limit "
                                      "(rtc_zone runtime=%ui)", &src.name,
                                      count, rmcf->runtime_max);

    case NGX_RTC_RUNTIME_TABLE:
        return ngx_rtc_runtime_refuse(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                      "no room for stream \"%V\": the "
                                      "zone's %d stream entries are in use",
                                      &src.name, NGX_RTC_MAX_STREAMS);

    default: /* NGX_RTC_RUNTIME_MEMORY */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "rtc runtime stream \"%V\": rtc_zone \"%V\" has no "
                      "room for its buffer of %uz bytes", &src.name,
                      &rmcf->shm_zone->shm.name, rmcf->runtime_buffer);

        return ngx_rtc_runtime_refuse(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                      "no room for stream \"%V\": rtc_zone "
                                      "\"%V\" is full", &src.name,
                                      &rmcf->shm_zone->shm.name);
    }

    /* this worker knows it at once; the others at their next tick */

    ngx_rtc_runtime_sync();

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


/* a refusal: the status and a line of text saying why */

/*
 * One of the request's views of its query (the request line, the
 * unparsed URI, the arguments) replaced with a copy whose URLs have no
 * user information: what the log phase and variables read from then on.
 */

ngx_int_t
ngx_rtc_runtime_redact(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *buf;

    if (s->len == 0) {
        return NGX_OK;
    }

    buf = ngx_pnalloc(pool, s->len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    s->len = ngx_rtc_runtime_args_redact(s, buf) - buf;
    s->data = buf;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_runtime_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char     *p, buf[NGX_MAX_ERROR_STR];
    va_list     args;
    ngx_str_t   text;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    text.data = buf;
    text.len = p - buf;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "rtc runtime refused: %V", &text);

    return ngx_rtc_whep_text(r, status, &text);
}


/*
 * The worker's view of the zone's runtime streams: a stream new to this
 * worker joins its streams and producers; a changed source stops the old
 * one first (the producer starts the new one at its next tick).  Called
 * by the producer's timer and when a name is not found; a generation
 * counter makes it nearly free when nothing changed.
 */

void
ngx_rtc_runtime_sync(void)
{
    ngx_uint_t                gen, i, n;
    ngx_rtc_runtime_copy_t   *copy;
    ngx_rtc_runtime_local_t  *lc;

    /*
     * An exiting worker takes no new streams: its tables have room for
     * the runtime streams its configuration allowed (a reload may have
     * raised the cap since).
     */

    if (ngx_rtc_shm_ctx() == NULL || ngx_exiting) {
        return;
    }

    gen = ngx_rtc_shm_runtime_gen();

    if (gen == ngx_rtc_runtime_seen) {
        return;
    }

    /* a change made while reading bumps the generation again */

    ngx_rtc_runtime_seen = gen;
    copy = &ngx_rtc_runtime_copy;

    /* the entries in use: the table only grows */

    n = ngx_rtc_shm_ctx()->nstreams;

    for (i = 0; i < n; i++) {

        if (ngx_rtc_shm_runtime_get(i, copy) != NGX_OK) {
            continue;
        }

        lc = ngx_rtc_runtime_locals[i];

        if (lc && lc->version == copy->version) {
            continue;
        }

        if (lc && (lc->conf.name.len != copy->name_len
                   || ngx_strncmp(lc->name, copy->name, copy->name_len) != 0))
        {
            /*
             * The entry was freed and serves another stream now (reloads
             * since this worker started): this exiting worker leaves it.
             */
            continue;
        }

        if (lc) {
            ngx_rtc_producer_restart(&lc->conf);

            if (ngx_rtc_runtime_local(lc, copy, i) == NGX_OK) {
                ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                              "rtc runtime stream \"%V\" now from %V",
                              &lc->conf.name, &lc->conf.redacted);
            }

            continue;
        }

        lc = ngx_calloc(sizeof(ngx_rtc_runtime_local_t), ngx_cycle->log);
        if (lc == NULL) {
            ngx_rtc_runtime_seen = 0;         /* again at the next call */
            continue;
        }

        if (ngx_rtc_runtime_local(lc, copy, i) != NGX_OK
            || ngx_rtc_stream_add(&lc->conf) == NULL
            || ngx_rtc_producer_add(&lc->conf) != NGX_OK)
        {
            /* not reached: room for every runtime stream allowed */
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "rtc runtime cannot add stream #%ui", i);
            ngx_free(lc);
            continue;
        }

        ngx_rtc_runtime_locals[i] = lc;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "rtc runtime stream \"%V\" joins, entry %ui",
                       &lc->conf.name, i);
    }
}


/* the worker's stream configuration from the zone's copy */

static ngx_int_t
ngx_rtc_runtime_local(ngx_rtc_runtime_local_t *lc,
    ngx_rtc_runtime_copy_t *copy, ngx_uint_t index)
{
    ngx_str_t             url;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_rtc_module);

    url.data = copy->url;
    url.len = copy->url_len;

    if (ngx_rtc_auth_parse_url(&url, &ngx_rtc_runtime_url) != NGX_OK
        || ngx_rtc_runtime_url.redacted.len > NGX_RTC_URL_MAX + 16)
    {
        return NGX_ERROR;
    }

    lc->version = copy->version;

    ngx_memcpy(lc->name, copy->name, copy->name_len);
    ngx_memcpy(lc->url, copy->url, copy->url_len);
    ngx_memcpy(lc->redacted, ngx_rtc_runtime_url.redacted.data,
               ngx_rtc_runtime_url.redacted.len);
    ngx_memcpy(&lc->sockaddr, &copy->sockaddr, copy->socklen);

    ngx_memzero(&lc->addr, sizeof(ngx_addr_t));
    lc->addr.sockaddr = &lc->sockaddr.sockaddr;
    lc->addr.socklen = copy->socklen;

    lc->conf.name.data = lc->name;
    lc->conf.name.len = copy->name_len;
    lc->conf.url.data = lc->url;
    lc->conf.url.len = copy->url_len;
    lc->conf.redacted.data = lc->redacted;
    lc->conf.redacted.len = ngx_rtc_runtime_url.redacted.len;
    lc->conf.idle = rmcf->runtime_idle;
    lc->conf.buffer = copy->buffer;
    lc->conf.index = index;
    lc->conf.source = NGX_RTC_SOURCE_RTSP;
    lc->conf.audio = copy->audio;
    lc->conf.addr = &lc->addr;

    return NGX_OK;
}
