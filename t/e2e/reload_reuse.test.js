/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Two reloads while a worker of the first configuration is still exiting
 * (a request it is reading keeps it: here a request whose header has not
 * ended).  The first reload removes stream "x"; the second adds "y",
 * which takes x's freed entry of the zone and its ring.  The old worker
 * still knows "x" by that entry: it used to answer x's snapshot with y's
 * picture, and take a viewer of "x" onto y's ring (a name the access
 * rules allow, another camera).  Now the entry's incarnation tells it the
 * entry is another stream's: 503 "the server is restarting" with
 * Retry-After, and the retry reaches a new worker.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { workerPids: workers } = require('./lib/raw');

const PORT = 21880;
const CAM_PORT = 21854;


function conf(streams) {
    return nginxConf({
        workers: 1, shutdown: '60s',
        http: streams.map((s) => `
    rtc_stream ${s} rtsp://127.0.0.1:%%CAMPORT%%/cam;`).join(''),
        server: `
        location /whep/        { rtc_whep; }
        location /snap/        { rtc_snapshot; }
        location = /rtc/status { rtc_status; }`,
    });
}



/* a request whose header ends later: its worker waits for it */

class Held {

    constructor(port, head) {
        this.data = '';
        this.sock = net.connect(port, '127.0.0.1');
        this.sock.setEncoding('latin1');
        this.sock.on('data', (d) => { this.data += d; });
        this.closed = new Promise((resolve) => this.sock.on('close', resolve));
        this.sock.on('error', () => {});
        this.ready = new Promise((resolve) => this.sock.on('connect', () => {
            this.sock.write(head);
            resolve();
        }));
    }

    /* the rest of the request; the answer, when nginx closes */

    async finish(rest) {
        this.sock.write(rest);
        await this.closed;

        const end = this.data.indexOf('\r\n\r\n');
        return {
            status: Number(this.data.split(' ')[1]),
            head: this.data.slice(0, end),
            body: this.data.slice(end + 4),
        };
    }
}


describe('an exiting worker after reloads reused its stream\'s entry',
         { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          nginx: [{ port: PORT, conf: conf(['x', 'z']) }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    async function reload(streams, old) {
        fs.writeFileSync(path.join(ngx.dir, 'nginx.conf'),
                         ngx.render(conf(streams)));
        process.kill(ngx.pid(), 'SIGHUP');

        return waitFor(async () => {
            const now = workers(ngx.pid()).filter((p) => !old.includes(p));
            if (now.length === 0) {
                return null;
            }
            const st = await ngx.status();
            return st.streams.map((s) => s.name).sort().join(',')
                   === streams.slice().sort().join(',') ? now : null;
        }, 15000, `the configuration of ${streams} running`);
    }

    test('its snapshot and offer of the removed stream: 503', async () => {
        const first = workers(ngx.pid());
        assert.equal(first.length, 1);

        const snap = new Held(PORT, 'GET /snap/x.jpg HTTP/1.1\r\n'
                                    + 'Host: localhost\r\n');
        const offer = new Held(PORT, 'POST /whep/x HTTP/1.1\r\n'
                                     + 'Host: localhost\r\n');
        await Promise.all([snap.ready, offer.ready]);

        /* the old worker has both: its access log will name its pid */

        const second = await reload(['z'], first);
        await reload(['z', 'y'], first.concat(second));

        assert.ok(workers(ngx.pid()).includes(first[0]),
                  'the first worker is still exiting');

        const s = await snap.finish('\r\n');
        assert.equal(s.status, 503, s.head);
        assert.match(s.head, /\r\nRetry-After: 1(\r\n|$)/i);
        assert.match(s.body, /the server is restarting: try again/);

        const sdp = 'v=0\r\n';
        const o = await offer.finish('Content-Type: application/sdp\r\n'
                                     + `Content-Length: ${sdp.length}\r\n`
                                     + '\r\n' + sdp);
        assert.equal(o.status, 503, o.head);
        assert.match(o.head, /\r\nRetry-After: 1(\r\n|$)/i);
        assert.match(o.body, /the server is restarting: try again/);

        /*
         * The new worker ("y" is there, "x" is not; the worker of the
         * second configuration may take a request or two before it
         * stops accepting)
         */

        await waitFor(async () =>
            (await ngx.http('GET', '/snap/y.jpg')).status === 200,
            15000, 'a snapshot of "y"');

        const r = await ngx.http('POST', '/whep/x', sdp,
                                 { 'Content-Type': 'application/sdp' });
        assert.equal(r.status, 404);

        /* and the first worker, without its requests, exits */

        await waitFor(() => !workers(ngx.pid()).includes(first[0]),
                      15000, 'the first worker gone');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
