/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Raw sockets for hostile-client tests: what node's http client refuses
 * to send (control bytes in the request line, bodies that never finish),
 * bounded UDP floods, and a tap on the datagrams a WebRTC stack of this
 * process sends, to replay them from the same socket.
 *
 *   const raw = require('./lib/raw');
 *   const r = await raw.request(port, 'GET /x%00y HTTP/1.0\r\n\r\n');
 *   r.status, r.headers, r.body, r.closed
 *   const s = raw.stall(port, 'POST /whep/cam HTTP/1.1\r\n...', 'v=0');
 *   await s.closed;                    // ms until nginx closed it
 *   await raw.flood({ host, port, count: 20000, make: (i) => buf });
 *   const tap = raw.tapDgram((port, address) => port === p);
 *   tap.packets  [{ socket, msg, port, address }];  tap.stop();
 *   raw.workerPids(masterPid)          // sorted worker pids
 */

'use strict';

const net = require('node:net');
const dgram = require('node:dgram');
const { execFileSync } = require('node:child_process');


/*
 * Sends bytes as they are and reads until nginx closes the connection (the
 * request should say "Connection: close" or be HTTP/1.0) or timeoutMs.
 */

function request(port, data, timeoutMs) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        const s = net.connect({ port, host: '127.0.0.1' });
        let done = false;

        const timer = setTimeout(() => finish(false), timeoutMs || 10000);

        function finish(closed) {
            if (done) {
                return;
            }
            done = true;
            clearTimeout(timer);
            s.destroy();
            resolve(parse(Buffer.concat(chunks), closed));
        }

        s.on('connect', () => s.write(data));
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => finish(true));
        s.on('close', () => finish(true));
        s.on('error', (err) => {
            if (err.code === 'ECONNRESET') {
                finish(true);
                return;
            }
            done = true;
            clearTimeout(timer);
            reject(err);
        });
    });
}


function parse(buf, closed) {
    const text = buf.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    const head = end >= 0 ? text.slice(0, end) : text;
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] || '');
    const headers = {};

    for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) {
            headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
    }

    return {
        status: m ? Number(m[1]) : 0,
        headers,
        body: end >= 0 ? text.slice(end + 4) : '',
        raw: text,
        closed,
    };
}


/*
 * Sends the head and the start of a body, then nothing: resolves .closed
 * with the milliseconds until the server closed the connection (or -1
 * after timeoutMs).  .socket is the connection.
 */

function stall(port, head, part, timeoutMs) {
    const s = net.connect({ port, host: '127.0.0.1' });
    const start = Date.now();

    const closed = new Promise((resolve) => {
        const timer = setTimeout(() => {
            s.destroy();
            resolve(-1);
        }, timeoutMs || 15000);

        s.on('connect', () => s.write(head + (part || '')));
        s.on('data', () => {});
        s.on('error', () => {});
        s.on('close', () => {
            clearTimeout(timer);
            resolve(Date.now() - start);
        });
    });

    return { socket: s, closed };
}


/*
 * count datagrams from one fresh socket, make(i) -> Buffer each; paced in
 * batches so that the socket buffer never refuses them.  Resolves with the
 * number sent.
 */

async function flood(opts) {
    const s = dgram.createSocket('udp4');
    const batch = opts.batch || 200;
    let sent = 0;

    s.on('error', () => {});

    try {
        for (let i = 0; i < opts.count; i += batch) {
            const n = Math.min(batch, opts.count - i);
            await Promise.all(Array.from({ length: n }, (_, k) =>
                new Promise((resolve) => {
                    s.send(opts.make(i + k), opts.port, opts.host, (err) => {
                        if (!err) {
                            sent++;
                        }
                        resolve();
                    });
                })));
        }
    } finally {
        s.close();
    }

    return sent;
}


/*
 * Records every datagram this process sends through dgram sockets to a
 * destination filter(port, address) accepts (werift's ICE sockets use
 * dgram.Socket.send).  send(p, msg) sends msg again from p's socket: same
 * source, same destination.
 */

function tapDgram(filter) {
    const proto = dgram.Socket.prototype;
    const orig = proto.send;
    const packets = [];

    proto.send = function (msg, ...args) {
        const port = typeof args[0] === 'number' ? args[0] : args[2];
        const address = typeof args[0] === 'number' ? args[1] : args[3];

        if (ArrayBuffer.isView(msg) && typeof port === 'number'
            && filter(port, address))
        {
            packets.push({
                socket: this, port, address,
                msg: Buffer.from(Buffer.from(msg.buffer, msg.byteOffset,
                                             msg.byteLength)),
            });
        }

        return orig.call(this, msg, ...args);
    };

    return {
        packets,
        send(p, msg) {
            return new Promise((resolve) => {
                orig.call(p.socket, msg, p.port, p.address, () => resolve());
            });
        },
        stop() {
            proto.send = orig;
        },
    };
}


/* the worker processes of an nginx master */

function workerPids(master) {
    let out = '';

    try {
        out = execFileSync('ps', ['--ppid', String(master), '-o', 'pid='],
                           { encoding: 'utf8' });
    } catch (err) {
        /* ps exits 1 when no process matched */
    }

    return out.split('\n').map((l) => Number(l.trim())).filter(Boolean)
           .sort((a, b) => a - b);
}


/* UDP host candidates of an SDP: [{ address, port }] */

function udpCandidates(sdp) {
    const out = [];
    const re = /^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ host/gim;
    let m;

    while ((m = re.exec(sdp)) !== null) {
        out.push({ address: m[1], port: Number(m[2]) });
    }

    return out;
}


module.exports = {
    request, stall, flood, tapDgram, workerPids, udpCandidates,
};
