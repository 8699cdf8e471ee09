/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Nothing a client sends reaches a response header or an echoed SDP line
 * unescaped, and the status page gives nothing a DELETE or PATCH could
 * use.  The Location of a 201 comes from the decoded URI, percent-encoded
 * again: "POST /whep/%0d%0aX-Injected:%201/cam" gets no X-Injected header,
 * and its Location names the same resource (a DELETE of it works).  Every
 * response's raw head is checked: CRLF line ends only, visible ASCII.  An
 * ICE restart's answer echoes the request's m= media, proto and a=mid:
 * tokens only, read before the answer is written over the request; a
 * fragment with anything else is a 400 that restarts nothing.  rtc_cors
 * with a control character is a configuration error.  rtc_status shows
 * the first 8 hex digits of a session id, never the id of a Location.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Nginx, waitFor } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');
const whep = require('./lib/whep');
const raw = require('./lib/raw');

const PORT = 19880;
const CAM_PORT = 19854;

const OFFER = withoutCandidates(CHROMIUM_OFFER);
const SDP = { 'Content-Type': 'application/sdp' };
const PWD = '0123456789abcdefghijkl';

const CONF = conf({
    workers: 2,
    server: `
        location /cors/ { rtc_whep cam; rtc_cors https://app.example; }`,
});


/*
 * The head of a raw response: every line ends with CRLF, no lone CR or
 * LF, and header values are visible ASCII, blanks and tabs only.
 */

function checkHead(r, what) {
    const end = r.raw.indexOf('\r\n\r\n');
    assert.ok(end > 0, `${what}: a complete head`);

    const head = r.raw.slice(0, end + 2);
    assert.doesNotMatch(head, /\r(?!\n)|(?<!\r)\n/, `${what}: lone CR or LF`);

    for (const l of head.split('\r\n').slice(1, -1)) {
        assert.match(l, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+: ?[\x20-\x7e\t]*$/,
                     `${what}: header line ${JSON.stringify(l)}`);
    }

    return head;
}


/* RFC 3986 pchar and "/" as they are, every other byte %XX */

function escapePath(bytes) {
    let out = '';

    for (const b of bytes) {
        const c = String.fromCharCode(b);
        out += /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/.test(c)
               ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }

    return out;
}


/* percent-decoding as nginx does it, to bytes */

function decode(p) {
    const out = [];

    for (let i = 0; i < p.length; i++) {
        if (p[i] === '%') {
            out.push(parseInt(p.slice(i + 1, i + 3), 16));
            i += 2;
        } else {
            out.push(p.charCodeAt(i));
        }
    }

    return Buffer.from(out);
}


function rawPost(path) {
    return raw.request(PORT,
        `POST ${path} HTTP/1.0\r\nContent-Type: application/sdp\r\n`
        + `Content-Length: ${OFFER.length}\r\n\r\n${OFFER}`);
}


