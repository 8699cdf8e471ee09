/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_http.h>

#include <ngx_rtc.h>
#include <ngx_rtc_rtsp.h>
#include <ngx_rtc_rtsp_media.h>


/*
 * The RTSP client (RFC 2326) of one camera, on the event loop of the worker
 * that owns the stream: OPTIONS, DESCRIBE (Basic or Digest after a 401),
 * SETUP of the first H.264 or H.265 video track and of the first audio
 * track we can carry that the camera sends, PLAY, then RTP into the
 * depacketizers and keepalive requests until stopped.  Any error closes
 * the connection (with a TEARDOWN if it still works) and reconnects after
 * an exponential backoff.  Cameras' quirks taken: stray bytes between
 * interleaved frames (skipped, ngx_rtc_rtsp_skip()), a wrong CSeq before
 * PLAY's answer, a second SSRC on a track (ngx_rtc_rtsp_media.c), a
 * redirect of DESCRIBE (ngx_rtc_rtsp_redirect()), an SDP without
 * Content-Length (ngx_rtc_rtsp_sdp_body()).
 *
 * Transports: TCP interleaved (channels 0-1 for video, 2-3 for audio), or
 * UDP (transport=udp): an even/odd port pair per track from
 * rtc_rtsp_udp_ports, both sockets on the event loop, packets accepted
 * from the camera's address only.  RTCP receiver reports go to the camera
 * every 5 s on either transport.  rtsps:// runs the control connection
 * through nginx's ngx_ssl, the context made at configuration time
 * (ngx_rtc_rtsp_init_ssl).
 *
 * Everything is allocated once, in the client's own pool, at start: the
 * read buffer, the SDP and the access unit buffers.  Reconnecting
 * allocates nothing but sockets (and the transcoder, for audio=opus).
 *
 * The camera's address never blocks the worker: an IP address, or a name
 * resolved at configuration time (ngx_rtc_rtsp_init_conf(), as proxy_pass
 * does without a resolver), is used as is; with the http block's
 * "resolver", a name is resolved on every connection attempt by nginx's
 * asynchronous resolver (its cache honours the record's TTL or valid=).
 * rtsps:// keeps the name for SNI and certificate verification.
 *
 * This file is the control connection: connecting (and TLS), the requests
 * and their answers, authentication, keepalive, reconnecting.  The tracks'
 * RTP and RTCP, UDP sockets and depacketizers are ngx_rtc_rtsp_media.c's.
 */


#define NGX_RTC_RTSP_RBUF_SIZE        (128 * 1024)
#define NGX_RTC_RTSP_WBUF_SIZE        8192
#define NGX_RTC_RTSP_BACKOFF_MAX      30000
#define NGX_RTC_RTSP_SESSION_TIMEOUT  60
#define NGX_RTC_RTSP_AUTH_TRIES       3       /* 401s in a row, stale too */
#define NGX_RTC_RTSP_TICK             1000
#define NGX_RTC_RTSP_RR_INTERVAL      5000
#define NGX_RTC_RTSP_VERIFY_DEPTH     4
#define NGX_RTC_RTSP_SKIP_MAX         65536   /* stray bytes in a row */
#define NGX_RTC_RTSP_USER_AGENT       "nginx-rtc"
#define NGX_RTC_RTSP_REDIRECTS        3       /* hops per attempt */
#define NGX_RTC_RTSP_SDP_QUIET        200     /* ends an SDP without length */

#define NGX_RTC_RTSP_AUTH_NONE        0
#define NGX_RTC_RTSP_AUTH_BASIC       1
#define NGX_RTC_RTSP_AUTH_DIGEST      2


static ngx_int_t ngx_rtc_rtsp_init_ssl(ngx_conf_t *cf,
    ngx_rtc_main_conf_t *rmcf);
static ngx_int_t ngx_rtc_rtsp_init_addr(ngx_conf_t *cf,
    ngx_rtc_stream_conf_t *scf, ngx_resolver_t *resolver,
    ngx_msec_t resolver_timeout);
