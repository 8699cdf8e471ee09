/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ngx_rtc_dtls.h"


/*
 * A DTLS server (a=setup:passive), or client (ngx_rtc_dtls_connect()),
 * on two memory BIOs: the ICE layer hands us each received datagram, and
 * whatever OpenSSL writes is cut into records and sent through the
 * caller's send() in datagrams of at most NGX_RTC_DTLS_MTU bytes.
 * Retransmission timers are the caller's: it arms a timer for
 * ngx_rtc_dtls_timeout() and calls ngx_rtc_dtls_handle_timeout().
 *
 * Until the handshake completes our last flight is kept.  A browser sends
 * its ClientHello as soon as its own connectivity check succeeds, which is
 * often before our ICE agent has a selected pair: the flight that answers
 * it cannot leave yet (send() says NGX_AGAIN), and OpenSSL would only
 * resend it from its 1 s timer, as it ignores the retransmitted
 * ClientHellos.  The kept flight goes out when the caller says the path is
 * there (ngx_rtc_dtls_resume()), and again whenever the ClientHello comes
 * again (RFC 6347 4.2.4: the peer did not get our flight).
 *
 * Once the peer has shown that it has the keys (its first authenticated
 * SRTCP: it got our Finished), the SSL is freed (ngx_rtc_dtls_release()):
 * OpenSSL keeps ~45 KB per DTLS connection (handshake and record buffers)
 * that a session then never needs but for the close_notify in either
 * direction.  Ours is written by OpenSSL at release and kept as a record
 * (no other record ever follows it, so its sequence number stays valid);
 * the peer's is checked with its record key, derived at release from the
 * master secret (RFC 5246 6.3), for the AEAD suites; with another suite
 * the SSL is kept.
 */


#define NGX_RTC_DTLS_HANDSHAKE       0
#define NGX_RTC_DTLS_CONNECTED       1
#define NGX_RTC_DTLS_CLOSED          2
#define NGX_RTC_DTLS_FAILED          3
#define NGX_RTC_DTLS_RELEASED        4

#define NGX_RTC_DTLS_ALERT_TYPE      21
#define NGX_RTC_DTLS_EXPLICIT_NONCE  8
#define NGX_RTC_DTLS_AEAD_TAG        16
#define NGX_RTC_DTLS_MAX_KEY         32
#define NGX_RTC_DTLS_FIXED_IV        4
#define NGX_RTC_DTLS_BYE_MAX         64

#define NGX_RTC_DTLS_RECORD_HEADER   13
#define NGX_RTC_DTLS_HANDSHAKE_TYPE  22
#define NGX_RTC_DTLS_CLIENT_HELLO    1
#define NGX_RTC_DTLS_MAX_FLIGHT      (8 * NGX_RTC_DTLS_MTU)
#define NGX_RTC_DTLS_CERT_DAYS       30

#define NGX_RTC_DTLS_SRTP_PROFILES                                            \
    "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

/* the certificate is ECDSA: only ECDHE-ECDSA suites can be chosen */
#define NGX_RTC_DTLS_CIPHERS                                                  \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"            \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA:"                   \
    "ECDHE-ECDSA-AES256-SHA"

/* as a client (ngx_rtc_dtls_connect()): the server's certificate decides */
#define NGX_RTC_DTLS_CLIENT_CIPHERS                                           \
    NGX_RTC_DTLS_CIPHERS ":ECDHE-RSA-AES128-GCM-SHA256:"                      \
    "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:"                \
    "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"

#define NGX_RTC_DTLS_GROUPS          "X25519:P-256:P-384"

#define NGX_RTC_DTLS_EXPORTER        "EXTRACTOR-dtls_srtp"


struct ngx_rtc_dtls_ctx_s {
    SSL_CTX                  *ssl_ctx;
    EVP_KDF                  *prf;        /* TLS1-PRF, for the release */
    ngx_str_t                 fingerprint;
    u_char                    text[sizeof("sha-256 ") - 1 + 32 * 3];
};


struct ngx_rtc_dtls_s {
    SSL                      *ssl;
    BIO                      *rbio;
    BIO                      *wbio;
    const EVP_MD             *md;
    ngx_rtc_dtls_send_pt      send;
    void                     *data;
    ngx_log_t                *log;
    ngx_uint_t                state;
    size_t                    fp_len;
    u_char                    fp[EVP_MAX_MD_SIZE];

    /* our last handshake flight as OpenSSL wrote it: records */
    u_char                   *flight;
    size_t                    flight_len;
    ngx_uint_t                flights;    /* flushes that wrote something */
    ngx_rtc_dtls_stats_t      stats;

    /* after ngx_rtc_dtls_release(): the SSL is gone */
    ngx_rtc_dtls_ctx_t       *ctx;
    const EVP_CIPHER         *peer_cipher;
    size_t                    peer_key_len;
    size_t                    bye_len;
    u_char                    peer_key[NGX_RTC_DTLS_MAX_KEY];
    u_char                    peer_iv[NGX_RTC_DTLS_FIXED_IV];
    u_char                    bye[NGX_RTC_DTLS_BYE_MAX];  /* close_notify */

    unsigned                  fp_mismatch:1;
    unsigned                  held:1;     /* the flight did not go out */
};


typedef struct {
    ngx_str_t                 name;
    const EVP_MD           *(*md)(void);
} ngx_rtc_dtls_hash_t;


static X509 *ngx_rtc_dtls_certificate(EVP_PKEY *pkey);
static int ngx_rtc_dtls_verify(int ok, X509_STORE_CTX *store);
static const EVP_MD *ngx_rtc_dtls_hash(ngx_str_t *name);
static ngx_int_t ngx_rtc_dtls_parse_fingerprint(ngx_rtc_dtls_t *d,
    ngx_str_t *value);
static ngx_int_t ngx_rtc_dtls_check_fingerprint(ngx_rtc_dtls_t *d,
    X509 *cert);
