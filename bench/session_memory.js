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

const N = Number(process.argv[2] || 50);
const PORT = 21580;
const CAM_PORT = 21594;


async function main() {
    const { cam, ngx, worker } = await lib.startOneWorker({
        port: PORT, camPort: CAM_PORT, maxSessions: 512, nofile: 4096,
        connections: 2048,
    });
    let ht = null;

    if (process.env.HT) {
        ht = spawn('heaptrack', ['-o', process.env.HT, '-p', String(worker)],
                   { stdio: 'inherit' });

        /* heaptrack attaches through gdb */
        await new Promise((r) => setTimeout(r, 15000));
    }

    const before = lib.smapsKb(worker, 'Anonymous');

    /* the sessions stay up: their DELETEs are left out */

    const r = spawnSync(WHEP_LOAD,
                        lib.whepLoadArgs({ seconds: 5, ramp: 20,
                                           parallel: 4 },
                                         N, ['--timeout', '30', '--no-delete'],
                                         `http://127.0.0.1:${PORT}/whep/cam`),
                        { encoding: 'utf8' });
    const j = JSON.parse(r.stdout);
    const after = lib.smapsKb(worker, 'Anonymous');

    console.log(JSON.stringify({
        module: MOD, sessions: j.up, failed: j.failed,
        anon_kb_before: before, anon_kb: after,
        kb_per_session: j.up ? +((after - before) / j.up).toFixed(1) : 0,
    }));

    await ngx.stop();

    if (ht) {
        await new Promise((res) => ht.on('exit', res));
    }

    await cam.stop();
}


main().catch((e) => {
    console.error(e);
    process.exit(1);
});