static void ngx_rtc_rtsp_connect(ngx_rtc_rtsp_t *rtsp);
static void ngx_rtc_rtsp_connect_peer(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_resolve(ngx_rtc_rtsp_t *rtsp);
static void ngx_rtc_rtsp_resolve_handler(ngx_resolver_ctx_t *ctx);
static ngx_int_t ngx_rtc_rtsp_test_connect(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static ngx_int_t ngx_rtc_rtsp_begin(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_ssl_init(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static void ngx_rtc_rtsp_ssl_handshake_handler(ngx_connection_t *c);
static ngx_int_t ngx_rtc_rtsp_ssl_handshake(ngx_rtc_rtsp_t *rtsp,
    ngx_connection_t *c);
static void ngx_rtc_rtsp_ssl_cleanup(void *data);
static void ngx_rtc_rtsp_write_handler(ngx_event_t *wev);
static void ngx_rtc_rtsp_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_rtc_rtsp_skip(ngx_rtc_rtsp_t *rtsp, const char *err);
static void ngx_rtc_rtsp_skipped(ngx_rtc_rtsp_t *rtsp);
static void ngx_rtc_rtsp_retry_handler(ngx_event_t *ev);
static void ngx_rtc_rtsp_keepalive_handler(ngx_event_t *ev);
static void ngx_rtc_rtsp_tick_handler(ngx_event_t *ev);
static ngx_int_t ngx_rtc_rtsp_process(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_response(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_unauthorized(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_describe_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_redirect(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_redirect_addr(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_url_t *u, ngx_sockaddr_t *sa, socklen_t *socklen);
static ngx_int_t ngx_rtc_rtsp_sdp_body(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_setup(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_setup_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_setup_next(ngx_rtc_rtsp_t *rtsp);
static ngx_int_t ngx_rtc_rtsp_play_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_keepalive_done(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_server_request(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_request(ngx_rtc_rtsp_t *rtsp,
    const char *method, ngx_str_t *url, const char *headers);
static ngx_int_t ngx_rtc_rtsp_status_error(ngx_rtc_rtsp_t *rtsp,
    ngx_rtc_rtsp_msg_t *m, const char *method);
static ngx_uint_t ngx_rtc_rtsp_is_media(ngx_rtc_sdp_media_t *media,
    const char *type);
static void ngx_rtc_rtsp_set_state(ngx_rtc_rtsp_t *rtsp, ngx_uint_t state);
static u_char *ngx_rtc_rtsp_log_error(ngx_log_t *log, u_char *buf,
    size_t len);


static const char  ngx_rtc_rtsp_options_method[] = "OPTIONS";
static const char  ngx_rtc_rtsp_get_parameter_method[] = "GET_PARAMETER";


/*
 * The TLS context of rtsps:// cameras and wheps:// sources: made by
 * ngx_rtc_rtsp_init_ssl() in the master for each configuration, inherited
 * by the workers; NULL when no stream uses TLS.  A pool cleanup forgets it
 * with its configuration.
 */
static ngx_ssl_t  *ngx_rtc_rtsp_ssl;


/*
 * The cameras' addresses, at configuration time: an IP address as is; a
 * name through the http block's "resolver" at run time when one is set
 * (the core module has merged its servers by now: a resolver without
 * addresses is the dummy one nginx makes for every http block), or else
 * resolved here, once per configuration, as proxy_pass and upstream
 * servers are: a name that does not resolve fails the configuration.
 */

ngx_int_t
ngx_rtc_rtsp_init_conf(ngx_conf_t *cf, ngx_rtc_main_conf_t *rmcf)
{
    ngx_msec_t                 timeout;
    ngx_uint_t                 i;
    ngx_resolver_t            *resolver;
    ngx_rtc_stream_conf_t     *scf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    resolver = clcf->resolver;

    if (resolver && resolver->connections.nelts == 0) {
        resolver = NULL;
    }

    timeout = clcf->resolver_timeout;

    if (timeout == NGX_CONF_UNSET_MSEC) {
        timeout = 30000;
    }

    scf = rmcf->streams.elts;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if ((scf[i].source == NGX_RTC_SOURCE_RTSP
             || scf[i].source == NGX_RTC_SOURCE_WHEP)
            && ngx_rtc_rtsp_init_addr(cf, &scf[i], resolver, timeout)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_rtc_rtsp_init_ssl(cf, rmcf);
}


static ngx_int_t
ngx_rtc_rtsp_init_addr(ngx_conf_t *cf, ngx_rtc_stream_conf_t *scf,
    ngx_resolver_t *resolver, ngx_msec_t resolver_timeout)
{
    ngx_int_t       rc;
    ngx_str_t       host;
    ngx_url_t       u;
    ngx_addr_t     *addr;
    ngx_rtc_url_t  *url;

    url = ngx_palloc(cf->temp_pool, sizeof(ngx_rtc_url_t));
    addr = ngx_pcalloc(cf->pool, sizeof(ngx_addr_t));

    if (url == NULL || addr == NULL) {
        return NGX_ERROR;
    }

    if (ngx_rtc_auth_parse_url(&scf->url, url) != NGX_OK) {
        return NGX_ERROR;
    }

    host = url->host;

    if (host.len > 2 && host.data[0] == '[') {
        host.data++;
        host.len -= 2;
    }

    rc = ngx_parse_addr(cf->pool, addr, host.data, host.len);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_inet_set_port(addr->sockaddr, url->port);
        scf->addr = addr;
        return NGX_OK;
    }

    if (resolver) {
        scf->resolver = resolver;
        scf->resolver_timeout = resolver_timeout;
        return NGX_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = url->hostport;
    u.default_port = url->port;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "cannot resolve rtc_stream \"%V\" URL %V: %s; a "
                      "\"resolver\" in the http block resolves camera "
                      "names when they are needed, in %V:%ui",
                      &scf->name, &url->redacted,
                      u.err ? u.err : "no address", &scf->file, scf->line);
        return NGX_ERROR;
    }

    scf->addr = &u.addrs[0];

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_rtsp_init_ssl(ngx_conf_t *cf, ngx_rtc_main_conf_t *rmcf)
{
    ngx_uint_t              i, need;
    ngx_ssl_t              *ssl;
    ngx_pool_cleanup_t     *cln;
    ngx_rtc_stream_conf_t  *scf;

    ngx_rtc_rtsp_ssl = NULL;

    scf = rmcf->streams.elts;
    need = 0;

    for (i = 0; i < rmcf->streams.nelts; i++) {
        if (scf[i].url.len > 8
            && (ngx_strncasecmp(scf[i].url.data, (u_char *) "rtsps://", 8)
                == 0
                || ngx_strncasecmp(scf[i].url.data, (u_char *) "wheps://", 8)
                   == 0))
        {
            need = 1;
            break;
        }
    }

    /* runtime streams (PUT /api/streams) may be rtsps:// cameras */

    if (!need && !(rmcf->runtime_dynamic && rmcf->runtime_max)) {
        return NGX_OK;
    }

    /* as proxy_ssl_verify: verifying needs the certificates to trust */

    if (need && rmcf->rtsp_ssl_verify == 1
        && rmcf->rtsp_ssl_trusted_certificate.len == 0)
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "no \"rtc_source_ssl_trusted_certificate\" for "
                      "\"rtc_source_ssl_verify\" of stream \"%V\" "
                      "(%*s://) in %V:%ui",
                      &scf[i].name, (size_t) 5, scf[i].url.data,
                      &scf[i].file, scf[i].line);
        return NGX_ERROR;
    }

    ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (ssl == NULL) {
        return NGX_ERROR;
    }

    ssl->log = cf->log;

    if (ngx_ssl_create(ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_rtc_rtsp_ssl_cleanup;
    cln->data = ssl;

    if (rmcf->rtsp_ssl_trusted_certificate.len
        && ngx_ssl_trusted_certificate(cf, ssl,
                                       &rmcf->rtsp_ssl_trusted_certificate,
                                       NGX_RTC_RTSP_VERIFY_DEPTH)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_rtc_rtsp_ssl = ssl;

    return NGX_OK;
}


/* the TLS context of rtsps:// and wheps:// sources, NULL if none */

ngx_ssl_t *
ngx_rtc_rtsp_ssl_ctx(void)
{
    return ngx_rtc_rtsp_ssl;
}


static void
ngx_rtc_rtsp_ssl_cleanup(void *data)
{
    ngx_ssl_t *ssl = data;

    if (ngx_rtc_rtsp_ssl == ssl) {
        ngx_rtc_rtsp_ssl = NULL;
    }

    ngx_ssl_cleanup_ctx(ssl);
}


ngx_rtc_rtsp_t *
ngx_rtc_rtsp_start(ngx_rtc_rtsp_conf_t *conf)
{
    ngx_uint_t       i;
    ngx_pool_t      *pool;
    ngx_rtc_rtsp_t  *rtsp;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, conf->source.log);
    if (pool == NULL) {
        return NULL;
    }

    rtsp = ngx_pcalloc(pool, sizeof(ngx_rtc_rtsp_t));
    if (rtsp == NULL) {
        goto failed;
    }

    rtsp->pool = pool;
    rtsp->conf = conf->source;
    rtsp->conf_udp = conf->udp;

    if (rtsp->conf.timeout == 0) {
        rtsp->conf.timeout = 10000;
    }

    rtsp->log = *conf->source.log;
    rtsp->log.handler = ngx_rtc_rtsp_log_error;
    rtsp->log.data = rtsp;
    rtsp->log.action = NULL;

    if (ngx_rtc_auth_parse_url(&conf->source.url, &rtsp->url) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, conf->source.log, 0,
                      "rtc rtsp invalid camera URL");
        goto failed;
    }

    rtsp->rbuf = ngx_palloc(pool, NGX_RTC_RTSP_RBUF_SIZE);
    rtsp->wbuf = ngx_palloc(pool, NGX_RTC_RTSP_WBUF_SIZE);
    rtsp->au = ngx_palloc(pool, NGX_RTC_RTSP_AU_SIZE);
    rtsp->audio_buf = ngx_palloc(pool, NGX_RTC_AUDIO_AU_MAX);
    rtsp->sdp = ngx_palloc(pool, sizeof(ngx_rtc_sdp_t));

    if (rtsp->rbuf == NULL || rtsp->wbuf == NULL || rtsp->au == NULL
        || rtsp->audio_buf == NULL || rtsp->sdp == NULL)
    {
        goto failed;
    }

    if (conf->udp) {
        rtsp->ubuf = ngx_palloc(pool, NGX_RTC_RTSP_UBUF_SIZE);
        if (rtsp->ubuf == NULL) {
            goto failed;
        }
    }

    rtsp->rpos = rtsp->rbuf;
    rtsp->rlast = rtsp->rbuf;
    rtsp->rend = rtsp->rbuf + NGX_RTC_RTSP_RBUF_SIZE;

    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;
    rtsp->wend = rtsp->wbuf + NGX_RTC_RTSP_WBUF_SIZE;

    rtsp->reason.data = rtsp->reason_buf;

    for (i = 0; i < 2; i++) {
        rtsp->tracks[i].rtsp = rtsp;
        rtsp->tracks[i].url.data = rtsp->tracks[i].url_buf;
    }

    /* cancelable: they must not keep a gracefully exiting worker alive */

    rtsp->retry.handler = ngx_rtc_rtsp_retry_handler;
    rtsp->retry.data = rtsp;
    rtsp->retry.log = &rtsp->log;
    rtsp->retry.cancelable = 1;

    rtsp->keepalive.handler = ngx_rtc_rtsp_keepalive_handler;
    rtsp->keepalive.data = rtsp;
    rtsp->keepalive.log = &rtsp->log;
    rtsp->keepalive.cancelable = 1;

    rtsp->tick.handler = ngx_rtc_rtsp_tick_handler;
    rtsp->tick.data = rtsp;
    rtsp->tick.log = &rtsp->log;
    rtsp->tick.cancelable = 1;

    rtsp->backoff = NGX_RTC_RTSP_BACKOFF_MIN;

    ngx_rtc_rtsp_connect(rtsp);

    return rtsp;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


void
ngx_rtc_rtsp_stop(ngx_rtc_rtsp_t *rtsp)
{
    ngx_uint_t  level;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp stop, %ui frames", rtsp->frames);

    /*
     * no viewers left (or the stream went to another worker) before the
     * camera played: as nginx's "no live upstreams", an error
     */

    if (rtsp->failures && !rtsp->produced) {
        level = (ngx_exiting || ngx_terminate || ngx_quit) ? NGX_LOG_INFO
                                                           : NGX_LOG_ERR;

        ngx_log_error(level, &rtsp->log, 0,
                      "rtc rtsp gave up on %V after %ui failed attempts, "
                      "the last: %V", &rtsp->url.redacted, rtsp->failures,
                      &rtsp->reason);
    }

    ngx_rtc_rtsp_close(rtsp, 1);

    if (rtsp->resolving) {
        ngx_resolve_name_done(rtsp->resolving);
        rtsp->resolving = NULL;
    }

    if (rtsp->retry.timer_set) {
        ngx_del_timer(&rtsp->retry);
    }

    ngx_destroy_pool(rtsp->pool);
}


static void
ngx_rtc_rtsp_connect(ngx_rtc_rtsp_t *rtsp)
{
    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_CONNECTING);

    /* each attempt starts again from the configured URL */

    if (rtsp->redirects) {
        rtsp->redirects = 0;

        if (ngx_rtc_auth_parse_url(&rtsp->conf.url, &rtsp->url) != NGX_OK) {
            /* not reached: ngx_rtc_rtsp_start() parsed it */
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                     "invalid camera URL");
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }
    }

    if (rtsp->conf.addr) {
        ngx_memcpy(&rtsp->sockaddr, rtsp->conf.addr->sockaddr,
                   rtsp->conf.addr->socklen);
        rtsp->socklen = rtsp->conf.addr->socklen;

        ngx_rtc_rtsp_connect_peer(rtsp);
        return;
    }

    /* ngx_rtc_rtsp_resolve_handler() goes on, maybe before this returns */

    if (ngx_rtc_rtsp_resolve(rtsp) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


static void
ngx_rtc_rtsp_connect_peer(ngx_rtc_rtsp_t *rtsp)
{
    ngx_int_t               rc;
    ngx_connection_t       *c;
    ngx_peer_connection_t  *pc;

    pc = &rtsp->peer;
    ngx_memzero(pc, sizeof(ngx_peer_connection_t));

    pc->sockaddr = &rtsp->sockaddr.sockaddr;
    pc->socklen = rtsp->socklen;
    pc->name = &rtsp->url.hostport;
    pc->get = ngx_event_get_peer;
    pc->log = &rtsp->log;
    pc->log_error = NGX_ERROR_INFO;

    rtsp->log.action = "connecting to camera";

    rc = ngx_event_connect_peer(pc);

    rtsp->log.action = NULL;

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        if (pc->connection) {
            ngx_close_connection(pc->connection);
            pc->connection = NULL;
        }

        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot connect to %V",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    c = pc->connection;
    c->data = rtsp;
    c->read->handler = ngx_rtc_rtsp_read_handler;
    c->write->handler = ngx_rtc_rtsp_write_handler;

    /* closed by ngx_close_idle_connections() on graceful shutdown */
    c->idle = 1;

    rtsp->step = ngx_rtc_rtsp_step_connect;
    rtsp->udp = rtsp->conf_udp;
    rtsp->fallback = 0;
    rtsp->ssrc = (uint32_t) ngx_random();

    ngx_add_timer(c->write, rtsp->conf.timeout);

    if (rc == NGX_OK) {
        ngx_rtc_rtsp_write_handler(c->write);
    }
}


static ngx_int_t
ngx_rtc_rtsp_resolve(ngx_rtc_rtsp_t *rtsp)
{
    ngx_resolver_ctx_t  *ctx;

    if (rtsp->conf.resolver == NULL) {
        /* not reached: ngx_rtc_rtsp_init_conf() gave an address or this */
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "no address for %V",
                                 &rtsp->url.redacted);
    }

    ctx = ngx_resolve_start(rtsp->conf.resolver, NULL);

    if (ctx == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
    }

    if (ctx == NGX_NO_RESOLVER) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "no resolver to resolve %V",
                                 &rtsp->url.redacted);
    }

    ctx->name = rtsp->url.host;
    ctx->handler = ngx_rtc_rtsp_resolve_handler;
    ctx->data = rtsp;
    ctx->timeout = rtsp->conf.resolver_timeout;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp resolving \"%V\"", &ctx->name);

    rtsp->resolving = ctx;

    if (ngx_resolve_name(ctx) != NGX_OK) {
        rtsp->resolving = NULL;
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "cannot resolve %V",
                                 &rtsp->url.redacted);
    }

    return NGX_OK;
}


static void
ngx_rtc_rtsp_resolve_handler(ngx_resolver_ctx_t *ctx)
{
    ngx_uint_t       i;
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ctx->data;
    rtsp->resolving = NULL;

    if (ctx->state || ctx->naddrs == 0) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot resolve %V: %s",
                                 &rtsp->url.redacted,
                                 ctx->state
                                 ? ngx_resolver_strerror(ctx->state)
                                 : "no address");
        ngx_resolve_name_done(ctx);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    /* a camera with several addresses: the next one on each attempt */

    i = rtsp->attempts++ % ctx->naddrs;

    if (ctx->addrs[i].socklen > sizeof(ngx_sockaddr_t)) {
        i = 0;
    }

    ngx_memcpy(&rtsp->sockaddr, ctx->addrs[i].sockaddr,
               ctx->addrs[i].socklen);
    rtsp->socklen = ctx->addrs[i].socklen;

    ngx_inet_set_port(&rtsp->sockaddr.sockaddr, rtsp->url.port);

    ngx_resolve_name_done(ctx);

    ngx_rtc_rtsp_connect_peer(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_test_connect(ngx_rtc_rtsp_t *rtsp, ngx_connection_t *c)
{
    int        err;
    u_char     msg[NGX_MAX_ERROR_STR], *p;
    socklen_t  len;

    err = 0;
    len = sizeof(int);

    /* Solaris returns the error in errno, others in err */

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err == 0) {
        return NGX_OK;
    }

    p = ngx_strerror(err, msg, sizeof(msg));

    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "cannot connect to %V: %*s",
                             &rtsp->url.redacted, p - msg, msg);
}


/* connected (and TLS set up): the first request */

static ngx_int_t
ngx_rtc_rtsp_begin(ngx_rtc_rtsp_t *rtsp)
{
    ngx_connection_t  *c;

    c = rtsp->peer.connection;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp connected to %V", &rtsp->url.hostport);

    /* until PLAY is answered, the read timer is the response timeout */

    ngx_add_timer(c->read, rtsp->conf.timeout);

    rtsp->step = ngx_rtc_rtsp_step_options;

    return ngx_rtc_rtsp_request(rtsp, ngx_rtc_rtsp_options_method,
                                &rtsp->url.uri, NULL);
}


static ngx_int_t
ngx_rtc_rtsp_ssl_init(ngx_rtc_rtsp_t *rtsp, ngx_connection_t *c)
{
    u_char     *host;
    ngx_int_t   rc;

    if (ngx_rtc_rtsp_ssl == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "no TLS context for %V (the module did not "
                                 "call ngx_rtc_rtsp_init_ssl)",
                                 &rtsp->url.redacted);
    }

    /* ngx_ssl_connection_t lives in c->pool: freed in ngx_rtc_rtsp_close() */

    c->pool = ngx_create_pool(256, &rtsp->log);
    if (c->pool == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
    }

    if (ngx_ssl_create_connection(ngx_rtc_rtsp_ssl, c,
                                  NGX_SSL_BUFFER|NGX_SSL_CLIENT)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "cannot start TLS with %V",
                                 &rtsp->url.redacted);
    }

    /* RFC 6066 3: a host name, never an address, goes into SNI */

    if (rtsp->url.host.len
        && rtsp->url.host.data[0] != '['
        && ngx_inet_addr(rtsp->url.host.data, rtsp->url.host.len)
           == INADDR_NONE)
    {
        host = ngx_pnalloc(rtsp->pool, rtsp->url.host.len + 1);
        if (host == NULL) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
        }

        (void) ngx_cpystrn(host, rtsp->url.host.data, rtsp->url.host.len + 1);

        if (SSL_set_tlsext_host_name(c->ssl->connection, (char *) host) == 0)
        {
            ngx_ssl_error(NGX_LOG_ERR, &rtsp->log, 0,
                          "SSL_set_tlsext_host_name(\"%s\") failed", host);
        }
    }

    rtsp->step = ngx_rtc_rtsp_step_handshake;
    rtsp->log.action = "SSL handshaking to camera";

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        if (!c->write->timer_set) {
            ngx_add_timer(c->write, rtsp->conf.timeout);
        }

        c->ssl->handler = ngx_rtc_rtsp_ssl_handshake_handler;
        return NGX_OK;
    }

    return ngx_rtc_rtsp_ssl_handshake(rtsp, c);
}


static void
ngx_rtc_rtsp_ssl_handshake_handler(ngx_connection_t *c)
{
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = c->data;

    if (ngx_rtc_rtsp_ssl_handshake(rtsp, c) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


static ngx_int_t
ngx_rtc_rtsp_ssl_handshake(ngx_rtc_rtsp_t *rtsp, ngx_connection_t *c)
{
    ngx_int_t    rc;
    const char  *why;

    rtsp->log.action = NULL;

    if (!c->ssl->handshaked) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR, "TLS handshake with %V %s",
                                 &rtsp->url.redacted,
                                 c->write->timedout || c->read->timedout
                                 ? "timed out" : "failed");
    }

    rc = ngx_rtc_rtsp_ssl_verify(c, &rtsp->url.host, &why);

    if (rc == NGX_DECLINED) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "certificate of %V not trusted: %s",
                                 &rtsp->url.redacted, why);
    }

    if (rc != NGX_OK) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                 "certificate of %V does not match "
                                 "\"%V\"", &rtsp->url.redacted,
                                 &rtsp->url.host);
    }

    c->read->handler = ngx_rtc_rtsp_read_handler;
    c->write->handler = ngx_rtc_rtsp_write_handler;

    return ngx_rtc_rtsp_begin(rtsp);
}


