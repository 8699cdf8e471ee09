/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include "ngx_rtc_srtp.h"
#include "ngx_rtc_srtp_gcm.h"


/*
 * SRTP protection of the RTP packets we send with AEAD_AES_128_GCM
 * (RFC 7714), on OpenSSL's EVP directly: the media send path's one
 * transform, done once per packet and viewer.  It produces what libsrtp2's
 * srtp_protect() does, byte for byte (t/unit/test_srtp_gcm.c), without its
 * per-packet bookkeeping: the stream looked up by SSRC in a list, the
 * replay bitmap shifted, the key-usage counter, the cipher wrapper layers.
 * RTCP, everything received and the AES_CM_128_HMAC_SHA1_80 profile stay
 * on libsrtp2 (ngx_rtc_srtp.c).
 *
 * Keys (RFC 3711 4.3.1, 4.3.3): the AES-CM PRF keyed with the master key,
 * x = the master salt XOR (label << 48), the session key the first 16
 * bytes of AES(x * 2^16) with the label 0x00, the session salt the first
 * 12 with the label 0x02.  The 96-bit master salt of RFC 7714 stands for
 * the 112-bit one of RFC 3711 multiplied by 2^16 (RFC 7714 erratum 4938),
 * as libsrtp2 pads it with two zero bytes.  One AES block each: ECB.
 *
 * Packet (RFC 7714 8.1, 8.2): the index is ROC << 16 | SEQ, the ROC
 * estimated per SSRC from the highest index sent (RFC 3711 3.3.1 and
 * appendix A); IV = (0x0000 || SSRC || ROC || SEQ) XOR the session salt;
 * the AAD is the header with its CSRCs and extension; the payload is
 * encrypted in place; the 16-byte tag follows it.  No MKI.
 *
 * Nonce uniqueness: an IV is used again only for the same SSRC, ROC and
 * SEQ.  We send a given SSRC/SEQ once, but for a retransmission without
 * RTX (a NACKed packet sent again in its original form, with its original
 * sequence number, from the history of what was sent): that is the same
 * plaintext under the same IV, the same ciphertext and tag, which reveals
 * nothing more.  RTX packets have sequence numbers of their own.  The
 * ROC estimate is libsrtp2's, so a packet goes out with the index it had
 * the first time as long as it is within the window; an index past 2^48
 * (which would wrap the ROC) is refused.
 *
 * OpenSSL 3 per packet (patches/libsrtp2-gcm-ivlen.patch measured why):
 * the IV goes to the GCM provider as "tlsivfixed" with the length
 * (size_t)-1, which copies the whole 12-byte IV and resets the GCM state
 * from it before the AAD, as an init with an IV does, without
 * EVP_CipherInit_ex()'s parameter lookups; the context was initialized
 * once for encryption with the key, so no packet needs an init.  AAD,
 * payload and the final block through EVP_Cipher(), the tag through
 * EVP_CIPHER_CTX_get_params() rather than a ctrl.
 */


static ngx_int_t ngx_rtc_srtp_gcm_kdf(u_char *master, u_char *key,
    u_char *salt);
static ngx_int_t ngx_rtc_srtp_gcm_fail(ngx_rtc_srtp_gcm_t *g,
    const char *what);


ngx_int_t
ngx_rtc_srtp_gcm_init(ngx_rtc_srtp_gcm_t *g, u_char *master, size_t len,
    ngx_log_t *log)
{
    ngx_int_t  rc;
    u_char     key[NGX_RTC_SRTP_GCM_KEY_LEN];
    u_char     salt[NGX_RTC_SRTP_GCM_SALT_LEN];

    g->ctx = NULL;

    if (len != NGX_RTC_SRTP_GCM_MASTER_LEN) {
        return NGX_ERROR;
    }

    if (ngx_rtc_srtp_gcm_kdf(master, key, salt) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "rtc srtp gcm key derivation failed");
        rc = NGX_ERROR;

    } else {
        rc = ngx_rtc_srtp_gcm_init_session(g, key, salt, log);
    }

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(salt, sizeof(salt));

    return rc;
}


