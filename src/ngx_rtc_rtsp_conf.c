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
 * The RTSP client at configuration time: the cameras' addresses
 * (ngx_rtc_rtsp_init_conf()) and the TLS context of rtsps:// cameras and
 * wheps:// sources (ngx_rtc_rtsp_init_ssl()).
 */


#define NGX_RTC_RTSP_VERIFY_DEPTH     4


static ngx_int_t ngx_rtc_rtsp_init_addr(ngx_conf_t *cf,
    ngx_rtc_stream_conf_t *scf, ngx_resolver_t *resolver,
    ngx_msec_t resolver_timeout);
static ngx_int_t ngx_rtc_rtsp_init_ssl(ngx_conf_t *cf,
    ngx_rtc_main_conf_t *rmcf);
static void ngx_rtc_rtsp_ssl_cleanup(void *data);


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
