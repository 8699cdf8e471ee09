/*
 * Copyright (C) nginx-rtc authors
 *
 * Stand-ins for ngx_rtc_gloop.c (it needs nginx's event loop) for the
 * tests of ngx_rtc_ice: one GMainContext, which the test iterates itself,
 * is the worker's and every agent's; a sync only counts.
 */


#ifndef _NGX_RTC_UNIT_GLOOP_H_INCLUDED_
#define _NGX_RTC_UNIT_GLOOP_H_INCLUDED_


#include "ngx_rtc_gloop.h"


struct ngx_rtc_gloop_s {
    ngx_uint_t    agents;
};


static GMainContext     *test_ctx;
static ngx_uint_t        test_updates;
static ngx_rtc_gloop_t   test_loop;
static ngx_cycle_t       test_cycle;


/* an agent's loop logs to the cycle's log: the test's */

static void
test_gloop_init(ngx_log_t *log)
{
    test_cycle.log = log;
    ngx_cycle = &test_cycle;
}


GMainContext *
ngx_rtc_gloop_context(void)
{
    return test_ctx;
}


void
ngx_rtc_gloop_update(void)
{
    test_updates++;
}


ngx_rtc_gloop_t *
ngx_rtc_gloop_create(ngx_log_t *log)
{
    test_loop.agents++;
    return &test_loop;
}


GMainContext *
ngx_rtc_gloop_get_context(ngx_rtc_gloop_t *gl)
{
    return test_ctx;
}


void
ngx_rtc_gloop_sync(ngx_rtc_gloop_t *gl)
{
    test_updates++;
}


void
ngx_rtc_gloop_destroy(ngx_rtc_gloop_t *gl)
{
    gl->agents--;
}


#endif /* _NGX_RTC_UNIT_GLOOP_H_INCLUDED_ */
