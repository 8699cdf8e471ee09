/*
 * Copyright (C) nginx-rtc authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_rtc.h>
#include <agent.h>
#include "ngx_rtc_gloop.h"
#include "ngx_rtc_ice.h"
#include "ngx_rtc_acl.h"


/* RFC 8839: ice-ufrag and ice-pwd are at most 256 characters */
#define NGX_RTC_ICE_CRED_LEN   256
#define NGX_RTC_ICE_CAND_LEN   512

/* RFC 8445 5.1.2.1: type preference of server-reflexive candidates */
#define NGX_RTC_ICE_SRFLX_PREF  100

/*
 * libnice's Ta (ms), the period of its check and gathering timers:
 * libnice's default, 20 (5, RFC 8445 14.2's floor, selected the pair
 * ~8 ms sooner but came with a few first pictures 0.5 s late, not
 * understood: docs/architecture.md).  The grace period of its check
 * timer once no check is pending (ms): libnice's default while a
 * component may still fail, its minimum once READY (see
 * ngx_rtc_ice_idle())
 */
#define NGX_RTC_ICE_TA          20
#define NGX_RTC_ICE_IDLE        5000
#define NGX_RTC_ICE_IDLE_READY  50


struct ngx_rtc_ice_s {
    NiceAgent          *agent;
    ngx_rtc_gloop_t    *loop;          /* the agent's own GLib loop */
    guint               stream_id;
    gulong              state_handler;
    gulong              gathering_handler;
    gulong              pair_handler;

    void              (*recv)(void *data, u_char *buf, size_t len);
    void              (*state)(void *data, ngx_uint_t state);
    void               *data;
    ngx_array_t        *candidates;
    ngx_array_t        *acl;           /* rtc_ice_allow, rtc_ice_deny */
    ngx_log_t          *log;

    /* depth of libnice calls and callbacks on the stack */
    ngx_uint_t          busy;
    guint               idle;          /* libnice's "idle-timeout" */

    /* remote candidates given so far (offer, trickle) */
    ngx_uint_t          nremote;

    size_t              remote_ufrag_len;
    u_char              remote_ufrag[NGX_RTC_ICE_CRED_LEN];

    unsigned            connected:1;
    unsigned            failed:1;
    unsigned            destroyed:1;
    unsigned            gathered:1;
    unsigned            tcp:1;         /* ICE-TCP candidates allowed */
    unsigned            tcp_pair:1;    /* the selected pair is TCP */
    unsigned            relay:1;       /* a TURN server was given */
    unsigned            closed:1;      /* TURN allocations being released */

    /* the selected pair's candidate types, NGX_RTC_ICE_CAND_* */
    uint32_t            pair_local;
    uint32_t            pair_remote;
    unsigned            direct:1;      /* peer: the selected UDP pair */

    ngx_rtc_ice_peer_t  peer;
};


static void ngx_rtc_ice_servers(ngx_rtc_ice_t *ice, ngx_rtc_ice_conf_t *conf);
static ngx_int_t ngx_rtc_ice_local_nat(ngx_rtc_ice_t *ice, ngx_pool_t *pool,
    NiceCandidate *host, ngx_array_t *cands, ngx_uint_t *n);
static ngx_uint_t ngx_rtc_ice_usable(ngx_rtc_ice_t *ice, NiceCandidate *c);
static ngx_uint_t ngx_rtc_ice_usable_addr(ngx_rtc_ice_t *ice,
    NiceCandidate *c);
static ngx_uint_t ngx_rtc_ice_host_char(u_char ch, ngx_uint_t v6);
static ngx_int_t ngx_rtc_ice_copy(ngx_pool_t *pool, ngx_str_t *dst,
    const gchar *src);
static ngx_int_t ngx_rtc_ice_cstr(u_char *dst, size_t size, ngx_str_t *src,
    const char *prefix);
static void ngx_rtc_ice_recv_cb(NiceAgent *agent, guint stream_id,
    guint component_id, guint len, gchar *buf, gpointer data);
static void ngx_rtc_ice_state_cb(NiceAgent *agent, guint stream_id,
    guint component_id, guint state, gpointer data);
static void ngx_rtc_ice_gathering_cb(NiceAgent *agent, guint stream_id,
    gpointer data);
static void ngx_rtc_ice_pair_cb(NiceAgent *agent, guint stream_id,
    guint component_id, NiceCandidate *local, NiceCandidate *remote,
    gpointer data);
static uint32_t ngx_rtc_ice_cand_type(NiceCandidate *c);
static void ngx_rtc_ice_closed_cb(GObject *agent, GAsyncResult *res,
    gpointer data);
static void ngx_rtc_ice_select(ngx_rtc_ice_t *ice);
static void ngx_rtc_ice_idle(ngx_rtc_ice_t *ice, guint state);
static void ngx_rtc_ice_free_later(ngx_rtc_ice_t *ice);
static gboolean ngx_rtc_ice_free_cb(gpointer data);
static void ngx_rtc_ice_free(ngx_rtc_ice_t *ice);


