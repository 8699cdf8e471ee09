/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * whep:// sources: an edge nginx pulls streams from an origin nginx-rtc
 * over WHEP, as it pulls a camera, into its own ring.  The origin (4
 * workers) pulls gst cameras (H.264 and H.265); the edge (4 workers) has
 * rtc_stream cam whep://origin/whep/cam.  Viewers of the edge receive
 * the stream; the origin serves one session to the edge whatever the
 * edge's viewer count; killing the origin and starting it again resumes
 * the edge's viewers without a reload; H.265 arrives as H.265; idle=
 * releases the origin's session.  Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { Browser } = require('./lib/browser');
const raw = require('./lib/raw');
const { execFileSync } = require('node:child_process');

const ORIGIN_PORT = 18910;
const EDGE_PORT = 18911;
const CAM_PORT = 18964;
const CAM265_PORT = 18965;
const ORIGIN_UDP = 41000;
const TABLE = 'nginx_rtc_whep_source';

const ORIGIN_CONF = `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 4;
events { worker_connections 1024; }
http {
    %%TEST_GLOBALS_HTTP%%
    rtc_zone   origin 32m;
    rtc_udp_ports ${ORIGIN_UDP}-${ORIGIN_UDP + 99};
    rtc_stream cam  rtsp://127.0.0.1:%%CAMPORT%%/cam always;
    rtc_stream cam2 rtsp://127.0.0.1:%%CAMPORT%%/cam idle=2s;
    rtc_stream cam5 rtsp://127.0.0.1:${CAM265_PORT}/cam always;
    log_format bearer '$request "$http_authorization"';
    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%PREFIX%%/bearer.log bearer;
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}
`;

const EDGE_CONF = `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 4;
events { worker_connections 1024; }
http {
    %%TEST_GLOBALS_HTTP%%
    rtc_zone   edge 32m;
    rtc_wait_timeout 5s;
    rtc_stream cam  whep://127.0.0.1:${ORIGIN_PORT}/whep/cam;
    rtc_stream cam5 whep://secret-token@127.0.0.1:${ORIGIN_PORT}/whep/cam5
                    always;
    rtc_stream idle whep://127.0.0.1:${ORIGIN_PORT}/whep/cam2 idle=3s;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /player/      { alias %%REPO%%/examples/; }
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}
`;


/*
 * Drop 5% of the origin's media to the edge (nftables on the input hook:
 * both ends are on lo in the namespace), not STUN or RTCP (300 bytes).
 */

function nft(script) {
    execFileSync('nft', ['-f', '-'], { input: script,
                                       stdio: ['pipe', 'ignore', 'pipe'] });
}


function addLoss() {
    nft(`table inet ${TABLE} {
    chain in {
        type filter hook input priority 0; policy accept;
        meta l4proto udp udp sport ${ORIGIN_UDP}-${ORIGIN_UDP + 99} \\
            udp length > 300 numgen random mod 100 < 5 counter drop
    }
}
`);
}


function removeLoss() {
    try {
        nft(`delete table inet ${TABLE}\n`);
    } catch (err) {
        /* not there */
    }
}


/* the origin's requests with their Authorization header */

function bearerLog() {
    return fs.readFileSync(`${origin.dir}/bearer.log`, 'utf8');
}


function stream(st, name) {
    return st.streams.find((s) => s.name === name);
}


function sessionsOf(st, name) {
    return st.sessions.filter((s) => s.stream === name);
}


let origin;


