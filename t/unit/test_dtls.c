/*
 * Copyright (C) nginx-rtc authors
 *
 * DTLS-SRTP: our server against an OpenSSL DTLS client made here, over
 * datagrams passed by hand; keys compared with what the client exports;
 * SRTP/SRTCP both ways against plain libsrtp sessions.
 */

/* unit-deps: src/ngx_rtc_dtls.c src/ngx_rtc_srtp.c src/ngx_rtc_srtp_gcm.c */
/* unit-libs: -lssl -lcrypto -lsrtp2 */

#include "ngx_rtc_unit.h"

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

#include "ngx_rtc_dtls.h"
#include "ngx_rtc_srtp.h"


#define TEST_MTU          NGX_RTC_DTLS_MTU
#define TEST_QUEUE        32
#define TEST_DGRAM        4096
#define TEST_EXPORTER     "EXTRACTOR-dtls_srtp"
#define TEST_PROFILES     "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"


typedef struct {
    ngx_uint_t            n;
    size_t                len[TEST_QUEUE];
    u_char                data[TEST_QUEUE][TEST_DGRAM];
    ngx_uint_t            sent;         /* datagrams ever sent */
    size_t                max;          /* largest one */
    ngx_uint_t            overflow;
} test_queue_t;


typedef struct {
    SSL_CTX              *ctx;
    SSL                  *ssl;
    BIO                  *rbio;
    BIO                  *wbio;
    X509                 *cert;
    EVP_PKEY             *pkey;
    ngx_uint_t            done;
    ngx_uint_t            failed;
    ngx_uint_t            closed;
} test_client_t;


typedef struct {
    ngx_uint_t            dones;        /* NGX_DONE from the server */
    ngx_uint_t            errors;       /* NGX_ERROR from the server */
    ngx_uint_t            rounds;
} test_result_t;


static ngx_log_t      test_log;
static test_queue_t   test_s2c;         /* server to client */
static test_queue_t   test_c2s;         /* client to server */
static ngx_uint_t     test_rsa;         /* client certificate: RSA 2048 */
static ngx_uint_t     test_nocert;      /* client sends no certificate */
static ngx_uint_t     test_no_path;     /* test_send(): NGX_AGAIN */


/*
 * Stand-in for ngx_alloc() from src/os/unix/ngx_alloc.c, which the unit
 * build does not link; weak, so that a harness-wide one wins.
 */

__attribute__((weak)) void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return malloc(size);
}


static ngx_int_t
test_send(void *data, u_char *buf, size_t len)
{
    test_queue_t  *q = data;

    if (test_no_path) {
        return NGX_AGAIN;
    }

    q->sent++;

    if (len > q->max) {
        q->max = len;
    }

    if (q->n == TEST_QUEUE || len > TEST_DGRAM) {
        q->overflow = 1;
        return NGX_ERROR;
    }

    ngx_memcpy(q->data[q->n], buf, len);
    q->len[q->n++] = len;

    return NGX_OK;
}


static X509 *
test_certificate(EVP_PKEY **pkey)
{
    X509       *cert;
    X509_NAME  *name;

    *pkey = test_rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    cert = X509_new();

    if (*pkey == NULL || cert == NULL) {
        return NULL;
    }

    name = X509_get_subject_name(cert);

    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 12345);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (u_char *) "test-client", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, *pkey);

    if (X509_sign(cert, *pkey, EVP_sha256()) <= 0) {
        X509_free(cert);
        return NULL;
    }

    return cert;
}


static int
test_accept_any(int ok, X509_STORE_CTX *store)
{
    return 1;
}


static ngx_int_t
test_client_init(test_client_t *c, const char *profiles)
{
    ngx_memzero(c, sizeof(test_client_t));

    c->cert = test_certificate(&c->pkey);
    c->ctx = SSL_CTX_new(DTLS_client_method());

    if (c->cert == NULL || c->ctx == NULL) {
        return NGX_ERROR;
    }

    SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, test_accept_any);

    if (!test_nocert
        && (SSL_CTX_use_certificate(c->ctx, c->cert) != 1
            || SSL_CTX_use_PrivateKey(c->ctx, c->pkey) != 1))
    {
        return NGX_ERROR;
    }

    if (profiles && SSL_CTX_set_tlsext_use_srtp(c->ctx, profiles) != 0) {
        return NGX_ERROR;
    }

    c->ssl = SSL_new(c->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());

    if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
        return NGX_ERROR;
    }

    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_connect_state(c->ssl);

    /*
     * with the RSA certificate, a small MTU makes the client cut its
     * Certificate and CertificateVerify into fragments that we reassemble
     */

    SSL_set_mtu(c->ssl, test_rsa ? 300 : TEST_MTU);

    return NGX_OK;
}


static void
test_client_free(test_client_t *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    X509_free(c->cert);
    EVP_PKEY_free(c->pkey);
}


/* the client's output, cut into records and packed into datagrams */

static void
test_client_flush(test_client_t *c)
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

    for (p = start; p < end; p += rec) {
        rec = (end - p < 13) ? (size_t) (end - p)
                             : 13 + ((size_t) p[11] << 8) + p[12];

        if (p > start && (size_t) (p - start) + rec > TEST_MTU) {
            test_send(&test_c2s, start, p - start);
            start = p;
        }
    }

    test_send(&test_c2s, start, end - start);

    (void) BIO_reset(c->wbio);
}


static void
test_client_drive(test_client_t *c)
{
    int     n, err;
    u_char  buf[2048];

    if (c->failed || c->closed) {
        return;
    }

    if (!c->done) {
        n = SSL_do_handshake(c->ssl);

        if (n == 1) {
            c->done = 1;

        } else {
            err = SSL_get_error(c->ssl, n);

            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
                c->failed = 1;
            }
        }
    }

    if (c->done) {
        for ( ;; ) {
            n = SSL_read(c->ssl, buf, sizeof(buf));

            if (n > 0) {
                continue;
            }

            err = SSL_get_error(c->ssl, n);

            if (err == SSL_ERROR_ZERO_RETURN) {
                c->closed = 1;

            } else if (err != SSL_ERROR_WANT_READ) {
                c->failed = 1;
            }

            break;
        }
    }

    test_client_flush(c);
    ERR_clear_error();
}


static void
test_deliver_to_client(test_client_t *c)
{
    ngx_uint_t  i;

    for (i = 0; i < test_s2c.n; i++) {
        BIO_write(c->rbio, test_s2c.data[i], (int) test_s2c.len[i]);
        test_client_drive(c);
    }

    test_s2c.n = 0;
}