ngx_rtc_ice_t *
ngx_rtc_ice_create(ngx_rtc_ice_conf_t *conf)
{
    u_char            ip[NICE_ADDRESS_STRING_LEN + 1];
    gboolean          ok;
    NiceAgent        *agent;
    GMainContext     *ctx;
    ngx_rtc_ice_t    *ice;
    ngx_rtc_gloop_t  *loop;

    if (ngx_rtc_gloop_context() == NULL) {
        ngx_log_error(NGX_LOG_ALERT, conf->log, 0,
                      "rtc ice: no GLib context in this process");
        return NULL;
    }

    /*
     * a GLib context per agent: a wake-up runs this agent's sources only
     * (ngx_rtc_gloop.c); it may outlive the session (TURN's release), so
     * it logs to the cycle's log
     */

    loop = ngx_rtc_gloop_create(ngx_cycle->log);
    if (loop == NULL) {
        return NULL;
    }

    ctx = ngx_rtc_gloop_get_context(loop);

    /*
     * A viewer's agent runs without libnice's consent freshness
     * (conf->consent == 0): libnice 0.1.21 (Debian 12) turns the component
     * FAILED ~7 s after its last answered consent check, not the 30 s of
     * RFC 7675, and a viewer's Wi-Fi gap of 8 s ended its session.  The
     * viewer's consent to receive is its authenticated SRTCP instead (its
     * receiver reports, about every second): a session without any for
     * 20 s ends (ngx_rtc_session.c, "peer silent"), within RFC 7675's
     * 30 s.  libnice still answers the peer's own consent checks.
     */

    agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245,
                                conf->consent
                                ? NICE_AGENT_OPTION_CONSENT_FRESHNESS
                                : NICE_AGENT_OPTION_NONE);
    if (agent == NULL) {
        ngx_log_error(NGX_LOG_ALERT, conf->log, 0,
                      "rtc ice: nice_agent_new_full() failed");
        ngx_rtc_gloop_destroy(loop);
        return NULL;
    }

    /*
     * the browser offers, so it controls (RFC 8445 6.1.1), unless we are
     * the offerer (a whep:// source); ICE-TCP only
     * with rtc_ice_tcp (a TCP pair may queue data and add a write source:
     * see ngx_rtc_ice_send()); no UPnP-IGD discovery; Ta and the idle
     * grace as above
     */

    g_object_set(agent, "controlling-mode", conf->controlling ? TRUE : FALSE,
                 "ice-tcp", conf->tcp ? TRUE : FALSE, "upnp", FALSE,
                 "stun-pacing-timer", (guint) NGX_RTC_ICE_TA,
                 "idle-timeout", (guint) NGX_RTC_ICE_IDLE, NULL);

    ice = g_new0(ngx_rtc_ice_t, 1);

    ice->agent = agent;
    ice->loop = loop;
    ice->recv = conf->recv;
    ice->state = conf->state;
    ice->data = conf->data;
    ice->candidates = conf->candidates;
    ice->acl = conf->acl;
    ice->log = conf->log;
    ice->tcp = conf->tcp ? 1 : 0;
    ice->idle = NGX_RTC_ICE_IDLE;

    if (conf->stun_server.len) {
        if (ngx_rtc_ice_cstr(ip, sizeof(ip), &conf->stun_server, "")
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, conf->log, 0,
                          "rtc ice: invalid STUN server \"%V\"",
                          &conf->stun_server);
            goto failed;
        }

        g_object_set(agent, "stun-server", (gchar *) ip, "stun-server-port",
                     (guint) (conf->stun_port ? conf->stun_port : 3478),
                     NULL);
    }

    ice->stream_id = nice_agent_add_stream(agent, 1);
    if (ice->stream_id == 0) {
        ngx_log_error(NGX_LOG_ALERT, conf->log, 0,
                      "rtc ice: nice_agent_add_stream() failed");
        goto failed;
    }

    if (conf->port_min || conf->port_max) {
        nice_agent_set_port_range(agent, ice->stream_id, 1,
                                  (guint) conf->port_min,
                                  (guint) conf->port_max);
    }

    ngx_rtc_ice_servers(ice, conf);

    ice->state_handler = g_signal_connect(agent, "component-state-changed",
                                          G_CALLBACK(ngx_rtc_ice_state_cb),
                                          ice);

    ice->gathering_handler = g_signal_connect(agent,
                                     "candidate-gathering-done",
                                     G_CALLBACK(ngx_rtc_ice_gathering_cb),
                                     ice);

    ice->pair_handler = g_signal_connect(agent, "new-selected-pair-full",
                                         G_CALLBACK(ngx_rtc_ice_pair_cb),
                                         ice);

    /*
     * host candidates are ready when this returns (gathering-done is even
     * emitted before it returns without STUN or TURN servers);
     * server-reflexive and relayed ones follow asynchronously:
     * ngx_rtc_ice_gathered() tells when they are all there
     */

    ice->busy++;
    ok = nice_agent_gather_candidates(agent, ice->stream_id);
    ice->busy--;

    if (!ok) {
        ngx_log_error(NGX_LOG_ERR, conf->log, 0,
                      "rtc ice: no host candidate: no interface address "
                      "but loopback, or no free port in %ui-%ui",
                      conf->port_min, conf->port_max);
        goto failed;
    }

    nice_agent_attach_recv(agent, ice->stream_id, 1, ctx, ngx_rtc_ice_recv_cb,
                           ice);

    ngx_rtc_gloop_sync(loop);

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, ice->log, 0,
                   "rtc ice create: %p stream:%ui", agent,
                   (ngx_uint_t) ice->stream_id);

    return ice;

failed:

    /* the agent's signal handlers go with it */
    g_object_unref(agent);
    g_free(ice);

    ngx_rtc_gloop_destroy(loop);

    return NULL;
}


