/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_metrics: the Prometheus text format (version 0.0.4), parsed by the
 * reference parser (python3-prometheus-client) while two werift viewers
 * watch; names nginx_rtc_*, counters *_total, a stream label and no
 * session ids; values consistent with rtc_status; counters only grow,
 * also when a viewer leaves.  The send delay histogram stays empty while
 * a stream plays to nobody, and fills once viewers play: its buckets
 * cumulative, its count that of +Inf, its sum positive; rtc_status shows
 * its p50 and p99.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 19080;
const CAM_PORT = 19054;

const CONF = nginxConf({
    http: `
    rtc_max_sessions 16;
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam;
    rtc_stream cam.b-2 rtsp://127.0.0.1:%%CAMPORT%%/cam always;`,
    server: `
        location /whep/           { rtc_whep; }
        location = /rtc/status    { rtc_status; }
        location = /rtc/metrics   { rtc_metrics; }`,
});


function parse(text) {
    const out = execFileSync('/usr/bin/python3',
                             [path.join(REPO, 't', 'lib', 'prom_parse.py')],
                             { input: text, encoding: 'utf8' });
    const m = new Map();
    for (const fam of JSON.parse(out)) {
        for (const s of fam.samples) {
            const key = s.name + JSON.stringify(Object.entries(s.labels)
                                                .sort());
            m.set(key, { fam, ...s });
        }
    }
    return m;
}


/* the send delay histogram: its buckets by bound, its sum and count */
function sendDelay(m) {
    const buckets = [];
    for (const s of m.values()) {
        if (s.name === 'nginx_rtc_send_delay_seconds_bucket') {
            assert.equal(s.fam.type, 'histogram');
            buckets.push({ le: s.labels.le === '+Inf'
                               ? Infinity : Number(s.labels.le),
                           n: s.value });
        }
    }
    buckets.sort((a, b) => a.le - b.le);
    return {
        buckets,
        sum: value(m, 'nginx_rtc_send_delay_seconds_sum'),
        count: value(m, 'nginx_rtc_send_delay_seconds_count'),
    };
}


function value(m, name, labels) {
    const key = name + JSON.stringify(Object.entries(labels || {}).sort());
    const s = m.get(key);
    if (!s) {
        throw new Error(`no sample ${key}`);
    }
    return s.value;
}


