/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The figures of a run: a table, or JSON (--json), from the sessions'
 * counters, the window's deltas (whep_load.c) and the client's CPU.
 */


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"


static int
wl_cmp(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


typedef struct {
    int     n;
    double  p50;
    double  p95;
    double  max;
} wl_dist_t;


static wl_dist_t
wl_dist(double *v, int n)
{
    wl_dist_t  d;

    memset(&d, 0, sizeof(d));
    d.n = n;

    if (n == 0) {
        d.p50 = d.p95 = d.max = NAN;
        return d;
    }

    qsort(v, n, sizeof(double), wl_cmp);

    d.p50 = v[(int) ceil(0.50 * n) - 1];
    d.p95 = v[(int) ceil(0.95 * n) - 1];
    d.max = v[n - 1];

    return d;
}


void
wl_report(double window, double cpu_ms, uint64_t t_run)
{
    int            i, up, failed, stalled, gcm, cm;
    int            fails[WL_FAIL_N];
    int            nk, nf, na, ni, nd;
    double        *key, *first, *ans, *ice, *dtls;
    double         pps, mbit, loss, cpu;
    uint64_t       packets, bytes, expected, received, decrypted, dfail;
    uint64_t       lost_all, exp_all, rtcp_out, stun_in, ts_back;
    wl_dist_t      dk, df, da, di, dd;
    wl_session_t  *s;

    key = calloc(wl.n, sizeof(double));
    first = calloc(wl.n, sizeof(double));
    ans = calloc(wl.n, sizeof(double));
    ice = calloc(wl.n, sizeof(double));
    dtls = calloc(wl.n, sizeof(double));

    memset(fails, 0, sizeof(fails));
    up = failed = stalled = gcm = cm = 0;
    nk = nf = na = ni = nd = 0;
    packets = bytes = expected = received = decrypted = dfail = 0;
    ts_back = 0;
    lost_all = exp_all = rtcp_out = stun_in = 0;

    for (i = 0; i < wl.n; i++) {
        s = &wl.sessions[i];

        if (s->state == WL_MEDIA) {
            up++;
            gcm += s->gcm;
            cm += !s->gcm;

            if (s->w_packets == 0) {
                stalled++;
            }

        } else {
            failed++;
            fails[s->state == WL_FAILED ? s->fail : WL_FAIL_NONE]++;
        }

#define WL_MS_SINCE(t)  ((double) ((t) - s->t_start) / WL_MS)

        if (s->t_key) {
            key[nk++] = WL_MS_SINCE(s->t_key);
        }
        if (s->t_first) {
            first[nf++] = WL_MS_SINCE(s->t_first);
        }
        if (s->t_answer) {
            ans[na++] = WL_MS_SINCE(s->t_answer);
        }
        if (s->t_ice) {
            ice[ni++] = WL_MS_SINCE(s->t_ice);
        }
        if (s->t_dtls) {
            dtls[nd++] = WL_MS_SINCE(s->t_dtls);
        }

#undef WL_MS_SINCE

        packets += s->w_packets;
        bytes += s->w_bytes;
        expected += s->w_expected;
        received += s->w_received;
        decrypted += s->decrypted;
        dfail += s->decrypt_failed;
        ts_back += s->track[0].ts_back + s->track[1].ts_back;
        rtcp_out += s->rtcp_out;
        stun_in += s->stun_in;
        exp_all += wl_media_expected(s);
        lost_all += wl_media_expected(s) > wl_media_received(s)
                    ? wl_media_expected(s) - wl_media_received(s) : 0;
    }

    dk = wl_dist(key, nk);
    df = wl_dist(first, nf);
    da = wl_dist(ans, na);
    di = wl_dist(ice, ni);
    dd = wl_dist(dtls, nd);

    pps = window > 0 ? packets / window : 0;
    mbit = window > 0 ? bytes * 8 / window / 1e6 : 0;
    loss = expected ? 100.0 * ((double) expected - (double) received)
                      / expected : 0;
    if (loss < 0) {
        loss = 0;
    }
    cpu = window > 0 ? cpu_ms / window : 0;

    if (wl.json) {
        printf("{\n"
               "  \"url\": \"%s\",\n"
               "  \"sessions\": %d,\n"
               "  \"ramp\": %g,\n"
               "  \"parallel\": %d,\n"
               "  \"window_s\": %.3f,\n"
               "  \"up\": %d,\n"
               "  \"failed\": %d,\n"
               "  \"failures\": {",
               wl.url, wl.n, wl.ramp, wl.parallel, window, up, failed);

        for (i = 1; i < WL_FAIL_N; i++) {
            printf("%s\"%s\": %d", i > 1 ? ", " : "", wl_fail_names[i],
                   fails[i]);
        }

        printf(", \"pending\": %d},\n", fails[WL_FAIL_NONE]);

        printf("  \"stalled\": %d,\n"
               "  \"srtp\": {\"gcm\": %d, \"cm\": %d},\n"
               "  \"packets\": %llu,\n"
               "  \"bytes\": %llu,\n"
               "  \"packets_per_s\": %.1f,\n"
               "  \"packets_per_s_per_session\": %.2f,\n"
               "  \"mbit_per_s\": %.3f,\n"
               "  \"expected\": %llu,\n"
               "  \"lost\": %lld,\n"
               "  \"loss_pct\": %.4f,\n"
               "  \"expected_since_start\": %llu,\n"
               "  \"lost_since_start\": %llu,\n",
               stalled, gcm, cm, (unsigned long long) packets,
               (unsigned long long) bytes, pps, up ? pps / up : 0, mbit,
               (unsigned long long) expected,
               (long long) expected - (long long) received, loss,
               (unsigned long long) exp_all, (unsigned long long) lost_all);

#define WL_JDIST(name, d)                                                    \
        printf("  \"%s\": {\"n\": %d, \"p50\": %.1f, \"p95\": %.1f, "         \
               "\"max\": %.1f},\n", name, d.n,                                \
               isnan(d.p50) ? -1.0 : d.p50, isnan(d.p95) ? -1.0 : d.p95,      \
               isnan(d.max) ? -1.0 : d.max)

        WL_JDIST("answer_ms", da);
        WL_JDIST("ice_ms", di);
        WL_JDIST("dtls_ms", dd);
        WL_JDIST("first_packet_ms", df);
        WL_JDIST("first_keyframe_ms", dk);

#undef WL_JDIST

        printf("  \"ts_backwards\": %llu,\n", (unsigned long long) ts_back);

        printf("  \"decrypted\": %llu,\n"
               "  \"decrypt_failures\": %llu,\n"
               "  \"rtcp_sent\": %llu,\n"
               "  \"stun_received\": %llu,\n"
               "  \"client_cpu_ms\": %.1f,\n"
               "  \"client_cpu_ms_per_s\": %.2f,\n"
               "  \"run_s\": %.3f\n"
               "}\n",
               (unsigned long long) decrypted, (unsigned long long) dfail,
               (unsigned long long) rtcp_out, (unsigned long long) stun_in,
               cpu_ms, cpu, (double) t_run / WL_SEC);

    } else {
        printf("# whep-load %s: %d sessions, ramp %g/s, %d parallel; "
               "window %.1f s; SRTP GCM %d, CM %d\n",
               wl.url, wl.n, wl.ramp, wl.parallel, window, gcm, cm);
        printf("# times from the POST, ms: answer, ICE (binding success), "
               "DTLS done, first RTP, first keyframe packet\n");
        printf("%8s %6s %6s %9s %9s %8s %8s %7s %8s %8s %8s %18s %9s "
               "%8s %8s\n",
               "sessions", "up", "failed", "pkts/s", "pkts/s/s", "Mbit/s",
               "loss %", "lost", "answer", "dtls", "first", "key p50/p95/max",
               "decrypted", "dec.fail", "cpu ms/s");
        printf("%8d %6d %6d %9.0f %9.1f %8.2f %8.3f %7lld %8.0f %8.0f "
               "%8.0f %6.0f/%5.0f/%5.0f %9llu %8llu %8.1f\n",
               wl.n, up, failed, pps, up ? pps / up : 0, mbit, loss,
               (long long) expected - (long long) received, da.p50, dd.p50,
               df.p50, dk.p50, dk.p95, dk.max, (unsigned long long) decrypted,
               (unsigned long long) dfail, cpu);
        printf("# failed: ");
        for (i = 1; i < WL_FAIL_N; i++) {
            printf("%s %d, ", wl_fail_names[i], fails[i]);
        }
        printf("not up in time %d; no RTP in the window: %d; "
               "lost since the start: %llu of %llu; ICE p50 %.0f ms; "
               "client cpu %.2f ms/s per session\n",
               fails[WL_FAIL_NONE], stalled, (unsigned long long) lost_all,
               (unsigned long long) exp_all, di.p50, up ? cpu / up : 0);
    }

    fflush(stdout);

    free(key);
    free(first);
    free(ans);
    free(ice);
    free(dtls);
}
