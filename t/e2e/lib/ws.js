/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A small WebSocket client (RFC 6455) on a raw TCP socket, written for the
 * tests: the handshake (Sec-WebSocket-Accept checked), masked frames, the
 * server's frames parsed, pings answered, close codes recorded; and raw
 * bytes and hand-made frames for hostile peers.
 *
 *   const { WsClient } = require('./lib/ws');
 *   const ws = await WsClient.connect(18980, '/api/ws?src=cam');
 *   ws.sendJson({ type: 'webrtc/offer', value: sdp });
 *   const m = await ws.next((m) => m.type === 'webrtc/answer', 10000);
 *   ws.frame({ opcode: 0x1, payload: Buffer.from('x'), mask: false });
 *   await ws.waitClosed(5000);     // ws.closeCode: the server's close code
 */

'use strict';

const net = require('node:net');
const crypto = require('node:crypto');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';


class WsClient {

    constructor(sock) {
        this.sock = sock;
        this.buf = Buffer.alloc(0);
        this.messages = [];         /* parsed JSON (or {text} if not JSON) */
        this.texts = [];
        this.waiters = [];
        this.closeCode = null;      /* from the server's close frame */
        this.closeReason = '';
        this.ended = false;         /* TCP closed */
        this.pings = 0;
        this.pongs = [];
        this.answerPings = true;
        this.endWaiters = [];

        sock.on('data', (d) => this.onData(d));
        sock.on('close', () => this.onEnd());
        sock.on('error', () => this.onEnd());
    }

    /* opts: headers (extra request headers), raw (resolve on any status) */

    static connect(port, path, opts) {
        opts = opts || {};
        return new Promise((resolve, reject) => {
            const key = crypto.randomBytes(16).toString('base64');
            const sock = net.connect(port, opts.host || '127.0.0.1');
            let head = Buffer.alloc(0);
            const timer = setTimeout(() => {
                sock.destroy();
                reject(new Error(`ws ${path}: no handshake answer`));
            }, opts.timeoutMs || 10000);

            sock.on('error', (err) => {
                clearTimeout(timer);
                reject(err);
            });

            sock.on('connect', () => {
                const h = Object.assign({
                    Host: `127.0.0.1:${port}`,
                    Upgrade: 'websocket',
                    Connection: 'Upgrade',
                    'Sec-WebSocket-Key': key,
                    'Sec-WebSocket-Version': '13',
                }, opts.headers || {});
                let req = `GET ${path} HTTP/1.1\r\n`;
                for (const [k, v] of Object.entries(h)) {
                    if (v !== null) {
                        req += `${k}: ${v}\r\n`;
                    }
                }
                sock.write(req + '\r\n');
                if (opts.after) {
                    sock.write(opts.after);
                }
            });

            const onHead = (d) => {
                head = Buffer.concat([head, d]);
                const end = head.indexOf('\r\n\r\n');
                if (end < 0) {
                    return;
                }
                clearTimeout(timer);
                sock.removeListener('data', onHead);

                const text = head.subarray(0, end).toString('latin1');
                const status = Number(text.split(' ')[1]);
                const headers = {};
                for (const line of text.split('\r\n').slice(1)) {
                    const i = line.indexOf(':');
                    headers[line.slice(0, i).toLowerCase()] =
                        line.slice(i + 1).trim();
                }

                if (status !== 101) {
                    sock.destroy();
                    if (opts.raw) {
                        resolve({ status, headers,
                                  body: head.subarray(end + 4).toString() });
                        return;
                    }
                    reject(new Error(`ws ${path}: ${text.split('\r\n')[0]}`));
                    return;
                }

                const want = crypto.createHash('sha1').update(key + GUID)
                                   .digest('base64');
                if (headers['sec-websocket-accept'] !== want) {
                    sock.destroy();
                    reject(new Error(`ws ${path}: bad Sec-WebSocket-Accept`));
                    return;
                }

                const ws = new WsClient(sock);
                ws.status = status;
                ws.headers = headers;
                const rest = head.subarray(end + 4);
                if (rest.length) {
                    ws.onData(rest);
                }
                resolve(ws);
            };

            sock.on('data', onHead);
        });
    }