static ngx_int_t ngx_rtc_dtls_handshake(ngx_rtc_dtls_t *d);
static ngx_int_t ngx_rtc_dtls_connected(ngx_rtc_dtls_t *d);
static ngx_int_t ngx_rtc_dtls_read(ngx_rtc_dtls_t *d);
static void ngx_rtc_dtls_flush(ngx_rtc_dtls_t *d);
static void ngx_rtc_dtls_keep(ngx_rtc_dtls_t *d, u_char *data, size_t len);
static ngx_int_t ngx_rtc_dtls_send(ngx_rtc_dtls_t *d, u_char *data,
    size_t len);
static void ngx_rtc_dtls_resend(ngx_rtc_dtls_t *d, const char *why);
static void ngx_rtc_dtls_swap(u_char **a, u_char **b);
static ngx_int_t ngx_rtc_dtls_peer_key(ngx_rtc_dtls_t *d);
static ngx_int_t ngx_rtc_dtls_released_input(ngx_rtc_dtls_t *d, u_char *buf,
    size_t len);
static ngx_uint_t ngx_rtc_dtls_foreign_version(u_char *buf, size_t len);
static size_t ngx_rtc_dtls_record_len(u_char *p, size_t left);
static ngx_int_t ngx_rtc_dtls_open_alert(ngx_rtc_dtls_t *d, u_char *rec,
    size_t len, u_char *alert);
static void ngx_rtc_dtls_error(ngx_uint_t level, ngx_log_t *log,
    const char *text);


/* RFC 8122 5: the hash function names of a=fingerprint */
static ngx_rtc_dtls_hash_t  ngx_rtc_dtls_hashes[] = {
    { ngx_string("sha-1"),   EVP_sha1 },
    { ngx_string("sha-224"), EVP_sha224 },
    { ngx_string("sha-256"), EVP_sha256 },
    { ngx_string("sha-384"), EVP_sha384 },
    { ngx_string("sha-512"), EVP_sha512 },
    { ngx_null_string,       NULL }
};


ngx_rtc_dtls_ctx_t *
ngx_rtc_dtls_ctx_create(ngx_log_t *log)
{
    u_char              *p;
    X509                *cert;
    SSL_CTX             *ssl_ctx;
    EVP_PKEY            *pkey;
    ngx_uint_t           i;
    unsigned int         n;
    ngx_rtc_dtls_ctx_t  *ctx;
    u_char               md[EVP_MAX_MD_SIZE];

    static u_char        hex[] = "0123456789ABCDEF";

    ctx = ngx_alloc(sizeof(ngx_rtc_dtls_ctx_t), log);
    if (ctx == NULL) {
        return NULL;
    }

    ctx->ssl_ctx = NULL;
    cert = NULL;

    /* without it sessions keep their SSL (ngx_rtc_dtls_release()) */
    ctx->prf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);

    ERR_clear_error();

    pkey = EVP_EC_gen("P-256");
    if (pkey == NULL) {
        ngx_rtc_dtls_error(NGX_LOG_EMERG, log,
                           "rtc dtls EVP_EC_gen(\"P-256\") failed");
        goto failed;
    }

    cert = ngx_rtc_dtls_certificate(pkey);
    if (cert == NULL) {
        ngx_rtc_dtls_error(NGX_LOG_EMERG, log,
                           "rtc dtls certificate generation failed");
        goto failed;
    }

    ssl_ctx = SSL_CTX_new(DTLS_method());
    if (ssl_ctx == NULL) {
        ngx_rtc_dtls_error(NGX_LOG_EMERG, log,
                           "rtc dtls SSL_CTX_new() failed");
        goto failed;
    }

    ctx->ssl_ctx = ssl_ctx;

    /*
     * no session cache or tickets: a WebRTC session never resumes;
     * SSL_OP_NO_QUERY_MTU keeps the MTU we set (a memory BIO cannot be
     * asked, and without the option SSL_clear() forgets it)
     */

    SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_QUERY_MTU
                                 | SSL_OP_NO_TICKET
                                 | SSL_OP_NO_RENEGOTIATION
                                 | SSL_OP_CIPHER_SERVER_PREFERENCE);

    SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);

    /*
     * records never exceed NGX_RTC_DTLS_MTU: a write buffer of 1.5 KB
     * instead of 16.6 KB, kept for the session's life
     */
    (void) SSL_CTX_set_max_send_fragment(ssl_ctx, NGX_RTC_DTLS_MTU);

    if (SSL_CTX_set_min_proto_version(ssl_ctx, DTLS1_2_VERSION) != 1
        || SSL_CTX_set_cipher_list(ssl_ctx, NGX_RTC_DTLS_CIPHERS) != 1
        || SSL_CTX_set1_groups_list(ssl_ctx, NGX_RTC_DTLS_GROUPS) != 1
        || SSL_CTX_use_certificate(ssl_ctx, cert) != 1
        || SSL_CTX_use_PrivateKey(ssl_ctx, pkey) != 1
        || SSL_CTX_check_private_key(ssl_ctx) != 1)
    {
        ngx_rtc_dtls_error(NGX_LOG_EMERG, log,
                           "rtc dtls SSL_CTX setup failed");
        goto failed;
    }

    /* unlike the other setters, this one returns 0 on success */

    if (SSL_CTX_set_tlsext_use_srtp(ssl_ctx, NGX_RTC_DTLS_SRTP_PROFILES)
        != 0)
    {
        ngx_rtc_dtls_error(NGX_LOG_EMERG, log,
                           "rtc dtls SSL_CTX_set_tlsext_use_srtp() failed");
        goto failed;
    }

    /*
     * the peer's certificate is self-signed and cannot chain to anything:
     * what authenticates it is the SDP fingerprint (RFC 8122, RFC 8827)
     */

    SSL_CTX_set_verify(ssl_ctx,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       ngx_rtc_dtls_verify);

    if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
        ngx_rtc_dtls_error(NGX_LOG_EMERG, log,
                           "rtc dtls X509_digest() failed");
        goto failed;
    }

    p = ngx_cpymem(ctx->text, "sha-256 ", sizeof("sha-256 ") - 1);

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ':';
        }

        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 0xf];
    }

    ctx->fingerprint.data = ctx->text;
    ctx->fingerprint.len = p - ctx->text;

    /* the SSL_CTX holds its own references now */

    X509_free(cert);
    EVP_PKEY_free(pkey);

    return ctx;

