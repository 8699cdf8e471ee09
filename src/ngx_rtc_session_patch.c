/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_sdp.h>
#include <ngx_rtc_ice.h>
#include <ngx_rtc_stream.h>
#include <ngx_rtc_session.h>
#include <ngx_rtc_session_patch.h>


/*
 * The session owner's side of a WHEP PATCH (RFC 9725, 4.3; RFC 8840
 * fragments): the If-Match check, trickled candidates, an ICE restart and
 * its answer.  The HTTP side (ngx_rtc_whep.c) hands over a mailbox message
 * directly for a session of its own worker; for another worker's session
 * the message goes through the zone's mailbox, which the owner empties
 * here on its wake-up.
 */


#define NGX_RTC_SESSION_PATCH_CANDS  32
#define NGX_RTC_SESSION_RESTART_WINDOW                                        \
    (NGX_RTC_SESSION_RESTART_SECONDS * 1000)


static void ngx_rtc_session_patch_restart(ngx_rtc_session_t *s,
    ngx_rtc_mbox_msg_t *msg, ngx_rtc_sdp_t *frag, ngx_str_t *ufrag,
    ngx_str_t *pwd, ngx_str_t *cands, ngx_uint_t n, ngx_pool_t *pool);
static void ngx_rtc_session_patch_text(ngx_rtc_mbox_msg_t *msg,
    ngx_uint_t status, const char *text);


/*
 * The owner's side of a PATCH, for a request of its own or one from the
 * mailbox: msg in, msg out (status, ETag, body).
 */

void
ngx_rtc_session_patch_apply(ngx_rtc_session_t *s, ngx_rtc_mbox_msg_t *msg,
    ngx_pool_t *pool)
{
    u_char                etag[NGX_RTC_SESSION_ETAG_LEN];
    size_t                len;
    ngx_str_t             ufrag, pwd, cands[NGX_RTC_SESSION_PATCH_CANDS];
    ngx_uint_t            i, k, n, dropped;
    ngx_rtc_sdp_t        *frag;
    ngx_rtc_sdp_media_t  *m;

    len = ngx_rtc_session_patch_etag(etag, s);

    if (msg->tag_len
        && !(msg->tag_len == 1 && msg->tag[0] == '*')
        && (msg->tag_len != len || ngx_memcmp(msg->tag, etag, len) != 0))
    {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_PRECONDITION_FAILED,
                                   "If-Match does not match "
                                   "the session's ETag");
        goto etag;
    }

    frag = ngx_palloc(pool, sizeof(ngx_rtc_sdp_t));
    if (frag == NULL) {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "no memory");
        goto etag;
    }

    if (ngx_rtc_sdp_parse_frag(msg->data, msg->data + msg->len, frag)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                      "rtc whep bad SDP fragment: %s at line %ui",
                      frag->err, frag->err_line);

        msg->status = NGX_HTTP_BAD_REQUEST;
        msg->len = ngx_snprintf(msg->data, NGX_RTC_MBOX_DATA,
                                "bad SDP fragment: %s (line %ui)",
                                frag->err ? frag->err : "invalid",
                                frag->err_line)
                   - msg->data;
        goto etag;
    }

    /* RFC 8840, 9: credentials at session level, or in the media */

    ufrag = frag->ice_ufrag;
    pwd = frag->ice_pwd;

    if (ufrag.len == 0 && frag->nmedia) {
        ufrag = frag->media[0].ice_ufrag;
        pwd = frag->media[0].ice_pwd;
    }

    /*
     * The candidates before any m= line, then each section's: one ICE
     * transport (BUNDLE), whatever mid a client gives them.  Those past
     * the limits are dropped, not refused: MediaMTX's player, for one,
     * sends all it gathered in one PATCH and gives up on any answer but
     * a 204.
     */

    n = 0;
    dropped = frag->cands_dropped;

    for (k = 0; k < frag->ncands; k++) {
        if (n == NGX_RTC_SESSION_PATCH_CANDS) {
            dropped++;
            continue;
        }

        cands[n++] = frag->cands[k];
    }

    for (i = 0; i < frag->nmedia; i++) {
        m = &frag->media[i];

        for (k = 0; k < m->ncands; k++) {
            if (n == NGX_RTC_SESSION_PATCH_CANDS) {
                dropped++;
                continue;
            }

            cands[n++] = m->cands[k];
        }
    }

    if (dropped) {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                      "rtc whep PATCH: %ui candidate(s) past the limits "
                      "(%d a section, %d a request) dropped, %ui taken",
                      dropped, NGX_RTC_SDP_MAX_CAND,
                      NGX_RTC_SESSION_PATCH_CANDS, n);
    }

    if (ufrag.len && !ngx_rtc_ice_remote_is(s->ice, &ufrag)) {
        ngx_rtc_session_patch_restart(s, msg, frag, &ufrag, &pwd, cands, n,
                                      pool);
        return;
    }

    /* RFC 9725, 4.3.1: trickled candidates, 204 */

    if (n == 0 && !frag->end_of_candidates) {
        ngx_log_error(NGX_LOG_INFO, &s->log, 0,
                      "rtc whep PATCH without an a=candidate line: "
                      "nothing to add");
    }

    if (n && ngx_rtc_ice_remote(s->ice, NULL, NULL, cands, n) != NGX_OK) {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "the candidates could not be added");
        goto etag;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &s->log, 0,
                   "rtc whep %ui trickled candidate(s)", n);

    msg->status = NGX_HTTP_NO_CONTENT;
    msg->len = 0;

