/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_json.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_status.h>
#include <ngx_rtc_snapshot.h>
#include <ngx_rtc_runtime.h>
#include <ngx_rtc_whep.h>
#include <ngx_rtc_whep_offer.h>
#include <ngx_rtc_ws.h>
#include <ngx_rtc_go2rtc.h>
#include <ngx_rtc_http_reply.h>


/*
 * The part of go2rtc's API (github.com/AlexxIT/go2rtc, internal/api and
 * internal/webrtc) that Home Assistant's go2rtc integration and the
 * WebRTC Camera card use, on nginx-rtc's streams:
 *
 *   GET  /api                  {"version": ...}
 *   GET  /api/streams[?src=]   the streams, their source URLs redacted
 *   PUT  /api/streams?name=&src=   a stream by that name (ngx_rtc_runtime.c)
 *   GET  /api/schemes          the source schemes we pull
 *   GET  /api/ws?src=          WebSocket: WebRTC signalling
 *   POST /api/webrtc?src=      a JSON offer -> a JSON answer; an SDP offer
 *                              as WHEP (PATCH, DELETE /api/webrtc/ID)
 *   GET  /api/frame.jpeg?src=  the snapshot of rtc_snapshot
 *
 * Offers go through the WHEP machinery (ngx_rtc_whep_offer.c): the same
 * sessions, limits and answers.
 */


#define NGX_RTC_GO2RTC_MAX_BODY    (2 * 65536)
#define NGX_RTC_GO2RTC_CANDS       32     /* trickled before the answer */
#define NGX_RTC_GO2RTC_CAND_LEN    512


typedef struct {
    ngx_rtc_ws_t              ws;
    ngx_http_request_t       *request;
    ngx_str_t                 src;
    ngx_rtc_whep_offer_t     *offer;
    ngx_str_t                 cands[NGX_RTC_GO2RTC_CANDS];
    ngx_uint_t                ncands;
    unsigned                  v2:1;       /* {"type":"webrtc"} messages */
    unsigned                  answered:1;
} ngx_rtc_go2rtc_ws_t;


typedef struct {
    ngx_http_request_t       *request;
    ngx_rtc_whep_offer_t      offer;
    ngx_str_t                 src;
} ngx_rtc_go2rtc_post_t;


static ngx_int_t ngx_rtc_go2rtc_src(ngx_http_request_t *r, char *arg,
    ngx_str_t *name);
static ngx_int_t ngx_rtc_go2rtc_stream_name(ngx_http_request_t *r,
    ngx_str_t *name);
static ngx_int_t ngx_rtc_go2rtc_origin(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_go2rtc_info(ngx_http_request_t *r);
static ngx_int_t ngx_rtc_go2rtc_streams(ngx_http_request_t *r);
static u_char *ngx_rtc_go2rtc_stream(u_char *p, ngx_rtc_stream_conf_t *scf);
static ngx_int_t ngx_rtc_go2rtc_webrtc(ngx_http_request_t *r);
static void ngx_rtc_go2rtc_webrtc_body(ngx_http_request_t *r);
static void ngx_rtc_go2rtc_webrtc_answer(ngx_rtc_whep_offer_t *o);
static ngx_int_t ngx_rtc_go2rtc_ws(ngx_http_request_t *r);
static void ngx_rtc_go2rtc_ws_message(ngx_rtc_ws_t *ws, ngx_str_t *msg);
static void ngx_rtc_go2rtc_ws_offer(ngx_rtc_go2rtc_ws_t *ctx,
    ngx_rtc_json_t *sdp);
static void ngx_rtc_go2rtc_ws_candidate(ngx_rtc_go2rtc_ws_t *ctx,
    ngx_rtc_json_t *value);
static void ngx_rtc_go2rtc_ws_answer(ngx_rtc_whep_offer_t *o);
static void ngx_rtc_go2rtc_ws_error(ngx_rtc_go2rtc_ws_t *ctx,
    ngx_str_t *reason);
static void ngx_rtc_go2rtc_ws_closed(ngx_rtc_ws_t *ws);
static ngx_int_t ngx_rtc_go2rtc_candidate_ok(ngx_str_t *c);
static ngx_int_t ngx_rtc_go2rtc_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len);


