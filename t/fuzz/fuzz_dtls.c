/*
 * Copyright (C) nginx-rtc authors
 *
 * A viewer's DTLS datagrams (anyone who can send from its address), as
 * ngx_rtc_session_recv() hands them over: those ngx_rtc_dtls_is_dtls()
 * takes go to ngx_rtc_dtls_input() of a session in the state the first
 * input byte chooses:
 *
 *   - a fresh server session (OpenSSL's ClientHello parsing, our check
 *     for a ClientHello and the resent flight);
 *   - CONNECTED after a real handshake with an OpenSSL client, the SSL
 *     kept (ECDHE-ECDSA-CHACHA20-POLY1305, -AES128-SHA, -AES128-GCM-
 *     SHA256 or -AES256-GCM-SHA384): our drop of a record of another
 *     version, then OpenSSL;
 *   - RELEASED (AES128-GCM or AES256-GCM, after ngx_rtc_dtls_release()):
 *     our record walk and the check of the peer's alerts under its key.
 *
 * The handshakes for the released state are done once (the state is
 * plain memory then: no SSL, no kept flight; it is copied for each
 * input, and freed by ngx_rtc_dtls_free(): were a pointer to memory of
 * its own kept there, the copies would free it twice, which ASan
 * reports); a connected session is made for each input (a handshake, a
 * few ms under ASan).  A datagram may
 * carry, besides the fuzzed bytes, a genuine record of the peer's, which
 * the fuzzer cannot forge: the client's close_notify or an application
 * data record (OpenSSL's), with an AES-GCM suite alerts sealed here under
 * the client's write key (derived from the master secret of its key log,
 * RFC 5246 6.3: a fatal handshake_failure, a warning user_canceled, a
 * close_notify), or in the fresh state a real ClientHello.
 *
 * Input: a config byte (bits 0-2: the state, 0 fresh, 1 CHACHA20, 2 CBC,
 * 3 GCM connected, 4-7 released; bit 3: no path to the peer yet,
 * send() says NGX_AGAIN until a datagram asks for ngx_rtc_dtls_resume();
 * bit 4: AES256-GCM-SHA384 rather than AES128-GCM-SHA256), then
 * datagrams, each as its length (2 bytes, cut to what is left), a flags
 * byte and its bytes.  Flags: bit 0: the genuine record is added, bit 1:
 * before the bytes (else after), bit 2: it is the application data record
 * (else the close_notify), bit 3: ngx_rtc_dtls_release() before the
 * datagram, bit 4: ngx_rtc_dtls_resume() before it, bit 5:
 * ngx_rtc_dtls_handle_timeout() after it, bits 6-7 (AES-GCM): the
 * genuine record is the sealed fatal alert (1), warning (2) or
 * close_notify (3).
 *
 * Invariants: a released session ends exactly on the datagrams whose
 * record walk reaches a genuine alert, as closed by the peer if it is a
 * close_notify; a connected CHACHA20 or GCM session ends only on a
 * datagram holding a genuine alert, closed only by a close_notify; a
 * datagram with a record of another version changes nothing once
 * connected; a fresh session never completes; what we send fits
 * NGX_RTC_DTLS_MTU; OpenSSL's error queue is left empty.
 *
 * NGX_RTC_FUZZ_DTLS_SEEDS=DIR: the first call writes the seed corpus
 * (t/fuzz/corpus/dtls/, README.md) into DIR.
 *
 * fuzz-deps: src/ngx_rtc_dtls.c
 * fuzz-libs: -lssl -lcrypto
 */

#include "ngx_rtc_fuzz.h"

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>

#include "ngx_rtc_dtls.h"


#define FUZZ_DTLS_FRESH        0
#define FUZZ_DTLS_CHACHA       1
#define FUZZ_DTLS_CBC          2
#define FUZZ_DTLS_GCM          3
#define FUZZ_DTLS_RELEASED     4

#define FUZZ_DTLS_NO_PATH      0x08

#define FUZZ_DTLS_GENUINE      0x01
#define FUZZ_DTLS_BEFORE       0x02
#define FUZZ_DTLS_APPDATA      0x04
#define FUZZ_DTLS_RELEASE      0x08
#define FUZZ_DTLS_RESUME       0x10
#define FUZZ_DTLS_TIMEOUT      0x20
#define FUZZ_DTLS_SEALED       0xc0

#define FUZZ_DTLS_AES256       0x10

/* what a datagram does to a released session */
#define FUZZ_DTLS_NONE         0
#define FUZZ_DTLS_CLOSE        1
#define FUZZ_DTLS_FAIL         2

#define FUZZ_DTLS_REC_MAX      2048
#define FUZZ_DTLS_QUEUE        32


typedef struct {
    size_t                len;
    u_char                data[FUZZ_DTLS_REC_MAX];
} fuzz_dtls_rec_t;


/* datagrams the server sent during a handshake */

typedef struct {
    ngx_uint_t            n;
    size_t                len[FUZZ_DTLS_QUEUE];
    u_char                data[FUZZ_DTLS_QUEUE][FUZZ_DTLS_REC_MAX];
} fuzz_dtls_queue_t;


typedef struct {
    ngx_rtc_dtls_t       *d;
    SSL                  *client;
    BIO                  *rbio;
    BIO                  *wbio;
    fuzz_dtls_rec_t       bye;          /* the client's close_notify */
    fuzz_dtls_rec_t       data;         /* its application data record */

    /* AES-GCM: sealed here, a fatal, a warning alert, a close_notify */
    fuzz_dtls_rec_t       alert[3];
} fuzz_dtls_conn_t;