describe('rtc_metrics', { timeout: 180000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          nginx: [{ port: PORT, conf: CONF }] });
    const viewers = rig.viewers;
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    async function scrape() {
        const r = await ngx.http('GET', '/rtc/metrics');
        assert.equal(r.status, 200);
        return r;
    }

    test('the format, parsed by the reference parser', async () => {
        const r = await scrape();
        assert.equal(r.headers['content-type'],
                     'text/plain; version=0.0.4; charset=utf-8');

        const m = parse(r.body);
        for (const s of m.values()) {
            assert.match(s.name, /^nginx_rtc_/);
            if (s.fam.type === 'counter') {
                assert.match(s.name, /_total$/);
            }
        }

        /* every stream, by name */
        assert.equal(value(m, 'nginx_rtc_stream_viewers',
                           { stream: "cam.b-2" }), 0);
        assert.equal(value(m, 'nginx_rtc_zone_sessions_max'), 16);

        /* the version answering: debian/changelog's, in both views */
        const version = fs.readFileSync(
            path.join(REPO, 'debian', 'changelog'), 'utf8')
            .match(/^nginx-rtc \(([^)]+)\)/)[1];
        assert.equal(value(m, 'nginx_rtc_build_info', { version }), 1);
        assert.equal((await ngx.status()).version, version);
        assert.equal(value(m, 'nginx_rtc_zone_sessions_free'), 16);
    });

    test('no viewer: the send delay histogram stays empty', async () => {

        /* cam.b-2 plays (always) to nobody: frames go into its ring */
        await waitFor(async () => {
            const st = await ngx.status();
            const s = st.streams.find((x) => x.name === 'cam.b-2');
            return s && s.frames_in >= 20;
        }, 30000, 'cam.b-2 playing');

        const h = sendDelay(parse((await scrape()).body));
        assert.equal(h.buckets.length, 11);
        assert.equal(h.buckets[10].le, Infinity);
        assert.equal(h.buckets[3].le, 0.002);
        for (const b of h.buckets) {
            assert.equal(b.n, 0);
        }
        assert.equal(h.count, 0);
        assert.equal(h.sum, 0);

        const st = await ngx.status();
        assert.deepEqual(st.send_delay,
                         { count: 0, sum: 0, p50: null, p99: null });
    });

    test('while viewers watch: consistent with rtc_status; only growing',
         async () => {
        for (let i = 0; i < 2; i++) {
            const v = new Viewer(ngx, '/whep/cam', { name: 'v' + i });
            viewers.push(v);
            await v.connectRetry(20000);
        }
        for (const v of viewers) {
            await v.waitKeyframe(20000);
        }

        const st = await ngx.status();
        const r1 = await scrape();
        const m1 = parse(r1.body);
        const cam1 = st.streams.find((s) => s.name === 'cam');

        assert.equal(value(m1, 'nginx_rtc_stream_viewers',
                           { stream: 'cam' }), 2);
        assert.equal(value(m1, 'nginx_rtc_stream_up', { stream: 'cam' }), 1);
        assert.equal(value(m1, 'nginx_rtc_stream_state',
                           { stream: 'cam', state: 'playing' }), 1);
        assert.equal(value(m1, 'nginx_rtc_stream_state',
                           { stream: 'cam', state: 'idle' }), 0);
        assert.equal(value(m1, 'nginx_rtc_zone_sessions_used'),
                     st.sessions.length);
        assert.ok(value(m1, 'nginx_rtc_stream_frames_in_total',
                        { stream: 'cam' }) >= cam1.frames_in);
        assert.ok(value(m1, 'nginx_rtc_stream_keyframes_in_total',
                        { stream: 'cam' }) >= 1);

        /* the ring's health, as rtc_status shows it */
        assert.ok(value(m1, 'nginx_rtc_stream_last_frame_age_seconds',
                        { stream: 'cam' }) < 5);
        assert.ok(value(m1, 'nginx_rtc_stream_last_keyframe_age_seconds',
                        { stream: 'cam' }) < 10);
        assert.ok(value(m1, 'nginx_rtc_stream_buffered_seconds',
                        { stream: 'cam' }) > 0);
        assert.equal(value(m1, 'nginx_rtc_stream_reconnects_total',
                           { stream: 'cam' }), cam1.reconnects);

                /* per worker: they add up to the sessions */
        let perWorker = 0;
        for (const s of m1.values()) {
            if (s.name === 'nginx_rtc_worker_sessions') {
                perWorker += s.value;
            }
        }
        assert.equal(perWorker, 2);

        /* no session id anywhere */
        for (const s of st.sessions) {
            assert.ok(!r1.body.includes(s.id.slice(0, 8)),
                      'a session id in the metrics');
        }

        /* the sessions' counters reach the metrics (about once a second) */
        const sent1 = await waitFor(async () => {
            const m = parse((await scrape()).body);
            const v = value(m, 'nginx_rtc_stream_packets_sent_total',
                            { stream: 'cam' });
            return v > 0 ? m : null;
        }, 10000, 'packets sent in the metrics');

        /* the send delay: counted per viewer-frame as they play */
        const h1 = sendDelay(sent1);
        const h2 = await waitFor(async () => {
            const h = sendDelay(parse((await scrape()).body));
            return h.count >= h1.count + 20 ? h : null;
        }, 10000, 'send delay samples');

        assert.ok(h2.count > 0);
        assert.ok(Number.isFinite(h2.sum) && h2.sum > 0, `sum ${h2.sum}`);
        for (let i = 1; i < h2.buckets.length; i++) {
            assert.ok(h2.buckets[i].n >= h2.buckets[i - 1].n,
                      `buckets cumulative: ${JSON.stringify(h2.buckets)}`);
        }
        assert.equal(h2.buckets[h2.buckets.length - 1].n, h2.count);
        /* a mean that could be a delay: under a second */
        assert.ok(h2.sum / h2.count < 1, `mean ${h2.sum / h2.count}`);

        const sd = (await ngx.status()).send_delay;
        assert.ok(sd.count >= h2.count, JSON.stringify(sd));
        assert.ok(sd.sum > 0 && Number.isFinite(sd.sum), JSON.stringify(sd));
        assert.ok(sd.p50 >= 0 && sd.p50 <= sd.p99 && sd.p99 <= 0.25,
                  JSON.stringify(sd));

        /* a viewer leaves: the stream's counters do not go down */
        await viewers.shift().close();
        await waitFor(async () => value(parse((await scrape()).body),
                                        'nginx_rtc_stream_viewers',
                                        { stream: 'cam' }) === 1,
                      10000, 'one viewer left');

        const m2 = parse((await scrape()).body);
        for (const [key, s] of sent1) {
            if (s.fam.type !== 'counter') {
                continue;
            }
            const later = m2.get(key);
            assert.ok(later, `${key} still there`);
            assert.ok(later.value >= s.value,
                      `${key}: ${s.value} -> ${later.value}`);
        }
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
