/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_rtc_rtsp_parse.h"


/*
 * RTSP 1.0 (RFC 2326) messages as a client reads them from a camera:
 * responses, requests the server sends on its own (OPTIONS, GET_PARAMETER,
 * ANNOUNCE...) and '$'-framed interleaved RTP/RTCP (RFC 2326 10.12).
 *
 * The parser is not resumable: the caller keeps unread bytes and calls it
 * again with more of them.  A header block is at most 16 KB, so rescanning
 * it costs little, and the state stays in the caller's buffer.  Lines end
 * with CRLF; a bare LF is accepted too, as some cameras send it.
 */


#define NGX_RTC_RTSP_MAX_METHOD  32


static ngx_int_t ngx_rtc_rtsp_parse_prefix(u_char *pos, u_char *end,
    ngx_rtc_rtsp_msg_t *m);
static u_char *ngx_rtc_rtsp_find_header_end(u_char *pos, u_char *end);
static ngx_int_t ngx_rtc_rtsp_parse_status_line(u_char *pos, u_char *last,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_parse_request_line(u_char *pos, u_char *last,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_parse_header(ngx_str_t *name, ngx_str_t *value,
    ngx_rtc_rtsp_msg_t *m, ngx_str_t **last, ngx_int_t *clen);
static void ngx_rtc_rtsp_parse_session(ngx_str_t *value,
    ngx_rtc_rtsp_msg_t *m);
static ngx_int_t ngx_rtc_rtsp_parse_number(u_char *pos, u_char *last,
    ngx_uint_t max);
static ngx_int_t ngx_rtc_rtsp_parse_range(u_char *pos, u_char *last,
    ngx_uint_t max, ngx_uint_t *lo, ngx_uint_t *hi);
static ngx_uint_t ngx_rtc_rtsp_is_name(ngx_str_t *name, const char *s);
static ngx_uint_t ngx_rtc_rtsp_token_char(u_char ch);
static ngx_int_t ngx_rtc_rtsp_split_url(ngx_str_t *url, ngx_str_t *userinfo,
    ngx_str_t *host, ngx_str_t *rest);
static ngx_uint_t ngx_rtc_rtsp_resync_at(u_char *p, u_char *end,
    u_char *channels, ngx_uint_t n);


/* what a server may send on its own, after RTSP/ responses (RFC 2326 10) */

static ngx_str_t  ngx_rtc_rtsp_resync_starts[] = {
    ngx_string("RTSP/"),
    ngx_string("OPTIONS "),
    ngx_string("GET_PARAMETER "),
    ngx_string("SET_PARAMETER "),
    ngx_string("ANNOUNCE "),
    ngx_string("REDIRECT "),
    ngx_string("TEARDOWN "),
    ngx_null_string
};


ngx_int_t
ngx_rtc_rtsp_parse(u_char *pos, u_char *end, ngx_rtc_rtsp_msg_t *m)
{
    u_char     *p, *line, *eol, *last, *hend, *colon;
    size_t      n;
    ngx_int_t   rc, clen;
    ngx_str_t   name, value, *prev;

    ngx_memzero(m, sizeof(ngx_rtc_rtsp_msg_t));
    m->cseq = -1;
    m->content_length = -1;

    if (pos >= end) {
        return NGX_AGAIN;
    }

    if (*pos == '$') {

        /* RFC 2326 10.12: '$', 1-byte channel, 2-byte length, data */

        if (end - pos < 4) {
            return NGX_AGAIN;
        }

        n = ((size_t) pos[2] << 8) | pos[3];

        if ((size_t) (end - pos) < 4 + n) {
            return NGX_AGAIN;
        }

        m->type = NGX_RTC_RTSP_INTERLEAVED;
        m->channel = pos[1];
        m->data.data = pos + 4;
        m->data.len = n;
        m->size = 4 + n;

        return NGX_OK;
    }

    rc = ngx_rtc_rtsp_parse_prefix(pos, end, m);
    if (rc != NGX_OK) {
        return rc;
    }

    hend = ngx_rtc_rtsp_find_header_end(pos, end);

    if (hend == NULL) {
        if (end - pos >= NGX_RTC_RTSP_MAX_HEADER) {
            m->err = "header block too large";
            return NGX_ERROR;
        }

        return NGX_AGAIN;
    }

    clen = -1;
    prev = NULL;

    for (line = pos; line < hend; line = eol + 1) {

        /* hend ends with LF, so every line has one */

        eol = ngx_strlchr(line, hend, '\n');

        last = eol;
        if (last > line && last[-1] == '\r') {
            last--;
        }

        if (line == pos) {
            rc = (m->type == NGX_RTC_RTSP_RESPONSE)
                 ? ngx_rtc_rtsp_parse_status_line(line, last, m)
                 : ngx_rtc_rtsp_parse_request_line(line, last, m);

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (last == line) {
            break;                      /* the empty line ending the block */
        }

        if (*line == ' ' || *line == '\t') {

            /* RFC 2326 4.2 via RFC 2616 2.2: a folded header line */

            if (prev) {
                while (last > line && (last[-1] == ' ' || last[-1] == '\t')) {
                    last--;
                }

                if (last > prev->data + prev->len) {
                    prev->len = last - prev->data;
                }
            }

            continue;
        }

        colon = ngx_strlchr(line, last, ':');
        if (colon == NULL || colon == line) {
            m->err = "invalid header line";
            return NGX_ERROR;
        }

        for (p = line; p < colon; p++) {
            if (!ngx_rtc_rtsp_token_char(*p)) {
                break;
            }
        }

        name.data = line;
        name.len = p - line;

        while (p < colon && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p != colon) {
            m->err = "invalid header name";
            return NGX_ERROR;
        }

        p = colon + 1;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
            last--;
        }

        value.data = p;
        value.len = last - p;

        prev = NULL;

        if (ngx_rtc_rtsp_parse_header(&name, &value, m, &prev, &clen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /*
     * Without Content-Length the message ends with its header block
     * (RFC 2326 4.3), whatever follows: what the caller makes of an SDP
     * body sent without one is its own rule, ngx_rtc_rtsp_parse_sdp_unframed()
     */

    m->content_length = clen;

    if (clen < 0) {
        clen = 0;
    }

    if (end - hend < clen) {
        return NGX_AGAIN;
    }

    if (clen) {
        m->body.data = hend;
        m->body.len = clen;
    }

    m->size = (hend - pos) + clen;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_rtsp_parse_prefix(u_char *pos, u_char *end, ngx_rtc_rtsp_msg_t *m)
{
    u_char        *p;
    size_t         n;
    static u_char  version[] = "RTSP/";

    /*
     * Decide the message type from its first bytes, so that garbage (a
     * stray binary stream, an HTTP server) fails at once rather than after
     * 16 KB of waiting for a blank line.
     */

    n = ngx_min((size_t) (end - pos), sizeof(version) - 1);

    if (ngx_memcmp(pos, version, n) == 0) {
        if (n < sizeof(version) - 1) {
            return NGX_AGAIN;
        }

        m->type = NGX_RTC_RTSP_RESPONSE;
        return NGX_OK;
    }

    for (p = pos; p < end; p++) {
        if ((*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-') {
            if (p - pos >= NGX_RTC_RTSP_MAX_METHOD) {
                break;
            }

            continue;
        }

        if (*p == ' ' && p != pos) {
            m->type = NGX_RTC_RTSP_REQUEST;
            return NGX_OK;
        }

        break;
    }

    if (p == end) {
        return NGX_AGAIN;
    }

    m->err = "invalid message start";

    return NGX_ERROR;
}


static u_char *
ngx_rtc_rtsp_find_header_end(u_char *pos, u_char *end)
{
    u_char  *p, *last;

    last = end;

    if (last - pos > NGX_RTC_RTSP_MAX_HEADER) {
        last = pos + NGX_RTC_RTSP_MAX_HEADER;
    }

    for (p = pos; p < last; p++) {

        if (*p != '\n') {
            continue;
        }

        if (p + 1 < last && p[1] == '\n') {
            return p + 2;
        }

        if (p + 2 < last && p[1] == '\r' && p[2] == '\n') {
            return p + 3;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_rtc_rtsp_parse_status_line(u_char *pos, u_char *last,
    ngx_rtc_rtsp_msg_t *m)
{
    u_char  *p;

    /* "RTSP/" 1*DIGIT "." 1*DIGIT SP 3DIGIT SP Reason-Phrase */

    p = pos + sizeof("RTSP/") - 1;

    if (p >= last || *p < '0' || *p > '9') {
        goto invalid;
    }

    while (p < last && *p >= '0' && *p <= '9') {
        p++;
    }

    if (p >= last || *p++ != '.' || p >= last || *p < '0' || *p > '9') {
        goto invalid;
    }

    while (p < last && *p >= '0' && *p <= '9') {
        p++;
    }

    if (p >= last || *p != ' ') {
        goto invalid;
    }

    while (p < last && *p == ' ') {
        p++;
    }

    if (last - p < 3
        || p[0] < '1' || p[0] > '9'
        || p[1] < '0' || p[1] > '9'
        || p[2] < '0' || p[2] > '9')
    {
        goto invalid;
    }

    m->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    p += 3;

    if (p < last && *p != ' ') {
        goto invalid;
    }

    while (p < last && *p == ' ') {
        p++;
    }

    m->reason.data = p;
    m->reason.len = last - p;

    return NGX_OK;

invalid:

    m->err = "invalid status line";

    return NGX_ERROR;
}


static ngx_int_t
ngx_rtc_rtsp_parse_request_line(u_char *pos, u_char *last,
    ngx_rtc_rtsp_msg_t *m)
{
    u_char  *p, *sp;

    /* Method SP Request-URI SP RTSP-Version; the prefix checked the method */

    p = ngx_strlchr(pos, last, ' ');
    if (p == NULL) {
        goto invalid;
    }

    m->method.data = pos;
    m->method.len = p - pos;

    p++;

    sp = ngx_strlchr(p, last, ' ');
    if (sp == NULL || sp == p) {
        goto invalid;
    }

    m->uri.data = p;
    m->uri.len = sp - p;

    p = sp + 1;

    if (last - p < 5 || ngx_memcmp(p, "RTSP/", 5) != 0) {
        goto invalid;
    }

    return NGX_OK;

invalid:

    m->err = "invalid request line";

    return NGX_ERROR;
}


static ngx_int_t
ngx_rtc_rtsp_parse_header(ngx_str_t *name, ngx_str_t *value,
    ngx_rtc_rtsp_msg_t *m, ngx_str_t **last, ngx_int_t *clen)
{
    u_char      *p, *end;
    ngx_int_t    n;
    ngx_str_t   *field;

    field = NULL;

    if (ngx_rtc_rtsp_is_name(name, "CSeq")) {
        n = ngx_rtc_rtsp_parse_number(value->data, value->data + value->len,
                                      NGX_MAX_INT32_VALUE);
        if (n == NGX_ERROR) {
            m->err = "invalid CSeq";
            return NGX_ERROR;
        }

        m->cseq = n;
        return NGX_OK;
    }

    if (ngx_rtc_rtsp_is_name(name, "Content-Length")) {
        n = ngx_rtc_rtsp_parse_number(value->data, value->data + value->len,
                                      NGX_MAX_INT32_VALUE);
        if (n == NGX_ERROR) {
            m->err = "invalid Content-Length";
            return NGX_ERROR;
        }

        if (n > NGX_RTC_RTSP_MAX_BODY) {
            m->err = "body too large";
            return NGX_ERROR;
        }

        if (*clen >= 0 && *clen != n) {
            m->err = "conflicting Content-Length";
            return NGX_ERROR;
        }

        *clen = n;
        return NGX_OK;
    }

    if (ngx_rtc_rtsp_is_name(name, "Session")) {
        if (m->session.data == NULL) {
            ngx_rtc_rtsp_parse_session(value, m);
        }

        return NGX_OK;
    }

    if (ngx_rtc_rtsp_is_name(name, "WWW-Authenticate")) {
        p = value->data;
        end = p + value->len;

        while (p < end && ngx_rtc_rtsp_token_char(*p)) {
            p++;
        }

        if (p - value->data == 5
            && ngx_strncasecmp(value->data, (u_char *) "Basic", 5) == 0)
        {
            field = &m->auth_basic;

        } else if (p - value->data == 6
                   && ngx_strncasecmp(value->data, (u_char *) "Digest", 6)
                      == 0)
        {
            field = &m->auth_digest;

        } else {
            return NGX_OK;
        }

        if (field->data) {
            return NGX_OK;              /* the first challenge of a scheme */
        }

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        field->data = p;
        field->len = end - p;
        *last = field;

        return NGX_OK;
    }

    if (ngx_rtc_rtsp_is_name(name, "Content-Base")) {
        field = &m->content_base;

    } else if (ngx_rtc_rtsp_is_name(name, "Content-Location")) {
        field = &m->content_location;

    } else if (ngx_rtc_rtsp_is_name(name, "Content-Type")) {
        field = &m->content_type;

    } else if (ngx_rtc_rtsp_is_name(name, "Transport")) {
        field = &m->transport;

    } else if (ngx_rtc_rtsp_is_name(name, "Public")) {
        field = &m->public;

    } else if (ngx_rtc_rtsp_is_name(name, "Location")) {
        field = &m->location;
    }

    if (field && field->data == NULL) {
        *field = *value;
        *last = field;
    }

    return NGX_OK;
}


static void
ngx_rtc_rtsp_parse_session(ngx_str_t *value, ngx_rtc_rtsp_msg_t *m)
{
    u_char     *p, *end, *semi, *v;
    ngx_int_t   n;

    /* RFC 2326 12.37: session-id [ ";" "timeout" "=" delta-seconds ] */

    p = value->data;
    end = p + value->len;

    semi = ngx_strlchr(p, end, ';');
    if (semi == NULL) {
        semi = end;
    }

    m->session.data = p;
    m->session.len = semi - p;

    while (m->session.len
           && (m->session.data[m->session.len - 1] == ' '
               || m->session.data[m->session.len - 1] == '\t'))
    {
        m->session.len--;
    }

    for (p = semi; p < end; p++) {

        if (*p == ';' || *p == ' ' || *p == '\t') {
            continue;
        }

        if (end - p > 7 && ngx_strncasecmp(p, (u_char *) "timeout", 7) == 0) {
            v = p + 7;

            while (v < end && (*v == ' ' || *v == '\t')) {
                v++;
            }

            if (v < end && *v == '=') {
                v++;

                while (v < end && (*v == ' ' || *v == '\t')) {
                    v++;
                }

                for (p = v; p < end && *p >= '0' && *p <= '9'; p++) {
                    /* void */
                }

                n = ngx_rtc_rtsp_parse_number(v, p, 86400);
                if (n > 0) {
                    m->session_timeout = n;
                }

                return;
            }
        }

        p = ngx_strlchr(p, end, ';');
        if (p == NULL) {
            return;
        }
    }
}


ngx_int_t
ngx_rtc_rtsp_parse_transport(ngx_str_t *value, ngx_rtc_rtsp_transport_t *t)
{
    u_char      *p, *end, *param, *eq, *last;
    ngx_int_t    n;
    ngx_uint_t   i, lo, hi, ssrc;
    ngx_str_t    name;

    ngx_memzero(t, sizeof(ngx_rtc_rtsp_transport_t));
    t->interleaved[0] = -1;
    t->interleaved[1] = -1;

    /*
     * RFC 2326 12.39: transport-spec *("," transport-spec); the server
     * answers with one, so only the first is read.  A parameter value may
     * be a quoted string (mode="PLAY"); none of the ones read here is.
     */

    p = value->data;
    end = p + value->len;

    last = ngx_strlchr(p, end, ',');
    if (last) {
        end = last;
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    param = p;

    last = ngx_strlchr(p, end, ';');
    if (last == NULL) {
        last = end;
    }

    if (last - param < 7 || ngx_strncasecmp(param, (u_char *) "RTP/AVP", 7)
                            != 0)
    {
        return NGX_ERROR;
    }

    if (last - param >= 11
        && ngx_strncasecmp(last - 4, (u_char *) "/TCP", 4) == 0)
    {
        t->tcp = 1;
    }

    for (p = last; p < end; p = last) {
        p++;

        last = ngx_strlchr(p, end, ';');
        if (last == NULL) {
            last = end;
        }

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        eq = ngx_strlchr(p, last, '=');
        if (eq == NULL) {
            continue;
        }

        name.data = p;
        name.len = eq - p;

        while (name.len && name.data[name.len - 1] == ' ') {
            name.len--;
        }

        p = eq + 1;

        while (p < last && *p == ' ') {
            p++;
        }

        if (ngx_rtc_rtsp_is_name(&name, "interleaved")) {
            if (ngx_rtc_rtsp_parse_range(p, last, 255, &lo, &hi) != NGX_OK) {
                return NGX_ERROR;
            }

            t->interleaved[0] = lo;
            t->interleaved[1] = hi;

        } else if (ngx_rtc_rtsp_is_name(&name, "client_port")) {
            if (ngx_rtc_rtsp_parse_range(p, last, 65535, &lo, &hi) != NGX_OK
                || lo == 0 || hi == 0)
            {
                return NGX_ERROR;
            }

            t->client_port[0] = lo;
            t->client_port[1] = hi;

        } else if (ngx_rtc_rtsp_is_name(&name, "server_port")) {
            if (ngx_rtc_rtsp_parse_range(p, last, 65535, &lo, &hi) != NGX_OK
                || lo == 0 || hi == 0)
            {
                return NGX_ERROR;
            }

            t->server_port[0] = lo;
            t->server_port[1] = hi;

        } else if (ngx_rtc_rtsp_is_name(&name, "ssrc")) {

            /*
             * 8*8(HEX); cameras send fewer digits or trailing spaces too.
             * The SSRC is only advisory, so a bad one is ignored.
             */

            while (last > p && last[-1] == ' ') {
                last--;
            }

            ssrc = 0;

            for (i = 0; p + i < last; i++) {
                n = p[i] | 0x20;

                if (p[i] >= '0' && p[i] <= '9') {
                    ssrc = (ssrc << 4) | (p[i] - '0');

                } else if (n >= 'a' && n <= 'f') {
                    ssrc = (ssrc << 4) | (n - 'a' + 10);

                } else {
                    break;
                }
            }

            if (i > 0 && i <= 8 && p + i == last) {
                t->ssrc = (uint32_t) ssrc;
                t->has_ssrc = 1;
            }
        }
    }

    return NGX_OK;
}


/*
 * Stray bytes between messages while playing: Canon and Axis stacks, and
 * live555 cameras that mishandle a partial write, put a few bytes (a CRLF,
 * the rest of a cut frame) between '$' frames.  ffmpeg and VLC skip
 * ahead; so does the caller, to the place this returns: the first one
 * after pos where a '$' frame on one of the channels (RTP version 2 in
 * its first byte, at least an RTCP header long), an "RTSP/" response or a
 * request a server sends may start, or where the buffer ends in the
 * beginning of one; end if none.
 */

u_char *
ngx_rtc_rtsp_parse_resync(u_char *pos, u_char *end, u_char *channels,
    ngx_uint_t n)
{
    u_char  *p;

    for (p = pos; p < end; p++) {
        if (ngx_rtc_rtsp_resync_at(p, end, channels, n)) {
            return p;
        }
    }

    return end;
}


static ngx_uint_t
ngx_rtc_rtsp_resync_at(u_char *p, u_char *end, u_char *channels,
    ngx_uint_t n)
{
    size_t      len;
    ngx_str_t  *s;
    ngx_uint_t  i;

    if (*p == '$') {
        if (end - p < 2) {
            return 1;
        }

        for (i = 0; i < n; i++) {
            if (p[1] == channels[i]) {
                break;
            }
        }

        if (i == n) {
            return 0;
        }

        if (end - p < 4) {
            return 1;
        }

        len = ((size_t) p[2] << 8) | p[3];

        if (len < 8) {
            return 0;
        }

        return end - p == 4 || (p[4] & 0xc0) == 0x80;
    }

    for (s = ngx_rtc_rtsp_resync_starts; s->len; s++) {
        len = ngx_min((size_t) (end - p), s->len);

        if (ngx_memcmp(p, s->data, len) == 0) {
            return 1;
        }
    }

    return 0;
}


ngx_uint_t
ngx_rtc_rtsp_has_method(ngx_str_t *public, const char *method)
{
    u_char  *p, *end, *tok;
    size_t   len;

    /* Public: OPTIONS, DESCRIBE, GET_PARAMETER, ... */

    if (public->len == 0) {
        return 0;                       /* no header: data may be NULL */
    }

    len = ngx_strlen(method);

    p = public->data;
    end = p + public->len;

    while (p < end) {

        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        tok = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if ((size_t) (p - tok) == len
            && ngx_strncasecmp(tok, (u_char *) method, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_rtc_rtsp_resolve_url(ngx_str_t *base, ngx_str_t *control, u_char *buf,
    size_t size, ngx_str_t *out)
{
    u_char     *p, *end, *last;
    ngx_str_t   prefix, rest;

    /*
     * RFC 2326 C.1.1: a media "a=control:" URL, relative to the Content-Base
     * (or Content-Location, or request URL) of the DESCRIBE response; "*"
     * is the base itself.  Relative URLs are appended after a "/", not
     * merged as in RFC 3986 5.2: cameras rely on it ("rtsp://cam/live"
     * + "trackID=1", Dahua's "...realmonitor?channel=1&subtype=0" +
     * "trackID=0"), and ffmpeg and live555 do the same.
     */

    prefix = *base;
    ngx_str_null(&rest);

    if (control->len == 0 || (control->len == 1 && control->data[0] == '*')) {
        /* the base itself */

    } else if ((control->len > 7
                && ngx_strncasecmp(control->data, (u_char *) "rtsp://", 7)
                   == 0)
               || (control->len > 8
                   && ngx_strncasecmp(control->data, (u_char *) "rtsps://",
                                      8)
                      == 0))
    {
        prefix = *control;

    } else if (control->data[0] == '/') {

        /* an absolute path: the base's scheme and authority */

        p = base->data;
        end = p + base->len;

        last = ngx_strlchr(p, end, ':');
        if (last == NULL || end - last < 3 || last[1] != '/' || last[2] != '/')
        {
            return NGX_ERROR;
        }

        last = ngx_strlchr(last + 3, end, '/');
        if (last == NULL) {
            last = end;
        }

        prefix.len = last - p;
        rest = *control;

    } else {
        rest = *control;
    }

    if (prefix.len + 1 + rest.len > size) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(buf, prefix.data, prefix.len);

    if (rest.len && rest.data[0] != '/'
        && (prefix.len == 0 || prefix.data[prefix.len - 1] != '/'))
    {
        *p++ = '/';
    }

    if (rest.len) {
        p = ngx_cpymem(p, rest.data, rest.len);
    }

    out->data = buf;
    out->len = p - buf;

    for (p = buf; p < buf + out->len; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            return NGX_ERROR;           /* would break the request line */
        }
    }

    return NGX_OK;
}


/*
 * A 200 answer with an SDP body but no Content-Length, as some
 * live555-based camera firmware sends to DESCRIBE.  RFC 2326 12.14 makes
 * its body empty, and so does ngx_rtc_rtsp_parse(); live555's own client
 * takes the rest of the data as the body, and the caller does the same,
 * bounded by NGX_RTC_RTSP_MAX_BODY, until the camera is quiet.  This only
 * tells such an answer: the parse never depends on how TCP cut the bytes.
 */

ngx_uint_t
ngx_rtc_rtsp_parse_sdp_unframed(ngx_rtc_rtsp_msg_t *m)
{
    u_char  *p, *end;

    if (m->type != NGX_RTC_RTSP_RESPONSE || m->status != 200
        || m->content_length >= 0 || m->content_type.len < 15)
    {
        return 0;
    }

    /* Content-Type: application/sdp [";" parameters] */

    p = m->content_type.data;
    end = p + m->content_type.len;

    if (ngx_strncasecmp(p, (u_char *) "application/sdp", 15) != 0) {
        return 0;
    }

    for (p += 15; p < end; p++) {
        if (*p == ';') {
            return 1;
        }

        if (*p != ' ' && *p != '\t') {
            return 0;
        }
    }

    return 1;
}


/*
 * The URL a redirect's Location names (RFC 2326 12.25: an absolute URL;
 * some NVRs send an absolute path on the same server), written into buf
 * as the client requests it next:
 *
 *   - rtsp:// or rtsps:// only, and not from rtsps:// to rtsp://: the
 *     credentials and the stream would leave TLS;
 *   - on the host of "conf", the configured URL, with that URL's user
 *     information if it has any, else the Location's own; another host
 *     is refused (compared as written, without the port).
 *
 * "url" is the current URL, without user information.  The user
 * information is told from the host as ngx_rtc_auth_parse_url() does:
 * the last "@" before the first "/".  NGX_ERROR with *err: the Location
 * cannot be followed; for another host *out is the Location's URL (never
 * with the configured credentials), to say where.
 */

ngx_int_t
ngx_rtc_rtsp_redirect_url(ngx_str_t *url, ngx_str_t *conf,
    ngx_str_t *location, u_char *buf, size_t size, ngx_str_t *out,
    const char **err)
{
    u_char     *p, *last;
    size_t      n, scheme;
    ngx_str_t   target, userinfo, host, rest, cuserinfo, chost, crest;

    if (location->len == 0) {
        *err = "no Location";
        return NGX_ERROR;
    }

    for (p = location->data; p < location->data + location->len; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            *err = "invalid Location";  /* would break the request line */
            return NGX_ERROR;
        }
    }

    if (ngx_rtc_rtsp_split_url(url, &userinfo, &host, &rest) != NGX_OK) {
        *err = "invalid URL";
        return NGX_ERROR;
    }

    if (location->data[0] == '/') {

        /* an absolute path: the scheme and authority of url */

        if (location->len > 1 && location->data[1] == '/') {
            *err = "a Location without a scheme";
            return NGX_ERROR;
        }

        p = ngx_strlchr(rest.data, rest.data + rest.len, '/');
        n = (p ? p : rest.data + rest.len) - url->data;

        if (n + location->len > size) {
            *err = "Location too long";
            return NGX_ERROR;
        }

        p = ngx_cpymem(buf, url->data, n);
        p = ngx_cpymem(p, location->data, location->len);

    } else {
        if (location->len > size) {
            *err = "Location too long";
            return NGX_ERROR;
        }

        p = ngx_cpymem(buf, location->data, location->len);
    }

    target.data = buf;
    target.len = p - buf;

    if (ngx_rtc_rtsp_split_url(&target, &userinfo, &host, &rest) != NGX_OK) {
        *err = "not an rtsp:// or rtsps:// URL";
        return NGX_ERROR;
    }

    if (host.len == 0) {
        *err = "a Location without a host";
        return NGX_ERROR;
    }

    if (url->len > 6 && ngx_strncasecmp(url->data, (u_char *) "rtsps:", 6)
                        == 0
        && ngx_strncasecmp(buf, (u_char *) "rtsps:", 6) != 0)
    {
        *err = "a redirect from rtsps:// to rtsp://";
        return NGX_ERROR;
    }

    if (ngx_rtc_rtsp_split_url(conf, &cuserinfo, &chost, &crest) != NGX_OK) {
        *err = "invalid configured URL";
        return NGX_ERROR;
    }

    /*
     * Only to the configured host (another port or path): a camera must
     * not choose where nginx connects, no more than a request may (a
     * runtime stream's camera was checked against its allow= list)
     */

    if (!ngx_rtc_rtsp_same_host(&target, conf)) {
        *out = target;          /* where: without the configured credentials */
        *err = "another host (configure the URL it names)";
        return NGX_ERROR;
    }

    if (cuserinfo.len == 0) {
        /* no credentials configured: the Location's */

        *out = target;
        return NGX_OK;
    }

    /* scheme "://" cuserinfo "@" rest */

    scheme = ngx_strlchr(buf, buf + target.len, ':') - buf + 3;
    n = scheme + cuserinfo.len + 1 + rest.len;

    if (n > size) {
        *err = "Location too long";
        return NGX_ERROR;
    }

    last = buf + scheme + cuserinfo.len + 1;

    ngx_memmove(last, rest.data, rest.len);
    p = ngx_cpymem(buf + scheme, cuserinfo.data, cuserinfo.len);
    *p = '@';

    out->data = buf;
    out->len = n;

    return NGX_OK;
}


/* two rtsp:// or rtsps:// URLs name the same host, as written */

ngx_uint_t
ngx_rtc_rtsp_same_host(ngx_str_t *url1, ngx_str_t *url2)
{
    ngx_str_t  userinfo, host1, host2, rest;

    if (ngx_rtc_rtsp_split_url(url1, &userinfo, &host1, &rest) != NGX_OK
        || ngx_rtc_rtsp_split_url(url2, &userinfo, &host2, &rest) != NGX_OK)
    {
        return 0;
    }

    return host1.len == host2.len
           && ngx_strncasecmp(host1.data, host2.data, host1.len) == 0;
}


/*
 * rtsp:// or rtsps:// [userinfo "@"] host [":" port] [path]: the user
 * information (len 0: none), the host ("[...]" for IPv6) and the rest
 * from the host on.  NGX_DECLINED: another scheme.
 */

static ngx_int_t
ngx_rtc_rtsp_split_url(ngx_str_t *url, ngx_str_t *userinfo, ngx_str_t *host,
    ngx_str_t *rest)
{
    u_char  *p, *end, *auth, *path, *at;

    p = url->data;
    end = p + url->len;

    if (url->len > 7 && ngx_strncasecmp(p, (u_char *) "rtsp://", 7) == 0) {
        auth = p + 7;

    } else if (url->len > 8
               && ngx_strncasecmp(p, (u_char *) "rtsps://", 8) == 0)
    {
        auth = p + 8;

    } else {
        return NGX_DECLINED;
    }

    path = ngx_strlchr(auth, end, '/');
    if (path == NULL) {
        path = end;
    }

    at = NULL;

    for (p = auth; p < path; p++) {
        if (*p == '@') {
            at = p;
        }
    }

    userinfo->data = auth;
    userinfo->len = at ? (size_t) (at - auth) : 0;

    host->data = at ? at + 1 : auth;

    if (host->data < path && *host->data == '[') {
        p = ngx_strlchr(host->data, path, ']');
        p = p ? p + 1 : path;

    } else {
        for (p = host->data; p < path; p++) {
            if (*p == ':' || *p == '?' || *p == '#') {
                break;
            }
        }
    }

    host->len = p - host->data;

    rest->data = host->data;
    rest->len = end - host->data;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_rtsp_parse_number(u_char *pos, u_char *last, ngx_uint_t max)
{
    ngx_uint_t  n;

    if (pos >= last) {
        return NGX_ERROR;
    }

    for (n = 0; pos < last; pos++) {
        if (*pos < '0' || *pos > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (*pos - '0');

        if (n > max) {
            return NGX_ERROR;
        }
    }

    return n;
}


static ngx_int_t
ngx_rtc_rtsp_parse_range(u_char *pos, u_char *last, ngx_uint_t max,
    ngx_uint_t *lo, ngx_uint_t *hi)
{
    u_char     *dash, *e;
    ngx_int_t   n;

    /* "a-b" or "a"; a single value means the pair a, a + 1 */

    while (last > pos && last[-1] == ' ') {
        last--;
    }

    dash = ngx_strlchr(pos, last, '-');

    e = dash ? dash : last;

    n = ngx_rtc_rtsp_parse_number(pos, e, max);
    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *lo = n;

    if (dash == NULL) {
        *hi = (*lo < max) ? *lo + 1 : *lo;
        return NGX_OK;
    }

    n = ngx_rtc_rtsp_parse_number(dash + 1, last, max);
    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *hi = n;

    return NGX_OK;
}


static ngx_uint_t
ngx_rtc_rtsp_is_name(ngx_str_t *name, const char *s)
{
    size_t  len;

    len = ngx_strlen(s);

    return name->len == len
           && ngx_strncasecmp(name->data, (u_char *) s, len) == 0;
}


static ngx_uint_t
ngx_rtc_rtsp_token_char(u_char ch)
{
    /* RFC 2616 2.2 token: any CHAR except CTLs or separators */

    if (ch <= 0x20 || ch >= 0x7f) {
        return 0;
    }

    switch (ch) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';':
    case ':': case '\\': case '"': case '/': case '[': case ']': case '?':
    case '=': case '{': case '}':
        return 0;
    }

    return 1;
}
