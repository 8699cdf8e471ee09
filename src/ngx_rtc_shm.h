/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_SHM_H_INCLUDED_
#define _NGX_RTC_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_slot.h>
#include <ngx_rtc_auth.h>


#if (NGX_RTC_MAX_STREAMS != NGX_RTC_SLOT_STREAMS)
#error "a worker slot's pending set must name every stream of the table"
#endif

#define NGX_RTC_STREAM_IDLE        0
#define NGX_RTC_STREAM_CONNECTING  1
#define NGX_RTC_STREAM_PLAYING     2
#define NGX_RTC_STREAM_RETRYING    3

#define NGX_RTC_SESSION_FREE       0
#define NGX_RTC_SESSION_NEW        1
#define NGX_RTC_SESSION_CONNECTED  2
#define NGX_RTC_SESSION_MEDIA      3
#define NGX_RTC_SESSION_CLOSING    4

/*
 * Worker slots: at least this many in a zone, so that a reload up to 64
 * workers needs no new zone; more if worker_processes asks for more.  A
 * session id names its owner's slot in its last two bytes.
 */
#define NGX_RTC_MIN_SLOTS          64
#define NGX_RTC_MAX_SLOTS          65536

#define ngx_rtc_shm_id_slot(id)                                              \
    (((ngx_uint_t) (id)[NGX_RTC_ID_LEN - 2] << 8) | (id)[NGX_RTC_ID_LEN - 1])


/* the least rtc_zone size: the tables (1.3 MB) and room to spare */
#define NGX_RTC_ZONE_MIN           (2 * 1024 * 1024)


/* a producer whose heartbeat is older than this has died */
#define NGX_RTC_LEASE              2000

/*
 * The mailbox: requests (a WHEP PATCH) to the worker that owns a session,
 * from the worker that received them.  A slot holds one request and then
 * its answer; a slot older than NGX_RTC_MBOX_STALE is taken back (its
 * requester or owner died).
 */
#define NGX_RTC_MBOX_SLOTS         16
/*
 * A PATCH's fragment, and its answer: MediaMTX's player sends every
 * candidate gathered before the 201 in one PATCH, each section with the
 * offer's m= line (~200 bytes); 2 sections of 30 Chromium candidates (a
 * host with VPN, docker and IPv6 addresses) of ~110-150 bytes take 9 KB.
 * Each slot holds a request and an answer: 16 x 2 x 16 KiB = 512 KiB of
 * the zone's tables.
 */
#define NGX_RTC_MBOX_DATA          16384
#define NGX_RTC_MBOX_TAG           80         /* If-Match in, ETag out */
#define NGX_RTC_MBOX_STALE         10000

#define NGX_RTC_MBOX_FREE          0
#define NGX_RTC_MBOX_REQUEST       1          /* posted, owner woken */
#define NGX_RTC_MBOX_WORKING       2          /* the owner took it */
#define NGX_RTC_MBOX_DONE          3          /* answered */
#define NGX_RTC_MBOX_ABANDONED     4          /* requester gave up */

#define NGX_RTC_MBOX_PATCH         1


/*
 * Snapshots (rtc_snapshot): JPEGs of a stream's newest keyframe, one per
 * requested width, made once by whichever worker asks first and read by
 * every worker from the zone.
 */
#define NGX_RTC_SNAP_SLOTS         4
#define NGX_RTC_PURGE_PIDS         16         /* processes a purge checks */
#define NGX_RTC_SNAP_STALE         10000      /* an encoder that died */

#define NGX_RTC_SNAP_FREE          0
#define NGX_RTC_SNAP_ENCODING      1
#define NGX_RTC_SNAP_READY         2


/* everything below lives in the zone: offsets and pids, no pointers */

typedef struct {
    uint64_t                  seq;            /* the keyframe */
    ngx_uint_t                width;          /* asked for; 0: as is */
    ngx_uint_t                state;          /* NGX_RTC_SNAP_* */
    ngx_pid_t                 pid;            /* the encoder */
    ngx_msec_t                started;
    int64_t                   capture;        /* the keyframe's, usec */
    size_t                    off;            /* JPEG, from the pool start */
    size_t                    len;
} ngx_rtc_snap_sh_t;