    onData(d) {
        this.buf = Buffer.concat([this.buf, d]);

        for ( ;; ) {
            const b = this.buf;
            if (b.length < 2) {
                return;
            }
            let len = b[1] & 0x7f;
            let off = 2;
            if (len === 126) {
                if (b.length < 4) {
                    return;
                }
                len = b.readUInt16BE(2);
                off = 4;
            } else if (len === 127) {
                if (b.length < 10) {
                    return;
                }
                len = Number(b.readBigUInt64BE(2));
                off = 10;
            }
            if (b[1] & 0x80) {
                this.protocolError = 'masked server frame';
            }
            if (b.length < off + len) {
                return;
            }

            const opcode = b[0] & 0x0f;
            const payload = b.subarray(off, off + len);
            this.buf = b.subarray(off + len);

            if (opcode === 0x1) {
                const text = payload.toString('utf8');
                this.texts.push(text);
                let m;
                try {
                    m = JSON.parse(text);
                } catch (err) {
                    m = { text };
                }
                this.messages.push(m);
                this.wake();
            } else if (opcode === 0x8) {
                this.closeCode = len >= 2 ? payload.readUInt16BE(0) : 1005;
                this.closeReason = payload.subarray(2).toString('utf8');
                this.wake();
            } else if (opcode === 0xa) {
                this.pongs.push(Buffer.from(payload));
                this.wake();
            } else if (opcode === 0x9) {
                this.pings++;
                if (this.answerPings && !this.ended) {
                    this.frame({ opcode: 0xa, payload });
                }
            }
        }
    }

    onEnd() {
        this.ended = true;
        this.wake();
    }

    wake() {
        for (const w of this.waiters.splice(0)) {
            w();
        }
    }

    /* a frame; opts: opcode, payload, fin (true), mask (true), rsv (0) */

    frame(opts) {
        const payload = opts.payload || Buffer.alloc(0);
        const fin = opts.fin === false ? 0 : 0x80;
        const mask = opts.mask === false ? 0 : 0x80;
        const len = opts.len !== undefined ? opts.len : payload.length;
        let head;

        if (len < 126) {
            head = Buffer.from([fin | (opts.rsv || 0) | opts.opcode,
                                mask | len]);
        } else if (len < 65536) {
            head = Buffer.alloc(4);
            head[0] = fin | (opts.rsv || 0) | opts.opcode;
            head[1] = mask | 126;
            head.writeUInt16BE(len, 2);
        } else {
            head = Buffer.alloc(10);
            head[0] = fin | (opts.rsv || 0) | opts.opcode;
            head[1] = mask | 127;
            head.writeBigUInt64BE(BigInt(len), 2);
        }

        let body = payload;
        if (mask) {
            const key = crypto.randomBytes(4);
            body = Buffer.alloc(payload.length);
            for (let i = 0; i < payload.length; i++) {
                body[i] = payload[i] ^ key[i & 3];
            }
            head = Buffer.concat([head, key]);
        }

        return this.raw(Buffer.concat([head, body]));
    }

    raw(buf) {
        if (this.ended) {
            return false;
        }
        this.sock.write(buf);
        return true;
    }

    send(text) {
        return this.frame({ opcode: 0x1, payload: Buffer.from(text) });
    }

    sendJson(obj) {
        return this.send(JSON.stringify(obj));
    }

    /* the next message (from the start) for which pred is true; removed */

    next(pred, deadlineMs, what) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                reject(new Error(`ws: no ${what || 'message'} in `
                                 + `${deadlineMs} ms (have `
                                 + `${JSON.stringify(this.messages)
                                       .slice(0, 300)}, close `
                                 + `${this.closeCode}, ended ${this.ended})`));
            }, deadlineMs || 10000);

            const check = () => {
                const i = this.messages.findIndex(pred || (() => true));
                if (i >= 0) {
                    clearTimeout(timer);
                    resolve(this.messages.splice(i, 1)[0]);
                    return;
                }
                if (this.ended) {
                    clearTimeout(timer);
                    reject(new Error(`ws: closed before ${what || 'a message'}`
                                     + ` (close ${this.closeCode})`));
                    return;
                }
                this.waiters.push(check);
            };
            check();
        });
    }

    /* resolves when pred() is true (checked on every frame and at close) */

    until(pred, deadlineMs, what) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                reject(new Error(`ws: no ${what} in ${deadlineMs} ms`));
            }, deadlineMs || 10000);
            const check = () => {
                if (pred()) {
                    clearTimeout(timer);
                    resolve();
                    return;
                }
                if (this.ended) {
                    clearTimeout(timer);
                    reject(new Error(`ws: closed before ${what} `
                                     + `(close ${this.closeCode})`));
                    return;
                }
                this.waiters.push(check);
            };
            check();
        });
    }

    /* resolves when the TCP connection is closed by the server */

    waitClosed(deadlineMs) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                reject(new Error(`ws: still open after ${deadlineMs} ms`));
            }, deadlineMs || 10000);
            const check = () => {
                if (this.ended) {
                    clearTimeout(timer);
                    resolve(this.closeCode);
                    return;
                }
                this.waiters.push(check);
            };
            check();
        });
    }

    close(code) {
        const p = Buffer.alloc(2);
        p.writeUInt16BE(code || 1000, 0);
        this.frame({ opcode: 0x8, payload: p });
    }

    destroy() {
        this.sock.destroy();
    }
}


module.exports = { WsClient };
