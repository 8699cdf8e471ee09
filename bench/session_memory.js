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

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync, execSync } = require('node:child_process');

const { waitFor, REPO } = require('../t/e2e/lib/nginx');
const { Camera } = require('../t/e2e/lib/camera');

const N = Number(process.argv[2] || 50);
const PORT = 21580;
const CAM_PORT = 21594;

const MOD = process.env.NGX_RTC_MODULE
            || path.join(REPO, 'build', 'ngx_http_rtc_module.so');
const WHEP_LOAD = path.join(REPO, 'build', 'bench', 'whep-load');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-mem-'));

const CONF = `
load_module ${MOD};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
daemon off;
worker_processes 1;
worker_rlimit_nofile 4096;
events { worker_connections 2048; }
http {
    access_log off;
    client_body_temp_path ${dir}/client;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    rtc_zone cams 16m;
    rtc_max_sessions 512;
    rtc_udp_ports 20000-30000;
    rtc_stream cam rtsp://127.0.0.1:${CAM_PORT}/cam always;
    server {
        listen 127.0.0.1:${PORT};
        location /whep/ { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}`;


async function status() {
    return (await fetch(`http://127.0.0.1:${PORT}/rtc/status`)).json();
}


/* the worker's private anonymous memory, KB */

function anon(pid) {
    const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(s.match(/^Anonymous:\s+(\d+) kB/m)[1]);
}


async function main() {
    fs.writeFileSync(path.join(dir, 'nginx.conf'), CONF);

    const cam = await new Camera({ port: CAM_PORT, codec: 'h264',
                                   bitrate: 400, pattern: 'smpte' }).start();
    const ngx = spawn('/usr/sbin/nginx',
                      ['-p', dir + '/', '-c', path.join(dir, 'nginx.conf')],
                      { stdio: 'inherit' });

    await waitFor(async () => {
        const s = (await status()).streams[0];
        return s && s.keyframes_in > 0;
    }, 60000, 'the camera playing');

    const worker = Number(execSync(`pgrep -P ${ngx.pid}`,
                                   { encoding: 'utf8' }).trim()
                          .split('\n')[0]);
    let ht = null;

    if (process.env.HT) {
        ht = spawn('heaptrack', ['-o', process.env.HT, '-p', String(worker)],
                   { stdio: 'inherit' });

        /* heaptrack attaches through gdb */
        await new Promise((r) => setTimeout(r, 15000));
    }

    const before = anon(worker);

    /* the sessions stay up: their DELETEs are left out */

    const r = spawnSync(WHEP_LOAD, ['-n', String(N), '-r', '20', '-p', '4',
                                    '-d', '5', '--timeout', '30',
                                    '--no-delete', '--json',
                                    `http://127.0.0.1:${PORT}/whep/cam`],
                        { encoding: 'utf8' });
    const j = JSON.parse(r.stdout);
    const after = anon(worker);

    console.log(JSON.stringify({
        module: MOD, sessions: j.up, failed: j.failed,
        anon_kb_before: before, anon_kb: after,
        kb_per_session: j.up ? +((after - before) / j.up).toFixed(1) : 0,
    }));

    ngx.kill('SIGTERM');
    await new Promise((res) => ngx.on('exit', res));

    if (ht) {
        await new Promise((res) => ht.on('exit', res));
    }

    await cam.stop();
    fs.rmSync(dir, { recursive: true, force: true });
}


main().catch((e) => {
    console.error(e);
    process.exit(1);
});
