/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_json.h>


/*
 * A small JSON reader for signalling messages (go2rtc's API): check a
 * whole text once, then look members up and unescape strings.  Nothing
 * is allocated; the depth is bounded, so is the stack.
 */


static u_char *ngx_rtc_json_value(u_char *p, u_char *end, ngx_uint_t depth,
    ngx_rtc_json_t *v);
static u_char *ngx_rtc_json_skip_string(u_char *p, u_char *end);
static u_char *ngx_rtc_json_skip_number(u_char *p, u_char *end);
static u_char *ngx_rtc_json_ws(u_char *p, u_char *end);
static ngx_int_t ngx_rtc_json_hex4(u_char *p, ngx_uint_t *cp);


ngx_int_t
ngx_rtc_json_parse(u_char *p, u_char *end, ngx_rtc_json_t *v)
{
    p = ngx_rtc_json_ws(p, end);

    p = ngx_rtc_json_value(p, end, 0, v);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p = ngx_rtc_json_ws(p, end);

    return (p == end) ? NGX_OK : NGX_ERROR;
}


static u_char *
ngx_rtc_json_value(u_char *p, u_char *end, ngx_uint_t depth,
    ngx_rtc_json_t *v)
{
    u_char          close;
    ngx_rtc_json_t  item;

    if (p >= end) {
        return NULL;
    }

    v->start = p;

    switch (*p) {

    case '"':
        v->type = NGX_RTC_JSON_STRING;
        p = ngx_rtc_json_skip_string(p, end);
        break;

    case '{':
    case '[':
        if (depth >= NGX_RTC_JSON_MAX_DEPTH) {
            return NULL;
        }

        v->type = (*p == '{') ? NGX_RTC_JSON_OBJECT : NGX_RTC_JSON_ARRAY;
        close = (*p == '{') ? '}' : ']';

        p = ngx_rtc_json_ws(p + 1, end);

        if (p < end && *p == close) {
            p++;
            break;
        }

        for ( ;; ) {
            if (v->type == NGX_RTC_JSON_OBJECT) {
                if (p >= end || *p != '"') {
                    return NULL;
                }

                p = ngx_rtc_json_skip_string(p, end);
                if (p == NULL) {
                    return NULL;
                }

                p = ngx_rtc_json_ws(p, end);

                if (p >= end || *p != ':') {
                    return NULL;
                }

                p = ngx_rtc_json_ws(p + 1, end);
            }

            p = ngx_rtc_json_value(p, end, depth + 1, &item);
            if (p == NULL) {
                return NULL;
            }

            p = ngx_rtc_json_ws(p, end);

            if (p >= end) {
                return NULL;
            }

            if (*p == close) {
                p++;
                break;
            }

            if (*p != ',') {
                return NULL;
            }

            p = ngx_rtc_json_ws(p + 1, end);
        }

        break;

    case 't':
        v->type = NGX_RTC_JSON_TRUE;
        p = (end - p >= 4 && ngx_strncmp(p, "true", 4) == 0) ? p + 4 : NULL;
        break;

    case 'f':
        v->type = NGX_RTC_JSON_FALSE;
        p = (end - p >= 5 && ngx_strncmp(p, "false", 5) == 0) ? p + 5 : NULL;
        break;

    case 'n':
        v->type = NGX_RTC_JSON_NULL;
        p = (end - p >= 4 && ngx_strncmp(p, "null", 4) == 0) ? p + 4 : NULL;
        break;

    default:
        v->type = NGX_RTC_JSON_NUMBER;
        p = ngx_rtc_json_skip_number(p, end);
    }

    v->end = p;

    return p;
}


/* RFC 8259, 7: escapes checked, control characters refused */

static u_char *
ngx_rtc_json_skip_string(u_char *p, u_char *end)
{
    ngx_uint_t  cp;

    for (p++; p < end; p++) {

        if (*p == '"') {
            return p + 1;
        }

        if (*p < 0x20) {
            return NULL;
        }

        if (*p != '\\') {
            continue;
        }

        if (++p >= end) {
            return NULL;
        }

        switch (*p) {
        case '"': case '\\': case '/': case 'b':
        case 'f': case 'n': case 'r': case 't':
            break;

        case 'u':
            if (end - p < 5 || ngx_rtc_json_hex4(p + 1, &cp) != NGX_OK) {
                return NULL;
            }

            p += 4;
            break;

        default:
            return NULL;
        }
    }

    return NULL;
}