etag:

    msg->tag_len = len;
    ngx_memcpy(msg->tag, etag, len);
}


/*
 * RFC 9725, 4.3.2: an ICE restart; the answer is a fragment with our new
 * ice-ufrag and ice-pwd and our candidates, in the first media section the
 * request named, and a new ETag.
 */

static void
ngx_rtc_session_patch_restart(ngx_rtc_session_t *s, ngx_rtc_mbox_msg_t *msg,
    ngx_rtc_sdp_t *frag, ngx_str_t *ufrag, ngx_str_t *pwd, ngx_str_t *cands,
    ngx_uint_t n, ngx_pool_t *pool)
{
    u_char               *p, *last, *buf;
    ngx_int_t             rc;
    ngx_str_t             lufrag, lpwd, type, proto, mid, *c;
    ngx_uint_t            i;
    ngx_array_t           local;
    ngx_rtc_sdp_media_t  *m;

    /*
     * The section is the request's, echoed: ngx_rtc_sdp_parse_frag() took
     * only tokens for them (RFC 8866, 9; RFC 5888, 4), checked again here
     * because they go out as they came in.
     */

    ngx_str_set(&type, "video");
    ngx_str_set(&proto, "UDP/TLS/RTP/SAVPF");
    ngx_str_set(&mid, "0");

    if (frag->nmedia) {
        m = &frag->media[0];

        if (m->type.len && m->proto.len) {
            type = m->type;
            proto = m->proto;
        }

        if (m->mid.len) {
            mid = m->mid;
        }
    }

    if (ngx_rtc_sdp_is_token(&type, 0, NGX_RTC_SDP_MAX_TOKEN) != NGX_OK
        || ngx_rtc_sdp_is_token(&proto, 1, NGX_RTC_SDP_MAX_TOKEN) != NGX_OK
        || ngx_rtc_sdp_is_token(&mid, 0, NGX_RTC_SDP_MAX_MID) != NGX_OK)
    {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_BAD_REQUEST,
                                   "the fragment's m= line or a=mid is "
                                   "not a token");
        goto etag;
    }

    /*
     * Written aside: type, proto and mid point into msg->data, the
     * request, which the answer replaces.
     */

    buf = ngx_pnalloc(pool, NGX_RTC_MBOX_DATA);
    if (buf == NULL) {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "no memory");
        goto etag;
    }

    /*
     * Each restart lets the peer name new candidates, which the agent
     * checks: without a bound, restarts would let it have any number of
     * addresses probed from inside.  A network change (a phone from Wi-Fi
     * to cellular) needs one or two.
     */

    if (ngx_rtc_pace_budget(&s->restarts, ngx_current_msec,
                            NGX_RTC_SESSION_RESTARTS,
                            NGX_RTC_SESSION_RESTART_WINDOW)
        != NGX_OK)
    {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_TOO_MANY_REQUESTS,
                                   "ICE restarts: "
                                   ngx_value(NGX_RTC_SESSION_RESTARTS)
                                   " in "
                                   ngx_value(NGX_RTC_SESSION_RESTART_SECONDS)
                                   " seconds at most");
        goto etag;
    }

    rc = ngx_rtc_ice_restart(s->ice, ufrag, pwd, cands, n);

    if (rc == NGX_DECLINED) {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_BAD_REQUEST,
                                   "an ICE restart needs a valid "
                                   "ice-ufrag and ice-pwd");
        goto etag;
    }

    if (rc != NGX_OK) {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "the ICE restart failed");
        goto etag;
    }

    /* one writer, the owner: the ETag changes with each restart */
    s->sh->ice_gen++;

    if (ngx_array_init(&local, pool, 8, sizeof(ngx_str_t)) != NGX_OK
        || ngx_rtc_ice_local(s->ice, pool, &lufrag, &lpwd, &local) != NGX_OK)
    {
        ngx_rtc_session_patch_text(msg, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "no local ICE credentials");
        goto etag;
    }

    p = buf;
    last = buf + NGX_RTC_MBOX_DATA;

    p = ngx_slprintf(p, last, "a=ice-ufrag:%V" CRLF "a=ice-pwd:%V" CRLF,
                     &lufrag, &lpwd);

    if (local.nelts) {
        p = ngx_slprintf(p, last, "m=%V 9 %V 0" CRLF "a=mid:%V" CRLF,
                         &type, &proto, &mid);

        c = local.elts;

        for (i = 0; i < local.nelts && i < NGX_RTC_SESSION_PATCH_CANDS; i++) {
            if ((size_t) (last - p) < c[i].len + 64) {
                break;
            }

            p = ngx_slprintf(p, last, "a=%V" CRLF, &c[i]);
        }

        p = ngx_slprintf(p, last, "a=end-of-candidates" CRLF);
    }

    msg->status = NGX_HTTP_OK;
    msg->len = p - buf;
    ngx_memcpy(msg->data, buf, msg->len);

