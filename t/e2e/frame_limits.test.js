/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * One frame-size rule, and a buffer too small for two GOPs is reported:
 * a camera whose frames exceed a quarter of a 256k buffer gets them
 * refused when they are written, with a rate-limited warning naming the
 * stream, the size and the limit, and counted (frames_in_dropped in
 * rtc_status); a 1m buffer that holds less than two of its GOPs gets a
 * warning to raise buffer=.  No viewer is needed: both
 * streams are "always".  Each stream has its own camera: two RTSP clients
 * that SETUP and PLAY the same shared gst-rtsp-server media at the same
 * moment can abort the camera (gst_rtsp_media_get_rates: assertion
 * failed, gst-rtsp-server 1.22.0), and this test needs both streams fed.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, sleep } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');

const PORT = 20480;
const CAM_PORT = 20454;
const CAM2_PORT = 20455;

const CONF = nginxConf({
    zone: '8m',
    http: `
    rtc_stream tiny  rtsp://127.0.0.1:%%CAMPORT%%/cam always buffer=256k;
    rtc_stream small rtsp://127.0.0.1:${CAM2_PORT}/cam always buffer=1m;`,
    server: `
        location = /rtc/status { rtc_status; }`,
});


describe('frame size limits', { timeout: 60000 }, () => {

    /* noise at 8 Mbit/s and 10 fps: about 100 KB a frame, 1 MB a GOP */

    const snow = { pattern: 'snow', fps: 10, gop: 10, bitrate: 8000 };
    const rig = new Rig({ camPort: CAM_PORT, cameras: [
        Object.assign({ port: CAM_PORT }, snow),
        Object.assign({ port: CAM2_PORT }, snow),
    ], nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('frames over a quarter of the buffer are refused, loudly',
         async () => {
        const re = /\[warn\] \d+#\d+: rtc producer "tiny" dropped (\d+) frame\(s\) of up to (\d+) bytes: over the limit of 65536 bytes \(a quarter of buffer=262144, at most 2097152\)/g;

        const first = await waitFor(() => re.exec(ngx.logText()), 20000,
                                    'a warning about dropped frames');
        re.lastIndex = 0;

        assert.ok(Number(first[2]) > 65536, `size ${first[2]}`);

        /* rate-limited: at most one line in 10 s per stream */

        await sleep(4000);
        const lines = ngx.logText().split('\n')
            .filter((l) => l.includes('rtc producer "tiny" dropped'));
        assert.ok(lines.length <= 2, `${lines.length} lines in ~5 s`);

        /* the status shows fewer frames in than the other stream */

        const st = await ngx.status();
        const tiny = st.streams.find((s) => s.name === 'tiny');
        const small = st.streams.find((s) => s.name === 'small');
        assert.ok(tiny.frames_in < small.frames_in,
                  `tiny ${tiny.frames_in} < small ${small.frames_in}`);

        /* and counts them, at least as many as the first line said */

        assert.ok(tiny.frames_in_dropped >= Number(first[1]),
                  `tiny: ${tiny.frames_in_dropped} frames_in_dropped`);
        assert.equal(small.frames_in_dropped, 0);
    });

    test('a buffer that holds less than two GOPs is reported', async () => {
        const re = /\[warn\] \d+#\d+: rtc producer "small": a GOP takes (\d+) bytes, buffer=1048576 holds less than two/;

        const m = await waitFor(() => re.exec(ngx.logText()), 20000,
                                'a warning about the GOP size');
        assert.ok(Number(m[1]) > 524288, `GOP ${m[1]} bytes`);

        /* once per stream */

        const n = ngx.logText().split('\n')
            .filter((l) => l.includes('rtc producer "small": a GOP')).length;
        assert.equal(n, 1);
    });
});
