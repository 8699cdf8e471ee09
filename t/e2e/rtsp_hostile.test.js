/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The RTSP client against a camera that misbehaves on purpose
 * (t/lib/hostile_camera.py): one stream per kind of misbehaviour, all at
 * once.  Each must log why it failed, show "retrying" with that reason in
 * the status, reconnect more than once with a growing backoff; nginx must
 * not crash (same worker pids, no alert or crit) and never show the
 * password.  No media: runs without the network namespace too.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const {
    HostileCamera, streamOf, confFor, workerPids,
} = require('./lib/rtsp');

const PORT = 19380;
const CAM_PORT = 19855;

/*
 * what the client must say about each; "stall" and "chatty" take the
 * 10 s timeout
 */

const MODES = {
    malformed: /invalid message from .*: invalid status line/,
    huge_header: /invalid message from .*: header block too large/,
    huge_body: /invalid message from .*: body too large/,
    close_mid_body: /closed the connection/,
    unauthorized: /^401 Unauthorized from /,
    stall: /no answer to OPTIONS from .* within 10000 ms/,
    /* its own requests every 2 s do not push the DESCRIBE's deadline */
    chatty: /no answer to DESCRIBE from .* within 10000 ms/,
    truncated: /closed the connection/,
    oversized: /unusable packets in a row/,
    garbage: /unusable packets in a row/,
};

/* percent-encoded in the URL; never to be seen again */
const USERINFO = 'admin:p%40ss%20w0rd';


describe('hostile cameras', { timeout: 58000 }, () => {
    const rig = new Rig({ camera: false });
    let cam;
    let ngx;
    let pids;

    before(async () => {
        await rig.start();
        cam = await rig.addCamera({ port: CAM_PORT }, HostileCamera);

        const streams = Object.keys(MODES).map((m) =>
            `    rtc_stream ${m} ${cam.url(m, USERINFO)} always;`).join('\n');

        ngx = await rig.add({ port: PORT, conf: confFor(streams) });

        await waitFor(() => workerPids(ngx.pid()).length === 2, 5000,
                      'two workers');
        pids = workerPids(ngx.pid());
    });

    after(() => rig.stop());

    test('every stream fails, says why, and retries with backoff',
         async () => {
        const seen = {};

        await waitFor(async () => {
            const st = await ngx.status();

            for (const mode of Object.keys(MODES)) {
                const s = streamOf(st, mode);

                if (s.state === 'retrying' && MODES[mode].test(s.last_error)) {
                    seen[mode] = s.last_error;
                }
            }

            return Object.keys(MODES).every((m) =>
                seen[m] && (cam.conns[m] || 0) >= 3);

        }, 45000, 'every mode retrying with its reason, 3 connections each '
                  + `(seen ${JSON.stringify(seen)}, connections `
                  + `${JSON.stringify(cam.conns)})`);

        /* the backoff grows: 0.5 s, then 1 s (the failures are quick) */

        for (const mode of ['malformed', 'huge_body', 'unauthorized',
                            'garbage'])
        {
            const t = cam.times[mode];
            assert.ok(t.length >= 3, mode);
            assert.ok(t[2] - t[1] > (t[1] - t[0]) * 1.3,
                      `${mode}: backoff grows (${t[1] - t[0]} ms, then `
                      + `${t[2] - t[1]} ms)`);
        }

        /* the 401 loop is cut: a few requests per connection, not more */

        assert.ok(cam.conns.unauthorized < 20, 'unauthorized connections');
    });

    test('error.log says why at info or error level', () => {
        const log = ngx.logText();

        for (const mode of Object.keys(MODES)) {
            const lines = log.split('\n').filter((l) =>
                l.includes(`/${mode}`) && /retrying in \d+ ms/.test(l));

            assert.ok(lines.length >= 2, `${mode}: retry lines in error.log`);
            assert.ok(lines.every((l) => /\[(info|error)\]/.test(l)),
                      `${mode}: levels ${lines[0]}`);
            assert.ok(lines.some((l) => MODES[mode].test(
                          l.replace(/^.*rtc rtsp /, ''))),
                      `${mode}: reason in ${lines[0]}`);
        }

        assert.ok(!/p@ss|w0rd|p%40ss/.test(log), 'no password in error.log');
    });

    test('status never shows the password', async () => {
        const r = await ngx.http('GET', '/rtc/status');
        assert.equal(r.status, 200);
        assert.ok(!/p@ss|w0rd|p%40ss/.test(r.body), r.body);
        assert.match(r.body, /rtsp:\/\/\*\*\*@127\.0\.0\.1:/);
    });

    test('no worker crashed', () => {
        assert.deepEqual(workerPids(ngx.pid()), pids);
        ngx.checkLog();
    });
});
