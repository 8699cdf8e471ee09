/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_go2rtc_api as Home Assistant's go2rtc integration uses it (through
 * python-go2rtc-client): GET /api (the version HA checks), GET
 * /api/streams (every producer has a url, credentials redacted), PUT
 * /api/streams for a configured stream (200) and an unknown one with no
 * runtime policy (403 with a reason), then the WebSocket: an offer in HA's
 * form ({"type":"webrtc","value":{"type":"offer",...}}) with its
 * candidates trickled, the answer in that form, our candidates after it,
 * media decoded by werift; the session outlives the WebSocket;
 * /api/frame.jpeg decodes as a JPEG.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { WsClient } = require('./lib/ws');
const { probeJpeg } = require('./lib/jpeg');
const { Viewer, countH264, peerConnection } = require('./lib/werift');

const PORT = 18990;
const CAM_PORT = 18991;

const CONF = nginxConf({
    /*
     * the sessions of the WebSocket and of the JSON offer have no DELETE
     * and werift sends no close_notify: found silent only after 20 s, they
     * would hold the workers at the stop until then
     */
    shutdown: '1s',
    http: `
    rtc_wait_timeout 10s;
    rtc_stream camera.front_door rtsp://admin:s3cret@127.0.0.1:%%CAMPORT%%/cam;
    rtc_stream garden rtsp://viewer:hunter2@127.0.0.1:1/garden;`,
    server: `
        location /api          { rtc_go2rtc_api; }
        location = /rtc/status { rtc_status; }`,
});


/* an HTTP request; 3xx followed (aiohttp's default), body as text */

function request(method, urlPath, body, headers, hops) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: PORT, method,
                                   path: urlPath, headers: headers || {},
                                   agent: false }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const r = { status: res.statusCode, headers: res.headers,
                            body: Buffer.concat(chunks) };
                if (r.status >= 300 && r.status < 400 && res.headers.location
                    && (hops || 0) < 3)
                {
                    const loc = new URL(res.headers.location,
                                        `http://127.0.0.1:${PORT}`);
                    resolve(request(method, loc.pathname + loc.search, body,
                                    headers, (hops || 0) + 1));
                    return;
                }
                resolve(r);
            });
        });
        req.on('error', reject);
        req.setTimeout(20000, () => req.destroy(new Error('timeout')));
        if (body) {
            req.write(body);
        }
        req.end();
    });
}


