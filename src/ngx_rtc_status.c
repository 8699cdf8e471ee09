/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_status.h>


/*
 * The status page: a snapshot of the zone taken under its lock, rendered
 * as JSON after the lock is released.
 */


typedef struct {
    ngx_uint_t                nstreams;
    ngx_rtc_stream_sh_t      *streams;
    ngx_uint_t                nsessions;
    ngx_rtc_session_sh_t     *sessions;
    ngx_uint_t                max_sessions;
    size_t                    zone_size;
    ngx_uint_t                pages_free;
} ngx_rtc_status_snapshot_t;


static ngx_int_t ngx_rtc_status_snapshot(ngx_http_request_t *r,
    ngx_rtc_status_snapshot_t *snap);
static u_char *ngx_rtc_status_session_stats(u_char *p,
    ngx_rtc_session_sh_t *ss);
static u_char *ngx_rtc_status_json_str(u_char *p, u_char *s, size_t len);


static const char  *ngx_rtc_status_stream_states[] = {
    "idle", "connecting", "playing", "retrying"
};

static const char  *ngx_rtc_status_session_states[] = {
    "free", "new", "connected", "media", "closing"
};

static const char  *ngx_rtc_status_codecs[] = {
    "", "H264", "H265", "PCMA", "PCMU", "opus", "AAC"
};


