/*
 * Copyright (C) nginx-rtc authors
 *
 * AEAD_AES_128_GCM protect of the RTP we send (src/ngx_rtc_srtp_gcm.c)
 * against libsrtp2's srtp_protect() with the same master key, byte for
 * byte: several SSRCs interleaved, CSRCs and header extensions, payloads
 * of 0 to 1200 bytes, sequence numbers wrapping (ROC 0 -> 1 -> 2) with
 * retransmissions of packets from before the wrap after it, packets too
 * old for the window; a libsrtp2 receiver takes what we make.  Also
 * RFC 7714 16.1.1's vector, and the same through ngx_rtc_srtp_protect().
 */

/* unit-deps: src/ngx_rtc_srtp.c src/ngx_rtc_srtp_gcm.c */
/* unit-libs: -lcrypto -lsrtp2 */

#include "ngx_rtc_unit.h"

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "ngx_rtc_srtp.h"
#include "ngx_rtc_srtp_gcm.h"


#define TEST_SSRCS        3
#define TEST_HISTORY      512           /* packets kept per SSRC */
#define TEST_PKT          (12 + 4 * 15 + 4 + 4 * 8 + 1200 + 160)


typedef struct {
    uint32_t              ssrc;
    uint16_t              seq;          /* next to send */
    uint64_t              sent;         /* packets sent: the history */
    ngx_uint_t            small;        /* payloads under 32 bytes */
    size_t                len[TEST_HISTORY];
    u_char                data[TEST_HISTORY][TEST_PKT];
    size_t                out_len[TEST_HISTORY];
    u_char                out[TEST_HISTORY][TEST_PKT];
} test_stream_t;


typedef struct {
    ngx_rtc_srtp_gcm_t    gcm;          /* ours */
    srtp_t                ref;          /* libsrtp2, sending */
    srtp_t                rx;           /* libsrtp2, receiving */

    ngx_uint_t            packets;
    ngx_uint_t            mismatches;   /* ours != libsrtp2's */
    ngx_uint_t            refused;      /* by both */
    ngx_uint_t            rx_failed;    /* first copies rx did not take */
    ngx_uint_t            resent_differ; /* a resend != the first copy */
    ngx_uint_t            resent;
    ngx_uint_t            wraps;
} test_run_t;


static ngx_log_t      test_log;
static test_stream_t  test_streams[TEST_SSRCS];


__attribute__((weak)) void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return malloc(size);
}


static uint32_t
test_rand(void)
{
    uint32_t  r;

    if (RAND_bytes((u_char *) &r, sizeof(r)) != 1) {
        abort();
    }

    return r;
}


static srtp_t
test_libsrtp(u_char *master, srtp_ssrc_type_t type)
{
    srtp_t         s;
    srtp_policy_t  policy;

    /* as ngx_rtc_srtp.c sets it up */

    ngx_memzero(&policy, sizeof(srtp_policy_t));

    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);

    policy.ssrc.type = type;
    policy.key = master;
    policy.window_size = (type == ssrc_any_outbound)
                         ? NGX_RTC_SRTP_TX_WINDOW : NGX_RTC_SRTP_RX_WINDOW;
    policy.allow_repeat_tx = 1;

    if (srtp_create(&s, &policy) != srtp_err_status_ok) {
        return NULL;
    }

    return s;
}


/* an RTP packet: cc CSRCs, an extension of xwords words (-1: none) */

static size_t
test_packet(u_char *p, uint32_t ssrc, uint16_t seq, ngx_uint_t cc,
    ngx_int_t xwords, size_t payload)
{
    size_t      n;
    uint32_t    r;
    ngx_uint_t  i;

    r = test_rand();

    p[0] = (u_char) (0x80 | (xwords >= 0 ? 0x10 : 0) | cc);
    p[1] = (u_char) ((r & 0x80) | 96);
    p[2] = (u_char) (seq >> 8);
    p[3] = (u_char) seq;
    p[4] = (u_char) (r >> 24);
    p[5] = (u_char) (r >> 16);
    p[6] = (u_char) (r >> 8);
    p[7] = (u_char) r;
    p[8] = (u_char) (ssrc >> 24);
    p[9] = (u_char) (ssrc >> 16);
    p[10] = (u_char) (ssrc >> 8);
    p[11] = (u_char) ssrc;

    n = 12;

    for (i = 0; i < cc; i++) {
        r = test_rand();
        ngx_memcpy(p + n, &r, 4);
        n += 4;
    }

    if (xwords >= 0) {
        /* RFC 8285 one-byte header extensions */
        p[n] = 0xbe;
        p[n + 1] = 0xde;
        p[n + 2] = 0;
        p[n + 3] = (u_char) xwords;
        n += 4;

        if (RAND_bytes(p + n, 4 * xwords) != 1) {
            abort();
        }

        n += 4 * xwords;
    }

    if (payload && RAND_bytes(p + n, (int) payload) != 1) {
        abort();
    }

    return n + payload;
}