failed:

    if (ctx->ssl_ctx) {
        SSL_CTX_free(ctx->ssl_ctx);
    }

    EVP_KDF_free(ctx->prf);

    X509_free(cert);
    EVP_PKEY_free(pkey);
    ngx_free(ctx);

    return NULL;
}


static X509 *
ngx_rtc_dtls_certificate(EVP_PKEY *pkey)
{
    X509       *cert;
    uint64_t    serial;
    X509_NAME  *name;

    cert = X509_new();
    if (cert == NULL) {
        return NULL;
    }

    /* a positive random 63-bit serial number (RFC 5280 4.1.2.2) */

    if (RAND_bytes((u_char *) &serial, sizeof(serial)) != 1) {
        goto failed;
    }

    serial &= 0x7fffffffffffffffULL;
    serial |= 1;

    name = X509_get_subject_name(cert);

    if (X509_set_version(cert, X509_VERSION_3) != 1
        || ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) != 1
        || X509_gmtime_adj(X509_getm_notBefore(cert), -86400) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(cert),
                           86400L * NGX_RTC_DTLS_CERT_DAYS)
           == NULL
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (u_char *) "nginx-rtc", -1, -1, 0)
           != 1
        || X509_set_issuer_name(cert, name) != 1
        || X509_set_pubkey(cert, pkey) != 1
        || X509_sign(cert, pkey, EVP_sha256()) <= 0)
    {
        goto failed;
    }

    return cert;

failed:

    X509_free(cert);

    return NULL;
}


void
ngx_rtc_dtls_ctx_free(ngx_rtc_dtls_ctx_t *ctx)
{
    if (ctx == NULL) {
        return;
    }

    SSL_CTX_free(ctx->ssl_ctx);
    EVP_KDF_free(ctx->prf);
    ngx_free(ctx);
}


ngx_str_t *
ngx_rtc_dtls_fingerprint(ngx_rtc_dtls_ctx_t *ctx)
{
    return &ctx->fingerprint;
}


ngx_rtc_dtls_t *
ngx_rtc_dtls_create(ngx_rtc_dtls_ctx_t *ctx, ngx_str_t *fp_alg,
    ngx_str_t *fp_value, ngx_rtc_dtls_send_pt send, void *data,
    ngx_log_t *log)
{
    BIO             *rbio, *wbio;
    ngx_rtc_dtls_t  *d;

    d = ngx_alloc(sizeof(ngx_rtc_dtls_t), log);
    if (d == NULL) {
        return NULL;
    }

    ngx_memzero(d, sizeof(ngx_rtc_dtls_t));

    /*
     * set by ngx_memzero():
     *
     *     d->ssl = NULL;
     *     d->state = NGX_RTC_DTLS_HANDSHAKE;
     *     d->flight = NULL;
     *     d->fp_mismatch = 0;
     *     d->held = 0;
     */

    d->ctx = ctx;
    d->send = send;
    d->data = data;
    d->log = log;

    d->md = ngx_rtc_dtls_hash(fp_alg);

    if (d->md == NULL) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "rtc dtls unsupported fingerprint hash \"%V\"", fp_alg);
        goto failed;
    }

    if (ngx_rtc_dtls_parse_fingerprint(d, fp_value) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "rtc dtls invalid %V fingerprint \"%V\"",
                      fp_alg, fp_value);
        goto failed;
    }

    ERR_clear_error();

    d->ssl = SSL_new(ctx->ssl_ctx);
    if (d->ssl == NULL) {
        ngx_rtc_dtls_error(NGX_LOG_ALERT, log, "rtc dtls SSL_new() failed");
        goto failed;
    }

    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(BIO_s_mem());

    if (rbio == NULL || wbio == NULL) {
        BIO_free(rbio);
        BIO_free(wbio);
        ngx_rtc_dtls_error(NGX_LOG_ALERT, log, "rtc dtls BIO_new() failed");
        goto failed;
    }

    /* an empty read BIO means "want read", not end of file */

    BIO_set_mem_eof_return(rbio, -1);

    SSL_set_bio(d->ssl, rbio, wbio);

    d->rbio = rbio;
    d->wbio = wbio;

    if (SSL_set_app_data(d->ssl, d) != 1) {
        ngx_rtc_dtls_error(NGX_LOG_ALERT, log,
                           "rtc dtls SSL_set_app_data() failed");
        goto failed;
    }

    SSL_set_accept_state(d->ssl);

    /*
     * after SSL_set_bio(): the link MTU less the BIO's overhead, which is
     * none for a memory BIO, so every record fits in NGX_RTC_DTLS_MTU
     */

    (void) SSL_set_mtu(d->ssl, NGX_RTC_DTLS_MTU);
    (void) DTLS_set_link_mtu(d->ssl, NGX_RTC_DTLS_MTU);

    return d;

failed:

    if (d->ssl) {
        SSL_free(d->ssl);
    }

    ngx_free(d);

    return NULL;
}


static const EVP_MD *
ngx_rtc_dtls_hash(ngx_str_t *name)
{
    size_t                i;
    ngx_rtc_dtls_hash_t  *h;

    for (h = ngx_rtc_dtls_hashes; h->md; h++) {

        if (name->len != h->name.len) {
            continue;
        }

        for (i = 0; i < name->len; i++) {
            if (ngx_tolower(name->data[i]) != h->name.data[i]) {
                break;
            }
        }

        if (i == name->len) {
            return h->md();
        }
    }

    return NULL;
}


static ngx_int_t
ngx_rtc_dtls_parse_fingerprint(ngx_rtc_dtls_t *d, ngx_str_t *value)
{
    u_char      c, *p, *last;
    size_t      n, i;
    ngx_uint_t  k, v;

    /* "AB:CD:...": n bytes are n * 3 - 1 characters */

    n = EVP_MD_get_size(d->md);

    if (n == 0 || n > EVP_MAX_MD_SIZE || value->len != n * 3 - 1) {
        return NGX_ERROR;
    }

    p = value->data;
    last = p + value->len;

    for (i = 0; i < n; i++) {

        v = 0;

        for (k = 0; k < 2; k++) {
            c = *p++;

            if (c >= '0' && c <= '9') {
                v = v * 16 + (c - '0');
                continue;
            }

            c = (u_char) (c | 0x20);

            if (c >= 'a' && c <= 'f') {
                v = v * 16 + (c - 'a' + 10);
                continue;
            }

            return NGX_ERROR;
        }

        d->fp[i] = (u_char) v;

        if (p < last && *p++ != ':') {
            return NGX_ERROR;
        }
    }

    d->fp_len = n;

    return NGX_OK;
}


