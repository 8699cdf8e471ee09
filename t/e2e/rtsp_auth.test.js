/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Camera authentication: Basic and Digest (gst-rtsp-server: MD5, no qop),
 * Digest with qop="auth" (t/lib/hostile_camera.py checks the answer),
 * credentials percent-decoded from the URL; a wrong password leaves the
 * stream retrying with the 401 as its reason, and the password appears
 * nowhere: error.log, status, the 503 of a WHEP offer.  No media to
 * browsers: runs without the network namespace too.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { CHROMIUM_OFFER } = require('./lib/sdp');
const {
    RtspCamera, HostileCamera, streamOf, confFor,
} = require('./lib/rtsp');

const PORT = 19381;
const BASIC_PORT = 19856;
const DIGEST_PORT = 19857;
const HOSTILE_PORT = 19858;

/* reserved characters, percent-encoded in the URLs */
const USER = 'cam user';
const PASSWORD = 'p@ss:w/rd';
const SECRETS = /p@ss|w\/rd|p%40ss|w%2Frd|s3cret/i;


describe('camera authentication', { timeout: 58000 }, () => {
    const rig = new Rig({ camera: false, cameraClass: RtspCamera });
    let hostile;
    let ngx;

    before(async () => {
        const small = { size: '320x180', fps: 10, gop: 10, bitrate: 200 };

        const basic = await rig.addCamera(Object.assign({
            port: BASIC_PORT, user: USER, password: PASSWORD,
        }, small));
        const digest = await rig.addCamera(Object.assign({
            port: DIGEST_PORT, user: USER, password: PASSWORD,
            auth: 'digest',
        }, small));

        hostile = await rig.addCamera({ port: HOSTILE_PORT }, HostileCamera);

        const wrong = digest.url.replace(encodeURIComponent(PASSWORD),
                                         's3cret');

        const streams = [
            `    rtc_stream basic  ${basic.url} always;`,
            `    rtc_stream digest ${digest.url} always;`,
            `    rtc_stream qop    ${hostile.url('digest_qop',
                                                 'admin:p%40ss%20w0rd')}`
            + ' always;',
            `    rtc_stream wrong  ${wrong} always;`,
            '    rtc_wait_timeout 1s;',
        ].join('\n');

        ngx = await rig.add({ port: PORT, conf: confFor(streams) });
    });

    after(() => rig.stop());

    for (const name of ['basic', 'digest']) {
        test(`${name}: plays`, async () => {
            const s = await waitFor(async () => {
                const x = streamOf(await ngx.status(), name);
                return x.state === 'playing' && x.keyframes_in > 0 && x;
            }, 20000, `${name} playing with a keyframe`);

            assert.equal(s.codec, 'H264');
        });
    }

    test('digest with qop=auth: the camera accepts our answers', async () => {
        await waitFor(() => camEvents(hostile, 'PLAY'), 15000,
                      'PLAY accepted by the qop camera (events '
                      + `${JSON.stringify(hostile.events)})`);

        const ok = hostile.events.filter((e) => /^auth-ok/.test(e.text));
        assert.ok(ok.every((e) => / qop=auth$/.test(e.text)), ok[0].text);
        assert.deepEqual(hostile.events.filter((e) =>
                             /^auth-bad/.test(e.text)), []);

        /* OPTIONS is sent before the challenge; the rest authenticated */
        for (const m of ['DESCRIBE', 'SETUP', 'PLAY']) {
            assert.ok(ok.some((e) => e.text.includes(` ${m} `)), m);
        }
    });

    test('wrong password: retrying with the 401', async () => {
        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'wrong');
            return x.state === 'retrying' && /401/.test(x.last_error) && x;
        }, 15000, 'wrong retrying with 401');

        assert.match(s.last_error, /^401 Unauthorized from rtsp:\/\/\*\*\*@/);
    });

    test('a WHEP offer for it: 503 with the reason', async () => {
        const r = await ngx.http('POST', '/whep/wrong', CHROMIUM_OFFER,
                                 { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 503);
        assert.match(r.body, /401/);
        assert.ok(!SECRETS.test(r.body), r.body);
    });

    test('the password is nowhere', async () => {
        const r = await ngx.http('GET', '/rtc/status');
        assert.ok(!SECRETS.test(r.body), r.body);
        assert.ok(!SECRETS.test(ngx.logText()), 'error.log');
        assert.ok(!/cam%20user|cam user/.test(r.body), 'user in status');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});


function camEvents(cam, method) {
    return cam.events.some((e) => e.text.startsWith(`auth-ok ${method} `));
}
