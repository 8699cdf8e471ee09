/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A cluster from examples/cluster/, run as written there (only addresses,
 * ports, paths and certificates are replaced, each of them checked to be
 * in the file): a front nginx without the module (TLS, auth_request to a
 * small auth service made here, a map from stream name to node, the
 * site's /cams prefix stripped and put back with proxy_redirect) and two
 * camera nodes, each with its own camera.
 *
 * Viewers of both nodes' cameras join through the front (werift, and
 * Chromium decoding, trickling candidates with PATCH); the Location of
 * the 201 names the front's URL; PATCH and DELETE reach the node that
 * owns the session, a DELETE naming the other node's stream finds nothing
 * there; node A stops (its offers get 502 meanwhile) and starts again
 * while node B's viewers keep receiving frames; A's viewers join again.
 * Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const http = require('node:http');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, sleep, REPO } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { makeCert } = require('./lib/rtsp');
const { fromExample, frontClient } = require('./lib/cluster');
const whep = require('./lib/whep');

const FRONT_PORT = 21080;
const NODE_A_PORT = 21081;
const NODE_B_PORT = 21082;
const AUTH_PORT = 21083;
const CAM_A_PORT = 21554;
const CAM_B_PORT = 21555;

const TOKEN = 'cluster-test-token';
const SESSION_RE = /^\/cams\/whep\/(lobby|dock)\/([0-9a-f]{32})$/;


function nodeConf(file, listen, publicAddr, streams) {
    return fromExample(file, [
        ['load_module /usr/lib/nginx/modules/ngx_http_rtc_module.so;',
         'load_module %%MODULE%%;\n%%TEST_GLOBALS%%'],
        ['worker_processes auto;',
         'worker_processes 2;\nworker_shutdown_timeout 3s;'],
        ['http {', 'http {\n    %%TEST_GLOBALS_HTTP%%'],
        [`listen ${listen};`, 'listen 127.0.0.1:%%PORT%%;'],
        /* the nodes share the namespace's one address here */
        [`rtc_candidate ${publicAddr};`, 'rtc_candidate 10.99.0.1;'],
    ].concat(streams));
}


function frontConf(certs) {
    return fromExample('front.conf', [
        ['worker_processes auto;', '%%TEST_GLOBALS%%\nworker_processes 1;'],
        ['http {', 'http {\n    %%TEST_GLOBALS_HTTP%%'],
        ['server 10.0.1.11:8080;', `server 127.0.0.1:${NODE_A_PORT};`],
        ['server 10.0.1.12:8080;', `server 127.0.0.1:${NODE_B_PORT};`],
        ['server 127.0.0.1:9000;', `server 127.0.0.1:${AUTH_PORT};`],
        ['listen 443 ssl;', 'listen 127.0.0.1:%%PORT%% ssl;'],
        ['/etc/ssl/cams.example.com/fullchain.pem', certs.cert],
        ['/etc/ssl/cams.example.com/privkey.pem', certs.key],
        ['root /var/www/cams;', `root ${REPO}/examples;`],
    ]);
}


/*
 * The auth service of auth_request: a viewer with the token (a bearer
 * token, or a cookie for pages) may watch; a CORS preflight carries no
 * credentials and is let through.  Counts what it was asked.
 */

function authService() {
    const seen = [];
    const server = http.createServer((req, res) => {
        const method = req.headers['x-original-method'];
        const cookie = req.headers.cookie || '';
        const ok = method === 'OPTIONS'
                   || req.headers.authorization === `Bearer ${TOKEN}`
                   || cookie.split(/;\s*/).includes(`rtc_token=${TOKEN}`);

        seen.push({ method, uri: req.headers['x-original-uri'], ok });
        res.writeHead(ok ? 204 : 401);
        res.end();
    });

    return new Promise((resolve) => {
        server.listen(AUTH_PORT, '127.0.0.1', () => resolve({ server, seen }));
    });
}


function sessionsOf(st, stream) {
    return st.sessions.filter((s) => s.stream === stream);
}


