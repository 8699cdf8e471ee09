/*
 * Copyright (C) nginx-rtc authors
 *
 * ngx_rtc_ice against a plain libnice agent in the controlling role, both
 * on one GMainContext iterated here (ngx_rtc_gloop needs nginx: its
 * functions are stood in for in ngx_rtc_unit_gloop.h).  libnice never
 * gathers 127.0.0.1, so the agents meet on this machine's interface
 * addresses; every datagram stays on this machine.
 *
 * unit-deps: src/ngx_rtc_ice.c src/ngx_rtc_acl.c
 * unit-libs: -I/usr/include/nice -I/usr/include/glib-2.0
 * unit-libs: -I/usr/lib/x86_64-linux-gnu/glib-2.0/include
 * unit-libs: -lnice -lgio-2.0 -lgobject-2.0 -lglib-2.0
 */

#include "ngx_rtc_unit.h"
#include <agent.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include "ngx_rtc_unit_gloop.h"
#include "ngx_rtc_unit_mem.h"
#include "ngx_rtc_ice.h"


/* the session side of ngx_rtc_ice */

typedef struct {
    ngx_rtc_ice_t  *ice;
    ngx_uint_t      connected;
    ngx_uint_t      failed;
    ngx_uint_t      nrecv;
    size_t          last_len;
    u_char          last[64];
    ngx_uint_t      destroy_on_recv;
} test_session_t;


static void
test_recv(void *data, u_char *buf, size_t len)
{
    test_session_t  *s = data;

    s->nrecv++;
    s->last_len = len;
    ngx_memcpy(s->last, buf, ngx_min(len, sizeof(s->last)));

    if (s->destroy_on_recv) {
        /* from inside libnice's receive callback */
        ngx_rtc_ice_destroy(s->ice);
        s->ice = NULL;
    }
}


static void
test_state(void *data, ngx_uint_t state)
{
    test_session_t  *s = data;

    if (state == NGX_RTC_ICE_CONNECTED) {
        s->connected++;

    } else if (state == NGX_RTC_ICE_FAILED) {
        s->failed++;
    }
}


/* the browser side: a plain controlling agent */

typedef struct {
    NiceAgent      *agent;
    guint           stream_id;
    guint           state;
    ngx_uint_t      nrecv;
    size_t          last_len;
    u_char          last[64];
} test_peer_t;


static void
test_peer_recv(NiceAgent *agent, guint stream_id, guint component_id,
    guint len, gchar *buf, gpointer data)
{
    test_peer_t  *p = data;

    p->nrecv++;
    p->last_len = len;
    ngx_memcpy(p->last, buf, ngx_min(len, sizeof(p->last)));
}


static void
test_peer_state(NiceAgent *agent, guint stream_id, guint component_id,
    guint state, gpointer data)
{
    test_peer_t  *p = data;

    p->state = state;
}


static void
test_peer_init(test_peer_t *p)
{
    ngx_memzero(p, sizeof(test_peer_t));

    p->agent = nice_agent_new_full(test_ctx, NICE_COMPATIBILITY_RFC5245,
                                   NICE_AGENT_OPTION_NONE);
    g_object_set(p->agent, "controlling-mode", TRUE, "ice-tcp", FALSE,
                 "upnp", FALSE, NULL);
    g_signal_connect(p->agent, "component-state-changed",
                     G_CALLBACK(test_peer_state), p);

    p->stream_id = nice_agent_add_stream(p->agent, 1);
    (void) nice_agent_gather_candidates(p->agent, p->stream_id);
    nice_agent_attach_recv(p->agent, p->stream_id, 1, test_ctx,
                           test_peer_recv, p);
}


/* the peer's credentials and candidates as an offer would carry them */

static void
test_peer_offer(test_peer_t *p, ngx_str_t *ufrag, ngx_str_t *pwd,
    ngx_array_t *cands)
{
    gchar          *u, *w, *sdp;
    GSList         *list, *l;
    ngx_str_t      *s;
    ngx_uint_t      n;

    (void) nice_agent_get_local_credentials(p->agent, p->stream_id, &u, &w);

    ufrag->len = ngx_strlen(u);
    ufrag->data = test_alloc(ufrag->len);
    ngx_memcpy(ufrag->data, u, ufrag->len);
    pwd->len = ngx_strlen(w);
    pwd->data = test_alloc(pwd->len);
    ngx_memcpy(pwd->data, w, pwd->len);

    g_free(u);
    g_free(w);

    list = nice_agent_get_local_candidates(p->agent, p->stream_id, 1);

    for (l = list, n = 0; l; l = l->next, n++) {
        sdp = nice_agent_generate_local_candidate_sdp(p->agent, l->data);

        /* with and without "a=": both are accepted */
        s = ngx_array_push(cands);
        s->len = ngx_strlen(sdp) - (n % 2 ? 0 : 2);
        s->data = test_alloc(s->len);
        ngx_memcpy(s->data, sdp + (n % 2 ? 0 : 2), s->len);

        g_free(sdp);
    }

    g_slist_free_full(list, (GDestroyNotify) nice_candidate_free);
}