etag:

    msg->tag_len = ngx_rtc_session_patch_etag(msg->tag, s);
}


/*
 * The owner's wake-up path: answer the mailbox's requests for this
 * process's sessions.
 */

void
ngx_rtc_session_patch_mailbox(void)
{
    ngx_pool_t          *pool;
    ngx_rtc_session_t   *s;
    ngx_rtc_mbox_msg_t   msg;

    if (ngx_rtc_shm_ctx() == NULL) {
        return;
    }

    while (ngx_rtc_shm_mbox_take(&msg) == NGX_OK) {

        s = ngx_rtc_stream_session(msg.id);

        if (s == NULL) {
            msg.tag_len = 0;
            ngx_rtc_session_patch_text(&msg, NGX_HTTP_NOT_FOUND,
                                       "unknown session");

        } else if (msg.op == NGX_RTC_MBOX_PATCH) {
            pool = ngx_create_pool(4096, ngx_cycle->log);

            if (pool == NULL) {
                msg.tag_len = 0;
                ngx_rtc_session_patch_text(&msg,
                                           NGX_HTTP_INTERNAL_SERVER_ERROR,
                                           "no memory");

            } else {
                ngx_rtc_session_patch_apply(s, &msg, pool);
                ngx_destroy_pool(pool);
            }

        } else {
            msg.tag_len = 0;
            ngx_rtc_session_patch_text(&msg, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "unknown request");
        }

        ngx_rtc_shm_mbox_answer(&msg);
    }
}


static void
ngx_rtc_session_patch_text(ngx_rtc_mbox_msg_t *msg, ngx_uint_t status,
    const char *text)
{
    msg->status = status;
    msg->len = ngx_min(ngx_strlen(text), NGX_RTC_MBOX_DATA);
    ngx_memcpy(msg->data, text, msg->len);
}


/* the session's ETag: its id and the number of its ICE restarts */

size_t
ngx_rtc_session_patch_etag(u_char *buf, ngx_rtc_session_t *s)
{
    return ngx_sprintf(buf, "\"%*s-%ui\"", (size_t) 2 * NGX_RTC_ID_LEN,
                       s->hex, s->sh->ice_gen)
           - buf;
}
