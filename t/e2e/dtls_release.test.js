/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A session frees its OpenSSL DTLS state once the viewer's first
 * authenticated SRTCP shows it has the keys (/rtc/status "dtls":
 * "released"); the close_notify still goes both ways, with Chromium:
 *
 * - a session ended at the server (a DELETE from elsewhere) sends the
 *   close_notify that was kept: Chromium's RTCDtlsTransport goes to
 *   "closed" at once (without it, only ICE consent would tell, ~30 s);
 * - Chromium's pc.close() sends its close_notify, which the released
 *   session opens with the viewer's record key: the session is gone at
 *   once (a forged or unread one would leave it 20 s, "peer silent").
 *
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Nginx, waitFor, requireNetns } = require('./lib/nginx');
const { Camera } = require('./lib/camera');
const { Browser } = require('./lib/browser');
const { inbound } = require('./lib/rtcstats');

const PORT = 18186;
const CAM_PORT = 18660;


/* an in-page peer connection "name" that plays url; its session's URL */

function play(page, url, name) {
    return page.evaluate(async ([url, name]) => {
        const conn = new RTCPeerConnection();
        window[name] = conn;

        conn.addTransceiver('video', { direction: 'recvonly' });
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

        const res = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/sdp' },
            body: conn.localDescription.sdp,
        });
        const answer = await res.text();

        if (res.status !== 201) {
            return { status: res.status, answer };
        }

        await conn.setRemoteDescription({ type: 'answer', sdp: answer });

        return { status: res.status,
                 session: new URL(res.headers.get('Location'),
                                  location.href).href };
    }, [url, name]);
}


function dtlsState(page, name) {
    return page.evaluate((name) => {
        const r = window[name].getReceivers()[0];
        return r.transport ? r.transport.state : null;
    }, name);
}


describe('DTLS after the release', { timeout: 120000 }, () => {
    let cam;
    let ngx;
    let browser;
    let page;

    before(async () => {
        requireNetns();
        cam = await new Camera({ port: CAM_PORT, codec: 'h264' }).start();
        ngx = await new Nginx({ port: PORT, camPort: CAM_PORT,
                                workers: 2 }).start();
        browser = await Browser.launch();
        page = await browser.open(ngx.url('/rtc/status'));
    });

    after(async () => {
        try {
            if (browser) {
                await browser.close();
            }
            if (ngx) {
                await ngx.stop();
            }
        } finally {
            if (cam) {
                await cam.stop();
            }
        }
    });

    /*
     * plays; the session's SSL is released; its URL (/rtc/status shows
     * the first 8 characters of its id)
     */

    async function released(name) {
        const r = await waitFor(async () => {
            const x = await play(page, '/whep/cam', name);
            return x.status === 503 ? null : x;
        }, 20000, 'an answer other than 503');

        assert.equal(r.status, 201, r.answer);

        await waitFor(async () => {
            const s = await inbound(page, name);
            return s.video && s.video.framesDecoded > 0;
        }, 20000, `${name}: decoded video`);

        const id = r.session.split('/').pop();

        /* /rtc/status is copied from the session about once a second */

        const s = await waitFor(async () => {
            const x = (await ngx.status()).sessions
                      .find((y) => id.startsWith(y.id));
            return x && x.dtls === 'released' ? x : null;
        }, 10000, `${name}: "dtls": "released" in /rtc/status`);

        assert.equal(s.video, 'H264');
        assert.equal(await dtlsState(page, name), 'connected');

        return r.session;
    }

    test('a session ended at the server: Chromium gets its close_notify',
         async () => {
        const session = await released('pc1');

        /* from here, not from the page: the viewer did not ask */

        const res = await fetch(ngx.url(new URL(session).pathname),
                                { method: 'DELETE' });
        assert.equal(res.status, 200);

        await waitFor(async () => await dtlsState(page, 'pc1') === 'closed',
                      5000, 'the RTCDtlsTransport "closed"');

        await page.evaluate(() => window.pc1.close());
    });

    test("Chromium's pc.close(): the session ends on its close_notify",
         async () => {
        const session = await released('pc2');
        const id = session.split('/').pop();

        await page.evaluate(() => window.pc2.close());

        await waitFor(async () => !(await ngx.status()).sessions
                                   .some((y) => id.startsWith(y.id)),
                      5000, 'the session gone from /rtc/status');

        assert.match(ngx.logText(), /rtc dtls peer closed the connection/);
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
