/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_JSON_H_INCLUDED_
#define _NGX_RTC_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_RTC_JSON_NULL       0
#define NGX_RTC_JSON_FALSE      1
#define NGX_RTC_JSON_TRUE       2
#define NGX_RTC_JSON_NUMBER     3
#define NGX_RTC_JSON_STRING     4
#define NGX_RTC_JSON_ARRAY      5
#define NGX_RTC_JSON_OBJECT     6

#define NGX_RTC_JSON_MAX_DEPTH  16


/* a value: its type and its text (a string's with the quotes) */

typedef struct {
    ngx_uint_t                type;
    u_char                   *start;
    u_char                   *end;
} ngx_rtc_json_t;


/*
 * Pure and bounded (RFC 8259): the text from p to end is exactly one
 * value, checked whole (nesting up to NGX_RTC_JSON_MAX_DEPTH); NGX_OK
 * or NGX_ERROR.  The values it gives point into the text.
 */
ngx_int_t ngx_rtc_json_parse(u_char *p, u_char *end, ngx_rtc_json_t *v);

/*
 * The member "key" of a checked object (the first of that name; keys
 * compared as written): NGX_OK, or NGX_DECLINED.
 */
ngx_int_t ngx_rtc_json_get(ngx_rtc_json_t *obj, char *key, ngx_rtc_json_t *v);

/*
 * A checked string, unescaped into dst (as many bytes as its text is
 * always enough), as UTF-8: NGX_OK, or NGX_ERROR for a lone surrogate
 * or a NUL character.
 */
ngx_int_t ngx_rtc_json_string(ngx_rtc_json_t *v, ngx_str_t *dst);


#endif /* _NGX_RTC_JSON_H_INCLUDED_ */
