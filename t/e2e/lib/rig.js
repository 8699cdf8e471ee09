/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A test file's camera and nginx instance(s), started in before() and
 * stopped in after(), whatever failed in between.
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
 * conf() is an nginx.conf template (lib/nginx.js renders it) with the
 * default stream "cam", /whep/, /rtc/status and /player/, and room for
 * more: http (directives of the http block), server (of the server
 * block), listen (after the listen address), workers.
 */

'use strict';

const { Nginx, requireNetns } = require('./nginx');
const { Camera } = require('./camera');


function conf(o) {
    const opts = Object.assign({ workers: 4, http: '', server: '',
                                 listen: '' }, o || {});

    return `
load_module %%MODULE%%;

%%TEST_GLOBALS%%

worker_processes ${opts.workers};
worker_shutdown_timeout 5s;

events {
    worker_connections 1024;
}

http {
    %%TEST_GLOBALS_HTTP%%

    rtc_zone   cams 32m;
    rtc_stream cam rtsp://127.0.0.1:%%CAMPORT%%/cam;

    ${opts.http}

    server {
        listen 127.0.0.1:%%PORT%%${opts.listen};

        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }

        ${opts.server}
    }
}
`;
}


class Rig {

    /*
     * opts: camPort, camera (Camera options beyond the port), netns (the
     * file needs t/lib/netns.sh), nginx (options of each Nginx, camPort
     * filled in).
     */

    constructor(opts) {
        this.opts = opts;
        this.cam = null;
        this.nginx = [];
    }

    get ngx() {
        return this.nginx[0];
    }

    async start() {
        if (this.opts.netns) {
            requireNetns();
        }

        this.cam = await new Camera(Object.assign({
            port: this.opts.camPort, codec: 'h264',
        }, this.opts.camera || {})).start();

        for (const o of this.opts.nginx || []) {
            await this.add(o);
        }
    }

    /* one more nginx, stopped with the others */

    async add(o) {
        const n = new Nginx(Object.assign({ camPort: this.opts.camPort }, o));
        this.nginx.push(n);
        await n.start();
        return n;
    }

    /* stops everything; throws the first failure (a bad error.log) */

    async stop() {
        let first = null;

        for (const n of this.nginx) {
            try {
                await n.stop();
            } catch (err) {
                first = first || err;
            }
        }

        if (this.cam) {
            await this.cam.stop();
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


module.exports = { Rig, conf };
