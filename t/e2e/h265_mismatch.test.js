/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The go2rtc failure's trigger: an H.265 camera and viewers that offer
 * H.264 only (Chromium here decodes no H.265).  Each must get a 4xx whose
 * plain-text reason names both codecs, and nginx must keep serving: more
 * such requests, at once, and the status page.  No offer carries a
 * candidate; runs inside or outside the namespace.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');

const PORT = 18380;
const CAM_PORT = 18854;

const OFFER = withoutCandidates(CHROMIUM_OFFER);
const SDP = { 'Content-Type': 'application/sdp' };


function assertMismatch(r) {
    assert.ok(r.status === 406 || r.status === 422,
              `status ${r.status} (want 406 or 422): ${r.body}`);
    assert.match(r.body, /H\.?265|HEVC/i, 'reason names H.265');
    assert.match(r.body, /H\.?264/i, 'reason names H.264');
}


describe('H.265 camera, H.264-only viewer', { timeout: 300000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, camera: { codec: 'h265' },
                          nginx: [{ port: PORT, workers: 4 }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('4xx naming both codecs (503 while the camera starts)',
         async () => {
        const r = await waitFor(async () => {
            const x = await ngx.http('POST', '/whep/cam', OFFER, SDP);
            return x.status === 503 ? null : x;
        }, 20000, 'an answer other than 503');

        assertMismatch(r);
        assert.match(r.headers['content-type'] || '', /^text\/plain/);
    });

    test('the stream reports H.265', async () => {
        await waitFor(async () => {
            const s = (await ngx.status()).streams
                      .find((x) => x.name === 'cam');
            return /265|hevc/i.test(s.codec || '');
        }, 20000, 'codec H265 in /rtc/status');
    });

    test('nginx keeps serving: again, and ten at once', async () => {
        assertMismatch(await ngx.http('POST', '/whep/cam', OFFER, SDP));

        const all = await Promise.all(Array.from({ length: 10 }, () =>
            ngx.http('POST', '/whep/cam', OFFER, SDP)));

        for (const r of all) {
            assertMismatch(r);
        }

        const st = await ngx.status();
        assert.equal(st.sessions.length, 0);
        assert.equal(st.streams.find((x) => x.name === 'cam').viewers, 0);

        const opt = await ngx.http('OPTIONS', '/whep/cam');
        assert.equal(opt.status, 204);
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
