/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * GStreamer webrtcbin (t/lib/webrtcbin_client.py, libnice ICE) plays H.264
 * through nginx (4 workers): decoded frames, a trickle PATCH on its session
 * (204), the server's side of an ICE restart on it (200, new credentials
 * and ETag), and the client's DELETE (200) at the end.  webrtcbin 1.22
 * (Debian 12) has no ICE restart of its own (no "ice-restart" offer
 * option): it goes on with the pair it has, which nginx keeps using until
 * the new checks succeed, so its frames keep coming.  With an audio
 * transceiver first, as GStreamer's WHEP players add it, its video
 * section is bundle-only.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');

const { waitFor, live } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const whep = require('./lib/whep');
const { webrtcbin, PYTHON, CLIENT } = require('./lib/webrtcbin');

const PORT = 20080;
const CAM_PORT = 20054;


describe('webrtcbin plays H.264: trickle, restart PATCH, DELETE',
         { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true,
                          nginx: [{ port: PORT, workers: 4 }] });
    let ngx;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;
    });

    after(() => rig.stop());

    test('plays; PATCH 204 and 200 on its session; DELETE 200',
         async () => {
        const proc = spawn(PYTHON, [CLIENT, '--url', ngx.url('/whep/cam'),
                                    '--codecs', 'h264', '--frames', '200',
                                    '--timeout', '40'],
                           { stdio: ['ignore', 'pipe', 'pipe'] });
        live.add(proc);

        let out = '';
        let err = '';
        proc.stdout.on('data', (c) => { out += c; });
        proc.stderr.on('data', (c) => { err += c; });

        const exited = new Promise((resolve) => proc.once('exit', (code) => {
            live.delete(proc);
            resolve(code);
        }));

        await waitFor(async () => {
            const st = await ngx.status();
            return st.sessions.find((x) => x.state === 'media');
        }, 30000, 'the webrtcbin session in state media');

        /* its URL from the client: the status page shows a prefix only */
        const session = (/^session (\S+)$/m.exec(out) || [])[1];
        assert.ok(session, `the client's session URL: ${out}`);

        /* a trickled candidate (in the test namespace, nothing there) */
        const t = await whep.patch(ngx, session, whep.fragment({
            ufrag: null, mline: null, mid: '0',
            candidates: ['candidate:9 1 udp 2122260223 10.99.0.1 40999 '
                         + 'typ host'],
        }), undefined);

        assert.equal(t.status, 204, t.body);
        const etag = t.headers.etag;
        assert.match(etag, /-0"$/);

        const r = await whep.patch(ngx, session, whep.fragment({
            ufrag: 'gstR', pwd: 'abcdefghijklmnopqrstuvwx', mline: null,
            mid: '0', candidates: [],
        }), '*');

        assert.equal(r.status, 200, r.body);
        assert.match(r.headers.etag, /-1"$/);
        assert.ok(whep.parseFragment(r.body).ufrag);

        const code = await exited;
        const result = JSON.parse(out.trim().split('\n').pop() || '{}');

        assert.equal(code, 0, `client: ${out} ${err}`);
        assert.equal(result.status, 201);
        assert.equal(result.encoding, 'H264');
        assert.ok(result.frames >= 200);

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no session after the DELETE');

        const del = ngx.accessLog().filter((l) => /^DELETE /.test(l.request));
        assert.deepEqual(del.map((l) => l.status), [200]);
    });

    /*
     * simple-whep-client and gst-plugins-rs's whepsrc: max-bundle, audio
     * first; webrtcbin offers the video port 0 with a=bundle-only and no
     * candidates (a 406 "no m=video" when port 0 read as disabled)
     */
    test('audio first: the bundle-only video section plays', async () => {
        const { code, result, out, err } = await webrtcbin(
            ngx.url('/whep/cam'), ['--codecs', 'h264', '--audio-first',
                                   '--frames', '50', '--timeout', '30']);

        assert.equal(result.bundle_only, true, 'the offer has bundle-only');
        assert.equal(code, 0, `client: ${out} ${err}`);
        assert.equal(result.status, 201);
        assert.equal(result.encoding, 'H264');
        assert.ok(result.frames >= 50);

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no session after the DELETE');
    });

    /*
     * gst-plugins-rs's whepsrc with its default video-caps (or caps
     * written "encoding-name=H264,clock-rate=90000"): H264 with no
     * a=fmtp, so packetization-mode 0.  nginx takes it after every mode 1
     * format (there is none here) and sends FU-A, which rtph264depay
     * takes in any mode; one info line says so.
     */
    test('H.264 offered without packetization-mode plays', async () => {
        const { code, result, out, err } = await webrtcbin(
            ngx.url('/whep/cam'), ['--codecs', 'vp8,h264-mode0',
                                   '--frames', '50', '--timeout', '30']);

        assert.deepEqual(result.offer_fmtp, [], 'the offer has no a=fmtp');
        assert.equal(result.status, 201, `client: ${out} ${err}`);
        assert.deepEqual(result.answer_fmtp, [], 'nor the answer');
        assert.equal(code, 0, `client: ${out} ${err}`);
        assert.equal(result.encoding, 'H264');
        assert.ok(result.frames >= 50);

        const MODE0 = new RegExp('the viewer offered H\\.264 in '
                                 + 'packetization-mode 0 only: it gets FU-A');
        const lines = ngx.logText().split('\n').filter((l) => MODE0.test(l));
        assert.equal(lines.length, 1, 'one info line');
        assert.match(lines[0], /\[info\]/);

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no session after the DELETE');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