struct ngx_rtc_stream_sh_s {
    u_char                    name[NGX_RTC_NAME_LEN];
    size_t                    name_len;

    /*
     * Bumped each time the entry is made for a stream: a worker of an
     * older configuration that still holds the index (an exiting one)
     * finds that the entry, and its ring, now belong to another stream.
     */
    uint64_t                  incarnation;

    size_t                    ring_off;       /* from the slab pool start */
    size_t                    ring_size;
    ngx_pid_t                 owner;          /* producer pid, 0: none */
    ngx_msec_t                heartbeat;      /* monotonic, all processes */
    ngx_msec_t                idle_since;
    ngx_uint_t                state;
    ngx_uint_t                codec;          /* video, NGX_RTC_CODEC_* */
    ngx_uint_t                audio_codec;    /* NGX_RTC_CODEC_NONE: none */
    ngx_uint_t                audio_clock;
    ngx_uint_t                audio_channels;
    ngx_uint_t                viewers;
    size_t                    slot_viewers_off;   /* uint32_t[nslots] */
    size_t                    buffer;         /* buffer= of the ring */
    ngx_uint_t                retired;        /* generation it left, 0 */
    uint64_t                  frames_in;
    uint64_t                  bytes_in;
    uint64_t                  keyframes_in;

    /*
     * The camera's RTP as the producer's source counted it, all tracks:
     * packets received, missing from their sequence, refused as
     * malformed; access units the depacketizers dropped (malformed,
     * incomplete, or waiting for a keyframe after either); frames too
     * large for the ring.  Only the owner writes them, as the counters
     * above; they go on across reconnects and owners.
     */
    uint64_t                  packets_in;
    uint64_t                  packets_in_lost;
    uint64_t                  packets_in_rejected;
    uint64_t                  frames_in_rejected;
    uint64_t                  frames_in_dropped;

    size_t                    error_len;
    u_char                    error[NGX_RTC_ERROR_LEN];

    /* what the sessions that ended sent, for counters that only grow */
    uint64_t                  ended_packets_sent;
    uint64_t                  ended_bytes_sent;
    uint64_t                  ended_packets_lost;
    uint64_t                  ended_nacks;
    uint64_t                  ended_retransmits;
    uint64_t                  ended_key_requests;
    uint64_t                  ended_drops;

    /* rtc_snapshot */
    ngx_msec_t                demand;         /* wanted until, if nonzero */
    uint64_t                  snapshots;      /* JPEGs encoded */
    ngx_rtc_snap_sh_t         snaps[NGX_RTC_SNAP_SLOTS];

    /*
     * The lease's fencing token: bumped under the lock at every change of
     * owner (claim, takeover, release, expiry) and copied into the ring's
     * fence; a producer writes the ring only under the epoch it claimed.
     */
    uint64_t                  epoch;
    ngx_pid_t                 fenced;         /* owner the last bump fenced */
    ngx_pid_t                 writing;        /* a fenced write's owner */
    ngx_uint_t                takeovers;      /* from an expired lease */
    ngx_uint_t                reconnects;     /* failed connections */

    /* a runtime stream's ngx_rtc_runtime_sh_t; 0: a configured stream */
    size_t                    runtime_off;
};


/*
 * A runtime stream's source (made by a request, PUT /api/streams, not by
 * rtc_stream): a slab block of its own, replaced when the source changes.
 * The URL keeps the camera's credentials, needed to connect: it is copied
 * out only by the workers that connect, and never shown or logged.
 */

typedef struct {
    uint64_t                  version;        /* ctx->runtime_gen at change */
    ngx_uint_t                audio;          /* NGX_RTC_AUDIO_* */
    socklen_t                 socklen;
    ngx_sockaddr_t            sockaddr;       /* the address allow= took */
    size_t                    url_len;
    u_char                    url[1];
} ngx_rtc_runtime_sh_t;


