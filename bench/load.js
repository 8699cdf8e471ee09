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
 *       [--audio] [--srtp gcm|cm|both] [--gro] [--client-ns] [--json FILE]
 *
 * --client-ns: whep-load in a network namespace of its own behind a veth
 * pair whose receive runs in a kernel thread (bench/client_ns.sh, needs
 * ethtool), as if the viewers were another machine: on loopback the
 * server's sends are delivered in its own system calls, so its CPU time
 * includes the viewers' receive.
 *
 * For each count a fresh whep-load run starts the sessions, waits until
 * each is up (first keyframe) or failed, measures a window of --seconds,
 * DELETEs them all; during the window nginx's workers are measured from
 * /proc (CPU: schedstat, lib.cpuMs(); memory: VmRSS, RssAnon) and /rtc/metrics
 * (the stream's packets sent, dropped, sent again; the send delay
 * histogram: p50 and p99 of the window, interpolated linearly within its
 * buckets).  bench/README.md explains the columns.
 */

'use strict';

const lib = require('./lib');
const { cpuMs, machine, fmt } = lib;


const OPTIONS = lib.options(['--sessions', '--seconds', '--ramp',
                             '--parallel', '--bitrate', '--workers',
                             '--port', '--cam-port', '--gro', '--client-ns',
                             '--json'], {
    '--audio': ['audio', null],
    '--srtp': ['srtp', String],
});


const usage = lib.usage('t/lib/netns.sh node bench/load.js '
    + '[--sessions 10,100,200] [--seconds 10] [--ramp 100] [--parallel 16]'
    + ' [--bitrate 2000] [--workers 2] [--audio] [--srtp gcm|cm|both]'
    + ' [--gro] [--client-ns] [--json FILE]');


function parseArgs(argv) {
    return lib.parseLoadOptions(argv, OPTIONS, {
        sessions: [10, 100, 200], seconds: 10, ramp: 100, parallel: 16,
        bitrate: 2000, workers: 2, port: 18780, camPort: 18790,
        audio: false, srtp: 'both', gro: false, clientNs: false, json: null,
    }, usage, '10,100,200');
}


function memKb(pid) {
    return { rss: lib.procStatus(pid, 'VmRSS'),
             anon: lib.procStatus(pid, 'RssAnon') };
}


/* UDP receive errors of this namespace (packets the kernel dropped) */

function udpErrors() {
    const u = lib.udpCounters();
    return { rcvbuf: u.RcvbufErrors || 0, sndbuf: u.SndbufErrors || 0,
             inErrors: u.InErrors || 0 };
}


/*
 * /rtc/metrics: the send delay histogram (delay: cumulative counts by
 * upper bound, seconds, the last Infinity) and the stream "cam"'s packets
 * sent, dropped and sent again, its ended sessions' included (whep-load
 * DELETEs its sessions as soon as it has reported, before the snapshot of
 * /rtc/status would see them); NaN and null when it does not answer
 */

async function metrics(ngx) {
    const m = { sent: NaN, drops: NaN, retx: NaN, delay: null };
    const all = await lib.metrics(ngx);

    if (all === null) {
        return m;
    }

    const counter = (name) => {
        const v = all[`nginx_rtc_stream_${name}_total{stream="cam"}`];
        return v === undefined ? NaN : v;
    };

    m.sent = counter('packets_sent');
    m.drops = counter('drops');
    m.retx = counter('retransmits');

    const h = [];
    for (const [k, v] of Object.entries(all)) {
        const x = k.match(
            /^nginx_rtc_send_delay_seconds_bucket\{le="([^"]+)"\}$/);
        if (x) {
            h.push({ le: x[1] === '+Inf' ? Infinity : Number(x[1]), n: v });
        }
    }
    m.delay = h.length ? h : null;

    return m;
}


/*
 * The q-quantile (0..1) in ms of the samples between two histograms,
 * interpolated linearly within its bucket as the module does (the +Inf
 * bucket gives its lower bound), or null without samples
 */

function delayQuantile(a, b, q) {
    if (!a || !b || a.length !== b.length) {
        return null;
    }
    const count = b[b.length - 1].n - a[a.length - 1].n;
    if (count <= 0) {
        return null;
    }
    const rank = q * count;
    let below = 0;
    let lower = 0;
    for (let i = 0; i < b.length; i++) {
        const n = b[i].n - a[i].n - below;
        if (b[i].le === Infinity) {
            return lower * 1000;
        }
        if (n > 0 && below + n >= rank) {
            return (lower + (b[i].le - lower) * (rank - below) / n) * 1000;
        }
        below += n;
        lower = b[i].le;
    }
    return lower * 1000;
}