ngx_int_t
ngx_rtc_status_handler(ngx_http_request_t *r)
{
    size_t                      size;
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_uint_t                  i, n, state, codec;
    ngx_chain_t                 out;
    ngx_rtc_main_conf_t        *rmcf;
    ngx_rtc_stream_sh_t        *st;
    ngx_rtc_session_sh_t       *ss;
    ngx_rtc_status_snapshot_t   snap;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtc_module);

    if (rmcf->shm_zone == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (ngx_rtc_status_snapshot(r, &snap) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    size = 256 + rmcf->shm_zone->shm.name.len
           + snap.nstreams * (384 + 6 * (NGX_RTC_NAME_LEN + NGX_RTC_ERROR_LEN))
           + snap.nsessions * (512 + 6 * NGX_RTC_NAME_LEN);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last,
                          "{\"zone\":{\"name\":\"%V\",\"size\":%uz,"
                          "\"pages_free\":%ui,\"max_sessions\":%ui,"
                          "\"sessions\":%ui},\"streams\":[",
                          &rmcf->shm_zone->shm.name, snap.zone_size,
                          snap.pages_free, snap.max_sessions, snap.nsessions);

    for (i = 0, n = 0; i < snap.nstreams; i++) {
        st = &snap.streams[i];

        /* free entries, and those of streams no longer configured */

        if (st->name_len == 0 || st->retired) {
            continue;
        }

        state = st->state < 4 ? st->state : 0;
        codec = st->codec < 7 ? st->codec : 0;

        b->last = ngx_sprintf(b->last, "%s{\"name\":", n++ ? "," : "");
        b->last = ngx_rtc_status_json_str(b->last, st->name,
                                          ngx_min(st->name_len,
                                                  NGX_RTC_NAME_LEN));
        b->last = ngx_sprintf(b->last,
                              ",\"state\":\"%s\",\"codec\":\"%s\","
                              "\"audio_codec\":\"%s\","
                              "\"frames_in\":%uL,\"keyframes_in\":%uL,"
                              "\"bytes_in\":%uL,\"viewers\":%ui,"
                              "\"producer_pid\":%P,\"last_error\":",
                              ngx_rtc_status_stream_states[state],
                              ngx_rtc_status_codecs[codec],
                              ngx_rtc_status_codecs[st->audio_codec < 7
                                                    ? st->audio_codec : 0],
                              st->frames_in, st->keyframes_in, st->bytes_in,
                              st->viewers, st->owner);
        b->last = ngx_rtc_status_json_str(b->last, st->error,
                                          ngx_min(st->error_len,
                                                  NGX_RTC_ERROR_LEN));
        b->last = ngx_sprintf(b->last, ",\"buffer\":%uz", st->buffer);
        *b->last++ = '}';
    }

    b->last = ngx_cpymem(b->last, "],\"sessions\":[", 14);

    for (i = 0; i < snap.nsessions; i++) {
        ss = &snap.sessions[i];
        st = &snap.streams[ss->stream < snap.nstreams ? ss->stream : 0];
        state = ss->state < 5 ? ss->state : 0;

        b->last = ngx_sprintf(b->last, "%s{\"id\":\"", i ? "," : "");
        b->last = ngx_hex_dump(b->last, ss->id, NGX_RTC_ID_LEN);
        b->last = ngx_sprintf(b->last, "\",\"stream\":");
        b->last = ngx_rtc_status_json_str(b->last, st->name,
                                          ngx_min(st->name_len,
                                                  NGX_RTC_NAME_LEN));
        b->last = ngx_sprintf(b->last,
                              ",\"state\":\"%s\",\"pid\":%P,\"age\":%T",
                              ngx_rtc_status_session_states[state], ss->pid,
                              ngx_time() - ss->created);
        b->last = ngx_rtc_status_session_stats(b->last, ss);
        *b->last++ = '}';
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
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
ngx_rtc_status_snapshot(ngx_http_request_t *r, ngx_rtc_status_snapshot_t *snap)
{
    ngx_uint_t        i, n;
    ngx_slab_pool_t  *shpool;
    ngx_rtc_shctx_t  *ctx;

    ctx = ngx_rtc_shm_ctx();
    shpool = ngx_rtc_shm_pool();

    snap->streams = ngx_palloc(r->pool, NGX_RTC_MAX_STREAMS
                                        * sizeof(ngx_rtc_stream_sh_t));
    snap->sessions = ngx_palloc(r->pool,
                                ctx->nsessions * sizeof(ngx_rtc_session_sh_t));

    if (snap->streams == NULL || snap->sessions == NULL) {
        return NGX_ERROR;
    }

    snap->zone_size = shpool->end - (u_char *) shpool;

    ngx_shmtx_lock(&shpool->mutex);

    snap->nstreams = ctx->nstreams;
    ngx_memcpy(snap->streams, ctx->streams,
               ctx->nstreams * sizeof(ngx_rtc_stream_sh_t));

    for (i = 0, n = 0; i < ctx->nsessions; i++) {
        if (ctx->sessions[i].state != NGX_RTC_SESSION_FREE) {
            snap->sessions[n++] = ctx->sessions[i];
        }
    }

    snap->nsessions = n;
    snap->max_sessions = ctx->max_sessions;
    snap->pages_free = shpool->pfree;

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


/*
 * The session's media: what was sent, and what the viewer reports (RTCP
 * receiver reports: loss as a fraction of the last interval's packets,
 * jitter, round-trip time; NACKs, keyframe requests); drops are packets
 * not sent because the viewer's socket was full.
 */

static u_char *
ngx_rtc_status_session_stats(u_char *p, ngx_rtc_session_sh_t *ss)
{
    ngx_uint_t  loss;

    p = ngx_sprintf(p, ",\"video\":\"%s\",\"audio\":",
                    ngx_rtc_status_codecs[ss->video_codec < 7
                                          ? ss->video_codec : 0]);

    if (ss->audio_codec && ss->audio_codec < 7) {
        p = ngx_sprintf(p, "\"%s\"", ngx_rtc_status_codecs[ss->audio_codec]);

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    /* fraction_lost is in 1/256: as a fraction with 3 decimals */

    loss = ((ngx_uint_t) (ss->fraction_lost & 0xff) * 1000 + 128) / 256;

    p = ngx_sprintf(p, ",\"packets_sent\":%uL,\"bytes_sent\":%uL,"
                    "\"packets_lost\":%uD,\"loss\":%ui.%03ui,"
                    "\"jitter_ms\":%uD,\"rtt_ms\":",
                    ss->packets_sent, ss->bytes_sent, ss->packets_lost,
                    loss / 1000, loss % 1000, ss->jitter_ms);

    if (ss->rtt_ms >= 0) {
        p = ngx_sprintf(p, "%D", ss->rtt_ms);

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    return ngx_sprintf(p, ",\"nacks\":%uD,\"retransmits\":%uD,"
                       "\"keyframe_requests\":%uD,\"drops\":%uD",
                       ss->nacks, ss->retransmits, ss->key_requests,
                       ss->drops);
}


static u_char *
ngx_rtc_status_json_str(u_char *p, u_char *s, size_t len)
{
    u_char          c;
    size_t          i;
    static u_char   hex[] = "0123456789abcdef";

    *p++ = '"';

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;

        } else if (c < 0x20 || c == 0x7f) {
            p = ngx_cpymem(p, "\\u00", 4);
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = c;
        }
    }

    *p++ = '"';

    return p;
}
