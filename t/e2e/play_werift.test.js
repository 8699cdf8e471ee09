/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * werift as a programmatic WHEP client: an H.264-only recvonly offer, the
 * answer, RTP on the track with a keyframe (IDR or SPS) in it, DELETE.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer, h264NalTypes } = require('./lib/werift');

const PORT = 18280;
const CAM_PORT = 18754;


function camStream(st) {
    return st.streams.find((s) => s.name === 'cam');
}


test('NAL type parser (RFC 6184 payloads)', () => {
    /* single NAL: IDR slice, nal_ref_idc 3 */
    assert.deepEqual(h264NalTypes(Buffer.from([0x65, 0x88, 0x84])), [5]);
    /* STAP-A with SPS (3 bytes) and PPS (2 bytes) */
    assert.deepEqual(h264NalTypes(Buffer.from([
        0x18, 0x00, 0x03, 0x67, 0x42, 0xc0, 0x00, 0x02, 0x68, 0xce,
    ])), [7, 8]);
    /* STAP-A whose second size runs past the end: stops */
    assert.deepEqual(h264NalTypes(Buffer.from([
        0x18, 0x00, 0x01, 0x67, 0x00, 0x09, 0x68,
    ])), [7]);
    /* FU-A start (S=1) of an IDR; FU-A middle (S=0) */
    assert.deepEqual(h264NalTypes(Buffer.from([0x7c, 0x85, 0x00])), [5]);
    assert.deepEqual(h264NalTypes(Buffer.from([0x7c, 0x05, 0x00])), []);
    assert.deepEqual(h264NalTypes(Buffer.from([0x7c])), []);
    assert.deepEqual(h264NalTypes(Buffer.alloc(0)), []);
});


describe('werift receives H.264', { timeout: 300000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          nginx: [{ port: PORT, workers: 4 }] });
    const viewers = rig.viewers;
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('offer, answer, H.264 RTP with a keyframe, DELETE', async () => {
        const v = new Viewer(ngx, '/whep/cam', { name: 'werift' });
        viewers.push(v);

        const r = await v.connectRetry(20000);

        assert.equal(r.status, 201);
        assert.match(r.headers['content-type'] || '', /application\/sdp/);
        assert.match(r.headers.location || '', /\/whep\/cam\/[0-9a-f]{32}$/);
        assert.ok(r.headers.etag, 'ETag');

        /* the answer: sendonly H.264 packetization-mode=1, our PT */
        assert.match(v.answer, /^v=0\r\n/);
        assert.match(v.answer, /a=sendonly/);
        assert.match(v.answer, /a=rtpmap:96 H264\/90000/);
        assert.match(v.answer, /a=fmtp:96 [^\r\n]*packetization-mode=1/);
        assert.match(v.answer, /a=setup:passive/);
        assert.match(v.answer, /a=fingerprint:sha-256 /);
        assert.match(v.answer, /a=candidate:/);

        await v.waitKeyframe(20000);
        await v.waitPackets(100, 20000);

        assert.ok(v.payloadTypes.has(96), 'RTP PT 96');
        assert.equal(v.payloadTypes.size, 1, 'only PT 96');
        assert.ok(v.nalTypes.has(5) || v.nalTypes.has(7), 'IDR or SPS');
        assert.ok(v.nalTypes.has(1) || v.nalTypes.has(5), 'slices');

        const st = await ngx.status();
        assert.equal(camStream(st).viewers, 1);
        assert.equal(st.sessions.length, 1);
        /* a prefix of the id only: the full id is what a DELETE needs */
        assert.equal(st.sessions[0].id,
                     v.session.split('/').pop().slice(0, 8));

        /*
         * A host UDP pair: media leaves on its socket, each run of a
         * frame's equal-sized packets in one sendmsg() with UDP GSO
         * (keyframes are several packets: fewer calls than packets)
         */
        let ss;
        await waitFor(async () => {
            ss = (await ngx.status()).sessions[0];
            return ss && ss.packets_sent >= 100;
        }, 5000, '100 packets_sent in /rtc/status');
        assert.equal(ss.send, 'gso', JSON.stringify(ss));
        assert.ok(ss.send_calls > 0 && ss.send_calls < ss.packets_sent,
                  JSON.stringify(ss));

        const session = v.session;
        const del = await v.close();
        assert.equal(del.status, 200);

        const again = await ngx.http('DELETE', session);
        assert.equal(again.status, 404, 'second DELETE');

        await waitFor(async () => {
            const s = await ngx.status();
            return camStream(s).viewers === 0 && s.sessions.length === 0;
        }, 10000, '0 viewers after DELETE');
    });

    test('an offer with audio too: video, the audio inactive', async () => {
        const v = new Viewer(ngx, '/whep/cam', { name: 'av', audio: true });
        viewers.push(v);

        const sdp = await v.offer();
        let audio = 0;

        v.pc.onTrack.subscribe((track) => {
            if (track.kind === 'audio') {
                track.onReceiveRtp.subscribe(() => { audio++; });
            }
        });

        const r = await ngx.http('POST', '/whep/cam', sdp,
                                 { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 201, r.body);

        /*
         * the camera has no audio: the audio m-line stays in the BUNDLE
         * group, inactive, one format of the offer's, no stream in it
         */
        assert.match(r.body, /\r\nm=video 9 /);
        assert.match(r.body, /\r\na=group:BUNDLE 0 1\r\n/);

        const a = r.body.slice(r.body.indexOf('\r\nm=audio'));
        assert.match(a, /^\r\nm=audio 9 UDP\/TLS\/RTP\/SAVPF \d+\r\n/);
        assert.match(a, /\r\na=mid:1\r\na=inactive\r\n/);
        assert.match(a, /\r\na=rtpmap:\d+ /);
        assert.doesNotMatch(a, /a=ssrc:|a=msid:/);

        /* werift takes the answer now, and gets the video */
        v.session = r.headers.location;
        await v.pc.setRemoteDescription({ type: 'answer', sdp: r.body });
        await v.waitKeyframe(20000);
        await v.waitPackets(50, 10000);

        const ss = (await ngx.status()).sessions;
        assert.equal(ss.length, 1);
        assert.equal(ss[0].audio, null);
        assert.equal(audio, 0, 'no audio RTP');

        const del = await v.close();
        assert.equal(del.status, 200);
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });

    test('RTCP sender reports, with frames and without', async () => {
        const v = new Viewer(ngx, '/whep/cam', { name: 'sr' });
        viewers.push(v);

        await v.connectRetry(20000);
        await v.waitKeyframe(20000);

        /*
         * Frames flow: the SRs go with them, about one a second (never
         * one a frame: 25 a second), their packet counts growing
         */
        const n = v.srs.length;
        await waitFor(() => v.srs.length >= n + 4, 10000,
                      'four video SRs while frames flow');

        const srs = v.srs.slice(n);
        for (let i = 1; i < srs.length; i++) {
            assert.ok(srs[i].at - srs[i - 1].at >= 400,
                      `SRs ${srs[i].at - srs[i - 1].at} ms apart`);
            assert.ok(srs[i].packets > srs[i - 1].packets,
                      'the SR counts the packets sent');
        }

        /* no frames (the camera gone): the SRs still come, from a timer */

        await rig.cam.kill();
        const last = v.packets;
        const m = v.srs.length;

        await waitFor(() => v.srs.length >= m + 2, 10000,
                      'two SRs without frames');
        assert.ok(v.packets - last < 100, 'no video meanwhile');
        assert.equal(v.connectionState, 'connected');

        await rig.cam.start();
    });
});
