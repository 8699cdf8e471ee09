/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_WHEP_OFFER_H_INCLUDED_
#define _NGX_RTC_WHEP_OFFER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_rtc.h>
#include <ngx_rtc_sdp.h>


typedef struct ngx_rtc_whep_offer_s  ngx_rtc_whep_offer_t;

typedef void (*ngx_rtc_whep_offer_pt)(ngx_rtc_whep_offer_t *o);


/*
 * An SDP offer for a stream -> a session of this worker and its answer;
 * for the WHEP endpoint and for go2rtc's API.  The caller sets the
 * fields marked "in" and calls ngx_rtc_whep_offer(); "handler" is called
 * once, maybe before that returns, with "status" 0 (answered: "text" is
 * the answer, "session" the session, which then lives on its own) or an
 * HTTP status and "text" a reason for the client ("retry": worth again
 * later).  Everything is allocated from "pool"; when it goes, an offer
 * not answered yet goes with it, and its session if it had one.
 */

struct ngx_rtc_whep_offer_s {
    ngx_pool_t               *pool;       /* in */
    ngx_log_t                *log;        /* in */
    ngx_rtc_stream_t         *stream;     /* in */
    ngx_rtc_whep_offer_pt     handler;    /* in */
    void                     *data;       /* in */
    ngx_connection_t         *connection; /* in: the HTTP request's, or
                                             NULL (a WebSocket message) */

    ngx_uint_t                status;
    ngx_str_t                 text;
    ngx_rtc_session_t        *session;
    u_char                    id[NGX_RTC_ID_LEN];

    ngx_rtc_sdp_t             sdp;
    ngx_event_t               wait;
    ngx_msec_t                deadline;

    unsigned                  retry:1;
    unsigned                  registered:1;
    unsigned                  pending:1;  /* session made, no answer yet */
    unsigned                  done:1;
    unsigned                  async:1;    /* waits: done from a timer */
};


/*
 * The offer's text (its bytes must live as long as the pool): NGX_OK,
 * or NGX_ERROR (no memory; no handler call).  The answer carries every
 * candidate we gathered, server-reflexive and relayed ones included
 * (bounded wait).
 */
ngx_int_t ngx_rtc_whep_offer(ngx_rtc_whep_offer_t *o, ngx_str_t *sdp);

/*
 * For the HTTP handlers that take a POSTed offer (the WHEP endpoint,
 * go2rtc's /api/webrtc).  ngx_rtc_whep_offer_refuse(): before the body is
 * read, the body discarded and "text" the client's reason; it returns what
 * the handler returns.  ngx_rtc_whep_offer_read(): the body read, then
 * "post" called; NGX_DONE or an HTTP status for the handler to return.
 * In "post": ngx_rtc_whep_offer_body() gives the body, at most "max" bytes,
 * or NGX_ERROR with the request finalized (413); then, "handler" and
 * "data" of "o" set, ngx_rtc_whep_offer_request() makes the offer with the
 * request's pool and log, or finalizes the request (500).
 */
ngx_int_t ngx_rtc_whep_offer_refuse(ngx_http_request_t *r, ngx_uint_t status,
    char *text);
ngx_int_t ngx_rtc_whep_offer_read(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post);
ngx_int_t ngx_rtc_whep_offer_body(ngx_http_request_t *r, ngx_str_t *body,
    size_t max);
void ngx_rtc_whep_offer_request(ngx_rtc_whep_offer_t *o,
    ngx_http_request_t *r, ngx_str_t *sdp);

/*
 * Trickled candidates ("candidate:..." values) for a session of this
 * worker: NGX_OK, NGX_DECLINED (no such session), NGX_ERROR.
 */
ngx_int_t ngx_rtc_whep_offer_trickle(u_char *id, ngx_str_t *cands,
    ngx_uint_t n);


#endif /* _NGX_RTC_WHEP_OFFER_H_INCLUDED_ */
