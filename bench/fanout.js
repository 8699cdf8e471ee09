/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Fan-out benchmark: the real nginx with the built module, one camera
 * (t/lib/camera.py: 640x360, 25 fps, a keyframe every 2 s; x264 at 800
 * kbit/s makes about that of the "smpte" test pattern, but only ~130 of
 * "ball", which compresses well), and N werift viewers in this node
 * process (in --threads worker threads).  Run by hand, as root, in the
 * test namespace (about 1.5 min with the defaults):
 *
 *   t/lib/netns.sh node bench/fanout.js [--viewers 1,10,50] [--seconds 15]
 *       [--workers 2] [--threads 2] [--parallel 1] [--bitrate 800]
 *       [--pattern smpte] [--json FILE]
 *
 * The stream is "always" on, so the first window (0 viewers) measures the
 * camera ingest alone.  Then viewers join until there are 1, 10, 50 of them
 * (each step adds to the last), and after each step the viewers settle for
 * 2 s and a window of --seconds is measured:
 *
 *   - per nginx worker: CPU time (schedstat, lib.cpuMs()) per
 *     second of the window, and per viewer of that worker; VmRSS and
 *     RssAnon (/proc/PID/status) and their growth since the 0-viewer
 *     window per viewer; RTP packets sent per second (the sessions'
 *     packets_sent in /rtc/status, which each worker updates every second);
 *   - the same CPU figure for this node process (the werift viewers, which
 *     run on the same 2 cores) and for the camera, and how busy the whole
 *     machine was (/proc/stat), so that nginx's share can be told apart;
 *   - time to first frame for each viewer that joined in the step: from the
 *     POST of its offer to the first RTP packet starting an IDR or SPS at
 *     the client (and to the 201 answer), median and 95th percentile.
 *
 * Viewers join one at a time (--parallel to join several at once), each
 * while the earlier ones keep watching.  A window in which sessions end or
 * viewers lose the stream is marked WARNING, and nginx's prefix directory
 * (error.log) is kept.  The module is build/'s, or the one env
 * NGX_RTC_MODULE names (t/e2e/lib/nginx.js).  bench/README.md explains
 * the columns.
 */

'use strict';

const path = require('node:path');
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');
const {
    Worker, isMainThread, parentPort, workerData,
} = require('node:worker_threads');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { waitFor, sleep, request } =
    require(path.join(E2E_LIB, 'nginx'));
const lib = require('./lib');
const { cpuMs, machine, quantile, fmt } = lib;

const SETTLE_MS = 2000;

/* a run with a warning keeps nginx's prefix directory (error.log) */
let keep = false;

const CONF = `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes %%WORKERS%%;
worker_shutdown_timeout 5s;

events {
    worker_connections 4096;
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone   cams 32m;
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}
`;


const OPTIONS = lib.options(['--seconds', '--workers', '--parallel',
                             '--bitrate', '--port', '--cam-port', '--json'], {
    '--viewers': ['viewers', (v) => v.split(',').map(Number)],
    '--threads': ['threads', Number],
    '--pattern': ['pattern', String],
});


const usage = lib.usage('t/lib/netns.sh node bench/fanout.js '
                        + '[--viewers 1,10,50] [--seconds 15] '
                        + '[--workers 2] [--threads 2] [--parallel 1] '
                        + '[--bitrate 800] [--pattern smpte] '
                        + '[--port 18680] [--cam-port 18690] '
                        + '[--json FILE]');


function parseArgs(argv) {
    const o = lib.parseOptions(argv, OPTIONS, {
        viewers: [1, 10, 50], seconds: 15, workers: 2, threads: 2,
        parallel: 1, bitrate: 800, pattern: 'smpte', port: 18680,
        camPort: 18690, json: null,
    }, usage);

    const steps = o.viewers;

    if (!steps.length || steps.some((n, k) => !(n >= 1)
                                    || (k && n <= steps[k - 1])))
    {
        usage('--viewers: ascending counts, e.g. 1,10,50');
    }

    for (const k of ['seconds', 'workers', 'threads', 'parallel',
                     'bitrate'])
    {
        if (!(o[k] > 0)) {
            usage(`--${k} must be positive`);
        }
    }

    return o;
}


/* VmRSS and its parts in kB (/proc/PID/status) */

function memKb(pid) {
    const get = (k) => lib.procStatus(pid, k);
    return { rss: get('VmRSS'), anon: get('RssAnon'), file: get('RssFile'),
             shmem: get('RssShmem') };
}


