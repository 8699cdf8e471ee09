/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_sdp.h>


/*
 * SDP (RFC 8866) parser for browser offers (with the WebRTC attributes of
 * RFC 8829, 8839, 8842, 5763, 5761, 8843) and for the DESCRIBE bodies of
 * RTSP cameras, and the writer of our WHEP answer.  Pure and bounded: the
 * input is never written to, never read past "end", and the parsed strings
 * point into it.  Policy (codec choice, what to reject) is not here.
 */


/* direction while parsing, before the session-level default is applied */
#define NGX_RTC_SDP_DIR_UNSET  4

/* ngx_rtc_sdp_parse_sdp() flags */
#define NGX_RTC_SDP_FRAG       0x01     /* no v= line needed */
#define NGX_RTC_SDP_STRICT     0x02     /* a WHEP client's: values checked */


typedef struct {
    ngx_rtc_sdp_t         *sdp;
    ngx_rtc_sdp_media_t   *media;       /* NULL at session level */
    ngx_uint_t             line;
    ngx_uint_t             direction;   /* session-level direction */
    unsigned               end_of_candidates:1;
    unsigned               strict:1;
    unsigned               frag:1;
} ngx_rtc_sdp_ctx_t;


#define ngx_rtc_sdp_eq(s, lit)                                                \
    ((s)->len == sizeof(lit) - 1                                              \
     && ngx_strncasecmp((s)->data, (u_char *) lit, sizeof(lit) - 1) == 0)

#define ngx_rtc_sdp_is_space(c)  ((c) == ' ' || (c) == '\t')

#define ngx_rtc_sdp_is_hex(c)                                                 \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'F')                 \
     || ((c) >= 'a' && (c) <= 'f'))


static ngx_int_t ngx_rtc_sdp_parse_sdp(u_char *pos, u_char *end,
    ngx_rtc_sdp_t *sdp, ngx_uint_t flags);
static ngx_int_t ngx_rtc_sdp_parse_media(ngx_rtc_sdp_ctx_t *ctx, u_char *p,
    u_char *last);
static ngx_int_t ngx_rtc_sdp_parse_attr(ngx_rtc_sdp_ctx_t *ctx, u_char *p,
    u_char *last);
static ngx_int_t ngx_rtc_sdp_check_mid(ngx_rtc_sdp_ctx_t *ctx,
    ngx_str_t *mid);
static ngx_int_t ngx_rtc_sdp_check_fingerprint(u_char *p, u_char *last);
static ngx_int_t ngx_rtc_sdp_is_ice_chars(u_char *p, u_char *last,
    size_t min, size_t max);
static void ngx_rtc_sdp_parse_candidate(ngx_rtc_sdp_ctx_t *ctx,
    u_char *line, u_char *v, u_char *last);
static void ngx_rtc_sdp_parse_rtpmap(ngx_rtc_sdp_media_t *m, u_char *p,
    u_char *last);
static void ngx_rtc_sdp_parse_fmtp(ngx_rtc_sdp_media_t *m, u_char *p,
    u_char *last);
static void ngx_rtc_sdp_parse_rtcp_fb(ngx_rtc_sdp_media_t *m, u_char *p,
    u_char *last);
static void ngx_rtc_sdp_parse_fingerprint(ngx_str_t *alg, ngx_str_t *value,
    u_char *p, u_char *last);
static void ngx_rtc_sdp_finalize(ngx_rtc_sdp_ctx_t *ctx);
static ngx_int_t ngx_rtc_sdp_token(u_char **pp, u_char *last, ngx_str_t *tok);
static ngx_int_t ngx_rtc_sdp_number(ngx_str_t *s, ngx_uint_t max,
    ngx_uint_t *value);
static void ngx_rtc_sdp_set(ngx_str_t *dst, u_char *p, u_char *last);
static ngx_int_t ngx_rtc_sdp_error(ngx_rtc_sdp_t *sdp, const char *err,
    ngx_uint_t line);
static u_char *ngx_rtc_sdp_printf(u_char *p, u_char *last,
    const char *fmt, ...);
static u_char *ngx_rtc_sdp_write_ssrc(u_char *p, u_char *last,
    ngx_rtc_sdp_answer_t *a, ngx_rtc_sdp_answer_media_t *am, uint32_t ssrc);
static u_char *ngx_rtc_sdp_write_media(u_char *p, u_char *last,
    ngx_rtc_sdp_answer_t *a, ngx_rtc_sdp_answer_media_t *am,
    ngx_uint_t first);
static ngx_int_t ngx_rtc_sdp_check_answer(ngx_rtc_sdp_answer_t *a);
static ngx_int_t ngx_rtc_sdp_check_str(ngx_str_t *s, ngx_uint_t token);


/*
 * A camera's DESCRIBE body (and our own answer, in the tests): cameras
 * write loose SDP, and only what is used is read.  Control characters
 * in it are replaced by '?' (the buffer is written).
 */

ngx_int_t
ngx_rtc_sdp_parse(u_char *pos, u_char *end, ngx_rtc_sdp_t *sdp)
{
    return ngx_rtc_sdp_parse_sdp(pos, end, sdp, 0);
}


/*
 * A WHEP client's offer: the same parser, and every value that goes into
 * our answer, a header or libnice is checked against its grammar here, so
 * that a bad one is a 400 naming the line, never a later failure (a 500).
 * No control characters (RFC 8866, 9: text has no CR, LF or NUL; the
 * other controls have no use in an offer).  m= media and proto, and
 * non-RTP formats, are tokens (RFC 8866, 9); a=mid an identification-tag
 * (RFC 5888, 4: a token) unique in the offer; a=ice-ufrag and a=ice-pwd
 * ice-chars of RFC 8839, 5.4 lengths; a=fingerprint a hash-func token and
 * hex byte pairs (RFC 8122, 5).
 */

ngx_int_t
ngx_rtc_sdp_parse_offer(u_char *pos, u_char *end, ngx_rtc_sdp_t *sdp)
{
    return ngx_rtc_sdp_parse_sdp(pos, end, sdp, NGX_RTC_SDP_STRICT);
}


/*
 * An SDP fragment (RFC 8840, the body of a trickle-ice-sdpfrag PATCH):
 * the same grammar, without the v= line and possibly without m= lines.
 */

ngx_int_t
ngx_rtc_sdp_parse_frag(u_char *pos, u_char *end, ngx_rtc_sdp_t *sdp)
{
    return ngx_rtc_sdp_parse_sdp(pos, end, sdp,
                                 NGX_RTC_SDP_FRAG | NGX_RTC_SDP_STRICT);
}


