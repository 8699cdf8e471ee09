/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Many configured streams, few watched: what the idle ones cost the
 * workers.  One camera; W watched streams (always on, one whep-load
 * session each) and N configured on-demand streams nobody watches.  The
 * workers' CPU (ms/s, /proc/PID/schedstat) and wake-ups (voluntary context
 * switches a second) are read over a window without viewers (the
 * producers and their timers) and over one with the W sessions.  Run it
 * with NGX_RTC_MODULE=/path/to.so to measure another build of the
 * module (e.g. one without the pending set).
 *
 *   t/lib/netns.sh node bench/many_streams.js [--idle 500] [--watched 1]
 *       [--seconds 20] [--workers 2] [--bitrate 800] [--json FILE]
 */

'use strict';

const { spawn } = require('node:child_process');
const lib = require('./lib');
const { waitFor, sleep } = require('../t/e2e/lib/nginx');
const { Nginx } = require('../t/e2e/lib/nginx');

const PORT = 18940;
const CAM_PORT = 18941;

const usage = lib.usage('t/lib/netns.sh node bench/many_streams.js '
                        + '[--idle 500] [--watched 1] [--seconds 20] '
                        + '[--workers 2] [--bitrate 800] [--json FILE]');


function parse(argv) {
    const o = { idle: 500, watched: 1, seconds: 20, workers: 2, bitrate: 800,
                json: null };

    for (let i = 0; i < argv.length; i += 2) {
        const k = argv[i].replace(/^--/, '');

        if (!(k in o) || argv[i + 1] === undefined) {
            usage(`unknown option ${argv[i]}`);
        }

        o[k] = k === 'json' ? argv[i + 1] : Number(argv[i + 1]);
    }

    return o;
}


function conf(o) {
    const lines = [];

    for (let i = 1; i <= o.watched; i++) {
        lines.push(`    rtc_stream w${i} rtsp://127.0.0.1:%%CAMPORT%%/cam `
                   + 'always buffer=1m;');
    }

    for (let i = 1; i <= o.idle; i++) {
        lines.push(`    rtc_stream i${i} rtsp://127.0.0.1:%%CAMPORT%%/cam `
                   + 'buffer=256k;');
    }

    const zone = Math.ceil(o.watched * 1.2 + o.idle * 0.3 + 16);

    return lib.nginxConf({ zone: `${zone}m`, listen: '' })
        .replace(/ *rtc_stream +cam [^\n]*\n/, lines.join('\n') + '\n');
}


/* the workers' CPU ms and voluntary context switches over sec seconds */

async function window(pids, sec) {
    const read = () => pids.map((p) => ({
        cpu: lib.cpuMs(p),
        csw: lib.procStatus(p, 'voluntary_ctxt_switches'),
    }));

    const a = read();
    await sleep(sec * 1000);
    const b = read();

    let cpu = 0;
    let csw = 0;

    for (let i = 0; i < pids.length; i++) {
        cpu += b[i].cpu - a[i].cpu;
        csw += b[i].csw - a[i].csw;
    }

    return { cpu: cpu / sec, csw: csw / sec };
}


async function main() {
    const o = parse(process.argv.slice(2));
    const loads = [];
    let cam = null;
    let ngx = null;
    let failed = null;
    let quiet = null;
    let watched = null;

    lib.requireBench(usage);

    try {
        cam = await lib.startCamera({ port: CAM_PORT, bitrate: o.bitrate });
        ngx = await new Nginx({ port: PORT, camPort: CAM_PORT,
                                workers: o.workers, conf: conf(o) })
            .start(30000);

        await waitFor(async () => {
            const st = await lib.status(ngx);
            return st && st.streams.filter(
                (s) => s.name[0] === 'w' && s.state === 'playing'
                       && s.keyframes_in > 0).length === o.watched;
        }, 30000, 'the watched streams playing');

        const pids = await waitFor(() => {
            const p = require('../t/e2e/lib/raw').workerPids(ngx.pid());
            return p.length === o.workers ? p : null;
        }, 10000, 'the workers');

        await sleep(2000);
        quiet = await window(pids, o.seconds / 2);

        for (let i = 1; i <= o.watched; i++) {
            const p = spawn(lib.WHEP_LOAD,
                            ['-n', '1', '-d', String(o.seconds + 60),
                             '--json', ngx.url(`/whep/w${i}`)],
                            { stdio: ['ignore', 'ignore', 'ignore'] });
            loads.push(p);
        }

        await waitFor(async () => {
            const st = await lib.status(ngx);
            return st && st.sessions.length === o.watched
                   && st.sessions.every((s) => s.packets_sent > 0);
        }, 60000, `${o.watched} sessions taking media`);

        await sleep(2000);
        watched = await window(pids, o.seconds);

    } catch (err) {
        failed = err;
    }

    for (const p of loads) {
        p.kill('SIGTERM');
    }

    await lib.finish({
        failed,
        stop: [ngx, cam],
        table: () => [
            `module: ${process.env.NGX_RTC_MODULE || lib.MODULE}`,
            `${o.idle} idle on-demand streams, ${o.watched} watched `
            + `(always, 1 session each), ${o.workers} workers, `
            + `camera ${o.bitrate} kbit/s`,
            '| window | workers CPU ms/s | wake-ups/s (voluntary csw) |',
            '|---|---|---|',
            quiet ? `| no viewer | ${lib.fmt(quiet.cpu, 1)} | `
                    + `${lib.fmt(quiet.csw, 0)} |` : '| no viewer | - | - |',
            watched ? `| ${o.watched} viewer(s) | ${lib.fmt(watched.cpu, 1)} | `
                      + `${lib.fmt(watched.csw, 0)} |`
                    : '| viewers | - | - |',
        ].join('\n'),
        json: o.json,
        data: { o, quiet, watched },
    });
}


main();