function row(widths, cells) {
    return cells.map((c, i) => String(c).padStart(widths[i])).join(' ');
}


/* a snapshot of everything measured, at one instant */

async function snapshot(ngx, pids, camPid) {
    const st = await ngx.status();
    const t = performance.now();
    const w = {};

    for (const pid of pids) {
        w[pid] = { cpu: cpuMs(pid), mem: memKb(pid), sessions: 0,
                   sent: new Map(), retx: new Map(), drops: new Map() };
    }

    for (const s of st.sessions) {
        if (w[s.pid]) {
            w[s.pid].sessions++;
            w[s.pid].sent.set(s.id, s.packets_sent || 0);
            w[s.pid].retx.set(s.id, s.retransmits || 0);
            w[s.pid].drops.set(s.id, s.drops || 0);
        }
    }

    const cam = st.streams.find((s) => s.name === 'cam');

    return {
        t, w, st,
        node: process.cpuUsage(),
        cam: cpuMs(camPid),
        machine: machine(),
        producer: cam ? cam.producer_pid : 0,
        framesIn: cam ? cam.frames_in : 0,
        bytesIn: cam ? cam.bytes_in : 0,
    };
}


/* the figures of the window between snapshots a and b */

function window(a, b, pids, base, viewers) {
    const sec = (b.t - a.t) / 1000;
    const workers = [];

    for (const pid of pids) {
        const wa = a.w[pid];
        const wb = b.w[pid];
        const cpu = (wb.cpu - wa.cpu) / sec;            /* ms per s */
        const bw = base ? base.workers.find((x) => x.pid === pid) : null;
        let sent = 0;
        let retx = 0;
        let drops = 0;

        /* the sessions of both snapshots (one that ended took its last
         * second's count with it: see "ended" in the totals) */

        for (const [id, n] of wb.sent) {
            if (wa.sent.has(id)) {
                sent += n - wa.sent.get(id);
                retx += wb.retx.get(id) - wa.retx.get(id);
                drops += wb.drops.get(id) - wa.drops.get(id);
            }
        }

        workers.push({
            pid,
            producer: pid === b.producer,
            sessions: wb.sessions,
            cpuMsPerSec: cpu,
            cpuPerViewer: wb.sessions ? cpu / wb.sessions : null,
            rssKb: wb.mem.rss,
            anonKb: wb.mem.anon,
            fileKb: wb.mem.file,
            shmemKb: wb.mem.shmem,
            rssPerViewerKb: bw && wb.sessions
                            ? (wb.mem.rss - bw.rssKb) / wb.sessions : null,
            anonPerViewerKb: bw && wb.sessions
                             ? (wb.mem.anon - bw.anonKb) / wb.sessions
                             : null,
            packetsPerSec: sent / sec,
            retxPerSec: retx / sec,
            dropsPerSec: drops / sec,
        });
    }

    const sum = (k) => workers.reduce((s, x) => s + (x[k] || 0), 0);
    const nodeMs = ((b.node.user - a.node.user)
                    + (b.node.system - a.node.system)) / 1000 / sec;
    const mt = b.machine.total - a.machine.total;

    const total = {
        viewers,
        seconds: sec,
        cpuMsPerSec: sum('cpuMsPerSec'),
        rssKb: sum('rssKb'),
        anonKb: sum('anonKb'),
        packetsPerSec: sum('packetsPerSec'),
        retxPerSec: sum('retxPerSec'),
        dropsPerSec: sum('dropsPerSec'),
        nodeCpuMsPerSec: nodeMs,
        camCpuMsPerSec: (b.cam - a.cam) / sec,
        machineBusy: mt ? (b.machine.busy - a.machine.busy) / mt : null,
        sessions: b.st.sessions.length,
        ended: [...pids].reduce((n, pid) => n + [...a.w[pid].sent.keys()]
                                .filter((id) => !b.w[pid].sent.has(id))
                                .length, 0),
        framesInPerSec: (b.framesIn - a.framesIn) / sec,
        kbitInPerSec: (b.bytesIn - a.bytesIn) * 8 / 1000 / sec,
    };

    if (base) {
        total.cpuPerViewer = (total.cpuMsPerSec - base.total.cpuMsPerSec)
                             / viewers;
        total.rssPerViewerKb = (total.rssKb - base.total.rssKb) / viewers;
        total.anonPerViewerKb = (total.anonKb - base.total.anonKb) / viewers;
        total.packetsPerViewer = total.packetsPerSec / viewers;
    }

    return { workers, total };
}


