/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The media a session receives: per RTP packet a few counters and the
 * sequence number (in clear text in SRTP) for losses, RFC 3550 A.3 style;
 * a sample of the packets decrypted with libsrtp2 (every packet until the
 * first keyframe, then one in wl.sample) to prove the keys, and the
 * keyframe found in the decrypted H.264 payload.  RTCP receiver reports
 * go out every few seconds: nginx-rtc ends a session whose peer sent no
 * SRTCP for 20 s ("peer silent").
 */


#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "wl.h"


#define WL_RTCP_INTERVAL   (4 * WL_SEC)
#define WL_PLI_AFTER       (3 * WL_SEC)


static void wl_media_rtcp_send(wl_session_t *s, int pli);


/*
 * km: client key, server key, client salt, server salt (RFC 5764 4.2);
 * the server's protect what we receive, ours the RTCP we send
 */

void
wl_media_keys(wl_session_t *s, int gcm, u_char *km)
{
    u_char         key[16 + 14];
    size_t         salt;
    srtp_policy_t  p;

    salt = gcm ? 12 : 14;

    memset(&p, 0, sizeof(p));

    if (gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);

    } else {
        srtp_crypto_policy_set_rtp_default(&p.rtp);
        srtp_crypto_policy_set_rtcp_default(&p.rtcp);
    }

    p.key = key;
    p.window_size = 1024;

    memcpy(key, km + 16, 16);
    memcpy(key + 16, km + 32 + salt, salt);
    p.ssrc.type = ssrc_any_inbound;

    if (srtp_create(&s->srtp_in, &p) != srtp_err_status_ok) {
        wl_session_fail(s, WL_FAIL_DTLS, "srtp_create() failed");
        return;
    }

    memcpy(key, km, 16);
    memcpy(key + 16, km + 32, salt);
    p.ssrc.type = ssrc_any_outbound;

    if (srtp_create(&s->srtp_out, &p) != srtp_err_status_ok) {
        wl_session_fail(s, WL_FAIL_DTLS, "srtp_create() failed");
        return;
    }

    memset(key, 0, sizeof(key));

    s->gcm = gcm;
    s->state = WL_MEDIA;
    s->deadline = wl.now + (uint64_t) (wl.timeout * WL_SEC);
    s->next_rtcp = wl.now + WL_RTCP_INTERVAL / 2;
    s->next = s->next_rtcp < s->deadline ? s->next_rtcp : s->deadline;
}


/* does an H.264 payload (RFC 6184) start an IDR picture or an SPS? */

static int
wl_media_keyframe(const u_char *p, size_t len)
{
    size_t    n;
    unsigned  type;

    if (len < 2) {
        return 0;
    }

    type = p[0] & 0x1f;

    if (type == 5 || type == 7) {
        return 1;
    }

    if (type == 28) {                       /* FU-A: the first fragment */
        return (p[1] & 0x80) && ((p[1] & 0x1f) == 5 || (p[1] & 0x1f) == 7);
    }

    if (type == 24) {                       /* STAP-A */
        p++;
        len--;

        while (len > 2) {
            n = wl_get16(p);
            if (n == 0 || n + 2 > len) {
                break;
            }

            type = p[2] & 0x1f;
            if (type == 5 || type == 7) {
                return 1;
            }

            p += 2 + n;
            len -= 2 + n;
        }
    }

    return 0;
}


/* the RTP payload of a decrypted packet */

static void
wl_media_decrypted(wl_session_t *s, u_char *buf, size_t len)
{
    size_t  h;

    if ((buf[1] & 0x7f) != s->video_pt) {
        return;
    }

    h = 12 + 4 * (buf[0] & 0x0f);

    if ((buf[0] & 0x10) && h + 4 <= len) {
        h += 4 + 4 * (size_t) wl_get16(buf + h + 2);
    }

    if (buf[0] & 0x20) {                    /* padding */
        if (len <= h || buf[len - 1] > len - h) {
            return;
        }
        len -= buf[len - 1];
    }

    if (h >= len) {
        return;
    }

    if (wl_media_keyframe(buf + h, len - h)) {
        s->key_seen = 1;
        s->t_key = wl.now;
    }
}