static size_t
test_payload_size(void)
{
    uint32_t  r;

    static size_t  sizes[] = { 0, 1, 2, 15, 16, 17, 31, 32, 33, 100, 160,
                               1199, 1200 };

    r = test_rand();

    if (r & 1) {
        return sizes[(r >> 1) % (sizeof(sizes) / sizeof(sizes[0]))];
    }

    return (r >> 1) % 1201;
}


/*
 * One packet of a stream, new (resend == 0) or sent again with its
 * original sequence number (resend packets back); both sides protect it,
 * the results are compared, the receiver gets ours.
 */

static void
test_send(test_run_t *t, test_stream_t *st, ngx_uint_t resend)
{
    int          n, rc_ref;
    size_t       len, plain;
    uint32_t     r;
    uint64_t     k;
    ngx_int_t    rc, xwords;
    ngx_uint_t   cc, first;
    u_char       ours[TEST_PKT], theirs[TEST_PKT], *p;

    if (resend) {
        k = (st->sent - resend) % TEST_HISTORY;
        p = st->data[k];
        plain = st->len[k];
        first = 0;

    } else {
        k = st->sent % TEST_HISTORY;
        p = st->data[k];

        r = test_rand();
        cc = (r & 3) == 0 ? (r >> 2) % 16 : 0;
        xwords = (r & 0x30) == 0 ? (ngx_int_t) ((r >> 8) % 9) : -1;

        plain = test_packet(p, st->ssrc, st->seq, cc, xwords,
                            st->small ? (r >> 16) % 32 : test_payload_size());
        st->len[k] = plain;

        if (st->seq == 0xffff) {
            t->wraps++;
        }

        st->seq++;
        st->sent++;
        first = 1;
    }

    ngx_memcpy(ours, p, plain);
    ngx_memcpy(theirs, p, plain);

    len = plain;
    rc = ngx_rtc_srtp_gcm_protect(&t->gcm, ours, &len);

    n = (int) plain;
    rc_ref = srtp_protect(t->ref, theirs, &n);

    t->packets++;

    if ((rc == NGX_OK) != (rc_ref == srtp_err_status_ok)) {
        if (t->mismatches++ < 5) {
            fprintf(stderr, "ssrc %08x seq %u resend %u: ours %d, "
                    "libsrtp2 %d\n", st->ssrc, (p[2] << 8) | p[3],
                    (unsigned) resend, (int) rc, rc_ref);
        }

        return;
    }

    if (rc != NGX_OK) {
        t->refused++;
        return;
    }

    if (len != (size_t) n || len != plain + 16
        || ngx_memcmp(ours, theirs, len) != 0)
    {
        if (t->mismatches++ < 5) {
            fprintf(stderr, "ssrc %08x seq %u resend %u: %zu bytes differ "
                    "from libsrtp2's\n", st->ssrc, (p[2] << 8) | p[3],
                    (unsigned) resend, len);
        }

        return;
    }

    if (!first) {
        /* the same packet again: the same IV, the same bytes */

        t->resent++;

        if (st->out_len[k] != len || ngx_memcmp(st->out[k], ours, len) != 0) {
            t->resent_differ++;
        }

        return;
    }

    st->out_len[k] = len;
    ngx_memcpy(st->out[k], ours, len);

    n = (int) len;

    if (srtp_unprotect(t->rx, ours, &n) != srtp_err_status_ok
        || (size_t) n != plain || ngx_memcmp(ours, p, plain) != 0)
    {
        t->rx_failed++;
    }
}


static void test_run_free(test_run_t *t);