ngx_int_t
ngx_rtc_go2rtc_handler(ngx_http_request_t *r)
{
    u_char               *p, *end;
    ngx_str_t             path, text;
    ngx_rtc_loc_conf_t   *rlcf;

    if (ngx_rtc_shm_ctx() == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    /* the path after "/api": HA joins "/api/..." to the server's root */

    p = r->uri.data;
    end = r->uri.data + r->uri.len;

    for ( ;; ) {
        p = ngx_strlcasestrn(p, end, (u_char *) "/api", 4 - 1);

        if (p == NULL) {
            ngx_str_set(&text, "not a go2rtc API path");
            return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
        }

        p += 4;

        if (p == end || *p == '/') {
            break;
        }
    }

    path.data = p;
    path.len = end - p;

    if (path.len && path.data[path.len - 1] == '/') {
        path.len--;
    }

#define ngx_rtc_go2rtc_is(s)                                                  \
    (path.len == sizeof(s) - 1 && ngx_strncmp(path.data, s, path.len) == 0)

    if (path.len == 0) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        return ngx_rtc_go2rtc_info(r);
    }

    if (ngx_rtc_go2rtc_is("/streams")) {

        if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
            return ngx_rtc_go2rtc_streams(r);
        }

        if (r->method == NGX_HTTP_PUT) {
            if (ngx_http_discard_request_body(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_rtc_runtime_put(r, &rlcf->go2rtc_policy);
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_rtc_go2rtc_is("/schemes")) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_rtc_go2rtc_json(r, NGX_HTTP_OK,
                                   (u_char *) "[\"rtsp\",\"rtsps\"]", 16);
    }

    if (ngx_rtc_go2rtc_is("/ws")) {
        if (r->method != NGX_HTTP_GET) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        return ngx_rtc_go2rtc_ws(r);
    }

    if (ngx_rtc_go2rtc_is("/webrtc")) {
        if (r->method != NGX_HTTP_POST) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        return ngx_rtc_go2rtc_webrtc(r);
    }

    if (path.len > sizeof("/webrtc/") - 1
        && ngx_strncmp(path.data, "/webrtc/", sizeof("/webrtc/") - 1) == 0)
    {
        /* a session of an SDP offer: WHEP's PATCH and DELETE */

        if (!(r->method & (NGX_HTTP_PATCH|NGX_HTTP_DELETE))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        return ngx_rtc_whep_handler(r);
    }

    if (ngx_rtc_go2rtc_is("/frame.jpeg")) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        if (ngx_rtc_go2rtc_stream_name(r, &text) != NGX_OK) {
            if (ngx_http_discard_request_body(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_str_set(&text, "frame.jpeg needs ?src=STREAM");
            return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
        }

        return ngx_rtc_snapshot_stream(r, &text);
    }

#undef ngx_rtc_go2rtc_is

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&text, "not in nginx-rtc's go2rtc API");
    return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
}


/* ?src=NAME, unescaped: NGX_OK, or NGX_DECLINED (none, or not a name) */

static ngx_int_t
ngx_rtc_go2rtc_src(ngx_http_request_t *r, char *arg, ngx_str_t *name)
{
    u_char     *dst, *src;
    ngx_str_t   v;

    if (ngx_http_arg(r, (u_char *) arg, ngx_strlen(arg), &v) != NGX_OK
        || v.len == 0 || v.len > 3 * NGX_RTC_NAME_LEN)
    {
        return NGX_DECLINED;
    }

    name->data = ngx_pnalloc(r->pool, v.len);
    if (name->data == NULL) {
        return NGX_DECLINED;
    }

    dst = name->data;
    src = v.data;

    ngx_unescape_uri(&dst, &src, v.len, NGX_UNESCAPE_URI);

    name->len = dst - name->data;

    if (name->len == 0 || name->len > NGX_RTC_NAME_LEN) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * The stream of ?src=, or of ?name= when src names none: the WebRTC
 * Camera card set up with an entity sends its camera's URL as src and the
 * entity as name (go2rtc then takes the stream by name).  NGX_OK with
 * src's name when neither is a stream (the caller says "not found").
 */

static ngx_int_t
ngx_rtc_go2rtc_stream_name(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_int_t  rc, alt_rc;
    ngx_str_t  alt;

    rc = ngx_rtc_go2rtc_src(r, "src", name);
    alt_rc = ngx_rtc_go2rtc_src(r, "name", &alt);

    /* a camera's URL names no stream, and is not echoed as one */

    if (rc == NGX_OK
        && ngx_strlcasestrn(name->data, name->data + name->len,
                            (u_char *) "://", 3 - 1) != NULL)
    {
        rc = NGX_DECLINED;
    }

    /*
     * The card's src can be its camera's URL, credentials included: the
     * request line nginx logs ($request, error.log), $request_uri and
     * $args have them redacted from now on, as for PUT /api/streams.
     */

    if (ngx_rtc_runtime_redact(r->pool, &r->request_line) != NGX_OK
        || ngx_rtc_runtime_redact(r->pool, &r->unparsed_uri) != NGX_OK
        || ngx_rtc_runtime_redact(r->pool, &r->args) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rc == NGX_OK && ngx_rtc_stream_find(name) != NULL) {
        return NGX_OK;
    }

    if (alt_rc == NGX_OK
        && (rc != NGX_OK || ngx_rtc_stream_find(&alt) != NULL))
    {
        *name = alt;
        return NGX_OK;
    }

    return rc;
}


/*
 * A WebSocket is outside the browsers' same-origin policy: any page that
 * a user of the allowed network opens could watch the cameras through
 * it.  As go2rtc does: a request with an Origin (browsers send one) is
 * taken when the origin's host is the request's Host, ports aside, or
 * when rtc_cors allows the origin ("*", or that origin).  Home Assistant
 * and the card's relay through it send no Origin.
 */

static ngx_int_t
ngx_rtc_go2rtc_origin(ngx_http_request_t *r)
{
    u_char              *p, *last, *host;
    ngx_str_t           *origin;
    ngx_table_elt_t     *h;
    ngx_rtc_loc_conf_t  *rlcf;

    h = ngx_rtc_whep_header_in(r, "Origin");

    if (h == NULL) {
        return NGX_OK;
    }

    origin = &h->value;
    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    if ((rlcf->cors.len == 1 && rlcf->cors.data[0] == '*')
        || (rlcf->cors.len == origin->len
            && ngx_strncasecmp(rlcf->cors.data, origin->data, origin->len)
               == 0))
    {
        return NGX_OK;
    }

    /* scheme "://" host [":" port], host an IPv6 literal in brackets */

    last = origin->data + origin->len;
    p = ngx_strlcasestrn(origin->data, last, (u_char *) "://", 3 - 1);

    if (p == NULL || r->headers_in.server.len == 0) {
        goto refused;
    }

    host = p + 3;

    if (host < last && *host == '[') {
        p = ngx_strlchr(host, last, ']');
        p = p ? p + 1 : last;

    } else {
        for (p = host; p < last && *p != ':' && *p != '/'; p++) {
            /* void */
        }

        /* "cam.lan." is "cam.lan": nginx took Host's dot away too */

        if (p - host > 1 && p[-1] == '.') {
            p--;
        }
    }

    if ((size_t) (p - host) == r->headers_in.server.len
        && ngx_strncasecmp(host, r->headers_in.server.data, p - host) == 0)
    {
        return NGX_OK;
    }

refused:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "rtc go2rtc a WebSocket from a page of another origin "
                  "refused (rtc_cors allows it)");

    return NGX_DECLINED;
}


/*
 * GET /api: HA's integration refuses a server outside [1.9.13, 2.0.0);
 * the version is the rtc_go2rtc_version we claim compatibility with.
 */

static ngx_int_t
ngx_rtc_go2rtc_info(ngx_http_request_t *r)
{
    u_char              *p, *buf;
    ngx_rtc_loc_conf_t  *rlcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    buf = ngx_pnalloc(r->pool, 64 + 6 * rlcf->go2rtc_version.len);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(buf, "{\"version\":", sizeof("{\"version\":") - 1);
    p = ngx_rtc_status_json_str(p, rlcf->go2rtc_version.data,
                                rlcf->go2rtc_version.len);
    p = ngx_cpymem(p, ",\"server\":\"nginx-rtc\"}",
                   sizeof(",\"server\":\"nginx-rtc\"}") - 1);

    return ngx_rtc_go2rtc_json(r, NGX_HTTP_OK, buf, p - buf);
}


/*
 * GET /api/streams: {"NAME":{"producers":[{"url":...}],"consumers":[]}};
 * every producer has "url" (HA's decoder needs it), never with its
 * credentials.  ?src=NAME: that stream's object alone.
 */

static ngx_int_t
ngx_rtc_go2rtc_streams(ngx_http_request_t *r)
{
    u_char                 *p, *buf;
    size_t                  len;
    ngx_str_t               name, text;
    ngx_uint_t              i, n;
    ngx_rtc_stream_t       *st;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_rtc_go2rtc_src(r, "src", &name) == NGX_OK) {
        st = ngx_rtc_stream_find(&name);

        if (st == NULL) {
            ngx_str_set(&text, "stream not found");
            return ngx_rtc_whep_text(r, NGX_HTTP_NOT_FOUND, &text);
        }

        buf = ngx_pnalloc(r->pool, 64 + 6 * st->conf->redacted.len);
        if (buf == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_rtc_go2rtc_stream(buf, st->conf);

        return ngx_rtc_go2rtc_json(r, NGX_HTTP_OK, buf, p - buf);
    }

    /* the configured streams and the runtime ones this worker knows */

    len = 2;

    for (n = 0; (st = ngx_rtc_stream_next(n)) != NULL; n++) {
        len += 64 + 6 * (st->conf->name.len + st->conf->redacted.len);
    }

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = buf;
    *p++ = '{';

    for (i = 0; i < n; i++) {
        st = ngx_rtc_stream_next(i);

        if (i) {
            *p++ = ',';
        }

        p = ngx_rtc_status_json_str(p, st->conf->name.data,
                                    st->conf->name.len);
        *p++ = ':';
        p = ngx_rtc_go2rtc_stream(p, st->conf);
    }

    *p++ = '}';

    return ngx_rtc_go2rtc_json(r, NGX_HTTP_OK, buf, p - buf);
}


static u_char *
ngx_rtc_go2rtc_stream(u_char *p, ngx_rtc_stream_conf_t *scf)
{
    p = ngx_cpymem(p, "{\"producers\":[{\"url\":",
                   sizeof("{\"producers\":[{\"url\":") - 1);
    p = ngx_rtc_status_json_str(p, scf->redacted.data, scf->redacted.len);

    return ngx_cpymem(p, "}],\"consumers\":[]}",
                      sizeof("}],\"consumers\":[]}") - 1);
}


/*
 * POST /api/webrtc?src=NAME: application/sdp as WHEP; otherwise JSON
 * {"type":"offer","sdp":...} -> 200 {"type":"answer","sdp":...}, the
 * answer complete with our candidates (python-go2rtc-client's
 * forward_whep_sdp_offer).
 */

static ngx_int_t
ngx_rtc_go2rtc_webrtc(ngx_http_request_t *r)
{
    ngx_str_t               name, *ct;
    ngx_rtc_stream_t       *st;
    ngx_rtc_go2rtc_post_t  *ctx;

    if (ngx_rtc_go2rtc_stream_name(r, &name) != NGX_OK) {
        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_BAD_REQUEST,
                                         "an offer needs ?src=STREAM");
    }

    ct = r->headers_in.content_type ? &r->headers_in.content_type->value
                                    : NULL;

    if (ct && ct->len >= 15
        && ngx_strncasecmp(ct->data, (u_char *) "application/sdp", 15) == 0)
    {
        return ngx_rtc_whep_post_stream(r, &name);
    }

    st = ngx_rtc_stream_find(&name);

    if (st == NULL) {
        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_NOT_FOUND,
                                         "stream not found");
    }

    if (r->headers_in.content_length_n > NGX_RTC_GO2RTC_MAX_BODY) {
        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "the offer is too large");
    }

    if (ct && !(ct->len >= 16
                && ngx_strncasecmp(ct->data, (u_char *) "application/json",
                                   16) == 0))
    {
        return ngx_rtc_whep_offer_refuse(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                           "an offer is application/json or application/sdp");
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_go2rtc_post_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->src = name;
    ctx->offer.stream = st;

    ngx_http_set_ctx(r, ctx, ngx_http_rtc_module);

    return ngx_rtc_whep_offer_read(r, ngx_rtc_go2rtc_webrtc_body);
}


