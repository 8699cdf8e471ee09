/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_producer.h>


/*
 * The WHEP endpoint (RFC 9725 conventions): POST an SDP offer to the
 * stream's URL -> 201 with the answer and the session's URL; DELETE that
 * URL -> 200, from whichever worker receives it; OPTIONS -> 204.
 */


#define NGX_RTC_WHEP_MAX_OFFER  65536
#define NGX_RTC_WHEP_POLL       50


typedef struct {
    ngx_http_request_t       *request;
    ngx_rtc_stream_t         *stream;
    ngx_rtc_sdp_t            *offer;
    ngx_event_t               wait;
    ngx_msec_t                deadline;
    u_char                    id[NGX_RTC_ID_LEN];
    unsigned                  registered:1;
} ngx_rtc_whep_ctx_t;


static ngx_int_t ngx_rtc_whep_options(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_whep_post(ngx_http_request_t *r);
static void ngx_rtc_whep_body(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_whep_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_rtc_whep_wait(ngx_event_t *ev);
static ngx_int_t ngx_rtc_whep_ready(ngx_rtc_stream_t *st);
static void ngx_rtc_whep_answer(ngx_rtc_whep_ctx_t *ctx);
static void ngx_rtc_whep_cleanup(void *data);
static ngx_int_t ngx_rtc_whep_delete(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_whep_stream_name(ngx_http_request_t *r,
    ngx_str_t *name);
static void ngx_rtc_whep_last_segment(ngx_str_t *uri, ngx_str_t *seg);
static ngx_int_t ngx_rtc_whep_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value);


ngx_int_t
ngx_rtc_whep_handler(ngx_http_request_t *r)
{
    if (ngx_rtc_shm_ctx() == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    switch (r->method) {

    case NGX_HTTP_OPTIONS:
        return ngx_rtc_whep_options(r);

    case NGX_HTTP_POST:
        return ngx_rtc_whep_post(r);

    case NGX_HTTP_DELETE:
        return ngx_rtc_whep_delete(r);

    default:
        return NGX_HTTP_NOT_ALLOWED;
    }
}


static ngx_int_t
ngx_rtc_whep_options(ngx_http_request_t *r)
{
    ngx_str_t  v;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "application/sdp");

    if (ngx_rtc_whep_header(r, "Accept-Post", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, "OPTIONS, POST, DELETE");

    if (ngx_rtc_whep_header(r, "Allow", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


static ngx_int_t
ngx_rtc_whep_post(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_str_t            name, text;
    ngx_rtc_stream_t    *st;
    ngx_rtc_whep_ctx_t  *ctx;

    if (ngx_rtc_whep_stream_name(r, &name) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st = ngx_rtc_stream_find(&name);

    if (st == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtc whep unknown stream \"%V\"", &name);

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "unknown stream");
        return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
    }

    if (r->headers_in.content_type == NULL
        || r->headers_in.content_type->value.len < 15
        || ngx_strncasecmp(r->headers_in.content_type->value.data,
                           (u_char *) "application/sdp", 15) != 0)
    {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "an offer is Content-Type: application/sdp");
        return ngx_rtc_whep_text(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, &text);
    }

    if (r->headers_in.content_length_n > NGX_RTC_WHEP_MAX_OFFER) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "the offer is too large");
        return ngx_rtc_whep_text(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &text);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_whep_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->stream = st;
    ngx_http_set_ctx(r, ctx, ngx_http_rtc_module);

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_rtc_whep_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_rtc_whep_body(ngx_http_request_t *r)
{
    ngx_str_t             body, text;
    ngx_rtc_main_conf_t  *rmcf;
    ngx_pool_cleanup_t   *cln;
    ngx_rtc_whep_ctx_t   *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtc_module);
    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    if (ngx_rtc_whep_read_body(r, &body) != NGX_OK) {
        ngx_str_set(&text, "the offer is too large or unreadable");
        ngx_http_finalize_request(r,
            ngx_rtc_whep_text(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &text));
        return;
    }

    ctx->offer = ngx_palloc(r->pool, sizeof(ngx_rtc_sdp_t));
    if (ctx->offer == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_rtc_sdp_parse(body.data, body.data + body.len, ctx->offer)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtc whep bad offer: %s at line %ui",
                      ctx->offer->err, ctx->offer->err_line);

        text.data = ngx_pnalloc(r->pool, 128);
        if (text.data == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        text.len = ngx_snprintf(text.data, 128, "bad SDP offer: %s (line %ui)",
                                ctx->offer->err ? ctx->offer->err : "invalid",
                                ctx->offer->err_line)
                   - text.data;

        ngx_http_finalize_request(r,
                          ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text));
        return;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL
        || ngx_rtc_session_id(ctx->id) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = ngx_rtc_whep_cleanup;
    cln->data = ctx;

    /* the registered session is the stream's demand: it starts a producer */

    if (ngx_rtc_shm_session_add(ctx->stream->conf->index, ctx->id,
                                rmcf->max_sessions)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "rtc whep session limit %ui reached",
                      rmcf->max_sessions);

        ngx_str_set(&text, "too many sessions");
        r->headers_out.status = NGX_HTTP_SERVICE_UNAVAILABLE;
        ngx_str_set(&body, "5");
        (void) ngx_rtc_whep_header(r, "Retry-After", &body);
        ngx_http_finalize_request(r,
                  ngx_rtc_whep_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, &text));
        return;
    }

    ctx->registered = 1;
    ctx->deadline = ngx_current_msec + rmcf->wait_timeout;

    ctx->wait.handler = ngx_rtc_whep_wait;
    ctx->wait.data = ctx;
    ctx->wait.log = r->connection->log;

    if (ngx_rtc_whep_ready(ctx->stream)) {
        ngx_rtc_whep_answer(ctx);
        return;
    }

    ngx_rtc_producer_kick();
    ngx_add_timer(&ctx->wait, NGX_RTC_WHEP_POLL);
}


static ngx_int_t
ngx_rtc_whep_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_str_set(body, "");
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > NGX_RTC_WHEP_MAX_OFFER) {
        return NGX_ERROR;
    }

    body->data = ngx_pnalloc(r->pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    body->len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, body->data + body->len,
                              b->file_last - b->file_pos, b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NGX_ERROR;
            }

            body->len += n;
            continue;
        }

        body->len = ngx_cpymem(body->data + body->len, b->pos,
                               b->last - b->pos)
                    - body->data;
    }

    return NGX_OK;
}