/*
 * The viewers live in --threads worker threads (of this file), so that
 * one busy event loop does not make all of them late: a late loop reads
 * its sockets late, werift takes the waiting packets for lost and NACKs
 * them, nginx sends them again, and the loop falls further behind.
 * Viewer k is in thread k % threads.  Requests: { id, cmd, ... } ->
 * { id, ...reply } or { id, error }.
 */

class ViewerThreads {

    constructor(n, port) {
        this.threads = [];
        this.pending = new Map();
        this.seq = 0;
        this.count = 0;

        for (let i = 0; i < n; i++) {
            const w = new Worker(__filename, { workerData: { port } });

            w.on('message', (m) => {
                const p = this.pending.get(m.id);
                if (p) {
                    this.pending.delete(m.id);
                    if (m.error) {
                        p.reject(new Error(m.error));
                    } else {
                        p.resolve(m);
                    }
                }
            });

            w.on('error', (err) => {
                for (const p of this.pending.values()) {
                    p.reject(err);
                }
                this.pending.clear();
            });

            this.threads.push(w);
        }
    }

    call(k, msg) {
        return new Promise((resolve, reject) => {
            const id = ++this.seq;
            this.pending.set(id, { resolve, reject });
            this.threads[k].postMessage(Object.assign({ id }, msg));
        });
    }

    all(msg) {
        return Promise.all(this.threads.map((w, k) => this.call(k, msg)));
    }

    /* viewers join until there are count; their times, in ms */

    async join(count, parallel) {
        const answer = [];
        const first = [];

        const lane = async () => {
            while (this.count < count) {
                const k = this.count++;
                const r = await this.call(k % this.threads.length,
                                          { cmd: 'join', name: `v${k + 1}` });
                answer.push(r.answer);
                first.push(r.first);
            }
        };

        const lanes = [];
        for (let i = 0; i < parallel; i++) {
            lanes.push(lane());
        }
        await Promise.all(lanes);

        return { answer, first };
    }

    /* packets received by each viewer, viewers not connected, loop lag */

    async stats() {
        const out = { packets: {}, notConnected: 0, lagP99Ms: 0,
                      lagMaxMs: 0 };

        for (const r of await this.all({ cmd: 'stats' })) {
            Object.assign(out.packets, r.packets);
            out.notConnected += r.notConnected;
            out.lagP99Ms = Math.max(out.lagP99Ms, r.lagP99Ms);
            out.lagMaxMs = Math.max(out.lagMaxMs, r.lagMaxMs);
        }

        return out;
    }

    async stop() {
        await this.all({ cmd: 'close' }).catch(() => {});
        await Promise.all(this.threads.map((w) => w.terminate()));
    }
}


/*
 * A viewer thread.  Each viewer's POST and first keyframe packet are
 * timed: its nginx is a stand-in that notes when the offer goes out, and
 * its RTP handler notes the first packet starting an IDR or SPS.
 */

function viewerThread() {
    const { Viewer } = require(path.join(E2E_LIB, 'werift'));
    const port = workerData.port;
    const viewers = new Map();
    const lag = monitorEventLoopDelay({ resolution: 10 });

    lag.enable();

    function timedViewer(name) {
        const times = { post: null, answer: null, key: null };
        const ngx = {
            url: (p) => `http://127.0.0.1:${port}${p || '/'}`,
            http: async (method, ...rest) => {
                if (method === 'POST') {
                    times.post = performance.now();
                    times.key = null;
                }
                const r = await request(port, method, ...rest);
                if (method === 'POST') {
                    times.answer = performance.now();
                }
                return r;
            },
        };

        const v = new Viewer(ngx, '/whep/cam', { name });
        const onRtp = v.onRtp.bind(v);

        v.onRtp = (rtp) => {
            onRtp(rtp);
            if (times.key === null && v.keyframes > 0) {
                times.key = performance.now();
            }
        };

        v.times = times;

        return v;
    }

    const commands = {
        async join(m) {
            const v = timedViewer(m.name);
            viewers.set(m.name, v);
            await v.connectRetry(20000);
            await waitFor(() => v.times.key !== null, 20000,
                          `${v.name}: first keyframe`);
            return { answer: v.times.answer - v.times.post,
                     first: v.times.key - v.times.post };
        },

        async stats() {
            const packets = {};
            let notConnected = 0;

            for (const [name, v] of viewers) {
                packets[name] = v.packets;
                if (v.connectionState !== 'connected') {
                    notConnected++;
                }
            }

            const r = { packets, notConnected,
                        lagP99Ms: lag.percentile(99) / 1e6,
                        lagMaxMs: lag.max / 1e6 };
            lag.reset();
            return r;
        },

        async close() {
            for (const v of viewers.values()) {
                await v.close().catch(() => {});
            }
            viewers.clear();
            return {};
        },
    };

    parentPort.on('message', async (m) => {
        let reply;
        try {
            reply = await commands[m.cmd](m);
        } catch (err) {
            reply = { error: String(err.stack || err) };
        }
        parentPort.postMessage(Object.assign({ id: m.id }, reply));
    });
}