async function snapshot(ngx, pids, camPid) {
    /* /proc first: the window's edges are not moved by a late status */

    const t = Date.now();
    const w = pids.map((pid) => ({ pid, cpu: cpuMs(pid), mem: memKb(pid) }));
    const cam = cpuMs(camPid);
    const napi = lib.napiCpuMs();
    const mach = machine();
    const udp = udpErrors();
    const { sent, drops, retx, delay } = await metrics(ngx);
    const st = await lib.status(ngx);

    return {
        t, w, sent, drops, retx, delay, napi,
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
    const args = lib.whepLoadArgs(opts, n,
                                  [...(opts.audio ? ['--audio'] : []),
                                   '--srtp', opts.srtp],
                                  `http://${lib.serverHost(opts)}:`
                                  + `${opts.port}/whep/cam`);

    return lib.runWhepLoad(args, () => snapshot(ngx, pids, camPid),
                           opts.clientNs);
}


function figures(n, run, base) {
    const { r, a, b } = run;
    const sec = (b.t - a.t) / 1000;
    const cpu = b.w.reduce((s, w, i) => s + w.cpu - a.w[i].cpu, 0) / sec;
    const rss = b.w.reduce((s, w) => s + w.mem.rss, 0);
    const anon = b.w.reduce((s, w) => s + w.mem.anon, 0);

    return {
        ...lib.stepFigures(n, r, sec),
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
        sendDelayMs: {
            samples: (a.delay && b.delay)
                     ? b.delay[b.delay.length - 1].n
                       - a.delay[a.delay.length - 1].n : null,
            p50: delayQuantile(a.delay, b.delay, 0.5),
            p99: delayQuantile(a.delay, b.delay, 0.99),
            /* the window's samples, cumulative, by upper bound in ms */
            buckets: (a.delay && b.delay)
                     ? b.delay.map((x, i) => [x.le * 1000,
                                              x.n - a.delay[i].n]) : null,
        },
        rcvbufErrors: b.udp.rcvbuf - a.udp.rcvbuf,
        packetsPerSec: r.packets_per_s,
        packetsPerSecPerSession: r.packets_per_s_per_session,
        mbitPerSec: r.mbit_per_s,
        lossPct: r.loss_pct,
        lost: r.lost,
        lostSinceStart: r.lost_since_start,
        ...lib.setupFigures(r),
        ...lib.besideFigures(r, a, b, sec),
        srtp: r.srtp,
        statusLate: Number.isNaN(a.sent) || Number.isNaN(b.sent),
        loadAvg: require('node:os').loadavg(),
    };
}


/*
 * The cost of a session added to the step before (to none for the first):
 * the stream's fixed cost (its producer, a packetization and a wake-up a
 * frame in each worker) is in the first step's only, not in the others'
 */

function addedCost(steps, f, base) {
    const prev = steps.length ? steps[steps.length - 1]
                              : { up: 0, nginxCpuMsPerSec: base.cpu };

    return f.up > prev.up
           ? (f.nginxCpuMsPerSec - prev.nginxCpuMsPerSec) / (f.up - prev.up)
           : null;
}


function report(opts, base, steps) {
    const out = [];
    const p = (s) => out.push(s);

    p(`# nginx-rtc load: ${lib.cameraText(opts.bitrate)} measured at `
      + `${fmt(base.kbitIn, 0)} kbit/s; ${opts.workers} workers; whep-load `
      + `ramp ${opts.ramp}/s, ${opts.parallel} parallel; ${opts.seconds} s `
      + `windows; ${require('node:os').cpus().length} CPUs`);
    p(lib.moduleLine());
    if (opts.gro) {
        p('# whep-load --gro: each GSO send reaches it whole (UDP_GRO)');
    }
    if (opts.clientNs) {
        p('# whep-load --client-ns: in a namespace of its own behind a veth '
          + 'pair, its receive in a kernel thread (bench/client_ns.sh)');
    }
    p(`# 0 sessions: nginx ${fmt(base.cpu)} ms/s, rss ${fmt(base.rss / 1024)}`
      + ` MB, anon ${fmt(base.anon / 1024)} MB`);
    p('');
    p('| sessions | up | failed | nginx cpu ms/s | ms/s per session | '
      + 'ms/s per added session | µs/packet | rss MB | anon KB/session | sent pkts/s | drops/s | '
      + 'rcvd pkts/s | Mbit/s | loss % | no RTP | rcvbuf errors | '
      + 'first keyframe ms '
      + 'p50 / p95 / max | send delay ms p50 / p99 | decrypt fail | '
      + 'whep-load cpu ms/s | camera ms/s | busy |');
    p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
      + '---:|---:|---:|---:|---:|---:|---:|---:|---:|');

    for (const f of steps) {
        const k = f.firstKeyframeMs;
        p(`| ${f.sessions} | ${f.up} | ${f.failed} | `
          + `${fmt(f.nginxCpuMsPerSec)} | ${fmt(f.nginxCpuPerSession, 2)} | `
          + `${fmt(f.nginxCpuPerAddedSession, 2)} | `
          + `${fmt(f.nginxUsPerPacket, 1)} | ${fmt(f.nginxRssMb)} | `
          + `${fmt(f.nginxAnonKbPerSession, 0)} | ${fmt(f.sentPerSec, 0)} | `
          + `${fmt(f.dropsPerSec, 1)} | ${fmt(f.packetsPerSec, 0)} | `
          + `${fmt(f.mbitPerSec, 1)} | ${fmt(f.lossPct, 3)} | `
          + `${f.stalled} | `
          + `${f.rcvbufErrors} | ${fmt(k.p50, 0)} / ${fmt(k.p95, 0)} / `
          + `${fmt(k.max, 0)} | ${fmt(f.sendDelayMs.p50, 2)} / `
          + `${fmt(f.sendDelayMs.p99, 2)} | ${f.decryptFailures} | `
          + `${fmt(f.clientCpuMsPerSec)} | ${fmt(f.cameraCpuMsPerSec)} | `
          + `${fmt(f.machineBusy * 100, 0)}% |`);
    }

    for (const f of steps) {
        const load = f.loadAvg.map((x) => fmt(x, 2)).join(' ');
        p(`# ${f.sessions}: load average ${load} at the end of the window; `
          + `send delay over ${f.sendDelayMs.samples} viewer-frames`);
        if (f.clientRxCpuMsPerSec !== null) {
            p(`# ${f.sessions}: the viewers' receive (napi/cl1 kernel `
              + `thread) ${fmt(f.clientRxCpuMsPerSec)} ms/s`);
        }
        if (f.statusLate) {
            p(`# ${f.sessions}: WARNING: /rtc/metrics did not answer within `
              + '30 s at the start or the end of the window: nginx was '
              + 'overloaded');
        }
        if (f.failed || f.stalled) {
            p(lib.failureLine(f.sessions, f));
        }
    }

    return out.join('\n');
}