/*
 * rtc_rtsp_ssl_verify on: the peer's certificate chains to the trusted
 * ones (NGX_DECLINED, *why: OpenSSL's reason) and names the host, or has
 * its address among its SANs (NGX_ABORT).  Also for wheps:// sources.
 */

ngx_int_t
ngx_rtc_rtsp_ssl_verify(ngx_connection_t *c, ngx_str_t *host,
    const char **why)
{
    long                  rc;
    u_char                ip[NGX_INET6_ADDRSTRLEN + 1];
    size_t                n;
    X509                 *cert;
    ngx_rtc_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_rtc_module);

    if (rmcf->rtsp_ssl_verify != 1) {
        return NGX_OK;
    }

    rc = SSL_get_verify_result(c->ssl->connection);

    if (rc != X509_V_OK) {
        *why = X509_verify_cert_error_string(rc);
        return NGX_DECLINED;
    }

    /* a name as ngx_ssl_check_host() does; an address in its SANs */

    cert = SSL_get_peer_certificate(c->ssl->connection);
    rc = 0;

    if (cert) {
        if (host->data[0] == '['
            || ngx_inet_addr(host->data, host->len) != INADDR_NONE)
        {
            n = host->len;

            if (host->data[0] == '[' && n > 2) {
                n -= 2;
                (void) ngx_cpystrn(ip, host->data + 1,
                                   ngx_min(n, NGX_INET6_ADDRSTRLEN) + 1);

            } else {
                (void) ngx_cpystrn(ip, host->data,
                                   ngx_min(n, NGX_INET6_ADDRSTRLEN) + 1);
            }

            rc = (X509_check_ip_asc(cert, (char *) ip, 0) == 1);

        } else {
            rc = (ngx_ssl_check_host(c, host) == NGX_OK);
        }

        X509_free(cert);
    }

    return rc ? NGX_OK : NGX_ABORT;
}


