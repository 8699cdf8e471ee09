/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_ice_allow / rtc_ice_deny (issue 8, point 11): no viewer can make
 * nginx send connectivity checks to an address the list denies.  With the
 * test namespace's network (10.99.0.0/24) denied, the offer is answered
 * (the client may have other candidates, or come through a NAT) but its
 * host candidate is skipped, and the pair it then forms from its own
 * checks (peer-reflexive) is refused: no media, the session closes.  With
 * that one address allowed before "deny all", the viewer plays.  A
 * candidate trickled with PATCH is filtered the same way.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const nginx = require('./lib/nginx');
const { Viewer } = require('./lib/werift');
const { Rig, conf } = require('./lib/rig');
const whep = require('./lib/whep');

const { Nginx, waitFor } = nginx;

const PORT = 19485;
const CAM_PORT = 19895;


/* the error.log line of a denied remote address */

function denied(addr, pair) {
    return new RegExp(`rtc ice: ${pair ? 'selected pair\'s ' : ''}remote `
                      + `address ${addr.replace(/\./g, '\\.')} denied by `
                      + 'rtc_ice_deny');
}


describe('rtc_ice_allow, rtc_ice_deny', { timeout: 60000 }, () => {
    const rig = new Rig({ netns: true, camPort: CAM_PORT,
                          camera: { size: '320x180', fps: 25, gop: 25 } });

    before(() => rig.start());

    after(() => rig.stop());

    function withNginx(http, fn) {
        return nginx.withNginx({ port: PORT, camPort: CAM_PORT,
                                 conf: conf({ workers: 2, http }) }, fn);
    }

    test('denied: offer and trickled candidates skipped', async () => {
        await withNginx('rtc_ice_deny 10.99.0.0/24;\n'
                        + '    rtc_ice_deny 192.168.0.0/16;', async (ngx) => {
            /* the answer is never applied: no checks, the session stays */
            const v = new Viewer(ngx, '/whep/cam', { name: 'offer-only' });

            try {
                const sdp = await v.offer();
                const r = await whep.post(ngx, '/whep/cam', sdp);

                assert.equal(r.status, 201, r.body);
                assert.match(ngx.logText(), denied('10.99.0.1'));

                v.session = new URL(r.headers.location,
                                    ngx.url('/whep/cam')).pathname;

                const ice = whep.iceOf(sdp);
                ice.candidates = ['candidate:7 1 UDP 2122260223 192.168.7.7 '
                                  + '40000 typ host'];

                const p = await whep.patch(ngx, v.session,
                                           whep.fragment(ice));
                assert.equal(p.status, 204, p.body);
                assert.match(ngx.logText(), denied('192.168.7.7'));
            } finally {
                await v.close();
            }
        });
    });

    test('denied network: the peer-reflexive pair is refused, no media',
         async () => {
        await withNginx('rtc_ice_deny 10.99.0.0/24;', async (ngx) => {
            const v = new Viewer(ngx, '/whep/cam', { name: 'denied' });

            try {
                const r = await v.connectRetry(20000);
                assert.equal(r.status, 201);

                /* its checks come from 10.99.0.1 all the same */

                await waitFor(() => denied('10.99.0.1', true)
                                    .test(ngx.logText()),
                              15000, 'the selected pair refused');

                await waitFor(async () => {
                    const s = await ngx.status();
                    return s.sessions.length === 0;
                }, 15000, 'the session closed');

                assert.equal(v.packets, 0, 'no RTP reached the viewer');
            } finally {
                await v.close();
            }
        });
    });

    test('allowed before "deny all": plays', async () => {
        await withNginx('rtc_ice_allow 10.99.0.1;\n    rtc_ice_deny all;',
                        async (ngx) => {
            const v = new Viewer(ngx, '/whep/cam', { name: 'allowed' });

            try {
                await v.connectRetry(20000);
                await v.waitKeyframe(20000);
                await v.waitPackets(50, 20000);
            } finally {
                await v.close();
            }

            assert.doesNotMatch(ngx.logText(), /denied by rtc_ice_deny/);
        });
    });

    test('invalid address: configuration error', async () => {
        const ngx = new Nginx({ port: PORT, camPort: CAM_PORT,
                                conf: conf({
                                    http: 'rtc_ice_deny 10.99.0.300;' }),
                                allowLog: [/\[emerg\]/] });

        await assert.rejects(ngx.start(5000),
                             /invalid parameter "10\.99\.0\.300"/);
        await ngx.stop();
    });
});
