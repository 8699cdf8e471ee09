/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A private nginx instance for one test file, in the manner of nginx-tests'
 * Test::Nginx: a temporary prefix directory, nginx.conf from a template,
 * pid/error_log/access_log/temp paths inside it, the module loaded by
 * absolute path.  stop() fails if error.log shows an alert, an emergency,
 * a crash or a sanitizer report.
 *
 *   const { Nginx, waitFor } = require('./lib/nginx');
 *   const ngx = new Nginx({ port: 18080, camPort: 18554 });
 *   await ngx.start();          // default rtc config, or pass conf: '...'
 *   const r = await ngx.http('POST', '/whep/cam', sdp,
 *                            { 'Content-Type': 'application/sdp' });
 *   await ngx.stop();
 *
 * Template variables: %%MODULE%% (absolute .so path), %%PORT%%,
 * %%CAMPORT%%, %%PREFIX%%, %%REPO%%, %%WORKERS%%, %%LISTEN_OPTS%% (after
 * the port in the default template, e.g. ' reuseport'), %%TEST_GLOBALS%%
 * (pid, error_log, daemon), %%TEST_GLOBALS_HTTP%% (access_log with the
 * worker's pid first, temp paths) and any key of opts.vars as %%KEY%%.
 * nginxConf() writes a template around a test's rtc_stream lines and
 * locations.
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..', '..');
const MODULE = process.env.NGX_RTC_MODULE
               || path.join(REPO, 'build', 'ngx_http_rtc_module.so');
const NGINX = process.env.TEST_NGINX_BINARY || '/usr/sbin/nginx';

/*
 * make test-asan: the module is built with ASan/UBSan and Debian's nginx is
 * not, so nginx (and only nginx) runs with the ASan runtime preloaded; the
 * reports go to PREFIX/sanitizer/report.PID, which make a test fail as
 * error.log lines do.  The directory is writable by all: the workers run
 * as nobody and could not write into PREFIX (a worker's report was lost,
 * "ERROR: Can't open file" in error.log, and the worker exited with 1).
 */
const ASAN_PRELOAD = process.env.NGX_RTC_ASAN_PRELOAD || '';

const BAD_LOG = [
    '[alert]', '[emerg]', '[crit]', 'signal 11', 'exited on signal',
    'Sanitizer',
];


/*
 * An nginx.conf template (render() fills it in) of one http server
 * on 127.0.0.1:%%PORT%%: the parts a test writes are http (rtc_stream
 * lines and other directives of the http block, after rtc_zone) and
 * server (its locations); workers (2), zone (the size of rtc_zone,
 * 32m), zoneName (cams), address (before the port: '' for every
 * address), listen (after the port), connections (worker_connections,
 * 1024), shutdown (the worker_shutdown_timeout, e.g. '1s'; true: 5s),
 * main (more directives of the main context), globals (pid, error_log,
 * daemon, master_process: %%TEST_GLOBALS%%).
 */

function nginxConf(o) {
    const opts = Object.assign({
        workers: 2, zone: '32m', zoneName: 'cams', http: '', server: '',
        listen: '', main: '', address: '127.0.0.1:', connections: 1024,
        globals: '%%TEST_GLOBALS%%', shutdown: false,
    }, o || {});
    const shutdown = opts.shutdown === true ? '5s' : opts.shutdown;

    return `
load_module %%MODULE%%;

${opts.globals}

worker_processes ${opts.workers};
${opts.shutdown ? `worker_shutdown_timeout ${shutdown};` : ''}
${opts.main}

events {
    worker_connections ${opts.connections};
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone   ${opts.zoneName} ${opts.zone};
${opts.http}

    server {
        listen ${opts.address}%%PORT%%${opts.listen};
${opts.server}
    }
}
`;
}


const DEFAULT_CONF = nginxConf({
    workers: '%%WORKERS%%', shutdown: true, listen: '%%LISTEN_OPTS%%',
    http: `
    default_type application/octet-stream;

    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }`,
});


function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}


/*
 * The deadline of a wait for a child process to exit: a timer that does
 * not keep the test process alive (the child does, while it runs), so
 * that a test file does not run on for up to 10 s after its last nginx
 * stopped.
 */

function exitDeadline(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
}


/*
 * Polls fn() (sync or async) every 50-200 ms until it returns a truthy
 * value, which is returned.  Throws after deadlineMs with "what" and the
 * last value or error seen; an error thrown by fn with .fatal set ends the
 * wait at once.
 */

