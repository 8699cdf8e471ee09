/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Hostile WHEP clients: broken, huge and repeated SDP, oversized and
 * stalled bodies, made-up session ids, tricky stream names, a DTLS
 * certificate that is not the one the offer names, garbage and floods on
 * the ICE port, replayed SRTP/SRTCP.  Each is answered with a clear status
 * (and a log line) or dropped; after each, nginx still answers, error.log
 * has no alert or crit, and the workers are the same processes.
 * Needs t/lib/netns.sh (werift sessions for the media-side cases).
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');
const raw = require('./lib/raw');

const PORT = 19780;
const CAM_PORT = 19754;

const OFFER = withoutCandidates(CHROMIUM_OFFER);
const SDP = { 'Content-Type': 'application/sdp' };

const CONF = nginxConf({
    shutdown: true,
    http: `
    client_body_timeout 2s;

    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /             { return 404; }`,
});


/* the sessions made, by Location: the status page shows no full ids */
const created = [];


async function post(ngx, body, headers) {
    const r = await ngx.http('POST', '/whep/cam', body, headers || SDP);

    if (r.status === 201) {
        created.push(r.headers.location);
    }

    return r;
}


function lines(sdp) {
    return sdp.split('\r\n').filter((l) => l.length);
}


function sdpOf(ls) {
    return ls.join('\r\n') + '\r\n';
}


function randomId() {
    return crypto.randomBytes(16).toString('hex');
}


