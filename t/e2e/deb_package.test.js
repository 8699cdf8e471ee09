/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The Debian package, as a user installs it (make deb builds it first):
 * dpkg -i into the system nginx, the shipped example server in
 * /etc/nginx/conf.d/, nginx -t, Debian's nginx started from
 * /etc/nginx/nginx.conf (no init system here), Chromium plays the camera
 * through the player page the package ships; then the package is purged
 * and nginx still starts.  Changes the system's /etc/nginx while it runs
 * and puts it back.  Needs t/lib/netns.sh and root.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { waitFor, request, portOpen, requireNetns, REPO } =
    require('./lib/nginx');
const { Camera } = require('./lib/camera');
const { Browser } = require('./lib/browser');

const PORT = 18780;
const CAM_PORT = 18754;
const PKG = 'libnginx-mod-http-rtc';
const CONF = '/etc/nginx/conf.d/nginx-rtc-test.conf';
const ENABLED = '/etc/nginx/modules-enabled/50-mod-http-rtc.conf';
const PID = '/run/nginx.pid';


function run(cmd, args) {
    return execFileSync(cmd, args, { encoding: 'utf8',
                                     stdio: ['ignore', 'pipe', 'pipe'] });
}


function debFile() {
    const dir = path.join(REPO, 'build');
    const deb = fs.readdirSync(dir)
                  .filter((f) => f.startsWith(PKG + '_') && f.endsWith('.deb'))
                  .sort().pop();
    if (!deb) {
        throw new Error('no build/' + PKG + '_*.deb: run "make deb" first');
    }
    return path.join(dir, deb);
}


function installed() {
    try {
        return /^install ok installed/m.test(
            run('dpkg-query', ['-W', '-f=${Status}\n', PKG]));
    } catch (err) {
        return false;
    }
}


function nginxPid() {
    try {
        const pid = parseInt(fs.readFileSync(PID, 'utf8'), 10);
        process.kill(pid, 0);
        return pid;
    } catch (err) {
        return 0;
    }
}


async function stopNginx() {
    const pid = nginxPid();
    if (!pid) {
        return;
    }
    process.kill(pid, 'SIGQUIT');
    await waitFor(() => {
        try {
            process.kill(pid, 0);
            return false;
        } catch (err) {
            return true;
        }
    }, 15000, 'the system nginx to exit');
}


async function startNginx(port) {
    run('/usr/sbin/nginx', ['-c', '/etc/nginx/nginx.conf']);
    await waitFor(() => nginxPid() && portOpen(port), 10000,
                  `the system nginx listening on ${port}`);
}


describe('Debian package', { timeout: 300000 }, () => {
    let cam;
    let browser;

    before(async () => {
        requireNetns();
        if (nginxPid()) {
            throw new Error('a system nginx is running (' + PID + '): '
                            + 'stop it before this test');
        }
        if (installed()) {
            run('dpkg', ['--purge', PKG]);
        }
        cam = await new Camera({ port: CAM_PORT, codec: 'h264' }).start();
    });

    after(async () => {
        try {
            if (browser) {
                await browser.close();
            }
            await stopNginx();
        } finally {
            fs.rmSync(CONF, { force: true });
            if (installed()) {
                run('dpkg', ['--purge', PKG]);
            }
            if (cam) {
                await cam.stop();
            }
        }
    });

    test('dpkg -i enables the module in the system nginx', () => {
        run('dpkg', ['-i', debFile()]);
        assert.ok(installed());

        assert.ok(fs.existsSync('/usr/lib/nginx/modules/'
                                + 'ngx_http_rtc_module.so'));
        assert.equal(fs.readlinkSync(ENABLED),
                     '/usr/share/nginx/modules-available/mod-http-rtc.conf');
        assert.match(fs.readFileSync(ENABLED, 'utf8'),
                     /^load_module modules\/ngx_http_rtc_module\.so;/m);

        /* the nginx ABI and the shared libraries are dependencies
         * (libsrtp2 is linked statically unless built with SRTP=debian) */
        const deps = run('dpkg-query', ['-W', '-f=${Depends}', PKG]);
        assert.match(deps, /nginx-abi-[0-9.]+-[0-9]+/);
        assert.match(deps, /libnice/);

        /* loaded, not configured yet: nginx -t is fine */
        run('/usr/sbin/nginx', ['-t', '-q']);
    });

    test('the example server plays in Chromium', async () => {
        const example = path.join('/usr/share/doc', PKG, 'examples',
                                  'conf.d-rtc.conf');
        const conf = fs.readFileSync(example, 'utf8')
                       .replace('127.0.0.1:8554', `127.0.0.1:${CAM_PORT}`)
                       .replace('listen 8080;', `listen 127.0.0.1:${PORT};`);
        assert.notEqual(conf, fs.readFileSync(example, 'utf8'));
        fs.writeFileSync(CONF, conf);

        run('/usr/sbin/nginx', ['-t', '-q']);
        await startNginx(PORT);

        browser = await Browser.launch();
        const page = await browser.open(`http://127.0.0.1:${PORT}`
            + '/player/whep-player.html?src=/whep/cam');
        const st = await browser.waitPlaying(page, 30000);

        assert.ok(st.framesDecoded > 0);
        assert.equal(st.codec, 'video/H264');

        const r = await request(PORT, 'GET', '/rtc/status');
        assert.equal(r.status, 200);
        const cam0 = JSON.parse(r.body).streams.find((s) => s.name === 'cam');
        assert.equal(cam0.viewers, 1);

        await page.close({ runBeforeUnload: true });
        await browser.close();
        browser = null;
        await stopNginx();
    });

    test('purged, the module is gone and nginx still starts', async () => {
        fs.rmSync(CONF, { force: true });
        run('dpkg', ['--purge', PKG]);

        assert.ok(!installed());
        assert.ok(!fs.existsSync(ENABLED));
        assert.ok(!fs.existsSync('/usr/lib/nginx/modules/'
                                 + 'ngx_http_rtc_module.so'));

        run('/usr/sbin/nginx', ['-t', '-q']);
        await startNginx(80);
        await stopNginx();
    });
});
