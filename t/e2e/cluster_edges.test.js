/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * examples/cluster/front-edges.conf, run as written (addresses, ports and
 * certificates replaced): a front nginx without the module that spreads
 * offers for one stream over two edges serving the same stream, names
 * the edge in each session's Location (proxy_redirect with
 * $upstream_addr), and routes PATCH and DELETE of the session to that
 * edge.  The edges here pull one camera over RTSP; edges pulling from
 * an origin over WHEP route the same.  Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Viewer } = require('./lib/werift');
const { makeCert } = require('./lib/rtsp');
const { Rig, conf } = require('./lib/rig');
const { fromExample, frontClient } = require('./lib/cluster');
const whep = require('./lib/whep');

const FRONT_PORT = 21180;
const EDGE_PORTS = [21181, 21182];
const CAM_PORT = 21654;

const SESSION_RE = /^\/whep\/@(e[12])\/cam\/([0-9a-f]{32})$/;


function frontConf(certs) {
    return fromExample('front-edges.conf', [
        ['worker_processes auto;', '%%TEST_GLOBALS%%\nworker_processes 1;'],
        ['http {', 'http {\n    %%TEST_GLOBALS_HTTP%%'],
        ['server 10.0.2.11:8080;', `server 127.0.0.1:${EDGE_PORTS[0]};`],
        ['server 10.0.2.12:8080;', `server 127.0.0.1:${EDGE_PORTS[1]};`],
        ['"~(^|, )10\\.0\\.2\\.11:8080$"',
         `"~(^|, )127\\.0\\.0\\.1:${EDGE_PORTS[0]}$"`],
        ['"~(^|, )10\\.0\\.2\\.12:8080$"',
         `"~(^|, )127\\.0\\.0\\.1:${EDGE_PORTS[1]}$"`],
        ['e1    10.0.2.11:8080;', `e1    127.0.0.1:${EDGE_PORTS[0]};`],
        ['e2    10.0.2.12:8080;', `e2    127.0.0.1:${EDGE_PORTS[1]};`],
        ['listen 443 ssl;', 'listen 127.0.0.1:%%PORT%% ssl;'],
        ['/etc/ssl/live.example.com/fullchain.pem', certs.cert],
        ['/etc/ssl/live.example.com/privkey.pem', certs.key],
    ]);
}


function sessionIds(st) {
    return st.sessions.filter((s) => s.stream === 'cam').map((s) => s.id);
}


describe('a front nginx and two edges of one stream', { timeout: 90000 },
         () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: {
        size: '320x180', fps: 15, gop: 15, bitrate: 300,
    } });
    let front;
    let frontNgx;
    const edges = [];
    const viewers = rig.viewers;

    before(async () => {
        await rig.start();
        const certs = makeCert(rig.tmpdir('nginx-rtc-edges-'), 'front');

        for (const port of EDGE_PORTS) {
            edges.push(await rig.add({ port, conf: conf({ workers: 2 }) }));
        }

        /* the last added: stopped first */
        frontNgx = await rig.add({ port: FRONT_PORT, workers: 1,
                                   conf: frontConf(certs) });

        front = frontClient(FRONT_PORT, fs.readFileSync(certs.cert), null);
    });

    after(() => rig.stop());

    test('offers spread over the edges; the Location names the edge',
         async () => {
        for (let i = 0; i < 4; i++) {
            const v = new Viewer(front, '/whep/cam', { name: `viewer ${i}` });
            viewers.push(v);
            await v.connectRetry(20000);
            assert.match(v.session, SESSION_RE);
        }

        for (const v of viewers) {
            await v.waitKeyframe(20000);
        }

        /* each session is in the edge its label names, and only there */
        const st = [await edges[0].status(), await edges[1].status()];
        const labels = new Set();

        for (const v of viewers) {
            const [, label, id] = v.session.match(SESSION_RE);
            const i = label === 'e1' ? 0 : 1;
            labels.add(label);
            assert.ok(sessionIds(st[i]).includes(id.slice(0, 8)),
                      `${v.session} in edge ${label}`);
            assert.ok(!sessionIds(st[1 - i]).includes(id.slice(0, 8)));
        }

        assert.deepEqual([...labels].sort(), ['e1', 'e2']);
    });

    test('PATCH and DELETE go to the session\'s edge', async () => {
        for (const v of viewers.slice(0, 2)) {
            const [, label, id] = v.session.match(SESSION_RE);
            const edge = edges[label === 'e1' ? 0 : 1];
            const ice = whep.iceOf(v.pc.localDescription.sdp);
            const trickle = whep.fragment(ice, { end: true,
                                                 noCredentials: true });

            let r = await whep.patch(front, v.session, trickle,
                                     v.response.headers.etag);
            assert.equal(r.status, 204, r.body);

            r = await whep.patch(front, v.session, whep.fragment(ice),
                                 '"stale"');
            assert.equal(r.status, 412, r.body);

            /* the other edge, and no edge, know nothing of it */
            const other = label === 'e1' ? 'e2' : 'e1';
            r = await front.http('DELETE', `/whep/@${other}/cam/${id}`);
            assert.equal(r.status, 404);
            r = await front.http('DELETE', `/whep/@e7/cam/${id}`);
            assert.equal(r.status, 404);

            r = await v.close();
            assert.equal(r.status, 200);

            await waitFor(async () =>
                !sessionIds(await edge.status()).includes(id.slice(0, 8)),
                10000, `${v.session} gone from its edge`);
        }

        /* the others play on */
        for (const v of viewers.slice(2)) {
            await v.waitPackets(20, 10000);
        }
    });

    test('error logs are clean so far', () => {
        frontNgx.checkLog();
        edges.forEach((e) => e.checkLog());
    });
});
