/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_whep_url.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_session_patch.h>
#include <ngx_rtc_producer.h>
#include <ngx_rtc_whep_offer.h>
#include <ngx_rtc_http_reply.h>


/*
 * The WHEP endpoint (RFC 9725 conventions): POST an SDP offer to the
 * stream's URL -> 201 with the answer and the session's URL; PATCH that URL
 * with an SDP fragment (RFC 8840) -> 204 for trickled candidates, 200 with
 * our new credentials for an ICE restart; DELETE it -> 200; OPTIONS -> 204.
 * PATCH and DELETE work from whichever worker receives them: the session's
 * owner acts, reached through the zone (a flag for DELETE, the mailbox for
 * PATCH) and its eventfd.  The owner's side of a PATCH is in
 * ngx_rtc_session_patch.c.
 */


#define NGX_RTC_WHEP_MAX_OFFER     65536

/* a PATCH waits this long for the owner of its session */
#define NGX_RTC_WHEP_MBOX_POLL     10
#define NGX_RTC_WHEP_MBOX_TIME     2000

#define NGX_RTC_WHEP_FRAG_TYPE     "application/trickle-ice-sdpfrag"


typedef struct {
    ngx_http_request_t       *request;
    ngx_rtc_whep_offer_t      offer;      /* a POST */
    ngx_event_t               wait;
    ngx_msec_t                deadline;
    ngx_rtc_mbox_msg_t       *msg;        /* a PATCH */
    u_char                    id[NGX_RTC_ID_LEN];
    unsigned                  posted:1;   /* in the mailbox */
} ngx_rtc_whep_ctx_t;


