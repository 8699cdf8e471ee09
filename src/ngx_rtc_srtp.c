/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <srtp2/srtp.h>

#include "ngx_rtc_srtp.h"
#include "ngx_rtc_srtp_gcm.h"


#if (NGX_RTC_SRTP_MAX_TRAILER_LEN != SRTP_MAX_TRAILER_LEN)
#error "NGX_RTC_SRTP_MAX_TRAILER_LEN differs from libsrtp's"
#endif


/*
 * Two libsrtp sessions: one holds the ssrc_any_outbound template keyed with
 * what we send, the other the ssrc_any_inbound template keyed with what the
 * peer sends.  libsrtp clones a stream per SSRC from the template on the
 * first packet, so video, audio and RTX share the keys (RFC 5764 4.1.2).
 *
 * With AEAD_AES_128_GCM, the RTP we send (the media send path, once per
 * packet and viewer) is protected by ngx_rtc_srtp_gcm.c on OpenSSL
 * directly, with the same keys and the same result, without libsrtp's
 * per-packet bookkeeping; RTCP and all we receive stay on libsrtp.
 */

/*
 * The SSRCs a peer may send with: libsrtp clones a stream (~1 KB) for
 * each new SSRC whose packet authenticates, keeps it for the session's
 * life and walks the list of them for every packet.  The peer has the
 * keys: one sending a new SSRC in every RTCP packet grew a worker by
 * 38 MB in a minute and made every packet of its worker's viewers wait.
 * A viewer's RTCP comes from one or two SSRCs, a WHEP server's media
 * from a few; a packet of any further SSRC is dropped unread.
 */
#define NGX_RTC_SRTP_SSRCS_IN  8


struct ngx_rtc_srtp_s {
    ngx_rtc_srtp_gcm_t        gcm;        /* gcm.ctx NULL: libsrtp */
    srtp_t                    out;
    srtp_t                    in;
    ngx_log_t                *log;
    uint32_t                  ssrcs[NGX_RTC_SRTP_SSRCS_IN];
    ngx_uint_t                nssrcs;
    unsigned                  evict:1;    /* a source's: the oldest goes */
    unsigned                  full_logged:1;
};


static ngx_int_t ngx_rtc_srtp_policy(srtp_policy_t *policy,
    ngx_uint_t profile, u_char *key, size_t len, srtp_ssrc_type_t type);
static ngx_int_t ngx_rtc_srtp_known(ngx_rtc_srtp_t *s, u_char *p,
    uint32_t *ssrc);
static void ngx_rtc_srtp_learn(ngx_rtc_srtp_t *s, uint32_t ssrc);


/*
 * A second srtp_init() fails with srtp_err_status_bad_param (libsrtp 2.5
 * registers its "srtp" debug module again), so it runs once per process
 * image: a worker forked after the master ran it inherits the initialized
 * crypto kernel together with this flag.
 */
static ngx_uint_t  ngx_rtc_srtp_initialized;


ngx_int_t
ngx_rtc_srtp_init(ngx_log_t *log)
{
    srtp_err_status_t  rc;

    if (ngx_rtc_srtp_initialized) {
        return NGX_OK;
    }

    /*
     * Debian's libsrtp2 is built with NSS: each cipher opens NSS with
     * NSS_InitContext() and closes it when freed; the self tests leave no
     * cipher behind, so NSS is not carried initialized across fork()
     */

    rc = srtp_init();

    if (rc != srtp_err_status_ok) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "rtc srtp srtp_init() failed: %d", (int) rc);
        return NGX_ERROR;
    }

    ngx_rtc_srtp_initialized = 1;

    return NGX_OK;
}


