/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * What the benchmarks share: their checks (the test namespace, whep-load
 * built), the command line and its usage, the camera and nginx with its
 * stream playing, a whep-load run with a snapshot at the start and the end
 * of its measuring window and the figures of its report, the readings of
 * /proc and /rtc/status, and how a benchmark ends (what it started
 * stopped, its table, its --json file, its failure).
 *
 *   const lib = require('./lib');
 *   const usage = lib.usage('t/lib/netns.sh node bench/x.js [--seconds 10]');
 *   lib.requireBench(usage);
 *   const cam = await lib.startCamera({ port: 18790, bitrate: 800 });
 *   const { ngx, pids } = await lib.startNginx({ port: 18780,
 *       camPort: 18790, workers: 2, conf: lib.nginxConf() });
 *   const { r, a, b } = await lib.runWhepLoad(args, () => snapshot());
 *   await lib.finish({ failed, stop: [ngx, cam], table, json, data });
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn, execFileSync } = require('node:child_process');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { Nginx, waitFor, sleep, request, parseMetrics, REPO, MODULE } =
    require(path.join(E2E_LIB, 'nginx'));
const { workerPids } = require(path.join(E2E_LIB, 'raw'));

const WHEP_LOAD = process.env.WHEP_LOAD
                  || path.join(REPO, 'build', 'bench', 'whep-load');

/* whep-load in a namespace of its own behind a veth pair (--client-ns) */
const CLIENT_NS = path.join(__dirname, 'client_ns.sh');

/* the script's name, as its messages start: "load.js" */
const NAME = path.basename(process.argv[1] || 'node');


/*
 * nginx.conf (a t/e2e/lib/nginx.js template): the stream "cam" of the
 * camera, always on, WHEP at /whep/ and /rtc/status; o: zone (size),
 * maxSessions, udpPorts, nofile, connections, listen (after the port),
 * clientNs (listen on every address, for whep-load behind --client-ns)
 */

function nginxConf(o) {
    o = Object.assign({
        zone: '64m', maxSessions: 4096, udpPorts: '10000-30000',
        nofile: 16384, connections: 16384, listen: ' reuseport backlog=4096',
        clientNs: false,
    }, o);

    return `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes %%WORKERS%%;
worker_rlimit_nofile ${o.nofile};
worker_shutdown_timeout 5s;

events {
    worker_connections ${o.connections};
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone         cams ${o.zone};
    rtc_max_sessions ${o.maxSessions};
    rtc_udp_ports    ${o.udpPorts};
    rtc_stream       cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;

    server {
        listen ${o.clientNs ? '' : '127.0.0.1:'}%%PORT%%${o.listen};

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location = /rtc/metrics { rtc_metrics; }
    }
}
`;
}


/*
 * A benchmark's command line and how it fails: usage(line) is a function
 * of a message that writes "NAME: message" (when there is one) and
 * "usage: line" (when there is one) on stderr and exits with 2
 */

function usage(line) {
    return (msg) => {
        if (msg) {
            process.stderr.write(`${NAME}: ${msg}\n`);
        }
        if (line) {
            process.stderr.write(`usage: ${line}\n`);
        }
        process.exit(2);
    };
}


const usageExit = usage(null);


/*
 * The options more than one benchmark has, for options(): "--name" to
 * [key, parse], parse null for a flag without a value
 */

const SHARED_OPTIONS = {
    '--sessions': ['sessions', (v) => v.split(',').map(Number)],
    '--seconds': ['seconds', Number],
    '--ramp': ['ramp', Number],
    '--parallel': ['parallel', Number],
    '--bitrate': ['bitrate', Number],
    '--workers': ['workers', Number],
    '--port': ['port', Number],
    '--cam-port': ['camPort', Number],
    '--gro': ['gro', null],
    '--client-ns': ['clientNs', null],
    '--json': ['json', String],
};


/* a benchmark's options: the shared ones it names, and its own */

function options(names, own) {
    const o = {};

    for (const name of names) {
        o[name] = SHARED_OPTIONS[name];
    }

    return Object.assign(o, own);
}


/*
 * The options of argv into a copy of "defaults": table maps "--name" to
 * [key, parse], parse null for a flag without a value; fail: a usage()
 */

function parseOptions(argv, table, defaults, fail) {
    const o = Object.assign({}, defaults);

    for (let i = 0; i < argv.length; i++) {
        const opt = table[argv[i]];
        if (!opt) {
            fail(`unknown option ${argv[i]}`);
        }
        if (opt[1] === null) {
            o[opt[0]] = true;
            continue;
        }
        if (argv[i + 1] === undefined) {
            fail(`${argv[i]} needs a value`);
        }
        o[opt[0]] = opt[1](argv[++i]);
    }

    return o;
}