static void
test_deliver_to_server(ngx_rtc_dtls_t *d, test_result_t *r)
{
    ngx_int_t   rc;
    ngx_uint_t  i;

    for (i = 0; i < test_c2s.n; i++) {
        rc = ngx_rtc_dtls_input(d, test_c2s.data[i], test_c2s.len[i]);

        if (rc == NGX_DONE) {
            r->dones++;

        } else if (rc == NGX_ERROR) {
            r->errors++;
        }
    }

    test_c2s.n = 0;
}


/* pass datagrams both ways until neither side has anything to say */

static void
test_run(test_client_t *c, ngx_rtc_dtls_t *d, test_result_t *r)
{
    for (r->rounds = 0; r->rounds < 32; r->rounds++) {
        test_client_drive(c);
        test_deliver_to_client(c);

        if (test_c2s.n == 0) {
            break;
        }

        test_deliver_to_server(d, r);
    }
}


static void
test_fingerprint(X509 *cert, const EVP_MD *md, u_char *out, ngx_str_t *fp)
{
    u_char        *p, buf[EVP_MAX_MD_SIZE];
    unsigned int   i, n;

    static u_char  hex[] = "0123456789ABCDEF";

    X509_digest(cert, md, buf, &n);

    p = out;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ':';
        }

        *p++ = hex[buf[i] >> 4];
        *p++ = hex[buf[i] & 0xf];
    }

    fp->data = out;
    fp->len = p - out;
}


static ngx_rtc_dtls_t *
test_server(ngx_rtc_dtls_ctx_t *ctx, test_client_t *c, const char *alg,
    const EVP_MD *md, u_char *fpbuf)
{
    ngx_str_t  fp_alg, fp_value;

    fp_alg.data = (u_char *) alg;
    fp_alg.len = ngx_strlen(alg);

    test_fingerprint(c->cert, md, fpbuf, &fp_value);

    return ngx_rtc_dtls_create(ctx, &fp_alg, &fp_value, test_send,
                               &test_s2c, &test_log);
}


/*
 * A server for the client c (made by the caller) that expects its
 * certificate's SHA-256 fingerprint, the digest's name spelt alg; the
 * result r and both queues emptied.  NULL (a failed check) if it could
 * not be made.
 */

static ngx_rtc_dtls_t *
test_start(ngx_rtc_dtls_ctx_t *ctx, test_client_t *c, const char *alg,
    u_char *fpbuf, test_result_t *r)
{
    ngx_rtc_dtls_t  *d;

    d = test_server(ctx, c, alg, EVP_sha256(), fpbuf);
    NGX_RTC_CHECK(d != NULL);

    if (d == NULL) {
        return NULL;
    }

    ngx_memzero(r, sizeof(test_result_t));
    test_s2c.n = 0;
    test_c2s.n = 0;

    return d;
}


static srtp_t
test_srtp_session(ngx_uint_t profile, u_char *key, srtp_ssrc_type_t type)
{
    srtp_t         s;
    srtp_policy_t  policy;

    ngx_memzero(&policy, sizeof(srtp_policy_t));

    if (profile == NGX_RTC_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);

    } else {
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    }

    policy.ssrc.type = type;
    policy.key = key;
    policy.window_size = 128;

    if (srtp_create(&s, &policy) != srtp_err_status_ok) {
        return NULL;
    }

    return s;
}


static size_t
test_rtp(u_char *p, uint16_t seq, uint32_t ssrc)
{
    size_t  i;

    /* RFC 3550 5.1: V=2, PT 96, seq, timestamp, SSRC; 160 bytes payload */

    p[0] = 0x80;
    p[1] = 96;
    p[2] = (u_char) (seq >> 8);
    p[3] = (u_char) seq;
    p[4] = 0x00; p[5] = 0x01; p[6] = 0x5f; p[7] = 0x90;
    p[8] = (u_char) (ssrc >> 24);
    p[9] = (u_char) (ssrc >> 16);
    p[10] = (u_char) (ssrc >> 8);
    p[11] = (u_char) ssrc;

    for (i = 0; i < 160; i++) {
        p[12 + i] = (u_char) (i * 7 + seq);
    }

    return 12 + 160;
}


static size_t
test_rtcp_rr(u_char *p, uint32_t ssrc)
{
    /* RFC 3550 6.4.2: an empty RR, V=2 RC=0 PT=201 length=1 */

    p[0] = 0x80;
    p[1] = 201;
    p[2] = 0;
    p[3] = 1;
    p[4] = (u_char) (ssrc >> 24);
    p[5] = (u_char) (ssrc >> 16);
    p[6] = (u_char) (ssrc >> 8);
    p[7] = (u_char) ssrc;

    return 8;
}


static size_t
test_rtcp_sr(u_char *p, uint32_t ssrc)
{
    /* RFC 3550 6.4.1: an SR without report blocks, length=6 */

    ngx_memzero(p, 28);

    p[0] = 0x80;
    p[1] = 200;
    p[3] = 6;
    p[4] = (u_char) (ssrc >> 24);
    p[5] = (u_char) (ssrc >> 16);
    p[6] = (u_char) (ssrc >> 8);
    p[7] = (u_char) ssrc;
    p[8] = 0xe9;                              /* NTP seconds, 2024 */
    p[16] = 0x12;                             /* RTP timestamp */
    p[23] = 10;                               /* packet count */
    p[27] = 0x40;                             /* octet count */

    return 28;
}


