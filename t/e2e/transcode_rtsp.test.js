/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * transcode=h264 on RTSP sources: an H.265 camera over rtsp:// and one
 * over rtsps://, each played by Chromium (which decodes no H.265) as
 * H.264; the stream says H264 in /rtc/status.  (ffmpeg: sources:
 * ffmpeg_source.test.js.)  A transcoder that fails (10-bit H.265 from an
 * ffmpeg: clip) restarts the source with a growing backoff, the reason in
 * /rtc/status.  An rtc_stream option that does not apply to
 * the source is a configuration error naming the option and the source
 * kind (nginx -t).  Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const {
    RtspCamera, makeCert, streamOf, confFor, configTest, assertNotApplying,
} = require('./lib/rtsp');

const PORT = 19393;
const CAM_PORT = 19871;
const TLS_PORT = 19872;

const CAM = { codec: 'h265', size: '320x240', fps: 10, gop: 10,
              bitrate: 200 };


describe('transcode=h264 for RTSP cameras', { timeout: 58000 }, () => {
    const rig = new Rig({ netns: true, camera: false,
                          cameraClass: RtspCamera });
    let dir;
    let cam;
    let tls;
    let ngx;
    let browser;

    before(async () => {
        await rig.start();

        dir = rig.tmpdir('nginx-rtc-tc-');
        const certs = makeCert(dir, 'cam');

        /* 10-bit H.265, which the H.264 encoder does not take */

        const ten = path.join(dir, 'ten.mp4');

        /* all at once: the cameras, the browser, the clip */

        [cam, tls, browser] = await Promise.all([
            rig.addCamera(Object.assign({ port: CAM_PORT }, CAM)),
            rig.addCamera(Object.assign({
                port: TLS_PORT, tlsCert: certs.cert, tlsKey: certs.key,
            }, CAM)),
            rig.launchBrowser(),
            promisify(execFile)('ffmpeg', [
                '-v', 'error', '-y', '-f', 'lavfi',
                '-i', 'testsrc=size=320x240:rate=10', '-t', '2',
                '-pix_fmt', 'yuv420p10le', '-c:v', 'libx265',
                '-x265-params', 'log-level=error', ten,
            ], { timeout: 30000 }),
        ]);

        fs.chmodSync(ten, 0o644);

        const conf = confFor([
            `    rtc_stream hevc  ${cam.url} transcode=h264 always;`,
            `    rtc_stream hevcs ${tls.url} transcode=h264 always;`,
            `    rtc_stream ten   ffmpeg:${dir}/ten.mp4 loop transcode=h264 `
            + 'always;',
        ].join('\n')).replace('location /whep/',
            `location /player/ { alias ${REPO}/examples/; }\n`
            + '        location /whep/');

        ngx = await rig.add({ port: PORT, conf, allowLog: [
            /\[error\] .*rtc transcode: pixel format yuv420p10le/,
            /\[error\] .*rtc producer "ten": restarting in/,
        ] });
    });

    after(() => rig.stop());

    test('Chromium decodes H.264 from H.265 cameras (rtsp, rtsps)',
         async () => {
        assert.match(tls.url, /^rtsps:\/\//);

        for (const name of ['hevc', 'hevcs']) {
            await waitFor(async () => {
                const s = streamOf(await ngx.status(), name);
                return s.state === 'playing' && s.keyframes_in > 0 && s;
            }, 20000, `${name} playing`);
        }

        const pages = await Promise.all(['hevc', 'hevcs'].map((name) =>
            browser.open(ngx.url('/player/whep-player.html'
                                 + `?src=/whep/${name}`))));

        for (const page of pages) {
            const st = await browser.waitPlaying(page, 20000);
            assert.equal(st.codec, 'video/H264');
            assert.equal(st.width, 320);

            await waitFor(async () =>
                (await browser.stats(page)).framesDecoded
                >= st.framesDecoded + 10,
                10000, '10 more decoded frames');
        }

        const status = await ngx.status();

        for (const name of ['hevc', 'hevcs']) {
            const s = streamOf(status, name);
            assert.equal(s.codec, 'H264', `${name} as H.264`);
            assert.equal(s.last_error, '');
        }

        await waitFor(() => /rtc producer "hevcs": H\.265 transcoded to H\.264/
                            .test(ngx.logText()),
                      5000, 'the transcoding in error.log');

        for (const page of pages) {
            await page.close({ runBeforeUnload: true });
        }
    });

    test('a failing transcoder restarts the source, backing off',
         async () => {
        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'ten');
            return /pixel format yuv420p10le not supported/
                   .test(x.last_error) && x;
        }, 15000, 'the reason in /rtc/status');

        assert.equal(s.state, 'retrying');

        /* 1 s, then 2 s: the source was started again, and failed again */

        await waitFor(() => /rtc producer "ten": restarting in 2000 ms/
                            .test(ngx.logText()),
                      15000, 'a second failure, after a longer wait');
        assert.match(ngx.logText(),
                     /rtc producer "ten": restarting in 1000 ms/);
    });

    test('nginx -t: an option that does not apply is an error', () => {
        assertNotApplying([
            [`    rtc_stream c ${cam.url} loop;`, '"loop"',
             'rtsp:// and rtsps://'],
            [`    rtc_stream c ${tls.url} always loop;`, '"loop"',
             'rtsp:// and rtsps://'],
            ['    rtc_stream c ffmpeg:/tmp/x.mp4 transport=udp;',
             '"transport=udp"', 'ffmpeg:'],
            ['    rtc_stream c ffmpeg:/tmp/x.mp4 transport=tcp;',
             '"transport=tcp"', 'ffmpeg:'],
        ]);

        /* and what applies passes */

        const ok = configTest([
            `    rtc_stream a ${cam.url} transport=udp transcode=h264;`,
            '    rtc_stream b ffmpeg:/tmp/x.mp4 loop transcode=h264;',
        ].join('\n'));
        assert.equal(ok.status, 0, ok.stderr);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
