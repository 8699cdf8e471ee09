/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_auth.h>
#include <ngx_rtc_runtime_args.h>


/*
 * go2rtc's PUT /api/streams names a stream and lists its sources, as Home
 * Assistant sends them:
 *
 *     name=camera.front_door
 *     &src=rtsp://user:pass@10.0.0.2/stream1
 *     &src=ffmpeg:camera.front_door#audio=opus#query=log_level=debug
 *     &src=ffmpeg:camera.front_door#video=mjpeg
 *
 * Of these we use the first rtsp:// or rtsps:// source (go2rtc's options
 * after "#" dropped), and audio=opus when an ffmpeg: source asks for it;
 * other sources are ignored.  Home Assistant's "generic" cameras come as
 * "ffmpeg:rtsp://...": such a camera is pulled as is when no plain
 * rtsp:// source is given.  Values are percent-decoded, "+" as a space
 * (as go2rtc's Go reads them).
 */


static u_char *ngx_rtc_runtime_args_decode(u_char *dst, u_char *p,
    u_char *last);
static ngx_uint_t ngx_rtc_runtime_args_rtsp(u_char *p, u_char *last);
static ngx_uint_t ngx_rtc_runtime_args_has(u_char *p, u_char *last,
    const char *option);
static u_char *ngx_rtc_runtime_args_secrets(u_char *p, u_char *last);
static ngx_uint_t ngx_rtc_runtime_args_name_char(u_char ch);
static ngx_uint_t ngx_rtc_runtime_args_value_end(u_char *p, u_char *last);
static u_char *ngx_rtc_runtime_args_match(u_char *p, u_char *last,
    const char *raw, const char *encoded);


ngx_int_t
ngx_rtc_runtime_args_parse(ngx_str_t *args, u_char *buf,
    ngx_rtc_runtime_args_t *out, const char **err)
{
    u_char      *p, *last, *key, *eq, *amp, *v, *vlast, *hash;
    size_t       klen;
    ngx_str_t    ffmpeg;
    ngx_uint_t   i, named;

    ngx_memzero(out, sizeof(ngx_rtc_runtime_args_t));
    out->audio = NGX_RTC_AUDIO_COPY;

    ngx_str_null(&ffmpeg);
    named = 0;

    p = args->data;
    last = args->data + args->len;

    while (p < last) {
        key = p;

        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        p = amp + 1;

        eq = ngx_strlchr(key, amp, '=');
        if (eq == NULL) {
            continue;
        }

        klen = eq - key;

        v = buf;
        vlast = ngx_rtc_runtime_args_decode(buf, eq + 1, amp);
        buf = vlast;

        if (klen == 4 && ngx_strncmp(key, "name", 4) == 0) {
            if (!named) {
                out->name.data = v;
                out->name.len = vlast - v;
                named = 1;
            }

            continue;
        }

        if (klen != 3 || ngx_strncmp(key, "src", 3) != 0) {
            continue;
        }

        out->nsrc++;

        hash = ngx_strlchr(v, vlast, '#');
        if (hash == NULL) {
            hash = vlast;
        }

        if (ngx_rtc_runtime_args_rtsp(v, hash)) {
            if (out->url.len == 0) {
                out->url.data = v;
                out->url.len = hash - v;
                continue;
            }

        } else if (vlast - v > 7 && ngx_strncmp(v, "ffmpeg:", 7) == 0) {

            if (ngx_rtc_runtime_args_has(hash, vlast, "audio=opus")) {
                out->audio = NGX_RTC_AUDIO_OPUS;
            }

            if (ffmpeg.len == 0 && ngx_rtc_runtime_args_rtsp(v + 7, hash)) {
                ffmpeg.data = v + 7;
                ffmpeg.len = hash - (v + 7);
            }
        }

        out->ignored++;
    }

    if (!named || out->name.len == 0) {
        *err = "needs a name";
        return NGX_ERROR;
    }

    if (out->name.len >= NGX_RTC_NAME_LEN) {
        *err = "the name is too long";
        return NGX_ERROR;
    }

    /* the names rtc_stream takes, so that every name works in a URL */

    for (i = 0; i < out->name.len; i++) {
        if (!(isalnum(out->name.data[i]) || out->name.data[i] == '_'
              || out->name.data[i] == '-' || out->name.data[i] == '.'))
        {
            *err = "the name has a character other than letters, digits, "
                   "\"_\", \"-\" and \".\"";
            return NGX_ERROR;
        }
    }

    if (out->url.len == 0 && ffmpeg.len) {
        out->url = ffmpeg;
        out->ignored--;
    }

    return NGX_OK;
}


