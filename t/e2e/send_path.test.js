/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The media send path with rtc_udp_gso off: a frame's packets leave on
 * the ICE pair's socket one a message ("send":"sendmmsg" in /rtc/status,
 * fewer calls than packets: a fan-out's messages leave in one io_uring
 * submission, the catch-up's in one sendmmsg()), and the FU-A fragments
 * of each NAL unit arrive equal-sized but the last, shorter (what GSO
 * needs).  Then with rtc_io_uring off: the worker sets up no ring, and
 * each viewer's frame is a system call of its own, with GSO.
 * The GSO path is play_werift.test.js's, the libnice one turn.test.js's.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, DEFAULT_CONF } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 18290;
const CAM_PORT = 18764;
const PORT_NO_URING = 18291;
const CAM_PORT_NO_URING = 18765;

function withDirective(line) {
    return DEFAULT_CONF.replace(/(\n\s*rtc_zone [^\n]*\n)/,
                                `$1    ${line}\n`);
}

const CONF = withDirective('rtc_udp_gso off;');
const CONF_NO_URING = withDirective('rtc_io_uring off;');

/* the first session of /rtc/status, once it has sent 150 packets */
async function sentStatus(ngx) {
    let ss;

    await waitFor(async () => {
        ss = (await ngx.status()).sessions[0];
        return ss && ss.packets_sent >= 150;
    }, 5000, '150 packets_sent in /rtc/status');

    return ss;
}

/* what a worker logs (info) when it sets up its ring */
const URING_LINE = /rtc send: io_uring of \d+ entries/;


describe('send path without GSO', { timeout: 120000 }, () => {
    /* x264 at 800 kbit/s: keyframes of several packets */
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { pattern: 'smpte', bitrate: 800 },
                          nginx: [{ port: PORT, workers: 1, conf: CONF }] });
    let ngx;
    let v;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('sendmmsg, equal fragments', async () => {
        assert.match(CONF, /rtc_udp_gso off;/);

        v = rig.track(new Viewer(ngx, '/whep/cam', { name: 'mmsg' }));

        /* FU-A payload sizes of each NAL unit, S to E */
        const nals = [];
        let cur = null;
        const onRtp = v.onRtp.bind(v);

        v.onRtp = (rtp) => {
            const p = rtp.payload;

            if (p.length >= 2 && (p[0] & 0x1f) === 28) {
                if (p[1] & 0x80) {
                    cur = [];
                }
                if (cur) {
                    cur.push(p.length);
                }
                if ((p[1] & 0x40) && cur) {
                    nals.push(cur);
                    cur = null;
                }
            }

            onRtp(rtp);
        };

        const r = await v.connectRetry(20000);
        assert.equal(r.status, 201);

        await v.waitKeyframe(20000);
        await v.waitPackets(150, 20000);
        await waitFor(() => nals.some((n) => n.length >= 3), 20000,
                      'a NAL unit in 3 FU-A fragments or more');

        for (const n of nals) {
            const first = n[0];
            const last = n[n.length - 1];

            assert.ok(n.slice(0, -1).every((len) => len === first)
                      && last <= first,
                      `FU-A sizes of a NAL unit: ${n.join(' ')}`);
        }

        const ss = await sentStatus(ngx);

        assert.equal(ss.send, 'sendmmsg', JSON.stringify(ss));
        assert.ok(ss.send_calls > 0 && ss.send_calls < ss.packets_sent,
                  JSON.stringify(ss));
        assert.equal(ss.drops, 0, JSON.stringify(ss));

        /* the fan-out's sends went through the worker's ring */
        assert.match(ngx.logText(), URING_LINE);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});


describe('send path without io_uring', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT_NO_URING,
                          camera: { pattern: 'smpte', bitrate: 800 },
                          nginx: [{ port: PORT_NO_URING, workers: 1,
                                    conf: CONF_NO_URING }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('rtc_io_uring off: GSO, a call a frame, no ring', async () => {
        const v = rig.track(new Viewer(ngx, '/whep/cam', { name: 'plain' }));

        const r = await v.connectRetry(20000);
        assert.equal(r.status, 201);

        await v.waitKeyframe(20000);
        await v.waitPackets(150, 20000);

        const ss = await sentStatus(ngx);

        assert.equal(ss.send, 'gso', JSON.stringify(ss));
        assert.ok(ss.send_calls > 0 && ss.send_calls < ss.packets_sent,
                  JSON.stringify(ss));
        assert.equal(ss.drops, 0, JSON.stringify(ss));
        assert.doesNotMatch(ngx.logText(), /io_uring/);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