static ngx_int_t ngx_rtc_whep_options(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_whep_post(ngx_http_request_t *r);
static void ngx_rtc_whep_body(ngx_http_request_t *r);
static void ngx_rtc_whep_offered(ngx_rtc_whep_offer_t *o);
static void ngx_rtc_whep_created(ngx_http_request_t *r,
    ngx_rtc_session_t *s, ngx_str_t *answer);
static void ngx_rtc_whep_cleanup(void *data);
static ngx_int_t ngx_rtc_whep_delete(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_whep_patch(ngx_http_request_t *r);
static void ngx_rtc_whep_patch_body(ngx_http_request_t *r);
static void ngx_rtc_whep_patch_wait(ngx_event_t *ev);
static void ngx_rtc_whep_patch_reply(ngx_http_request_t *r,
    ngx_rtc_mbox_msg_t *msg);
static ngx_int_t ngx_rtc_whep_stream_name(ngx_http_request_t *r,
    ngx_str_t *name);
static void ngx_rtc_whep_log_name(ngx_http_request_t *r, ngx_str_t *name);
static ngx_int_t ngx_rtc_whep_cors(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_whep_links(ngx_http_request_t *r);
static u_char *ngx_rtc_whep_quote(u_char *p, ngx_str_t *s);
static ngx_int_t ngx_rtc_whep_header_str(ngx_http_request_t *r, char *key,
    char *value);


ngx_int_t
ngx_rtc_whep_handler(ngx_http_request_t *r)
{
    if (ngx_rtc_shm_ctx() == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ngx_rtc_whep_cors(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (r->method) {

    case NGX_HTTP_OPTIONS:
        return ngx_rtc_whep_options(r);

    case NGX_HTTP_POST:
        return ngx_rtc_whep_post(r);

    case NGX_HTTP_PATCH:
        return ngx_rtc_whep_patch(r);

    case NGX_HTTP_DELETE:
        return ngx_rtc_whep_delete(r);

    default:
        return NGX_HTTP_NOT_ALLOWED;
    }
}


/*
 * OPTIONS: what the endpoint takes, its ICE servers and, for a CORS
 * preflight (Fetch standard, 3.2.2), the methods and request headers
 * allowed.
 */

static ngx_int_t
ngx_rtc_whep_options(ngx_http_request_t *r)
{
    ngx_rtc_loc_conf_t  *rlcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    if (rlcf->cors.len
        && ngx_rtc_whep_header_in(r, "Access-Control-Request-Method"))
    {
        if (ngx_rtc_whep_header_str(r, "Access-Control-Allow-Methods",
                                    "OPTIONS, POST, PATCH, DELETE")
            != NGX_OK
            || ngx_rtc_whep_header_str(r, "Access-Control-Allow-Headers",
                                       "Content-Type, If-Match, "
                                       "Authorization")
               != NGX_OK
            || ngx_rtc_whep_header_str(r, "Access-Control-Max-Age", "86400")
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_rtc_whep_header_str(r, "Accept-Post", "application/sdp")
        != NGX_OK
        || ngx_rtc_whep_header_str(r, "Accept-Patch", NGX_RTC_WHEP_FRAG_TYPE)
           != NGX_OK
        || ngx_rtc_whep_header_str(r, "Allow", "OPTIONS, POST, PATCH, DELETE")
           != NGX_OK
        || ngx_rtc_whep_links(r) != NGX_OK)
    {
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
    ngx_str_t  name;

    if (ngx_rtc_whep_stream_name(r, &name) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_rtc_whep_post_stream(r, &name);
}


/* POST an offer for the stream "name"; the session's URL is the URI's */

ngx_int_t
ngx_rtc_whep_post_stream(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_rtc_stream_t    *st;
    ngx_rtc_whep_ctx_t  *ctx;

    st = ngx_rtc_stream_find(name);

    if (st == NULL) {
        if (r->connection->log->log_level >= NGX_LOG_INFO) {
            ngx_rtc_whep_log_name(r, name);
        }

        /*
         * An exiting worker knows an older configuration than the one
         * that runs: the retry (on a new connection: nginx keeps none
         * alive while exiting) reaches a worker that knows the name.
         */

        if (ngx_exiting) {
            (void) ngx_rtc_whep_header_str(r, "Retry-After", "1");

            return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "the server is restarting: try again");
        }

        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_NOT_FOUND,
                                         "unknown stream");
    }

    if (r->headers_in.content_type == NULL
        || r->headers_in.content_type->value.len < 15
        || ngx_strncasecmp(r->headers_in.content_type->value.data,
                           (u_char *) "application/sdp", 15) != 0)
    {
        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                 "an offer is Content-Type: application/sdp");
    }

    if (r->headers_in.content_length_n > NGX_RTC_WHEP_MAX_OFFER) {
        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "the offer is too large");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_whep_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->offer.stream = st;
    ngx_http_set_ctx(r, ctx, ngx_http_rtc_module);

    return ngx_rtc_whep_offer_read(r, ngx_rtc_whep_body);
}


static void
ngx_rtc_whep_body(ngx_http_request_t *r)
{
    ngx_str_t            body;
    ngx_rtc_whep_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtc_module);

    if (ngx_rtc_whep_offer_body(r, &body, NGX_RTC_WHEP_MAX_OFFER) != NGX_OK) {
        return;
    }

    ctx->offer.handler = ngx_rtc_whep_offered;
    ctx->offer.data = r;

    ngx_rtc_whep_offer_request(&ctx->offer, r, &body);
}


static void
ngx_rtc_whep_offered(ngx_rtc_whep_offer_t *o)
{
    ngx_http_request_t *r = o->data;

    if (o->status) {
        if (o->retry) {
            (void) ngx_rtc_whep_header_str(r, "Retry-After", "5");
        }

        ngx_http_finalize_request(r, ngx_rtc_whep_text(r, o->status,
                                                       &o->text));
        return;
    }

    ngx_rtc_whep_created(r, o->session, &o->text);
}


ngx_int_t
ngx_rtc_whep_read_body(ngx_http_request_t *r, ngx_str_t *body, size_t max)
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

    if (len > max) {
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


static void
ngx_rtc_whep_created(ngx_http_request_t *r, ngx_rtc_session_t *s,
    ngx_str_t *answer)
{
    u_char     *p;
    ngx_buf_t  *b;
    ngx_str_t   v;

    /*
     * Location: the stream's URL with the session id as the last segment,
     * from the decoded URI percent-encoded again (a "%0d%0a" in the
     * request stays one there)
     */

    v.data = ngx_pnalloc(r->pool, ngx_rtc_whep_url_location_len(&r->uri));
    if (v.data == NULL) {
        goto failed;
    }

    p = ngx_rtc_whep_url_location(v.data, &r->uri, s->hex);
    v.len = p - v.data;

    if (ngx_rtc_http_reply_header(r, "Location", &v) != NGX_OK) {
        goto failed;
    }

    v.data = ngx_pnalloc(r->pool, NGX_RTC_SESSION_ETAG_LEN);
    if (v.data == NULL) {
        goto failed;
    }

    v.len = ngx_rtc_session_patch_etag(v.data, s);

    if (ngx_rtc_http_reply_header(r, "ETag", &v) != NGX_OK
        || ngx_rtc_whep_header_str(r, "Accept-Patch", NGX_RTC_WHEP_FRAG_TYPE)
           != NGX_OK
        || ngx_rtc_whep_links(r) != NGX_OK)
    {
        goto failed;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        goto failed;
    }

    b->pos = answer->data;
    b->last = answer->data + answer->len;
    b->memory = 1;

    ngx_http_finalize_request(r, ngx_rtc_http_reply(r, NGX_HTTP_CREATED,
                                                    "application/sdp", b));
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

    if (ctx->posted) {
        ngx_rtc_shm_mbox_cancel(ctx->msg);
        ctx->posted = 0;
    }
}


static ngx_int_t
ngx_rtc_whep_delete(ngx_http_request_t *r)
{
    u_char              id[NGX_RTC_ID_LEN];
    ngx_str_t           text;
    ngx_uint_t          slot;
    ngx_rtc_session_t  *s;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&text, "unknown session");

    if (ngx_rtc_whep_url_parse_id(&r->uri, id) != NGX_OK) {
        return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
    }

    if (ngx_rtc_shm_id_slot(id) == ngx_worker) {
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


/*
 * PATCH (RFC 9725, 4.3; RFC 8840 fragments): trickled candidates -> 204,
 * new ice-ufrag/ice-pwd -> ICE restart, 200 with ours; If-Match, when
 * given, must name the session's current ETag ("*" matches any) -> 412.
 */

static ngx_int_t
ngx_rtc_whep_patch(ngx_http_request_t *r)
{
    u_char               id[NGX_RTC_ID_LEN];
    size_t               len;
    ngx_int_t            rc;
    ngx_str_t            text;
    ngx_rtc_whep_ctx_t  *ctx;

    len = sizeof(NGX_RTC_WHEP_FRAG_TYPE) - 1;

    if (ngx_rtc_whep_url_parse_id(&r->uri, id) != NGX_OK) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "unknown session");
        return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
    }

    if (r->headers_in.content_type == NULL
        || r->headers_in.content_type->value.len < len
        || ngx_strncasecmp(r->headers_in.content_type->value.data,
                           (u_char *) NGX_RTC_WHEP_FRAG_TYPE, len) != 0)
    {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "a PATCH is Content-Type: "
                           NGX_RTC_WHEP_FRAG_TYPE);
        return ngx_rtc_whep_text(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, &text);
    }

    if (r->headers_in.content_length_n > NGX_RTC_MBOX_DATA) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "the SDP fragment is too large");
        return ngx_rtc_whep_text(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &text);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_whep_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->msg = ngx_pcalloc(r->pool, sizeof(ngx_rtc_mbox_msg_t));
    if (ctx->msg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ngx_memcpy(ctx->id, id, NGX_RTC_ID_LEN);
    ngx_http_set_ctx(r, ctx, ngx_http_rtc_module);

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_rtc_whep_patch_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_rtc_whep_patch_body(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_str_t             body, text;
    ngx_uint_t            slot;
    ngx_table_elt_t      *h;
    ngx_rtc_session_t    *s;
    ngx_pool_cleanup_t   *cln;
    ngx_rtc_whep_ctx_t   *ctx;
    ngx_rtc_mbox_msg_t   *msg;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtc_module);
    msg = ctx->msg;

    if (ngx_rtc_whep_read_body(r, &body, NGX_RTC_MBOX_DATA) != NGX_OK) {
        ngx_str_set(&text, "the SDP fragment is too large or unreadable");
        ngx_http_finalize_request(r,
            ngx_rtc_whep_text(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &text));
        return;
    }

    msg->op = NGX_RTC_MBOX_PATCH;
    ngx_memcpy(msg->id, ctx->id, NGX_RTC_ID_LEN);
    msg->len = body.len;
    ngx_memcpy(msg->data, body.data, body.len);

    h = r->headers_in.if_match;

    if (h) {
        if (h->value.len > NGX_RTC_MBOX_TAG || h->value.len == 0) {
            ngx_str_set(&text, "If-Match does not match the session's ETag");
            ngx_http_finalize_request(r,
                ngx_rtc_whep_text(r, NGX_HTTP_PRECONDITION_FAILED, &text));
            return;
        }

        msg->tag_len = h->value.len;
        ngx_memcpy(msg->tag, h->value.data, h->value.len);
    }

    /* a session of this worker */

    s = (ngx_rtc_shm_id_slot(ctx->id) == ngx_worker)
        ? ngx_rtc_stream_session(ctx->id) : NULL;

    if (s) {
        ngx_rtc_session_patch_apply(s, msg, r->pool);
        ngx_rtc_whep_patch_reply(r, msg);
        return;
    }

    /* of another worker: through the mailbox */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = ngx_rtc_whep_cleanup;
    cln->data = ctx;

    rc = ngx_rtc_shm_mbox_post(msg, &slot);

    if (rc == NGX_DECLINED) {
        ngx_str_set(&text, "unknown session");
        ngx_http_finalize_request(r,
                          ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text));
        return;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "rtc whep mailbox full");

        ngx_str_set(&text, "too many requests in flight");
        (void) ngx_rtc_whep_header_str(r, "Retry-After", "1");
        ngx_http_finalize_request(r,
                  ngx_rtc_whep_text(r, NGX_HTTP_SERVICE_UNAVAILABLE, &text));
        return;
    }

    ctx->posted = 1;
    ngx_rtc_shm_wake_slot(slot);

    ctx->deadline = ngx_current_msec + NGX_RTC_WHEP_MBOX_TIME;
    ctx->wait.handler = ngx_rtc_whep_patch_wait;
    ctx->wait.data = ctx;
    ctx->wait.log = r->connection->log;

    ngx_add_timer(&ctx->wait, NGX_RTC_WHEP_MBOX_POLL);
}


static void
ngx_rtc_whep_patch_wait(ngx_event_t *ev)
{
    ngx_rtc_whep_ctx_t *ctx = ev->data;

    u_char               hex[2 * NGX_RTC_ID_LEN];
    ngx_int_t            rc;
    ngx_str_t            text;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    rc = ngx_rtc_shm_mbox_result(ctx->msg);

    if (rc == NGX_OK) {
        ctx->posted = 0;
        ngx_rtc_whep_patch_reply(r, ctx->msg);
        ngx_http_run_posted_requests(c);
        return;
    }

    if (rc == NGX_AGAIN
        && (ngx_msec_int_t) (ngx_current_msec - ctx->deadline) < 0)
    {
        ngx_add_timer(ev, NGX_RTC_WHEP_MBOX_POLL);
        return;
    }

    ngx_rtc_shm_mbox_cancel(ctx->msg);
    ctx->posted = 0;

    ngx_hex_dump(hex, ctx->id, NGX_RTC_ID_LEN);

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "rtc whep the worker of session %*s did not answer",
                  (size_t) 2 * NGX_RTC_ID_LEN, hex);

    ngx_str_set(&text, "the session's worker did not answer");
    ngx_http_finalize_request(r,
                  ngx_rtc_whep_text(r, NGX_HTTP_GATEWAY_TIME_OUT, &text));

    ngx_http_run_posted_requests(c);
}



