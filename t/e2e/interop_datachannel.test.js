/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * node-datachannel (libdatachannel, libjuice ICE) as a WHEP client, the
 * trickle way: the offer is POSTed before any candidate is gathered, the
 * candidates follow in PATCH requests (204) with If-Match, H.264 RTP
 * arrives with a keyframe, DELETE (200).
 *
 * node-datachannel 0.33 installs from npm alone: its native binary comes
 * in the @node-datachannel/linux-x64-gnu package of the registry, no
 * download from elsewhere.  libdatachannel has no ICE restart (no API to
 * make new credentials for a running connection): the restart PATCH is
 * sent with new credentials the client cannot use, and the server's side
 * of it is checked (200, a fragment with new credentials, a new ETag);
 * the session is then deleted.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { h264NalTypes } = require('./lib/werift');
const whep = require('./lib/whep');

const ndc = require('node-datachannel');

const PORT = 20180;
const CAM_PORT = 20154;


describe('node-datachannel: trickle, play, restart PATCH, DELETE',
         { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true,
                          nginx: [{ port: PORT, workers: 4 }] });
    let ngx;
    let pc;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;
    });

    after(async () => {
        if (pc) {
            pc.close();
        }
        ndc.cleanup();
        await rig.stop();
    });

    test('plays with trickled candidates', async () => {
        const got = { packets: 0, keyframes: 0, pts: new Set() };
        const candidates = [];
        let offer = null;
        let gathered = false;

        pc = new ndc.PeerConnection('whep', { iceServers: [] });

        pc.onLocalDescription((sdp) => { offer = offer || sdp; });
        pc.onLocalCandidate((c) => candidates.push(c));
        pc.onGatheringStateChange((s) => {
            if (s === 'complete') {
                gathered = true;
            }
        });

        const video = new ndc.Video('0', 'RecvOnly');
        video.addH264Codec(102);

        const track = pc.addTrack(video);
        track.setMediaHandler(new ndc.RtcpReceivingSession());
        track.onMessage((buf) => {
            if (buf.length < 12 || (buf[1] & 0x7f) >= 72
                && (buf[1] & 0x7f) <= 79)
            {
                return;                 /* RTCP */
            }
            got.packets++;
            got.pts.add(buf[1] & 0x7f);

            const cc = buf[0] & 0x0f;
            let off = 12 + 4 * cc;
            if (buf[0] & 0x10 && buf.length >= off + 4) {
                off += 4 + 4 * buf.readUInt16BE(off + 2);
            }
            for (const t of h264NalTypes(buf.subarray(off))) {
                if (t === 5 || t === 7) {
                    got.keyframes++;
                }
            }
        });

        pc.setLocalDescription();
        await waitFor(() => offer, 5000, 'the offer');

        /* RFC 9725, 4.3.1: the offer goes before the candidates */
        const bare = offer.split(/\r?\n/)
                     .filter((l) => !/^a=candidate:/.test(l)
                                    && l !== 'a=end-of-candidates')
                     .join('\r\n');
        const r = await whep.post(ngx, '/whep/cam', bare);
        assert.equal(r.status, 201, r.body);

        const session = r.headers.location;
        let etag = r.headers.etag;

        pc.setRemoteDescription(r.body, 'answer');

        await waitFor(() => gathered, 5000, 'gathering');
        assert.ok(candidates.length > 0, 'candidates to trickle');

        const ice = whep.iceOf(offer);
        const mid = ice.mid === null ? '0' : ice.mid;

        for (const c of candidates) {
            const p = await whep.patch(ngx, session, whep.fragment(
                Object.assign({}, ice, { candidates: [c], mid })), etag);
            assert.equal(p.status, 204, p.body);
            assert.equal(p.headers.etag, etag);
        }

        const end = await whep.patch(ngx, session, whep.fragment(
            Object.assign({}, ice, { candidates: [], mid }), { end: true }),
            etag);
        assert.equal(end.status, 204, end.body);

        await waitFor(() => got.keyframes > 0 && got.packets > 50, 20000,
                      'H.264 RTP with a keyframe');

        assert.deepEqual([...got.pts], [102]);

        const pair = pc.getSelectedCandidatePair();
        assert.ok(pair && pair.remote, 'a selected pair');

        /* the server's side of an ICE restart */
        const restart = await whep.patch(ngx, session, whep.fragment({
            ufrag: 'ndcR', pwd: 'abcdefghijklmnopqrstuvwx', mline: null,
            mid, candidates: [],
        }), '*');

        assert.equal(restart.status, 200, restart.body);
        assert.equal(restart.headers['content-type'], whep.FRAG_TYPE);
        assert.notEqual(restart.headers.etag, etag);

        const ours = whep.parseFragment(restart.body);
        assert.ok(ours.ufrag && ours.pwd);
        assert.notEqual(ours.ufrag, whep.iceOf(r.body).ufrag);
        etag = restart.headers.etag;

        const d = await ngx.http('DELETE', session);
        assert.equal(d.status, 200, d.body);

        pc.close();
        pc = null;

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no session');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
