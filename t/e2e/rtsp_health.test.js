/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * What an operator sees of cameras (issue 8, point 15).  At the default
 * error_log level (error): a camera that never connects (a closed port)
 * leaves one line, at its first failure, not one per retry; the retries
 * are counted in /rtc/status; an on-demand one that is given up (its
 * viewer left) says so once more.  A camera that plays shows how fresh its
 * frames are and how much the ring holds, and its viewer's session the
 * SRTP profile and the ICE pair's candidate types.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, nginxConf } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { streamOf } = require('./lib/rtsp');

const PORT = 19481;
const CAM_PORT = 19891;
const CLOSED_PORT = 19892;          /* nothing listens there */

/* error_log without a level: "error", nginx's default */

const CONF = nginxConf({
    globals: `pid %%PREFIX%%/nginx.pid;
error_log %%PREFIX%%/error.log;
daemon off;
master_process on;`,
    shutdown: true,
    http: `
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam always;
    rtc_stream dead rtsp://127.0.0.1:${CLOSED_PORT}/cam always;
    rtc_stream lazy rtsp://127.0.0.1:${CLOSED_PORT}/lazy idle=1s;
    rtc_wait_timeout 2s;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


describe('camera health at the default log level', { timeout: 60000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { size: '320x180', fps: 25, gop: 25 },
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;
    let viewer;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('a camera that never connects: one line, retries counted',
         async () => {
        const s = await waitFor(async () => {
            const d = streamOf(await ngx.status(), 'dead');
            return d.reconnects >= 4 && d;
        }, 20000, 'four failed connections to the closed port');

        assert.equal(s.state === 'retrying' || s.state === 'connecting', true,
                     `state ${s.state}`);
        assert.match(s.last_error, /cannot connect to rtsp:\/\/127\.0\.0\.1:/);
        assert.equal(s.last_frame_age, null);
        assert.equal(s.buffered_seconds, null);

        const lines = ngx.logText().split('\n')
                      .filter((l) => l.includes(`:${CLOSED_PORT}/cam`));

        assert.equal(lines.length, 1,
                     `one line for ${s.reconnects} failures:\n`
                     + lines.join('\n'));
        assert.match(lines[0], new RegExp(
            '\\[error\\] .*rtc rtsp cannot connect to '
            + 'rtsp://127\\.0\\.0\\.1:\\d+/cam.*retrying in \\d+ ms, '
            + 'stream: "dead"$'));
    });

    test('an on-demand camera given up: one more line', async () => {
        const v = new Viewer(ngx, '/whep/lazy', { name: 'lazy' });
        const r = await v.connect(true);

        assert.equal(r.status, 503, r.body);

        const gaveUp = await waitFor(() => {
            const l = ngx.logText().split('\n').filter((x) =>
                x.includes(`:${CLOSED_PORT}/lazy`) && /gave up/.test(x));
            return l.length && l;
        }, 10000, 'the producer gives up');

        assert.equal(gaveUp.length, 1);
        assert.match(gaveUp[0], new RegExp(
            '\\[error\\] .*rtc rtsp gave up on rtsp://127\\.0\\.0\\.1:\\d+'
            + '/lazy after \\d+ failed attempts, the last: cannot connect'
            + '.*, stream: "lazy"$'));
    });

    test('status: frame ages, buffer, SRTP profile, ICE pair', async () => {
        viewer = rig.track(new Viewer(ngx, '/whep/cam', { name: 'health' }));
        await viewer.connectRetry(20000);
        await viewer.waitKeyframe(20000);

        const st = await waitFor(async () => {
            const s = await ngx.status();
            const ss = s.sessions[0];
            return ss && ss.srtp && ss.ice_pair && s;
        }, 10000, 'session with SRTP profile and ICE pair');

        const c = streamOf(st, 'cam');

        assert.equal(c.state, 'playing');
        assert.equal(c.reconnects, 0);
        assert.ok(c.last_frame_age >= 0 && c.last_frame_age < 2,
                  `last_frame_age ${c.last_frame_age}`);
        /* a keyframe a second (gop 25 at 25 fps) */
        assert.ok(c.last_keyframe_age >= 0 && c.last_keyframe_age < 3,
                  `last_keyframe_age ${c.last_keyframe_age}`);
        assert.ok(c.buffered_seconds > 0.5 && c.buffered_seconds < 600,
                  `buffered_seconds ${c.buffered_seconds}`);
        assert.ok(c.last_keyframe_age <= c.buffered_seconds + 0.1,
                  'the last keyframe is in the ring');

        const ss = st.sessions[0];

        assert.match(ss.srtp, /^(AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM)$/);
        assert.equal(ss.ice_pair.local, 'host');
        assert.match(ss.ice_pair.remote, /^(host|prflx)$/);
        assert.equal(ss.ice_pair.transport, 'udp');
    });
});
