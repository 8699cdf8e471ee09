/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A programmatic WHEP viewer on werift (pure TypeScript WebRTC).
 *
 *   const { Viewer } = require('./lib/werift');
 *   const v = new Viewer(ngx, '/whep/cam');
 *   await v.connectRetry(20000);    // POST offer (again on 503), answer
 *   await v.waitKeyframe(20000);    // H.264 RTP with an IDR or SPS arrived
 *   v.packets                       // RTP packets received so far
 *   const r = await v.close();      // DELETE the session; r.status
 *
 * Only in a network namespace (t/lib/netns.sh): werift gathers the
 * namespace's 10.99.0.1, and no STUN server is configured.
 */

'use strict';

const {
    RTCPeerConnection, RTCRtpCodecParameters, Connection,
} = require('werift');
const { waitFor, sleep } = require('./nginx');


/*
 * werift's ICE falls back to a public STUN server (stun.l.google.com) when
 * none is configured.  Tests talk to nothing but nginx in the namespace:
 * gather host candidates only.
 */

if (!Connection.prototype.getCandidatePromises.nginxRtcHostOnly) {
    const gather = Connection.prototype.getCandidatePromises;

    Connection.prototype.getCandidatePromises = function (...args) {
        this.stunServer = undefined;
        return gather.apply(this, args);
    };
    Connection.prototype.getCandidatePromises.nginxRtcHostOnly = true;
}

/* what Chromium offers first for H.264 (Constrained Baseline, mode 1) */

const H264_FMTP = 'level-asymmetry-allowed=1;packetization-mode=1;'
                  + 'profile-level-id=42e01f';


function h264Codec(params) {
    return new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        payloadType: 96,
        rtcpFeedback: [
            { type: 'nack' },
            { type: 'nack', parameter: 'pli' },
            { type: 'ccm', parameter: 'fir' },
            { type: 'goog-remb' },
        ],
        parameters: params || H264_FMTP,
    });
}


/* Chromium's numbering: opus 111, PCMU 0, PCMA 8 */

function audioCodecs() {
    return [
        new RTCRtpCodecParameters({
            mimeType: 'audio/opus', clockRate: 48000, channels: 2,
            payloadType: 111, parameters: 'minptime=10;useinbandfec=1',
        }),
        new RTCRtpCodecParameters({
            mimeType: 'audio/PCMU', clockRate: 8000, channels: 1,
            payloadType: 0,
        }),
        new RTCRtpCodecParameters({
            mimeType: 'audio/PCMA', clockRate: 8000, channels: 1,
            payloadType: 8,
        }),
    ];
}


/*
 * The whole H.264 NAL units of an RTP payload (RFC 6184): a single NAL
 * unit (1-23) or every unit of a STAP-A (24).  Bounded: never reads past
 * the payload.
 */

function h264Units(payload) {
    const units = [];

    if (!payload || payload.length < 1) {
        return units;
    }

    const t = payload[0] & 0x1f;

    if (t >= 1 && t <= 23) {
        units.push(payload);

    } else if (t === 24) {
        let p = 1;
        while (p + 2 <= payload.length) {
            const size = payload.readUInt16BE(p);
            p += 2;
            if (size === 0 || p + size > payload.length) {
                break;
            }
            units.push(payload.subarray(p, p + size));
            p += size;
        }
    }

    return units;
}


/*
 * The H.264 NAL unit types that start in an RTP payload: those of
 * h264Units(), and that of the first fragment of an FU-A (28, S bit).
 */

function h264NalTypes(payload) {
    const types = h264Units(payload).map((u) => u[0] & 0x1f);

    if (payload && payload.length >= 2 && (payload[0] & 0x1f) === 28
        && (payload[1] & 0x80))
    {
        types.push(payload[1] & 0x1f);
    }

    return types;
}


/*
 * A werift RTCPeerConnection as the tests use them: no ICE servers, IPv4
 * only, one bundle; codecs: { video, audio } (H.264 and no audio unless
 * given).
 */

function peerConnection(codecs) {
    return new RTCPeerConnection({
        codecs: Object.assign({ video: [h264Codec()], audio: [] }, codecs),
        iceServers: [],
        iceUseIpv6: false,
        bundlePolicy: 'max-bundle',
    });
}


/*
 * What a werift RTCPeerConnection receives, kept up to date: .packets
 * (RTP) and .keyframes (packets that start an IDR slice or an SPS).
 */

function countH264(pc) {
    const c = { packets: 0, keyframes: 0 };

    pc.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((rtp) => {
            c.packets++;
            for (const t of h264NalTypes(rtp.payload)) {
                if (t === 5 || t === 7) {
                    c.keyframes++;
                }
            }
        });
    });

    return c;
}


function waitIceGathering(pc, capMs) {
    return new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') {
            resolve();
            return;
        }
        const timer = setTimeout(finish, capMs);
        const sub = pc.iceGatheringStateChange.subscribe((state) => {
            if (state === 'complete') {
                finish();
            }
        });
        function finish() {
            clearTimeout(timer);
            sub.unSubscribe();
            resolve();
        }
    });
}


class Viewer {

