/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * GLib's work per wake-up: nginx with one worker serves N whep-load
 * sessions of a 400 kbit/s camera, and the worker's poll() and
 * epoll_wait() calls are traced for 3 s (strace): how many poll() calls
 * (GLib iterations that polled), and how many fds each polled.
 *
 *   make && make whep-load
 *   t/lib/netns.sh node bench/gloop_poll.js [N]      # N: 200
 *   NGX_RTC_MODULE=/path/to/other.so t/lib/netns.sh node bench/gloop_poll.js
 *
 * Prints one JSON line.  strace slows the worker down: compare modules,
 * not absolute rates.
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn, execSync } = require('node:child_process');

const { waitFor } = require('../t/e2e/lib/nginx');
const lib = require('./lib');
const { WHEP_LOAD, MODULE: MOD } = lib;

const usage = lib.usage('t/lib/netns.sh node bench/gloop_poll.js [N]');

const PORT = 21680;
const CAM_PORT = 21694;
const SECONDS = 3;


async function trace(N, ngx, worker) {
    const wl = spawn(WHEP_LOAD,
                     lib.whepLoadArgs({ seconds: 12, ramp: 50, parallel: 8 },
                                      N, ['--timeout', '30'],
                                      `http://127.0.0.1:${PORT}/whep/cam`),
                     { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    wl.stderr.on('data', (c) => { log += c; });

    try {
        await waitFor(async () => /measuring/.test(log), 120000,
                      'sessions up');
        await new Promise((r) => setTimeout(r, 2000));

        const out = path.join(ngx.dir, 'strace.txt');

        try {
            execSync(`timeout ${SECONDS} strace -e trace=poll,epoll_wait `
                     + `-p ${worker} -o ${out}`);
        } catch (e) {
            /* timeout ends strace with a status */
        }

        const calls = fs.readFileSync(out, 'utf8').split('\n')
                      .filter((l) => /^(poll|epoll_wait)\(/.test(l));
        const polls = calls.filter((l) => l.startsWith('poll('));
        const nfds = polls.map((l) => Number((l.match(/\], (\d+), /)
                                             || [])[1] || 0));
        const sum = nfds.reduce((a, b) => a + b, 0);

        console.log(JSON.stringify({
            module: MOD, sessions: N, seconds: SECONDS,
            epoll_waits: calls.length - polls.length, polls: polls.length,
            polls_nothing_ready: polls.filter((l) => / = 0 /.test(l)).length,
            fds_polled: sum,
            mean_fds_per_poll: polls.length
                               ? +(sum / polls.length).toFixed(1) : 0,
            max_fds: Math.max(0, ...nfds),
        }));

        await new Promise((r) => wl.on('exit', r));

    } finally {
        if (wl.exitCode === null) {
            wl.kill('SIGTERM');
        }
    }
}


async function main() {
    const N = Number(process.argv[2] || 200);
    let rig = null;
    let failed = null;

    if (process.argv.length > 3 || !(N >= 1)) {
        usage('N: a count of sessions');
    }

    lib.requireBench(usage);
    lib.requireTool(usage, 'strace', 'strace not found: apt-get install '
                                     + 'strace');

    try {
        rig = await lib.startOneWorker({
            port: PORT, camPort: CAM_PORT, maxSessions: 2048, nofile: 8192,
            connections: 4096,
        });

        await trace(N, rig.ngx, rig.worker);

    } catch (err) {
        failed = err;
    }

    await lib.finish({ failed, stop: rig ? [rig.ngx, rig.cam] : [] });
}


main();
