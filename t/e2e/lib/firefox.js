/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Headless Debian Firefox ESR driven through Marionette, its own remote
 * protocol (playwright-core drives only its own patched Firefox builds).
 * No npm package: the protocol is JSON over TCP, each message framed as
 * "LENGTH:JSON"; a command is [0, id, name, params], its answer [1, id,
 * error, result].
 *
 *   const { Firefox } = require('./lib/firefox');
 *   const ff = await Firefox.launch();
 *   await ff.open(url);                  // the session's one tab
 *   const v = await ff.eval('return await window.whepStats();');
 *   await ff.close();
 *
 * The profile (a temporary directory) lets Firefox play media without a
 * gesture and choose its Marionette port (written to MarionetteActivePort).
 * Everything else is Firefox as shipped: its ICE (host candidates behind
 * mDNS names), its DTLS (NSS), its codecs.
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { waitFor } = require('./nginx');

const FIREFOX = process.env.TEST_FIREFOX || '/usr/bin/firefox-esr';

const PREFS = {
    'marionette.port': 0,
    'media.autoplay.default': 0,
    'media.autoplay.blocking_policy': 0,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'app.update.enabled': false,
    'browser.startup.homepage_override.mstone': 'ignore',
};


class Marionette {

    constructor(sock) {
        this.sock = sock;
        this.buf = Buffer.alloc(0);
        this.id = 0;
        this.pending = new Map();
        this.hello = new Promise((resolve) => { this.onhello = resolve; });
        this.closed = null;

        sock.on('data', (d) => {
            this.buf = Buffer.concat([this.buf, d]);
            this.parse();
        });
        sock.on('close', () => this.fail(new Error('marionette: closed')));
        sock.on('error', (err) => this.fail(err));
    }

    fail(err) {
        this.closed = err;
        for (const p of this.pending.values()) {
            p.reject(err);
        }
        this.pending.clear();
    }

    parse() {
        for ( ;; ) {
            const colon = this.buf.indexOf(0x3a);
            if (colon < 0) {
                return;
            }

            const len = parseInt(this.buf.subarray(0, colon).toString(), 10);
            if (this.buf.length < colon + 1 + len) {
                return;
            }

            const msg = JSON.parse(
                this.buf.subarray(colon + 1, colon + 1 + len).toString());
            this.buf = this.buf.subarray(colon + 1 + len);

            if (!Array.isArray(msg)) {
                this.onhello(msg);
                continue;
            }

            const p = this.pending.get(msg[1]);
            if (!p) {
                continue;
            }

            this.pending.delete(msg[1]);

            if (msg[2]) {
                p.reject(new Error(`marionette ${p.name}: `
                                   + `${msg[2].error}: ${msg[2].message}`));
            } else {
                p.resolve(msg[3]);
            }
        }
    }

    command(name, params) {
        if (this.closed) {
            return Promise.reject(this.closed);
        }

        const id = ++this.id;
        const s = JSON.stringify([0, id, name, params || {}]);

        this.sock.write(`${Buffer.byteLength(s)}:${s}`);

        return new Promise((resolve, reject) => {
            this.pending.set(id, { name, resolve, reject });
        });
    }
}


class Firefox {