/*
 * The test namespace (t/lib/netns.sh, as root) and the module built, or
 * fail (a usage()) with what to do
 */

function requireNetns(fail) {
    fail = fail || usageExit;

    if (process.env.NGX_RTC_NETNS !== '1') {
        fail('runs in a network namespace of its own, as root: '
             + `t/lib/netns.sh node bench/${NAME} ...`);
    }

    if (!fs.existsSync(MODULE)) {
        fail(`${MODULE} not built: make`);
    }
}


/*
 * requireNetns(), whep-load built, and ethtool for clientNs
 * (bench/client_ns.sh)
 */

function requireBench(fail, clientNs) {
    fail = fail || usageExit;

    requireNetns(fail);

    if (!fs.existsSync(WHEP_LOAD)) {
        fail(`${WHEP_LOAD} not built: make whep-load`);
    }

    if (clientNs) {
        requireTool(fail, 'ethtool', '--client-ns needs ethtool: '
                                     + 'apt-get install ethtool');
    }
}


/* a program in $PATH, or fail(msg) */

function requireTool(fail, name, msg) {
    const found = (process.env.PATH || '').split(':').some((d) => {
        try {
            fs.accessSync(path.join(d || '.', name), fs.constants.X_OK);
            return true;
        } catch (err) {
            return false;
        }
    });

    if (!found) {
        (fail || usageExit)(msg);
    }
}


/* t/lib/camera.py: H.264 of the "smpte" pattern, 640x360 25 fps, GOP 2 s */

function startCamera(o) {
    const { Camera } = require(path.join(E2E_LIB, 'camera'));

    return new Camera(Object.assign({
        codec: 'h264', size: '640x360', fps: 25, gop: 50, pattern: 'smpte',
    }, o)).start();
}


/*
 * nginx (o: port, camPort, workers, conf) with the stream "cam" playing:
 * { ngx, pids } (the workers' pids)
 */

async function startNginx(o) {
    const ngx = await new Nginx(o).start();

    try {
        await waitFor(async () => {
            const s = (await ngx.status()).streams
                      .find((x) => x.name === 'cam');
            return s && s.state === 'playing' && s.keyframes_in > 0;
        }, 20000, 'the camera playing');

        const pids = await waitFor(() => {
            const p = workerPids(ngx.pid());
            return p.length === o.workers ? p : null;
        }, 10000, `${o.workers} workers`);

        return { ngx, pids };

    } catch (err) {
        await ngx.stop().catch(() => {});
        throw err;
    }
}


/*
 * The camera (camOpts: startCamera()'s but the port) and nginx (o: as
 * startNginx()'s) with its stream playing: { cam, ngx, pids, stop() }, or
 * none of them left running
 */

async function startRig(o, camOpts) {
    const cam = await startCamera(Object.assign({ port: o.camPort },
                                                camOpts));

    try {
        const { ngx, pids } = await startNginx(o);

        return {
            cam, ngx, pids,
            async stop() {
                try {
                    await ngx.stop();
                } finally {
                    await cam.stop();
                }
            },
        };

    } catch (err) {
        await cam.stop().catch(() => {});
        throw err;
    }
}


/*
 * One nginx worker serving the stream of a 400 kbit/s camera, for the
 * probes of one worker (gloop_poll.js, session_memory.js); o: port,
 * camPort, maxSessions, nofile, connections: { cam, ngx, worker }
 */

async function startOneWorker(o) {
    requireBench();

    const { cam, ngx, pids } = await startRig({
        port: o.port, camPort: o.camPort, workers: 1,
        conf: nginxConf({ zone: '16m', maxSessions: o.maxSessions,
                          udpPorts: '20000-30000', nofile: o.nofile,
                          connections: o.connections, listen: '' }),
    }, { bitrate: 400 });

    return { cam, ngx, worker: pids[0] };
}


/*
 * /rtc/status, or null: an overloaded nginx may answer late or not at
 * all (the step is then marked), but /proc still tells its CPU
 */

async function status(ngx) {
    try {
        const r = await request(ngx.port, 'GET', '/rtc/status', null, {},
                                30000);
        return r.status === 200 ? JSON.parse(r.body) : null;
    } catch (err) {
        return null;
    }
}


/* resolves when nginx has no session left (what: the wait, if it fails) */

async function waitDrained(ngx, what) {
    await waitFor(async () => {
        const st = await status(ngx);
        return st && st.sessions.length === 0;
    }, 60000, what);
}


/*
 * One whep-load run with args (its stderr passed on), in a namespace of
 * its own if clientNs (bench/client_ns.sh): resolves with its JSON report
 * (r) and what snap() (sync or async) returned when it started measuring
 * (its "measuring" line, a) and when it reported (b).
 */

