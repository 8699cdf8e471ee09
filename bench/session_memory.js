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
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { waitFor, REPO } = require('../t/e2e/lib/nginx');
const { Camera } = require('../t/e2e/lib/camera');
const N = Number(process.argv[2] || 50);
const MOD = process.env.NGX_RTC_MODULE || path.join(REPO, 'build/ngx_http_rtc_module.so');
const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(),
                                     'nginx-rtc-mem-'));
fs.mkdirSync(dir + '/logs');
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
    client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3; uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;
    rtc_zone cams 16m;
    rtc_max_sessions 512;
    rtc_udp_ports 20000-30000;
    rtc_stream cam rtsp://127.0.0.1:21594/cam always;
    server {
        listen 127.0.0.1:21580;
        location /whep/ { rtc_whep; }
        location = /rtc/status { rtc_status; }
    }
}`;
fs.writeFileSync(dir + '/nginx.conf', CONF);
async function get(p) {
    const r = await fetch('http://127.0.0.1:21580' + p);
    return r.json();
}
(async () => {
    const cam = await new Camera({ port: 21594, codec: 'h264', bitrate: 400, pattern: 'smpte' }).start();
    const args = ['-p', dir + '/', '-c', dir + '/nginx.conf'];
    const proc = spawn('/usr/sbin/nginx', args, { stdio: 'inherit' });
    await waitFor(async () => { const s = (await get('/rtc/status')).streams[0]; return s && s.keyframes_in > 0; }, 60000, 'cam');
    const wpid = Number(require('node:child_process').execSync(`pgrep -P ${proc.pid}`, { encoding: 'utf8' }).trim().split('\n')[0]);
    let ht = null;
    if (process.env.HT) {
        ht = spawn('heaptrack', ['-o', process.env.HT, '-p', String(wpid)], { stdio: 'inherit' });
        await new Promise((res) => setTimeout(res, 15000));
    }
    const anon = () => Number(fs.readFileSync(`/proc/${wpid}/smaps_rollup`,
                                              'utf8')
                              .match(/^Anonymous:\s+(\d+) kB/m)[1]);
    const before = anon();
    const r = spawnSync(path.join(REPO, 'build/bench/whep-load'), ['-n', String(N), '-r', '20', '-p', '4', '-d', '5', '--timeout', '30', '--no-delete', '--json', 'http://127.0.0.1:21580/whep/cam'], { encoding: 'utf8' });
    const j = JSON.parse(r.stdout);
    console.log(`sessions up ${j.up}, failed ${j.failed}`);
    const pid = Number(fs.readFileSync(dir + '/nginx.pid', 'utf8'));
    const after = anon();
    console.log(JSON.stringify({ module: MOD, sessions: j.up,
                                 anon_kb_before: before, anon_kb: after,
                                 kb_per_session: j.up ? +((after - before)
                                                 / j.up).toFixed(1) : 0 }));
    process.kill(pid, 'SIGTERM');
    if (ht) { await new Promise((res) => ht.on('exit', res)); }
    await new Promise((res) => proc.on('exit', res));
    await cam.stop();
    fs.rmSync(dir, { recursive: true, force: true });
})().catch((e) => { console.error(e); process.exit(1); });