ngx_rtc_srtp_t *
ngx_rtc_srtp_create(ngx_rtc_srtp_keys_t *keys, ngx_log_t *log)
{
    srtp_policy_t       policy;
    ngx_rtc_srtp_t     *s;
    srtp_err_status_t   rc;

    s = ngx_alloc(sizeof(ngx_rtc_srtp_t), log);
    if (s == NULL) {
        return NULL;
    }

    s->gcm.ctx = NULL;
    s->out = NULL;
    s->in = NULL;
    s->log = log;
    s->nssrcs = 0;
    s->evict = 0;
    s->full_logged = 0;

    if (ngx_rtc_srtp_policy(&policy, keys->profile, keys->local,
                            keys->local_len, ssrc_any_outbound)
        != NGX_OK)
    {
        goto bad_keys;
    }

    rc = srtp_create(&s->out, &policy);

    if (rc != srtp_err_status_ok) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "rtc srtp srtp_create(outbound) failed: %d", (int) rc);
        goto failed;
    }

    if (ngx_rtc_srtp_policy(&policy, keys->profile, keys->remote,
                            keys->remote_len, ssrc_any_inbound)
        != NGX_OK)
    {
        goto bad_keys;
    }

    rc = srtp_create(&s->in, &policy);

    if (rc != srtp_err_status_ok) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "rtc srtp srtp_create(inbound) failed: %d", (int) rc);
        goto failed;
    }

    if (keys->profile == NGX_RTC_SRTP_AEAD_AES_128_GCM
        && ngx_rtc_srtp_gcm_init(&s->gcm, keys->local, keys->local_len, log)
           != NGX_OK)
    {
        goto failed;
    }

    return s;

bad_keys:

    ngx_log_error(NGX_LOG_ALERT, log, 0,
                  "rtc srtp bad keys: profile %ui, lengths %uz and %uz",
                  keys->profile, keys->local_len, keys->remote_len);

failed:

    ngx_rtc_srtp_free(s);

    return NULL;
}


static ngx_int_t
ngx_rtc_srtp_policy(srtp_policy_t *policy, ngx_uint_t profile, u_char *key,
    size_t len, srtp_ssrc_type_t type)
{
    ngx_memzero(policy, sizeof(srtp_policy_t));

    switch (profile) {

    case NGX_RTC_SRTP_AES128_CM_SHA1_80:
        if (len != SRTP_AES_ICM_128_KEY_LEN_WSALT) {
            return NGX_ERROR;
        }

        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        break;

    case NGX_RTC_SRTP_AEAD_AES_128_GCM:
        if (len != SRTP_AES_GCM_128_KEY_LEN_WSALT) {
            return NGX_ERROR;
        }

        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
        break;

    default:
        return NGX_ERROR;
    }

    /*
     * key is master key || master salt, as RFC 5764 4.2 lays them out;
     * libsrtp derives its session keys from it in srtp_create() and keeps
     * no pointer to it.  allow_repeat_tx lets a NACKed packet go out again
     * with its original sequence number.
     */

    policy->ssrc.type = type;
    policy->key = key;
    policy->window_size = (type == ssrc_any_outbound)
                          ? NGX_RTC_SRTP_TX_WINDOW : NGX_RTC_SRTP_RX_WINDOW;
    policy->allow_repeat_tx = 1;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_srtp_protect(ngx_rtc_srtp_t *s, u_char *buf, size_t *len,
    size_t size)
{
    int                 n;
    srtp_err_status_t   rc;

    if (*len > 65535 || size < *len + NGX_RTC_SRTP_MAX_TRAILER_LEN) {
        return NGX_ERROR;
    }

    if (s->gcm.ctx) {
        return ngx_rtc_srtp_gcm_protect(&s->gcm, buf, len);
    }

    n = (int) *len;

    rc = srtp_protect(s->out, buf, &n);

    if (rc != srtp_err_status_ok) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, s->log, 0,
                       "rtc srtp protect failed: %d", (int) rc);
        return NGX_ERROR;
    }

    *len = n;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_srtp_protect_rtcp(ngx_rtc_srtp_t *s, u_char *buf, size_t *len,
    size_t size)
{
    int                 n;
    srtp_err_status_t   rc;

    if (*len > 65535 || size < *len + NGX_RTC_SRTCP_MAX_TRAILER_LEN) {
        return NGX_ERROR;
    }

    n = (int) *len;

    rc = srtp_protect_rtcp(s->out, buf, &n);

    if (rc != srtp_err_status_ok) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, s->log, 0,
                       "rtc srtp protect rtcp failed: %d", (int) rc);
        return NGX_ERROR;
    }

    *len = n;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_srtp_unprotect(ngx_rtc_srtp_t *s, u_char *buf, size_t *len)
{
    int                 n;
    uint32_t            ssrc;
    srtp_err_status_t   rc;

    if (*len > 65535) {
        return NGX_ERROR;
    }

    /* the caller has checked the 12 bytes of an RTP header */

    if (*len < 12 || ngx_rtc_srtp_known(s, buf + 8, &ssrc) != NGX_OK) {
        return NGX_ERROR;
    }

    n = (int) *len;

    rc = srtp_unprotect(s->in, buf, &n);

    if (rc != srtp_err_status_ok) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, s->log, 0,
                       "rtc srtp unprotect failed: %d", (int) rc);
        return NGX_ERROR;
    }

    ngx_rtc_srtp_learn(s, ssrc);

    *len = n;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_srtp_unprotect_rtcp(ngx_rtc_srtp_t *s, u_char *buf, size_t *len)
{
    int                 n;
    uint32_t            ssrc;
    srtp_err_status_t   rc;

    if (*len > 65535) {
        return NGX_ERROR;
    }

    /* the sender's SSRC, in the clear (RFC 3711 3.4) */

    if (*len < 8 || ngx_rtc_srtp_known(s, buf + 4, &ssrc) != NGX_OK) {
        return NGX_ERROR;
    }

    n = (int) *len;

    rc = srtp_unprotect_rtcp(s->in, buf, &n);

    if (rc != srtp_err_status_ok) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, s->log, 0,
                       "rtc srtp unprotect rtcp failed: %d", (int) rc);
        return NGX_ERROR;
    }

    ngx_rtc_srtp_learn(s, ssrc);

    *len = n;

    return NGX_OK;
}


