/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Helpers of the RTSP client tests (t/e2e/rtsp_*.test.js):
 *
 *   RtspCamera      t/lib/camera.py with the options lib/camera.js does not
 *                   pass: auth ('digest'), tlsCert/tlsKey (rtsps://),
 *                   switchSize/switchAfter; its stdout lines in .lines
 *   HostileCamera   t/lib/hostile_camera.py: one misbehaving RTSP server,
 *                   the mode chosen by the URL path; .conns[mode] counts
 *                   the connections it took, .events its report lines
 *   makeCert()      a self-signed certificate for 127.0.0.1 (openssl)
 *   parseSps()      width and height of an H.264 SPS NAL unit
 *   FrameViewer     a werift Viewer that keeps the picture sizes of the SPS
 *                   it gets and the size of the largest access unit
 *   streamOf()      a stream of /rtc/status by name
 *   confFor()       nginx.conf with rtc_stream lines
 *   configTest()    nginx -t of a confFor() configuration
 *   assertNotApplying()  nginx -t refuses an rtc_stream option that does
 *                   not apply to the source, naming it and the kind
 */

'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const {
    REPO, live, exitDeadline, nginxConf, configTest: nginxTest,
} = require('./nginx');
const { Camera } = require('./camera');
const { Viewer, h264Units } = require('./werift');

const PYTHON = process.env.TEST_PYTHON || '/usr/bin/python3';


class RtspCamera extends Camera {

    /*
     * opts of Camera, and: auth, tlsCert, tlsKey, switchSize, switchAfter,
     * tsOffset, seqOffset
     */

    constructor(opts) {
        super(opts);
        this.lines = [];
    }

    get url() {
        const u = super.url;
        return this.opts.tlsCert ? u.replace(/^rtsp:/, 'rtsps:') : u;
    }

    args() {
        const o = this.opts;
        const a = super.args();
        const extra = {
            auth: '--auth', tlsCert: '--tls-cert', tlsKey: '--tls-key',
            switchSize: '--switch-size', switchAfter: '--switch-after',
            tsOffset: '--ts-offset', seqOffset: '--seq-offset',
        };

        for (const k of Object.keys(extra)) {
            if (o[k] !== undefined) {
                a.push(extra[k], String(o[k]));
            }
        }
        return a;
    }

    async start(deadlineMs) {
        await super.start(deadlineMs);

        let rest = '';
        this.proc.stdout.on('data', (c) => {
            rest += c;
            const parts = rest.split('\n');
            rest = parts.pop();
            this.lines.push(...parts.filter(Boolean));
        });

        return this;
    }
}


/*
 * t/lib/hostile_camera.py: prints "READY <port>" when listening, then
 * "CONN <mode> <n>" for each connection and "EVENT <mode> <text>" for
 * what it wants the test to know (a Digest check passed...).
 */

class HostileCamera {

    /* opts: port, host ('127.0.0.1'), script (t/lib/hostile_camera.py) */

    constructor(opts) {
        this.opts = Object.assign({ host: '127.0.0.1' }, opts);
        this.proc = null;
        this.conns = {};
        this.times = {};
        this.events = [];
        this.log = '';
    }

    url(mode, userinfo) {
        return `rtsp://${userinfo ? userinfo + '@' : ''}`
               + `${this.opts.host}:${this.opts.port}/${mode}`;
    }

