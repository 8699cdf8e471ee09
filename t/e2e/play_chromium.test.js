/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Chromium plays an H.264 camera through nginx (4 workers) with the
 * example player page: frames decoded, codec video/H264, the session in
 * /rtc/status; after Stop (DELETE) and after the page closes (pagehide),
 * the stream is back to 0 viewers.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig } = require('./lib/rig');

const PORT = 18180;
const CAM_PORT = 18654;


function camStream(st) {
    return st.streams.find((s) => s.name === 'cam');
}


describe('Chromium plays H.264', { timeout: 300000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT, browser: true,
                          nginx: [{ port: PORT, workers: 4 }] });
    let ngx;
    let browser;

    before(async () => {
        ({ ngx, browser } = await rig.start());
    });

    after(() => rig.stop());

    const player = () => ngx.url('/player/whep-player.html?src=/whep/cam');

    test('plays, shows in status, Stop ends the session', async () => {
        const page = await browser.open(player());
        const st = await browser.waitPlaying(page, 20000);

        assert.ok(st.framesDecoded > 0);
        assert.equal(st.codec, 'video/H264');
        assert.equal(st.width, 640);
        assert.equal(st.height, 360);
        assert.match(st.session || '',
                     new RegExp(`/whep/cam/[0-9a-f]{32}$`));

        const status = await ngx.status();
        const s = camStream(status);
        assert.equal(s.viewers, 1);
        assert.match(s.codec || '', /264/i);
        assert.ok(s.frames_in > 0);
        assert.equal(status.sessions.length, 1);
        assert.equal(status.sessions[0].stream, 'cam');
        /* a prefix of the id only: the full id is what a DELETE needs */
        assert.equal(status.sessions[0].id,
                     st.session.split('/').pop().slice(0, 8));

        /* more frames keep coming */
        const before = st.framesDecoded;
        await waitFor(async () =>
            (await browser.stats(page)).framesDecoded >= before + 25,
            10000, '25 more decoded frames');

        await page.click('#stop');
        await ngx.waitNoViewers('cam', '0 viewers after Stop (DELETE)');
        await page.close();
    });

    test('closing the page ends the session', async () => {
        const page = await browser.open(player());
        await browser.waitPlaying(page, 20000);

        assert.equal(camStream(await ngx.status()).viewers, 1);

        await page.close({ runBeforeUnload: true });
        await ngx.waitNoViewers('cam', '0 viewers after the page closed');
    });

    test('two pages at once, then none', async () => {
        const a = await browser.open(player());
        const b = await browser.open(player());

        await browser.waitPlaying(a, 20000);
        await browser.waitPlaying(b, 20000);

        const st = await ngx.status();
        assert.equal(camStream(st).viewers, 2);
        assert.equal(st.sessions.length, 2);

        await a.close({ runBeforeUnload: true });
        await b.close({ runBeforeUnload: true });
        await ngx.waitNoViewers('cam', '0 viewers after both pages closed');
    });

    test('error.log is clean so far', () => {
        ngx.checkLog();
    });
});