describe('a front nginx and two camera nodes', { timeout: 120000 }, () => {
    const cam = { size: '320x180', fps: 15, gop: 15, bitrate: 300 };
    const rig = new Rig({ netns: true, cameras: [
        Object.assign({ port: CAM_A_PORT }, cam),
        Object.assign({ port: CAM_B_PORT }, cam),
    ] });
    let auth;
    let nodeA;
    let nodeB;
    let certs;
    let frontNgx;
    let front;
    let browser;
    const viewers = rig.viewers;

    before(async () => {
        await rig.start();
        const [camA, camB] = rig.cams;

        certs = makeCert(rig.tmpdir('nginx-rtc-cluster-'), 'front');
        auth = await authService();
        rig.defer(() => auth.server.close());

        nodeA = await rig.add({ port: NODE_A_PORT, conf: nodeConf(
            'node-a.conf', '10.0.1.11:8080', '203.0.113.11', [
                ['rtsp://viewer:secret@192.168.10.21/stream1', camA.url],
            ]) });

        nodeB = await rig.add({ port: NODE_B_PORT, conf: nodeConf(
            'node-b.conf', '10.0.1.12:8080', '203.0.113.12', [
                ['rtsp://viewer:secret@192.168.20.21/stream1', camB.url],
            ]) });

        /* the last added: stopped first */
        frontNgx = await rig.add({ port: FRONT_PORT, workers: 1,
                                   conf: frontConf(certs) });

        front = frontClient(FRONT_PORT, fs.readFileSync(certs.cert), TOKEN);
    });

    after(async () => {
        if (browser) {
            /* the pages DELETE their sessions: the nodes stop at once */
            for (const p of browser.context.pages()) {
                await p.close({ runBeforeUnload: true }).catch(() => {});
            }
        }
        await rig.stop();
    });

    function viewer(name) {
        const v = new Viewer(front, `/cams/whep/${name}`,
                             { name: `viewer of ${name}` });
        viewers.push(v);
        return v;
    }

    test('offers go to the node that owns the stream', async () => {
        const va = viewer('lobby');
        const vb = viewer('dock');

        await va.connectRetry(20000);
        await vb.connectRetry(20000);

        /* the Location names the front's URL, the node's path mapped back */
        for (const v of [va, vb]) {
            const loc = new URL(v.response.headers.location,
                                front.url(v.whepPath));
            assert.equal(loc.origin, `https://127.0.0.1:${FRONT_PORT}`);
            assert.match(loc.pathname, SESSION_RE);
            assert.equal(v.session, loc.pathname);
            assert.ok(v.session.startsWith(v.whepPath + '/'));
        }

        await va.waitKeyframe(20000);
        await vb.waitKeyframe(20000);

        /* each session is in its own node, and only there */
        const stA = await nodeA.status();
        const stB = await nodeB.status();
        const idA = va.session.split('/').pop();
        const idB = vb.session.split('/').pop();

        assert.deepEqual(sessionsOf(stA, 'lobby').map((s) => s.id),
                         [idA.slice(0, 8)]);
        assert.deepEqual(sessionsOf(stB, 'dock').map((s) => s.id),
                         [idB.slice(0, 8)]);
        assert.equal(stA.streams.find((s) => s.name === 'dock'), undefined);
        assert.equal(stB.streams.find((s) => s.name === 'lobby'), undefined);

        /* auth once, at the front: no token, no offer, nothing at B */
        const anon = frontClient(FRONT_PORT, fs.readFileSync(certs.cert),
                                 null);
        const offer = va.pc.localDescription.sdp;
        const posts = () => nodeB.accessLog()
                            .filter((l) => /^POST /.test(l.request)).length;
        const postsBefore = posts();
        let r = await anon.http('POST', '/cams/whep/dock', offer,
                                { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 401);
        assert.ok(auth.seen.some((a) => !a.ok && a.method === 'POST'));
        assert.equal(posts(), postsBefore);

        /* a name no node owns */
        r = await front.http('POST', '/cams/whep/attic', offer,
                             { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 404);

        /* a CORS preflight (no credentials) answered by the node, once */
        r = await anon.http('OPTIONS', '/cams/whep/lobby', null, {
            Origin: 'https://dashboard.example.com',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
        });
        assert.equal(r.status, 204);
        const allow = [];
        for (let i = 0; i < r.rawHeaders.length; i += 2) {
            if (/^access-control-allow-origin$/i.test(r.rawHeaders[i])) {
                allow.push(r.rawHeaders[i + 1]);
            }
        }
        assert.deepEqual(allow, ['https://dashboard.example.com']);
        assert.match(r.headers['access-control-allow-headers'],
                     /Authorization/);

        assert.equal(sessionsOf(await nodeB.status(), 'dock').length, 1);
    });

    test('Chromium decodes both nodes\' cameras, trickling with PATCH',
         async () => {
        browser = await rig.launchBrowser({ ignoreHTTPSErrors: true });
        await browser.context.addCookies([{
            name: 'rtc_token', value: TOKEN, url: front.url('/'),
        }]);

        for (const name of ['lobby', 'dock']) {
            const page = await browser.open(front.url(
                `/whep-player.html?src=/cams/whep/${name}&trickle=1`));
            const st = await browser.waitPlaying(page, 20000);

            assert.equal(st.codec, 'video/H264');
            assert.equal(new URL(st.session).pathname.split('/')[3], name);
            assert.match(new URL(st.session).pathname, SESSION_RE);

            /* the candidates went to the node as PATCHes, all taken */
            await waitFor(async () =>
                (await browser.stats(page)).patches.length > 0,
                10000, `${name}: a trickle PATCH`);
            const patches = (await browser.stats(page)).patches;
            assert.ok(patches.every((s) => s === 204),
                      `PATCH statuses ${patches}`);
        }

        assert.equal(sessionsOf(await nodeA.status(), 'lobby').length, 2);
        assert.equal(sessionsOf(await nodeB.status(), 'dock').length, 2);
    });

    test('PATCH and DELETE reach the node that owns the session',
         async () => {
        const va = viewer('lobby');
        await va.connectRetry(20000);
        await va.waitKeyframe(20000);

        const id = va.session.split('/').pop();
        const ice = whep.iceOf(va.pc.localDescription.sdp);
        const etag = va.response.headers.etag;

        /* trickle through the front: 204 */
        let r = await whep.patch(front, va.session,
                                 whep.fragment(ice, { noCredentials: true,
                                                      end: true }), etag);
        assert.equal(r.status, 204, r.body);

        /* a stale ETag: 412 from the node that knows the session */
        r = await whep.patch(front, va.session, whep.fragment(ice),
                             '"stale"');
        assert.equal(r.status, 412, r.body);

        /* the same id under B's stream goes to B, which has no such session */
        r = await front.http('DELETE', `/cams/whep/dock/${id}`);
        assert.equal(r.status, 404);
        assert.ok(sessionsOf(await nodeA.status(), 'lobby')
                  .some((s) => s.id === id.slice(0, 8)));

        const before = sessionsOf(await nodeB.status(), 'dock').length;

        r = await va.close();
        assert.equal(r.status, 200);

        await waitFor(async () => !sessionsOf(await nodeA.status(), 'lobby')
                                   .some((s) => s.id === id.slice(0, 8)),
                      10000, 'the session gone from node A');
        assert.equal(sessionsOf(await nodeB.status(), 'dock').length, before);
    });

    test('node A restarts; node B\'s viewers play on', async () => {
        const vb = viewers[1];
        const pageB = browser.context.pages()
                      .find((p) => p.url().includes('/cams/whep/dock'));
        const offer = vb.pc.localDescription.sdp;

        /* the longest gap between node B's packets, from now on */
        let gap = 0;
        let last = vb.lastPacketAt;
        const timer = setInterval(() => {
            last = Math.max(last, vb.lastPacketAt);
            gap = Math.max(gap, Date.now() - last);
        }, 50);

        const framesBefore = (await browser.stats(pageB)).framesDecoded;
        const packetsBefore = vb.packets;

        try {
            await nodeA.stop();

            /* meanwhile A's streams are unreachable; B's are not */
            const r = await front.http('POST', '/cams/whep/lobby', offer,
                                       { 'Content-Type': 'application/sdp' });
            assert.equal(r.status, 502);

            await sleep(1000);
            await nodeA.start();

            /* A's viewers join again */
            const va = viewer('lobby');
            await va.connectRetry(20000);
            await va.waitKeyframe(20000);

            const pageA = browser.context.pages()
                          .find((p) => p.url().includes('/cams/whep/lobby'));
            await pageA.reload();
            await browser.waitPlaying(pageA, 20000);

            /*
             * A stop ends A's sessions at once now (not after its 3 s
             * worker_shutdown_timeout): all this may take under 2 s
             */
            await waitFor(() => vb.packets > packetsBefore + 50, 10000,
                          "node B's viewer's packets");

        } finally {
            clearInterval(timer);
        }

        /* B never stopped: packets and decoded frames throughout */
        assert.ok(gap < 1500, `node B's viewer had a ${gap} ms gap`);
        const framesAfter = (await browser.stats(pageB)).framesDecoded;
        assert.ok(framesAfter > framesBefore + 15,
                  `B's page decoded ${framesAfter - framesBefore} frames`);
        assert.equal((await browser.stats(pageB)).state, 'connected');
        assert.equal(sessionsOf(await nodeB.status(), 'dock').length, 2);
    });

    test('error logs are clean so far', () => {
        nodeA.checkLog();
        nodeB.checkLog();
        frontNgx.checkLog();
    });
});