static ngx_int_t fuzz_dtls_init(void);
static ngx_int_t fuzz_dtls_send(void *data, u_char *buf, size_t len);
static ngx_int_t fuzz_dtls_connect(fuzz_dtls_conn_t *c, const char *cipher,
    fuzz_dtls_queue_t *flight);
static void fuzz_dtls_client_out(fuzz_dtls_conn_t *c, fuzz_dtls_queue_t *q);
static void fuzz_dtls_conn_free(fuzz_dtls_conn_t *c);
static void fuzz_dtls_keylog(const SSL *ssl, const char *line);
static ngx_int_t fuzz_dtls_seal_alerts(fuzz_dtls_conn_t *c);
static ngx_int_t fuzz_dtls_seal(fuzz_dtls_rec_t *r, const EVP_CIPHER *cipher,
    u_char *key, u_char *iv, uint64_t seq, u_char level, u_char desc);
static ngx_uint_t fuzz_dtls_walk(u_char *buf, size_t len,
    fuzz_dtls_conn_t *c, ngx_uint_t *foreign);
static ngx_uint_t fuzz_dtls_holds(u_char *buf, size_t len,
    fuzz_dtls_rec_t *rec);
static void fuzz_dtls_seed(const char *dir, const char *name, int cfg, ...);
static void fuzz_dtls_seeds(const char *dir, fuzz_dtls_queue_t *flight,
    fuzz_dtls_conn_t *peer);


static ngx_log_t             fuzz_dtls_log;
static ngx_rtc_dtls_ctx_t   *fuzz_dtls_ctx;
static SSL_CTX              *fuzz_dtls_client_ctx;
static ngx_str_t             fuzz_dtls_alg = ngx_string("sha-256");
static ngx_str_t             fuzz_dtls_fp;
static u_char                fuzz_dtls_fp_text[32 * 3];

/*
 * the released state, AES128-GCM and AES256-GCM: a copy of the session,
 * the peer's genuine records, our close_notify
 */
static u_char               *fuzz_dtls_released[2];
static size_t                fuzz_dtls_released_size;
static fuzz_dtls_conn_t      fuzz_dtls_released_peer[2];
static fuzz_dtls_rec_t       fuzz_dtls_released_ours[2];

/* the client's key log: its master secret */
static char                  fuzz_dtls_keylog_line[512];

/* a real ClientHello, for the fresh state */
static fuzz_dtls_rec_t       fuzz_dtls_hello;

/* ngx_alloc(): the size of the next allocation is kept when asked */
static ngx_uint_t            fuzz_dtls_size_next;
static size_t                fuzz_dtls_size;

/* send(): where the datagrams go */
static fuzz_dtls_queue_t    *fuzz_dtls_out;
static ngx_uint_t            fuzz_dtls_no_path;
static ngx_uint_t            fuzz_dtls_sent;
static fuzz_dtls_rec_t       fuzz_dtls_last;


/* the unit stubs have no ngx_alloc() (src/os/unix/ngx_alloc.c) */