function report(opts, steps) {
    const out = [];
    const p = (s) => out.push(s);

    const t0 = steps[0].total;

    p(`# nginx-rtc fan-out: camera 640x360 25 fps H.264 (x264 `
      + `${opts.bitrate} kbit/s, pattern ${opts.pattern}, keyframe every `
      + `2 s) measured at ${fmt(t0.kbitInPerSec, 0)} kbit/s, `
      + `${fmt(t0.framesInPerSec)} fps; ${opts.workers} workers; werift `
      + `viewers in ${opts.threads} threads; ${opts.seconds} s windows; `
      + `${require('node:os').cpus().length} CPUs`);
    p(lib.moduleLine());
    p('# cpu from /proc/PID/task/*/schedstat (ns)');
    p('# cpu: ms of CPU per second of wall time (1000 = one core busy); '
      + 'per viewer: the worker\'s cpu / its viewers');
    p('# rss/anon: VmRSS/RssAnon in MB; +KB/viewer: growth since 0 viewers '
      + '/ the worker\'s viewers; P: the worker pulling the camera');
    p('');

    const ww = [7, 8, 8, 9, 11, 8, 8, 11, 12, 9];
    p(row(ww, ['viewers', 'worker', 'sessions', 'cpu ms/s', 'ms/s/viewer',
               'rss MB', 'anon MB', 'rss KB/vwr', 'anon KB/vwr',
               'pkts/s']));

    for (const s of steps) {
        for (const w of s.workers) {
            p(row(ww, [s.total.viewers, w.pid + (w.producer ? 'P' : ' '),
                       w.sessions, fmt(w.cpuMsPerSec),
                       fmt(w.cpuPerViewer, 2), fmt(w.rssKb / 1024),
                       fmt(w.anonKb / 1024), fmt(w.rssPerViewerKb, 0),
                       fmt(w.anonPerViewerKb, 0), fmt(w.packetsPerSec, 0)]));
        }
    }

    p('');
    p('# totals of all workers; ms/s/viewer, KB/viewer: growth over the '
      + '0-viewer window / viewers');
    p('# node: this process (werift viewers); lag: how late their event '
      + 'loops ran, p99/max of the worst thread; camera: t/lib/camera.py;');
    p('# busy: the whole machine, % of all CPUs (other work included)');
    p('# pkts/s: RTP sent by nginx (/rtc/status; retx: of them NACKed '
      + 'ones sent again; drops: not sent, socket full); rcvd: RTP the '
      + 'werift viewers got');
    p('# first frame: POST -> first RTP packet of an IDR/SPS at the '
      + 'viewer, median / p95 of the viewers that joined in the step; '
      + 'answer: POST -> 201, median');

    const tw = [7, 9, 11, 8, 11, 12, 9, 10, 7, 7, 10, 9, 11, 10, 5, 9,
                14];
    p(row(tw, ['viewers', 'cpu ms/s', 'ms/s/viewer', 'rss MB',
               'rss KB/vwr', 'anon KB/vwr', 'pkts/s', 'pkts/s/vwr',
               'retx/s', 'drops/s', 'rcvd/s/vwr', 'node ms/s', 'lag ms',
               'camera ms/s', 'busy', 'answer ms', 'first frame ms']));

    for (const s of steps) {
        const t = s.total;
        const j = s.join;
        p(row(tw, [t.viewers, fmt(t.cpuMsPerSec), fmt(t.cpuPerViewer, 2),
                   fmt(t.rssKb / 1024), fmt(t.rssPerViewerKb, 0),
                   fmt(t.anonPerViewerKb, 0), fmt(t.packetsPerSec, 0),
                   fmt(t.packetsPerViewer, 1), fmt(t.retxPerSec, 1),
                   fmt(t.dropsPerSec, 1),
                   fmt(t.receivedPerViewer, 1), fmt(t.nodeCpuMsPerSec),
                   `${fmt(t.lagP99Ms, 0)}/${fmt(t.lagMaxMs, 0)}`,
                   fmt(t.camCpuMsPerSec),
                   fmt(t.machineBusy === null ? null : t.machineBusy * 100,
                       0) + '%',
                   j ? fmt(quantile(j.answer, 0.5), 0) : '-',
                   j ? `${fmt(quantile(j.first, 0.5), 0)} / `
                       + `${fmt(quantile(j.first, 0.95), 0)}` : '-']));
    }

    for (const s of steps.filter((x) => x.warning)) {
        p(`# WARNING: ${s.warning}: its figures do not stand for `
          + `${s.total.viewers} viewers`);
    }

    const all = steps.flatMap((s) => (s.join ? s.join.first : []));

    p('');
    p(`# first frame over all ${all.length} joins: median `
      + `${fmt(quantile(all, 0.5), 0)} ms, p95 ${fmt(quantile(all, 0.95), 0)}`
      + ` ms, max ${fmt(quantile(all, 1), 0)} ms`);

    return out.join('\n');
}