static ngx_int_t
ngx_rtc_sdp_parse_sdp(u_char *pos, u_char *end, ngx_rtc_sdp_t *sdp,
    ngx_uint_t flags)
{
    u_char             *p, *last, *next;
    ngx_uint_t          frag, version;
    ngx_rtc_sdp_ctx_t   ctx;

    ngx_memzero(sdp, sizeof(ngx_rtc_sdp_t));

    frag = flags & NGX_RTC_SDP_FRAG;

    ctx.sdp = sdp;
    ctx.media = NULL;
    ctx.direction = NGX_RTC_SDP_DIR_UNSET;
    ctx.end_of_candidates = 0;
    ctx.strict = (flags & NGX_RTC_SDP_STRICT) ? 1 : 0;
    ctx.frag = frag ? 1 : 0;

    if (pos == NULL || pos >= end) {
        return ngx_rtc_sdp_error(sdp, "empty SDP", 0);
    }

    version = 0;

    for (ctx.line = 1; pos < end; ctx.line++, pos = next) {

        if (ctx.line > NGX_RTC_SDP_MAX_LINES) {
            return ngx_rtc_sdp_error(sdp, "too many lines", ctx.line);
        }

        /*
         * RFC 8866, 5: lines end with CRLF, but parsers should accept LF;
         * the scan stops one byte past the limit (room for the CR)
         */

        for (p = pos; p < end && *p != LF; p++) {

            if (*p == '\0') {
                return ngx_rtc_sdp_error(sdp, "NUL byte", ctx.line);
            }

            if ((size_t) (p - pos) > NGX_RTC_SDP_MAX_LINE_LEN) {
                return ngx_rtc_sdp_error(sdp, "line too long", ctx.line);
            }
        }

        last = p;
        next = (p < end) ? p + 1 : end;

        if (last > pos && last[-1] == CR) {
            last--;
        }

        if ((size_t) (last - pos) > NGX_RTC_SDP_MAX_LINE_LEN) {
            return ngx_rtc_sdp_error(sdp, "line too long", ctx.line);
        }

        /*
         * A camera's SDP is read loosely, but its control characters
         * (a CR, an ESC) would reach error.log with the names it gives:
         * they become '?', in place, as reason phrases do
         */

        for (p = pos; p < last; p++) {
            if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
                if (ctx.strict) {
                    return ngx_rtc_sdp_error(sdp, "control character",
                                             ctx.line);
                }

                *p = '?';
            }
        }

        /* cameras leave trailing blanks, e.g. "a=control:trackID=1 " */

        while (last > pos && ngx_rtc_sdp_is_space(last[-1])) {
            last--;
        }

        if (last == pos) {
            continue;
        }

        if (last - pos >= 2 && pos[0] == 'v' && pos[1] == '=') {

            if (version) {
                return ngx_rtc_sdp_error(sdp, "duplicate v= line", ctx.line);
            }

            /* RFC 8866, 5.1: "v=0" */

            if (last - pos != 3 || pos[2] != '0') {
                return ngx_rtc_sdp_error(sdp, "bad v= line", ctx.line);
            }

            version = 1;
            continue;
        }

        if (!version && !frag) {
            return ngx_rtc_sdp_error(sdp, "missing v= line", ctx.line);
        }

        /* "<type>=<value>"; lines of other shapes are ignored */

        if (last - pos < 2 || pos[1] != '=') {
            continue;
        }

        switch (pos[0]) {

        case 'm':
            if (ngx_rtc_sdp_parse_media(&ctx, pos + 2, last) != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        case 'a':
            if (ngx_rtc_sdp_parse_attr(&ctx, pos + 2, last) != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        default:
            break;
        }
    }

    if (!frag) {
        if (!version) {
            return ngx_rtc_sdp_error(sdp, "missing v= line", 0);
        }

        if (sdp->nmedia == 0) {
            return ngx_rtc_sdp_error(sdp, "no m= line", 0);
        }
    }

    ngx_rtc_sdp_finalize(&ctx);

    return NGX_OK;
}


/* RFC 8866, 5.14: m=<media> <port>[/<number>] <proto> <fmt> ... */

static ngx_int_t
ngx_rtc_sdp_parse_media(ngx_rtc_sdp_ctx_t *ctx, u_char *p, u_char *last)
{
    u_char               *slash;
    ngx_str_t             tok, port;
    ngx_uint_t            rtp;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_fmt_t    *fmt;
    ngx_rtc_sdp_media_t  *m;

    sdp = ctx->sdp;

    if (sdp->nmedia == NGX_RTC_SDP_MAX_MEDIA) {
        return ngx_rtc_sdp_error(sdp, "too many m= lines", ctx->line);
    }

    m = &sdp->media[sdp->nmedia];

    if (ngx_rtc_sdp_token(&p, last, &m->type) != NGX_OK
        || ngx_rtc_sdp_token(&p, last, &port) != NGX_OK
        || ngx_rtc_sdp_token(&p, last, &m->proto) != NGX_OK)
    {
        return ngx_rtc_sdp_error(sdp, "bad m= line", ctx->line);
    }

    if (ctx->strict
        && (ngx_rtc_sdp_is_token(&m->type, 0, NGX_RTC_SDP_MAX_TOKEN) != NGX_OK
            || ngx_rtc_sdp_is_token(&m->proto, 1, NGX_RTC_SDP_MAX_TOKEN)
               != NGX_OK))
    {
        return ngx_rtc_sdp_error(sdp, "m= media or proto is not a token",
                                 ctx->line);
    }

    slash = ngx_strlchr(port.data, port.data + port.len, '/');

    if (slash) {
        tok.data = slash + 1;
        tok.len = port.data + port.len - tok.data;

        if (ngx_rtc_sdp_number(&tok, 65535, &rtp) != NGX_OK) {
            return ngx_rtc_sdp_error(sdp, "bad m= line", ctx->line);
        }

        port.len = slash - port.data;
    }

    if (ngx_rtc_sdp_number(&port, 65535, &m->port) != NGX_OK) {
        return ngx_rtc_sdp_error(sdp, "bad m= line", ctx->line);
    }

    /*
     * RTP profiles ("RTP/AVP", "UDP/TLS/RTP/SAVPF", "RTP/AVP/TCP") list
     * payload types; others ("UDP/DTLS/SCTP webrtc-datachannel") tokens
     */

    rtp = (ngx_strlcasestrn(m->proto.data, m->proto.data + m->proto.len,
                            (u_char *) "RTP/", 4 - 1)
           != NULL);

    while (ngx_rtc_sdp_token(&p, last, &tok) == NGX_OK) {

        if (m->nfmts == NGX_RTC_SDP_MAX_FMT) {
            return ngx_rtc_sdp_error(sdp, "too many formats", ctx->line);
        }

        fmt = &m->fmts[m->nfmts];

        if (rtp) {
            if (ngx_rtc_sdp_number(&tok, 127, &fmt->pt) != NGX_OK) {
                return ngx_rtc_sdp_error(sdp, "bad m= line", ctx->line);
            }

        } else {
            if (ctx->strict
                && ngx_rtc_sdp_is_token(&tok, 0, NGX_RTC_SDP_MAX_TOKEN)
                   != NGX_OK)
            {
                return ngx_rtc_sdp_error(sdp, "m= format is not a token",
                                         ctx->line);
            }

            fmt->pt = NGX_RTC_SDP_PT_NONE;
            fmt->name = tok;
        }

        m->nfmts++;
    }

    if (m->nfmts == 0) {
        return ngx_rtc_sdp_error(sdp, "bad m= line", ctx->line);
    }

    m->direction = NGX_RTC_SDP_DIR_UNSET;

    sdp->nmedia++;
    ctx->media = m;

    return NGX_OK;
}


/*
 * RFC 8866, 5.13: a=<attribute>[:<value>].  Unknown and malformed
 * attributes are ignored, but in a strict parse those whose values reach
 * the answer or libnice are errors; for repeated ones the first wins.
 */

static ngx_int_t
ngx_rtc_sdp_parse_attr(ngx_rtc_sdp_ctx_t *ctx, u_char *p, u_char *last)
{
    u_char               *v;
    ngx_str_t             name, tok;
    ngx_uint_t            dir;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_media_t  *m;

    sdp = ctx->sdp;
    m = ctx->media;

    name.data = p;
    v = ngx_strlchr(p, last, ':');

    if (v) {
        name.len = v - p;
        v++;

        while (v < last && ngx_rtc_sdp_is_space(*v)) {
            v++;
        }

    } else {
        name.len = last - p;
        v = last;
    }

    switch (name.len) {

    case 3:
        if (ngx_rtc_sdp_eq(&name, "mid")) {
            tok.data = v;
            tok.len = last - v;

            if (ctx->strict && ngx_rtc_sdp_check_mid(ctx, &tok) != NGX_OK) {
                return NGX_ERROR;
            }

            if (m) {
                ngx_rtc_sdp_set(&m->mid, v, last);
            }
        }

        return NGX_OK;

    case 4:
        if (ngx_rtc_sdp_eq(&name, "fmtp")) {
            if (m) {
                ngx_rtc_sdp_parse_fmtp(m, v, last);
            }
        }

        return NGX_OK;

    case 5:
        /* RFC 8842, 5: a=setup:actpass|active|passive|holdconn */

        if (ngx_rtc_sdp_eq(&name, "setup")) {
            ngx_rtc_sdp_set(m ? &m->setup : &sdp->setup, v, last);

        } else if (ngx_rtc_sdp_eq(&name, "group")) {

            /* RFC 8843, 7.1: a=group:BUNDLE <mid> ... */

            if (m == NULL && sdp->bundle.data == NULL
                && ngx_rtc_sdp_token(&v, last, &tok) == NGX_OK
                && ngx_rtc_sdp_eq(&tok, "BUNDLE"))
            {
                while (v < last && ngx_rtc_sdp_is_space(*v)) {
                    v++;
                }

                ngx_rtc_sdp_set(&sdp->bundle, v, last);
            }
        }

        return NGX_OK;

    case 6:
        if (ngx_rtc_sdp_eq(&name, "rtpmap")) {
            if (m) {
                ngx_rtc_sdp_parse_rtpmap(m, v, last);
            }
        }

        return NGX_OK;

    case 7:
        if (ngx_rtc_sdp_eq(&name, "ice-pwd")) {

            /* RFC 8839, 5.4: ice-pwd = 22*256ice-char */

            if (ctx->strict
                && ngx_rtc_sdp_is_ice_chars(v, last, 22, 256) != NGX_OK)
            {
                return ngx_rtc_sdp_error(sdp, "a=ice-pwd is not 22 to 256 "
                                         "ice-chars", ctx->line);
            }

            ngx_rtc_sdp_set(m ? &m->ice_pwd : &sdp->ice_pwd, v, last);

        } else if (ngx_rtc_sdp_eq(&name, "control")) {
            /* RFC 7826, 22.15: "*", relative or absolute URL */
            ngx_rtc_sdp_set(m ? &m->control : &sdp->control, v, last);

        } else if (ngx_rtc_sdp_eq(&name, "rtcp-fb")) {
            if (m) {
                ngx_rtc_sdp_parse_rtcp_fb(m, v, last);
            }
        }

        return NGX_OK;

    case 8:
        if (ngx_rtc_sdp_eq(&name, "sendrecv")) {
            dir = NGX_RTC_SDP_SENDRECV;

        } else if (ngx_rtc_sdp_eq(&name, "sendonly")) {
            dir = NGX_RTC_SDP_SENDONLY;

        } else if (ngx_rtc_sdp_eq(&name, "recvonly")) {
            dir = NGX_RTC_SDP_RECVONLY;

        } else if (ngx_rtc_sdp_eq(&name, "inactive")) {
            dir = NGX_RTC_SDP_INACTIVE;

        } else if (ngx_rtc_sdp_eq(&name, "rtcp-mux")) {
            /* RFC 5761, 5.1.1 */
            if (m) {
                m->rtcp_mux = 1;
            }

            return NGX_OK;

        } else {
            return NGX_OK;
        }

        /* RFC 8866, 6.7: session level is the default for media */

        if (m) {
            if (m->direction == NGX_RTC_SDP_DIR_UNSET) {
                m->direction = dir;
            }

        } else if (ctx->direction == NGX_RTC_SDP_DIR_UNSET) {
            ctx->direction = dir;
        }

        return NGX_OK;

    case 9:
        /* RFC 8839, 5.1: a=candidate:<foundation> <component> ... */

        if (ngx_rtc_sdp_eq(&name, "candidate")) {
            ngx_rtc_sdp_parse_candidate(ctx, name.data, v, last);

        } else if (ngx_rtc_sdp_eq(&name, "ice-ufrag")) {

            /* RFC 8839, 5.4: ice-ufrag = 4*256ice-char */

            if (ctx->strict
                && ngx_rtc_sdp_is_ice_chars(v, last, 4, 256) != NGX_OK)
            {
                return ngx_rtc_sdp_error(sdp, "a=ice-ufrag is not 4 to 256 "
                                         "ice-chars", ctx->line);
            }

            ngx_rtc_sdp_set(m ? &m->ice_ufrag : &sdp->ice_ufrag, v, last);
        }

        return NGX_OK;

    case 10:
        /* RFC 5506, 5: a=rtcp-rsize (media level, no value) */

        if (ngx_rtc_sdp_eq(&name, "rtcp-rsize")) {
            if (m) {
                m->rtcp_rsize = 1;
            }
        }

        return NGX_OK;

    case 11:
        /* RFC 8843, 6: a=bundle-only (media level, no value) */

        if (ngx_rtc_sdp_eq(&name, "bundle-only")) {
            if (m) {
                m->bundle_only = 1;
            }

            return NGX_OK;
        }

        /* RFC 8122, 5: a=fingerprint:<hash-func> <fingerprint> */

        if (ngx_rtc_sdp_eq(&name, "fingerprint")) {
            if (ctx->strict
                && ngx_rtc_sdp_check_fingerprint(v, last) != NGX_OK)
            {
                return ngx_rtc_sdp_error(sdp, "a=fingerprint is not a hash "
                                         "function and hex byte pairs",
                                         ctx->line);
            }

            if (m) {
                ngx_rtc_sdp_parse_fingerprint(&m->fp_alg, &m->fp_value,
                                              v, last);

            } else {
                ngx_rtc_sdp_parse_fingerprint(&sdp->fp_alg, &sdp->fp_value,
                                              v, last);
            }
        }

        return NGX_OK;

    case 17:
        /* RFC 8840, 8.2: session or media level */

        if (ngx_rtc_sdp_eq(&name, "end-of-candidates")) {
            if (m) {
                m->end_of_candidates = 1;

            } else {
                ctx->end_of_candidates = 1;
            }
        }

        return NGX_OK;

    default:
        return NGX_OK;
    }
}


/*
 * RFC 8839, 5.1: a=candidate lines belong to a media section.  In a
 * fragment, those before any m= line (MediaMTX's and some other clients'
 * PATCH) are the session's one ICE transport's.  Candidates past the
 * limit of a section are counted and dropped: a client that gathered many
 * (VPN, docker and IPv6 addresses) still has its first ones checked.
 */

static void
ngx_rtc_sdp_parse_candidate(ngx_rtc_sdp_ctx_t *ctx, u_char *line, u_char *v,
    u_char *last)
{
    ngx_str_t            *cands;
    ngx_uint_t           *n;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_media_t  *m;

    sdp = ctx->sdp;
    m = ctx->media;

    if (v >= last) {
        return;
    }

    if (m) {
        cands = m->cands;
        n = &m->ncands;

    } else if (ctx->frag) {
        cands = sdp->cands;
        n = &sdp->ncands;

    } else {
        return;
    }

    if (*n == NGX_RTC_SDP_MAX_CAND) {
        sdp->cands_dropped++;
        return;
    }

    cands[*n].data = line;
    cands[*n].len = last - line;
    (*n)++;
}


/* RFC 8866, 6.6: a=rtpmap:<pt> <encoding>/<clock>[/<channels>] */

static void
ngx_rtc_sdp_parse_rtpmap(ngx_rtc_sdp_media_t *m, u_char *p, u_char *last)
{
    u_char             *s1, *s2;
    ngx_str_t           tok, name, clock, channels;
    ngx_uint_t          pt, rate, nch;
    ngx_rtc_sdp_fmt_t  *fmt;

    if (ngx_rtc_sdp_token(&p, last, &tok) != NGX_OK
        || ngx_rtc_sdp_number(&tok, 127, &pt) != NGX_OK)
    {
        return;
    }

    fmt = ngx_rtc_sdp_find_fmt(m, pt);

    if (fmt == NULL || fmt->name.len) {
        return;
    }

    if (ngx_rtc_sdp_token(&p, last, &tok) != NGX_OK) {
        return;
    }

    s1 = ngx_strlchr(tok.data, tok.data + tok.len, '/');

    if (s1 == NULL || s1 == tok.data) {
        return;
    }

    name.data = tok.data;
    name.len = s1 - tok.data;

    clock.data = s1 + 1;
    s2 = ngx_strlchr(clock.data, tok.data + tok.len, '/');

    nch = 0;

    if (s2) {
        clock.len = s2 - clock.data;
        channels.data = s2 + 1;
        channels.len = tok.data + tok.len - channels.data;

        if (ngx_rtc_sdp_number(&channels, 255, &nch) != NGX_OK) {
            return;
        }

    } else {
        clock.len = tok.data + tok.len - clock.data;
    }

    /*
     * Real clocks are 8000 to 192000; a larger one would overflow the
     * receiver's jitter arithmetic (ngx_rtc_rtp.c) within the hour
     */

    if (ngx_rtc_sdp_number(&clock, NGX_RTC_SDP_MAX_CLOCK, &rate) != NGX_OK) {
        return;
    }

    fmt->name = name;
    fmt->clock = rate;
    fmt->channels = nch;
}


/* RFC 8866, 6.15: a=fmtp:<format> <format specific parameters> */

static void
ngx_rtc_sdp_parse_fmtp(ngx_rtc_sdp_media_t *m, u_char *p, u_char *last)
{
    ngx_str_t           tok;
    ngx_uint_t          pt;
    ngx_rtc_sdp_fmt_t  *fmt;

    if (ngx_rtc_sdp_token(&p, last, &tok) != NGX_OK
        || ngx_rtc_sdp_number(&tok, 127, &pt) != NGX_OK)
    {
        return;
    }

    fmt = ngx_rtc_sdp_find_fmt(m, pt);

    if (fmt == NULL || fmt->fmtp.data) {
        return;
    }

    while (p < last && ngx_rtc_sdp_is_space(*p)) {
        p++;
    }

    fmt->fmtp.data = p;
    fmt->fmtp.len = last - p;
}


/*
 * RFC 4585, 4.2: a=rtcp-fb:<pt>|* <type> [<param>]; RFC 5104, 7.1
 * "ccm fir"; "goog-remb" (draft-alvestrand-rmcat-remb); "transport-cc"
 * (draft-holmer-rmcat-transport-wide-cc-extensions)
 */

static void
ngx_rtc_sdp_parse_rtcp_fb(ngx_rtc_sdp_media_t *m, u_char *p, u_char *last)
{
    ngx_str_t           tok, type, param;
    ngx_uint_t          i, pt, bit;
    ngx_rtc_sdp_fmt_t  *fmt;

    if (ngx_rtc_sdp_token(&p, last, &tok) != NGX_OK
        || ngx_rtc_sdp_token(&p, last, &type) != NGX_OK)
    {
        return;
    }

    if (ngx_rtc_sdp_token(&p, last, &param) != NGX_OK) {
        param.len = 0;
    }

    if (ngx_rtc_sdp_eq(&type, "nack")) {
        if (param.len == 0) {
            bit = NGX_RTC_SDP_FB_NACK;

        } else if (ngx_rtc_sdp_eq(&param, "pli")) {
            bit = NGX_RTC_SDP_FB_NACK_PLI;

        } else {
            return;
        }

    } else if (ngx_rtc_sdp_eq(&type, "ccm")) {
        if (!ngx_rtc_sdp_eq(&param, "fir")) {
            return;
        }

        bit = NGX_RTC_SDP_FB_CCM_FIR;

    } else if (ngx_rtc_sdp_eq(&type, "goog-remb")) {
        bit = NGX_RTC_SDP_FB_REMB;

    } else if (ngx_rtc_sdp_eq(&type, "transport-cc")) {
        bit = NGX_RTC_SDP_FB_TWCC;

    } else {
        return;
    }

    if (tok.len == 1 && tok.data[0] == '*') {
        for (i = 0; i < m->nfmts; i++) {
            m->fmts[i].rtcp_fb |= bit;
        }

        return;
    }

    if (ngx_rtc_sdp_number(&tok, 127, &pt) != NGX_OK) {
        return;
    }

    fmt = ngx_rtc_sdp_find_fmt(m, pt);

    if (fmt) {
        fmt->rtcp_fb |= bit;
    }
}


static void
ngx_rtc_sdp_parse_fingerprint(ngx_str_t *alg, ngx_str_t *value, u_char *p,
    u_char *last)
{
    ngx_str_t  a, v;

    if (alg->data) {
        return;
    }

    if (ngx_rtc_sdp_token(&p, last, &a) != NGX_OK
        || ngx_rtc_sdp_token(&p, last, &v) != NGX_OK)
    {
        return;
    }

    *alg = a;
    *value = v;
}


/* RFC 5888, 4: identification-tag = token; unique among the m= sections */

static ngx_int_t
ngx_rtc_sdp_check_mid(ngx_rtc_sdp_ctx_t *ctx, ngx_str_t *mid)
{
    ngx_uint_t      i, n;
    ngx_rtc_sdp_t  *sdp;

    sdp = ctx->sdp;

    if (ngx_rtc_sdp_is_token(mid, 0, NGX_RTC_SDP_MAX_MID) != NGX_OK) {
        return ngx_rtc_sdp_error(sdp, "a=mid is not a token of 1 to 32 "
                                 "characters", ctx->line);
    }

    if (ctx->media == NULL) {
        return NGX_OK;
    }

    /* the sections before this one */

    n = ctx->media - sdp->media;

    for (i = 0; i < n; i++) {
        if (sdp->media[i].mid.len == mid->len
            && ngx_strncmp(sdp->media[i].mid.data, mid->data, mid->len) == 0)
        {
            return ngx_rtc_sdp_error(sdp, "duplicate a=mid", ctx->line);
        }
    }

    return NGX_OK;
}


/*
 * RFC 8122, 5: fingerprint-attribute = "fingerprint" ":" hash-func SP
 * fingerprint; hash-func a token, fingerprint 2UHEX *(":" 2UHEX) (lower
 * case taken too, as RFC 4572 did), at most 64 bytes (SHA-512).
 */

static ngx_int_t
ngx_rtc_sdp_check_fingerprint(u_char *p, u_char *last)
{
    ngx_str_t   alg;
    ngx_uint_t  n;

    if (ngx_rtc_sdp_token(&p, last, &alg) != NGX_OK
        || ngx_rtc_sdp_is_token(&alg, 0, NGX_RTC_SDP_MAX_TOKEN) != NGX_OK)
    {
        return NGX_ERROR;
    }

    while (p < last && ngx_rtc_sdp_is_space(*p)) {
        p++;
    }

    for (n = 0; /* void */; n++) {

        if (n == 64 || last - p < 2
            || !ngx_rtc_sdp_is_hex(p[0]) || !ngx_rtc_sdp_is_hex(p[1]))
        {
            return NGX_ERROR;
        }

        p += 2;

        if (p == last) {
            return NGX_OK;
        }

        if (*p++ != ':') {
            return NGX_ERROR;
        }
    }
}


/* RFC 8839, 5.4: ice-char = ALPHA / DIGIT / "+" / "/" */

static ngx_int_t
ngx_rtc_sdp_is_ice_chars(u_char *p, u_char *last, size_t min, size_t max)
{
    u_char  c;

    if ((size_t) (last - p) < min || (size_t) (last - p) > max) {
        return NGX_ERROR;
    }

    for ( /* void */ ; p < last; p++) {
        c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * RFC 8866, 9: token = 1*(token-char), token-char = %x21 / %x23-27 /
 * %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E; with "slash", the
 * proto of an m= line: token *("/" token).  At most "max" bytes.
 */

ngx_int_t
ngx_rtc_sdp_is_token(ngx_str_t *s, ngx_uint_t slash, size_t max)
{
    u_char  c;
    size_t  i;

    if (s->len == 0 || s->len > max) {
        return NGX_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c == '/' && slash && i > 0 && i < s->len - 1
            && s->data[i - 1] != '/')
        {
            continue;
        }

        if (c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b
            || c == 0x2d || c == 0x2e || (c >= 0x30 && c <= 0x39)
            || (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e))
        {
            continue;
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


/* session-level values become the defaults of every m= section */

static void
ngx_rtc_sdp_finalize(ngx_rtc_sdp_ctx_t *ctx)
{
    ngx_uint_t            i;
    ngx_rtc_sdp_t        *sdp;
    ngx_rtc_sdp_media_t  *m;

    sdp = ctx->sdp;
    sdp->end_of_candidates = ctx->end_of_candidates;

    for (i = 0; i < sdp->nmedia; i++) {
        m = &sdp->media[i];

        if (m->ice_ufrag.data == NULL) {
            m->ice_ufrag = sdp->ice_ufrag;
        }

        if (m->ice_pwd.data == NULL) {
            m->ice_pwd = sdp->ice_pwd;
        }

        if (m->fp_alg.data == NULL) {
            m->fp_alg = sdp->fp_alg;
            m->fp_value = sdp->fp_value;
        }

        if (m->setup.data == NULL) {
            m->setup = sdp->setup;
        }

        if (m->direction == NGX_RTC_SDP_DIR_UNSET) {
            m->direction = (ctx->direction == NGX_RTC_SDP_DIR_UNSET)
                           ? NGX_RTC_SDP_SENDRECV : ctx->direction;
        }

        if (ctx->end_of_candidates) {
            m->end_of_candidates = 1;
        }

        if (m->end_of_candidates) {
            sdp->end_of_candidates = 1;
        }

        /*
         * RFC 8843, 6 and 7.2: port 0 with a=bundle-only (Firefox's
         * max-bundle offers) is a section to be used only bundled, not a
         * disabled one: in the BUNDLE group it takes the group's
         * transport, and the discard port of a bundled section (RFC 8829,
         * 5.2.1) marks it as not disabled for the rest of us
         */

        if (m->port == 0 && m->bundle_only
            && ngx_rtc_sdp_bundled(sdp, &m->mid))
        {
            m->port = 9;
        }
    }
}


/*
 * The mid's place in the a=group:BUNDLE (RFC 8843, 7.1), from 1: the
 * first is the offerer-tagged section, whose transport the group uses
 * (7.2.1); 0 if the mid is not in the group
 */

ngx_uint_t
ngx_rtc_sdp_bundled(ngx_rtc_sdp_t *sdp, ngx_str_t *mid)
{
    u_char      *p, *last, *tok;
    ngx_uint_t   n;

    if (mid->len == 0 || sdp->bundle.len == 0) {
        return 0;
    }

    p = sdp->bundle.data;
    last = p + sdp->bundle.len;
    n = 0;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            break;
        }

        tok = p;
        n++;

        while (p < last && *p != ' ' && *p != '\t') {
            p++;
        }

        if ((size_t) (p - tok) == mid->len
            && ngx_strncmp(tok, mid->data, mid->len) == 0)
        {
            return n;
        }
    }

    return 0;
}


ngx_int_t
ngx_rtc_sdp_fmtp_param(ngx_str_t *fmtp, const char *name, ngx_str_t *value)
{
    u_char     *p, *last, *semi, *eq, *k;
    size_t      len;
    ngx_str_t   key, val;

    if (fmtp->len == 0) {
        return NGX_DECLINED;            /* no a=fmtp: data may be NULL */
    }

    len = ngx_strlen(name);

    p = fmtp->data;
    last = p + fmtp->len;

    while (p < last) {

        semi = ngx_strlchr(p, last, ';');

        if (semi == NULL) {
            semi = last;
        }

        while (p < semi && ngx_rtc_sdp_is_space(*p)) {
            p++;
        }

        eq = ngx_strlchr(p, semi, '=');

        k = eq ? eq : semi;

        while (k > p && ngx_rtc_sdp_is_space(k[-1])) {
            k--;
        }

        key.data = p;
        key.len = k - p;

        if (key.len == len
            && len
            && ngx_strncasecmp(key.data, (u_char *) name, len) == 0)
        {
            if (eq) {
                val.data = eq + 1;
                val.len = semi - val.data;

            } else {
                val.data = semi;
                val.len = 0;
            }

            while (val.len && ngx_rtc_sdp_is_space(val.data[0])) {
                val.data++;
                val.len--;
            }

            while (val.len && ngx_rtc_sdp_is_space(val.data[val.len - 1])) {
                val.len--;
            }

            *value = val;

            return NGX_OK;
        }

        p = (semi < last) ? semi + 1 : last;
    }

    return NGX_DECLINED;
}


ngx_rtc_sdp_fmt_t *
ngx_rtc_sdp_find_fmt(ngx_rtc_sdp_media_t *m, ngx_uint_t pt)
{
    ngx_uint_t  i;

    for (i = 0; i < m->nfmts; i++) {
        if (m->fmts[i].pt == pt) {
            return &m->fmts[i];
        }
    }

    return NULL;
}


/* the next blank-separated token; NGX_DECLINED at the end of the line */

static ngx_int_t
ngx_rtc_sdp_token(u_char **pp, u_char *last, ngx_str_t *tok)
{
    u_char  *p;

    p = *pp;

    while (p < last && ngx_rtc_sdp_is_space(*p)) {
        p++;
    }

    tok->data = p;

    while (p < last && !ngx_rtc_sdp_is_space(*p)) {
        p++;
    }

    tok->len = p - tok->data;
    *pp = p;

    return tok->len ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_rtc_sdp_number(ngx_str_t *s, ngx_uint_t max, ngx_uint_t *value)
{
    size_t      i;
    ngx_uint_t  n;

    if (s->len == 0 || s->len > 10) {
        return NGX_ERROR;
    }

    n = 0;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return NGX_ERROR;
        }

        /* at most 10 digits: no overflow of a 64-bit ngx_uint_t */
        n = n * 10 + (s->data[i] - '0');
    }

    if (n > max) {
        return NGX_ERROR;
    }

    *value = n;

    return NGX_OK;
}


/* the first occurrence wins */

static void
ngx_rtc_sdp_set(ngx_str_t *dst, u_char *p, u_char *last)
{
    if (dst->data == NULL) {
        dst->data = p;
        dst->len = last - p;
    }
}


static ngx_int_t
ngx_rtc_sdp_error(ngx_rtc_sdp_t *sdp, const char *err, ngx_uint_t line)
{
    sdp->err = err;
    sdp->err_line = line;

    return NGX_ERROR;
}


/*
 * The answer, in the shape of RFC 8829, 5.3.1 (and of Chromium's own
 * answers): one BUNDLE transport, the ICE credentials, fingerprint and
 * candidates repeated in the bundled sections as Chromium expects.
 * Returns NULL when the answer does not fit (with one byte to spare) or a
 * value would break the SDP syntax.
 */

u_char *
ngx_rtc_sdp_write_answer(u_char *p, u_char *last, ngx_rtc_sdp_answer_t *a)
{
    ngx_uint_t                   i, first, nbundle;
    ngx_rtc_sdp_answer_media_t  *am;

    if (ngx_rtc_sdp_check_answer(a) != NGX_OK) {
        return NULL;
    }

    p = ngx_rtc_sdp_printf(p, last,
                           "v=0" CRLF
                           "o=- %uL 2 IN IP4 127.0.0.1" CRLF
                           "s=-" CRLF
                           "t=0 0" CRLF,
                           a->session_id);

    nbundle = 0;

    for (i = 0; i < a->nmedia; i++) {
        am = &a->media[i];

        if (am->rejected || am->mid.len == 0) {
            continue;
        }

        p = ngx_rtc_sdp_printf(p, last, nbundle ? " %V" : "a=group:BUNDLE %V",
                               &am->mid);
        nbundle++;
    }

    if (nbundle) {
        p = ngx_rtc_sdp_printf(p, last, CRLF);
    }

    if (a->msid.len) {
        p = ngx_rtc_sdp_printf(p, last, "a=msid-semantic: WMS %V" CRLF,
                               &a->msid);

    } else {
        p = ngx_rtc_sdp_printf(p, last, "a=msid-semantic: WMS" CRLF);
    }

    first = 1;

    for (i = 0; i < a->nmedia; i++) {
        am = &a->media[i];

        p = ngx_rtc_sdp_write_media(p, last, a, am, first);

        if (!am->rejected) {
            first = 0;
        }
    }

    return p;
}


/*
 * The offer of a whep:// source: receive only, what the ring and the
 * viewers carry: H.264 (packetization-mode 1, the profile-level-id an
 * nginx-rtc origin prefers), H.265 Main and Main 10, then Opus, PCMA,
 * PCMU; NACK and PLI; one BUNDLE, rtcp-mux, all our candidates (no
 * trickle), a=setup:actpass (RFC 8842, 5.2: the answerer is then passive
 * and we are the DTLS client).  NULL if it does not fit.
 */

u_char *
ngx_rtc_sdp_write_offer(u_char *p, u_char *last, ngx_rtc_sdp_offer_t *o)
{
    ngx_uint_t  i, m;

    static const char  *fb =
        "a=rtcp-fb:%ui nack" CRLF
        "a=rtcp-fb:%ui nack pli" CRLF
        "a=rtcp-fb:%ui ccm fir" CRLF;

    if (ngx_rtc_sdp_check_str(&o->ice_ufrag, 1) != NGX_OK
        || ngx_rtc_sdp_check_str(&o->ice_pwd, 1) != NGX_OK
        || ngx_rtc_sdp_check_str(&o->fingerprint, 0) != NGX_OK)
    {
        return NULL;
    }

    for (i = 0; i < o->ncands; i++) {
        if (ngx_rtc_sdp_check_str(&o->cands[i], 0) != NGX_OK) {
            return NULL;
        }
    }

    p = ngx_rtc_sdp_printf(p, last,
                           "v=0" CRLF
                           "o=- %uL 2 IN IP4 127.0.0.1" CRLF
                           "s=-" CRLF
                           "t=0 0" CRLF
                           "a=group:BUNDLE %s" CRLF
                           "a=msid-semantic: WMS" CRLF,
                           o->session_id, o->audio ? "0 1" : "0");

    for (m = 0; m < (o->audio ? 2 : 1); m++) {

        if (m == 0) {
            p = ngx_rtc_sdp_printf(p, last,
                                   "m=video 9 UDP/TLS/RTP/SAVPF 96 98 99"
                                   CRLF);
        } else {
            p = ngx_rtc_sdp_printf(p, last,
                                   "m=audio 9 UDP/TLS/RTP/SAVPF 111 8 0"
                                   CRLF);
        }

        p = ngx_rtc_sdp_printf(p, last,
                               "c=IN IP4 0.0.0.0" CRLF
                               "a=rtcp:9 IN IP4 0.0.0.0" CRLF
                               "a=ice-ufrag:%V" CRLF
                               "a=ice-pwd:%V" CRLF
                               "a=fingerprint:%V" CRLF
                               "a=setup:actpass" CRLF
                               "a=mid:%ui" CRLF
                               "a=recvonly" CRLF
                               "a=rtcp-mux" CRLF
                               "a=rtcp-rsize" CRLF,
                               &o->ice_ufrag, &o->ice_pwd, &o->fingerprint,
                               m);

        if (m == 0) {
            p = ngx_rtc_sdp_printf(p, last,
                                   "a=rtpmap:96 H264/90000" CRLF
                                   "a=fmtp:96 level-asymmetry-allowed=1;"
                                   "packetization-mode=1;"
                                   "profile-level-id=42e01f" CRLF
                                   "a=rtpmap:98 H265/90000" CRLF
                                   "a=fmtp:98 profile-id=1" CRLF
                                   "a=rtpmap:99 H265/90000" CRLF
                                   "a=fmtp:99 profile-id=2" CRLF);

            p = ngx_rtc_sdp_printf(p, last, fb, 96, 96, 96);
            p = ngx_rtc_sdp_printf(p, last, fb, 98, 98, 98);
            p = ngx_rtc_sdp_printf(p, last, fb, 99, 99, 99);

            for (i = 0; i < o->ncands; i++) {
                p = ngx_rtc_sdp_printf(p, last, "a=%V" CRLF, &o->cands[i]);
            }

            p = ngx_rtc_sdp_printf(p, last, "a=end-of-candidates" CRLF);

        } else {
            p = ngx_rtc_sdp_printf(p, last,
                                   "a=rtpmap:111 opus/48000/2" CRLF
                                   "a=fmtp:111 minptime=10;useinbandfec=1"
                                   CRLF
                                   "a=rtpmap:8 PCMA/8000" CRLF
                                   "a=rtpmap:0 PCMU/8000" CRLF);
        }
    }

    return p;
}


static u_char *
ngx_rtc_sdp_write_media(u_char *p, u_char *last, ngx_rtc_sdp_answer_t *a,
    ngx_rtc_sdp_answer_media_t *am, ngx_uint_t first)
{
    ngx_uint_t  i;

    if (am->rejected) {

        /*
         * RFC 8829, 5.3.1: a rejected section keeps its media type and
         * proto, has port 0 and echoes a format of the offer; RFC 8843,
         * 7.3.3: it stays out of the BUNDLE group
         */

        if (am->pt == NGX_RTC_SDP_PT_NONE) {
            p = ngx_rtc_sdp_printf(p, last, "m=%V 0 %V %V" CRLF,
                                   &am->type, &am->proto, &am->codec);

        } else {
            p = ngx_rtc_sdp_printf(p, last, "m=%V 0 %V %ui" CRLF,
                                   &am->type, &am->proto, am->pt);
        }

        p = ngx_rtc_sdp_printf(p, last, "c=IN IP4 0.0.0.0" CRLF);

        if (am->mid.len) {
            p = ngx_rtc_sdp_printf(p, last, "a=mid:%V" CRLF, &am->mid);
        }

        return ngx_rtc_sdp_printf(p, last, "a=inactive" CRLF);
    }

    if (am->rtx_pt) {
        p = ngx_rtc_sdp_printf(p, last, "m=%V 9 %V %ui %ui" CRLF,
                               &am->type, &am->proto, am->pt, am->rtx_pt);

    } else {
        p = ngx_rtc_sdp_printf(p, last, "m=%V 9 %V %ui" CRLF,
                               &am->type, &am->proto, am->pt);
    }

    p = ngx_rtc_sdp_printf(p, last,
                           "c=IN IP4 0.0.0.0" CRLF
                           "a=rtcp:9 IN IP4 0.0.0.0" CRLF
                           "a=ice-ufrag:%V" CRLF
                           "a=ice-pwd:%V" CRLF
                           "a=ice-options:trickle" CRLF
                           "a=fingerprint:%V" CRLF
                           "a=setup:passive" CRLF,
                           &a->ice_ufrag, &a->ice_pwd, &a->fingerprint);

    if (am->mid.len) {
        p = ngx_rtc_sdp_printf(p, last, "a=mid:%V" CRLF, &am->mid);
    }

    /*
     * An inactive section is in the BUNDLE group like the others (RFC
     * 8843, 7.3.3: the offerer-tagged one cannot be rejected), with the
     * offer's format it echoes and no stream: no ssrc, no msid.
     */

    p = ngx_rtc_sdp_printf(p, last,
                           "%s" CRLF
                           "a=rtcp-mux" CRLF,
                           am->inactive ? "a=inactive" : "a=sendonly");

    /* RFC 5506, 5: reduced-size RTCP only if the offer has it */

    if (am->rtcp_rsize) {
        p = ngx_rtc_sdp_printf(p, last, "a=rtcp-rsize" CRLF);
    }

    if (am->codec.len) {
        if (am->channels > 1) {
            p = ngx_rtc_sdp_printf(p, last, "a=rtpmap:%ui %V/%ui/%ui" CRLF,
                                   am->pt, &am->codec, am->clock,
                                   am->channels);

        } else {
            p = ngx_rtc_sdp_printf(p, last, "a=rtpmap:%ui %V/%ui" CRLF,
                                   am->pt, &am->codec, am->clock);
        }
    }

    if (am->rtcp_fb & NGX_RTC_SDP_FB_NACK) {
        p = ngx_rtc_sdp_printf(p, last, "a=rtcp-fb:%ui nack" CRLF, am->pt);
    }

    if (am->rtcp_fb & NGX_RTC_SDP_FB_NACK_PLI) {
        p = ngx_rtc_sdp_printf(p, last, "a=rtcp-fb:%ui nack pli" CRLF,
                               am->pt);
    }

    if (am->rtcp_fb & NGX_RTC_SDP_FB_CCM_FIR) {
        p = ngx_rtc_sdp_printf(p, last, "a=rtcp-fb:%ui ccm fir" CRLF,
                               am->pt);
    }

    if (am->rtcp_fb & NGX_RTC_SDP_FB_REMB) {
        p = ngx_rtc_sdp_printf(p, last, "a=rtcp-fb:%ui goog-remb" CRLF,
                               am->pt);
    }

    if (am->rtcp_fb & NGX_RTC_SDP_FB_TWCC) {
        p = ngx_rtc_sdp_printf(p, last, "a=rtcp-fb:%ui transport-cc" CRLF,
                               am->pt);
    }

    if (am->fmtp.len) {
        p = ngx_rtc_sdp_printf(p, last, "a=fmtp:%ui %V" CRLF,
                               am->pt, &am->fmtp);
    }

    if (am->inactive) {
        goto candidates;
    }

    /* RFC 4588, 8.6: the RTX payload type and the one it repairs */

    if (am->rtx_pt) {
        p = ngx_rtc_sdp_printf(p, last,
                               "a=rtpmap:%ui rtx/%ui" CRLF
                               "a=fmtp:%ui apt=%ui" CRLF,
                               am->rtx_pt, am->clock, am->rtx_pt, am->pt);

        /* RFC 5576, 4.2: the RTX stream's SSRC goes with the media's */

        p = ngx_rtc_sdp_printf(p, last, "a=ssrc-group:FID %uD %uD" CRLF,
                               am->ssrc, am->rtx_ssrc);
    }

    /* RFC 5576, 4.1 and RFC 8830, 2: what Chromium reads for its track */

    p = ngx_rtc_sdp_write_ssrc(p, last, a, am, am->ssrc);

    if (am->rtx_pt) {
        p = ngx_rtc_sdp_write_ssrc(p, last, a, am, am->rtx_ssrc);
    }

    if (a->msid.len && am->mid.len) {
        p = ngx_rtc_sdp_printf(p, last, "a=msid:%V %V-%V" CRLF,
                               &a->msid, &a->msid, &am->mid);
    }

candidates:

    /* RFC 8843, 7.2: candidates of the bundle go in its first section */

    if (first) {
        for (i = 0; i < a->ncands; i++) {
            p = ngx_rtc_sdp_printf(p, last, "a=%V" CRLF, &a->cands[i]);
        }

        p = ngx_rtc_sdp_printf(p, last, "a=end-of-candidates" CRLF);
    }

    return p;
}


static u_char *
ngx_rtc_sdp_write_ssrc(u_char *p, u_char *last, ngx_rtc_sdp_answer_t *a,
    ngx_rtc_sdp_answer_media_t *am, uint32_t ssrc)
{
    if (a->cname.len) {
        p = ngx_rtc_sdp_printf(p, last, "a=ssrc:%uD cname:%V" CRLF,
                               ssrc, &a->cname);
    }

    if (a->msid.len && am->mid.len) {
        p = ngx_rtc_sdp_printf(p, last, "a=ssrc:%uD msid:%V %V-%V" CRLF,
                               ssrc, &a->msid, &a->msid, &am->mid);
    }

    return p;
}


static u_char *
ngx_rtc_sdp_printf(u_char *p, u_char *last, const char *fmt, ...)
{
    va_list  args;

    if (p == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    /* ngx_vslprintf() truncates at "last": a full buffer means no room */

    return (p < last) ? p : NULL;
}


static ngx_int_t
ngx_rtc_sdp_check_answer(ngx_rtc_sdp_answer_t *a)
{
    ngx_uint_t                   i;
    ngx_rtc_sdp_answer_media_t  *am;

    if (a->nmedia > NGX_RTC_SDP_MAX_MEDIA
        || a->ncands > NGX_RTC_SDP_MAX_CAND)
    {
        return NGX_ERROR;
    }

    if (ngx_rtc_sdp_check_str(&a->ice_ufrag, 0) != NGX_OK
        || ngx_rtc_sdp_check_str(&a->ice_pwd, 0) != NGX_OK
        || ngx_rtc_sdp_check_str(&a->fingerprint, 0) != NGX_OK
        || ngx_rtc_sdp_check_str(&a->cname, 0) != NGX_OK
        || ngx_rtc_sdp_check_str(&a->msid, 1) != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < a->ncands; i++) {
        if (ngx_rtc_sdp_check_str(&a->cands[i], 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < a->nmedia; i++) {
        am = &a->media[i];

        if (am->rejected
            ? (am->pt > 127
               && (am->pt != NGX_RTC_SDP_PT_NONE || am->codec.len == 0))
            : am->pt > 127)
        {
            return NGX_ERROR;
        }

        /* the mid comes from the offer and is echoed in a=group too */

        if (ngx_rtc_sdp_check_str(&am->type, 1) != NGX_OK
            || ngx_rtc_sdp_check_str(&am->proto, 1) != NGX_OK
            || ngx_rtc_sdp_check_str(&am->mid, 1) != NGX_OK
            || ngx_rtc_sdp_check_str(&am->codec, 1) != NGX_OK
            || ngx_rtc_sdp_check_str(&am->fmtp, 0) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * No CR, LF or NUL in any value; a token (RFC 8866, 9: token-char, plus
 * "/" for proto) also has no blanks or controls.
 */

static ngx_int_t
ngx_rtc_sdp_check_str(ngx_str_t *s, ngx_uint_t token)
{
    u_char  c;
    size_t  i;

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c == CR || c == LF || c == '\0') {
            return NGX_ERROR;
        }

        if (token && (c <= ' ' || c >= 0x7f)) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
