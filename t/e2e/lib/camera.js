/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A real RTSP camera for a test: t/lib/camera.py (gst-rtsp-server) as a
 * child process.
 *
 *   const { Camera } = require('./lib/camera');
 *   const cam = await new Camera({ port: 18554, codec: 'h264' }).start();
 *   cam.url                   // rtsp://127.0.0.1:18554/cam
 *   await cam.kill();         // SIGKILL: a camera that drops off
 *   await cam.start();        // same port again
 *   await cam.stop();         // SIGTERM, then SIGKILL
 *   cam.connections()         // RTSP clients connected now
 */

'use strict';

const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { REPO, exitDeadline, live } = require('./nginx');

const PYTHON = process.env.TEST_PYTHON || '/usr/bin/python3';
const SCRIPT = path.join(REPO, 't', 'lib', 'camera.py');


class Camera {

    /*
     * opts: port, host ('127.0.0.1'), path ('/cam'), codec ('h264'), size,
     * fps, gop, profile, user, password, audio, pattern.
     */

    constructor(opts) {
        this.opts = Object.assign({
            host: '127.0.0.1', port: 8554, path: '/cam', codec: 'h264',
            size: '640x360', fps: 25, gop: 50,
        }, opts);
        this.proc = null;
        this.exited = null;
        this.log = '';
    }

    get port() {
        return this.opts.port;
    }

    get url() {
        const o = this.opts;
        const auth = o.user !== undefined
                     ? `${encodeURIComponent(o.user)}:`
                       + `${encodeURIComponent(o.password || '')}@`
                     : '';
        return `rtsp://${auth}${o.host}:${o.port}${o.path}`;
    }

    args() {
        const o = this.opts;
        const a = [SCRIPT, '--host', o.host, '--port', String(o.port),
                   '--path', o.path, '--codec', o.codec, '--size', o.size,
                   '--fps', String(o.fps), '--gop', String(o.gop)];

        for (const k of ['profile', 'user', 'password', 'audio', 'pattern',
                         'bitrate']) {
            if (o[k] !== undefined) {
                a.push('--' + k, String(o[k]));
            }
        }
        return a;
    }

    /* resolves once the camera prints READY (it listens then) */

    start(deadlineMs) {
        if (this.proc) {
            return Promise.reject(new Error('camera already running'));
        }

        deadlineMs = deadlineMs || 15000;
        this.stopping = false;

        return new Promise((resolve, reject) => {
            const proc = spawn(PYTHON, this.args(),
                               { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            let ready = false;

            this.proc = proc;
            live.add(proc);
            this.exited = new Promise((res) => {
                proc.once('exit', (code, signal) => {
                    live.delete(proc);
                    if (this.proc === proc) {
                        this.proc = null;
                    }
                    if (ready && !this.stopping) {
                        /* not asked to go: say why, for the test's reader */
                        process.stderr.write(
                            `# camera on port ${this.port} exited by itself `
                            + `(code ${code}, signal ${signal}): `
                            + this.log.trim().split('\n').slice(-3)
                              .join(' | ') + '\n');
                    }
                    res({ code, signal });
                    if (!ready) {
                        clearTimeout(timer);
                        reject(new Error(`camera exited before READY (code `
                                         + `${code}, signal ${signal}): `
                                         + this.log.trim()));
                    }
                });
            });

            const timer = setTimeout(() => {
                if (!ready) {
                    proc.kill('SIGKILL');
                    reject(new Error(`camera not READY after ${deadlineMs} `
                                     + `ms: ${this.log.trim()}`));
                }
            }, deadlineMs);

            proc.stderr.on('data', (c) => {
                this.log = (this.log + c).slice(-8192);
            });

            proc.stdout.on('data', (c) => {
                out += c;
                if (!ready && /^READY \d+/m.test(out)) {
                    ready = true;
                    clearTimeout(timer);
                    resolve(this);
                }
            });
        });
    }

    async signal(sig, deadlineMs) {
        const proc = this.proc;
        if (!proc) {
            return;
        }
        this.stopping = true;
        proc.kill(sig);
        const done = await Promise.race([
            this.exited.then(() => true),
            exitDeadline(deadlineMs).then(() => false),
        ]);
        if (!done) {
            proc.kill('SIGKILL');
            await this.exited;
        }
    }

    /* a clean stop: SIGTERM, SIGKILL after 5 s */

    stop() {
        return this.signal('SIGTERM', 5000);
    }

    /* the camera drops off at once */

    kill() {
        return this.signal('SIGKILL', 5000);
    }

    async restart() {
        await this.kill();
        return this.start();
    }

    /*
     * The RTSP clients connected now: established TCP connections to the
     * camera's port, counted on the server side (ss, from iproute2).
     */

    connections() {
        const out = execFileSync('ss', ['-Htn', 'state', 'established',
                                        `( sport = :${this.port} )`],
                                 { encoding: 'utf8' });
        return out.split('\n').filter((l) => l.trim() !== '').length;
    }
}


module.exports = { Camera };