/*
 * NGX_OK for an SSRC the peer has used, or while there is room for
 * another; NGX_DECLINED: a packet not to unprotect.
 */

static ngx_int_t
ngx_rtc_srtp_known(ngx_rtc_srtp_t *s, u_char *p, uint32_t *ssrc)
{
    ngx_uint_t  i;

    *ssrc = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
            | ((uint32_t) p[2] << 8) | p[3];

    for (i = 0; i < s->nssrcs; i++) {
        if (s->ssrcs[i] == *ssrc) {
            return NGX_OK;
        }
    }

    if (s->nssrcs < NGX_RTC_SRTP_SSRCS_IN || s->evict) {
        return NGX_OK;
    }

    if (!s->full_logged) {
        s->full_logged = 1;
        ngx_log_error(NGX_LOG_INFO, s->log, 0,
                      "rtc srtp the peer sends with more than "
                      ngx_value(NGX_RTC_SRTP_SSRCS_IN) " SSRCs: the packets "
                      "of others are dropped");
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, s->log, 0,
                   "rtc srtp a packet of SSRC %uD dropped", *ssrc);

    return NGX_DECLINED;
}


/*
 * A WHEP server's SSRCs can change for good (its publisher reconnected):
 * a source's oldest SSRC, and its libsrtp stream, give way to a new one
 * whose packet authenticated.
 */

void
ngx_rtc_srtp_evict(ngx_rtc_srtp_t *s)
{
    s->evict = 1;
}


/* an SSRC whose packet authenticated: libsrtp keeps a stream for it */

static void
ngx_rtc_srtp_learn(ngx_rtc_srtp_t *s, uint32_t ssrc)
{
    ngx_uint_t  i;

    for (i = 0; i < s->nssrcs; i++) {
        if (s->ssrcs[i] == ssrc) {
            return;
        }
    }

    if (s->nssrcs == NGX_RTC_SRTP_SSRCS_IN) {

        /* s->evict: libsrtp has a stream of the new one now */

        (void) srtp_remove_stream(s->in, htonl(s->ssrcs[0]));

        ngx_memmove(&s->ssrcs[0], &s->ssrcs[1],
                    (NGX_RTC_SRTP_SSRCS_IN - 1) * sizeof(uint32_t));
        s->nssrcs--;
    }

    s->ssrcs[s->nssrcs++] = ssrc;
}


void
ngx_rtc_srtp_free(ngx_rtc_srtp_t *s)
{
    if (s == NULL) {
        return;
    }

    ngx_rtc_srtp_gcm_cleanup(&s->gcm);

    if (s->out) {
        srtp_dealloc(s->out);
    }

    if (s->in) {
        srtp_dealloc(s->in);
    }

    ngx_free(s);
}
