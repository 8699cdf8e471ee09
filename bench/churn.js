/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Churn: does a worker come back to where it was after thousands of
 * viewers came and went?  The real nginx with the built module (2
 * workers), one camera, and cycles of --parallel whep-load processes at
 * once, each of -n sessions that join, are measured for a second and
 * leave: DELETEd, or (every --timeout-every'th cycle) left to end on the
 * server ("peer silent", 20 s without the viewer's RTCP), for --cycles
 * or --minutes.  Run by hand, as root, in the test namespace:
 *
 *   make && make whep-load
 *   t/lib/netns.sh node bench/churn.js [--minutes 5 | --cycles N]
 *       [--parallel 4] [-n 25] [--timeout-every 5] [--warmup 200]
 *       [--bitrate 400] [--json FILE]
 *
 * After a warm-up (--warmup sessions, in cycles as the others: the
 * one-time growth and the high-water mark of the sessions up at once)
 * and once nginx has no session, the baseline of each worker: VmRSS,
 * RssAnon, Threads and its open fds (/proc), glibc's malloc in use and
 * free (mallinfo2() through gdb), its CPU and wake-ups (voluntary
 * context switches) a second over 5 s with the camera alone (a leaked
 * timer or GLib source that fires shows there); and the zone's
 * (/rtc/status: free pages of its slab; /rtc/metrics: free bytes,
 * sessions used).  Half-way and at the end, once /rtc/status shows no
 * session and /rtc/metrics no session in any worker, the same again;
 * a table of each figure's growth, in all and per 1000 sessions, and
 * per 1000 over the second half alone (a leak grows in both halves);
 * at the end each worker's VmRSS after malloc_trim(0).  The run fails
 * if a worker died (its pid changed) or error.log has an alert, a crash
 * or a sanitizer report (t/e2e/lib/nginx.js).

 * With the module built with ASan (NGX_RTC_MODULE=/abs/build/asan/...so
 * NGX_RTC_ASAN_PRELOAD="$(gcc -print-file-name=libasan.so):$NGX_RTC_MODULE")
 * and NGX_RTC_ASAN_OPTIONS=detect_leaks=1, LeakSanitizer reports what
 * each worker leaked when it exits (nginx -s quit at the end).  The module
 * preloaded stays mapped: nginx unloads it (dlclose()) before a process
 * exits, and what only its globals pointed to would be reported too (some
 * 4 MB in 38 blocks a worker, whatever the sessions).  With HT=FILE
 * the first worker is traced by heaptrack (attached after start), for
 * heaptrack_print.
 */

'use strict';

const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { waitFor, sleep } = require(path.join(E2E_LIB, 'nginx'));
const lib = require('./lib');
const { fmt } = lib;


const OPTIONS = lib.options(['--parallel', '--bitrate', '--port',
                             '--cam-port', '--json'], {
    '--cycles': ['cycles', Number],
    '--minutes': ['minutes', Number],
    '-n': ['n', Number],
    '--timeout-every': ['timeoutEvery', Number],
    '--warmup': ['warmup', Number],
});


const usage = lib.usage('t/lib/netns.sh node bench/churn.js '
    + '[--minutes 5 | --cycles N] [--parallel 4] [-n 25] '
    + '[--timeout-every 5] [--warmup 200] [--bitrate 400] [--json FILE]');


const WORKERS = 2;


function parseArgs(argv) {
    const o = lib.parseOptions(argv, OPTIONS, {
        cycles: 0, minutes: 0, parallel: 4, n: 25, timeoutEvery: 5,
        warmup: 200, bitrate: 400, port: 21680, camPort: 21694, json: null,
    }, usage);

    if (!o.cycles && !o.minutes) {
        o.minutes = 5;
    }

    if (!(o.parallel >= 1) || !(o.n >= 1)) {
        usage('--parallel and -n: counts');
    }

    return o;
}


/*
 * One cycle: o.parallel whep-load processes of o.n sessions each, a
 * window of 1 s, DELETEs unless noDelete: { up, failed, failures }
 */

async function cycle(o, ngx, noDelete) {
    const runs = [];

    for (let i = 0; i < o.parallel; i++) {
        const args = ['-n', String(o.n), '-d', '1', '-p', '4',
                      '--timeout', '15', '--json',
                      ...(noDelete ? ['--no-delete'] : []),
                      ngx.url('/whep/cam')];
        runs.push(lib.runWhepLoad(args, () => null));
    }

    const c = { up: 0, failed: 0, failures: {} };

    for (const { r } of await Promise.all(runs)) {
        c.up += r.up;
        c.failed += r.failed;
        for (const [k, v] of Object.entries(r.failures || {})) {
            c.failures[k] = (c.failures[k] || 0) + v;
        }
    }

    return c;
}


/* the workers' CPU ms and wake-ups a second over sec seconds */

async function idle(pids, sec) {
    const read = () => pids.map((p) => ({
        cpu: lib.cpuMs(p),
        csw: lib.procStatus(p, 'voluntary_ctxt_switches'),
    }));

    const a = read();
    await sleep(sec * 1000);
    const b = read();

    return pids.map((p, i) => ({
        cpu: (b[i].cpu - a[i].cpu) / sec,
        csw: (b[i].csw - a[i].csw) / sec,
    }));
}


/*
 * The heap of a worker, KB, through gdb: glibc's malloc (mallinfo2()):
 * in use (uordblks, hblkhd: chunks handed out, of the arenas and
 * mmap()ed) and free in the arenas (fordblks); under ASan, whose
 * allocator glibc's figures do not see, in use is ASan's
 * (__sanitizer_get_current_allocated_bytes()) and free null; nulls
 * without gdb
 */

function heap(pid) {
    /* without ASan the second command fails, and so does gdb's status */

    const out = spawnSync('gdb', ['-p', String(pid), '-batch', '-nx',
                                  '-ex', 'p mallinfo2()',
                                  '-ex', 'p (unsigned long) '
                                         + '__sanitizer_get_current_'
                                         + 'allocated_bytes()'],
                          { encoding: 'utf8',
                            stdio: ['ignore', 'pipe', 'ignore'] }).stdout
                || '';

    const f = (re) => {
        const m = out.match(re);
        return m ? Number(m[1]) / 1024 : null;
    };

    const asan = f(/^\$2 = (\d+)/m);

    if (asan !== null) {
        return { inUse: asan, free: null };
    }

    const used = f(/\buordblks = (\d+)/);

    if (used === null) {
        return { inUse: null, free: null };
    }

    return { inUse: used + f(/\bhblkhd = (\d+)/),
             free: f(/\bfordblks = (\d+)/) };
}


/*
 * glibc's malloc_trim(0) in a worker, through gdb (the free memory of
 * its arenas given back to the system): its VmRSS and RssAnon after, KB,
 * or null without gdb
 */

function trim(pid) {
    try {
        execFileSync('gdb', ['-p', String(pid), '-batch', '-nx',
                             '-ex', 'p (int) malloc_trim(0)'],
                     { stdio: 'ignore' });
    } catch (err) {
        return null;
    }

    return { vmRssKb: lib.procStatus(pid, 'VmRSS'),
             rssAnonKb: lib.procStatus(pid, 'RssAnon') };
}


/*
 * nginx without a session (in /rtc/status and in every worker's count of
 * /rtc/metrics): resolves with /rtc/status, or throws after ms
 */

async function drained(ngx, ms, what) {
    return waitFor(async () => {
        const st = await lib.status(ngx);
        const m = await lib.metrics(ngx);

        if (!st || !m || st.sessions.length) {
            return null;
        }

        const busy = Object.entries(m).some(
            ([k, v]) => k.startsWith('nginx_rtc_worker_sessions{') && v);

        return busy ? null : st;
    }, ms, what);
}


/* the figures of a worker and the zone, nginx without a session */

async function snapshot(ngx, pids) {
    const st = await drained(ngx, 90000, 'no session left');
    const m = await lib.metrics(ngx);

    await sleep(1000);
    const w = await idle(pids, 5);
    const h = pids.map(heap);

    return {
        workers: pids.map((p, i) => ({
            pid: p,
            vmRssKb: lib.procStatus(p, 'VmRSS'),
            rssAnonKb: lib.procStatus(p, 'RssAnon'),
            threads: lib.procStatus(p, 'Threads'),
            fds: lib.fdCount(p),
            mallocInUseKb: h[i].inUse,
            mallocFreeKb: h[i].free,
            idleCpuMsPerSec: w[i].cpu,
            idleWakeupsPerSec: w[i].csw,
        })),
        zone: {
            pagesFree: st.zone.pages_free,
            freeBytes: m.nginx_rtc_zone_free_bytes,
            sessionsUsed: m.nginx_rtc_zone_sessions_used,
            viewers: st.streams.reduce((a, s) => a + (s.viewers || 0), 0),
        },
    };
}


const WORKER_ROWS = [
    ['VmRSS KB', 'vmRssKb', 0],
    ['RssAnon KB', 'rssAnonKb', 0],
    ['malloc in use KB', 'mallocInUseKb', 0],
    ['malloc free KB', 'mallocFreeKb', 0],
    ['threads', 'threads', 0],
    ['open fds', 'fds', 0],
    ['idle CPU ms/s', 'idleCpuMsPerSec', 1],
    ['idle wake-ups/s', 'idleWakeupsPerSec', 0],
];

const ZONE_ROWS = [
    ['zone free pages', 'pagesFree', 0],
    ['zone free bytes', 'freeBytes', 0],
    ['zone sessions used', 'sessionsUsed', 0],
    ['stream viewers', 'viewers', 0],
];


/* growth g over n sessions, per 1000 */

function per1000(g, n, d) {
    return fmt(n ? g * 1000 / n : null, d ? d : 1);
}


function row(label, k, data, d) {
    const { base, mid, end, counts } = data;
    const at = (x, i) => (i === undefined ? x.zone[k] : x.workers[i][k]);

    return (i) => {
        const a = at(base, i);
        const b = at(end, i);
        const h = mid ? at(mid, i) : null;
        const n2 = (h === null || b === null) ? 0
                   : counts.sessions - mid.sessions;

        if (a === null || b === null) {
            return `| ${label} | - | - | - | - | - | - |`;
        }

        return `| ${label} | ${fmt(a, d)} | ${fmt(h, d)} | ${fmt(b, d)} `
               + `| ${fmt(b - a, d)} | ${per1000(b - a, counts.sessions, d)} `
               + `| ${n2 ? per1000(b - h, n2, d) : '-'} |`;
    };
}


function report(o, data) {
    const { base, end, counts } = data;
    const lines = [
        lib.moduleLine(),
        `# ${lib.cameraText(o.bitrate)}, ${WORKERS} workers`,
        `# ${counts.cycles} cycles of ${o.parallel} x whep-load -n ${o.n} `
        + `-d 1 (every ${o.timeoutEvery}th --no-delete), `
        + `${(counts.ms / 60000).toFixed(1)} min`,
        `# sessions after the baseline: ${counts.sessions} up `
        + `(${counts.timedOut} left to time out), ${counts.failed} failed `
        + JSON.stringify(counts.failures),
        '',
        '| figure | baseline | half-way | end | growth '
        + '| per 1000 sessions | per 1000, 2nd half |',
        '|---|---|---|---|---|---|---|',
    ];

    if (!base || !end) {
        return lines.concat(['# no baseline or no end: see above'])
               .join('\n');
    }

    base.workers.forEach((w, i) => {
        for (const [label, k, d] of WORKER_ROWS) {
            lines.push(row(`worker ${i + 1} ${label}`, k, data, d)(i));
        }
    });

    for (const [label, k, d] of ZONE_ROWS) {
        lines.push(row(label, k, data, d)());
    }

    (end.trimmed || []).forEach((t, i) => {
        if (t) {
            lines.push(`# worker ${i + 1} at the end after malloc_trim(0): `
                       + `VmRSS ${t.vmRssKb} KB, RssAnon ${t.rssAnonKb} KB`);
        }
    });

    return lines.join('\n');
}


/*
 * A cycle counted in c: every o.timeoutEvery'th (of c's) leaves its
 * sessions to time out
 */

async function step(o, ngx, c) {
    const noDelete = o.timeoutEvery > 0
                     && c.cycles % o.timeoutEvery === o.timeoutEvery - 1;
    const r = await cycle(o, ngx, noDelete);

    c.cycles++;
    c.sessions += r.up;
    c.timedOut += noDelete ? r.up : 0;
    c.failed += r.failed;
    for (const [k, v] of Object.entries(r.failures)) {
        c.failures[k] = (c.failures[k] || 0) + v;
    }

    process.stderr.write(`churn.js: cycle ${c.cycles}: ${c.sessions} `
                         + `sessions, ${c.failed} failed\n`);
}


/* a snapshot on stderr as it is taken */

function report1(what, x) {
    process.stderr.write(`churn.js: ${what} ${JSON.stringify(x)}\n`);
}


async function main() {
    const o = parseArgs(process.argv.slice(2));
    const counts = { cycles: 0, sessions: 0, timedOut: 0, failed: 0,
                     failures: {}, ms: 0 };
    let rig = null;
    let failed = null;
    let base = null;
    let mid = null;
    let ht = null;
    let end = null;

    lib.requireBench(usage);

    try {
        rig = await lib.startRig({
            port: o.port, camPort: o.camPort, workers: WORKERS,
            conf: lib.nginxConf({ zone: '32m', maxSessions: 1024 }),
        }, { bitrate: o.bitrate });

        const { ngx, pids } = rig;

        if (process.env.HT) {
            ht = spawn('heaptrack', ['-o', process.env.HT, '-p',
                                     String(pids[0])], { stdio: 'inherit' });

            /* heaptrack attaches through gdb */
            await sleep(15000);
        }

        /*
         * the warm-up, cycles as the measured ones (the time-outs' too):
         * the workers' one-time growth and their high-water mark
         */

        const warm = { cycles: 0, sessions: 0, timedOut: 0, failed: 0,
                       failures: {} };

        while (warm.sessions < o.warmup) {
            const before = warm.sessions;

            await step(o, ngx, warm);

            if (warm.sessions === before) {
                throw new Error('no session came up: '
                                + JSON.stringify(warm.failures));
            }
        }

        base = await snapshot(ngx, pids);
        report1('baseline', base);

        const t0 = Date.now();
        const more = () => o.cycles
                           ? counts.cycles < o.cycles
                           : Date.now() - t0 < o.minutes * 60000;
        const half = () => o.cycles
                           ? counts.cycles >= o.cycles / 2
                           : Date.now() - t0 >= o.minutes * 30000;

        while (more()) {
            await step(o, ngx, counts);

            if (!mid && half()) {
                mid = await snapshot(ngx, pids);
                mid.sessions = counts.sessions;
                report1('half-way', mid);
            }
        }

        counts.ms = Date.now() - t0;

        end = await snapshot(ngx, pids);
        end.trimmed = pids.map(trim);
        report1('end', end);

        const now = await waitFor(() => {
            const p = require(path.join(E2E_LIB, 'raw'))
                      .workerPids(ngx.pid());
            return p.length === WORKERS ? p : null;
        }, 10000, 'the workers');

        if (now.sort().join() !== pids.slice().sort().join()) {
            throw new Error(`workers ${pids} are now ${now}: one died`);
        }

    } catch (err) {
        failed = err;
    }

    const data = { options: o, module: lib.MODULE, counts, base, mid, end };

    await lib.finish({
        failed, stop: [rig], json: o.json, data,
        table: () => report(o, data),
    });

    if (ht && ht.exitCode === null) {
        await new Promise((res) => ht.on('exit', res));
    }
}


main().catch((err) => {
    process.stderr.write(`churn.js: ${err.stack || err}\n`);
    process.exit(1);
});
