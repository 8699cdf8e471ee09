/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Audio to browsers: cameras with PCMA and Opus audio, played by Chromium
 * through nginx.  The answer takes the offer's payload type for the
 * camera's codec; Chromium decodes video and receives audio (inbound-rtp
 * packetsReceived, codec audio/PCMA or audio/opus).  A viewer whose offer
 * lacks the camera's audio codec still gets the video (the audio m-line
 * inactive in the BUNDLE group, no audio sent).  A camera with AAC (no
 * audio=opus) gives video only.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { inbound } = require('./lib/rtcstats');

const PORT = 18780;
const CAMS = { pcma: 19254, opus: 19255, aac: 19256 };

const CONF = nginxConf({
    http: `
    rtc_stream pcma rtsp://127.0.0.1:${CAMS.pcma}/cam;
    rtc_stream opus rtsp://127.0.0.1:${CAMS.opus}/cam;
    rtc_stream aac  rtsp://127.0.0.1:${CAMS.aac}/cam;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }`,
});


/*
 * In the page: a recvonly video + audio offer without the audio codec
 * "mime", POSTed to "url"; the connection stays in window.pc2.
 */

function playWithout(page, url, mime) {
    return page.evaluate(async ([url, mime]) => {
        const conn = new RTCPeerConnection();
        window.pc2 = conn;

        conn.addTransceiver('video', { direction: 'recvonly' });
        const audio = conn.addTransceiver('audio', { direction: 'recvonly' });

        audio.setCodecPreferences(RTCRtpReceiver.getCapabilities('audio')
            .codecs.filter((c) => c.mimeType.toLowerCase()
                                  !== mime.toLowerCase()));

        await conn.setLocalDescription(await conn.createOffer());

        await new Promise((resolve) => {
            const timer = setTimeout(resolve, 2000);
            conn.onicegatheringstatechange = () => {
                if (conn.iceGatheringState === 'complete') {
                    clearTimeout(timer);
                    resolve();
                }
            };
        });

        const offer = conn.localDescription.sdp;
        const res = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/sdp' },
            body: offer,
        });
        const answer = await res.text();

        if (res.status === 201) {
            window.pc2session = new URL(res.headers.get('Location'),
                                        location.href).href;
            await conn.setRemoteDescription({ type: 'answer', sdp: answer });
        }

        return { status: res.status, offer, answer };
    }, [url, mime]);
}


function sessionOf(status, stream) {
    return status.sessions.find((s) => s.stream === stream);
}


/* the player plays video and gets "mime" audio; /rtc/status agrees */

async function playsAudio(browser, ngx, page, stream, mime, codec) {
    await browser.waitPlaying(page, 20000);

    const st = await waitFor(async () => {
        const s = await inbound(page);
        return s.audio && s.audio.packetsReceived > 0 ? s : null;
    }, 15000, `${mime} packets in Chromium`);

    assert.equal(st.audio.codec, mime);
    assert.ok(st.video.framesDecoded > 0);

    /* audio keeps coming: 20 ms frames */

    const n = st.audio.packetsReceived;
    await waitFor(async () => (await inbound(page)).audio.packetsReceived
                              >= n + 25,
                  10000, '25 more audio packets');

    const s = sessionOf(await ngx.status(), stream);
    assert.ok(s, 'the session in /rtc/status');
    assert.equal(s.video, 'H264');
    assert.equal(s.audio, codec);
}


describe('audio to Chromium', { timeout: 120000 }, () => {
    const rig = new Rig({
        netns: true, browser: true, nginx: [{ port: PORT, conf: CONF }],
        cameras: Object.keys(CAMS).map((audio) => ({ port: CAMS[audio],
                                                     audio })),
    });
    let ngx;
    let browser;

    before(async () => {
        ({ ngx, browser } = await rig.start());
    });

    after(() => rig.stop());

    const player = (s) => ngx.url(`/player/whep-player.html?src=/whep/${s}`);

    for (const [stream, mime, codec] of [['pcma', 'audio/PCMA', 'PCMA'],
                                         ['opus', 'audio/opus', 'opus']]) {

        test(`${stream}: video decoded, ${mime} received`, async () => {
            const page = await browser.open(player(stream));

            try {
                await playsAudio(browser, ngx, page, stream, mime, codec);
            } finally {
                await page.close({ runBeforeUnload: true });
            }
        });
    }

    test('an offer without PCMA still gets video', async () => {
        const page = await browser.open(ngx.url('/rtc/status'));
        const r = await waitFor(async () => {
            const x = await playWithout(page, '/whep/pcma', 'audio/PCMA');
            return x.status === 503 ? null : x;
        }, 20000, 'an answer other than 503');

        assert.equal(r.status, 201, r.answer);
        assert.doesNotMatch(r.offer, /PCMA/);
        assert.match(r.answer, /^m=video 9 /m);

        /* the audio stays in the BUNDLE group, inactive, with no stream */
        const audio = r.answer.slice(r.answer.indexOf('m=audio'));
        assert.match(audio, /^m=audio 9 /);
        assert.match(audio, /^a=inactive\r$/m);
        assert.doesNotMatch(audio, /^a=ssrc:/m);
        assert.match(r.answer, /^a=group:BUNDLE 0 1\r$/m);

        const st = await waitFor(async () => {
            const x = await inbound(page, 'pc2');
            return x.video && x.video.framesDecoded > 0 ? x : null;
        }, 20000, 'decoded video without audio');

        assert.ok(!st.audio || st.audio.packetsReceived === 0,
                  'no audio packets');
        assert.equal(await page.evaluate(() => window.pc2.getTransceivers()
            .find((t) => t.receiver.track.kind === 'audio')
            .currentDirection), 'inactive');

        const s = sessionOf(await ngx.status(), 'pcma');
        assert.equal(s.audio, null);

        /*
         * a WHEP client that leaves says so: a page closed without a DELETE
         * would hold the session until it is found silent (20 s)
         */
        const status = await page.evaluate(async () => {
            const res = await fetch(window.pc2session, { method: 'DELETE' });

            window.pc2.close();
            return res.status;
        });
        assert.equal(status, 200);

        await page.close();
    });

    test('AAC without audio=opus: video only, and said so', async () => {
        const page = await browser.open(player('aac'));
        await browser.waitPlaying(page, 20000);

        const s = sessionOf(await ngx.status(), 'aac');
        assert.equal(s.audio, null);
        assert.match(ngx.logText(), /stream "aac" has AAC audio/);

        await page.close({ runBeforeUnload: true });
    });

    test('all sessions end', async () => {
        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      20000, '0 sessions');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
