/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WS_FRAME_H_INCLUDED_
#define _NGX_RTC_WS_FRAME_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* RFC 6455, 5.2: opcodes */
#define NGX_RTC_WS_CONT              0x0
#define NGX_RTC_WS_TEXT              0x1
#define NGX_RTC_WS_BINARY            0x2
#define NGX_RTC_WS_CLOSE             0x8
#define NGX_RTC_WS_PING              0x9
#define NGX_RTC_WS_PONG              0xa

/* RFC 6455, 7.4.1: close codes */
#define NGX_RTC_WS_CLOSE_NORMAL      1000
#define NGX_RTC_WS_CLOSE_GOING_AWAY  1001
#define NGX_RTC_WS_CLOSE_PROTOCOL    1002
#define NGX_RTC_WS_CLOSE_DATA_TYPE   1003
#define NGX_RTC_WS_CLOSE_BAD_DATA    1007
#define NGX_RTC_WS_CLOSE_POLICY      1008
#define NGX_RTC_WS_CLOSE_TOO_BIG     1009
#define NGX_RTC_WS_CLOSE_ERROR       1011

#define NGX_RTC_WS_MAX_HEADER        14   /* 2 + 8 (length) + 4 (mask) */
#define NGX_RTC_WS_MAX_CONTROL       125


/* a frame header as a client sends it */

typedef struct {
    ngx_uint_t                opcode;
    ngx_uint_t                fin;
    size_t                    header;     /* its bytes */
    uint64_t                  len;        /* of the payload */
    u_char                    mask[4];
    ngx_uint_t                code;       /* NGX_ERROR: a close code */
    const char               *err;        /* NGX_ERROR: why */
} ngx_rtc_ws_frame_t;


/*
 * Pure: the frame header at pos (RFC 6455, 5.2) from a client, whose
 * frames are masked (5.1); data frames of up to max bytes of payload.
 * NGX_OK, NGX_AGAIN (more bytes needed) or NGX_ERROR (f->code, f->err).
 */
ngx_int_t ngx_rtc_ws_frame_parse(u_char *pos, u_char *last, size_t max,
    ngx_rtc_ws_frame_t *f);

/* unmask in place len bytes at offset "off" of the payload (5.3) */
void ngx_rtc_ws_frame_unmask(u_char *p, size_t len, u_char *mask,
    uint64_t off);

/* a server frame's header (FIN set, not masked): at most 10 bytes */
u_char *ngx_rtc_ws_frame_header(u_char *p, ngx_uint_t opcode, size_t len);

/* 1 if a close frame may carry the code (7.4) */
ngx_uint_t ngx_rtc_ws_close_code_valid(ngx_uint_t code);

/*
 * Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF): *state starts at 0; NGX_ERROR on a bad byte;
 * at the end of a message *state must be 0 again.
 */
ngx_int_t ngx_rtc_ws_utf8(ngx_uint_t *state, u_char *p, size_t len);


#endif /* _NGX_RTC_WS_FRAME_H_INCLUDED_ */
