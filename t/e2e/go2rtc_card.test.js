/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_go2rtc_api as the WebRTC Camera card (video-rtc.js) uses it, in
 * headless Chromium: a page written here that follows the card's V1
 * message sequence on /api/ws: the "mse" probe first (not answered: the
 * card then keeps WebRTC), {"type":"webrtc/offer","value":SDP}, the
 * browser's candidates as "webrtc/candidate" (an empty one at the end),
 * the answer and our candidates applied as the card applies them
 * (sdpMid "0"); once video plays the card closes the WebSocket and the
 * video keeps playing.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');

const PORT = 18992;
const CAM_PORT = 18993;

/* Chromium gathers the namespace's address: every address */

const CONF = nginxConf({
    address: '',
    http: `
    rtc_wait_timeout 10s;
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam;`,
    server: `
        location /api/         { rtc_go2rtc_api; }
        location = /rtc/status { rtc_status; }
        location = /card.html  { default_type text/html;
                                 alias %%PREFIX%%/card.html; }`,
});

/* the card's V1 sequence (video-rtc.js: onopen, onmse, onwebrtc) */

const PAGE = `<!doctype html>
<html><body><video id="v" muted playsinline autoplay></video>
<script>
'use strict';
const video = document.getElementById('v');
const seen = [];
let error = null;
let wsClosed = false;
let pc = null;

const ws = new WebSocket('ws://' + location.host + '/api/ws?src=cam');

ws.addEventListener('close', () => { wsClosed = true; });

ws.addEventListener('open', () => {
    ws.addEventListener('message', (ev) => {
        const msg = JSON.parse(ev.data);
        seen.push(msg.type);
        if (msg.type === 'webrtc/answer') {
            pc.setRemoteDescription({ type: 'answer', sdp: msg.value })
              .catch((e) => { error = 'answer: ' + e; });
        } else if (msg.type === 'webrtc/candidate') {
            pc.addIceCandidate({ candidate: msg.value, sdpMid: '0' })
              .catch((e) => { error = 'candidate: ' + e; });
        } else if (msg.type === 'error') {
            error = msg.value;
        }
    });

    /* MSE first: a server without it says nothing */
    ws.send(JSON.stringify({ type: 'mse',
                             value: 'avc1.640029,avc1.64002A,mp4a.40.2' }));

    pc = new RTCPeerConnection({ iceServers: [] });

    pc.addEventListener('icecandidate', (ev) => {
        const c = ev.candidate ? ev.candidate.toJSON().candidate : '';
        ws.send(JSON.stringify({ type: 'webrtc/candidate', value: c }));
    });

    pc.addEventListener('track', (ev) => {
        if (video.srcObject === null && ev.streams.length) {
            video.srcObject = ev.streams[0];
        }
    });

    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });

    pc.createOffer().then((offer) => pc.setLocalDescription(offer).then(() => {
        ws.send(JSON.stringify({ type: 'webrtc/offer', value: offer.sdp }));
    }));

    /* video plays: the card drops the WebSocket */
    video.addEventListener('loadeddata', () => ws.close(), { once: true });
});

window.cardStats = async () => {
    let frames = 0;
    if (pc) {
        (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
                frames = s.framesDecoded || 0;
            }
        });
    }
    return { frames, error, seen, wsClosed, ws: ws.readyState,
             pc: pc ? pc.connectionState : null,
             time: video.currentTime };
};
</script></body></html>
`;


describe('go2rtc API: the WebRTC Camera card', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          browser: true,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;
    let browser;

    before(async () => {
        ({ ngx, browser } = await rig.start());
        fs.writeFileSync(path.join(ngx.dir, 'card.html'), PAGE);
    });

    after(() => rig.stop());

    test('V1 messages: plays, the WebSocket closes, video goes on',
         async () => {
        /* Chromium gathers the namespace's address, not 127.0.0.1 */
        const page = await browser.open(`http://10.99.0.1:${PORT}/card.html`);
        const stats = () => page.evaluate(() => window.cardStats());
        let st;

        await waitFor(async () => {
            st = await stats();
            if (st.error) {
                throw Object.assign(new Error('card: ' + st.error),
                                    { fatal: true });
            }
            return st.frames > 0;
        }, 25000, 'a decoded frame in the card').catch((err) => {
            err.message += `\n${JSON.stringify(st)}\n`
                           + browser.console.slice(-10).join('\n');
            throw err;
        });

        assert.ok(st.seen.includes('webrtc/answer'), JSON.stringify(st));
        assert.ok(st.seen.includes('webrtc/candidate'), JSON.stringify(st));
        assert.ok(!st.seen.includes('mse'), 'the mse probe is not answered');
        assert.ok(!st.seen.includes('error'), JSON.stringify(st));

        await waitFor(async () => (st = await stats()).wsClosed, 10000,
                      'the card closing its WebSocket');

        /* the session outlives the WebSocket: frames keep coming */
        const frames = st.frames;
        await waitFor(async () => (st = await stats()).frames > frames + 50,
                      15000, 'frames after the WebSocket closed');
        assert.equal(st.pc, 'connected');

        const s = await ngx.status();
        assert.equal(s.sessions.length, 1);
        assert.equal(s.sessions[0].state, 'media');

        /*
         * the card closes its connection when it goes (DTLS close_notify:
         * it has no DELETE); a page closed under it would hold the session,
         * and nginx's stop, until the session is found silent (20 s)
         */
        await page.evaluate(() => pc.close());
        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'the session ended by the card\'s close');

        await page.close();
    });
});
