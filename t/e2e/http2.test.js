/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The module's locations on an nginx server with "listen ... ssl http2",
 * as examples/tls.conf and most TLS servers have it: browsers then speak
 * HTTP/2, where a request is a stream of a connection (its own fake
 * connection, request body and response through the HTTP/2 layer).
 * Chromium (the example player, trickle=1) POSTs its offer, PATCHes its
 * candidates, restarts ICE and DELETEs over HTTP/2; the snapshot, the
 * status page and metrics answer over it too.  The access log shows
 * each request as HTTP/2.0.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { makeCert } = require('./lib/rtsp');

const PORT = 21990;
const H2_PORT = 21991;
const CAM_PORT = 21954;
const DEAD_PORT = 21955;        /* no camera there */


describe('WHEP, snapshot and status over HTTP/2 (TLS)',
         { timeout: 120000 }, () => {
    let rig;
    let ngx;
    let page;

    const h2 = (p) => `https://127.0.0.1:${H2_PORT}${p}`;

    before(async () => {
        rig = new Rig({ netns: true, camPort: CAM_PORT,
                        browser: { ignoreHTTPSErrors: true } });

        const certs = makeCert(rig.tmpdir('nginx-rtc-http2-'), 'h2');

        rig.opts.nginx = [{
            port: PORT, workers: 2,
            conf: conf({ workers: 2, http: `
    rtc_stream gone rtsp://127.0.0.1:${DEAD_PORT}/cam;
    rtc_wait_timeout 3s;`, server: `
        listen 127.0.0.1:${H2_PORT} ssl http2;
        ssl_certificate     ${certs.cert};
        ssl_certificate_key ${certs.key};

        location /snap/    { rtc_snapshot; }
        location = /rtc/metrics { rtc_metrics; }` }),
        }];

        await rig.start();
        ngx = rig.ngx;
    });

    after(() => rig && rig.stop());

    /* the requests nginx logged over HTTP/2, as "METHOD /path" -> status */

    function h2Requests() {
        return ngx.accessLog()
            .filter((l) => / HTTP\/2\.0$/.test(l.request || ''))
            .map((l) => [l.request.replace(/ HTTP\/2\.0$/, ''), l.status]);
    }

    test('the player: POST, trickle PATCH, ICE restart, DELETE', async () => {
        const b = rig.browser;

        page = await b.open(
            h2('/player/whep-player.html?src=/whep/cam&trickle=1'));

        assert.equal(await page.evaluate(
            () => performance.getEntriesByType('navigation')[0]
                  .nextHopProtocol), 'h2', 'Chromium speaks HTTP/2');

        let st = await b.waitPlaying(page, 20000);
        assert.equal(st.codec, 'video/H264');

        st = await waitFor(async () => {
            const s = await b.stats(page);
            return s.patches.length >= 1 ? s : null;
        }, 10000, 'trickle PATCH requests');
        assert.ok(st.patches.every((s) => s === 204),
                  `PATCH statuses ${st.patches}`);

        assert.equal(await page.evaluate(() => window.whepRestartIce()), 200);

        const frames = st.framesDecoded;
        await waitFor(async () => {
            const s = await b.stats(page);
            return s.iceState === 'connected'
                   && s.framesDecoded >= frames + 25;
        }, 15000, 'frames after the ICE restart');

        await page.click('#stop');
        await waitFor(async () => (await b.stats(page)).deleted,
                      5000, 'the DELETE');
        assert.equal((await b.stats(page)).deleted, 200);
        await ngx.waitNoViewers('cam', '0 viewers after Stop');

        /* nginx logs a request after its last byte went out: poll */
        const log = await waitFor(() => {
            const l = h2Requests();
            return l.some(([r]) => /^DELETE /.test(r)) ? l : null;
        }, 5000, 'the DELETE in the access log');
        const of = (re) => log.filter(([r]) => re.test(r))
                              .map(([, s]) => s);
        const patches = of(/^PATCH \/whep\/cam\/[0-9a-f]+$/);

        assert.deepEqual(of(/^POST \/whep\/cam$/), [201], JSON.stringify(log));
        assert.ok(patches.length >= 2
                  && patches.every((s) => s === 204 || s === 200),
                  JSON.stringify(log));
        assert.ok(patches.includes(200), 'the restart over HTTP/2');
        assert.deepEqual(of(/^DELETE /), [200]);
    });

    test('snapshot, status and metrics over HTTP/2', async () => {
        const r = await page.evaluate(async () => {
            const out = {};
            for (const p of ['/snap/cam.jpg', '/rtc/status',
                             '/rtc/metrics']) {
                const res = await fetch(p);
                const body = new Uint8Array(await res.arrayBuffer());
                out[p] = { status: res.status, len: body.length,
                           head: Array.from(body.slice(0, 2)),
                           type: res.headers.get('content-type') };
            }
            return out;
        });

        assert.equal(r['/snap/cam.jpg'].status, 200);
        assert.deepEqual(r['/snap/cam.jpg'].head, [0xff, 0xd8], 'a JPEG');
        assert.equal(r['/rtc/status'].status, 200);
        assert.match(r['/rtc/status'].type, /json/);
        assert.equal(r['/rtc/metrics'].status, 200);
        assert.ok(r['/rtc/metrics'].len > 100);

        /* nginx logs a request after its last byte went out: poll */
        const paths = ['/snap/cam.jpg', '/rtc/status', '/rtc/metrics'];
        await waitFor(() => {
            const log = h2Requests().map(([q]) => q);
            return paths.every((p) => log.includes(`GET ${p}`));
        }, 5000, `${paths.join(', ')} in the access log, over HTTP/2`);
    });

    /*
     * Offers waiting for a camera that does not answer, on one HTTP/2
     * connection: four cancelled by the browser (RST_STREAM) while they
     * wait, one waiting out rtc_wait_timeout (503 with the reason); then
     * no session is left and the workers are the same
     */
    test('offers waiting for a camera: cancelled (RST_STREAM) or timed out',
         async () => {
        const before = (await ngx.status()).streams.length;

        const r = await page.evaluate(async () => {
            const pc = new RTCPeerConnection();
            pc.addTransceiver('video', { direction: 'recvonly' });
            await pc.setLocalDescription(await pc.createOffer());
            const offer = pc.localDescription.sdp;
            pc.close();

            const post = (signal) => fetch('/whep/gone', {
                method: 'POST', body: offer, signal,
                headers: { 'Content-Type': 'application/sdp' },
            });

            const cancelled = [];
            for (let i = 0; i < 4; i++) {
                const ac = new AbortController();
                cancelled.push(post(ac.signal).then(
                    (res) => res.status, (e) => e.name));
                setTimeout(() => ac.abort(), 200 + 100 * i);
            }

            const res = await post();
            return { cancelled: await Promise.all(cancelled),
                     status: res.status, text: await res.text() };
        });

        assert.deepEqual(r.cancelled, Array(4).fill('AbortError'));
        assert.equal(r.status, 503);
        assert.match(r.text, /stream "gone" is not ready/);

        const st = await waitFor(async () => {
            const s = await ngx.status();
            return s.sessions.length === 0 ? s : null;
        }, 10000, 'no session left');
        assert.equal(st.streams.length, before);

        /* the cancelled requests were logged (499), over HTTP/2 */
        const gone = await waitFor(() => {
            const g = h2Requests().filter(([q]) => q === 'POST /whep/gone')
                                  .map(([, s]) => s).sort();
            return g.length === 5 ? g : null;
        }, 10000, 'the five POSTs in the access log');
        assert.deepEqual(gone, [499, 499, 499, 499, 503]);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
