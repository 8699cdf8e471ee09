/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A TURN server for tests: coturn's turnserver (Debian package coturn) in
 * the foreground inside a namespace of the test (lib/ns.js), with no
 * configuration file (-n), one static long-term-credential user and a
 * realm, UDP only (no TCP, TLS or DTLS listeners), no CLI, its log in a
 * temporary directory.
 *
 *   const { TurnServer } = require('./lib/turn');
 *   const turn = new TurnServer(ns, { listen: '10.88.1.1',
 *                                     relay: '10.88.2.1' });
 *   await turn.start();          // once its UDP listener is open
 *   turn.url                     // 'turn:10.88.1.1:3478?transport=udp'
 *   turn.log()                   // the log so far
 *   await turn.stop();
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { waitFor } = require('./nginx');

const TURNSERVER = process.env.TEST_TURNSERVER || '/usr/bin/turnserver';


class TurnServer {

    /*
     * opts: listen (address), relay (address of relayed candidates,
     * default: listen), port (3478), user, password, realm, minPort and
     * maxPort (relayed ports).
     */

    constructor(ns, opts) {
        this.ns = ns;
        this.opts = Object.assign({
            port: 3478, user: 'viewer', password: 's3cret',
            realm: 'nginx-rtc.test', minPort: 49160, maxPort: 49199,
        }, opts);
        this.opts.relay = this.opts.relay || this.opts.listen;
        this.proc = null;
        this.dir = null;
        this.output = '';
    }

    get url() {
        return `turn:${this.opts.listen}:${this.opts.port}?transport=udp`;
    }

    get logFile() {
        return path.join(this.dir, 'turn.log');
    }

    async start() {
        const o = this.opts;

        if (!fs.existsSync(TURNSERVER)) {
            throw new Error(`${TURNSERVER} not found: apt-get install coturn`);
        }

        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-turn-'));

        this.proc = this.ns.spawn(TURNSERVER, [
            '-n',
            '--listening-ip', o.listen,
            '--listening-port', String(o.port),
            '--relay-ip', o.relay,
            '--min-port', String(o.minPort),
            '--max-port', String(o.maxPort),
            '--lt-cred-mech',
            '--user', `${o.user}:${o.password}`,
            '--realm', o.realm,
            '--fingerprint',
            '--no-tcp', '--no-tls', '--no-dtls', '--no-tcp-relay',
            '--no-cli',
            '--no-rfc5780', '--no-stun-backward-compatibility',
            '--log-file', this.logFile,
            '--simple-log', '--no-stdout-log',
            '--pidfile', path.join(this.dir, 'turn.pid'),
            '--userdb', path.join(this.dir, 'turndb'),
            '--verbose',
        ]);

        this.proc.stdout.on('data', (c) => { this.output += c; });
        this.proc.stderr.on('data', (c) => { this.output += c; });

        const opened = `UDP listener opened on: ${o.listen}:${o.port}`;

        await waitFor(() => {
            if (this.proc.exitCode !== null || this.proc.signalCode) {
                const err = new Error(`turnserver exited: ${this.output}`
                                      + this.log());
                err.fatal = true;
                throw err;
            }
            return this.log().includes(opened);
        }, 10000, `turnserver listening on ${o.listen}:${o.port}`);

        return this;
    }

    log() {
        try {
            return fs.readFileSync(this.logFile, 'utf8');
        } catch (err) {
            return '';
        }
    }

    async stop() {
        const p = this.proc;

        if (p && p.exitCode === null && p.signalCode === null) {
            const gone = new Promise((r) => p.once('exit', r));
            p.kill('SIGTERM');
            await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
            if (p.exitCode === null && p.signalCode === null) {
                p.kill('SIGKILL');
                await gone;
            }
        }

        this.proc = null;

        if (this.dir && !process.env.TEST_NGINX_LEAVE) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}


module.exports = { TurnServer };
