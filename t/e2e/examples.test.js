/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The configuration examples of examples/, as an administrator copies
 * them: each file is read from examples/ and only what the administrator
 * changes by hand is replaced (each string replaced must be in the file as
 * many times as said, so that the test fails when the example changes
 * under it):
 *
 *   - the module's path: load_module /usr/lib/nginx/modules/... becomes
 *     the built module (%%MODULE%%); the %%...%% values of
 *     nginx-demo.conf and ffmpeg-file.conf are filled in as their
 *     comments say (%%CLIP%%: the clip made by the comment's ffmpeg
 *     command, with only /srv/clip.mp4 replaced);
 *   - camera URLs (rtsp://...192.168.1.x...) become the test camera's;
 *   - certificate paths become those of a certificate made here
 *     (makeCert); tls.conf's htpasswd file one made here;
 *   - ports and addresses become the test's, in the namespace of
 *     t/lib/netns.sh (10.99.0.1 and 127.0.0.1): listen, upstream servers,
 *     allow, rtc_candidate, the origin's port (its name, origin.lan, is
 *     answered by a DNS server of the test: lib/dns.js), the resolver,
 *     the edge's rtc_udp_ports (the origin's range is in the same
 *     namespace), secure_link.conf's rtc_cors origin (the app's page);
 *   - the player pages the package installs under /usr/share/doc/ are
 *     the source tree's examples/;
 *   - for nginx run by the test (not for nginx -t): pid, error and access
 *     logs and temp paths in the test's prefix (%%TEST_GLOBALS%%,
 *     %%TEST_GLOBALS_HTTP%%), worker_processes auto -> 2.
 *
 * Two-host files (edge-origin.conf, reverse-proxy.conf): the second
 * configuration, commented out, is uncommented.  conf.d-rtc.conf is
 * tested inside Debian's /etc/nginx/nginx.conf, its modules-enabled/
 * include replaced by the package's load_module line (the module's path)
 * and its conf.d/ include by the example.  nginx -t also takes the
 * variants in the comments (conf.d's rtc_ice_deny list and rtc_io_uring,
 * tls.conf's rtc_candidate, the edge's wheps:// source) and cluster/
 * (its listen addresses replaced; cluster*.test.js run it).
 *
 * Then, end to end (werift viewers, Chromium with the example player, a
 * small auth service in node): auth_request.conf (2xx lets a POST
 * through, 401/403 refuse it, PATCH and DELETE are asked about too),
 * secure_link.conf (the signing recipe of its comment, run as written: a
 * signed link plays, also from the app's page of another origin; a bad,
 * missing or expired signature gets 403; the session's URL without the
 * query PATCHes and DELETEs), reverse-proxy.conf (a front nginx without
 * the module: the 201's Location works through it, the media goes direct,
 * rtc_candidate in the answer), edge-origin.conf (an edge pulls the
 * origin with its token, resolving the origin's name with its resolver;
 * no token: 401), tls.conf (basic auth; Chromium over HTTP/2; HTTP
 * redirects), conf.d-rtc.conf (WHEP, snapshot, metrics, both players in
 * Chromium from another host over plain HTTP; the status page for the
 * host only), ffmpeg-file.conf (the clip plays, with Opus),
 * nginx-demo.conf.  Needs t/lib/netns.sh.
 */

'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { execFileSync } = require('node:child_process');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { REPO, configTest, waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { httpClient } = require('./lib/cluster');
const { Viewer } = require('./lib/werift');
const { makeCert } = require('./lib/rtsp');
const { DnsServer } = require('./lib/dns');
const whep = require('./lib/whep');

const PORT = 23100;             /* the example's nginx */
const FRONT_PORT = 23101;       /* a front, an edge, the app, port 80 */
const AUTH_PORT = 23102;
const DNS_PORT = 23103;
const CAM_PORT = 23154;

const EXAMPLES = path.join(REPO, 'examples');
const MODULE_LINE = 'load_module /usr/lib/nginx/modules/'
                    + 'ngx_http_rtc_module.so;';


/*
 * The text of examples/file with pairs [from, to, times] replaced; each
 * "from" must be there "times" (1) times.
 */

function replaced(file, text, pairs) {
    for (const [from, to, times] of pairs) {
        const n = text.split(from).length - 1;
        if (n !== (times || 1)) {
            throw new Error(`examples/${file}: "${from}" is there ${n} `
                            + `times, not ${times || 1}`);
        }
        text = text.split(from).join(to);
    }
    return text;
}

function example(file, pairs) {
    return replaced(file, fs.readFileSync(path.join(EXAMPLES, file), 'utf8'),
                    pairs);
}


/* the admin's part: the module, certificates */

function moduleLine(run) {
    return [MODULE_LINE, run ? 'load_module %%MODULE%%;\n%%TEST_GLOBALS%%'
                             : 'load_module %%MODULE%%;'];
}

function certPairs(certs, name) {
    return [[`/etc/ssl/${name}/fullchain.pem`, certs.cert],
            [`/etc/ssl/${name}/privkey.pem`, certs.key]];
}

/* the test's part when it runs nginx: its prefix for logs and temp files */

function runPairs(text) {
    return text.replace(/^http \{$/m, 'http {\n    %%TEST_GLOBALS_HTTP%%')
               .replace(/^worker_processes auto;$/m, 'worker_processes 2;');
}


/*
 * The halves of a file of two configurations (edge-origin.conf,
 * reverse-proxy.conf): the text before the marker line, and the commented
 * configuration after it, uncommented.
 */

function halves(file, marker) {
    const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
    const at = text.indexOf(marker);
    assert.ok(at > 0, `examples/${file}: no "${marker}"`);

    const second = text.slice(at).split('\n').slice(1)
                   .map((l) => l.replace(/^# ?/, '')).join('\n');

    return [text.slice(0, at), second];
}


/* nginx -t of a rendered example: passes, or fails with its output */

function assertConfigOk(what, template) {
    const r = configTest(template);
    assert.equal(r.status, 0, `${what}: nginx -t:\n${r.stderr}`);
    assert.match(r.stderr, /test is successful/);
}


/* the answer's UDP candidates: [{ addr, port, typ }] */

function candidates(sdp) {
    return [...sdp.matchAll(
        /^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\S+)/mgi)]
        .map((m) => ({ addr: m[1], port: Number(m[2]), typ: m[3] }));
}


describe('the configuration examples', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: {
        size: '320x180', fps: 15, gop: 15, bitrate: 300,
    } });
    let certs;
    let cam;
    let tmp;
    let clip;

    before(async () => {
        await rig.start();
        cam = rig.cam.url;
        tmp = rig.tmpdir('nginx-rtc-examples-');
        certs = makeCert(tmp, 'cameras');

        /* the clip of ffmpeg-file.conf's comment, made as written there */
        clip = path.join(tmp, 'clip.mp4');
        const made = fs.readFileSync(path.join(EXAMPLES, 'ffmpeg-file.conf'),
                                     'utf8')
                     .match(/^# {3}ffmpeg [\s\S]*?[^\\]\n/m)[0]
                     .split('\n').map((l) => l.replace(/^# {3}/, ''))
                     .join('\n');
        execFileSync('bash', ['-c', replaced('ffmpeg-file.conf', made, [
            ['/srv/clip.mp4', clip], ['ffmpeg ', 'ffmpeg -loglevel error '],
        ])]);
    });

    after(() => rig.stop());

    /* Chromium, launched once (trusting the test's certificate) */
    async function chromium() {
        return rig.browser
               || rig.launchBrowser({ ignoreHTTPSErrors: true });
    }

    /* the example player: plays, trickles, Stop DELETEs the session */
    async function playerPlays(b, url) {
        const page = await b.open(url);
        const st = await b.waitPlaying(page, 20000);
        assert.equal(st.codec, 'video/H264');

        await waitFor(async () => (await b.stats(page)).patches.length > 0,
                      10000, 'a trickle PATCH');
        const patches = (await b.stats(page)).patches;
        assert.ok(patches.every((x) => x === 204), `PATCHes: ${patches}`);

        await page.click('#stop');
        await waitFor(async () => (await b.stats(page)).deleted, 5000,
                      'the DELETE of Stop');
        assert.equal((await b.stats(page)).deleted, 200);
        return page;
    }

    async function viewerOf(c, whepPath, name) {
        const v = rig.track(new Viewer(c, whepPath, { name }));
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);
        return v;
    }


    /* ---- the examples, as rendered for each test ---------------------- */

    function authRequest(run) {
        const t = example('auth_request.conf', [
            moduleLine(run),
            ['rtsp://192.168.1.20/stream1', cam],
            ['rtsp://192.168.1.21/h264', cam],
            ['server 127.0.0.1:9000;', `server 127.0.0.1:${AUTH_PORT};`],
            ['listen 443 ssl;', 'listen 127.0.0.1:%%PORT%% ssl;'],
            ...certPairs(certs, 'cameras.example.com'),
        ]);
        return run ? runPairs(t) : t;
    }

    function secureLink(run) {
        const t = example('secure_link.conf', [
            moduleLine(run),
            ['rtc_cors https://app.example.com;',
             `rtc_cors http://127.0.0.1:${FRONT_PORT};`],
            ['Access-Control-Allow-Origin https://app.example.com',
             `Access-Control-Allow-Origin http://127.0.0.1:${FRONT_PORT}`],
            ['rtsp://192.168.1.20/stream1', cam],
            ['listen 443 ssl;', 'listen 127.0.0.1:%%PORT%% ssl;'],
            ...certPairs(certs, 'cameras.example.com'),
        ]);
        return run ? runPairs(t) : t;
    }

    function reverseProxy(run) {
        const [rtc, front] = halves('reverse-proxy.conf',
                                    '# ---- the front proxy');
        const t1 = replaced('reverse-proxy.conf', rtc, [
            moduleLine(run),
            ['rtsp://192.168.1.20/stream1', cam],
            ['listen 10.0.0.5:8080;', 'listen 127.0.0.1:%%PORT%%;'],
            ['allow 10.0.0.1;', 'allow 127.0.0.1;'],
            ['rtc_candidate 203.0.113.10;', 'rtc_candidate 10.99.0.1;'],
        ]);
        const t2 = replaced('reverse-proxy.conf', front, [
            ['server 10.0.0.5:8080;', `server 127.0.0.1:${PORT};`],
            ['listen 443 ssl;', 'listen 127.0.0.1:%%PORT%% ssl;'],
            ...certPairs(certs, 'cameras.example.com'),
            ...(run ? [['worker_processes auto;',
                        '%%TEST_GLOBALS%%\nworker_processes auto;']] : []),
        ]);
        assert.doesNotMatch(t2, /^\s*(load_module|rtc_)/m,
                            'the front runs without the module');
        return run ? [runPairs(t1), runPairs(t2)] : [t1, t2];
    }

    function edgeOrigin(run) {
        const [origin, edge] = halves('edge-origin.conf',
                                      '# ---- edge: nginx.conf');
        const t1 = replaced('edge-origin.conf', origin, [
            moduleLine(run),
            ['rtsp://viewer:secret@192.168.1.20:554/stream1', cam],
            ['rtsp://192.168.1.21/h264', cam],
            ['listen 8080;', 'listen 127.0.0.1:%%PORT%%;'],
        ]);
        const t2 = replaced('edge-origin.conf', edge, [
            moduleLine(run),
            ['origin.lan:8080', `origin.lan:${PORT}`, 2],
            ['resolver      127.0.0.53 valid=30s;',
             `resolver      127.0.0.1:${DNS_PORT} valid=30s;`],
            /* the origin's range is in the same namespace here */
            ['rtc_udp_ports 40000-40999;', 'rtc_udp_ports 41000-41999;'],
            ['listen 80;', 'listen 127.0.0.1:%%PORT%%;'],
        ]);
        return run ? [runPairs(t1), runPairs(t2)] : [t1, t2];
    }

    function tls(run, htpasswd) {
        const t = example('tls.conf', [
            moduleLine(run),
            ['rtsp://viewer:secret@192.168.1.20:554/stream1', cam],
            ['rtsp://192.168.1.21/h264', cam],
            ['listen 80;', `listen 127.0.0.1:${FRONT_PORT};`],
            ['listen 443 ssl http2;', 'listen 127.0.0.1:%%PORT%% ssl http2;'],
            ...certPairs(certs, 'cameras.example.com'),
            ['/etc/nginx/cameras.htpasswd', htpasswd],
            /* the package's examples: the source tree's here */
            ['alias /usr/share/doc/libnginx-mod-http-rtc/examples/;',
             `alias ${EXAMPLES}/;`],
        ]);
        return run ? runPairs(t) : t;
    }


    /*
     * conf.d/rtc.conf, written into the test's directory; uncomment: with
     * its commented-out rtc_ directives
     */
    function confD(uncomment) {
        const file = path.join(tmp, 'rtc.conf');
        fs.writeFileSync(file, example('conf.d-rtc.conf', [
            ['rtsp://127.0.0.1:8554/cam', cam],
            ['listen 8080;', `listen ${PORT};`],
            /* the package's examples: the source tree's here */
            ['alias /usr/share/doc/libnginx-mod-http-rtc/examples/;',
             `alias ${EXAMPLES}/;`],
        ]).replace(/^#(rtc_)/mg, uncomment ? '$1' : '#$1'));
        return file;
    }

    function ffmpegFile() {
        return example('ffmpeg-file.conf', [
            ['%%CLIP%%', clip, 2],
            ['listen 127.0.0.1:8080;', 'listen 127.0.0.1:%%PORT%%;'],
        ]);
    }

    test('nginx -t of each example', () => {
        assertConfigOk('auth_request.conf', authRequest(false));
        assertConfigOk('secure_link.conf', secureLink(false));

        const [rtc, front] = reverseProxy(false);
        assertConfigOk('reverse-proxy.conf (nginx-rtc)', rtc);
        assertConfigOk('reverse-proxy.conf (front)', front);

        const [origin, edge] = edgeOrigin(false);
        assertConfigOk('edge-origin.conf (origin)', origin);
        assertConfigOk('edge-origin.conf (edge)', edge);

        assertConfigOk('tls.conf', tls(false, '/etc/nginx/cameras.htpasswd'));

        /* the variants in their comments */
        assertConfigOk('tls.conf (rtc_candidate)', replaced('tls.conf',
            tls(false, '/etc/nginx/cameras.htpasswd'),
            [['# rtc_candidate', 'rtc_candidate']]));
        assertConfigOk('edge-origin.conf (edge, wheps://)', replaced(
            'edge-origin.conf', edge.replace(/^ *rtc_stream +front whep:.*$/m,
                                             ''), [
                ['# rtc_stream  front wheps:', 'rtc_stream  front wheps:'],
                ['#                   token=', '                  token='],
                ['# rtc_source_ssl_verify', 'rtc_source_ssl_verify'],
                ['# rtc_source_ssl_trusted', 'rtc_source_ssl_trusted'],
            ]));

        /* the package's load_module line, Debian's nginx.conf around it */
        for (const uncomment of [false, true]) {
            const confd = confD(uncomment);
            const debian = replaced('nginx.conf',
                                    fs.readFileSync('/etc/nginx/nginx.conf',
                                                    'utf8'), [
                ['include /etc/nginx/modules-enabled/*.conf;',
                 'load_module %%MODULE%%;'],
                ['include /etc/nginx/conf.d/*.conf;', `include ${confd};`],
            ]);
            assertConfigOk(`conf.d-rtc.conf (uncommented: ${uncomment})`,
                           debian);
        }

        assertConfigOk('nginx-demo.conf', example('nginx-demo.conf', []));

        assertConfigOk('ffmpeg-file.conf', ffmpegFile());

        for (const f of fs.readdirSync(path.join(EXAMPLES, 'cluster'))) {
            if (!f.endsWith('.conf')) {
                continue;
            }
            /* run by cluster*.test.js; here only their listen addresses */
            const t = fs.readFileSync(path.join(EXAMPLES, 'cluster', f),
                                      'utf8')
                      .split(MODULE_LINE).join('load_module %%MODULE%%;')
                      .replace(/listen 10\.[0-9.]+:/g, 'listen 127.0.0.1:')
                      .replace(/\/etc\/ssl\/[^/]+\/fullchain\.pem/g,
                               certs.cert)
                      .replace(/\/etc\/ssl\/[^/]+\/privkey\.pem/g, certs.key);
            assertConfigOk(`cluster/${f}`, t);
        }
    });


    const SDP = { 'Content-Type': 'application/sdp' };
    const SESSION = /^\/whep\/front\/[0-9a-f]{32}$/;

    test('auth_request.conf: the service lets through or refuses',
         async () => {
        const seen = [];
        const auth = http.createServer((req, res) => {
            const a = req.headers.authorization;
            seen.push({ path: req.url,
                        method: req.headers['x-original-method'],
                        uri: req.headers['x-original-uri'],
                        length: req.headers['content-length'] });
            res.writeHead(a === 'Bearer good' ? 204
                          : a === 'Bearer bad' ? 403 : 401);
            res.end();
        });
        await new Promise((resolve) =>
            auth.listen(AUTH_PORT, '127.0.0.1', resolve));
        rig.defer(() => auth.close());

        const ngx = await rig.add({ port: PORT, conf: authRequest(true) });
        const tlsOpts = { tls: true, ca: fs.readFileSync(certs.cert) };
        const good = httpClient(PORT, Object.assign(
            { headers: { Authorization: 'Bearer good' } }, tlsOpts));
        const bad = httpClient(PORT, Object.assign(
            { headers: { Authorization: 'Bearer bad' } }, tlsOpts));
        const anon = httpClient(PORT, tlsOpts);

        const v = await viewerOf(good, '/whep/front', 'viewer with a token');
        assert.match(v.session, SESSION);
        assert.ok(seen.some((a) => a.path === '/check' && a.method === 'POST'
                                   && a.uri === '/whep/front'
                                   && a.length === undefined),
                  JSON.stringify(seen));

        const offer = v.pc.localDescription.sdp;
        let r = await anon.http('POST', '/whep/yard', offer, SDP);
        assert.equal(r.status, 401);
        r = await bad.http('POST', '/whep/yard', offer, SDP);
        assert.equal(r.status, 403);

        /* the session's URL: asked about too, then PATCH and DELETE */
        const frag = whep.fragment(whep.iceOf(offer),
                                   { noCredentials: true, end: true });
        r = await whep.patch(anon, v.session, frag, '*');
        assert.equal(r.status, 401);
        r = await whep.patch(good, v.session, frag, '*');
        assert.equal(r.status, 204, r.body);
        assert.ok(seen.some((a) => a.method === 'PATCH'
                                   && a.uri === v.session));

        const session = v.session;
        r = await anon.http('DELETE', session);
        assert.equal(r.status, 401);
        r = await v.close();
        assert.equal(r.status, 200);
        r = await good.http('DELETE', session);
        assert.equal(r.status, 404);

        await ngx.stop();
    });

    test('secure_link.conf: a signed link plays; bad or expired: 403',
         async () => {
        const text = fs.readFileSync(path.join(EXAMPLES, 'secure_link.conf'),
                                     'utf8');

        /* the signing recipe of the comment, as written */
        const recipe = text.match(/^# {3}expires=[\s\S]*?^# {3}echo .*$/m)[0]
                       .split('\n').map((l) => l.replace(/^# {3}/, ''))
                       .join('\n');
        const link = new URL(execFileSync('bash', ['-c', recipe],
                                          { encoding: 'utf8' }).trim());
        assert.equal(link.pathname, '/whep/front');

        const sign = (expires) => crypto.createHash('md5')
                     .update(`${expires}/whep/front s3cret`).digest('base64')
                     .replace(/\+/g, '-').replace(/\//g, '_')
                     .replace(/=/g, '');
        assert.equal(link.searchParams.get('md5'),
                     sign(link.searchParams.get('expires')));

        const ngx = await rig.add({ port: PORT, conf: secureLink(true) });
        const app = `http://127.0.0.1:${FRONT_PORT}`;
        const c = httpClient(PORT, { tls: true,
                                     ca: fs.readFileSync(certs.cert),
                                     headers: { Origin: app } });

        const v = await viewerOf(c, link.pathname + link.search,
                                 'viewer of a signed link');
        assert.match(v.response.headers.location, SESSION);
        assert.equal(v.response.headers['access-control-allow-origin'], app);
        assert.match(v.response.headers['access-control-expose-headers'],
                     /Location/);

        const offer = v.pc.localDescription.sdp;
        const past = Math.floor(Date.now() / 1000) - 10;
        for (const q of [
            '',                                             /* unsigned */
            link.search.replace(/md5=./, 'md5=A'),          /* bad */
            `?md5=${sign(past)}&expires=${past}`,           /* expired */
        ]) {
            const r = await c.http('POST', `/whep/front${q}`, offer, SDP);
            assert.equal(r.status, 403, q);
            assert.equal(r.headers['access-control-allow-origin'], app);
        }

        /* a preflight of the app's page */
        let r = await c.http('OPTIONS', '/whep/front', null, {
            'Access-Control-Request-Method': 'POST',
        });
        assert.equal(r.status, 204);
        assert.equal(r.headers['access-control-allow-origin'], app);

        /* the session's URL, without the query */
        const frag = whep.fragment(whep.iceOf(offer),
                                   { noCredentials: true, end: true });
        r = await whep.patch(c, v.session, frag, v.response.headers.etag);
        assert.equal(r.status, 204, r.body);
        r = await v.close();
        assert.equal(r.status, 200);

        /*
         * the app's page (the example player, served by the app's
         * origin) with the signed link: cross-origin POST, PATCH, DELETE
         */
        const player = fs.readFileSync(path.join(EXAMPLES,
                                                 'whep-player.html'));
        const site = http.createServer((req, res) => {
            res.writeHead(200, { 'Content-Type': 'text/html' });
            res.end(player);
        });
        await new Promise((resolve) =>
            site.listen(FRONT_PORT, '127.0.0.1', resolve));
        rig.defer(() => site.close());

        const src = `https://127.0.0.1:${PORT}/whep/front${link.search}`;
        const b = await chromium();
        await playerPlays(b, `${app}/whep-player.html?src=`
                          + `${encodeURIComponent(src)}&trickle=1`);

        /* an expired link: the page can read the 403 (not a CORS error) */
        const old = `https://127.0.0.1:${PORT}/whep/front`
                    + `?md5=${sign(past)}&expires=${past}`;
        const page = await b.open(`${app}/whep-player.html?src=`
                                  + encodeURIComponent(old));
        const err = await waitFor(async () => (await b.stats(page)).error,
                                  10000, 'the player\'s error');
        assert.match(err, /^403/);
        site.close();
        site.closeAllConnections();

        await ngx.stop();
    });

    test('reverse-proxy.conf: WHEP through the front, media direct',
         async () => {
        const [rtcConf, frontConf] = reverseProxy(true);
        const rtc = await rig.add({ port: PORT, conf: rtcConf });
        const front = await rig.add({ port: FRONT_PORT, conf: frontConf });
        const c = httpClient(FRONT_PORT,
                         { tls: true, ca: fs.readFileSync(certs.cert) });

        const v = await viewerOf(c, '/whep/front', 'viewer through a front');

        /* the Location works through the front */
        assert.match(v.response.headers.location, SESSION);

        /* the media: to rtc_candidate, on a port of rtc_udp_ports */
        const cands = candidates(v.answer);
        assert.ok(cands.length > 0, v.answer);
        assert.ok(cands.some((x) => x.typ === 'srflx'
                                    && x.addr === '10.99.0.1'), v.answer);
        for (const x of cands) {
            assert.ok(x.port >= 40000 && x.port <= 40999, v.answer);
        }

        const offer = v.pc.localDescription.sdp;
        let r = await whep.patch(c, v.session,
                                 whep.fragment(whep.iceOf(offer),
                                               { noCredentials: true }),
                                 v.response.headers.etag);
        assert.equal(r.status, 204, r.body);

        const session = v.session;
        r = await v.close();
        assert.equal(r.status, 200);
        r = await c.http('DELETE', session);
        assert.equal(r.status, 404);

        /* the nginx-rtc host: for the front only */
        r = await new Promise((resolve, reject) => {
            const req = http.request({ host: '127.0.0.1', port: PORT,
                                       method: 'POST', path: '/whep/front',
                                       localAddress: '10.99.0.1',
                                       headers: SDP, agent: false },
                                     (res) => { res.resume(); resolve(res); });
            req.on('error', reject);
            req.end(offer);
        });
        assert.equal(r.statusCode, 403);

        await front.stop();
        await rtc.stop();
    });

    test('edge-origin.conf: an edge pulls the origin with its token',
         async () => {
        const dns = await new DnsServer({ 'origin.lan': '127.0.0.1' })
                        .start(DNS_PORT);
        rig.defer(() => dns.stop());

        const [originConf, edgeConf] = edgeOrigin(true);
        const origin = await rig.add({ port: PORT, conf: originConf });
        const edge = await rig.add({ port: FRONT_PORT, conf: edgeConf });

        const v = await viewerOf(httpClient(FRONT_PORT), '/whep/front',
                                 'viewer of the edge');
        assert.ok(dns.queries['origin.lan'] > 0, 'the resolver was asked');

        /* one session at the origin: the edge's */
        const st = await origin.status();
        assert.equal(st.sessions.filter((s) => s.stream === 'front').length,
                     1, JSON.stringify(st.sessions));

        /* without the token, the origin refuses */
        const r = await httpClient(PORT).http('POST', '/whep/front',
                                          v.pc.localDescription.sdp, SDP);
        assert.equal(r.status, 401);

        /* the edge's player page and status */
        const page = await httpClient(FRONT_PORT).http('GET', '/rtc/');
        assert.equal(page.status, 200);
        assert.match(page.headers['content-type'], /^text\/html/);
        assert.equal((await edge.status()).streams
                     .find((s) => s.name === 'front').viewers, 1);

        assert.equal((await v.close()).status, 200);

        /*
         * yard (idle=10s): two viewers of the edge, one session at the
         * origin, DELETEd 10 s after the last viewer left
         */
        const y1 = await viewerOf(httpClient(FRONT_PORT), '/whep/yard', 'y1');
        const y2 = await viewerOf(httpClient(FRONT_PORT), '/whep/yard', 'y2');
        const yards = async () => (await origin.status()).sessions
                                  .filter((x) => x.stream === 'yard').length;
        assert.equal(await yards(), 1);

        await y1.close();
        await y2.close();
        const left = Date.now();
        await waitFor(async () => await yards() === 0, 20000,
                      'the edge\'s yard session gone from the origin');
        const idle = Date.now() - left;
        assert.ok(idle > 9000, `DELETEd after ${idle} ms`);

        await edge.stop();
        await origin.stop();
    });

    test('tls.conf: basic auth over HTTPS; HTTP redirects', async () => {
        const htpasswd = path.join(tmp, 'cameras.htpasswd');
        const hash = execFileSync('openssl', ['passwd', '-apr1', 'pw'],
                                  { encoding: 'utf8' }).trim();
        fs.writeFileSync(htpasswd, `viewer:${hash}\n`);

        const ngx = await rig.add({ port: PORT, conf: tls(true, htpasswd) });
        const tlsOpts = { tls: true, ca: fs.readFileSync(certs.cert) };
        const basic = 'Basic ' + Buffer.from('viewer:pw').toString('base64');
        const c = httpClient(PORT, Object.assign(
            { headers: { Authorization: basic } }, tlsOpts));

        const v = await viewerOf(c, '/whep/front', 'viewer with a password');
        assert.match(v.response.headers['strict-transport-security'],
                     /max-age=/);

        let r = await httpClient(PORT, tlsOpts).http(
            'POST', '/whep/front', v.pc.localDescription.sdp, SDP);
        assert.equal(r.status, 401);

        r = await httpClient(FRONT_PORT).http('GET', '/whep/front');
        assert.equal(r.status, 301);
        assert.equal(r.headers.location, 'https://127.0.0.1/whep/front');

        r = await c.http('GET', '/player/whep-player.html');
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'], /^text\/html/);
        r = await c.http('GET', '/rtc/status');
        assert.equal(r.status, 200);

        /* Chromium, given the password as to a prompt: over HTTP/2 */
        const b = await chromium();
        await b.context.setHTTPCredentials({ username: 'viewer',
                                             password: 'pw' });
        try {
            const page = await playerPlays(b, `https://127.0.0.1:${PORT}`
                + '/player/whep-player.html?src=/whep/front&trickle=1');
            assert.equal(await page.evaluate(
                () => performance.getEntriesByType('navigation')[0]
                      .nextHopProtocol), 'h2');
        } finally {
            await b.context.setHTTPCredentials(null);
        }

        assert.equal((await v.close()).status, 200);
        await ngx.stop();
    });


    test('conf.d-rtc.conf: WHEP, snapshot, metrics, both players',
         async () => {
        const ngx = await rig.add({ port: PORT, conf: `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 2;
events { worker_connections 768; }
http {
    %%TEST_GLOBALS_HTTP%%
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    include ${confD()};
}
` });
        const c = httpClient(PORT);
        const v = await viewerOf(c, '/whep/cam', 'viewer of conf.d');

        let r = await waitFor(async () => {
            const x = await c.http('GET', '/snap/cam.jpg?width=320');
            return x.status === 200 ? x : null;
        }, 10000, 'a snapshot');
        assert.equal(r.headers['content-type'], 'image/jpeg');

        for (const p of ['/rtc/metrics', '/rtc/status', '/rtc/player/',
                         '/player/whep-player.html']) {
            r = await c.http('GET', p);
            assert.equal(r.status, 200, p);
        }

        /*
         * the player pages from another host, over plain HTTP (not a
         * secure context): Chromium decodes
         */
        const b = await chromium();
        for (const p of ['/player/whep-player.html?src=/whep/cam',
                         '/rtc/player/?stream=cam']) {
            const page = await b.open(`http://10.99.0.1:${PORT}${p}`);
            assert.equal(await page.evaluate(() => window.isSecureContext),
                         false);
            /* the status page is for the host only */
            assert.equal(await page.evaluate(async () =>
                (await fetch('/rtc/status')).status), 403);
            if (p.startsWith('/player/')) {
                const st = await b.waitPlaying(page, 20000);
                assert.equal(st.codec, 'video/H264');
            } else {
                await waitFor(() => page.evaluate(() =>
                    [...document.querySelectorAll('video')].some((e) =>
                        e.getVideoPlaybackQuality().totalVideoFrames > 0)),
                    20000, 'a frame in the grid player');
            }
        }

        assert.equal((await v.close()).status, 200);
        await ngx.stop();
    });

    test('ffmpeg-file.conf: the clip plays, with Opus', async () => {
        const ngx = await rig.add({ port: PORT, conf: ffmpegFile() });
        const c = httpClient(PORT);
        const v = rig.track(new Viewer(c, '/whep/clip',
                                       { name: 'viewer of the clip',
                                         audio: true }));
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);
        assert.match(v.answer, /^a=rtpmap:\d+ opus\/48000/m);

        const r = await c.http('GET', '/player/whep-player.html');
        assert.equal(r.status, 200);

        assert.equal((await v.close()).status, 200);
        await ngx.stop();
    });


    test('nginx-demo.conf: the camera plays; status, player page',
         async () => {
        const ngx = await rig.add({ port: PORT,
                                    conf: example('nginx-demo.conf', []) });
        const v = await viewerOf(httpClient(PORT), '/whep/cam', 'demo viewer');

        assert.equal((await ngx.status()).streams
                     .find((x) => x.name === 'cam').viewers, 1);
        const r = await httpClient(PORT).http('GET',
                                              '/player/whep-player.html');
        assert.equal(r.status, 200);

        assert.equal((await v.close()).status, 200);
        await ngx.stop();
    });
});
