/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * wheps:// sources and the configuration of whep:// sources.  An origin
 * nginx-rtc serves WHEP over HTTPS with a self-signed certificate made
 * here (two ports: one certificate the edge trusts, one it does not); the
 * edge verifies with rtc_rtsp_ssl_verify and plays the trusted one,
 * refuses the other with the reason in its status and error.log.
 * Options that mean nothing for whep:// are configuration errors.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const {
    makeCert, confFor, configTest, assertNotApplying,
} = require('./lib/rtsp');

const ORIGIN_PORT = 18930;
const TLS_PORT = 18931;
const OTHER_PORT = 18932;
const EDGE_PORT = 18933;
const CAM_PORT = 18966;


function originConf(certs, other) {
    return `
load_module %%MODULE%%;
%%TEST_GLOBALS%%
worker_processes 2;
events { worker_connections 1024; }
http {
    %%TEST_GLOBALS_HTTP%%
    rtc_zone   origin 32m;
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /rtc/status { rtc_status; }
    }
    server {
        listen 127.0.0.1:${TLS_PORT} ssl;
        ssl_certificate     ${certs.cert};
        ssl_certificate_key ${certs.key};
        location /whep/ { rtc_whep; }
    }
    server {
        listen 127.0.0.1:${OTHER_PORT} ssl;
        ssl_certificate     ${other.cert};
        ssl_certificate_key ${other.key};
        location /whep/ { rtc_whep; }
    }
}
`;
}


describe('wheps:// sources', { timeout: 60000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { size: '320x180', fps: 15, gop: 15 } });
    let origin;
    let edge;

    before(async () => {
        await rig.start();
        const dir = rig.tmpdir('nginx-rtc-wheps-');
        const certs = makeCert(dir, 'origin');
        const other = makeCert(dir, 'other');

        origin = await rig.add({ port: ORIGIN_PORT,
                                 conf: originConf(certs, other), workers: 2 });

        edge = await rig.add({ port: EDGE_PORT, workers: 2, conf: confFor([
            `    rtc_stream ok  wheps://tok@127.0.0.1:${TLS_PORT}/whep/cam`
            + ' always;',
            `    rtc_stream bad wheps://127.0.0.1:${OTHER_PORT}/whep/cam`
            + ' always;',
            '    rtc_rtsp_ssl_verify on;',
            `    rtc_rtsp_ssl_trusted_certificate ${certs.cert};`,
        ].join('\n'), { workers: 2 }),
            allowLog: [/rtc whep source .* certificate not trusted/] });
    });

    after(() => rig.stop());

    test('a trusted certificate plays; another is refused with the reason',
         async () => {
        await waitFor(async () => {
            const s = (await edge.status()).streams
                      .find((x) => x.name === 'ok');
            return s.state === 'playing' && s.keyframes_in > 0;
        }, 30000, 'wheps:// stream "ok" playing');

        const bad = await waitFor(async () => {
            const s = (await edge.status()).streams
                      .find((x) => x.name === 'bad');
            return s.state === 'retrying'
                   && /certificate not trusted/.test(s.last_error) && s;
        }, 20000, 'wheps:// stream "bad" refused');

        assert.match(bad.last_error, /wheps:\/\/127\.0\.0\.1:18932/);
        assert.match(edge.logText(),
                     /\[error\] .*rtc whep source .*certificate not trusted/);

        /* the origin has the edge's session of "ok" only */

        const os = await origin.status();
        assert.equal(os.sessions.length, 1);
        assert.doesNotMatch(JSON.stringify(await edge.status()), /tok@/);
    });

    test('nginx -t: options that mean nothing for whep:// are errors', () => {
        const url = `whep://127.0.0.1:${ORIGIN_PORT}/whep/cam`;
        assertNotApplying([
            [`    rtc_stream c ${url} transport=udp;`, '"transport=udp"',
             'whep:// and wheps://'],
            [`    rtc_stream c ${url} loop;`, '"loop"',
             'whep:// and wheps://'],
            [`    rtc_stream c ${url} audio=opus;`, '"audio=opus"',
             'whep:// and wheps://'],
            [`    rtc_stream c rtsp://127.0.0.1:${CAM_PORT}/cam token=x;`,
             '"token=x"', 'rtsp:// and rtsps://'],
        ]);

        let r = configTest(`    rtc_stream c ${url} token=a\\ b;`);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /invalid bearer token/);

        r = configTest(`    rtc_stream c ${url.replace('//', '//a%0Db@')};`);
        assert.notEqual(r.status, 0, 'a CR in the token');

        r = configTest(`    rtc_stream c ${url} token=abc.DEF-1_~+/= idle=5s`
                       + ' audio=off always;');
        assert.equal(r.status, 0, r.stderr);

        /* accepted, but said: an "always" stream never idles out */
        assert.ok(r.stderr.includes('[warn] rtc_stream "c": "idle=5s" is '
                                    + 'ignored with "always"'), r.stderr);
    });
});
