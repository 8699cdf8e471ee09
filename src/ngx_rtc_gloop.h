/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_GLOOP_H_INCLUDED_
#define _NGX_RTC_GLOOP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <glib.h>


/*
 * The worker's GMainContext (libnice runs on it), driven from nginx's event
 * loop: its poll fds become nginx read/write events (level-triggered), its
 * timeout one cancelable nginx timer.  No thread is started.
 *
 * ngx_rtc_gloop_update() must follow every GLib/libnice call made outside a
 * GLib dispatch that may add or remove sources or fds (agent creation and
 * destruction, gathering, remote credentials and candidates); inside a
 * dispatch it only marks the state and the sync runs when dispatch returns.
 */

ngx_int_t ngx_rtc_gloop_init(ngx_cycle_t *cycle);
GMainContext *ngx_rtc_gloop_context(void);
void ngx_rtc_gloop_update(void);
void ngx_rtc_gloop_done(ngx_cycle_t *cycle);


#endif /* _NGX_RTC_GLOOP_H_INCLUDED_ */