async function waitFor(fn, deadlineMs, what) {
    const end = Date.now() + deadlineMs;
    let delay = 50;
    let last;

    for ( ;; ) {
        try {
            const v = await fn();
            if (v) {
                return v;
            }
            last = v;
        } catch (err) {
            if (err.fatal) {
                throw err;
            }
            last = err;
        }

        if (Date.now() >= end) {
            const detail = last instanceof Error
                           ? last.message
                           : JSON.stringify(last);
            throw new Error(`timed out after ${deadlineMs} ms waiting for `
                            + `${what || 'condition'} (last: ${detail})`);
        }

        await sleep(Math.min(delay, Math.max(end - Date.now(), 1)));
        delay = Math.min(delay * 2, 200);
    }
}


function portOpen(port, host) {
    return new Promise((resolve) => {
        const s = net.connect({ port, host: host || '127.0.0.1' });
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
        s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    });
}


/*
 * One HTTP request without keep-alive (or on the connection an
 * http.Agent keeps): { status, headers, body } with the body as a string
 * (utf-8).
 */

function request(port, method, urlPath, body, headers, timeoutMs,
    agent) {
    return new Promise((resolve, reject) => {
        const h = Object.assign({}, headers || {});

        if (body !== undefined && body !== null) {
            body = Buffer.isBuffer(body) ? body : Buffer.from(String(body));
            h['Content-Length'] = body.length;
        }

        const req = http.request({
            host: '127.0.0.1',
            port,
            method,
            path: urlPath,
            headers: h,
            agent: agent || false,      /* an http.Agent keeps a connection */
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({
                status: res.statusCode,
                statusMessage: res.statusMessage,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
            }));
            res.on('error', reject);
        });

        req.setTimeout(timeoutMs || 10000, () => {
            req.destroy(new Error(`${method} ${urlPath}: timed out`));
        });
        req.on('error', reject);

        if (body !== undefined && body !== null) {
            req.write(body);
        }
        req.end();
    });
}


/* children still running when the test process exits are killed */

const live = new Set();

process.on('exit', () => {
    for (const proc of live) {
        try {
            proc.kill('SIGKILL');
        } catch (err) {
            /* gone */
        }
    }
});


class Nginx {

    /*
     * opts: port (required), camPort, workers (4), conf (template text),
     * vars ({KEY: value} for %%KEY%%), keep (do not remove the prefix dir;
     * also kept when env TEST_NGINX_LEAVE is set).
     */

    constructor(opts) {
        this.opts = Object.assign({ workers: 4, camPort: 8554 }, opts);
        this.port = this.opts.port;
        this.dir = null;
        this.proc = null;
        this.exited = null;
        this.stderr = '';
    }

    get errorLog() {
        return path.join(this.dir, 'error.log');
    }

    render(template) {
        const d = this.dir;
        const vars = Object.assign({
            MODULE,
            PORT: this.port,
            CAMPORT: this.opts.camPort,
            PREFIX: d,
            REPO,
            WORKERS: this.opts.workers,
            TEST_GLOBALS: [
                `pid ${d}/nginx.pid;`,
                `error_log ${d}/error.log info;`,
                'daemon off;',
                'master_process on;',
            ].join('\n'),
            LISTEN_OPTS: '',
            TEST_GLOBALS_HTTP: [
                'log_format rtc_test \'$pid $remote_addr "$request" \'',
                '                    \'$status $body_bytes_sent\';',
                `access_log ${d}/access.log rtc_test;`,
                `client_body_temp_path ${d}/client_body_temp;`,
                `proxy_temp_path ${d}/proxy_temp;`,
                `fastcgi_temp_path ${d}/fastcgi_temp;`,
                `uwsgi_temp_path ${d}/uwsgi_temp;`,
                `scgi_temp_path ${d}/scgi_temp;`,
            ].join('\n    '),
        }, this.opts.vars || {});

        return template.replace(/%%([A-Z0-9_]+)%%/g, (m, k) => {
            if (!(k in vars)) {
                throw new Error(`nginx.conf template: unknown ${m}`);
            }
            return String(vars[k]);
        });
    }