static void
ngx_rtc_rtsp_write_handler(ngx_event_t *wev)
{
    ngx_int_t          rc;
    ngx_rtc_rtsp_t    *rtsp;
    ngx_connection_t  *c;

    c = wev->data;
    rtsp = c->data;

    if (wev->timedout) {
        if (rtsp->step == ngx_rtc_rtsp_step_connect) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ERR,
                                     "cannot connect to %V: timed out",
                                     &rtsp->url.redacted);

        } else {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "sending to %V timed out",
                                     &rtsp->url.redacted);
        }

        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (rtsp->step != ngx_rtc_rtsp_step_connect) {
        if (ngx_rtc_rtsp_flush(rtsp) != NGX_OK) {
            ngx_rtc_rtsp_retry_later(rtsp);
        }

        return;
    }

    if (ngx_rtc_rtsp_test_connect(rtsp, c) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (rtsp->url.tls) {
        rc = ngx_rtc_rtsp_ssl_init(rtsp, c);

    } else {
        rc = ngx_rtc_rtsp_begin(rtsp);
    }

    if (rc != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }
}


static void
ngx_rtc_rtsp_read_handler(ngx_event_t *rev)
{
    size_t               n;
    ssize_t              size;
    ngx_int_t            rc;
    ngx_uint_t           reads;
    ngx_msec_t           left, elapsed;
    ngx_rtc_rtsp_t      *rtsp;
    ngx_connection_t    *c;
    ngx_rtc_rtsp_msg_t   m;

    c = rev->data;
    rtsp = c->data;

    if (c->close) {

        /* graceful shutdown (idle connection) or worker_shutdown_timeout */

        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp closed on shutdown");

        ngx_rtc_rtsp_close(rtsp, 1);
        return;
    }

    if (rev->timedout) {
        rev->timedout = 0;

        if (rtsp->sdp_wait
            && (size_t) (rtsp->rlast - rtsp->rpos) > rtsp->sdp_header)
        {
            /* the camera went quiet: that was the SDP */

            if (ngx_rtc_rtsp_sdp_body(rtsp) != NGX_OK) {
                ngx_rtc_rtsp_retry_later(rtsp);
                return;
            }

            ngx_add_timer(rev, rtsp->conf.timeout);
            return;
        }

        if (rtsp->sdp_wait) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "no SDP from %V within %M ms of its "
                                     "DESCRIBE answer without "
                                     "Content-Length",
                                     &rtsp->url.redacted,
                                     rtsp->conf.timeout);

        } else {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "no answer to %s from %V within %M ms",
                                     rtsp->pending_method
                                     ? rtsp->pending_method : "request",
                                     &rtsp->url.redacted,
                                     rtsp->conf.timeout);
        }

        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (rtsp->step == ngx_rtc_rtsp_step_connect) {

        /* epoll reports a failed connect() to the read handler first */

        if (ngx_rtc_rtsp_test_connect(rtsp, c) != NGX_OK) {
            ngx_rtc_rtsp_retry_later(rtsp);
        }

        return;
    }

    for (reads = 0; /* void */; reads++) {

        if (reads == NGX_RTC_RTSP_READS) {

            /* a fast camera must not starve the worker: continue later */

            ngx_post_event(rev, &ngx_posted_events);
            return;
        }

        /*
         * Keep room for one whole message: the parser refuses any larger
         * than NGX_RTC_RTSP_MAX_MESSAGE, so moving the unparsed rest to the
         * front always leaves space to read into.
         */

        if (rtsp->rpos == rtsp->rlast) {
            rtsp->rpos = rtsp->rbuf;
            rtsp->rlast = rtsp->rbuf;

        } else if (rtsp->rend - rtsp->rlast < 16384) {
            n = rtsp->rlast - rtsp->rpos;
            ngx_memmove(rtsp->rbuf, rtsp->rpos, n);
            rtsp->rpos = rtsp->rbuf;
            rtsp->rlast = rtsp->rbuf + n;
        }

        rtsp->log.action = "reading from camera";

        size = c->recv(c, rtsp->rlast, rtsp->rend - rtsp->rlast);

        rtsp->log.action = NULL;

        if (size == NGX_AGAIN) {
            break;
        }

        if (size == 0) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V closed the connection%s",
                                     &rtsp->url.redacted,
                                     rtsp->sdp_wait
                                     ? " after a DESCRIBE answer without "
                                       "Content-Length" : "");
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }

        if (size == NGX_ERROR) {
            (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "reading from %V failed",
                                     &rtsp->url.redacted);
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }

        rtsp->rlast += size;

        for ( ;; ) {

            if (rtsp->sdp_wait) {

                /* the SDP without length comes: the quiet timer ends it */

                n = rtsp->rlast - rtsp->rpos - rtsp->sdp_header;

                if (n > NGX_RTC_RTSP_MAX_BODY) {
                    (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                             "invalid message from %V: "
                                             "SDP without Content-Length "
                                             "over %d bytes",
                                             &rtsp->url.redacted,
                                             NGX_RTC_RTSP_MAX_BODY);
                    ngx_rtc_rtsp_retry_later(rtsp);
                    return;
                }

                break;
            }

            rc = ngx_rtc_rtsp_parse(rtsp->rpos, rtsp->rlast, &m);

            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR) {
                if (ngx_rtc_rtsp_skip(rtsp, m.err) != NGX_OK) {
                    ngx_rtc_rtsp_retry_later(rtsp);
                    return;
                }

                continue;
            }

            if (rtsp->skipped) {
                ngx_rtc_rtsp_skipped(rtsp);
            }

            rc = ngx_rtc_rtsp_process(rtsp, &m);

            if (rc == NGX_DONE) {
                return;                 /* redirected: c is closed */
            }

            if (rc != NGX_OK) {
                ngx_rtc_rtsp_retry_later(rtsp);
                return;
            }

            if (rtsp->sdp_wait) {
                continue;               /* its header stays at rpos */
            }

            rtsp->rpos += m.size;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "read event failed for %V",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    /*
     * While playing, the tick watches the media instead.  Before, the
     * answer to the pending request is due conf.timeout after it went:
     * what else the camera sends (requests of its own, a header a byte at
     * a time) does not push that back.
     */

    if (rtsp->step != ngx_rtc_rtsp_step_playing) {
        left = rtsp->conf.timeout;

        if (rtsp->pending || rtsp->sdp_wait) {
            elapsed = ngx_current_msec - rtsp->pending_sent;
            left = (elapsed < left) ? left - elapsed : 1;
        }

        /* the SDP without length ends when the camera is quiet */

        if (rtsp->sdp_wait
            && (size_t) (rtsp->rlast - rtsp->rpos) > rtsp->sdp_header)
        {
            left = NGX_RTC_RTSP_SDP_QUIET;
        }

        ngx_add_timer(rev, left);
    }
}


/*
 * A message that does not parse while playing may be stray bytes between
 * '$' frames (ngx_rtc_rtsp_parse_resync()): skip to the next place a
 * message may start, up to NGX_RTC_RTSP_SKIP_MAX bytes without one.
 * Before PLAY, or past the bound, it fails the connection.
 */

static ngx_int_t
ngx_rtc_rtsp_skip(ngx_rtc_rtsp_t *rtsp, const char *err)
{
    u_char                 *p, channels[4];
    ngx_uint_t              i, n;
    ngx_rtc_rtsp_track_t   *t;

    /*
     * Before PLAY, or an answer to our request that does not parse (it
     * is no stray byte: skipping it would only time the request out)
     */

    if (rtsp->step < ngx_rtc_rtsp_step_play
        || (rtsp->pending && rtsp->skipped == 0
            && rtsp->rlast - rtsp->rpos >= 5
            && ngx_strncmp(rtsp->rpos, "RTSP/", 5) == 0))
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid message from %V: %s",
                                 &rtsp->url.redacted, err);
    }

    n = 0;

    for (i = 0; !rtsp->udp && i < rtsp->ntracks; i++) {
        t = &rtsp->tracks[i];

        if (t->active) {
            channels[n++] = (u_char) t->channel;
            channels[n++] = (u_char) (t->channel + 1);
        }
    }

    p = ngx_rtc_rtsp_parse_resync(rtsp->rpos + 1, rtsp->rlast, channels, n);

    if (rtsp->skipped == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp skipping stray bytes: %s", err);
        rtsp->skip_err = err;
    }

    rtsp->skipped += p - rtsp->rpos;
    rtsp->rpos = p;

    if (rtsp->skipped > NGX_RTC_RTSP_SKIP_MAX) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid message from %V: %s, "
                                 "no message in %uz bytes after it",
                                 &rtsp->url.redacted, err, rtsp->skipped);
    }

    return NGX_OK;
}


/* a message after stray bytes: the first time at info, later at debug */

