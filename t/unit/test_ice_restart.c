/*
 * Copyright (C) nginx-rtc authors
 *
 * ngx_rtc_ice's additions for WHEP PATCH and rtc_ice_server: the stun: and
 * turn: URL parser (RFC 7064, RFC 7065 examples and their edges), the
 * remote ice-ufrag in use, an ICE restart's new local credentials
 * (RFC 8445, 9), the end of gathering, and ICE servers given by name
 * (for clients only) not holding the agent up.  One agent, no peer: the
 * checks ngx_rtc_ice_restart() starts are the next test's (test_ice.c).
 *
 * unit-deps: src/ngx_rtc_ice.c src/ngx_rtc_acl.c
 * unit-libs: -I/usr/include/nice -I/usr/include/glib-2.0
 * unit-libs: -I/usr/lib/x86_64-linux-gnu/glib-2.0/include
 * unit-libs: -lnice -lgio-2.0 -lgobject-2.0 -lglib-2.0
 */

#include "ngx_rtc_unit.h"
#include <ngx_rtc.h>
#include <agent.h>
#include "ngx_rtc_unit_gloop.h"
#include "ngx_rtc_unit_mem.h"
#include "ngx_rtc_ice.h"


static void
test_recv(void *data, u_char *buf, size_t len)
{
}


static void
test_state(void *data, ngx_uint_t state)
{
}


typedef struct {
    const char   *url;
    ngx_int_t     rc;
    ngx_uint_t    type;
    ngx_uint_t    transport;
    const char   *host;
    ngx_uint_t    port;
} test_url_t;


static const test_url_t  test_urls[] = {

    /* RFC 7064, 3.1 and RFC 7065, 3.1: default ports 3478 and 5349 */
    { "stun:example.org", NGX_OK, NGX_RTC_ICE_STUN, NGX_RTC_ICE_UDP,
      "example.org", 3478 },
    { "stuns:example.org", NGX_OK, NGX_RTC_ICE_STUN, NGX_RTC_ICE_TLS,
      "example.org", 5349 },
    { "stun:192.0.2.1:19302", NGX_OK, NGX_RTC_ICE_STUN, NGX_RTC_ICE_UDP,
      "192.0.2.1", 19302 },
    { "stun:[2001:db8::1]:3478", NGX_OK, NGX_RTC_ICE_STUN, NGX_RTC_ICE_UDP,
      "2001:db8::1", 3478 },
    { "turn:example.org", NGX_OK, NGX_RTC_ICE_TURN, NGX_RTC_ICE_UDP,
      "example.org", 3478 },
    { "turns:example.org", NGX_OK, NGX_RTC_ICE_TURN, NGX_RTC_ICE_TLS,
      "example.org", 5349 },
    { "turn:example.org:8000", NGX_OK, NGX_RTC_ICE_TURN, NGX_RTC_ICE_UDP,
      "example.org", 8000 },
    { "turn:example.org?transport=udp", NGX_OK, NGX_RTC_ICE_TURN,
      NGX_RTC_ICE_UDP, "example.org", 3478 },
    { "turn:example.org?transport=tcp", NGX_OK, NGX_RTC_ICE_TURN,
      NGX_RTC_ICE_TCP, "example.org", 3478 },
    { "turns:example.org?transport=tcp", NGX_OK, NGX_RTC_ICE_TURN,
      NGX_RTC_ICE_TLS, "example.org", 5349 },
    { "TURN:192.0.2.7:3479?Transport=TCP", NGX_OK, NGX_RTC_ICE_TURN,
      NGX_RTC_ICE_TCP, "192.0.2.7", 3479 },

    /* not ICE server URLs, or broken ones */
    { "http://example.org", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:example.org:", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:example.org:0", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:example.org:65536", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:example.org:34x", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:example.org?transport=udp", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:[2001:db8::1", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:[2001:db8::g]", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:exa mple.org", NGX_ERROR, 0, 0, NULL, 0 },
    { "stun:exa>mple.org", NGX_ERROR, 0, 0, NULL, 0 },
    { "turn:example.org?transport=sctp", NGX_ERROR, 0, 0, NULL, 0 },
    { "turn:example.org?foo=bar", NGX_ERROR, 0, 0, NULL, 0 },
    { "turns:example.org?transport=udp", NGX_ERROR, 0, 0, NULL, 0 },
};


static void
test_parse_url(void)
{
    ngx_str_t           url;
    ngx_uint_t          i;
    ngx_rtc_ice_url_t   u;
    const test_url_t   *t;

    for (i = 0; i < sizeof(test_urls) / sizeof(test_urls[0]); i++) {
        t = &test_urls[i];

        url.data = (u_char *) t->url;
        url.len = ngx_strlen(t->url);

        if (ngx_rtc_ice_parse_url(&url, &u) != t->rc) {
            NGX_RTC_CHECK(0 && "unexpected result");
            fprintf(stderr, "#   url: %s\n", t->url);
            continue;
        }

        if (t->rc != NGX_OK) {
            continue;
        }

        NGX_RTC_CHECK(u.type == t->type);
        NGX_RTC_CHECK(u.transport == t->transport);
        NGX_RTC_CHECK(u.port == t->port);
        NGX_RTC_CHECK(u.host.len == ngx_strlen(t->host)
                      && ngx_memcmp(u.host.data, t->host, u.host.len) == 0);
    }

    /* never reads past the end */

    url.data = (u_char *) "stun:example.org:3478";
    url.len = sizeof("stun:example.org") - 1;

    NGX_RTC_CHECK(ngx_rtc_ice_parse_url(&url, &u) == NGX_OK);
    NGX_RTC_CHECK(u.port == 3478 && u.host.len == 11);

    url.len = 4;
    NGX_RTC_CHECK(ngx_rtc_ice_parse_url(&url, &u) == NGX_ERROR);
}


