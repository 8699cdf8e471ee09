/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Cameras by host name (issue 8, point 5): the worker never blocks on
 * getaddrinfo().  With the http block's "resolver", the name goes to
 * nginx's asynchronous resolver (a real DNS exchange with lib/dns.js) on
 * each connection attempt, while the worker goes on serving (a viewer's
 * packets keep coming while another camera's name gets no answer), and a
 * name the server does not know is a clear failure, retried; without
 * one, the name is resolved at configuration time ("localhost" through
 * /etc/hosts), as proxy_pass does.
 * An rtsps:// camera by name is verified against that name.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const nginx = require('./lib/nginx');
const { waitFor } = nginx;
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { RtspCamera, makeCert, streamOf, confFor } = require('./lib/rtsp');
const { DnsServer } = require('./lib/dns');

const PORT = 19483;
const CAM_PORT = 19893;
const DNS_PORT = 19453;
const TLS_PORT = 19894;


describe('cameras by host name', { timeout: 60000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { size: '320x180', fps: 25, gop: 25 } });
    let dns;
    let tls;
    let certs;

    before(async () => {
        await rig.start();
        certs = makeCert(rig.tmpdir('nginx-rtc-dns-'), 'cam');
        tls = await rig.addCamera({
            port: TLS_PORT, size: '320x180', fps: 10, gop: 10, bitrate: 200,
            tlsCert: certs.cert, tlsKey: certs.key,
        }, RtspCamera);
        dns = await new DnsServer({ 'cam.rtc.test': '127.0.0.1',
                                    'slow.rtc.test': null })
                  .start(DNS_PORT);
        rig.defer(() => dns.stop());
    });

    after(() => rig.stop());

    function withNginx(lines, fn, workers) {
        return nginx.withNginx({ port: PORT, conf: confFor(lines, {
            workers: workers || 2 }) }, fn);
    }

    test('resolver: a viewer plays a camera named in DNS; an unknown name '
         + 'fails clearly', async () => {
        await withNginx([
            `    resolver 127.0.0.1:${DNS_PORT} valid=1s ipv6=off;`,
            '    resolver_timeout 5s;',
            `    rtc_stream cam rtsp://cam.rtc.test:${CAM_PORT}/cam;`,
            `    rtc_stream gone rtsp://gone.rtc.test:${CAM_PORT}/cam always;`,
            `    rtc_stream slow rtsp://slow.rtc.test:${CAM_PORT}/cam always;`,
        ].join('\n'), async (ngx) => {
            const v = new Viewer(ngx, '/whep/cam', { name: 'by-name' });

            try {
                await v.connectRetry(20000);
                await v.waitKeyframe(20000);
                await v.waitPackets(50, 20000);

                /* one worker; "slow" waits for an answer meanwhile */

                assert.ok(dns.queries['slow.rtc.test'] >= 1,
                          'the unanswered name was asked');

                let gap = 0;
                const end = Date.now() + 3000;

                while (Date.now() < end) {
                    gap = Math.max(gap, Date.now() - v.lastPacketAt);
                    await new Promise((r) => setTimeout(r, 50));
                }

                assert.ok(gap < 1000, `no packet for ${gap} ms`);
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

            assert.match(s.last_error, new RegExp(
                '^cannot resolve rtsp://gone\\.rtc\\.test:\\d+/cam: '
                + 'Host not found'));
            assert.ok(dns.queries['gone.rtc.test'] >= 1);
            assert.match(ngx.logText(), new RegExp(
                '\\[error\\] .*rtc rtsp cannot resolve '
                + 'rtsp://gone\\.rtc\\.test'));
        }, 1);
    });

    test('resolver: rtsps:// by name is verified against the name',
         async () => {
        const url = tls.url.replace('127.0.0.1', 'cam.rtc.test');

        await withNginx([
            `    resolver 127.0.0.1:${DNS_PORT} valid=1s ipv6=off;`,
            '    rtc_rtsp_ssl_verify on;',
            `    rtc_rtsp_ssl_trusted_certificate ${certs.cert};`,
            `    rtc_stream tls ${url} always;`,
        ].join('\n'), async (ngx) => {
            /* the certificate names 127.0.0.1 only */
            const s = await waitFor(async () => {
                const t = streamOf(await ngx.status(), 'tls');
                return /does not match/.test(t.last_error) && t;
            }, 15000, 'verification against the name');

            assert.match(s.last_error, new RegExp(
                '^certificate of rtsps://cam\\.rtc\\.test:\\d+/cam '
                + 'does not match "cam\\.rtc\\.test"'));
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
