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

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { join } = require('./lib/join');

const PORT = 18186;
const CAM_PORT = 18660;


/* the state of the DTLS transport of join()'s peer connection */

function dtlsState(page, session) {
    return page.evaluate((session) => {
        const r = window.__joins[session].pc.getReceivers()[0];
        return r.transport ? r.transport.state : null;
    }, session);
}


describe('DTLS after the release', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, browser: true,
                          nginx: [{ port: PORT, workers: 2 }] });
    let ngx;
    let page;

    before(async () => {
        ({ ngx } = await rig.start());
        page = await rig.browser.open(ngx.url('/player/whep-player.html'));
    });

    after(() => rig.stop());

    /*
     * plays; the session's SSL is released; join()'s result (/rtc/status
     * shows the first 8 characters of the session id)
     */

    async function released() {
        const j = await waitFor(() => join(page, '/whep/cam')
                                      .catch((e) => (/ 503 /.test(e.message)
                                                     ? null
                                                     : Promise.reject(e))),
                                20000, 'an answer other than 503');

        assert.ok(j.framesDecoded > 0, JSON.stringify(j));

        /* /rtc/status is copied from the session about once a second */

        const s = await waitFor(async () => {
            const x = (await ngx.status()).sessions
                      .find((y) => j.session.startsWith(y.id));
            return x && x.dtls === 'released' ? x : null;
        }, 10000, '"dtls": "released" in /rtc/status');

        assert.equal(s.video, 'H264');

        /* Chromium's first choice, and ours: libsrtp2's patched GCM path */
        assert.equal(s.srtp, 'AEAD_AES_128_GCM');
        assert.equal(await dtlsState(page, j.session), 'connected');

        return j;
    }

    test('a session ended at the server: Chromium gets its close_notify',
         async () => {
        const j = await released();

        /* from here, not from the page: the viewer did not ask */

        const res = await fetch(ngx.url(j.location), { method: 'DELETE' });
        assert.equal(res.status, 200);

        await waitFor(async () => await dtlsState(page, j.session)
                                  === 'closed',
                      5000, 'the RTCDtlsTransport "closed"');

        await page.evaluate((id) => window.__joins[id].pc.close(), j.session);
    });

    test("Chromium's pc.close(): the session ends on its close_notify",
         async () => {
        const j = await released();

        await page.evaluate((id) => window.__joins[id].pc.close(), j.session);

        await waitFor(async () => !(await ngx.status()).sessions
                                   .some((y) => j.session.startsWith(y.id)),
                      5000, 'the session gone from /rtc/status');

        assert.match(ngx.logText(), /rtc dtls peer closed the connection/);
        assert.match(ngx.logText(), /rtc session closing: peer closed/);
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
