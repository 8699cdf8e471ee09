/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WS_H_INCLUDED_
#define _NGX_RTC_WS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc_ws_frame.h>


#define NGX_RTC_WS_MAX_MESSAGE   65536    /* a text message, reassembled */
#define NGX_RTC_WS_OUT           131072   /* frames not sent yet */


typedef struct ngx_rtc_ws_s  ngx_rtc_ws_t;

/* a whole text message, valid UTF-8; its bytes are the handler's to change */
typedef void (*ngx_rtc_ws_message_pt)(ngx_rtc_ws_t *ws, ngx_str_t *msg);

/* the connection is going: called once, ws still readable, nothing sent */
typedef void (*ngx_rtc_ws_closed_pt)(ngx_rtc_ws_t *ws);


struct ngx_rtc_ws_s {
    ngx_http_request_t       *request;
    ngx_connection_t         *connection;
    ngx_rtc_ws_message_pt     message;
    ngx_rtc_ws_closed_pt      closed;
    void                     *data;

    /* reading: one frame at a time, its payload into msg */
    u_char                   *in;
    u_char                   *in_pos;
    u_char                   *in_last;
    ngx_rtc_ws_frame_t        frame;
    uint64_t                  frame_got;  /* payload bytes of it so far */
    ngx_uint_t                msg_opcode; /* of the message, 0: none */
    u_char                   *msg;
    size_t                    msg_len;
    ngx_uint_t                utf8;
    u_char                    control[NGX_RTC_WS_MAX_CONTROL];
    ngx_msec_t                frame_start;    /* 0: between frames */
    ngx_msec_t                last_in;

    /* writing */
    u_char                   *out;
    u_char                   *out_pos;
    u_char                   *out_last;

    ngx_event_t               ping;

    unsigned                  in_frame:1;
    unsigned                  close_sent:1;
    unsigned                  finishing:1;
    unsigned                  done:1;
};


/*
 * GET with "Upgrade: websocket" (RFC 6455, 4.2): the 101 answer and the
 * connection from then on.  ws->message and ws->closed set, ws->data
 * free.  Returns NGX_DONE, or an HTTP status for a bad handshake.
 */
ngx_int_t ngx_rtc_ws_upgrade(ngx_http_request_t *r, ngx_rtc_ws_t *ws);

/* one text message: NGX_OK, or NGX_ERROR (no room: the connection ends) */
ngx_int_t ngx_rtc_ws_send_text(ngx_rtc_ws_t *ws, u_char *data, size_t len);

/* a close frame (RFC 6455, 5.5.1), then the end of the connection */
void ngx_rtc_ws_close(ngx_rtc_ws_t *ws, ngx_uint_t code, const char *reason);


#endif /* _NGX_RTC_WS_H_INCLUDED_ */
