/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Private memory per session in one worker: nginx (1 worker) and a
 * 400 kbit/s camera, then N whep-load sessions (left up: --no-delete);
 * the worker's /proc/PID/smaps_rollup before and with the N sessions.
 * Two counts give the cost of a session without the worker's one-time
 * growth: (Anonymous at N2 - at N1) / (N2 - N1).  With HT=FILE the
 * worker is traced by heaptrack (attached after start), for
 * heaptrack_print.
 *
 *   make && make whep-load
 *   t/lib/netns.sh node bench/session_memory.js [N]      # N: 50
 *   HT=/tmp/ht t/lib/netns.sh node bench/session_memory.js 50
 */

'use strict';

const { spawn, spawnSync } = require('node:child_process');

const lib = require('./lib');
const { WHEP_LOAD, MODULE: MOD } = lib;

const usage = lib.usage('[HT=FILE] t/lib/netns.sh node '
                        + 'bench/session_memory.js [N]');

const PORT = 21580;
const CAM_PORT = 21594;


async function measure(N, worker) {
    let ht = null;

    if (process.env.HT) {
        ht = spawn('heaptrack', ['-o', process.env.HT, '-p', String(worker)],
                   { stdio: 'inherit' });

        /* heaptrack attaches through gdb */
        const code = await new Promise((r) => {
            const t = setTimeout(r, 15000, null);
            ht.on('exit', (c) => { clearTimeout(t); r(c); });
        });
        if (code !== null) {
            throw new Error(`heaptrack exited with ${code}`);
        }
    }

    const before = lib.smapsKb(worker, 'Anonymous');

    /* the sessions stay up: their DELETEs are left out */

    const r = spawnSync(WHEP_LOAD,
                        lib.whepLoadArgs({ seconds: 5, ramp: 20,
                                           parallel: 4 },
                                         N, ['--timeout', '30', '--no-delete'],
                                         `http://127.0.0.1:${PORT}/whep/cam`),
                        { encoding: 'utf8' });
    if (r.status !== 0) {
        throw new Error(`whep-load exited with ${r.status}: ${r.stderr}`);
    }

    const j = JSON.parse(r.stdout);
    const after = lib.smapsKb(worker, 'Anonymous');

    console.log(JSON.stringify({
        module: MOD, sessions: j.up, failed: j.failed,
        anon_kb_before: before, anon_kb: after,
        kb_per_session: j.up ? +((after - before) / j.up).toFixed(1) : 0,
    }));

    /* heaptrack writes its file when the worker exits */

    return ht && {
        stop: () => new Promise((res) => {
            if (ht.exitCode !== null) {
                res();
            } else {
                ht.on('exit', res);
            }
        }),
    };
}


async function main() {
    const N = Number(process.argv[2] || 50);
    let rig = null;
    let ht = null;
    let failed = null;

    if (process.argv.length > 3 || !(N >= 1)) {
        usage('N: a count of sessions');
    }

    lib.requireBench(usage);

    if (process.env.HT) {
        lib.requireTool(usage, 'heaptrack', 'HT= needs heaptrack: apt-get '
                                            + 'install heaptrack');
    }

    try {
        rig = await lib.startOneWorker({
            port: PORT, camPort: CAM_PORT, maxSessions: 512, nofile: 4096,
            connections: 2048,
        });

        ht = await measure(N, rig.worker);

    } catch (err) {
        failed = err;
    }

    await lib.finish({ failed, stop: rig ? [rig.ngx, ht, rig.cam] : [] });
}


main();