/*
 * A run under a random master key: ours, libsrtp2's sender and a libsrtp2
 * receiver; NGX_ERROR (the failure checked, the run freed) if one failed
 */

static ngx_int_t
test_run_init(test_run_t *t)
{
    u_char  master[NGX_RTC_SRTP_GCM_MASTER_LEN];

    ngx_memzero(t, sizeof(test_run_t));

    NGX_RTC_CHECK(RAND_bytes(master, sizeof(master)) == 1);

    if (ngx_rtc_srtp_gcm_init(&t->gcm, master, NGX_RTC_SRTP_GCM_MASTER_LEN,
                              &test_log)
        != NGX_OK)
    {
        goto failed;
    }

    t->ref = test_libsrtp(master, ssrc_any_outbound);
    t->rx = test_libsrtp(master, ssrc_any_inbound);

    if (t->ref == NULL || t->rx == NULL) {
        goto failed;
    }

    return NGX_OK;

failed:

    NGX_RTC_CHECK(0);
    test_run_free(t);

    return NGX_ERROR;
}


static void
test_run_free(test_run_t *t)
{
    ngx_rtc_srtp_gcm_cleanup(&t->gcm);

    if (t->ref) {
        srtp_dealloc(t->ref);
    }

    if (t->rx) {
        srtp_dealloc(t->rx);
    }
}


static void
test_run_check(test_run_t *t, const char *name)
{
    printf("# %s: %lu packets, %lu resent, %lu refused by both, %lu wraps\n",
           name, (unsigned long) t->packets, (unsigned long) t->resent,
           (unsigned long) t->refused, (unsigned long) t->wraps);

    NGX_RTC_CHECK(t->mismatches == 0);
    NGX_RTC_CHECK(t->rx_failed == 0);
    NGX_RTC_CHECK(t->resent_differ == 0);
}


/*
 * Video, audio and RTX interleaved, video and RTX starting just before a
 * wrap; NACK-like retransmissions of video (some from before its wrap,
 * after it) and one packet just inside and one just outside the window.
 */

static void
test_interleaved(void)
{
    uint32_t         r;
    ngx_uint_t       i, j, back;
    test_run_t       t;
    test_stream_t   *video, *audio, *rtx;

    if (test_run_init(&t) != NGX_OK) {
        return;
    }

    video = &test_streams[0];
    audio = &test_streams[1];
    rtx = &test_streams[2];

    ngx_memzero(test_streams, sizeof(test_streams));

    video->ssrc = test_rand();
    audio->ssrc = video->ssrc ^ 0x01000000;
    rtx->ssrc = video->ssrc ^ 0x00000100;

    video->seq = 65536 - 700;
    audio->seq = (uint16_t) test_rand();
    rtx->seq = 65536 - 3;

    for (i = 0; i < 3000; i++) {
        r = test_rand();

        test_send(&t, video, 0);

        if (r % 3 == 0) {
            test_send(&t, audio, 0);
        }

        if (r % 5 == 0) {
            test_send(&t, rtx, 0);
        }

        /* a NACK: a few packets of up to 250 back go out again */

        if (r % 17 == 0 && video->sent > 1) {
            for (j = 0; j < 1 + (r >> 8) % 4; j++) {
                back = 1 + (r >> (10 + j)) % ngx_min(250, video->sent);
                test_send(&t, video, back);
            }
        }

        /* just after video's wrap: every packet from before it again */

        if (video->seq == 20) {
            for (back = 21; back <= 60; back++) {
                test_send(&t, video, back);
            }
        }

        /* the edges of the window (NGX_RTC_SRTP_TX_WINDOW) */

        if (i == 1500) {
            test_send(&t, video, NGX_RTC_SRTP_TX_WINDOW);
            test_send(&t, video, NGX_RTC_SRTP_TX_WINDOW + 1);
            test_send(&t, video, NGX_RTC_SRTP_TX_WINDOW + 100);
        }
    }

    NGX_RTC_CHECK(t.wraps >= 2);
    NGX_RTC_CHECK(t.refused >= 2);
    NGX_RTC_CHECK(t.resent > 100);

    test_run_check(&t, "interleaved");

    test_run_free(&t);
}


/*
 * One SSRC through two wraps (ROC 2), from sequence number 0 (where
 * libsrtp2 keeps the ROC at 0 until the index passes 0x8000), with
 * retransmissions around each wrap; then a jump forward.
 */

