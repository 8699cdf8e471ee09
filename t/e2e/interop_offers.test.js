/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Offers of the three browser engines parse and get a 201 with an answer
 * their engine takes: one H.264 format of the offer's with
 * packetization-mode=1 (and its RTX format), the offer's mids in one
 * BUNDLE group, the audio section inactive in it (the camera has none),
 * our candidates and fingerprint.
 *
 * t/unit/fixtures/chromium-offer.sdp was captured from Debian's Chromium
 * (see the fixtures' README).  firefox-offer.sdp and safari-offer.sdp were
 * written by hand in the shape of those browsers' recvonly offers for
 * video + audio, as the specifications (RFC 8829, JSEP) and public WHEP
 * servers' test fixtures show them; no Firefox or Safari runs here:
 *
 *   Firefox (Gecko, "SDPARTA"): fingerprint, BUNDLE group and ice-options
 *   at session level, a=fmtp before a=rtpmap, H.264 126 (mode 1) and 97
 *   (mode 0) at 42e01f plus 105/106 at 42001f, VP8/VP9 with max-fs, ssrc
 *   with a {uuid} cname in recvonly sections, mDNS host candidates (UDP and
 *   TCP active) then a=end-of-candidates.
 *
 *   Safari (WebKit, libwebrtc): Chromium's layout with H.264 first, High
 *   profile 640c1f before 42e01f, H.265 (profile-id=1, tx-mode=SRST), VP8,
 *   VP9, AV1, every payload type distinct across the bundle.
 *
 * No offer carries a usable candidate (mDNS names only): this file runs
 * inside or outside the namespace.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig } = require('./lib/rig');

const PORT = 19580;
const CAM_PORT = 19554;

const SDP = { 'Content-Type': 'application/sdp' };
const FIXTURES = path.join(REPO, 't', 'unit', 'fixtures');


function fixture(name) {
    return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}


/* { mids, video: { port, pts }, fmtp: {pt: text}, rtpmap: {pt: name} } */

function sections(sdp) {
    const out = [];
    let cur = null;

    for (const l of sdp.split(/\r?\n/)) {
        let m;
        if ((m = l.match(/^m=(\S+) (\d+) (\S+) (.*)$/))) {
            cur = { type: m[1], port: Number(m[2]), proto: m[3],
                    pts: m[4].split(' '), mid: null, rtpmap: {}, fmtp: {},
                    lines: [] };
            out.push(cur);
        } else if (cur) {
            cur.lines.push(l);
            if ((m = l.match(/^a=mid:(\S+)/))) {
                cur.mid = m[1];
            } else if ((m = l.match(/^a=rtpmap:(\d+) ([^/]+)/))) {
                cur.rtpmap[m[1]] = m[2];
            } else if ((m = l.match(/^a=fmtp:(\d+) (.*)$/))) {
                cur.fmtp[m[1]] = m[2];
            }
        }
    }

    return out;
}


const OFFERS = [
    ['Chromium 156', 'chromium-offer.sdp'],
    ['Firefox (by hand)', 'firefox-offer.sdp'],
    ['Safari (by hand)', 'safari-offer.sdp'],
];


describe('browser offers get a 201', { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT,
                          nginx: [{ port: PORT, workers: 2 }] });
    let ngx;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;

        /* the camera is connected and has a keyframe */
        await waitFor(async () => {
            const r = await ngx.http('POST', '/whep/cam',
                                     fixture('chromium-offer.sdp'), SDP);
            if (r.status === 201) {
                await ngx.http('DELETE', r.headers.location);
            }
            return r.status === 201;
        }, 20000, 'a first 201');
    });

    after(() => rig.stop());

    for (const [name, file] of OFFERS) {
        test(name, async () => {
            const offer = fixture(file);
            const r = await ngx.http('POST', '/whep/cam', offer, SDP);

            assert.equal(r.status, 201, r.body);
            assert.match(r.headers['content-type'], /^application\/sdp/);
            assert.match(r.headers.location || '',
                         /^\/whep\/cam\/[0-9a-f]{32}$/);

            const o = sections(offer);
            const a = sections(r.body);

            assert.equal(a.length, o.length, 'one section per offered one');

            const ov = o.find((s) => s.type === 'video');
            const av = a.find((s) => s.type === 'video');
            const aa = a.find((s) => s.type === 'audio');

            assert.equal(av.mid, ov.mid);
            assert.notEqual(av.port, 0);

            /* H.264, and maybe its RTX format (RFC 4588), both offered */
            const pt = av.pts[0];
            assert.equal(ov.rtpmap[pt], 'H264', `answered pt ${pt}`);
            assert.match(ov.fmtp[pt], /packetization-mode=1/);
            assert.match(av.fmtp[pt], /packetization-mode=1/);

            for (const p of av.pts.slice(1)) {
                assert.equal(av.rtpmap[p], 'rtx', `pt ${p}`);
                assert.equal(ov.rtpmap[p], 'rtx', `pt ${p} offered`);
                assert.equal(av.fmtp[p], `apt=${pt}`);
            }
            assert.ok(av.lines.includes('a=sendonly'));
            assert.ok(av.lines.some((l) => l.startsWith('a=candidate:')));
            assert.ok(av.lines.some((l) => /^a=fingerprint:sha-256 /.test(l)));
            assert.ok(av.lines.includes('a=setup:passive'));

            /* the camera has no audio: bundled, inactive, an offered PT */
            const oa = o.find((s) => s.type === 'audio');
            assert.equal(aa.port, 9, 'audio bundled, not rejected');
            assert.equal(aa.mid, oa.mid);
            assert.equal(aa.pts.length, 1);
            assert.ok(oa.pts.includes(aa.pts[0]), `pt ${aa.pts[0]} offered`);
            assert.equal(aa.rtpmap[aa.pts[0]], oa.rtpmap[aa.pts[0]]);
            assert.ok(aa.lines.includes('a=inactive'));
            assert.ok(aa.lines.includes('a=rtcp-mux'));
            assert.ok(!aa.lines.some((l) => /^a=(ssrc|msid):/.test(l)));

            assert.match(r.body, new RegExp('^a=group:BUNDLE '
                                            + `${ov.mid} ${oa.mid}\\r$`,
                                            'm'));

            const d = await ngx.http('DELETE', r.headers.location);
            assert.equal(d.status, 200, d.body);
        });
    }

    test('error.log is clean, no session left', async () => {
        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no sessions');
        ngx.checkLog();
    });
});
