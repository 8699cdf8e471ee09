/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_ring.h>
#include <ngx_rtc_metrics.h>
#include <ngx_rtc_status.h>
#include <ngx_rtc_http_reply.h>


/*
 * rtc_metrics: the zone's counters in the Prometheus text exposition
 * format 0.0.4, from the same snapshot as rtc_status.  Names start with
 * nginx_rtc_, counters end in _total; per stream metrics are labelled
 * stream="NAME", per worker ones worker="SLOT"; no session ids.  The
 * sessions' counters of a stream are those of its live sessions plus
 * what the ended ones left in the stream's totals, so they only grow
 * (until the zone is made anew).
 */


typedef struct {
    uint64_t                  packets_sent;
    uint64_t                  bytes_sent;
    uint64_t                  packets_lost;
    uint64_t                  nacks;
    uint64_t                  retransmits;
    uint64_t                  key_requests;
    uint64_t                  drops;
} ngx_rtc_metrics_sent_t;


typedef struct {
    char                     *name;
    char                     *type;
    char                     *help;
    size_t                    offset;     /* of the value in its struct */
    size_t                    size;       /* of the value */
} ngx_rtc_metrics_def_t;


static uint64_t ngx_rtc_metrics_value(void *base, size_t offset,
    size_t size);
static u_char *ngx_rtc_metrics_head(u_char *p, char *name, char *type,
    char *help);
static u_char *ngx_rtc_metrics_label(u_char *p, char *metric, u_char *s,
    size_t len);
static u_char *ngx_rtc_metrics_send_delay(u_char *p, ngx_rtc_latency_t *h);
static u_char *ngx_rtc_metrics_table(u_char *p, ngx_rtc_metrics_def_t *defs,
    ngx_uint_t n, ngx_rtc_shm_snapshot_t *snap, void *base, size_t stride);


static ngx_rtc_metrics_def_t  ngx_rtc_metrics_ages[] = {
    { "nginx_rtc_stream_last_frame_age_seconds", "gauge",
      "Seconds since the newest frame in the ring was captured", 0, 0 },
    { "nginx_rtc_stream_last_keyframe_age_seconds", "gauge",
      "Seconds since the newest keyframe was captured", 0, 0 },
    { "nginx_rtc_stream_buffered_seconds", "gauge",
      "The time span of the frames the ring holds", 0, 0 },
};


#define ngx_rtc_metrics_stream_value(field, n, t, h)                          \
    { n, t, h, offsetof(ngx_rtc_stream_sh_t, field),                          \
      sizeof(((ngx_rtc_stream_sh_t *) 0)->field) }

static ngx_rtc_metrics_def_t  ngx_rtc_metrics_stream[] = {
    ngx_rtc_metrics_stream_value(frames_in,
        "nginx_rtc_stream_frames_in_total", "counter",
        "Access units the producer wrote to the ring"),
    ngx_rtc_metrics_stream_value(keyframes_in,
        "nginx_rtc_stream_keyframes_in_total", "counter",
        "Keyframes the producer wrote"),
    ngx_rtc_metrics_stream_value(bytes_in,
        "nginx_rtc_stream_bytes_in_total", "counter",
        "Bytes of media the producer wrote"),
    ngx_rtc_metrics_stream_value(packets_in,
        "nginx_rtc_stream_packets_in_total", "counter",
        "RTP packets received from the source"),
    ngx_rtc_metrics_stream_value(packets_in_lost,
        "nginx_rtc_stream_packets_in_lost_total", "counter",
        "RTP packets from the source missing from their sequence"),
    ngx_rtc_metrics_stream_value(packets_in_rejected,
        "nginx_rtc_stream_packets_in_rejected_total", "counter",
        "RTP packets from the source refused as malformed"),
    ngx_rtc_metrics_stream_value(frames_in_rejected,
        "nginx_rtc_stream_frames_in_rejected_total", "counter",
        "Access units dropped by the depacketizer: malformed, incomplete, "
        "or waiting for a keyframe after either"),
    ngx_rtc_metrics_stream_value(frames_in_dropped,
        "nginx_rtc_stream_frames_in_dropped_total", "counter",
        "Frames dropped as too large for the ring"),
    ngx_rtc_metrics_stream_value(viewers,
        "nginx_rtc_stream_viewers", "gauge",
        "WHEP sessions of the stream"),
    ngx_rtc_metrics_stream_value(reconnects,
        "nginx_rtc_stream_reconnects_total", "counter",
        "Failed connections to the source (each a retry)"),
    ngx_rtc_metrics_stream_value(snapshots,
        "nginx_rtc_stream_snapshots_total", "counter",
        "JPEG snapshots encoded"),
};


