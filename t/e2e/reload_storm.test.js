/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Ten reloads in a row while viewers on every worker watch (issue 8,
 * point 3).  The old and the new worker of a slot share the slot's wake
 * flag but not its eventfd: a flag raised by an old producer for a worker
 * that is gone must not keep the slot's new worker asleep.  After each
 * reload a viewer joins every new worker, and every viewer so far (those
 * in old workers, which keep their sessions, and the new ones) must keep
 * getting packets.
 *
 * Every third reload, an old worker is stopped (SIGSTOP) first, so that
 * a producer raises its flag and writes its eventfd that it never reads,
 * then killed (SIGKILL) once the new workers are up: the slot's new
 * worker must be woken all the same.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { workerPids } = require('./lib/raw');
const { Viewer } = require('./lib/werift');

const PORT = 18690;
const CAM_PORT = 18665;
const WORKERS = 2;
const RELOADS = 10;

const CONF = nginxConf({
    workers: WORKERS, shutdown: '120s', listen: ' reuseport',
    http: `
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


describe('reload storm', { timeout: 180000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          nginx: [{ port: PORT, conf: CONF,
                                    allowLog: [/exited on signal 9/] }] });
    const viewers = rig.viewers;
    let ngx;
    let stopped = 0;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(async () => {
        if (stopped) {
            try {
                process.kill(stopped, 'SIGKILL');
            } catch (err) {
                /* gone */
            }
        }
        await rig.stop();
    });

    /*
     * The worker that answered the n-th POST, from access.log (written
     * once the response is out: wait for the line).
     */

    function postPid(n) {
        return waitFor(() => {
            const posts = ngx.accessLog().filter(
                (l) => l.request && l.request.startsWith('POST ')
                       && l.status === 201);
            return posts.length >= n ? posts[n - 1].pid : 0;
        }, 5000, `access.log line of POST ${n}`);
    }

    /* viewers until each of the workers has one (reuseport spreads them) */

    async function joinEvery(workers, round) {
        const have = new Set();

        for (let i = 0; have.size < workers.length; i++) {
            assert.ok(i < 12, `round ${round}: a viewer on every worker `
                              + `(have ${[...have]}, want ${workers})`);

            const v = new Viewer(ngx, '/whep/cam', { name: `r${round}v${i}` });
            await v.connectRetry(20000);
            viewers.push(v);

            const pid = await postPid(viewers.length);
            v.pid = pid;
            if (workers.includes(pid)) {
                have.add(pid);
            }
        }
    }

    /* every viewer so far (but those of killed workers) gets packets */

    async function allGrow(round) {
        const live = viewers.filter((v) => !v.killed);
        const base = live.map((v) => v.packets);
        const stuck = () => live.filter((v, i) => v.packets < base[i] + 10)
                                .map((v) => `${v.name} in ${v.pid} at `
                                            + `${v.packets}`).join(', ');

        await waitFor(() => live.every((v, i) => v.packets >= base[i] + 10),
                      15000, `round ${round}: packets for every viewer`)
            .catch((err) => {
                throw new Error(`${err.message}; stuck: ${stuck()}`);
            });
    }

    /* an old worker that is not the producer, stopped before the reload */

    async function stopOne(gen) {
        const st = await ngx.status();
        const producer = st.streams.find((x) => x.name === 'cam').producer_pid;
        const pid = gen.find((p) => p !== producer);

        process.kill(pid, 'SIGSTOP');
        stopped = pid;

        /* frames keep coming: its flag is raised, its eventfd written */
        const others = viewers.filter((v) => !v.killed && v.pid !== pid);
        const n = others.map((v) => v.packets);

        await waitFor(() => others.every((v, i) => v.packets > n[i] + 2),
                      10000, 'packets while a worker is stopped')
            .catch((err) => {
                throw new Error(`${err.message}; stopped ${pid}, stuck: `
                    + others.filter((v, i) => v.packets <= n[i] + 2)
                            .map((v) => `${v.name} in ${v.pid} at `
                                        + `${v.packets}`).join(', '));
            });
        return pid;
    }

    test('viewers in old and new workers play through 10 reloads',
         async () => {
        const master = ngx.pid();
        let gen = await waitFor(() => {
            const w = workerPids(master);
            return w.length === WORKERS ? w : null;
        }, 10000, 'the workers');
        const seen = new Set(gen);

        await joinEvery(gen, 0);
        await allGrow(0);

        for (let r = 1; r <= RELOADS; r++) {
            stopped = (r % 3 === 0) ? await stopOne(gen) : 0;

            process.kill(master, 'SIGHUP');

            gen = await waitFor(() => {
                const w = workerPids(master).filter((p) => !seen.has(p));
                return w.length === WORKERS ? w : null;
            }, 15000, `round ${r}: the new workers`);

            gen.forEach((p) => seen.add(p));

            if (stopped) {
                process.kill(stopped, 'SIGKILL');
                viewers.filter((v) => v.pid === stopped)
                       .forEach((v) => { v.killed = true; });
                stopped = 0;
            }

            await joinEvery(gen, r);
            await allGrow(r);
        }

        /*
         * The old workers kept their sessions, those of the killed ones
         * were freed: every other viewer is there.
         */

        const alive = viewers.filter((v) => !v.killed).length;

        await waitFor(async () => (await ngx.status()).sessions.length
                                  === alive,
                      10000, `${alive} sessions`);

        ngx.checkLog();
    });
});
