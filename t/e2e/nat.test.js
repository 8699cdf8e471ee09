/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * nginx behind a NAT: a viewer on the "public" side reaches it through the
 * NAT's address, which nginx learns from a STUN server (rtc_ice_server)
 * and puts in its answer as a server-reflexive candidate.
 *
 *   test namespace (nginx)       namespace "nat"            namespace "pub"
 *   na 192.168.77.2/24  <----->  nb 192.168.77.1/24
 *   fd77::2/64                   bc 10.77.0.1/24   <----->  cb 10.77.0.2/24
 *                                masquerade out of bc,      STUN server :3478
 *                                forward: out, and back     werift viewer
 *                                established only
 *
 * The viewer has no route to 192.168.77.0/24 or 10.99.0.0/24: only the
 * server-reflexive address 10.77.0.1 (or a peer-reflexive twin of it) can
 * carry the media.  The NAT forwards nothing that nginx did not send to
 * first (Linux conntrack), as most home routers do.  Also here: IPv6 host
 * candidates, the bounded wait for candidates (an unreachable STUN server)
 * and ICE-TCP candidates (rtc_ice_tcp).  Every address lives in the test's
 * namespaces.  Needs t/lib/netns.sh, nft and nsenter.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { waitFor, requireNetns, REPO } = require('./lib/nginx');
const { Rig, conf } = require('./lib/rig');
const { Netns, sh } = require('./lib/ns');
const { CHROMIUM_OFFER, withoutCandidates } = require('./lib/sdp');
const whep = require('./lib/whep');

const PORT = 19980;
const PORT2 = 19981;
const CAM_PORT = 19954;

const SDP = { 'Content-Type': 'application/sdp' };

const NFT = `
table ip nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "bc" masquerade
    }
}
table ip filter {
    chain forward {
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "nb" oifname "bc" accept
    }
}
`;

const CONF = conf({ workers: 2, http: `
    rtc_udp_ports 47600-47649;
    rtc_ice_server stun:10.77.0.2:3478;` });

/* ICE-TCP, and a STUN server that never answers */
const CONF_TCP = conf({ workers: 2, http: `
    rtc_udp_ports 47650-47699;
    rtc_ice_tcp on;
    rtc_ice_server stun:10.77.0.99;` });


function candidates(sdp) {
    return sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'))
           .map((l) => {
               const f = l.slice(12).split(' ');
               const c = { line: l, transport: f[2].toLowerCase(),
                           address: f[4], port: Number(f[5]), type: f[7] };
               const t = l.match(/ tcptype (\S+)/);
               c.tcptype = t ? t[1] : null;
               return c;
           });
}


