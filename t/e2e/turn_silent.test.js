/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A TURN server that never answers (down, or filtered on the way): a
 * session that ends closes its ICE sockets at once.  nginx asks libnice to
 * release the session's TURN allocations first; with none made, that
 * completes at once, on the worker's GLib context, which nothing synced:
 * the agent and its sockets (ports of rtc_udp_ports) stayed open until
 * some other ICE activity in the worker, minutes later, and a reload's
 * old workers logged "open socket left" alerts.  Needs t/lib/netns.sh.
 */

'use strict';

const dgram = require('node:dgram');
const { execFileSync } = require('node:child_process');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');
const { workerPids } = require('./lib/raw');

const PORT = 21980;
const CAM_PORT = 21954;
const TURN_PORT = 21981;
const UDP_MIN = 47800;
const UDP_MAX = 47819;


/* the worker's UDP sockets on rtc_udp_ports (ss -uanp) */

function iceSockets(pids) {
    const out = execFileSync('ss', ['-uanp'], { encoding: 'utf8' });

    return out.split('\n').filter((l) => {
        const m = /:(\d+)\s+\S+:\S+\s+users:.*pid=(\d+),/.exec(l);
        return m && pids.includes(Number(m[2]))
               && Number(m[1]) >= UDP_MIN && Number(m[1]) <= UDP_MAX;
    }).length;
}


describe('a TURN server that never answers', { timeout: 60000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, nginx: [{
        port: PORT, workers: 1,
        conf: conf({ workers: 1, http: `
    rtc_udp_ports ${UDP_MIN}-${UDP_MAX};
    rtc_ice_server turn:127.0.0.1:${TURN_PORT}?transport=udp
                   username=viewer credential=s3cret;` }),
    }] });
    let ngx;
    let pids;
    let sink;

    before(async () => {
        /* it reads what comes and never answers */
        sink = dgram.createSocket('udp4');
        sink.on('message', () => {});
        await new Promise((resolve) => sink.bind(TURN_PORT, '127.0.0.1',
                                                 resolve));
        rig.defer(() => sink.close());

        ({ ngx } = await rig.start());

        pids = workerPids(ngx.pid());
        assert.equal(pids.length, 1);
    });

    after(() => rig.stop());

    test('a session DELETEd closes its ICE sockets', async () => {
        /*
         * No candidate in the offer: nginx has no peer to check, so no
         * timer of the agent runs after the DELETE (one that did would
         * sync the worker's context on its way out)
         */

        const offer = withoutCandidates(CHROMIUM_OFFER);

        for (let i = 0; i < 3; i++) {
            const r = await ngx.http('POST', '/whep/cam', offer,
                                     { 'Content-Type': 'application/sdp' });
            assert.equal(r.status, 201, r.body);
            assert.ok(iceSockets(pids) > 0, 'the session\'s sockets');

            const d = await ngx.http('DELETE', r.headers.location);
            assert.equal(d.status, 200);

            await waitFor(() => iceSockets(pids) === 0, 5000,
                          'no ICE socket left after the DELETE');
        }
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
