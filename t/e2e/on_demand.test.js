/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * On-demand pulling: a stream connects when its first viewer arrives and
 * disconnects after idle= with no viewers; "always" connects at start; a
 * camera that cannot be reached answers 503 with Retry-After and the
 * reason.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, nginxConf } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { CHROMIUM_OFFER } = require('./lib/sdp');

const PORT = 18780;
const CAM_PORT = 18764;

const CONF = nginxConf({
    http: `
    rtc_wait_timeout 2s;
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam idle=2s;
    rtc_stream cam2 rtsp://user:secret@127.0.0.1:%%CAMPORT%%/cam always;
    rtc_stream dead rtsp://user:secret@127.0.0.1:1/nothing;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


function stream(st, name) {
    return st.streams.find((s) => s.name === name);
}


describe('on-demand streams', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('"always" connects without viewers', async () => {
        await waitFor(async () => {
            const s = stream(await ngx.status(), 'cam2');
            return s.state === 'playing' && s.frames_in > 10;
        }, 20000, 'cam2 playing');
    });

    test('on demand: idle until a viewer, then idle again', async () => {
        let s = stream(await ngx.status(), 'cam');
        assert.equal(s.state, 'idle');
        assert.equal(s.producer_pid, 0);
        assert.equal(s.frames_in, 0);

        const v = new Viewer(ngx, '/whep/cam', { name: 'v' });
        await v.connect();              /* 201 after the first keyframe */
        await v.waitKeyframe(20000);

        s = stream(await ngx.status(), 'cam');
        assert.equal(s.state, 'playing');
        assert.ok(s.producer_pid > 0);

        assert.equal((await v.close()).status, 200);

        await waitFor(async () => {
            const x = stream(await ngx.status(), 'cam');
            return x.state === 'idle' && x.producer_pid === 0;
        }, 10000, 'cam idle after idle=2s');
    });

    test('unreachable camera: 503, Retry-After, the reason', async () => {
        const r = await ngx.http('POST', '/whep/dead', CHROMIUM_OFFER,
                                 { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 503);
        assert.ok(r.headers['retry-after'], 'Retry-After');
        assert.match(r.body, /not ready/);
        assert.match(r.body, /127\.0\.0\.1:1/);
        assert.doesNotMatch(r.body, /secret/, 'no credentials in the body');

        const st = await ngx.status();
        assert.doesNotMatch(JSON.stringify(st), /secret/,
                            'no credentials in status');
        assert.doesNotMatch(ngx.logText(), /secret/,
                            'no credentials in error.log');
        assert.equal(st.sessions.length, 0, 'no session left');
    });

    test('a viewer of a stream gone idle gets no picture from before',
         async () => {
        const cam = rig.cam;

        /* a first viewer fills the ring; then the stream goes idle */

        const first = rig.track(new Viewer(ngx, '/whep/cam',
                                           { name: 'first' }));
        await first.connectRetry();
        await first.waitKeyframe(20000);
        assert.equal((await first.close()).status, 200);

        await waitFor(async () => {
            const x = stream(await ngx.status(), 'cam');
            return x.state === 'idle' && x.producer_pid === 0;
        }, 10000, 'cam idle after idle=2s');

        /*
         * The camera is gone too: whatever the viewer gets now comes from
         * the ring, pictures from before.  The offer is answered (the
         * stream's codec is known); the catch-up, which sent the old
         * keyframe ~200 ms after DTLS, must not: the ring's last frame is
         * older than its 2 s (NGX_RTC_STREAM_LIVE_GAP).  The wait below makes
         * it so: time has to pass, there is no event for it.
         */

        await cam.kill();
        await new Promise((r) => setTimeout(r, 2500));

        const late = rig.track(new Viewer(ngx, '/whep/cam',
                                          { name: 'late' }));
        assert.equal((await late.connect()).status, 201);

        await waitFor(() => late.connectionState === 'connected', 10000,
                      'late: ICE and DTLS connected');
        await waitFor(async () => (await ngx.status()).sessions
                          .some((x) => x.state === 'media'),
                      5000, 'the session takes media');

        /* an absence: 2 s is ten times the catch-up's pacing */

        await new Promise((r) => setTimeout(r, 2000));
        assert.equal(late.keyframes, 0, 'no keyframe from before');
        assert.equal(late.packets, 0, 'no video from before');

        /* the camera back: the viewer plays, from a live keyframe */

        await cam.start();
        await late.waitKeyframe(30000);
        assert.equal((await late.close()).status, 200);
    });
});
