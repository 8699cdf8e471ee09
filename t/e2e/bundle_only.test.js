/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Players with RTCPeerConnection({ bundlePolicy: 'max-bundle' }) (some
 * WHEP players set it): Firefox then offers every m-line after the first
 * with port 0 and a=bundle-only, and the ICE candidates only in the
 * first (RFC 8843, 6 and 7.2); Chromium offers port 9 and candidates
 * only in the first.  Such a section is bundled, not disabled: nginx
 * takes it and uses the transport of the BUNDLE group's tagged section.
 * When port 0 read as disabled, a video-first Firefox got no audio and
 * an audio-first one a 406 ("no m=video section").
 *
 * The camera sends H.264 and Opus; both orders of the transceivers,
 * Debian's Firefox ESR and Chromium.  Firefox offline offers no H.264
 * (see interop_firefox.test.js): its VP8 format goes to nginx as H.264
 * and comes back as VP8, so it counts SRTP packets rather than frames.
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

const PORT = 21890;
const CAM_PORT = 21855;


/*
 * window.join(kinds): a max-bundle peer connection with recvonly
 * transceivers in that order, its offer (gathered) POSTed to /whep/cam.
 * window.stats(): the connection and the packets in, by kind.
 */
const PAGE = `<!doctype html>
<html><body><video id="v" autoplay muted playsinline></video>
<script>
'use strict';
${H264_AS_VP8}
window.join = async (kinds) => {
    if (window.pc) {
        window.pc.close();
    }

    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;

    for (const k of kinds) {
        pc.addTransceiver(k, { direction: 'recvonly' });
    }
    pc.ontrack = (e) => {
        if (e.track.kind === 'video') {
            document.getElementById('v').srcObject =
                new MediaStream([e.track]);
        }
    };

    await pc.setLocalDescription(await pc.createOffer());

    await new Promise((resolve) => {
        const timer = setTimeout(resolve, 3000);
        pc.onicegatheringstatechange = () => {
            if (pc.iceGatheringState === 'complete') {
                clearTimeout(timer);
                resolve();
            }
        };
    });

    const offer = pc.localDescription.sdp;
    const m = window.asH264(offer);
    const hasH264 = m.hasH264;
    const sent = m.sdp;

    const res = await fetch('/whep/cam', {
        method: 'POST', body: sent,
        headers: { 'Content-Type': 'application/sdp' },
    });
    const answer = await res.text();

    if (res.status !== 201) {
        return { status: res.status, offer, answer };
    }

    window.resource = new URL(res.headers.get('Location'), location.href)
                      .href;

    const back = window.asVP8(answer, m);

    await pc.setRemoteDescription({ type: 'answer', sdp: back });

    return { status: res.status, offer, answer, hasH264 };
};

window.stats = async () => {
    const out = { connection: window.pc.connectionState, video: 0,
                  audio: 0, frames: 0 };

    (await window.pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp') {
            out[r.kind] = r.packetsReceived;
            if (r.kind === 'video') {
                out.frames = r.framesDecoded || 0;
            }
        }
    });
    return out;
};
</script></body></html>
`;


/* the section of an SDP that starts with "m=kind" */

function section(sdp, kind) {
    const i = sdp.indexOf(`m=${kind} `);
    assert.ok(i >= 0, `m=${kind} in\n${sdp}`);
    const j = sdp.indexOf('\r\nm=', i);
    return sdp.slice(i, j < 0 ? sdp.length : j + 2);
}


describe('bundlePolicy max-bundle: a=bundle-only sections',
         { timeout: 240000 }, () => {
    let rig;
    let ngx;
    let ff;
    let page;

    before(async () => {
        rig = new Rig({ netns: true, browser: true, camPort: CAM_PORT,
                        camera: { audio: 'opus' } });

        const www = rig.tmpdir('nginx-rtc-bundle-only-www-');
        fs.writeFileSync(path.join(www, 'join.html'), PAGE);

        rig.opts.nginx = [{
            port: PORT, workers: 2,
            conf: conf({ workers: 2,
                         server: `location /page/ { alias ${www}/; }` }),
        }];

        await rig.start();
        ngx = rig.ngx;
        page = await rig.browser.open(ngx.url('/page/join.html'));
        ff = rig.track(await Firefox.launch());
        await ff.open(ngx.url('/page/join.html'));
    });

    after(() => rig && rig.stop());

    /* join until the camera is up (a 503 or 504 before), then play */

    async function play(run, kinds) {
        const j = await waitFor(async () => {
            const r = await run(`window.join(${JSON.stringify(kinds)})`);
            assert.ok(r.status === 201 || r.status >= 500,
                      `${r.status}: ${r.answer}`);
            return r.status === 201 ? r : null;
        }, 30000, '201 to a max-bundle offer');

        const st = await waitFor(async () => {
            const s = await run('window.stats()');
            return s.connection === 'failed'
                   || (s.video >= 100 && s.audio >= 25) ? s : null;
        }, 20000, '100 video and 25 audio packets in');

        assert.equal(st.connection, 'connected');
        return { j, st };
    }

    for (const kinds of [['video', 'audio'], ['audio', 'video']]) {

        test(`Firefox, ${kinds.join(' then ')}: bundle-only section `
             + 'taken, video and audio arrive', async () => {
            const { j } = await play(
                (expr) => ff.eval(`return await ${expr};`), kinds);

            /* what Firefox offers: the second m-line port 0, bundle-only */
            const second = section(j.offer, kinds[1]);
            assert.match(second, new RegExp(`^m=${kinds[1]} 0 `));
            assert.match(second, /^a=bundle-only\r$/m);
            assert.doesNotMatch(second, /a=candidate:/);

            /* answered bundled, sending, never rejected */
            assert.match(j.answer, /^a=group:BUNDLE 0 1\r$/m);
            for (const k of kinds) {
                const s = section(j.answer, k);
                assert.match(s, new RegExp(`^m=${k} 9 `));
                assert.match(s, /^a=sendonly\r$/m);
            }

            const status = await ngx.status();
            assert.equal(status.sessions.length, 1);
            assert.equal(status.sessions[0].audio, 'opus');

            await ff.eval('window.pc.close(); return true;');
            await ngx.waitNoViewers('cam', '0 viewers after Firefox closed');
        });
    }

    test('Chromium, audio then video: the video section has no '
         + 'candidates; frames decoded, audio arrives', async () => {
        const { j, st } = await play((expr) => page.evaluate(expr),
                                     ['audio', 'video']);

        assert.doesNotMatch(section(j.offer, 'video'), /a=candidate:/);
        assert.ok(j.hasH264);

        const s = await waitFor(async () => {
            const x = await page.evaluate('window.stats()');
            return x.frames > 0 ? x : null;
        }, 10000, 'Chromium decoding frames');
        assert.ok(s.frames > 0 && st.audio >= 25);

        await page.evaluate('window.pc.close()');
        await ngx.waitNoViewers('cam', '0 viewers after Chromium closed');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