static void
ngx_rtc_rtsp_skipped(ngx_rtc_rtsp_t *rtsp)
{
    if (rtsp->skips++ == 0) {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipped %uz stray bytes between "
                      "messages (%s; once logged per connection)",
                      &rtsp->url.redacted, rtsp->skipped,
                      rtsp->skip_err ? rtsp->skip_err : "unknown");

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp skipped %uz stray bytes (%ui times)",
                       rtsp->skipped, rtsp->skips);
    }

    rtsp->skipped = 0;
}


static void
ngx_rtc_rtsp_retry_handler(ngx_event_t *ev)
{
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_rtc_rtsp_connect(rtsp);
}


static void
ngx_rtc_rtsp_keepalive_handler(ngx_event_t *ev)
{
    const char      *method;
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ev->data;

    if (rtsp->step != ngx_rtc_rtsp_step_playing) {
        return;
    }

    /*
     * RFC 2326 10.8: GET_PARAMETER with no body as a ping; OPTIONS for
     * servers that do not list it in Public.  A reply that never comes is
     * not an error: the data flow is what the tick watches.
     */

    method = rtsp->get_parameter ? ngx_rtc_rtsp_get_parameter_method
                                 : ngx_rtc_rtsp_options_method;

    if (ngx_rtc_rtsp_request(rtsp, method, &rtsp->play_url, NULL) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    ngx_add_timer(ev, rtsp->session_timeout * 500);
}


/* while playing, every second: the no-data timeout, receiver reports */

static void
ngx_rtc_rtsp_tick_handler(ngx_event_t *ev)
{
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = ev->data;

    if (rtsp->step != ngx_rtc_rtsp_step_playing) {
        return;
    }

    if (ngx_current_msec - rtsp->last_media >= rtsp->conf.timeout) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "no data from %V for %M ms",
                                 &rtsp->url.redacted, rtsp->conf.timeout);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    /* the camera said BYE on the video and sends nothing: reconnect */

    if (rtsp->tracks[NGX_RTC_RTSP_VIDEO].bye
        && ngx_current_msec - rtsp->last_media >= NGX_RTC_RTSP_BYE_WAIT)
    {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%V sent RTCP BYE and no data since",
                                 &rtsp->url.redacted);
        ngx_rtc_rtsp_retry_later(rtsp);
        return;
    }

    if (ngx_current_msec - rtsp->last_rr >= NGX_RTC_RTSP_RR_INTERVAL) {
        if (ngx_rtc_rtsp_media_send_rr(rtsp) != NGX_OK) {
            ngx_rtc_rtsp_retry_later(rtsp);
            return;
        }
    }

    ngx_add_timer(ev, NGX_RTC_RTSP_TICK);
}


static ngx_int_t
ngx_rtc_rtsp_process(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    switch (m->type) {

    case NGX_RTC_RTSP_INTERLEAVED:
        return ngx_rtc_rtsp_media_interleaved(rtsp, m);

    case NGX_RTC_RTSP_REQUEST:
        return ngx_rtc_rtsp_server_request(rtsp, m);

    default: /* NGX_RTC_RTSP_RESPONSE */
        return ngx_rtc_rtsp_response(rtsp, m);
    }
}


static ngx_int_t
ngx_rtc_rtsp_response(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp response %ui, CSeq %i, pending %ui",
                   m->status, m->cseq, rtsp->pending);

    if (rtsp->pending == 0) {
        return NGX_OK;                  /* a stray answer: ignored */
    }

    if (m->cseq >= 0 && (ngx_uint_t) m->cseq != rtsp->pending) {

        /*
         * While playing, a late answer to a keepalive.  Before, the one
         * request outstanding is what it answers: some cameras send
         * "CSeq: 0" or another wrong number in every response.  Not so
         * from a camera that gave a right one on this connection: then
         * it is an answer sent twice, or late, to an earlier request.
         */

        if (rtsp->step == ngx_rtc_rtsp_step_playing || rtsp->cseq_ok) {
            return NGX_OK;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp response with CSeq %i taken for %ui",
                       m->cseq, rtsp->pending);

    } else if (m->cseq >= 0) {
        rtsp->cseq_ok = 1;
    }

    rtsp->pending = 0;

    if (m->status == 401) {
        return ngx_rtc_rtsp_unauthorized(rtsp, m);
    }

    rtsp->auth_tries = 0;

    switch (rtsp->step) {

    case ngx_rtc_rtsp_step_options:

        /* some cameras refuse OPTIONS; DESCRIBE decides */

        if (m->status == 200 && m->public.data) {
            rtsp->get_parameter = ngx_rtc_rtsp_has_method(&m->public,
                                                          "GET_PARAMETER");
        }

        rtsp->step = ngx_rtc_rtsp_step_describe;

        return ngx_rtc_rtsp_request(rtsp, "DESCRIBE", &rtsp->url.uri,
                                    "Accept: application/sdp\r\n");

    case ngx_rtc_rtsp_step_describe:
        return ngx_rtc_rtsp_describe_done(rtsp, m);

    case ngx_rtc_rtsp_step_setup:
        return ngx_rtc_rtsp_setup_done(rtsp, m);

    case ngx_rtc_rtsp_step_play:
        return ngx_rtc_rtsp_play_done(rtsp, m);

    case ngx_rtc_rtsp_step_playing:
        return ngx_rtc_rtsp_keepalive_done(rtsp, m);

    default:
        return NGX_OK;
    }
}


static ngx_int_t
ngx_rtc_rtsp_unauthorized(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_int_t  rc;

    if (!rtsp->url.has_userinfo) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V: the URL has no credentials",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    /*
     * One retry with the credentials; more only when the camera says the
     * Digest nonce went stale (RFC 7616 3.3), not the password wrong, and
     * never more than NGX_RTC_RTSP_AUTH_TRIES in a row.
     */

    if (rtsp->auth_tries >= NGX_RTC_RTSP_AUTH_TRIES) {
        return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
    }

    rc = NGX_DECLINED;

    if (m->auth_digest.data) {
        rc = ngx_rtc_auth_digest_parse(&m->auth_digest, &rtsp->digest);
    }

    if (rc == NGX_OK) {
        if (rtsp->auth_tries && !rtsp->digest.stale) {
            return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
        }

        rtsp->auth = NGX_RTC_RTSP_AUTH_DIGEST;

    } else if (m->auth_basic.data) {
        if (rtsp->auth_tries) {
            return ngx_rtc_rtsp_status_error(rtsp, m, NULL);
        }

        rtsp->auth = NGX_RTC_RTSP_AUTH_BASIC;

    } else {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V: no supported challenge",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    rtsp->auth_tries++;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp retrying with %s authentication",
                   rtsp->auth == NGX_RTC_RTSP_AUTH_DIGEST ? "Digest"
                                                           : "Basic");

    return ngx_rtc_rtsp_request(rtsp, rtsp->pending_method,
                                &rtsp->pending_url, rtsp->pending_headers);
}


