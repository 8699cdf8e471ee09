/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_metrics: the Prometheus text format (version 0.0.4), parsed by the
 * reference parser (python3-prometheus-client) while two werift viewers
 * watch; names nginx_rtc_*, counters *_total, a stream label and no
 * session ids; values consistent with rtc_status; counters only grow,
 * also when a viewer leaves.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { Nginx, waitFor, requireNetns, REPO } = require('./lib/nginx');
const { Camera } = require('./lib/camera');
const { Viewer } = require('./lib/werift');

const PORT = 19080;
const CAM_PORT = 19054;

const CONF = `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes 2;

events {
    worker_connections 1024;
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone   cams 32m;
    rtc_max_sessions 16;
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam;
    rtc_stream cam.b-2 rtsp://127.0.0.1:%%CAMPORT%%/cam;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /whep/           { rtc_whep; }
        location = /rtc/status    { rtc_status; }
        location = /rtc/metrics   { rtc_metrics; }
    }
}
`;


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


function value(m, name, labels) {
    const key = name + JSON.stringify(Object.entries(labels || {}).sort());
    const s = m.get(key);
    if (!s) {
        throw new Error(`no sample ${key}`);
    }
    return s.value;
}


describe('rtc_metrics', { timeout: 180000 }, () => {
    let cam;
    let ngx;
    const viewers = [];

    before(async () => {
        requireNetns();
        cam = await new Camera({ port: CAM_PORT, codec: 'h264' }).start();
        ngx = await new Nginx({ port: PORT, camPort: CAM_PORT,
                                conf: CONF }).start();
    });

    after(async () => {
        try {
            for (const v of viewers) {
                await v.close().catch(() => {});
            }
            if (ngx) {
                await ngx.stop();
            }
        } finally {
            if (cam) {
                await cam.stop();
            }
        }
    });

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
        assert.equal(value(m, 'nginx_rtc_zone_sessions_free'), 16);
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