static void
test_long(void)
{
    uint32_t         r;
    ngx_uint_t       i;
    test_run_t       t;
    test_stream_t   *st;

    if (test_run_init(&t) != NGX_OK) {
        return;
    }

    st = &test_streams[0];
    ngx_memzero(st, sizeof(test_stream_t));
    st->ssrc = test_rand();
    st->seq = 0;
    st->small = 1;

    for (i = 0; i < 2 * 65536 + 2000; i++) {
        r = test_rand();

        test_send(&t, st, 0);

        if ((st->seq < 300 || st->seq > 65536 - 300 || r % 257 == 0)
            && st->sent > 200 && r % 7 == 0)
        {
            test_send(&t, st, 1 + (r >> 8) % 200);
        }
    }

    /* a jump forward of 1000: a gap, not a wrap */

    st->seq += 1000;

    for (i = 0; i < 100; i++) {
        test_send(&t, st, 0);
    }

    test_send(&t, st, 50);

    NGX_RTC_CHECK(t.wraps == 2);
    NGX_RTC_CHECK(t.gcm.streams[0].index >> 16 == 2);

    test_run_check(&t, "long");

    test_run_free(&t);
}


/* RFC 7714 16.1.1: AEAD_AES_128_GCM, session key and salt given */

static void
test_rfc7714(void)
{
    size_t              len;
    ngx_rtc_srtp_gcm_t  g;

    static u_char  key[] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
        0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
    };

    static u_char  salt[] = "Quid pro quo";

    static u_char  plain[] = "\x80\x40\xf1\x7b\x80\x41\xf8\xd3\x55\x01\xa0\xb2"
                             "Gallia est omnis divisa in partes tres";

    static u_char  srtp[] = {
        0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3,
        0x55, 0x01, 0xa0, 0xb2, 0xf2, 0x4d, 0xe3, 0xa3,
        0xfb, 0x34, 0xde, 0x6c, 0xac, 0xba, 0x86, 0x1c,
        0x9d, 0x7e, 0x4b, 0xca, 0xbe, 0x63, 0x3b, 0xd5,
        0x0d, 0x29, 0x4e, 0x6f, 0x42, 0xa5, 0xf4, 0x7a,
        0x51, 0xc7, 0xd1, 0x9b, 0x36, 0xde, 0x3a, 0xdf,
        0x88, 0x33, 0x89, 0x9d, 0x7f, 0x27, 0xbe, 0xb1,
        0x6a, 0x91, 0x52, 0xcf, 0x76, 0x5e, 0xe4, 0x39,
        0x0c, 0xce
    };

    u_char  buf[128];

    NGX_RTC_CHECK(sizeof(salt) - 1 == NGX_RTC_SRTP_GCM_SALT_LEN);
    NGX_RTC_CHECK(sizeof(plain) - 1 == 12 + 38);
    NGX_RTC_CHECK(sizeof(srtp) == 12 + 38 + 16);

    if (ngx_rtc_srtp_gcm_init_session(&g, key, salt, &test_log) != NGX_OK) {
        NGX_RTC_CHECK(0);
        return;
    }

    /* twice: the second one as a retransmission, the same bytes */

    ngx_memcpy(buf, plain, 50);
    len = 50;
    NGX_RTC_CHECK(ngx_rtc_srtp_gcm_protect(&g, buf, &len) == NGX_OK);
    NGX_RTC_CHECK(len == sizeof(srtp) && ngx_memcmp(buf, srtp, len) == 0);

    ngx_memcpy(buf, plain, 50);
    len = 50;
    NGX_RTC_CHECK(ngx_rtc_srtp_gcm_protect(&g, buf, &len) == NGX_OK);
    NGX_RTC_CHECK(len == sizeof(srtp) && ngx_memcmp(buf, srtp, len) == 0);

    ngx_rtc_srtp_gcm_cleanup(&g);
    NGX_RTC_CHECK(g.ctx == NULL);
}


/* malformed headers are refused as libsrtp2 refuses them */

