/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * transport=udp: RTP and RTCP from the camera on a port pair of
 * rtc_rtsp_udp_ports; werift receives the H.264.  A scripted camera
 * (t/lib/hostile_camera.py, mode "udp") shows what the client asks for in
 * SETUP and the RTCP receiver reports it sends.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const {
    RtspCamera, HostileCamera, streamOf, confFor,
} = require('./lib/rtsp');

const PORT = 19382;
const CAM_PORT = 19859;
const HOSTILE_PORT = 19860;
const UDP_MIN = 19900;
const UDP_MAX = 19949;


describe('RTSP over UDP', { timeout: 58000 }, () => {
    const rig = new Rig({ netns: true, camera: false,
                          cameraClass: RtspCamera });
    const viewers = rig.viewers;
    let cam;
    let hostile;
    let ngx;

    before(async () => {
        await rig.start();
        cam = await rig.addCamera({ port: CAM_PORT, gop: 25 });
        hostile = await rig.addCamera({ port: HOSTILE_PORT }, HostileCamera);

        const streams = [
            `    rtc_rtsp_udp_ports ${UDP_MIN}-${UDP_MAX};`,
            `    rtc_stream cam ${cam.url} transport=udp always;`,
            `    rtc_stream rr  ${hostile.url('udp')} transport=udp always;`,
        ].join('\n');

        ngx = await rig.add({ port: PORT, conf: confFor(streams, {
            workers: 4,
        }) });
    });

    after(() => rig.stop());

    test('the camera plays over UDP', async () => {
        await waitFor(async () => {
            const s = streamOf(await ngx.status(), 'cam');
            return s.state === 'playing' && s.keyframes_in > 0;
        }, 20000, 'cam playing with a keyframe');

        assert.match(ngx.logText(),
                     /rtsp:\/\/127\.0\.0\.1:\d+\/cam: playing over UDP/);
    });

    test('werift receives the H.264', async () => {
        const v = new Viewer(ngx, '/whep/cam', { name: 'werift' });
        viewers.push(v);

        await v.connectRetry(20000);
        await v.waitKeyframe(20000);
        await v.waitPackets(100, 20000);

        assert.ok(v.nalTypes.has(5) || v.nalTypes.has(7), 'IDR or SPS');
    });

    test('SETUP asks for an even/odd pair of rtc_rtsp_udp_ports', async () => {
        const e = await waitFor(() => hostile.events.find((x) =>
                                    /^setup /.test(x.text)),
                                10000, 'SETUP of the scripted camera');
        const m = e.text.match(/client_port=(\d+)-(\d+)/);
        const rtp = Number(m[1]);

        assert.equal(rtp % 2, 0, 'RTP port even');
        assert.equal(Number(m[2]), rtp + 1, 'RTCP port next');
        assert.ok(rtp >= UDP_MIN && rtp + 1 <= UDP_MAX, `${rtp} in range`);
    });

    test('receiver reports reach the camera', async () => {
        const e = await waitFor(() => hostile.events.find((x) =>
                                    /^rr ssrc=/.test(x.text)),
                                15000, 'an RTCP RR with a report block '
                                       + `(${JSON.stringify(hostile.events)})`);

        /* RFC 3550 6.4.1: about the camera's SSRC, its extended sequence */
        assert.match(e.text, /ssrc=1A2B3C4D /);
        assert.ok(Number(e.text.match(/highest=(\d+)/)[1]) > 1000, e.text);
        assert.equal(Number(e.text.match(/lost=(\d+)/)[1]), 0, e.text);

        const s = streamOf(await ngx.status(), 'rr');
        assert.equal(s.state, 'playing');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
