/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_go2rtc_api's WebSocket against a hostile peer on a raw socket:
 * unmasked frames, reserved bits and opcodes, oversized frames and
 * messages, fragmented control frames, continuation without a message,
 * binary messages, bad UTF-8 (whole and split across fragments), bad
 * JSON, bad close frames, a slowloris frame, random bytes, offers with
 * a bad string again and again (no memory kept); each gets a
 * close frame with the RFC 6455 code (or the connection closed), never a
 * crash: nginx answers afterwards and error.log has no alert (Nginx.stop).
 * What is allowed works: ping/pong, fragmented text with a character
 * split between fragments, frames sent with the handshake.  Handshake
 * errors are 4xx.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { execFileSync } = require('node:child_process');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { WsClient } = require('./lib/ws');

const PORT = 18994;

const CONF = nginxConf({
    http: `
    rtc_stream cam rtsp://127.0.0.1:1/cam;`,
    server: `
        location /api  { rtc_go2rtc_api; }
        location /pub/api { rtc_go2rtc_api; rtc_cors *; }
        location /dash/api { rtc_go2rtc_api; rtc_cors https://dash.example.org; }`,
});

const WS_PATH = '/api/ws?src=cam';


/* a client frame by hand: masked unless told */

function frameBytes(opcode, payload, opts) {
    opts = opts || {};
    const p = payload || Buffer.alloc(0);
    const key = crypto.randomBytes(4);
    const head = Buffer.from([(opts.fin === false ? 0 : 0x80) | opcode,
                              0x80 | p.length]);
    const body = Buffer.from(p.map((b, i) => b ^ key[i & 3]));
    return Buffer.concat([head, key, body]);
}


function workers(master) {
    const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(master)],
                             { encoding: 'utf8' });
    return out.split('\n').map((x) => Number(x.trim())).filter((n) => n);
}


async function expectClose(ws, code, what) {
    const got = await ws.waitClosed(15000);
    assert.equal(got, code, `${what}: close code ${got} (${ws.closeReason})`);
}


