/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * whep-load: N WHEP sessions in one process, on one epoll loop, each
 * with its own UDP socket, a hand-written ICE controlling agent, an
 * OpenSSL DTLS client and libsrtp2 for a sample of the packets.
 * See bench/README.md.
 */

#ifndef _WL_H_INCLUDED_
#define _WL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <openssl/ssl.h>
#include <srtp2/srtp.h>


#define WL_UFRAG_LEN       8
#define WL_PWD_LEN         24
#define WL_CRED_MAX        256
#define WL_FP_MAX          128
#define WL_MTU             1500
#define WL_HTTP_BUF        16384

/* times are microseconds of CLOCK_MONOTONIC since the start */
#define WL_MS              1000
#define WL_SEC             1000000


typedef enum {
    WL_NEW = 0,
    WL_HTTP,          /* POST in flight */
    WL_ICE,           /* binding requests until a success response */
    WL_DTLS,          /* client handshake */
    WL_MEDIA,         /* SRTP keys set, counting */
    WL_FAILED
} wl_state_e;


typedef enum {
    WL_FAIL_NONE = 0,
    WL_FAIL_HTTP,     /* connect, status not 201, timeout */
    WL_FAIL_ANSWER,   /* no usable candidate, credentials or fingerprint */
    WL_FAIL_ICE,      /* no binding success response */
    WL_FAIL_DTLS,     /* handshake, fingerprint, SRTP profile */
    WL_FAIL_MEDIA,    /* no RTP after the handshake */
    WL_FAIL_SOCKET,   /* a local error: socket, bind, fd limit */
    WL_FAIL_N
} wl_fail_e;


/* a connection of the HTTP client: one request, Connection: close */

typedef struct {
    int                 fd;
    int                 sent_all;
    size_t              sent;
    size_t              req_len;
    size_t              len;
    char               *req;
    char               *buf;      /* WL_HTTP_BUF */
    uint64_t            deadline;
} wl_http_t;


/* one RTP stream (SSRC) of a session */

typedef struct {
    uint32_t            ssrc;
    uint32_t            base;     /* extended seq of the first packet */
    uint32_t            max;      /* highest extended seq */
    uint64_t            received;
    uint32_t            ts;       /* RTP timestamp of the newest packet */
    uint64_t            ts_back;  /* newer packets with an older ts */
    unsigned            used:1;
    unsigned            ts_set:1;
} wl_track_t;


/* what the answer said */

typedef struct {
    char                ufrag[WL_CRED_MAX];
    char                pwd[WL_CRED_MAX];
    char                fp_alg[16];
    char                fp[WL_FP_MAX];          /* "AB:CD:..." */
    struct sockaddr_in  cand;                   /* best UDP IPv4 candidate */
    int                 video_pt;
    int                 audio_pt;
    uint32_t            video_ssrc;
    uint32_t            audio_ssrc;
} wl_answer_t;


typedef struct wl_session_s  wl_session_t;

struct wl_session_s {
    uint32_t            id;
    wl_state_e          state;
    wl_fail_e           fail;

    int                 fd;                     /* UDP */
    wl_http_t          *http;
    char               *location;               /* for DELETE */
    wl_answer_t        *answer;                 /* until media */

    char                ufrag[WL_UFRAG_LEN + 1];
    char                pwd[WL_PWD_LEN + 1];
    struct sockaddr_in  local;
    struct sockaddr_in  peer;
    uint64_t            tiebreak;
    uint8_t             tid[12];                /* our binding request */
    unsigned            ice_ok:1;
    unsigned            peer_checked:1;         /* we answered its check */
    unsigned            key_seen:1;
    unsigned            deleting:1;
    unsigned            gcm:1;
    unsigned            nominated:1;            /* janus: USE-CANDIDATE */
    int                 ice_tries;

    /* --server janus */
    int                 jstep;
    uint64_t            janus_session;
    uint64_t            janus_handle;
    uint64_t            next_keepalive;
    uint64_t            t_nominated;

    SSL                *ssl;
    BIO                *rbio;
    srtp_t              srtp_in;
    srtp_t              srtp_out;
    uint32_t            my_ssrc;

    /* timer: when wl_session_timer() wants to run next */
    uint64_t            next;
    uint64_t            deadline;
    uint64_t            next_rtcp;