describe('nginx behind a NAT, STUN, IPv6, ICE-TCP', { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: CAM_PORT, netns: true, nginx: [
        { port: PORT, conf: CONF },
        { port: PORT2, conf: CONF_TCP },
    ] });
    let ngx;
    let ngx2;
    let nat;
    let pub;
    let peer;
    let stunLog = '';

    before(async () => {
        requireNetns();

        nat = await Netns.create('nat');
        pub = await Netns.create('pub');

        await sh('ip', 'link', 'add', 'na', 'type', 'veth', 'peer', 'name',
                 'nb', 'netns', String(nat.pid));
        await sh('ip', 'addr', 'add', '192.168.77.2/24', 'dev', 'na');
        await sh('ip', '-6', 'addr', 'add', 'fd77::2/64', 'dev', 'na',
                 'nodad');
        await sh('ip', 'link', 'set', 'na', 'up');
        await sh('ip', 'route', 'add', '10.77.0.0/24', 'via', '192.168.77.1');

        await nat.run('ip', 'link', 'add', 'bc', 'type', 'veth', 'peer',
                      'name', 'cb', 'netns', String(pub.pid));
        await nat.run('ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'nb');
        await nat.run('ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'bc');
        await nat.run('ip', 'link', 'set', 'nb', 'up');
        await nat.run('ip', 'link', 'set', 'bc', 'up');
        await nat.run('ip', 'route', 'add', '10.99.0.0/24', 'via',
                      '192.168.77.2');
        await nat.run('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');

        const nft = nat.spawn('nft', ['-f', '-']);
        nft.stdin.end(NFT);
        await new Promise((resolve, reject) => nft.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`nft: ${code}`))));

        await pub.run('ip', 'addr', 'add', '10.77.0.2/24', 'dev', 'cb');
        await pub.run('ip', 'link', 'set', 'cb', 'up');

        const stun = pub.spawn(process.execPath, [
            path.join(REPO, 't', 'e2e', 'lib', 'stun_server.js'),
            '10.77.0.2', '3478']);
        stun.stderr.on('data', (c) => { stunLog += c; });

        await new Promise((resolve, reject) => {
            stun.stdout.on('data', (c) => {
                if (/READY/.test(String(c))) {
                    resolve();
                }
            });
            stun.once('exit', (code) =>
                reject(new Error(`STUN server exited: ${code}`)));
        });

        await rig.start();
        [ngx, ngx2] = rig.nginx;
    });

    after(async () => {
        if (peer) {
            peer.end();
        }
        try {
            await rig.stop();
        } finally {
            for (const n of [pub, nat]) {
                if (n) {
                    await n.stop();
                }
            }
        }
    });

    test('a viewer on the public side plays through the NAT', async () => {
        peer = pub.viewer();

        const offer = await peer.offered();

        const mine = candidates(offer);
        assert.ok(mine.some((c) => c.address === '10.77.0.2'),
                  'the viewer gathered its public address');

        /*
         * The offer without its candidates, trickled after the answer: a
         * check nginx sent first would reveal the NAT's address as a
         * peer-reflexive candidate, and libnice prunes the STUN server's
         * twin of it.
         */

        const ice = whep.iceOf(offer);
        const r = await whep.post(ngx, '/whep/cam', withoutCandidates(offer));
        assert.equal(r.status, 201, r.body);

        const ours = candidates(r.body);
        const srflx = ours.filter((c) => c.type === 'srflx');

        assert.ok(srflx.length > 0, `server-reflexive candidates:\n${r.body}`
                                    + `\nSTUN server: ${stunLog}`);
        assert.ok(srflx.every((c) => c.address === '10.77.0.1'),
                  'the NAT\'s address');
        assert.ok(ours.some((c) => c.type === 'host'
                                   && c.address === '192.168.77.2'));
        assert.ok(ours.some((c) => c.type === 'host'
                                   && c.address === 'fd77::2'),
                  'an IPv6 host candidate');
        assert.ok(ours.every((c) => !/^fe80:/i.test(c.address)),
                  'no link-local address');

        peer.answer(r.body);

        const p = await whep.patch(ngx, r.headers.location,
                                   whep.fragment(ice), r.headers.etag);
        assert.equal(p.status, 204, p.body);

        await peer.playing('media through the NAT');
        const last = peer.last;

        /* the media came from the NAT's public address */
        assert.match(last.remote || '', /^10\.77\.0\.1:\d+$/,
                     JSON.stringify(last));
        assert.ok(srflx.some((c) => `${c.address}:${c.port}`
                                    === last.remote),
                  `nominated ${last.remote}, srflx `
                  + srflx.map((c) => c.port).join(','));

        const st = await ngx.status();
        assert.equal(st.sessions.length, 1);
        assert.equal(st.sessions[0].state, 'media');

        const d = await ngx.http('DELETE', r.headers.location);
        assert.equal(d.status, 200);
        peer.end();
    });

    test('an unreachable STUN server: the answer still comes, bounded',
         async () => {
        const offer = withoutCandidates(CHROMIUM_OFFER);
        let r = await whep.post(ngx2, '/whep/cam', offer);

        if (r.status === 201) {
            await ngx2.http('DELETE', r.headers.location);
        }

        const t0 = Date.now();
        r = await ngx2.http('POST', '/whep/cam', offer, SDP);
        const ms = Date.now() - t0;

        assert.equal(r.status, 201, r.body);

        /* libnice gives up on the server after about 2 s */
        assert.ok(ms >= 1000 && ms < 4000, `answered in ${ms} ms`);
        assert.ok(candidates(r.body).every((c) => c.type !== 'srflx'));

        await ngx2.http('DELETE', r.headers.location);
    });

    test('rtc_ice_tcp on: passive TCP candidates in the answer', async () => {
        const r = await ngx2.http('POST', '/whep/cam',
                                  withoutCandidates(CHROMIUM_OFFER), SDP);
        assert.equal(r.status, 201, r.body);

        const tcp = candidates(r.body).filter((c) => c.transport === 'tcp');
        const passive = tcp.filter((c) => c.tcptype === 'passive');

        assert.ok(passive.length > 0, r.body);
        assert.ok(passive.every((c) => c.port >= 47650 && c.port <= 47699),
                  'rtc_udp_ports applies to ICE-TCP: '
                  + passive.map((c) => c.port).join(','));
        assert.ok(candidates(r.body).some((c) => c.transport === 'udp'));

        const d = await ngx2.http('DELETE', r.headers.location);
        assert.equal(d.status, 200);
    });

    test('error.logs are clean', async () => {
        await waitFor(async () => (await ngx.status()).sessions.length === 0
                                  && (await ngx2.status()).sessions.length
                                     === 0,
                      10000, 'no sessions');
        rig.checkLogs();
    });
});