void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    if (fuzz_dtls_size_next) {
        fuzz_dtls_size_next = 0;
        fuzz_dtls_size = size;
    }

    return malloc(size);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *buf;
    size_t              n, len, glen;
    uint8_t             cfg, flags;
    ngx_int_t           rc;
    ngx_uint_t          state, v, before, closed, connected, released;
    ngx_uint_t          ended, outcome, foreign, any, bye;
    const uint8_t      *p, *end;
    fuzz_dtls_rec_t    *genuine;
    fuzz_dtls_conn_t   *c;
    ngx_rtc_dtls_t     *d;
    ngx_rtc_srtp_keys_t keys;

    static ngx_uint_t   inited;

    static const char  *ciphers[] = {
        NULL,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384"
    };

    if (!inited) {
        inited = 1;

        if (fuzz_dtls_init() != NGX_OK) {
            fprintf(stderr, "fuzz_dtls: setup failed\n");
            abort();
        }
    }

    if (size < 1) {
        return 0;
    }

    cfg = data[0];
    state = ngx_min((ngx_uint_t) (cfg & 7), FUZZ_DTLS_RELEASED);

    /* AES256-GCM: the connected and released GCM states only */

    v = ((cfg & FUZZ_DTLS_AES256) && state >= FUZZ_DTLS_GCM) ? 1 : 0;

    c = calloc(1, sizeof(fuzz_dtls_conn_t));
    NGX_RTC_FUZZ_ASSERT(c != NULL);

    fuzz_dtls_out = NULL;
    fuzz_dtls_no_path = 0;

    switch (state) {

    case FUZZ_DTLS_FRESH:
        d = ngx_rtc_dtls_create(fuzz_dtls_ctx, &fuzz_dtls_alg, &fuzz_dtls_fp,
                                fuzz_dtls_send, NULL, &fuzz_dtls_log);
        NGX_RTC_FUZZ_ASSERT(d != NULL);
        break;

    case FUZZ_DTLS_RELEASED:
        *c = fuzz_dtls_released_peer[v];

        d = malloc(fuzz_dtls_released_size);
        NGX_RTC_FUZZ_ASSERT(d != NULL);
        ngx_memcpy(d, fuzz_dtls_released[v], fuzz_dtls_released_size);
        NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_released(d));
        break;

    default:
        NGX_RTC_FUZZ_ASSERT(fuzz_dtls_connect(c, ciphers[state + v], NULL)
                            == NGX_OK);
        d = c->d;
        c->d = NULL;
    }

    fuzz_dtls_no_path = (cfg & FUZZ_DTLS_NO_PATH) ? 1 : 0;
    fuzz_dtls_sent = 0;

    p = data + 1;
    end = data + size;

    while (end - p >= 3) {
        len = ngx_min(ngx_rtc_fuzz_be16(p), (size_t) (end - p - 3));
        flags = p[2];
        p += 3;

        /* the genuine record of the peer's that the datagram may carry */

        if (state == FUZZ_DTLS_FRESH) {
            genuine = &fuzz_dtls_hello;

        } else if ((flags & FUZZ_DTLS_SEALED)
                   && c->alert[(flags >> 6) - 1].len)
        {
            genuine = &c->alert[(flags >> 6) - 1];

        } else {
            genuine = (flags & FUZZ_DTLS_APPDATA) ? &c->data : &c->bye;
        }

        glen = (flags & FUZZ_DTLS_GENUINE) ? genuine->len : 0;
        before = (flags & FUZZ_DTLS_BEFORE) ? 1 : 0;

        /* exactly n bytes on the heap, so that ASan sees a read past */

        n = len + glen;
        buf = malloc(n ? n : 1);
        NGX_RTC_FUZZ_ASSERT(buf != NULL);

        if (len) {
            ngx_memcpy(buf + (before ? glen : 0), p, len);
        }

        if (glen) {
            ngx_memcpy(buf + (before ? 0 : len), genuine->data, glen);
        }

        p += len;

        if (flags & FUZZ_DTLS_RELEASE) {
            ERR_clear_error();
            ngx_rtc_dtls_release(d);
            NGX_RTC_FUZZ_ASSERT(ERR_peek_error() == 0);
        }

        if (flags & FUZZ_DTLS_RESUME) {
            fuzz_dtls_no_path = 0;
            ngx_rtc_dtls_resume(d);
        }

        /* as ngx_rtc_session_recv(): only what the demultiplexer takes */

        NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_is_dtls(buf, n)
                            == (n > 0 && buf[0] >= 20 && buf[0] <= 63));

        if (!ngx_rtc_dtls_is_dtls(buf, n)) {
            free(buf);
            continue;
        }

        /* what the session is before the datagram, and what it holds */

        closed = ngx_rtc_dtls_peer_closed(d);
        released = ngx_rtc_dtls_released(d);
        connected = (ngx_rtc_dtls_srtp_keys(d, &keys) == NGX_OK);

        NGX_RTC_FUZZ_ASSERT(!released || state == FUZZ_DTLS_RELEASED
                            || state == FUZZ_DTLS_GCM);

        outcome = fuzz_dtls_walk(buf, n, c, &foreign);

        bye = fuzz_dtls_holds(buf, n, &c->bye)
              || fuzz_dtls_holds(buf, n, &c->alert[2]);
        any = bye
              || fuzz_dtls_holds(buf, n, &c->alert[0])
              || fuzz_dtls_holds(buf, n, &c->alert[1]);

        ERR_clear_error();

        rc = ngx_rtc_dtls_input(d, buf, n);

        NGX_RTC_FUZZ_ASSERT(ERR_peek_error() == 0);
        NGX_RTC_FUZZ_ASSERT(rc == NGX_OK || rc == NGX_ERROR
                            || rc == NGX_DONE);

        ended = (rc == NGX_ERROR);

        /* a session that ended stays so; one the peer closed has ended */

        if (closed) {
            NGX_RTC_FUZZ_ASSERT(rc == NGX_ERROR);
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_peer_closed(d));
        }

        if (ngx_rtc_dtls_peer_closed(d)) {
            NGX_RTC_FUZZ_ASSERT(rc == NGX_ERROR);
        }

        /* no certificate to match the fingerprint, no Finished */

        NGX_RTC_FUZZ_ASSERT(rc != NGX_DONE);

        if (state == FUZZ_DTLS_FRESH) {
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_srtp_keys(d, &keys)
                                == NGX_ERROR);
            NGX_RTC_FUZZ_ASSERT(!ngx_rtc_dtls_peer_closed(d));

        } else if (released) {

            /* ends on the first genuine alert the walk reaches, only */

            NGX_RTC_FUZZ_ASSERT(ended == (outcome != FUZZ_DTLS_NONE));
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_peer_closed(d)
                                == (outcome == FUZZ_DTLS_CLOSE));
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_released(d) == !ended);

        } else if (connected && foreign) {

            /* dropped before OpenSSL: the session is as it was */

            NGX_RTC_FUZZ_ASSERT(rc == NGX_OK);
            NGX_RTC_FUZZ_ASSERT(ngx_rtc_dtls_srtp_keys(d, &keys) == NGX_OK);

        } else if (connected) {

            /*
             * the AEAD suites: records that do not open are dropped;
             * OpenSSL 3.0's CBC suites end the connection on some forged
             * ones (test_dtls.c: not chosen by browsers)
             */

            if (ngx_rtc_dtls_peer_closed(d)) {
                NGX_RTC_FUZZ_ASSERT(bye);
            }

            if (state != FUZZ_DTLS_CBC && ended) {
                NGX_RTC_FUZZ_ASSERT(any);
            }
        }

        free(buf);

        if (flags & FUZZ_DTLS_TIMEOUT) {
            ERR_clear_error();
            (void) ngx_rtc_dtls_timeout(d);
            (void) ngx_rtc_dtls_handle_timeout(d);
            NGX_RTC_FUZZ_ASSERT(ERR_peek_error() == 0);
        }
    }

    /*
     * ngx_rtc_dtls_free() sends our close_notify unless the session
     * ended: a released one sends the one it kept
     */

    released = ngx_rtc_dtls_released(d);
    fuzz_dtls_no_path = 0;
    fuzz_dtls_sent = 0;
    fuzz_dtls_last.len = 0;

    ERR_clear_error();

    ngx_rtc_dtls_free(d);

    if (state == FUZZ_DTLS_RELEASED) {
        NGX_RTC_FUZZ_ASSERT(fuzz_dtls_sent == released);

        if (released) {
            NGX_RTC_FUZZ_ASSERT(fuzz_dtls_last.len
                                == fuzz_dtls_released_ours[v].len
                                && ngx_memcmp(fuzz_dtls_last.data,
                                              fuzz_dtls_released_ours[v].data,
                                              fuzz_dtls_last.len)
                                   == 0);
        }

    } else if (released) {
        NGX_RTC_FUZZ_ASSERT(fuzz_dtls_sent == 1);
    }

    ERR_clear_error();

    if (state != FUZZ_DTLS_RELEASED) {
        fuzz_dtls_conn_free(c);
    }

    free(c);

    return 0;
}


