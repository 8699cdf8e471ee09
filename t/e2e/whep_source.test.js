/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * whep:// sources: an edge nginx pulls streams from an origin nginx-rtc
 * over WHEP, as it pulls a camera, into its own ring.  The origin (4
 * workers) pulls gst cameras (H.264 and H.265); the edge (4 workers) has
 * rtc_stream cam whep://origin/whep/cam.  Viewers of the edge receive
 * the stream; the origin serves one session to the edge whatever the
 * edge's viewer count; killing the origin and starting it again resumes
 * the edge's viewers without a reload; H.265 arrives as H.265; idle=
 * releases the origin's session.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Nginx, waitFor, requireNetns } = require('./lib/nginx');
const { Camera } = require('./lib/camera');
const { Viewer } = require('./lib/werift');

const ORIGIN_PORT = 18910;
const EDGE_PORT = 18911;
const CAM_PORT = 18964;
const CAM265_PORT = 18965;

const ORIGIN_CONF = `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 4;
events { worker_connections 1024; }
http {
    %%TEST_GLOBALS_HTTP%%
    rtc_zone   origin 32m;
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam always;
    rtc_stream cam5 rtsp://127.0.0.1:${CAM265_PORT}/cam always;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}
`;

const EDGE_CONF = `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 4;
events { worker_connections 1024; }
http {
    %%TEST_GLOBALS_HTTP%%
    rtc_zone   edge 32m;
    rtc_wait_timeout 5s;
    rtc_stream cam  whep://127.0.0.1:${ORIGIN_PORT}/whep/cam;
    rtc_stream cam5 whep://secret-token@127.0.0.1:${ORIGIN_PORT}/whep/cam5;
    rtc_stream idle whep://127.0.0.1:${ORIGIN_PORT}/whep/cam idle=3s;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}
`;


function stream(st, name) {
    return st.streams.find((s) => s.name === name);
}


function sessionsOf(st, name) {
    return st.sessions.filter((s) => s.stream === name);
}


describe('whep:// sources', { timeout: 150000 }, () => {
    let camera;
    let camera265;
    let origin;
    let edge;

    before(async () => {
        requireNetns();
        camera = new Camera({ port: CAM_PORT });
        camera265 = new Camera({ port: CAM265_PORT, codec: 'h265' });
        await Promise.all([camera.start(), camera265.start()]);
        origin = new Nginx({ port: ORIGIN_PORT, camPort: CAM_PORT,
                             conf: ORIGIN_CONF });
        await origin.start();
        edge = new Nginx({ port: EDGE_PORT, conf: EDGE_CONF });
        await edge.start();
    });

    after(async () => {
        for (const x of [edge, origin, camera, camera265]) {
            if (x) {
                await x.stop();
            }
        }
    });

    test('viewers of the edge play the origin\'s stream', async () => {
        const viewers = [];

        for (let i = 0; i < 8; i++) {
            viewers.push(new Viewer(edge, '/whep/cam', { name: `v${i}` }));
        }

        await Promise.all(viewers.map((v) => v.connectRetry(20000)));
        await Promise.all(viewers.map((v) => v.waitKeyframe(20000)));
        await Promise.all(viewers.map((v) => v.waitPackets(50, 10000)));

        const es = stream(await edge.status(), 'cam');
        assert.equal(es.state, 'playing');
        assert.equal(es.codec, 'H264');
        assert.equal(es.viewers, 8);

        /* one session on the origin for the edge, whatever its viewers */

        const os = await origin.status();
        assert.equal(sessionsOf(os, 'cam').length, 1, JSON.stringify(os));

        for (const v of viewers) {
            await v.close();
        }
    });
});