/* our answer given to the peer */

static void
test_peer_answer(test_peer_t *p, ngx_str_t *ufrag, ngx_str_t *pwd,
    ngx_array_t *cands)
{
    u_char         *line;
    GSList         *list;
    ngx_str_t      *c;
    ngx_uint_t      i;
    NiceCandidate  *nc;

    line = test_alloc(ufrag->len + pwd->len + 2);
    ngx_memcpy(line, ufrag->data, ufrag->len);
    line[ufrag->len] = '\0';
    ngx_memcpy(line + ufrag->len + 1, pwd->data, pwd->len);
    line[ufrag->len + 1 + pwd->len] = '\0';

    (void) nice_agent_set_remote_credentials(p->agent, p->stream_id,
                                             (gchar *) line,
                                             (gchar *) line + ufrag->len + 1);
    list = NULL;
    c = cands->elts;

    for (i = 0; i < cands->nelts; i++) {
        line = test_alloc(c[i].len + 3);
        ngx_memcpy(line, "a=", 2);
        ngx_memcpy(line + 2, c[i].data, c[i].len);
        line[c[i].len + 2] = '\0';

        nc = nice_agent_parse_remote_candidate_sdp(p->agent, p->stream_id,
                                                   (gchar *) line);
        if (nc) {
            list = g_slist_append(list, nc);
        }
    }

    (void) nice_agent_set_remote_candidates(p->agent, p->stream_id, 1, list);
    g_slist_free_full(list, (GDestroyNotify) nice_candidate_free);
}


static ngx_uint_t
test_count(const char *dir)
{
    DIR            *d;
    ngx_uint_t      n;
    struct dirent  *e;

    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }

    for (n = 0; (e = readdir(d)) != NULL; /* void */) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }

    closedir(d);

    /* opendir()'s own descriptor */
    return ngx_strcmp(dir, "/proc/self/fd") == 0 ? n - 1 : n;
}


/* an up interface with an address libnice uses (not loopback) */

static ngx_uint_t
test_interfaces(void)
{
    ngx_uint_t       n;
    struct ifaddrs  *ifs, *i;

    if (getifaddrs(&ifs) == -1) {
        return 0;
    }

    for (i = ifs, n = 0; i; i = i->ifa_next) {
        if (i->ifa_addr
            && (i->ifa_addr->sa_family == AF_INET
                || i->ifa_addr->sa_family == AF_INET6)
            && (i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK))
        {
            n++;
        }
    }

    freeifaddrs(ifs);

    return n;
}


static gboolean
test_tick(gpointer data)
{
    return G_SOURCE_CONTINUE;
}


/* iterate until *flag or ms elapse */

static void
test_run(ngx_uint_t *flag, ngx_uint_t ms)
{
    gint64  end;

    end = g_get_monotonic_time() + (gint64) ms * 1000;

    while ((flag == NULL || *flag == 0) && g_get_monotonic_time() < end) {
        g_main_context_iteration(test_ctx, TRUE);
    }
}


static ngx_uint_t
test_peer_ready(test_peer_t *p)
{
    return p->state == NICE_COMPONENT_STATE_CONNECTED
           || p->state == NICE_COMPONENT_STATE_READY;
}


/* the n-th space-separated field of a candidate attribute value */

static void
test_field(ngx_str_t *c, ngx_uint_t n, ngx_str_t *f)
{
    u_char  *p, *last;

    p = c->data;
    last = c->data + c->len;

    for ( ;; ) {
        f->data = p;

        while (p < last && *p != ' ') {
            p++;
        }

        f->len = p - f->data;

        if (n-- == 0 || p == last) {
            break;
        }

        p++;
    }

    if (n != (ngx_uint_t) -1) {
        f->len = 0;
    }
}


