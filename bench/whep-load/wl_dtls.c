/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The DTLS client (RFC 5763/5764): one self-signed P-256 certificate for
 * every session, use_srtp with AEAD_AES_128_GCM or AES128_CM_SHA1_80, the
 * server's certificate checked against the answer's fingerprint, and the
 * SRTP keys exported.  Datagrams come in through a memory BIO and go out
 * through a BIO that sends each write as one datagram on the session's
 * socket, so that a flight keeps its record boundaries.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "wl.h"


#define WL_DTLS_MTU   1200


static BIO_METHOD  *wl_bio_method;


static int
wl_bio_write(BIO *b, const char *data, int len)
{
    ssize_t        n;
    wl_session_t  *s;

    s = BIO_get_data(b);

    n = send(s->fd, data, len, 0);
    if (n == -1) {
        /* a lost datagram: DTLS sends the flight again */
        return len;
    }

    return (int) n;
}


static long
wl_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    switch (cmd) {

    case BIO_CTRL_FLUSH:
        return 1;

    case BIO_CTRL_DGRAM_QUERY_MTU:
        return WL_DTLS_MTU;

    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
        return 0;

    default:
        return 0;
    }
}


static int
wl_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}


static int
wl_dtls_verify(int ok, X509_STORE_CTX *ctx)
{
    /* self-signed: the fingerprint is checked after the handshake */
    return 1;
}


static void
wl_fingerprint(X509 *x, char *buf, size_t size)
{
    u_char        md[EVP_MAX_MD_SIZE];
    size_t        i;
    unsigned int  n;

    buf[0] = '\0';

    if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n * 3 > size) {
        return;
    }

    for (i = 0; i < n; i++) {
        sprintf(buf + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
    }
}


int
wl_dtls_init(void)
{
    X509      *x;
    EVP_PKEY  *pkey;
    SSL_CTX   *ctx;

    pkey = EVP_EC_gen("P-256");
    x = X509_new();

    if (pkey == NULL || x == NULL) {
        return -1;
    }

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long) (wl_now() & 0x7fffffff));
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const u_char *) "whep-load", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));

    if (X509_sign(x, pkey, EVP_sha256()) == 0) {
        return -1;
    }

    ctx = SSL_CTX_new(DTLS_client_method());
    if (ctx == NULL) {
        return -1;
    }

    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);

    if (SSL_CTX_use_certificate(ctx, x) != 1
        || SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
    {
        return -1;
    }

    /* 0 is success here */

    if (SSL_CTX_set_tlsext_use_srtp(ctx, wl.srtp_profiles) != 0) {
        return -1;
    }

    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, wl_dtls_verify);
    SSL_CTX_set_read_ahead(ctx, 1);

    wl_fingerprint(x, wl.fingerprint, sizeof(wl.fingerprint));

    X509_free(x);
    EVP_PKEY_free(pkey);

    wl_bio_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(),
                                 "whep-load udp");
    BIO_meth_set_write(wl_bio_method, wl_bio_write);
    BIO_meth_set_ctrl(wl_bio_method, wl_bio_ctrl);
    BIO_meth_set_create(wl_bio_method, wl_bio_create);

    wl.ssl_ctx = ctx;

    return 0;
}


static void
wl_dtls_step(wl_session_t *s)
{
    int              rc, err, gcm;
    char             fp[WL_FP_MAX];
    u_char           km[2 * (16 + 14)];
    size_t           klen;
    X509            *x;
    struct timeval   tv;
    SRTP_PROTECTION_PROFILE  *prof;

    rc = SSL_do_handshake(s->ssl);

    if (rc != 1) {
        err = SSL_get_error(s->ssl, rc);

        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            wl_session_fail(s, WL_FAIL_DTLS, "handshake failed");
            return;
        }

        if (DTLSv1_get_timeout(s->ssl, &tv)) {
            s->next = wl.now + (uint64_t) tv.tv_sec * WL_SEC + tv.tv_usec;
            if (s->next > s->deadline) {
                s->next = s->deadline;
            }
        }

        return;
    }

    x = SSL_get1_peer_certificate(s->ssl);
    if (x == NULL) {
        wl_session_fail(s, WL_FAIL_DTLS, "no server certificate");
        return;
    }

    wl_fingerprint(x, fp, sizeof(fp));
    X509_free(x);

    if (strcasecmp(fp, s->answer->fp) != 0) {
        wl_session_fail(s, WL_FAIL_DTLS, "fingerprint mismatch");
        return;
    }

    prof = SSL_get_selected_srtp_profile(s->ssl);
    if (prof == NULL) {
        wl_session_fail(s, WL_FAIL_DTLS, "no SRTP profile");
        return;
    }

    if (prof->id == SRTP_AEAD_AES_128_GCM) {
        gcm = 1;
        klen = 2 * (16 + 12);

    } else if (prof->id == SRTP_AES128_CM_SHA1_80) {
        gcm = 0;
        klen = 2 * (16 + 14);

    } else {
        wl_session_fail(s, WL_FAIL_DTLS, "unexpected SRTP profile");
        return;
    }

    /* RFC 5764 4.2 */

    if (SSL_export_keying_material(s->ssl, km, klen, "EXTRACTOR-dtls_srtp",
                                   19, NULL, 0, 0) != 1)
    {
        wl_session_fail(s, WL_FAIL_DTLS, "key export failed");
        return;
    }

    s->t_dtls = wl.now;

    /*
     * the handshake is over at both ends once the server's Finished is
     * here: nothing more comes over DTLS that needs an answer
     */

    wl_dtls_free(s);
    wl_media_keys(s, gcm, km);
    memset(km, 0, sizeof(km));
}


int
wl_dtls_start(wl_session_t *s)
{
    BIO  *w;

    s->ssl = SSL_new(wl.ssl_ctx);
    s->rbio = BIO_new(BIO_s_mem());
    w = BIO_new(wl_bio_method);

    if (s->ssl == NULL || s->rbio == NULL || w == NULL) {
        return -1;
    }

    BIO_set_mem_eof_return(s->rbio, -1);
    BIO_set_data(w, s);
    SSL_set_bio(s->ssl, s->rbio, w);

    SSL_set_options(s->ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(s->ssl, WL_DTLS_MTU);
    SSL_set_connect_state(s->ssl);

    wl_dtls_step(s);

    return 0;
}


void
wl_dtls_input(wl_session_t *s, u_char *buf, size_t len)
{
    if (s->ssl == NULL) {
        return;
    }

    BIO_write(s->rbio, buf, (int) len);
    wl_dtls_step(s);
}


void
wl_dtls_timer(wl_session_t *s)
{
    if (s->ssl == NULL) {
        return;
    }

    if (DTLSv1_handle_timeout(s->ssl) < 0) {
        wl_session_fail(s, WL_FAIL_DTLS, "handshake timed out");
        return;
    }

    wl_dtls_step(s);
}


void
wl_dtls_free(wl_session_t *s)
{
    if (s->ssl) {
        SSL_free(s->ssl);          /* and its BIOs */
        s->ssl = NULL;
        s->rbio = NULL;
    }

    ERR_clear_error();
}
