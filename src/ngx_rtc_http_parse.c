/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_rtc_http_parse.h"


/*
 * The response parser of the WHEP source's HTTP client: pure, bounded,
 * no allocation.  The responses it reads are small (a 201 with an SDP
 * answer, a 200 or 204 to a DELETE), so it parses the buffer from its
 * start each time more arrives rather than keeping a state machine.
 *
 * Status line "HTTP/1.x NNN reason"; header fields "name: value" (no
 * obsolete line folding, RFC 9112 5.2); Content-Length (one value, or
 * the same repeated); Transfer-Encoding: chunked (the only coding a
 * response to us may use; chunk extensions and trailers are skipped);
 * Location, Content-Type, Connection: close.  Lines end in CRLF or LF.
 */


static ngx_int_t ngx_rtc_http_parse_line(u_char **pos, u_char *end,
    ngx_str_t *line);
static ngx_int_t ngx_rtc_http_parse_header(ngx_str_t *line,
    ngx_rtc_http_response_t *r);
static ngx_int_t ngx_rtc_http_parse_chunked(u_char *p, u_char *end,
    ngx_rtc_http_response_t *r);
static ngx_int_t ngx_rtc_http_is(ngx_str_t *name, const char *lit);
static void ngx_rtc_http_trim(ngx_str_t *s);


