/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Cameras that bend RFC 6184 (t/lib/rtsp_quirk_server.py streams a real
 * H.264 clip at 10 fps, a keyframe a second, one quirk a URL path; the
 * reference, stap, sends SPS and PPS in a STAP-A as the quirks do): a
 * STAP-A ending in zero padding (stap_pad), whole access units with
 * Annex-B start codes in single NAL unit packets (annexb), an empty RTP
 * packet two frames after each keyframe (empty_rtp).  Each used to play
 * no picture (empty_rtp: 3 frames of each 10) with nothing in the log;
 * each must give frames at the camera's rate, and GStreamer (webrtcbin,
 * avdec_h264) must decode them.  A camera whose STAP-A is broken
 * (bad_stap) plays no picture, but says why in error.log, once.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { HostileCamera, streamOf, confFor } = require('./lib/rtsp');
const { webrtcbin } = require('./lib/webrtcbin');

const PORT = 19397;
const CAM_PORT = 19877;

const CAMERA = path.join(REPO, 't', 'lib', 'rtsp_quirk_server.py');

const QUIRKS = ['stap_pad', 'annexb', 'empty_rtp'];
const MODES = ['stap', ...QUIRKS, 'bad_stap'];

/* the camera's rate is 10 fps: 50 frames in 6.25 s at most */
const FRAMES = 50;
const MIN_FPS = 8;


describe('field quirks of RTSP cameras', { timeout: 40000 }, () => {
    const rig = new Rig({ netns: true, camera: false });
    const played = {};
    let cam;
    let ngx;

    /*
     * FRAMES frames from the stream once it has had a keyframe, timed:
     * at the camera's rate (10 fps), not one or three a second
     */
    async function rate(name) {
        let t0;
        let f0;

        await waitFor(async () => {
            const s = streamOf(await ngx.status(), name);
            if (s && s.keyframes_in > 0) {
                t0 = Date.now();
                f0 = s.frames_in;
                return true;
            }
            return false;
        }, 12000, `a keyframe from the ${name} camera`);

        await waitFor(async () => {
            const s = streamOf(await ngx.status(), name);
            return s.frames_in - f0 >= FRAMES;
        }, FRAMES * 1000 / MIN_FPS, `${FRAMES} frames from ${name} at `
                                    + `${MIN_FPS} fps or more`);

        return FRAMES * 1000 / (Date.now() - t0);
    }

    /* all streams at once: each test waits for its own */
    async function play(name) {
        const fps = await rate(name);
        const dec = await webrtcbin(ngx.url(`/whep/${name}`),
                                    ['--codecs', 'h264', '--frames', '20',
                                     '--timeout', '15']);

        return { fps, dec };
    }

    before(async () => {
        await rig.start();
        cam = await rig.addCamera({ port: CAM_PORT, script: CAMERA },
                                  HostileCamera);

        const streams = MODES.map((m) =>
            `    rtc_stream ${m} ${cam.url(m)} always;`).join('\n');

        ngx = await rig.add({ port: PORT, conf: confFor(streams) });

        for (const m of ['stap', ...QUIRKS]) {
            played[m] = play(m).then((r) => r, (err) => ({ err }));
        }
    });

    after(() => rig.stop());

    for (const m of ['stap', ...QUIRKS]) {
        test(`${m}: frames at the camera's rate, webrtcbin decodes them`,
             async () => {
            const r = await played[m];

            if (r.err) {
                throw r.err;
            }

            assert.equal(r.dec.code, 0, `${m}: ${r.dec.out} ${r.dec.err}`);
            console.log(`${m}: ${r.fps.toFixed(1)} fps, `
                        + `${r.dec.result.frames} frames decoded`);
            assert.equal(r.dec.result.encoding, 'H264');
            assert.ok(r.dec.result.frames >= 20, r.dec.out);

            const s = streamOf(await ngx.status(), m);

            assert.equal(s.state, 'playing', JSON.stringify(s));
            assert.equal(cam.conns[m], 1, 'one connection');
        });
    }

    test('a broken STAP-A: no picture, one line in error.log', async () => {
        const re = /\[warn\].*rtc h264: STAP-A with a bad NAL unit size/;

        await waitFor(() => re.test(ngx.logText()), 10000,
                      'the bad STAP-A in error.log');

        /* every keyframe is dropped, the line is not repeated */

        const s = streamOf(await ngx.status(), 'bad_stap');
        const lines = ngx.logText().split('\n');

        console.log(lines.filter((l) => re.test(l)).join('\n'));

        assert.equal(s.keyframes_in, 0, JSON.stringify(s));
        assert.ok(cam.times.bad_stap.length === 1
                  && Date.now() - cam.times.bad_stap[0] > 5000,
                  'bad_stap: 5 s or more of one connection');
        assert.equal(lines.filter((l) => re.test(l)).length, 1);

        /* the quirks taken are no errors */

        assert.deepEqual(lines.filter((l) => /rtc h26[45]:/.test(l)
                                             && !re.test(l)), []);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
