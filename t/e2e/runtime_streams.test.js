/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Runtime streams (issue 12): go2rtc's PUT /api/streams, as Home
 * Assistant sends it, makes an on-demand RTSP stream in the zone when the
 * location says streams=dynamic and the camera's address is inside
 * allow=.  A werift viewer plays it at /whep/NAME (the camera's AAC as
 * Opus: HA's ffmpeg:NAME#audio=opus); it shows in rtc_status,
 * rtc_metrics and rtc_player's list without its credentials; the same PUT again is a no-op, another source
 * replaces it; a camera outside allow= (by address or by a name in DNS)
 * is refused before any connection; the cap (rtc_zone runtime=) holds;
 * the stream survives a reload and plays after it, through WHEP and
 * go2rtc's /api/webrtc and /api/frame.jpeg too; the camera is released
 * after runtime_idle=.  Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { DnsServer } = require('./lib/dns');

const PORT = 19581;
const CAM_PORT = 19582;
const TRAP_PORT = 19583;
const DNS_PORT = 19584;

const CONF = `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 2;
# the JSON offer's session has no DELETE and werift sends no close_notify:
# found silent only after 20 s, it would hold a worker at the stop
worker_shutdown_timeout 1s;
events { worker_connections 1024; }
http {
    %%TEST_GLOBALS_HTTP%%
    resolver 127.0.0.1:${DNS_PORT} valid=1s ipv6=off;
    resolver_timeout 5s;
    rtc_zone cams 32m runtime=2 runtime_buffer=1m runtime_idle=2s;
    # after the reload the snapshot waits for a keyframe the camera sends
    # then (the on-demand stream restarts: DNS, RTSP, the next keyframe);
    # 5 s once ran out on a loaded CI machine
    rtc_wait_timeout 15s;
    rtc_stream configured rtsp://127.0.0.1:%%CAMPORT%%/cam;
    # what a custom log_format may use: none may hold the PUT's password
    log_format rtc_query '"$request_uri" "$args" "$query_string" "$arg_src"';
    access_log %%PREFIX%%/query.log rtc_query;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/          { rtc_go2rtc_api streams=dynamic
                                                 allow=127.0.0.0/8; }
        location /static/api/   { rtc_go2rtc_api; }
        location /whep/         { rtc_whep; }
        location = /rtc/status  { rtc_status; }
        location = /rtc/metrics { rtc_metrics; }
        location /rtc/player/   { rtc_player; }
    }
}
`;


/* HA's PUT: the camera's URL, its two ffmpeg: companions */

function put(ngx, prefix, name, url) {
    const q = new URLSearchParams();
    q.append('name', name);
    q.append('src', url);
    q.append('src', `ffmpeg:${name}#audio=opus#query=log_level=debug`);
    q.append('src', `ffmpeg:${name}#video=mjpeg`);
    return ngx.http('PUT', `${prefix}/api/streams?${q}`);
}


function streamOf(st, name) {
    return st.streams.find((s) => s.name === name);
}


describe('runtime streams (PUT /api/streams)', { timeout: 90000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: false });
    let cam;
    let ngx;
    let dns;
    let trap;
    let trapped = 0;

    const camUrl = `rtsp://user:secret@127.0.0.1:${CAM_PORT}/cam`;

    before(async () => {
        await rig.start();

        /* a "camera" outside allow=: it counts who connects */

        trap = net.createServer((s) => { trapped++; s.destroy(); });
        rig.defer(() => trap.close());
        await new Promise((r) => trap.listen(TRAP_PORT, '0.0.0.0', r));

        dns = await new DnsServer({ 'cam.rtc.test': '127.0.0.1',
                                    'outside.rtc.test': '10.99.0.1' })
                  .start(DNS_PORT);
        rig.defer(() => dns.stop());
        cam = await rig.addCamera({ port: CAM_PORT, size: '320x180', fps: 25,
                                    gop: 25, user: 'user', password: 'secret',
                                    audio: 'aac' });
        ngx = await rig.add({ port: PORT, conf: CONF, allowLog: [] });
    });

    after(() => rig.stop());

    test('refused: no streams=dynamic, outside allow=, bad requests',
         async () => {
        let r = await put(ngx, '/static', 'camera.front_door', camUrl);
        assert.equal(r.status, 403);
        assert.match(r.body, /runtime streams are off/);

        /* a configured stream is there whatever the policy */

        r = await put(ngx, '/static', 'configured', camUrl);
        assert.equal(r.status, 200);

        r = await put(ngx, '', 'camera.outside',
                      `rtsp://user:secret@10.99.0.1:${TRAP_PORT}/cam`);
        assert.equal(r.status, 403);
        assert.match(r.body, /camera address not allowed/);

        r = await put(ngx, '', 'camera.outside',
                      `rtsp://user:secret@outside.rtc.test:${TRAP_PORT}/c`);
        assert.equal(r.status, 403);
        assert.match(r.body, /camera address not allowed/);
        assert.ok(dns.queries['outside.rtc.test'] >= 1, 'asked the DNS');

        r = await ngx.http('PUT', '/api/streams?src=' + encodeURIComponent(
                           camUrl));
        assert.equal(r.status, 400, 'no name');

        r = await put(ngx, '', 'bad/name', camUrl);
        assert.equal(r.status, 400, 'a name not for URLs');

        r = await ngx.http('PUT', '/api/streams?name=x&src=ffmpeg%3Ax');
        assert.equal(r.status, 400, 'no rtsp:// source');
        assert.match(r.body, /no rtsp:\/\/ or rtsps:\/\/ src/);

        /* what is wrong with the URL, never the URL (its password) */

        r = await put(ngx, '', 'x', 'rtsp://admin:pa/ss@10.99.0.1:99/cam');
        assert.equal(r.status, 400, 'an unencoded "/" in the password');
        assert.match(r.body, /the port is not a number/);
        assert.doesNotMatch(r.body, /pa\/ss/);

        const st = await ngx.status();
        assert.equal(streamOf(st, 'camera.outside'), undefined);
        assert.equal(streamOf(st, 'camera.front_door'), undefined);
        assert.equal(trapped, 0, 'nginx connected outside allow=');
    });

    test('made by PUT, played by a viewer, shown without credentials',
         async () => {
        let r = await put(ngx, '', 'camera.front_door', camUrl);
        assert.equal(r.status, 200, r.body);

        let s = streamOf(await ngx.status(), 'camera.front_door');
        assert.ok(s, 'listed in rtc_status');
        assert.equal(s.state, 'idle', 'on demand: no connection yet');
        assert.equal(s.buffer, 1048576, 'runtime_buffer=');
        assert.equal(s.runtime, true);
        assert.equal(streamOf(await ngx.status(), 'configured').runtime,
                     false);

        /* HA sends the same PUT before every offer: nothing changes */

        r = await put(ngx, '', 'camera.front_door', camUrl);
        assert.equal(r.status, 200);

        const v = new Viewer(ngx, '/whep/camera.front_door',
                             { name: 'front_door' });
        try {
            await v.connectRetry(20000);
            await v.waitKeyframe(20000);
            await v.waitPackets(50, 20000);

            s = streamOf(await ngx.status(), 'camera.front_door');
            assert.equal(s.state, 'playing');
            assert.equal(s.codec, 'H264');
            assert.equal(s.audio_codec, 'opus', 'AAC as Opus: audio=opus');
            assert.equal(s.viewers, 1);

            /*
             * Another source while it plays (the camera by a name): the
             * producer connects to it, the viewer's session goes on.
             */

            r = await put(ngx, '', 'camera.front_door',
                          `rtsp://user:secret@cam.rtc.test:${CAM_PORT}/cam`);
            assert.equal(r.status, 200, r.body);

            await waitFor(() => (ngx.logText().match(
                /rtc producer "camera\.front_door" starts rtsp:\/\/\*\*\*@cam\.rtc\.test/g)
                || []).length >= 1, 10000, 'the new source started');

            await v.waitKeyframe(20000);
            await v.waitPackets(50, 20000);

            s = streamOf(await ngx.status(), 'camera.front_door');
            assert.equal(s.state, 'playing');
            assert.equal(s.viewers, 1, 'the same session');
        } finally {
            await v.close();
        }

        /* on demand: the camera is released after runtime_idle=2s */

        await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'camera.front_door');
            return x.state === 'idle' && x.producer_pid === 0
                   && cam.connections() === 0;
        }, 15000, 'released after runtime_idle=');

        const text = JSON.stringify(await ngx.status());
        assert.doesNotMatch(text, /secret/, 'no credentials in status');

        const m = await ngx.http('GET', '/rtc/metrics');
        assert.match(m.body, /stream="camera\.front_door"/);

        const list = await ngx.http('GET', '/rtc/player/streams.json');
        assert.ok(JSON.parse(list.body).streams.some(
            (x) => x.name === 'camera.front_door'
                   && x.whep === '/whep/camera.front_door'), list.body);
        assert.doesNotMatch(list.body, /secret/);

        /* go2rtc's own listing, what HA compares its camera's URL with */

        const api = await ngx.http('GET', '/api/streams');
        assert.equal(api.status, 200);
        const fd = JSON.parse(api.body)['camera.front_door'];
        assert.ok(fd, 'listed in GET /api/streams: ' + api.body);
        assert.match(fd.producers[0].url,
                     /^rtsp:\/\/\*\*\*@cam\.rtc\.test:\d+\/cam$/);
        assert.doesNotMatch(api.body, /secret/);

        const log = ngx.logText();
        assert.match(log, /rtc runtime stream "camera\.front_door" created: rtsp:\/\/\*\*\*@127\.0\.0\.1/);
        assert.match(log, /audio=opus/);
        assert.doesNotMatch(log, /secret/, 'no credentials in error.log');
    });

    test('another source replaces it; a camera by name; the cap',
         async () => {
        let r = await put(ngx, '', 'camera.front_door',
                          `rtsp://user:other@127.0.0.1:${CAM_PORT}/cam`);
        assert.equal(r.status, 200);
        assert.match(ngx.logText(),
                     /rtc runtime stream "camera\.front_door" changed/);

        r = await put(ngx, '', 'camera.front_door', camUrl);
        assert.equal(r.status, 200);

        /* as HA sends a "generic" camera: ffmpeg:rtsp://..., by a name */

        r = await put(ngx, '', 'camera.by_name',
                      `ffmpeg:rtsp://user:secret@cam.rtc.test:${CAM_PORT}`
                      + '/cam#video=copy');
        assert.equal(r.status, 200, r.body);
        assert.match(ngx.logText(), /rtc runtime stream "camera\.by_name" created: rtsp:\/\/\*\*\*@cam\.rtc\.test:\d+\/cam audio=opus/);
        assert.ok(dns.queries['cam.rtc.test'] >= 1, 'asked the DNS');

        /* runtime=2: a third is refused, the two are still there */

        r = await put(ngx, '', 'camera.third', camUrl);
        assert.equal(r.status, 507);
        assert.match(r.body, /rtc_zone runtime=2/);

        /*
         * logged as ***, refused or not: a "?" in the password (the URL
         * parser ends the authority at the first "/"), secrets in the
         * camera URL's query
         */

        r = await put(ngx, '', 'camera.fourth',
                      `rtsp://admin:pa?ss@127.0.0.1:${CAM_PORT}/cam`
                      + '?user=admin&password=t0psecret');
        assert.equal(r.status, 507);

        const st = await ngx.status();
        assert.ok(streamOf(st, 'camera.by_name'));
        assert.equal(streamOf(st, 'camera.third'), undefined);
        assert.doesNotMatch(ngx.logText(), /secret|:other/,
                            'no credentials in error.log');

        const access = fs.readFileSync(path.join(ngx.dir, 'access.log'),
                                       'utf8');
        assert.match(access, /PUT \/api\/streams\?name=camera\.by_name&src=ffmpeg%3Artsp%3A%2F%2F\*\*\*%40cam/);
        assert.doesNotMatch(access, /secret|:other|pa%3Fss|pa\?ss/,
                            'no credentials in access.log');
        assert.match(access, /name=camera\.fourth&src=rtsp%3A%2F%2F\*\*\*%40127\.0\.0\.1%3A\d+%2Fcam%3Fuser%3D\*\*\*%26password%3D\*\*\*/);

        const query = fs.readFileSync(path.join(ngx.dir, 'query.log'),
                                      'utf8');
        assert.match(query, /"\/api\/streams\?name=camera\.by_name&src=ffmpeg%3Artsp%3A%2F%2F\*\*\*%40cam[^"]*" "name=camera\.by_name&src=ffmpeg%3Artsp%3A%2F%2F\*\*\*%40cam/);
        assert.doesNotMatch(query, /secret|:other|pa%3Fss/,
                            'no credentials in $request_uri, $args, $arg_src');
    });

    test('a reload keeps them: listed, and playable', async () => {
        const before = await ngx.status();
        const master = ngx.pid();

        process.kill(master, 'SIGHUP');

        /* the new workers run */

        await waitFor(() => (ngx.logText().match(/start worker process \d+/g)
                             || []).length >= 4, 10000, 'new workers');

        const st = await ngx.status();
        for (const name of ['camera.front_door', 'camera.by_name']) {
            assert.ok(streamOf(st, name), `${name} after the reload`);
        }
        assert.equal(st.streams.length, before.streams.length);

        const old = ngx.logText().match(/start worker process \d+/g)
                    .slice(0, 2).map((l) => Number(l.split(' ').pop()));

        const v = new Viewer(ngx, '/whep/camera.by_name', { name: 'by_name' });
        try {
            await v.connectRetry(20000);
            await v.waitKeyframe(20000);

            const s = streamOf(await ngx.status(), 'camera.by_name');
            assert.equal(s.state, 'playing');
            assert.ok(s.producer_pid && !old.includes(s.producer_pid),
                      'produced by a new worker');
        } finally {
            await v.close();
        }

        /* go2rtc's own endpoints: HA's JSON offer, its snapshot */

        const w = new Viewer(null, null, { name: 'json' });
        try {
            const sdp = await w.offer();
            const r = await ngx.http('POST',
                                     '/api/webrtc?src=camera.front_door',
                                     JSON.stringify({ type: 'offer', sdp }),
                                     { 'Content-Type': 'application/json' });
            assert.equal(r.status, 200, r.body);
            const a = JSON.parse(r.body);
            await w.pc.setRemoteDescription({ type: 'answer', sdp: a.sdp });
            await w.waitKeyframe(20000);

            const j = await ngx.http('GET',
                                     '/api/frame.jpeg?src=camera.front_door');
            assert.equal(j.status, 200, j.body);
            assert.match(j.headers['content-type'], /image\/jpeg/);
        } finally {
            await w.pc.close();
        }

        assert.equal(trapped, 0, 'nginx connected outside allow=');
        assert.doesNotMatch(JSON.stringify(await ngx.status()), /secret/);
    });
});