ngx_int_t
ngx_rtc_http_parse_response(u_char *buf, size_t len, ngx_uint_t eof,
    ngx_rtc_http_response_t *r)
{
    u_char      *p, *end;
    ngx_int_t    rc;
    ngx_str_t    line;
    ngx_uint_t   n;

    ngx_memzero(r, sizeof(ngx_rtc_http_response_t));
    r->content_length = -1;

    p = buf;
    end = buf + len;

    /* the status line */

    rc = ngx_rtc_http_parse_line(&p, end, &line);

    if (rc != NGX_OK) {
        if (rc == NGX_AGAIN && eof) {
            r->err = "connection closed before a response";
            return NGX_ERROR;
        }

        r->err = (rc == NGX_AGAIN) ? NULL : "invalid status line";
        return rc;
    }

    if (line.len < 12
        || ngx_strncmp(line.data, "HTTP/1.", 7) != 0
        || (line.data[7] != '0' && line.data[7] != '1')
        || line.data[8] != ' '
        || line.data[9] < '1' || line.data[9] > '5'
        || line.data[10] < '0' || line.data[10] > '9'
        || line.data[11] < '0' || line.data[11] > '9'
        || (line.len > 12 && line.data[12] != ' '))
    {
        r->err = "invalid status line";
        return NGX_ERROR;
    }

    r->status = (line.data[9] - '0') * 100 + (line.data[10] - '0') * 10
                + (line.data[11] - '0');

    /* header fields up to the empty line */

    for (n = 0; /* void */; n++) {
        rc = ngx_rtc_http_parse_line(&p, end, &line);

        if (rc == NGX_AGAIN) {
            if (eof) {
                r->err = "connection closed inside the header";
                return NGX_ERROR;
            }

            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            r->err = "invalid header line";
            return NGX_ERROR;
        }

        if (line.len == 0) {
            break;
        }

        if (n == NGX_RTC_HTTP_MAX_HEADERS) {
            r->err = "too many header fields";
            return NGX_ERROR;
        }

        if (ngx_rtc_http_parse_header(&line, r) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* RFC 9112 6.3: 1xx, 204 and 304 have no body */

    if (r->status < 200 || r->status == 204 || r->status == 304) {
        if (r->status < 200) {
            r->err = "interim responses are not expected";
            return NGX_ERROR;
        }

        r->body.data = p;
        return NGX_OK;
    }

    if (r->chunked) {
        rc = ngx_rtc_http_parse_chunked(p, end, r);

        if (rc == NGX_AGAIN && eof) {
            r->err = "connection closed inside the chunked body";
            return NGX_ERROR;
        }

        return rc;
    }

    r->body.data = p;

    if (r->content_length >= 0) {
        if ((off_t) (end - p) < r->content_length) {
            if (eof) {
                r->err = "connection closed inside the body";
                return NGX_ERROR;
            }

            return NGX_AGAIN;
        }

        r->body.len = (size_t) r->content_length;
        return NGX_OK;
    }

    /* no length: the body ends when the connection does */

    if (!eof) {
        return NGX_AGAIN;
    }

    r->body.len = end - p;

    return NGX_OK;
}


/* a line ending in LF (CR LF); no control characters but HTAB inside */

static ngx_int_t
ngx_rtc_http_parse_line(u_char **pos, u_char *end, ngx_str_t *line)
{
    u_char  *p, *lf, *last;

    p = *pos;

    lf = ngx_strlchr(p, end, LF);

    if (lf == NULL) {
        return (end - p > NGX_RTC_HTTP_MAX_LINE) ? NGX_ERROR : NGX_AGAIN;
    }

    if (lf - p > NGX_RTC_HTTP_MAX_LINE) {
        return NGX_ERROR;
    }

    last = lf;

    if (last > p && last[-1] == CR) {
        last--;
    }

    line->data = p;
    line->len = last - p;

    for ( /* void */ ; p < last; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            return NGX_ERROR;
        }
    }

    *pos = lf + 1;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_http_parse_header(ngx_str_t *line, ngx_rtc_http_response_t *r)
{
    u_char     *colon, *p;
    off_t       n;
    ngx_str_t   name, value;

    if (line->data[0] == ' ' || line->data[0] == '\t') {
        r->err = "obsolete header line folding";
        return NGX_ERROR;
    }

    colon = ngx_strlchr(line->data, line->data + line->len, ':');

    if (colon == NULL || colon == line->data) {
        r->err = "invalid header line";
        return NGX_ERROR;
    }

    name.data = line->data;
    name.len = colon - line->data;

    /* RFC 9112 5.1: no whitespace between the name and the colon */

    for (p = name.data; p < colon; p++) {
        if (*p <= ' ' || *p >= 0x7f) {
            r->err = "invalid header name";
            return NGX_ERROR;
        }
    }

    value.data = colon + 1;
    value.len = line->data + line->len - value.data;

    ngx_rtc_http_trim(&value);

    if (ngx_rtc_http_is(&name, "content-length")) {
        if (value.len == 0 || value.len > 9) {
            r->err = "invalid Content-Length";
            return NGX_ERROR;
        }

        n = 0;

        for (p = value.data; p < value.data + value.len; p++) {
            if (*p < '0' || *p > '9') {
                r->err = "invalid Content-Length";
                return NGX_ERROR;
            }

            n = n * 10 + (*p - '0');
        }

        if (r->content_length >= 0 && r->content_length != n) {
            r->err = "invalid Content-Length";
            return NGX_ERROR;
        }

        r->content_length = n;

    } else if (ngx_rtc_http_is(&name, "transfer-encoding")) {
        if (!(value.len == 7
              && ngx_strncasecmp(value.data, (u_char *) "chunked", 7) == 0))
        {
            r->err = "unsupported Transfer-Encoding";
            return NGX_ERROR;
        }

        r->chunked = 1;

    } else if (ngx_rtc_http_is(&name, "location")) {
        r->location = value;

    } else if (ngx_rtc_http_is(&name, "content-type")) {
        r->content_type = value;

    } else if (ngx_rtc_http_is(&name, "connection")) {
        if (value.len == 5
            && ngx_strncasecmp(value.data, (u_char *) "close", 5) == 0)
        {
            r->close = 1;
        }
    }

    /* RFC 9112 6.3: Transfer-Encoding overrides Content-Length */

    if (r->chunked) {
        r->content_length = -1;
    }

    return NGX_OK;
}


/*
 * RFC 9112 7.1: chunk-size [ext] CRLF data CRLF ... 0 [ext] CRLF
 * trailers CRLF.  Checked whole first, then the data moved together in
 * place (forward only: each chunk's data lands at or before where it was).
 */

static ngx_int_t
ngx_rtc_http_parse_chunked(u_char *p, u_char *end, ngx_rtc_http_response_t *r)
{
    u_char     *start, *out, *q, *data;
    size_t      size, total;
    ngx_int_t   rc, pass;
    ngx_str_t   line;

    start = p;

    for (pass = 0; pass < 2; pass++) {
        p = start;
        out = start;
        total = 0;

        for ( ;; ) {
            rc = ngx_rtc_http_parse_line(&p, end, &line);

            if (rc != NGX_OK) {
                r->err = (rc == NGX_AGAIN) ? NULL : "invalid chunk size";
                return rc;
            }

            size = 0;

            for (q = line.data; q < line.data + line.len; q++) {
                if (*q >= '0' && *q <= '9') {
                    size = size * 16 + (*q - '0');

                } else if ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'f') {
                    size = size * 16 + ((*q | 0x20) - 'a' + 10);

                } else {
                    break;
                }

                if (size > NGX_MAX_INT32_VALUE) {
                    r->err = "invalid chunk size";
                    return NGX_ERROR;
                }
            }

            if (q == line.data
                || (q < line.data + line.len && *q != ';' && *q != ' '
                    && *q != '\t'))
            {
                r->err = "invalid chunk size";
                return NGX_ERROR;
            }

            if (size == 0) {
                break;
            }

            if ((size_t) (end - p) < size + 1) {
                return NGX_AGAIN;
            }

            data = p;
            p += size;

            /* CRLF or LF after the data */

            if (*p == CR) {
                if (end - p < 2) {
                    return NGX_AGAIN;
                }

                p++;
            }

            if (*p != LF) {
                r->err = "invalid chunk end";
                return NGX_ERROR;
            }

            p++;

            if (pass == 1) {
                ngx_memmove(out, data, size);
                out += size;
            }

            total += size;
        }

        /* trailer fields, skipped, up to the empty line */

        for ( ;; ) {
            rc = ngx_rtc_http_parse_line(&p, end, &line);

            if (rc != NGX_OK) {
                r->err = (rc == NGX_AGAIN) ? NULL : "invalid trailer";
                return rc;
            }

            if (line.len == 0) {
                break;
            }
        }
    }

    r->body.data = start;
    r->body.len = total;

    return NGX_OK;
}


static ngx_int_t
ngx_rtc_http_is(ngx_str_t *name, const char *lit)
{
    size_t  n;

    n = ngx_strlen(lit);

    return name->len == n
           && ngx_strncasecmp(name->data, (u_char *) lit, n) == 0;
}


static void
ngx_rtc_http_trim(ngx_str_t *s)
{
    while (s->len && (s->data[0] == ' ' || s->data[0] == '\t')) {
        s->data++;
        s->len--;
    }

    while (s->len
           && (s->data[s->len - 1] == ' ' || s->data[s->len - 1] == '\t'))
    {
        s->len--;
    }
}
