/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * @roamhq/wrtc (libwebrtc for Node; its binary comes in the
 * @roamhq/wrtc-linux-x64 package of the npm registry) loads on this Node
 * and offers VP8, VP9 and AV1 but no H.264 (its libwebrtc is built
 * without an H.264 codec): nginx answers 406 naming the stream's codec
 * and the offer's, and keeps no session.  It cannot play an H.264 camera,
 * so it does not get to PATCH or DELETE.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Rig } = require('./lib/rig');
const whep = require('./lib/whep');

const wrtc = require('@roamhq/wrtc');

const PORT = 19880;
const CAM_PORT = 19854;


describe('@roamhq/wrtc: no H.264, a clear 406', { timeout: 60000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true,
                          nginx: [{ port: PORT, workers: 2 }] });
    let ngx;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;
    });

    after(() => rig.stop());

    test('the offer, the 406', async () => {
        const pc = new wrtc.RTCPeerConnection({ iceServers: [] });

        try {
            pc.addTransceiver('video', { direction: 'recvonly' });
            await pc.setLocalDescription(await pc.createOffer());

            const offer = pc.localDescription.sdp;
            assert.ok(!/^a=rtpmap:\d+ H264\//m.test(offer),
                      'wrtc offers no H.264 here');
            assert.match(offer, /^a=rtpmap:\d+ VP8\//m);

            const r = await whep.post(ngx, '/whep/cam', offer);
            assert.equal(r.status, 406, r.body);
            assert.match(r.headers['content-type'], /^text\/plain/);
            assert.match(r.body, /stream "cam" is H264/);
            assert.match(r.body, /VP8/);
            assert.match(r.body, /VP9/);

        } finally {
            pc.close();
        }

        const st = await ngx.status();
        assert.equal(st.sessions.length, 0);
        assert.equal(st.streams.find((s) => s.name === 'cam').viewers, 0);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