static void
test_malformed(void)
{
    int          n;
    size_t       len;
    ngx_uint_t   i;
    test_run_t   t;
    u_char       ours[TEST_PKT], theirs[TEST_PKT];

    static struct {
        size_t   len;
        u_char   b0;
        u_char   xlen;
    } cases[] = {
        { 0, 0x80, 0 },
        { 11, 0x80, 0 },
        { 12, 0x80, 0 },                /* a header, no payload: fine */
        { 12, 0x81, 0 },                /* a CSRC missing */
        { 16, 0x81, 0 },
        { 12 + 60 - 1, 0x8f, 0 },
        { 12 + 60, 0x8f, 0 },
        { 15, 0x90, 0 },                /* the extension header cut */
        { 16, 0x90, 0 },
        { 16, 0x90, 1 },                /* a word of extension missing */
        { 19, 0x90, 1 },
        { 20, 0x90, 1 },
        { 24, 0x91, 1 },
        { 12 + 4 + 4 + 4 * 255, 0x91, 255 },
        { 12 + 4 + 4 * 255, 0x90, 255 },
    };

    if (test_run_init(&t) != NGX_OK) {
        return;
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ngx_memzero(ours, sizeof(ours));
        ours[0] = cases[i].b0;
        ours[1] = 96;
        ours[3] = (u_char) i;
        ours[11] = 7;
        ours[12 + 4 * (cases[i].b0 & 0x0f) + 3] = cases[i].xlen;
        ngx_memcpy(theirs, ours, sizeof(ours));

        len = cases[i].len;
        n = (int) len;

        NGX_RTC_CHECK((ngx_rtc_srtp_gcm_protect(&t.gcm, ours, &len) == NGX_OK)
                      == (srtp_protect(t.ref, theirs, &n)
                          == srtp_err_status_ok));

        if (len != cases[i].len) {
            NGX_RTC_CHECK(len == (size_t) n
                          && ngx_memcmp(ours, theirs, len) == 0);
        }
    }

    test_run_free(&t);
}


/*
 * Through ngx_rtc_srtp_protect(): the GCM profile sends with ours, the
 * same bytes as libsrtp2; RTCP still protected by libsrtp2 and taken by
 * a receiver; no room for the trailer is refused.
 */

/* random AEAD_AES_128_GCM keys both ways, as DTLS-SRTP gives them */

static void
test_keys(ngx_rtc_srtp_keys_t *keys)
{
    ngx_memzero(keys, sizeof(ngx_rtc_srtp_keys_t));
    keys->profile = NGX_RTC_SRTP_AEAD_AES_128_GCM;
    keys->local_len = NGX_RTC_SRTP_GCM_MASTER_LEN;
    keys->remote_len = NGX_RTC_SRTP_GCM_MASTER_LEN;
    NGX_RTC_CHECK(RAND_bytes(keys->local, 28) == 1);
    NGX_RTC_CHECK(RAND_bytes(keys->remote, 28) == 1);
}


/*
 * The SSRCs a peer may use: the first 8 whose packets authenticate; a
 * viewer's further ones are dropped unread (libsrtp2 would keep a stream
 * for each); a source's take the oldest one's place.
 */

static void
test_ssrcs(void)
{
    int                   n;
    size_t                len;
    srtp_t                tx;
    uint32_t              ssrc;
    ngx_uint_t            i, k, ok;
    ngx_rtc_srtp_t       *s[2];
    ngx_rtc_srtp_keys_t   keys;
    u_char                buf[TEST_PKT], rr[8];

    test_keys(&keys);

    s[0] = ngx_rtc_srtp_create(&keys, &test_log);
    s[1] = ngx_rtc_srtp_create(&keys, &test_log);
    tx = test_libsrtp(keys.remote, ssrc_any_outbound);

    NGX_RTC_CHECK(s[0] != NULL && s[1] != NULL && tx != NULL);

    if (s[0] == NULL || s[1] == NULL || tx == NULL) {
        return;
    }

    ngx_rtc_srtp_evict(s[1]);

    /* SSRCs 1..10, then 1 again, then 9: to both */

    for (i = 0; i < 12; i++) {
        ssrc = (i < 10) ? i + 1 : (i == 10 ? 1 : 9);

        /* an RR without report blocks from ssrc */

        ngx_memzero(rr, sizeof(rr));
        rr[0] = 0x80;
        rr[1] = 201;
        rr[3] = 1;
        rr[4] = (u_char) (ssrc >> 24);
        rr[5] = (u_char) (ssrc >> 16);
        rr[6] = (u_char) (ssrc >> 8);
        rr[7] = (u_char) ssrc;

        for (k = 0; k < 2; k++) {
            ngx_memcpy(buf, rr, sizeof(rr));
            n = sizeof(rr);
            NGX_RTC_CHECK(srtp_protect_rtcp(tx, buf, &n)
                          == srtp_err_status_ok);

            /* the same packet to both: each its own replay window */

            len = n;
            ok = (ngx_rtc_srtp_unprotect_rtcp(s[k], buf, &len) == NGX_OK);

            if (k == 0) {
                /* a viewer: 1..8 and 1 again; 9 and 10 dropped */
                NGX_RTC_CHECK(ok == (ssrc <= 8));

            } else {
                /* a source: every one, the oldest giving way */
                NGX_RTC_CHECK(ok);
            }

            if (ok) {
                NGX_RTC_CHECK(len == sizeof(rr)
                              && ngx_memcmp(buf, rr, sizeof(rr)) == 0);
            }
        }
    }

    ngx_rtc_srtp_free(s[0]);
    ngx_rtc_srtp_free(s[1]);
    srtp_dealloc(tx);
}


