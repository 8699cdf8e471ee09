/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The player page the module serves (rtc_player): Chromium opens it, the
 * page lists the configured streams from streams.json (no camera URL in
 * it), four H.264 tiles play at once with their codec, size and bitrate
 * shown, an H.265 stream's tile shows the server's 406 text, a click
 * enlarges a tile and the mute control toggles; every tile plays again
 * after nginx -s reload and after the camera restarts.  A screenshot of the
 * grid is kept in build/test-output/player-grid.png.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig } = require('./lib/rig');

const PORT = 18880;
const CAM_PORT = 18854;
const HEVC_PORT = 18855;
const AUDIO_PORT = 18856;
const NAMES = ['front', 'garage', 'garden', 'porch'];
const OUT = path.join(REPO, 'build', 'test-output');

const CONF = `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes 2;
worker_shutdown_timeout 1s;

events {
    worker_connections 1024;
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone   cams 32m;
${NAMES.map((n) => `    rtc_stream ${n} rtsp://127.0.0.1:%%CAMPORT%%/cam;`)
       .join('\n')}
    rtc_stream hevc rtsp://127.0.0.1:${HEVC_PORT}/cam;
    rtc_stream lobby rtsp://viewer:s3cret@127.0.0.1:${AUDIO_PORT}/cam;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /rtc/player/  { rtc_player; }
    }
}
`;


describe('rtc_player', { timeout: 300000 }, () => {
    /*
     * Four streams of one camera connect at once; the camera with
     * credentials has one client (gst-rtsp-server with Basic auth was
     * seen to stop answering OPTIONS with four at once).
     */
    const rig = new Rig({ netns: true, camPort: CAM_PORT, browser: true,
                          cameras: [
        { port: CAM_PORT, gop: 25 },
        { port: AUDIO_PORT, size: '320x180', fps: 10, gop: 10,
          audio: 'opus', user: 'viewer', password: 's3cret' },
        { port: HEVC_PORT, codec: 'h265', size: '320x180', fps: 10 },
    ], nginx: [{ port: PORT, conf: CONF }] });
    let cam;
    let ngx;
    let browser;
    let page;

    before(async () => {
        ({ cam, ngx, browser } = await rig.start());
    });

    after(() => rig.stop());

    const tiles = () => page.evaluate(() => window.rtcTiles());

    /* every H.264 tile decodes frames beyond the counts in "base" */

    function allPlaying(base, what) {
        let last;
        return waitFor(async () => {
            const t = (await tiles()).filter((x) => NAMES.includes(x.name));
            last = t;
            return t.length === NAMES.length
                   && t.every((x, i) => x.state === 'playing'
                                        && x.framesDecoded
                                           > (base ? base[i] : 0) + 10)
                   ? t : null;
        }, 45000, what).catch((err) => {
            err.message += '\ntiles: ' + JSON.stringify(last);
            throw err;
        });
    }

    test('the page, its script and the stream list', async () => {
        const html = await ngx.http('GET', '/rtc/player/');
        assert.equal(html.status, 200);
        assert.match(html.headers['content-type'], /^text\/html/);
        assert.match(html.body, /<script src="player.js">/);

        const js = await ngx.http('GET', '/rtc/player/player.js');
        assert.equal(js.status, 200);
        assert.match(js.headers['content-type'], /javascript/);

        const list = await ngx.http('GET', '/rtc/player/streams.json');
        assert.equal(list.status, 200);
        assert.match(list.headers['content-type'], /^application\/json/);
        assert.equal(list.headers['cache-control'], 'no-store');
        assert.doesNotMatch(list.body, /rtsp:|s3cret|viewer:/);
        const streams = JSON.parse(list.body).streams;
        assert.deepEqual(streams.map((s) => s.name),
                         [...NAMES, 'hevc', 'lobby']);
        assert.equal(streams[0].whep, '/whep/front');

        assert.equal((await ngx.http('GET', '/rtc/player/nope')).status,
                     404);
        assert.equal((await ngx.http('POST', '/rtc/player/', 'x')).status,
                     405);
    });

    test('four tiles play at once; H.265 shows the 406 text', async () => {
        page = await browser.open(ngx.url('/rtc/player/'));

        const t = await allPlaying(null, 'four tiles playing');
        for (const x of t) {
            assert.equal(x.codec, 'video/H264');
            assert.equal(x.width, 640);
            assert.equal(x.height, 360);
        }

        await waitFor(async () => {
            const h = (await tiles()).find((x) => x.name === 'hevc');
            return h && /^406 .*H265/.test(h.error || '') ? h : null;
        }, 30000, 'the H.265 tile showing the server\'s 406');

        /* bitrate shown after a second sample */
        await waitFor(async () => (await tiles())
                      .filter((x) => NAMES.includes(x.name))
                      .every((x) => x.kbps > 0), 10000, 'bitrates');

        fs.mkdirSync(OUT, { recursive: true });
        await page.screenshot({ path: path.join(OUT, 'player-grid.png') });

        const st = await ngx.status();
        assert.equal(st.sessions.filter((s) => NAMES.includes(s.stream))
                       .length, NAMES.length);
    });

    test('a click enlarges a tile, the mute control toggles', async () => {
        await page.click('.tile:nth-child(2) video');
        let t = await tiles();
        assert.equal(t[1].large, true);
        assert.equal(t.filter((x) => x.large).length, 1);

        await page.click('.tile:nth-child(2) video');
        t = await tiles();
        assert.equal(t[1].large, false);

        /* the lobby camera has audio: muted first, the control unmutes */
        const L = NAMES.length + 2;       /* its tile, counted from 1 */
        await waitFor(async () => (await tiles())[L - 1].state === 'playing',
                      30000, 'the lobby tile playing');
        await page.waitForSelector(`.tile:nth-child(${L}) button.mute`,
                                   { state: 'visible', timeout: 15000 });
        assert.equal((await tiles())[L - 1].muted, true);
        await page.click(`.tile:nth-child(${L}) button.mute`);
        t = await tiles();
        assert.equal(t[L - 1].muted, false);
        assert.equal(t[L - 1].large, false, 'the mute click is not a zoom');
        await page.click(`.tile:nth-child(${L}) button.mute`);
        assert.equal((await tiles())[L - 1].muted, true);

        /* a stream without audio has no mute control */
        assert.equal(await page.isVisible('.tile:nth-child(1) button.mute'),
                     false);
    });

    test('tiles play again after nginx -s reload', async () => {
        const base = (await tiles()).filter((x) => NAMES.includes(x.name))
                                    .map((x) => x.framesDecoded);
        const sessions = (await tiles()).map((x) => x.sessions);

        process.kill(ngx.pid(), 'SIGHUP');

        /* the old workers end their sessions after 1 s; tiles reconnect */
        await waitFor(async () => (await tiles())
                      .filter((x) => NAMES.includes(x.name))
                      .every((x, i) => x.sessions > sessions[i]),
                      30000, 'every tile in a new session');
        await allPlaying(base, 'tiles playing after the reload');
    });

    test('tiles play again after the camera restarts', async () => {
        const base = (await tiles()).filter((x) => NAMES.includes(x.name))
                                    .map((x) => x.framesDecoded);

        await cam.kill();
        await cam.start();

        await allPlaying(base, 'tiles playing after the camera restart');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