static ngx_int_t
ngx_rtc_rtsp_describe_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_str_t             base;
    ngx_uint_t            i, pass;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_fmt_t    *fmt;
    ngx_rtc_sdp_media_t  *media, *video, *audio;

    switch (m->status) {

    case 200:
        break;

    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
        return ngx_rtc_rtsp_redirect(rtsp, m);

    default:
        return ngx_rtc_rtsp_status_error(rtsp, m, "DESCRIBE");
    }

    if (m->body.len == 0 && ngx_rtc_rtsp_parse_sdp_unframed(m)) {

        /*
         * live555-based firmware that sends the SDP without
         * Content-Length: as live555's client, take what follows, until
         * the camera has sent nothing for NGX_RTC_RTSP_SDP_QUIET ms (it
         * sends nothing else before our SETUP); ngx_rtc_rtsp_sdp_body()
         */

        if (!rtsp->sdp_logged) {
            rtsp->sdp_logged = 1;

            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: DESCRIBE answered without "
                          "Content-Length, the SDP is what follows until "
                          "%d ms without data (logged once)",
                          &rtsp->url.redacted, NGX_RTC_RTSP_SDP_QUIET);
        }

        rtsp->sdp_wait = 1;
        rtsp->sdp_header = m->size;

        return NGX_OK;
    }

    if (m->body.len == 0) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "DESCRIBE of %V returned no SDP",
                                 &rtsp->url.redacted);
    }

    /* RFC 2326 C.1.1: the base for relative control URLs */

    if (m->content_base.len) {
        base = m->content_base;

    } else if (m->content_location.len) {
        base = m->content_location;

    } else {
        base = rtsp->url.uri;
    }

    sdp = rtsp->sdp;

    if (ngx_rtc_sdp_parse(m->body.data, m->body.data + m->body.len, sdp)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid SDP from %V: %s",
                                 &rtsp->url.redacted,
                                 sdp->err ? sdp->err : "unknown error");
    }

    if (ngx_rtc_rtsp_resolve_url(&base, &sdp->control, rtsp->play_buf,
                                 NGX_RTC_URL_MAX, &rtsp->play_url)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "invalid control URL in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    /*
     * The video: the first m=video of H.264 or H.265 (a camera may list
     * MJPEG first), else the first m=video.  The audio: the first m=audio
     * we can carry of those the camera sends.  ONVIF marks the backchannel,
     * the audio a client sends to the camera, a=sendonly in the camera's
     * SDP, and the camera's own audio a=recvonly (ONVIF Streaming
     * Specification, 5.3 "Back channel connection"); an a=sendonly m=audio
     * is taken only when there is no other, as a camera may mean it the
     * way RFC 3264 6.1 does.
     */

    video = NULL;
    audio = NULL;
    rtsp->ntracks = 0;

    for (i = 0; i < sdp->nmedia; i++) {
        media = &sdp->media[i];

        if (media->nfmts == 0 || !ngx_rtc_rtsp_is_media(media, "video")) {
            continue;
        }

        if (video == NULL) {
            video = media;
        }

        if (ngx_rtc_rtsp_media_video_codec(media, &fmt)
            != NGX_RTC_CODEC_NONE)
        {
            video = media;
            break;
        }
    }

    for (pass = 0;
         pass < 2 && audio == NULL && rtsp->conf.audio != NGX_RTC_AUDIO_OFF;
         pass++)
    {
        for (i = 0; i < sdp->nmedia; i++) {
            media = &sdp->media[i];

            if (media->nfmts == 0
                || !ngx_rtc_rtsp_is_media(media, "audio")
                || (media->direction == NGX_RTC_SDP_SENDONLY) != pass)
            {
                continue;
            }

            if (ngx_rtc_rtsp_media_audio(rtsp, &base, media) == NGX_OK) {
                audio = media;
                break;
            }
        }
    }

    for (i = 0; i < sdp->nmedia; i++) {
        media = &sdp->media[i];

        if (media == video || media == audio) {
            continue;
        }

        if (media->nfmts && ngx_rtc_rtsp_is_media(media, "audio")) {
            if (rtsp->conf.audio == NGX_RTC_AUDIO_OFF) {
                ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                              "rtc rtsp %V: skipping audio track %ui: "
                              "audio=off", &rtsp->url.redacted, i);
                continue;
            }

            if (media->direction == NGX_RTC_SDP_SENDONLY) {
                ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                              "rtc rtsp %V: skipping audio track %ui (%V): "
                              "a=sendonly, a backchannel",
                              &rtsp->url.redacted, i, &media->fmts[0].name);
                continue;
            }
        }

        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V: skipping %V track %ui (%V)",
                      &rtsp->url.redacted, &media->type, i,
                      media->nfmts ? &media->fmts[0].name : &media->type);
    }

    if (video == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "no video track in the SDP of %V",
                                 &rtsp->url.redacted);
    }

    if (ngx_rtc_rtsp_media_video(rtsp, &base, video) != NGX_OK) {
        return NGX_ERROR;
    }

    rtsp->ntracks = audio ? 2 : 1;

    if (audio == NULL) {
        rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_AUDIO,
                         NGX_RTC_CODEC_NONE, 0, 0);
    }

    rtsp->setup = NGX_RTC_RTSP_VIDEO;
    rtsp->step = ngx_rtc_rtsp_step_setup;

    return ngx_rtc_rtsp_setup(rtsp);
}


/*
 * The SDP of a DESCRIBE answer without Content-Length: the bytes after its
 * header, which stayed at rpos, once the camera has been quiet.
 */

static ngx_int_t
ngx_rtc_rtsp_sdp_body(ngx_rtc_rtsp_t *rtsp)
{
    ngx_rtc_rtsp_msg_t  m;

    rtsp->sdp_wait = 0;

    /* the same header as before: the parse does not look past it */

    if (ngx_rtc_rtsp_parse(rtsp->rpos, rtsp->rlast, &m) != NGX_OK
        || m.size != rtsp->sdp_header)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                 "DESCRIBE answer of %V lost",
                                 &rtsp->url.redacted);
    }

    m.body.data = rtsp->rpos + m.size;
    m.body.len = rtsp->rlast - m.body.data;

    rtsp->rpos = rtsp->rlast;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp SDP without length: %uz bytes", m.body.len);

    return ngx_rtc_rtsp_describe_done(rtsp, &m);
}


/*
 * A 3xx answer to DESCRIBE (NVRs sending each channel to another port or
 * path, cameras moved to another address): a new connection to the
 * Location, NGX_RTC_RTSP_REDIRECTS hops at most in an attempt; the next
 * attempt starts again from the configured URL.  Where the credentials
 * go is ngx_rtc_rtsp_redirect_url()'s rule.  A host name is resolved as
 * the configured one is: with the http block's resolver; without one,
 * only the configured host's own name is known (its address from the
 * configuration), any other needs the resolver.  NGX_DONE: this
 * connection is closed, the next one under way.
 */

static ngx_int_t
ngx_rtc_rtsp_redirect(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    u_char          buf[NGX_RTC_URL_MAX];
    ngx_int_t       rc;
    ngx_str_t       url;
    socklen_t       socklen;
    const char     *err;
    ngx_rtc_url_t  *u;
    ngx_sockaddr_t  sa;

    if (rtsp->redirects == NGX_RTC_RTSP_REDIRECTS) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V (DESCRIBE): more than %d "
                                 "redirects", m->status, &m->reason,
                                 &rtsp->url.redacted,
                                 NGX_RTC_RTSP_REDIRECTS);
    }

    if (ngx_rtc_rtsp_redirect_url(&rtsp->url.uri, &rtsp->conf.url,
                                  &m->location, buf, sizeof(buf), &url, &err)
        != NGX_OK)
    {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V (DESCRIBE) not followed: %s",
                                 m->status, &m->reason, &rtsp->url.redacted,
                                 err);
    }

    if (rtsp->location == NULL) {
        rtsp->location = ngx_palloc(rtsp->pool, sizeof(ngx_rtc_url_t));
        if (rtsp->location == NULL) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT, "out of memory");
        }
    }

    u = rtsp->location;

    if (ngx_rtc_auth_parse_url(&url, u) != NGX_OK) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%ui %V from %V (DESCRIBE) not followed: "
                                 "invalid Location", m->status, &m->reason,
                                 &rtsp->url.redacted);
    }

    if (u->tls && ngx_rtc_rtsp_ssl == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%V redirects to %V: no TLS context, "
                                 "as no rtc_stream is rtsps://",
                                 &rtsp->url.redacted, &u->redacted);
    }

    rc = ngx_rtc_rtsp_redirect_addr(rtsp, u, &sa, &socklen);

    if (rc == NGX_DECLINED) {
        /* a name other than the configured host's */

        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "redirect from %V to %V needs a "
                                 "\"resolver\" in the http block",
                                 &rtsp->url.redacted, &u->redacted);
    }

    rtsp->redirects++;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V redirects to %V (%ui %V, %ui of %d)",
                  &rtsp->url.redacted, &u->redacted, m->status, &m->reason,
                  rtsp->redirects, NGX_RTC_RTSP_REDIRECTS);

    /* no session yet: nothing to tear down */

    ngx_rtc_rtsp_close(rtsp, 0);

    (void) ngx_rtc_auth_parse_url(&url, &rtsp->url);

    if (rc == NGX_OK) {
        ngx_memcpy(&rtsp->sockaddr, &sa, socklen);
        rtsp->socklen = socklen;

        ngx_rtc_rtsp_connect_peer(rtsp);
        return NGX_DONE;
    }

    /* NGX_AGAIN: ngx_rtc_rtsp_resolve_handler() goes on */

    if (ngx_rtc_rtsp_resolve(rtsp) != NGX_OK) {
        ngx_rtc_rtsp_retry_later(rtsp);
    }

    return NGX_DONE;
}


/*
 * The address of a redirect's host: an IP address as is (NGX_OK); with
 * a resolver, a name to resolve (NGX_AGAIN); without, the configured
 * host's own name as resolved at configuration time (NGX_OK), any other
 * name NGX_DECLINED.
 */

static ngx_int_t
ngx_rtc_rtsp_redirect_addr(ngx_rtc_rtsp_t *rtsp, ngx_rtc_url_t *u,
    ngx_sockaddr_t *sa, socklen_t *socklen)
{
    in_addr_t  in;
    ngx_str_t  host;

    host = u->host;

    ngx_memzero(sa, sizeof(ngx_sockaddr_t));

    if (host.len > 2 && host.data[0] == '[') {
#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(host.data + 1, host.len - 2,
                           sa->sockaddr_in6.sin6_addr.s6_addr)
            == NGX_OK)
        {
            sa->sockaddr_in6.sin6_family = AF_INET6;
            sa->sockaddr_in6.sin6_port = htons(u->port);
            *socklen = sizeof(struct sockaddr_in6);
            return NGX_OK;
        }