#define ngx_rtc_metrics_sent_counter(field, n, h)                             \
    { n, "counter", h, offsetof(ngx_rtc_metrics_sent_t, field),               \
      sizeof(uint64_t) }

static ngx_rtc_metrics_def_t  ngx_rtc_metrics_sent[] = {
    ngx_rtc_metrics_sent_counter(packets_sent,
        "nginx_rtc_stream_packets_sent_total",
        "RTP packets sent to the stream's viewers, retransmissions too"),
    ngx_rtc_metrics_sent_counter(bytes_sent,
        "nginx_rtc_stream_bytes_sent_total",
        "Bytes of RTP sent to the stream's viewers"),
    ngx_rtc_metrics_sent_counter(packets_lost,
        "nginx_rtc_stream_viewer_packets_lost_total",
        "Packets the stream's viewers report lost (RTCP receiver reports)"),
    ngx_rtc_metrics_sent_counter(nacks,
        "nginx_rtc_stream_nacks_total",
        "Generic NACKs received from the stream's viewers"),
    ngx_rtc_metrics_sent_counter(retransmits,
        "nginx_rtc_stream_retransmits_total",
        "Packets retransmitted after NACKs"),
    ngx_rtc_metrics_sent_counter(key_requests,
        "nginx_rtc_stream_key_requests_total",
        "Keyframe requests (PLI, FIR) from the stream's viewers"),
    ngx_rtc_metrics_sent_counter(drops,
        "nginx_rtc_stream_drops_total",
        "Packets not sent because a viewer's socket was full"),
};