static void
test_srtp(ngx_rtc_srtp_keys_t *keys, u_char *client_out, u_char *server_out)
{
    int              n;
    size_t           len, plain;
    srtp_t           cin, cout;
    ngx_uint_t       i;
    ngx_rtc_srtp_t  *s;
    u_char           orig[256], buf[512], copy[512];

    s = ngx_rtc_srtp_create(keys, &test_log);
    NGX_RTC_CHECK(s != NULL);

    /* the client's view: it receives with the server's keys */

    cin = test_srtp_session(keys->profile, server_out, ssrc_any_inbound);
    cout = test_srtp_session(keys->profile, client_out, ssrc_any_outbound);
    NGX_RTC_CHECK(cin != NULL && cout != NULL);

    if (s == NULL || cin == NULL || cout == NULL) {
        return;
    }

    /* RTP: our protect, the client's unprotect */

    for (i = 0; i < 3; i++) {
        plain = test_rtp(orig, (uint16_t) (1000 + i), 0x11223344);
        ngx_memcpy(buf, orig, plain);
        len = plain;

        NGX_RTC_CHECK(ngx_rtc_srtp_protect(s, buf, &len, sizeof(buf))
                      == NGX_OK);
        NGX_RTC_CHECK(len == plain
                      + (keys->profile == NGX_RTC_SRTP_AEAD_AES_128_GCM
                         ? 16 : 10));
        NGX_RTC_CHECK(ngx_memcmp(buf + 12, orig + 12, 160) != 0);

        n = (int) len;
        NGX_RTC_CHECK(srtp_unprotect(cin, buf, &n) == srtp_err_status_ok);
        NGX_RTC_CHECK((size_t) n == plain
                      && ngx_memcmp(buf, orig, plain) == 0);
    }

    /* a NACKed packet goes out again with its sequence number */

    plain = test_rtp(orig, 1001, 0x11223344);
    ngx_memcpy(buf, orig, plain);
    len = plain;
    NGX_RTC_CHECK(ngx_rtc_srtp_protect(s, buf, &len, sizeof(buf)) == NGX_OK);

    /* no room for the trailer */

    len = plain;
    NGX_RTC_CHECK(ngx_rtc_srtp_protect(s, buf, &len, plain + 10)
                  == NGX_ERROR);

    /* RTP the other way, then a replay and a forgery */

    plain = test_rtp(orig, 7, 0xcafe0001);
    ngx_memcpy(buf, orig, plain);
    n = (int) plain;
    NGX_RTC_CHECK(srtp_protect(cout, buf, &n) == srtp_err_status_ok);

    ngx_memcpy(copy, buf, n);
    len = n;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect(s, buf, &len) == NGX_OK);
    NGX_RTC_CHECK(len == plain && ngx_memcmp(buf, orig, plain) == 0);

    len = n;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect(s, copy, &len) == NGX_ERROR);

    plain = test_rtp(orig, 8, 0xcafe0001);
    n = (int) plain;
    NGX_RTC_CHECK(srtp_protect(cout, orig, &n) == srtp_err_status_ok);
    orig[20] ^= 1;
    len = n;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect(s, orig, &len) == NGX_ERROR);

    /* RTCP: the client's RR to us, our SR to the client */

    plain = test_rtcp_rr(orig, 0xcafe0001);
    ngx_memcpy(buf, orig, plain);
    n = (int) plain;
    NGX_RTC_CHECK(srtp_protect_rtcp(cout, buf, &n) == srtp_err_status_ok);
    len = n;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect_rtcp(s, buf, &len) == NGX_OK);
    NGX_RTC_CHECK(len == plain && ngx_memcmp(buf, orig, plain) == 0);

    plain = test_rtcp_sr(orig, 0x11223344);
    ngx_memcpy(buf, orig, plain);
    len = plain;
    NGX_RTC_CHECK(ngx_rtc_srtp_protect_rtcp(s, buf, &len, sizeof(buf))
                  == NGX_OK);
    NGX_RTC_CHECK(len > plain);
    n = (int) len;
    NGX_RTC_CHECK(srtp_unprotect_rtcp(cin, buf, &n) == srtp_err_status_ok);
    NGX_RTC_CHECK((size_t) n == plain && ngx_memcmp(buf, orig, plain) == 0);

    len = plain;
    NGX_RTC_CHECK(ngx_rtc_srtp_protect_rtcp(s, buf, &len, plain + 16)
                  == NGX_ERROR);

    /* garbage in: short and random packets are refused, not crashed on */

    len = 3;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect(s, buf, &len) == NGX_ERROR);
    len = 3;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect_rtcp(s, buf, &len) == NGX_ERROR);
    RAND_bytes(buf, 100);
    buf[0] = 0x80;
    len = 100;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect(s, buf, &len) == NGX_ERROR);
    len = 100;
    NGX_RTC_CHECK(ngx_rtc_srtp_unprotect_rtcp(s, buf, &len) == NGX_ERROR);

    srtp_dealloc(cin);
    srtp_dealloc(cout);
    ngx_rtc_srtp_free(s);
}


/* a full handshake with one offered profile, then keys and SRTP */