/* a producer's view of its lease, see ngx_rtc_shm_claim() */

typedef struct {
    uint64_t                  epoch;          /* in: held, 0: none; out */
    uint64_t                  current;        /* out: the stream's epoch */
    ngx_pid_t                 owner;          /* out: owner now */
    ngx_pid_t                 fenced;         /* out: the owner taken from */
    ngx_pid_t                 writing;        /* out: whose write is left */
    ngx_uint_t                busy;           /* out: a write is left */
} ngx_rtc_lease_t;


struct ngx_rtc_session_sh_s {
    u_char                    id[NGX_RTC_ID_LEN];
    ngx_uint_t                state;
    ngx_uint_t                stream;
    ngx_uint_t                slot;
    ngx_pid_t                 pid;
    uint64_t                  start;          /* of the process pid */
    time_t                    created;
    ngx_atomic_t              close;          /* asked to close */
    ngx_uint_t                ice_gen;        /* ICE restarts: the ETag */

    /*
     * The owner's media statistics, copied about once a second without
     * the lock (one writer; a reader may see them half updated).
     */
    uint32_t                  video_codec;    /* NGX_RTC_CODEC_* */
    uint32_t                  audio_codec;    /* NGX_RTC_CODEC_NONE: none */
    uint64_t                  packets_sent;   /* RTP, retransmissions too */
    uint64_t                  bytes_sent;
    uint32_t                  packets_lost;   /* as the viewer reports */
    uint32_t                  fraction_lost;  /* video, 1/256 */
    uint32_t                  jitter_ms;      /* video */
    int32_t                   rtt_ms;         /* -1: not measured */
    uint32_t                  nacks;
    uint32_t                  retransmits;
    uint32_t                  key_requests;   /* PLI, FIR */
    uint32_t                  drops;          /* socket full */
    uint32_t                  srtp_profile;   /* NGX_RTC_SRTP_*, 0: none */
    uint32_t                  ice_local;      /* NGX_RTC_ICE_CAND_*, 0: */
    uint32_t                  ice_remote;     /* no pair selected yet */
    uint32_t                  ice_tcp;        /* the pair is ICE-TCP */
    uint32_t                  send_path;      /* NGX_RTC_SEND_* */
    uint32_t                  dtls_released;  /* the SSL is freed */
    uint64_t                  send_calls;     /* system calls sending media */
};


typedef struct {
    ngx_uint_t                state;          /* NGX_RTC_MBOX_* */
    ngx_uint_t                op;
    uint64_t                  seq;            /* names the request */
    ngx_pid_t                 owner;          /* the session's worker */
    ngx_uint_t                slot;
    ngx_msec_t                posted;
    u_char                    id[NGX_RTC_ID_LEN];
    ngx_uint_t                status;         /* HTTP status of the answer */
    size_t                    tag_len;
    u_char                    tag[NGX_RTC_MBOX_TAG];
    size_t                    req_len;
    u_char                    req[NGX_RTC_MBOX_DATA];
    size_t                    resp_len;
    u_char                    resp[NGX_RTC_MBOX_DATA];
} ngx_rtc_mbox_sh_t;


struct ngx_rtc_shctx_s {
    ngx_uint_t                nstreams;
    ngx_rtc_stream_sh_t       streams[NGX_RTC_MAX_STREAMS];
    uint64_t                  mbox_seq;
    ngx_atomic_t              mbox_pending;   /* slots in REQUEST state */
    ngx_rtc_mbox_sh_t         mbox[NGX_RTC_MBOX_SLOTS];

    /* worker slots, configuration generations */
    ngx_uint_t                nslots;
    size_t                    slots_off;      /* ngx_rtc_slot_sh_t[nslots] */
    ngx_atomic_t              generation;     /* of the newest config */
    ngx_atomic_t              left;           /* a generation that has
                                                 exited with none after it */
    ngx_atomic_t              started;        /* the newest generation
                                                 whose workers started */
    ngx_uint_t                max_sessions;   /* rtc_max_sessions, applied */

