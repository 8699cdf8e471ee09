/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Headless Debian Chromium driven by playwright-core.
 *
 *   const { Browser } = require('./lib/browser');
 *   const b = await Browser.launch();
 *   // or Browser.launch({ ignoreHTTPSErrors: true }) for a self-signed
 *   // certificate made by the test
 *   const page = await b.open(url);
 *   const st = await b.waitPlaying(page, 20000);
 *                                 // { framesDecoded, codec, state, ... }
 *   await b.close();
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { waitFor } = require('./nginx');

const CHROMIUM = process.env.TEST_CHROMIUM || '/usr/bin/chromium';

const ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
];


class Browser {

    static async launch(opts) {
        const b = new Browser();
        b.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtc-chromium-'));
        b.context = await chromium.launchPersistentContext(b.dir, {
            executablePath: CHROMIUM,
            headless: true,
            args: ARGS,
            timeout: 30000,
            ignoreHTTPSErrors: !!(opts && opts.ignoreHTTPSErrors),
        });
        b.console = [];
        return b;
    }

    async open(url) {
        const page = await this.context.newPage();
        page.on('console', (m) => {
            this.console.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => this.console.push(`pageerror: ${e}`));
        await page.goto(url, { timeout: 15000, waitUntil: 'load' });
        return page;
    }

    /* the player's window.whepStats() */

    stats(page) {
        return page.evaluate(() => window.whepStats());
    }

    /*
     * Polls the player until a video frame is decoded.  Fails at once on a
     * player error (e.g. the server's 4xx text).
     */

    async waitPlaying(page, deadlineMs) {
        let last = null;

        try {
            return await waitFor(async () => {
                last = await this.stats(page);
                if (last.error) {
                    throw Object.assign(new Error('player: ' + last.error),
                                        { fatal: true });
                }
                /*
                 * Chromium's stats may count a decoded frame before they
                 * give its size (frameWidth 0, framesDecoded 1: seen once
                 * in CI): playing is a frame of a known size.
                 */
                return last.framesDecoded > 0 && last.width > 0 ? last : null;
            }, deadlineMs || 20000, 'a decoded video frame in Chromium');

        } catch (err) {
            err.message += `\nlast stats: ${JSON.stringify(last)}`
                           + `\nconsole:\n${this.console.slice(-20)
                                            .join('\n')}`;
            throw err;
        }
    }

    async close() {
        if (this.context) {
            await this.context.close().catch(() => {});
            this.context = null;
        }
        if (this.dir) {
            fs.rmSync(this.dir, { recursive: true, force: true });
            this.dir = null;
        }
    }
}


module.exports = { Browser, CHROMIUM, ARGS };