    start(deadlineMs) {
        const script = this.opts.script
                       || path.join(REPO, 't', 'lib', 'hostile_camera.py');

        return new Promise((resolve, reject) => {
            const proc = spawn(PYTHON, [script, '--host', this.opts.host,
                                        '--port', String(this.opts.port)],
                               { stdio: ['ignore', 'pipe', 'pipe'] });
            let rest = '';
            let ready = false;

            this.proc = proc;
            live.add(proc);

            const timer = setTimeout(() => {
                if (!ready) {
                    proc.kill('SIGKILL');
                    reject(new Error('hostile camera not READY: '
                                     + this.log));
                }
            }, deadlineMs || 10000);

            this.exited = new Promise((res) => {
                proc.once('exit', (code, signal) => {
                    live.delete(proc);
                    this.proc = null;
                    res({ code, signal });
                    if (!ready) {
                        clearTimeout(timer);
                        reject(new Error('hostile camera exited: '
                                         + this.log));
                    }
                });
            });

            proc.stderr.on('data', (c) => {
                this.log = (this.log + c).slice(-8192);
            });

            proc.stdout.on('data', (c) => {
                rest += c;
                const parts = rest.split('\n');
                rest = parts.pop();

                for (const l of parts) {
                    let m;
                    if (!ready && /^READY \d+/.test(l)) {
                        ready = true;
                        clearTimeout(timer);
                        resolve(this);

                    } else if ((m = l.match(/^CONN (\S+) (\d+)/))) {
                        this.conns[m[1]] = Number(m[2]);
                        (this.times[m[1]] = this.times[m[1]] || [])
                            .push(Date.now());

                    } else if ((m = l.match(/^EVENT (\S+) (.*)$/))) {
                        this.events.push({ mode: m[1], text: m[2],
                                           at: Date.now() });
                    }
                }
            });
        });
    }

    async stop() {
        if (!this.proc) {
            return;
        }
        this.proc.kill('SIGTERM');
        const done = await Promise.race([
            this.exited.then(() => true), exitDeadline(3000).then(() => false),
        ]);
        if (!done && this.proc) {
            this.proc.kill('SIGKILL');
            await this.exited;
        }
    }
}


/* a self-signed P-256 certificate for 127.0.0.1 (CN and IP SAN) in dir */

function makeCert(dir, name) {
    const cert = path.join(dir, `${name || 'cam'}.crt`);
    const key = path.join(dir, `${name || 'cam'}.key`);

    execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec',
        '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });

    return { cert, key };
}


/*
 * H.264 SPS (ITU-T H.264 7.3.2.1.1): the picture size in luma samples,
 * after cropping.  nal: the NAL unit with its header byte.  Emulation
 * prevention bytes are removed first.
 */

function parseSps(nal) {
    const rbsp = [];

    for (let i = 1; i < nal.length; i++) {
        if (i >= 3 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) {
            continue;
        }
        rbsp.push(nal[i]);
    }

    let bit = 0;

    const u = (n) => {
        let v = 0;
        for (let k = 0; k < n; k++, bit++) {
            if ((bit >> 3) >= rbsp.length) {
                throw new Error('SPS too short');
            }
            v = v * 2 + ((rbsp[bit >> 3] >> (7 - (bit & 7))) & 1);
        }
        return v;
    };

    const ue = () => {
        let zeros = 0;
        while (u(1) === 0) {
            if (++zeros > 31) {
                throw new Error('bad exp-Golomb code');
            }
        }
        return (2 ** zeros) - 1 + u(zeros);
    };

    const se = () => {
        const k = ue();
        return (k & 1) ? (k + 1) / 2 : -(k / 2);
    };

    const profile = u(8);
    u(16);                              /* constraints, level_idc */
    ue();                               /* seq_parameter_set_id */

    let chroma = 1;

    if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]
        .includes(profile))
    {
        chroma = ue();
        if (chroma === 3) {
            u(1);
        }
        ue();                           /* bit_depth_luma_minus8 */
        ue();
        u(1);
        if (u(1)) {                     /* seq_scaling_matrix_present */
            for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) {
                if (u(1)) {
                    let last = 8;
                    let next = 8;
                    for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
                        if (next !== 0) {
                            next = (last + se() + 256) % 256;
                        }
                        last = next === 0 ? last : next;
                    }
                }
            }
        }
    }

    ue();                               /* log2_max_frame_num_minus4 */
    const pocType = ue();

    if (pocType === 0) {
        ue();
    } else if (pocType === 1) {
        u(1);
        se();
        se();
        const n = ue();
        for (let i = 0; i < n; i++) {
            se();
        }
    }

    ue();                               /* max_num_ref_frames */
    u(1);
    const wMbs = ue() + 1;
    const hMapUnits = ue() + 1;
    const frameMbsOnly = u(1);

    if (!frameMbsOnly) {
        u(1);
    }
    u(1);

    let width = wMbs * 16;
    let height = (2 - frameMbsOnly) * hMapUnits * 16;

    if (u(1)) {                         /* frame_cropping_flag */
        const l = ue();
        const r = ue();
        const t = ue();
        const b = ue();
        const cx = chroma === 0 ? 1 : 2;
        const cy = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
        width -= (l + r) * cx;
        height -= (t + b) * cy;
    }

    return { profile, width, height };
}


