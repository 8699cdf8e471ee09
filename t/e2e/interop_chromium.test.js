/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Chromium as a WHEP client beyond the plain offer/answer: the example
 * player with trickle=1 POSTs its offer before gathering and PATCHes its
 * candidates (204), restarts ICE through a PATCH (200, new credentials,
 * media goes on), and DELETEs (200).  Then ICE-TCP: with UDP to nginx's
 * ports dropped (nft, in the test's namespace), Chromium connects to a
 * passive TCP candidate (rtc_ice_tcp on).  4 workers.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { Browser } = require('./lib/browser');
const { sh } = require('./lib/ns');

const PORT = 19680;
const PORT_TCP = 19681;
const CAM_PORT = 19654;

const TCP_PORTS = '47700-47749';

const CONF = conf({ listen: ' reuseport',
                    http: 'rtc_udp_ports 47650-47699;' });

const CONF_TCP = conf({ http: `rtc_udp_ports ${TCP_PORTS}; rtc_ice_tcp on;` });

/* UDP to and from the ICE-TCP instance's ports is dropped */
const NFT_TABLE = 'nginx_rtc_interop_tcp';
const NFT = `
table inet ${NFT_TABLE} {
    chain output {
        type filter hook output priority 0; policy accept;
        udp dport ${TCP_PORTS} drop
        udp sport ${TCP_PORTS} drop
    }
}
`;


function camStream(st) {
    return st.streams.find((s) => s.name === 'cam');
}


describe('Chromium: trickle, ICE restart, DELETE, ICE-TCP',
         { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;
    let ngxTcp;
    let browser;
    let nft = false;

    before(async () => {
        await rig.start();
        ngx = rig.ngx;
        browser = await Browser.launch();
    });

    after(async () => {
        if (nft) {
            await sh('nft', 'delete', 'table', 'inet', NFT_TABLE)
                  .catch(() => {});
        }
        if (browser) {
            await browser.close();
        }
        await rig.stop();
    });

    test('trickle PATCH, ICE restart, DELETE', async () => {
        const page = await browser.open(
            ngx.url('/player/whep-player.html?src=/whep/cam&trickle=1'));
        let st = await browser.waitPlaying(page, 20000);

        assert.equal(st.codec, 'video/H264');
        assert.equal(st.trickle, true);
        assert.equal(st.offerCandidates, 0, 'the offer went out bare');

        await waitFor(async () => {
            st = await browser.stats(page);
            return st.patches.length >= 1 ? st : null;
        }, 10000, 'trickle PATCH requests');

        assert.ok(st.patches.every((s) => s === 204),
                  `PATCH statuses ${st.patches}`);
        assert.match(st.etag, /^"[0-9a-f]{32}-0"$/);

        const ufrag = st.localUfrag;

        /* ICE restart */
        const status = await page.evaluate(() => window.whepRestartIce());
        assert.equal(status, 200);

        st = await browser.stats(page);
        assert.match(st.etag, /^"[0-9a-f]{32}-1"$/, 'a new ETag');

        const frames = st.framesDecoded;
        await waitFor(async () => {
            st = await browser.stats(page);
            return st.iceState === 'connected'
                   && st.framesDecoded >= frames + 50
                   && (!ufrag || (st.localUfrag && st.localUfrag !== ufrag));
        }, 15000, 'frames after the ICE restart');

        assert.match(ngx.logText(), /rtc ice: restart/);

        const status2 = await ngx.status();
        assert.equal(status2.sessions.length, 1);

        /* Stop: DELETE */
        await page.click('#stop');
        await waitFor(async () => (await browser.stats(page)).deleted,
                      5000, 'the DELETE');
        assert.equal((await browser.stats(page)).deleted, 200);

        await waitFor(async () => {
            const s = await ngx.status();
            return camStream(s).viewers === 0 && s.sessions.length === 0;
        }, 10000, '0 viewers after Stop');

        await page.close();
    });

    test('ICE-TCP when UDP is blocked', async () => {
        ngxTcp = await rig.add({ port: PORT_TCP, conf: CONF_TCP });

        const p = require('node:child_process').spawn('nft', ['-f', '-']);
        p.stdin.end(NFT);
        await new Promise((resolve, reject) => p.once('exit', (c) =>
            c === 0 ? resolve() : reject(new Error(`nft exited ${c}`))));
        nft = true;

        const page = await browser.open(
            ngxTcp.url('/player/whep-player.html?src=/whep/cam'));
        const st = await browser.waitPlaying(page, 30000);

        assert.equal(st.protocol, 'tcp', JSON.stringify(st));

        await page.click('#stop');
        await waitFor(async () => (await ngxTcp.status()).sessions.length
                                  === 0, 10000, '0 sessions');
        await page.close();

        await sh('nft', 'delete', 'table', 'inet', NFT_TABLE);
        nft = false;
    });

    test('error.logs are clean', () => {
        rig.checkLogs();
    });
});
