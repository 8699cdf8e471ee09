/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A viewer that joins in the middle of a long GOP gets the frames since
 * the last keyframe paced, not at once: a camera of 1 Mbit/s (noise, so
 * that it really is 1 Mbit/s) with a 4 s GOP, a second viewer (werift)
 * joining ~2.5 s after a keyframe with a 192 KB receive buffer loses no
 * datagram at its socket during the catch-up (the namespace's UDP
 * RcvbufErrors; sent at once, ~300 are lost); the catch-up frames'
 * timestamps are compressed to the time they took to send (not the
 * camera's 40 ms a frame) and only grow; a viewer's PLI right after the
 * join's catch-up, or during a long one, gets the ring's keyframe again
 * at once, and a FIR repeated with the same sequence number is not a
 * new request; a Chromium viewer joining mid-GOP decodes its first frame.
 * Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const dgram = require('node:dgram');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Rig } = require('./lib/rig');
const { waitFor, sleep } = require('./lib/nginx');
const { Viewer } = require('./lib/werift');
const { RtcpPayloadSpecificFeedback } = require('werift');
const { Browser } = require('./lib/browser');
const { join, leave } = require('./lib/join');

const FPS = 25;
const GOP = 4 * FPS;
const SMALL_RCVBUF = 196608;
const BITRATE = 1000;      /* kbit/s: what werift reads without loss */


/*
 * werift's sockets, made while "small" is set, get a small receive buffer
 * (the kernel doubles it: ~165 datagrams of 1.2 KB)
 */

let small = false;
const createSocket = dgram.createSocket;

dgram.createSocket = function (...args) {
    const sock = createSocket.apply(this, args);

    if (small) {
        sock.once('listening', () => {
            sock.setRecvBufferSize(SMALL_RCVBUF);
        });
    }

    return sock;
};


/* the namespace's UDP counters (RFC 4113 udpInErrors and friends) */

function udp() {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n')
                    .filter((l) => l.startsWith('Udp:'));
    const keys = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/).map(Number);
    return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}


/* the catch-up line of a session: frames and ms */

const CAUGHT_UP = /at the live edge: (\d+) frames caught up in (\d+) ms/;

/* error.log's lines of a session */

function sessionLines(ngx, session) {
    const id = session.split('/').pop();
    return ngx.logText().split('\n')
              .filter((l) => l.includes(`session: ${id}`));
}


function catchUps(ngx, session) {
    return sessionLines(ngx, session)
              .map((l) => l.match(CAUGHT_UP))
              .filter((m) => m)
              .map((m) => ({ frames: Number(m[1]), ms: Number(m[2]) }));
}


function caughtUp(ngx, session) {
    return catchUps(ngx, session)[0] || null;
}


/* resolves ~ms after the camera's next keyframe reached nginx */

async function afterKeyframe(ngx, ms) {
    const cam = async () => (await ngx.status()).streams
                                .find((s) => s.name === 'cam');
    const k0 = (await cam()).keyframes_in;
    let st;

    for (const end = Date.now() + 15000; Date.now() < end; ) {
        st = await cam();
        if (st.keyframes_in > k0) {
            break;
        }
        await sleep(20);
    }

    assert.ok(st.keyframes_in > k0, 'a keyframe from the camera');

    const frames = st.frames_in + Math.round(ms * FPS / 1000);

    await waitFor(async () => (await cam()).frames_in >= frames, 10000,
                  `${ms} ms of frames after the keyframe`);
}