describe('go2rtc API: hostile WebSocket peers', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camera: false,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    const open = () => WsClient.connect(PORT, WS_PATH);

    test('handshake errors are 4xx', async () => {
        let r = await WsClient.connect(PORT, WS_PATH, { raw: true,
            headers: { 'Sec-WebSocket-Key': null } });
        assert.equal(r.status, 400);

        r = await WsClient.connect(PORT, WS_PATH, { raw: true,
            headers: { 'Sec-WebSocket-Key': 'short' } });
        assert.equal(r.status, 400);

        r = await WsClient.connect(PORT, WS_PATH, { raw: true,
            headers: { 'Sec-WebSocket-Version': '8' } });
        assert.equal(r.status, 426);
        assert.equal(r.headers['sec-websocket-version'], '13');

        r = await WsClient.connect(PORT, '/api/ws', { raw: true });
        assert.equal(r.status, 400);
    });

    test('a page of another origin: 403 unless rtc_cors allows it',
         async () => {
        /* a WebSocket is outside the browser's same-origin policy */

        const origin = (path, o) => WsClient.connect(PORT, path, {
            raw: true, headers: { Origin: o } });

        let r = await origin(WS_PATH, 'http://evil.example.com');
        assert.equal(r.status, 403);
        assert.match(r.body.toString(), /another origin/);

        r = await origin(WS_PATH, 'null');
        assert.equal(r.status, 403);

        r = await origin(WS_PATH, 'http://127.0.0.1.evil.example.com');
        assert.equal(r.status, 403);

        r = await origin('/dash/api/ws?src=cam', 'https://evil.example.org');
        assert.equal(r.status, 403);

        /* the server's own pages (any port), and what rtc_cors allows */

        for (const [path, o] of [[WS_PATH, `http://127.0.0.1:${PORT}`],
                                 [WS_PATH, 'https://127.0.0.1'],
                                 ['/pub/api/ws?src=cam', 'https://x.example'],
                                 ['/dash/api/ws?src=cam',
                                  'https://dash.example.org']])
        {
            const ws = await WsClient.connect(PORT, path,
                                              { headers: { Origin: o } });
            ws.close(1000);
            assert.equal(await ws.waitClosed(5000), 1000, `${path} ${o}`);
        }

        /* no Origin (Home Assistant, the card's relay through it) */

        const ws = await WsClient.connect(PORT, WS_PATH);
        ws.close(1000);
        assert.equal(await ws.waitClosed(5000), 1000);
    });

    test('protocol errors: 1002', async () => {
        const cases = [
            ['unmasked', (ws) => ws.frame({ opcode: 0x1, mask: false,
                                             payload: Buffer.from('{}') })],
            ['reserved bit', (ws) => ws.frame({ opcode: 0x1, rsv: 0x40,
                                                 payload: Buffer.from('{}') })],
            ['opcode 3', (ws) => ws.frame({ opcode: 0x3 })],
            ['opcode 0xb', (ws) => ws.frame({ opcode: 0xb })],
            ['fragmented ping', (ws) => ws.frame({ opcode: 0x9, fin: false })],
            ['long ping', (ws) => ws.frame({ opcode: 0x9,
                                             payload: Buffer.alloc(126) })],
            ['lone continuation', (ws) => ws.frame({ opcode: 0x0,
                                                     payload: Buffer.from('x') })],
            ['text inside text', (ws) => {
                ws.frame({ opcode: 0x1, fin: false, payload: Buffer.from('{') });
                ws.frame({ opcode: 0x1, payload: Buffer.from('}') });
            }],
            ['length MSB', (ws) => ws.raw(Buffer.from([0x81, 0xff,
                0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]))],
            ['close of 1 byte', (ws) => ws.frame({ opcode: 0x8,
                                                    payload: Buffer.from([3]) })],
            ['close code 1005', (ws) => ws.frame({ opcode: 0x8,
                                                    payload: Buffer.from([3, 0xed]) })],
        ];

        for (const [what, send] of cases) {
            const ws = await open();
            send(ws);
            await expectClose(ws, 1002, what);
        }
    });

    test('too large: 1009; binary: 1003; bad UTF-8 or JSON: 1007',
         async () => {
        let ws = await open();
        ws.raw(Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]));
        await expectClose(ws, 1009, 'a 1 MB frame header');

        ws = await open();
        const chunk = Buffer.alloc(30000, 0x20);
        ws.frame({ opcode: 0x1, fin: false, payload: chunk });
        ws.frame({ opcode: 0x0, fin: false, payload: chunk });
        ws.frame({ opcode: 0x0, fin: false, payload: chunk });
        await expectClose(ws, 1009, 'a 90 kB message in fragments');

        ws = await open();
        ws.frame({ opcode: 0x2, payload: Buffer.from([1, 2, 3]) });
        await expectClose(ws, 1003, 'binary');

        for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80],
                           [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]])
        {
            ws = await open();
            ws.frame({ opcode: 0x1, payload: Buffer.concat([
                Buffer.from('{"type":"'), Buffer.from(bad),
                Buffer.from('"}')]) });
            await expectClose(ws, 1007, `UTF-8 ${bad}`);
        }

        for (const bad of ['{', '[]', '{"type":1}', '{"type":"x",}',
                           '{"type":"\\ud800"}', 'null', '"x"',
                           '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}'])
        {
            ws = await open();
            ws.send(bad);
            await expectClose(ws, 1007, `JSON ${bad}`);
        }
    });

    test('what is allowed works: ping, fragments, split UTF-8, '
         + 'frames with the handshake, close', async () => {
        const ping = frameBytes(0x9, Buffer.from('early'));
        let ws = await WsClient.connect(PORT, WS_PATH, { after: ping });
        await ws.until(() => ws.pongs.length === 1, 5000, 'the early pong');
        assert.equal(ws.pongs[0].toString(), 'early');

        /* an offer in three fragments, "é" split, a ping between */
        const msg = Buffer.from('{"type":"webrtc/offer","value":"v=0é"}');
        const cut = msg.indexOf(0xc3) + 1;
        ws.frame({ opcode: 0x1, fin: false, payload: msg.subarray(0, 10) });
        ws.frame({ opcode: 0x9, payload: Buffer.from('mid') });
        ws.frame({ opcode: 0x0, fin: false, payload: msg.subarray(10, cut) });
        ws.frame({ opcode: 0x0, payload: msg.subarray(cut) });

        const m = await ws.next(null, 5000, 'an answer to the offer');
        assert.equal(m.type, 'error');
        assert.match(m.value, /^webrtc\/offer: bad SDP offer/);
        assert.equal(ws.pongs[1].toString(), 'mid');

        /* unknown types: nothing; many of them */
        for (let i = 0; i < 500; i++) {
            ws.sendJson({ type: 'mse', value: 'x'.repeat(100) });
        }
        ws.sendJson({ type: 'webrtc/candidate', value: 'not a candidate' });
        ws.sendJson({ type: 'webrtc/candidate', value: '' });
        ws.frame({ opcode: 0x9 });
        await ws.until(() => ws.pongs.length === 3, 5000, 'a pong');
        assert.equal(ws.messages.length, 0, JSON.stringify(ws.messages));

        ws.close(4000);
        await expectClose(ws, 4000, 'a close echoed');
    });

    test('offers with a bad string, again and again: no memory kept',
         async () => {
        /*
         * "\u0000" is JSON but no SDP: each such offer once kept ~60 KB
         * in the connection's pool until it closed (2000 of them: 120
         * MB); the sender is never idle
         */

        const rss = () => workers(ngx.pid()).reduce((sum, pid) => {
            const m = /VmRSS:\s+(\d+) kB/.exec(
                require('node:fs').readFileSync(`/proc/${pid}/status`,
                                                'utf8'));
            return sum + (m ? Number(m[1]) : 0);
        }, 0);

        const ws = await open();
        const before = rss();
        const n = 2000;

        for (let i = 0; i < n; i++) {
            ws.send('{"type":"webrtc/offer","value":"\\u0000"}');
        }

        await ws.until(() => ws.messages.length === n, 30000,
                       `${n} errors`);
        assert.ok(ws.messages.every((m) => m.type === 'error'
                  && /^webrtc\/offer: a bad SDP string/.test(m.value)),
                  JSON.stringify(ws.messages[0]));

        const grown = rss() - before;
        assert.ok(grown < 16 * 1024, `the workers grew by ${grown} kB`);

        ws.close(1000);
        await expectClose(ws, 1000, 'a close echoed');
    });

    test('slowloris: a frame byte by byte is closed (1008)', async () => {
        const ws = await open();
        const bytes = frameBytes(0x1, Buffer.from('{"type":"mse"}'));
        let i = 0;
        const timer = setInterval(() => {
            if (i < bytes.length) {
                ws.raw(bytes.subarray(i, i + 1));
                i++;
            }
        }, 1000);
        try {
            const t0 = Date.now();
            await expectClose(ws, 1008, 'slowloris');
            assert.ok(Date.now() - t0 < 14000);
            assert.ok(i < bytes.length, 'closed before the frame was whole');
        } finally {
            clearInterval(timer);
        }
    });

    test('a reload: open WebSockets do not keep the old workers', async () => {
        const old = workers(ngx.pid());
        const open3 = [await open(), await open(), await open()];

        /* one of them in the middle of a frame */
        open3[2].raw(frameBytes(0x1, Buffer.from('{"type":"mse"}'))
                     .subarray(0, 5));

        process.kill(ngx.pid(), 'SIGHUP');

        for (const ws of open3) {
            await ws.waitClosed(10000);
        }

        await waitFor(() => {
            const now = workers(ngx.pid());
            return old.every((pid) => !now.includes(pid));
        }, 15000, 'the old workers gone');

        const ws = await open();
        ws.frame({ opcode: 0x9, payload: Buffer.from('new') });
        await ws.until(() => ws.pongs.length === 1, 5000, 'a new worker pong');
        ws.close(1000);
        await expectClose(ws, 1000, 'after the reload');
    });

    test('random bytes: closed, never a crash; nginx still answers',
         async () => {
        const conns = [];
        for (let k = 0; k < 40; k++) {
            const ws = await open();
            ws.raw(crypto.randomBytes(1 + Math.floor(Math.random() * 3000)));
            conns.push(ws);
        }
        for (const ws of conns) {
            ws.destroy();
        }

        const r = await ngx.http('GET', '/api/');
        assert.equal(r.status, 200);
        assert.equal(JSON.parse(r.body).version, '1.9.14');
        assert.doesNotMatch(ngx.logText(), /\[alert\]|signal 11|Sanitizer/);
    });
});
