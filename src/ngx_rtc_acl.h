/*
 * Copyright (C) nginx-rtc authors
 */


#ifndef _NGX_RTC_ACL_H_INCLUDED_
#define _NGX_RTC_ACL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * rtc_ice_allow / rtc_ice_deny: the addresses ICE may send checks to.
 * Rules are tried in order, as nginx's allow/deny: the first that matches
 * decides; an address no rule matches is allowed.
 */

typedef struct {
    ngx_cidr_t                cidr;       /* family 0: "all" */
    ngx_uint_t                deny;
} ngx_rtc_acl_rule_t;


/* pure: 1 if the rules (ngx_rtc_acl_rule_t, or NULL) deny the address */
ngx_uint_t ngx_rtc_acl_denied(ngx_array_t *rules, struct sockaddr *sa);

/* pure: 1 if a rule allows the address (none matching: 0, as with NULL) */
ngx_uint_t ngx_rtc_acl_allowed(ngx_array_t *rules, struct sockaddr *sa);


#endif /* _NGX_RTC_ACL_H_INCLUDED_ */