static void
ngx_rtc_go2rtc_webrtc_body(ngx_http_request_t *r)
{
    ngx_str_t               body, sdp, text;
    ngx_rtc_json_t          json, v;
    ngx_rtc_go2rtc_post_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtc_module);

    if (ngx_rtc_whep_offer_body(r, &body, NGX_RTC_GO2RTC_MAX_BODY) != NGX_OK) {
        return;
    }

    if (ngx_rtc_json_parse(body.data, body.data + body.len, &json) != NGX_OK
        || ngx_rtc_json_get(&json, "type", &v) != NGX_OK
        || v.type != NGX_RTC_JSON_STRING
        || v.end - v.start != sizeof("\"offer\"") - 1
        || ngx_strncmp(v.start, "\"offer\"", v.end - v.start) != 0
        || ngx_rtc_json_get(&json, "sdp", &v) != NGX_OK
        || v.type != NGX_RTC_JSON_STRING)
    {
        ngx_str_set(&text, "an offer is {\"type\":\"offer\",\"sdp\":\"...\"}");
        ngx_http_finalize_request(r,
                          ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text));
        return;
    }

    sdp.data = v.start;

    if (ngx_rtc_json_string(&v, &sdp) != NGX_OK) {
        ngx_str_set(&text, "a bad string in the offer");
        ngx_http_finalize_request(r,
                          ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text));
        return;
    }

    ctx->offer.handler = ngx_rtc_go2rtc_webrtc_answer;
    ctx->offer.data = ctx;

    ngx_rtc_whep_offer_request(&ctx->offer, r, &sdp);
}