    /* runtime streams: their cap (rtc_zone runtime=), applied; changes */
    ngx_uint_t                runtime_max;
    ngx_atomic_t              runtime_gen;

    /* the purge's count of viewers per stream, under the lock */
    uint32_t                  recount[NGX_RTC_MAX_STREAMS];

    ngx_uint_t                nsessions;
    ngx_uint_t                sessions_used;
    ngx_rtc_session_sh_t      sessions[1];
};


ngx_int_t ngx_rtc_shm_add_zone(ngx_conf_t *cf, ngx_str_t *name, size_t size);
ngx_rtc_shctx_t *ngx_rtc_shm_ctx(void);
ngx_slab_pool_t *ngx_rtc_shm_pool(void);
void *ngx_rtc_shm_ring(ngx_rtc_stream_sh_t *st);
uint32_t *ngx_rtc_shm_slot_viewers(ngx_rtc_stream_sh_t *st);
ngx_rtc_slot_sh_t *ngx_rtc_shm_slot(ngx_uint_t slot);
ngx_int_t ngx_rtc_shm_enter(ngx_cycle_t *cycle);
ngx_uint_t ngx_rtc_shm_wake_clear(void);
ngx_uint_t ngx_rtc_shm_retired(void);
ngx_uint_t ngx_rtc_shm_removed(ngx_rtc_stream_sh_t *st);
void ngx_rtc_shm_leave(void);

ngx_int_t ngx_rtc_shm_session_add(ngx_uint_t stream, uint64_t incarnation,
    u_char *id, ngx_uint_t max, ngx_uint_t stream_max);
void ngx_rtc_shm_session_del(u_char *id);
ngx_rtc_session_sh_t *ngx_rtc_shm_session_find(u_char *id);
ngx_int_t ngx_rtc_shm_session_close(u_char *id, ngx_uint_t *slot);
void ngx_rtc_shm_session_state(u_char *id, ngx_uint_t state);

ngx_int_t ngx_rtc_shm_claim(ngx_uint_t stream, ngx_uint_t always,
    ngx_msec_t idle, ngx_rtc_lease_t *lease);
void ngx_rtc_shm_release(ngx_uint_t stream, ngx_rtc_lease_t *lease);
void ngx_rtc_shm_write_ended(ngx_uint_t stream, ngx_rtc_lease_t *lease);
ngx_uint_t ngx_rtc_shm_lease_live(ngx_rtc_stream_sh_t *st);
ngx_uint_t ngx_rtc_shm_claim_needed(ngx_rtc_stream_sh_t *st);
void ngx_rtc_shm_purge(ngx_cycle_t *cycle);

void ngx_rtc_shm_wake(ngx_rtc_stream_sh_t *st);
void ngx_rtc_shm_wake_slot(ngx_uint_t slot);

/*
 * this worker's eventfd and the event that reads it (NULL: none): a wake
 * of the slot whose eventfd it is posts the event instead of a write
 */
void ngx_rtc_shm_wake_local(ngx_event_t *ev, ngx_fd_t fd);

ngx_int_t ngx_rtc_shm_demand(ngx_uint_t stream, uint64_t incarnation,
    ngx_msec_t until);
ngx_int_t ngx_rtc_shm_snap_get(ngx_uint_t stream, uint64_t seq,
    ngx_uint_t width, ngx_pool_t *pool, ngx_str_t *jpeg, int64_t *capture);
ngx_int_t ngx_rtc_shm_snap_put(ngx_uint_t stream, uint64_t seq,
    ngx_uint_t width, u_char *jpeg, size_t len, int64_t capture);
void ngx_rtc_shm_snap_fail(ngx_uint_t stream, uint64_t seq, ngx_uint_t width);

void ngx_rtc_shm_stream_error(ngx_rtc_stream_sh_t *st, ngx_uint_t state,
    ngx_str_t *error);


