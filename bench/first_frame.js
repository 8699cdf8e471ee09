/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The first picture, as a user sees it, and a mid-GOP join: headless
 * Chromium in the test namespace, the real nginx with the built module,
 * t/lib/camera.py.  Run by hand, as root (about 4 min with the defaults):
 *
 *   t/lib/netns.sh node bench/first_frame.js [--joins 20] [--gops 1,4,10]
 *       [--mid 5] [--json FILE]
 *
 * 1. For each GOP (seconds): a 640x360 25 fps camera at 800 kbit/s
 *    ("smpte"), the stream already playing (a first Chromium viewer
 *    watches), then --joins joins one after another, each at a random
 *    moment of the GOP: POST -> 201, ICE connected, peer connection
 *    connected (DTLS done), first decoded frame (requestVideoFrameCallback),
 *    ms from the POST, p50 and p95.
 * 2. Mid-GOP joins (--mid of them): a 4 Mbit/s camera ("snow", so that it
 *    is 4 Mbit/s) with a 4 s GOP; each join 2-3.5 s after a keyframe,
 *    watched 3 s: packets lost at the viewer after retransmissions
 *    (getStats packetsLost / (lost + received)), datagrams the namespace
 *    dropped at full receive buffers (UDP RcvbufErrors, before
 *    retransmissions), and the playout delay over the last second: a
 *    frame's display time less its arrival time, the delay the viewer
 *    adds to the live edge once the catch-up is over.
 *
 * --join-loss N: each join loses the first RTP packets nginx sends it, up
 * to its UDP flow's Nth packet (STUN and DTLS count, and pass), so the
 * start of its first keyframe, which it cannot NACK: what a viewer on a
 * lossy Wi-Fi meets at a join.  An nftables rule in the namespace (nft,
 * conntrack's packet counts); the first viewer's flow is older and loses
 * nothing.  The table then has a PLI column: keyframe requests a join sent.
 *
 * The module is build/'s, or the one env NGX_RTC_MODULE names.
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');

const E2E_LIB = path.join(__dirname, '..', 't', 'e2e', 'lib');
const { Nginx, waitFor, sleep, MODULE } =
    require(path.join(E2E_LIB, 'nginx'));
const { Camera } = require(path.join(E2E_LIB, 'camera'));
const { Browser } = require(path.join(E2E_LIB, 'browser'));
const { join, leave } = require(path.join(E2E_LIB, 'join'));
const lib = require('./lib');


const OPTIONS = {
    '--joins': ['joins', Number],
    '--gops': ['gops', (v) => v.split(',').map(Number)],
    '--mid': ['mid', Number],
    '--join-loss': ['joinLoss', Number],
    '--json': ['json', String],
};


const usage = lib.usage('t/lib/netns.sh node bench/first_frame.js '
                        + '[--joins 20] [--gops 1,4,10] [--mid 5] '
                        + '[--join-loss N] [--json FILE]');


function parseArgs(argv) {
    /* the usage line alone, whatever is wrong */

    return lib.parseOptions(argv, OPTIONS,
                            { joins: 20, gops: [1, 4, 10], mid: 5,
                              joinLoss: 0, json: null },
                            () => usage());
}


async function stream(ngx) {
    return (await ngx.status()).streams.find((s) => s.name === 'cam');
}


/* resolves ms after the camera's next keyframe reached nginx */

async function afterKeyframe(ngx, ms) {
    const k0 = (await stream(ngx)).keyframes_in;
    let st;

    await waitFor(async () => {
        st = await stream(ngx);
        return st.keyframes_in > k0;
    }, 15000, 'a keyframe');

    const frames = st.frames_in + Math.round(ms * 25 / 1000);

    await waitFor(async () => (await stream(ngx)).frames_in >= frames,
                  10000, 'frames after the keyframe');
}


/*
 * --join-loss: conntrack counts from before the first viewer, so that its
 * flow is old when the drop rule comes (the table's ct rule loads
 * conntrack in the namespace, then its packet counts are turned on).  A UDP datagram of more than 300
 * bytes whose first byte says RTP (version 2: DTLS and STUN pass) is
 * dropped while its flow has fewer than N packets.
 */

const NFT_TABLE = 'rtc_first_frame';

function nft(script) {
    require('node:child_process').execFileSync(
        'nft', ['-f', '-'], { input: script,
                              stdio: ['pipe', 'ignore', 'inherit'] });
}

function joinLossTrack() {
    nft(`table inet ${NFT_TABLE} {
    chain in {
        type filter hook input priority 0; policy accept;
        ct state new counter
    }
}
`);
    fs.writeFileSync('/proc/sys/net/netfilter/nf_conntrack_acct', '1');
}

function joinLossDrop(n) {
    nft(`add rule inet ${NFT_TABLE} in meta l4proto udp udp length > 300 `
        + `@th,64,2 2 ct packets < ${n} counter drop\n`);
}

function joinLossEnd() {
    try {
        nft(`delete table inet ${NFT_TABLE}\n`);
    } catch (e) {
        /* not there */
    }
}


async function rig(cam, port, camPort, joinLoss) {
    if (joinLoss) {
        joinLossTrack();
    }

    const c = await new Camera(Object.assign({ port: camPort }, cam)).start();
    const ngx = await new Nginx({ port, camPort, workers: 2 }).start();
    const browser = await Browser.launch();
    const page = await browser.open(ngx.url('/player/whep-player.html'
                                            + '?src=none'));

    /* the stream plays: a first viewer */
    const watcher = await join(page, '/whep/cam');

    if (joinLoss) {
        joinLossDrop(joinLoss);
    }

    return {
        ngx, browser, page, watcher,
        async stop() {
            if (joinLoss) {
                joinLossEnd();
            }
            await browser.close();
            await ngx.stop().catch((e) => process.stderr.write(e.message));
            await c.stop();
        },
    };
}


async function firstFrames(o, gop) {
    const r = await rig({ gop: gop * 25, bitrate: 800, pattern: 'smpte' },
                        19880, 19854, o.joinLoss);
    const joins = [];

    try {
        for (let i = 0; i < o.joins; i++) {
            /* a random moment of the GOP */
            await sleep(200 + Math.random() * gop * 1000);

            const j = await join(r.page, '/whep/cam');
            joins.push(j);
            await leave(r.page, j);
        }
    } finally {
        await r.stop();
    }

    const row = { gop, joins: joins.length };

    for (const k of ['answer', 'ice', 'connected', 'first']) {
        row[k] = { p50: lib.quantile(joins.map((j) => j[k]), 0.5),
                   p95: lib.quantile(joins.map((j) => j[k]), 0.95) };
    }

    row.failed = joins.filter((j) => j.first === null).length;
    row.pli = joins.reduce((a, j) => a + (j.pliCount || 0), 0);

    /* every join's figures, to pool several runs (--json) */
    row.samples = joins.map((j) => ({ answer: j.answer, ice: j.ice,
                                      connected: j.connected,
                                      first: j.first, pli: j.pliCount,
                                      nack: j.nackCount }));

    return row;
}


async function midGop(o) {
    const r = await rig({ gop: 100, bitrate: 4000, pattern: 'snow' },
                        19881, 19855);
    const joins = [];

    try {
        for (let i = 0; i < o.mid; i++) {
            await afterKeyframe(r.ngx, 2000 + Math.random() * 1500);

            const u0 = lib.udpCounters();
            const j = await join(r.page, '/whep/cam', 3000);
            const u1 = lib.udpCounters();

            j.rcvbufErrors = u1.RcvbufErrors - u0.RcvbufErrors;
            j.loss = j.packetsReceived
                     ? j.packetsLost / (j.packetsLost + j.packetsReceived)
                     : null;
            joins.push(j);
            await leave(r.page, j);
        }
    } finally {
        await r.stop();
    }

    return joins.map((j) => ({
        first: j.first, received: j.packetsReceived, lost: j.packetsLost,
        loss: j.loss, rcvbufErrors: j.rcvbufErrors, nacks: j.nackCount,
        playout: j.playout,
    }));
}


function ms(v) {
    return v === null || v === undefined ? '-' : String(Math.round(v));
}


async function main() {
    const o = parseArgs(process.argv.slice(2));

    lib.requireNetns(usage);

    if (o.joinLoss) {
        lib.requireTool(usage, 'nft',
                        '--join-loss needs nft: '
                        + 'apt-get install nftables');
    }

    const out = { module: MODULE, date: new Date().toISOString(),
                  gops: [], mid: [] };

    process.stdout.write(`module ${MODULE}\n\n`
                         + 'POST -> (ms)       answer      ice       '
                         + 'connected   first frame   failed'
                         + (o.joinLoss ? '   PLI' : '') + '\n'
                         + 'GOP  joins        p50  p95   p50  p95   '
                         + 'p50  p95     p50  p95\n');

    for (const gop of o.gops) {
        const row = await firstFrames(o, gop);
        out.gops.push(row);

        process.stdout.write(
            `${String(gop + ' s').padEnd(5)}${String(row.joins).padEnd(11)}`
            + ['answer', 'ice', 'connected', 'first'].map((k) =>
                ms(row[k].p50).padStart(5) + ms(row[k].p95).padStart(5))
              .join(' ')
            + String(row.failed).padStart(9)
            + (o.joinLoss ? String(row.pli).padStart(6) : '') + '\n');
    }

    if (o.mid) {
        process.stdout.write('\nmid-GOP joins, 4 Mbit/s, 4 s GOP, 3 s each\n'
                             + 'first  received  lost  loss%  '
                             + 'RcvbufErrors  NACKs  playout delay\n');

        out.mid = await midGop(o);

        for (const j of out.mid) {
            process.stdout.write(
                ms(j.first).padStart(5)
                + String(j.received).padStart(10)
                + String(j.lost).padStart(6)
                + (j.loss === null ? '-' : (100 * j.loss).toFixed(2))
                  .padStart(7)
                + String(j.rcvbufErrors).padStart(14)
                + String(j.nacks).padStart(7)
                + ms(j.playout).padStart(15) + '\n');
        }
    }

    if (o.json) {
        fs.writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
    }
}


main().catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
});