static void
ngx_rtc_go2rtc_webrtc_answer(ngx_rtc_whep_offer_t *o)
{
    ngx_rtc_go2rtc_post_t *ctx = o->data;

    u_char              *p, *buf;
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (o->status) {
        ngx_http_finalize_request(r, ngx_rtc_whep_text(r, o->status,
                                                       &o->text));
        return;
    }

    buf = ngx_pnalloc(r->pool, 64 + 6 * o->text.len);
    if (buf == NULL) {
        ngx_rtc_session_close(o->session, "no memory");
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_cpymem(buf, "{\"type\":\"answer\",\"sdp\":",
                   sizeof("{\"type\":\"answer\",\"sdp\":") - 1);
    p = ngx_rtc_status_json_str(p, o->text.data, o->text.len);
    *p++ = '}';

    rc = ngx_rtc_go2rtc_json(r, NGX_HTTP_OK, buf, p - buf);

    ngx_http_finalize_request(r, rc);
}


/*
 * GET /api/ws?src=NAME: WebRTC signalling over a WebSocket, in the form
 * the offer came in (go2rtc's asyncHandler: "webrtc" with an object, HA;
 * "webrtc/offer" with the SDP, the card); candidates both ways as
 * "webrtc/candidate"; other message types are go2rtc's other players
 * (mse, hls, mjpeg) and are not answered.  The session lives on when
 * the WebSocket closes (the card closes it once video plays).
 */

static ngx_int_t
ngx_rtc_go2rtc_ws(ngx_http_request_t *r)
{
    ngx_str_t             name, text;
    ngx_rtc_go2rtc_ws_t  *ctx;

    if (ngx_rtc_go2rtc_origin(r) != NGX_OK) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "a WebSocket from a page of another origin: "
                    "allowed by rtc_cors only");
        return ngx_rtc_whep_text(r, NGX_HTTP_FORBIDDEN, &text);
    }

    if (ngx_rtc_go2rtc_stream_name(r, &name) != NGX_OK) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&text, "/api/ws needs ?src=STREAM");
        return ngx_rtc_whep_text(r, NGX_HTTP_BAD_REQUEST, &text);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_rtc_go2rtc_ws_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->src = name;
    ctx->ws.message = ngx_rtc_go2rtc_ws_message;
    ctx->ws.closed = ngx_rtc_go2rtc_ws_closed;
    ctx->ws.data = ctx;

    return ngx_rtc_ws_upgrade(r, &ctx->ws);
}


