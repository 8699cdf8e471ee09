/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A tiny DNS server for tests (RFC 1035 over UDP, node:dgram): answers A
 * queries for the names it is given, NXDOMAIN for others, and an empty
 * NOERROR for other types of known names (AAAA); a name given the address
 * null is never answered (a DNS server that does not answer).  It counts
 * the queries it gets by name.
 *
 *   const dns = await new DnsServer({ 'cam.rtc.test': '127.0.0.1' })
 *                   .start(19453);
 *   dns.queries['cam.rtc.test']     // A and AAAA queries seen
 *   await dns.stop();
 */

'use strict';

const dgram = require('node:dgram');


/* the question's name and where it ends, or null */

function readName(buf, off) {
    const labels = [];

    while (off < buf.length) {
        const len = buf[off];

        if (len === 0) {
            return { name: labels.join('.').toLowerCase(), end: off + 1 };
        }

        if (len > 63 || off + 1 + len > buf.length) {
            return null;
        }

        labels.push(buf.toString('latin1', off + 1, off + 1 + len));
        off += 1 + len;
    }

    return null;
}


class DnsServer {

    constructor(names, opts) {
        this.names = {};
        for (const k of Object.keys(names)) {
            this.names[k.toLowerCase()] = names[k];
        }
        this.ttl = (opts && opts.ttl) || 1;
        this.queries = {};
        this.sock = null;
    }

    start(port, host) {
        this.sock = dgram.createSocket('udp4');
        this.sock.on('message', (msg, rinfo) => this.answer(msg, rinfo));

        return new Promise((resolve, reject) => {
            this.sock.once('error', reject);
            this.sock.bind(port, host || '127.0.0.1', () => resolve(this));
        });
    }

    answer(msg, rinfo) {
        if (msg.length < 12 || msg.readUInt16BE(4) !== 1) {
            return;
        }

        const q = readName(msg, 12);

        if (q === null || q.end + 4 > msg.length) {
            return;
        }

        const qtype = msg.readUInt16BE(q.end);
        const question = msg.subarray(12, q.end + 4);
        const addr = this.names[q.name];

        this.queries[q.name] = (this.queries[q.name] || 0) + 1;

        if (addr === null) {
            return;
        }

        const header = Buffer.alloc(12);
        header.writeUInt16BE(msg.readUInt16BE(0), 0);
        /* QR, opcode 0, AA, RD copied, RA; RCODE 3 NXDOMAIN or 0 */
        header.writeUInt16BE(0x8480 | (msg[2] & 0x01) << 8
                             | (addr ? 0 : 3), 2);
        header.writeUInt16BE(1, 4);

        const parts = [header, question];

        if (addr && qtype === 1) {
            const rr = Buffer.alloc(16);
            rr.writeUInt16BE(0xc00c, 0);        /* the question's name */
            rr.writeUInt16BE(1, 2);             /* A */
            rr.writeUInt16BE(1, 4);             /* IN */
            rr.writeUInt32BE(this.ttl, 6);
            rr.writeUInt16BE(4, 10);
            addr.split('.').forEach((b, i) => { rr[12 + i] = Number(b); });
            header.writeUInt16BE(1, 6);
            parts.push(rr);
        }

        this.sock.send(Buffer.concat(parts), rinfo.port, rinfo.address);
    }

    stop() {
        if (!this.sock) {
            return Promise.resolve();
        }

        const s = this.sock;
        this.sock = null;

        return new Promise((resolve) => s.close(resolve));
    }
}


module.exports = { DnsServer };