#endif

        return NGX_DECLINED;
    }

    in = ngx_inet_addr(host.data, host.len);

    if (in != INADDR_NONE) {
        sa->sockaddr_in.sin_family = AF_INET;
        sa->sockaddr_in.sin_addr.s_addr = in;
        sa->sockaddr_in.sin_port = htons(u->port);
        *socklen = sizeof(struct sockaddr_in);
        return NGX_OK;
    }

    if (rtsp->conf.resolver) {
        return NGX_AGAIN;
    }

    /* the name of the configured URL: its address, the Location's port */

    if (rtsp->conf.addr
        && rtsp->conf.addr->socklen <= sizeof(ngx_sockaddr_t)
        && ngx_rtc_rtsp_same_host(&u->uri, &rtsp->conf.url))
    {
        ngx_memcpy(sa, rtsp->conf.addr->sockaddr, rtsp->conf.addr->socklen);
        *socklen = rtsp->conf.addr->socklen;
        ngx_inet_set_port(&sa->sockaddr, u->port);
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_rtc_rtsp_setup(ngx_rtc_rtsp_t *rtsp)
{
    u_char                *p;
    ngx_rtc_rtsp_track_t  *t;

    t = &rtsp->tracks[rtsp->setup];

    /* RFC 2326 12.39: one channel pair, one port pair per track */

    if (rtsp->udp) {
        if (ngx_rtc_rtsp_media_udp_open(rtsp, t) != NGX_OK) {
            return NGX_ERROR;
        }

        p = ngx_snprintf(rtsp->transport_buf, sizeof(rtsp->transport_buf) - 1,
                         "Transport: RTP/AVP;unicast;client_port=%d-%d\r\n",
                         (int) t->port, (int) t->port + 1);

    } else {
        t->channel = rtsp->setup * 2;

        p = ngx_snprintf(rtsp->transport_buf, sizeof(rtsp->transport_buf) - 1,
                         "Transport: RTP/AVP/TCP;unicast;"
                         "interleaved=%ui-%ui\r\n",
                         t->channel, t->channel + 1);
    }

    *p = '\0';

    return ngx_rtc_rtsp_request(rtsp, "SETUP", &t->url,
                                (const char *) rtsp->transport_buf);
}


static ngx_int_t
ngx_rtc_rtsp_setup_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_rtc_rtsp_track_t      *t;
    ngx_rtc_rtsp_transport_t   tr;

    t = &rtsp->tracks[rtsp->setup];

    if (m->status != 200) {

        /*
         * 461 Unsupported Transport (RFC 2326 11.4.6) for the first track:
         * the other transport, once.  A refused audio track is left out.
         */

        if (m->status == 461 && rtsp->setup == NGX_RTC_RTSP_VIDEO
            && !rtsp->fallback)
        {
            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: 461 to SETUP over %s, trying %s",
                          &rtsp->url.redacted,
                          rtsp->udp ? "UDP" : "TCP",
                          rtsp->udp ? "TCP" : "UDP");

            ngx_rtc_rtsp_media_udp_close(t);

            rtsp->fallback = 1;
            rtsp->udp = !rtsp->udp;

            if (rtsp->udp && rtsp->ubuf == NULL) {
                rtsp->ubuf = ngx_palloc(rtsp->pool, NGX_RTC_RTSP_UBUF_SIZE);
                if (rtsp->ubuf == NULL) {
                    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                             "out of memory");
                }
            }

            return ngx_rtc_rtsp_setup(rtsp);
        }

        if (rtsp->setup == NGX_RTC_RTSP_AUDIO) {
            ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                          "rtc rtsp %V: %ui %V to SETUP of the audio track, "
                          "playing video only", &rtsp->url.redacted,
                          m->status, &m->reason);

            ngx_rtc_rtsp_media_udp_close(t);
            rtsp->ntracks = 1;

            rtsp->conf.codec(rtsp->conf.data, NGX_RTC_TRACK_AUDIO,
                             NGX_RTC_CODEC_NONE, 0, 0);

            return ngx_rtc_rtsp_setup_next(rtsp);
        }

        return ngx_rtc_rtsp_status_error(rtsp, m, "SETUP");
    }

    if (rtsp->session.len == 0) {
        if (m->session.len == 0 || m->session.len > NGX_RTC_RTSP_SESSION_MAX)
        {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%s Session header from %V",
                                     m->session.len ? "too long" : "no",
                                     &rtsp->url.redacted);
        }

        ngx_memcpy(rtsp->session_buf, m->session.data, m->session.len);
        rtsp->session.data = rtsp->session_buf;
        rtsp->session.len = m->session.len;

        rtsp->session_timeout = m->session_timeout
                                ? m->session_timeout
                                : NGX_RTC_RTSP_SESSION_TIMEOUT;
    }

    /* the server may pick other channels or ports than the ones asked for */

    ngx_memzero(&tr, sizeof(ngx_rtc_rtsp_transport_t));
    tr.interleaved[0] = -1;

    if (m->transport.data
        && ngx_rtc_rtsp_parse_transport(&m->transport, &tr) != NGX_OK)
    {
        ngx_memzero(&tr, sizeof(ngx_rtc_rtsp_transport_t));
        tr.interleaved[0] = -1;
    }

    if (rtsp->udp) {
        if (tr.interleaved[0] >= 0) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V answered SETUP over UDP with TCP "
                                     "interleaved channels",
                                     &rtsp->url.redacted);
        }

        t->server_rtcp = tr.server_port[1] ? tr.server_port[1]
                         : tr.server_port[0] ? tr.server_port[0] + 1 : 0;

        ngx_log_debug3(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                       "rtc rtsp track %ui: client port %d, server RTCP %d",
                       rtsp->setup, (int) t->port, (int) t->server_rtcp);

    } else {
        if (tr.interleaved[0] < 0 && (tr.client_port[0] || tr.server_port[0]))
        {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "%V answered SETUP with UDP transport",
                                     &rtsp->url.redacted);
        }

        if (tr.interleaved[0] >= 0) {
            t->channel = tr.interleaved[0];
        }
    }

    if (tr.has_ssrc) {
        ngx_rtc_rtsp_media_lock_ssrc(rtsp, t, tr.ssrc);
    }

    t->active = 1;

    return ngx_rtc_rtsp_setup_next(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_setup_next(ngx_rtc_rtsp_t *rtsp)
{
    if (++rtsp->setup < rtsp->ntracks) {
        return ngx_rtc_rtsp_setup(rtsp);
    }

    rtsp->step = ngx_rtc_rtsp_step_play;

    return ngx_rtc_rtsp_request(rtsp, "PLAY", &rtsp->play_url,
                                "Range: npt=0.000-\r\n");
}


static ngx_int_t
ngx_rtc_rtsp_play_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    ngx_connection_t  *c;

    if (m->status != 200) {
        return ngx_rtc_rtsp_status_error(rtsp, m, "PLAY");
    }

    rtsp->step = ngx_rtc_rtsp_step_playing;
    rtsp->reason.len = 0;
    rtsp->last_media = ngx_current_msec;

    ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                  "rtc rtsp %V: playing over %s, %ui track%s, "
                  "session timeout %uis", &rtsp->url.redacted,
                  rtsp->udp ? "UDP" : "TCP", rtsp->ntracks,
                  rtsp->ntracks > 1 ? "s" : "", rtsp->session_timeout);

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_PLAYING);

    /* the tick watches the media from now on */

    c = rtsp->peer.connection;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ngx_add_timer(&rtsp->keepalive, rtsp->session_timeout * 500);
    ngx_add_timer(&rtsp->tick, NGX_RTC_RTSP_TICK);

    /* a first report opens the way through NATs and firewalls for UDP */

    return ngx_rtc_rtsp_media_send_rr(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_keepalive_done(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    if (m->status == 454) {
        return ngx_rtc_rtsp_status_error(rtsp, m, rtsp->pending_method);
    }

    if (m->status >= 400
        && rtsp->pending_method == ngx_rtc_rtsp_get_parameter_method)
    {
        /* listed but refused: fall back to OPTIONS */
        rtsp->get_parameter = 0;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_rtsp_server_request(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m)
{
    u_char      *p;
    const char  *status;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp server request %V", &m->method);

    if (m->cseq < 0) {
        return NGX_OK;
    }

    /* RFC 2326 10.1, 10.8, 10.9: answer pings; refuse the rest */

    if ((m->method.len == 7
         && ngx_strncmp(m->method.data, "OPTIONS", 7) == 0)
        || (m->method.len == 13
            && ngx_strncmp(m->method.data, "GET_PARAMETER", 13) == 0)
        || (m->method.len == 13
            && ngx_strncmp(m->method.data, "SET_PARAMETER", 13) == 0))
    {
        status = "200 OK";

    } else {
        status = "501 Not Implemented";
    }

    p = ngx_slprintf(rtsp->wlast, rtsp->wend,
                     "RTSP/1.0 %s\r\nCSeq: %i\r\n", status, m->cseq);

    if (rtsp->session.len) {
        p = ngx_slprintf(p, rtsp->wend, "Session: %V\r\n", &rtsp->session);
    }

    p = ngx_slprintf(p, rtsp->wend, "\r\n");

    if (p == rtsp->wend) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "write buffer full for %V",
                                 &rtsp->url.redacted);
    }

    rtsp->wlast = p;

    return ngx_rtc_rtsp_flush(rtsp);
}


static ngx_int_t
ngx_rtc_rtsp_request(ngx_rtc_rtsp_t *rtsp, const char *method,
    ngx_str_t *url, const char *headers)
{
    u_char     *p, *last;
    ngx_int_t   rc;
    ngx_str_t   authz, m;

    if (rtsp->wpos == rtsp->wlast) {
        rtsp->wpos = rtsp->wbuf;
        rtsp->wlast = rtsp->wbuf;
    }

    p = rtsp->wlast;
    last = rtsp->wend;

    p = ngx_slprintf(p, last,
                     "%s %V RTSP/1.0\r\n"
                     "CSeq: %ui\r\n"
                     "User-Agent: " NGX_RTC_RTSP_USER_AGENT "\r\n",
                     method, url, ++rtsp->cseq);

    if (rtsp->auth != NGX_RTC_RTSP_AUTH_NONE) {

        if (rtsp->auth == NGX_RTC_RTSP_AUTH_BASIC) {
            rc = ngx_rtc_auth_basic(&rtsp->url, rtsp->auth_buf,
                                    NGX_RTC_RTSP_AUTH_MAX, &authz);

        } else {
            m.data = (u_char *) method;
            m.len = ngx_strlen(method);

            rc = ngx_rtc_auth_digest(&rtsp->digest, &rtsp->url.user,
                                     &rtsp->url.password, &m, url,
                                     rtsp->auth_buf, NGX_RTC_RTSP_AUTH_MAX,
                                     &authz);
        }

        if (rc != NGX_OK) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "cannot make credentials for %V",
                                     &rtsp->url.redacted);
        }

        p = ngx_slprintf(p, last, "Authorization: %V\r\n", &authz);
    }

    if (rtsp->session.len) {
        p = ngx_slprintf(p, last, "Session: %V\r\n", &rtsp->session);
    }

    if (headers) {
        p = ngx_slprintf(p, last, "%s", headers);
    }

    p = ngx_slprintf(p, last, "\r\n");

    if (p == last) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                 "%s request for %V too large",
                                 method, &rtsp->url.redacted);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, &rtsp->log, 0,
                   "rtc rtsp request %s, CSeq %ui, auth %ui",
                   method, rtsp->cseq, rtsp->auth);

    rtsp->wlast = p;

    rtsp->pending = rtsp->cseq;
    rtsp->pending_sent = ngx_current_msec;
    rtsp->pending_method = method;
    rtsp->pending_url = *url;
    rtsp->pending_headers = headers;

    return ngx_rtc_rtsp_flush(rtsp);
}