ngx_int_t
ngx_rtc_metrics_handler(ngx_http_request_t *r)
{
    u_char                  *p;
    size_t                   size, nlabel;
    ngx_int_t                rc;
    ngx_buf_t               *b;
    ngx_uint_t               i, k, state, *slots, nslots;
    ngx_rtc_main_conf_t     *rmcf;
    ngx_rtc_stream_sh_t     *st;
    ngx_rtc_session_sh_t    *ss;
    int64_t                  now, us;
    uint64_t                 ms;
    ngx_time_t              *tp;
    ngx_rtc_ring_sh_t       *ring;
    ngx_rtc_ring_times_t     t;
    ngx_rtc_shm_snapshot_t   snap;
    ngx_rtc_metrics_sent_t  *sent;

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

    if (ngx_rtc_shm_snapshot(r->pool, &snap) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tp = ngx_timeofday();
    now = (int64_t) tp->sec * 1000000 + (int64_t) tp->msec * 1000;

    /* the sessions' counters, per stream, and the sessions per worker */

    sent = ngx_pcalloc(r->pool, (snap.nstreams + 1)
                                * sizeof(ngx_rtc_metrics_sent_t));
    nslots = ngx_max(rmcf->nworkers, 1);
    slots = ngx_pcalloc(r->pool, nslots * sizeof(ngx_uint_t));

    if (sent == NULL || slots == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < snap.nstreams; i++) {
        st = &snap.streams[i];

        if (!ngx_rtc_shm_stream_listed(st)) {
            continue;       /* free, or no longer configured */
        }
        sent[i].packets_sent = st->ended_packets_sent;
        sent[i].bytes_sent = st->ended_bytes_sent;
        sent[i].packets_lost = st->ended_packets_lost;
        sent[i].nacks = st->ended_nacks;
        sent[i].retransmits = st->ended_retransmits;
        sent[i].key_requests = st->ended_key_requests;
        sent[i].drops = st->ended_drops;
    }

    for (i = 0; i < snap.nsessions; i++) {
        ss = &snap.sessions[i];

        if (ss->slot < nslots) {
            slots[ss->slot]++;
        }

        if (ss->stream >= snap.nstreams) {
            continue;
        }

        sent[ss->stream].packets_sent += ss->packets_sent;
        sent[ss->stream].bytes_sent += ss->bytes_sent;
        sent[ss->stream].packets_lost += ss->packets_lost;
        sent[ss->stream].nacks += ss->nacks;
        sent[ss->stream].retransmits += ss->retransmits;
        sent[ss->stream].key_requests += ss->key_requests;
        sent[ss->stream].drops += ss->drops;
    }

    /* a bound: per stream and metric one line with an escaped name */

    nlabel = sizeof("{stream=\"\",state=\"connecting\"} ") - 1
             + 2 * NGX_RTC_NAME_LEN + NGX_INT64_LEN + 1;

    size = 16384 + nslots * 64 + snap.nstreams * 32 * nlabel;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;

    /* the producer side */

    p = ngx_rtc_metrics_table(p, ngx_rtc_metrics_stream,
                              sizeof(ngx_rtc_metrics_stream)
                              / sizeof(ngx_rtc_metrics_stream[0]),
                              &snap, snap.streams,
                              sizeof(ngx_rtc_stream_sh_t));

    p = ngx_rtc_metrics_head(p, "nginx_rtc_stream_up", "gauge",
                             "1 while the producer plays the source");
    for (i = 0; i < snap.nstreams; i++) {
        st = &snap.streams[i];

        if (!ngx_rtc_shm_stream_listed(st)) {
            continue;       /* free, or no longer configured */
        }
        p = ngx_rtc_metrics_label(p, "nginx_rtc_stream_up", st->name,
                                  st->name_len);
        p = ngx_sprintf(p, "} %d\n",
                        st->state == NGX_RTC_STREAM_PLAYING && st->owner);
    }

    p = ngx_rtc_metrics_head(p, "nginx_rtc_stream_state", "gauge",
                             "The producer's state: 1 for the current one");
    for (i = 0; i < snap.nstreams; i++) {
        st = &snap.streams[i];

        if (!ngx_rtc_shm_stream_listed(st)) {
            continue;       /* free, or no longer configured */
        }
        state = st->state < 4 ? st->state : 0;

        for (k = 0; k < 4; k++) {
            p = ngx_rtc_metrics_label(p, "nginx_rtc_stream_state", st->name,
                                      st->name_len);
            p = ngx_sprintf(p, ",state=\"%s\"} %d\n",
                            ngx_rtc_status_stream_state(k), k == state);
        }
    }

    /* the ring: how old its newest frames are, how much time it holds */

    for (k = 0; k < 3; k++) {
        p = ngx_rtc_metrics_head(p, ngx_rtc_metrics_ages[k].name, "gauge",
                                 ngx_rtc_metrics_ages[k].help);

        for (i = 0; i < snap.nstreams; i++) {
            st = &snap.streams[i];

            if (!ngx_rtc_shm_stream_listed(st)) {
                continue;       /* free, or no longer configured */
            }

            ring = st->ring_size ? ngx_rtc_shm_ring(st) : NULL;

            if (ring == NULL || ngx_rtc_ring_times(ring, &t) != NGX_OK
                || (k == 1 && t.key == 0))
            {
                continue;       /* no frame yet: no sample */
            }

            us = (k == 0) ? now - t.newest
                          : (k == 1) ? now - t.key : t.newest - t.oldest;
            ms = us > 0 ? (uint64_t) us / 1000 : 0;

            p = ngx_rtc_metrics_label(p, ngx_rtc_metrics_ages[k].name,
                                      st->name, st->name_len);
            p = ngx_sprintf(p, "} %uL.%03uL\n", ms / 1000, ms % 1000);
        }
    }

    /* the viewers' side */

    p = ngx_rtc_metrics_table(p, ngx_rtc_metrics_sent,
                              sizeof(ngx_rtc_metrics_sent)
                              / sizeof(ngx_rtc_metrics_sent[0]),
                              &snap, sent, sizeof(ngx_rtc_metrics_sent_t));

    /* the zone and the workers */

    p = ngx_rtc_metrics_head(p, "nginx_rtc_build_info", "gauge",
                             "the module version the answering worker runs");
    p = ngx_cpymem(p, "nginx_rtc_build_info{version=\"" NGX_RTC_VERSION
                   "\"} 1\n",
                   sizeof("nginx_rtc_build_info{version=\"" NGX_RTC_VERSION
                          "\"} 1\n") - 1);

    p = ngx_rtc_metrics_head(p, "nginx_rtc_zone_sessions_max", "gauge",
                             "Sessions the zone holds (rtc_max_sessions)");
    p = ngx_sprintf(p, "nginx_rtc_zone_sessions_max %ui\n", snap.max_sessions);

    p = ngx_rtc_metrics_head(p, "nginx_rtc_zone_sessions_used", "gauge",
                             "Sessions in use");
    p = ngx_sprintf(p, "nginx_rtc_zone_sessions_used %ui\n", snap.nsessions);

    p = ngx_rtc_metrics_head(p, "nginx_rtc_zone_sessions_free", "gauge",
                             "Sessions free");
    p = ngx_sprintf(p, "nginx_rtc_zone_sessions_free %ui\n",
                    snap.max_sessions - ngx_min(snap.nsessions,
                                                snap.max_sessions));

    p = ngx_rtc_metrics_head(p, "nginx_rtc_zone_size_bytes", "gauge",
                             "Size of the rtc_zone");
    p = ngx_sprintf(p, "nginx_rtc_zone_size_bytes %uz\n", snap.zone_size);

    p = ngx_rtc_metrics_head(p, "nginx_rtc_zone_free_bytes", "gauge",
                             "Free pages of the rtc_zone, in bytes");
    p = ngx_sprintf(p, "nginx_rtc_zone_free_bytes %uz\n",
                    (size_t) snap.pages_free << ngx_pagesize_shift);

    p = ngx_rtc_metrics_head(p, "nginx_rtc_worker_sessions", "gauge",
                             "WHEP sessions per worker process slot");
    for (i = 0; i < ngx_min(rmcf->nworkers, nslots); i++) {
        p = ngx_sprintf(p, "nginx_rtc_worker_sessions{worker=\"%ui\"} %ui\n",
                        i, slots[i]);
    }

    p = ngx_rtc_metrics_send_delay(p, &snap.send_delay);

    b->last = p;

    return ngx_rtc_http_reply(r, NGX_HTTP_OK,
                              "text/plain; version=0.0.4; charset=utf-8", b);
}


/*
 * A sample of each metric of defs for each listed stream of the snapshot,
 * read from the stream's struct: the i-th of stride bytes from base.
 */

static u_char *
ngx_rtc_metrics_table(u_char *p, ngx_rtc_metrics_def_t *defs, ngx_uint_t n,
    ngx_rtc_shm_snapshot_t *snap, void *base, size_t stride)
{
    ngx_uint_t              i, k;
    ngx_rtc_stream_sh_t    *st;
    ngx_rtc_metrics_def_t  *def;

    for (k = 0; k < n; k++) {
        def = &defs[k];
        p = ngx_rtc_metrics_head(p, def->name, def->type, def->help);

        for (i = 0; i < snap->nstreams; i++) {
            st = &snap->streams[i];

            if (!ngx_rtc_shm_stream_listed(st)) {
                continue;       /* free, or no longer configured */
            }
            p = ngx_rtc_metrics_label(p, def->name, st->name, st->name_len);
            p = ngx_sprintf(p, "} %uL\n",
                            ngx_rtc_metrics_value((u_char *) base
                                                  + i * stride,
                                                  def->offset, def->size));
        }
    }

    return p;
}


static uint64_t
ngx_rtc_metrics_value(void *base, size_t offset, size_t size)
{
    u_char  *p;

    p = (u_char *) base + offset;

    switch (size) {

    case sizeof(uint32_t):
        return *(uint32_t *) p;

    case sizeof(uint64_t):
        return *(uint64_t *) p;

    default:
        return 0;
    }
}


/*
 * The send delay (ngx_rtc_latency.h) of every worker, as one histogram:
 * cumulative buckets, the sum in seconds and the count.
 */

static u_char *
ngx_rtc_metrics_send_delay(u_char *p, ngx_rtc_latency_t *h)
{
    uint64_t    n, b;
    ngx_uint_t  i;

    p = ngx_rtc_metrics_head(p, "nginx_rtc_send_delay_seconds", "histogram",
                             "From a frame's arrival in the ring to its "
                             "packets for one viewer handed to the kernel");

    for (i = 0, n = 0; i < NGX_RTC_LATENCY_BUCKETS; i++) {
        n += h->bucket[i];

        if (i == NGX_RTC_LATENCY_BUCKETS - 1) {
            p = ngx_sprintf(p, "nginx_rtc_send_delay_seconds_bucket"
                               "{le=\"+Inf\"} %uL\n", n);
            break;
        }

        b = ngx_rtc_latency_bounds[i];
        p = ngx_sprintf(p, "nginx_rtc_send_delay_seconds_bucket"
                           "{le=\"%uL.%06uL\"} %uL\n",
                        b / 1000000, b % 1000000, n);
    }

    p = ngx_sprintf(p, "nginx_rtc_send_delay_seconds_sum %uL.%06uL\n",
                    h->sum / 1000000, h->sum % 1000000);

    return ngx_sprintf(p, "nginx_rtc_send_delay_seconds_count %uL\n",
                       h->count);
}


static u_char *
ngx_rtc_metrics_head(u_char *p, char *name, char *type, char *help)
{
    return ngx_sprintf(p, "# HELP %s %s.\n# TYPE %s %s\n",
                       name, help, name, type);
}


/*
 * "METRIC{stream="NAME"": the label set is left open for more labels; '\\',
 * '"' and newlines in the name are escaped as the format asks.
 */

static u_char *
ngx_rtc_metrics_label(u_char *p, char *metric, u_char *s, size_t len)
{
    size_t  i;

    p = ngx_cpymem(p, metric, ngx_strlen(metric));
    p = ngx_cpymem(p, "{stream=\"", sizeof("{stream=\"") - 1);

    for (i = 0; i < len && i < NGX_RTC_NAME_LEN; i++) {
        switch (s[i]) {

        case '\\':
            *p++ = '\\'; *p++ = '\\';
            break;

        case '"':
            *p++ = '\\'; *p++ = '"';
            break;

        case '\n':
            *p++ = '\\'; *p++ = 'n';
            break;

        default:
            *p++ = s[i];
        }
    }

    *p++ = '"';

    return p;
}