/* the SPS NAL units an RTP payload starts (RFC 6184 single NAL, STAP-A) */

function spsInPayload(payload) {
    if (!payload || payload.length < 2) {
        return [];
    }

    return h264Units(payload).filter((u) => (u[0] & 0x1f) === 7);
}


/*
 * A werift viewer that also keeps the size of each SPS it receives
 * (.sps: [{ width, height, at }]) and the largest access unit (.maxAu,
 * payload bytes between marker bits, complete or not).
 */

class FrameViewer extends Viewer {

    constructor(ngx, whepPath, opts) {
        super(ngx, whepPath, opts);
        this.sps = [];
        this.maxAu = 0;
        this.auTs = null;
        this.auBytes = 0;
    }

    onRtp(rtp) {
        super.onRtp(rtp);

        for (const nal of spsInPayload(rtp.payload)) {
            try {
                const s = parseSps(nal);
                this.sps.push({ width: s.width, height: s.height,
                                at: Date.now() });
            } catch (err) {
                this.sps.push({ error: err.message, at: Date.now() });
            }
        }

        if (rtp.header.timestamp !== this.auTs) {
            this.auTs = rtp.header.timestamp;
            this.auBytes = 0;
        }

        this.auBytes += rtp.payload.length;

        if (rtp.header.marker) {
            this.maxAu = Math.max(this.maxAu, this.auBytes);
        }
    }

    lastSps() {
        return this.sps.length ? this.sps[this.sps.length - 1] : null;
    }
}


function streamOf(st, name) {
    return st.streams.find((s) => s.name === (name || 'cam'));
}


/* an nginx.conf: streams is text of rtc_stream (and rtc_rtsp_*) lines */

function confFor(streams, opts) {
    const o = Object.assign({ workers: 2 }, opts);

    return nginxConf({
        workers: o.workers, shutdown: true, zone: '64m',
        http: `
    default_type application/octet-stream;

${streams}`,
        server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
    });
}


/*
 * nginx -t of confFor(lines) (one worker) in a temporary prefix:
 * spawnSync's { status, stderr, ... }.  nginx -t binds no port: the
 * listen line's is any.
 */

function configTest(lines) {
    return nginxTest(confFor(lines, { workers: 1 }));
}


/*
 * nginx -t of each [line, option, kind]: refused with '[emerg] rtc_stream
 * "c": OPTION does not apply to KIND sources'
 */

function assertNotApplying(cases) {
    for (const [line, opt, kind] of cases) {
        const r = configTest(line);
        assert.notEqual(r.status, 0, `nginx -t accepted: ${line}`);
        assert.ok(r.stderr.includes(`[emerg] rtc_stream "c": ${opt} `
                                    + `does not apply to ${kind} `
                                    + 'sources'),
                  `${line}: ${r.stderr}`);
    }
}


/* worker pids of a running nginx (children of its master) */

function workerPids(masterPid) {
    try {
        return fs.readFileSync(`/proc/${masterPid}/task/${masterPid}/children`,
                               'utf8').trim().split(/\s+/).filter(Boolean)
               .map(Number).sort();
    } catch (err) {
        return [];
    }
}


module.exports = {
    RtspCamera, HostileCamera, FrameViewer, makeCert, parseSps,
    spsInPayload, streamOf, confFor, configTest, assertNotApplying,
    workerPids,
};