static ngx_uint_t
test_has(ngx_array_t *cands, const char *what)
{
    ngx_str_t   *c;
    ngx_uint_t   i, n;

    c = cands->elts;

    for (i = 0, n = 0; i < cands->nelts; i++) {
        if (ngx_strlcasestrn(c[i].data, c[i].data + c[i].len,
                             (u_char *) what, ngx_strlen(what) - 1)
            != NULL)
        {
            n++;
        }
    }

    return n;
}


int
main(void)
{
    GSource             *tick;
    ngx_str_t            ufrag, pwd, pufrag, ppwd, extra[3], bad, f, *c;
    ngx_log_t            log;
    ngx_int_t            n, hosts4, hosts6;
    ngx_uint_t           i, fds, threads, ready, before;
    ngx_array_t          local, offer, extras;
    test_peer_t          peer, peer2;
    test_session_t       s, s2;
    ngx_rtc_ice_conf_t   conf;
    ngx_rtc_ice_peer_t  *pr;

    /*
     * a DTLS 1.2 record header (RFC 6347 4.1: handshake, version {254,253},
     * epoch 0, sequence 0, length 0) and an RTP header (RFC 3550 5.1: V=2,
     * PT 96, seq 1, ts 0, SSRC 0x01020304)
     */
    static u_char  dtls[] = { 0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0,
                              0, 0 };
    static u_char  rtp[] = { 0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0,
                             0x01, 0x02, 0x03, 0x04 };

    ngx_memzero(&log, sizeof(ngx_log_t));
    log.log_level = NGX_LOG_INFO;
    test_gloop_init(&log);

    fds = test_count("/proc/self/fd");
    threads = test_count("/proc/self/task");

    test_ctx = g_main_context_new();

    /* the nginx worker owns its context for good; so does this test */
    NGX_RTC_CHECK(g_main_context_acquire(test_ctx));

    tick = g_timeout_source_new(20);
    g_source_set_callback(tick, test_tick, NULL, NULL);
    g_source_attach(tick, test_ctx);

    /* 1. creation: host candidates without iterating the context */

    ngx_memzero(&s, sizeof(test_session_t));
    ngx_memzero(&conf, sizeof(ngx_rtc_ice_conf_t));

    test_array(&extras, 3, sizeof(ngx_str_t));
    ngx_str_set(&extra[0], "127.0.0.1");   /* 1:1 NAT address, IPv4 */
    ngx_str_set(&extra[1], "::1");         /* and IPv6 */
    ngx_str_set(&extra[2], "cam.example"); /* not an address: ignored */

    for (i = 0; i < 3; i++) {
        *(ngx_str_t *) ngx_array_push(&extras) = extra[i];
    }

    conf.recv = test_recv;
    conf.state = test_state;
    conf.data = &s;
    conf.port_min = 47100;
    conf.port_max = 47199;
    conf.candidates = &extras;
    conf.log = &log;

    test_updates = 0;

    s.ice = ngx_rtc_ice_create(&conf);

    if (!test_interfaces()) {
        /* e.g. a bare "unshare -n": gathering fails, creation too */
        NGX_RTC_CHECK(s.ice == NULL);
        printf("SKIP: no interface but loopback, libnice gathers nothing\n");
        return NGX_RTC_UNIT_DONE();
    }

    NGX_RTC_CHECK(s.ice != NULL);
    NGX_RTC_CHECK(test_updates >= 1);

    test_array(&local, 1, sizeof(ngx_str_t));
    NGX_RTC_CHECK(ngx_rtc_ice_local(s.ice, NULL, &ufrag, &pwd, &local)
                  == NGX_OK);

    /* RFC 8839 5.4: ice-ufrag at least 4, ice-pwd at least 22 characters */
    NGX_RTC_CHECK(ufrag.len >= 4 && pwd.len >= 22);

    c = local.elts;
    hosts4 = 0;
    hosts6 = 0;

    for (i = 0; i < local.nelts; i++) {
        printf("# local %.*s\n", (int) c[i].len, c[i].data);

        NGX_RTC_CHECK(c[i].len > 10
                      && ngx_strncmp(c[i].data, "candidate:", 10) == 0);

        /*
         * RFC 8839 5.1: foundation component-id transport priority
         * connection-address port "typ" cand-type
         */

        test_field(&c[i], 7, &f);

        if (f.len != 4 || ngx_strncmp(f.data, "host", 4) != 0) {
            continue;
        }

        test_field(&c[i], 5, &f);
        n = ngx_atoi(f.data, f.len);
        NGX_RTC_CHECK(n >= 47100 && n <= 47199);

        test_field(&c[i], 4, &f);

        if (ngx_strlchr(f.data, f.data + f.len, ':')) {
            hosts6++;

        } else {
            hosts4++;
        }
    }

    /* one server-reflexive candidate per host candidate and family */
    NGX_RTC_CHECK(test_has(&local, " 127.0.0.1 ") == (ngx_uint_t) hosts4);
    NGX_RTC_CHECK(test_has(&local, " ::1 ") == (ngx_uint_t) hosts6);
    NGX_RTC_CHECK(test_has(&local, " typ srflx raddr ")
                  == (ngx_uint_t) (hosts4 + hosts6));
    NGX_RTC_CHECK(test_has(&local, "cam.example") == 0);

    NGX_RTC_CHECK(hosts4 + hosts6 > 0);

    NGX_RTC_CHECK(ngx_rtc_ice_send(s.ice, dtls, sizeof(dtls)) == NGX_AGAIN);

    /* 2. full ICE: candidates on both sides */

    test_peer_init(&peer);

    test_array(&offer, 1, sizeof(ngx_str_t));
    test_peer_offer(&peer, &pufrag, &ppwd, &offer);

    /* what a browser may also send: mDNS, TCP, garbage */
    ngx_str_set(&extra[0], "candidate:2 1 udp 2122260223 "
                "4c9a3b1e-1f2d-4a8e-9e57-0c2b8f9a1d3e.local 54321 typ host "
                "generation 0");
    ngx_str_set(&extra[1], "candidate:3 1 tcp 1518280447 192.0.2.77 9 "
                "typ host tcptype active generation 0");
    ngx_str_set(&extra[2], "candidate:x");

    for (i = 0; i < 3; i++) {
        *(ngx_str_t *) ngx_array_push(&offer) = extra[i];
    }

    test_updates = 0;

    NGX_RTC_CHECK(ngx_rtc_ice_remote(s.ice, &pufrag, &ppwd, offer.elts,
                                     offer.nelts)
                  == NGX_OK);
    NGX_RTC_CHECK(test_updates >= 1);

    test_peer_answer(&peer, &ufrag, &pwd, &local);

    test_run(&s.connected, 10000);
    ready = test_peer_ready(&peer);
    test_run(&ready, 2000);

    NGX_RTC_CHECK(s.connected == 1);
    NGX_RTC_CHECK(s.failed == 0);

    /* ours -> peer */

    NGX_RTC_CHECK(ngx_rtc_ice_send(s.ice, dtls, sizeof(dtls)) == NGX_OK);
    test_run(&peer.nrecv, 2000);
    NGX_RTC_CHECK(peer.nrecv == 1 && peer.last_len == sizeof(dtls)
                  && ngx_memcmp(peer.last, dtls, sizeof(dtls)) == 0);

    /*
     * the selected pair (host, UDP) for sending without libnice
     * (ngx_rtc_send.c): its socket and the peer's address; a datagram
     * sent on it arrives as libnice's do
     */

    pr = ngx_rtc_ice_peer(s.ice);
    NGX_RTC_CHECK(pr != NULL && pr->fd >= 0 && pr->socklen > 0);

    if (pr) {
        NGX_RTC_CHECK(sendto(pr->fd, rtp, sizeof(rtp), 0,
                             &pr->sockaddr.sockaddr, pr->socklen)
                      == (ssize_t) sizeof(rtp));

        before = peer.nrecv;
        test_run(NULL, 200);
        NGX_RTC_CHECK(peer.nrecv == before + 1
                      && peer.last_len == sizeof(rtp)
                      && ngx_memcmp(peer.last, rtp, sizeof(rtp)) == 0);
    }

    /* peer -> ours: one callback per datagram, in order */

    for (i = 0; i < 5; i++) {
        rtp[3] = (u_char) (i + 1);
        NGX_RTC_CHECK(nice_agent_send(peer.agent, peer.stream_id, 1,
                                      sizeof(rtp), (gchar *) rtp)
                      == (gint) sizeof(rtp));
    }

    /* the kernel has queued all five: does one dispatch read them all? */
    before = s.nrecv;
    g_main_context_iteration(test_ctx, FALSE);
    printf("# datagrams read in one dispatch: %lu of 5\n",
           (unsigned long) (s.nrecv - before));

    test_run(NULL, 200);

    NGX_RTC_CHECK(s.nrecv == 5 && s.last_len == sizeof(rtp)
                  && s.last[3] == 5 && s.last[11] == 0x04);

    /* a state is reported once, even across libnice's CONNECTED/READY */
    NGX_RTC_CHECK(s.connected == 1);

    /* 3. destroy from within the receive callback, then silence */

    s.destroy_on_recv = 1;

    NGX_RTC_CHECK(nice_agent_send(peer.agent, peer.stream_id, 1,
                                  sizeof(rtp), (gchar *) rtp)
                  == (gint) sizeof(rtp));
    NGX_RTC_CHECK(nice_agent_send(peer.agent, peer.stream_id, 1,
                                  sizeof(rtp), (gchar *) rtp)
                  == (gint) sizeof(rtp));

    test_run(NULL, 300);

    NGX_RTC_CHECK(s.ice == NULL);
    NGX_RTC_CHECK(s.nrecv == 6);

    /* 4. peer-reflexive: the offer carries no candidate */

    ngx_memzero(&s2, sizeof(test_session_t));
    conf.data = &s2;
    conf.candidates = NULL;
    conf.port_min = 0;
    conf.port_max = 0;

    s2.ice = ngx_rtc_ice_create(&conf);
    NGX_RTC_CHECK(s2.ice != NULL);

    test_peer_init(&peer2);
    test_array(&offer, 1, sizeof(ngx_str_t));
    test_peer_offer(&peer2, &pufrag, &ppwd, &offer);

    NGX_RTC_CHECK(ngx_rtc_ice_remote(s2.ice, &pufrag, &ppwd, NULL, 0)
                  == NGX_OK);

    test_array(&local, 1, sizeof(ngx_str_t));
    NGX_RTC_CHECK(ngx_rtc_ice_local(s2.ice, NULL, &ufrag, &pwd, &local)
                  == NGX_OK);
    NGX_RTC_CHECK(test_has(&local, " typ srflx ") == 0);

    /* the browser's first check arrives a while after the answer */
    test_run(NULL, 500);
    NGX_RTC_CHECK(s2.failed == 0);

    test_peer_answer(&peer2, &ufrag, &pwd, &local);

    test_run(&s2.connected, 10000);
    NGX_RTC_CHECK(s2.connected == 1);

    NGX_RTC_CHECK(ngx_rtc_ice_send(s2.ice, rtp, sizeof(rtp)) == NGX_OK);
    test_run(&peer2.nrecv, 2000);
    NGX_RTC_CHECK(peer2.nrecv == 1 && peer2.last_len == sizeof(rtp));

    NGX_RTC_CHECK(nice_agent_send(peer2.agent, peer2.stream_id, 1,
                                  sizeof(dtls), (gchar *) dtls)
                  == (gint) sizeof(dtls));
    test_run(&s2.nrecv, 2000);
    NGX_RTC_CHECK(s2.nrecv == 1 && s2.last[0] == 0x16);

    /* credentials longer than RFC 8839 allows */
    bad.len = 300;
    bad.data = test_alloc(bad.len);
    ngx_memset(bad.data, 'a', bad.len);
    NGX_RTC_CHECK(ngx_rtc_ice_remote(s2.ice, &bad, &ppwd, NULL, 0)
                  == NGX_ERROR);
    NGX_RTC_CHECK(ngx_rtc_ice_remote(s2.ice, &pufrag, NULL, NULL, 0)
                  == NGX_ERROR);

    /* trickled candidates alone, credentials unchanged */
    NGX_RTC_CHECK(ngx_rtc_ice_remote(s2.ice, NULL, NULL, offer.elts,
                                     offer.nelts)
                  == NGX_OK);
    NGX_RTC_CHECK(s2.connected == 1 && s2.failed == 0);

    /* 5. plain destroy; every socket is closed, no thread was started */

    NGX_RTC_CHECK(test_count("/proc/self/task") == threads);

    ngx_rtc_ice_destroy(s2.ice);
    g_object_unref(peer.agent);
    g_object_unref(peer2.agent);

    test_run(NULL, 100);

    g_source_destroy(tick);
    g_source_unref(tick);
    g_main_context_release(test_ctx);
    g_main_context_unref(test_ctx);

    NGX_RTC_CHECK(test_count("/proc/self/fd") == fds);
    NGX_RTC_CHECK(test_count("/proc/self/task") == threads);

    test_mem_free();

    return NGX_RTC_UNIT_DONE();
}