static void
test_handshake(ngx_rtc_dtls_ctx_t *ctx, const char *profiles,
    ngx_uint_t profile, const char *alg, const EVP_MD *md)
{
    X509                     *peer;
    size_t                    k, sl;
    ngx_str_t                 fp;
    ngx_uint_t                i;
    test_client_t             c;
    test_result_t             r;
    ngx_rtc_dtls_t           *d;
    ngx_rtc_srtp_keys_t       keys;
    u_char                    m[60], fpbuf[200], cl[64], sv[64];
    SRTP_PROTECTION_PROFILE  *p;

    NGX_RTC_CHECK(test_client_init(&c, profiles) == NGX_OK);

    d = test_server(ctx, &c, alg, md, fpbuf);
    NGX_RTC_CHECK(d != NULL);

    if (d == NULL) {
        test_client_free(&c);
        return;
    }

    ngx_memzero(&r, sizeof(test_result_t));
    test_s2c.max = 0;

    NGX_RTC_CHECK(ngx_rtc_dtls_timeout(d) == 0);
    NGX_RTC_CHECK(ngx_rtc_dtls_srtp_keys(d, &keys) == NGX_ERROR);

    test_run(&c, d, &r);

    NGX_RTC_CHECK(r.dones == 1);
    NGX_RTC_CHECK(r.errors == 0);
    NGX_RTC_CHECK(c.done && !c.failed);
    NGX_RTC_CHECK(test_s2c.max > 0 && test_s2c.max <= TEST_MTU);
    NGX_RTC_CHECK(!test_s2c.overflow);

    /* the client sees the certificate our a=fingerprint names */

    peer = SSL_get1_peer_certificate(c.ssl);
    NGX_RTC_CHECK(peer != NULL);

    if (peer) {
        test_fingerprint(peer, EVP_sha256(), fpbuf + 8, &fp);
        ngx_memcpy(fpbuf, "sha-256 ", 8);
        NGX_RTC_CHECK(ngx_rtc_dtls_fingerprint(ctx)->len == fp.len + 8);
        NGX_RTC_CHECK(ngx_memcmp(ngx_rtc_dtls_fingerprint(ctx)->data,
                                 fpbuf, fp.len + 8) == 0);
        X509_free(peer);
    }

    /* keys: ours against the client's export (RFC 5764 4.2) */

    p = SSL_get_selected_srtp_profile(c.ssl);
    NGX_RTC_CHECK(p != NULL && p->id == profile);

    k = 16;
    sl = (profile == NGX_RTC_SRTP_AEAD_AES_128_GCM) ? 12 : 14;

    NGX_RTC_CHECK(SSL_export_keying_material(c.ssl, m, 2 * (k + sl),
                                             TEST_EXPORTER,
                                             sizeof(TEST_EXPORTER) - 1,
                                             NULL, 0, 0)
                  == 1);

    ngx_memcpy(cl, m, k);                       /* client write key */
    ngx_memcpy(cl + k, m + 2 * k, sl);          /* client write salt */
    ngx_memcpy(sv, m + k, k);                   /* server write key */
    ngx_memcpy(sv + k, m + 2 * k + sl, sl);     /* server write salt */

    ngx_memzero(&keys, sizeof(ngx_rtc_srtp_keys_t));
    NGX_RTC_CHECK(ngx_rtc_dtls_srtp_keys(d, &keys) == NGX_OK);
    NGX_RTC_CHECK(keys.profile == profile);
    NGX_RTC_CHECK(keys.local_len == k + sl && keys.remote_len == k + sl);
    NGX_RTC_CHECK(ngx_memcmp(keys.remote, cl, k + sl) == 0);
    NGX_RTC_CHECK(ngx_memcmp(keys.local, sv, k + sl) == 0);

    test_srtp(&keys, cl, sv);

    /* once connected: no timer; garbage is dropped, not fatal */

    NGX_RTC_CHECK(ngx_rtc_dtls_timeout(d) == 0);

    for (i = 0; i < 20; i++) {
        RAND_bytes(m, sizeof(m));
        m[0] = (u_char) (20 + i % 4);
        m[1] = 0xfe;
        m[2] = 0xfd;
        NGX_RTC_CHECK(ngx_rtc_dtls_input(d, m, sizeof(m)) == NGX_OK);
    }

    /* application data is read and dropped */

    NGX_RTC_CHECK(SSL_write(c.ssl, "hello", 5) == 5);
    test_client_flush(&c);
    ngx_memzero(&r, sizeof(test_result_t));
    test_deliver_to_server(d, &r);
    NGX_RTC_CHECK(r.dones == 0 && r.errors == 0);

    /* ngx_rtc_dtls_free() sends close_notify: an alert record */

    test_s2c.n = 0;
    ngx_rtc_dtls_free(d);
    NGX_RTC_CHECK(test_s2c.n == 1 && test_s2c.data[0][0] == 21);
    test_deliver_to_client(&c);
    NGX_RTC_CHECK(c.closed);

    test_client_free(&c);
}


/* the offer's fingerprint names another certificate */

static void
test_wrong_fingerprint(ngx_rtc_dtls_ctx_t *ctx)
{
    u_char          fpbuf[200];
    ngx_str_t       alg, value;
    test_client_t   c;
    test_result_t   r;
    ngx_rtc_dtls_t *d;

    NGX_RTC_CHECK(test_client_init(&c, TEST_PROFILES) == NGX_OK);

    d = test_server(ctx, &c, "sha-256", EVP_sha256(), fpbuf);
    NGX_RTC_CHECK(d != NULL);

    if (d == NULL) {
        return;
    }

    /* recreate with one hex digit changed */

    ngx_rtc_dtls_free(d);
    fpbuf[4] = (u_char) (fpbuf[4] == '0' ? '1' : '0');

    ngx_str_set(&alg, "sha-256");
    value.data = fpbuf;
    value.len = 32 * 3 - 1;

    d = ngx_rtc_dtls_create(ctx, &alg, &value, test_send, &test_s2c,
                            &test_log);

    NGX_RTC_CHECK(d != NULL);

    if (d == NULL) {
        return;
    }

    ngx_memzero(&r, sizeof(test_result_t));
    test_s2c.n = 0;
    test_c2s.n = 0;

    test_run(&c, d, &r);

    NGX_RTC_CHECK(r.dones == 0);
    NGX_RTC_CHECK(r.errors == 1);
    NGX_RTC_CHECK(c.failed && !c.done);

    /* once failed, it stays failed */

    NGX_RTC_CHECK(ngx_rtc_dtls_input(d, test_s2c.data[0], 20) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_dtls_timeout(d) == 0);
    NGX_RTC_CHECK(ngx_rtc_dtls_handle_timeout(d) == NGX_ERROR);

    test_s2c.n = 0;
    ngx_rtc_dtls_free(d);
    NGX_RTC_CHECK(test_s2c.n == 0);

    test_client_free(&c);
}


/* a client that does not offer use_srtp, or sends no certificate */

static void
test_no_srtp(ngx_rtc_dtls_ctx_t *ctx, const char *profiles)
{
    u_char          fpbuf[200];
    test_client_t   c;
    test_result_t   r;
    ngx_rtc_dtls_t *d;

    NGX_RTC_CHECK(test_client_init(&c, profiles) == NGX_OK);

    d = test_start(ctx, &c, "sha-256", fpbuf, &r);
    if (d == NULL) {
        return;
    }

    test_run(&c, d, &r);

    NGX_RTC_CHECK(r.dones == 0 && r.errors == 1);
    NGX_RTC_CHECK(!c.done || profiles == NULL);

    ngx_rtc_dtls_free(d);
    test_client_free(&c);
}


/* the server's first flight is lost: the timer resends it */

static void
test_retransmit(ngx_rtc_dtls_ctx_t *ctx)
{
    u_char          fpbuf[200];
    ngx_msec_t      ms;
    test_client_t   c;
    test_result_t   r;
    ngx_rtc_dtls_t *d;

    NGX_RTC_CHECK(test_client_init(&c, TEST_PROFILES) == NGX_OK);

    d = test_start(ctx, &c, "SHA-256", fpbuf, &r);
    if (d == NULL) {
        return;
    }

    test_client_drive(&c);
    NGX_RTC_CHECK(test_c2s.n == 1);            /* ClientHello */

    test_deliver_to_server(d, &r);
    NGX_RTC_CHECK(r.errors == 0);
    NGX_RTC_CHECK(test_s2c.n >= 1);            /* ServerHello ... Done */

    ms = ngx_rtc_dtls_timeout(d);
    NGX_RTC_CHECK(ms > 0 && ms <= 1000);

    /* too early: nothing happens */

    test_s2c.n = 0;
    NGX_RTC_CHECK(ngx_rtc_dtls_handle_timeout(d) == NGX_OK);
    NGX_RTC_CHECK(test_s2c.n == 0);

    usleep((ms + 20) * 1000);

    NGX_RTC_CHECK(ngx_rtc_dtls_handle_timeout(d) == NGX_OK);
    NGX_RTC_CHECK(test_s2c.n >= 1);

    /* the timer backs off: 2 s now */

    ms = ngx_rtc_dtls_timeout(d);
    NGX_RTC_CHECK(ms > 1000 && ms <= 2000);

    test_run(&c, d, &r);

    NGX_RTC_CHECK(r.dones == 1 && r.errors == 0);
    NGX_RTC_CHECK(c.done);

    /* the peer closes: the next input reports it */

    SSL_shutdown(c.ssl);
    test_client_flush(&c);
    ngx_memzero(&r, sizeof(test_result_t));
    test_deliver_to_server(d, &r);
    NGX_RTC_CHECK(r.errors == 1);

    test_s2c.n = 0;
    ngx_rtc_dtls_free(d);
    NGX_RTC_CHECK(test_s2c.n == 0);

    test_client_free(&c);
}