/*
 * Once: our context, the client's, a real ClientHello, and a session
 * released after an AES-GCM handshake, with the client's close_notify.
 */

static ngx_int_t
fuzz_dtls_init(void)
{
    u_char             *p;
    X509               *cert;
    EVP_PKEY           *pkey;
    X509_NAME          *name;
    const char         *dir;
    ngx_uint_t          i, v;
    unsigned int        n;
    fuzz_dtls_conn_t   *c;
    fuzz_dtls_queue_t  *flight;
    u_char              md[EVP_MAX_MD_SIZE];

    static u_char       hex[] = "0123456789ABCDEF";

    /* every level and debug: the error paths format OpenSSL's queue */

    fuzz_dtls_log.log_level = NGX_LOG_DEBUG_ALL;

    fuzz_dtls_ctx = ngx_rtc_dtls_ctx_create(&fuzz_dtls_log);
    if (fuzz_dtls_ctx == NULL) {
        return NGX_ERROR;
    }

    /* the client: an ECDSA certificate whose SHA-256 the "offer" names */

    pkey = EVP_EC_gen("P-256");
    cert = X509_new();

    if (pkey == NULL || cert == NULL) {
        return NGX_ERROR;
    }

    name = X509_get_subject_name(cert);

    if (X509_set_version(cert, X509_VERSION_3) != 1
        || ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) != 1
        || X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(cert), 86400) == NULL
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (u_char *) "fuzz", -1, -1, 0) != 1
        || X509_set_issuer_name(cert, name) != 1
        || X509_set_pubkey(cert, pkey) != 1
        || X509_sign(cert, pkey, EVP_sha256()) <= 0
        || X509_digest(cert, EVP_sha256(), md, &n) != 1)
    {
        return NGX_ERROR;
    }

    for (p = fuzz_dtls_fp_text, i = 0; i < n; i++) {
        if (i) {
            *p++ = ':';
        }

        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 0xf];
    }

    fuzz_dtls_fp.data = fuzz_dtls_fp_text;
    fuzz_dtls_fp.len = p - fuzz_dtls_fp_text;

    fuzz_dtls_client_ctx = SSL_CTX_new(DTLS_client_method());
    if (fuzz_dtls_client_ctx == NULL) {
        return NGX_ERROR;
    }

    SSL_CTX_set_options(fuzz_dtls_client_ctx, SSL_OP_NO_QUERY_MTU);
    SSL_CTX_set_keylog_callback(fuzz_dtls_client_ctx, fuzz_dtls_keylog);
    SSL_CTX_set_verify(fuzz_dtls_client_ctx, SSL_VERIFY_NONE, NULL);

    if (SSL_CTX_use_certificate(fuzz_dtls_client_ctx, cert) != 1
        || SSL_CTX_use_PrivateKey(fuzz_dtls_client_ctx, pkey) != 1
        || SSL_CTX_set_tlsext_use_srtp(fuzz_dtls_client_ctx,
                                       "SRTP_AEAD_AES_128_GCM:"
                                       "SRTP_AES128_CM_SHA1_80")
           != 0)
    {
        return NGX_ERROR;
    }

    X509_free(cert);
    EVP_PKEY_free(pkey);

    /* the released sessions: their memory is all their state */

    flight = calloc(1, sizeof(fuzz_dtls_queue_t));
    if (flight == NULL) {
        return NGX_ERROR;
    }

    for (v = 0; v < 2; v++) {
        c = &fuzz_dtls_released_peer[v];

        if (fuzz_dtls_connect(c, v ? "ECDHE-ECDSA-AES256-GCM-SHA384"
                                   : "ECDHE-ECDSA-AES128-GCM-SHA256",
                              v ? NULL : flight)
            != NGX_OK
            || c->alert[0].len == 0)
        {
            return NGX_ERROR;
        }

        ngx_rtc_dtls_release(c->d);

        if (!ngx_rtc_dtls_released(c->d)) {
            return NGX_ERROR;
        }

        fuzz_dtls_released_size = fuzz_dtls_size;
        fuzz_dtls_released[v] = malloc(fuzz_dtls_size);
        if (fuzz_dtls_released[v] == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(fuzz_dtls_released[v], c->d, fuzz_dtls_size);

        /* what the released session sends at its end: our close_notify */

        fuzz_dtls_sent = 0;
        fuzz_dtls_last.len = 0;
        ngx_rtc_dtls_free(c->d);
        c->d = NULL;

        if (fuzz_dtls_sent != 1 || fuzz_dtls_last.len == 0) {
            return NGX_ERROR;
        }

        fuzz_dtls_released_ours[v] = fuzz_dtls_last;

        fuzz_dtls_conn_free(c);
    }

    /* the client's first datagram */

    if (flight->n < 2 || flight->len[0] > FUZZ_DTLS_REC_MAX) {
        return NGX_ERROR;
    }

    fuzz_dtls_hello.len = flight->len[0];
    ngx_memcpy(fuzz_dtls_hello.data, flight->data[0], flight->len[0]);

    dir = getenv("NGX_RTC_FUZZ_DTLS_SEEDS");

    if (dir) {
        fuzz_dtls_seeds(dir, flight, &fuzz_dtls_released_peer[0]);
    }

    free(flight);

    ERR_clear_error();

    return NGX_OK;
}


