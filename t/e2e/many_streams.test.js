/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * One nginx with many cameras (an NVR-sized site): 200 rtc_stream lines,
 * all on demand.  nginx -t accepts the configuration and nginx starts;
 * /rtc/status lists the 200 streams, idle; werift viewers of the first
 * and of the last stream both get keyframes (one real camera serves both
 * streams' RTSP sessions) while the 198 others stay idle; rtc_metrics
 * shows them all; a zone too small is refused by nginx -t with the size
 * needed, which is enough; a configuration with one stream over the
 * limit (1025) is refused by nginx -t with the limit named.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { Viewer } = require('./lib/werift');

const PORT = 19960;
const CAM_PORT = 19961;
const NSTREAMS = 200;
const LIMIT = 1024;

const NGINX = process.env.TEST_NGINX_BINARY || '/usr/sbin/nginx';


/* s1 .. sN, the same camera; the two watched ones with room for a GOP */

function streams(n) {
    return Array.from({ length: n }, (x, i) => {
        const name = `s${i + 1}`;
        const buffer = (i === 0 || i === NSTREAMS - 1) ? '1m' : '256k';

        return `    rtc_stream ${name} rtsp://127.0.0.1:%%CAMPORT%%/cam `
               + `buffer=${buffer};`;
    }).join('\n');
}


function conf(n, zone) {
    return nginxConf({
        workers: 2, shutdown: true,
        zone: zone || (n > NSTREAMS ? '300m' : '96m'),
        http: `
    rtc_wait_timeout 10s;
${streams(n)}`,
        server: `
        location /whep/          { rtc_whep; }
        location = /rtc/status   { rtc_status; }
        location = /rtc/metrics  { rtc_metrics; }`,
    });
}


/*
 * nginx -t on a configuration rendered for this instance, logging to a
 * file of its own (not the running nginx's error.log, which must stay
 * clean): what it says is in stderr
 */

function configTest(ngx, text, name) {
    const file = path.join(ngx.dir, name);

    fs.writeFileSync(file, ngx.render(text).split(ngx.errorLog)
                                           .join(`${file}.log`));

    return spawnSync(NGINX, ['-t', '-p', ngx.dir + '/', '-c', file,
                             '-e', path.join(ngx.dir, 'test.log')],
                     { encoding: 'utf8', timeout: 30000,
                       env: ngx.spawnEnv() });
}


describe('many streams in one nginx', { timeout: 60000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, nginx: [
        { port: PORT, conf: conf(NSTREAMS), startMs: 20000 },
    ] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test(`nginx -t accepts ${NSTREAMS} streams`, () => {
        const r = configTest(ngx, conf(NSTREAMS), 'test-ok.conf');
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /test is successful/);
    });

    test(`/rtc/status lists the ${NSTREAMS} streams, idle`, async () => {
        const st = await ngx.status();
        assert.equal(st.streams.length, NSTREAMS);

        const names = new Set(st.streams.map((s) => s.name));
        for (let i = 1; i <= NSTREAMS; i++) {
            assert.ok(names.has(`s${i}`), `s${i} listed`);
        }

        assert.ok(st.streams.every((s) => s.state === 'idle'
                                          && s.producer_pid === 0),
                  'on demand: no camera connected before a viewer');
    });

    test(`viewers of s1 and s${NSTREAMS} both get keyframes`, async () => {
        const first = rig.track(new Viewer(ngx, '/whep/s1', { name: 's1' }));
        const last = rig.track(new Viewer(ngx, `/whep/s${NSTREAMS}`,
                                          { name: `s${NSTREAMS}` }));

        /*
         * One after the other (t/lib/camera.py no longer lets a PLAY's
         * Range seek its shared media, which aborted gst-rtsp-server now
         * and then when several clients played at once; kept anyway)
         */

        await first.connect();
        await first.waitKeyframe(20000);
        await last.connect();
        await last.waitKeyframe(20000);

        /* frames keep coming to both: more keyframes (gop 50 at 25 fps) */

        await Promise.all([first.waitKeyframe(10000),
                           last.waitKeyframe(10000)]);

        const st = await ngx.status();
        const by = new Map(st.streams.map((s) => [s.name, s]));

        for (const name of ['s1', `s${NSTREAMS}`]) {
            assert.equal(by.get(name).state, 'playing', name);
            assert.ok(by.get(name).frames_in > 0, `${name} frames_in`);
        }

        const busy = st.streams.filter(
            (s) => s.name !== 's1' && s.name !== `s${NSTREAMS}`
                   && (s.frames_in > 0 || s.producer_pid !== 0));
        assert.deepEqual(busy.map((s) => s.name), [],
                         'the unwatched streams stay idle');
        assert.equal(st.sessions.length, 2);

        const m = await ngx.http('GET', '/rtc/metrics');
        assert.equal(m.status, 200);
        assert.ok(m.body.includes(`stream="s${NSTREAMS}"`),
                  'rtc_metrics names the last stream');

        assert.equal((await first.close()).status, 200);
        assert.equal((await last.close()).status, 200);
    });

    test('a zone too small: nginx -t says what size is needed', () => {
        let r = configTest(ngx, conf(NSTREAMS, '1m'), 'test-1m.conf');
        assert.notEqual(r.status, 0, '1m refused');
        assert.match(r.stderr, /rtc_zone size "1m" is too small: at least 2m/);

        r = configTest(ngx, conf(NSTREAMS, '16m'), 'test-16m.conf');
        assert.notEqual(r.status, 0, '16m refused');

        const m = r.stderr.match(new RegExp(
            'rtc_zone "cams" has no room for stream "s\\d+" '
            + '\\(buffer=\\d+\\): make the zone larger or the buffer '
            + 'smaller; this configuration of 200 streams needs about '
            + '(\\d+)m'));
        assert.ok(m, `the size needed: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\[crit\] ngx_slab_alloc\(\) failed/,
                            'said once, with what to do');

        /* what it says is enough */

        r = configTest(ngx, conf(NSTREAMS, `${m[1]}m`), 'test-needed.conf');
        assert.equal(r.status, 0, `${m[1]}m: ${r.stderr}`);
    });

    test(`${LIMIT + 1} streams: nginx -t names the limit`, () => {
        const r = configTest(ngx, conf(LIMIT + 1), 'test-over.conf');
        assert.notEqual(r.status, 0, 'refused');
        assert.match(r.stderr, new RegExp(
            `rtc_stream "s${LIMIT + 1}" is one too many: one nginx serves `
            + `at most ${LIMIT} streams`));
    });
});
