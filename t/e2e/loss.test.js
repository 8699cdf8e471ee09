/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Packet loss: 5% of the media datagrams are dropped while Chromium plays.
 * Chromium NACKs the holes (nackCount > 0), nginx resends the packets
 * from the ring (retransmits in /rtc/status) and the picture goes on
 * (framesDecoded still growing).  The viewer's receiver reports show in
 * /rtc/status (rtt_ms).  A viewer whose network is gone for 10 s (a
 * Wi-Fi gap) keeps its session, and its media comes back.  Then a viewer
 * whose page is gone without a DELETE: its session ends by itself and
 * frees its zone entry.
 *
 * The loss is an nftables rule in the test's network namespace (nft, from
 * Debian's nftables) on the input hook: both ends use 10.99.0.1, so the
 * datagrams go through lo, not v0 (and this kernel has no netem qdisc);
 * a drop on the output hook would fail the sender's sendmsg() (EPERM)
 * instead of losing the datagram on the way.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

const { waitFor, sleep, requireNetns } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { inbound } = require('./lib/rtcstats');

const PORT = 18680;
const CAM_PORT = 19154;

const TABLE = 'rtc_loss';


function nft(script) {
    execFileSync('nft', ['-f', '-'], { input: script,
                                       stdio: ['pipe', 'ignore', 'pipe'] });
}


/*
 * Drop "percent" % of the UDP datagrams longer than "over" bytes (300:
 * media, not STUN or RTCP).
 */

function addLoss(percent, over) {
    const rule = `meta l4proto udp udp length > ${over} `
                 + (percent < 100 ? `numgen random mod 100 < ${percent} `
                                  : '')
                 + 'counter drop';

    nft(`table inet ${TABLE} {
    chain in {
        type filter hook input priority 0; policy accept;
        ${rule}
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


function dropped() {
    const out = execFileSync('nft', ['list', 'table', 'inet', TABLE])
                .toString();
    const m = out.match(/counter packets (\d+)/);
    return m ? Number(m[1]) : 0;
}


describe('5% loss: NACK and retransmission', { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, browser: true,
                          camera: { gop: 250, bitrate: 1500 },
                          nginx: [{ port: PORT, workers: 2 }] });
    let ngx;
    let browser;

    before(async () => {
        requireNetns();

        try {
            execFileSync('nft', ['--version']);
        } catch (err) {
            throw new Error('nft not found: apt-get install nftables');
        }

        ({ ngx, browser } = await rig.start());
    });

    after(async () => {
        removeLoss();
        await rig.stop();
    });

    const player = () => ngx.url('/player/whep-player.html?src=/whep/cam');

    test('plays through loss, NACKed packets are resent', async () => {
        const page = await browser.open(player());
        await browser.waitPlaying(page, 20000);

        addLoss(5, 300);

        let st;

        try {
            st = await waitFor(async () => {
                const s = await inbound(page);
                return s.video && s.video.nackCount > 0 ? s : null;
            }, 20000, 'nackCount > 0 in Chromium');

            assert.ok(dropped() > 0, 'the rule dropped datagrams');

            /* the picture goes on under loss */

            const frames = st.video.framesDecoded;

            await waitFor(async () => {
                const s = await inbound(page);
                return s.video.framesDecoded >= frames + 50;
            }, 15000, '50 more decoded frames under loss');

        } finally {
            removeLoss();
        }

        if (process.env.TEST_VERBOSE) {
            console.log('chromium:', JSON.stringify(await inbound(page)));
        }

        const session = await waitFor(async () => {
            const x = (await ngx.status()).sessions[0];
            return x && x.retransmits > 0 && x.rtt_ms !== null ? x : null;
        }, 10000, 'retransmits and rtt_ms in /rtc/status');

        if (process.env.TEST_VERBOSE) {
            console.log('session:', JSON.stringify(session));
        }

        assert.ok(session.nacks >= session.retransmits);
        assert.ok(session.packets_sent > 0);
        assert.equal(session.video, 'H264');
        assert.equal(typeof session.loss, 'number');
        assert.equal(typeof session.jitter_ms, 'number');

        await page.close({ runBeforeUnload: true });

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      15000, '0 sessions after the page closed');
    });

    test('heavy loss: keyframe requests, then the picture recovers',
         async () => {
        const page = await browser.open(player());
        await browser.waitPlaying(page, 20000);

        /*
         * Every big packet lost, NACKs too: Chromium gives the frames up
         * and asks for a keyframe.  The camera's next one is 10 s away:
         * a picture within 5 s is the ring's keyframe, resent.
         */

        addLoss(100, 300);

        try {
            await waitFor(async () => {
                const s = await inbound(page);
                return s.video.pliCount + s.video.firCount > 0;
            }, 15000, 'a PLI or FIR from Chromium');

        } finally {
            removeLoss();
        }

        const st = await inbound(page);

        await waitFor(async () => {
            const s = await inbound(page);
            return s.video.framesDecoded >= st.video.framesDecoded + 25;
        }, 5000, '25 more decoded frames after the loss');

        /* the zone's numbers are about a second old */

        const session = await waitFor(async () => {
            const x = (await ngx.status()).sessions[0];
            return x && x.keyframe_requests > 0 ? x : null;
        }, 5000, 'keyframe_requests in /rtc/status');

        if (process.env.TEST_VERBOSE) {
            console.log('chromium:', JSON.stringify(await inbound(page)));
            console.log('session:', JSON.stringify(session));
        }

        await page.close({ runBeforeUnload: true });

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      15000, '0 sessions after the page closed');
    });

    test('a 10 s network gap: the session stays, media comes back',
         async () => {
        const v = new Viewer(ngx, '/whep/cam', { name: 'werift' });

        try {
            await v.connectRetry(20000);
            await v.waitPackets(50, 15000);

            const id = (await ngx.status()).sessions[0].id;

            /* the gap itself is the stimulus: every datagram dropped */

            addLoss(100, 0);

            try {
                await sleep(10000);
            } finally {
                removeLoss();
            }

            await v.waitPackets(100, 15000);

            const st = await ngx.status();
            assert.deepEqual(st.sessions.map((x) => x.id), [id]);
            assert.doesNotMatch(ngx.logText(), /consent lost|peer silent/);

        } finally {
            await v.close().catch(() => {});
        }

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      15000, '0 sessions after the DELETE');
    });

    test('a viewer that vanishes without DELETE is freed', async () => {
        const page = await browser.open(player());
        await browser.waitPlaying(page, 20000);

        /* every datagram is dropped: the page goes silent, sends no DELETE */

        addLoss(100, 0);

        try {
            await waitFor(async () => {
                const st = await ngx.status();
                return st.sessions.length === 0
                       && st.streams.find((x) => x.name === 'cam').viewers
                          === 0;
            }, 40000, 'the silent session freed (20 s without RTCP)');

        } finally {
            removeLoss();
        }

        assert.match(ngx.logText(),
                     /rtc session closing: peer silent/);
        await page.close();
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
