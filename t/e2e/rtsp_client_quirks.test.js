/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * The RTSP client against quirks of cameras in the field
 * (t/lib/rtsp_quirk_server.py streams a real H.264 clip at 10 fps, one
 * quirk a stream): each plays at the camera's rate on one connection,
 * as ffmpeg and VLC do.  Stray bytes between '$' frames, a stale
 * session's second SSRC on our channel (with and without SETUP's ssrc=),
 * an encoder restart with a new SSRC, MJPEG listed before H.264, an ONVIF
 * backchannel listed before the camera's audio, "CSeq: 0" in every
 * answer; past 64 KB of stray bytes, or without an answer to PLAY, the
 * client gives up with a TEARDOWN.  A viewer's picture for the stale
 * session.  Redirects of DESCRIBE followed to the configured host only
 * (with its credentials; another host, an address or a name, is never
 * connected to), 3 hops at most; an SDP without Content-Length sent in
 * pieces; a slow camera and timeout=; the option refused where it does not
 * apply.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { waitFor, REPO } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const {
    HostileCamera, FrameViewer, streamOf, confFor, configTest,
    assertNotApplying,
} = require('./lib/rtsp');

const PORT = 19396;
const CAM_PORT = 19876;

const MODES = ['normal', 'junk', 'stale', 'stale_setup', 'ssrc_change',
               'ssrc_gop', 'ssrc_alt',
               'jpeg_first', 'backchannel', 'cseq0', 'dup_answer', 'flood',
               'play_stall', 'bye', 'noclen', 'redirect_loop',
               'redirect_name'];

const SMALL = ['noclen', 'redirect_loop', 'redirect_name'];

/* the configured URL's credentials: never in the log nor the status */
const CRED = 'u:p%40ss';


