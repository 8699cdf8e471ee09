/*
 * Copyright (C) nginx-rtc authors
 *
 * The unit harness's own stand-ins for nginx core functions.
 */

#include "ngx_rtc_unit.h"


int
main(void)
{
    u_char     buf[128], *p;
    ngx_str_t  s = ngx_string("hello"), src, dst;

    p = ngx_sprintf(buf, "%V %d %ui %uD %08xD %s %*s|", &s, -5,
                    (ngx_uint_t) 42, (uint32_t) 7, (uint32_t) 0xabc, "x",
                    (size_t) 2, "yz!");
    NGX_RTC_CHECK(p - buf == 28);
    NGX_RTC_CHECK(ngx_strncmp(buf, "hello -5 42 7 00000abc x yz|", 28) == 0);

    ngx_str_set(&src, "Z0IAH5WoFAFuQA==");
    dst.data = buf;
    NGX_RTC_CHECK(ngx_decode_base64(&dst, &src) == NGX_OK);
    NGX_RTC_CHECK(dst.len == 10 && buf[0] == 0x67 && buf[9] == 0x40);

    NGX_RTC_CHECK(ngx_atoi((u_char *) "1234", 4) == 1234);
    NGX_RTC_CHECK(ngx_atoi((u_char *) "12a", 3) == NGX_ERROR);
    NGX_RTC_CHECK(ngx_hextoi((u_char *) "fF", 2) == 255);

    return NGX_RTC_UNIT_DONE();
}
