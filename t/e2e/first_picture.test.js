/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The first picture needs one DTLS round trip.  Chromium sends its
 * ClientHello the moment its own ICE check succeeds, often before our
 * agent has selected the pair: the flight that answers it must go out as
 * soon as the pair is there, not after OpenSSL's 1 s retransmission
 * timer.  Several joins in a row; for each session the log must show
 * the handshake done without our timer resending a flight.  Needs
 * t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Rig } = require('./lib/rig');
const { Browser } = require('./lib/browser');
const { join, leave } = require('./lib/join');

const JOINS = 5;

/* the session's INFO line when DTLS is done */
const MEDIA = new RegExp('media starts, DTLS: ClientHellos: (\\d+), '
                         + 'flights held for ICE: (\\d+), '
                         + 'resent by the timer: (\\d+)');


/* the log lines of one session, by its id in the log context */

function sessionLines(log, id) {
    return log.split('\n').filter((l) => l.includes(`session: ${id}`));
}


describe('first picture: DTLS in one round trip', { timeout: 120000 }, () => {
    const rig = new Rig({ camPort: 19654, netns: true,
                          camera: { gop: 25 },
                          nginx: [{ port: 19680, workers: 1,
                                    }] });
    let browser;

    before(async () => {
        await rig.start();
        browser = await Browser.launch();
    });

    after(async () => {
        try {
            if (browser) {
                await browser.close();
            }
        } finally {
            await rig.stop();
        }
    });

    test(`${JOINS} Chromium joins, no flight resent by the timer`,
         async () => {
        const page = await browser.open(
            rig.ngx.url('/player/whep-player.html'));
        const joins = [];

        for (let i = 0; i < JOINS; i++) {
            const j = await join(page, '/whep/cam');
            joins.push(j);

            assert.ok(j.connected !== undefined, 'peer connection connected');
            assert.ok(j.first !== null, 'a decoded frame');
            await leave(page, j);
        }

        const log = rig.ngx.logText();
        let held = 0;
        let hellos = 0;

        for (const j of joins) {
            const lines = sessionLines(log, j.session);

            const m = lines.map((l) => l.match(MEDIA)).find((x) => x);

            assert.ok(m, `session ${j.session}: media started`);
            assert.equal(Number(m[3]), 0,
                         `session ${j.session}: no flight resent by the `
                         + `1 s timer (${m[0]}; POST to connected: `
                         + `${Math.round(j.connected)} ms)`);

            hellos += Number(m[1]);
            held += Number(m[2]);
        }

        process.stderr.write(`# ${JOINS} joins, ${hellos} ClientHellos, `
                             + `${held} answer(s) held until ICE had its `
                             + 'pair; POST to connected (ms): '
                             + joins.map((j) => Math.round(j.connected))
                                    .join(' ') + '\n');
        await page.close();
    });

    test('error.log is clean', () => {
        rig.checkLogs();
    });
});