static int
ngx_rtc_dtls_verify(int ok, X509_STORE_CTX *store)
{
    SSL             *ssl;
    X509            *cert;
    ngx_rtc_dtls_t  *d;

    /*
     * called for each certificate and error in the peer's chain; whatever
     * the chain, the leaf must hash to the offer's fingerprint, and that
     * is checked here so that a wrong peer gets an alert at once
     */

    ssl = X509_STORE_CTX_get_ex_data(store,
                                     SSL_get_ex_data_X509_STORE_CTX_idx());
    if (ssl == NULL) {
        return 0;
    }

    d = SSL_get_app_data(ssl);
    cert = X509_STORE_CTX_get0_cert(store);

    if (d == NULL || cert == NULL) {
        return 0;
    }

    if (ngx_rtc_dtls_check_fingerprint(d, cert) != NGX_OK) {
        d->fp_mismatch = 1;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }

    return 1;
}


static ngx_int_t
ngx_rtc_dtls_check_fingerprint(ngx_rtc_dtls_t *d, X509 *cert)
{
    unsigned int  n;
    u_char        md[EVP_MAX_MD_SIZE];

    if (X509_digest(cert, d->md, md, &n) != 1) {
        return NGX_ERROR;
    }

    if (n != d->fp_len || CRYPTO_memcmp(md, d->fp, n) != 0) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_rtc_dtls_input(ngx_rtc_dtls_t *d, u_char *buf, size_t len)
{
    u_char      *p;
    ngx_int_t    rc;
    ngx_uint_t   hello, flights;

    if (d->state == NGX_RTC_DTLS_CLOSED || d->state == NGX_RTC_DTLS_FAILED)
    {
        return NGX_ERROR;
    }

    /* RFC 6347 4.1.2.7: what is not a valid record is silently dropped */

    if (len == 0 || len > 65535) {
        return NGX_OK;
    }

    if (d->state == NGX_RTC_DTLS_RELEASED) {
        return ngx_rtc_dtls_released_input(d, buf, len);
    }

    /*
     * once DTLS 1.2 is agreed, OpenSSL 3.0 ends the connection on a
     * record of another version rather than dropping it (RFC 6347
     * 4.1.2.7): anyone who can send from the peer's address could
     */

    if (d->state == NGX_RTC_DTLS_CONNECTED
        && ngx_rtc_dtls_foreign_version(buf, len))
    {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, d->log, 0,
                       "rtc dtls dropped a record of another version");
        return NGX_OK;
    }

    ERR_clear_error();

    /*
     * OpenSSL takes all it finds in the read BIO as one datagram; empty it
     * of anything it left (only the tail of an oversized datagram can be)
     */

    (void) BIO_reset(d->rbio);

    if (BIO_write(d->rbio, buf, (int) len) != (int) len) {
        ngx_rtc_dtls_error(NGX_LOG_ALERT, d->log,
                           "rtc dtls BIO_write() failed");
        d->state = NGX_RTC_DTLS_FAILED;
        return NGX_ERROR;
    }

    if (d->state != NGX_RTC_DTLS_HANDSHAKE) {
        return ngx_rtc_dtls_read(d);
    }

    /*
     * a record of epoch 0 that starts a ClientHello: its first fragment
     * (RFC 6347 4.1, 4.2.2; a browser's is often larger than a datagram)
     */

    p = buf + NGX_RTC_DTLS_RECORD_HEADER;

    hello = (len >= NGX_RTC_DTLS_RECORD_HEADER + 12
             && buf[0] == NGX_RTC_DTLS_HANDSHAKE_TYPE
             && buf[3] == 0 && buf[4] == 0
             && p[0] == NGX_RTC_DTLS_CLIENT_HELLO
             && p[6] == 0 && p[7] == 0 && p[8] == 0);

    if (hello) {
        d->stats.hellos++;

        ngx_log_debug2(NGX_LOG_DEBUG_EVENT, d->log, 0,
                       "rtc dtls ClientHello %ui, %uz bytes",
                       d->stats.hellos, len);
    }

    flights = d->flights;

    rc = ngx_rtc_dtls_handshake(d);

    /*
     * OpenSSL ignores a ClientHello it has answered: the peer did not get
     * the answer, which goes again (without it the peer waits for our
     * timer, 1 s)
     */

    if (rc == NGX_OK && hello && d->flights == flights && d->flight) {
        ngx_rtc_dtls_resend(d, "ClientHello again");
    }

    return rc;
}


/*
 * The client role (a=setup:active: a whep:// source, which offered
 * actpass and was answered passive): the ClientHello goes now, through
 * send(); the rest is as for the server.  The peer's certificate is
 * checked against the answer's fingerprint in the same way.  Its
 * certificate may be RSA (not every WHEP server is nginx-rtc): the client
 * offers the RSA suites too.
 */

ngx_int_t
ngx_rtc_dtls_connect(ngx_rtc_dtls_t *d)
{
    ERR_clear_error();

    if (SSL_set_cipher_list(d->ssl, NGX_RTC_DTLS_CLIENT_CIPHERS) != 1) {
        ngx_rtc_dtls_error(NGX_LOG_ALERT, d->log,
                           "rtc dtls SSL_set_cipher_list() failed");
        d->state = NGX_RTC_DTLS_FAILED;
        return NGX_ERROR;
    }

    SSL_set_connect_state(d->ssl);

    return ngx_rtc_dtls_handshake(d);
}


/*
 * The path to the peer is there: a flight that could not go out goes now
 * instead of after OpenSSL's retransmission timer.
 */

void
ngx_rtc_dtls_resume(ngx_rtc_dtls_t *d)
{
    if (d->state == NGX_RTC_DTLS_HANDSHAKE && d->held && d->flight) {
        ngx_rtc_dtls_resend(d, "the path is ready");
    }
}