/*
 * rtc_ice_server: the first STUN server given by IP address becomes the
 * agent's (libnice takes one), every TURN server given by IP address a
 * relay.  Servers named by host name are only advertised to clients: the
 * worker resolves no names while it answers an offer.
 */

static void
ngx_rtc_ice_servers(ngx_rtc_ice_t *ice, ngx_rtc_ice_conf_t *conf)
{
    u_char                 host[NICE_ADDRESS_STRING_LEN + 1];
    u_char                 user[NGX_RTC_ICE_CRED_LEN + 1];
    u_char                 pass[NGX_RTC_ICE_CRED_LEN + 1];
    ngx_uint_t             i, stun;
    NiceAddress            a;
    NiceRelayType          type;
    ngx_rtc_ice_url_t      u;
    ngx_rtc_ice_server_t  *srv;

    if (conf->servers == NULL) {
        return;
    }

    stun = (conf->stun_server.len != 0);
    srv = conf->servers->elts;

    for (i = 0; i < conf->servers->nelts; i++) {

        if (ngx_rtc_ice_parse_url(&srv[i].url, &u) != NGX_OK
            || ngx_rtc_ice_cstr(host, sizeof(host), &u.host, "") != NGX_OK
            || !nice_address_set_from_string(&a, (gchar *) host))
        {
            ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ice->log, 0,
                           "rtc ice: server \"%V\" is for clients only",
                           &srv[i].url);
            continue;
        }

        if (u.type == NGX_RTC_ICE_STUN) {

            /* libnice has no STUN over TLS */

            if (stun || u.transport != NGX_RTC_ICE_UDP) {
                continue;
            }

            g_object_set(ice->agent, "stun-server", (gchar *) host,
                         "stun-server-port", (guint) u.port, NULL);
            stun = 1;
            continue;
        }

        if ((srv[i].username.len
             && ngx_rtc_ice_cstr(user, sizeof(user), &srv[i].username, "")
                != NGX_OK)
            || (srv[i].credential.len
                && ngx_rtc_ice_cstr(pass, sizeof(pass), &srv[i].credential,
                                    "")
                   != NGX_OK))
        {
            ngx_log_error(NGX_LOG_WARN, ice->log, 0,
                          "rtc ice: invalid credentials of \"%V\"",
                          &srv[i].url);
            continue;
        }

        if (srv[i].username.len == 0) {
            user[0] = '\0';
        }

        if (srv[i].credential.len == 0) {
            pass[0] = '\0';
        }

        type = (u.transport == NGX_RTC_ICE_TLS) ? NICE_RELAY_TYPE_TURN_TLS
               : (u.transport == NGX_RTC_ICE_TCP) ? NICE_RELAY_TYPE_TURN_TCP
               : NICE_RELAY_TYPE_TURN_UDP;

        if (!nice_agent_set_relay_info(ice->agent, ice->stream_id, 1,
                                       (gchar *) host, (guint) u.port,
                                       (gchar *) user, (gchar *) pass, type))
        {
            ngx_log_error(NGX_LOG_WARN, ice->log, 0,
                          "rtc ice: TURN server \"%V\" refused by libnice",
                          &srv[i].url);
            continue;
        }

        ice->relay = 1;
    }
}


ngx_int_t
ngx_rtc_ice_local(ngx_rtc_ice_t *ice, ngx_pool_t *pool, ngx_str_t *ufrag,
    ngx_str_t *pwd, ngx_array_t *cands)
{
    gchar          *u, *p, *sdp;
    GSList         *list, *l;
    ngx_int_t       rc;
    ngx_str_t      *s;
    ngx_uint_t      n;
    NiceCandidate  *c;

    if (ice->destroyed) {
        return NGX_ERROR;
    }

    if (!nice_agent_get_local_credentials(ice->agent, ice->stream_id,
                                          &u, &p))
    {
        return NGX_ERROR;
    }

    rc = ngx_rtc_ice_copy(pool, ufrag, u);

    if (rc == NGX_OK) {
        rc = ngx_rtc_ice_copy(pool, pwd, p);
    }

    g_free(u);
    g_free(p);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    list = nice_agent_get_local_candidates(ice->agent, ice->stream_id, 1);
    n = 0;

    for (l = list; l; l = l->next) {
        c = l->data;

        /*
         * IPv6 link-local addresses mean nothing without a scope
         * (nice_address_is_linklocal() is not exported by libnice 0.1.21);
         * peer-reflexive ones are learned by the peer, not advertised
         * (RFC 8445, 7.2.5.3.1)
         */

        if ((c->transport != NICE_CANDIDATE_TRANSPORT_UDP && !ice->tcp)
            || c->type == NICE_CANDIDATE_TYPE_PEER_REFLEXIVE
            || (c->addr.s.addr.sa_family == AF_INET6
                && IN6_IS_ADDR_LINKLOCAL(&c->addr.s.ip6.sin6_addr)))
        {
            continue;
        }

        /* "a=candidate:1 1 UDP 2015363327 192.0.2.2 56526 typ host" */

        sdp = nice_agent_generate_local_candidate_sdp(ice->agent, c);
        if (sdp == NULL) {
            continue;
        }

        s = ngx_array_push(cands);

        if (s == NULL
            || ngx_rtc_ice_copy(pool, s,
                                ngx_strncmp(sdp, "a=", 2) == 0 ? sdp + 2 : sdp)
               != NGX_OK)
        {
            g_free(sdp);
            rc = NGX_ERROR;
            break;
        }

        g_free(sdp);

        if (c->type == NICE_CANDIDATE_TYPE_HOST
            && c->transport == NICE_CANDIDATE_TRANSPORT_UDP
            && ice->candidates
            && ngx_rtc_ice_local_nat(ice, pool, c, cands, &n) != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }
    }

    g_slist_free_full(list, (GDestroyNotify) nice_candidate_free);

    if (rc == NGX_OK && cands->nelts == 0) {
        ngx_log_error(NGX_LOG_WARN, ice->log, 0,
                      "rtc ice: no usable local candidate");
    }

    return rc;
}


