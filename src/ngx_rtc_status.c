/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_srtp.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_status.h>
#include <ngx_rtc_http_reply.h>


/*
 * The status page: a snapshot of the zone taken under its lock, rendered
 * as JSON after the lock is released.
 */


/* session id bytes shown: enough to tell sessions apart, not to act */
#define NGX_RTC_STATUS_ID_PREFIX  4


/* the zone's counters, the same for rtc_status and rtc_metrics */
typedef ngx_rtc_shm_snapshot_t  ngx_rtc_status_snapshot_t;


static ngx_int_t ngx_rtc_status_snapshot(ngx_http_request_t *r,
    ngx_rtc_status_snapshot_t *snap);
static u_char *ngx_rtc_status_session_stats(u_char *p,
    ngx_rtc_session_sh_t *ss);
static u_char *ngx_rtc_status_stream_health(u_char *p,
    ngx_rtc_stream_sh_t *st);
static u_char *ngx_rtc_status_stream_source(u_char *p,
    ngx_rtc_stream_sh_t *st);
static u_char *ngx_rtc_status_age(u_char *p, const char *name, int64_t us);
static u_char *ngx_rtc_status_send_delay(u_char *p, ngx_rtc_latency_t *h);
static u_char *ngx_rtc_status_session_transport(u_char *p,
    ngx_rtc_session_sh_t *ss);


static const char  *ngx_rtc_status_stream_states[] = {
    "idle", "connecting", "playing", "retrying"
};

static const char  *ngx_rtc_status_session_states[] = {
    "free", "new", "connected", "media", "closing"
};

static const char  *ngx_rtc_status_codecs[] = {
    "", "H264", "H265", "PCMA", "PCMU", "opus", "AAC"
};

static const char  *ngx_rtc_status_cand_types[] = {
    "", "host", "srflx", "prflx", "relay"
};

/* NGX_RTC_SEND_* (ngx_rtc_send.h) */
static const char  *ngx_rtc_status_send[] = {
    "none", "nice", "sendmmsg", "gso"
};


ngx_int_t
ngx_rtc_status_handler(ngx_http_request_t *r)
{
    size_t                      size;
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_uint_t                  i, n, state, codec;
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

    /* a stream's numbers at their widest take ~640 bytes: room to spare */

    size = 512 + rmcf->shm_zone->shm.name.len
           + snap.nstreams
             * (1024 + 6 * (NGX_RTC_NAME_LEN + NGX_RTC_ERROR_LEN))
           + snap.nsessions * (544 + 6 * NGX_RTC_NAME_LEN);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last,
                          "{\"version\":\"" NGX_RTC_VERSION "\","
                          "\"zone\":{\"name\":\"%V\",\"size\":%uz,"
                          "\"pages_free\":%ui,\"max_sessions\":%ui,"
                          "\"sessions\":%ui},",
                          &rmcf->shm_zone->shm.name, snap.zone_size,
                          snap.pages_free, snap.max_sessions, snap.nsessions);
    b->last = ngx_rtc_status_send_delay(b->last, &snap.send_delay);
    b->last = ngx_cpymem(b->last, ",\"streams\":[", 12);

    for (i = 0, n = 0; i < snap.nstreams; i++) {
        st = &snap.streams[i];

        /* free entries, and those of streams no longer configured */

        if (!ngx_rtc_shm_stream_listed(st)) {
            continue;
        }

        state = st->state < 4 ? st->state : 0;
        codec = st->codec < 7 ? st->codec : 0;

        /* a producer whose lease expired is no producer: it died */

        if (st->owner && !ngx_rtc_shm_lease_live(st)) {
            st->owner = 0;
            state = NGX_RTC_STREAM_IDLE;
        }

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
        b->last = ngx_rtc_status_stream_health(b->last, st);
        b->last = ngx_rtc_status_stream_source(b->last, st);
        b->last = ngx_sprintf(b->last, ",\"buffer\":%uz,\"runtime\":%s",
                              st->buffer,
                              st->runtime_off ? "true" : "false");
        *b->last++ = '}';
    }

    b->last = ngx_cpymem(b->last, "],\"sessions\":[", 14);

    for (i = 0; i < snap.nsessions; i++) {
        ss = &snap.sessions[i];
        st = &snap.streams[ss->stream < snap.nstreams ? ss->stream : 0];
        state = ss->state < 5 ? ss->state : 0;

        /* a prefix: the full id is all a PATCH or DELETE needs */

        b->last = ngx_sprintf(b->last, "%s{\"id\":\"", i ? "," : "");
        b->last = ngx_hex_dump(b->last, ss->id, NGX_RTC_STATUS_ID_PREFIX);
        b->last = ngx_sprintf(b->last, "\",\"stream\":");
        b->last = ngx_rtc_status_json_str(b->last, st->name,
                                          ngx_min(st->name_len,
                                                  NGX_RTC_NAME_LEN));
        b->last = ngx_sprintf(b->last,
                              ",\"state\":\"%s\",\"pid\":%P,\"age\":%T",
                              ngx_rtc_status_session_states[state], ss->pid,
                              ngx_time() - ss->created);
        b->last = ngx_rtc_status_session_stats(b->last, ss);
        b->last = ngx_rtc_status_session_transport(b->last, ss);
        *b->last++ = '}';
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);

    return ngx_rtc_http_reply(r, NGX_HTTP_OK, "application/json", b);
}