async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const steps = [];
    let viewers = null;
    let rig = null;
    let failed = null;

    lib.requireNetns(usage);

    try {
        rig = await lib.startRig({
            port: opts.port, camPort: opts.camPort, workers: opts.workers,
            conf: CONF,
        }, { bitrate: opts.bitrate, pattern: opts.pattern });

        const { ngx, pids } = rig;
        const camPid = rig.cam.proc.pid;

        viewers = new ViewerThreads(opts.threads, opts.port);

        async function measure(count, joinTimes) {
            await sleep(SETTLE_MS);

            const before = (await viewers.stats()).packets;
            const a = await snapshot(ngx, pids, camPid);
            process.stderr.write(`# window: ${count} viewers, `
                                 + `${opts.seconds} s\n`);
            await sleep(opts.seconds * 1000);
            const b = await snapshot(ngx, pids, camPid);
            const after = await viewers.stats();

            const s = window(a, b, pids, steps[0], count);
            const got = Object.keys(after.packets)
                        .map((k) => after.packets[k] - (before[k] || 0));

            s.join = joinTimes;
            s.total.lagP99Ms = after.lagP99Ms;
            s.total.lagMaxMs = after.lagMaxMs;
            s.total.receivedPerViewer = count
                ? got.reduce((x, y) => x + y, 0) / count
                  / s.total.seconds
                : null;
            s.total.silentViewers = got.filter((n) => n === 0).length;
            s.total.notConnected = after.notConnected;

            if (s.total.ended || s.total.sessions !== count
                || s.total.notConnected)
            {
                s.warning = `${count} viewers: ${s.total.ended} sessions `
                            + `ended during the window, ${s.total.sessions}`
                            + ` left; ${s.total.notConnected} viewers not `
                            + `connected; ${s.total.silentViewers} got no `
                            + 'RTP in the window';
                process.stderr.write(`# WARNING: ${s.warning}\n`);
                keep = true;
            }
            steps.push(s);

            process.stderr.write(
                `# ${count} viewers: nginx ${fmt(s.total.cpuMsPerSec)} ms/s,`
                + ` node ${fmt(s.total.nodeCpuMsPerSec)} ms/s, `
                + `${fmt(s.total.packetsPerSec, 0)} pkts/s sent, `
                + `${fmt(s.total.receivedPerViewer, 1)} received/s/viewer`
                + (s.total.silentViewers
                   ? `, ${s.total.silentViewers} viewers got nothing` : '')
                + '\n');
        }

        process.stderr.write(`# workers ${pids.join(' ')}; camera pid `
                             + `${camPid}; 0 viewers\n`);
        await measure(0, null);

        for (const n of opts.viewers) {
            process.stderr.write(`# joining up to ${n} viewers\n`);
            const j = await viewers.join(n, opts.parallel);
            await measure(n, j);
        }

    } catch (err) {
        failed = err;
    }

    if (rig) {
        rig.ngx.opts.keep = keep;
    }

    await lib.finish({
        failed, stop: [viewers, rig],
        table: steps.length ? () => report(opts, steps) : null,
        json: opts.json, data: { opts, steps },
    });

    /* werift leaves timers and sockets behind */
    process.exit(0);
}


if (isMainThread) {
    main();
} else {
    viewerThread();
}