/*
 * An address of a 1:1 NAT (rtc_candidate) is advertised as the
 * server-reflexive candidate of each host candidate of its family, on the
 * same port: checks sent to it arrive on the host candidate's socket.
 */

static ngx_int_t
ngx_rtc_ice_local_nat(ngx_rtc_ice_t *ice, ngx_pool_t *pool,
    NiceCandidate *host, ngx_array_t *cands, ngx_uint_t *n)
{
    u_char       *p, ip[NICE_ADDRESS_STRING_LEN + 1];
    gchar         base[NICE_ADDRESS_STRING_LEN];
    uint32_t      prio;
    ngx_str_t    *addr, *s;
    ngx_uint_t    i, port, len;
    NiceAddress   a;

    addr = ice->candidates->elts;

    nice_address_to_string(&host->addr, base);
    port = nice_address_get_port(&host->addr);

    for (i = 0; i < ice->candidates->nelts; i++) {

        if (ngx_rtc_ice_cstr(ip, sizeof(ip), &addr[i], "") != NGX_OK
            || !nice_address_set_from_string(&a, (gchar *) ip))
        {
            ngx_log_error(NGX_LOG_WARN, ice->log, 0,
                          "rtc ice: candidate address \"%V\" ignored",
                          &addr[i]);
            continue;
        }

        if (nice_address_ip_version(&a) != nice_address_ip_version(&host->addr))
        {
            continue;
        }

        /* RFC 8445 5.1.2.1, local preference decreasing with each one */

        prio = ((uint32_t) NGX_RTC_ICE_SRFLX_PREF << 24)
               + ((uint32_t) (65535 - (*n % 65535)) << 8)
               + (256 - 1);

        len = sizeof("candidate:r 1 udp  typ srflx raddr  rport ") - 1
              + 2 * NGX_INT_T_LEN + NGX_INT32_LEN + 2 * NGX_INT32_LEN
              + addr[i].len + NICE_ADDRESS_STRING_LEN;

        s = ngx_array_push(cands);
        if (s == NULL) {
            return NGX_ERROR;
        }

        s->data = ngx_pnalloc(pool, len);
        if (s->data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_slprintf(s->data, s->data + len,
                         "candidate:r%ui 1 udp %uD %s %ui typ srflx "
                         "raddr %s rport %ui",
                         *n + 1, prio, ip, port, base, port);

        s->len = p - s->data;

        (*n)++;
    }

    return NGX_OK;
}


ngx_int_t
ngx_rtc_ice_remote(ngx_rtc_ice_t *ice, ngx_str_t *ufrag, ngx_str_t *pwd,
    ngx_str_t *cands, ngx_uint_t ncands)
{
    u_char          u[NGX_RTC_ICE_CRED_LEN + 1], p[NGX_RTC_ICE_CRED_LEN + 1];
    u_char          line[NGX_RTC_ICE_CAND_LEN];
    GSList         *list;
    ngx_int_t       rc;
    ngx_uint_t      i;
    NiceCandidate  *c;

    if (ice->destroyed) {
        return NGX_ERROR;
    }

    rc = NGX_OK;
    ice->busy++;

    if (ufrag && ufrag->len) {
        if (pwd == NULL
            || ngx_rtc_ice_cstr(u, sizeof(u), ufrag, "") != NGX_OK
            || ngx_rtc_ice_cstr(p, sizeof(p), pwd, "") != NGX_OK)
        {
            ngx_log_error(NGX_LOG_INFO, ice->log, 0,
                          "rtc ice: invalid ice-ufrag or ice-pwd");
            rc = NGX_ERROR;
            goto done;
        }

        if (!nice_agent_set_remote_credentials(ice->agent, ice->stream_id,
                                               (gchar *) u, (gchar *) p)
            || ice->destroyed)
        {
            rc = NGX_ERROR;
            goto done;
        }

        ice->remote_ufrag_len = ngx_strlen(u);
        ngx_memcpy(ice->remote_ufrag, u, ice->remote_ufrag_len);
    }

    list = NULL;

    for (i = 0; i < ncands; i++) {

        /* libnice parses whole "a=candidate:..." lines only */

        if (ngx_rtc_ice_cstr(line, sizeof(line), &cands[i],
                             (cands[i].len >= 2
                              && ngx_strncmp(cands[i].data, "a=", 2) == 0)
                             ? "" : "a=")
            != NGX_OK)
        {
            c = NULL;

        } else {
            c = nice_agent_parse_remote_candidate_sdp(ice->agent,
                                                      ice->stream_id,
                                                      (gchar *) line);
        }

        if (c == NULL || !ngx_rtc_ice_usable(ice, c)) {
            /* mDNS ".local" names, TCP, garbage: the peer's choice */
            ngx_log_error(NGX_LOG_INFO, ice->log, 0,
                          "rtc ice: remote candidate ignored: \"%V\"",
                          &cands[i]);

            if (c) {
                nice_candidate_free(c);
            }

            continue;
        }

        ice->nremote++;
        list = g_slist_prepend(list, c);
    }

    if (list) {
        list = g_slist_reverse(list);

        if (nice_agent_set_remote_candidates(ice->agent, ice->stream_id, 1,
                                             list)
            < 0)
        {
            rc = NGX_ERROR;
        }

        g_slist_free_full(list, (GDestroyNotify) nice_candidate_free);
    }

done:

    ice->busy--;

    ngx_rtc_gloop_sync(ice->loop);

    /* a state callback may have destroyed the session meanwhile */
    return ice->destroyed ? NGX_ERROR : rc;
}


/*
 * The agent sends connectivity checks to every remote candidate: only to
 * what a peer can be.  Not to loopback, unspecified, multicast or
 * broadcast addresses, nor to privileged ports (no browser, STUN or TURN
 * stack allocates one, while services listen there), and to at most
 * NICE_AGENT_MAX_REMOTE_CANDIDATES of them per session.  TCP candidates
 * only with ICE-TCP; an active one (port 9) is never connected to.  Then
 * rtc_ice_allow and rtc_ice_deny have their say.
 */

static ngx_uint_t
ngx_rtc_ice_usable(ngx_rtc_ice_t *ice, NiceCandidate *c)
{
    gchar  addr[NICE_ADDRESS_STRING_LEN];

    if (!ngx_rtc_ice_usable_addr(ice, c)) {
        return 0;
    }

    if (ngx_rtc_acl_denied(ice->acl, &c->addr.s.addr)) {
        nice_address_to_string(&c->addr, addr);

        ngx_log_error(NGX_LOG_INFO, ice->log, 0,
                      "rtc ice: remote address %s denied by rtc_ice_deny",
                      addr);
        return 0;
    }

    return 1;
}


static ngx_uint_t
ngx_rtc_ice_usable_addr(ngx_rtc_ice_t *ice, NiceCandidate *c)
{
    in_addr_t         a4;
    ngx_uint_t        port;
    struct in6_addr  *a6;

    if (ice->nremote >= NICE_AGENT_MAX_REMOTE_CANDIDATES) {
        return 0;
    }

    port = nice_address_get_port(&c->addr);

    switch (c->transport) {

    case NICE_CANDIDATE_TRANSPORT_UDP:
        break;

    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
        if (!ice->tcp) {
            return 0;
        }

        port = 1024;
        break;

    default:
        if (!ice->tcp) {
            return 0;
        }

        break;
    }

    if (port < 1024) {
        return 0;
    }

    switch (c->addr.s.addr.sa_family) {

    case AF_INET:
        a4 = ntohl(c->addr.s.ip4.sin_addr.s_addr);

        return !((a4 >> 24) == 127 || a4 == INADDR_ANY
                 || a4 == INADDR_BROADCAST || IN_MULTICAST(a4));

    case AF_INET6:
        a6 = &c->addr.s.ip6.sin6_addr;

        return !(IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_UNSPECIFIED(a6)
                 || IN6_IS_ADDR_MULTICAST(a6) || IN6_IS_ADDR_V4MAPPED(a6));

    default:
        return 0;
    }
}


ngx_uint_t
ngx_rtc_ice_remote_is(ngx_rtc_ice_t *ice, ngx_str_t *ufrag)
{
    u_char  u[NGX_RTC_ICE_CRED_LEN + 1];

    if (ngx_rtc_ice_cstr(u, sizeof(u), ufrag, "") != NGX_OK) {
        return 0;
    }

    return ngx_strlen(u) == ice->remote_ufrag_len
           && ngx_memcmp(u, ice->remote_ufrag, ice->remote_ufrag_len) == 0;
}


ngx_int_t
ngx_rtc_ice_restart(ngx_rtc_ice_t *ice, ngx_str_t *ufrag, ngx_str_t *pwd,
    ngx_str_t *cands, ngx_uint_t ncands)
{
    u_char    u[NGX_RTC_ICE_CRED_LEN + 1], p[NGX_RTC_ICE_CRED_LEN + 1];
    gboolean  ok;

    if (ice->destroyed || ice->failed) {
        return NGX_ERROR;
    }

    if (ufrag == NULL || pwd == NULL
        || ngx_rtc_ice_cstr(u, sizeof(u), ufrag, "") != NGX_OK
        || ngx_rtc_ice_cstr(p, sizeof(p), pwd, "") != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, ice->log, 0,
                      "rtc ice: ICE restart without valid credentials");
        return NGX_DECLINED;
    }

    /*
     * new local credentials, the remote candidates forgotten but the one
     * of the selected pair, which keeps carrying media meanwhile
     */

    ice->busy++;
    ok = nice_agent_restart_stream(ice->agent, ice->stream_id);
    ice->busy--;

    if (!ok || ice->destroyed) {
        ngx_rtc_gloop_sync(ice->loop);
        return NGX_ERROR;
    }

    ice->nremote = 0;
    ice->remote_ufrag_len = 0;

    ngx_rtc_ice_select(ice);

    ngx_log_error(NGX_LOG_INFO, ice->log, 0, "rtc ice: restart");

    return ngx_rtc_ice_remote(ice, ufrag, pwd, cands, ncands);
}


