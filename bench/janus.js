/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Side by side with Janus (issue 9, 4), in one run: one camera
 * (t/lib/camera.py, started once), the same load generator
 * (build/bench/whep-load) with the same N, against
 *
 *   nginx       nginx-rtc: Debian's nginx with the built module, 2 workers
 *   janus       Janus 1.1.2 (Debian's janus) as shipped: /etc/janus/*.jcfg
 *               unchanged but for the streaming plugin's one RTSP
 *               mountpoint (and the configs folder); each handle has its own
 *               event loop and thread
 *   janus-el2   the same with event_loops = 2 (the machine's cores) in
 *               janus.jcfg: handles share two loops (janus-elN: N loops)
 *   janus-kf, janus-el2-kf   (not run by default) the same with
 *               videobufferkf = true on the mountpoint: Janus keeps the
 *               last keyframe and sends it to a new viewer at once
 *
 * whep-load speaks WHEP to nginx and the Janus HTTP API to Janus
 * (--server janus).  For each server and N: the server's CPU (schedstat
 * of every thread of Janus, of both nginx workers: lib.cpuMs()),
 * its private memory (Private_Dirty of /proc/PID/smaps_rollup), both over
 * whep-load's measuring window; per viewer: the growth over the server
 * with its camera and no viewer.  Run by hand, as root:
 *
 *   apt-get install janus               # if not yet
 *   make && make -C bench whep-load
 *   t/lib/netns.sh node bench/janus.js [--sessions 50,100,200]
 *       [--seconds 10] [--ramp 25] [--parallel 8] [--bitrate 800]
 *       [--servers nginx,janus,janus-el2] [--gro] [--client-ns]
 *       [--json FILE]
 *
 * --client-ns: whep-load in a namespace of its own, its receive in a
 * kernel thread, as if the viewers were another machine (see load.js and
 * bench/client_ns.sh).
 *
 * --gro: whep-load takes each GSO send whole (UDP_GRO), as a NIC's
 * segmentation offload would, instead of the sender's CPU paying for the
 * loopback's segmentation (see load.js).  bench/README.md ("Side by side
 * with Janus") explains the columns.
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { waitFor, sleep, request } = require(path.join(E2E_LIB, 'nginx'));
const lib = require('./lib');
const { cpuMs, machine, fmt } = lib;

const JANUS = process.env.JANUS || '/usr/bin/janus';
const JANUS_ETC = process.env.JANUS_ETC || '/etc/janus';
const JANUS_MOUNTPOINT = 1;


const OPTIONS = lib.options(['--sessions', '--seconds', '--ramp',
                             '--parallel', '--bitrate', '--gro', '--client-ns',
                             '--json'], {
    '--servers': ['servers', (v) => v.split(',')],
});


const usage = lib.usage('t/lib/netns.sh node bench/janus.js '
    + '[--sessions 50,100,200] [--seconds 10] [--ramp 25] [--parallel 8]'
    + ' [--bitrate 800] [--servers nginx,janus,janus-el2,janus-el2-kf]'
    + ' [--gro] [--client-ns] [--json FILE]');


function parseArgs(argv) {
    const o = lib.parseLoadOptions(argv, OPTIONS, {
        sessions: [50, 100, 200], seconds: 10, ramp: 25, parallel: 8,
        bitrate: 800, servers: ['nginx', 'janus', 'janus-el2'],
        gro: false, clientNs: false, json: null,
        port: 18780, janusPort: 18788, camPort: 18790,
    }, usage, '50,100,200');

    for (const s of o.servers) {
        if (s !== 'nginx' && !/^janus(-el\d+)?(-kf)?$/.test(s)) {
            usage(`--servers: nginx, janus, janus-elN, janus[-elN]-kf, `
                  + `not ${s}`);
        }
    }

    return o;
}


function loadavg() {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ')
           .slice(0, 3).map(Number);
}


function snapshot(pids, camPid) {
    const sum = (f) => pids.reduce((s, p) => s + f(p), 0);

    return {
        t: Date.now(),
        cpu: sum(cpuMs),
        priv: sum((p) => lib.smapsKb(p, 'Private_Dirty')),
        threads: sum((p) => lib.procStatus(p, 'Threads')),
        cam: cpuMs(camPid),
        machine: machine(),
        napi: lib.napiCpuMs(),
        load: loadavg(),
    };
}


/* ---- the servers ---- */

class NginxServer {

    constructor(opts) {
        this.name = 'nginx';
        this.opts = opts;
        this.ngx = null;
        this.url = `http://${lib.serverHost(opts)}:${opts.port}/whep/cam`;
        this.loadArgs = [];
    }

    async start() {
        const o = this.opts;
        const started = await lib.startNginx({
            port: o.port, camPort: o.camPort, workers: 2,
            conf: lib.nginxConf({ clientNs: o.clientNs }),
        });

        this.ngx = started.ngx;
        this.pids = started.pids;
    }

    /* the sessions are gone (whep-load DELETEd them) */

    async drained() {
        await lib.waitDrained(this.ngx, 'no session left in nginx');
    }

    async stop() {
        if (this.ngx) {
            await this.ngx.stop();
            this.ngx = null;
        }
    }
}


class JanusServer {

    /* name: janus, janus-elN (event_loops = N), either with -kf */

    constructor(opts, name) {
        const m = name.match(/^janus(?:-el(\d+))?(-kf)?$/);

        this.name = name;
        this.opts = opts;
        this.eventLoops = m[1] ? Number(m[1]) : 0;
        this.keyframe = Boolean(m[2]);
        this.proc = null;
        this.url = `http://${lib.serverHost(opts)}:${opts.janusPort}/janus`;
        this.loadArgs = ['--server', 'janus',
                         '--janus-id', String(JANUS_MOUNTPOINT)];
    }

    /*
     * /etc/janus copied as shipped, but: the configs folder; the HTTP
     * port; the streaming plugin's mountpoints (only ours); event_loops
     * for janus-elN; videobufferkf for -kf
     */

    configure() {
        const o = this.opts;
        const d = fs.mkdtempSync(path.join(os.tmpdir(), 'janus-bench-'));

        for (const f of fs.readdirSync(JANUS_ETC)) {
            if (f.endsWith('.jcfg')) {
                fs.copyFileSync(path.join(JANUS_ETC, f), path.join(d, f));
            }
        }

        const main = path.join(d, 'janus.jcfg');
        let c = fs.readFileSync(main, 'utf8');

        c = c.replace(/configs_folder = "[^"]*"/,
                      `configs_folder = "${d}"`);

        if (this.eventLoops) {
            c = c.replace(/^general: \{/m, 'general: {\n\tevent_loops = '
                          + `${this.eventLoops}`);
        }

        fs.writeFileSync(main, c);

        const http = path.join(d, 'janus.transport.http.jcfg');
        fs.writeFileSync(http, fs.readFileSync(http, 'utf8')
                         .replace(/^(\s*)port = 8088/m,
                                  `$1port = ${o.janusPort}`));

        fs.writeFileSync(path.join(d, 'janus.plugin.streaming.jcfg'), `
general: {
}

cam: {
\ttype = "rtsp"
\tid = ${JANUS_MOUNTPOINT}
\tdescription = "bench camera"
\taudio = false
\tvideo = true
\turl = "rtsp://127.0.0.1:${o.camPort}/cam"
\trtsp_reconnect_delay = 1
${this.keyframe ? '\tvideobufferkf = true\n' : ''}}
`);
        this.dir = d;
        return d;
    }

    async start() {
        const d = this.configure();
        const log = path.join(d, 'janus.log');

        this.proc = spawn(JANUS, ['-F', d, '-C', path.join(d, 'janus.jcfg'),
                                  '-L', log],
                          { stdio: ['ignore', 'ignore', 'ignore'] });
        this.exited = new Promise((res) => this.proc.once('exit', res));
        this.pids = [this.proc.pid];

        /* the API answers, and the mountpoint has its RTSP source */

        await waitFor(async () => {
            if (this.proc.exitCode !== null) {
                throw Object.assign(new Error(`janus exited: see ${log}`),
                                    { fatal: true });
            }
            try {
                const r = await request(this.opts.janusPort, 'POST',
                                        '/janus', JSON.stringify({
                                            janus: 'info', transaction: 'i',
                                        }), {}, 2000);
                return r.status === 200;
            } catch (err) {
                return false;
            }
        }, 20000, 'janus answering');

        await waitFor(() => {
            const l = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
            if (/Error creating 'rtsp' mountpoint/.test(l)) {
                throw Object.assign(new Error(`janus: no RTSP: see ${log}`),
                                    { fatal: true });
            }
            return /Streaming plugin initialized/.test(l);
        }, 20000, 'the streaming plugin');
    }

    async drained() {
        /* destroy is answered at once; the handles go in the background */
        await sleep(3000);
    }

    async stop() {
        if (this.proc && this.proc.exitCode === null) {
            this.proc.kill('SIGINT');
            const done = await Promise.race([
                this.exited.then(() => true), sleep(10000).then(() => false),
            ]);
            if (!done) {
                this.proc.kill('SIGKILL');
                await this.exited;
            }
        }
        this.proc = null;
        if (this.dir && !process.env.JANUS_BENCH_KEEP) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}


/* ---- one whep-load run ---- */

function runLoad(opts, server, n, camPid) {
    const args = lib.whepLoadArgs(opts, n, server.loadArgs, server.url);

    return lib.runWhepLoad(args, () => snapshot(server.pids, camPid),
                           opts.clientNs);
}


function figures(server, n, run, base) {
    const { r, a, b } = run;
    const sec = (b.t - a.t) / 1000;
    const cpu = (b.cpu - a.cpu) / sec;

    return {
        server: server.name,
        ...lib.stepFigures(n, r, sec),
        cpuMsPerSec: cpu,
        cpuPerViewer: r.up ? (cpu - base.cpu) / r.up : null,
        usPerPacket: r.packets_per_s ? cpu * 1000 / r.packets_per_s : null,
        privMb: b.priv / 1024,
        privKbPerViewer: r.up ? (b.priv - base.priv) / r.up : null,
        threads: b.threads,
        packetsPerSec: r.packets_per_s,
        packetsPerSecPerViewer: r.packets_per_s_per_session,
        kbitPerViewer: r.up ? r.mbit_per_s * 1000 / r.up : null,
        lossPct: r.loss_pct,
        lost: r.lost,
        ...lib.setupFigures(r),
        srtp: r.srtp,
        ...lib.besideFigures(r, a, b, sec),
        load: a.load,
    };
}


function report(opts, bases, steps) {
    const out = [];
    const p = (s) => out.push(s);

    p(`# nginx-rtc vs Janus: ${lib.cameraText(opts.bitrate)}; whep-load `
      + `ramp ${opts.ramp}/s, ${opts.parallel} parallel; ${opts.seconds} s `
      + `windows; ${os.cpus().length} CPUs`);
    p(lib.moduleLine());

    for (const [name, b] of Object.entries(bases)) {
        p(`# ${name}, camera and no viewer: ${fmt(b.cpu)} ms/s, private `
          + `${fmt(b.priv / 1024)} MB, ${b.threads} threads`);
    }

    p('');
    p('| server | viewers | up | failed | cpu ms/s | ms/s per viewer | '
      + 'µs/packet | private MB | private KB/viewer | threads | '
      + 'pkts/s per viewer | kbit/s per viewer | loss % | no RTP | '
      + 'first keyframe ms p50 / p95 '
      + '| whep-load ms/s | busy | load avg |');
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
      + '---:|---:|---:|---:|---:|');

    for (const f of steps) {
        const k = f.firstKeyframeMs;
        p(`| ${f.server} | ${f.sessions} | ${f.up} | ${f.failed} | `
          + `${fmt(f.cpuMsPerSec)} | ${fmt(f.cpuPerViewer, 2)} | `
          + `${fmt(f.usPerPacket, 1)} | ${fmt(f.privMb)} | `
          + `${fmt(f.privKbPerViewer, 0)} | ${f.threads} | `
          + `${fmt(f.packetsPerSecPerViewer, 1)} | `
          + `${fmt(f.kbitPerViewer, 0)} | ${fmt(f.lossPct, 3)} | `
          + `${f.stalled} | ${fmt(k.p50, 0)} / ${fmt(k.p95, 0)} | `
          + `${fmt(f.clientCpuMsPerSec)} | `
          + `${fmt(f.machineBusy * 100, 0)}% | `
          + `${f.load.map((x) => x.toFixed(1)).join(' ')} |`);
    }

    for (const f of steps) {
        if (f.clientRxCpuMsPerSec !== null) {
            p(`# ${f.server} ${f.sessions}: the viewers' receive (napi/cl1 `
              + `kernel thread) ${fmt(f.clientRxCpuMsPerSec)} ms/s`);
        }
        if (f.failed || f.stalled) {
            p(lib.failureLine(`${f.server} ${f.sessions}`, f));
        }
    }

    return out.join('\n');
}


async function measureServer(opts, server, camPid, bases, steps) {
    process.stderr.write(`# ${server.name}: starting\n`);
    await server.start();

    try {
        /* a warm-up session: the stream flows, the code is paged in */

        await runLoad(Object.assign({}, opts, { seconds: 1 }), server, 1,
                      camPid);
        await server.drained();

        const { a, b, sec } = await lib.idleWindow(
            () => snapshot(server.pids, camPid));

        const base = {
            cpu: (b.cpu - a.cpu) / sec,
            priv: b.priv,
            threads: b.threads,
        };
        bases[server.name] = base;

        for (const n of opts.sessions) {
            process.stderr.write(`# ${server.name}: ${n} viewers\n`);
            const f = figures(server, n,
                              await runLoad(opts, server, n, camPid), base);
            steps.push(f);

            process.stderr.write(`# ${server.name} ${n}: `
                                 + `${fmt(f.cpuMsPerSec)} ms/s, `
                                 + `${fmt(f.cpuPerViewer, 2)} ms/s/viewer, `
                                 + `${fmt(f.privKbPerViewer, 0)} KB/viewer, `
                                 + `loss ${fmt(f.lossPct, 3)} %\n`);
            await server.drained();
        }

    } finally {
        await server.stop();
    }
}


async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const steps = [];
    const bases = {};
    let cam = null;
    let failed = null;

    lib.requireBench(usage, opts.clientNs);

    if (opts.servers.some((s) => s.startsWith('janus'))
        && !fs.existsSync(JANUS))
    {
        usage(`${JANUS} not found: apt-get install janus (Debian's 1.1.2; `
              + 'only for this benchmark)');
    }

    try {
        cam = await lib.startCamera({ port: opts.camPort,
                                      bitrate: opts.bitrate });

        for (const name of opts.servers) {
            const server = name === 'nginx' ? new NginxServer(opts)
                                            : new JanusServer(opts, name);
            await measureServer(opts, server, cam.proc.pid, bases, steps);
        }

    } catch (err) {
        failed = err;
    }

    await lib.finish({
        failed, stop: [cam],
        table: steps.length ? () => report(opts, bases, steps) : null,
        json: opts.json, data: { opts, bases, steps },
    });
}


main();
