/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Load benchmark: the real nginx with the built module (2 workers), one
 * camera (t/lib/camera.py, 640x360 25 fps, x264 at --bitrate kbit/s of the
 * "smpte" pattern, a keyframe every 2 s) and the C load generator
 * build/bench/whep-load (bench/whep-load/), which holds N WHEP sessions
 * on one epoll loop at a fraction of the server's cost.  Run by hand, as
 * root, in the test namespace:
 *
 *   make && make -C bench whep-load
 *   t/lib/netns.sh node bench/load.js [--sessions 10,100,200] [--seconds 10]
 *       [--ramp 100] [--parallel 16] [--bitrate 2000] [--workers 2]
 *       [--audio] [--srtp gcm|cm|both] [--gro] [--json FILE]
 *
 * For each count a fresh whep-load run starts the sessions, waits until
 * each is up (first keyframe) or failed, measures a window of --seconds,
 * DELETEs them all; during the window nginx's workers are measured from
 * /proc (CPU: utime + stime; memory: VmRSS, RssAnon) and /rtc/status
 * (packets sent, dropped, sent again).  bench/README.md explains the
 * columns.
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn, execFileSync } = require('node:child_process');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { Nginx, waitFor, sleep, request, requireNetns, REPO, MODULE } =
    require(path.join(E2E_LIB, 'nginx'));
const { workerPids } = require(path.join(E2E_LIB, 'raw'));

const WHEP_LOAD = process.env.WHEP_LOAD
                  || path.join(REPO, 'build', 'bench', 'whep-load');

const CONF = `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes %%WORKERS%%;
worker_rlimit_nofile 16384;
worker_shutdown_timeout 5s;

events {
    worker_connections 16384;
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone         cams 64m;
    rtc_max_sessions 4096;
    rtc_udp_ports    10000-30000;
    rtc_stream       cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;

    server {
        listen 127.0.0.1:%%PORT%% reuseport backlog=4096;

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}
`;


const OPTIONS = {
    '--sessions': ['sessions', (v) => v.split(',').map(Number)],
    '--seconds': ['seconds', Number],
    '--ramp': ['ramp', Number],
    '--parallel': ['parallel', Number],
    '--bitrate': ['bitrate', Number],
    '--workers': ['workers', Number],
    '--port': ['port', Number],
    '--cam-port': ['camPort', Number],
    '--audio': ['audio', null],
    '--srtp': ['srtp', String],
    '--gro': ['gro', null],
    '--json': ['json', String],
};


function usage(msg) {
    process.stderr.write(`load.js: ${msg}\n`
        + 'usage: t/lib/netns.sh node bench/load.js [--sessions 10,100,200]'
        + ' [--seconds 10] [--ramp 100] [--parallel 16] [--bitrate 2000]'
        + ' [--workers 2] [--audio] [--srtp gcm|cm|both] [--gro]'
        + ' [--json FILE]\n');
    process.exit(2);
}


function parseArgs(argv) {
    const o = {
        sessions: [10, 100, 200], seconds: 10, ramp: 100, parallel: 16,
        bitrate: 2000, workers: 2, port: 18780, camPort: 18790,
        audio: false, srtp: 'both', gro: false, json: null,
    };

    for (let i = 0; i < argv.length; i++) {
        const opt = OPTIONS[argv[i]];
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

    if (!o.sessions.length || o.sessions.some((n) => !(n >= 1))) {
        usage('--sessions: counts, e.g. 10,100,200');
    }

    return o;
}


const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'])
                       .toString().trim()) || 100;


function cpuMs(pid) {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 1000 / CLK_TCK;
}


function memKb(pid) {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => {
        const m = s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'));
        return m ? Number(m[1]) : NaN;
    };
    return { rss: get('VmRSS'), anon: get('RssAnon') };
}


function machine() {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
              .trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
}


/* UDP receive errors of this namespace (packets the kernel dropped) */

