/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * TURN: nginx and the viewer cannot reach each other, both reach a TURN
 * server (coturn's turnserver), and the media flows through the relayed
 * candidate that nginx allocates there (rtc_ice_server turn:...
 * username=... credential=...).
 *
 *   test namespace (nginx)      namespace "turn"           namespace "view"
 *   tn 10.88.1.2/24  <------->  nt 10.88.1.1/24
 *   (10.99.0.1, default         turnserver listens on
 *   route into the void)        10.88.1.1:3478,
 *                               relays from 10.88.2.1
 *                               tv 10.88.2.1/24  <------>  vt 10.88.2.2/24
 *                               no IP forwarding           werift viewer
 *
 * The "turn" namespace forwards nothing, so nginx's host candidates
 * (10.99.0.1, 10.88.1.2) and the viewer's (10.88.2.2) never meet: only
 * nginx's relayed candidate 10.88.2.1:491xx can carry the media.  After
 * the DELETE nginx releases the allocation (a Refresh with lifetime 0)
 * before it closes the session's sockets.  Every address lives in the
 * test's namespaces.  Needs t/lib/netns.sh, nsenter
 * and turnserver (Debian package coturn).
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, requireNetns } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { Netns, sh } = require('./lib/ns');
const { TurnServer } = require('./lib/turn');
const whep = require('./lib/whep');

const PORT = 20280;
const CAM_PORT = 20254;

const TURN_IP = '10.88.1.1';
const RELAY_IP = '10.88.2.1';
const VIEWER_IP = '10.88.2.2';
const USER = 'viewer';
const PASSWORD = 's3cret';
const REALM = 'nginx-rtc.test';

const CONF = conf({ workers: 2, http: `
    rtc_udp_ports 47700-47749;
    rtc_ice_server turn:${TURN_IP}:3478?transport=udp
                   username=${USER} credential=${PASSWORD};` });


function candidates(sdp) {
    return sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'))
           .map((l) => {
               const f = l.slice(12).split(' ');
               return { line: l, transport: f[2].toLowerCase(),
                        address: f[4], port: Number(f[5]), type: f[7] };
           });
}