/* a copy of the zone's tables, taken under its lock (status, metrics) */

typedef struct {
    ngx_uint_t                nstreams;
    ngx_rtc_stream_sh_t      *streams;
    ngx_uint_t                nsessions;      /* in use, copied */
    ngx_rtc_session_sh_t     *sessions;
    ngx_uint_t                max_sessions;
    size_t                    zone_size;
    ngx_uint_t                pages_free;
    ngx_rtc_latency_t         send_delay;     /* all slots' */
} ngx_rtc_shm_snapshot_t;


ngx_int_t ngx_rtc_shm_snapshot(ngx_pool_t *pool, ngx_rtc_shm_snapshot_t *snap);

/*
 * An entry of a stream, configured or made at run time: neither free nor
 * retired by a reload
 */
#define ngx_rtc_shm_stream_listed(st)  ((st)->name_len && !(st)->retired)


/* a runtime stream's source, in process memory: to store, or a copy */

typedef struct {
    ngx_str_t                 name;
    ngx_str_t                 url;            /* with credentials */
    ngx_uint_t                audio;          /* NGX_RTC_AUDIO_* */
    size_t                    buffer;         /* of a new ring */
    struct sockaddr          *sockaddr;
    socklen_t                 socklen;
} ngx_rtc_runtime_src_t;


/* ngx_rtc_shm_runtime_put() */
#define NGX_RTC_RUNTIME_CREATED     0
#define NGX_RTC_RUNTIME_SAME        1         /* as it was: nothing done */
#define NGX_RTC_RUNTIME_UPDATED     2         /* a new source */
#define NGX_RTC_RUNTIME_CONFIGURED  3         /* an rtc_stream: untouched */
#define NGX_RTC_RUNTIME_CAP         4         /* rtc_zone runtime= reached */
#define NGX_RTC_RUNTIME_TABLE       5         /* no free stream entry */
#define NGX_RTC_RUNTIME_MEMORY      6         /* the zone has no room */


typedef struct {
    uint64_t                  version;
    ngx_uint_t                audio;
    size_t                    buffer;
    socklen_t                 socklen;
    ngx_sockaddr_t            sockaddr;
    size_t                    name_len;
    u_char                    name[NGX_RTC_NAME_LEN];
    size_t                    url_len;
    u_char                    url[NGX_RTC_URL_MAX];
} ngx_rtc_runtime_copy_t;


ngx_uint_t ngx_rtc_shm_runtime_put(ngx_rtc_runtime_src_t *src,
    ngx_uint_t *count);
ngx_int_t ngx_rtc_shm_runtime_get(ngx_uint_t index,
    ngx_rtc_runtime_copy_t *copy);
ngx_uint_t ngx_rtc_shm_runtime_gen(void);
ngx_uint_t ngx_rtc_shm_runtime_room(void);


/* a mailbox message in process memory: a copy of a slot's request/answer */

typedef struct {
    ngx_uint_t                index;
    uint64_t                  seq;
    ngx_uint_t                op;
    u_char                    id[NGX_RTC_ID_LEN];
    ngx_uint_t                status;
    size_t                    tag_len;
    u_char                    tag[NGX_RTC_MBOX_TAG];
    size_t                    len;
    u_char                    data[NGX_RTC_MBOX_DATA];
} ngx_rtc_mbox_msg_t;


ngx_int_t ngx_rtc_shm_mbox_post(ngx_rtc_mbox_msg_t *msg, ngx_uint_t *slot);
ngx_int_t ngx_rtc_shm_mbox_take(ngx_rtc_mbox_msg_t *msg);
void ngx_rtc_shm_mbox_answer(ngx_rtc_mbox_msg_t *msg);
ngx_int_t ngx_rtc_shm_mbox_result(ngx_rtc_mbox_msg_t *msg);
void ngx_rtc_shm_mbox_cancel(ngx_rtc_mbox_msg_t *msg);


#endif /* _NGX_RTC_SHM_H_INCLUDED_ */