ngx_uint_t
ngx_rtc_ice_gathered(ngx_rtc_ice_t *ice)
{
    return ice->gathered;
}


ngx_rtc_ice_peer_t *
ngx_rtc_ice_peer(ngx_rtc_ice_t *ice)
{
    if (!ice->direct || !ice->connected || ice->failed || ice->destroyed) {
        return NULL;
    }

    return &ice->peer;
}


ngx_int_t
ngx_rtc_ice_send(ngx_rtc_ice_t *ice, u_char *buf, size_t len)
{
    gint               n;
    GError            *err;
    ngx_int_t          rc;
    GOutputVector      vec;
    NiceOutputMessage  msg;

    if (ice->destroyed || ice->failed) {
        return NGX_ERROR;
    }

    if (!ice->connected) {
        return NGX_AGAIN;
    }

    vec.buffer = buf;
    vec.size = len;
    msg.buffers = &vec;
    msg.n_buffers = 1;

    err = NULL;

    /*
     * UDP: a full socket buffer drops the datagram (n == 0), nothing is
     * queued and no source is added, so no sync; a TCP pair (RFC 6544)
     * queues what the socket does not take and waits for it to be
     * writable, a TURN socket may arm its timers: the GLib sources change
     * (a sync of this agent's loop only)
     */

    ice->busy++;

    n = nice_agent_send_messages_nonblocking(ice->agent, ice->stream_id, 1,
                                             &msg, 1, NULL, &err);

    ice->busy--;

    if (!ice->direct && !ice->destroyed) {
        ngx_rtc_gloop_sync(ice->loop);
    }

    if (n == 1) {
        return NGX_OK;
    }

    if (ice->destroyed) {
        rc = NGX_ERROR;
        goto done;
    }

    if (n == 0
        || (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
    {
        rc = NGX_AGAIN;

    } else {
        ngx_log_error(NGX_LOG_INFO, ice->log, 0, "rtc ice: send failed: %s",
                      err ? err->message : "unknown error");
        rc = NGX_ERROR;
    }

done:

    if (err) {
        g_error_free(err);
    }

    return rc;
}


void
ngx_rtc_ice_destroy(ngx_rtc_ice_t *ice)
{
    if (ice == NULL || ice->destroyed) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, ice->log, 0,
                   "rtc ice destroy: %p", ice->agent);

    ice->destroyed = 1;
    ice->recv = NULL;
    ice->state = NULL;
    ice->data = NULL;

    /* the caller's log may be freed with its pool right after this */
    ice->log = NULL;

    g_signal_handler_disconnect(ice->agent, ice->state_handler);
    g_signal_handler_disconnect(ice->agent, ice->gathering_handler);
    g_signal_handler_disconnect(ice->agent, ice->pair_handler);

    if (ice->busy == 0) {
        ngx_rtc_ice_free(ice);
        return;
    }

    /*
     * called from a callback: libnice is still on the stack with this agent,
     * so unref it from an idle source; the callbacks see ice->destroyed
     */

    ngx_rtc_ice_free_later(ice);
}


static ngx_int_t
ngx_rtc_ice_copy(ngx_pool_t *pool, ngx_str_t *dst, const gchar *src)
{
    size_t  len;

    len = ngx_strlen(src);

    dst->data = ngx_pnalloc(pool, len);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src, len);
    dst->len = len;

    return NGX_OK;
}


