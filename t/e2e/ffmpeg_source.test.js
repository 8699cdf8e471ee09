/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * "ffmpeg:" sources: MP4 clips made at test time with ffmpeg (H.264 and
 * AAC) play through libavformat.  A clip plays at real time, goes on
 * after its end with "loop", and Chromium decodes it, with AAC turned
 * into Opus (audio=opus); H.264 with B-frames and H.265 play through
 * transcode=h264; a missing file and an unreachable URL show their reason
 * in /rtc/status and in the WHEP 503, without credentials; a raw H.264
 * file (no timestamps: made from the frame rate) plays at 25 fps; a broken
 * H.265 file, whose every frame makes libav complain, gives at most 20 of
 * its lines a second (a worker's) to error.log, and then how many were
 * not logged.
 * Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const { waitFor, nginxConf } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { CHROMIUM_OFFER } = require('./lib/sdp');

const PORT = 19280;
const FPS = 25;

const CONF = nginxConf({
    workers: '%%WORKERS%%', shutdown: true, zoneName: 'clips', zone: '48m',
    http: `
    default_type application/octet-stream;

    rtc_wait_timeout 3s;

    rtc_stream clip    ffmpeg:%%CLIPS%%/clip.mp4 loop audio=opus;
    rtc_stream short   ffmpeg:%%CLIPS%%/short.mp4 loop audio=off always;
    rtc_stream bframes ffmpeg:%%CLIPS%%/bframes.mp4 loop transcode=h264;
    rtc_stream hevc    ffmpeg:%%CLIPS%%/hevc.mp4 loop transcode=h264;
    rtc_stream missing ffmpeg:%%CLIPS%%/missing.mp4;
    rtc_stream raw     ffmpeg:%%CLIPS%%/raw.h264 loop audio=off always
                       buffer=1m;
    rtc_stream broken  ffmpeg:%%CLIPS%%/broken.ts loop transcode=h264 idle=2s
                       buffer=1m;
    rtc_stream secret  ffmpeg:http://viewer:s3cret@127.0.0.1:9/clip.mp4;
    rtc_stream token   "ffmpeg:http://127.0.0.1:9/clip.mp4?user=admin&password=t0ken";`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }
        location /player/      { alias %%REPO%%/examples/; }`,
});


/*
 * testsrc and a 440 Hz tone: H.264 (4:2:0, as cameras and files are) and
 * AAC.  "-bf 0": no B-frames, which WebRTC players cannot take as they are
 * (the B-frame and H.265 clips go through transcode=h264).
 */

function makeClip(file, seconds, video) {
    const r = spawnSync('ffmpeg', [
        '-v', 'error', '-y',
        '-f', 'lavfi', '-i', `testsrc=size=640x360:rate=${FPS}`,
        '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
        '-pix_fmt', 'yuv420p', '-g', '50',
        ...(video || ['-c:v', 'libx264', '-bf', '0']),
        '-c:a', 'aac', '-t', String(seconds), file,
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });

    if (r.status !== 0) {
        throw new Error(`ffmpeg ${file}: ${r.error || r.stderr}`);
    }
}


/*
 * An H.265 MPEG-TS file with bytes flipped in most of its packets (a
 * fixed sequence: the same file every run): libav's decoder says
 * something of nearly every slice, ~100 lines a second.
 */

function makeBroken(file) {
    const r = spawnSync('ffmpeg', [
        '-v', 'error', '-y',
        '-f', 'lavfi', '-i', `testsrc=size=1280x720:rate=${FPS}`,
        '-pix_fmt', 'yuv420p', '-g', '25', '-bf', '0',
        '-c:v', 'libx265', '-preset', 'ultrafast',
        '-x265-params', 'log-level=none:slices=8',
        '-t', '4', '-f', 'mpegts', file,
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });

    if (r.status !== 0) {
        throw new Error(`ffmpeg ${file}: ${r.error || r.stderr}`);
    }

    const ts = fs.readFileSync(file);
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);

    for (let i = 0; i + 188 <= ts.length; i += 188) {
        if (ts[i] === 0x47 && next() % 10 < 6) {
            for (let k = 0; k < 5; k++) {
                ts[i + 4 + next() % 180] ^= 0xff;
            }
        }
    }

    fs.writeFileSync(file, ts);
}


async function stream(ngx, name) {
    return (await ngx.status()).streams.find((s) => s.name === name);
}


/* frames per second into the stream's ring over at least "ms" */

async function rate(ngx, name, ms) {
    const a = await stream(ngx, name);
    const t0 = Date.now();

    const b = await waitFor(async () =>
        Date.now() - t0 >= ms ? stream(ngx, name) : null,
        ms + 5000, `${ms} ms of ${name}`);

    return (b.frames_in - a.frames_in) * 1000 / (Date.now() - t0);
}


/* Chromium's audio receive stats, through every RTCPeerConnection made */

function trackPeerConnections() {
    const Orig = window.RTCPeerConnection;

    window.rtcTestPcs = [];
    window.RTCPeerConnection = function (...args) {
        const pc = new Orig(...args);
        window.rtcTestPcs.push(pc);
        return pc;
    };
    window.RTCPeerConnection.prototype = Orig.prototype;
}


function audioStats(page) {
    return page.evaluate(async () => {
        const out = { packetsReceived: 0, codec: null, samples: 0,
                      concealed: 0 };

        for (const pc of window.rtcTestPcs || []) {
            if (pc.connectionState === 'closed') {
                continue;
            }

            const report = await pc.getStats();

            report.forEach((s) => {
                if (s.type === 'inbound-rtp' && s.kind === 'audio') {
                    out.packetsReceived += s.packetsReceived || 0;
                    out.samples += s.totalSamplesReceived || 0;
                    out.concealed += s.concealedSamples || 0;
                    const c = s.codecId && report.get(s.codecId);
                    if (c) {
                        out.codec = c.mimeType;
                    }
                }
            });
        }

        return out;
    });
}


describe('ffmpeg: sources', { timeout: 120000 }, () => {
    const rig = new Rig({ netns: true, camera: false });
    let ngx;
    let browser;

    before(async () => {
        await rig.start();

        /* the workers (not root) read the clips */
        const dir = rig.tmpdir('nginx-rtc-clips-');
        makeClip(path.join(dir, 'clip.mp4'), 4);
        makeClip(path.join(dir, 'short.mp4'), 2);
        makeClip(path.join(dir, 'bframes.mp4'), 2, ['-c:v', 'libx264']);
        makeClip(path.join(dir, 'hevc.mp4'), 2,
                 ['-c:v', 'libx265', '-preset', 'ultrafast',
                  '-x265-params', 'log-level=none']);
        makeBroken(path.join(dir, 'broken.ts'));
        makeClip(path.join(dir, 'raw.h264'), 2,
                 ['-an', '-c:v', 'libx264', '-bf', '0', '-f', 'h264']);

        ngx = await rig.add({ port: PORT, workers: 2, conf: CONF,
                              vars: { CLIPS: dir } });

        browser = await rig.launchBrowser();
        await browser.context.addInitScript(trackPeerConnections);
    });

    after(() => rig.stop());

    test('a file plays at real time, and again with "loop"', async () => {
        const first = await waitFor(async () => {
            const s = await stream(ngx, 'short');
            return s.frames_in > 0 ? s : null;
        }, 10000, 'frames from short.mp4');

        const started = Date.now();

        assert.equal(first.codec, 'H264');
        assert.equal(first.state, 'playing');

        /* 25 fps, video only: a loose bound that catches a missing pacing */

        const fps = await rate(ngx, 'short', 3000);
        assert.ok(fps > FPS * 0.5 && fps < FPS * 1.5,
                  `short.mp4 at ${fps.toFixed(1)} fps, expected ~${FPS}`);

        /* the 2 s clip goes on after 5 s: a keyframe at each pass */

        const s1 = await waitFor(async () =>
            Date.now() - started > 5500 ? stream(ngx, 'short') : null,
            10000, '5.5 s of short.mp4');

        const s2 = await waitFor(async () => {
            const s = await stream(ngx, 'short');
            return s.frames_in >= s1.frames_in + FPS / 2 ? s : null;
        }, 5000, 'frames from short.mp4 after its third pass began');

        assert.ok(s2.keyframes_in >= 3, `keyframes_in ${s2.keyframes_in}`);
        assert.equal(s2.last_error, '');
    });

    test('Chromium plays a file; AAC arrives as Opus', async (t) => {
        const page = await browser.open(
            ngx.url('/player/whep-player.html?src=/whep/clip'));
        const st = await browser.waitPlaying(page, 20000);
        const started = Date.now();

        assert.ok(st.framesDecoded > 0);
        assert.equal(st.codec, 'video/H264');
        assert.equal(st.width, 640);
        assert.equal(st.height, 360);

        const status = await ngx.status();
        const s = status.streams.find((x) => x.name === 'clip');
        const session = status.sessions.find((x) => x.stream === 'clip');

        assert.equal(s.codec, 'H264');
        assert.ok(session, 'the session in /rtc/status');

        if ('audio_codec' in s) {
            assert.match(String(s.audio_codec), /opus/i);
        }

        /* video at 25 fps and Opus at 50 frames per second */

        const fps = await rate(ngx, 'clip', 3000);
        assert.ok(fps > (FPS + 50) * 0.5 && fps < (FPS + 50) * 1.5,
                  `clip.mp4 at ${fps.toFixed(1)} frames/s, expected `
                  + `~${FPS + 50} (video and Opus)`);

        if (session.audio !== undefined && session.audio !== null) {

            /* the session sends audio: Chromium receives Opus */

            assert.match(String(session.audio), /opus/i);

            const a = await waitFor(async () => {
                const x = await audioStats(page);
                return x.packetsReceived > 50 ? x : null;
            }, 10000, 'Opus packets in Chromium');

            assert.equal(a.codec, 'audio/opus');

            /* decodable: played out, hardly concealed */

            assert.ok(a.samples > 0 && a.concealed < a.samples / 5,
                      `audio samples ${a.samples}, concealed ${a.concealed}`);
            t.diagnostic(`Chromium: ${JSON.stringify(a)}`);

        } else {
            t.diagnostic('the session sends no audio: Opus checked in the '
                         + 'ring only');
        }

        /* the 4 s clip plays on across its end: timestamps go on */

        const before = await waitFor(async () =>
            Date.now() - started > 5000 ? browser.stats(page) : null,
            10000, '5 s of playing');

        await waitFor(async () =>
            (await browser.stats(page)).framesDecoded
            >= before.framesDecoded + FPS,
            5000, `${FPS} more decoded frames after the clip looped`);

        await page.click('#stop');
        await page.close();
    });

    test('a raw H.264 file: its frame rate makes the timestamps', async () => {
        const s = await waitFor(async () => {
            const x = await stream(ngx, 'raw');
            return x.frames_in > 0 ? x : null;
        }, 10000, 'frames from raw.h264');

        assert.equal(s.codec, 'H264');

        const fps = await rate(ngx, 'raw', 3000);
        assert.ok(fps > FPS * 0.8 && fps < FPS * 1.2,
                  `raw.h264 at ${fps.toFixed(1)} fps, expected ~${FPS}`);
    });

    test('B-frames and H.265 play through transcode=h264', async () => {
        const player = (name) =>
            ngx.url(`/player/whep-player.html?src=/whep/${name}`);
        const pages = await Promise.all(['bframes', 'hevc'].map((name) =>
            browser.open(player(name))));

        const first = [];

        for (const page of pages) {
            const st = await browser.waitPlaying(page, 20000);
            assert.equal(st.codec, 'video/H264');
            assert.equal(st.width, 640);
            first.push(st.framesDecoded);
        }

        /* every frame decoded: 2 s of them within 4 s, past the clips' end */

        for (let i = 0; i < pages.length; i++) {
            await waitFor(async () =>
                (await browser.stats(pages[i])).framesDecoded
                >= first[i] + 2 * FPS,
                4000 + 2000 * i, `${2 * FPS} more frames on page ${i}`);
        }

        const status = await ngx.status();

        for (const name of ['bframes', 'hevc']) {
            const s = status.streams.find((x) => x.name === name);
            assert.equal(s.codec, 'H264', `${name} as H.264`);
            assert.equal(s.last_error, '');
        }

        for (const page of pages) {
            await page.close({ runBeforeUnload: true });
        }
    });

    test('a missing file: the reason in status and in the 503', async () => {
        const [missing, secret, token] = await Promise.all([
            ngx.http('POST', '/whep/missing', CHROMIUM_OFFER,
                     { 'Content-Type': 'application/sdp' }),
            ngx.http('POST', '/whep/secret', CHROMIUM_OFFER,
                     { 'Content-Type': 'application/sdp' }),
            ngx.http('POST', '/whep/token', CHROMIUM_OFFER,
                     { 'Content-Type': 'application/sdp' }),
        ]);

        assert.equal(missing.status, 503);
        assert.match(missing.body, /missing\.mp4/);
        assert.match(missing.body, /No such file/);

        const s = await stream(ngx, 'missing');
        assert.match(s.last_error, /missing\.mp4/);
        assert.equal(s.frames_in, 0);

        /* an URL with credentials: named, the password left out */

        assert.equal(secret.status, 503);
        assert.match(secret.body, /127\.0\.0\.1:9/);
        assert.doesNotMatch(secret.body, /s3cret|viewer/);

        const x = await stream(ngx, 'secret');
        assert.match(x.last_error, /\*\*\*@127\.0\.0\.1:9/);
        assert.doesNotMatch(x.last_error, /s3cret|viewer/);

        /* secrets in the query string: masked as camera URLs' are */

        assert.equal(token.status, 503);
        assert.match(token.body, /clip\.mp4\?user=\*\*\*&password=\*\*\*/);
        assert.doesNotMatch(token.body, /t0ken|admin/);

        const t = await stream(ngx, 'token');
        assert.match(t.last_error, /\?user=\*\*\*&password=\*\*\*/);
        assert.doesNotMatch(t.last_error, /t0ken|admin/);
    });

    test('a broken file: 20 lines of libav a second at most', async () => {
        const RATE = 20;

        /* a viewer starts it: it has no picture to give, whatever comes */
        await ngx.http('POST', '/whep/broken', CHROMIUM_OFFER,
                       { 'Content-Type': 'application/sdp' });

        const dropped = await waitFor(() => ngx.logText().match(
            /rtc ffmpeg: (\d+) more lines of libav not logged \(20 a second/),
            20000, 'lines of libav not logged');
        assert.ok(Number(dropped[1]) > 0);

        /* each second of a worker: libav's lines and the count, no more */

        const perSecond = new Map();

        for (const l of ngx.logText().split('\n')) {
            const m = l.match(/^\S+ (\S+) \[\w+\] (\d+)#\d+: rtc ffmpeg: /);
            if (m) {
                const k = `${m[2]} ${m[1]}`;
                perSecond.set(k, (perSecond.get(k) || 0) + 1);
            }
        }

        const most = Math.max(...perSecond.values());
        assert.ok(most <= RATE + 1,
                  `${most} lines of libav in a second of a worker`);
    });

    test('error.log is clean, without credentials', () => {
        ngx.checkLog();
        assert.doesNotMatch(ngx.logText(), /s3cret|t0ken/);
    });
});
