/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A viewer that has its SRTP keys (every viewer does) and abuses its
 * RTCP.  A new sender SSRC in every SRTCP packet: libsrtp keeps a stream
 * for each SSRC whose packet authenticates, for the session's life, and
 * walks them all for every packet; 72,000 of them grew a worker by 21 MB
 * and left the other viewers of that worker without video for seconds.
 * The session takes the first few SSRCs only now, and drops the rest
 * unread: 200,000 such packets here grew the worker by ~9.5 MB before,
 * under 0.5 MB now.
 *
 * A keyframe request (PLI) every 500 ms: each started the catch-up from
 * the ring's newest keyframe again, at up to 4 times the live rate, so
 * that a viewer could have ~5 times the stream sent to it for 12 bytes
 * a request.  Two catch-ups in 10 s now; beyond, the camera's next
 * keyframe answers.  One worker, so that the viewers share it.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const raw = require('./lib/raw');

const PORT = 22180;
const CAM_PORT = 22154;

const CONF = nginxConf({
    workers: 1,
    http: `
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


function rssKb(pid) {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`,
                                                    'utf8'));
    return Number(m[1]);
}


/* RTCP protected with v's keys, on its pair */

function sendRtcp(v, b) {
    const dtls = v.pc.getTransceivers()[0].receiver.dtlsTransport;

    return dtls.iceTransport.connection.send(dtls.srtcp.encrypt(b))
           .catch(() => {});
}


/* a receiver report from sender ssrc */

function sendRr(v, ssrc, media) {
    const b = Buffer.alloc(32);

    b[0] = 0x81;
    b[1] = 201;
    b.writeUInt16BE(7, 2);
    b.writeUInt32BE(ssrc >>> 0, 4);
    b.writeUInt32BE(media >>> 0, 8);

    return sendRtcp(v, b);
}


/* a PLI (RFC 4585 6.3.1) for the media SSRC */

function sendPli(v, media) {
    const b = Buffer.alloc(12);

    b[0] = 0x81;
    b[1] = 206;
    b.writeUInt16BE(2, 2);
    b.writeUInt32BE(0x5eed, 4);
    b.writeUInt32BE(media >>> 0, 8);

    return sendRtcp(v, b);
}


describe('hostile RTCP from a viewer', { timeout: 90000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { size: '320x180', gop: 100 },
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('a new SSRC in every SRTCP packet', async () => {
        const victim = rig.track(new Viewer(ngx, '/whep/cam',
                                            { name: 'victim' }));
        const hostile = rig.track(new Viewer(ngx, '/whep/cam',
                                             { name: 'hostile' }));

        await victim.connectRetry(20000);
        await hostile.connectRetry(20000);
        await victim.waitPackets(50, 20000);
        await hostile.waitPackets(50, 20000);

        const [pid] = raw.workerPids(ngx.pid());
        const st = await ngx.status();
        const media = st.sessions[0].video_ssrc || 0;

        /* warm: the worker's heap after its sessions started */

        for (let i = 0; i < 2000; i += 100) {
            const batch = [];

            for (let k = 0; k < 100; k++) {
                batch.push(sendRr(hostile, 0x1000 + (k % 2), media));
            }

            await Promise.all(batch);
        }

        const rss0 = rssKb(pid);

        for (let i = 0; i < 200000; i += 100) {
            const batch = [];

            for (let k = 0; k < 100; k++) {
                batch.push(sendRr(hostile,
                                  crypto.randomBytes(4).readUInt32BE(0),
                                  media));
            }

            await Promise.all(batch);
        }

        /* the last of them processed: the victim's video still flows */

        await victim.waitPackets(100, 10000);

        const grown = rssKb(pid) - rss0;
        assert.ok(grown < 3072, `the worker grew by ${grown} KB`);

        /* both sessions alive, the worker the same */

        await waitFor(async () => (await ngx.status()).sessions.length === 2,
                      5000, 'both sessions');
        assert.deepEqual(raw.workerPids(ngx.pid()), [pid]);
        await hostile.waitPackets(20, 10000);
        ngx.checkLog();
    });

    test('a keyframe request every 500 ms', async () => {
        let media = 0;
        const victim = rig.track(new Viewer(ngx, '/whep/cam',
                                            { name: 'plain' }));
        const hostile = rig.track(new Viewer(ngx, '/whep/cam', {
            name: 'pli', onRtp: (rtp) => {
                if (rtp.header.payloadType !== 0) {
                    media = rtp.header.ssrc;
                }
            },
        }));

        await victim.connectRetry(20000);
        await hostile.connectRetry(20000);
        await victim.waitKeyframe(20000);
        await hostile.waitKeyframe(20000);

        /* 10 s of PLIs, against a 4 s GOP: what each viewer gets */

        const v0 = victim.bytes;
        const h0 = hostile.bytes;

        for (let i = 0; i < 20; i++) {
            await sendPli(hostile, media);
            await new Promise((resolve) => setTimeout(resolve, 500));
        }

        const plain = victim.bytes - v0;
        const got = hostile.bytes - h0;

        assert.ok(plain > 0, 'the plain viewer got media');
        assert.ok(got < 2.5 * plain,
                  `the PLI viewer got ${got} bytes, the other ${plain}`);
        await victim.waitPackets(20, 10000);
    });
});