void
wl_media_rtp(wl_session_t *s, u_char *buf, size_t len)
{
    int          newest, n;
    uint16_t     seq, delta;
    uint32_t     ssrc, ts;
    wl_track_t  *t;

    if (len < 12) {
        return;
    }

    /* RFC 5761 4: RTCP packet types 192-223 */

    if (buf[1] >= 192 && buf[1] <= 223) {
        s->rtcp_in++;
        return;
    }

    ssrc = wl_get32(buf + 8);
    seq = wl_get16(buf + 2);

    t = &s->track[0];

    if (t->ssrc != ssrc || !t->used) {
        t = &s->track[1];

        if (t->ssrc != ssrc || !t->used) {
            t = !s->track[0].used ? &s->track[0]
                : !s->track[1].used ? &s->track[1] : NULL;

            if (t == NULL) {
                return;               /* a third SSRC: not ours */
            }

            t->used = 1;
            t->ssrc = ssrc;
            t->base = seq;
            t->max = seq - 1;
        }
    }

    /* the extended sequence number (RFC 3550 A.1, without probation) */

    delta = seq - (uint16_t) t->max;
    newest = delta != 0 && delta < 0x8000;

    if (newest) {
        t->max += delta;

        /*
         * frames in order: a packet later in sequence never carries an
         * earlier timestamp (a frame sent twice, or out of order, does)
         */

        ts = wl_get32(buf + 4);

        if (t->ts_set && (int32_t) (ts - t->ts) < 0) {
            t->ts_back++;
        }

        t->ts = ts;
        t->ts_set = 1;
    }

    t->received++;
    s->packets++;
    s->bytes += len;
    s->t_last = wl.now;

    if (s->t_first == 0) {
        s->t_first = wl.now;
    }

    /*
     * decrypt (in place) every packet until the first keyframe, then one
     * in wl.sample, always the newest of its stream, so that libsrtp's
     * replay window and rollover counter move forward
     */

    if (!newest || (s->key_seen && ++s->sample < (uint32_t) wl.sample)) {
        return;
    }

    s->sample = 0;
    n = (int) len;

    if (srtp_unprotect(s->srtp_in, buf, &n) != srtp_err_status_ok) {
        s->decrypt_failed++;
        return;
    }

    s->decrypted++;

    if (!s->key_seen) {
        wl_media_decrypted(s, buf, (size_t) n);
    }
}


uint64_t
wl_media_expected(wl_session_t *s)
{
    int       i;
    uint64_t  n;

    n = 0;

    for (i = 0; i < 2; i++) {
        if (s->track[i].used) {
            n += (uint32_t) (s->track[i].max - s->track[i].base + 1);
        }
    }

    return n;
}


uint64_t
wl_media_received(wl_session_t *s)
{
    return s->track[0].received + s->track[1].received;
}


/* the session's timer in WL_MEDIA: RTCP, PLI, no media at all */

void
wl_media_rtcp_timer(wl_session_t *s)
{
    if (s->t_first == 0 && wl.now >= s->deadline) {
        wl_session_fail(s, WL_FAIL_MEDIA, "no RTP after the handshake");
        return;
    }

    if (wl.now >= s->next_rtcp) {
        wl_media_rtcp_send(s, s->t_first && !s->key_seen
                              && wl.now - s->t_first > WL_PLI_AFTER);

        /* spread over 3-5 s */
        s->next_rtcp = wl.now + WL_RTCP_INTERVAL * 3 / 4
                       + (s->id * 7919u) % (WL_RTCP_INTERVAL / 2);
    }

    s->next = s->next_rtcp;

    if (s->t_first == 0 && s->deadline < s->next) {
        s->next = s->deadline;
    }
}


/* RR (RFC 3550 6.4.2) with a block per stream, and a PLI (RFC 4585 6.3.1) */

static void
wl_media_rtcp_send(wl_session_t *s, int pli)
{
    int          i, n, rc;
    u_char       buf[256], *p;
    int64_t      lost;
    wl_track_t  *t;

    p = buf + 8;
    rc = 0;

    for (i = 0; i < 2; i++) {
        t = &s->track[i];
        if (!t->used) {
            continue;
        }

        lost = (int64_t) (uint32_t) (t->max - t->base + 1)
               - (int64_t) t->received;
        if (lost < 0) {
            lost = 0;
        }
        if (lost > 0x7fffff) {
            lost = 0x7fffff;
        }

        wl_put32(p, t->ssrc);
        wl_put32(p + 4, (uint32_t) lost);       /* fraction lost 0 */
        wl_put32(p + 8, t->max);
        wl_put32(p + 12, 0);                    /* jitter */
        wl_put32(p + 16, 0);                    /* LSR */
        wl_put32(p + 20, 0);                    /* DLSR */
        p += 24;
        rc++;
    }

    buf[0] = 0x80 | rc;
    buf[1] = 201;
    buf[2] = 0;
    buf[3] = (u_char) ((p - buf) / 4 - 1);
    wl_put32(buf + 4, s->my_ssrc);

    if (pli && s->track[0].used) {
        p[0] = 0x81;
        p[1] = 206;
        p[2] = 0;
        p[3] = 2;
        wl_put32(p + 4, s->my_ssrc);
        wl_put32(p + 8, s->video_ssrc ? s->video_ssrc
                                      : s->track[0].ssrc);
        p += 12;
        s->pli_out++;
    }

    n = (int) (p - buf);

    if (srtp_protect_rtcp(s->srtp_out, buf, &n) != srtp_err_status_ok) {
        return;
    }

    if (send(s->fd, buf, n, 0) == n) {
        s->rtcp_out++;
    }
}


void
wl_media_free(wl_session_t *s)
{
    if (s->srtp_in) {
        srtp_dealloc(s->srtp_in);
        s->srtp_in = NULL;
    }

    if (s->srtp_out) {
        srtp_dealloc(s->srtp_out);
        s->srtp_out = NULL;
    }
}
