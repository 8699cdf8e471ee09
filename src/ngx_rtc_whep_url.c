/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <ngx_rtc_whep_url.h>


/*
 * The WHEP resource URL (pure): a request's URI (r->uri, percent-decoded
 * and normalized by nginx, so any byte may be in it) mapped to a stream
 * name (POST /whep/NAME) and to a session id (DELETE /whep/NAME/ID: 32 hex
 * digits, 16 bytes, the first naming the owner's worker slot).
 */


/* the last non-empty path segment; trailing slashes are not part of it */

void
ngx_rtc_whep_url_segment(ngx_str_t *uri, ngx_str_t *seg)
{
    u_char  *p, *end;

    end = uri->data + uri->len;

    while (end > uri->data && end[-1] == '/') {
        end--;
    }

    for (p = end; p > uri->data && p[-1] != '/'; p--) {
        /* void */
    }

    seg->data = p;
    seg->len = end - p;
}


/* the session id named by the last segment: exactly 32 hex digits */

ngx_int_t
ngx_rtc_whep_url_parse_id(ngx_str_t *uri, u_char *id)
{
    ngx_int_t   n;
    ngx_str_t   seg;
    ngx_uint_t  i;

    ngx_rtc_whep_url_segment(uri, &seg);

    if (seg.len != 2 * NGX_RTC_ID_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < NGX_RTC_ID_LEN; i++) {
        n = ngx_hextoi(seg.data + 2 * i, 2);
        if (n == NGX_ERROR) {
            return NGX_DECLINED;
        }

        id[i] = (u_char) n;
    }

    return NGX_OK;
}


/*
 * The Location of a new session (RFC 9725, 4.2): the request's path with
 * the session id (2 * NGX_RTC_ID_LEN hex digits) as its last segment.
 * The path is r->uri, which nginx has percent-decoded: every byte but an
 * RFC 3986 pchar (unreserved, sub-delims, ":", "@") or "/" is encoded
 * again, so that no CR, LF or other control byte reaches the header and
 * the URL names the same resource ("%", "?", "#" and blanks included).
 * dst has room for ngx_rtc_whep_url_location_len(uri) bytes.
 */

size_t
ngx_rtc_whep_url_location_len(ngx_str_t *uri)
{
    return 3 * uri->len + 1 + 2 * NGX_RTC_ID_LEN;
}


u_char *
ngx_rtc_whep_url_location(u_char *dst, ngx_str_t *uri, u_char *hex)
{
    u_char  c, *p, *end;

    static u_char  digits[] = "0123456789ABCDEF";

    end = uri->data + uri->len;

    for (p = uri->data; p < end; p++) {
        c = *p;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || (c != '\0' && ngx_strchr("-._~!$&'()*+,;=:@/", c)))
        {
            *dst++ = c;
            continue;
        }

        *dst++ = '%';
        *dst++ = digits[c >> 4];
        *dst++ = digits[c & 0xf];
    }

    if (uri->len == 0 || end[-1] != '/') {
        *dst++ = '/';
    }

    return ngx_cpymem(dst, hex, 2 * NGX_RTC_ID_LEN);
}
