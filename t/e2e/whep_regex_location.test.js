/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * rtc_whep with a variable in a regex location, as docs/directives.md
 * shows it: the session's Location (the request's path and the session
 * id) must fall in the same location, so that DELETE and PATCH reach the
 * endpoint; a regex anchored right after "whep" would send them
 * elsewhere (404).
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor } = require('./lib/nginx');
const { Rig, nginxConf } = require('./lib/rig');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');

const PORT = 20580;
const CAM_PORT = 20554;

const OFFER = withoutCandidates(CHROMIUM_OFFER);
const SDP = { 'Content-Type': 'application/sdp' };

const CONF = nginxConf({
    zone: '8m',
    http: `
    rtc_stream front rtsp://127.0.0.1:%%CAMPORT%%/cam always;`,
    server: `
        location ~ ^/cams/(?<cam>[a-z0-9_-]+)/whep(/[0-9a-f]+)?$ {
            rtc_whep $cam;
        }

        location = /rtc/status { rtc_status; }`,
});


describe('rtc_whep $variable in a regex location', { timeout: 60000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT,
                          nginx: [{ port: PORT, conf: CONF }] });
    let ngx;

    before(async () => {
        ({ ngx } = await rig.start());
    });

    after(() => rig.stop());

    test('POST plays the named stream; DELETE of its Location ends it',
         async () => {
        const r = await ngx.http('POST', '/cams/front/whep', OFFER, SDP);
        assert.equal(r.status, 201, r.body);

        const loc = r.headers.location;
        assert.match(loc, /^\/cams\/front\/whep\/[0-9a-f]{32}$/);

        const st = await ngx.status();
        assert.equal(st.sessions.length, 1);

        const d = await ngx.http('DELETE', loc);
        assert.equal(d.status, 200, d.body);

        /*
         * A DELETE that another worker received is answered once the
         * session is flagged in the zone; its own worker ends it when
         * the flag wakes it: the session leaves the table a moment later
         */

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      5000, 'the session gone after its DELETE');

        const again = await ngx.http('DELETE', loc);
        assert.equal(again.status, 404, again.body);
    });

    test('an unknown name in the path: 404', async () => {
        const r = await ngx.http('POST', '/cams/back/whep', OFFER, SDP);
        assert.equal(r.status, 404, r.body);
    });
});