describe('whep:// sources', { timeout: 150000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, cameras: [
        { port: CAM_PORT },
        { port: CAM265_PORT, codec: 'h265', audio: 'opus' },
    ], nginx: [
        { port: ORIGIN_PORT, conf: ORIGIN_CONF, workers: 4 },
        { port: EDGE_PORT, conf: EDGE_CONF },
    ] });
    let edge;

    before(async () => {
        [origin, edge] = (await rig.start()).nginx;
    });

    after(() => rig.stop());

    test('viewers of the edge play the origin\'s stream', async () => {
        const viewers = [];

        for (let i = 0; i < 8; i++) {
            viewers.push(new Viewer(edge, '/whep/cam', { name: `v${i}` }));
        }

        await Promise.all(viewers.map((v) => v.connectRetry(20000)));
        await Promise.all(viewers.map((v) => v.waitKeyframe(20000)));
        await Promise.all(viewers.map((v) => v.waitPackets(50, 10000)));

        /* and Chromium decodes it */

        const browser = await Browser.launch();
        let decoded;

        try {
            const page = await browser.open(edge.url(
                '/player/whep-player.html?src=/whep/cam'));
            decoded = await browser.waitPlaying(page, 20000);

            const es = stream(await edge.status(), 'cam');
            assert.equal(es.state, 'playing');
            assert.equal(es.codec, 'H264');
            assert.equal(es.viewers, 9);

            /*
             * the camera has no audio: the origin answers the edge's audio
             * inactive, bundled; the edge takes no codec from it, and its
             * player's session has no audio
             */
            assert.equal(es.audio_codec, '');
            assert.equal(sessionsOf(await edge.status(), 'cam')
                         .filter((x) => x.audio !== null).length, 0);

            /*
             * a page that goes away says so (pagehide: DELETE); a browser
             * closed under it would leave its session to be found silent
             * (20 s), keeping the worker it is in through the reload below
             */
            await page.close({ runBeforeUnload: true });
        } finally {
            await browser.close();
        }

        assert.ok(decoded.framesDecoded > 0);

        /* one session on the origin for the edge, whatever its viewers */

        const os = await origin.status();
        assert.equal(sessionsOf(os, 'cam').length, 1, JSON.stringify(os));

        /* the edge's receiver reports: the origin knows the round trip */

        await waitFor(async () => {
            const s = sessionsOf(await origin.status(), 'cam')[0];
            return typeof s.rtt_ms === 'number';
        }, 10000, 'a round trip from the edge\'s receiver reports');

        for (const v of viewers) {
            await v.close();
        }
    });

    test('loss between origin and edge: NACKs, retransmissions, '
         + 'keyframes', async () => {
        const v = new Viewer(edge, '/whep/cam', { name: 'loss' });
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);

        /* the origin's session of the edge counts its NACKs */

        try {
            addLoss();
            await waitFor(async () => {
                const s = sessionsOf(await origin.status(), 'cam')[0];
                return s && s.nacks > 0 && s.retransmits > 0;
            }, 15000, 'NACKs from the edge, retransmissions by the origin');
        } finally {
            removeLoss();
        }

        /* the picture goes on */

        await v.waitKeyframe(15000);
        await v.waitPackets(50, 10000);

        await v.close();
    });

    test('a reload of the edge: its viewer goes on, one session at the '
         + 'origin', async () => {
        const v = new Viewer(edge, '/whep/cam', { name: 'reload' });

        try {
            await v.connectRetry(20000);
            await v.waitKeyframe(20000);

            const before = raw.workerPids(edge.pid());
            process.kill(edge.pid(), 'SIGHUP');

            /* the old worker stays while it has the viewer */

            await waitFor(() => raw.workerPids(edge.pid())
                                .filter((p) => !before.includes(p))
                                .length === 4,
                          20000, 'the edge\'s new workers');

            /* the new producer's session replaces the old one's */

            await waitFor(async () => {
                const s = stream(await edge.status(), 'cam');
                return s.state === 'playing'
                       && !before.includes(s.producer_pid);
            }, 20000, 'a new worker produces "cam"');

            await v.waitPackets(50, 10000);

            await waitFor(async () => {
                const st = await origin.status();
                return sessionsOf(st, 'cam').length === 1;
            }, 10000, 'the old worker\'s session DELETEd, one left');

        } finally {
            await v.close();
        }
    });

    test('H.265 and Opus arrive as H.265 and Opus; the token is sent, '
         + 'never shown', async () => {
        await waitFor(async () => {
            const s = stream(await edge.status(), 'cam5');
            return s.state === 'playing' && s.keyframes_in > 0
                   && s.frames_in > 50;
        }, 30000, 'cam5 playing at the edge');

        const s = stream(await edge.status(), 'cam5');
        assert.equal(s.codec, 'H265');
        assert.equal(s.audio_codec, 'opus');

        assert.match(bearerLog(),
                     /POST \/whep\/cam5 HTTP\/1.1 "Bearer secret-token"/);

        assert.doesNotMatch(JSON.stringify(await edge.status()),
                            /secret-token/, 'no token in status');
        assert.doesNotMatch(edge.logText(), /secret-token/,
                            'no token in error.log');
    });

    test('idle=3s releases the origin\'s session (and its on-demand '
         + 'camera)', async () => {
        const v = new Viewer(edge, '/whep/idle', { name: 'idle' });
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);

        assert.equal(sessionsOf(await origin.status(), 'cam2').length, 1);

        await v.close();

        await waitFor(async () => {
            const st = await origin.status();
            return sessionsOf(st, 'cam2').length === 0;
        }, 15000, 'the origin\'s cam2 session DELETEd after idle=3s');

        await waitFor(async () => {
            const x = stream(await edge.status(), 'idle');
            return x.state === 'idle' && x.producer_pid === 0;
        }, 10000, 'the edge\'s stream idle');

        /* and the origin's on-demand camera after its own idle=2s */

        await waitFor(async () => {
            const x = stream(await origin.status(), 'cam2');
            return x.state === 'idle' && x.producer_pid === 0;
        }, 10000, 'the origin\'s cam2 idle');
    });

    test('the origin killed and started again: the edge\'s viewers resume '
         + 'without a reload', async () => {
        const v = new Viewer(edge, '/whep/cam', { name: 'restart' });

        try {
            await originRestart(v);
        } finally {
            await v.close().catch(() => {});
        }
    });

    /*
     * The edge's workers now: a worker of the earlier reload may still be
     * shutting down (it ends when its last viewer's session does) and go
     * meanwhile, but no new worker may appear.
     */

    async function originRestart(v) {
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);

        const edgeWorkers = raw.workerPids(edge.pid());

        const master = origin.pid();
        const workers = raw.workerPids(master);
        process.kill(master, 'SIGKILL');
        for (const pid of workers) {
            try {
                process.kill(pid, 'SIGKILL');
            } catch (err) {
                /* gone */
            }
        }
        await origin.exited;
        await origin.stop();

        await waitFor(async () => {
            const s = stream(await edge.status(), 'cam');
            return s.state === 'retrying' && s.last_error !== '';
        }, 15000, 'the edge sees the origin gone');

        /* a new nginx in a new prefix, on the same port */
        await origin.start();

        const before = v.keyframes;
        await waitFor(() => v.keyframes > before, 30000,
                      'a keyframe through the new origin');
        await v.waitPackets(50, 10000);

        const now = raw.workerPids(edge.pid());
        assert.ok(now.every((pid) => edgeWorkers.includes(pid)),
                  `no reload of the edge: ${edgeWorkers} -> ${now}`);
        assert.equal(sessionsOf(await origin.status(), 'cam').length, 1);
    }

    test('a graceful stop of the edge DELETEs its sessions at the origin',
         async () => {
        assert.equal(sessionsOf(await origin.status(), 'cam5').length, 1);

        await edge.stop();

        await waitFor(async () => {
            const st = await origin.status();
            return sessionsOf(st, 'cam5').length === 0;
        }, 3000, 'no cam5 session left at the origin');

        assert.match(bearerLog(),
                     /DELETE \/whep\/cam5\/\S+ HTTP\/1.1 "Bearer secret-token"/);
    });
});
