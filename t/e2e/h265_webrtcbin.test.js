/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * H.265 passthrough (RFC 7798): an H.265 camera played by GStreamer's
 * webrtcbin (t/lib/webrtcbin_client.py), the viewer here that decodes
 * H.265.  It offers H265 and H264: nginx answers H265 and the frames
 * decode; an H264-only offer still gets the clear 406; the sessions are
 * gone from /rtc/status after the client's DELETE.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { webrtcbin } = require('./lib/webrtcbin');

const PORT = 18580;
const CAM_PORT = 19054;


describe('webrtcbin plays H.265', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { codec: 'h265', gop: 25 },
                          nginx: [{ port: PORT, workers: 2 }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('H265 and H264 offered: H265 answered and decoded', async () => {
        const r = await webrtcbin(ngx.url('/whep/cam'),
                                  ['--codecs', 'h265,h264', '--frames', '25',
                                   '--timeout', '30']);

        assert.ok(r.result, `no result from the client: ${r.err}`);
        assert.equal(r.result.status, 201, JSON.stringify(r.result));
        assert.equal(r.result.encoding, 'H265');
        assert.ok(r.result.frames >= 25,
                  `decoded frames: ${JSON.stringify(r.result)}\n${r.err}`);
        assert.match(r.result.caps || '', /^video\/x-raw/);
        assert.match(r.result.caps, /width=\(int\)640/);
        assert.equal(r.code, 0);
    });

    test('the session is in /rtc/status while it plays', async () => {
        const run = webrtcbin(ngx.url('/whep/cam'),
                              ['--codecs', 'h265', '--frames', '100000',
                               '--timeout', '6']);

        const s = await waitFor(async () => {
            const st = await ngx.status();
            const x = st.sessions.find((y) => y.state === 'media'
                                              && y.packets_sent > 0);
            return x || null;
        }, 15000, 'a session with media in /rtc/status');

        assert.equal(s.video, 'H265');
        assert.equal(s.audio, null);
        await run;
    });

    test('sessions are gone after the clients end', async () => {
        await waitFor(async () => {
            const st = await ngx.status();
            return st.sessions.length === 0
                   && st.streams.find((x) => x.name === 'cam').viewers === 0;
        }, 10000, '0 sessions in /rtc/status');
    });

    test('an H264-only offer gets 406', async () => {
        const r = await webrtcbin(ngx.url('/whep/cam'),
                                  ['--codecs', 'h264', '--timeout', '10']);

        assert.ok(r.result, `no result from the client: ${r.err}`);
        assert.equal(r.result.status, 406);
        assert.match(r.result.error, /H265.*H264/);
        assert.equal(r.code, 1);
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
