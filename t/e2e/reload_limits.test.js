/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Reloads that change what the zone was laid out for (issue 8, point 8):
 * each change applies (visible in /rtc/status) or the reload is refused
 * with an [emerg] that says why and what to do, and the running
 * configuration keeps serving.
 *
 *   rtc_max_sessions lowered: applies; raised past the zone's table:
 *   refused.  buffer= of an idle stream: applies (a new ring); of a stream
 *   in use: refused.  Streams removed at one reload free their entries for
 *   new names at a later one; replacing a full table in one reload is
 *   refused (remove, then add).
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { workerPids } = require('./lib/raw');

const PORT = 18696;
const CAM_PORT = 18669;          /* nothing listens: "cam" keeps retrying */

function re(text) {
    return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

const MSG = {
    sessions: re('rtc_max_sessions changed from 4 to 16, rtc_zone "cams" '
                 + 'has room for 8: change the rtc_zone size or name to '
                 + 'apply it'),
    buffer: re('rtc_stream "cam" buffer= changed from 1048576 to 2097152 '
               + 'while the stream is in use: reload when it has no '
               + 'viewers and no producer, or change the rtc_zone name '
               + 'to apply it'),
    table: re('rtc_zone "cams" has no free stream entry for 1021 new '
              + 'stream(s): its 1024 entries hold the streams of the running '
              + 'configuration and removed streams still in use; remove '
              + 'streams in one reload and add the new ones in the next, '
              + 'or change the rtc_zone name'),
};


function conf(o) {
    const extra = (o.extra || []).map(
        (n) => `    rtc_stream ${n} rtsp://127.0.0.1:%%CAMPORT%%/${n} `
               + 'buffer=256k;').join('\n');

    return nginxConf({
        zone: '320m', connections: 256,
        http: `
    rtc_max_sessions ${o.sessions || 8};

    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always
               buffer=${o.cam || '1m'};
    rtc_stream idle1 rtsp://127.0.0.1:%%CAMPORT%%/idle1
               buffer=${o.idle || '1m'};
${extra}`,
        server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
    });
}


function names(prefix, n) {
    return Array.from({ length: n }, (x, i) => `${prefix}${i + 1}`);
}


describe('reload limits', { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, camera: false, nginx: [
        { port: PORT, conf: conf({}), allowLog: Object.values(MSG) },
    ] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    /* a reload that applies: all workers new */

    async function applied(o) {
        const master = ngx.pid();
        const old = workerPids(master);
        const logged = ngx.logText().length;

        fs.writeFileSync(path.join(ngx.dir, 'nginx.conf'),
                         ngx.render(conf(o)));
        process.kill(master, 'SIGHUP');

        await waitFor(() => {
            const w = workerPids(master);
            return w.length === 2 && w.every((p) => !old.includes(p));
        }, 20000, 'the new workers');

        assert.ok(!/\[emerg\]/.test(ngx.logText().slice(logged)),
                  'no [emerg]');
        return ngx.status();
    }

    /* a reload that is refused: the reason in error.log, same workers */

    async function refused(o, re) {
        const master = ngx.pid();
        const old = workerPids(master).sort().join(',');
        const logged = ngx.logText().length;

        fs.writeFileSync(path.join(ngx.dir, 'nginx.conf'),
                         ngx.render(conf(o)));
        process.kill(master, 'SIGHUP');

        await waitFor(() => re.test(ngx.logText().slice(logged)), 20000,
                      `error.log: ${re}`);
        assert.equal(workerPids(master).sort().join(','), old,
                     'the running workers keep serving');
        return ngx.status();
    }

    function stream(st, name) {
        return st.streams.find((s) => s.name === name);
    }

    test('rtc_max_sessions', async () => {
        let st = await ngx.status();
        assert.equal(st.zone.max_sessions, 8);

        st = await applied({ sessions: 4 });
        assert.equal(st.zone.max_sessions, 4, 'lowered: applied');

        st = await refused({ sessions: 16 }, MSG.sessions);
        assert.equal(st.zone.max_sessions, 4, 'raised: refused');
    });

    test('buffer=', async () => {
        let st = await applied({ sessions: 4, idle: '2m' });
        assert.equal(stream(st, 'idle1').buffer, 2 * 1024 * 1024,
                     'an idle stream: applied');
        assert.equal(st.streams.length, 2, 'the old entry is not listed');

        await waitFor(async () => stream(await ngx.status(), 'cam')
                                  .producer_pid, 10000, 'a producer of cam');

        st = await refused({ sessions: 4, idle: '2m', cam: '2m' }, MSG.buffer);
        assert.equal(stream(st, 'cam').buffer, 1024 * 1024,
                     'a stream in use: refused');
    });

    test('removed streams free their entries', async () => {
        const base = { sessions: 4, idle: '2m' };

        /* 2 + 1021 streams: with the entry of the old idle1 ring, 1024 */

        let st = await applied(Object.assign({ extra: names('s', 1021) },
                                             base));
        assert.equal(st.streams.length, 1023);

        /* replacing them all at once: no free entries yet */

        await refused(Object.assign({ extra: names('t', 1021) }, base),
                      MSG.table);

        /* removed at one reload, their entries serve new names at the next */

        st = await applied(base);
        assert.equal(st.streams.length, 2);

        st = await applied(Object.assign({ extra: names('t', 1021) }, base));
        assert.equal(st.streams.length, 1023);
        assert.ok(stream(st, 't1021') && !stream(st, 's1'), 'the new names');

        const r = await ngx.http('POST', '/whep/t1021', 'v=0\r\n',
                                 { 'Content-Type': 'application/sdp' });
        assert.ok(r.status === 400 || r.status === 503,
                  `POST to a new stream: ${r.status}`);

        ngx.checkLog();
    });
});