describe('TURN: the media goes through nginx\'s relayed candidate',
         { timeout: 60000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true, nginx: [
        { port: PORT, conf: CONF },
    ] });
    let ngx;
    let relay;
    let view;
    let turn;
    let peer;

    before(async () => {
        requireNetns();

        relay = await Netns.create('turn');
        view = await Netns.create('view');

        await sh('ip', 'link', 'add', 'tn', 'type', 'veth', 'peer', 'name',
                 'nt', 'netns', String(relay.pid));
        await sh('ip', 'addr', 'add', '10.88.1.2/24', 'dev', 'tn');
        await sh('ip', 'link', 'set', 'tn', 'up');

        await relay.run('ip', 'link', 'add', 'tv', 'type', 'veth', 'peer',
                        'name', 'vt', 'netns', String(view.pid));
        await relay.run('ip', 'addr', 'add', `${TURN_IP}/24`, 'dev', 'nt');
        await relay.run('ip', 'addr', 'add', `${RELAY_IP}/24`, 'dev', 'tv');
        await relay.run('ip', 'link', 'set', 'nt', 'up');
        await relay.run('ip', 'link', 'set', 'tv', 'up');
        await relay.run('sysctl', '-q', '-w', 'net.ipv4.ip_forward=0');

        await view.run('ip', 'addr', 'add', `${VIEWER_IP}/24`, 'dev', 'vt');
        await view.run('ip', 'link', 'set', 'vt', 'up');

        /* the TURN server's address, as the Link header gives it */
        await view.run('ip', 'route', 'add', `${TURN_IP}/32`, 'via',
                       RELAY_IP);

        turn = await new TurnServer(relay, {
            listen: TURN_IP, relay: RELAY_IP, user: USER,
            password: PASSWORD, realm: REALM,
        }).start();

        await rig.start();
        ngx = rig.ngx;
    });

    after(async () => {
        if (peer) {
            peer.end();
        }
        try {
            await rig.stop();
        } finally {
            if (turn) {
                await turn.stop();
            }
            for (const n of [view, relay]) {
                if (n) {
                    await n.stop();
                }
            }
        }
    });

    test('a viewer with no route to nginx plays through the relay',
         async () => {
        /* no way around the relay */
        await assert.rejects(view.run('ip', 'route', 'get', '10.88.1.2'),
                             /unreachable/);
        assert.equal((await relay.run('sysctl', '-n',
                                      'net.ipv4.ip_forward')).trim(), '0');

        peer = view.viewer();

        const offer = await peer.offered();

        assert.ok(candidates(offer).some((c) => c.address === VIEWER_IP),
                  offer);

        const r = await whep.post(ngx, '/whep/cam', offer);
        assert.equal(r.status, 201, r.body);

        /* the answer waited for the allocation */
        const ours = candidates(r.body);
        const relayed = ours.filter((c) => c.type === 'relay');

        assert.ok(relayed.length > 0,
                  `a relayed candidate:\n${r.body}\nturnserver:\n`
                  + turn.log());
        assert.ok(relayed.every((c) => c.address === RELAY_IP
                                       && c.transport === 'udp'),
                  relayed.map((c) => c.line).join('\n'));
        assert.ok(ours.some((c) => c.type === 'host'), r.body);

        /* clients are told about the server, with its credentials */
        assert.deepEqual(whep.links(r.headers), [{
            url: `turn:${TURN_IP}:3478?transport=udp`, username: USER,
            credential: PASSWORD, credentialType: 'password',
        }], r.headers.link);

        peer.answer(r.body);

        await peer.playing('H.264 through the relay').catch((err) => {
            err.message += `\nturnserver:\n${turn.log()}`;
            throw err;
        });
        const last = peer.last;

        /* the nominated pair's remote end is nginx's relayed candidate */
        assert.ok(relayed.some((c) => `${c.address}:${c.port}`
                                      === last.remote),
                  `nominated ${last.remote}, relayed `
                  + relayed.map((c) => c.port).join(','));

        /* the allocation, by the static user, in the realm */
        const log = turn.log();
        assert.ok(log.includes(`realm <${REALM}> user <${USER}>: incoming `
                               + 'packet ALLOCATE processed, success'), log);
        assert.ok(log.includes(`user <${USER}>: incoming packet `
                               + 'CREATE_PERMISSION processed, success'), log);

        const st = await ngx.status();
        assert.equal(st.sessions.length, 1);
        assert.equal(st.sessions[0].state, 'media');

        /* a relayed pair: media goes through libnice, which frames it */
        await waitFor(async () => {
            const s = (await ngx.status()).sessions[0];
            return s && s.packets_sent > 0;
        }, 5000, 'packets_sent in /rtc/status');
        assert.equal((await ngx.status()).sessions[0].send, 'nice');

        /* the agent's sockets, on rtc_udp_ports */
        const bound = /:477[0-4]\d\s/;
        assert.match(await sh('ss', '-uan'), bound);

        const d = await ngx.http('DELETE', r.headers.location);
        assert.equal(d.status, 200);
        peer.end();

        await waitFor(async () => (await ngx.status()).sessions.length === 0,
                      10000, 'no sessions');

        /*
         * The allocation released (a Refresh with lifetime 0), not left
         * to expire on the server, then the agent freed: its sockets in
         * rtc_udp_ports closed
         */

        await waitFor(() => turn.log().includes(
                                `refreshed, realm=<${REALM}>, `
                                + `username=<${USER}>, lifetime=0\n`),
                      10000, 'the allocation released');

        await waitFor(async () => !bound.test(await sh('ss', '-uan')),
                      10000, 'the agent\'s UDP sockets closed');

        assert.doesNotMatch(ngx.logText(), /alive TURN refreshes/);
    });

    test('error.log is clean', () => {
        rig.checkLogs();
    });
});