    async start(deadlineMs) {
        if (!fs.existsSync(MODULE)) {
            throw new Error(`module not built: ${MODULE} (run make)`);
        }

        if (await portOpen(this.port)) {
            throw new Error(`port ${this.port} is already in use`);
        }

        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-test-'));

        /* workers run as nobody: they write client_body_temp in here */
        fs.chmodSync(this.dir, 0o755);

        if (ASAN_PRELOAD) {
            const dir = path.join(this.dir, 'sanitizer');
            fs.mkdirSync(dir);
            fs.chmodSync(dir, 0o777);
        }

        fs.writeFileSync(path.join(this.dir, 'nginx.conf'),
                         this.render(this.opts.conf || DEFAULT_CONF));

        this.proc = spawn(NGINX, [
            '-p', this.dir + '/',
            '-c', path.join(this.dir, 'nginx.conf'),
            '-e', this.errorLog,
        ], { stdio: ['ignore', 'ignore', 'pipe'], env: this.spawnEnv() });

        const proc = this.proc;
        live.add(proc);

        this.exited = new Promise((resolve) => {
            proc.once('exit', (code, signal) => {
                live.delete(proc);
                this.proc = null;
                resolve({ code, signal });
            });
        });

        this.proc.stderr.on('data', (c) => { this.stderr += c; });

        let dead = null;
        this.exited.then((r) => { dead = r; });

        const pidFile = path.join(this.dir, 'nginx.pid');

        try {
            await waitFor(async () => {
                if (dead) {
                    throw Object.assign(new Error('nginx exited'),
                                        { fatal: true });
                }
                return fs.existsSync(pidFile) && await portOpen(this.port);
            }, deadlineMs || 10000, `nginx on port ${this.port}`);

        } catch (err) {
            if (!dead) {
                throw err;
            }
            throw new Error(`nginx exited at start (${JSON.stringify(dead)})`
                            + `: ${this.stderr.trim()}\n`
                            + this.logText().split('\n').slice(-20)
                              .join('\n'));
        }

        return this;
    }

    logText() {
        try {
            return fs.readFileSync(this.errorLog, 'utf8');
        } catch (err) {
            return '';
        }
    }

    /* access.log lines: { pid, request, status } */

    accessLog() {
        let text = '';
        try {
            text = fs.readFileSync(path.join(this.dir, 'access.log'), 'utf8');
        } catch (err) {
            return [];
        }
        return text.split('\n').filter(Boolean).map((l) => {
            const m = l.match(/^(\d+) \S+ "([^"]*)" (\d+)/);
            return m ? { pid: Number(m[1]), request: m[2],
                         status: Number(m[3]) }
                     : { line: l };
        });
    }

    /* lines of error.log that make a test fail */

    badLogLines() {
        /* opts.allowLog: regexps of bad-looking lines a test provokes */
        const allow = this.opts.allowLog || [];

        return this.logText().split('\n')
               .filter((l) => BAD_LOG.some((b) => l.includes(b)))
               .filter((l) => !allow.some((re) => re.test(l)))
               .concat(this.sanitizerLines());
    }

    spawnEnv() {
        if (!ASAN_PRELOAD) {
            return process.env;
        }

        const log = `log_path=${path.join(this.dir, 'sanitizer', 'report')}`;

        /* NGX_RTC_ASAN_OPTIONS: more, e.g. detect_leaks=1 (bench/churn.js) */
        const more = process.env.NGX_RTC_ASAN_OPTIONS
                     ? `:${process.env.NGX_RTC_ASAN_OPTIONS}` : '';

        return Object.assign({}, process.env, {
            LD_PRELOAD: ASAN_PRELOAD,
            ASAN_OPTIONS: `detect_leaks=0:abort_on_error=0:${log}${more}`,
            UBSAN_OPTIONS: `print_stacktrace=1:${log}`,
        });
    }

    /* the lines of the sanitizer reports (make test-asan) */

    sanitizerLines() {
        if (!ASAN_PRELOAD || !this.dir) {
            return [];
        }

        const dir = path.join(this.dir, 'sanitizer');

        return fs.readdirSync(dir)
               .filter((f) => f.startsWith('report.'))
               .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8')
                               .split('\n').filter(Boolean)
                               .map((l) => `${f}: ${l}`));
    }

    /* throws if error.log (so far) is not clean */

    checkLog() {
        const bad = this.badLogLines();
        if (bad.length) {
            throw new Error(`error.log (${this.errorLog}) has `
                            + `${bad.length} bad line(s):\n`
                            + bad.slice(0, 20).join('\n'));
        }
    }

    /* the master's pid, for signals (reload: HUP) */

    pid() {
        return Number(fs.readFileSync(path.join(this.dir, 'nginx.pid'),
                                      'utf8').trim());
    }

    /*
     * Graceful stop (QUIT), then TERM, then KILL; then checks error.log.
     * Removes the prefix directory if the log is clean (unless kept).
     */

    async stop() {
        if (!this.dir) {
            return;
        }

        if (this.proc) {
            const steps = [['SIGQUIT', 10000], ['SIGTERM', 5000],
                           ['SIGKILL', 5000]];
            let done = false;

            for (const [sig, ms] of steps) {
                if (!this.proc) {
                    break;
                }
                try {
                    this.proc.kill(sig);
                } catch (err) {
                    break;
                }
                done = await Promise.race([
                    this.exited.then(() => true),
                    exitDeadline(ms).then(() => false),
                ]);
                if (done) {
                    break;
                }
            }

            if (!done && this.proc) {
                throw new Error('nginx did not exit');
            }
        }

        await this.exited;

        const bad = this.badLogLines();
        const dir = this.dir;

        if (bad.length || this.opts.keep || process.env.TEST_NGINX_LEAVE) {
            process.stderr.write(`# nginx prefix kept: ${dir}\n`);
        } else {
            fs.rmSync(dir, { recursive: true, force: true });
        }

        this.dir = null;

        if (bad.length) {
            throw new Error(`error.log (${dir}/error.log) has `
                            + `${bad.length} bad line(s):\n`
                            + bad.slice(0, 20).join('\n'));
        }
    }

    http(method, urlPath, body, headers) {
        return request(this.port, method, urlPath, body, headers);
    }

    async status() {
        const r = await this.http('GET', '/rtc/status');
        if (r.status !== 200) {
            throw new Error(`/rtc/status: ${r.status} ${r.body}`);
        }
        return JSON.parse(r.body);
    }

    /* polls /rtc/status until the stream has no viewer and no session */
    waitNoViewers(stream, what, deadlineMs) {
        return waitFor(async () => {
            const st = await this.status();
            const s = st.streams.find((x) => x.name === stream);
            return s && s.viewers === 0 && st.sessions.length === 0
                   ? st : null;
        }, deadlineMs || 15000, what);
    }

    /* /rtc/metrics (at /rtc/metrics) as parseMetrics() gives it */
    async metrics() {
        const r = await this.http('GET', '/rtc/metrics');
        if (r.status !== 200) {
            throw new Error(`/rtc/metrics: ${r.status} ${r.body}`);
        }
        return parseMetrics(r.body);
    }

    url(p) {
        return `http://127.0.0.1:${this.port}${p || '/'}`;
    }
}


