/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Debian's Firefox ESR as Home Assistant's player (ha-web-rtc-player.ts)
 * and the WebRTC Camera card (video-rtc.js) use rtc_go2rtc_api's
 * WebSocket: an audio transceiver, then video, both recvonly; the offer
 * at once in HA's form ({"type":"webrtc","value":{"type":"offer",...}}),
 * Firefox's candidates trickled as "webrtc/candidate"; the answer (no
 * a=candidate lines) applied, then every candidate of nginx added with
 * sdpMid "0", the audio's mid, as those players do.
 *
 * The camera has no audio.  The answer keeps the audio in the BUNDLE
 * group, inactive (RFC 8843, 7.3.3: the offerer-tagged m-line cannot be
 * rejected alone); when it was rejected (port 0, out of the group),
 * Firefox threw "No such transceiver" for each candidate and ICE failed.
 * Here no addIceCandidate throws, ICE and DTLS connect and the video's
 * RTP arrives, none on the audio.
 *
 * Firefox offline offers no H.264 (see interop_firefox.test.js): its VP8
 * format goes to nginx as H.264 and comes back as VP8, so Firefox cannot
 * decode the frames, and the test counts the SRTP packets it receives.
 *
 * Needs t/lib/netns.sh and /usr/bin/firefox-esr (.ci/deps.sh).
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { Firefox, H264_AS_VP8 } = require('./lib/firefox');

const PORT = 21790;
const CAM_PORT = 21755;


/*
 * window.haJoin(src): Home Assistant's player against /api/ws, its
 * backend's messages sent straight from the page.  window.stats(): what
 * about:webrtc would show.
 */
const PAGE = `<!doctype html>
<html><body><video id="v" autoplay muted playsinline></video>
<script>
'use strict';
${H264_AS_VP8}
window.errors = [];
window.added = 0;
window.candidates = 0;

window.haJoin = async (src) => {
    const pc = new RTCPeerConnection();
    window.pc = pc;

    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.ontrack = (e) => {
        if (e.track.kind === 'video') {
            document.getElementById('v').srcObject =
                new MediaStream([e.track]);
        }
    };

    const ws = new WebSocket(location.origin.replace(/^http/, 'ws')
                             + '/api/ws?src=' + encodeURIComponent(src));
    window.ws = ws;

    await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('WebSocket error'));
    });

    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);

    const m = window.asH264(offer.sdp);
    const hasH264 = m.hasH264;
    const sent = m.sdp;

    let applied;
    const remote = new Promise((resolve) => { applied = resolve; });
    let answered;
    let refused;
    const answer = new Promise((resolve, reject) => {
        answered = resolve;
        refused = reject;
        setTimeout(() => reject(new Error('no answer')), 20000);
    });

    ws.onmessage = (ev) => {
        const m = JSON.parse(ev.data);

        if (m.type === 'webrtc' && m.value && m.value.type === 'answer') {
            answered(m.value.sdp);

        } else if (m.type === 'webrtc/candidate') {
            window.candidates++;

            /* ha-web-rtc-player.ts: new RTCIceCandidate({..., sdpMid: "0"}) */
            remote
                .then(() => pc.addIceCandidate(
                    new RTCIceCandidate({ candidate: m.value, sdpMid: '0' })))
                .then(() => { window.added++; },
                      (e) => { window.errors.push(String(e)); });

        } else if (m.type === 'error') {
            refused(new Error(m.value));
        }
    };

    /* HA's backend: the offer at once, the browser's candidates after it */
    pc.onicecandidate = (e) => {
        if (e.candidate && e.candidate.candidate) {
            ws.send(JSON.stringify({ type: 'webrtc/candidate',
                                     value: e.candidate.candidate }));
        }
    };

    ws.send(JSON.stringify({ type: 'webrtc',
                             value: { type: 'offer', sdp: sent } }));

    const sdp = await answer;
    const back = window.asVP8(sdp, m);

    await pc.setRemoteDescription({ type: 'answer', sdp: back });
    applied();

    return { hasH264, offer: offer.sdp, answer: sdp };
};

window.stats = async () => {
    const out = {
        connection: window.pc && window.pc.connectionState,
        ice: window.pc && window.pc.iceConnectionState,
        errors: window.errors, added: window.added,
        candidates: window.candidates,
        video: 0, audio: 0,
    };

    if (!window.pc) {
        return out;
    }

    (await window.pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp') {
            out[r.kind] = r.packetsReceived;
        }
        if (r.type === 'transport') {
            out.dtlsState = r.dtlsState;
        }
    });
    return out;
};
</script></body></html>
`;


