/*
 * Copyright (C) nginx-rtc authors
 *
 * A tiny harness for the C unit tests of the pure sources: no nginx process,
 * nginx headers only.  Each test binary ends with "N passed, N failed".
 */

#ifndef _NGX_RTC_UNIT_H_INCLUDED_
#define _NGX_RTC_UNIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>


static ngx_uint_t  ngx_rtc_unit_passed;
static ngx_uint_t  ngx_rtc_unit_failed;


#define NGX_RTC_CHECK(cond)                                                   \
    do {                                                                      \
        if (cond) {                                                           \
            ngx_rtc_unit_passed++;                                            \
                                                                              \
        } else {                                                              \
            ngx_rtc_unit_failed++;                                            \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                     \
    } while (0)


#define NGX_RTC_UNIT_DONE()                                                   \
    (printf("%lu passed, %lu failed\n", (unsigned long) ngx_rtc_unit_passed,  \
            (unsigned long) ngx_rtc_unit_failed),                             \
     ngx_rtc_unit_failed ? 1 : 0)


#endif /* _NGX_RTC_UNIT_H_INCLUDED_ */