/*
 * Once test_client_fast is set, the client's next flight is retransmitted
 * sooner than OpenSSL's 1 s: 10 ms, doubling.  Before, OpenSSL's 1 s: a
 * 10 ms timer on the ClientHello fired on a loaded machine while the test
 * was still delivering the server's flight, and the client's retransmitted
 * ClientHello came before its last flight.
 */

static ngx_uint_t  test_client_fast;


static unsigned int
test_client_timer(SSL *ssl, unsigned int us)
{
    if (us) {
        return 2 * us;
    }

    return test_client_fast ? 10000 : 1000000;
}


/*
 * our last flight (ChangeCipherSpec, Finished) is lost after we have
 * reported NGX_DONE: the client resends its flight, and we must answer it
 * with ours again, without a second NGX_DONE
 */

static void
test_lost_last_flight(ngx_rtc_dtls_ctx_t *ctx)
{
    int             rc;
    u_char          fpbuf[200];
    ngx_uint_t      i;
    test_client_t   c;
    test_result_t   r;
    ngx_rtc_dtls_t *d;

    NGX_RTC_CHECK(test_client_init(&c, TEST_PROFILES) == NGX_OK);
    DTLS_set_timer_cb(c.ssl, test_client_timer);

    d = test_start(ctx, &c, "sha-256", fpbuf, &r);
    if (d == NULL) {
        return;
    }

    test_client_fast = 0;
    test_client_drive(&c);                      /* ClientHello */
    test_deliver_to_server(d, &r);
    test_client_fast = 1;                       /* for the next flight */
    test_deliver_to_client(&c);                 /* ServerHello ... */
    NGX_RTC_CHECK(test_c2s.n >= 1);             /* Certificate ... */

    test_deliver_to_server(d, &r);
    NGX_RTC_CHECK(r.dones == 1);
    NGX_RTC_CHECK(test_s2c.n >= 1);

    test_s2c.n = 0;                             /* lost */

    /*
     * The client's timer (10 ms, doubling) may have fired and doubled
     * already while a slow machine ran the steps above: poll for the next
     * expiry, within 2 s, rather than sleep a fixed time.
     */

    for (i = 0; i < 200; i++) {
        usleep(10 * 1000);

        rc = DTLSv1_handle_timeout(c.ssl);
        if (rc != 0) {
            break;
        }
    }

    NGX_RTC_CHECK(rc == 1);
    test_client_flush(&c);
    NGX_RTC_CHECK(test_c2s.n >= 1);

    test_deliver_to_server(d, &r);
    NGX_RTC_CHECK(r.dones == 1 && r.errors == 0);
    NGX_RTC_CHECK(test_s2c.n >= 1);

    test_deliver_to_client(&c);
    NGX_RTC_CHECK(c.done && !c.failed);

    ngx_rtc_dtls_free(d);
    test_client_free(&c);
}


/*
 * The ClientHello comes before ICE has a pair (a browser sends it as soon
 * as its own check succeeds): our flight cannot go out, and goes when
 * ngx_rtc_dtls_resume() says the path is there, with no timer involved.
 * A retransmitted ClientHello gets the flight again.
 */

static void
test_held_flight(ngx_rtc_dtls_ctx_t *ctx)
{
    u_char          fpbuf[200];
    size_t          len;
    ngx_uint_t      n;
    test_client_t   c;
    test_result_t   r;
    ngx_rtc_dtls_t *d;
    u_char          hello[TEST_DGRAM];

    NGX_RTC_CHECK(test_client_init(&c, TEST_PROFILES) == NGX_OK);

    d = test_start(ctx, &c, "sha-256", fpbuf, &r);
    if (d == NULL) {
        return;
    }

    test_client_drive(&c);
    NGX_RTC_CHECK(test_c2s.n == 1);             /* ClientHello */

    len = test_c2s.len[0];
    ngx_memcpy(hello, test_c2s.data[0], len);

    test_no_path = 1;
    test_deliver_to_server(d, &r);
    test_no_path = 0;

    NGX_RTC_CHECK(r.errors == 0);
    NGX_RTC_CHECK(test_s2c.n == 0);             /* held */

    /* nothing to resend while nothing is held, but after the path is up */

    ngx_rtc_dtls_resume(d);
    NGX_RTC_CHECK(test_s2c.n >= 1);
    n = test_s2c.n;

    ngx_rtc_dtls_resume(d);
    NGX_RTC_CHECK(test_s2c.n == n);

    /* the flight was lost on the way: the ClientHello comes again */

    test_s2c.n = 0;
    NGX_RTC_CHECK(ngx_rtc_dtls_input(d, hello, len) == NGX_OK);
    NGX_RTC_CHECK(test_s2c.n == n);

    /* and the handshake completes in one round trip, no timer */

    test_run(&c, d, &r);

    NGX_RTC_CHECK(r.dones == 1 && r.errors == 0);
    NGX_RTC_CHECK(c.done && !c.failed);

    ngx_rtc_dtls_free(d);
    test_client_free(&c);
}


/* garbage from the start, and a mangled ClientHello */

