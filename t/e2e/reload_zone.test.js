/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A reload to another zone (its size changed) and a graceful stop, with
 * viewers playing: no new worker writes the old zone's rings, so the old
 * workers' viewers used to keep a frozen picture until
 * worker_shutdown_timeout (60 s here), and their DELETE, answered by a
 * new worker from its own zone, was a 404.  The old workers end them at
 * once now (DTLS close_notify, which Chromium shows on the DTLS
 * transport, not in the connection state), and the players, the
 * example page and the module's rtc_player, join again by themselves and
 * play from the new zone: new sessions, in the new zone's status.  A
 * graceful stop ends its viewers the same way.  An offer may reach an
 * old worker on a connection Chromium opened before the reload (it does,
 * often: a preconnected socket); it gets a 503, and the player's retry a
 * new worker.  (A reload that keeps the zone keeps its viewers
 * playing: reload.test.js.)  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');

const PORT = 18697;
const CAM_PORT = 18669;

const CLOSING = new RegExp('rtc zone not used by a newer configuration '
                           + "\\(a stop, or a reload to another rtc_zone\\): "
                           + "closing this worker's sessions");

function conf(zone) {
    return nginxConf({
        workers: 2, zone, shutdown: '60s',
        http: `
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam;`,
        server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }
        location /rtc/player/  { rtc_player; }`,
    });
}


describe('a reload to another zone, a graceful stop', { timeout: 120000 },
         () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, camera: { gop: 25 },
                          browser: true,
                          nginx: [{ port: PORT, conf: conf('16m') }] });
    let ngx;
    let browser;

    before(async () => {
        ({ ngx, browser } = await rig.start());
    });

    after(() => rig.stop());

    async function play() {
        const page = await browser.open(
            ngx.url('/player/whep-player.html?src=/whep/cam'));
        await browser.waitPlaying(page, 20000);
        return page;
    }

    test('the players join again, from the new zone', async () => {
        const page = await play();
        const first = await browser.stats(page);

        /* the module's own player (rtc_player), a tile of the stream */

        const grid = await browser.open(ngx.url('/rtc/player/?stream=cam'));
        const tile = async () => (await grid.evaluate(
            () => window.rtcTiles())).find((t) => t.name === 'cam');
        const before = await waitFor(async () => {
            const t = await tile();
            return t && t.state === 'playing' ? t : null;
        }, 20000, 'the rtc_player tile playing');

        fs.writeFileSync(path.join(ngx.dir, 'nginx.conf'),
                         ngx.render(conf('24m')));
        process.kill(ngx.pid(), 'SIGHUP');

        /*
         * The old worker ends the session (close_notify), the player
         * joins again and plays: a new session, from a new worker
         */

        const again = await waitFor(async () => {
            const s = await browser.stats(page);
            return s.ended === 1 && s.session && s.session !== first.session
                   && s.framesDecoded > 0 && s.width > 0 ? s : null;
        }, 20000, 'the player playing again after the reload');

        assert.equal(again.error, null);
        assert.ok(CLOSING.test(ngx.logText()), 'the notice in error.log');

        const t = await waitFor(async () => {
            const x = await tile();
            return x.reconnects === 1 && x.state === 'playing'
                   && x.session && x.session !== before.session ? x : null;
        }, 20000, 'the rtc_player tile playing again after the reload');
        assert.equal(t.error, null);

        const st = await ngx.status();
        assert.equal(st.zone.size, 24 * 1024 * 1024, 'the new zone');
        assert.equal(st.sessions.length, 2, 'the sessions in the new zone');
        /* the status page shows the first 8 digits of a session's id */
        for (const url of [again.session, t.session]) {
            const id = url.split('/').pop();
            assert.ok(st.sessions.some((x) => id.startsWith(x.id)),
                      `session ${id} in the new zone`);
        }
    });

    test('a graceful stop ends the viewer at once', async () => {
        const page = browser.context.pages()
                     .find((p) => p.url().includes('/player/whep-player'));
        const t0 = Date.now();

        process.kill(ngx.pid(), 'SIGQUIT');

        /* not after worker_shutdown_timeout (60 s) */

        await waitFor(async () => (await browser.stats(page)).ended === 2,
                      10000, 'the session ended by the server');
        assert.ok(Date.now() - t0 < 10000);
    });
});