static void
ngx_rtc_whep_patch_reply(ngx_http_request_t *r, ngx_rtc_mbox_msg_t *msg)
{
    ngx_str_t   v;
    ngx_buf_t  *b;

    /* If-Match was ours to check: not the not_modified filter's */
    r->disable_not_modified = 1;

    if (msg->tag_len) {
        v.data = ngx_pnalloc(r->pool, msg->tag_len);
        if (v.data == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        v.len = msg->tag_len;
        ngx_memcpy(v.data, msg->tag, msg->tag_len);

        if (ngx_rtc_http_reply_header(r, "ETag", &v) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    if (msg->status == NGX_HTTP_NO_CONTENT) {
        r->headers_out.status = NGX_HTTP_NO_CONTENT;
        r->headers_out.content_length_n = 0;
        r->header_only = 1;

        ngx_http_finalize_request(r, ngx_http_send_header(r));
        return;
    }

    if (msg->status != NGX_HTTP_OK) {
        v.data = msg->data;
        v.len = msg->len;

        if (msg->status == NGX_HTTP_TOO_MANY_REQUESTS) {
            (void) ngx_rtc_whep_header_str(r, "Retry-After",
                                  ngx_value(NGX_RTC_SESSION_RESTART_SECONDS));
        }

        ngx_http_finalize_request(r,
                                  ngx_rtc_whep_text(r, msg->status, &v));
        return;
    }

    b = ngx_create_temp_buf(r->pool, msg->len ? msg->len : 1);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    b->last = ngx_cpymem(b->last, msg->data, msg->len);

    ngx_http_finalize_request(r, ngx_rtc_http_reply(r, NGX_HTTP_OK,
                                                    NGX_RTC_WHEP_FRAG_TYPE,
                                                    b));
}


static ngx_int_t
ngx_rtc_whep_stream_name(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_rtc_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    if (rlcf->whep_stream) {
        return ngx_http_complex_value(r, rlcf->whep_stream, name);
    }

    ngx_rtc_whep_url_segment(&r->uri, name);

    return NGX_OK;
}


/*
 * A stream name comes from the (decoded) URI: it is logged with its bytes
 * outside printable ASCII as \xHH, so that no request writes a line of
 * its own into error.log; at most 64 of them.
 */

static void
ngx_rtc_whep_log_name(ngx_http_request_t *r, ngx_str_t *name)
{
    u_char      *p, buf[64 * 4];
    ngx_uint_t   i, n;

    static u_char  hex[] = "0123456789abcdef";

    p = buf;
    n = ngx_min(name->len, 64);

    for (i = 0; i < n; i++) {

        if (name->data[i] >= 0x20 && name->data[i] < 0x7f
            && name->data[i] != '\\' && name->data[i] != '"')
        {
            *p++ = name->data[i];
            continue;
        }

        *p++ = '\\';
        *p++ = 'x';
        *p++ = hex[name->data[i] >> 4];
        *p++ = hex[name->data[i] & 0xf];
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "rtc whep unknown stream \"%*s%s\"", (size_t) (p - buf),
                  buf, name->len > n ? "..." : "");
}


/*
 * rtc_cors: every answer of the endpoint, errors too, names the origin
 * allowed to read it and the response headers a WHEP client needs.
 */

static ngx_int_t
ngx_rtc_whep_cors(ngx_http_request_t *r)
{
    ngx_rtc_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    if (rlcf->cors.len == 0) {
        return NGX_OK;
    }

    if (ngx_rtc_http_reply_header(r, "Access-Control-Allow-Origin",
                                  &rlcf->cors)
        != NGX_OK
        || ngx_rtc_whep_header_str(r, "Access-Control-Expose-Headers",
                                   "Location, ETag, Link, Accept-Patch, "
                                   "Accept-Post, Retry-After")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rlcf->cors.len == 1 && rlcf->cors.data[0] == '*') {
        return NGX_OK;
    }

    return ngx_rtc_whep_header_str(r, "Vary", "Origin");
}


/*
 * RFC 9725, 4.6: the ICE servers a client may use, one Link header each:
 *
 *   Link: <turn:192.0.2.1:3478?transport=udp>; rel="ice-server";
 *         username="user"; credential="secret"; credential-type="password"
 *
 * A URL that does not parse is not sent: nothing of the configuration
 * reaches a header unchecked.
 */

static ngx_int_t
ngx_rtc_whep_links(ngx_http_request_t *r)
{
    u_char                *p;
    size_t                 len;
    ngx_str_t              v;
    ngx_uint_t             i;
    ngx_rtc_ice_url_t      u;
    ngx_rtc_main_conf_t   *rmcf;
    ngx_rtc_ice_server_t  *srv;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    if (rmcf->ice_servers == NULL) {
        return NGX_OK;
    }

    srv = rmcf->ice_servers->elts;

    for (i = 0; i < rmcf->ice_servers->nelts; i++) {

        if (ngx_rtc_ice_parse_url(&srv[i].url, &u) != NGX_OK) {
            continue;
        }

        len = sizeof("<>; rel=\"ice-server\"; username=\"\"; credential=\"\"; "
                     "credential-type=\"password\"") - 1
              + srv[i].url.len
              + 2 * srv[i].username.len + 2 * srv[i].credential.len;

        v.data = ngx_pnalloc(r->pool, len);
        if (v.data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_sprintf(v.data, "<%V>; rel=\"ice-server\"", &srv[i].url);

        if (u.type == NGX_RTC_ICE_TURN
            && (srv[i].username.len || srv[i].credential.len))
        {
            p = ngx_cpymem(p, "; username=\"", sizeof("; username=\"") - 1);
            p = ngx_rtc_whep_quote(p, &srv[i].username);
            p = ngx_cpymem(p, "\"; credential=\"",
                           sizeof("\"; credential=\"") - 1);
            p = ngx_rtc_whep_quote(p, &srv[i].credential);
            p = ngx_cpymem(p, "\"; credential-type=\"password\"",
                           sizeof("\"; credential-type=\"password\"") - 1);
        }

        v.len = p - v.data;

        if (ngx_rtc_http_reply_header(r, "Link", &v) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the inside of an RFC 9110 quoted-string; control characters dropped */

static u_char *
ngx_rtc_whep_quote(u_char *p, ngx_str_t *s)
{
    u_char  *c, *end;

    end = s->data + s->len;

    for (c = s->data; c < end; c++) {

        if (*c < 0x20 || *c == 0x7f) {
            continue;
        }

        if (*c == '"' || *c == '\\') {
            *p++ = '\\';
        }

        *p++ = *c;
    }

    return p;
}


ngx_table_elt_t *
ngx_rtc_whep_header_in(ngx_http_request_t *r, char *key)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(key);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) key, len) == 0)
        {
            return &h[i];
        }
    }
}


ngx_int_t
ngx_rtc_whep_text(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *text)
{
    ngx_buf_t  *b;

    b = ngx_create_temp_buf(r->pool, text->len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text->data, text->len);
    *b->last++ = LF;

    return ngx_rtc_http_reply(r, status, "text/plain", b);
}


static ngx_int_t
ngx_rtc_whep_header_str(ngx_http_request_t *r, char *key, char *value)
{
    ngx_str_t  v;

    v.data = (u_char *) value;
    v.len = ngx_strlen(value);

    return ngx_rtc_http_reply_header(r, key, &v);
}
