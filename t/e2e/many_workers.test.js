/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * More workers than the old fixed limit of 64 (issue 8, point 6): the
 * zone is laid out with a slot per worker.  worker_processes 80 starts and
 * serves a WHEP viewer; a reload to more workers than the zone has slots
 * is refused with the reason (the running workers keep serving); a reload
 * to fewer workers applies and serves.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { workerPids } = require('./lib/raw');
const { Viewer } = require('./lib/werift');

const PORT = 18694;
const CAM_PORT = 18667;

const REFUSED = new RegExp('rtc_zone "cams" was laid out for 80 worker '
                           + 'processes, worker_processes is 100: change '
                           + 'the rtc_zone size or name to apply it');


function conf(workers) {
    return nginxConf({
        workers, shutdown: '60s', connections: 256,
        http: `
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam always;`,
        server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
    });
}


describe('80 workers', { timeout: 180000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          nginx: [{ port: PORT, conf: conf(80),
                                    allowLog: [REFUSED], startMs: 30000 }] });
    const viewers = rig.viewers;
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    async function play(name) {
        const v = new Viewer(ngx, '/whep/cam', { name });
        viewers.push(v);
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);
        return v;
    }

    function reload(workers) {
        fs.writeFileSync(path.join(ngx.dir, 'nginx.conf'),
                         ngx.render(conf(workers)));
        process.kill(ngx.pid(), 'SIGHUP');
    }

    async function generation(master, seen, n, what) {
        const gen = await waitFor(() => {
            const w = workerPids(master).filter((p) => !seen.has(p));
            return w.length === n ? w : null;
        }, 30000, what);
        gen.forEach((p) => seen.add(p));
        return gen;
    }

    test('starts, serves, refuses more workers than slots, reloads',
         async () => {
        const master = ngx.pid();
        const seen = new Set();

        await generation(master, seen, 80, '80 workers');

        const a = await play('a');
        await a.waitPackets(20, 10000);
        await a.close();

        /* more workers than the zone has slots: refused, still serving */

        const running = workerPids(master).sort().join(',');

        reload(100);

        await waitFor(() => REFUSED.test(ngx.logText()), 15000,
                      'the refusal in error.log');
        assert.equal(workerPids(master).sort().join(','), running,
                     'no new workers after the refused reload');

        const b = await play('b');
        await b.waitPackets(20, 10000);

        /* another worker count the zone has slots for: applies */

        reload(40);
        await generation(master, seen, 40, '40 new workers');

        const c = await play('c');
        await c.waitPackets(20, 10000);

        ngx.checkLog();
    });
});