describe('go2rtc API: Home Assistant', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { gop: 25, user: 'admin',
                                    password: 's3cret' },
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('GET /api: a version HA accepts, [1.9.13, 2.0.0)', async () => {
        /* answered, not redirected (a redirect names nginx's own port) */
        const r = await request('GET', '/api', null, null, 3);
        assert.equal(r.status, 200, r.body.toString());
        assert.match(r.headers['content-type'], /application\/json/);
        const info = JSON.parse(r.body);
        assert.equal(info.version, '1.9.14');
    });

    test('GET /api/streams: producers with redacted urls', async () => {
        const r = await request('GET', '/api/streams');
        assert.equal(r.status, 200, r.body.toString());
        const text = r.body.toString();
        assert.doesNotMatch(text, /s3cret|hunter2|admin:|viewer:/);

        const streams = JSON.parse(text);
        assert.deepEqual(Object.keys(streams).sort(),
                         ['camera.front_door', 'garden']);
        for (const [name, s] of Object.entries(streams)) {
            assert.ok(s.producers.length >= 1, name);
            for (const p of s.producers) {
                assert.equal(typeof p.url, 'string', name);
                assert.match(p.url, /^rtsp:\/\//);
            }
        }
        assert.match(streams.garden.producers[0].url, /127\.0\.0\.1:1\/garden/);

        const one = await request('GET', '/api/streams?src=garden');
        assert.equal(one.status, 200);
        assert.ok(JSON.parse(one.body).producers[0].url);

        const s = await request('GET', '/api/schemes');
        assert.deepEqual(JSON.parse(s.body), ['rtsp', 'rtsps']);
    });

    test('PUT /api/streams: 200 configured, 403 unknown', async () => {
        const src = encodeURIComponent(`rtsp://admin:s3cret@127.0.0.1:`
                                       + `${CAM_PORT}/cam`);
        const ff = encodeURIComponent('ffmpeg:camera.front_door#audio=opus');

        let r = await request('PUT', `/api/streams?name=camera.front_door`
                                     + `&src=${src}&src=${ff}`);
        assert.equal(r.status, 200, r.body.toString());

        r = await request('PUT', `/api/streams?name=camera.porch&src=`
                                 + encodeURIComponent('rtsp://10.1.2.3/x'));
        assert.equal(r.status, 403);
        assert.ok(r.body.toString().trim().length > 5, 'a reason');

        assert.doesNotMatch(ngx.logText(), /s3cret/);
    });

    test('WebSocket: HA form offer, trickle both ways, media; '
         + 'frame.jpeg', async () => {
        const pc = peerConnection();
        const got = countH264(pc);
        pc.addTransceiver('video', { direction: 'recvonly' });

        const ws = await WsClient.connect(PORT,
                                          '/api/ws?src=camera.front_door');

        /* HA: the offer at once, the browser's candidates as they come */

        const ours = [];
        pc.onIceCandidate.subscribe((c) => {
            if (c && c.candidate) {
                ours.push(c.candidate);
                ws.sendJson({ type: 'webrtc/candidate', value: c.candidate });
            }
        });

        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);

        ws.sendJson({ type: 'mse', value: 'avc1.640029' });
        ws.sendJson({
            type: 'webrtc',
            value: { type: 'offer', sdp: offer.sdp,
                     ice_servers: [{ urls: ['stun:10.99.0.1:3478'] }] },
        });

        const m = await ws.next((x) => x.type !== 'webrtc/candidate', 20000,
                                'the answer');
        assert.equal(m.type, 'webrtc', JSON.stringify(m));
        assert.equal(m.value.type, 'answer');
        assert.match(m.value.sdp, /^v=0/);
        assert.doesNotMatch(m.value.sdp, /a=candidate:/,
                            'candidates come trickled');

        await pc.setRemoteDescription({ type: 'answer', sdp: m.value.sdp });

        const c = await ws.next((x) => x.type === 'webrtc/candidate', 5000,
                                'our candidate');
        assert.match(c.value, /^candidate:/);
        await pc.addIceCandidate({ candidate: c.value, sdpMid: '0' });

        /* every candidate of ours that came, then media */
        for (const x of ws.messages.splice(0)) {
            if (x.type === 'webrtc/candidate') {
                await pc.addIceCandidate({ candidate: x.value, sdpMid: '0' });
            }
        }

        await waitFor(() => got.keyframes > 0, 20000,
                      `an H.264 keyframe (packets ${got.packets})`);
        assert.ok(ours.length > 0, 'werift trickled its candidates');
        assert.deepEqual(ws.messages.filter((x) => x.type === 'error'), []);

        /* the session outlives the WebSocket */
        ws.close(1000);
        const code = await ws.waitClosed(5000);
        assert.equal(code, 1000);

        const before = got.packets;
        await waitFor(() => got.packets > before + 50, 10000,
                      'media after the WebSocket closed');

        const st = await ngx.status();
        assert.equal(st.sessions.length, 1);

        /* HA's camera image */
        const j = await request('GET', '/api/frame.jpeg?src=camera.front_door'
                                       + '&width=320&height=180');
        assert.equal(j.status, 200, j.body.toString());
        assert.equal(j.headers['content-type'], 'image/jpeg');
        assert.equal(j.headers['cache-control'], 'no-cache');
        const p = probeJpeg(j.body);
        assert.equal(p.codec, 'mjpeg');
        assert.equal(p.width, 320);

        await pc.close();
    });

    test('POST /api/webrtc: JSON offer -> complete JSON answer; SDP as WHEP',
         async () => {
        const v = new Viewer(null, null, { name: 'json' });
        const sdp = await v.offer();

        const r = await request('POST', '/api/webrtc?src=camera.front_door',
                                JSON.stringify({ type: 'offer', sdp }),
                                { 'Content-Type': 'application/json' });
        assert.equal(r.status, 200, r.body.toString());
        assert.match(r.headers['content-type'], /application\/json/);
        const a = JSON.parse(r.body);
        assert.equal(a.type, 'answer');
        assert.match(a.sdp, /a=candidate:/, 'a complete answer');

        await v.pc.setRemoteDescription({ type: 'answer', sdp: a.sdp });
        await v.waitKeyframe(20000);
        await v.pc.close();

        /* application/sdp: WHEP, its session under /api/webrtc/ */
        const w = new Viewer(null, null, { name: 'sdp' });
        const offer = await w.offer();
        const s = await request('POST', '/api/webrtc?src=camera.front_door',
                                offer, { 'Content-Type': 'application/sdp' });
        assert.equal(s.status, 201, s.body.toString());
        assert.match(s.headers.location, /^\/api\/webrtc\/[0-9a-f]{32}$/);
        const d = await request('DELETE', s.headers.location);
        assert.equal(d.status, 200, d.body.toString());
        await w.pc.close();

        const bad = await request('POST', '/api/webrtc?src=camera.front_door',
                                  '{"type":"answer"}',
                                  { 'Content-Type': 'application/json' });
        assert.equal(bad.status, 400);
    });

    test('errors: unknown stream, bad offer, as error messages', async () => {
        let ws = await WsClient.connect(PORT, '/api/ws?src=nope');
        ws.sendJson({ type: 'webrtc/offer', value: 'v=0\r\n' });
        let m = await ws.next(null, 5000);
        assert.equal(m.type, 'error');
        assert.match(m.value, /^webrtc\/offer: stream not found/);
        ws.destroy();

        /* go2rtc names the error after the message: "webrtc" (HA) */
        ws = await WsClient.connect(PORT, '/api/ws?src=camera.front_door');
        ws.sendJson({ type: 'webrtc', value: { type: 'offer',
                                               sdp: 'not an SDP' } });
        m = await ws.next(null, 5000);
        assert.equal(m.type, 'error');
        assert.match(m.value, /^webrtc: bad SDP offer/);
        ws.close(1000);
        await ws.waitClosed(5000);

        /*
         * The card set up with an entity: its camera's URL as src, the
         * entity as name; the stream is the name's (not "not found")
         */
        const card = '?src=' + encodeURIComponent(
            'rtsp://admin:s3cret@10.0.0.20/stream1') + '&name=camera.front_door';
        ws = await WsClient.connect(PORT, '/api/ws' + card);
        ws.sendJson({ type: 'webrtc/offer', value: 'not an SDP' });
        m = await ws.next(null, 5000);
        assert.equal(m.type, 'error');
        assert.match(m.value, /^webrtc\/offer: bad SDP offer/);
        ws.destroy();

        let r = await request('GET', '/api/frame.jpeg' + card);
        assert.equal(r.status, 200, r.body.toString());
        assert.equal(r.headers['content-type'], 'image/jpeg');

        r = await request('GET', '/api/frame.jpeg?src=nope');
        assert.equal(r.status, 404);

        r = await request('GET', '/api/frame.jpeg?src=nope&name=nope2');
        assert.equal(r.status, 404);

        /* the card's camera URL: its password in no log */
        const access = fs.readFileSync(path.join(ngx.dir, 'access.log'),
                                       'utf8');
        assert.match(access, /frame\.jpeg\?src=rtsp%3A%2F%2F\*\*\*%40/);
        assert.doesNotMatch(access + ngx.logText(), /s3cret/);

        const h = await WsClient.connect(PORT, '/api/ws?src=x',
                                         { raw: true,
                                           headers: { Upgrade: null } });
        assert.equal(h.status, 400);
    });
});
