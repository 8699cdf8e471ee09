/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Stress, in bounded time: 4 workers, 2 cameras, 40 programmatic viewers
 * joining and leaving at random for about a minute while one camera
 * restarts, the producer of the other is killed -9 and nginx reloads once.
 * Asserts: no worker dies on a signal but the one we killed; every viewer
 * that stays gets a keyframe after each disturbance; at the end status has
 * no session and no viewer, the zone's free pages are back at their
 * baseline, and the workers' descriptors and memory are back near theirs.
 * Needs t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

const { waitFor, nginxConf } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 18880;
const CAM1 = 18864;
const CAM2 = 18865;

const VIEWERS = 40;
const CHURN_MS = 60000;

/* a fixed seed: the same run every time */
let seed = 20261125;

function random() {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
}

const CONF = nginxConf({
    workers: 4, shutdown: '10s', connections: 4096, zone: '64m',
    listen: ' reuseport',
    http: `
    rtc_stream cam1 rtsp://127.0.0.1:${CAM1}/cam idle=5s;
    rtc_stream cam2 rtsp://127.0.0.1:${CAM2}/cam idle=5s;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


function workers(master) {
    const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(master)],
                             { encoding: 'utf8' });
    return out.split('\n').map((s) => Number(s.trim())).filter((n) => n);
}


function usage(pid) {
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`,
                                                    'utf8'));
    return { fds, rss: Number(m[1]) };
}


describe('stress: churn, camera restart, kill -9, reload',
         { timeout: 300000 }, () => {
    const small = { size: '320x180', fps: 15, gop: 15, bitrate: 200 };
    const rig = new Rig({ netns: true, cameras: [
        Object.assign({ port: CAM1 }, small),
        Object.assign({ port: CAM2 }, small),
    ], nginx: [{ port: PORT, conf: CONF,
                 allowLog: [/worker process \d+ exited on signal 9/] }] });
    let cam2;
    let ngx;
    const live = new Set();
    let killed = 0;
    let n = 0;

    before(async () => {
        ({ ngx } = await rig.start());
        cam2 = rig.cams[1];
    });

    after(async () => {
        for (const v of live) {
            await v.close().catch(() => {});
        }
        await rig.stop();
    });

    async function join() {
        const stream = random() < 0.5 ? 'cam1' : 'cam2';
        const v = new Viewer(ngx, `/whep/${stream}`, { name: `v${n++}` });
        v.stream = stream;
        live.add(v);
        await v.connectRetry(20000);
        return v;
    }

    async function leave(v) {
        live.delete(v);
        const r = await v.close();
        assert.ok(r && (r.status === 200 || r.status === 404),
                  `${v.name}: DELETE ${r && r.status}`);
    }

    /* every viewer still here gets a keyframe: after a disturbance */

    async function allPlay(what) {
        await Promise.all([...live].map((v) => v.waitKeyframe(30000)
            .catch((e) => {
                throw new Error(`${what}: ${e.message}`);
            })));
    }

    async function churn(ms) {
        const end = Date.now() + ms;
        while (Date.now() < end) {
            if (live.size < VIEWERS && (live.size < 10 || random() < 0.6)) {
                await join();
            } else {
                const all = [...live];
                await leave(all[Math.floor(random() * all.length)]);
            }
        }
    }

    let baseline;

    test('baseline', async () => {
        await waitFor(async () => (await ngx.status()).zone, 5000, 'status');
        baseline = (await ngx.status()).zone.pages_free;
    });

    test('churn with a camera restart and a kill -9', async () => {
        await churn(CHURN_MS / 3);
        await allPlay('before disturbances');

        await cam2.restart();
        await churn(CHURN_MS / 6);
        await allPlay('after the camera restart');

        const st = await ngx.status();
        killed = st.streams.find((s) => s.name === 'cam1').producer_pid;
        assert.ok(killed > 0, 'cam1 has a producer');
        process.kill(killed, 'SIGKILL');

        /* viewers in the killed worker are gone for good */
        const dead = new Set((await ngx.status()).sessions
                             .filter((s) => s.pid === killed)
                             .map((s) => s.id));
        for (const v of [...live]) {
            const id = v.session ? v.session.split('/').pop() : '';

            if (dead.has(id.slice(0, 8))) {
                live.delete(v);
                await v.close().catch(() => {});
            }
        }

        await churn(CHURN_MS / 6);
        await allPlay('after kill -9');
    });

    test('reload under load', async () => {
        process.kill(ngx.pid(), 'SIGHUP');
        await churn(CHURN_MS / 3);
        await allPlay('after the reload');
    });

    test('all leave: back to baseline', async () => {
        for (const v of [...live]) {
            await leave(v);
        }

        const st = await waitFor(async () => {
            const s = await ngx.status();
            return s.sessions.length === 0
                   && s.streams.every((x) => x.viewers === 0) ? s : null;
        }, 15000, 'zero sessions and viewers');

        assert.equal(st.zone.pages_free, baseline, 'no shm leak');

        /* the old workers have exited; measure the new ones idle */

        await waitFor(() => workers(ngx.pid()).length === 4, 20000,
                      'exactly 4 workers');

        const pids = workers(ngx.pid());
        const before = new Map(pids.map((p) => [p, usage(p)]));

        /* one more round of 20 sessions on the idle workers */

        for (let i = 0; i < 20; i++) {
            const v = await join();
            await v.waitPackets(10, 20000);
            await leave(v);
        }

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      15000, 'zero sessions again');

        for (const p of pids) {
            const a = before.get(p);
            const b = usage(p);
            assert.ok(b.fds <= a.fds + 2,
                      `worker ${p}: fds ${a.fds} -> ${b.fds}`);
            assert.ok(b.rss <= a.rss + 16384,
                      `worker ${p}: rss ${a.rss} -> ${b.rss} kB`);
        }

        /* nobody else died */
        const signals = ngx.logText().split('\n')
                        .filter((l) => /exited on signal/.test(l)
                                       && !l.includes(` ${killed} `));
        assert.deepEqual(signals, []);
    });
});
