/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The camera's health in rtc_status and rtc_metrics: RTP packets received
 * from it, missing from their sequence, refused as malformed; access units
 * the depacketizer dropped.  Three cameras play to nobody ("always"):
 *
 *   clean     t/lib/camera.py over TCP: packets in, nothing lost,
 *             refused or dropped (the P frames before the first keyframe,
 *             a client joining between two, are not counted)
 *   lossy     t/lib/camera.py over UDP, 10 % of the datagrams to our
 *             rtc_rtsp_udp_ports dropped by nftables on the input hook
 *             (as t/e2e/loss.test.js does): packets lost, and access
 *             units dropped after each loss up to the next keyframe
 *   bad_stap  t/lib/rtsp_quirk_server.py: its STAP-A of SPS and PPS has a
 *             NAL unit size 5 bytes too big, every keyframe: packets
 *             refused, access units dropped; the camera restarted, the
 *             counters go on from where they were, never down
 *
 * Each camera has its own process: two clients that SETUP and PLAY one
 * gst-rtsp-server media at once can abort it (t/e2e/frame_limits.test.js).
 * Needs t/lib/netns.sh and nft (Debian's nftables).
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { HostileCamera, streamOf } = require('./lib/rtsp');

const PORT = 22280;
const CAM_PORT = 22254;
const CAM2_PORT = 22255;
const QUIRK_PORT = 22256;
const UDP_MIN = 22300;
const UDP_MAX = 22319;

const QUIRKS = path.join(REPO, 't', 'lib', 'rtsp_quirk_server.py');
const TABLE = 'rtc_camera_stats';

/* the counters, in rtc_status and as nginx_rtc_stream_X_total */
const COUNTERS = ['packets_in', 'packets_in_lost', 'packets_in_rejected',
                  'frames_in_rejected', 'frames_in_dropped'];


function nft(script) {
    execFileSync('nft', ['-f', '-'], { input: script,
                                       stdio: ['pipe', 'ignore', 'pipe'] });
}


function removeLoss() {
    try {
        nft(`delete table inet ${TABLE}\n`);
    } catch (err) {
        /* not there */
    }
}


/* datagrams the rule dropped */
function nftDropped() {
    const out = execFileSync('nft', ['list', 'table', 'inet', TABLE])
                .toString();
    const m = out.match(/counter packets (\d+)/);
    return m ? Number(m[1]) : 0;
}


describe('camera health counters', { timeout: 40000 }, () => {
    const rig = new Rig({ netns: true, camera: false });
    let quirk;
    let ngx;

    before(async () => {
        try {
            execFileSync('nft', ['--version']);
        } catch (err) {
            throw new Error('nft not found: apt-get install nftables');
        }

        removeLoss();
        nft(`table inet ${TABLE} {
    chain in {
        type filter hook input priority 0; policy accept;
        udp dport ${UDP_MIN}-${UDP_MAX} numgen random mod 100 < 10 counter drop
    }
}
`);
        rig.defer(removeLoss);

        await rig.start();

        await Promise.all([
            rig.addCamera({ port: CAM_PORT, gop: 25 }),
            rig.addCamera({ port: CAM2_PORT, gop: 25 }),
            rig.addCamera({ port: QUIRK_PORT, script: QUIRKS },
                          HostileCamera),
        ]);
        quirk = rig.cams[2];

        ngx = await rig.add({ port: PORT, conf: nginxConf({
            workers: 2, zone: '16m', shutdown: true,
            http: `
    rtc_rtsp_udp_ports ${UDP_MIN}-${UDP_MAX};
    rtc_stream clean rtsp://127.0.0.1:${CAM_PORT}/cam always;
    rtc_stream lossy rtsp://127.0.0.1:${CAM2_PORT}/cam transport=udp always;
    rtc_stream bad_stap ${quirk.url('bad_stap')} always;`,
            server: `
        location = /rtc/status  { rtc_status; }
        location = /rtc/metrics { rtc_metrics; }`,
        }) });
    });

    after(() => rig.stop());

    test('a clean camera: packets in, nothing lost, refused or dropped',
         async () => {
        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'clean');
            return x && x.frames_in >= 50 ? x : null;
        }, 15000, 'clean: 50 frames');

        console.log('clean', JSON.stringify(s));

        /* video and audio-less: at least a packet a frame */
        assert.ok(s.packets_in >= s.frames_in, JSON.stringify(s));
        assert.equal(s.packets_in_lost, 0);
        assert.equal(s.packets_in_rejected, 0);
        assert.equal(s.frames_in_rejected, 0);
        assert.equal(s.frames_in_dropped, 0);
    });

    test('a camera losing packets: lost, and frames dropped', async () => {
        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'lossy');
            return x && x.packets_in_lost >= 10 && x.frames_in_rejected > 0
                   ? x : null;
        }, 15000, 'lossy: packets lost and frames dropped');

        const dropped = nftDropped();

        console.log('lossy', JSON.stringify(s), `nft dropped ${dropped}`);

        /* the rule drops RTCP too: never more lost than it dropped */
        assert.ok(s.packets_in_lost <= dropped,
                  `${s.packets_in_lost} lost, ${dropped} dropped`);
        assert.ok(s.packets_in > 10 * s.packets_in_lost / 2,
                  JSON.stringify(s));
        assert.equal(s.packets_in_rejected, 0);
        assert.equal(s.frames_in_dropped, 0);
    });

    test('a camera sending malformed STAP-A: refused, dropped', async () => {
        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'bad_stap');
            return x && x.packets_in_rejected >= 2
                   && x.frames_in_rejected >= 2 ? x : null;
        }, 15000, 'bad_stap: packets refused and frames dropped');

        console.log('bad_stap', JSON.stringify(s));

        assert.equal(s.keyframes_in, 0);
        assert.ok(s.packets_in > s.packets_in_rejected);
        assert.equal(s.packets_in_lost, 0);
        assert.equal(quirk.conns.bad_stap, 1, 'one connection');
    });

    test('across a reconnect the counters go on, never down', async () => {
        const before = streamOf(await ngx.status(), 'bad_stap');
        const seen = [before];
        let stop = false;

        /* every 100 ms while the camera goes and comes back */

        const poll = (async () => {
            while (!stop) {
                seen.push(streamOf(await ngx.status(), 'bad_stap'));
                await new Promise((r) => setTimeout(r, 100));
            }
        })();

        try {
            await quirk.stop();
            await waitFor(async () => streamOf(await ngx.status(), 'bad_stap')
                                      .state === 'retrying',
                          5000, 'bad_stap retrying');
            await quirk.start();

            /* the new connection's first refused keyframes are added */

            await waitFor(async () => {
                const x = streamOf(await ngx.status(), 'bad_stap');
                return x.reconnects > before.reconnects
                       && x.packets_in_rejected
                          >= before.packets_in_rejected + 2
                       && x.state === 'playing';
            }, 8000, 'bad_stap: refused packets of the new connection');
        } finally {
            stop = true;
            await poll;
        }

        console.log(`bad_stap: before ${JSON.stringify(before)}`);
        console.log(`bad_stap: ${seen.length} samples, `
                    + JSON.stringify(seen[seen.length - 1]));

        for (let i = 1; i < seen.length; i++) {
            for (const c of COUNTERS) {
                assert.ok(seen[i][c] >= seen[i - 1][c],
                          `${c} went down: ${seen[i - 1][c]} -> ${seen[i][c]}`);
            }
        }

        /* what the new connection counts, not a wrapped difference */
        const last = seen[seen.length - 1];
        assert.ok(last.packets_in < before.packets_in + 1000,
                  JSON.stringify(last));
        assert.ok(last.frames_in_rejected < before.frames_in_rejected + 1000,
                  JSON.stringify(last));
    });

    test('rtc_metrics: the same counters, never behind rtc_status',
         async () => {
        const st = await ngx.status();
        const m = await ngx.metrics();
        const r = await ngx.http('GET', '/rtc/metrics');

        for (const c of COUNTERS) {
            const name = `nginx_rtc_stream_${c}_total`;

            assert.match(r.body, new RegExp(`^# TYPE ${name} counter$`, 'm'));

            for (const name_ of ['clean', 'lossy', 'bad_stap']) {
                const v = m[`${name}{stream="${name_}"}`];
                const s = streamOf(st, name_);

                assert.ok(v !== undefined, `${name} of ${name_}`);
                assert.ok(v >= s[c], `${name} of ${name_}: ${v} < ${s[c]}`);
            }
        }

        assert.ok(m['nginx_rtc_stream_packets_in_total{stream="clean"}'] > 0);

        for (const c of COUNTERS.slice(1)) {
            assert.equal(m[`nginx_rtc_stream_${c}_total{stream="clean"}`], 0,
                         c);
        }
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
