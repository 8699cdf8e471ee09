/*
 * Copyright (C) nginx-rtc authors
 *
 * rtc_ice_allow / rtc_ice_deny: the matcher of remote candidate
 * addresses.  The rules are built here as the directives build them
 * (ngx_ptocidr() gives an address and a mask, the address already masked;
 * "all" is family 0).
 *
 * unit-deps: src/ngx_rtc_acl.c
 */

#include "ngx_rtc_unit.h"
#include <arpa/inet.h>
#include "ngx_rtc_acl.h"


static ngx_rtc_acl_rule_t  rules[16];
static ngx_array_t         acl;


static void
rules_reset(void)
{
    ngx_memzero(rules, sizeof(rules));
    acl.elts = rules;
    acl.nelts = 0;
    acl.size = sizeof(ngx_rtc_acl_rule_t);
    acl.nalloc = 16;
}


static void
rule(const char *cidr, ngx_uint_t deny)
{
    int                  bits;
    char                 text[64], *slash;
    ngx_uint_t           i;
    ngx_rtc_acl_rule_t  *r;

    r = &rules[acl.nelts++];
    r->deny = deny;

    if (strcmp(cidr, "all") == 0) {
        return;
    }

    ngx_cpystrn((u_char *) text, (u_char *) cidr, sizeof(text));
    slash = strchr(text, '/');
    bits = -1;

    if (slash) {
        *slash = '\0';
        bits = atoi(slash + 1);
    }

    if (strchr(text, ':')) {
        r->cidr.family = AF_INET6;
        (void) inet_pton(AF_INET6, text, &r->cidr.u.in6.addr);

        if (bits < 0) {
            bits = 128;
        }

        for (i = 0; i < 16; i++) {
            r->cidr.u.in6.mask.s6_addr[i] =
                bits >= 8 ? 0xff : (bits > 0 ? (0xff << (8 - bits)) & 0xff
                                             : 0);
            bits = bits >= 8 ? bits - 8 : 0;
            r->cidr.u.in6.addr.s6_addr[i] &= r->cidr.u.in6.mask.s6_addr[i];
        }

        return;
    }

    r->cidr.family = AF_INET;
    (void) inet_pton(AF_INET, text, &r->cidr.u.in.addr);

    if (bits < 0) {
        bits = 32;
    }

    r->cidr.u.in.mask = bits ? htonl((uint32_t) 0xffffffff << (32 - bits))
                             : 0;
    r->cidr.u.in.addr &= r->cidr.u.in.mask;
}


static ngx_uint_t
denied(const char *addr)
{
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;

    if (strchr(addr, ':')) {
        ngx_memzero(&sin6, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        (void) inet_pton(AF_INET6, addr, &sin6.sin6_addr);
        return ngx_rtc_acl_denied(&acl, (struct sockaddr *) &sin6);
    }

    ngx_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    (void) inet_pton(AF_INET, addr, &sin.sin_addr);

    return ngx_rtc_acl_denied(&acl, (struct sockaddr *) &sin);
}


int
main(void)
{
    struct sockaddr  unix_sa;

    /* no rules (the default): everything is allowed */

    NGX_RTC_CHECK(ngx_rtc_acl_denied(NULL, NULL) == 0);

    rules_reset();
    NGX_RTC_CHECK(denied("10.1.2.3") == 0);
    NGX_RTC_CHECK(denied("2001:db8::1") == 0);

    /* RFC 1918 denied for an internet-facing server */

    rules_reset();
    rule("10.0.0.0/8", 1);
    rule("172.16.0.0/12", 1);
    rule("192.168.0.0/16", 1);
    rule("fc00::/7", 1);

    NGX_RTC_CHECK(denied("10.99.0.1") == 1);
    NGX_RTC_CHECK(denied("172.16.0.1") == 1);
    NGX_RTC_CHECK(denied("172.31.255.255") == 1);
    NGX_RTC_CHECK(denied("172.32.0.1") == 0);
    NGX_RTC_CHECK(denied("192.168.1.20") == 1);
    NGX_RTC_CHECK(denied("192.169.0.1") == 0);
    NGX_RTC_CHECK(denied("203.0.113.7") == 0);
    NGX_RTC_CHECK(denied("fd12:3456::1") == 1);
    NGX_RTC_CHECK(denied("fe80::1") == 0);
    NGX_RTC_CHECK(denied("2001:db8::1") == 0);

    /* an IPv4-mapped IPv6 address is its IPv4 address */

    NGX_RTC_CHECK(denied("::ffff:10.0.0.1") == 1);
    NGX_RTC_CHECK(denied("::ffff:8.8.8.8") == 0);

    /* in order, the first match decides: one host allowed, its net not */

    rules_reset();
    rule("10.99.0.7", 0);
    rule("10.99.0.0/24", 1);

    NGX_RTC_CHECK(denied("10.99.0.7") == 0);
    NGX_RTC_CHECK(denied("10.99.0.8") == 1);
    NGX_RTC_CHECK(denied("10.99.1.8") == 0);

    /* the other order: the deny matches first */

    rules_reset();
    rule("10.99.0.0/24", 1);
    rule("10.99.0.7", 0);

    NGX_RTC_CHECK(denied("10.99.0.7") == 1);

    /* an allow list: "all" matches every family */

    rules_reset();
    rule("198.51.100.0/24", 0);
    rule("2001:db8:1::/48", 0);
    rule("all", 1);

    NGX_RTC_CHECK(denied("198.51.100.200") == 0);
    NGX_RTC_CHECK(denied("198.51.101.1") == 1);
    NGX_RTC_CHECK(denied("2001:db8:1:ffff::9") == 0);
    NGX_RTC_CHECK(denied("2001:db8:2::9") == 1);
    NGX_RTC_CHECK(denied("::ffff:198.51.100.1") == 0);

    /* rules of one family never match the other */

    rules_reset();
    rule("::/0", 1);

    NGX_RTC_CHECK(denied("2001:db8::1") == 1);
    NGX_RTC_CHECK(denied("10.0.0.1") == 0);

    rules_reset();
    rule("0.0.0.0/0", 1);

    NGX_RTC_CHECK(denied("10.0.0.1") == 1);
    NGX_RTC_CHECK(denied("2001:db8::1") == 0);

    /* an odd IPv6 prefix length */

    rules_reset();
    rule("2001:db8:ff00::/41", 1);

    NGX_RTC_CHECK(denied("2001:db8:ff00::1") == 1);
    NGX_RTC_CHECK(denied("2001:db8:ff7f:ffff::1") == 1);
    NGX_RTC_CHECK(denied("2001:db8:ff80::1") == 0);

    /* not an IP address: denied, nothing to check */

    ngx_memzero(&unix_sa, sizeof(unix_sa));
    unix_sa.sa_family = AF_UNIX;
    rules_reset();
    NGX_RTC_CHECK(ngx_rtc_acl_denied(&acl, &unix_sa) == 1);

    return NGX_RTC_UNIT_DONE();
}