static void
ngx_rtc_go2rtc_ws_message(ngx_rtc_ws_t *ws, ngx_str_t *msg)
{
    ngx_rtc_go2rtc_ws_t *ctx = ws->data;

    ngx_str_t       type;
    ngx_rtc_json_t  json, t, v, sdp;

    if (ngx_rtc_json_parse(msg->data, msg->data + msg->len, &json) != NGX_OK
        || ngx_rtc_json_get(&json, "type", &t) != NGX_OK
        || t.type != NGX_RTC_JSON_STRING)
    {
        ngx_log_error(NGX_LOG_INFO, ws->connection->log, 0,
                      "rtc go2rtc a message that is not "
                      "{\"type\":...} JSON");
        ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_BAD_DATA, "bad JSON");
        return;
    }

    if (ngx_rtc_json_get(&json, "value", &v) != NGX_OK) {
        v.type = NGX_RTC_JSON_NULL;
    }

    type.data = t.start;

    if (ngx_rtc_json_string(&t, &type) != NGX_OK) {
        ngx_rtc_ws_close(ws, NGX_RTC_WS_CLOSE_BAD_DATA, "bad JSON");
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ws->connection->log, 0,
                   "rtc go2rtc message \"%*s\"",
                   ngx_min(type.len, 32), type.data);

    if (type.len == sizeof("webrtc/candidate") - 1
        && ngx_strncmp(type.data, "webrtc/candidate", type.len) == 0)
    {
        ngx_rtc_go2rtc_ws_candidate(ctx, &v);
        return;
    }

    if (type.len == sizeof("webrtc/offer") - 1
        && ngx_strncmp(type.data, "webrtc/offer", type.len) == 0)
    {
        ctx->v2 = 0;
        ngx_rtc_go2rtc_ws_offer(ctx, &v);
        return;
    }

    if (type.len == sizeof("webrtc") - 1
        && ngx_strncmp(type.data, "webrtc", type.len) == 0)
    {
        /* {"type":"offer","sdp":...,"ice_servers":[...]}: ours are ours */

        ctx->v2 = 1;

        if (ngx_rtc_json_get(&v, "type", &t) != NGX_OK
            || t.end - t.start != sizeof("\"offer\"") - 1
            || ngx_strncmp(t.start, "\"offer\"", t.end - t.start) != 0
            || ngx_rtc_json_get(&v, "sdp", &sdp) != NGX_OK)
        {
            sdp.type = NGX_RTC_JSON_NULL;
        }

        ngx_rtc_go2rtc_ws_offer(ctx, &sdp);
        return;
    }

    /* "mse", "hls", "mjpeg", ...: the card keeps to WebRTC */
}


