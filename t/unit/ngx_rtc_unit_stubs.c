/*
 * Copyright (C) nginx-rtc authors
 *
 * Debian's nginx-dev ships nginx's headers, not its sources, so the unit
 * tests cannot link nginx's core objects.  This file provides the process
 * globals and the few core functions the pure sources call, written for the
 * tests (the module itself resolves them in the nginx binary).
 * Supported ngx_sprintf() formats: %V %s %*s %c %% %d %i %D %L %O %z %p and
 * their u/x/X variants with an optional zero-padded width.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>


volatile ngx_cycle_t  *ngx_cycle;
volatile ngx_msec_t    ngx_current_msec;
ngx_uint_t             ngx_pagesize;
ngx_queue_t            ngx_posted_events;


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   *p, buf[2048];
    va_list   args;

    if (getenv("NGX_RTC_UNIT_LOG") == NULL) {
        return;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf) - 1, fmt, args);
    va_end(args);

    *p = '\0';
    fprintf(stderr, "log[%lu]: %s\n", (unsigned long) level, buf);
}


#if (NGX_DEBUG)

void
ngx_log_debug_core(ngx_log_t *log, ngx_err_t err, const char *fmt, ...)
{
}

#endif


static u_char *
ngx_rtc_unit_num(u_char *buf, u_char *last, uint64_t ui64, u_char zero,
    ngx_uint_t hex, ngx_uint_t width)
{
    u_char          *p, temp[NGX_INT64_LEN + 1];
    size_t           len;
    static u_char    hexl[] = "0123456789abcdef";
    static u_char    hexu[] = "0123456789ABCDEF";

    p = temp + NGX_INT64_LEN;

    do {
        if (hex) {
            *--p = (hex == 1 ? hexl : hexu)[ui64 & 0xf];
            ui64 >>= 4;

        } else {
            *--p = (u_char) (ui64 % 10 + '0');
            ui64 /= 10;
        }
    } while (ui64);

    len = (temp + NGX_INT64_LEN) - p;

    while (len++ < width && buf < last) {
        *buf++ = zero;
    }

    len = (temp + NGX_INT64_LEN) - p;

    if (buf + len > last) {
        len = last - buf;
    }

    return ngx_cpymem(buf, p, len);
}


u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    u_char       *p, zero;
    size_t        len, slen;
    int64_t       i64;
    uint64_t      ui64;
    ngx_str_t    *v;
    ngx_uint_t    width, sign, hex, star;

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = *fmt++;
            continue;
        }

        fmt++;
        zero = (u_char) ((*fmt == '0') ? '0' : ' ');
        width = 0;
        sign = 1;
        hex = 0;
        star = 0;
        slen = (size_t) -1;

        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }

        for ( ;; ) {
            switch (*fmt) {
            case 'u': sign = 0; fmt++; continue;
            case 'x': hex = 1; sign = 0; fmt++; continue;
            case 'X': hex = 2; sign = 0; fmt++; continue;
            case '*': star = 1; slen = va_arg(args, size_t); fmt++; continue;
            default: break;
            }
            break;
        }

        switch (*fmt) {

        case 'V':
            v = va_arg(args, ngx_str_t *);
            len = ngx_min((size_t) (last - buf), v->len);
            buf = ngx_cpymem(buf, v->data, len);
            fmt++;
            continue;

        case 's':
            p = va_arg(args, u_char *);
            while ((star ? slen-- > 0 : *p != '\0') && buf < last) {
                *buf++ = *p++;
            }
            fmt++;
            continue;

        case 'c':
            *buf++ = (u_char) va_arg(args, int);
            fmt++;
            continue;

        case '%':
            *buf++ = '%';
            fmt++;
            continue;

        case 'p':
            ui64 = (uintptr_t) va_arg(args, void *);
            hex = 2;
            sign = 0;
            zero = '0';
            width = 2 * sizeof(void *);
            break;

        case 'd':
            i64 = sign ? (int64_t) va_arg(args, int)
                       : (int64_t) va_arg(args, u_int);
            ui64 = (uint64_t) i64;
            break;

        case 'z':
            i64 = sign ? (int64_t) va_arg(args, ssize_t)
                       : (int64_t) va_arg(args, size_t);
            ui64 = (uint64_t) i64;
            break;

        case 'i':
            i64 = sign ? (int64_t) va_arg(args, ngx_int_t)
                       : (int64_t) va_arg(args, ngx_uint_t);
            ui64 = (uint64_t) i64;
            break;

        case 'D':
            i64 = sign ? (int64_t) va_arg(args, int32_t)
                       : (int64_t) va_arg(args, uint32_t);
            ui64 = (uint64_t) i64;
            break;

        case 'L':
        case 'O':
        case 'T':
        case 'M':
            i64 = sign ? va_arg(args, int64_t) : (int64_t) va_arg(args, uint64_t);
            ui64 = (uint64_t) i64;
            break;

        default:
            *buf++ = *fmt++;
            continue;
        }

        if (*fmt != 'p') {
            if (sign && i64 < 0) {
                *buf++ = '-';
                ui64 = (uint64_t) -i64;
            }
        }

        if (buf < last) {
            buf = ngx_rtc_unit_num(buf, last, ui64, zero, hex, width);
        }

        fmt++;
    }

    return buf;
}


u_char * ngx_cdecl
ngx_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, (void *) -1, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_snprintf(u_char *buf, size_t max, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + max, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    if (n == 0) {
        return 0;
    }

    return strncasecmp((char *) s1, (char *) s2, n);
}


ngx_int_t
ngx_strcasecmp(u_char *s1, u_char *s2)
{
    return strcasecmp((char *) s1, (char *) s2);
}


u_char *
ngx_cpystrn(u_char *dst, u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;

        if (*dst == '\0') {
            return dst;
        }

        dst++;
        src++;
    }

    *dst = '\0';

    return dst;
}


u_char *
ngx_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n)
{
    n++;

    for ( /* void */ ; s1 + n <= last; s1++) {
        if (ngx_strncasecmp(s1, s2, n) == 0) {
            return s1;
        }
    }

    return NULL;
}


ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value;

    if (n == 0) {
        return NGX_ERROR;
    }

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        if (value >= NGX_MAX_INT_T_VALUE / 10) {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


ngx_int_t
ngx_hextoi(u_char *line, size_t n)
{
    u_char     c;
    ngx_int_t  value;

    if (n == 0) {
        return NGX_ERROR;
    }

    for (value = 0; n--; line++) {
        if (value > NGX_MAX_INT_T_VALUE / 16) {
            return NGX_ERROR;
        }

        c = (u_char) (*line | 0x20);

        if (*line >= '0' && *line <= '9') {
            value = value * 16 + (*line - '0');

        } else if (c >= 'a' && c <= 'f') {
            value = value * 16 + (c - 'a' + 10);

        } else {
            return NGX_ERROR;
        }
    }

    return value;
}


void
ngx_encode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    u_char         *d, *s;
    size_t          len;
    static u_char   b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    s = src->data;
    d = dst->data;

    for (len = src->len; len > 2; len -= 3, s += 3) {
        *d++ = b64[s[0] >> 2];
        *d++ = b64[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = b64[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = b64[s[2] & 0x3f];
    }

    if (len) {
        *d++ = b64[s[0] >> 2];

        if (len == 1) {
            *d++ = b64[(s[0] & 3) << 4];
            *d++ = '=';

        } else {
            *d++ = b64[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = b64[(s[1] & 0x0f) << 2];
        }

        *d++ = '=';
    }

    dst->len = d - dst->data;
}


ngx_int_t
ngx_decode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    u_char      *d, c;
    size_t       i, n;
    uint32_t     acc;
    ngx_uint_t   v;

    d = dst->data;
    acc = 0;
    n = 0;

    for (i = 0; i < src->len; i++) {
        c = src->data[i];

        if (c == '=') {
            break;
        }

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;

        } else if (c == '+') {
            v = 62;

        } else if (c == '/') {
            v = 63;

        } else {
            return NGX_ERROR;
        }

        acc = (acc << 6) | v;

        if (++n == 4) {
            *d++ = (u_char) (acc >> 16);
            *d++ = (u_char) (acc >> 8);
            *d++ = (u_char) acc;
            acc = 0;
            n = 0;
        }
    }

    if (n == 1) {
        return NGX_ERROR;
    }

    if (n == 2) {
        *d++ = (u_char) (acc >> 4);

    } else if (n == 3) {
        *d++ = (u_char) (acc >> 10);
        *d++ = (u_char) (acc >> 2);
    }

    dst->len = d - dst->data;

    return NGX_OK;
}