ngx_rtc_dtls_stats_t *
ngx_rtc_dtls_stats(ngx_rtc_dtls_t *d)
{
    return &d->stats;
}


static void
ngx_rtc_dtls_resend(ngx_rtc_dtls_t *d, const char *why)
{
    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, d->log, 0,
                   "rtc dtls flight sent again: %s, %uz bytes",
                   why, d->flight_len);

    d->held = (ngx_rtc_dtls_send(d, d->flight, d->flight_len) == NGX_AGAIN);
}


static ngx_int_t
ngx_rtc_dtls_handshake(ngx_rtc_dtls_t *d)
{
    int  n, err;

    n = SSL_do_handshake(d->ssl);
    err = (n == 1) ? SSL_ERROR_NONE : SSL_get_error(d->ssl, n);

    /* our next flight, or the alert that ends the handshake */

    ngx_rtc_dtls_flush(d);

    if (n == 1) {
        return ngx_rtc_dtls_connected(d);
    }

    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return NGX_OK;
    }

    d->state = NGX_RTC_DTLS_FAILED;

    if (d->fp_mismatch) {
        ERR_clear_error();
        ngx_log_error(NGX_LOG_INFO, d->log, 0,
                      "rtc dtls peer certificate does not match "
                      "the fingerprint of the offer");
        return NGX_ERROR;
    }

    ngx_rtc_dtls_error(NGX_LOG_INFO, d->log, "rtc dtls handshake failed");

    return NGX_ERROR;
}


