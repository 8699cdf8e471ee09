/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * What the whep-load benchmarks (load.js, janus.js, gloop_poll.js,
 * session_memory.js) share: their checks (the test namespace, whep-load
 * built), the command line, the camera and nginx with its stream playing,
 * a whep-load run with a snapshot at the start and the end of its
 * measuring window, and the readings of /proc.
 *
 *   const lib = require('./lib');
 *   lib.requireBench(usage);
 *   const cam = await lib.startCamera({ port: 18790, bitrate: 800 });
 *   const { ngx, pids } = await lib.startNginx({ port: 18780,
 *       camPort: 18790, workers: 2, conf: lib.nginxConf() });
 *   const { r, a, b } = await lib.runWhepLoad(args, () => snapshot());
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn, execFileSync } = require('node:child_process');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { Nginx, waitFor, requireNetns, REPO, MODULE } =
    require(path.join(E2E_LIB, 'nginx'));
const { workerPids } = require(path.join(E2E_LIB, 'raw'));

const WHEP_LOAD = process.env.WHEP_LOAD
                  || path.join(REPO, 'build', 'bench', 'whep-load');


/*
 * nginx.conf (a t/e2e/lib/nginx.js template): the stream "cam" of the
 * camera, always on, WHEP at /whep/ and /rtc/status; o: zone (size),
 * maxSessions, udpPorts, nofile, connections, listen (after the port)
 */

function nginxConf(o) {
    o = Object.assign({
        zone: '64m', maxSessions: 4096, udpPorts: '10000-30000',
        nofile: 16384, connections: 16384, listen: ' reuseport backlog=4096',
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
        listen 127.0.0.1:%%PORT%%${o.listen};

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location = /rtc/metrics { rtc_metrics; }
    }
}
`;
}


/* a benchmark's command line and how it fails */

function usageExit(msg) {
    process.stderr.write(`${path.basename(process.argv[1])}: ${msg}\n`);
    process.exit(2);
}


/*
 * The options of argv into a copy of "defaults": options maps "--name" to
 * [key, parse], parse null for a flag without a value
 */

function parseOptions(argv, options, defaults, usage) {
    const o = Object.assign({}, defaults);

    for (let i = 0; i < argv.length; i++) {
        const opt = options[argv[i]];
        if (!opt) {
            usage(`unknown option ${argv[i]}`);
        }
        if (opt[1] === null) {
            o[opt[0]] = true;
            continue;
        }
        if (argv[i + 1] === undefined) {
            usage(`${argv[i]} needs a value`);
        }
        o[opt[0]] = opt[1](argv[++i]);
    }

    return o;
}


/* the test namespace (t/lib/netns.sh) and whep-load built */

function requireBench(usage) {
    requireNetns();

    if (!fs.existsSync(WHEP_LOAD)) {
        (usage || usageExit)(`${WHEP_LOAD} not built: `
                             + 'make -C bench whep-load');
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
 * One whep-load run with args (its stderr passed on): resolves with its
 * JSON report (r) and what snap() (sync or async) returned when it
 * started measuring (its "measuring" line, a) and when it reported (b).
 */

function runWhepLoad(args, snap) {
    return new Promise((resolve, reject) => {
        const proc = spawn(WHEP_LOAD, args,
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


/* ---- /proc ---- */

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'])
                       .toString().trim()) || 100;


/* a process's CPU time, ms: utime + stime of /proc/PID/stat */

function cpuMs(pid) {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 1000 / CLK_TCK;
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


/* a figure for a table: "-" when there is none */

function fmt(x, d) {
    if (x === null || x === undefined || Number.isNaN(x)) {
        return '-';
    }
    return x.toFixed(d === undefined ? 1 : d);
}


module.exports = {
    WHEP_LOAD, MODULE, nginxConf, parseOptions, requireBench, startCamera,
    startNginx, runWhepLoad, cpuMs, procStatus, smapsKb, machine, fmt,
};
