/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_player.h>
#include <ngx_rtc_player_assets.h>
#include <ngx_rtc_status.h>
#include <ngx_rtc_http_reply.h>


/*
 * rtc_player: the player page, its script and the list of streams it
 * plays, from memory.  The last segment of the URI names the resource:
 * "" or "index.html", "player.js", "streams.json".  The list names each
 * configured stream, its WHEP URL (the directive's prefix + the name) and
 * its codecs: never a camera URL.
 */


static ngx_int_t ngx_rtc_player_send(ngx_http_request_t *r, u_char *data,
    size_t len, char *type, ngx_uint_t cache);
static ngx_int_t ngx_rtc_player_streams(ngx_http_request_t *r);


ngx_int_t
ngx_rtc_player_handler(ngx_http_request_t *r)
{
    u_char     *p, *last;
    ngx_int_t   rc;
    ngx_str_t   name;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    last = r->uri.data + r->uri.len;

    for (p = last; p > r->uri.data && p[-1] != '/'; p--) {
        /* void */
    }

    name.data = p;
    name.len = last - p;

    if (name.len == 0
        || (name.len == 10 && ngx_strncmp(name.data, "index.html", 10) == 0))
    {
        return ngx_rtc_player_send(r, (u_char *) ngx_rtc_player_html,
                                   sizeof(ngx_rtc_player_html) - 1,
                                   "text/html; charset=utf-8", 1);
    }

    if (name.len == 9 && ngx_strncmp(name.data, "player.js", 9) == 0) {
        return ngx_rtc_player_send(r, (u_char *) ngx_rtc_player_js,
                                   sizeof(ngx_rtc_player_js) - 1,
                                   "text/javascript; charset=utf-8", 1);
    }

    if (name.len == 12 && ngx_strncmp(name.data, "streams.json", 12) == 0) {
        return ngx_rtc_player_streams(r);
    }

    return NGX_HTTP_NOT_FOUND;
}


static ngx_int_t
ngx_rtc_player_send(ngx_http_request_t *r, u_char *data, size_t len,
    char *type, ngx_uint_t cache)
{
    ngx_str_t  v;

    r->headers_out.last_modified_time = cache ? ngx_cached_time->sec : -1;

    if (!cache) {
        ngx_str_set(&v, "no-store");

        if (ngx_rtc_http_reply_header(r, "Cache-Control", &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_rtc_http_reply_data(r, NGX_HTTP_OK, type, data, len);
}


/*
 * {"streams":[{"name":"cam","whep":"/whep/cam","video":"H264",
 *  "audio":"opus"}, ...]}: the codecs as the zone last saw them ("" while
 * a camera has not been connected yet).  Word-sized reads of the zone
 * without its lock: a display, not a decision.
 */

static ngx_int_t
ngx_rtc_player_streams(ngx_http_request_t *r)
{
    u_char               *p, *data;
    size_t                size;
    ngx_uint_t            i, n, video, audio;
    ngx_rtc_stream_t     *st;
    ngx_rtc_loc_conf_t   *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtc_module);

    /* the configured streams and the runtime ones this worker knows */

    size = sizeof("{\"streams\":[]}\n");

    for (n = 0; (st = ngx_rtc_stream_next(n)) != NULL; n++) {
        size += sizeof("{\"name\":\"\",\"whep\":\"\",\"video\":\"\","
                       "\"audio\":\"\"},") - 1
                + 2 * 6 * st->conf->name.len + 6 * rlcf->player.len + 16;
    }

    data = ngx_pnalloc(r->pool, size);
    if (data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(data, "{\"streams\":[", sizeof("{\"streams\":[") - 1);

    for (i = 0; i < n; i++) {
        st = ngx_rtc_stream_next(i);
        video = st->sh->codec;
        audio = st->sh->audio_codec;

        /* names (rtc_stream's, PUT's) and the prefix need no JSON escapes */

        p = ngx_sprintf(p, "%s{\"name\":", i ? "," : "");
        p = ngx_rtc_status_json_str(p, st->conf->name.data,
                                    st->conf->name.len);
        p = ngx_sprintf(p, ",\"whep\":\"%V%V\",\"video\":\"%s\","
                        "\"audio\":\"%s\"}", &rlcf->player, &st->conf->name,
                        ngx_rtc_status_codec(video),
                        ngx_rtc_status_codec(audio));
    }

    p = ngx_cpymem(p, "]}\n", 3);

    return ngx_rtc_player_send(r, data, p - data,
                               "application/json", 0);
}