static ngx_int_t
ngx_rtc_status_snapshot(ngx_http_request_t *r, ngx_rtc_status_snapshot_t *snap)
{
    return ngx_rtc_shm_snapshot(r->pool, snap);
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

    p = ngx_sprintf(p, ",\"nacks\":%uD,\"retransmits\":%uD,"
                    "\"keyframe_requests\":%uD,\"drops\":%uD",
                    ss->nacks, ss->retransmits, ss->key_requests,
                    ss->drops);

    /* how media leaves: the ICE pair's socket (GSO, sendmmsg) or libnice */

    return ngx_sprintf(p, ",\"send\":\"%s\",\"send_calls\":%uL,"
                       "\"dtls\":\"%s\"",
                       ngx_rtc_status_send[ss->send_path < 4
                                           ? ss->send_path : 0],
                       ss->send_calls,
                       ss->dtls_released ? "released" : "ssl");
}


/*
 * What an operator asks of a camera: how often it failed, how long ago
 * the last frame and the last keyframe came (a viewer's first picture
 * waits for one), and how many seconds of media the ring holds (the
 * instant start needs a whole GOP in it).  From the ring's frame
 * metadata: capture times are the wall clock, in microseconds.
 */

static u_char *
ngx_rtc_status_stream_health(u_char *p, ngx_rtc_stream_sh_t *st)
{
    int64_t                now;
    ngx_time_t            *tp;
    ngx_rtc_ring_sh_t     *ring;
    ngx_rtc_ring_times_t   t;

    p = ngx_sprintf(p, ",\"reconnects\":%ui", st->reconnects);

    tp = ngx_timeofday();
    now = (int64_t) tp->sec * 1000000 + (int64_t) tp->msec * 1000;

    ring = st->ring_size ? ngx_rtc_shm_ring(st) : NULL;

    if (ring == NULL || ngx_rtc_ring_times(ring, &t) != NGX_OK) {
        return ngx_cpymem(p, ",\"last_frame_age\":null,"
                          "\"last_keyframe_age\":null,"
                          "\"buffered_seconds\":null",
                          sizeof(",\"last_frame_age\":null,"
                                 "\"last_keyframe_age\":null,"
                                 "\"buffered_seconds\":null") - 1);
    }

    p = ngx_rtc_status_age(p, "last_frame_age", now - t.newest);

    if (t.key) {
        p = ngx_rtc_status_age(p, "last_keyframe_age", now - t.key);

    } else {
        p = ngx_cpymem(p, ",\"last_keyframe_age\":null",
                       sizeof(",\"last_keyframe_age\":null") - 1);
    }

    return ngx_rtc_status_age(p, "buffered_seconds", t.newest - t.oldest);
}