function runWhepLoad(args, snap, clientNs) {
    return new Promise((resolve, reject) => {
        const proc = clientNs
                     ? spawn(CLIENT_NS, [WHEP_LOAD, ...args],
                             { stdio: ['ignore', 'pipe', 'pipe'] })
                     : spawn(WHEP_LOAD, args,
                             { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let a = null;
        let b = null;

        readline.createInterface({ input: proc.stderr }).on('line', (l) => {
            process.stderr.write(`${l}\n`);
            if (!a && /measuring/.test(l)) {
                a = Promise.resolve(snap());
            }
        });

        proc.stdout.on('data', (c) => {
            if (!b && a) {
                b = Promise.resolve(snap());
            }
            out += c;
        });

        proc.on('error', reject);
        proc.on('exit', async (code) => {
            try {
                if (code !== 0 || !a || !b) {
                    throw new Error(`whep-load exited with ${code}`);
                }
                resolve({ r: JSON.parse(out), a: await a, b: await b });
            } catch (err) {
                reject(err);
            }
        });
    });
}


/* ---- load.js and janus.js: whep-load's runs and their figures ---- */

/*
 * parseOptions() whose --sessions must be counts (example: the ones the
 * usage shows)
 */

function parseLoadOptions(argv, table, defaults, fail, example) {
    const o = parseOptions(argv, table, defaults, fail);

    if (!o.sessions.length || o.sessions.some((n) => !(n >= 1))) {
        fail(`--sessions: counts, e.g. ${example}`);
    }

    return o;
}


/* the server's address as whep-load reaches it (o.clientNs: the veth) */

function serverHost(o) {
    return o.clientNs ? '10.98.0.1' : '127.0.0.1';
}


/*
 * whep-load's arguments for n sessions measured o.seconds (o: seconds,
 * ramp, parallel, gro), its JSON report, more arguments and the URL
 */

function whepLoadArgs(o, n, more, url) {
    return ['-n', String(n), '-d', String(o.seconds),
            '-r', String(o.ramp), '-p', String(o.parallel),
            '--json', ...more, ...(o.gro ? ['--gro'] : []), url];
}


/*
 * The server with its camera and no viewer: snap() (sync or async) 1 s
 * and 6 s from now, { a, b, sec }
 */

async function idleWindow(snap) {
    await sleep(1000);
    const a = await snap();
    await sleep(5000);
    const b = await snap();

    return { a, b, sec: (b.t - a.t) / 1000 };
}


/* a step's first figures: n sessions of whep-load's report r, sec s */

function stepFigures(n, r, sec) {
    return {
        sessions: n,
        up: r.up,
        failed: r.failed,
        failures: r.failures,
        stalled: r.stalled,
        seconds: sec,
    };
}


/* whep-load's times to the answer, DTLS and the first keyframe, SRTP */

function setupFigures(r) {
    return {
        answerMs: r.answer_ms,
        dtlsMs: r.dtls_ms,
        firstKeyframeMs: r.first_keyframe_ms,
        decrypted: r.decrypted,
        decryptFailures: r.decrypt_failures,
    };
}


/*
 * The CPU beside the server's over the window of snapshots a and b (sec
 * s): whep-load's, the camera's, how busy the machine was (0..1)
 */

function besideFigures(r, a, b, sec) {
    const mt = b.machine.total - a.machine.total;

    return {
        clientCpuMsPerSec: r.client_cpu_ms_per_s,
        clientRxCpuMsPerSec: (a.napi >= 0 && b.napi >= 0)
                             ? (b.napi - a.napi) / sec : null,
        cameraCpuMsPerSec: (b.cam - a.cam) / sec,
        machineBusy: mt ? (b.machine.busy - a.machine.busy) / mt : null,
    };
}


/* the camera of a report's first line */

function cameraText(bitrate) {
    return `camera 640x360 25 fps H.264 (x264 ${bitrate} kbit/s, smpte, `
           + 'keyframe every 2 s)';
}


/* a step that failed or stalled, in a report: "# label: failed ..." */

function failureLine(label, f) {
    return `# ${label}: failed ${JSON.stringify(f.failures)}, `
           + `${f.stalled} without RTP in the window`;
}


/* ---- /proc ---- */

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'])
                       .toString().trim()) || 100;


/*
 * A process's CPU time, ms, to the ns: the first field (time on a CPU) of
 * /proc/PID/task/TID/schedstat, summed over its threads.  utime + stime
 * of /proc/PID/stat (what this read before 2026-12-06) is the same total
 * in clock ticks, 10 ms: over a 5 s base that is +-2 ms/s, which moved
 * a session's figure at 50 sessions by +-0.04 ms/s and at 1 session by
 * +-2.  A thread that ends inside a window takes its time with it: the
 * servers measured here (nginx workers, Janus's per-handle and event-loop
 * threads) start theirs before the window and end them after it.  Falls
 * back to /proc/PID/stat where schedstat is missing (no CONFIG_SCHED_INFO).
 */

function cpuMs(pid) {
    let ns = 0;

    try {
        for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
            try {
                ns += Number(fs.readFileSync(
                    `/proc/${pid}/task/${tid}/schedstat`, 'utf8')
                    .split(' ')[0]);
            } catch (err) {
                /* the thread ended */
            }
        }

        if (ns > 0) {
            return ns / 1e6;
        }
    } catch (err) {
        /* no schedstat: ticks */
    }

    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 1000 / CLK_TCK;
}


