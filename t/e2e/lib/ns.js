/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Network namespaces inside the test's own (t/lib/netns.sh), for network
 * topologies: each is held by a child "sleep" made with unshare -n and
 * entered with nsenter; killing the holder (stop()) drops the namespace,
 * its links and whatever veth peer they had.  No named namespaces, nothing
 * outside the test's namespace is touched.  Root only.
 *
 *   const { Netns, sh } = require('./lib/ns');
 *   const b = await Netns.create('nat');
 *   await sh('ip', 'link', 'add', 'na', 'type', 'veth', 'peer', 'name',
 *            'nb', 'netns', String(b.pid));
 *   await b.run('ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'nb');
 *   const p = b.spawn('node', ['server.js']);     // a ChildProcess
 *   const v = b.viewer();     // lib/peer_stdio.js in b: a StdioPeer
 *   await b.stop();
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');
const { live, waitFor } = require('./nginx');


/* a command in the test's namespace; rejects with its stderr */

function sh(cmd, ...args) {
    return new Promise((resolve, reject) => {
        execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) => {
            if (err) {
                err.message += `: ${cmd} ${args.join(' ')}: ${stderr}`;
                reject(err);
                return;
            }
            resolve(stdout);
        });
    });
}


class Netns {

    static async create(name) {
        const ns = new Netns();
        ns.name = name;
        ns.children = [];
        ns.holder = spawn('unshare', ['-n', 'sleep', '600'],
                          { stdio: 'ignore' });
        live.add(ns.holder);
        ns.pid = ns.holder.pid;

        const own = fs.readlinkSync('/proc/self/ns/net');

        /* unshare has exec'd sleep in the new namespace */
        await waitFor(() => {
            try {
                return fs.readlinkSync(`/proc/${ns.pid}/ns/net`) !== own
                       && fs.readFileSync(`/proc/${ns.pid}/comm`, 'utf8')
                          .trim() === 'sleep';
            } catch (err) {
                return false;
            }
        }, 5000, `namespace ${name}`);

        await ns.run('ip', 'link', 'set', 'lo', 'up');

        return ns;
    }

    run(cmd, ...args) {
        return sh('nsenter', '-t', String(this.pid), '-n', cmd, ...args);
    }

    /* a long-running process in the namespace (killed by stop()) */

    spawn(cmd, args, opts) {
        const p = spawn('nsenter', ['-t', String(this.pid), '-n', cmd,
                                    ...args],
                        Object.assign({ stdio: ['pipe', 'pipe', 'pipe'] },
                                      opts || {}));
        live.add(p);
        p.once('exit', () => live.delete(p));
        this.children.push(p);
        return p;
    }

    /* a werift viewer in the namespace (lib/peer_stdio.js) */

    viewer() {
        return new StdioPeer(this.spawn(process.execPath,
                                        [path.join(__dirname,
                                                   'peer_stdio.js')]));
    }

    async stop() {
        for (const p of this.children) {
            if (p.exitCode === null && p.signalCode === null) {
                const gone = new Promise((r) => p.once('exit', r));
                p.kill('SIGTERM');
                await Promise.race([gone, new Promise((r) =>
                                        setTimeout(r, 3000))]);
                if (p.exitCode === null && p.signalCode === null) {
                    p.kill('SIGKILL');
                }
            }
        }

        if (this.holder && this.holder.exitCode === null) {
            const gone = new Promise((r) => this.holder.once('exit', r));
            this.holder.kill('SIGKILL');
            await gone;
            live.delete(this.holder);
        }
    }
}


/*
 * Lines of a child's stdout as they come: onLine(obj) for JSON lines; the
 * promise of the first line for which pick(obj) is true.
 */

function jsonLines(proc, onLine) {
    let buf = '';
    proc.stdout.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            try {
                onLine(JSON.parse(line));
            } catch (err) {
                onLine({ text: line });
            }
        }
    });
}


/*
 * A lib/peer_stdio.js process: .offer once it has gathered, .last its
 * last report ({ packets, keyframes, state, remote }), .stderr.
 */

class StdioPeer {

    constructor(proc) {
        this.proc = proc;
        this.offer = null;
        this.last = {};
        this.stderr = '';

        proc.stderr.on('data', (c) => { this.stderr += c; });

        jsonLines(proc, (m) => {
            if (m.offer) {
                this.offer = m.offer;
            } else if ('packets' in m) {
                this.last = m;
            }
        });
    }

    /* its offer, once gathered */

    offered() {
        return waitFor(() => this.offer, 10000,
                       `the viewer's offer (${this.stderr})`);
    }

    answer(sdp) {
        this.proc.stdin.write(JSON.stringify({ answer: sdp }) + '\n');
    }

    /* a keyframe and 50 packets; what: the wait's name */

    async playing(what) {
        try {
            await waitFor(() => this.last.keyframes > 0
                                && this.last.packets > 50, 20000, what);
        } catch (err) {
            err.message += ` (viewer: ${JSON.stringify(this.last)}; `
                           + `${this.stderr})`;
            throw err;
        }
    }

    /* it exits when its stdin ends */

    end() {
        if (this.proc.exitCode === null) {
            this.proc.stdin.end();
        }
    }
}


module.exports = { Netns, StdioPeer, sh, jsonLines };