async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const steps = [];
    let rig = null;
    let failed = null;
    let base = null;

    lib.requireBench(usage, opts.clientNs);

    try {
        rig = await lib.startRig({
            port: opts.port, camPort: opts.camPort, workers: opts.workers,
            conf: lib.nginxConf({ clientNs: opts.clientNs }),
        }, { bitrate: opts.bitrate, audio: opts.audio ? 'pcma' : undefined });

        const { ngx, pids } = rig;
        const camPid = rig.cam.proc.pid;

        /* for "perf record -g -p PIDS" (bench/README.md) */

        process.stderr.write(`# nginx workers ${pids.join(',')}\n`);

        /* the ingest alone */

        const { a, b, sec } = await lib.idleWindow(
            () => snapshot(ngx, pids, camPid));

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
            f.nginxCpuPerAddedSession = addedCost(steps, f, base);
            steps.push(f);

            process.stderr.write(`# ${n}: nginx ${fmt(f.nginxCpuMsPerSec)} `
                                 + `ms/s, whep-load `
                                 + `${fmt(f.clientCpuMsPerSec)} ms/s, loss `
                                 + `${fmt(f.lossPct, 3)} %\n`);

            /* the DELETEs are done: the next step starts from 0 */

            await lib.waitDrained(ngx, 'no session left');
        }

    } catch (err) {
        failed = err;
    }

    await lib.finish({
        failed, stop: [rig],
        table: steps.length ? () => report(opts, base, steps) : null,
        json: opts.json, data: { opts, base, steps },
    });
}


main();
