/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_snapshot: GET /snap/NAME.jpg is a JPEG of the stream's newest
 * keyframe, decoded and encoded in the thread pool, cached in the zone.
 * An idle on-demand H.264 camera is started by the request; the JPEG
 * decodes (ffprobe/ffmpeg) at the camera's size, at ?width= scaled with
 * the aspect ratio kept; If-Modified-Since gives 304; it changes after the
 * next keyframe; an H.265 camera works the same; 40 concurrent requests
 * over 4 workers encode each keyframe once; a camera frozen for a while
 * gets a picture from after it, not the one from before; errors are
 * 404/400/503 with a reason.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { probeJpeg } = require('./lib/jpeg');

const PORT = 18980;
const CAM_PORT = 18954;
const HEVC_PORT = 18955;
const DOWN_PORT = 18956;       /* nothing listens there */
const STALL_PORT = 18957;

const CONF = nginxConf({
    workers: 4,
    listen: ' reuseport',
    http: `
    rtc_wait_timeout 8s;
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam idle=5s;
    rtc_stream hevc rtsp://127.0.0.1:${HEVC_PORT}/cam always;
    rtc_stream down rtsp://127.0.0.1:${DOWN_PORT}/cam;
    rtc_stream stall rtsp://127.0.0.1:${STALL_PORT}/cam always;`,
    server: `
        location /snap/        { rtc_snapshot; }
        location = /front.jpg  { rtc_snapshot $arg_cam; }
        location = /rtc/status { rtc_status; }`,
});


/* GET with the body as a Buffer */

function get(urlPath, headers) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: PORT,
                                   path: urlPath, headers: headers || {},
                                   agent: false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                                          headers: res.headers,
                                          body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.setTimeout(20000, () => req.destroy(new Error('timeout')));
        req.end();
    });
}


