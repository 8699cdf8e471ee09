/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The seed failure, replayed: several viewers of one camera arriving and
 * leaving at different times across 4 worker processes while the camera
 * drops off and comes back on the same port.  Every viewer must get H.264;
 * those that stay across the restart must get it again after; nginx must
 * log no alert or crash; at the end no viewer and no session is left.
 * Needs t/lib/netns.sh.
 *
 * Timeline (v1..v6 are werift viewers):
 *   v1, v2 join; v3 joins; v1 leaves
 *   camera killed (SIGKILL) -> v4 joins while it is down -> camera back
 *   v2, v3, v4 get a keyframe and packets after the restart
 *   v5 joins; v2 leaves; v6 joins; v3, v4, v5, v6 leave
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 18480;
const CAM_PORT = 18954;

const FIRST_MEDIA_MS = 20000;
const RESTART_MEDIA_MS = 30000;


function camStream(st) {
    return st.streams.find((s) => s.name === 'cam');
}


function assertGotH264(v) {
    assert.ok(v.packets > 0, `${v.name}: no RTP`);
    assert.ok(v.keyframes > 0, `${v.name}: no IDR/SPS`);
    assert.ok(v.payloadTypes.has(96), `${v.name}: PT 96`);
    assert.ok(v.nalTypes.has(1) || v.nalTypes.has(5),
              `${v.name}: no slice NAL (types ${[...v.nalTypes]})`);
}


describe('many viewers, 4 workers, camera restart', { timeout: 300000 },
         () => {
    /*
     * reuseport spreads connections, so POSTs and DELETEs of one session
     * often land in different workers
     */
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          nginx: [{ port: PORT, workers: 4,
                                    vars: { LISTEN_OPTS: ' reuseport' } }] });
    let cam;
    let ngx;
    const v = {};

    function viewer(name) {
        v[name] = rig.track(new Viewer(ngx, '/whep/cam', { name }));
        return v[name];
    }

    /* session id -> pid of the worker that owns it */
    const owners = new Map();

    async function noteOwners() {
        for (const s of (await ngx.status()).sessions) {
            owners.set(s.id, s.pid);
        }
    }

    async function join(name) {
        const x = viewer(name);
        await x.connectRetry(FIRST_MEDIA_MS);
        await noteOwners();
        await x.waitKeyframe(FIRST_MEDIA_MS);
        return x;
    }

    async function leave(name) {
        const r = await v[name].close();
        assert.equal(r && r.status, 200, `${name}: DELETE`);
        v[name].left = true;
    }

    /* the steps build on each other: after a failure the rest skip */
    let broken = null;

    function step(name, fn) {
        test(name, async (t) => {
            if (broken) {
                t.skip(`after the failure of "${broken}"`);
                return;
            }
            try {
                await fn(t);
            } catch (err) {
                broken = name;
                throw err;
            }
        });
    }

    before(async () => {
        ({ cam, ngx } = await rig.start());
    });

    after(() => rig.stop());

    step('v1, v2, v3 join at different times', async () => {
        await join('v1');
        await join('v2');
        await v.v1.waitPackets(25, 10000);
        await join('v3');

        const st = await ngx.status();
        assert.equal(camStream(st).viewers, 3);
        assert.equal(st.sessions.length, 3);
    });

    step('v1 leaves, the others keep receiving', async () => {
        await leave('v1');
        await v.v2.waitPackets(25, 10000);
        await v.v3.waitPackets(25, 10000);

        await waitFor(async () => camStream(await ngx.status()).viewers === 2,
                      10000, '2 viewers');
    });

    step('camera restart: down, a viewer arrives, back', async () => {
        await cam.kill();

        /* the old camera's last frames are out: v2 and v3 go quiet */
        await waitFor(() => Date.now() - v.v2.lastPacketAt > 500
                            && Date.now() - v.v3.lastPacketAt > 500,
                      10000, 'v2 and v3 quiet after the camera died');
        const mark = { v2: v.v2.packets, v3: v.v3.packets };

        /* v4 arrives while the camera is away (201, or 503 until back) */
        const v4 = viewer('v4');
        const joining = v4.connectRetry(RESTART_MEDIA_MS);

        await cam.start();
        await joining;
        await noteOwners();

        for (const name of ['v2', 'v3', 'v4']) {
            await v[name].waitKeyframe(RESTART_MEDIA_MS);
            await v[name].waitPackets(25, RESTART_MEDIA_MS);
        }

        assert.ok(v.v2.packets > mark.v2, 'v2 got packets after restart');
        assert.ok(v.v3.packets > mark.v3, 'v3 got packets after restart');

        await waitFor(async () => camStream(await ngx.status()).viewers === 3,
                      10000, '3 viewers after the restart');
    });

    step('v5 and v6 join, v2 leaves between them', async () => {
        await join('v5');
        await leave('v2');
        await join('v6');

        await v.v3.waitPackets(25, 10000);
        await v.v4.waitPackets(25, 10000);

        const st = await ngx.status();
        assert.equal(camStream(st).viewers, 4);
        assert.equal(st.sessions.length, 4);
    });

    step('all leave; every viewer got H.264', async (t) => {
        await leave('v3');
        await leave('v5');
        await leave('v4');
        await leave('v6');

        for (const name of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) {
            assertGotH264(v[name]);
        }

        await waitFor(async () => {
            const st = await ngx.status();
            return camStream(st).viewers === 0 && st.sessions.length === 0
                   ? st : null;
        }, 15000, '0 viewers and 0 sessions');

        /* how much of the cross-worker path this run took */
        const deletes = ngx.accessLog().filter((l) =>
            /^DELETE \/whep\/cam\/[0-9a-f]{32} /.test(l.request || ''));
        const cross = deletes.filter((l) => {
            const id = l.request.split(' ')[1].split('/').pop();
            return owners.has(id) && owners.get(id) !== l.pid;
        });

        t.diagnostic(`sessions owned by ${new Set(owners.values()).size} `
                     + `worker(s); ${cross.length} of ${deletes.length} `
                     + 'DELETEs answered by another worker than the owner');
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
