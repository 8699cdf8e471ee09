/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A whep:// source pulling from a WHEP server that is not nginx-rtc: a
 * small server on werift (its own ICE, DTLS and SRTP stacks; it answers
 * a=setup:active, so nginx is the DTLS server here) sending the H.264 RTP
 * of a GStreamer pipeline.  Viewers of nginx receive it; idle= DELETEs
 * the session on the server.  Needs t/lib/netns.sh.
 */

'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const dgram = require('node:dgram');
const { spawn } = require('node:child_process');

const {
    MediaStreamTrack, RTCRtpCodecParameters,
} = require('werift');
const { waitFor, nginxConf } = require('./lib/nginx');
const { Rig } = require('./lib/rig');
const { Viewer, peerConnection } = require('./lib/werift');

const PORT = 18920;
const SERVER_PORT = 18921;
const RTP_PORT = 18922;

const CONF = nginxConf({
    zoneName: 'edge',
    http: `
    rtc_wait_timeout 5s;
    rtc_stream foreign whep://127.0.0.1:${SERVER_PORT}/whep/x idle=2s
                       token=werift-1;`,
    server: `
        location /whep/        { rtc_whep; }
        location = /rtc/status { rtc_status; }`,
});


/* a WHEP server (RFC 9725) on werift: POST -> 201 + answer, DELETE */

class WeriftWhepServer {

    constructor(port) {
        this.port = port;
        this.sessions = new Map();
        this.requests = [];
        this.setups = [];
        this.next = 1;
    }

    start() {
        this.server = http.createServer((req, res) => {
            const chunks = [];
            req.on('data', (c) => chunks.push(c));
            req.on('end', () => {
                this.handle(req, res, Buffer.concat(chunks).toString())
                    .catch((err) => {
                        res.writeHead(500);
                        res.end(String(err));
                    });
            });
        });

        return new Promise((resolve) => {
            this.server.listen(this.port, '127.0.0.1', resolve);
        });
    }

    async handle(req, res, body) {
        this.requests.push({ method: req.method, url: req.url,
                             auth: req.headers.authorization });

        if (req.method === 'DELETE') {
            const pc = this.sessions.get(req.url);
            if (!pc) {
                res.writeHead(404);
                res.end();
                return;
            }
            this.sessions.delete(req.url);
            await pc.close().catch(() => {});
            res.writeHead(200);
            res.end();
            return;
        }

        if (req.method !== 'POST' || req.url !== '/whep/x') {
            res.writeHead(404);
            res.end();
            return;
        }

        const pc = peerConnection({
            audio: [new RTCRtpCodecParameters({
                mimeType: 'audio/opus', clockRate: 48000, channels: 2,
                payloadType: 111,
            })],
        });

        await pc.setRemoteDescription({ type: 'offer', sdp: body });

        const track = new MediaStreamTrack({ kind: 'video' });
        const t = pc.getTransceivers().find((x) => x.kind === 'video');
        t.setDirection('sendonly');
        await t.sender.replaceTrack(track);

        await pc.setLocalDescription(await pc.createAnswer());

        await new Promise((resolve) => {
            if (pc.iceGatheringState === 'complete') {
                resolve();
                return;
            }
            const timer = setTimeout(resolve, 3000);
            pc.iceGatheringStateChange.subscribe((s) => {
                if (s === 'complete') {
                    clearTimeout(timer);
                    resolve();
                }
            });
        });

        const setup = /a=setup:(\w+)/.exec(pc.localDescription.sdp);
        this.setups.push(setup && setup[1]);

        const location = `/whep/x/${this.next++}`;
        pc.nginxTrack = track;
        this.sessions.set(location, pc);

        res.writeHead(201, { 'Content-Type': 'application/sdp',
                             Location: location });
        res.end(pc.localDescription.sdp);
    }

    /* one H.264 RTP packet to every session */

    rtp(buf) {
        for (const pc of this.sessions.values()) {
            try {
                pc.nginxTrack.writeRtp(Buffer.from(buf));
            } catch (err) {
                /* closing */
            }
        }
    }

    async stop() {
        for (const pc of this.sessions.values()) {
            await pc.close().catch(() => {});
        }
        this.sessions.clear();
        await new Promise((resolve) => this.server.close(resolve));
    }
}


describe('whep:// source from a werift WHEP server', { timeout: 90000 },
         () => {
    const rig = new Rig({ netns: true, camera: false });
    let server;
    let ngx;

    before(async () => {
        await rig.start();

        server = new WeriftWhepServer(SERVER_PORT);
        rig.defer(() => server.stop());
        await server.start();

        const udp = dgram.createSocket('udp4');
        rig.defer(() => udp.close());
        udp.on('message', (m) => server.rtp(m));
        await new Promise((resolve) => udp.bind(RTP_PORT, '127.0.0.1',
                                                resolve));

        const gst = spawn('gst-launch-1.0', [
            '-q', 'videotestsrc', 'is-live=true', '!',
            'video/x-raw,width=320,height=240,framerate=25/1', '!',
            'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast',
            'key-int-max=25', 'bitrate=400', '!',
            'video/x-h264,profile=constrained-baseline', '!',
            'rtph264pay', 'config-interval=-1', 'pt=96', 'mtu=1200', '!',
            'udpsink', 'host=127.0.0.1', `port=${RTP_PORT}`,
        ], { stdio: 'ignore' });
        rig.defer(() => gst.kill('SIGKILL'));

        ngx = await rig.add({ port: PORT, conf: CONF, workers: 2 });
    });

    after(() => rig.stop());

    test('a viewer of nginx plays the werift server\'s stream; idle= '
         + 'DELETEs the session', async () => {
        const v = new Viewer(ngx, '/whep/foreign', { name: 'foreign' });
        await v.connectRetry(20000);
        await v.waitKeyframe(20000);
        await v.waitPackets(50, 10000);

        const st = await ngx.status();
        const s = st.streams.find((x) => x.name === 'foreign');
        assert.equal(s.state, 'playing');
        assert.equal(s.codec, 'H264');

        /* werift answered active: nginx was the DTLS server */
        assert.equal(server.setups[0], 'active');

        const post = server.requests.find((r) => r.method === 'POST');
        assert.equal(post.auth, 'Bearer werift-1');

        await v.close();

        await waitFor(() => server.requests.some(
            (r) => r.method === 'DELETE' && r.url.startsWith('/whep/x/')),
                      10000, 'the session DELETEd after idle=2s');
        assert.equal(server.sessions.size, 0);
    });
});
