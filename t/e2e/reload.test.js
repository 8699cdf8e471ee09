/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * nginx -s reload with a viewer playing: the zone is reused, the new
 * workers take the producer over, the viewer (in an old worker) keeps
 * getting video, and its DELETE, which lands in a new worker, still ends
 * it.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

const { waitFor, DEFAULT_CONF } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 18680;
const CAM_PORT = 18664;


function workers(master) {
    const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(master)],
                             { encoding: 'utf8' });
    return out.split('\n').map((s) => Number(s.trim())).filter((n) => n);
}


describe('reload', { timeout: 120000 }, () => {
    /* the old worker keeps the viewer until its DELETE, however slow */
    const rig = new Rig({ netns: true, camPort: CAM_PORT, nginx: [{
        port: PORT, workers: 2, conf: DEFAULT_CONF.replace(
            'worker_shutdown_timeout 5s', 'worker_shutdown_timeout 60s'),
    }] });
    let ngx;
    let viewer;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('a viewer plays through a reload', async () => {
        viewer = rig.track(new Viewer(ngx, '/whep/cam', { name: 'v' }));
        await viewer.connectRetry(20000);
        await viewer.waitKeyframe(20000);

        const old = workers(ngx.pid());
        const before = await ngx.status();

        process.kill(ngx.pid(), 'SIGHUP');

        const st = await waitFor(async () => {
            const s = await ngx.status();
            const c = s.streams.find((x) => x.name === 'cam');
            return c.producer_pid && !old.includes(c.producer_pid)
                   && c.state === 'playing' ? s : null;
        }, 15000, 'a producer in a new worker');

        /* the zone survived: counters went on */

        const c0 = before.streams.find((x) => x.name === 'cam');
        const c1 = st.streams.find((x) => x.name === 'cam');
        assert.ok(c1.frames_in >= c0.frames_in, 'frames_in kept');
        assert.equal(st.sessions.length, 1, 'the session is still there');

        /* video keeps coming after the new producer started */

        await viewer.waitKeyframe(20000);
        await viewer.waitPackets(100, 10000);

        const r = await viewer.close();
        viewer = null;
        assert.equal(r.status, 200, 'DELETE after reload');

        await waitFor(async () => {
            const s = await ngx.status();
            return s.sessions.length === 0;
        }, 10000, 'the session gone');

        /* the old workers exit once their sessions ended */

        await waitFor(() => old.every((p) => !workers(ngx.pid()).includes(p)),
                      15000, 'old workers exited');

        ngx.checkLog();
    });
});