static ngx_int_t
fuzz_dtls_send(void *data, u_char *buf, size_t len)
{
    fuzz_dtls_queue_t  *q;

    /* records packed into datagrams of at most the MTU */

    NGX_RTC_FUZZ_ASSERT(len > 0 && len <= NGX_RTC_DTLS_MTU);

    if (fuzz_dtls_no_path) {
        return NGX_AGAIN;
    }

    fuzz_dtls_sent++;
    fuzz_dtls_last.len = len;
    ngx_memcpy(fuzz_dtls_last.data, buf, len);

    q = fuzz_dtls_out;

    if (q && q->n < FUZZ_DTLS_QUEUE) {
        ngx_memcpy(q->data[q->n], buf, len);
        q->len[q->n++] = len;
    }

    return NGX_OK;
}


/*
 * A handshake between our server session and an OpenSSL client offering
 * one suite; then the client's genuine records: an application data
 * record and its close_notify.  "flight", if not NULL, gets the client's
 * datagrams (the first is the ClientHello).
 */

static ngx_int_t
fuzz_dtls_connect(fuzz_dtls_conn_t *c, const char *cipher,
    fuzz_dtls_queue_t *flight)
{
    int                 n;
    ngx_int_t           rc;
    ngx_uint_t          i, k, done, rounds;
    fuzz_dtls_queue_t   s2c, c2s;

    c->client = SSL_new(fuzz_dtls_client_ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());

    if (c->client == NULL || c->rbio == NULL || c->wbio == NULL) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        c->rbio = NULL;
        c->wbio = NULL;
        return NGX_ERROR;
    }

    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->client, c->rbio, c->wbio);
    SSL_set_connect_state(c->client);
    SSL_set_mtu(c->client, NGX_RTC_DTLS_MTU);

    if (SSL_set_cipher_list(c->client, cipher) != 1) {
        return NGX_ERROR;
    }

    fuzz_dtls_size_next = 1;
    fuzz_dtls_keylog_line[0] = '\0';

    c->d = ngx_rtc_dtls_create(fuzz_dtls_ctx, &fuzz_dtls_alg, &fuzz_dtls_fp,
                               fuzz_dtls_send, NULL, &fuzz_dtls_log);
    if (c->d == NULL) {
        return NGX_ERROR;
    }

    s2c.n = 0;
    fuzz_dtls_out = &s2c;

    done = 0;

    for (rounds = 0; rounds < 16 && !done; rounds++) {

        /* the client reads what the server sent, and answers */

        k = (s2c.n == 0) ? 1 : s2c.n;

        for (i = 0; i < k; i++) {
            if (s2c.n) {
                (void) BIO_write(c->rbio, s2c.data[i], (int) s2c.len[i]);
            }

            (void) SSL_do_handshake(c->client);
        }

        s2c.n = 0;

        c2s.n = 0;
        fuzz_dtls_client_out(c, &c2s);

        for (i = 0; i < c2s.n; i++) {
            if (flight && flight->n < FUZZ_DTLS_QUEUE) {
                ngx_memcpy(flight->data[flight->n], c2s.data[i],
                           c2s.len[i]);
                flight->len[flight->n++] = c2s.len[i];
            }

            rc = ngx_rtc_dtls_input(c->d, c2s.data[i], c2s.len[i]);

            if (rc == NGX_ERROR) {
                fuzz_dtls_out = NULL;
                return NGX_ERROR;
            }

            if (rc == NGX_DONE) {
                done = 1;
            }
        }
    }

    /* the server's last flight: the client completes */

    for (i = 0; i < s2c.n; i++) {
        (void) BIO_write(c->rbio, s2c.data[i], (int) s2c.len[i]);
        (void) SSL_do_handshake(c->client);
    }

    fuzz_dtls_out = NULL;

    if (!done || SSL_is_init_finished(c->client) != 1) {
        return NGX_ERROR;
    }

    (void) BIO_reset(c->wbio);

    n = SSL_write(c->client, "fuzz", 4);
    if (n != 4) {
        return NGX_ERROR;
    }

    c->data.len = BIO_read(c->wbio, c->data.data, FUZZ_DTLS_REC_MAX);

    (void) SSL_shutdown(c->client);
    c->bye.len = BIO_read(c->wbio, c->bye.data, FUZZ_DTLS_REC_MAX);

    if ((int) c->data.len <= 0 || (int) c->bye.len <= 0
        || c->bye.data[0] != 21)
    {
        return NGX_ERROR;
    }

    if (fuzz_dtls_seal_alerts(c) != NGX_OK) {
        return NGX_ERROR;
    }

    ERR_clear_error();

    return NGX_OK;
}


/* the client's output, records packed into datagrams of the MTU */