describe('Firefox (Debian ESR) as Home Assistant\'s player, go2rtc API',
         { timeout: 180000 }, () => {
    let rig;
    let ngx;
    let ff;

    before(async () => {
        rig = new Rig({ netns: true, camPort: CAM_PORT });

        const www = rig.tmpdir('nginx-rtc-firefox-ha-www-');
        fs.writeFileSync(path.join(www, 'ha.html'), PAGE);

        rig.opts.nginx = [{
            port: PORT, workers: 2,
            conf: conf({ workers: 2,
                         server: `location /api { rtc_go2rtc_api; }
        location /ff/ { alias ${www}/; }` }),
        }];

        await rig.start();
        ngx = rig.ngx;
        ff = rig.track(await Firefox.launch());
    });

    after(() => rig && rig.stop());

    test('audio first, candidates with sdpMid "0", a camera without '
         + 'audio: ICE connects, video RTP arrives', async () => {
        await ff.open(ngx.url('/ff/ha.html'));

        const j = await waitFor(async () => {
            const r = await ff.eval('return await window.haJoin("cam")'
                                    + '.catch((e) => ({ err: String(e) }));');

            /* the camera not ready yet: an error message, try again */
            if (r.err) {
                await ff.eval('window.ws.close(); window.pc.close();'
                              + 'return true;');
                throw new Error(r.err);
            }
            return r;
        }, 30000, 'an answer over the WebSocket');

        const st = await waitFor(async () => {
            const s = await ff.eval('return await window.stats();');
            return s.errors.length || s.connection === 'failed'
                   || s.ice === 'failed' || s.video >= 100 ? s : null;
        }, 20000, 'Firefox connected and 100 video packets in');

        assert.deepEqual(st.errors, [], 'no addIceCandidate threw');
        assert.ok(st.candidates > 0 && st.added === st.candidates,
                  `candidates added: ${st.added} of ${st.candidates}`);
        assert.equal(st.ice, 'connected');
        assert.equal(st.connection, 'connected');
        assert.equal(st.dtlsState, 'connected');
        assert.ok(st.video >= 100, JSON.stringify(st));
        assert.ok(!st.audio, 'no audio packets');

        /* audio, mid 0, first; both in the answer's BUNDLE group */
        assert.match(j.offer, /^m=audio [\s\S]*^m=video /m);
        assert.match(j.offer, /^a=mid:0\r$/m);
        assert.match(j.answer, /^a=group:BUNDLE 0 1\r$/m);
        assert.doesNotMatch(j.answer, /a=candidate:/,
                            'candidates come trickled');

        const audio = j.answer.slice(j.answer.indexOf('m=audio'),
                                     j.answer.indexOf('m=video'));
        assert.match(audio, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF \d+\r$/m);
        assert.match(audio, /^a=inactive\r$/m);
        assert.match(audio, /^a=mid:0\r$/m);
        assert.doesNotMatch(audio, /a=ssrc:|a=msid:/);
        assert.match(j.answer.slice(j.answer.indexOf('m=video')),
                     /^a=sendonly\r$/m);

        /* nginx: one session, video only, nothing sent as audio */
        const status = await ngx.status();
        assert.equal(status.sessions.length, 1);
        assert.equal(status.sessions[0].audio, null);
        assert.equal(status.streams.find((x) => x.name === 'cam').viewers, 1);

        /* HA closes the peer connection: the session ends */
        await ff.eval('window.pc.close(); window.ws.close(); return true;');
        await ngx.waitNoViewers('cam', '0 viewers after Firefox closed');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