static void
test_garbage(ngx_rtc_dtls_ctx_t *ctx)
{
    u_char          buf[512], hello[TEST_DGRAM], fpbuf[200];
    size_t          hello_len;
    ngx_int_t       rc;
    ngx_uint_t      i, j, ok;
    test_client_t   c;
    ngx_rtc_dtls_t *d;

    NGX_RTC_CHECK(test_client_init(&c, TEST_PROFILES) == NGX_OK);

    test_s2c.n = 0;
    test_c2s.n = 0;

    test_client_drive(&c);
    NGX_RTC_CHECK(test_c2s.n == 1);

    hello_len = test_c2s.len[0];
    ngx_memcpy(hello, test_c2s.data[0], hello_len);
    test_c2s.n = 0;

    d = test_server(ctx, &c, "sha-256", EVP_sha256(), fpbuf);
    NGX_RTC_CHECK(d != NULL);

    if (d == NULL) {
        return;
    }

    ok = 1;

    for (i = 0; i < 200; i++) {
        RAND_bytes(buf, sizeof(buf));

        if (i % 2) {
            buf[0] = 22;                        /* handshake */
            buf[1] = 0xfe;
            buf[2] = 0xfd;
            buf[3] = 0;                         /* epoch 0 */
            buf[4] = 0;
            buf[11] = 0;
            buf[12] = (u_char) (i % 200);
        }

        rc = ngx_rtc_dtls_input(d, buf, 1 + i % sizeof(buf));

        if (rc != NGX_OK && rc != NGX_ERROR) {
            ok = 0;
        }

        (void) ngx_rtc_dtls_timeout(d);
    }

    NGX_RTC_CHECK(ok);
    NGX_RTC_CHECK(ngx_rtc_dtls_input(d, buf, 0) == NGX_OK
                  || ngx_rtc_dtls_input(d, buf, 0) == NGX_ERROR);

    ngx_rtc_dtls_free(d);

    /* one byte of the real ClientHello changed at a time, fresh servers */

    ok = 1;

    for (i = 0; i < hello_len; i += 3) {
        d = test_server(ctx, &c, "sha-256", EVP_sha256(), fpbuf);

        if (d == NULL) {
            ok = 0;
            break;
        }

        ngx_memcpy(buf, hello, ngx_min(hello_len, sizeof(buf)));
        buf[i % sizeof(buf)] ^= (u_char) (0x5a + i);

        for (j = 0; j < 2; j++) {
            rc = ngx_rtc_dtls_input(d, buf, ngx_min(hello_len, sizeof(buf))
                                             - j * (i % 40));
            if (rc != NGX_OK && rc != NGX_ERROR) {
                ok = 0;
            }
        }

        test_s2c.n = 0;
        ngx_rtc_dtls_free(d);
    }

    NGX_RTC_CHECK(ok);

    test_client_free(&c);
}


