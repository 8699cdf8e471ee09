/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Producer failover: kill -9 the worker that pulls the camera; another
 * worker takes the stream over within a few seconds, a viewer served by a
 * third worker keeps getting H.264 (a keyframe after the kill), and the
 * dead worker's sessions are freed.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 18580;
const CAM_PORT = 18564;


function cam(st) {
    return st.streams.find((s) => s.name === 'cam');
}


describe('producer failover', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, nginx: [
        { port: PORT, workers: 4,
          allowLog: [/worker process \d+ exited on signal 9/] },
    ] });
    const viewers = rig.viewers;
    let ngx;

    before(async () => {
        ngx = (await rig.start()).ngx;
    });

    after(() => rig.stop());

    test('kill -9 of the producer: another worker takes over', async () => {

        /* viewers until one is served by a worker that is not the producer */

        let survivor = null;
        let producer = 0;

        for (let i = 0; i < 10 && !survivor; i++) {
            const v = new Viewer(ngx, '/whep/cam', { name: `v${i}` });
            viewers.push(v);
            await v.connectRetry(20000);
            await v.waitKeyframe(20000);

            const st = await ngx.status();
            producer = cam(st).producer_pid;
            const id = v.session.split('/').pop();
            /* the status page shows an id's first 8 hex digits only */
            const s = st.sessions.find((x) => id.startsWith(x.id));

            assert.ok(s, `${v.name}: session ${id} in status`);
            if (s.pid !== producer) {
                survivor = v;
            }
        }

        assert.ok(survivor, 'a viewer in a worker other than the producer');
        assert.ok(producer > 0, 'a producer pid');

        const killedAt = Date.now();
        process.kill(producer, 'SIGKILL');

        const st = await waitFor(async () => {
            const s = await ngx.status();
            const c = cam(s);
            return c.producer_pid && c.producer_pid !== producer
                   && c.state === 'playing' ? s : null;
        }, 10000, 'a new producer');

        const took = Date.now() - killedAt;
        assert.ok(took < 6000, `takeover took ${took} ms`);

        /* the viewer in another worker plays on: a keyframe after the kill */

        await survivor.waitKeyframe(20000);
        await survivor.waitPackets(50, 10000);

        /* the dead worker's sessions are freed by the others */

        await waitFor(async () => {
            const s = await ngx.status();
            return !s.sessions.some((x) => x.pid === producer);
        }, 10000, `sessions of ${producer} freed`);

        assert.notEqual(cam(st).producer_pid, producer);
    });

    test('all leave: no session, no viewer', async () => {
        for (const v of viewers) {
            await v.close();
        }
        await waitFor(async () => {
            const s = await ngx.status();
            return s.sessions.length === 0 && cam(s).viewers === 0;
        }, 10000, 'zero sessions');
        ngx.checkLog();
    });
});