/*
 * The camera of an on-demand stream connects when the first viewer comes:
 * the offer waits (bounded) for the stream's codec and first keyframe.
 */

static ngx_int_t
ngx_rtc_whep_ready(ngx_rtc_stream_t *st)
{
    ngx_uint_t  codec;

    codec = st->sh->codec;

    if (codec == NGX_RTC_CODEC_NONE) {
        return 0;
    }

    return codec != NGX_RTC_CODEC_H264 || ngx_rtc_ring_last_key(st->ring);
}


static void
ngx_rtc_whep_wait(ngx_event_t *ev)
{
    ngx_rtc_whep_ctx_t *ctx = ev->data;

    u_char               *p;
    ngx_str_t             text, v;
    ngx_http_request_t   *r;
    ngx_rtc_stream_sh_t  *sh;

    r = ctx->request;

    if (ngx_rtc_whep_ready(ctx->stream)) {
        ngx_rtc_whep_answer(ctx);
        return;
    }

    if ((ngx_msec_int_t) (ngx_current_msec - ctx->deadline) < 0
        && !ngx_exiting)
    {
        ngx_add_timer(ev, NGX_RTC_WHEP_POLL);
        return;
    }

    sh = ctx->stream->sh;

    text.data = ngx_pnalloc(r->pool, 64 + NGX_RTC_ERROR_LEN);
    if (text.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_sprintf(text.data, "stream \"%V\" is not ready",
                    &ctx->stream->conf->name);

    if (sh->error_len) {
        p = ngx_sprintf(p, ": %*s", ngx_min(sh->error_len, NGX_RTC_ERROR_LEN),
                        sh->error);
    }

    text.len = p - text.data;

    ngx_str_set(&v, "5");
    (void) ngx_rtc_whep_header(r, "Retry-After", &v);

    ngx_http_finalize_request(r,
                  ngx_rtc_whep_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, &text));
}