function udpErrors() {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n')
                  .filter((l) => l.startsWith('Udp:'));
    const k = lines[0].split(/\s+/);
    const v = lines[1].split(/\s+/).map(Number);
    const get = (n) => v[k.indexOf(n)] || 0;
    return { rcvbuf: get('RcvbufErrors'), sndbuf: get('SndbufErrors'),
             inErrors: get('InErrors') };
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


async function snapshot(ngx, pids, camPid) {
    /* /proc first: the window's edges are not moved by a late status */

    const t = Date.now();
    const w = pids.map((pid) => ({ pid, cpu: cpuMs(pid), mem: memKb(pid) }));
    const cam = cpuMs(camPid);
    const mach = machine();
    const udp = udpErrors();
    const st = await status(ngx);
    let sent = st ? 0 : NaN;
    let drops = st ? 0 : NaN;
    let retx = st ? 0 : NaN;

    for (const s of st ? st.sessions : []) {
        sent += s.packets_sent || 0;
        drops += s.drops || 0;
        retx += s.retransmits || 0;
    }

    return {
        t, w, sent, drops, retx,
        sessions: st ? st.sessions.length : NaN,
        cam, machine: mach, udp,
        stream: st ? st.streams.find((x) => x.name === 'cam') : null,
    };
}


/*
 * One whep-load run: resolves with its JSON and the snapshots taken when
 * it starts measuring (its "measuring" line) and when it reports.
 */

function runLoad(opts, n, ngx, pids, camPid) {
    return new Promise((resolve, reject) => {
        const args = ['-n', String(n), '-d', String(opts.seconds),
                      '-r', String(opts.ramp), '-p', String(opts.parallel),
                      '--json'];
        if (opts.audio) {
            args.push('--audio');
        }
        args.push('--srtp', opts.srtp);
        if (opts.gro) {
            args.push('--gro');
        }
        args.push(`http://127.0.0.1:${opts.port}/whep/cam`);

        const proc = spawn(WHEP_LOAD, args, {
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let a = null;
        let b = null;

        readline.createInterface({ input: proc.stderr }).on('line', (l) => {
            process.stderr.write(`${l}\n`);
            if (!a && /measuring/.test(l)) {
                a = snapshot(ngx, pids, camPid);
            }
        });

        proc.stdout.on('data', (c) => {
            if (!b && a) {
                b = snapshot(ngx, pids, camPid);
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


function fmt(x, d) {
    if (x === null || x === undefined || Number.isNaN(x)) {
        return '-';
    }
    return x.toFixed(d === undefined ? 1 : d);
}


function figures(n, run, base) {
    const { r, a, b } = run;
    const sec = (b.t - a.t) / 1000;
    const cpu = b.w.reduce((s, w, i) => s + w.cpu - a.w[i].cpu, 0) / sec;
    const rss = b.w.reduce((s, w) => s + w.mem.rss, 0);
    const anon = b.w.reduce((s, w) => s + w.mem.anon, 0);
    const mt = b.machine.total - a.machine.total;

    return {
        sessions: n,
        up: r.up,
        failed: r.failed,
        failures: r.failures,
        stalled: r.stalled,
        seconds: sec,
        nginxCpuMsPerSec: cpu,
        nginxCpuPerSession: r.up ? (cpu - base.cpu) / r.up : null,
        nginxUsPerPacket: r.packets_per_s ? cpu * 1000 / r.packets_per_s
                                          : null,
        workers: b.w.map((w, i) => ({
            pid: w.pid, cpuMsPerSec: (w.cpu - a.w[i].cpu) / sec,
            rssKb: w.mem.rss, anonKb: w.mem.anon,
        })),
        nginxRssMb: rss / 1024,
        nginxAnonKbPerSession: r.up ? (anon - base.anon) / r.up : null,
        sentPerSec: (b.sent - a.sent) / sec,
        dropsPerSec: (b.drops - a.drops) / sec,
        retxPerSec: (b.retx - a.retx) / sec,
        rcvbufErrors: b.udp.rcvbuf - a.udp.rcvbuf,
        packetsPerSec: r.packets_per_s,
        packetsPerSecPerSession: r.packets_per_s_per_session,
        mbitPerSec: r.mbit_per_s,
        lossPct: r.loss_pct,
        lost: r.lost,
        lostSinceStart: r.lost_since_start,
        answerMs: r.answer_ms,
        dtlsMs: r.dtls_ms,
        firstKeyframeMs: r.first_keyframe_ms,
        decrypted: r.decrypted,
        decryptFailures: r.decrypt_failures,
        clientCpuMsPerSec: r.client_cpu_ms_per_s,
        cameraCpuMsPerSec: (b.cam - a.cam) / sec,
        machineBusy: mt ? (b.machine.busy - a.machine.busy) / mt : null,
        srtp: r.srtp,
        statusLate: Number.isNaN(a.sent) || Number.isNaN(b.sent),
    };
}


function report(opts, base, steps) {
    const out = [];
    const p = (s) => out.push(s);

    p(`# nginx-rtc load: camera 640x360 25 fps H.264 (x264 ${opts.bitrate}`
      + ` kbit/s, smpte, keyframe every 2 s) measured at `
      + `${fmt(base.kbitIn, 0)} kbit/s; ${opts.workers} workers; whep-load `
      + `ramp ${opts.ramp}/s, ${opts.parallel} parallel; ${opts.seconds} s `
      + `windows; ${require('node:os').cpus().length} CPUs`);
    p(`# module ${MODULE} (built ${fs.statSync(MODULE).mtime.toISOString()})`);
    if (opts.gro) {
        p('# whep-load --gro: each GSO send reaches it whole (UDP_GRO)');
    }
    p(`# 0 sessions: nginx ${fmt(base.cpu)} ms/s, rss ${fmt(base.rss / 1024)}`
      + ` MB, anon ${fmt(base.anon / 1024)} MB`);
    p('');
    p('| sessions | up | failed | nginx cpu ms/s | ms/s per session | '
      + 'µs/packet | rss MB | anon KB/session | sent pkts/s | drops/s | '
      + 'rcvd pkts/s | Mbit/s | loss % | no RTP | rcvbuf errors | '
      + 'first keyframe ms '
      + 'p50 / p95 / max | decrypt fail | whep-load cpu ms/s | '
      + 'camera ms/s | busy |');
    p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
      + '---:|---:|---:|---:|---:|---:|---:|');

    for (const f of steps) {
        const k = f.firstKeyframeMs;
        p(`| ${f.sessions} | ${f.up} | ${f.failed} | `
          + `${fmt(f.nginxCpuMsPerSec)} | ${fmt(f.nginxCpuPerSession, 2)} | `
          + `${fmt(f.nginxUsPerPacket, 1)} | ${fmt(f.nginxRssMb)} | `
          + `${fmt(f.nginxAnonKbPerSession, 0)} | ${fmt(f.sentPerSec, 0)} | `
          + `${fmt(f.dropsPerSec, 1)} | ${fmt(f.packetsPerSec, 0)} | `
          + `${fmt(f.mbitPerSec, 1)} | ${fmt(f.lossPct, 3)} | `
          + `${f.stalled} | `
          + `${f.rcvbufErrors} | ${fmt(k.p50, 0)} / ${fmt(k.p95, 0)} / `
          + `${fmt(k.max, 0)} | ${f.decryptFailures} | `
          + `${fmt(f.clientCpuMsPerSec)} | ${fmt(f.cameraCpuMsPerSec)} | `
          + `${fmt(f.machineBusy * 100, 0)}% |`);
    }

    for (const f of steps) {
        if (f.statusLate) {
            p(`# ${f.sessions}: WARNING: /rtc/status did not answer within `
              + '30 s at the start or the end of the window: nginx was '
              + 'overloaded');
        }
        if (f.failed || f.stalled) {
            p(`# ${f.sessions}: failed ${JSON.stringify(f.failures)}, `
              + `${f.stalled} without RTP in the window`);
        }
    }

    return out.join('\n');
}


async function main() {
    const { Camera } = require(path.join(E2E_LIB, 'camera'));
    const opts = parseArgs(process.argv.slice(2));
    const steps = [];
    let cam = null;
    let ngx = null;
    let failed = null;
    let base = null;

    requireNetns();

    if (!fs.existsSync(WHEP_LOAD)) {
        usage(`${WHEP_LOAD} not built: make -C bench whep-load`);
    }

    try {
        cam = await new Camera({
            port: opts.camPort, codec: 'h264', size: '640x360', fps: 25,
            gop: 50, bitrate: opts.bitrate, pattern: 'smpte',
            audio: opts.audio ? 'pcma' : undefined,
        }).start();

        ngx = await new Nginx({
            port: opts.port, camPort: opts.camPort, workers: opts.workers,
            conf: CONF,
        }).start();

        await waitFor(async () => {
            const s = (await ngx.status()).streams
                      .find((x) => x.name === 'cam');
            return s && s.state === 'playing' && s.keyframes_in > 0;
        }, 20000, 'the camera playing');

        const pids = await waitFor(() => {
            const p = workerPids(ngx.pid());
            return p.length === opts.workers ? p : null;
        }, 10000, `${opts.workers} workers`);

        const camPid = cam.proc.pid;

        /* the ingest alone */

        await sleep(1000);
        const a = await snapshot(ngx, pids, camPid);
        await sleep(5000);
        const b = await snapshot(ngx, pids, camPid);
        const sec = (b.t - a.t) / 1000;

        base = {
            cpu: b.w.reduce((s, w, i) => s + w.cpu - a.w[i].cpu, 0) / sec,
            rss: b.w.reduce((s, w) => s + w.mem.rss, 0),
            anon: b.w.reduce((s, w) => s + w.mem.anon, 0),
            kbitIn: (b.stream.bytes_in - a.stream.bytes_in) * 8 / 1000 / sec,
        };

        for (const n of opts.sessions) {
            process.stderr.write(`# ${n} sessions\n`);
            const run = await runLoad(opts, n, ngx, pids, camPid);
            const f = figures(n, run, base);
            steps.push(f);

            process.stderr.write(`# ${n}: nginx ${fmt(f.nginxCpuMsPerSec)} `
                                 + `ms/s, whep-load `
                                 + `${fmt(f.clientCpuMsPerSec)} ms/s, loss `
                                 + `${fmt(f.lossPct, 3)} %\n`);

            /* the DELETEs are done: the next step starts from 0 */

            await waitFor(async () => {
                const st = await status(ngx);
                return st && st.sessions.length === 0;
            }, 60000, 'no session left');
        }

    } catch (err) {
        failed = err;

    } finally {
        try {
            if (ngx) {
                await ngx.stop();
            }
        } catch (err) {
            failed = failed || err;
        }
        if (cam) {
            await cam.stop();
        }
    }

    if (steps.length) {
        process.stdout.write(report(opts, base, steps) + '\n');
    }

    if (opts.json) {
        fs.writeFileSync(opts.json, JSON.stringify({ opts, base, steps },
                                                   null, 2));
    }

    if (failed) {
        process.stderr.write(`load.js: ${failed.stack || failed}\n`);
        process.exit(1);
    }
}


main();