static ngx_int_t
ngx_rtc_dtls_connected(ngx_rtc_dtls_t *d)
{
    X509                     *cert;
    ngx_int_t                 rc;
    SRTP_PROTECTION_PROFILE  *profile;

    profile = SSL_get_selected_srtp_profile(d->ssl);

    if (profile == NULL
        || (profile->id != SRTP_AES128_CM_SHA1_80
            && profile->id != SRTP_AEAD_AES_128_GCM))
    {
        ngx_log_error(NGX_LOG_INFO, d->log, 0,
                      "rtc dtls no SRTP profile negotiated");
        d->state = NGX_RTC_DTLS_FAILED;
        return NGX_ERROR;
    }

    /* the verify callback has checked it; check again what we ended with */

    cert = SSL_get1_peer_certificate(d->ssl);

    if (cert == NULL) {
        ngx_log_error(NGX_LOG_INFO, d->log, 0,
                      "rtc dtls peer sent no certificate");
        d->state = NGX_RTC_DTLS_FAILED;
        return NGX_ERROR;
    }

    rc = ngx_rtc_dtls_check_fingerprint(d, cert);

    X509_free(cert);

    if (rc != NGX_OK) {
        ERR_clear_error();
        ngx_log_error(NGX_LOG_INFO, d->log, 0,
                      "rtc dtls peer certificate does not match "
                      "the fingerprint of the offer");
        d->state = NGX_RTC_DTLS_FAILED;
        return NGX_ERROR;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, d->log, 0,
                   "rtc dtls connected: %s, %s, ClientHellos: %ui",
                   SSL_get_cipher_name(d->ssl), profile->name,
                   d->stats.hellos);

    d->state = NGX_RTC_DTLS_CONNECTED;

    /* OpenSSL keeps what it may have to resend from now on */

    if (d->flight) {
        ngx_free(d->flight);
        d->flight = NULL;
        d->held = 0;
    }

    /* records that came after the Finished in the same datagram */

    if (ngx_rtc_dtls_read(d) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_rtc_dtls_read(ngx_rtc_dtls_t *d)
{
    int     n, err;
    u_char  buf[2048];

    /*
     * SSL_read() answers a retransmitted client Finished by resending our
     * last flight, and reads alerts; there are no data channels, so
     * application data is dropped
     */

    for ( ;; ) {
        n = SSL_read(d->ssl, buf, sizeof(buf));

        if (n > 0) {
            ngx_log_debug1(NGX_LOG_DEBUG_EVENT, d->log, 0,
                           "rtc dtls dropped %d bytes of application data",
                           n);
            continue;
        }

        err = SSL_get_error(d->ssl, n);

        ngx_rtc_dtls_flush(d);

        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            ERR_clear_error();
            return NGX_OK;
        }

        if (err == SSL_ERROR_ZERO_RETURN) {
            ERR_clear_error();
            ngx_log_error(NGX_LOG_INFO, d->log, 0,
                          "rtc dtls peer closed the connection");
            d->state = NGX_RTC_DTLS_CLOSED;
            return NGX_ERROR;
        }

        d->state = NGX_RTC_DTLS_FAILED;

        ngx_rtc_dtls_error(NGX_LOG_INFO, d->log, "rtc dtls read failed");

        return NGX_ERROR;
    }
}


ngx_msec_t
ngx_rtc_dtls_timeout(ngx_rtc_dtls_t *d)
{
    ngx_msec_t      ms;
    struct timeval  tv;

    if (d->state != NGX_RTC_DTLS_HANDSHAKE
        && d->state != NGX_RTC_DTLS_CONNECTED)
    {
        return 0;
    }

    if (DTLSv1_get_timeout(d->ssl, &tv) != 1) {
        return 0;
    }

    ms = (ngx_msec_t) tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;

    /* an expired timer is still a timer: fire it at once */

    return ms ? ms : 1;
}


ngx_int_t
ngx_rtc_dtls_handle_timeout(ngx_rtc_dtls_t *d)
{
    int         n;
    ngx_uint_t  flights;

    if (d->state == NGX_RTC_DTLS_CLOSED || d->state == NGX_RTC_DTLS_FAILED)
    {
        return NGX_ERROR;
    }

    if (d->state == NGX_RTC_DTLS_RELEASED) {
        return NGX_OK;
    }

    ERR_clear_error();

    /*
     * 0 if the timer has not expired yet (an nginx timer may fire a few
     * milliseconds early): the caller re-arms from ngx_rtc_dtls_timeout()
     */

    flights = d->flights;

    n = DTLSv1_handle_timeout(d->ssl);

    ngx_rtc_dtls_flush(d);

    if (d->flights != flights) {
        d->stats.timeouts++;

        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, d->log, 0,
                       "rtc dtls flight sent again: timer");
    }

    if (n < 0) {
        d->state = NGX_RTC_DTLS_FAILED;
        ngx_rtc_dtls_error(NGX_LOG_INFO, d->log,
                           "rtc dtls handshake timed out");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_rtc_dtls_srtp_keys(ngx_rtc_dtls_t *d, ngx_rtc_srtp_keys_t *keys)
{
    size_t                    klen, slen;
    u_char                   *ck, *sk, *cs, *ss;
    SRTP_PROTECTION_PROFILE  *profile;
    u_char                    m[2 * (16 + 14)];

    if (d->state != NGX_RTC_DTLS_CONNECTED) {
        return NGX_ERROR;
    }

    profile = SSL_get_selected_srtp_profile(d->ssl);
    if (profile == NULL) {
        return NGX_ERROR;
    }

    switch (profile->id) {

    case SRTP_AES128_CM_SHA1_80:
        keys->profile = NGX_RTC_SRTP_AES128_CM_SHA1_80;
        klen = 16;
        slen = 14;
        break;

    case SRTP_AEAD_AES_128_GCM:
        keys->profile = NGX_RTC_SRTP_AEAD_AES_128_GCM;
        klen = 16;
        slen = 12;                          /* RFC 7714 12 */
        break;

    default:
        return NGX_ERROR;
    }

    ERR_clear_error();

    if (SSL_export_keying_material(d->ssl, m, 2 * (klen + slen),
                                   NGX_RTC_DTLS_EXPORTER,
                                   sizeof(NGX_RTC_DTLS_EXPORTER) - 1,
                                   NULL, 0, 0)
        != 1)
    {
        ngx_rtc_dtls_error(NGX_LOG_ALERT, d->log,
                           "rtc dtls SSL_export_keying_material() failed");
        return NGX_ERROR;
    }

    /* RFC 5764 4.2: client key, server key, client salt, server salt */

    ck = m;
    sk = ck + klen;
    cs = sk + klen;
    ss = cs + slen;

    /* each side sends with its own role's keys */

    if (!SSL_is_server(d->ssl)) {
        ngx_rtc_dtls_swap(&ck, &sk);
        ngx_rtc_dtls_swap(&cs, &ss);
    }

    ngx_memcpy(keys->local, sk, klen);
    ngx_memcpy(keys->local + klen, ss, slen);
    keys->local_len = klen + slen;

    ngx_memcpy(keys->remote, ck, klen);
    ngx_memcpy(keys->remote + klen, cs, slen);
    keys->remote_len = klen + slen;

    OPENSSL_cleanse(m, sizeof(m));

    return NGX_OK;
}


static void
ngx_rtc_dtls_swap(u_char **a, u_char **b)
{
    u_char  *t;

    t = *a;
    *a = *b;
    *b = t;
}


void
ngx_rtc_dtls_free(ngx_rtc_dtls_t *d)
{
    if (d == NULL) {
        return;
    }

    /* no SSL_shutdown() after a fatal error: OpenSSL forbids it */

    if (d->state == NGX_RTC_DTLS_CONNECTED) {
        ERR_clear_error();
        (void) SSL_shutdown(d->ssl);
        ngx_rtc_dtls_flush(d);
        ERR_clear_error();
    }

    /* the close_notify that OpenSSL wrote at the release */

    if (d->state == NGX_RTC_DTLS_RELEASED && d->bye_len) {
        (void) d->send(d->data, d->bye, d->bye_len);
    }

    if (d->flight) {
        ngx_free(d->flight);
    }

    if (d->ssl) {
        SSL_free(d->ssl);
    }

    OPENSSL_cleanse(d->peer_key, sizeof(d->peer_key));
    ngx_free(d);
}


/* the peer ended the connection with a close_notify */

ngx_uint_t
ngx_rtc_dtls_peer_closed(ngx_rtc_dtls_t *d)
{
    return d->state == NGX_RTC_DTLS_CLOSED;
}


/* the SSL is freed: only the close_notify is kept */

ngx_uint_t
ngx_rtc_dtls_released(ngx_rtc_dtls_t *d)
{
    return d->state == NGX_RTC_DTLS_RELEASED;
}


/*
 * The peer has the keys (the caller saw its first authenticated SRTCP, so
 * it got our Finished and will not ask for our flight again): keep what
 * the rest of the session needs of DTLS and free the SSL.  Nothing
 * changes if the suite is not one whose records we can open (then the
 * SSL stays, as before).
 */

void
ngx_rtc_dtls_release(ngx_rtc_dtls_t *d)
{
    long   n;
    char  *data;

    if (d->state != NGX_RTC_DTLS_CONNECTED || d->ctx->prf == NULL) {
        return;
    }

    ERR_clear_error();

    if (ngx_rtc_dtls_peer_key(d) != NGX_OK) {
        ERR_clear_error();
        return;
    }

    /* our close_notify: written now, kept, sent by ngx_rtc_dtls_free() */

    (void) SSL_shutdown(d->ssl);

    n = BIO_get_mem_data(d->wbio, &data);

    if (n > 0 && n <= NGX_RTC_DTLS_BYE_MAX) {
        ngx_memcpy(d->bye, data, n);
        d->bye_len = n;
    }

    ERR_clear_error();

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, d->log, 0,
                   "rtc dtls released: %s, close_notify of %uz bytes kept",
                   SSL_get_cipher_name(d->ssl), d->bye_len);

    SSL_free(d->ssl);

    d->ssl = NULL;
    d->rbio = NULL;
    d->wbio = NULL;
    d->state = NGX_RTC_DTLS_RELEASED;
}


/*
 * The peer's record key and fixed IV (RFC 5246 6.3, RFC 5288 3: the AEAD
 * suites have no MAC keys): key_block = PRF(master_secret, "key
 * expansion", server_random + client_random) is client_write_key,
 * server_write_key, client_write_IV, server_write_IV.
 */

static ngx_int_t
ngx_rtc_dtls_peer_key(ngx_rtc_dtls_t *d)
{
    int                nid;
    size_t             mlen, klen, off;
    u_char            *p;
    ngx_int_t          rc;
    OSSL_PARAM         params[4];
    EVP_KDF_CTX       *kctx;
    const EVP_MD      *md;
    const SSL_CIPHER  *cipher;
    const EVP_CIPHER  *aead;
    u_char             master[SSL_MAX_MASTER_KEY_LENGTH];
    u_char             seed[sizeof("key expansion") - 1 + 2 * SSL3_RANDOM_SIZE];
    u_char             block[2 * (NGX_RTC_DTLS_MAX_KEY
                                  + NGX_RTC_DTLS_FIXED_IV)];

    cipher = SSL_get_current_cipher(d->ssl);
    if (cipher == NULL) {
        return NGX_DECLINED;
    }

    nid = SSL_CIPHER_get_cipher_nid(cipher);

    switch (nid) {

    case NID_aes_128_gcm:
        aead = EVP_aes_128_gcm();
        klen = 16;
        break;

    case NID_aes_256_gcm:
        aead = EVP_aes_256_gcm();
        klen = 32;
        break;

    default:
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, d->log, 0,
                       "rtc dtls kept: %s is not an AES-GCM suite",
                       SSL_CIPHER_get_name(cipher));
        return NGX_DECLINED;
    }

    md = SSL_CIPHER_get_handshake_digest(cipher);
    if (md == NULL) {
        return NGX_DECLINED;
    }

    mlen = SSL_SESSION_get_master_key(SSL_get_session(d->ssl), master,
                                      sizeof(master));
    if (mlen == 0) {
        return NGX_DECLINED;
    }

    p = ngx_cpymem(seed, "key expansion", sizeof("key expansion") - 1);
    p += SSL_get_server_random(d->ssl, p, SSL3_RANDOM_SIZE);
    p += SSL_get_client_random(d->ssl, p, SSL3_RANDOM_SIZE);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                          (char *) EVP_MD_get0_name(md), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
                                                  master, mlen);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
                                                  seed, p - seed);
    params[3] = OSSL_PARAM_construct_end();

    kctx = EVP_KDF_CTX_new(d->ctx->prf);
    if (kctx == NULL) {
        OPENSSL_cleanse(master, sizeof(master));
        return NGX_ERROR;
    }

    rc = (EVP_KDF_derive(kctx, block, 2 * (klen + NGX_RTC_DTLS_FIXED_IV),
                         params)
          == 1) ? NGX_OK : NGX_ERROR;

    EVP_KDF_CTX_free(kctx);
    OPENSSL_cleanse(master, sizeof(master));

    if (rc != NGX_OK) {
        ngx_rtc_dtls_error(NGX_LOG_ALERT, d->log,
                           "rtc dtls key expansion failed");
        OPENSSL_cleanse(block, sizeof(block));
        return NGX_ERROR;
    }

    /* the peer writes with the other role's key */

    off = SSL_is_server(d->ssl) ? 0 : 1;

    ngx_memcpy(d->peer_key, block + off * klen, klen);
    ngx_memcpy(d->peer_iv, block + 2 * klen + off * NGX_RTC_DTLS_FIXED_IV,
               NGX_RTC_DTLS_FIXED_IV);

    d->peer_key_len = klen;
    d->peer_cipher = aead;

    OPENSSL_cleanse(block, sizeof(block));

    return NGX_OK;
}