static void
ngx_rtc_whep_answer(ngx_rtc_whep_ctx_t *ctx)
{
    u_char                    *p;
    ngx_int_t                  rc;
    ngx_buf_t                 *b;
    ngx_str_t                  v;
    ngx_chain_t                out;
    ngx_http_request_t        *r;
    ngx_rtc_session_t         *s;
    ngx_rtc_session_result_t   res;

    r = ctx->request;

    ngx_memzero(&res, sizeof(ngx_rtc_session_result_t));

    s = ngx_rtc_session_create(ctx->stream, ctx->id, ctx->offer, r->pool,
                               &res);
    if (s == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtc whep offer refused: %V", &res.reason);

        ngx_http_finalize_request(r,
                                  ngx_rtc_whep_text(r, res.status, &res.reason));
        return;
    }

    /* the session owns the registration from now on */
    ctx->registered = 0;

    /* Location: the stream's URL with the session id as the last segment */

    v.data = ngx_pnalloc(r->pool, r->uri.len + 1 + 2 * NGX_RTC_ID_LEN);
    if (v.data == NULL) {
        ngx_rtc_session_close(s, "no memory");
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_cpymem(v.data, r->uri.data, r->uri.len);

    if (p > v.data && p[-1] != '/') {
        *p++ = '/';
    }

    p = ngx_cpymem(p, s->hex, 2 * NGX_RTC_ID_LEN);
    v.len = p - v.data;

    if (ngx_rtc_whep_header(r, "Location", &v) != NGX_OK) {
        goto failed;
    }

    v.data = ngx_pnalloc(r->pool, 2 * NGX_RTC_ID_LEN + 2);
    if (v.data == NULL) {
        goto failed;
    }

    p = ngx_sprintf(v.data, "\"%*s\"", (size_t) 2 * NGX_RTC_ID_LEN, s->hex);
    v.len = p - v.data;

    if (ngx_rtc_whep_header(r, "ETag", &v) != NGX_OK) {
        goto failed;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        goto failed;
    }

    b->pos = res.answer.data;
    b->last = res.answer.data + res.answer.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    r->headers_out.status = NGX_HTTP_CREATED;
    r->headers_out.content_length_n = res.answer.len;
    ngx_str_set(&r->headers_out.content_type, "application/sdp");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
    return;

failed:

    ngx_rtc_session_close(s, "no memory");
    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static void
ngx_rtc_whep_cleanup(void *data)
{
    ngx_rtc_whep_ctx_t *ctx = data;

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    if (ctx->registered) {
        ngx_rtc_shm_session_del(ctx->id);
        ctx->registered = 0;
    }
}


static ngx_int_t
ngx_rtc_whep_delete(ngx_http_request_t *r)
{
    u_char              id[NGX_RTC_ID_LEN];
    ngx_int_t           n;
    ngx_str_t           seg, text;
    ngx_uint_t          i, slot;
    ngx_rtc_session_t  *s;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&text, "unknown session");

    ngx_rtc_whep_last_segment(&r->uri, &seg);

    if (seg.len != 2 * NGX_RTC_ID_LEN) {
        return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
    }

    for (i = 0; i < NGX_RTC_ID_LEN; i++) {
        n = ngx_hextoi(seg.data + 2 * i, 2);
        if (n == NGX_ERROR) {
            return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
        }

        id[i] = (u_char) n;
    }

    if (id[0] == ngx_worker) {
        s = ngx_rtc_stream_session(id);

        if (s) {
            ngx_rtc_session_close(s, "deleted");
            ngx_str_set(&text, "session deleted");
            return ngx_rtc_whep_text(r, NGX_HTTP_OK, &text);
        }
    }

    /* another worker owns it: flag it in the zone and wake that worker */

    if (ngx_rtc_shm_session_close(id, &slot) != NGX_OK) {
        return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
    }

    ngx_rtc_shm_wake_slot(slot);

    ngx_str_set(&text, "session deleted");
    return ngx_rtc_whep_text(r, NGX_HTTP_OK, &text);
}


static ngx_int_t
ngx_rtc_whep_stream_name(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_rtc_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    if (rlcf->whep_stream) {
        return ngx_http_complex_value(r, rlcf->whep_stream, name);
    }

    ngx_rtc_whep_last_segment(&r->uri, name);

    return NGX_OK;
}


static void
ngx_rtc_whep_last_segment(ngx_str_t *uri, ngx_str_t *seg)
{
    u_char  *p, *end;

    end = uri->data + uri->len;

    while (end > uri->data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > uri->data && p[-1] != '/'; p--) {
        /* void */
    }

    seg->data = p;
    seg->len = end - p;
}


ngx_int_t
ngx_rtc_whep_text(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *text)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    b = ngx_create_temp_buf(r->pool, text->len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text->data, text->len);
    *b->last++ = LF;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_rtc_whep_header(ngx_http_request_t *r, char *key, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    return NGX_OK;
}
