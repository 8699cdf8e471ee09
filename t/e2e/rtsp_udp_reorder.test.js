/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * transport=udp through a network that reorders: the camera's RTP reaches
 * nginx with one datagram in 8 two places late and one in 50 twice (as a
 * Wi-Fi camera or a routed network may), and nginx puts it back in order
 * (ngx_rtc_reorder.c): every access unit reaches the ring, none is
 * dropped for a "missing" packet, and Chromium decodes the camera's 25
 * frames a second.  Taken in arrival order, each late packet broke its
 * access unit and everything up to the next keyframe.
 *
 * The network: this kernel has no netem qdisc, so an nftables "redirect"
 * in the test's namespace sends the camera's datagrams to the RTP ports of
 * rtc_rtsp_udp_ports to t/lib/udp_reorder.py, which sends them on, some
 * late and some twice, marked so that the redirect lets them through.
 * Needs t/lib/netns.sh, nft (nftables) and GStreamer (t/lib/camera.py).
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const { waitFor, sleep, nginxConf, REPO, live } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { inbound } = require('./lib/rtcstats');
const { RtspCamera, streamOf } = require('./lib/rtsp');

const PORT = 19720;
const CAM_PORT = 19721;
const UDP_MIN = 19730;              /* two pairs: video and audio */
const UDP_MAX = 19733;
const RELAY = 10000;                /* the relay listens 10000 higher */
const MARK = 42;
const FPS = 25;

const TABLE = 'rtc_reorder';
const PYTHON = process.env.TEST_PYTHON || '/usr/bin/python3';
const STATS = /^STATS forwarded=(\d+) reordered=(\d+) duplicated=(\d+)/;


function nft(script) {
    execFileSync('nft', ['-f', '-'], { input: script,
                                       stdio: ['pipe', 'ignore', 'pipe'] });
}


/* the camera's datagrams to our RTP ports go to the relay, once */

function addRedirect() {
    const rtp = [];

    for (let p = UDP_MIN; p < UDP_MAX; p += 2) {
        rtp.push(p);
    }

    const map = rtp.map((p) => `${p} : ${p + RELAY}`).join(', ');

    nft(`table ip ${TABLE} {
    chain out {
        type nat hook output priority -100; policy accept;
        meta mark != ${MARK} ip daddr 127.0.0.1 \
            udp dport { ${rtp.join(', ')} } \
            redirect to : udp dport map { ${map} }
    }
}
`);
}


function removeRedirect() {
    try {
        nft(`delete table ip ${TABLE}\n`);
    } catch (err) {
        /* not there */
    }
}


/* t/lib/udp_reorder.py; resolves once it listens */

function startRelay() {
    const args = [path.join(REPO, 't', 'lib', 'udp_reorder.py'),
                  '--host', '127.0.0.1', '--mark', String(MARK),
                  '--every', '8', '--depth', '2', '--hold-ms', '15',
                  '--dup-every', '50'];

    for (let p = UDP_MIN; p < UDP_MAX; p += 2) {
        args.push('--map', `${p + RELAY}:${p}`);
    }

    const relay = { proc: spawn(PYTHON, args,
                                { stdio: ['ignore', 'pipe', 'pipe'] }),
                    stats: { forwarded: 0, reordered: 0, duplicated: 0 },
                    err: '' };

    live.add(relay.proc);
    relay.proc.stderr.on('data', (c) => { relay.err += c; });

    return new Promise((resolve, reject) => {
        let rest = '';

        relay.proc.once('exit', (code) => {
            live.delete(relay.proc);
            reject(new Error(`udp_reorder.py exited (${code}): ${relay.err}`));
        });

        relay.proc.stdout.on('data', (c) => {
            rest += c;
            const lines = rest.split('\n');
            rest = lines.pop();

            for (const l of lines) {
                if (l === 'READY') {
                    resolve(relay);
                }

                const m = l.match(STATS);
                if (m) {
                    relay.stats = { forwarded: Number(m[1]),
                                    reordered: Number(m[2]),
                                    duplicated: Number(m[3]) };
                }
            }
        });
    });
}