static void
ngx_rtc_go2rtc_ws_offer(ngx_rtc_go2rtc_ws_t *ctx, ngx_rtc_json_t *sdp)
{
    u_char                *p;
    ngx_str_t              text, offer;
    ngx_rtc_stream_t      *st;
    ngx_http_request_t    *r;
    ngx_rtc_whep_offer_t  *o;

    r = ctx->request;

    if (ctx->offer) {
        ngx_str_set(&text, "one offer per connection");
        ngx_rtc_go2rtc_ws_error(ctx, &text);
        return;
    }

    if (sdp->type != NGX_RTC_JSON_STRING) {
        ngx_str_set(&text, "no SDP offer in the message");
        ngx_rtc_go2rtc_ws_error(ctx, &text);
        return;
    }

    st = ngx_rtc_stream_find(&ctx->src);

    if (st == NULL) {
        ngx_str_set(&text, "stream not found");
        ngx_rtc_go2rtc_ws_error(ctx, &text);
        return;
    }

    /*
     * Unescaped in place (it never grows), and only a good one is kept:
     * a peer repeating bad strings (a "\u0000") allocates nothing.  The
     * offer's text lives as long as the request: the SDP points in it.
     */

    offer.data = sdp->start;

    if (ngx_rtc_json_string(sdp, &offer) != NGX_OK) {
        ngx_str_set(&text, "a bad SDP string");
        ngx_rtc_go2rtc_ws_error(ctx, &text);
        return;
    }

    o = ngx_pcalloc(r->pool, sizeof(ngx_rtc_whep_offer_t));
    p = ngx_pnalloc(r->pool, offer.len);

    if (o == NULL || p == NULL) {
        ngx_str_set(&text, "no memory");
        ngx_rtc_go2rtc_ws_error(ctx, &text);
        ngx_rtc_ws_close(&ctx->ws, NGX_RTC_WS_CLOSE_ERROR, NULL);
        return;
    }

    ngx_memcpy(p, offer.data, offer.len);
    offer.data = p;

    ctx->offer = o;

    o->pool = r->pool;
    o->log = r->connection->log;
    o->stream = st;
    o->handler = ngx_rtc_go2rtc_ws_answer;
    o->data = ctx;

    if (ngx_rtc_whep_offer(o, &offer) != NGX_OK) {
        ngx_str_set(&text, "no memory");
        ngx_rtc_go2rtc_ws_error(ctx, &text);
    }
}


