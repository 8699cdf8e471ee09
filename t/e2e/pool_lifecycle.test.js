/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Work handed to the thread pool (snapshots, transcoders, ffmpeg: inputs)
 * against the lifecycle of what asked for it.  One worker and a pool of
 * one thread (max_queue=1) that an ffmpeg: input blocks: its open waits
 * on an HTTP server that never answers, so a task posted after it stays
 * in the queue for as long as the test wants, and a second post overflows
 * the queue (a 500), which tells the test which one is queued.
 *
 *  - a reload while a snapshot's task is queued: the old worker answers
 *    the request before it exits (it used to exit with the request open:
 *    "open socket left" [alert], the client's connection reset);
 *  - a snapshot whose task does not come back within rtc_wait_timeout
 *    and 5 s more is answered 503 (it used to wait as long as the pool);
 *  - H.264 whose SPS says 16000x16000 (256 million pixels; one picture
 *    cost 1.3 GB and 9 s of CPU): the snapshot of such a keyframe is
 *    refused, the transcoder drops such frames, an ffmpeg: input that
 *    starts so is refused at its open, each without allocating the
 *    picture (the worker grew by gigabytes).
 *
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { workerPids } = require('./lib/rtsp');
const { resizeSps } = require('./lib/h264_size');

const PORT = 23080;
const CAM_PORT = 23054;
const STALL_PORT = 23057;
const HOSTILE_PORT = 23081;


/* an HTTP server that takes connections and never answers */

class StallServer {

    constructor(port) {
        this.port = port;
        this.sockets = new Set();
        this.requests = 0;
        this.server = net.createServer((s) => {
            this.sockets.add(s);
            s.once('data', () => { this.requests++; });
            s.on('error', () => {});
            s.on('close', () => this.sockets.delete(s));
        });
    }

    start() {
        return new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(this.port, '127.0.0.1', resolve);
        });
    }

    /* what is blocked on it fails now */

    release() {
        for (const s of this.sockets) {
            s.destroy();
        }
    }

    stop() {
        this.release();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}


function get(urlPath, port) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: port || PORT,
                                   path: urlPath, agent: false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                                          headers: res.headers,
                                          body: Buffer.concat(chunks) }));
            res.on('error', reject);
        });
        req.on('error', reject);
        req.setTimeout(25000, () => req.destroy(new Error('timeout')));
        req.end();
    });
}


/*
 * Two snapshot requests at once (two widths not asked before: two tasks,
 * nothing in the zone) while the pool's thread is blocked: one task is
 * queued, the other overflows the queue.
 * Returns { pending }: the request whose task is queued.
 */

async function queuedSnapshot(stream, w1, w2) {
    const a = get(`/snap/${stream}.jpg?width=${w1}`);
    const b = get(`/snap/${stream}.jpg?width=${w2}`);
    const tag = (p, name) => p.then((r) => ({ name, r }),
                                    (err) => ({ name, err }));

    const first = await Promise.race([tag(a, 'a'), tag(b, 'b')]);

    assert.ok(first.r, `a request failed: ${first.err}`);
    assert.equal(first.r.status, 500,
                 `the other task is queued: ${first.r.body.toString()}`);

    /* in an object: an async function's promise would wait for it */
    return { pending: first.name === 'a' ? b : a };
}