static ngx_int_t
ngx_rtc_srtp_gcm_kdf(u_char *master, u_char *key, u_char *salt)
{
    int              n;
    ngx_int_t        rc;
    EVP_CIPHER_CTX  *ctx;
    u_char           x[32], out[32];

    /*
     * x * 2^16 for the label 0x00 (the key: x is the master salt as it
     * is) and for the label 0x02 (the salt), in byte 7 of each block
     */

    ngx_memzero(x, sizeof(x));
    ngx_memcpy(x, master + NGX_RTC_SRTP_GCM_KEY_LEN,
               NGX_RTC_SRTP_GCM_SALT_LEN);
    ngx_memcpy(x + 16, x, 16);

    x[16 + 7] ^= 0x02;

    rc = NGX_ERROR;

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, master, NULL)
        && EVP_CIPHER_CTX_set_padding(ctx, 0)
        && EVP_EncryptUpdate(ctx, out, &n, x, sizeof(x))
        && n == (int) sizeof(out))
    {
        ngx_memcpy(key, out, NGX_RTC_SRTP_GCM_KEY_LEN);
        ngx_memcpy(salt, out + 16, NGX_RTC_SRTP_GCM_SALT_LEN);
        rc = NGX_OK;
    }

    EVP_CIPHER_CTX_free(ctx);

    OPENSSL_cleanse(x, sizeof(x));
    OPENSSL_cleanse(out, sizeof(out));

    if (rc != NGX_OK) {
        ERR_clear_error();
    }

    return rc;
}


ngx_int_t
ngx_rtc_srtp_gcm_init_session(ngx_rtc_srtp_gcm_t *g, u_char *key,
    u_char *salt, ngx_log_t *log)
{
    ngx_memzero(g, sizeof(ngx_rtc_srtp_gcm_t));

    g->log = log;

    g->ctx = EVP_CIPHER_CTX_new();
    if (g->ctx == NULL) {
        goto failed;
    }

    /* keyed once, for encryption; the 12-byte IV is GCM's default */

    if (!EVP_EncryptInit_ex(g->ctx, EVP_aes_128_gcm(), NULL, key, NULL)
        || EVP_CIPHER_CTX_iv_length(g->ctx) != 12)
    {
        goto failed;
    }

    ngx_memcpy(g->salt, salt, NGX_RTC_SRTP_GCM_SALT_LEN);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ALERT, log, 0, "rtc srtp gcm: AES-128-GCM failed");

    ngx_rtc_srtp_gcm_cleanup(g);
    ERR_clear_error();

    return NGX_ERROR;
}


ngx_int_t
ngx_rtc_srtp_gcm_protect(ngx_rtc_srtp_gcm_t *g, u_char *buf, size_t *len)
{
    size_t                      hlen, plen;
    int32_t                     delta;
    uint32_t                    ssrc, roc;
    uint64_t                    index, est;
    ngx_int_t                   s, l;
    ngx_uint_t                  i;
    ngx_rtc_srtp_gcm_stream_t  *st;
    u_char                      iv[12];
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    OSSL_PARAM                  params[2];
#endif

    /* the header: 12 bytes, the CSRCs, the extension (RFC 3550 5.1, 5.3.1) */

    if (*len < 12) {
        return ngx_rtc_srtp_gcm_fail(g, "short packet");
    }

    hlen = 12 + 4 * (buf[0] & 0x0f);

    if (buf[0] & 0x10) {
        if (*len < hlen + 4) {
            return ngx_rtc_srtp_gcm_fail(g, "short extension");
        }

        hlen += 4 + 4 * ((buf[hlen + 2] << 8) | buf[hlen + 3]);
    }

    if (*len < hlen) {
        return ngx_rtc_srtp_gcm_fail(g, "short header");
    }

    plen = *len - hlen;

    /* the SSRC's stream: a few, in the order of their first packets */

    ngx_memcpy(&ssrc, buf + 8, 4);

    st = NULL;

    for (i = 0; i < g->nstreams; i++) {
        if (g->streams[i].ssrc == ssrc) {
            st = &g->streams[i];
            break;
        }
    }

    if (st == NULL) {
        if (g->nstreams == NGX_RTC_SRTP_GCM_STREAMS) {
            if (!g->full) {
                g->full = 1;
                ngx_log_error(NGX_LOG_ALERT, g->log, 0,
                              "rtc srtp gcm: more than %d SSRCs sent",
                              NGX_RTC_SRTP_GCM_STREAMS);
            }

            return NGX_ERROR;
        }

        st = &g->streams[g->nstreams++];
        st->ssrc = ssrc;
        st->index = 0;
    }

    /*
     * The packet index (RFC 3711 3.3.1, appendix A) as libsrtp2 estimates
     * it on the sending side (srtp_rdbx_estimate_index()): from the
     * highest index sent, the ROC that puts SEQ nearest to it, so that a
     * retransmission of a packet from before a wrap of SEQ keeps the ROC
     * it was sent with; up to an index of 0x8000, before SEQ can have
     * wrapped, the ROC is 0 (never "ROC - 1").
     */

    s = (buf[2] << 8) | buf[3];
    index = st->index;

    if (index <= 0x8000) {
        est = (uint64_t) s;
        delta = (int32_t) (s - (ngx_int_t) index);

    } else {
        est = index >> 16;
        l = (ngx_int_t) (index & 0xffff);

        if (l < 0x8000) {
            if (s - l > 0x8000) {
                est--;
                delta = (int32_t) (s - l - 0x10000);

            } else {
                delta = (int32_t) (s - l);
            }

        } else {
            if (l - 0x8000 > s) {
                est++;
                delta = (int32_t) (s - l + 0x10000);

            } else {
                delta = (int32_t) (s - l);
            }
        }

        est = (est << 16) | (uint64_t) s;
    }

    if (delta > 0) {
        if (est > 0xffffffffffffULL) {
            /* the 48-bit index would wrap: an IV used again */
            return ngx_rtc_srtp_gcm_fail(g, "index exhausted");
        }

        st->index = est;

    } else if (delta <= -(int32_t) NGX_RTC_SRTP_TX_WINDOW) {
        /* older than the window: libsrtp2's srtp_err_status_replay_old */
        return ngx_rtc_srtp_gcm_fail(g, "packet too old");
    }

    /* IV = (0x0000 || SSRC || ROC || SEQ) XOR salt (RFC 7714 8.1) */

    roc = (uint32_t) (est >> 16);

    iv[0] = g->salt[0];
    iv[1] = g->salt[1];
    iv[2] = g->salt[2] ^ buf[8];
    iv[3] = g->salt[3] ^ buf[9];
    iv[4] = g->salt[4] ^ buf[10];
    iv[5] = g->salt[5] ^ buf[11];
    iv[6] = g->salt[6] ^ (u_char) (roc >> 24);
    iv[7] = g->salt[7] ^ (u_char) (roc >> 16);
    iv[8] = g->salt[8] ^ (u_char) (roc >> 8);
    iv[9] = g->salt[9] ^ (u_char) roc;
    iv[10] = g->salt[10] ^ buf[2];
    iv[11] = g->salt[11] ^ buf[3];

#if OPENSSL_VERSION_NUMBER >= 0x30000000L

    params[0] = (OSSL_PARAM)
                OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
                                        iv, (size_t) -1);
    params[1] = (OSSL_PARAM) OSSL_PARAM_END;

    if (!EVP_CIPHER_CTX_set_params(g->ctx, params)) {
        return ngx_rtc_srtp_gcm_fail(g, "IV");
    }