/*
 * {"type":"webrtc/candidate","value":"candidate:..."}: for the session
 * once answered, kept until then; "" ends the peer's gathering.
 */

static void
ngx_rtc_go2rtc_ws_candidate(ngx_rtc_go2rtc_ws_t *ctx, ngx_rtc_json_t *value)
{
    ngx_str_t   c, *keep;
    ngx_log_t  *log;

    log = ctx->ws.connection->log;

    if (value->type != NGX_RTC_JSON_STRING) {
        return;
    }

    c.data = value->start;

    if (ngx_rtc_json_string(value, &c) != NGX_OK || c.len == 0) {
        return;
    }

    if (ngx_rtc_go2rtc_candidate_ok(&c) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "rtc go2rtc a candidate that is not \"candidate:...\"");
        return;
    }

    if (ctx->answered) {
        (void) ngx_rtc_whep_offer_trickle(ctx->offer->id, &c, 1);
        return;
    }

    if (ctx->ncands == NGX_RTC_GO2RTC_CANDS) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "rtc go2rtc more than %d candidates before the answer",
                      NGX_RTC_GO2RTC_CANDS);
        return;
    }

    keep = &ctx->cands[ctx->ncands];

    keep->data = ngx_pnalloc(ctx->request->pool, c.len);
    if (keep->data == NULL) {
        return;
    }

    keep->len = c.len;
    ngx_memcpy(keep->data, c.data, c.len);
    ctx->ncands++;
}


/* RFC 8839, 5.1, with or without "a=": printable ASCII, bounded */

static ngx_int_t
ngx_rtc_go2rtc_candidate_ok(ngx_str_t *c)
{
    u_char      *p;
    ngx_uint_t   i;

    p = c->data;

    if (c->len >= 2 && p[0] == 'a' && p[1] == '=') {
        p += 2;
    }

    if (c->len > NGX_RTC_GO2RTC_CAND_LEN
        || (size_t) (c->data + c->len - p) < sizeof("candidate:") - 1
        || ngx_strncmp(p, "candidate:", sizeof("candidate:") - 1) != 0)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < c->len; i++) {
        if (c->data[i] < 0x20 || c->data[i] >= 0x7f) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The answer in the offer's form, without our candidates: those follow,
 * one "webrtc/candidate" each (go2rtc answers before it gathers); then
 * the peer's candidates that came first.
 */

static void
ngx_rtc_go2rtc_ws_answer(ngx_rtc_whep_offer_t *o)
{
    ngx_rtc_go2rtc_ws_t *ctx = o->data;

    u_char              *p, *buf, *pos, *end, *next, *sdp;
    size_t               len;
    ngx_str_t            cands[NGX_RTC_GO2RTC_CANDS];
    ngx_uint_t           i, n;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (o->status) {
        ngx_rtc_go2rtc_ws_error(ctx, &o->text);
        return;
    }

    /* the SDP less its "a=candidate" and "a=end-of-candidates" lines */

    sdp = ngx_pnalloc(r->pool, o->text.len);
    buf = ngx_pnalloc(r->pool, 96 + 6 * o->text.len);

    if (sdp == NULL || buf == NULL) {
        ngx_rtc_session_close(o->session, "no memory");
        ngx_rtc_ws_close(&ctx->ws, NGX_RTC_WS_CLOSE_ERROR, "no memory");
        return;
    }

    p = sdp;
    n = 0;
    end = o->text.data + o->text.len;

    for (pos = o->text.data; pos < end; pos = next) {
        next = ngx_strlchr(pos, end, LF);
        next = next ? next + 1 : end;

        if ((size_t) (next - pos) > sizeof("a=candidate:") - 1
            && ngx_strncmp(pos, "a=candidate:", sizeof("a=candidate:") - 1)
               == 0)
        {
            if (n < NGX_RTC_GO2RTC_CANDS) {
                cands[n].data = pos + 2;
                cands[n].len = next - pos - 2;

                while (cands[n].len && (cands[n].data[cands[n].len - 1] == LF
                                     || cands[n].data[cands[n].len - 1] == CR))
                {
                    cands[n].len--;
                }

                n++;
            }

            continue;
        }

        if ((size_t) (next - pos) >= sizeof("a=end-of-candidates") - 1
            && ngx_strncmp(pos, "a=end-of-candidates",
                           sizeof("a=end-of-candidates") - 1) == 0)
        {
            continue;
        }

        p = ngx_cpymem(p, pos, next - pos);
    }

    len = p - sdp;

    if (ctx->v2) {
        p = ngx_cpymem(buf, "{\"type\":\"webrtc\",\"value\":"
                            "{\"type\":\"answer\",\"sdp\":",
                       sizeof("{\"type\":\"webrtc\",\"value\":"
                              "{\"type\":\"answer\",\"sdp\":") - 1);
        p = ngx_rtc_status_json_str(p, sdp, len);
        *p++ = '}';

    } else {
        p = ngx_cpymem(buf, "{\"type\":\"webrtc/answer\",\"value\":",
                       sizeof("{\"type\":\"webrtc/answer\",\"value\":") - 1);
        p = ngx_rtc_status_json_str(p, sdp, len);
    }

    *p++ = '}';

    if (ngx_rtc_ws_send_text(&ctx->ws, buf, p - buf) != NGX_OK) {
        /* no one to watch it */
        ngx_rtc_session_close(o->session, "the WebSocket is gone");
        return;
    }

    ctx->answered = 1;

    for (i = 0; i < n; i++) {
        p = ngx_cpymem(buf, "{\"type\":\"webrtc/candidate\",\"value\":",
                       sizeof("{\"type\":\"webrtc/candidate\",\"value\":")
                       - 1);
        p = ngx_rtc_status_json_str(p, cands[i].data, cands[i].len);
        *p++ = '}';

        if (ngx_rtc_ws_send_text(&ctx->ws, buf, p - buf) != NGX_OK) {
            return;
        }
    }

    if (ctx->ncands
        && ngx_rtc_whep_offer_trickle(o->id, ctx->cands, ctx->ncands)
           == NGX_ERROR)
    {
        ngx_log_error(NGX_LOG_INFO, ctx->ws.connection->log, 0,
                      "rtc go2rtc the peer's candidates were not taken");
    }

    ctx->ncands = 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->ws.connection->log, 0,
                   "rtc go2rtc answered \"%V\", %ui candidate(s)",
                   &ctx->src, n);
}


