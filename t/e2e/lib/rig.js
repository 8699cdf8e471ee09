/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * What a test file runs: its camera(s), nginx instance(s), browser,
 * viewers, temporary directories and servers of its own, started in
 * before() and all stopped in after(), whatever failed in between.
 *
 *   const { Rig, conf } = require('./lib/rig');
 *   const rig = new Rig({ camPort: 19554, netns: true, nginx: [
 *       { port: 19580, workers: 2 },
 *       { port: 19581, conf: conf({ http: 'rtc_ice_tcp on;' }) },
 *   ] });
 *   before(() => rig.start());
 *   after(() => rig.stop());
 *   rig.ngx                     // the first nginx; rig.nginx[i] each
 *
 * Others: rig.cam (the first camera; rig.cams each), rig.browser
 * (browser: true), rig.addCamera(), rig.launchBrowser(), rig.track(v)
 * (a viewer closed first), rig.tmpdir(prefix) (removed last),
 * rig.defer(fn) (a clean-up of the test's own, last).
 *
 * nginxConf() (of lib/nginx.js, exported here too) is an nginx.conf
 * template with the parts a test writes; conf() one with the default
 * stream "cam", /whep/, /rtc/status and /player/, and room for more:
 * http (directives of the http block), server (of the server block),
 * listen (after the listen address), workers.
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Nginx, nginxConf, requireNetns } = require('./nginx');
const { Camera } = require('./camera');


/* nginxConf() with the default stream and locations, 4 workers */

function conf(o) {
    const opts = Object.assign({ workers: 4, http: '', server: '' }, o || {});

    return nginxConf(Object.assign({}, opts, {
        shutdown: true,
        http: `
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam;

    ${opts.http}`,
        server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }

        ${opts.server}`,
    }));
}


class Rig {

    /*
     * opts: netns (the file needs t/lib/netns.sh); camPort, camera (Camera
     * options beyond the port; false: no camera) or cameras (a list of
     * Camera options, each with its port); cameraClass (Camera, or
     * RtspCamera of lib/rtsp); nginx (options of each Nginx, camPort
     * filled in); browser (true, or Browser.launch() options).  The
     * cameras and the browser start together, then each nginx in turn.
     */

    constructor(opts) {
        this.opts = opts || {};
        this.cams = [];
        this.nginx = [];
        this.browser = null;
        this.viewers = [];
        this.cleanups = [];
    }

    get cam() {
        return this.cams[0] || null;
    }

    get ngx() {
        return this.nginx[0];
    }

    async start() {
        const o = this.opts;

        if (o.netns) {
            requireNetns();
        }

        const cams = o.cameras
                     || (o.camera === false
                         ? []
                         : [Object.assign({ port: o.camPort }, o.camera)]);

        const started = await Promise.allSettled(
            cams.map((c) => this.addCamera(c)).concat(
                o.browser ? [this.launchBrowser(o.browser)] : []));

        for (const r of started) {
            if (r.status === 'rejected') {
                throw r.reason;
            }
        }

        for (const n of o.nginx || []) {
            await this.add(n);
        }

        return this;
    }

    /*
     * one more camera (h264 unless said), stopped with the others; Cls:
     * its class if not opts.cameraClass (e.g. lib/rtsp's HostileCamera)
     */

    addCamera(o, Cls) {
        Cls = Cls || this.opts.cameraClass || Camera;
        const c = new Cls(Object.assign({ codec: 'h264' }, o));
        this.cams.push(c);
        return c.start();
    }

    /*
     * one more nginx, stopped with the others; o: Nginx options and
     * startMs (how long it may take to listen)
     */

    async add(o) {
        const n = new Nginx(Object.assign(
            this.opts.camPort ? { camPort: this.opts.camPort } : {}, o));
        this.nginx.push(n);
        await n.start(o.startMs);
        return n;
    }

    /* Chromium (lib/browser.js), closed before nginx stops */

    async launchBrowser(o) {
        const { Browser } = require('./browser');
        this.browser = await Browser.launch(typeof o === 'object' ? o : {});
        return this.browser;
    }

    /* a viewer (anything with close()), closed first; returns it */

    track(v) {
        this.viewers.push(v);
        return v;
    }

    /* a temporary directory the workers can read, removed at the end */

    tmpdir(prefix) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
        fs.chmodSync(dir, 0o755);
        this.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
        return dir;
    }

    /* fn() (sync or async) at the end of stop(), the last given first */

    defer(fn) {
        this.cleanups.push(fn);
    }

    /*
     * Stops everything, whatever fails: the viewers (together), the
     * browser, each nginx (the last added first: an edge before its
     * origin), the cameras, then the clean-ups (defer(), tmpdir(): the
     * last given first); throws the first failure of an nginx (a bad
     * error.log) or of a clean-up.
     */

    async stop() {
        let first = null;

        await Promise.all(this.viewers.map(
            (v) => Promise.resolve().then(() => v.close()).catch(() => {})));

        if (this.browser) {
            await this.browser.close();
        }

        for (const n of this.nginx.slice().reverse()) {
            try {
                await n.stop();
            } catch (err) {
                first = first || err;
            }
        }

        for (const c of this.cams) {
            await c.stop();
        }

        for (const fn of this.cleanups.slice().reverse()) {
            try {
                await fn();
            } catch (err) {
                first = first || err;
            }
        }

        if (first) {
            throw first;
        }
    }

    checkLogs() {
        for (const n of this.nginx) {
            n.checkLog();
        }
    }
}


module.exports = { Rig, conf, nginxConf };
