/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Viewers left in a worker that exits after a reload (a reload that keeps
 * the zone and the stream keeps them playing: reload.test.js), when what
 * they watch goes away while it exits:
 *
 *  - a reload removes their stream: nobody writes its ring again.  The
 *    exiting worker ends them (close_notify) within a second; it used to
 *    keep them on a frozen picture, counted in /rtc/status and
 *    rtc_max_sessions, until they left or worker_shutdown_timeout;
 *  - a second reload moves to another zone while the worker of the first
 *    configuration still exits: it ends its viewers as the second
 *    configuration's workers do (it used to keep them: it looked at the
 *    zone once, when its own exit began);
 *  - a graceful stop while a worker of an older configuration still
 *    exits: the stop ends its viewers and completes at once.
 *
 * One worker, so that every viewer is in the worker that exits.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');
const { workerPids: workers } = require('./lib/raw');

const PORT = 22080;
const CAM_PORT = 22054;


function conf(zone, streams) {
    return nginxConf({
        workers: 1, zone, shutdown: '60s',
        http: streams.map((s) => `
    rtc_stream ${s} rtsp://127.0.0.1:%%CAMPORT%%/cam;`).join(''),
        server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
    });
}


function alive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return false;
    }
}


describe('viewers of an exiting worker whose stream or zone goes',
         { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          nginx: [{ port: PORT,
                                    conf: conf('16m', ['a', 'b']) }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    async function reload(zone, streams) {
        const old = workers(ngx.pid());

        fs.writeFileSync(path.join(ngx.dir, 'nginx.conf'),
                         ngx.render(conf(zone, streams)));
        process.kill(ngx.pid(), 'SIGHUP');

        await waitFor(() => workers(ngx.pid()).some((p) => !old.includes(p)),
                      15000, 'a worker of the new configuration');
        return old;
    }

    async function watch(name) {
        const v = rig.track(new Viewer(ngx, `/whep/${name}`, { name }));
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);
        return v;
    }

    test('a reload removes the stream: its viewers end', async () => {
        const a = await watch('a');
        const b = await watch('b');
        const old = await reload('16m', ['a']);

        /* b's session ends in the exiting worker; a's plays on */

        await waitFor(async () => {
            const st = await ngx.status();
            return st.sessions.length === 1 ? st : null;
        }, 10000, 'the removed stream\'s session ended');

        assert.match(ngx.logText(), new RegExp('rtc stream "b" is not in '
            + 'the new configuration: closed its 1 session'));
        assert.ok(old.every(alive), 'the old worker still serves "a"');

        const got = b.packets;
        await a.waitPackets(50, 10000);
        assert.ok(b.packets - got < 20, 'b no longer gets media');
    });

    test('then a reload to another zone: the first worker ends them',
         async () => {
        const first = workers(ngx.pid());

        /* "a" is still watched in the first configuration's worker */

        assert.equal(first.length, 2, 'the first worker still exits');

        const second = await reload('24m', ['a']);

        await waitFor(() => second.every((p) => !alive(p)), 10000,
                      'the workers of the first two configurations exited');

        assert.match(ngx.logText(),
                     /rtc zone not used by a newer configuration/);

        const st = await ngx.status();
        assert.equal(st.zone.size, 24 * 1024 * 1024, 'the new zone');
        assert.equal(st.sessions.length, 0, 'no session in the new zone');
    });

    test('a graceful stop with an older worker exiting', async () => {
        await watch('a');

        /* a reload that keeps the zone: the viewer stays in its worker */

        const old = await reload('24m', ['a']);

        await waitFor(async () => {
            const st = await ngx.status();
            return st.sessions.length === 1 ? st : null;
        }, 10000, 'the session kept through the reload');
        assert.ok(old.every(alive));

        const master = ngx.pid();
        const t0 = Date.now();

        process.kill(master, 'SIGQUIT');

        /* not when the viewer leaves, nor after worker_shutdown_timeout */

        await waitFor(() => !alive(master), 10000, 'nginx stopped');
        assert.ok(Date.now() - t0 < 10000);
    });
});
