/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The WHEP session resource (RFC 9725, 4.3): PATCH with an SDP fragment
 * (RFC 8840) for trickled candidates (204) and an ICE restart (200 with
 * our new credentials, a new ETag), If-Match (412), 415, 413, 404; PATCH
 * answered by the session's worker through the zone's mailbox whichever
 * worker takes it (4 workers, reuseport spreads the connections), and 504
 * when that worker does not answer.  Also: Accept-Patch, Link (ICE
 * servers), CORS and the per-stream session limit.  Needs t/lib/netns.sh.
 */

'use strict';

const http = require('node:http');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, sleep, request } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');
const whep = require('./lib/whep');

const PORT = 19480;
const CAM_PORT = 19454;

const SDP = { 'Content-Type': 'application/sdp' };
const OFFER = withoutCandidates(CHROMIUM_OFFER);

const CONF = conf({
    listen: ' reuseport',
    http: `
    rtc_stream one  rtsp://127.0.0.1:%%CAMPORT%%/cam max_sessions=1;

    rtc_ice_server stun:stun.example.net;
    rtc_ice_server turn:turn.example.net:3478?transport=udp
                   username=viewer "credential=se\\"cret";`,
    server: `
        location /cors/        { rtc_whep; rtc_cors https://app.example; }
        location /any/         { rtc_whep; rtc_cors *; }
        location = /pid        { return 200 $pid; }`,
});


const ETAG = /^"[0-9a-f]{32}-(\d+)"$/;


function camStream(st) {
    return st.streams.find((s) => s.name === 'cam');
}


/*
 * A connection to a worker other than pid: reuseport gives each new
 * connection to a worker by its addresses; a kept-alive one stays there.
 */

async function connectionAvoiding(pid) {
    for (let i = 0; i < 100; i++) {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const r = await request(PORT, 'GET', '/pid', null, {}, 5000, agent);

        if (Number(r.body) !== pid) {
            return agent;
        }

        agent.destroy();
    }

    throw new Error(`every connection went to worker ${pid}`);
}


