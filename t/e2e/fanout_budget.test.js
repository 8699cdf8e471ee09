/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Bounded work per event (issue 9): with "rtc_fanout_budget 4" every
 * session's frame is sent from its own run of the stream's fan-out, which
 * yields to the event loop between runs.  60 sessions of the load
 * generator (build/bench/whep-load) in one worker, two streams (one
 * camera each: two RTSP clients starting on one shared gst-rtsp-server
 * media at once can abort it, see frame_limits.test.js): every session comes up, gets every packet (no sequence gap) and
 * every frame in order (no RTP timestamp going back), while /rtc/status
 * and the WHEP POSTs are answered throughout.  Needs t/lib/netns.sh and
 * "make e2e" (which builds whep-load).
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');

const PORT = 20480;
const CAM_PORT = 20494;
const CAM2_PORT = 20495;

const WHEP_LOAD = process.env.WHEP_LOAD
                  || path.join(REPO, 'build', 'bench', 'whep-load');

const SESSIONS = 30;          /* per stream */
const WINDOW_S = 6;

const CONF = nginxConf({
    workers: 1, shutdown: true, connections: 2048, zone: '16m',
    main: 'worker_rlimit_nofile 4096;',
    http: `
    rtc_max_sessions  256;
    rtc_udp_ports     20000-30000;
    rtc_fanout_budget 4;
    rtc_stream        one rtsp://127.0.0.1:%%CAMPORT%%/cam always;
    rtc_stream        two rtsp://127.0.0.1:${CAM2_PORT}/cam always;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


/* one whep-load run; resolves with its JSON figures */

function runLoad(args, onMeasuring) {
    return new Promise((resolve, reject) => {
        const proc = spawn(WHEP_LOAD, args, {
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let log = '';
        let measuring = null;

        proc.stderr.on('data', (c) => {
            log += c;
            if (!measuring && /measuring/.test(log)) {
                measuring = Promise.resolve().then(onMeasuring);
                measuring.catch(() => {});
            }
        });
        proc.stdout.on('data', (c) => { out += c; });
        proc.on('error', reject);
        proc.on('exit', (code) => {
            if (code !== 0 || !measuring) {
                reject(new Error(`whep-load exited with ${code}:\n${log}`));
                return;
            }
            resolve({ r: JSON.parse(out), log, measuring });
        });
    });
}


describe('fan-out within a budget', { timeout: 90000 }, () => {
    const opts = { bitrate: 800, pattern: 'smpte' };
    const rig = new Rig({ netns: true, camPort: CAM_PORT, cameras: [
        Object.assign({ port: CAM_PORT }, opts),
        Object.assign({ port: CAM2_PORT }, opts),
    ], nginx: [{ port: PORT, workers: 1, conf: CONF }] });
    let ngx;

    before(async () => {
        assert.ok(fs.existsSync(WHEP_LOAD),
                  `${WHEP_LOAD} not built (make e2e builds it)`);

        ({ ngx } = await rig.start());

        await waitFor(async () => {
            const st = (await ngx.status()).streams;
            return st.length === 2 && st.every((x) => x.keyframes_in > 0);
        }, 20000, 'both streams playing');
    });

    after(() => rig.stop());

    test('every session gets every frame, in order', async () => {
        const args = (name) => [
            '-n', String(SESSIONS), '-r', '30', '-p', '8',
            '-d', String(WINDOW_S), '--timeout', '15', '--json',
            ngx.url(`/whep/${name}`),
        ];

        /* HTTP is served while the fan-outs run: status, in the window */

        const statusInWindow = async () => {
            const st = await waitFor(() => ngx.status(), 20000,
                                     '/rtc/status');
            return st.sessions.length;
        };

        const [one, two] = await Promise.all([
            runLoad(args('one'), statusInWindow),
            runLoad(args('two'), statusInWindow),
        ]);

        for (const [name, { r, log, measuring }] of [['one', one],
                                                     ['two', two]]) {
            const diag = `\n${JSON.stringify(r, null, 1)}\n${log}`;

            process.stderr.write(`# ${name}: ${r.up} up, `
                                 + `${r.packets_per_s} pkts/s, loss `
                                 + `${r.loss_pct} %, since the start `
                                 + `${r.lost_since_start} of `
                                 + `${r.expected_since_start}, ts backwards `
                                 + `${r.ts_backwards}, first keyframe p50 `
                                 + `${r.first_keyframe_ms.p50} ms\n`);

            assert.equal(r.up, SESSIONS, `sessions up${diag}`);
            assert.equal(r.failed, 0, `sessions failed${diag}`);
            assert.equal(r.stalled, 0, `sessions without RTP${diag}`);
            assert.equal(r.first_keyframe_ms.n, SESSIONS,
                         `a keyframe in every session${diag}`);
            assert.equal(r.decrypt_failures, 0, `decrypt failures${diag}`);
            assert.ok(r.packets_per_s_per_session > 40,
                      `packets/s per session${diag}`);

            /* every packet, every frame once and in order */

            assert.equal(r.lost, 0, `packets lost in the window${diag}`);
            assert.equal(r.ts_backwards, 0, `frames out of order${diag}`);

            /* the status page answered with the fan-outs running */

            assert.ok(await measuring >= SESSIONS, `sessions in /rtc/status`);
        }

        /*
         * whep-load DELETEs its sessions (for up to 5 s); one whose DELETE
         * did not go out would be found silent (20-21 s): wait longer
         */

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      30000, 'the load sessions gone');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