    /* times since the start, 0 = not yet */
    uint64_t            t_start;
    uint64_t            t_answer;
    uint64_t            t_ice;
    uint64_t            t_dtls;
    uint64_t            t_first;
    uint64_t            t_key;
    uint64_t            t_last;                 /* last RTP */

    int                 video_pt;
    uint32_t            video_ssrc;
    wl_track_t          track[2];
    uint64_t            packets;
    uint64_t            bytes;
    uint64_t            rtcp_in;
    uint64_t            stun_in;
    uint32_t            sample;                 /* packets since a decrypt */
    uint32_t            decrypted;
    uint32_t            decrypt_failed;
    uint32_t            rtcp_out;
    uint32_t            pli_out;

    /* at the start of the measuring window */
    uint64_t            w_packets;
    uint64_t            w_bytes;
    uint64_t            w_expected;
    uint64_t            w_received;
};


typedef struct {
    /* options */
    int                 n;
    double              ramp;
    double              duration;
    int                 parallel;
    int                 audio;
    int                 json;
    int                 delete;
    int                 dtls_early;
    int                 janus;              /* --server janus */
    int                 janus_id;           /* its mountpoint */
    int                 sample;
    int                 rcvbuf;
    int                 gro;                /* --gro: UDP_GRO */
    double              timeout;
    uint64_t            interval;
    const char         *url;
    const char         *srtp_profiles;     /* use_srtp */
    struct in_addr      bind;

    /* from the URL */
    struct sockaddr_in  server;
    char                host[256];
    char                path[1024];

    int                 ep;
    SSL_CTX            *ssl_ctx;
    char                fingerprint[WL_FP_MAX];
    wl_session_t       *sessions;
    int                 started;
    int                 in_flight;
    int                 setting_up;     /* not yet at the first keyframe */
    uint64_t            now;
} wl_t;


extern wl_t         wl;
extern const char  *wl_fail_names[WL_FAIL_N];


/* the big-endian fields of STUN, RTP and RTCP */

static inline uint16_t
wl_get16(const u_char *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}


static inline uint32_t
wl_get32(const u_char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static inline void
wl_put16(u_char *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}


static inline void
wl_put32(u_char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}


uint64_t wl_now(void);
void wl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wl_random(void *buf, size_t len);
void wl_session_fail(wl_session_t *s, wl_fail_e fail, const char *why);
void wl_session_answer(wl_session_t *s, int status, char *body, size_t len,
    char *location);
int wl_session_peer(wl_session_t *s, const char *sdp, size_t len);
void wl_session_connected(wl_session_t *s);
void wl_janus_ice(wl_session_t *s);

/* wl_report.c */
void wl_report(double window, double cpu_ms, uint64_t t_run);

/* wl_http.c */
int wl_http_parse_url(const char *url, struct sockaddr_in *sin, char *host,
    size_t host_size, char *path, size_t path_size);
int wl_http_start(wl_session_t *s, const char *method, const char *path,
    const char *body, size_t body_len);
void wl_http_event(wl_session_t *s, uint32_t events);
void wl_http_close(wl_session_t *s);

/* wl_janus.c */
int wl_janus_start(wl_session_t *s);
void wl_janus_response(wl_session_t *s, int status, char *body, size_t len);
uint64_t wl_janus_keepalive(wl_session_t *s);
int wl_janus_destroy(wl_session_t *s);

/* wl_sdp.c */
size_t wl_sdp_offer(wl_session_t *s, char *buf, size_t size);
int wl_sdp_answer(const char *sdp, size_t len, wl_answer_t *a,
    const char **err);

/* wl_ice.c */
size_t wl_ice_request(wl_session_t *s, u_char *buf);
void wl_ice_stun(wl_session_t *s, u_char *buf, size_t len,
    struct sockaddr_in *from);

/* wl_dtls.c */
int wl_dtls_init(void);
int wl_dtls_start(wl_session_t *s);
void wl_dtls_input(wl_session_t *s, u_char *buf, size_t len);
void wl_dtls_timer(wl_session_t *s);
void wl_dtls_free(wl_session_t *s);

/* wl_media.c */
void wl_media_keys(wl_session_t *s, int gcm, u_char *km);
void wl_media_rtp(wl_session_t *s, u_char *buf, size_t len);
void wl_media_rtcp_timer(wl_session_t *s);
void wl_media_free(wl_session_t *s);
uint64_t wl_media_expected(wl_session_t *s);
uint64_t wl_media_received(wl_session_t *s);


#endif /* _WL_H_INCLUDED_ */