describe('paced catch-up of a mid-GOP join', { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: 19754, netns: true,
                          camera: { gop: GOP, fps: FPS, bitrate: BITRATE,
                                    pattern: 'snow' },
                          nginx: [{ port: 19780, workers: 1 }] });
    let first;

    before(async () => {
        await rig.start();

        /* the stream's first viewer: the camera runs, the ring fills */
        first = new Viewer(rig.ngx, '/whep/cam', { name: 'first' });
        await first.connectRetry(20000);
        await first.waitKeyframe(20000);
    });

    after(async () => {
        try {
            if (first) {
                await first.close();
            }
        } finally {
            await rig.stop();
        }
    });

    test('werift, small receive buffer: no loss, compressed timestamps',
         async () => {
        const frames = [];
        const v = new Viewer(rig.ngx, '/whep/cam', {
            name: 'second',
            onRtp: (rtp) => {
                const ts = rtp.header.timestamp;
                if (!frames.length || frames[frames.length - 1].ts !== ts) {
                    frames.push({ ts, at: Date.now() });
                }
            },
        });

        async function check() {
            const cu = await waitFor(() => caughtUp(rig.ngx, v.session), 15000,
                                     'the catch-up done');
            const after = udp();

            /* a real backlog: ~2.5 s of frames */
            assert.ok(cu.frames >= 40, `caught up ${cu.frames} frames`);

            assert.equal(after.RcvbufErrors - before.RcvbufErrors, 0,
                         'datagrams dropped at a full receive buffer '
                         + `during the catch-up of ${cu.frames} frames in `
                         + `${cu.ms} ms`);

            /* the catch-up frames: timestamps grow, compressed */
            await waitFor(() => frames.length >= cu.frames, 10000,
                          `${cu.frames} frames at the viewer`);

            const c = frames.slice(0, cu.frames);

            for (let i = 1; i < c.length; i++) {
                assert.ok(((c[i].ts - c[i - 1].ts) >>> 0) < 0x80000000,
                          `timestamps grow: ${c[i - 1].ts} then ${c[i].ts}`);
            }

            const span = ((c[c.length - 1].ts - c[0].ts) >>> 0) / 90;
            const media = (c.length - 1) * 1000 / FPS;

            assert.ok(span < media / 2,
                      `${c.length} frames of ${media} ms stamped over `
                      + `${span} ms`);

            process.stderr.write(`# caught up ${cu.frames} frames `
                                 + `(${media} ms) in ${cu.ms} ms, stamped `
                                 + `over ${Math.round(span)} ms; `
                                 + `RcvbufErrors +0\n`);
        }

        small = true;
        let offer;
        try {
            offer = await v.offer();
        } finally {
            small = false;
        }

        await afterKeyframe(rig.ngx, 2500);

        const before = udp();
        const r = await rig.ngx.http('POST', '/whep/cam', offer,
                                     { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 201, r.body);

        v.session = new URL(r.headers.location,
                            rig.ngx.url('/whep/cam')).pathname;
        await v.pc.setRemoteDescription({ type: 'answer', sdp: r.body });

        try {
            await check();
        } finally {
            await v.close();
        }
    });


    /*
     * A viewer that lost the join's keyframe (its first packets: it
     * cannot NACK what it has not seen) asks for one as soon as it sees
     * frames it cannot decode.  The join's catch-up does not count
     * against the 500 ms between keyframe resends, and a request that
     * comes once the catch-up's keyframe has had time to arrive starts
     * it again: the ring's keyframe comes at once, not at the end of a
     * long catch-up or with the camera's next keyframe seconds later.
     */

    const AGAIN = /keyframe request: again from the newest keyframe/;

    function pliViewer() {
        const v = new Viewer(rig.ngx, '/whep/cam', {
            name: 'pli',
            onRtp: (rtp) => {
                v.ssrc = rtp.header.ssrc;
                v.firstAt = v.firstAt || Date.now();
            },
        });

        v.pli = () => v.pc.getTransceivers()[0].receiver
                        .sendRtcpPLI(v.ssrc);

        /* FIR, RFC 5104 4.3.1: FMT 4, media source 0, one FCI entry */
        v.fir = (seq) => {
            const receiver = v.pc.getTransceivers()[0].receiver;
            const body = Buffer.alloc(16);

            body.writeUInt32BE(receiver.rtcpSsrc >>> 0, 0);
            body.writeUInt32BE(v.ssrc >>> 0, 8);
            body[12] = seq;

            /* the header's length: 32-bit words less one */
            const feedback = { count: 4, length: 4, serialize: () => body };

            return receiver.dtlsTransport.sendRtcp(
                [new RtcpPayloadSpecificFeedback({ feedback })]);
        };
        v.lines = (re) => sessionLines(rig.ngx, v.session)
                              .filter((l) => re.test(l)).length;

        return v;
    }

    async function keyframeRequests(v, n) {
        const x = await waitFor(async () => {
            const y = (await rig.ngx.status()).sessions
                          .find((z) => v.session.split('/').pop()
                                      .startsWith(z.id));
            return y && y.keyframe_requests >= (n || 1) ? y : null;
        }, 5000, `keyframe_requests >= ${n || 1} in /rtc/status`);

        return x.keyframe_requests;
    }

    /* v joins 500 ms after a keyframe (the next is ~3.5 s away) */

    async function joinCaughtUp(v) {
        await afterKeyframe(rig.ngx, 500);
        await v.connect();
        await waitFor(() => catchUps(rig.ngx, v.session).length === 1,
                      10000, 'the join\'s catch-up done');
    }

    test('a PLI right after the join\'s catch-up gets the keyframe again',
         async () => {
        const v = pliViewer();

        try {
            await joinCaughtUp(v);

            const keyframes = v.keyframes;

            await v.pli();

            await waitFor(() => catchUps(rig.ngx, v.session).length === 2,
                          2500, 'a second catch-up, for the PLI');
            await waitFor(() => v.keyframes > keyframes, 2500,
                          'the keyframe again at the viewer');

            assert.equal(v.lines(AGAIN), 1);
            assert.equal(await keyframeRequests(v), 1);
        } finally {
            await v.close();
        }
    });

    test('a PLI during a long catch-up starts it again', async () => {
        const v = pliViewer();

        /* ~3 s of frames behind the live edge: a catch-up of ~0.5 s */
        await afterKeyframe(rig.ngx, 3000);

        try {
            await v.connect();

            /* the catch-up's keyframe has had 100 ms to arrive */
            await waitFor(() => v.firstAt && Date.now() >= v.firstAt + 100,
                          10000, 'the first packets and 100 ms');

            assert.equal(catchUps(rig.ngx, v.session).length, 0,
                         'the join\'s catch-up still going');

            const keyframes = v.keyframes;

            await v.pli();

            await waitFor(() => v.lines(AGAIN) === 1, 2500,
                          'the catch-up started again, for the PLI');
            await waitFor(() => v.keyframes > keyframes, 2500,
                          'the keyframe again at the viewer');

            /* one catch-up ends: the one the PLI started */
            const cu = await waitFor(() => caughtUp(rig.ngx, v.session),
                                     10000, 'the catch-up done');
            assert.ok(cu.frames >= 40, `caught up ${cu.frames} frames`);
            assert.equal(catchUps(rig.ngx, v.session).length, 1);
            assert.equal(await keyframeRequests(v), 1);
        } finally {
            await v.close();
        }
    });

    /*
     * RFC 5104 4.3.1.2: a FIR whose sequence number is that of the last
     * one is the same request again (its sender resends it until it sees
     * a keyframe), not a new one; a new number is.
     */

    test('a FIR again with the same sequence number is not a new request',
         async () => {
        const v = pliViewer();

        try {
            await joinCaughtUp(v);

            await v.fir(1);
            await waitFor(() => v.lines(AGAIN) === 1, 2500,
                          'a catch-up for FIR 1');

            /* past the 500 ms between two resends: the stimulus is time */
            await sleep(600);

            await v.fir(1);
            assert.equal(await keyframeRequests(v, 2), 2);
            assert.equal(v.lines(AGAIN), 1, 'FIR 1 again: no resend');

            await v.fir(2);
            await waitFor(() => v.lines(AGAIN) === 2, 2500,
                          'a catch-up for FIR 2');
            assert.equal(await keyframeRequests(v, 3), 3);
        } finally {
            await v.close();
        }
    });

    test('Chromium joins mid-GOP and decodes', async () => {
        const browser = await Browser.launch();

        try {
            const page = await browser.open(
                rig.ngx.url('/player/whep-player.html?src=none'));

            await afterKeyframe(rig.ngx, 2000);

            const j = await join(page, '/whep/cam', 1000);

            assert.ok(j.first !== null, 'a decoded frame');
            assert.ok(j.framesDecoded > 0);

            const cu = await waitFor(() => caughtUp(rig.ngx, j.session),
                                     10000, 'the catch-up done');
            assert.ok(cu.frames >= 30, `caught up ${cu.frames} frames`);

            await leave(page, j);
        } finally {
            await browser.close();
        }
    });

    test('error.log is clean', () => {
        rig.checkLogs();
    });
});