/*
 * After the release the peer has nothing to say in DTLS but an alert:
 * each record of the datagram that is an alert of the current epoch is
 * opened with the peer's key; one that opens is the end of the session
 * (a close_notify or any alert: after the handshake no warning is sent
 * that should leave the session up).  Everything else is dropped, as a
 * record that does not open (RFC 6347 4.1.2.7).
 */

static ngx_int_t
ngx_rtc_dtls_released_input(ngx_rtc_dtls_t *d, u_char *buf, size_t len)
{
    size_t   rec;
    u_char  *p, *end, alert[NGX_RTC_DTLS_AEAD_TAG];

    end = buf + len;

    for (p = buf; end - p >= NGX_RTC_DTLS_RECORD_HEADER; p += rec) {

        rec = ngx_rtc_dtls_record_len(p, end - p);

        if (rec == 0) {
            break;
        }

        if (p[0] != NGX_RTC_DTLS_ALERT_TYPE || p[3] != 0 || p[4] != 1) {
            continue;
        }

        if (ngx_rtc_dtls_open_alert(d, p, rec, alert) != NGX_OK) {
            ngx_log_debug0(NGX_LOG_DEBUG_EVENT, d->log, 0,
                           "rtc dtls dropped an alert that does not open");
            continue;
        }

        if (alert[1] == SSL_AD_CLOSE_NOTIFY) {
            ngx_log_error(NGX_LOG_INFO, d->log, 0,
                          "rtc dtls peer closed the connection");
            d->state = NGX_RTC_DTLS_CLOSED;

        } else {
            ngx_log_error(NGX_LOG_INFO, d->log, 0,
                          "rtc dtls peer sent alert %d, level %d",
                          (int) alert[1], (int) alert[0]);
            d->state = NGX_RTC_DTLS_FAILED;
        }

        d->bye_len = 0;

        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a record of the datagram whose version is not DTLS 1.2's (0xfefd) */

static ngx_uint_t
ngx_rtc_dtls_foreign_version(u_char *buf, size_t len)
{
    size_t   rec;
    u_char  *p, *end;

    end = buf + len;

    for (p = buf; end - p >= NGX_RTC_DTLS_RECORD_HEADER; p += rec) {

        if (p[1] != 0xfe || p[2] != 0xfd) {
            return 1;
        }

        rec = ngx_rtc_dtls_record_len(p, end - p);

        if (rec == 0) {
            break;
        }
    }

    return 0;
}


/*
 * The length of the record at p, header included, or 0 if the left bytes
 * do not hold a whole one: type(1) version(2) epoch(2) sequence(6)
 * length(2), RFC 6347 4.1
 */

static size_t
ngx_rtc_dtls_record_len(u_char *p, size_t left)
{
    size_t  rec;

    if (left < NGX_RTC_DTLS_RECORD_HEADER) {
        return 0;
    }

    rec = NGX_RTC_DTLS_RECORD_HEADER + ((size_t) p[11] << 8) + p[12];

    return (rec <= left) ? rec : 0;
}


/* RFC 5288 3, RFC 6347 4.1.2.1: an AES-GCM record of a 2-byte alert */

static ngx_int_t
ngx_rtc_dtls_open_alert(ngx_rtc_dtls_t *d, u_char *rec, size_t len,
    u_char *alert)
{
    int              n;
    u_char          *frag;
    ngx_int_t        rc;
    EVP_CIPHER_CTX  *c;
    u_char           nonce[NGX_RTC_DTLS_FIXED_IV
                           + NGX_RTC_DTLS_EXPLICIT_NONCE];
    u_char           aad[13];

    if (len != NGX_RTC_DTLS_RECORD_HEADER + NGX_RTC_DTLS_EXPLICIT_NONCE + 2
               + NGX_RTC_DTLS_AEAD_TAG)
    {
        return NGX_DECLINED;
    }

    frag = rec + NGX_RTC_DTLS_RECORD_HEADER;

    ngx_memcpy(nonce, d->peer_iv, NGX_RTC_DTLS_FIXED_IV);
    ngx_memcpy(nonce + NGX_RTC_DTLS_FIXED_IV, frag,
               NGX_RTC_DTLS_EXPLICIT_NONCE);

    /* epoch and sequence (8), type, version, the plaintext's length */

    ngx_memcpy(aad, rec + 3, 8);
    aad[8] = rec[0];
    aad[9] = rec[1];
    aad[10] = rec[2];
    aad[11] = 0;
    aad[12] = 2;

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_DECLINED;

    if (EVP_DecryptInit_ex(c, d->peer_cipher, NULL, d->peer_key, nonce) == 1
        && EVP_DecryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1
        && EVP_DecryptUpdate(c, alert, &n,
                             frag + NGX_RTC_DTLS_EXPLICIT_NONCE, 2) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, NGX_RTC_DTLS_AEAD_TAG,
                               frag + NGX_RTC_DTLS_EXPLICIT_NONCE + 2) == 1
        && EVP_DecryptFinal_ex(c, alert + 2, &n) == 1)
    {
        rc = NGX_OK;
    }

    EVP_CIPHER_CTX_free(c);
    ERR_clear_error();

    return rc;
}


ngx_uint_t
ngx_rtc_dtls_is_dtls(u_char *buf, size_t len)
{
    /* RFC 7983 7: 20..63 is DTLS, 0..3 STUN, 128..191 RTP/RTCP */

    return len > 0 && buf[0] >= 20 && buf[0] <= 63;
}


static void
ngx_rtc_dtls_flush(ngx_rtc_dtls_t *d)
{
    long       n;
    char      *data;
    ngx_int_t  rc;

    n = BIO_get_mem_data(d->wbio, &data);

    if (n <= 0) {
        return;
    }

    d->flights++;

    if (d->state == NGX_RTC_DTLS_HANDSHAKE) {
        ngx_rtc_dtls_keep(d, (u_char *) data, n);
    }

    rc = ngx_rtc_dtls_send(d, (u_char *) data, n);

    d->held = (rc == NGX_AGAIN && d->flight != NULL);

    if (d->held) {
        d->stats.held++;

        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, d->log, 0,
                       "rtc dtls flight held: no path to the peer yet, "
                       "%l bytes", n);
    }

    (void) BIO_reset(d->wbio);
}