/*
 * {"type":"error","value":"<type>: <reason>"}, the type of the offer's
 * message as go2rtc has it: "webrtc" (HA), "webrtc/offer" (the card)
 */

static void
ngx_rtc_go2rtc_ws_error(ngx_rtc_go2rtc_ws_t *ctx, ngx_str_t *reason)
{
    char    *what;

    u_char  text[64 + 2 * NGX_RTC_ERROR_LEN], *t;
    u_char  buf[64 + 6 * sizeof(text)], *p;
    size_t  len;

    what = ctx->v2 ? "webrtc" : "webrtc/offer";
    len = ngx_min(reason->len, 2 * NGX_RTC_ERROR_LEN);

    /* the reason is one line for the client: a status text, no LF */

    while (len && (reason->data[len - 1] == LF || reason->data[len - 1] == CR))
    {
        len--;
    }

    t = ngx_snprintf(text, sizeof(text), "%s: %*s", what, len, reason->data);

    p = ngx_cpymem(buf, "{\"type\":\"error\",\"value\":",
                   sizeof("{\"type\":\"error\",\"value\":") - 1);
    p = ngx_rtc_status_json_str(p, text, t - text);
    *p++ = '}';

    ngx_log_error(NGX_LOG_INFO, ctx->ws.connection->log, 0,
                  "rtc go2rtc %*s", (size_t) (t - text), text);

    (void) ngx_rtc_ws_send_text(&ctx->ws, buf, p - buf);
}


static void
ngx_rtc_go2rtc_ws_closed(ngx_rtc_ws_t *ws)
{
    ngx_rtc_go2rtc_ws_t *ctx = ws->data;

    /* an answered session lives on; one not answered goes with the pool */

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ws->connection->log, 0,
                   "rtc go2rtc WebSocket of \"%V\" closed, %s", &ctx->src,
                   ctx->answered ? "its session lives on" : "no session");
}


static ngx_int_t
ngx_rtc_go2rtc_json(ngx_http_request_t *r, ngx_uint_t status, u_char *data,
    size_t len)
{
    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    return ngx_rtc_http_reply_data(r, status, "application/json", data, len);
}
