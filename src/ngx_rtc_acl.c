/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_rtc_acl.h"


/*
 * The remote ICE candidates' address filter.  As in nginx's access module,
 * an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as the IPv4
 * address it carries.
 */

static ngx_int_t ngx_rtc_acl_match(ngx_array_t *rules, struct sockaddr *sa);


ngx_uint_t
ngx_rtc_acl_denied(ngx_array_t *rules, struct sockaddr *sa)
{
    ngx_int_t  rc;

    if (rules == NULL) {
        return 0;
    }

    rc = ngx_rtc_acl_match(rules, sa);

    return rc == NGX_ERROR || rc == 1;
}


/*
 * allow= of runtime streams: only what a rule allows; no rules, or none
 * that matches, allow nothing
 */

ngx_uint_t
ngx_rtc_acl_allowed(ngx_array_t *rules, struct sockaddr *sa)
{
    if (rules == NULL) {
        return 0;
    }

    return ngx_rtc_acl_match(rules, sa) == 0;
}


/* the deny of the first rule that matches; NGX_DECLINED: none does */

static ngx_int_t
ngx_rtc_acl_match(ngx_array_t *rules, struct sockaddr *sa)
{
    u_char               *p;
    in_addr_t             a4;
    ngx_uint_t            i, n, family;
    ngx_rtc_acl_rule_t   *rule;
#if (NGX_HAVE_INET6)
    struct in6_addr      *a6;
#endif

    family = sa->sa_family;
    a4 = 0;

#if (NGX_HAVE_INET6)
    a6 = NULL;
#endif

    switch (family) {

    case AF_INET:
        a4 = ((struct sockaddr_in *) sa)->sin_addr.s_addr;
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        a6 = &((struct sockaddr_in6 *) sa)->sin6_addr;

        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            p = a6->s6_addr;
            a4 = htonl(((in_addr_t) p[12] << 24) | ((in_addr_t) p[13] << 16)
                       | ((in_addr_t) p[14] << 8) | p[15]);
            family = AF_INET;
        }

        break;
#endif

    default:
        /* not an IP address: nothing to send checks to */
        return NGX_ERROR;
    }

    rule = rules->elts;

    for (i = 0; i < rules->nelts; i++) {

        if (rule[i].cidr.family == 0) {
            return rule[i].deny;
        }

        if (rule[i].cidr.family != family) {
            continue;
        }

        switch (family) {

#if (NGX_HAVE_INET6)
        case AF_INET6:
            p = a6->s6_addr;

            for (n = 0; n < 16; n++) {
                if ((p[n] & rule[i].cidr.u.in6.mask.s6_addr[n])
                    != rule[i].cidr.u.in6.addr.s6_addr[n])
                {
                    break;
                }
            }

            if (n == 16) {
                return rule[i].deny;
            }

            break;
#endif

        default: /* AF_INET */
            if ((a4 & rule[i].cidr.u.in.mask) == rule[i].cidr.u.in.addr) {
                return rule[i].deny;
            }

            break;
        }
    }

    return NGX_DECLINED;
}