/* prefix + src, without trailing CR/LF/spaces, NUL-terminated, in dst */

static ngx_int_t
ngx_rtc_ice_cstr(u_char *dst, size_t size, ngx_str_t *src, const char *prefix)
{
    u_char  *p;
    size_t   len, plen;

    len = src->len;

    while (len
           && (src->data[len - 1] == CR || src->data[len - 1] == LF
               || src->data[len - 1] == ' '))
    {
        len--;
    }

    plen = ngx_strlen(prefix);

    if (len == 0 || plen + len + 1 > size
        || ngx_strlchr(src->data, src->data + len, '\0'))
    {
        return NGX_ERROR;
    }

    p = ngx_cpymem(dst, prefix, plen);
    p = ngx_cpymem(p, src->data, len);
    *p = '\0';

    return NGX_OK;
}


static void
ngx_rtc_ice_recv_cb(NiceAgent *agent, guint stream_id, guint component_id,
    guint len, gchar *buf, gpointer data)
{
    ngx_rtc_ice_t  *ice;

    ice = data;

    if (ice->destroyed || ice->recv == NULL) {
        return;
    }

    ice->busy++;
    ice->recv(ice->data, (u_char *) buf, len);
    ice->busy--;
}


static void
ngx_rtc_ice_state_cb(NiceAgent *agent, guint stream_id, guint component_id,
    guint state, gpointer data)
{
    ngx_uint_t      s;
    ngx_rtc_ice_t  *ice;

    ice = data;

    if (ice->destroyed) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, ice->log, 0,
                   "rtc ice state: %s (%ui)",
                   nice_component_state_to_string(state), (ngx_uint_t) state);

    ngx_rtc_ice_idle(ice, state);

    switch (state) {

    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:

        if (ice->connected || ice->failed) {
            return;
        }

        ice->connected = 1;
        s = NGX_RTC_ICE_CONNECTED;
        break;

    case NICE_COMPONENT_STATE_FAILED:

        if (ice->failed) {
            return;
        }

        ngx_log_error(NGX_LOG_INFO, ice->log, 0,
                      ice->connected ? "rtc ice: consent lost"
                                     : "rtc ice: connectivity checks failed");

        ice->connected = 0;
        ice->failed = 1;
        s = NGX_RTC_ICE_FAILED;
        break;

    default:
        return;
    }

    if (ice->state) {
        ice->busy++;
        ice->state(ice->data, s);
        ice->busy--;
    }
}