#else

    if (!EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, iv)) {
        return ngx_rtc_srtp_gcm_fail(g, "IV");
    }

#endif

    /* the AAD: the header as it is (RFC 7714 8.2) */

    if (EVP_Cipher(g->ctx, NULL, buf, (unsigned int) hlen) != (int) hlen) {
        return ngx_rtc_srtp_gcm_fail(g, "AAD");
    }

    if (plen
        && EVP_Cipher(g->ctx, buf + hlen, buf + hlen, (unsigned int) plen)
           != (int) plen)
    {
        return ngx_rtc_srtp_gcm_fail(g, "encrypt");
    }

    if (EVP_Cipher(g->ctx, NULL, NULL, 0) < 0) {
        return ngx_rtc_srtp_gcm_fail(g, "final");
    }

#if OPENSSL_VERSION_NUMBER >= 0x30000000L

    /* what EVP_CTRL_GCM_GET_TAG asks the provider, without the ctrl */

    params[0] = (OSSL_PARAM)
                OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                        buf + *len, NGX_RTC_SRTP_GCM_TAG_LEN);

    if (!EVP_CIPHER_CTX_get_params(g->ctx, params)) {
        return ngx_rtc_srtp_gcm_fail(g, "tag");
    }

#else

    if (!EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG,
                             NGX_RTC_SRTP_GCM_TAG_LEN, buf + *len))
    {
        return ngx_rtc_srtp_gcm_fail(g, "tag");
    }

#endif

    *len += NGX_RTC_SRTP_GCM_TAG_LEN;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_srtp_gcm_fail(ngx_rtc_srtp_gcm_t *g, const char *what)
{
    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, g->log, 0,
                   "rtc srtp gcm protect failed: %s", what);

    ERR_clear_error();

    return NGX_ERROR;
}


void
ngx_rtc_srtp_gcm_cleanup(ngx_rtc_srtp_gcm_t *g)
{
    if (g->ctx) {
        /* EVP_CIPHER_CTX_free() clears the key schedule */
        EVP_CIPHER_CTX_free(g->ctx);
        g->ctx = NULL;
    }

    OPENSSL_cleanse(g->salt, sizeof(g->salt));
}