describe('WHEP: no injection through headers or echoed SDP',
         { timeout: 58000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;

        /* the camera connects with the first offer */
        const r = await whep.post(ngx, '/whep/cam', OFFER);
        assert.equal(r.status, 201, r.body);
        assert.equal((await ngx.http('DELETE', r.headers.location)).status,
                     200);
    });

    after(() => rig.stop());

    test('a CR/LF in the path never reaches a header', async () => {
        const r = await rawPost('/whep/%0d%0aX-Injected:%201/cam');
        assert.equal(r.status, 201, r.raw.slice(0, 300));

        const head = checkHead(r, 'CR/LF');
        assert.doesNotMatch(head, /^X-Injected/im);
        assert.match(r.headers.location,
                     /^\/whep\/%0D%0AX-Injected:%201\/cam\/[0-9a-f]{32}$/);

        /* the Location names the session */
        const d = await raw.request(PORT, `DELETE ${r.headers.location} `
                                          + 'HTTP/1.0\r\n\r\n');
        assert.equal(d.status, 200, d.raw.slice(0, 300));
        checkHead(d, 'DELETE');
    });

    test('every other byte of a path: escaped, same resource', async () => {
        const paths = [
            '/whep/%09tab/cam', '/whep/%01%7f/cam', '/whep/%c3%a9/cam',
            '/whep/%ff%fe/cam', '/whep/a%25b/cam', '/whep/a%3fb%23c/cam',
            '/whep/%22%3c%3e%5c/cam', '/whep/%20/cam', '/whep/%0d/cam',
            '/whep/%0a/cam', '/cors/%0d%0aX-Injected:%201/x',
        ];

        for (const p of paths) {
            const r = await rawPost(p);
            assert.equal(r.status, 201, `${p}: ${r.raw.slice(0, 300)}`);

            const head = checkHead(r, p);
            assert.doesNotMatch(head, /^X-Injected/im, p);

            /* the URI nginx decoded, encoded again, and the session id */
            const id = r.headers.location.split('/').pop();
            assert.match(id, /^[0-9a-f]{32}$/, p);
            assert.equal(r.headers.location,
                         escapePath(decode(p)) + '/' + id, p);

            const d = await raw.request(PORT, `DELETE ${r.headers.location} `
                                              + 'HTTP/1.0\r\n\r\n');
            assert.equal(d.status, 200, `DELETE ${r.headers.location}`);
        }

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no sessions left');
    });

    test('the ICE restart answer echoes tokens only', async () => {
        const r = await whep.post(ngx, '/whep/cam', OFFER);
        assert.equal(r.status, 201, r.body);
        const session = r.headers.location;

        /*
         * The m= line first: the answer is written where the request
         * was; what it echoes is read before
         */
        let p = await whep.patch(ngx, session,
                                 'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n'
                                 + 'a=mid:au\r\n'
                                 + `a=ice-ufrag:abcd\r\na=ice-pwd:${PWD}\r\n`,
                                 '*');
        assert.equal(p.status, 200, p.body);
        assert.match(p.body,
                     /\r\nm=audio 9 UDP\/TLS\/RTP\/SAVPF 0\r\na=mid:au\r\n/);
        assert.match(p.headers.etag, /-1"$/);

        const etag = p.headers.etag;

        const bad = {
            'a non-ASCII a=mid': ['m=video 9 UDP/TLS/RTP/SAVPF 0',
                                  'a=mid:\u20ac', /a=mid is not a token/],
            'a control byte in a=mid': ['m=video 9 UDP/TLS/RTP/SAVPF 0',
                                        'a=mid:0\x01X', /control character/],
            'a CR in a=mid': ['m=video 9 UDP/TLS/RTP/SAVPF 0',
                              'a=mid:0\rX-Injected: 1', /control character/],
            'a quote in the media': ['m=vi"deo 9 UDP/TLS/RTP/SAVPF 0',
                                     'a=mid:0', /m= media or proto/],
            'a proto ending in "/"': ['m=video 9 UDP/TLS/RTP/SAVPF/ 0',
                                             'a=mid:0', /m= media or proto/],
            'a short ice-ufrag': ['m=video 9 UDP/TLS/RTP/SAVPF 0',
                                  'a=mid:0', /a=ice-ufrag/, 'abc'],
        };

        for (const [what, [mline, mid, err, ufrag]] of Object.entries(bad)) {
            p = await whep.patch(ngx, session,
                                 `a=ice-ufrag:${ufrag || 'wxyz'}\r\n`
                                 + `a=ice-pwd:${PWD}\r\n${mline}\r\n`
                                 + `${mid}\r\n`, '*');
            assert.equal(p.status, 400, `${what}: ${p.status} ${p.body}`);
            assert.match(p.body, /^bad SDP fragment: /, what);
            assert.match(p.body, err, what);

            /* nothing restarted: the same ETag */
            assert.equal(p.headers.etag, etag, what);
        }

        assert.equal((await ngx.http('DELETE', session)).status, 200);
    });

    test('status shows session id prefixes, never a full id', async () => {
        const locations = [];

        for (let i = 0; i < 3; i++) {
            const r = await whep.post(ngx, '/whep/cam', OFFER);
            assert.equal(r.status, 201, r.body);
            locations.push(r.headers.location);
        }

        const s = await ngx.http('GET', '/rtc/status');
        assert.equal(s.status, 200);

        const st = JSON.parse(s.body);
        assert.equal(st.sessions.length, 3);

        for (const loc of locations) {
            const id = loc.split('/').pop();
            assert.ok(!s.body.includes(id), `${id} in the status page`);
            assert.ok(!s.body.includes(id.slice(0, 9)),
                      `more than 8 digits of ${id}`);
            assert.ok(st.sessions.some((x) => x.id === id.slice(0, 8)),
                      `${id.slice(0, 8)} in the status page`);
        }

        for (const x of st.sessions) {
            assert.match(x.id, /^[0-9a-f]{8}$/);
        }

        for (const loc of locations) {
            assert.equal((await ngx.http('DELETE', loc)).status, 200);
        }
    });

    test('rtc_cors with a control character: nginx refuses', async () => {
        const bad = new Nginx({
            port: PORT + 1, camPort: CAM_PORT, allowLog: [/\[emerg\]/],
            conf: conf({ workers: 1, server: `
        location /x/ {
            rtc_whep cam;
            rtc_cors "https://a.example\\r\\nX: 1";
        }`,
            }),
        });

        try {
            await assert.rejects(bad.start(5000), /rtc_cors.*takes an origin/);
        } finally {
            await bad.stop();
        }
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