/*
 * Once no check is pending, libnice's check timer still ticks every Ta
 * for "idle-timeout" ms, then declares FAILED a component whose checks
 * are all done with no pair nominated, and stops: with the default 5 s,
 * ~1000 ticks of a join that do nothing.  A READY component has a
 * nominated pair, so its grace period can only end in the timer
 * stopping, as it does 5 s later anyway: READY gets libnice's minimum.
 * Any other state gets the default back: checks of trickled candidates
 * (READY -> CONNECTED), an ICE restart (-> GATHERING: the check list and
 * its nominated pair are gone), a pair lost.  libnice queues the signal
 * and emits it outside its lock, in order.
 */

static void
ngx_rtc_ice_idle(ngx_rtc_ice_t *ice, guint state)
{
    guint  idle;

    idle = (state == NICE_COMPONENT_STATE_READY) ? NGX_RTC_ICE_IDLE_READY
                                                 : NGX_RTC_ICE_IDLE;

    if (idle != ice->idle) {
        ice->idle = idle;
        g_object_set(ice->agent, "idle-timeout", idle, NULL);
    }
}


static void
ngx_rtc_ice_gathering_cb(NiceAgent *agent, guint stream_id, gpointer data)
{
    ngx_rtc_ice_t  *ice;

    ice = data;

    if (ice->destroyed) {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, ice->log, 0,
                   "rtc ice: candidate gathering done");

    ice->gathered = 1;
}


static void
ngx_rtc_ice_pair_cb(NiceAgent *agent, guint stream_id, guint component_id,
    NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
    gchar           addr[NICE_ADDRESS_STRING_LEN];
    ngx_rtc_ice_t  *ice;

    ice = data;

    if (ice->destroyed) {
        return;
    }

    ice->tcp_pair = (local->transport != NICE_CANDIDATE_TRANSPORT_UDP);
    ice->pair_local = ngx_rtc_ice_cand_type(local);
    ice->pair_remote = ngx_rtc_ice_cand_type(remote);

    /*
     * A peer-reflexive candidate, learned from a check the peer sent, was
     * never seen by ngx_rtc_ice_usable(): a pair with a denied remote
     * address carries nothing, the session fails
     */

    if (!ice->failed && ngx_rtc_acl_denied(ice->acl, &remote->addr.s.addr)) {
        nice_address_to_string(&remote->addr, addr);

        ngx_log_error(NGX_LOG_INFO, ice->log, 0,
                      "rtc ice: selected pair's remote address %s denied by "
                      "rtc_ice_deny", addr);

        ice->connected = 0;
        ice->failed = 1;

        if (ice->state) {
            ice->busy++;
            ice->state(ice->data, NGX_RTC_ICE_FAILED);
            ice->busy--;
        }

        return;
    }

    ngx_rtc_ice_select(ice);

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, ice->log, 0,
                   "rtc ice: selected pair, local type %ui, tcp %ui",
                   (ngx_uint_t) local->type, (ngx_uint_t) ice->tcp_pair);
}


static uint32_t
ngx_rtc_ice_cand_type(NiceCandidate *c)
{
    switch (c->type) {

    case NICE_CANDIDATE_TYPE_HOST:
        return NGX_RTC_ICE_CAND_HOST;

    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
        return NGX_RTC_ICE_CAND_SRFLX;

    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
        return NGX_RTC_ICE_CAND_PRFLX;

    default:
        return NGX_RTC_ICE_CAND_RELAY;
    }
}


void
ngx_rtc_ice_pair(ngx_rtc_ice_t *ice, uint32_t *local, uint32_t *remote,
    uint32_t *tcp)
{
    *local = ice->pair_local;
    *remote = ice->pair_remote;
    *tcp = ice->tcp_pair;
}


/*
 * The selected pair's socket and remote address, for sending on it
 * without libnice: only a UDP pair whose local candidate is not relayed
 * (libnice gives no socket for the others).  Taken again on every change
 * of the selected pair and on an ICE restart.
 */

static void
ngx_rtc_ice_select(ngx_rtc_ice_t *ice)
{
    GSocket        *gs;
    NiceCandidate  *local, *remote;

    ice->direct = 0;

    if (!nice_agent_get_selected_pair(ice->agent, ice->stream_id, 1, &local,
                                      &remote)
        || local->transport != NICE_CANDIDATE_TRANSPORT_UDP
        || local->type == NICE_CANDIDATE_TYPE_RELAYED)
    {
        return;
    }

    gs = nice_agent_get_selected_socket(ice->agent, ice->stream_id, 1);
    if (gs == NULL) {
        return;
    }

    ice->peer.fd = g_socket_get_fd(gs);

    /* the socket stays libnice's: this drops only our reference */
    g_object_unref(gs);

    ngx_memzero(&ice->peer.sockaddr, sizeof(ngx_sockaddr_t));
    nice_address_copy_to_sockaddr(&remote->addr, &ice->peer.sockaddr.sockaddr);

    switch (ice->peer.sockaddr.sockaddr.sa_family) {

    case AF_INET:
        ice->peer.socklen = sizeof(struct sockaddr_in);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        ice->peer.socklen = sizeof(struct sockaddr_in6);
        break;
#endif

    default:
        return;
    }

    if (ice->peer.fd == (ngx_socket_t) -1) {
        return;
    }

    ice->direct = 1;
}