static ngx_str_t *
test_str(ngx_str_t *s, const char *text)
{
    s->data = (u_char *) text;
    s->len = ngx_strlen(text);

    return s;
}


static void
test_iterate(ngx_uint_t n)
{
    while (n-- && g_main_context_iteration(test_ctx, FALSE)) {
        /* void */
    }
}


static void
test_restart(void)
{
    ngx_str_t              ufrag, pwd, ufrag2, pwd2, a, b, *c;
    ngx_uint_t             i;
    ngx_log_t              log;
    ngx_array_t            local, servers;
    ngx_rtc_ice_t         *ice;
    ngx_rtc_ice_conf_t     conf;
    ngx_rtc_ice_server_t  *srv;

    ngx_memzero(&log, sizeof(ngx_log_t));
    log.log_level = NGX_LOG_DEBUG;
    test_gloop_init(&log);

    /* servers given by name are for clients: no resolving, no waiting */

    test_array(&servers, 2, sizeof(ngx_rtc_ice_server_t));

    srv = ngx_array_push(&servers);
    ngx_memzero(srv, sizeof(ngx_rtc_ice_server_t));
    test_str(&srv->url, "stun:stun.example.net:3478");

    srv = ngx_array_push(&servers);
    ngx_memzero(srv, sizeof(ngx_rtc_ice_server_t));
    test_str(&srv->url, "turn:turn.example.net?transport=tcp");
    test_str(&srv->username, "user");
    test_str(&srv->credential, "secret");

    ngx_memzero(&conf, sizeof(ngx_rtc_ice_conf_t));
    conf.recv = test_recv;
    conf.state = test_state;
    conf.servers = &servers;
    conf.port_min = 47200;
    conf.port_max = 47299;
    conf.log = &log;

    ice = ngx_rtc_ice_create(&conf);
    NGX_RTC_CHECK(ice != NULL);

    if (ice == NULL) {
        return;
    }

    test_iterate(10);
    NGX_RTC_CHECK(ngx_rtc_ice_gathered(ice));

    test_array(&local, 8, sizeof(ngx_str_t));
    NGX_RTC_CHECK(ngx_rtc_ice_local(ice, NULL, &ufrag, &pwd, &local)
                  == NGX_OK);
    NGX_RTC_CHECK(local.nelts > 0);

    c = local.elts;

    for (i = 0; i < local.nelts; i++) {
        NGX_RTC_CHECK(ngx_strlcasestrn(c[i].data, c[i].data + c[i].len,
                                       (u_char *) "typ host", 8 - 1)
                      != NULL);
    }

    /* the offer's credentials */

    NGX_RTC_CHECK(ngx_rtc_ice_remote(ice, test_str(&a, "ofr1"),
                                     test_str(&b, "offerpassword012345678901"),
                                     NULL, 0)
                  == NGX_OK);

    NGX_RTC_CHECK(ngx_rtc_ice_remote_is(ice, test_str(&a, "ofr1")));
    NGX_RTC_CHECK(ngx_rtc_ice_remote_is(ice, test_str(&a, "ofr1\r\n")));
    NGX_RTC_CHECK(!ngx_rtc_ice_remote_is(ice, test_str(&a, "ofr2")));
    NGX_RTC_CHECK(!ngx_rtc_ice_remote_is(ice, test_str(&a, "ofr")));
    NGX_RTC_CHECK(!ngx_rtc_ice_remote_is(ice, test_str(&a, "")));

    /* RFC 8445, 9: the restart without credentials is refused */

    NGX_RTC_CHECK(ngx_rtc_ice_restart(ice, test_str(&a, "new1"), NULL,
                                      NULL, 0)
                  == NGX_DECLINED);
    NGX_RTC_CHECK(ngx_rtc_ice_remote_is(ice, test_str(&a, "ofr1")));

    NGX_RTC_CHECK(ngx_rtc_ice_restart(ice, test_str(&a, "new1"),
                                      test_str(&b, "newpassword0123456789012"),
                                      NULL, 0)
                  == NGX_OK);

    NGX_RTC_CHECK(ngx_rtc_ice_remote_is(ice, test_str(&a, "new1")));
    NGX_RTC_CHECK(!ngx_rtc_ice_remote_is(ice, test_str(&a, "ofr1")));

    test_array(&local, 8, sizeof(ngx_str_t));
    NGX_RTC_CHECK(ngx_rtc_ice_local(ice, NULL, &ufrag2, &pwd2, &local)
                  == NGX_OK);

    /* new local credentials, the same candidates */

    NGX_RTC_CHECK(ufrag2.len >= 4 && pwd2.len >= 22);
    NGX_RTC_CHECK(!(ufrag2.len == ufrag.len
                    && ngx_memcmp(ufrag2.data, ufrag.data, ufrag.len) == 0));
    NGX_RTC_CHECK(!(pwd2.len == pwd.len
                    && ngx_memcmp(pwd2.data, pwd.data, pwd.len) == 0));
    NGX_RTC_CHECK(local.nelts > 0);

    ngx_rtc_ice_destroy(ice);
    test_iterate(10);
}


int
main(void)
{
    test_ctx = g_main_context_new();
    g_main_context_push_thread_default(test_ctx);

    test_parse_url();
    test_restart();

    g_main_context_pop_thread_default(test_ctx);
    g_main_context_unref(test_ctx);

    test_mem_free();

    return NGX_RTC_UNIT_DONE();
}
