/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc_ws_frame.h>


/*
 * WebSocket framing (RFC 6455, 5): the parts that need no connection,
 * for ngx_rtc_ws.c, the unit tests and the fuzzer.
 */


#define ngx_rtc_ws_frame_error(f, c, e)                                       \
    (f)->code = c; (f)->err = e; return NGX_ERROR


ngx_int_t
ngx_rtc_ws_frame_parse(u_char *pos, u_char *last, size_t max,
    ngx_rtc_ws_frame_t *f)
{
    u_char      *p;
    uint64_t     len;
    ngx_uint_t   i, n;

    if (last - pos < 2) {
        return NGX_AGAIN;
    }

    p = pos;

    f->fin = p[0] >> 7;
    f->opcode = p[0] & 0x0f;

    /* 5.2: RSV1-3 must be 0 unless an extension says otherwise */

    if (p[0] & 0x70) {
        ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_PROTOCOL,
                               "reserved bits set");
    }

    switch (f->opcode) {

    case NGX_RTC_WS_CONT:
    case NGX_RTC_WS_TEXT:
    case NGX_RTC_WS_BINARY:
        break;

    case NGX_RTC_WS_CLOSE:
    case NGX_RTC_WS_PING:
    case NGX_RTC_WS_PONG:

        /* 5.5: control frames are short and never fragmented */

        if (!f->fin) {
            ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_PROTOCOL,
                                   "fragmented control frame");
        }

        if ((p[1] & 0x7f) > NGX_RTC_WS_MAX_CONTROL) {
            ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_PROTOCOL,
                                   "control frame too long");
        }

        break;

    default:
        ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_PROTOCOL,
                               "unknown opcode");
    }

    /* 5.1: a server closes the connection on an unmasked client frame */

    if (!(p[1] & 0x80)) {
        ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_PROTOCOL,
                               "unmasked frame");
    }

    len = p[1] & 0x7f;
    p += 2;

    n = (len == 126) ? 2 : (len == 127) ? 8 : 0;

    if ((size_t) (last - p) < n + 4) {
        return NGX_AGAIN;
    }

    if (n) {
        len = 0;

        for (i = 0; i < n; i++) {
            len = (len << 8) | *p++;
        }

        /* 5.2: the most significant bit must be 0 */

        if (len >> 63) {
            ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_PROTOCOL,
                                   "bad payload length");
        }
    }

    if (len > max) {
        ngx_rtc_ws_frame_error(f, NGX_RTC_WS_CLOSE_TOO_BIG,
                               "frame too large");
    }

    ngx_memcpy(f->mask, p, 4);
    p += 4;

    f->len = len;
    f->header = p - pos;
    f->code = 0;
    f->err = NULL;

    return NGX_OK;
}


void
ngx_rtc_ws_frame_unmask(u_char *p, size_t len, u_char *mask, uint64_t off)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        p[i] ^= mask[(off + i) & 3];
    }
}


u_char *
ngx_rtc_ws_frame_header(u_char *p, ngx_uint_t opcode, size_t len)
{
    *p++ = (u_char) (0x80 | opcode);

    if (len < 126) {
        *p++ = (u_char) len;

    } else if (len < 65536) {
        *p++ = 126;
        *p++ = (u_char) (len >> 8);
        *p++ = (u_char) len;

    } else {
        *p++ = 127;
        *p++ = 0;
        *p++ = 0;
        *p++ = 0;
        *p++ = 0;
        *p++ = (u_char) (len >> 24);
        *p++ = (u_char) (len >> 16);
        *p++ = (u_char) (len >> 8);
        *p++ = (u_char) len;
    }

    return p;
}


ngx_uint_t
ngx_rtc_ws_close_code_valid(ngx_uint_t code)
{
    /* 7.4.1, 7.4.2: 1004-1006 and 1015 are never sent; 1012-1014 are */

    return (code >= 1000 && code <= 1003)
           || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}


/*
 * The state: the continuation bytes still expected (bits 0-1) and the
 * range the next one must be in (bits 8-15 low, 16-23 high), narrower
 * than 0x80-0xbf after E0, ED, F0 and F4 (RFC 3629, 4).
 */

ngx_int_t
ngx_rtc_ws_utf8(ngx_uint_t *state, u_char *p, size_t len)
{
    u_char      c, lo, hi;
    size_t      i;
    ngx_uint_t  need;

    need = *state & 3;
    lo = (u_char) (*state >> 8);
    hi = (u_char) (*state >> 16);

    for (i = 0; i < len; i++) {
        c = p[i];

        if (need) {
            if (c < lo || c > hi) {
                return NGX_ERROR;
            }

            need--;
            lo = 0x80;
            hi = 0xbf;
            continue;
        }

        if (c < 0x80) {
            continue;
        }

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;

            if (c == 0xe0) {
                lo = 0xa0;

            } else if (c == 0xed) {
                hi = 0x9f;
            }

        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;

            if (c == 0xf0) {
                lo = 0x90;

            } else if (c == 0xf4) {
                hi = 0x8f;
            }

        } else {
            return NGX_ERROR;
        }
    }

    *state = need | ((ngx_uint_t) lo << 8) | ((ngx_uint_t) hi << 16);

    if (need == 0) {
        *state = 0;
    }

    return NGX_OK;
}
