/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Debian's Firefox ESR (Gecko: its own ICE agent, host candidates behind
 * mDNS names, DTLS on NSS, libwebrtc's SRTP) against nginx, 2 workers.
 *
 * Firefox offers H.264 only with Cisco's OpenH264 plugin, which it
 * downloads from the internet at its first start (or with a hardware
 * decoder); the test's namespace has neither, so here Firefox offers VP8,
 * VP9 and AV1:
 *
 * - the example player shows the server's 406, naming the stream's codec
 *   and the offer's (where Firefox offers H.264, it must play instead);
 * - a page of the test's own POSTs Firefox's offer with its VP8 format
 *   renamed H.264 and gives Firefox the answer with the name put back:
 *   Firefox cannot decode the frames, but everything under the codec is
 *   Firefox's own: ICE connects (through peer-reflexive candidates: nginx
 *   cannot resolve the .local names), DTLS 1.2 with an SRTP profile,
 *   and the SRTP packets arrive authenticated, none lost; a DELETE ends
 *   the session, and so does Firefox closing its peer connection.
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

const PORT = 21780;
const CAM_PORT = 21754;


/*
 * window.join(): an offer from Firefox (recvonly video and audio, all
 * candidates), POSTed to /whep/cam; when the offer has no H264, its VP8
 * format goes to nginx as H264 and comes back as VP8.  window.stats():
 * what a user's about:webrtc would show.
 */
const PAGE = `<!doctype html>
<html><body><video id="v" autoplay muted playsinline></video>
<script>
'use strict';
${H264_AS_VP8}
window.join = async () => {
    const pc = new RTCPeerConnection();
    window.pc = pc;

    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => {
        document.getElementById('v').srcObject = new MediaStream([e.track]);
    };

    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
        const done = () => pc.iceGatheringState === 'complete' && resolve();
        pc.onicegatheringstatechange = done;
        done();
    });

    const offer = pc.localDescription.sdp;
    const m = window.asH264(offer);
    const hasH264 = m.hasH264;
    const sent = m.sdp;

    const res = await fetch('/whep/cam', {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: sent,
    });
    const answer = await res.text();

    if (res.status !== 201) {
        return { status: res.status, answer };
    }

    window.resource = new URL(res.headers.get('Location'), location.href)
                      .href;

    const back = window.asVP8(answer, m);

    await pc.setRemoteDescription({ type: 'answer', sdp: back });

    return {
        status: res.status, hasH264, answer,
        mdns: (offer.match(/ typ host/g) || []).length
              === (offer.match(/\\.local \\d+ typ host/g) || []).length,
    };
};

window.stats = async () => {
    const out = { connection: window.pc && window.pc.connectionState };

    if (!window.pc) {
        return out;
    }

    (await window.pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') {
            out.packetsReceived = r.packetsReceived;
            out.packetsLost = r.packetsLost;
            out.bytesReceived = r.bytesReceived;
        }
        if (r.type === 'transport') {
            out.dtlsState = r.dtlsState;
            out.srtpCipher = r.srtpCipher;
            out.tlsVersion = r.tlsVersion;
        }
    });
    return out;
};
</script></body></html>
`;


describe('Firefox (Debian ESR) against nginx', { timeout: 180000 }, () => {
    let rig;
    let ngx;
    let ff;

    before(async () => {
        rig = new Rig({ netns: true, camPort: CAM_PORT });

        const www = rig.tmpdir('nginx-rtc-firefox-www-');
        fs.writeFileSync(path.join(www, 'firefox.html'), PAGE);

        rig.opts.nginx = [{
            port: PORT, workers: 2,
            conf: conf({ workers: 2,
                         server: `location /ff/ { alias ${www}/; }` }),
        }];

        await rig.start();
        ngx = rig.ngx;
        ff = rig.track(await Firefox.launch());
    });

    after(() => rig && rig.stop());

    test('the example player: plays, or names the codecs in a 406',
         async () => {
        await ff.open(ngx.url('/player/whep-player.html?src=/whep/cam'));

        const h264 = await ff.eval(
            'return RTCRtpReceiver.getCapabilities("video").codecs'
            + '.some((c) => /h264/i.test(c.mimeType));');

        const st = await waitFor(async () => {
            const s = await ff.eval('return await window.whepStats();');
            return s.error || (s.framesDecoded > 0 && s.width > 0) ? s : null;
        }, 20000, 'Firefox playing, or the player\'s error');

        if (h264) {
            assert.equal(st.error, null, 'Firefox offers H.264: it plays');
            assert.equal(st.codec, 'video/H264');
            return;
        }

        assert.match(st.error,
            /^406 Not Acceptable: stream "cam" is H264 \(packetization-mode=1\); the offer has VP8 .*VP9/);
        assert.equal((await ngx.status()).streams.find((x) => x.name === 'cam').viewers, 0);
    });

    test('ICE, DTLS and SRTP with Firefox\'s own stack; DELETE',
         async () => {
        await ff.open(ngx.url('/ff/firefox.html'));

        const j = await ff.eval('return await window.join();');
        assert.equal(j.status, 201, j.answer);
        assert.match(j.answer, /a=rtpmap:\d+ H264\/90000/);
        assert.ok(j.mdns, 'Firefox hides its host candidates behind .local');

        const st = await waitFor(async () => {
            const s = await ff.eval('return await window.stats();');
            return s.connection === 'failed' || s.packetsReceived >= 100
                   ? s : null;
        }, 20000, 'Firefox connected and 100 SRTP packets in');

        assert.equal(st.connection, 'connected');
        assert.equal(st.dtlsState, 'connected');
        assert.match(st.srtpCipher, /^(SRTP_AEAD_AES_128_GCM|AES_CM_128_HMAC_SHA1_80)$/);
        assert.equal(st.tlsVersion, 'FEFD', 'DTLS 1.2');
        assert.equal(st.packetsLost, 0);

        const status = await ngx.status();
        assert.equal(status.streams.find((x) => x.name === 'cam').viewers, 1);
        assert.equal(status.sessions.length, 1);

        const del = await ff.eval(
            'return (await fetch(window.resource, { method: "DELETE" }))'
            + '.status;');
        assert.equal(del, 200);
        await ngx.waitNoViewers('cam', '0 viewers after the DELETE');
        await ff.eval('window.pc.close(); return true;');
    });

    test('Firefox closing its peer connection ends the session',
         async () => {
        await ff.open(ngx.url('/ff/firefox.html'));

        const j = await ff.eval('return await window.join();');
        assert.equal(j.status, 201, j.answer);

        await waitFor(async () =>
            (await ff.eval('return await window.stats();'))
                .packetsReceived >= 25,
            20000, '25 SRTP packets in Firefox');

        await ff.eval('window.pc.close(); return true;');
        await ngx.waitNoViewers('cam', '0 viewers after Firefox closed');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