    static async launch() {
        const ff = new Firefox();

        ff.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-firefox-'));
        fs.writeFileSync(path.join(ff.dir, 'user.js'),
            Object.entries(PREFS).map(([k, v]) =>
                `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`)
            .join(''));

        ff.output = '';
        ff.proc = spawn(FIREFOX, ['--headless', '--marionette', '--no-remote',
                                  '--profile', ff.dir, 'about:blank'], {
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
            /* root in the test's namespace: no content sandbox */
            env: Object.assign({}, process.env,
                               { MOZ_DISABLE_CONTENT_SANDBOX: '1' }),
        });

        const keep = (d) => { ff.output = (ff.output + d).slice(-8000); };
        ff.proc.stdout.on('data', keep);
        ff.proc.stderr.on('data', keep);
        ff.exited = new Promise((resolve) => ff.proc.on('exit', resolve));

        try {
            const portFile = path.join(ff.dir, 'MarionetteActivePort');
            const port = await waitFor(() => {
                if (ff.proc.exitCode !== null) {
                    throw Object.assign(new Error('firefox exited: '
                                                  + ff.output),
                                        { fatal: true });
                }
                return fs.existsSync(portFile)
                       && parseInt(fs.readFileSync(portFile, 'utf8'), 10);
            }, 30000, 'Firefox\'s Marionette port');

            const sock = net.connect(port, '127.0.0.1');
            ff.m = new Marionette(sock);
            await ff.m.hello;
            await ff.m.command('WebDriver:NewSession', {
                capabilities: { alwaysMatch: { acceptInsecureCerts: true } },
            });

            return ff;

        } catch (err) {
            await ff.close();
            throw err;
        }
    }

    open(url) {
        return this.m.command('WebDriver:Navigate', { url });
    }

    /*
     * Runs an async function body in the page and gives its value (JSON):
     * eval('return await window.whepStats();').
     */

    async eval(body) {
        const script = 'const done = arguments[arguments.length - 1];\n'
                       + `(async () => { ${body} })().then(done, `
                       + '(e) => done({ __error: String(e) }));';
        const r = await this.m.command('WebDriver:ExecuteAsyncScript',
                                       { script, args: [] });
        const v = r && r.value;

        if (v && v.__error) {
            throw new Error(`firefox page: ${v.__error}`);
        }
        return v;
    }

    async close() {
        if (this.m && !this.m.closed) {
            await Promise.race([
                this.m.command('Marionette:Quit', { flags: ['eForceQuit'] })
                    .catch(() => {}),
                new Promise((resolve) => setTimeout(resolve, 5000)),
            ]);
            this.m.sock.destroy();
        }

        if (this.proc && this.proc.exitCode === null) {
            const quit = await Promise.race([
                this.exited.then(() => true),
                new Promise((resolve) =>
                    setTimeout(() => resolve(false), 10000)),
            ]);

            if (!quit) {
                try {
                    process.kill(-this.proc.pid, 'SIGKILL');
                } catch (err) {
                    /* gone already */
                }
                await this.exited;
            }
        }
        this.proc = null;

        if (this.dir) {
            fs.rmSync(this.dir, { recursive: true, force: true });
            this.dir = null;
        }
    }
}


/*
 * A page script fragment: Debian's Firefox offline has no H.264 (its
 * OpenH264 plugin is downloaded at first use), so test pages send its VP8
 * format to nginx as H.264 and read the answer's back as VP8; Firefox
 * then receives the SRTP packets but decodes no frame.
 *
 *   const m = window.asH264(offer);     // { sdp, pt, hasH264 }
 *   const answer = window.asVP8(text, m);
 */
const H264_AS_VP8 = `
window.asH264 = (offer) => {
    const hasH264 = /a=rtpmap:\\d+ H264\\/90000/.test(offer);
    const pt = (offer.match(/a=rtpmap:(\\d+) VP8\\/90000/) || [])[1];
    const sdp = hasH264 ? offer : offer
        .replace(new RegExp('a=fmtp:' + pt + ' [^\\\\r]*\\\\r\\\\n'), '')
        .replace('a=rtpmap:' + pt + ' VP8/90000',
                 'a=rtpmap:' + pt + ' H264/90000\\r\\n'
                 + 'a=fmtp:' + pt + ' profile-level-id=42e01f;'
                 + 'level-asymmetry-allowed=1;packetization-mode=1');
    return { sdp, pt, hasH264 };
};

window.asVP8 = (answer, m) => m.hasH264 ? answer : answer
    .replace('a=rtpmap:' + m.pt + ' H264/90000',
             'a=rtpmap:' + m.pt + ' VP8/90000')
    .replace(new RegExp('a=fmtp:' + m.pt + ' [^\\\\r]*\\\\r\\\\n'), '');
`;


module.exports = { Firefox, H264_AS_VP8, FIREFOX };
