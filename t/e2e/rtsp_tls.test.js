/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtsps:// cameras (gst-rtsp-server with a self-signed certificate made
 * here): played without verification; with rtc_source_ssl_verify on,
 * played when the certificate is trusted and names the host, refused with
 * a clear reason when it is not trusted or names another host; "verify
 * on" without trusted certificates is a configuration error, as for
 * proxy_ssl_verify.  The old names (rtc_rtsp_ssl_*) still work, with a
 * warning.  No media to browsers: no namespace needed.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const nginx = require('./lib/nginx');
const { Rig } = require('./lib/rig');

const { Nginx, waitFor } = nginx;
const { RtspCamera, makeCert, streamOf, confFor } = require('./lib/rtsp');

const PORT = 19383;
const CAM_PORT = 19861;


describe('rtsps:// cameras', { timeout: 58000 }, () => {
    const rig = new Rig({ camera: false });
    let certs;
    let other;
    let cam;

    before(async () => {
        await rig.start();
        const dir = rig.tmpdir('nginx-rtc-tls-');
        certs = makeCert(dir, 'cam');
        other = makeCert(dir, 'other');

        cam = await rig.addCamera({
            port: CAM_PORT, size: '320x180', fps: 10, gop: 10, bitrate: 200,
            tlsCert: certs.cert, tlsKey: certs.key,
        }, RtspCamera);
    });

    after(() => rig.stop());

    function withNginx(lines, fn) {
        return nginx.withNginx({ port: PORT, conf: confFor(lines, {
            workers: 1,
        }) }, fn);
    }

    function waitState(ngx, name, state, re, what) {
        return waitFor(async () => {
            const s = streamOf(await ngx.status(), name);
            return s.state === state && (!re || re.test(s.last_error))
                   && (state !== 'playing' || s.keyframes_in > 0) && s;
        }, 20000, what);
    }

    test('verification off: plays', async () => {
        assert.match(cam.url, /^rtsps:\/\//);

        await withNginx(`    rtc_stream tls ${cam.url} always;`,
                        async (ngx) => {
            const s = await waitState(ngx, 'tls', 'playing', null,
                                      'rtsps playing');
            assert.equal(s.codec, 'H264');
        });
    });

    test('verification on, trusted: plays; another host name: refused',
         async () => {
        const byName = cam.url.replace('127.0.0.1', 'localhost');

        await withNginx([
            '    rtc_source_ssl_verify on;',
            `    rtc_source_ssl_trusted_certificate ${certs.cert};`,
            `    rtc_stream tls  ${cam.url} always;`,
            `    rtc_stream name ${byName} always;`,
        ].join('\n'), async (ngx) => {
            await waitState(ngx, 'tls', 'playing', null, 'trusted playing');

            const s = await waitState(ngx, 'name', 'retrying',
                                      /does not match/, 'name refused');
            assert.match(s.last_error, new RegExp(
                '^certificate of rtsps://localhost:\\d+/cam '
                + 'does not match "localhost"'));
        });
    });

    test('verification on (old names), not trusted: refused with the reason',
         async () => {
        await withNginx([
            '    rtc_rtsp_ssl_verify on;',
            `    rtc_rtsp_ssl_trusted_certificate ${other.cert};`,
            `    rtc_stream tls ${cam.url} always;`,
        ].join('\n'), async (ngx) => {
            const s = await waitState(ngx, 'tls', 'retrying', /not trusted/,
                                      'untrusted refused');
            assert.match(s.last_error, /not trusted: self.signed certificate/);
            assert.match(ngx.logText(), /\[error\] .*not trusted/);

            /* the old names are aliases of the new ones */
            for (const [old, name] of [
                ['rtc_rtsp_ssl_verify', 'rtc_source_ssl_verify'],
                ['rtc_rtsp_ssl_trusted_certificate',
                 'rtc_source_ssl_trusted_certificate'],
            ]) {
                assert.match(ngx.logText(), new RegExp(
                    `\\[warn\\] .*the "${old}" directive is deprecated, `
                    + `use the "${name}" directive instead`));
            }
        });
    });

    test('verification on without trusted certificates: nginx refuses',
         async () => {
        const ngx = new Nginx({ port: PORT, conf: confFor([
            '    rtc_source_ssl_verify on;',
            `    rtc_stream tls ${cam.url} always;`,
        ].join('\n'), { workers: 1 }), allowLog: [/\[emerg\]/] });

        await assert.rejects(ngx.start(5000), new RegExp(
            'no "rtc_source_ssl_trusted_certificate" for '
            + '"rtc_source_ssl_verify"'));
        await ngx.stop();
    });
});
