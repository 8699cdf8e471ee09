/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The WHEP HTTP surface without media: OPTIONS, the error answers (404,
 * 415, 400) with their plain-text bodies, DELETE of an unknown session, the
 * /rtc/status JSON.  No offer here carries a candidate, so the server has no
 * address to send to: this file runs inside or outside the namespace.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Rig } = require('./lib/rig');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');

const PORT = 18080;
const CAM_PORT = 18554;

const OFFER = withoutCandidates(CHROMIUM_OFFER);
const SDP = { 'Content-Type': 'application/sdp' };


function assertTextBody(r, what) {
    assert.ok(r.body.trim().length > 0, `${what}: empty body`);
    assert.match(r.headers['content-type'] || '', /^text\/plain/,
                 `${what}: content type`);
}


describe('WHEP HTTP surface', { timeout: 300000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, nginx: [{ port: PORT }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('OPTIONS: 204 with Accept-Post application/sdp', async () => {
        const r = await ngx.http('OPTIONS', '/whep/cam');
        assert.equal(r.status, 204, r.body);
        assert.match(r.headers['accept-post'] || '', /application\/sdp/i);
    });

    test('POST to an unknown stream: 404', async () => {
        const r = await ngx.http('POST', '/whep/nosuchcam', OFFER, SDP);
        assert.equal(r.status, 404, r.body);
        assertTextBody(r, '404');
    });

    /*
     * Nothing to send on: refused before the session is registered, so
     * the on-demand camera is not started.  422, not 406: Eyevinn's
     * webrtc-player answers a 406 to an audio+video offer with a video-only
     * one, and a 406 to that with an audio-only one, forever; each used
     * to start the camera and wait for its first keyframe.
     */
    test('POST an audio-only offer: 422, the camera not started',
         async () => {
        const lines = OFFER.split('\r\n');
        const video = lines.findIndex((l) => l.startsWith('m=video'));
        const audio = lines.findIndex((l) => l.startsWith('m=audio'));
        assert.ok(video > 0 && audio > video);

        const before = ngx.logText().length;
        const offer = [...lines.slice(0, video), ...lines.slice(audio)]
            .join('\r\n');

        for (let i = 0; i < 3; i++) {
            const r = await ngx.http('POST', '/whep/cam', offer, SDP);
            assert.equal(r.status, 422, r.body);
            assert.equal(r.statusMessage, 'Unprocessable Entity');
            assertTextBody(r, '422');
            assert.equal(r.body,
                         'the offer has no m=video section to receive '
                         + 'video\n');
            assert.equal(r.headers['retry-after'], undefined);
        }

        const st = await ngx.status();
        const cam = st.streams.find((s) => s.name === 'cam');
        assert.equal(cam.state, 'idle', JSON.stringify(cam));
        assert.equal(cam.producer_pid, 0, JSON.stringify(cam));
        assert.equal(cam.frames_in, 0);
        assert.equal(cam.viewers, 0);
        assert.equal(st.sessions.length, 0);

        /* info lines only, one per offer */
        const log = ngx.logText().slice(before).split('\n');
        assert.deepEqual(log.filter((l) =>
                             /\[(warn|error|crit|alert|emerg)\]/.test(l)),
                         []);
        const REFUSED = new RegExp('\\[info\\].*rtc whep offer refused: '
                                   + 'the offer has no m=video');
        assert.equal(log.filter((l) => REFUSED.test(l)).length, 3);
        assert.deepEqual(log.filter((l) => /rtc (rtsp|producer)/.test(l)),
                         [], 'nothing of the camera');
    });

    /* so too an offer without ICE credentials or a DTLS client: 400 */
    test('POST offers without ICE, or a=setup:passive: 400, the camera '
         + 'not started', async () => {
        const cases = [
            [OFFER.replace(/^a=ice-ufrag:.*\r\n/gm, ''),
             'the offer has no ICE credentials'],
            [OFFER.replace(/^a=setup:actpass\r$/gm, 'a=setup:passive\r'),
             'the offer\'s a=setup:passive leaves no DTLS client'],
        ];

        for (const [offer, reason] of cases) {
            assert.notEqual(offer, OFFER);
            const r = await ngx.http('POST', '/whep/cam', offer, SDP);
            assert.equal(r.status, 400, r.body);
            assert.equal(r.body, reason + '\n');
        }

        const cam = (await ngx.status()).streams.find((s) => s.name === 'cam');
        assert.equal(cam.state, 'idle', JSON.stringify(cam));
        assert.equal(cam.producer_pid, 0, JSON.stringify(cam));
    });

    test('POST with a wrong content type: 415', async () => {
        const r = await ngx.http('POST', '/whep/cam', OFFER,
                                 { 'Content-Type': 'text/plain' });
        assert.equal(r.status, 415, r.body);
    });

    test('POST without a content type: 415', async () => {
        const r = await ngx.http('POST', '/whep/cam', OFFER);
        assert.equal(r.status, 415, r.body);
    });

    test('POST garbage as SDP: 400 with a reason', async () => {
        const r = await ngx.http('POST', '/whep/cam',
                                 'this is not\r\nan SDP offer\r\n', SDP);
        assert.equal(r.status, 400, r.body);
        assertTextBody(r, '400');
    });

    test('POST an SDP without ICE credentials: 400', async () => {
        const sdp = OFFER.split('\r\n')
                    .filter((l) => !/^a=ice-(ufrag|pwd):/.test(l))
                    .join('\r\n');
        const r = await ngx.http('POST', '/whep/cam', sdp, SDP);
        assert.equal(r.status, 400, r.body);
        assertTextBody(r, '400');
    });

    test('POST an empty body: 400', async () => {
        const r = await ngx.http('POST', '/whep/cam', '', SDP);
        assert.equal(r.status, 400, r.body);
    });

    test('DELETE an unknown session: 404', async () => {
        const r = await ngx.http('DELETE',
                                 '/whep/cam/0123456789abcdef0123456789abcdef');
        assert.equal(r.status, 404, r.body);
        assertTextBody(r, '404');
    });

    test('DELETE malformed session ids: 404', async () => {
        for (const id of ['zz', 'f'.repeat(33), 'g'.repeat(32),
                          '0123456789abcdef0123456789abcdeX']) {
            const r = await ngx.http('DELETE', `/whep/cam/${id}`);
            assert.equal(r.status, 404, `id "${id}": ${r.body}`);
        }
    });

    test('DELETE the stream itself: not a session', async () => {
        const r = await ngx.http('DELETE', '/whep/cam');
        assert.ok(r.status === 404 || r.status === 405,
                  `status ${r.status}`);
    });

    test('/rtc/status JSON shape', async () => {
        const r = await ngx.http('GET', '/rtc/status');
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'] || '', /json/);

        const st = JSON.parse(r.body);

        assert.equal(typeof st.zone, 'object');
        assert.ok(st.zone !== null);
        assert.ok(Array.isArray(st.streams), 'streams array');
        assert.ok(Array.isArray(st.sessions), 'sessions array');

        const cam = st.streams.find((s) => s.name === 'cam');
        assert.ok(cam, 'stream "cam" listed');

        for (const k of ['name', 'state', 'codec', 'frames_in', 'bytes_in',
                         'viewers', 'producer_pid', 'last_error']) {
            assert.ok(k in cam, `stream has "${k}"`);
        }

        assert.equal(typeof cam.state, 'string');
        assert.equal(typeof cam.frames_in, 'number');
        assert.equal(typeof cam.bytes_in, 'number');
        assert.equal(cam.viewers, 0);
        assert.equal(st.sessions.length, 0);
    });

    test('error answers left no session behind', async () => {
        const st = await ngx.status();
        assert.equal(st.sessions.length, 0);
        for (const s of st.streams) {
            assert.equal(s.viewers, 0, `stream ${s.name} viewers`);
        }
    });
});