/*
 * The samples of a Prometheus text page as { 'name{labels}': value },
 * the labels as written (t/e2e/metrics.test.js checks the format itself)
 */

function parseMetrics(text) {
    const m = {};

    for (const l of text.split('\n')) {
        const x = l.match(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/);
        if (x) {
            m[x[1]] = Number(x[2]);
        }
    }

    return m;
}


/* an nginx (opts of Nginx) for the time of fn(ngx), stopped after it */

/*
 * nginx -t of a configuration template (render() fills it in) in a
 * temporary prefix: spawnSync's { status, stderr, ... }.  nginx -t binds
 * no port; edit (optional) changes the rendered text.
 */

function configTest(template, edit) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-t-'));

    try {
        const ngx = new Nginx({ port: 8080 });
        ngx.dir = dir;

        const text = ngx.render(template);
        const conf = path.join(dir, 'nginx.conf');
        fs.writeFileSync(conf, edit ? edit(text) : text);

        return spawnSync(NGINX, ['-t', '-p', dir + '/', '-c', conf,
                                 '-e', path.join(dir, 'error.log')],
                         { encoding: 'utf8', timeout: 20000,
                           env: ngx.spawnEnv() });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}


async function withNginx(opts, fn) {
    const ngx = await new Nginx(opts).start();

    try {
        return await fn(ngx);
    } finally {
        await ngx.stop();
    }
}


/* media tests need the namespace made by t/lib/netns.sh */

function requireNetns() {
    if (process.env.NGX_RTC_NETNS !== '1') {
        throw new Error('WebRTC media tests run in a network namespace: '
                        + 't/lib/netns.sh node --test '
                        + '--test-concurrency=1 t/e2e/  (as root)');
    }
}


module.exports = {
    Nginx, waitFor, sleep, exitDeadline, request, portOpen, requireNetns,
    live, REPO, MODULE, NGINX, DEFAULT_CONF, nginxConf, withNginx,
    parseMetrics, configTest,
};