describe('hostile WHEP clients', { timeout: 58000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { size: '320x180', gop: 25 },
                          nginx: [{ port: PORT, conf: CONF }] });
    const viewers = rig.viewers;
    let ngx;
    let pids;

    /* nginx answers, its log is clean, no worker died */

    async function stillServing(what) {
        const st = await ngx.status();
        assert.ok(Array.isArray(st.sessions), `${what}: status`);
        ngx.checkLog();
        assert.deepEqual(raw.workerPids(ngx.pid()), pids,
                         `${what}: the same worker processes`);
        return st;
    }

    async function deleteAll() {
        while (created.length) {
            await ngx.http('DELETE', created.pop());
        }

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no sessions left');
    }

    async function playing(name) {
        const v = new Viewer(ngx, '/whep/cam', { name });
        viewers.push(v);
        await v.connectRetry(20000);
        await v.waitPackets(20, 20000);
        return v;
    }

    before(async () => {
        ({ ngx } = await rig.start());

        /*
         * Offers over client_body_buffer_size (16k) go to a temporary
         * file: let the workers (nobody) into the prefix to write it.
         */
        fs.chmodSync(ngx.dir, 0o755);

        await waitFor(() => raw.workerPids(ngx.pid()).length === 2, 5000,
                      'two workers');
        pids = raw.workerPids(ngx.pid());

        await waitFor(async () => {
            const st = await ngx.status();
            return st.streams[0].frames_in > 0;
        }, 20000, 'the camera streaming');
    });

    after(() => rig.stop());

    test('malformed SDP: 400 with the reason', async () => {
        const ls = lines(OFFER);
        const bodies = {
            garbage: 'this is not\r\nan SDP offer\r\n',
            nul: OFFER.replace('a=mid:0', 'a=mid:\0'),
            'long line': OFFER.replace('s=-', 's=' + 'x'.repeat(5000)),
            'v=0 twice': sdpOf(['v=0', ...ls]),
            'v=1': OFFER.replace('v=0', 'v=1'),
            'no v=': sdpOf(ls.slice(1)),
            'm= port': OFFER.replace(/^m=video \d+/m, 'm=video 99999'),
            'm= PT 300': OFFER.replace(/^(m=video \S+ \S+) 96/m, '$1 300'),
            'm= no format': OFFER.replace(/^(m=video \S+ \S+) .*$/m, '$1'),
            'lines only': '\r\n\r\n\n\n',
            binary: crypto.randomBytes(3000),
        };

        for (const [what, body] of Object.entries(bodies)) {
            const r = await post(ngx, body);
            assert.equal(r.status, 400, `${what}: ${r.status} ${r.body}`);
            assert.match(r.body, /^bad SDP offer: \S/, what);
        }

        assert.match(ngx.logText(), /rtc whep bad offer: /);
        await stillServing('malformed SDP');
    });

    test('mutated offers: a 4xx naming the problem, never a 5xx',
         async () => {
        /* offers as bytes: "\xNN" is one byte */
        const bytes = (text) => Buffer.from(text, 'latin1');
        const sub = (from, to) => {
            assert.ok(OFFER.includes(from), from);
            return OFFER.replace(from, to);
        };
        const all = (re, to) => OFFER.replace(re, to);
        const ls = lines(OFFER);
        const audio = ls.findIndex((l) => l.startsWith('m=audio'));
        const video = ls.findIndex((l) => l.startsWith('m=video'));

        /* a 4xx (400 unless said), and the reason names the problem */
        const refused = {
            /* the new user's case: a 500 "cannot create a session" */
            'a=mid non-ASCII': [sub('a=mid:0', 'a=mid:\xc3\xa9'),
                                /a=mid is not a token/],
            'a=mid control byte': [sub('a=mid:0', 'a=mid:0\x01'),
                                   /control character/],
            'a=mid DEL': [sub('a=mid:0', 'a=mid:\x7f'), /control character/],
            'a=mid bare CR': [sub('a=mid:0', 'a=mid:0\rX-Injected: 1'),
                              /control character/],
            'a=mid of 33': [sub('a=mid:0', 'a=mid:' + 'm'.repeat(33)),
                            /a=mid is not a token/],
            'a=mid "/"': [sub('a=mid:0', 'a=mid:a/b'), /a=mid is not a token/],
            'a=mid empty': [sub('a=mid:0', 'a=mid:'), /a=mid is not a token/],
            'duplicate a=mid': [sub('a=mid:1', 'a=mid:0'), /duplicate a=mid/],
            'the video section twice': [sdpOf([...ls.slice(0, audio),
                                               ...ls.slice(video, audio)]),
                                        /duplicate a=mid/],
            'a=ice-ufrag non-ASCII': [all(/^a=ice-ufrag:.*$/mg,
                                          'a=ice-ufrag:SV\xc3\xa9'),
                                      /a=ice-ufrag is not/],
            'a=ice-ufrag of 3': [all(/^a=ice-ufrag:.*$/mg, 'a=ice-ufrag:SVA'),
                                 /a=ice-ufrag is not/],
            'a=ice-ufrag of 257': [all(/^a=ice-ufrag:.*$/mg,
                                       'a=ice-ufrag:' + 'u'.repeat(257)),
                                   /a=ice-ufrag is not/],
            'a=ice-ufrag "-"': [all(/^a=ice-ufrag:.*$/mg, 'a=ice-ufrag:SV-5'),
                                /a=ice-ufrag is not/],
            'a=ice-pwd of 21': [all(/^a=ice-pwd:.*$/mg,
                                    'a=ice-pwd:' + 'p'.repeat(21)),
                                /a=ice-pwd is not/],
            'a=ice-pwd non-ASCII': [all(/^a=ice-pwd:.*$/mg,
                                        'a=ice-pwd:' + 'p'.repeat(22)
                                        + '\xff'),
                                    /a=ice-pwd is not/],
            'a=fingerprint non-ASCII hash': [all(/^a=fingerprint:sha-256/mg,
                                                 'a=fingerprint:sh\xe4'),
                                             /a=fingerprint is not/],
            'a=fingerprint not hex': [all(/^a=fingerprint:sha-256 9E/mg,
                                          'a=fingerprint:sha-256 9G'),
                                      /a=fingerprint is not/],
            'a=fingerprint of 65 bytes': [all(/^a=fingerprint:.*$/mg,
                                              'a=fingerprint:sha-256 '
                                              + Array(65).fill('AB')
                                                .join(':')),
                                          /a=fingerprint is not/],
            'a=fingerprint ":" at the end': [all(/^(a=fingerprint:.*)$/mg,
                                                 '$1:'),
                                             /a=fingerprint is not/],
            'm= media non-ASCII': [sub('m=video', 'm=vid\xc3\xa9o'),
                                   /m= media or proto is not a token/],
            'm= proto "/" at the end': [sub('UDP/TLS/RTP/SAVPF 96',
                                            'UDP/TLS/RTP/SAVPF/ 96'),
                                        /m= media or proto is not a token/],
            'm= format non-ASCII': [OFFER + 'm=application 9 UDP/DTLS/SCTP '
                                    + 'webrtc-\xff\r\na=mid:2\r\n',
                                    /m= format is not a token/],
            'a bare CR in a=fmtp': [sub('a=fmtp:102 level',
                                        'a=fmtp:102 l\rev'),
                                    /control character/],
            'no m=video': [sdpOf([...ls.slice(0, video),
                                  ...ls.slice(audio)]), /m=video/, 422],
            'no m= line': [sdpOf(ls.slice(0, video)), /no m= line/],
        };

        for (const [what, [text, reason, status]] of
             Object.entries(refused))
        {
            const r = await post(ngx, bytes(text));
            assert.equal(r.status, status || 400,
                         `${what}: ${r.status} ${r.body}`);
            assert.match(r.body, reason, what);
        }

        /* what is not read or not echoed: anything but a 5xx */
        const tolerated = {
            'a=msid non-ASCII': sub('a=mid:0', 'a=mid:0\r\na=msid:\xff \xfe'),
            'a=rtpmap name non-ASCII': sub('a=rtpmap:96 VP8/90000',
                                           'a=rtpmap:96 V\xc3\xa9P8/90000'),
            'a=candidate non-ASCII': sub('a=mid:0', 'a=mid:0\r\na=candidate:'
                                         + '\xff 1 udp 1 10.99.0.9 9 typ '
                                         + 'host'),
            'a=group:BUNDLE non-ASCII': sub('a=group:BUNDLE 0 1',
                                            'a=group:BUNDLE \xff 1'),
            'a=setup non-ASCII': all(/^a=setup:.*$/mg, 'a=setup:\xff'),
            's= non-ASCII': sub('s=-', 's=caf\xc3\xa9'),
            'no o=, s=, t=': sdpOf(ls.filter((l) => !/^[ost]=/.test(l))),
            'no a=mid, no BUNDLE': sdpOf(ls.filter(
                (l) => !/^a=(mid|group):/.test(l))),
            'an a=fmtp of 4,000 bytes': sub('a=fmtp:102 level',
                                            'a=fmtp:102 x=' + 'y'.repeat(4000)
                                            + ';level'),
        };

        for (const [what, text] of Object.entries(tolerated)) {
            const r = await post(ngx, bytes(text));
            assert.ok(r.status < 500, `${what}: ${r.status} ${r.body}`);
        }

        await deleteAll();
        await stillServing('mutated offers');
    });

    test('1,000 m-lines, 1,000 payload types, 2,000 lines: 400', async () => {
        const ls = lines(OFFER);
        const video = ls.findIndex((l) => l.startsWith('m=video'));
        const media = [];

        for (let i = 0; i < 1000; i++) {
            media.push(`m=video 9 UDP/TLS/RTP/SAVPF ${96 + (i % 32)}`,
                       `a=mid:${i}`);
        }

        let r = await post(ngx, sdpOf([...ls.slice(0, video), ...media]));
        assert.equal(r.status, 400, r.body);
        assert.match(r.body, /too many/);

        const pts = Array.from({ length: 1000 }, (_, i) => i % 128).join(' ');
        r = await post(ngx, OFFER.replace(/^(m=video \S+ \S+) .*$/m,
                                          `$1 ${pts}`));
        assert.equal(r.status, 400, r.body);
        assert.match(r.body, /too many formats/);

        const filler = Array.from({ length: 2000 }, (_, i) => `a=x-${i}:y`);
        r = await post(ngx, sdpOf([...ls, ...filler]));
        assert.equal(r.status, 400, r.body);
        assert.match(r.body, /too many lines/);

        await stillServing('huge SDP');
    });

    test('duplicated lines: never a 5xx', async () => {
        const ls = lines(OFFER);
        const dup = [];

        for (const l of ls) {
            dup.push(l);
            if (l.startsWith('a=')) {
                dup.push(l, l);
            }
        }

        try {
            /* every attribute three times: the first of each counts */

            let r = await post(ngx, sdpOf(dup));
            assert.equal(r.status, 201, r.body);

            /* the whole offer twice over: twice the sections */

            r = await post(ngx, sdpOf([...ls, ...ls.slice(1)]));
            assert.ok(r.status === 201 || r.status === 400,
                      `${r.status} ${r.body}`);

            r = await post(ngx, sdpOf([...ls, 'v=0', ...ls.slice(1)]));
            assert.equal(r.status, 400, r.body);
            assert.match(r.body, /duplicate v= line/);

        } finally {
            await deleteAll();
        }

        await stillServing('duplicated lines');
    });

    test('no ICE credentials, no fingerprint: 400', async () => {
        const noIce = sdpOf(lines(OFFER).filter(
            (l) => !/^a=ice-(ufrag|pwd):/.test(l)));
        let r = await post(ngx, noIce);
        assert.equal(r.status, 400, r.body);
        assert.match(r.body, /ICE credentials/);

        const noFp = sdpOf(lines(OFFER).filter(
            (l) => !/^a=fingerprint:/.test(l)));
        r = await post(ngx, noFp);
        assert.equal(r.status, 400, r.body);
        assert.match(r.body, /fingerprint/);

        assert.equal((await stillServing('credentials')).sessions.length, 0);
    });

    test('a fingerprint that is no fingerprint: 400', async () => {
        for (const fp of ['sha-256 zz:zz', 'sha-256 ', 'md2 00:11',
                          'sha-256 ' + '00:'.repeat(40) + '00']) {
            const r = await post(ngx, OFFER.replace(
                /^a=fingerprint:.*$/gm, `a=fingerprint:${fp}`));
            assert.equal(r.status, 400, `"${fp}": ${r.status} ${r.body}`);
        }

        assert.equal((await stillServing('fingerprint')).sessions.length, 0);
    });

    test('bodies over 64 KiB: 413', async () => {
        const big = OFFER + 'a=x:' + 'y'.repeat(70 * 1024) + '\r\n';

        let r = await post(ngx, big);
        assert.equal(r.status, 413, r.body);

        /* no Content-Length: chunked, the size is known once read */

        const head = 'POST /whep/cam HTTP/1.1\r\nHost: x\r\n'
                     + 'Content-Type: application/sdp\r\n'
                     + 'Transfer-Encoding: chunked\r\n'
                     + 'Connection: close\r\n\r\n';
        let body = '';
        for (let i = 0; i < big.length; i += 8000) {
            const c = big.slice(i, i + 8000);
            body += c.length.toString(16) + '\r\n' + c + '\r\n';
        }
        r = await raw.request(PORT, head + body + '0\r\n\r\n');
        assert.equal(r.status, 413, r.raw.slice(0, 200));

        /* past client_max_body_size (1m): nginx's own 413 */

        r = await post(ngx, 'x'.repeat(2 * 1024 * 1024));
        assert.equal(r.status, 413);

        await stillServing('large bodies');
    });

    test('stalled bodies: closed after client_body_timeout, others served',
         async () => {
        const head = 'POST /whep/cam HTTP/1.1\r\nHost: x\r\n'
                     + 'Content-Type: application/sdp\r\n'
                     + `Content-Length: ${OFFER.length}\r\n\r\n`;
        const stalled = [];

        for (let i = 0; i < 40; i++) {
            stalled.push(raw.stall(PORT, head, OFFER.slice(0, 100), 10000));
        }

        /* while they hang: status, a bad offer, another stall's neighbour */

        const st = await ngx.status();
        assert.equal(st.sessions.length, 0);
        const r = await post(ngx, 'garbage\r\n');
        assert.equal(r.status, 400);

        const times = await Promise.all(stalled.map((s) => s.closed));

        for (const t of times) {
            assert.ok(t >= 1500 && t < 8000, `closed after ${t} ms`);
        }

        /* nginx logs no error for a body timeout: access.log has 408s */

        await waitFor(() => ngx.accessLog().filter((e) => e.status === 408)
                            .length >= stalled.length, 5000,
                      `${stalled.length} 408s in access.log`);
        assert.equal((await stillServing('stalled')).sessions.length, 0);
    });

    test('DELETE and PATCH of made-up session ids: 404', async () => {
        const ids = [randomId(), '00' + randomId().slice(2),
                     '01' + randomId().slice(2), 'ff' + randomId().slice(2),
                     '7f' + randomId().slice(2), '0'.repeat(32),
                     'F'.repeat(32)];

        for (const id of ids) {
            let r = await ngx.http('DELETE', `/whep/cam/${id}`);
            assert.equal(r.status, 404, `DELETE ${id}: ${r.body}`);

            r = await ngx.http('PATCH', `/whep/cam/${id}`,
                               'a=end-of-candidates\r\n',
                               { 'Content-Type':
                                 'application/trickle-ice-sdpfrag' });
            assert.equal(r.status, 404, `PATCH ${id}: ${r.body}`);
        }

        /* "%00": nginx itself refuses the request line (400) */

        for (const id of ['', 'x', '-1', randomId() + '00',
                          randomId().slice(1) + 'g', '%00'.repeat(16),
                          '%30'.repeat(32)]) {
            const r = await ngx.http('DELETE', `/whep/cam/${id}`);
            assert.ok(r.status === 404 || r.status === 400,
                      `DELETE "${id}": ${r.status}`);
        }

        await stillServing('made-up ids');
    });

    test('traversal and control characters in stream names: 404',
         async () => {
        const paths = [
            '/whep/../cam', '/whep/%2e%2e/cam', '/whep/%2e%2e%2fcam',
            '/whep/cam/..', '/whep/cam%00x', '/whep/cam%00', '/whep/%00',
            '/whep/cam%01', '/whep/%7f', '/whep/cam%20', '/whep/ca%6d%0a',
            '/whep/%0d%0aFORGED-LOG-LINE', '/whep/' + 'c'.repeat(3000),
            '/whep/cam;x', '/whep/%ff%fe',
        ];

        for (const p of paths) {
            const r = await raw.request(PORT,
                `POST ${p} HTTP/1.0\r\nContent-Type: application/sdp\r\n`
                + `Content-Length: ${OFFER.length}\r\n\r\n${OFFER}`);
            assert.ok(r.status === 404 || r.status === 400,
                      `${p}: ${r.status}`);
        }

        /* what reached the module was answered by it */

        for (const p of ['/whep/cam%01', '/whep/cam%0d%0a', '/whep/c%2fam',
                         '/whep/cam/../%63am2']) {
            const r = await raw.request(PORT,
                `POST ${p} HTTP/1.0\r\nContent-Type: application/sdp\r\n`
                + `Content-Length: ${OFFER.length}\r\n\r\n${OFFER}`);
            assert.equal(r.status, 404, `${p}: ${r.raw.slice(0, 200)}`);
            assert.match(r.body, /unknown stream/, p);
        }

        await stillServing('stream names');
    });

    test('a stream name cannot forge a line of error.log', async () => {
        const r = await raw.request(PORT,
            'POST /whep/%0d%0aFORGED-LOG-LINE HTTP/1.0\r\n'
            + 'Content-Type: application/sdp\r\n'
            + `Content-Length: ${OFFER.length}\r\n\r\n${OFFER}`);
        assert.equal(r.status, 404);
        assert.doesNotMatch(ngx.logText(), /^FORGED-LOG-LINE/m);
    });

    test('a DTLS certificate other than the offer\'s: refused', async () => {
        const v = new Viewer(ngx, '/whep/cam', { name: 'wrong-fp' });
        viewers.push(v);

        const offer = await v.offer();
        const fp = crypto.randomBytes(32).toString('hex').toUpperCase()
                   .match(/../g).join(':');
        const forged = offer.replace(/^a=fingerprint:sha-256 .*$/gm,
                                     `a=fingerprint:sha-256 ${fp}`);
        assert.notEqual(forged, offer);

        const r = await post(ngx, forged);
        assert.equal(r.status, 201, r.body);
        await v.pc.setRemoteDescription({ type: 'answer', sdp: r.body });

        await waitFor(() => /rtc dtls peer certificate does not match/
                            .test(ngx.logText()), 20000,
                      'the fingerprint mismatch logged');
        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'the session closed');

        assert.equal(v.packets, 0, 'no media to the impostor');

        await v.pc.close().catch(() => {});
        v.pc = null;

        await stillServing('wrong fingerprint');
    });

    test('garbage and STUN floods on the ICE port', async () => {
        const v = await playing('flooded');
        const cands = raw.udpCandidates(v.answer)
                      .filter((c) => c.address.includes('.'));
        assert.ok(cands.length > 0, 'a UDP candidate in the answer');

        /* from a stranger: STUN with bad integrity, DTLS, RTP, noise */

        const stun = (i) => {
            const b = crypto.randomBytes(20 + (i % 80));
            b.writeUInt16BE(i % 3 ? 0x0001 : 0x0111, 0);
            b.writeUInt16BE(b.length - 20 - ((b.length - 20) % 4), 2);
            b.writeUInt32BE(0x2112a442, 4);
            return b;
        };
        const junk = (i) => {
            const b = crypto.randomBytes(1 + (i * 7) % 1400);
            b[0] = [0x00, 0x16, 0x17, 0x80, 0x90, 0xff][i % 6] | (b[0] & 0x01);
            return b;
        };

        for (const c of cands) {
            const sent = await raw.flood({
                host: c.address, port: c.port, count: 20000,
                make: (i) => (i % 2 ? stun(i) : junk(i)),
            });
            assert.ok(sent > 19000, `sent ${sent}`);
        }

        /* the viewer still plays */

        await v.waitPackets(20, 10000);
        await stillServing('floods');
    });

    test('replayed SRTP and SRTCP, and junk from the viewer\'s own address',
         async () => {
        let tap;
        const v = new Viewer(ngx, '/whep/cam', { name: 'replayed' });
        viewers.push(v);

        tap = raw.tapDgram((port) => port !== CAM_PORT);

        let ports = [];

        /* SRTCP from the viewer to the answer's candidates (RTCP types) */

        const srtcp = (p) => ports.includes(p.port) && p.msg[0] >= 128
                             && p.msg[0] < 192 && p.msg[1] >= 200
                             && p.msg[1] <= 206;

        try {
            await v.connectRetry(20000);
            ports = raw.udpCandidates(v.answer).map((c) => c.port);
            await v.waitPackets(50, 20000);
            /* receiver reports go out every second or so */
            await waitFor(() => tap.packets.filter(srtcp).length >= 2,
                          10000, 'SRTCP from the viewer');
        } finally {
            tap.stop();
        }

        /* what this viewer sent to its selected server candidates */

        const ours = tap.packets.filter((p) => ports.includes(p.port));
        assert.ok(ours.length > 5, `${ours.length} datagrams recorded`);
        assert.ok(ours.some((p) => p.msg[0] >= 128 && p.msg[0] < 192),
                  'SRTCP among them');

        /* everything the viewer sent, three more times, same 5-tuple */

        for (let k = 0; k < 3; k++) {
            for (const p of ours) {
                await tap.send(p, p.msg);
            }
        }

        await v.waitPackets(20, 10000);

        /* bit-flipped copies and junk of each first-byte class */

        const model = ours[ours.length - 1];

        for (let i = 0; i < 3000; i++) {
            const src = ours[i % ours.length].msg;
            const b = i % 3 ? Buffer.from(src) : crypto.randomBytes(
                1 + (i % 300));
            b[i % b.length] ^= 1 << (i % 8);
            if (i % 3 === 0) {
                b[0] = [0x01, 0x17, 0x81, 0x90, 0xc8][i % 5];
            }
            await tap.send(model, b);
        }

        const st = await stillServing('replays');
        assert.ok(st.sessions.length >= 1, 'the sessions survive');
        await v.waitPackets(20, 10000);
    });
});
