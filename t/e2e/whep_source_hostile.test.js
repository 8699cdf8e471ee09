/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * whep:// sources against WHEP servers that answer badly: each bad answer
 * is a failure with a clear reason in rtc_status and error.log, the
 * source tries again later, and no worker crashes.  A raw TCP server
 * plays the server, one behaviour per path.  No media: no namespace
 * needed.
 */

'use strict';

const net = require('node:net');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { confFor } = require('./lib/rtsp');
const raw = require('./lib/raw');

const PORT = 18940;
const SERVER_PORT = 18941;

const SDP_NO_VIDEO = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'
                     + 'm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n'
                     + 'c=IN IP4 0.0.0.0\r\na=rtpmap:0 PCMU/8000\r\n';


/* path -> the raw response bytes (or a function of the socket) */

const ANSWERS = {
    '/status503': 'HTTP/1.1 503 Service Unavailable\r\n'
                  + 'Content-Length: 21\r\n\r\nstream is not ready\r\n',
    '/noloc': 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n',
    '/garbage': 'HTTP/1.1 201 Created\r\nLocation: /x/1\r\n'
                + 'Content-Length: 10\r\n\r\n\x00\x01\x02garbage',
    '/novideo': 'HTTP/1.1 201 Created\r\nLocation: /x/2\r\n'
                + `Content-Length: ${SDP_NO_VIDEO.length}\r\n\r\n`
                + SDP_NO_VIDEO,
    '/badhttp': 'HTTP/1.1 2O1 Created\r\n\r\n',
    '/huge': 'HTTP/1.1 201 Created\r\nLocation: /x/3\r\n'
             + 'Transfer-Encoding: chunked\r\n\r\n'
             + ('ffff\r\n' + 'a'.repeat(0xffff) + '\r\n').repeat(2),
    '/closed': '',
};


describe('whep:// sources and bad WHEP servers', { timeout: 60000 }, () => {
    const rig = new Rig({ camera: false });
    let ngx;
    const deletes = [];

    before(async () => {
        const server = net.createServer((sock) => {
            let data = '';
            sock.on('data', (c) => {
                data += c.toString('latin1');
                const end = data.indexOf('\r\n\r\n');
                if (end < 0) {
                    return;
                }
                const line = data.slice(0, data.indexOf('\r\n'));
                const [method, path] = line.split(' ');
                if (method === 'DELETE') {
                    deletes.push(path);
                    sock.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
                    return;
                }
                const body = data.slice(end + 4);
                const m = /content-length: (\d+)/i.exec(data.slice(0, end));
                if (m && body.length < Number(m[1])) {
                    return;
                }
                sock.end(Buffer.from(ANSWERS[path] || '', 'latin1'));
            });
            sock.on('error', () => {});
        });
        rig.defer(() => server.close());
        await new Promise((resolve) => server.listen(SERVER_PORT,
                                                     '127.0.0.1', resolve));

        const lines = Object.keys(ANSWERS).map((p) =>
            `    rtc_stream s${p.slice(1)} `
            + `whep://127.0.0.1:${SERVER_PORT}${p} always;`).join('\n');

        ngx = await rig.add({ port: PORT, workers: 2, conf: confFor(lines),
                              allowLog: [/rtc whep source /] });
    });

    after(() => rig.stop());

    test('each bad answer is a clear failure, retried', async () => {
        const want = {
            sstatus503: /answered 503: stream is not ready/,
            snoloc: /answered 201 without a usable Location/,
            sgarbage: /invalid answer from .*\/garbage/,
            snovideo: /the answer of .*\/novideo has no video/,
            sbadhttp: /invalid response: invalid status line/,
            shuge: /response larger than 65536 bytes/,
            sclosed: /connection closed before a response/,
        };

        const pids = raw.workerPids(ngx.pid());

        await waitFor(async () => {
            const st = await ngx.status();
            return Object.entries(want).every(([name, re]) => {
                const s = st.streams.find((x) => x.name === name);
                return s.state === 'retrying' && re.test(s.last_error);
            });
        }, 20000, 'every stream retrying with its reason');

        const log = ngx.logText();

        for (const re of Object.values(want)) {
            assert.match(log, new RegExp('\\[error\\] .*rtc whep source .*'
                                         + re.source));
        }

        /* sessions that were created are DELETEd when given up */

        await waitFor(() => deletes.includes('/x/1')
                            && deletes.includes('/x/2'), 10000,
                      'DELETE of the sessions with unusable answers');

        assert.deepEqual(raw.workerPids(ngx.pid()), pids, 'no worker died');
        assert.doesNotMatch(log, /\[alert\]|\[crit\]|signal 11/);
    });
});