ngx_int_t
ngx_rtc_rtsp_flush(ngx_rtc_rtsp_t *rtsp)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = rtsp->peer.connection;

    while (rtsp->wpos < rtsp->wlast) {

        rtsp->log.action = "writing to camera";

        n = c->send(c, rtsp->wpos, rtsp->wlast - rtsp->wpos);

        rtsp->log.action = NULL;

        if (n == NGX_ERROR) {
            return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO,
                                     "writing to %V failed",
                                     &rtsp->url.redacted);
        }

        if (n == NGX_AGAIN || n == 0) {
            if (!c->write->timer_set) {
                ngx_add_timer(c->write, rtsp->conf.timeout);
            }

            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_ALERT,
                                         "write event failed for %V",
                                         &rtsp->url.redacted);
            }

            return NGX_OK;
        }

        rtsp->wpos += n;
    }

    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    return NGX_OK;
}


ngx_int_t
ngx_rtc_rtsp_fail(ngx_rtc_rtsp_t *rtsp, ngx_uint_t level, const char *fmt,
    ...)
{
    u_char   *p, *q;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(rtsp->reason_buf,
                      rtsp->reason_buf + NGX_RTC_RTSP_REASON_MAX, fmt, args);
    va_end(args);

    /* reason phrases and SDP errors come from the camera: keep them plain */

    for (q = rtsp->reason_buf; q < p; q++) {
        if (*q < 0x20 || *q >= 0x7f) {
            *q = '?';
        }
    }

    rtsp->reason.data = rtsp->reason_buf;
    rtsp->reason.len = p - rtsp->reason_buf;
    rtsp->level = level;

    return NGX_ERROR;
}


static ngx_int_t
ngx_rtc_rtsp_status_error(ngx_rtc_rtsp_t *rtsp, ngx_rtc_rtsp_msg_t *m,
    const char *method)
{
    /* "401 Unauthorized from " and the redacted URL */

    if (method == NULL) {
        return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "%ui %V from %V",
                                 m->status, &m->reason, &rtsp->url.redacted);
    }

    return ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "%ui %V from %V (%s)",
                             m->status, &m->reason, &rtsp->url.redacted,
                             method);
}


/*
 * As nginx logs upstreams: the state changes at "error", which the
 * default error_log level shows, the repeats at "info".  The first
 * failure of a camera, or the loss of one that was playing, is a change;
 * the failures after it, until the camera plays again, are repeats.  Our
 * own trouble (out of memory) keeps its level.
 */

void
ngx_rtc_rtsp_retry_later(ngx_rtc_rtsp_t *rtsp)
{
    ngx_uint_t         level, playing;
    ngx_connection_t  *c;

    if (rtsp->reason.len == 0) {
        (void) ngx_rtc_rtsp_fail(rtsp, NGX_LOG_INFO, "error with %V",
                                 &rtsp->url.redacted);
    }

    playing = rtsp->produced;

    /*
     * A TEARDOWN on a connection still good: without it some cameras
     * (old live555) keep streaming the session and send its RTP on the
     * next connection too.
     */

    c = rtsp->peer.connection;

    ngx_rtc_rtsp_close(rtsp, c && !c->read->eof && !c->read->error
                             && !c->write->error && !c->write->timedout);

    level = (playing || rtsp->failures == 0) ? NGX_LOG_ERR : NGX_LOG_INFO;

    if (rtsp->level < NGX_LOG_ERR) {
        level = rtsp->level;
    }

    rtsp->failures++;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        ngx_log_error(NGX_LOG_INFO, &rtsp->log, 0,
                      "rtc rtsp %V", &rtsp->reason);
        return;
    }

    if (rtsp->failures == 1) {
        ngx_log_error(level, &rtsp->log, 0,
                      "rtc rtsp %V%s, retrying in %M ms",
                      &rtsp->reason, playing ? " (was playing)" : "",
                      rtsp->backoff);

    } else {
        ngx_log_error(level, &rtsp->log, 0,
                      "rtc rtsp %V, retrying in %M ms (%ui failures in a row)",
                      &rtsp->reason, rtsp->backoff, rtsp->failures);
    }

    ngx_rtc_rtsp_set_state(rtsp, NGX_RTC_RTSP_RETRYING);

    if (rtsp->retry.timer_set) {
        ngx_del_timer(&rtsp->retry);
    }

    ngx_add_timer(&rtsp->retry, rtsp->backoff);

    rtsp->backoff = ngx_min(rtsp->backoff * 2, NGX_RTC_RTSP_BACKOFF_MAX);
}


void
ngx_rtc_rtsp_close(ngx_rtc_rtsp_t *rtsp, ngx_uint_t teardown)
{
    size_t             len;
    ngx_uint_t         level;
    ngx_pool_t        *pool;
    ngx_connection_t  *c;
    u_char             reason[NGX_RTC_RTSP_REASON_MAX];

    c = rtsp->peer.connection;

    if (c) {
        if (teardown && rtsp->session.len) {
            /*
             * best effort: one send attempt, no waiting for the answer;
             * the reason of the failure that closes stays
             */

            len = rtsp->reason.len;
            level = rtsp->level;
            ngx_memcpy(reason, rtsp->reason_buf, len);

            (void) ngx_rtc_rtsp_request(rtsp, "TEARDOWN", &rtsp->play_url,
                                        NULL);

            ngx_memcpy(rtsp->reason_buf, reason, len);
            rtsp->reason.len = len;
            rtsp->level = level;
        }

        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }

        pool = c->pool;

        ngx_close_connection(c);
        rtsp->peer.connection = NULL;

        if (pool) {
            ngx_destroy_pool(pool);
        }
    }

    ngx_rtc_rtsp_media_reset(rtsp);

    if (rtsp->keepalive.timer_set) {
        ngx_del_timer(&rtsp->keepalive);
    }

    if (rtsp->tick.timer_set) {
        ngx_del_timer(&rtsp->tick);
    }

    rtsp->step = ngx_rtc_rtsp_step_idle;
    rtsp->pending = 0;
    rtsp->pending_method = NULL;
    rtsp->session.len = 0;
    rtsp->auth = NGX_RTC_RTSP_AUTH_NONE;
    rtsp->auth_tries = 0;
    rtsp->get_parameter = 0;
    rtsp->ntracks = 0;
    rtsp->garbage = 0;
    rtsp->skipped = 0;
    rtsp->skips = 0;
    rtsp->produced = 0;
    rtsp->cseq_ok = 0;
    rtsp->sdp_wait = 0;
    rtsp->log.action = NULL;

    rtsp->rpos = rtsp->rbuf;
    rtsp->rlast = rtsp->rbuf;
    rtsp->wpos = rtsp->wbuf;
    rtsp->wlast = rtsp->wbuf;
}


static ngx_uint_t
ngx_rtc_rtsp_is_media(ngx_rtc_sdp_media_t *media, const char *type)
{
    return media->type.len == 5
           && ngx_strncasecmp(media->type.data, (u_char *) type, 5) == 0;
}


static void
ngx_rtc_rtsp_set_state(ngx_rtc_rtsp_t *rtsp, ngx_uint_t state)
{
    /*
     * RETRYING carries the failure; CONNECTING the previous one, if any,
     * so that a camera that keeps failing shows why; PLAYING none.
     */

    rtsp->conf.state(rtsp->conf.data, state, &rtsp->reason);
}


static u_char *
ngx_rtc_rtsp_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char          *p;
    ngx_rtc_rtsp_t  *rtsp;

    rtsp = log->data;
    p = buf;

    /* context for nginx's own messages (connect(), recv(), send()) */

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s, camera: %V", log->action,
                         &rtsp->url.redacted);
        len -= p - buf;
    }

    if (rtsp->conf.name.len) {
        p = ngx_snprintf(p, len, ", stream: \"%V\"", &rtsp->conf.name);
    }

    return p;
}