describe('rtc_snapshot', { timeout: 240000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, cameras: [
        { port: CAM_PORT, gop: 25 },
        { port: HEVC_PORT, codec: 'h265', size: '320x240', fps: 10, gop: 100 },
        { port: STALL_PORT, size: '320x240', gop: 25 },
    ], nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    const streamOf = async (name) =>
        (await ngx.status()).streams.find((s) => s.name === name);

    const encodes = () => (fs.readFileSync(ngx.errorLog, 'utf8')
                           .match(/rtc snapshot: stream \d+ keyframe \d+ encoded/g)
                           || []).length;

    test('errors: unknown stream, bad width, not .jpg', async () => {
        let r = await get('/snap/nope.jpg');
        assert.equal(r.status, 404);
        assert.match(r.body.toString(), /unknown stream "nope"/);

        r = await get('/snap/cam.png');
        assert.equal(r.status, 404);
        assert.match(r.body.toString(), /NAME\.jpg/);

        r = await get('/front.jpg');
        assert.equal(r.status, 404, 'an empty $arg_cam');

        for (const w of ['0', 'x', '-5', '99999']) {
            r = await get('/snap/cam.jpg?width=' + w);
            assert.equal(r.status, 400, 'width=' + w);
            assert.match(r.body.toString(), /width/);
        }
    });

    test('an idle on-demand camera is started and its JPEG served',
         async () => {
        assert.equal((await streamOf('cam')).state, 'idle');

        const r = await get('/snap/cam.jpg');
        assert.equal(r.status, 200, r.body.toString());
        assert.equal(r.headers['content-type'], 'image/jpeg');
        assert.ok(r.headers['last-modified']);
        assert.equal(r.headers['cache-control'], 'no-cache');

        const p = probeJpeg(r.body);
        assert.equal(p.codec, 'mjpeg');
        assert.equal(p.width, 640);
        assert.equal(p.height, 360);

        assert.equal((await streamOf('cam')).state, 'playing');

        /* the argument form, with a variable */
        const a = await get('/front.jpg?cam=cam');
        assert.equal(a.status, 200);
        assert.equal(probeJpeg(a.body).width, 640);

        /* then left to its idle timer (idle=5s) */
        await waitFor(async () => (await streamOf('cam')).state === 'idle',
                      15000, 'the camera idle again after its timer');
    });

    test('?width= scales, keeping the aspect ratio', async () => {
        const r = await get('/snap/cam.jpg?width=160');
        assert.equal(r.status, 200);
        const p = probeJpeg(r.body);
        assert.equal(p.width, 160);
        assert.equal(p.height, 90);
    });

    test('a new keyframe: a new picture', async () => {
        const a = await get('/snap/cam.jpg');
        assert.equal(a.status, 200);

        const b = await waitFor(async () => {
            const x = await get('/snap/cam.jpg');
            return x.status === 200 && x.headers.etag !== a.headers.etag
                   ? x : null;
        }, 10000, 'a snapshot of the next keyframe');

        assert.ok(!a.body.equals(b.body), 'the picture changed');
    });

    test('If-Modified-Since: 304 for the same keyframe', async () => {
        /* 10 s GOP: the same keyframe for both requests */
        const a = await get('/snap/hevc.jpg');
        assert.equal(a.status, 200, a.body.toString());

        const nm = await get('/snap/hevc.jpg', { 'If-Modified-Since':
                                                 a.headers['last-modified'] });
        if (nm.status !== 304) {
            assert.notEqual(nm.headers.etag, a.headers.etag,
                            'a 200 only for a newer keyframe');
        }
        assert.equal(nm.status, 304);

        const old = await get('/snap/hevc.jpg',
                              { 'If-Modified-Since':
                                'Thu, 01 Jan 1998 00:00:00 GMT' });
        assert.equal(old.status, 200);
    });

    test('H.265: decoded the same way', async () => {
        const r = await get('/snap/hevc.jpg');
        assert.equal(r.status, 200, r.body.toString());
        const p = probeJpeg(r.body);
        assert.equal(p.width, 320);
        assert.equal(p.height, 240);
    });

    test('40 concurrent requests over 4 workers: one encode per keyframe',
         async () => {
        const before = encodes();
        const rs = await Promise.all(Array.from({ length: 40 },
            () => get('/snap/hevc.jpg?width=64')));

        for (const r of rs) {
            assert.equal(r.status, 200);
        }

        const tags = new Set(rs.map((r) => r.headers.etag));
        assert.equal(encodes() - before, tags.size,
                     `${tags.size} keyframes, one encode each`);

        /* served by more than one worker */
        const pids = new Set(ngx.accessLog()
            .filter((l) => l.request.includes('/snap/hevc.jpg?width=64'))
            .map((l) => l.pid));
        assert.ok(pids.size >= 2, `workers: ${[...pids].join(',')}`);
    });

    test('a camera that is down: 503 with Retry-After', async () => {
        const r = await get('/snap/down.jpg');
        assert.equal(r.status, 503);
        assert.ok(Number(r.headers['retry-after']) > 0);
        assert.match(r.body.toString(), /not ready/);
        assert.ok(r.headers['retry-after']);
    });

    /*
     * A camera that stops sending but keeps its connection (frozen, as
     * SIGSTOP makes it): the stream still reads "playing", and its ring's
     * last keyframe is a picture from before.  After a break of over 2 s
     * (NGX_RTC_STREAM_LIVE_GAP) the request waits for a keyframe sent
     * from then on, which comes once the camera sends again.
     */
    test('a camera frozen for 3 s: the picture after it, not from before',
         async () => {
        const cam = rig.cams[2];

        await waitFor(async () => {
            const x = await streamOf('stall');
            return x && x.state === 'playing' && x.keyframes_in > 0;
        }, 20000, 'the stall camera playing');

        const a = await get('/snap/stall.jpg');
        assert.equal(a.status, 200, a.body.toString());

        let resumed = false;

        cam.proc.kill('SIGSTOP');

        try {
            /* the break itself: time has to pass, there is no event for it */
            await new Promise((r) => setTimeout(r, 3000));

            assert.equal((await streamOf('stall')).state, 'playing');

            const pending = get('/snap/stall.jpg').then((r) => {
                r.resumed = resumed;
                return r;
            });

            /* answered before the camera sends again: a picture from before */
            const early = await Promise.race([
                pending,
                new Promise((r) => setTimeout(() => r(null), 1000)),
            ]);
            assert.equal(early, null,
                         'answered while the camera was frozen: '
                         + (early && early.status));

            resumed = true;
            cam.proc.kill('SIGCONT');

            const b = await pending;
            assert.equal(b.status, 200, b.body.toString());
            assert.ok(b.resumed);
            assert.notEqual(b.headers.etag, a.headers.etag);
            assert.equal(probeJpeg(b.body).width, 320);

        } finally {
            if (!resumed) {
                cam.proc.kill('SIGCONT');
            }
        }
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();

        /*
         * libav's own lines (swscale's "deprecated pixel format used"
         * at each encode) written raw to stderr, the error log, before
         * its messages went through nginx's log in every worker
         */
        const raw = ngx.logText().split('\n').filter(
            (l) => l && !/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[/.test(l));
        assert.deepEqual(raw, [], 'lines nginx did not write');
    });
});