    /*
     * opts: codecs ([RTCRtpCodecParameters], default H.264 42e01f),
     * audio (also offer a recvonly audio m-line), name (for messages),
     * fixAnswer (answer text -> what werift is given), onRtp (called
     * with each video RTP packet).
     */

    constructor(ngx, whepPath, opts) {
        this.ngx = ngx;
        this.whepPath = whepPath || '/whep/cam';
        this.opts = opts || {};
        this.name = this.opts.name || 'viewer';
        this.pc = null;
        this.session = null;
        this.answer = null;
        this.response = null;
        this.packets = 0;
        this.bytes = 0;
        this.keyframes = 0;     /* RTP packets starting an IDR or SPS */
        this.nalTypes = new Set();
        this.payloadTypes = new Set();
        this.lastPacketAt = 0;
        this.srs = [];          /* the video's RTCP SRs: { at, packets } */
        this.connectionState = 'new';
    }

    makePeer() {
        const pc = peerConnection({
            video: this.opts.codecs || [h264Codec()],
            audio: this.opts.audio ? audioCodecs() : [],
        });

        pc.connectionStateChange.subscribe((s) => {
            this.connectionState = s;
        });

        pc.onTrack.subscribe((track) => {
            if (track.kind !== 'video') {
                return;
            }
            track.onReceiveRtp.subscribe((rtp) => this.onRtp(rtp));
        });

        const video = pc.addTransceiver('video', { direction: 'recvonly' });

        video.receiver.onRtcp.subscribe((p) => {
            if (p.type === 200) {
                this.srs.push({ at: Date.now(),
                                packets: p.senderInfo.packetCount });
            }
        });

        if (this.opts.audio) {
            pc.addTransceiver('audio', { direction: 'recvonly' });
        }

        return pc;
    }

    onRtp(rtp) {
        const payload = rtp.payload;

        this.packets++;
        this.bytes += payload.length;
        this.lastPacketAt = Date.now();
        this.payloadTypes.add(rtp.header.payloadType);

        if (this.opts.onRtp) {
            this.opts.onRtp(rtp);
        }

        for (const t of h264NalTypes(payload)) {
            this.nalTypes.add(t);
            if (t === 5 || t === 7) {
                this.keyframes++;
            }
        }
    }

    /* an offer only (for tests that POST it themselves) */

    async offer() {
        this.pc = this.makePeer();
        await this.pc.setLocalDescription(await this.pc.createOffer());
        await waitIceGathering(this.pc, 3000);
        return this.pc.localDescription.sdp;
    }

    /*
     * POST the offer; on 201 apply the answer.  While the server answers
     * 503 (camera starting or reconnecting) the same offer is POSTed again
     * until retryMs passes.  Returns the response; throws on anything but
     * 201 unless allowError.
     */

    async connect(allowError, retryMs) {
        const end = Date.now() + (retryMs || 0);
        const sdp = await this.offer();
        let r;

        for ( ;; ) {
            r = await this.ngx.http('POST', this.whepPath, sdp,
                                    { 'Content-Type': 'application/sdp' });
            if (r.status !== 503 || Date.now() >= end) {
                break;
            }
            await sleep(250);
        }

        this.response = r;

        if (r.status !== 201) {
            await this.pc.close();
            this.pc = null;
            if (allowError) {
                return r;
            }
            throw new Error(`${this.name}: POST ${this.whepPath}: `
                            + `${r.status} ${r.body.trim()}`);
        }

        this.session = r.headers.location
                       ? new URL(r.headers.location,
                                 this.ngx.url(this.whepPath)).pathname
                       : null;
        this.answer = r.body;

        const sdp2 = this.opts.fixAnswer ? this.opts.fixAnswer(r.body)
                                         : r.body;

        await this.pc.setRemoteDescription({ type: 'answer', sdp: sdp2 });

        return r;
    }

    /* connect(), riding out 503 answers for up to retryMs (20 s) */

    connectRetry(retryMs) {
        return this.connect(false, retryMs || 20000);
    }

    /* resolves when at least n more RTP packets arrived (from now) */

    waitPackets(n, deadlineMs) {
        const target = this.packets + n;
        return waitFor(() => this.packets >= target, deadlineMs || 20000,
                       `${this.name}: ${n} RTP packets `
                       + `(have ${this.packets}, state `
                       + `${this.connectionState})`);
    }

    waitKeyframe(deadlineMs) {
        const target = this.keyframes + 1;
        return waitFor(() => this.keyframes >= target, deadlineMs || 20000,
                       `${this.name}: H.264 IDR/SPS in RTP `
                       + `(packets ${this.packets}, NAL types `
                       + `${[...this.nalTypes].join(',')}, state `
                       + `${this.connectionState})`);
    }

    /* DELETE the session (if any) and close the peer; returns the DELETE */

    async close() {
        let r = null;

        try {
            if (this.session) {
                const session = this.session;
                this.session = null;
                r = await this.ngx.http('DELETE', session);
            }

        } finally {
            /* the peer's sockets, even when nginx is gone (a stop) */

            if (this.pc) {
                await this.pc.close().catch(() => {});
                this.pc = null;
            }
        }

        return r;
    }
}


module.exports = {
    Viewer, h264Codec, h264Units, h264NalTypes, countH264, peerConnection,
    H264_FMTP,
};