/*
 * CPU time, ms, of the kernel thread that receives for whep-load behind
 * --client-ns (napi/cl1-N), or NaN without one
 */

function napiCpuMs() {
    for (const pid of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) {
            continue;
        }
        try {
            if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8')
                .startsWith('napi/cl1-'))
            {
                return cpuMs(pid);
            }
        } catch (err) {
            /* gone */
        }
    }
    return NaN;
}


/* a number of /proc/PID/status (VmRSS, RssAnon: KB; Threads), or NaN */

function procStatus(pid, key) {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = s.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : NaN;
}


/* KB of /proc/PID/smaps_rollup (Anonymous, Private_Dirty...), or NaN */

function smapsKb(pid, key) {
    const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : NaN;
}


/* the machine's CPU time (/proc/stat, ticks): busy and total */

function machine() {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
              .trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
}


/* the counters of the namespace's UDP (/proc/net/snmp): { InErrors... } */

function udpCounters() {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n')
                  .filter((l) => l.startsWith('Udp:'));
    const keys = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/).map(Number);
    return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}


/* the number of a process's open file descriptors (/proc/PID/fd) */

function fdCount(pid) {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
}


/*
 * /rtc/metrics as { 'name{labels}': value } (the Prometheus text format's
 * samples), or null: nginx answered late or not at all
 */

async function metrics(ngx) {
    try {
        const r = await request(ngx.port, 'GET', '/rtc/metrics', null, {},
                                30000);
        return r.status === 200 ? parseMetrics(r.body) : null;

    } catch (err) {
        return null;
    }
}


/* ---- reports ---- */

/*
 * The q-quantile (0..1) of the numbers among values (the nearest rank),
 * or null without any
 */

function quantile(values, q) {
    const v = values.filter((x) => typeof x === 'number')
                    .sort((a, b) => a - b);
    if (!v.length) {
        return null;
    }
    return v[Math.max(0, Math.min(v.length - 1, Math.ceil(q * v.length) - 1))];
}


/* a figure for a table: "-" when there is none */

function fmt(x, d) {
    if (x === null || x === undefined || Number.isNaN(x)) {
        return '-';
    }
    return x.toFixed(d === undefined ? 1 : d);
}


/* the module measured, in a report */

function moduleLine() {
    return `# module ${MODULE} `
           + `(built ${fs.statSync(MODULE).mtime.toISOString()})`;
}


/*
 * The end of a benchmark (o): what it started (o.stop, each null or with
 * stop()) stopped in turn, its table (o.table(), when there is one) on
 * stdout, o.data in the o.json file (when named), and o.failed or the
 * first error of a stop on stderr with exit status 1
 */

async function finish(o) {
    let failed = o.failed;

    for (const x of o.stop) {
        try {
            if (x) {
                await x.stop();
            }
        } catch (err) {
            failed = failed || err;
        }
    }

    if (o.table) {
        process.stdout.write(o.table() + '\n');
    }

    if (o.json) {
        fs.writeFileSync(o.json, JSON.stringify(o.data, null, 2));
    }

    if (failed) {
        process.stderr.write(`${NAME}: ${failed.stack || failed}\n`);
        process.exit(1);
    }
}


module.exports = {
    WHEP_LOAD, MODULE, CLK_TCK, nginxConf, usage, options, parseOptions,
    requireNetns, requireBench, requireTool, startCamera, startNginx, startRig,
    startOneWorker, status, waitDrained, runWhepLoad, parseLoadOptions,
    serverHost, whepLoadArgs, idleWindow, stepFigures, setupFigures,
    besideFigures, cameraText, failureLine, cpuMs, napiCpuMs, procStatus,
    smapsKb, machine, udpCounters, fdCount, metrics, quantile, fmt,
    moduleLine, finish,
};