/*
 * What the camera sends, as the producer's source counted it: RTP packets
 * received, missing from their sequence and refused as malformed; access
 * units the depacketizer dropped; frames too large for the ring.  A
 * picture that stutters while these grow is the camera's or its network's
 * doing, not the viewers'.
 */

static u_char *
ngx_rtc_status_stream_source(u_char *p, ngx_rtc_stream_sh_t *st)
{
    return ngx_sprintf(p, ",\"packets_in\":%uL,\"packets_in_lost\":%uL,"
                       "\"packets_in_rejected\":%uL,"
                       "\"frames_in_rejected\":%uL,"
                       "\"frames_in_dropped\":%uL",
                       st->packets_in, st->packets_in_lost,
                       st->packets_in_rejected, st->frames_in_rejected,
                       st->frames_in_dropped);
}


/*
 * The send delay of every worker (ngx_rtc_latency.h): how many viewer-
 * frames, their sum, and p50 and p99 in seconds interpolated within the
 * histogram's buckets (null without a sample).
 */

static u_char *
ngx_rtc_status_send_delay(u_char *p, ngx_rtc_latency_t *h)
{
    uint64_t    us;
    ngx_uint_t  i;

    static ngx_uint_t  q[] = { 500, 990 };

    p = ngx_sprintf(p, "\"send_delay\":{\"count\":%uL,\"sum\":%uL.%06uL",
                    h->count, h->sum / 1000000, h->sum % 1000000);

    for (i = 0; i < 2; i++) {
        p = ngx_sprintf(p, ",\"p%ui\":", q[i] / 10);

        if (h->count == 0) {
            p = ngx_cpymem(p, "null", 4);
            continue;
        }

        us = ngx_rtc_latency_quantile(h, q[i]);
        p = ngx_sprintf(p, "%uL.%06uL", us / 1000000, us % 1000000);
    }

    *p++ = '}';

    return p;
}


/* microseconds as seconds with 3 decimals */

static u_char *
ngx_rtc_status_age(u_char *p, const char *name, int64_t us)
{
    uint64_t  ms;

    ms = us > 0 ? (uint64_t) us / 1000 : 0;

    return ngx_sprintf(p, ",\"%s\":%uL.%03uL", name, ms / 1000, ms % 1000);
}


/*
 * The session's transport: the DTLS-SRTP profile and the candidate types
 * of the selected ICE pair (host, srflx, prflx, relay), null before.
 */

static u_char *
ngx_rtc_status_session_transport(u_char *p, ngx_rtc_session_sh_t *ss)
{
    switch (ss->srtp_profile) {

    case NGX_RTC_SRTP_AES128_CM_SHA1_80:
        p = ngx_sprintf(p, ",\"srtp\":\"AES_CM_128_HMAC_SHA1_80\"");
        break;

    case NGX_RTC_SRTP_AEAD_AES_128_GCM:
        p = ngx_sprintf(p, ",\"srtp\":\"AEAD_AES_128_GCM\"");
        break;

    default:
        p = ngx_sprintf(p, ",\"srtp\":null");
    }

    if (ss->ice_local == 0 || ss->ice_local > NGX_RTC_ICE_CAND_RELAY
        || ss->ice_remote == 0 || ss->ice_remote > NGX_RTC_ICE_CAND_RELAY)
    {
        return ngx_sprintf(p, ",\"ice_pair\":null");
    }

    return ngx_sprintf(p, ",\"ice_pair\":{\"local\":\"%s\","
                       "\"remote\":\"%s\",\"transport\":\"%s\"}",
                       ngx_rtc_status_cand_types[ss->ice_local],
                       ngx_rtc_status_cand_types[ss->ice_remote],
                       ss->ice_tcp ? "tcp" : "udp");
}


u_char *
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


/* the names rtc_status shows, for the other views (metrics, player) */

const char *
ngx_rtc_status_codec(ngx_uint_t codec)
{
    return ngx_rtc_status_codecs[codec < 7 ? codec : 0];
}


const char *
ngx_rtc_status_stream_state(ngx_uint_t state)
{
    return ngx_rtc_status_stream_states[state < 4 ? state : 0];
}