static void
fuzz_dtls_client_out(fuzz_dtls_conn_t *c, fuzz_dtls_queue_t *q)
{
    long     n;
    char    *data;
    size_t   rec;
    u_char  *p, *start, *end;

    n = BIO_get_mem_data(c->wbio, &data);

    if (n <= 0) {
        return;
    }

    start = (u_char *) data;
    end = start + n;

    for (p = start; p <= end; p += rec) {
        rec = (end - p < 13) ? (size_t) (end - p)
                             : 13 + ((size_t) p[11] << 8) + p[12];
        rec = ngx_min(rec, (size_t) (end - p));

        if (p == end
            || (p > start && (size_t) (p - start) + rec > NGX_RTC_DTLS_MTU))
        {
            if (q->n < FUZZ_DTLS_QUEUE
                && (size_t) (p - start) <= FUZZ_DTLS_REC_MAX)
            {
                ngx_memcpy(q->data[q->n], start, p - start);
                q->len[q->n++] = p - start;
            }

            start = p;
        }

        if (p == end) {
            break;
        }
    }

    (void) BIO_reset(c->wbio);
}


static void
fuzz_dtls_conn_free(fuzz_dtls_conn_t *c)
{
    if (c->d) {
        ngx_rtc_dtls_free(c->d);
        c->d = NULL;
    }

    if (c->client) {
        SSL_free(c->client);            /* and its BIOs */

    } else {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
    }

    c->client = NULL;
    c->rbio = NULL;
    c->wbio = NULL;

    ERR_clear_error();
}


/*
 * The records of a datagram as RFC 6347 4.1 lays them out, walked from
 * its start while whole: what the first genuine alert among them does
 * (FUZZ_DTLS_CLOSE, FUZZ_DTLS_FAIL, or FUZZ_DTLS_NONE), and whether one
 * has a version other than DTLS 1.2's (a header of one that is cut short
 * counts too: its version is read).
 */

static ngx_uint_t
fuzz_dtls_walk(u_char *buf, size_t len, fuzz_dtls_conn_t *c,
    ngx_uint_t *foreign)
{
    size_t      n, left;
    u_char     *p;
    ngx_uint_t  i, outcome;

    static const ngx_uint_t  alerts[] = {
        FUZZ_DTLS_FAIL, FUZZ_DTLS_FAIL, FUZZ_DTLS_CLOSE
    };

    *foreign = 0;
    outcome = FUZZ_DTLS_NONE;

    for (p = buf, left = len; left >= 13; p += n, left -= n) {

        if (p[1] != 0xfe || p[2] != 0xfd) {
            *foreign = 1;
        }

        n = 13 + ngx_rtc_fuzz_be16(p + 11);

        if (n > left) {
            break;
        }

        if (outcome != FUZZ_DTLS_NONE) {
            continue;
        }

        if (n == c->bye.len && ngx_memcmp(p, c->bye.data, n) == 0) {
            outcome = FUZZ_DTLS_CLOSE;
            continue;
        }

        for (i = 0; i < 3; i++) {
            if (n == c->alert[i].len
                && ngx_memcmp(p, c->alert[i].data, n) == 0)
            {
                outcome = alerts[i];
                break;
            }
        }
    }

    return outcome;
}


/* the client's key log: "CLIENT_RANDOM <random> <master secret>" */

static void
fuzz_dtls_keylog(const SSL *ssl, const char *line)
{
    if (ngx_strncmp(line, "CLIENT_RANDOM ", 14) == 0) {
        snprintf(fuzz_dtls_keylog_line, sizeof(fuzz_dtls_keylog_line),
                 "%s", line);
    }
}


/*
 * With an AES-GCM suite, the client's write key and fixed IV from its
 * master secret (RFC 5246 6.3: key_block = PRF(master_secret, "key
 * expansion", server_random + client_random), the client's key and IV
 * first of each), and alerts sealed under them (RFC 5288 3) at sequence
 * numbers the client has not used.
 */