describe('RTSP client against camera quirks', { timeout: 64000 }, () => {
    const rig = new Rig({ netns: true, camera: false });
    let cam;
    let ngx;

    before(async () => {
        await rig.start();
        cam = await rig.addCamera({
            port: CAM_PORT,
            script: path.join(REPO, 't', 'lib', 'rtsp_quirk_server.py'),
        }, HostileCamera);

        /* the zone holds 64m: the rings of the new cameras small */

        const streams = MODES.map((m) =>
            `    rtc_stream ${m} ${cam.url(m)} always`
            + (SMALL.includes(m) ? ' buffer=256k;' : ';')).concat([
            ['redirect', cam.url('redirect', CRED)],
            ['redirect_other', cam.url('redirect_other', CRED)],
            ['redirect_cred', cam.url('redirect_cred', CRED)],
            ['slow_a', cam.url('slow_a') + ' timeout=2s'],
            ['slow_b', cam.url('slow_b') + ' timeout=5s'],
        ].map(([n, u]) => `    rtc_stream ${n} ${u} always buffer=256k;`))
            .join('\n');

        ngx = await rig.add({ port: PORT, conf: confFor(streams) });
    });

    after(() => rig.stop());

    /* 30 frames in about 3 s (10 fps), on the first connection */

    async function steady(name) {
        const first = await waitFor(async () => {
            const s = streamOf(await ngx.status(), name);
            return s.state === 'playing' && s.frames_in > 0 && s;
        }, 10000, `${name} playing`);

        const t0 = Date.now();

        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), name);
            return x.frames_in - first.frames_in >= 30 && x;
        }, 8000, `${name}: 30 frames in 8 s (${JSON.stringify(cam.conns)})`);

        const ms = Date.now() - t0;

        assert.ok(ms >= 2400 && ms <= 6000,
                  `${name}: 30 frames in ${ms} ms at 10 fps`);
        assert.equal(s.state, 'playing');
        assert.equal(cam.conns[name], 1, `${name}: one connection`);

        return s;
    }

    function said(mode, re) {
        return cam.events.some((e) => e.mode === mode && re.test(e.text));
    }

    test('stray bytes between frames are skipped', async () => {
        await steady('junk');
        assert.match(ngx.logText(), /\/junk: skipped \d+ stray bytes/);
    });

    test('a stale session\'s SSRC is dropped', async () => {
        await steady('stale');
        await steady('stale_setup');

        const log = ngx.logText();
        assert.match(log, /\/stale: ignoring RTP of SSRC 22222222 on the/);
        assert.match(log,
                     /\/stale_setup: ignoring RTP of SSRC 22222222 on the/);

        const v = new FrameViewer(ngx, '/whep/stale', { name: 'stale' });
        rig.viewers.push(v);
        await v.connectRetry(15000);
        await v.waitKeyframe(10000);
    });

    test('an encoder restart\'s new SSRC plays on', async () => {
        await waitFor(() => said('ssrc_change', /^changed/), 15000,
                      'the camera changing its SSRC');
        await steady('ssrc_change');
        assert.match(ngx.logText(),
            /\/ssrc_change: the video track's SSRC 11111111 is now 33333333/);
    });

    /*
     * A new SSRC at every keyframe (a Uniview camera), or two taking turns
     * a GOP each, is no interleaving: each plays at once
     */
    test('a new SSRC every GOP, or two taking turns, plays on', async () => {
        await steady('ssrc_gop');
        await steady('ssrc_alt');
        assert.doesNotMatch(ngx.logText(),
                            /\/ssrc_(gop|alt): (ignoring|two sources)/);
    });

    test('the H.264 m=video after an MJPEG one', async () => {
        const s = await steady('jpeg_first');
        assert.equal(s.codec, 'H264');
    });

    test('the camera\'s audio, not the ONVIF backchannel', async () => {
        const s = await steady('backchannel');
        assert.equal(s.audio_codec, 'PCMA');
        assert.ok(said('backchannel', /^req SETUP \S+trackID=2$/),
                  'SETUP of the camera\'s audio');
        assert.ok(!said('backchannel', /^req SETUP \S+trackID=5$/),
                  'no SETUP of the backchannel');
    });

    test('answers with a wrong CSeq during setup', async () => {
        await steady('cseq0');
    });

    /* a camera that gave right ones: a copy is no answer to the next */
    test('every answer sent twice: the copies ignored', async () => {
        await steady('dup_answer');
    });

    /*
     * An RTCP BYE on the video and no more data: a reconnect within 2 s
     * (the tick's second after a second of silence), not the no-data
     * timeout's 10 s of frozen picture
     */
    test('an RTCP BYE and silence: reconnect at once', async () => {
        await waitFor(() => said('bye', /^bye$/), 15000, 'the BYE');
        await waitFor(() => (cam.conns.bye || 0) >= 2, 15000,
                      'a second connection after the BYE');

        const bye = cam.events.find((e) => e.mode === 'bye'
                                           && e.text === 'bye');
        const after = cam.times.bye[1] - bye.at;

        assert.ok(after < 4000, `reconnected ${after} ms after the BYE`);
        assert.match(ngx.logText(), /\/bye: RTCP BYE on the video track/);

        await waitFor(async () => {
            const s = streamOf(await ngx.status(), 'bye');
            return s.state === 'playing' && s;
        }, 10000, 'bye playing again');
    });

    test('past 64 KB of stray bytes: TEARDOWN, reconnect', async () => {
        await waitFor(() => (cam.conns.flood || 0) >= 2, 15000,
                      'a second connection after the flood');

        const i = cam.events.findIndex((e) => e.mode === 'flood'
                                              && /^flooding/.test(e.text));
        assert.ok(cam.events.slice(i).some((e) =>
                      e.mode === 'flood' && /^req TEARDOWN /.test(e.text)),
                  'a TEARDOWN after the flood');

        await waitFor(async () => {
            const s = streamOf(await ngx.status(), 'flood');
            return s.state === 'playing' && s;
        }, 10000, 'flood playing again');

        assert.match(ngx.logText(), new RegExp(
            'flood: invalid message start, no message in \\d+ bytes'));
    });

    test('no answer to PLAY: TEARDOWN of the session, reconnect',
         async () => {
        await waitFor(() => (cam.conns.play_stall || 0) >= 2, 20000,
                      'a second connection after PLAY timed out');

        const ev = cam.events.filter((e) => e.mode === 'play_stall')
                      .map((e) => e.text.split(' ')[1]);
        const i = ev.indexOf('PLAY');
        assert.equal(ev[i + 1], 'TEARDOWN', ev.join(' '));
    });

    /* the viewer's picture, through a 302 to a path asking credentials */
    test('a redirect of DESCRIBE is followed', async () => {
        await steady('redirect');

        assert.equal(cam.conns.redirected, 1);
        assert.ok(said('redirected', /^auth u:p@ss$/),
                  'the configured credentials on the same host');
        assert.match(ngx.logText(), new RegExp(
            `rtsp://\\*\\*\\*@127\\.0\\.0\\.1:${CAM_PORT}/redirect `
            + `redirects to rtsp://\\*\\*\\*@127\\.0\\.0\\.1:${CAM_PORT}`
            + '/redirected \\(302 Found, 1 of 3\\)'));

        const v = new FrameViewer(ngx, '/whep/redirect', { name: 'redirect' });
        rig.viewers.push(v);
        await v.connectRetry(15000);
        await v.waitKeyframe(10000);
    });

    test('a redirect to another host is not followed', async () => {
        for (const [mode, status] of [['redirect_other', '307 Temporary Redirect'],
                                      ['redirect_cred', '301 Moved Permanently'],
                                      ['redirect_name', '303 See Other']]) {
            const s = await waitFor(async () => {
                const x = streamOf(await ngx.status(), mode);
                return x.state === 'retrying' && /not followed/.test(
                    x.last_error) && x;
            }, 10000, `${mode} refused`);

            const auth = mode === 'redirect_name' ? '' : '***@';

            assert.equal(s.last_error, `${status} from rtsp://${auth}`
                         + `127.0.0.1:${CAM_PORT}/${mode} (DESCRIBE) not `
                         + 'followed: another host (configure the URL it '
                         + 'names)');
        }

        /* never connected there: neither the credentials nor a probe */
        assert.equal(cam.conns.other || 0, 0, 'connected to the other host');
        assert.equal(cam.conns.other_cred || 0, 0, 'nor with credentials');

        /* where it was sent, for the administrator, redacted */
        const log = ngx.logText();
        assert.match(log, new RegExp(
            `redirect_other redirects to rtsp://127\\.0\\.0\\.2:${CAM_PORT}`
            + '/other \\(307 Temporary Redirect\\), another host: not '
            + 'followed'));
        assert.match(log, new RegExp(
            `redirect_cred redirects to rtsp://\\*\\*\\*@127\\.0\\.0\\.2:`
            + `${CAM_PORT}/other_cred \\(301 Moved Permanently\\), another`));
        assert.doesNotMatch(log, /v:q|q%40x/);
    });

    test('more than 3 redirects: an error', async () => {
        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'redirect_loop');
            return x.state === 'retrying' && /redirects/.test(x.last_error)
                   && x;
        }, 10000, 'redirect_loop failing');

        assert.equal(s.last_error, `302 Found from rtsp://127.0.0.1:`
                     + `${CAM_PORT}/redirect_loop (DESCRIBE): more than 3 `
                     + 'redirects');
        assert.ok(cam.conns.redirect_loop >= 4, 'the configured URL, 3 hops');
        assert.match(ngx.logText(), /\[error\].*rtc rtsp .*more than 3 redir/);
    });

    test('an SDP without Content-Length', async () => {
        await steady('noclen');
        assert.match(ngx.logText(), new RegExp(
            `/noclen: DESCRIBE answered without Content-Length`));

        const v = new FrameViewer(ngx, '/whep/noclen', { name: 'noclen' });
        rig.viewers.push(v);
        await v.connectRetry(15000);
        await v.waitKeyframe(10000);
    });

    /* DESCRIBE answered in 3 s: too late for timeout=2s, not for 5s */
    test('timeout= for a slow camera', async () => {
        await steady('slow_b');

        const s = await waitFor(async () => {
            const x = streamOf(await ngx.status(), 'slow_a');
            return x.state === 'retrying' && x.last_error && x;
        }, 10000, 'slow_a failing');

        assert.equal(s.last_error, 'no answer to DESCRIBE from '
                     + `rtsp://127.0.0.1:${CAM_PORT}/slow_a within 2000 ms`);
    });

    test('nginx -t: timeout= from 1s to 5m, for rtsp:// only', () => {
        assertNotApplying([
            ['    rtc_stream c ffmpeg:/tmp/x.mp4 timeout=30s;',
             '"timeout=30s"', 'ffmpeg:'],
            ['    rtc_stream c whep://127.0.0.1:9/whep/c timeout=30s;',
             '"timeout=30s"', 'whep:// and wheps://'],
        ]);

        for (const t of ['500ms', '6m', '0', 'x']) {
            const r = configTest(`    rtc_stream c ${cam.url('c')} `
                                 + `timeout=${t};`);
            assert.notEqual(r.status, 0, `timeout=${t} accepted`);
            assert.match(r.stderr, /rtc_stream timeout must be between 1s /);
        }

        const ok = configTest(`    rtc_stream c ${cam.url('c')} timeout=1s;\n`
                              + `    rtc_stream d rtsps://127.0.0.1:9/d `
                              + 'timeout=5m;');
        assert.equal(ok.status, 0, ok.stderr);
    });

    test('the reference camera plays; error.log is clean', async () => {
        await steady('normal');
        ngx.checkLog();
        assert.doesNotMatch(ngx.logText(), /p@ss|p%40ss|q@x|q%40x/);
        assert.doesNotMatch(JSON.stringify(await ngx.status()),
                            /p@ss|p%40ss|q@x|q%40x/);
    });
});
