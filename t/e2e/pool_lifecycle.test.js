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
 *  - a keyframe whose SPS says 16000x16000: the snapshot is refused
 *    without allocating the picture (it used to decode, scale and encode
 *    256 million pixels, over a gigabyte in the worker).
 *
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const http = require('node:http');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { workerPids } = require('./lib/rtsp');

const PORT = 23080;
const CAM_PORT = 23054;
const STALL_PORT = 23057;


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


function get(urlPath) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: PORT,
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

        await waitFor(() => !workerPids(ngx.pid()).some((p) => old.includes(p)),
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

        await waitFor(() => /rtc snapshot: stream \d+ keyframe \d+ encoded: (256|128)x/
                            .test(ngx.logText()),
                      10000, 'the task back');
    });
});