static ngx_int_t
fuzz_dtls_seal_alerts(fuzz_dtls_conn_t *c)
{
    int                nid;
    char              *h;
    size_t             klen, mlen, i;
    u_char            *p;
    ngx_int_t          rc;
    OSSL_PARAM         params[4];
    EVP_KDF           *kdf;
    EVP_KDF_CTX       *kctx;
    const EVP_MD      *md;
    const SSL_CIPHER  *cipher;
    const EVP_CIPHER  *aead;
    u_char             master[48], block[2 * (32 + 4)];
    u_char             seed[13 + 2 * SSL3_RANDOM_SIZE];

    cipher = SSL_get_current_cipher(c->client);
    nid = cipher ? SSL_CIPHER_get_cipher_nid(cipher) : NID_undef;

    if (nid == NID_aes_128_gcm) {
        aead = EVP_aes_128_gcm();
        klen = 16;

    } else if (nid == NID_aes_256_gcm) {
        aead = EVP_aes_256_gcm();
        klen = 32;

    } else {
        return NGX_OK;
    }

    /* "CLIENT_RANDOM " 64 hex digits, " ", 96 hex digits */

    if (ngx_strlen(fuzz_dtls_keylog_line) < 14 + 64 + 1 + 96) {
        return NGX_ERROR;
    }

    h = fuzz_dtls_keylog_line + 14 + 64 + 1;
    mlen = sizeof(master);

    for (i = 0; i < mlen; i++) {
        if (sscanf(h + 2 * i, "%2hhx", &master[i]) != 1) {
            return NGX_ERROR;
        }
    }

    md = SSL_CIPHER_get_handshake_digest(cipher);
    if (md == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(seed, "key expansion", 13);
    p += SSL_get_server_random(c->client, p, SSL3_RANDOM_SIZE);
    p += SSL_get_client_random(c->client, p, SSL3_RANDOM_SIZE);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                          (char *) EVP_MD_get0_name(md), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                                  master, mlen);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
                                                  seed, p - seed);
    params[3] = OSSL_PARAM_construct_end();

    kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
    kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;

    rc = (kctx && EVP_KDF_derive(kctx, block, 2 * (klen + 4), params) == 1)
         ? NGX_OK : NGX_ERROR;

    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    /* fatal handshake_failure, warning user_canceled, close_notify */

    if (fuzz_dtls_seal(&c->alert[0], aead, block, block + 2 * klen, 0x100,
                       2, 40)
        != NGX_OK
        || fuzz_dtls_seal(&c->alert[1], aead, block, block + 2 * klen,
                          0x101, 1, 90)
           != NGX_OK
        || fuzz_dtls_seal(&c->alert[2], aead, block, block + 2 * klen,
                          0x102, 1, 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* an alert record of epoch 1: header, explicit nonce, alert, tag */

static ngx_int_t
fuzz_dtls_seal(fuzz_dtls_rec_t *r, const EVP_CIPHER *cipher, u_char *key,
    u_char *iv, uint64_t seq, u_char level, u_char desc)
{
    int              n;
    u_char          *h;
    ngx_int_t        rc;
    EVP_CIPHER_CTX  *ctx;
    u_char           nonce[12], aad[13], alert[2];

    h = r->data;

    h[0] = 21;
    h[1] = 0xfe;
    h[2] = 0xfd;
    h[3] = 0;
    h[4] = 1;
    h[5] = (u_char) (seq >> 40);
    h[6] = (u_char) (seq >> 32);
    h[7] = (u_char) (seq >> 24);
    h[8] = (u_char) (seq >> 16);
    h[9] = (u_char) (seq >> 8);
    h[10] = (u_char) seq;
    h[11] = 0;
    h[12] = 8 + 2 + 16;

    /* the explicit nonce: epoch and sequence number, as OpenSSL's */

    ngx_memcpy(h + 13, h + 3, 8);

    ngx_memcpy(nonce, iv, 4);
    ngx_memcpy(nonce + 4, h + 3, 8);

    ngx_memcpy(aad, h + 3, 8);
    aad[8] = 21;
    aad[9] = 0xfe;
    aad[10] = 0xfd;
    aad[11] = 0;
    aad[12] = 2;

    alert[0] = level;
    alert[1] = desc;

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    rc = (EVP_EncryptInit_ex(ctx, cipher, NULL, key, nonce) == 1
          && EVP_EncryptUpdate(ctx, NULL, &n, aad, sizeof(aad)) == 1
          && EVP_EncryptUpdate(ctx, h + 21, &n, alert, 2) == 1
          && EVP_EncryptFinal_ex(ctx, h + 23, &n) == 1
          && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, h + 23) == 1)
         ? NGX_OK : NGX_ERROR;

    EVP_CIPHER_CTX_free(ctx);

    r->len = 13 + 8 + 2 + 16;

    return rc;
}


/* the datagram holds "rec" anywhere */

static ngx_uint_t
fuzz_dtls_holds(u_char *buf, size_t len, fuzz_dtls_rec_t *rec)
{
    size_t  i;

    if (rec->len == 0 || rec->len > len) {
        return 0;
    }

    for (i = 0; i + rec->len <= len; i++) {
        if (ngx_memcmp(buf + i, rec->data, rec->len) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The seed corpus: each file a config byte and datagrams (length, flags,
 * bytes).  Real records come from the handshake of fuzz_dtls_init()
 * (their keys are gone once it ends: the genuine ones are added by the
 * flags), the rest is written here.
 */

static void
fuzz_dtls_seed(const char *dir, const char *name, int cfg, ...)
{
    int            flags;
    FILE          *f;
    size_t         len;
    u_char        *data;
    va_list        args;
    char           path[1024];

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        abort();
    }

    (void) fputc(cfg, f);

    /* (flags, data, len)... ended by a flags of -1 */

    va_start(args, cfg);

    for ( ;; ) {
        flags = va_arg(args, int);

        if (flags < 0) {
            break;
        }

        data = va_arg(args, u_char *);
        len = va_arg(args, size_t);

        (void) fputc((int) (len >> 8), f);
        (void) fputc((int) (len & 0xff), f);
        (void) fputc(flags, f);

        if (len) {
            (void) fwrite(data, 1, len, f);
        }
    }

    va_end(args);

    if (fclose(f) != 0) {
        perror(path);
        abort();
    }
}


static void
fuzz_dtls_seeds(const char *dir, fuzz_dtls_queue_t *flight,
    fuzz_dtls_conn_t *peer)
{
    size_t   hlen, flen, alen, blen;
    u_char  *hello, *fl, *app, *bye, v1, v2;
    u_char   foreign[64], cut[64], junk[64];

    static u_char  none[1];

    /* the client's datagrams: the ClientHello, then its second flight */

    hello = flight->data[0];
    hlen = flight->len[0];
    fl = flight->data[1];
    flen = flight->len[1];

    /* an application data record and a close_notify: stale keys */

    app = peer->data.data;
    alen = peer->data.len;
    bye = peer->bye.data;
    blen = peer->bye.len;

    if (blen > sizeof(foreign)) {
        abort();
    }

    /* a record of version 0xfeff (DTLS 1.0) with the shape of an alert */

    ngx_memcpy(foreign, bye, blen);
    foreign[1] = 0xfe;
    foreign[2] = 0xff;

    /* a header claiming more than follows, and 12 bytes of a header */

    ngx_memcpy(cut, bye, blen);
    cut[11] = 0;
    cut[12] = 200;

    ngx_memset(junk, 0x17, sizeof(junk));
    junk[1] = 0xfe;
    junk[2] = 0xfd;
    junk[11] = 0;
    junk[12] = sizeof(junk) - 13;

    fuzz_dtls_seed(dir, "fresh-client-hello", 0,
                   0, hello, hlen, -1);
    fuzz_dtls_seed(dir, "fresh-client-hello-again", 0,
                   0, hello, hlen, 0, hello, hlen, FUZZ_DTLS_TIMEOUT,
                   none, (size_t) 0, -1);
    fuzz_dtls_seed(dir, "fresh-no-path", FUZZ_DTLS_NO_PATH,
                   FUZZ_DTLS_GENUINE, none, (size_t) 0,
                   FUZZ_DTLS_GENUINE, none, (size_t) 0,
                   FUZZ_DTLS_RESUME|FUZZ_DTLS_GENUINE, none, (size_t) 0,
                   -1);
    fuzz_dtls_seed(dir, "fresh-flight", 0,
                   FUZZ_DTLS_GENUINE, none, (size_t) 0, 0, fl, flen, -1);
    fuzz_dtls_seed(dir, "fresh-truncated-hello", 0,
                   0, hello, hlen / 2, 0, hello, (size_t) 12, -1);

    fuzz_dtls_seed(dir, "chacha-appdata", FUZZ_DTLS_CHACHA,
                   0, app, alen,
                   FUZZ_DTLS_GENUINE|FUZZ_DTLS_APPDATA, none, (size_t) 0,
                   -1);
    fuzz_dtls_seed(dir, "chacha-close", FUZZ_DTLS_CHACHA,
                   FUZZ_DTLS_GENUINE, none, (size_t) 0, -1);
    fuzz_dtls_seed(dir, "chacha-feff-close", FUZZ_DTLS_CHACHA,
                   FUZZ_DTLS_GENUINE, foreign, blen,
                   FUZZ_DTLS_GENUINE|FUZZ_DTLS_BEFORE, cut, (size_t) 12,
                   -1);
    fuzz_dtls_seed(dir, "chacha-hello", FUZZ_DTLS_CHACHA,
                   0, hello, hlen, 0, fl, flen, -1);

    /* a ClientHello of epoch 0 at DTLS 1.2's record version, connected */

    v1 = hello[1];
    v2 = hello[2];
    hello[1] = 0xfe;
    hello[2] = 0xfd;

    fuzz_dtls_seed(dir, "chacha-hello-fefd", FUZZ_DTLS_CHACHA,
                   0, hello, hlen, -1);
    fuzz_dtls_seed(dir, "gcm-hello-fefd", FUZZ_DTLS_GCM,
                   0, hello, hlen, FUZZ_DTLS_RELEASE, hello, hlen, -1);

    hello[1] = v1;
    hello[2] = v2;
    fuzz_dtls_seed(dir, "cbc-close", FUZZ_DTLS_CBC,
                   FUZZ_DTLS_GENUINE|FUZZ_DTLS_APPDATA, none, (size_t) 0,
                   FUZZ_DTLS_GENUINE, junk, sizeof(junk), -1);
    fuzz_dtls_seed(dir, "gcm-fatal", FUZZ_DTLS_GCM,
                   FUZZ_DTLS_GENUINE|0x40, none, (size_t) 0, -1);
    fuzz_dtls_seed(dir, "gcm-aes256-close", FUZZ_DTLS_GCM|FUZZ_DTLS_AES256,
                   FUZZ_DTLS_GENUINE|0xc0, none, (size_t) 0, -1);
    fuzz_dtls_seed(dir, "gcm-release-close", FUZZ_DTLS_GCM,
                   FUZZ_DTLS_GENUINE|FUZZ_DTLS_APPDATA, none, (size_t) 0,
                   FUZZ_DTLS_RELEASE|FUZZ_DTLS_GENUINE, junk, sizeof(junk),
                   -1);

    fuzz_dtls_seed(dir, "released-close", FUZZ_DTLS_RELEASED,
                   FUZZ_DTLS_GENUINE, none, (size_t) 0, -1);
    fuzz_dtls_seed(dir, "released-aes256-close",
                   FUZZ_DTLS_RELEASED|FUZZ_DTLS_AES256,
                   FUZZ_DTLS_GENUINE|FUZZ_DTLS_APPDATA, none, (size_t) 0,
                   FUZZ_DTLS_GENUINE|0xc0, junk, sizeof(junk), -1);
    fuzz_dtls_seed(dir, "released-fatal", FUZZ_DTLS_RELEASED,
                   FUZZ_DTLS_GENUINE|FUZZ_DTLS_BEFORE|0x40, bye, blen, -1);
    fuzz_dtls_seed(dir, "released-warning", FUZZ_DTLS_RELEASED,
                   FUZZ_DTLS_GENUINE|0x80, none, (size_t) 0, -1);
    fuzz_dtls_seed(dir, "released-alerts", FUZZ_DTLS_RELEASED,
                   0, bye, blen, 0, foreign, blen,
                   FUZZ_DTLS_GENUINE, junk, sizeof(junk), -1);
    fuzz_dtls_seed(dir, "released-truncated", FUZZ_DTLS_RELEASED,
                   0, cut, blen, FUZZ_DTLS_GENUINE, cut, blen,
                   0, bye, (size_t) 12, 0, bye, blen - 1, -1);
}