static void
ngx_rtc_ice_closed_cb(GObject *agent, GAsyncResult *res, gpointer data)
{
    /* libnice's timer that completed the close is still on the stack */
    ngx_rtc_ice_free_later(data);
}


static void
ngx_rtc_ice_free_later(ngx_rtc_ice_t *ice)
{
    GSource  *src;

    src = g_idle_source_new();
    g_source_set_callback(src, ngx_rtc_ice_free_cb, ice, NULL);
    g_source_attach(src, ngx_rtc_gloop_context());
    g_source_unref(src);

    ngx_rtc_gloop_update();
}


static gboolean
ngx_rtc_ice_free_cb(gpointer data)
{
    ngx_rtc_ice_free(data);

    return G_SOURCE_REMOVE;
}


static void
ngx_rtc_ice_free(ngx_rtc_ice_t *ice)
{
    /*
     * TURN allocations are released first (a Refresh with lifetime 0,
     * RFC 8656, 7.2), else they hold a relayed port and the user's quota
     * on the server until they expire; the agent's sockets stay open
     * until the server answered or the request timed out
     */

    if (ice->relay && !ice->closed) {
        ice->closed = 1;
        nice_agent_close_async(ice->agent, ngx_rtc_ice_closed_cb, ice);
        ngx_rtc_gloop_sync(ice->loop);

        /*
         * With no allocation to release (the TURN server never answered)
         * the close completes at once: its GTask result is an idle source
         * of the worker's context, which nothing else may sync for long
         * (the agent's sockets stayed open until the next ICE activity)
         */

        ngx_rtc_gloop_update();
        return;
    }

    /* closes the agent's sockets; the loop drops their events */
    g_object_unref(ice->agent);
    ngx_rtc_gloop_destroy(ice->loop);
    g_free(ice);
}


/*
 * RFC 7064 and RFC 7065:
 *
 *   stun:host[:port]  stuns:host[:port]
 *   turn:host[:port][?transport=udp|tcp]  turns:host[:port][?transport=tcp]
 *
 * host is a name, an IPv4 address or an IPv6 address in brackets.
 */

ngx_int_t
ngx_rtc_ice_parse_url(ngx_str_t *url, ngx_rtc_ice_url_t *u)
{
    u_char      *p, *last, *host;
    ngx_uint_t   secure, port;

    p = url->data;
    last = p + url->len;

    ngx_memzero(u, sizeof(ngx_rtc_ice_url_t));

    if (last - p > 5 && ngx_strncasecmp(p, (u_char *) "stun", 4) == 0) {
        u->type = NGX_RTC_ICE_STUN;

    } else if (last - p > 5
               && ngx_strncasecmp(p, (u_char *) "turn", 4) == 0)
    {
        u->type = NGX_RTC_ICE_TURN;

    } else {
        return NGX_ERROR;
    }

    p += 4;
    secure = 0;

    if (*p == 's' || *p == 'S') {
        secure = 1;
        p++;
    }

    if (p == last || *p++ != ':') {
        return NGX_ERROR;
    }

    u->transport = secure ? NGX_RTC_ICE_TLS : NGX_RTC_ICE_UDP;
    u->port = secure ? 5349 : 3478;

    if (p < last && *p == '[') {
        host = ++p;

        while (p < last && *p != ']') {
            if (!ngx_rtc_ice_host_char(*p, 1)) {
                return NGX_ERROR;
            }

            p++;
        }

        if (p == last) {
            return NGX_ERROR;
        }

        u->host.data = host;
        u->host.len = p++ - host;

    } else {
        host = p;

        while (p < last && *p != ':' && *p != '?') {
            if (!ngx_rtc_ice_host_char(*p, 0)) {
                return NGX_ERROR;
            }

            p++;
        }

        u->host.data = host;
        u->host.len = p - host;
    }

    if (u->host.len == 0 || u->host.len > 253) {
        return NGX_ERROR;
    }

    if (p < last && *p == ':') {
        p++;
        port = 0;

        if (p == last || *p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            port = port * 10 + (*p++ - '0');

            if (port > 65535) {
                return NGX_ERROR;
            }
        }

        if (port == 0) {
            return NGX_ERROR;
        }

        u->port = port;
    }

    if (p == last) {
        return NGX_OK;
    }

    /* RFC 7065, 3.1: the only query of a turn: URL */

    if (u->type != NGX_RTC_ICE_TURN || *p++ != '?'
        || last - p < 13
        || ngx_strncasecmp(p, (u_char *) "transport=", 10) != 0)
    {
        return NGX_ERROR;
    }

    p += 10;

    if (last - p == 3 && ngx_strncasecmp(p, (u_char *) "tcp", 3) == 0) {
        if (!secure) {
            u->transport = NGX_RTC_ICE_TCP;
        }

        return NGX_OK;
    }

    if (last - p == 3 && ngx_strncasecmp(p, (u_char *) "udp", 3) == 0
        && !secure)
    {
        return NGX_OK;
    }

    /* turns: over UDP is DTLS, which libnice does not do */

    return NGX_ERROR;
}


/* a character of a host name or IPv4 address, or of an IPv6 address */

static ngx_uint_t
ngx_rtc_ice_host_char(u_char ch, ngx_uint_t v6)
{
    u_char  c;

    c = (u_char) (ch | 0x20);

    if ((ch >= '0' && ch <= '9') || ch == '.') {
        return 1;
    }

    if (v6) {
        return ch == ':' || (c >= 'a' && c <= 'f');
    }

    return ch == '-' || ch == '_' || (c >= 'a' && c <= 'z');
}
