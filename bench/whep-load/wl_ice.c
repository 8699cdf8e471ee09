/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * ICE, the controlling side of a single candidate pair (RFC 8445): our
 * binding requests carry USE-CANDIDATE (aggressive nomination), and the
 * server's requests (its triggered check, then RFC 7675 consent checks)
 * get success responses.  STUN per RFC 5389: MESSAGE-INTEGRITY is
 * HMAC-SHA1 keyed with the password of the agent that answers, and
 * FINGERPRINT the CRC-32 of the message XOR 0x5354554e.
 */


#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wl.h"


#define WL_STUN_COOKIE          0x2112a442
#define WL_STUN_BINDING_REQ     0x0001
#define WL_STUN_BINDING_OK      0x0101
#define WL_STUN_BINDING_ERR     0x0111

#define WL_STUN_USERNAME        0x0006
#define WL_STUN_INTEGRITY       0x0008
#define WL_STUN_XOR_MAPPED      0x0020
#define WL_STUN_PRIORITY        0x0024
#define WL_STUN_USE_CANDIDATE   0x0025
#define WL_STUN_FINGERPRINT     0x8028
#define WL_STUN_CONTROLLED      0x8029
#define WL_STUN_CONTROLLING     0x802a


static uint32_t  wl_crc_table[256];


static uint32_t
wl_crc32(const u_char *p, size_t len)
{
    uint32_t  c, k;
    size_t    i;
    int       j;

    if (wl_crc_table[1] == 0) {
        for (i = 0; i < 256; i++) {
            k = (uint32_t) i;
            for (j = 0; j < 8; j++) {
                k = (k & 1) ? 0xedb88320 ^ (k >> 1) : k >> 1;
            }
            wl_crc_table[i] = k;
        }
    }

    c = 0xffffffff;

    for (i = 0; i < len; i++) {
        c = wl_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    }

    return c ^ 0xffffffff;
}


static size_t
wl_stun_attr(u_char *p, uint16_t type, const void *value, size_t len)
{
    size_t  pad;

    wl_put16(p, type);
    wl_put16(p + 2, (uint16_t) len);
    memcpy(p + 4, value, len);

    pad = (4 - (len & 3)) & 3;
    memset(p + 4 + len, 0, pad);

    return 4 + len + pad;
}


/* MESSAGE-INTEGRITY and FINGERPRINT after the n bytes of buf */

static size_t
wl_stun_finish(u_char *buf, size_t n, const char *key)
{
    u_char        mac[EVP_MAX_MD_SIZE];
    unsigned int  maclen;

    /* the length covers the integrity attribute when it is computed */

    wl_put16(buf + 2, (uint16_t) (n + 24 - 20));
    HMAC(EVP_sha1(), key, (int) strlen(key), buf, n, mac, &maclen);
    n += wl_stun_attr(buf + n, WL_STUN_INTEGRITY, mac, 20);

    wl_put16(buf + 2, (uint16_t) (n + 8 - 20));
    wl_put16(buf + n, WL_STUN_FINGERPRINT);
    wl_put16(buf + n + 2, 4);
    wl_put32(buf + n + 4, wl_crc32(buf, n) ^ 0x5354554e);

    return n + 8;
}


/* our binding request into buf (at least 256 bytes) */

size_t
wl_ice_request(wl_session_t *s, u_char *buf)
{
    char      user[2 * WL_CRED_MAX + 2];
    u_char    v[8];
    size_t    n, len;
    uint32_t  prio;

    wl_put16(buf, WL_STUN_BINDING_REQ);
    wl_put32(buf + 4, WL_STUN_COOKIE);
    memcpy(buf + 8, s->tid, 12);
    n = 20;

    /* RFC 8445 7.2.2: "remote ufrag:local ufrag" */

    len = (size_t) snprintf(user, sizeof(user), "%s:%s", s->answer->ufrag,
                            s->ufrag);
    if (len > 200) {
        len = 200;
    }

    n += wl_stun_attr(buf + n, WL_STUN_USERNAME, user, len);

    /* a peer-reflexive candidate's priority (RFC 8445 5.1.2.1) */

    prio = (110u << 24) | (65535u << 8) | 255;
    wl_put32(v, prio);
    n += wl_stun_attr(buf + n, WL_STUN_PRIORITY, v, 4);

    /* with Janus, which offers, we are the controlled agent */

    wl_put32(v, (uint32_t) (s->tiebreak >> 32));
    wl_put32(v + 4, (uint32_t) s->tiebreak);
    n += wl_stun_attr(buf + n, wl.janus ? WL_STUN_CONTROLLED
                                        : WL_STUN_CONTROLLING, v, 8);

    if (!wl.janus) {
        n += wl_stun_attr(buf + n, WL_STUN_USE_CANDIDATE, NULL, 0);
    }

    return wl_stun_finish(buf, n, s->answer->pwd);
}


