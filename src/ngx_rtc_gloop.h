/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_GLOOP_H_INCLUDED_
#define _NGX_RTC_GLOOP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <glib.h>


/*
 * GMainContexts driven from nginx's event loop: their poll fds become
 * nginx read/write events (level-triggered), their timeout one cancelable
 * nginx timer each.  No thread is started.
 *
 * The worker's own context (ngx_rtc_gloop_context()) is the thread
 * default: idle sources, GTask results.  Each libnice agent runs on a
 * loop of its own (ngx_rtc_gloop_create()), so that a wake-up costs the
 * work of what is ready, not of every agent of the worker.
 *
 * A sync (ngx_rtc_gloop_update() for the worker's context,
 * ngx_rtc_gloop_sync() for a loop of its own) must follow every
 * GLib/libnice call made outside a GLib dispatch that may add or remove
 * sources or fds or change a timeout (agent creation and destruction,
 * gathering, remote credentials and candidates, a send that queues);
 * inside a dispatch of that loop it does nothing and the sync runs when
 * dispatch returns.
 */

typedef struct ngx_rtc_gloop_s  ngx_rtc_gloop_t;


ngx_int_t ngx_rtc_gloop_init(ngx_cycle_t *cycle);
GMainContext *ngx_rtc_gloop_context(void);
void ngx_rtc_gloop_update(void);
void ngx_rtc_gloop_done(ngx_cycle_t *cycle);

ngx_rtc_gloop_t *ngx_rtc_gloop_create(ngx_log_t *log);
GMainContext *ngx_rtc_gloop_get_context(ngx_rtc_gloop_t *gl);
void ngx_rtc_gloop_sync(ngx_rtc_gloop_t *gl);
void ngx_rtc_gloop_destroy(ngx_rtc_gloop_t *gl);


#endif /* _NGX_RTC_GLOOP_H_INCLUDED_ */
