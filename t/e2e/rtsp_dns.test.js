/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Cameras by host name (issue 8, point 5): the worker never blocks on
 * getaddrinfo().  With the http block's "resolver", the name goes to
 * nginx's asynchronous resolver (a real DNS exchange with lib/dns.js) on
 * each connection attempt, and a name the server does not know is a
 * clear failure, retried; without one, the name is resolved at
 * configuration time ("localhost" through /etc/hosts), as proxy_pass does.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Nginx, waitFor, requireNetns } = require('./lib/nginx');
const { Camera } = require('./lib/camera');
const { Viewer } = require('./lib/werift');
const { streamOf, confFor } = require('./lib/rtsp');
const { DnsServer } = require('./lib/dns');

const PORT = 19483;
const CAM_PORT = 19893;
const DNS_PORT = 19453;


describe('cameras by host name', { timeout: 60000 }, () => {
    let cam;
    let dns;

    before(async () => {
        requireNetns();
        cam = await new Camera({ port: CAM_PORT, codec: 'h264',
                                 size: '320x180', fps: 25, gop: 25 }).start();
        dns = await new DnsServer({ 'cam.rtc.test': '127.0.0.1' })
                  .start(DNS_PORT);
    });

    after(async () => {
        try {
            if (dns) {
                await dns.stop();
            }
        } finally {
            if (cam) {
                await cam.stop();
            }
        }
    });

    async function withNginx(lines, fn) {
        const ngx = new Nginx({ port: PORT, conf: confFor(lines) });

        await ngx.start();

        try {
            await fn(ngx);
        } finally {
            await ngx.stop();
        }
    }

    test('resolver: a viewer plays a camera named in DNS; an unknown name '
         + 'fails clearly', async () => {
        await withNginx([
            `    resolver 127.0.0.1:${DNS_PORT} valid=1s ipv6=off;`,
            '    resolver_timeout 5s;',
            `    rtc_stream cam rtsp://cam.rtc.test:${CAM_PORT}/cam;`,
            `    rtc_stream gone rtsp://gone.rtc.test:${CAM_PORT}/cam always;`,
        ].join('\n'), async (ngx) => {
            const v = new Viewer(ngx, '/whep/cam', { name: 'by-name' });

            try {
                await v.connectRetry(20000);
                await v.waitKeyframe(20000);
                await v.waitPackets(50, 20000);
            } finally {
                await v.close();
            }

            assert.ok(dns.queries['cam.rtc.test'] >= 1,
                      'nginx asked the DNS server');

            const s = await waitFor(async () => {
                const g = streamOf(await ngx.status(), 'gone');
                return g.reconnects >= 1 && /cannot resolve/.test(g.last_error)
                       && g;
            }, 15000, 'the unknown name fails');

            assert.match(s.last_error,
                         /^cannot resolve rtsp:\/\/gone\.rtc\.test:\d+\/cam: Host not found/);
            assert.ok(dns.queries['gone.rtc.test'] >= 1);
            assert.match(ngx.logText(),
                         /\[error\] .*rtc rtsp cannot resolve rtsp:\/\/gone\.rtc\.test/);
        });
    });

    test('no resolver: "localhost" resolved at configuration time',
         async () => {
        const before = dns.queries.localhost || 0;

        await withNginx(
            `    rtc_stream cam rtsp://localhost:${CAM_PORT}/cam always;`,
            async (ngx) => {
                const s = await waitFor(async () => {
                    const c = streamOf(await ngx.status(), 'cam');
                    return c.state === 'playing' && c.keyframes_in > 0 && c;
                }, 20000, 'localhost camera playing');

                assert.equal(s.codec, 'H264');
            });

        assert.equal(dns.queries.localhost || 0, before);
    });
});