/* checks MESSAGE-INTEGRITY at offset mi with key */

static int
wl_stun_check(u_char *buf, size_t mi, const char *key)
{
    u_char        mac[EVP_MAX_MD_SIZE], save[2];
    unsigned int  maclen;

    memcpy(save, buf + 2, 2);
    wl_put16(buf + 2, (uint16_t) (mi + 24 - 20));
    HMAC(EVP_sha1(), key, (int) strlen(key), buf, mi, mac, &maclen);
    memcpy(buf + 2, save, 2);

    return memcmp(mac, buf + mi + 4, 20) == 0;
}


void
wl_ice_stun(wl_session_t *s, u_char *buf, size_t len,
    struct sockaddr_in *from)
{
    u_char        out[256], xa[8];
    int           use_candidate;
    size_t        n, pos, alen, mi, ulen;
    uint16_t      type, at;
    const u_char  *user;

    if (len < 20 || wl_get32(buf + 4) != WL_STUN_COOKIE
        || (size_t) wl_get16(buf + 2) + 20 != len)
    {
        return;
    }

    s->stun_in++;
    type = wl_get16(buf);

    mi = 0;
    user = NULL;
    ulen = 0;
    use_candidate = 0;

    for (pos = 20; pos + 4 <= len; pos += 4 + ((alen + 3) & ~(size_t) 3)) {
        at = wl_get16(buf + pos);
        alen = wl_get16(buf + pos + 2);

        if (pos + 4 + alen > len) {
            return;
        }

        if (at == WL_STUN_INTEGRITY && alen == 20) {
            mi = pos;
            break;

        } else if (at == WL_STUN_USERNAME) {
            user = buf + pos + 4;
            ulen = alen;

        } else if (at == WL_STUN_USE_CANDIDATE) {
            use_candidate = 1;
        }
    }

    if (type == WL_STUN_BINDING_OK) {

        if (s->answer == NULL || memcmp(buf + 8, s->tid, 12) != 0
            || mi == 0 || !wl_stun_check(buf, mi, s->answer->pwd))
        {
            return;
        }

        if (!s->ice_ok) {
            s->ice_ok = 1;
            s->t_ice = wl.now;
            wl_session_connected(s);
        }

        return;
    }

    if (type == WL_STUN_BINDING_ERR) {
        wl_log("session %u: binding error response", s->id);
        return;
    }

    if (type != WL_STUN_BINDING_REQ) {
        return;     /* indications (keepalives) */
    }

    /* "our ufrag:its ufrag", signed with our password */

    n = strlen(s->ufrag);

    if (user == NULL || ulen <= n || memcmp(user, s->ufrag, n) != 0
        || user[n] != ':' || mi == 0 || !wl_stun_check(buf, mi, s->pwd))
    {
        return;
    }

    wl_put16(out, WL_STUN_BINDING_OK);
    wl_put32(out + 4, WL_STUN_COOKIE);
    memcpy(out + 8, buf + 8, 12);
    n = 20;

    xa[0] = 0;
    xa[1] = 1;                                  /* IPv4 */
    wl_put16(xa + 2, ntohs(from->sin_port) ^ (WL_STUN_COOKIE >> 16));
    wl_put32(xa + 4, ntohl(from->sin_addr.s_addr) ^ WL_STUN_COOKIE);
    n += wl_stun_attr(out + n, WL_STUN_XOR_MAPPED, xa, 8);

    n = wl_stun_finish(out, n, s->pwd);

    (void) sendto(s->fd, out, n, 0, (struct sockaddr *) from,
                  sizeof(struct sockaddr_in));

    if (use_candidate && !s->nominated) {
        s->nominated = 1;
        s->t_nominated = wl.now;
        s->peer_checked = 1;
        wl_session_connected(s);

    } else if (!s->peer_checked) {
        s->peer_checked = 1;
        wl_session_connected(s);
    }
}