describe('thread pool tasks and their owners', { timeout: 120000 }, () => {
    const stall = new StallServer(STALL_PORT);
    const rig = new Rig({ netns: true, camPort: CAM_PORT, cameras: [
        { port: CAM_PORT, size: '320x240', gop: 10 },
    ], nginx: [{ port: PORT, conf: nginxConf({
        workers: 1, shutdown: '20s',
        main: 'thread_pool one threads=1 max_queue=1;',
        http: `
    rtc_thread_pool  one;
    rtc_wait_timeout 2s;
    rtc_stream cam   rtsp://127.0.0.1:%%CAMPORT%%/cam always;
    rtc_stream stall ffmpeg:http://127.0.0.1:${STALL_PORT}/live always;`,
        server: `
        location /snap/        { rtc_snapshot; }
        location = /rtc/status { rtc_status; }`,
    }), allowLog: [/\[error\].*rtc ffmpeg/] }] });
    let ngx;

    before(async () => {
        await stall.start();
        rig.defer(() => stall.stop());
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    const streamOf = async (name) =>
        (await ngx.status()).streams.find((s) => s.name === name);

    /* the camera plays, the pool's one thread waits on the stall server */

    async function blocked() {
        const n = stall.requests;

        /* a fresh open: the one blocked now fails, the next one blocks */

        stall.release();

        await waitFor(async () => (await streamOf('cam')).state === 'playing',
                      15000, 'the camera playing');
        await waitFor(() => stall.requests > n, 15000,
                      'the ffmpeg: open blocked on the stall server');
    }

    test('a reload while a snapshot task is queued: answered', async () => {
        await blocked();

        const old = workerPids(ngx.pid());
        const { pending } = await queuedSnapshot('cam', 320, 160);

        process.kill(ngx.pid(), 'SIGHUP');

        /* the old worker's exit ends the blocked open: the task runs */

        const r = await pending;
        assert.equal(r.status, 200, r.body.toString());
        assert.equal(r.headers['content-type'], 'image/jpeg');

        await waitFor(() => !workerPids(ngx.pid())
                                 .some((p) => old.includes(p)),
                      15000, 'the old worker gone');

        ngx.checkLog();
    });

    test('a task not back in time: 503, the task goes on', async () => {
        await blocked();

        const t0 = Date.now();
        const { pending } = await queuedSnapshot('cam', 256, 128);

        /* rtc_wait_timeout 2s and 5 s more; the open blocks 10 s */

        const r = await pending;
        assert.equal(r.status, 503, r.body.toString());
        assert.match(r.body.toString(), /snapshot of "cam" not ready/);
        assert.equal(r.headers['retry-after'], '1');
        assert.ok(Date.now() - t0 < 9000, `answered in ${Date.now() - t0} ms`);

        /* the task comes back later: its JPEG is in the zone */

        stall.release();

        const back = /rtc snapshot: .* encoded: (256|128)x/;
        await waitFor(() => back.test(ngx.logText()),
                      10000, 'the task back');
    });
});


/* raw H.264 from ffmpeg's test source: main profile, B-frames, 1 s GOP */

function encode(file, seconds) {
    const r = spawnSync('ffmpeg', [
        '-v', 'error', '-y', '-f', 'lavfi',
        '-i', 'testsrc=size=320x240:rate=25', '-t', String(seconds),
        '-c:v', 'libx264', '-profile:v', 'main', '-bf', '2', '-g', '25',
        '-pix_fmt', 'yuv420p', '-f', 'h264', file,
    ], { encoding: 'utf8' });

    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(file);
}


/*
 * Raw H.264 in MPEG-TS, without decoding it (max_pixels: the probe does
 * not decode large pictures), the timestamps made up (setts, in 1/90000
 * s): a raw stream has none.
 */

function mux(raw, file) {
    const r = spawnSync('ffmpeg', [
        '-v', 'error', '-y', '-max_pixels', '100000', '-r', '25',
        '-f', 'h264', '-i', raw, '-c', 'copy',
        '-bsf:v', 'setts=ts=N*3600', '-f', 'mpegts', file,
    ], { encoding: 'utf8' });

    assert.equal(r.status, 0, r.stderr);
}


/* the worker's peak resident size, in MB */

function peakMb(pid) {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
              .match(/VmHWM:\s+(\d+) kB/);
    return Number(m[1]) / 1024;
}


describe('pictures too large for the decoders', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camera: false });
    const dir = rig.tmpdir('rtc-hostile-');
    let ngx;

    before(async () => {
        const good = encode(path.join(dir, 'good.h264'), 1);
        const rest = encode(path.join(dir, 'rest.h264'), 30);
        const big = resizeSps(rest, 16000, 16000);

        /* 1 s as it is, then 16000x16000 keyframes for 30 s */
        fs.writeFileSync(path.join(dir, 'mixed.h264'),
                         Buffer.concat([good, big]));
        fs.writeFileSync(path.join(dir, 'big.h264'), big);
        mux(path.join(dir, 'mixed.h264'), path.join(dir, 'mixed.ts'));
        mux(path.join(dir, 'big.h264'), path.join(dir, 'big.ts'));
        fs.chmodSync(dir, 0o755);

        await rig.start();
        ngx = await rig.add({ port: HOSTILE_PORT, vars: { MEDIA: dir },
            conf: nginxConf({
                workers: 1, shutdown: '5s',
                http: `
    rtc_wait_timeout 5s;
    rtc_stream mixed   ffmpeg:%%MEDIA%%/mixed.ts always;
    rtc_stream mixedtc ffmpeg:%%MEDIA%%/mixed.ts transcode=h264 always;
    rtc_stream big     ffmpeg:%%MEDIA%%/big.ts always;`,
                server: `
        location /snap/        { rtc_snapshot; }
        location = /rtc/status { rtc_status; }`,
            }),
            allowLog: [/\[error\].*rtc ffmpeg/] });
    });

    after(() => rig.stop());

    const streamOf = async (name) =>
        (await ngx.status()).streams.find((s) => s.name === name);

    test('refused, bounded, the worker small', async () => {
        const [worker] = workerPids(ngx.pid());

        /* past the first second: the newest keyframe is 16000x16000 */

        await waitFor(async () => (await streamOf('mixed')).keyframes_in >= 3,
                      20000, 'the large keyframes in the ring');

        const t0 = Date.now();
        const r = await get('/snap/mixed.jpg?width=320', HOSTILE_PORT);

        assert.equal(r.status, 503, r.body.toString());
        assert.match(r.body.toString(), /cannot decode the keyframe/);
        assert.ok(Date.now() - t0 < 3000, `answered in ${Date.now() - t0} ms`);

        /* an input that starts so: refused with the reason */

        await waitFor(async () => /too large/.test(
                          (await streamOf('big')).last_error || ''),
                      20000, 'the large input refused');

        /* the transcoder went through the large frames */

        await waitFor(() => (ngx.logText().match(
                          /rtc ffmpeg: \[h264 @ [^\]]*\] .*max pixel count/g)
                          || []).length >= 10,
                      20000, 'the transcoder refusing large pictures');

        const mb = peakMb(worker);
        assert.ok(mb < 600, `the worker peaked at ${mb.toFixed(0)} MB`);
    });
});