describe('RTSP over UDP through a reordering network', { timeout: 60000 },
         () => {
    const rig = new Rig({ netns: true, camera: false, browser: true,
                          cameraClass: RtspCamera });
    let ngx;
    let relay;

    before(async () => {
        await rig.start();              /* Chromium */

        removeRedirect();
        addRedirect();
        rig.defer(removeRedirect);

        relay = await startRelay();
        rig.defer(() => relay.proc.kill('SIGTERM'));

        const cam = await rig.addCamera({ port: CAM_PORT, fps: FPS,
                                          gop: 2 * FPS });

        ngx = await rig.add({ port: PORT, conf: nginxConf({
            workers: 1, shutdown: true,
            http: `
    default_type application/octet-stream;

    rtc_rtsp_udp_ports ${UDP_MIN}-${UDP_MAX};
    rtc_stream cam ${cam.url} transport=udp always;`,
            server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }`,
        }) });

        /* no keyframe asked for: packets taken as they come break them */

        await waitFor(async () => {
            const s = streamOf(await ngx.status(), 'cam');
            return s && s.state === 'playing';
        }, 15000, 'cam playing over UDP');
    });

    after(() => rig.stop());

    test('the network reorders and duplicates the RTP', async () => {
        await waitFor(() => relay.stats.reordered >= 20
                            && relay.stats.duplicated >= 3,
                      10000, 'the relay reordering: '
                             + JSON.stringify(relay.stats));

        assert.match(ngx.logText(),
                     /rtsp:\/\/127\.0\.0\.1:\d+\/cam: playing over UDP/);
    });

    test('every access unit reaches the ring', async (t) => {
        const s0 = streamOf(await ngx.status(), 'cam');
        const r0 = relay.stats.reordered;
        const t0 = Date.now();

        await sleep(3000);              /* the window measured */

        const s1 = streamOf(await ngx.status(), 'cam');
        const fps = (s1.frames_in - s0.frames_in) * 1000 / (Date.now() - t0);

        assert.ok(relay.stats.reordered - r0 >= 10,
                  `reordered meanwhile: ${relay.stats.reordered - r0}`);
        t.diagnostic(`${fps.toFixed(1)} frames/s into the ring, relay `
                     + JSON.stringify(relay.stats));
        assert.ok(fps >= FPS * 0.9, `${fps.toFixed(1)} frames/s into the ring`);
        assert.equal(s1.state, 'playing');
    });

    test('Chromium decodes every frame', async (t) => {
        const page = await rig.browser.open(
            ngx.url('/player/whep-player.html?src=/whep/cam'));

        await rig.browser.waitPlaying(page, 10000);

        const v0 = (await inbound(page)).video;
        const t0 = Date.now();

        await sleep(3000);              /* the window measured */

        const v1 = (await inbound(page)).video;
        const fps = (v1.framesDecoded - v0.framesDecoded) * 1000
                    / (Date.now() - t0);

        t.diagnostic(`${fps.toFixed(1)} frames/s decoded`);
        assert.ok(fps >= FPS * 0.8, `${fps.toFixed(1)} frames/s decoded`);
        assert.equal(v1.pliCount - v0.pliCount, 0, 'no keyframe asked for');
    });

    test('no access unit dropped, the reordering said once', async () => {
        const log = ngx.logText();
        const s = streamOf(await ngx.status(), 'cam');

        /* put back in order: neither lost nor refused in the counters */
        assert.ok(s.packets_in > 0);
        assert.equal(s.packets_in_lost, 0, 'packets counted as lost');
        assert.equal(s.frames_in_rejected, 0, 'frames counted as refused');

        assert.doesNotMatch(log, /rtc h264: .*RTP packets missing/);
        assert.doesNotMatch(log, /access unit dropped/);
        assert.equal(log.match(/RTP of the video track arrives out of order/g)
                     .length, 1, 'one info line');
        ngx.checkLog();
    });
});
