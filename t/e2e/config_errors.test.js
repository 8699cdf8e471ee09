/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * nginx -t refuses what cannot work, naming the directive and where it
 * is, instead of a configuration that starts and fails at run time:
 *
 *  - rtc_candidate takes IP addresses, every one given (it kept only the
 *    first, unparsed: a name or a bad address was logged as ignored at
 *    every viewer's session);
 *  - rtc_whep, rtc_status, rtc_metrics, rtc_snapshot, rtc_player and
 *    rtc_go2rtc_api need an rtc_zone (without one a POST got a bare 503,
 *    the status page a 404, and nothing in the log);
 *  - stream names "." and ".." (no URI reaches them), rtc_max_sessions 0
 *    (every offer refused), a whep:// source with two bearer tokens (the
 *    URL's and token=: one was dropped silently);
 *  - a camera URL that cannot be parsed says what is wrong with it (it
 *    said only what form was expected), never echoing the URL;
 *  - errors found after the http block is read (a camera name that does
 *    not resolve, rtc_stream without rtc_zone, rtc_source_ssl_verify
 *    without certificates) name the rtc_stream's line, not the "}";
 *  - and warns of runtime streams allowed from any address.
 *
 * nginx -t binds no port and starts no worker: no namespace needed.
 */

'use strict';

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { nginxConf, configTest: nginxTest } = require('./lib/nginx');


const dropZone = (text) => text.split('\n').filter(
    (l) => !/^\s*rtc_zone\s/.test(l)).join('\n');


/* nginx -t of a configuration: { status, stderr } */

function configTest(http, server, noZone) {
    return nginxTest(nginxConf({ workers: 1, http, server }),
                     noZone ? dropZone : null);
}


/* nginx -t, and the line of what it read that holds "text" */

function configTestLine(http, server, noZone, text) {
    let conf = '';

    const r = nginxTest(nginxConf({ workers: 1, http, server }), (t) => {
        conf = noZone ? dropZone(t) : t;
        return conf;
    });

    r.line = conf.split('\n').findIndex((l) => l.includes(text)) + 1;

    return r;
}


describe('nginx -t', { timeout: 60000 }, () => {

    test('rtc_candidate: IP addresses only, all of them', () => {
        let r = configTest('rtc_candidate 203.0.113.10 2001:db8::7;',
                           'location /whep/ { rtc_whep; }');
        assert.equal(r.status, 0, r.stderr);

        for (const bad of ['cam.example.org', '999.1.1.1',
                           '203.0.113.10:3478'])
        {
            r = configTest(`rtc_candidate 203.0.113.10 ${bad};`,
                           'location /whep/ { rtc_whep; }');
            assert.notEqual(r.status, 0, `accepted: ${bad}`);
            assert.match(r.stderr, new RegExp(
                `\\[emerg\\] rtc_candidate "${bad.replace(/\./g, '\\.')}" `
                + 'is not an IP address .* in \\S+nginx\\.conf:\\d+'),
                r.stderr);
        }
    });

    test('names and numbers that cannot work', () => {
        const cases = [
            ['rtc_stream . rtsp://127.0.0.1/cam;',
             /invalid rtc_stream name "\."/],
            ['rtc_stream .. rtsp://127.0.0.1/cam;',
             /invalid rtc_stream name "\.\."/],
            [`rtc_stream ${'n'.repeat(64)} rtsp://127.0.0.1/cam;`,
             /invalid rtc_stream name "n+": 1 to 63 characters/],
            ['rtc_max_sessions 0;',
             /value must be between 1 and 1048576 in \S+nginx\.conf:\d+/],
        ];

        for (const [line, re] of cases) {
            const r = configTest(line, 'location /whep/ { rtc_whep; }');
            assert.notEqual(r.status, 0, `accepted: ${line}`);
            assert.match(r.stderr, re, r.stderr);
        }

        const r = configTest('rtc_stream .a..b rtsp://127.0.0.1/cam;',
                             'location /whep/ { rtc_whep; }');
        assert.equal(r.status, 0, r.stderr);
    });

    test('two bearer tokens for a whep:// source', () => {
        let r = configTest('rtc_stream e whep://tok@127.0.0.1/whep/cam '
                           + 'token=other;', 'location /whep/ { rtc_whep; }');
        assert.notEqual(r.status, 0, 'accepted');
        assert.match(r.stderr, /rtc_stream "e": two bearer tokens/);

        r = configTest('rtc_stream e whep://127.0.0.1/whep/cam token=a '
                       + 'token=b;', 'location /whep/ { rtc_whep; }');
        assert.notEqual(r.status, 0, 'accepted');

        r = configTest('rtc_stream e whep://127.0.0.1/whep/cam token=a;',
                       'location /whep/ { rtc_whep; }');
        assert.equal(r.status, 0, r.stderr);
    });

    test('runtime streams from anywhere: a warning', () => {
        for (const all of ['all', '0.0.0.0/0', '::/0']) {
            const r = configTest('', 'location /api { rtc_go2rtc_api '
                                 + `streams=dynamic allow=10.0.0.0/8,${all}; }`);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stderr, new RegExp(
                `\\[warn\\] "${all.replace(/\./g, '\\.')}" lets any `
                + 'caller of PUT /api/streams choose where nginx connects'),
                r.stderr);
        }

        const r = configTest('', 'location /api { rtc_go2rtc_api '
                             + 'streams=dynamic allow=10.0.0.0/8; }');
        assert.doesNotMatch(r.stderr, /\[warn\]/);
    });

    test('the module\'s locations need an rtc_zone', () => {
        const cases = [
            ['rtc_whep', 'location /whep/ { rtc_whep; }'],
            ['rtc_status', 'location = /rtc/status { rtc_status; }'],
            ['rtc_metrics', 'location = /rtc/metrics { rtc_metrics; }'],
            ['rtc_snapshot', 'location /snap/ { rtc_snapshot; }'],
            ['rtc_player', 'location /rtc/player/ { rtc_player; }'],
            ['rtc_go2rtc_api', 'location /api { rtc_go2rtc_api; }'],
        ];

        for (const [name, loc] of cases) {
            const r = configTest('', loc, true);
            assert.notEqual(r.status, 0, `accepted: ${name} without a zone`);
            assert.match(r.stderr, new RegExp(
                `\\[emerg\\] "${name}" in \\S+nginx\\.conf:\\d+ needs an `
                + '"rtc_zone"'), r.stderr);
        }

        /* with the zone: fine */
        const r = configTest('', cases.map((c) => c[1]).join('\n'));
        assert.equal(r.status, 0, r.stderr);
    });

    test('a camera URL that cannot be used: what is wrong, not the URL', () => {
        const cases = [
            ['rtsp://', /no host/],
            ['rtsp:///cam', /no host/],
            ['http://10.0.0.2/cam', /the scheme is not rtsp:\/\/, rtsps:\/\/,/],
            ['rtsp://10.0.0.2:99999/cam', /the port is not 1 to 65535/],
            ['rtsp://admin:pa/ss@10.0.0.2/cam',
             /the port is not a number \(a "\/", "\?" or "#" in a password/],
            ['rtsp://admin:p%zzsecret@10.0.0.2/cam',
             /the password is too long or has an invalid %-escape/],
            ['rtsp://[fe80::1/cam', /an IPv6 address without its "\]"/],
            ['rtsp://cam_1!/cam', /an invalid character in the host name/],
        ];

        for (const [url, re] of cases) {
            const r = configTest(`rtc_stream bad ${url};`,
                                 'location /whep/ { rtc_whep; }');
            assert.notEqual(r.status, 0, `accepted: ${url}`);
            assert.match(r.stderr, /\[emerg\] invalid rtc_stream "bad" URL: /,
                         r.stderr);
            assert.match(r.stderr, re, r.stderr);
            assert.doesNotMatch(r.stderr, /pa\/ss|secret/, r.stderr);
        }
    });

    test('late errors name the rtc_stream\'s line', () => {
        const where = 'location /whep/ { rtc_whep; }';
        const cases = [
            ['rtc_stream cam rtsp://cam.invalid/live;', false,
             /cannot resolve rtc_stream "cam" URL rtsp:\/\/cam\.invalid:554/],
            ['rtc_stream cam rtsp://10.0.0.2/live;', true,
             /"rtc_stream" in \S+nginx\.conf:\d+ needs an "rtc_zone"/],
            ['rtc_source_ssl_verify on;\nrtc_stream cam rtsps://10.0.0.2/live;',
             false, /no "rtc_source_ssl_trusted_certificate" for/],
        ];

        for (const [http, noZone, re] of cases) {
            const r = configTestLine(http, where, noZone, 'rtc_stream cam');
            const line = r.line;

            assert.ok(line > 0);
            assert.notEqual(r.status, 0, `accepted: ${http}`);
            assert.match(r.stderr, re, r.stderr);
            assert.match(r.stderr, new RegExp(`nginx\\.conf:${line}\\b`),
                         `not line ${line}: ${r.stderr}`);
        }
    });
});