static void
test_create_errors(ngx_rtc_dtls_ctx_t *ctx)
{
    ngx_str_t  alg, value;

    ngx_str_set(&alg, "md5");
    ngx_str_set(&value, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
    NGX_RTC_CHECK(ngx_rtc_dtls_create(ctx, &alg, &value, test_send,
                                      &test_s2c, &test_log)
                  == NULL);

    ngx_str_set(&alg, "sha-1");
    ngx_str_set(&value, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
    NGX_RTC_CHECK(ngx_rtc_dtls_create(ctx, &alg, &value, test_send,
                                      &test_s2c, &test_log)
                  == NULL);

    /* 20 bytes, one not hex */
    ngx_str_set(&value, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                        "00:11:22:3G");
    NGX_RTC_CHECK(ngx_rtc_dtls_create(ctx, &alg, &value, test_send,
                                      &test_s2c, &test_log)
                  == NULL);

    /* 20 bytes, a separator that is not ':' */
    ngx_str_set(&value, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                        "00:11-22:33");
    NGX_RTC_CHECK(ngx_rtc_dtls_create(ctx, &alg, &value, test_send,
                                      &test_s2c, &test_log)
                  == NULL);
}


static void
test_demux(void)
{
    /* RFC 7983 7: first byte 0..3 STUN, 20..63 DTLS, 128..191 RTP/RTCP */

    u_char  b[1];

    b[0] = 0x16;
    NGX_RTC_CHECK(ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 20;
    NGX_RTC_CHECK(ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 63;
    NGX_RTC_CHECK(ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 19;
    NGX_RTC_CHECK(!ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 64;
    NGX_RTC_CHECK(!ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 0x00;
    NGX_RTC_CHECK(!ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 0x80;
    NGX_RTC_CHECK(!ngx_rtc_dtls_is_dtls(b, 1));
    b[0] = 0x16;
    NGX_RTC_CHECK(!ngx_rtc_dtls_is_dtls(b, 0));
}


/*
 * srtp_init() in the parent, as in nginx's master, then sessions in a child,
 * as in a worker: Debian's libsrtp2 runs on NSS, which must not be carried
 * across fork() initialized
 */

static void
test_fork(void)
{
    int                   status;
    pid_t                 pid;
    size_t                len;
    ngx_rtc_srtp_t       *s;
    ngx_rtc_srtp_keys_t   keys;
    u_char                buf[512];

    NGX_RTC_CHECK(ngx_rtc_srtp_init(&test_log) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_srtp_init(&test_log) == NGX_OK);

    pid = fork();

    if (pid == 0) {
        if (ngx_rtc_srtp_init(&test_log) != NGX_OK) {
            _exit(1);
        }

        keys.profile = NGX_RTC_SRTP_AEAD_AES_128_GCM;
        keys.local_len = 28;
        keys.remote_len = 28;
        ngx_memset(keys.local, 0x11, 28);
        ngx_memset(keys.remote, 0x22, 28);

        s = ngx_rtc_srtp_create(&keys, &test_log);
        if (s == NULL) {
            _exit(2);
        }

        len = test_rtp(buf, 1, 1);
        if (ngx_rtc_srtp_protect(s, buf, &len, sizeof(buf)) != NGX_OK) {
            _exit(3);
        }

        ngx_rtc_srtp_free(s);
        _exit(0);
    }

    NGX_RTC_CHECK(pid > 0);

    if (pid > 0) {
        NGX_RTC_CHECK(waitpid(pid, &status, 0) == pid);
        NGX_RTC_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}


/* the fingerprint of a context, split as an SDP parser gives it */

static void
test_split_fp(ngx_rtc_dtls_ctx_t *ctx, ngx_str_t *alg, ngx_str_t *value)
{
    ngx_str_t  *fp;

    fp = ngx_rtc_dtls_fingerprint(ctx);

    alg->data = fp->data;
    alg->len = 7;                               /* "sha-256" */
    value->data = fp->data + 8;
    value->len = fp->len - 8;
}


/*
 * The client role (a whep:// source, ngx_rtc_dtls_connect()) against our
 * own server: both end with NGX_DONE, agree on the profile, and each
 * sends with the keys the other receives with.  A client that expects
 * another fingerprint fails the handshake.
 */

static void
test_client_role(ngx_rtc_dtls_ctx_t *ctx, ngx_uint_t wrong)
{
    ngx_int_t             rc;
    ngx_str_t             calg, cval, salg, sval;
    ngx_uint_t            i, j, cdone, sdone, errors;
    ngx_rtc_dtls_t       *cl, *sv;
    ngx_rtc_dtls_ctx_t   *ctx2;
    ngx_rtc_srtp_keys_t   ck, sk;

    ctx2 = ngx_rtc_dtls_ctx_create(&test_log);
    NGX_RTC_CHECK(ctx2 != NULL);

    if (ctx2 == NULL) {
        return;
    }

    /* each side checks the other's certificate (or, wrong, its own) */

    test_split_fp(wrong ? ctx : ctx2, &calg, &cval);
    test_split_fp(ctx, &salg, &sval);

    test_s2c.n = 0;
    test_c2s.n = 0;

    cl = ngx_rtc_dtls_create(ctx, &calg, &cval, test_send, &test_c2s,
                             &test_log);
    sv = ngx_rtc_dtls_create(ctx2, &salg, &sval, test_send, &test_s2c,
                             &test_log);
    NGX_RTC_CHECK(cl != NULL && sv != NULL);

    if (cl == NULL || sv == NULL) {
        goto done;
    }

    NGX_RTC_CHECK(ngx_rtc_dtls_connect(cl) == NGX_OK);
    NGX_RTC_CHECK(test_c2s.n >= 1);             /* ClientHello */

    cdone = 0;
    sdone = 0;
    errors = 0;

    for (i = 0; i < 16 && (test_c2s.n || test_s2c.n); i++) {
        for (j = 0; j < test_c2s.n; j++) {
            rc = ngx_rtc_dtls_input(sv, test_c2s.data[j], test_c2s.len[j]);
            sdone += (rc == NGX_DONE);
            errors += (rc == NGX_ERROR);
        }

        test_c2s.n = 0;

        for (j = 0; j < test_s2c.n; j++) {
            rc = ngx_rtc_dtls_input(cl, test_s2c.data[j], test_s2c.len[j]);
            cdone += (rc == NGX_DONE);
            errors += (rc == NGX_ERROR);
        }

        test_s2c.n = 0;
    }

    if (wrong) {
        NGX_RTC_CHECK(cdone == 0 && errors >= 1);
        NGX_RTC_CHECK(ngx_rtc_dtls_srtp_keys(cl, &ck) == NGX_ERROR);
        ERR_clear_error();
        goto done;
    }

    NGX_RTC_CHECK(cdone == 1 && sdone == 1 && errors == 0);

    NGX_RTC_CHECK(ngx_rtc_dtls_srtp_keys(cl, &ck) == NGX_OK);
    NGX_RTC_CHECK(ngx_rtc_dtls_srtp_keys(sv, &sk) == NGX_OK);

    NGX_RTC_CHECK(ck.profile == sk.profile
                  && ck.local_len == sk.remote_len
                  && ck.remote_len == sk.local_len
                  && ngx_memcmp(ck.local, sk.remote, ck.local_len) == 0
                  && ngx_memcmp(ck.remote, sk.local, ck.remote_len) == 0
                  && ngx_memcmp(ck.local, ck.remote, ck.local_len) != 0);

    /*
     * both released: the client opens the server's kept close_notify
     * with the server's record key (the other half of the key block)
     */

    ngx_rtc_dtls_release(cl);
    ngx_rtc_dtls_release(sv);
    NGX_RTC_CHECK(ngx_rtc_dtls_released(cl) && ngx_rtc_dtls_released(sv));
    NGX_RTC_CHECK(test_c2s.n == 0 && test_s2c.n == 0);

    ngx_rtc_dtls_free(sv);
    sv = NULL;

    NGX_RTC_CHECK(test_s2c.n == 1);

    if (test_s2c.n == 1) {
        NGX_RTC_CHECK(ngx_rtc_dtls_input(cl, test_s2c.data[0],
                                         test_s2c.len[0])
                      == NGX_ERROR);
        NGX_RTC_CHECK(ngx_rtc_dtls_peer_closed(cl));
    }

    test_s2c.n = 0;

done:

    if (cl) {
        ngx_rtc_dtls_free(cl);
    }

    if (sv) {
        ngx_rtc_dtls_free(sv);
    }

    test_s2c.n = 0;
    test_c2s.n = 0;

    ngx_rtc_dtls_ctx_free(ctx2);
}


/*
 * ngx_rtc_dtls_release(): the SSL is freed once the peer has the keys;
 * the close_notify still goes both ways.  With an AES-GCM suite the
 * peer's is opened with its record key (a record changed in any byte is
 * dropped); with another suite the SSL stays and reads it as before.
 */

static void
test_release(ngx_rtc_dtls_ctx_t *ctx, const char *ciphers, ngx_uint_t aead,
    ngx_uint_t server_closes)
{
    long                  n;
    char                 *data;
    ngx_uint_t            i, cbc;
    test_client_t         c;
    test_result_t         r;
    ngx_rtc_dtls_t       *d;
    ngx_rtc_srtp_keys_t   keys;
    u_char                fpbuf[200], rec[256];

    NGX_RTC_CHECK(test_client_init(&c, TEST_PROFILES) == NGX_OK);
    NGX_RTC_CHECK(SSL_set_cipher_list(c.ssl, ciphers) == 1);

    cbc = (ngx_strstr(ciphers, "-SHA") != NULL
           && ngx_strstr(ciphers, "GCM") == NULL
           && ngx_strstr(ciphers, "CHACHA") == NULL);

    d = test_server(ctx, &c, "sha-256", EVP_sha256(), fpbuf);
    NGX_RTC_CHECK(d != NULL);

    if (d == NULL) {
        test_client_free(&c);
        return;
    }

    ngx_memzero(&r, sizeof(test_result_t));
    test_run(&c, d, &r);
    NGX_RTC_CHECK(r.dones == 1 && r.errors == 0 && c.done);

    NGX_RTC_CHECK(ngx_rtc_dtls_srtp_keys(d, &keys) == NGX_OK);

    /* nothing goes out at the release, and a second one does nothing */

    test_s2c.n = 0;
    ngx_rtc_dtls_release(d);
    ngx_rtc_dtls_release(d);
    NGX_RTC_CHECK(test_s2c.n == 0);
    NGX_RTC_CHECK(ngx_rtc_dtls_released(d) == aead);
    NGX_RTC_CHECK(ngx_rtc_dtls_timeout(d) == 0);
    NGX_RTC_CHECK(ngx_rtc_dtls_handle_timeout(d) == NGX_OK);

    /*
     * released, anything but a genuine alert is dropped (OpenSSL itself,
     * kept for the other suites, ends on some forged records)
     */

    for (i = 0; aead && i < 40; i++) {
        RAND_bytes(rec, 13 + 26);
        rec[0] = (u_char) (20 + i % 4);
        rec[1] = 0xfe;
        rec[2] = 0xfd;
        rec[3] = 0;
        rec[4] = (u_char) (i % 2);
        rec[11] = 0;
        rec[12] = 26;
        NGX_RTC_CHECK(ngx_rtc_dtls_input(d, rec, 13 + 26) == NGX_OK);
    }

    if (server_closes) {

        /* ours: the close_notify that OpenSSL wrote at the release */

        ngx_rtc_dtls_free(d);
        NGX_RTC_CHECK(test_s2c.n == 1 && test_s2c.data[0][0] == 21);
        test_deliver_to_client(&c);
        NGX_RTC_CHECK(c.closed && !c.failed);

        test_client_free(&c);
        return;
    }

    /* the peer's */

    (void) SSL_shutdown(c.ssl);
    n = BIO_get_mem_data(c.wbio, &data);
    NGX_RTC_CHECK(n > 13 && n <= (long) sizeof(rec) && data[0] == 21);

    if (n <= 13 || n > (long) sizeof(rec)) {
        ngx_rtc_dtls_free(d);
        test_client_free(&c);
        return;
    }

    ngx_memcpy(rec, data, n);
    (void) BIO_reset(c.wbio);

    /*
     * released, or kept with CHACHA20 (and the check of the version
     * before OpenSSL): a changed byte anywhere is dropped; OpenSSL 3.0's
     * CBC suites end the connection on most (not chosen by browsers)
     */

    for (i = 1; cbc == 0 && i < (ngx_uint_t) n; i++) {
        rec[i] ^= 0x01;
        NGX_RTC_CHECK(ngx_rtc_dtls_input(d, rec, n) == NGX_OK);
        rec[i] ^= 0x01;
    }

    NGX_RTC_CHECK(!ngx_rtc_dtls_peer_closed(d));
    NGX_RTC_CHECK(ngx_rtc_dtls_input(d, rec, n) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_dtls_peer_closed(d));
    NGX_RTC_CHECK(ngx_rtc_dtls_input(d, rec, n) == NGX_ERROR);

    /* a peer that closed gets no close_notify back */

    test_s2c.n = 0;
    ngx_rtc_dtls_free(d);
    NGX_RTC_CHECK(test_s2c.n == 0);

    test_client_free(&c);
}


int
main(void)
{
    ngx_str_t           *fp;
    ngx_rtc_dtls_ctx_t  *ctx, *ctx2;

    test_log.log_level = NGX_LOG_INFO;

    test_fork();
    test_demux();

    ctx = ngx_rtc_dtls_ctx_create(&test_log);
    NGX_RTC_CHECK(ctx != NULL);

    if (ctx == NULL) {
        return NGX_RTC_UNIT_DONE();
    }

    /* "sha-256 " and 32 bytes as XX:XX:...: 8 + 95 characters */

    fp = ngx_rtc_dtls_fingerprint(ctx);
    NGX_RTC_CHECK(fp->len == 8 + 32 * 3 - 1);
    NGX_RTC_CHECK(ngx_strncmp(fp->data, "sha-256 ", 8) == 0);
    NGX_RTC_CHECK(fp->data[10] == ':' && fp->data[fp->len - 3] == ':');

    /* each configuration has a certificate of its own */

    ctx2 = ngx_rtc_dtls_ctx_create(&test_log);
    NGX_RTC_CHECK(ctx2 != NULL);

    if (ctx2) {
        NGX_RTC_CHECK(ngx_memcmp(ngx_rtc_dtls_fingerprint(ctx2)->data,
                                 fp->data, fp->len) != 0);
        ngx_rtc_dtls_ctx_free(ctx2);
    }

    test_handshake(ctx, "SRTP_AES128_CM_SHA1_80",
                   NGX_RTC_SRTP_AES128_CM_SHA1_80, "sha-256", EVP_sha256());
    test_handshake(ctx, "SRTP_AEAD_AES_128_GCM",
                   NGX_RTC_SRTP_AEAD_AES_128_GCM, "sha-1", EVP_sha1());

    /* a browser's order: GCM first is what we prefer too */

    test_handshake(ctx, TEST_PROFILES,
                   NGX_RTC_SRTP_AEAD_AES_128_GCM, "sha-512", EVP_sha512());
    test_handshake(ctx, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM",
                   NGX_RTC_SRTP_AEAD_AES_128_GCM, "sha-384", EVP_sha384());
    test_handshake(ctx, "SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80",
                   NGX_RTC_SRTP_AES128_CM_SHA1_80, "sha-224", EVP_sha224());

    test_rsa = 1;
    test_handshake(ctx, TEST_PROFILES,
                   NGX_RTC_SRTP_AEAD_AES_128_GCM, "sha-256", EVP_sha256());
    test_rsa = 0;

    test_wrong_fingerprint(ctx);
    test_no_srtp(ctx, NULL);

    test_nocert = 1;
    test_no_srtp(ctx, TEST_PROFILES);
    test_nocert = 0;
    test_garbage(ctx);
    test_create_errors(ctx);
    test_retransmit(ctx);
    test_lost_last_flight(ctx);
    test_held_flight(ctx);
    test_client_role(ctx, 0);
    test_client_role(ctx, 1);

    test_release(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256", 1, 0);
    test_release(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256", 1, 1);
    test_release(ctx, "ECDHE-ECDSA-AES256-GCM-SHA384", 1, 0);
    test_release(ctx, "ECDHE-ECDSA-AES256-GCM-SHA384", 1, 1);
    test_release(ctx, "ECDHE-ECDSA-CHACHA20-POLY1305", 0, 0);
    test_release(ctx, "ECDHE-ECDSA-CHACHA20-POLY1305", 0, 1);
    test_release(ctx, "ECDHE-ECDSA-AES128-SHA", 0, 0);

    ngx_rtc_dtls_ctx_free(ctx);

    /* our calls leave nothing in the thread's OpenSSL error queue */

    NGX_RTC_CHECK(ERR_peek_error() == 0);

    return NGX_RTC_UNIT_DONE();
}
