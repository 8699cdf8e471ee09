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
