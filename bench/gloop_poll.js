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
const os = require('node:os');
const path = require('node:path');
const { spawn, execSync } = require('node:child_process');

const { waitFor, REPO } = require('../t/e2e/lib/nginx');
const { Camera } = require('../t/e2e/lib/camera');

const N = Number(process.argv[2] || 200);
const PORT = 21680;
const CAM_PORT = 21694;
const SECONDS = 3;

const MOD = process.env.NGX_RTC_MODULE
            || path.join(REPO, 'build', 'ngx_http_rtc_module.so');
const WHEP_LOAD = path.join(REPO, 'build', 'bench', 'whep-load');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-poll-'));

const CONF = `
load_module ${MOD};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
daemon off;
worker_processes 1;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path ${dir}/client;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    rtc_zone cams 16m;
    rtc_max_sessions 2048;
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

    const wl = spawn(WHEP_LOAD, ['-n', String(N), '-r', '50', '-p', '8',
                                 '-d', '12', '--timeout', '30', '--json',
                                 `http://127.0.0.1:${PORT}/whep/cam`],
                     { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    wl.stderr.on('data', (c) => { log += c; });

    await waitFor(async () => /measuring/.test(log), 120000, 'sessions up');
    await new Promise((r) => setTimeout(r, 2000));

    const out = path.join(dir, 'strace.txt');

    try {
        execSync(`timeout ${SECONDS} strace -e trace=poll,epoll_wait `
                 + `-p ${worker} -o ${out}`);
    } catch (e) {
        /* timeout ends strace with a status */
    }

    const calls = fs.readFileSync(out, 'utf8').split('\n')
                  .filter((l) => /^(poll|epoll_wait)\(/.test(l));
    const polls = calls.filter((l) => l.startsWith('poll('));
    const nfds = polls.map((l) => Number((l.match(/\], (\d+), /) || [])[1]
                                         || 0));
    const sum = nfds.reduce((a, b) => a + b, 0);

    console.log(JSON.stringify({
        module: MOD, sessions: N, seconds: SECONDS,
        epoll_waits: calls.length - polls.length, polls: polls.length,
        polls_nothing_ready: polls.filter((l) => / = 0 /.test(l)).length,
        fds_polled: sum,
        mean_fds_per_poll: polls.length ? +(sum / polls.length).toFixed(1)
                                        : 0,
        max_fds: Math.max(0, ...nfds),
    }));

    await new Promise((r) => wl.on('exit', r));
    ngx.kill('SIGTERM');
    await new Promise((r) => ngx.on('exit', r));
    await cam.stop();
    fs.rmSync(dir, { recursive: true, force: true });
}


main().catch((e) => {
    console.error(e);
    process.exit(1);
});