static void
test_wrapper(void)
{
    int                   n;
    size_t                len, plain;
    srtp_t                ref, rx;
    ngx_uint_t            i;
    ngx_rtc_srtp_t       *s;
    ngx_rtc_srtp_keys_t   keys;
    u_char                buf[TEST_PKT], copy[TEST_PKT], orig[TEST_PKT];

    test_keys(&keys);

    s = ngx_rtc_srtp_create(&keys, &test_log);
    ref = test_libsrtp(keys.local, ssrc_any_outbound);
    rx = test_libsrtp(keys.local, ssrc_any_inbound);

    NGX_RTC_CHECK(s != NULL && ref != NULL && rx != NULL);

    if (s == NULL || ref == NULL || rx == NULL) {
        return;
    }

    for (i = 0; i < 200; i++) {
        plain = test_packet(orig, 0xabcd0001 + (i % 2),
                            (uint16_t) (65500 + i / 2), i % 3,
                            (i % 4) ? -1 : 1, i * 6);
        ngx_memcpy(buf, orig, plain);
        ngx_memcpy(copy, orig, plain);

        len = plain;
        NGX_RTC_CHECK(ngx_rtc_srtp_protect(s, buf, &len, sizeof(buf))
                      == NGX_OK);

        n = (int) plain;
        NGX_RTC_CHECK(srtp_protect(ref, copy, &n) == srtp_err_status_ok);
        NGX_RTC_CHECK(len == (size_t) n && ngx_memcmp(buf, copy, len) == 0);

        n = (int) len;
        NGX_RTC_CHECK(srtp_unprotect(rx, buf, &n) == srtp_err_status_ok
                      && (size_t) n == plain
                      && ngx_memcmp(buf, orig, plain) == 0);
    }

    /* no room for libsrtp's largest trailer: refused, as before */

    len = plain;
    NGX_RTC_CHECK(ngx_rtc_srtp_protect(s, orig, &len, plain + 16)
                  == NGX_ERROR);

    /* RTCP: an SR, libsrtp2's SRTCP */

    ngx_memzero(orig, 28);
    orig[0] = 0x80;
    orig[1] = 200;
    orig[3] = 6;
    orig[7] = 1;
    ngx_memcpy(buf, orig, 28);
    len = 28;
    NGX_RTC_CHECK(ngx_rtc_srtp_protect_rtcp(s, buf, &len, sizeof(buf))
                  == NGX_OK);
    n = (int) len;
    NGX_RTC_CHECK(srtp_unprotect_rtcp(rx, buf, &n) == srtp_err_status_ok
                  && n == 28 && ngx_memcmp(buf, orig, 28) == 0);

    ngx_rtc_srtp_free(s);
    srtp_dealloc(ref);
    srtp_dealloc(rx);
}


int
main(void)
{
    test_log.log_level = NGX_LOG_INFO;

    if (srtp_init() != srtp_err_status_ok) {
        NGX_RTC_CHECK(0);
        return NGX_RTC_UNIT_DONE();
    }

    test_rfc7714();
    test_malformed();
    test_wrapper();
    test_ssrcs();
    test_interleaved();
    test_long();

    return NGX_RTC_UNIT_DONE();
}
