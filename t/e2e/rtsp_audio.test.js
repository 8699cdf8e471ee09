/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Camera audio into the ring: PCMA, Opus and AAC (RFC 3640) tracks SETUP
 * beside the video, each frame counted in frames_in (video at 10 fps, so
 * the audio shows as the rest: PCMA and Opus 50 frames a second, AAC at
 * 16 kHz 15.6); audio=off leaves the track out; audio=opus sends AAC
 * through the transcoder.  The browser side is in the WebRTC tests.  No
 * namespace needed.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { waitFor, sleep } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { RtspCamera, streamOf, confFor } = require('./lib/rtsp');

const PORT = 19384;
const FPS = 10;

const CAMS = {
    pcma: { port: 19862, codec: 'PCMA', rate: 50, log: 'PCMA/8000/1' },
    opus: { port: 19863, codec: 'opus', rate: 50, log: 'opus/48000/2' },
    aac: { port: 19864, codec: 'AAC', rate: 15.6, log: 'AAC/16000/1' },
};


/*
 * The stream's audio codec as the status shows it, if it does (the field
 * is the media layer's); else undefined.
 */

function audioCodec(s) {
    for (const k of ['audio_codec', 'audio']) {
        if (k in s) {
            return typeof s[k] === 'object' && s[k] ? s[k].codec : s[k];
        }
    }
    return undefined;
}


async function frameRate(ngx, name, ms) {
    const a = streamOf(await ngx.status(), name);
    const t0 = Date.now();
    await sleep(ms);
    const b = streamOf(await ngx.status(), name);
    return (b.frames_in - a.frames_in) * 1000 / (Date.now() - t0);
}


describe('camera audio', { timeout: 58000 }, () => {
    const rig = new Rig({ camera: false, cameraClass: RtspCamera });
    const cams = {};
    let ngx;

    before(async () => {
        const lines = [];

        for (const [name, c] of Object.entries(CAMS)) {
            cams[name] = await rig.addCamera({
                port: c.port, size: '320x180', fps: FPS, gop: FPS,
                bitrate: 200, audio: name,
            });

            lines.push(`    rtc_stream ${name} ${cams[name].url} always;`);
        }

        /*
         * A camera of its own: gst-rtsp-server answers 503 to a client of a
         * shared pipeline that another client plays without its audio.
         */

        cams.off = await rig.addCamera({
            port: 19868, size: '320x180', fps: FPS, gop: FPS, bitrate: 200,
            audio: 'pcma',
        });

        lines.push(`    rtc_stream off ${cams.off.url} always audio=off;`);
        lines.push(`    rtc_stream transcoded ${cams.aac.url} always `
                   + 'audio=opus;');

        ngx = await rig.add({ port: PORT, conf: confFor(lines.join('\n')) });

        let last = '';

        await waitFor(async () => {
            const st = await ngx.status();
            const names = [...Object.keys(CAMS), 'off', 'transcoded'];

            last = names.map((n) => {
                const s = streamOf(st, n);
                return `${n}: ${s.state} ${s.keyframes_in} ${s.last_error}`;
            }).join('; ');

            return names.every((n) => streamOf(st, n).state === 'playing'
                                      && streamOf(st, n).keyframes_in > 0);
        }, 30000, 'all streams playing').catch((err) => {
            throw new Error(`${err.message}: ${last}`);
        });
    });

    after(() => rig.stop());

    for (const [name, c] of Object.entries(CAMS)) {
        test(`${name}: the audio track is set up and its frames flow`,
             async (t) => {
            const s = streamOf(await ngx.status(), name);
            const codec = audioCodec(s);

            if (codec === undefined) {
                t.diagnostic('the status shows no audio codec yet: '
                             + 'checked in error.log');
            } else {
                assert.equal(codec, c.codec);
            }

            assert.match(ngx.logText(), new RegExp(
                `/cam: audio ${c.log}, payload type \\d+`));
            assert.match(ngx.logText(), new RegExp(
                `:${c.port}/cam: playing over TCP, 2 tracks`));

            const rate = await frameRate(ngx, name, 2000);
            assert.ok(rate > FPS + 0.6 * c.rate && rate < FPS + 2 * c.rate,
                      `${name}: ${rate.toFixed(1)} frames/s, expected `
                      + `${FPS} + ${c.rate}`);
        });
    }

    test('audio=off: video only', async () => {
        const s = streamOf(await ngx.status(), 'off');
        const codec = audioCodec(s);

        assert.ok(codec === undefined || codec === null || codec === '',
                  `audio codec ${codec}`);
        assert.match(ngx.logText(), /skipping audio track \d+: audio=off/);

        const rate = await frameRate(ngx, 'off', 2000);
        assert.ok(rate < FPS * 1.6, `${rate.toFixed(1)} frames/s`);
    });

    test('audio=opus: AAC transcoded to Opus', async (t) => {
        const s = streamOf(await ngx.status(), 'transcoded');
        const codec = audioCodec(s);

        if (codec === undefined) {
            t.diagnostic('the status shows no audio codec yet');
        } else {
            assert.equal(codec, 'opus');
        }

        /* 20 ms Opus frames from 64 ms AAC frames */
        const rate = await frameRate(ngx, 'transcoded', 2000);
        assert.ok(rate > FPS + 30, `${rate.toFixed(1)} frames/s`);
    });

    test('error.log is clean', () => {
        ngx.checkLog();
    });
});