/* RFC 8259, 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

static u_char *
ngx_rtc_json_skip_number(u_char *p, u_char *end)
{
    u_char  *d;

    if (p < end && *p == '-') {
        p++;
    }

    if (p >= end || *p < '0' || *p > '9') {
        return NULL;
    }

    if (*p == '0') {
        p++;

    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && *p == '.') {
        d = ++p;

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p == d) {
            return NULL;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        d = p;

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }

        if (p == d) {
            return NULL;
        }
    }

    return p;
}


static u_char *
ngx_rtc_json_ws(u_char *p, u_char *end)
{
    while (p < end
           && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    return p;
}


static ngx_int_t
ngx_rtc_json_hex4(u_char *p, ngx_uint_t *cp)
{
    ngx_int_t  n;

    n = ngx_hextoi(p, 4);

    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *cp = (ngx_uint_t) n;

    return NGX_OK;
}


ngx_int_t
ngx_rtc_json_get(ngx_rtc_json_t *obj, char *key, ngx_rtc_json_t *v)
{
    u_char          *p, *k, *end;
    size_t           len;
    ngx_rtc_json_t   item;

    if (obj->type != NGX_RTC_JSON_OBJECT) {
        return NGX_DECLINED;
    }

    len = ngx_strlen(key);
    end = obj->end - 1;
    p = ngx_rtc_json_ws(obj->start + 1, end);

    while (p < end) {
        k = p;

        p = ngx_rtc_json_skip_string(p, end);
        if (p == NULL) {
            return NGX_DECLINED;
        }

        /* k + 1 .. p - 1: the key as written */

        p = ngx_rtc_json_ws(p, end);
        p = ngx_rtc_json_ws(p + 1, end);         /* ':' */

        p = ngx_rtc_json_value(p, end, 1, &item);
        if (p == NULL) {
            return NGX_DECLINED;
        }

        if ((size_t) (item.start - k) >= len + 2
            && (size_t) (ngx_strlchr(k + 1, item.start, '"') - (k + 1))
               == len
            && ngx_strncmp(k + 1, key, len) == 0)
        {
            *v = item;
            return NGX_OK;
        }

        p = ngx_rtc_json_ws(p, end);
        p = ngx_rtc_json_ws(p + 1, end);         /* ',' */
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_rtc_json_string(ngx_rtc_json_t *v, ngx_str_t *dst)
{
    u_char      *p, *d, *end;
    ngx_uint_t   cp, lo;

    if (v->type != NGX_RTC_JSON_STRING) {
        return NGX_ERROR;
    }

    d = dst->data;
    end = v->end - 1;

    for (p = v->start + 1; p < end; p++) {

        if (*p != '\\') {
            *d++ = *p;
            continue;
        }

        p++;

        switch (*p) {
        case 'b': *d++ = '\b'; continue;
        case 'f': *d++ = '\f'; continue;
        case 'n': *d++ = '\n'; continue;
        case 'r': *d++ = '\r'; continue;
        case 't': *d++ = '\t'; continue;
        case 'u': break;
        default:  *d++ = *p; continue;
        }

        cp = 0;
        (void) ngx_rtc_json_hex4(p + 1, &cp);
        p += 4;

        if (cp >= 0xd800 && cp <= 0xdbff) {

            /* RFC 8259, 7: a pair of escaped UTF-16 surrogates */

            if (end - p < 7 || p[1] != '\\' || p[2] != 'u'
                || ngx_rtc_json_hex4(p + 3, &lo) != NGX_OK
                || lo < 0xdc00 || lo > 0xdfff)
            {
                return NGX_ERROR;
            }

            p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);

        } else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
            return NGX_ERROR;
        }

        if (cp < 0x80) {
            *d++ = (u_char) cp;

        } else if (cp < 0x800) {
            *d++ = (u_char) (0xc0 | (cp >> 6));
            *d++ = (u_char) (0x80 | (cp & 0x3f));

        } else if (cp < 0x10000) {
            *d++ = (u_char) (0xe0 | (cp >> 12));
            *d++ = (u_char) (0x80 | ((cp >> 6) & 0x3f));
            *d++ = (u_char) (0x80 | (cp & 0x3f));

        } else {
            *d++ = (u_char) (0xf0 | (cp >> 18));
            *d++ = (u_char) (0x80 | ((cp >> 12) & 0x3f));
            *d++ = (u_char) (0x80 | ((cp >> 6) & 0x3f));
            *d++ = (u_char) (0x80 | (cp & 0x3f));
        }
    }

    dst->len = d - dst->data;

    return NGX_OK;
}