static u_char *
ngx_rtc_runtime_args_decode(u_char *dst, u_char *p, u_char *last)
{
    u_char  c, h, l;

    while (p < last) {
        c = *p++;

        if (c == '+') {
            *dst++ = ' ';
            continue;
        }

        if (c == '%' && last - p >= 2) {
            h = (u_char) (p[0] | 0x20);
            l = (u_char) (p[1] | 0x20);

            if (((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'))
                && ((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f')))
            {
                h = (h <= '9') ? h - '0' : h - 'a' + 10;
                l = (l <= '9') ? l - '0' : l - 'a' + 10;
                *dst++ = (u_char) ((h << 4) | l);
                p += 2;
                continue;
            }
        }

        *dst++ = c;
    }

    return dst;
}


static ngx_uint_t
ngx_rtc_runtime_args_rtsp(u_char *p, u_char *last)
{
    return (last - p > 7 && ngx_strncasecmp(p, (u_char *) "rtsp://", 7) == 0)
           || (last - p > 8
               && ngx_strncasecmp(p, (u_char *) "rtsps://", 8) == 0);
}


/* "#audio=opus" among go2rtc's "#option" list that starts at p */

static ngx_uint_t
ngx_rtc_runtime_args_has(u_char *p, u_char *last, const char *option)
{
    u_char  *end;
    size_t   len;

    len = ngx_strlen(option);

    while (p < last) {
        p++;                                    /* '#' */

        end = ngx_strlchr(p, last, '#');
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) == len && ngx_strncmp(p, option, len) == 0) {
            return 1;
        }

        p = end;
    }

    return 0;
}


/*
 * The query (or the request line) as nginx may log it (error.log lines of
 * the request, $request in access logs): the user information of every
 * URL in it, raw or percent-encoded, becomes "***" (up to the last "@"
 * before the first "/", as ngx_rtc_auth_parse_url() takes it: a "?" may be
 * in a password), and so do the values of secret names in their paths
 * and queries ("?pwd=x", "%3Fpassword%3Dx").  Never longer than the
 * query: dst has room for args->len bytes.  Returns the end.
 */

u_char *
ngx_rtc_runtime_args_redact(ngx_str_t *args, u_char *dst)
{
    u_char  *p, *last, *host, *at, *end, *q, *start;

    start = dst;
    p = args->data;
    last = args->data + args->len;

    while (p < last) {

        host = ngx_rtc_runtime_args_match(p, last, "://", "%3A%2F%2F");

        if (host == NULL) {
            break;
        }

        /* the authority ends at "/" (raw or encoded), or the value's end */

        at = NULL;

        for (q = host; q < last; q++) {
            if (*q == '/' || *q == '&' || *q == ' ') {
                break;
            }

            if (*q == '%' && last - q >= 3
                && ngx_strncasecmp(q, (u_char *) "%2F", 3) == 0)
            {
                break;
            }

            if (*q == '@') {
                at = q;

            } else if (*q == '%' && last - q >= 3
                       && ngx_strncasecmp(q, (u_char *) "%40", 3) == 0)
            {
                at = q;
            }
        }

        end = q;

        if (at == NULL || at == host) {
            dst = ngx_cpymem(dst, p, end - p);
            p = end;
            continue;
        }

        dst = ngx_cpymem(dst, p, host - p);
        dst = ngx_cpymem(dst, "***", ngx_min(3, (size_t) (at - host)));
        dst = ngx_cpymem(dst, at, end - at);
        p = end;
    }

    dst = ngx_cpymem(dst, p, last - p);

    return ngx_rtc_runtime_args_secrets(start, dst);
}


/*
 * In place: each value of a secret name ("pwd=", "token%3D") becomes "***"
 * (as many "*" as it has bytes, if fewer), up to the next separator, raw
 * or encoded.  A "%XX" is one unit: a name starts after it.
 */

static u_char *
ngx_rtc_runtime_args_secrets(u_char *p, u_char *last)
{
    u_char  *w, *name, *v;
    size_t   len, eq;

    w = p;

    while (p < last) {

        if (*p == '%' && last - p >= 3) {
            w = ngx_movemem(w, p, 3);
            p += 3;
            continue;
        }

        if (!ngx_rtc_runtime_args_name_char(*p)) {
            *w++ = *p++;
            continue;
        }

        name = p;

        while (p < last && ngx_rtc_runtime_args_name_char(*p)) {
            p++;
        }

        len = p - name;
        w = ngx_movemem(w, name, len);

        if (p < last && *p == '=') {
            eq = 1;

        } else if (last - p >= 3
                   && ngx_strncasecmp(p, (u_char *) "%3D", 3) == 0)
        {
            eq = 3;

        } else {
            continue;
        }

        w = ngx_movemem(w, p, eq);
        p += eq;

        if (!ngx_rtc_auth_secret_name(w - eq - len, len)) {
            continue;
        }

        for (v = p; v < last && !ngx_rtc_runtime_args_value_end(v, last); v++)
        {
            /* void */
        }

        w = ngx_cpymem(w, "***", ngx_min(3, (size_t) (v - p)));
        p = v;
    }

    return w;
}


static ngx_uint_t
ngx_rtc_runtime_args_name_char(u_char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9');
}


/* "&", ";", "/", "?", "#", a space, or one of them encoded */

static ngx_uint_t
ngx_rtc_runtime_args_value_end(u_char *p, u_char *last)
{
    if (*p == '&' || *p == ';' || *p == '/' || *p == '?' || *p == '#'
        || *p == ' ')
    {
        return 1;
    }

    return *p == '%' && last - p >= 3
           && (ngx_strncasecmp(p, (u_char *) "%26", 3) == 0
               || ngx_strncasecmp(p, (u_char *) "%3B", 3) == 0
               || ngx_strncasecmp(p, (u_char *) "%2F", 3) == 0
               || ngx_strncasecmp(p, (u_char *) "%3F", 3) == 0
               || ngx_strncasecmp(p, (u_char *) "%23", 3) == 0);
}


/* the end of the first "raw" or "encoded" (any case) from p, or NULL */

static u_char *
ngx_rtc_runtime_args_match(u_char *p, u_char *last, const char *raw,
    const char *encoded)
{
    size_t  rlen, elen;

    rlen = ngx_strlen(raw);
    elen = ngx_strlen(encoded);

    for ( /* void */ ; p < last; p++) {
        if ((size_t) (last - p) >= rlen && ngx_strncmp(p, raw, rlen) == 0) {
            return p + rlen;
        }

        if ((size_t) (last - p) >= elen
            && ngx_strncasecmp(p, (u_char *) encoded, elen) == 0)
        {
            return p + elen;
        }
    }

    return NULL;
}