/* the handshake flight, for ngx_rtc_dtls_resend() */

static void
ngx_rtc_dtls_keep(ngx_rtc_dtls_t *d, u_char *data, size_t len)
{
    if (d->flight) {
        ngx_free(d->flight);
        d->flight = NULL;
    }

    if (len > NGX_RTC_DTLS_MAX_FLIGHT) {
        return;
    }

    d->flight = ngx_alloc(len, d->log);
    if (d->flight == NULL) {
        return;
    }

    ngx_memcpy(d->flight, data, len);
    d->flight_len = len;
}


/*
 * OpenSSL writes one record per BIO_write(), each within the MTU; pack
 * consecutive records into datagrams of at most NGX_RTC_DTLS_MTU bytes
 * (RFC 6347 4.1.1 allows several records in a datagram), so that a
 * flight takes as few datagrams as it can.  NGX_AGAIN if a datagram
 * could not go out.
 */

static ngx_int_t
ngx_rtc_dtls_send(ngx_rtc_dtls_t *d, u_char *data, size_t len)
{
    size_t     rec, left;
    u_char    *p, *start, *end;
    ngx_int_t  rc;

    rc = NGX_OK;
    start = data;
    end = start + len;

    for (p = start; p < end; p += rec) {
        left = end - p;

        /* a record cut short is sent as it is, to its end */

        rec = ngx_rtc_dtls_record_len(p, left);

        if (rec == 0) {
            rec = left;
        }

        if (p > start && (size_t) (p - start) + rec > NGX_RTC_DTLS_MTU) {
            if (d->send(d->data, start, p - start) == NGX_AGAIN) {
                rc = NGX_AGAIN;
            }

            start = p;
        }
    }

    if (end > start && d->send(d->data, start, end - start) == NGX_AGAIN) {
        rc = NGX_AGAIN;
    }

    return rc;
}


static void
ngx_rtc_dtls_error(ngx_uint_t level, ngx_log_t *log, const char *text)
{
    int          flags;
    u_char      *p, *last;
    u_long       n;
    const char  *data;
    u_char       errstr[512];

    if (log->log_level < level) {
        ERR_clear_error();
        return;
    }

    p = errstr;
    last = errstr + sizeof(errstr);

    for ( ;; ) {
        n = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);

        if (n == 0) {
            break;
        }

        if (last - p < 2) {
            continue;
        }

        if (p != errstr) {
            *p++ = ' ';
        }

        ERR_error_string_n(n, (char *) p, last - p);

        while (p < last && *p) {
            p++;
        }

        if ((flags & ERR_TXT_STRING) && data && *data && last - p > 1) {
            *p++ = ':';

            while (p < last - 1 && *data) {
                *p++ = *data++;
            }
        }
    }

    if (p == errstr) {
        ngx_log_error(level, log, 0, "%s", text);
        return;
    }

    ngx_log_error(level, log, 0, "%s (SSL: %*s)", text,
                  (size_t) (p - errstr), errstr);
}
