/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The lease is a fencing token.  SIGSTOP the worker that pulls the camera
 * for longer than the lease (2 s) while viewers in other workers watch:
 * another worker takes the stream over; after SIGCONT the old producer
 * finds its epoch stale, says so in error.log, closes its camera
 * connection and leaves the stream alone.  Every viewer plays on, and one
 * camera connection remains.  Then the status after a kill -9 of the
 * producer of a stream nobody watches: no "playing" with a dead pid.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, sleep } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 20380;
const CAM_PORT = 20354;

const CONF = nginxConf({
    workers: 4, shutdown: true,
    http: `
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam idle=60s;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


function cam(st) {
    return st.streams.find((s) => s.name === 'cam');
}


describe('lease fencing', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          nginx: [{ port: PORT, conf: CONF, allowLog: [
                              /worker process \d+ exited on signal 9/] }] });
    let camera;
    let ngx;
    let viewers = [];

    before(async () => {
        ({ cam: camera, ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('a producer stopped longer than the lease is fenced', async () => {

        /* viewers until two are served by workers other than the producer */

        let producer = 0;
        let others = [];

        for (let i = 0; i < 12 && others.length < 2; i++) {
            const v = new Viewer(ngx, '/whep/cam', { name: `v${i}` });
            viewers.push(rig.track(v));
            await v.connectRetry(20000);
            await v.waitKeyframe(20000);

            const st = await ngx.status();
            producer = cam(st).producer_pid;
            const id = v.session.split('/').pop();
            const s = st.sessions.find((x) => id.startsWith(x.id)
                                              || x.id.startsWith(id));

            assert.ok(s, `${v.name}: session ${id} in status`);
            v.pid = s.pid;
            others = viewers.filter((x) => x.pid !== producer);
        }

        assert.ok(others.length >= 2, 'two viewers in other workers');
        assert.ok(producer > 0, 'a producer pid');
        assert.equal(camera.connections(), 1, 'one camera connection');

        /*
         * Stop the producer for longer than the lease (2 s), until another
         * worker took the stream over, and at least 3 s; not much longer
         * (10 s at most): the stopped worker's own viewers, whose RTCP it
         * does not read meanwhile, would be found silent after 20 s.
         */

        process.kill(producer, 'SIGSTOP');
        const stoppedAt = Date.now();

        let st;
        try {
            st = await waitFor(async () => {
                const s = await ngx.status();
                const c = cam(s);
                return c.producer_pid && c.producer_pid !== producer
                       ? s : null;
            }, 10000, 'a new producer while the old one is stopped');

            const left = 3000 - (Date.now() - stoppedAt);
            if (left > 0) {
                await sleep(left);
            }

        } finally {
            process.kill(producer, 'SIGCONT');
        }

        const successor = cam(st).producer_pid;

        /* the old producer says what happened and lets go of the camera */

        const lost = new RegExp(`\\[error\\] ${producer}#\\d+: rtc producer: `
                                + `lost stream "cam" to pid ${successor} `
                                + `\\(epoch (\\d+)->(\\d+)\\), stopping`);

        const m = await waitFor(() => lost.exec(ngx.logText()), 10000,
                                'the old producer logs the lost lease');
        assert.ok(Number(m[2]) > Number(m[1]), `epoch ${m[1]}->${m[2]}`);

        assert.match(ngx.logText(),
                     new RegExp(`\\[warn\\] ${successor}#\\d+: rtc producer: `
                                + `took stream "cam" over from pid `
                                + `${producer} \\(epoch \\d+->${m[2]}\\)`));

        await waitFor(() => camera.connections() === 1, 10000,
                      'one camera connection');

        /* it does not fight back: the successor keeps the stream */

        await sleep(3000);

        const after = cam(await ngx.status());
        assert.equal(after.producer_pid, successor);
        assert.equal(after.state, 'playing');
        assert.equal(camera.connections(), 1, 'one camera connection');

        /* every viewer plays on, those of the stopped worker too */

        for (const v of viewers) {
            await v.waitKeyframe(15000);
            await v.waitPackets(50, 10000);
        }

        const lostCount = ngx.logText().split('\n')
            .filter((l) => l.includes('rtc producer: lost stream')).length;
        assert.equal(lostCount, 1, 'the stream was lost once:\n'
                     + ngx.logText().split('\n')
                         .filter((l) => / rtc (producer|stream)/.test(l))
                         .join('\n'));
    });

    test('kill -9 of the producer of an unwatched stream', async () => {

        /* nobody watches: the producer stays for idle=60s */

        for (const v of viewers) {
            await v.close();
        }
        viewers = [];

        const st = await waitFor(async () => {
            const s = await ngx.status();
            const c = cam(s);
            return c.viewers === 0 && s.sessions.length === 0
                   && c.state === 'playing' && c.producer_pid ? s : null;
        }, 10000, 'no viewer, a producer still playing');

        const producer = cam(st).producer_pid;

        process.kill(producer, 'SIGKILL');
        const killedAt = Date.now();

        /* the status stops naming the dead producer within a few seconds */

        const c = await waitFor(async () => {
            const x = cam(await ngx.status());
            return x.producer_pid !== producer ? x : null;
        }, 8000, `status drops the dead producer ${producer}`);

        const took = Date.now() - killedAt;

        assert.equal(c.state, 'idle');
        assert.equal(c.producer_pid, 0);
        assert.ok(took < 6000, `status true after ${took} ms`);

        /* and it stays true: nobody produces a stream nobody wants */

        await sleep(1000);
        const again = cam(await ngx.status());
        assert.equal(again.state, 'idle');
        assert.equal(again.producer_pid, 0);
    });
});
