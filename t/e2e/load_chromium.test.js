/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * 200 sessions of the load generator (build/bench/whep-load: hand-written
 * ICE, OpenSSL DTLS, libsrtp2) and one Chromium viewer of the same camera
 * at once, through nginx with 2 workers: every load session comes up,
 * receives the stream with its SRTP keys right (sampled decryption) and
 * loses no packet (RTP sequence gaps) while Chromium joins and decodes.
 * Needs t/lib/netns.sh and "make e2e" (which builds whep-load).
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Nginx, waitFor, requireNetns, REPO } = require('./lib/nginx');
const { Camera } = require('./lib/camera');
const { Browser } = require('./lib/browser');

const PORT = 20380;
const CAM_PORT = 20394;

const WHEP_LOAD = process.env.WHEP_LOAD
                  || path.join(REPO, 'build', 'bench', 'whep-load');

const SESSIONS = 200;
const WINDOW_S = 10;

/*
 * Loss allowed in the window, in %: none is expected (whep-load's sockets
 * have 1 MB of receive buffer), but 2 shared cores may stall a process
 * long enough for a socket to overflow; more than this is a failure.
 */
const MAX_LOSS_PCT = 0.1;

/* whep-load's UDP sockets take ephemeral ports: nginx's stay below */

const CONF = `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes 2;
worker_rlimit_nofile 4096;
worker_shutdown_timeout 5s;

events {
    worker_connections 2048;
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone         cams 32m;
    rtc_max_sessions 512;
    rtc_udp_ports    20000-30000;
    rtc_stream       cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }
    }
}
`;


/*
 * Runs whep-load; onMeasuring() is called when its window starts (all
 * sessions up or failed).  Resolves with its JSON figures.
 */

function runLoad(args, onMeasuring) {
    return new Promise((resolve, reject) => {
        const proc = spawn(WHEP_LOAD, args, {
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let log = '';
        let measuring = Promise.resolve();

        readline.createInterface({ input: proc.stderr }).on('line', (l) => {
            log += l + '\n';
            if (/measuring/.test(l)) {
                measuring = Promise.resolve().then(onMeasuring);
            }
        });

        proc.stdout.on('data', (c) => { out += c; });
        proc.on('error', reject);
        proc.on('exit', (code) => {
            measuring.then(() => {
                if (code !== 0) {
                    throw new Error(`whep-load exited with ${code}:\n${log}`);
                }
                resolve({ r: JSON.parse(out), log });
            }).catch(reject);
        });
    });
}


describe(`${SESSIONS} load sessions and Chromium`, { timeout: 120000 }, () => {
    let cam;
    let ngx;
    let browser;

    before(async () => {
        requireNetns();
        assert.ok(fs.existsSync(WHEP_LOAD),
                  `${WHEP_LOAD} not built (make e2e builds it)`);

        cam = await new Camera({ port: CAM_PORT, codec: 'h264',
                                 bitrate: 800, pattern: 'smpte' }).start();
        ngx = await new Nginx({ port: PORT, camPort: CAM_PORT, workers: 2,
                                conf: CONF }).start();
        browser = await Browser.launch();

        await waitFor(async () => {
            const s = (await ngx.status()).streams
                      .find((x) => x.name === 'cam');
            return s && s.keyframes_in > 0;
        }, 20000, 'the camera playing');
    });

    after(async () => {
        try {
            if (browser) {
                await browser.close();
            }
            if (ngx) {
                await ngx.stop();
            }
        } finally {
            if (cam) {
                await cam.stop();
            }
        }
    });

    test('all up, no loss, Chromium decodes', async () => {
        let chromium = null;

        /* Chromium joins while the 200 sessions are being measured */

        const joined = async () => {
            const page = await browser.open(
                ngx.url('/player/whep-player.html?src=/whep/cam'));
            const st = await browser.waitPlaying(page, 20000);

            assert.equal(st.codec, 'video/H264');

            const more = await waitFor(async () => {
                const s = await browser.stats(page);
                return s.framesDecoded >= st.framesDecoded + 25 ? s : null;
            }, 10000, '25 more frames decoded by Chromium');

            /* nginx may answer late on 2 loaded cores: retried */

            const status = await waitFor(() => ngx.status(), 30000,
                                         '/rtc/status');

            chromium = { first: st, then: more,
                         sessions: status.sessions.length };
        };

        let join = null;
        let joinErr = null;

        const { r, log } = await runLoad([
            '-n', String(SESSIONS), '-r', '50', '-p', '16',
            '-d', String(WINDOW_S), '--timeout', '15', '--json',
            ngx.url('/whep/cam'),
        ], () => {
            join = joined().catch((err) => { joinErr = err; });
        });

        assert.ok(join, `whep-load never measured:\n${log}`);
        await join;

        if (joinErr) {
            throw joinErr;
        }

        const diag = `\n${JSON.stringify(r, null, 1)}\n${log}`;

        process.stderr.write(`# ${SESSIONS} sessions: ${r.packets_per_s} `
                             + `pkts/s, loss ${r.loss_pct} % (${r.lost} of `
                             + `${r.expected}), since the start `
                             + `${r.lost_since_start} of `
                             + `${r.expected_since_start}; first keyframe `
                             + `p50 ${r.first_keyframe_ms.p50} ms, p95 `
                             + `${r.first_keyframe_ms.p95} ms; whep-load `
                             + `${r.client_cpu_ms_per_s} ms/s\n`);

        assert.equal(r.up, SESSIONS, `sessions up${diag}`);
        assert.equal(r.failed, 0, `sessions failed${diag}`);
        assert.equal(r.stalled, 0, `sessions without RTP${diag}`);

        /* every session got the stream: ~125 packets/s of this camera */

        assert.ok(r.packets_per_s_per_session > 50,
                  `packets/s per session${diag}`);
        assert.equal(r.first_keyframe_ms.n, SESSIONS,
                     `a keyframe decrypted in every session${diag}`);

        /* the SRTP keys are right */

        assert.ok(r.decrypted >= SESSIONS, `decrypted packets${diag}`);
        assert.equal(r.decrypt_failures, 0, `decrypt failures${diag}`);

        assert.ok(r.loss_pct < MAX_LOSS_PCT,
                  `loss ${r.loss_pct} % in the window${diag}`);

        /* Chromium played alongside, one session more than the load's */

        assert.ok(chromium, 'Chromium did not play');
        assert.ok(chromium.then.framesDecoded > chromium.first.framesDecoded);
        assert.equal(chromium.sessions, SESSIONS + 1);

        /* whep-load DELETEd its sessions: Chromium's is left */

        await waitFor(async () => (await ngx.status()).sessions.length === 1,
                      15000, 'the load sessions gone');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