describe('WHEP PATCH, ETag, CORS, ICE servers, limits', { timeout: 120000 },
         () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;
    let v;
    let etag;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;
    });

    after(async () => {
        if (v) {
            await v.close().catch(() => {});
        }
        await rig.stop();
    });

    test('201: ETag, Accept-Patch, Link for the ICE servers', async () => {
        v = new Viewer(ngx, '/whep/cam', { name: 'werift' });
        const r = await v.connectRetry(20000);

        assert.equal(r.status, 201);
        assert.match(r.headers.etag || '', ETAG);
        assert.equal(r.headers.etag.match(ETAG)[1], '0');
        assert.equal(r.headers['accept-patch'], whep.FRAG_TYPE);
        assert.match(v.session, /^\/whep\/cam\/[0-9a-f]{32}$/);

        const l = whep.links(r.headers);
        assert.deepEqual(l, [
            { url: 'stun:stun.example.net', username: undefined,
              credential: undefined, credentialType: undefined },
            { url: 'turn:turn.example.net:3478?transport=udp',
              username: 'viewer', credential: 'se"cret',
              credentialType: 'password' },
        ]);

        etag = r.headers.etag;
        await v.waitKeyframe(20000);
    });

    test('OPTIONS: Accept-Post, Accept-Patch, Link', async () => {
        const r = await ngx.http('OPTIONS', '/whep/cam');
        assert.equal(r.status, 204);
        assert.match(r.headers['accept-post'] || '', /application\/sdp/);
        assert.equal(r.headers['accept-patch'], whep.FRAG_TYPE);
        assert.equal(whep.links(r.headers).length, 2);
        assert.equal(r.headers['access-control-allow-origin'], undefined);
    });

    test('PATCH errors: 415, 404, 412, 413, 400', async () => {
        const ice = whep.iceOf(v.pc.localDescription.sdp);
        const frag = whep.fragment(ice);
        let r;

        r = await whep.patch(ngx, v.session, frag, etag, 'application/sdp');
        assert.equal(r.status, 415, r.body);

        r = await whep.patch(ngx, '/whep/cam/' + '0'.repeat(32), frag, etag);
        assert.equal(r.status, 404, r.body);

        r = await whep.patch(ngx, '/whep/cam', frag, etag);
        assert.equal(r.status, 404, r.body);

        r = await whep.patch(ngx, v.session, frag, '"nope"');
        assert.equal(r.status, 412, r.body);
        assert.equal(r.headers.etag, etag, 'the current ETag');

        r = await whep.patch(ngx, v.session, frag + 'a=x:'
                             + 'y'.repeat(17000) + '\r\n', etag);
        assert.equal(r.status, 413, r.body);

        r = await whep.patch(ngx, v.session,
                             'm=video nine UDP/TLS/RTP/SAVPF 0\r\n', etag);
        assert.equal(r.status, 400, r.body);
        assert.match(r.body, /bad SDP fragment/);
    });

    test('trickle: 204 from every worker, through the mailbox', async () => {
        const ice = whep.iceOf(v.pc.localDescription.sdp);
        const owner = (await ngx.status()).sessions[0].pid;

        /* the viewer's own candidates again, and an end-of-candidates */
        const frag = whep.fragment(ice, { end: true });

        for (let i = 0; i < 24; i++) {
            const r = await whep.patch(ngx, v.session, frag,
                                       i % 2 ? etag : undefined);
            assert.equal(r.status, 204, r.body);
            assert.equal(r.headers.etag, etag);
            assert.equal(r.body, '');
        }

        const pids = new Set(ngx.accessLog()
                             .filter((l) => /^PATCH /.test(l.request)
                                            && l.status === 204)
                             .map((l) => l.pid));

        assert.ok(pids.has(owner) || pids.size > 1,
                  `PATCH served by ${[...pids]}`);
        assert.ok([...pids].some((p) => p !== owner),
                  `some PATCH from another worker than ${owner}`);

        await v.waitPackets(20, 10000);
    });

    test('ICE restart: 200, new credentials and ETag, media goes on',
         async () => {
        const pc = v.pc;
        const before = whep.iceOf(v.answer);

        await pc.setLocalDescription(await pc.createOffer({
            iceRestart: true }));
        await waitFor(() => pc.iceGatheringState === 'complete', 5000,
                      'werift gathering after restart');

        /* RFC 9725, 4.3.2: a restart says If-Match: * */
        const ice = whep.iceOf(pc.localDescription.sdp);
        const r = await whep.patch(ngx, v.session, whep.fragment(ice), '*');

        assert.equal(r.status, 200, r.body);
        assert.equal(r.headers['content-type'], whep.FRAG_TYPE);
        assert.match(r.headers.etag || '', ETAG);
        assert.equal(r.headers.etag.match(ETAG)[1], '1');

        const ours = whep.parseFragment(r.body);
        assert.ok(ours.ufrag && ours.pwd, r.body);
        assert.notEqual(ours.ufrag, before.ufrag);
        assert.ok(ours.candidates.length > 0, r.body);
        assert.match(r.body, /a=end-of-candidates/);

        await pc.setRemoteDescription({
            type: 'answer',
            sdp: whep.withCredentials(v.answer, ours.ufrag, ours.pwd),
        });

        const old = etag;
        etag = r.headers.etag;

        const r2 = await whep.patch(ngx, v.session, whep.fragment(ice), old);
        assert.equal(r2.status, 412, 'the old ETag is stale');


        await v.waitPackets(50, 15000);
        await sleep(1500);
        await v.waitPackets(25, 10000);
    });

    test('504 when the session\'s worker does not answer', async () => {
        const owner = (await ngx.status()).sessions[0].pid;
        const ice = whep.iceOf(v.pc.localDescription.sdp);

        /*
         * The PATCH goes on a connection to another worker, found before
         * the stop: the owner stays stopped for the 2 s that worker waits
         * for it, not for retries of connections that landed on the owner
         * itself (a test of 504, not of a long stall: 20 s without the
         * viewer's RTCP would end the session).
         */

        const agent = await connectionAvoiding(owner);
        let r;

        process.kill(owner, 'SIGSTOP');

        try {
            r = await request(PORT, 'PATCH', v.session, whep.fragment(ice),
                              { 'Content-Type': whep.FRAG_TYPE }, 10000,
                              agent);
        } finally {
            process.kill(owner, 'SIGCONT');
            agent.destroy();
        }

        assert.equal(r.status, 504, r.body);

        /* the owner answers again */
        await waitFor(async () => (await whep.patch(ngx, v.session,
                                   whep.fragment(ice), etag)).status === 204,
                      10000, '204 after SIGCONT');
        await v.waitPackets(20, 10000);
    });

    test('DELETE: 200, then PATCH 404', async () => {
        const session = v.session;
        const r = await v.close();
        v = null;
        assert.equal(r.status, 200, r.body);

        const r2 = await whep.patch(ngx, session, 'a=end-of-candidates\r\n');
        assert.equal(r2.status, 404, r2.body);

        await waitFor(async () => camStream(await ngx.status()).viewers === 0,
                      10000, '0 viewers');
    });

    test('ICE restarts: 3 in 30 s, then 429', async () => {
        /*
         * each restart names new candidates for the agent to check: a
         * session could have any number of addresses probed without a
         * bound
         */
        const r = await ngx.http('POST', '/whep/cam', OFFER, SDP);
        assert.equal(r.status, 201, r.body);

        const ice = whep.iceOf(OFFER);

        for (let i = 0; i < 4; i++) {
            const frag = whep.fragment(Object.assign({}, ice, {
                ufrag: `rst${i}` + ice.ufrag,
                pwd: `${i}`.repeat(24),
            }));
            const p = await whep.patch(ngx, r.headers.location, frag, '*');

            if (i < 3) {
                assert.equal(p.status, 200, p.body);
            } else {
                assert.equal(p.status, 429, p.body);
                assert.match(p.body, /ICE restarts: 3 in 30 seconds at most/);
                assert.equal(p.headers['retry-after'], '30');
            }
        }

        const d = await ngx.http('DELETE', r.headers.location);
        assert.equal(d.status, 200, d.body);
    });

    /*
     * MediaMTX's reader.js: every candidate gathered before the 201 in one
     * PATCH, each section with the offer's whole m= line, If-Match: *; any
     * answer but 204 tears the player down (and it retries every 2 s).  A
     * host with VPN, docker and IPv6 addresses gives Chromium ~25 of them
     * per section; 30 here, in two sections, and a third fragment with
     * candidates before any m= line.
     */
    test('a PATCH of 60 candidates and long m= lines: 204', async () => {
        const r = await ngx.http('POST', '/whep/cam', OFFER, SDP);
        assert.equal(r.status, 201, r.body);

        const ice = whep.iceOf(OFFER);
        /* the offer's m= lines, made 200 bytes long with more formats */
        const mlines = OFFER.split('\r\n').filter((l) => l.startsWith('m='))
            .map((m) => {
                for (let pt = 50; m.length < 200; pt++) {
                    m += ` ${pt}`;
                }
                return m;
            });

        const cands = (sec) => Array.from({ length: 30 }, (_, i) =>
            `a=candidate:${4000000000 + sec * 100 + i} 1 udp 2122260223 `
            + `10.${sec + 77}.${i}.1 ${40000 + i} typ host generation 0 `
            + `ufrag ${ice.ufrag} network-id ${i + 1} network-cost 10`);

        let frag = `a=ice-ufrag:${ice.ufrag}\r\na=ice-pwd:${ice.pwd}\r\n`;
        mlines.slice(0, 2).forEach((m, sec) => {
            frag += `${m}\r\na=mid:${sec}\r\n${cands(sec).join('\r\n')}\r\n`;
        });

        assert.ok(frag.length > 4096 && frag.length <= 16384,
                  `fragment of ${frag.length} bytes`);

        const p = await whep.patch(ngx, r.headers.location, frag, '*');
        assert.equal(p.status, 204, p.body);

        const DROPPED = new RegExp('rtc whep PATCH: 28 candidate\\(s\\) past '
                                   + 'the limits \\(16 a section, 32 a '
                                   + 'request\\) dropped, 32 taken');
        await waitFor(() => DROPPED.test(ngx.logText()),
                      5000, 'the info line of the dropped candidates');

        /* candidates before any m= line: taken, not dropped silently */

        const p2 = await whep.patch(ngx, r.headers.location,
                                    `a=ice-ufrag:${ice.ufrag}\r\n`
                                    + `a=ice-pwd:${ice.pwd}\r\n`
                                    + cands(2).slice(0, 1).join('\r\n')
                                    + '\r\n', '*');
        assert.equal(p2.status, 204, p2.body);

        /* nothing usable: 204, and an info line says so */

        const p3 = await whep.patch(ngx, r.headers.location,
                                    `a=ice-ufrag:${ice.ufrag}\r\n`
                                    + 'm=video 9 UDP/TLS/RTP/SAVPF 0\r\n'
                                    + 'a=mid:0\r\n', '*');
        assert.equal(p3.status, 204, p3.body);
        await waitFor(() => /rtc whep PATCH without an a=candidate line/
                            .test(ngx.logText()),
                      5000, 'the info line of an empty PATCH');

        const d = await ngx.http('DELETE', r.headers.location);
        assert.equal(d.status, 200, d.body);
    });

    test('max_sessions=1: the second offer gets 503', async () => {
        const r1 = await ngx.http('POST', '/whep/one', OFFER, SDP);
        assert.equal(r1.status, 201, r1.body);

        const r2 = await ngx.http('POST', '/whep/one', OFFER, SDP);
        assert.equal(r2.status, 503, r2.body);
        assert.ok(Number(r2.headers['retry-after']) > 0, 'Retry-After');
        assert.match(r2.body, /too many viewers/);

        /* other streams are not limited by it */
        const r3 = await ngx.http('POST', '/whep/cam', OFFER, SDP);
        assert.equal(r3.status, 201, r3.body);

        for (const r of [r1, r3]) {
            const d = await ngx.http('DELETE', r.headers.location);
            assert.equal(d.status, 200, d.body);
        }

        const r4 = await ngx.http('POST', '/whep/one', OFFER, SDP);
        assert.equal(r4.status, 201, r4.body);
        await ngx.http('DELETE', r4.headers.location);
    });

    test('CORS: preflight 204, origin and exposed headers', async () => {
        const pre = await ngx.http('OPTIONS', '/cors/cam', null, {
            'Origin': 'https://app.example',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'content-type',
        });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers['access-control-allow-origin'],
                     'https://app.example');
        assert.match(pre.headers['access-control-allow-methods'],
                     /\bPATCH\b/);
        assert.match(pre.headers['access-control-allow-methods'],
                     /\bDELETE\b/);
        assert.match(pre.headers['access-control-allow-headers'],
                     /if-match/i);
        assert.match(pre.headers['access-control-allow-headers'],
                     /authorization/i);
        assert.match(pre.headers.vary || '', /Origin/);

        const r = await ngx.http('POST', '/cors/cam', OFFER,
                                 Object.assign({
                                     'Origin': 'https://app.example' }, SDP));
        assert.equal(r.status, 201, r.body);
        assert.equal(r.headers['access-control-allow-origin'],
                     'https://app.example');

        const exposed = r.headers['access-control-expose-headers']
                        .toLowerCase().split(/\s*,\s*/);
        for (const h of ['location', 'etag', 'link', 'accept-patch']) {
            assert.ok(exposed.includes(h), `exposes ${h}`);
        }

        const d = await ngx.http('DELETE', r.headers.location.replace(
            /^\/cors\//, '/cors/'), null, { 'Origin': 'https://app.example' });
        assert.equal(d.status, 200);
        assert.equal(d.headers['access-control-allow-origin'],
                     'https://app.example');

        const e = await ngx.http('POST', '/any/nosuch', OFFER, SDP);
        assert.equal(e.status, 404);
        assert.equal(e.headers['access-control-allow-origin'], '*');
        assert.equal(e.headers.vary, undefined);
    });

    test('error.log is clean, no sessions left', async () => {
        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no sessions');
        ngx.checkLog();
    });
});
