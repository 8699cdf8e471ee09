/*
 * nginx-rtc player: one WHEP client per tile.
 *
 * streams.json (same directory) lists {name, whep, video, audio}.  Each
 * tile POSTs a recvonly offer to its whep URL, applies the 201 answer and
 * DELETEs its session when the page goes away.  A failed POST (503, a
 * network error), a connection that fails or stays disconnected, or one
 * the server ends (DTLS close_notify) starts a new session after a
 * backoff (1 s doubling up to 30 s, reset once frames flow); 4xx answers
 * are shown as the server wrote them.
 *
 * ?stream=NAME shows one stream; window.rtcTiles() reports every tile's
 * state for tests.
 */

'use strict';

(function () {

const params = new URLSearchParams(location.search);
const grid = document.getElementById('grid');
const info = document.getElementById('info');
const tiles = [];

const BACKOFF_MIN = 1000;
const BACKOFF_MAX = 30000;
const DISCONNECTED_MS = 5000;
const STALL_MS = 8000;


function el(tag, cls, parent) {
    const e = document.createElement(tag);
    if (cls) {
        e.className = cls;
    }
    if (parent) {
        parent.appendChild(e);
    }
    return e;
}


function gathered(pc, capMs) {
    return new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') {
            resolve();
            return;
        }
        const timer = setTimeout(done, capMs);
        function done() {
            clearTimeout(timer);
            pc.removeEventListener('icegatheringstatechange', check);
            resolve();
        }
        function check() {
            if (pc.iceGatheringState === 'complete') {
                done();
            }
        }
        pc.addEventListener('icegatheringstatechange', check);
    });
}


class Tile {

    constructor(stream) {
        this.stream = stream;
        this.pc = null;
        this.session = null;
        this.backoff = BACKOFF_MIN;
        this.timer = null;
        this.reconnects = 0;
        this.sessions = 0;
        this.error = null;
        this.state = 'idle';
        this.stats = { framesDecoded: 0 };
        this.prev = null;
        this.progress = 0;       /* when framesDecoded last grew */
        this.downSince = 0;

        this.root = el('div', 'tile', grid);
        this.video = el('video', null, this.root);
        this.video.muted = true;
        this.video.autoplay = true;
        this.video.playsInline = true;
        el('div', 'name', this.root).textContent = stream.name;
        this.stateEl = el('div', 'state', this.root);
        this.errorEl = el('div', 'message', this.root);
        this.statsEl = el('div', 'stats', this.root);

        this.muteEl = el('button', 'mute', this.root);
        this.muteEl.type = 'button';
        this.muteEl.textContent = 'unmute';
        this.muteEl.hidden = true;        /* until an audio track comes */
        this.muteEl.addEventListener('click', (ev) => {
            ev.stopPropagation();
            this.video.muted = !this.video.muted;
            this.muteEl.textContent = this.video.muted ? 'unmute' : 'mute';
        });

        this.root.addEventListener('click', () => {
            const large = !this.root.classList.contains('large');
            for (const t of tiles) {
                t.root.classList.remove('large');
            }
            if (large) {
                this.root.classList.add('large');
                this.root.scrollIntoView({ block: 'nearest' });
            }
        });
    }

    show(state, error) {
        this.state = state;
        this.error = error || null;
        this.stateEl.textContent = state;
        this.stateEl.className = 'state ' + (error ? 'error' : state);
        this.errorEl.textContent = error || '';
    }

    async start() {
        clearTimeout(this.timer);
        this.timer = null;
        this.close();

        const pc = new RTCPeerConnection();
        this.pc = pc;
        this.sessions++;
        this.downSince = 0;
        this.progress = Date.now();

        pc.addTransceiver('video', { direction: 'recvonly' });
        pc.addTransceiver('audio', { direction: 'recvonly' });

        const ms = new MediaStream();
        pc.ontrack = (ev) => {
            ms.addTrack(ev.track);
            if (ev.track.kind === 'audio') {
                this.muteEl.hidden = false;
            }
            if (this.video.srcObject !== ms) {
                this.video.srcObject = ms;
            }
            this.video.play().catch(() => {});
        };

        pc.onconnectionstatechange = () => {
            if (this.pc !== pc) {
                return;
            }
            const s = pc.connectionState;
            if (s === 'failed' || s === 'closed') {
                this.retry('connection ' + s);
            } else if (s === 'disconnected') {
                this.downSince = this.downSince || Date.now();
                this.show('disconnected');
            } else {
                this.downSince = 0;
                if (!this.error || s === 'connected') {
                    this.show(s === 'connected' ? 'connected' : s);
                }
            }
        };

        try {
            this.show('connecting');
            await pc.setLocalDescription(await pc.createOffer());
            await gathered(pc, 2000);
            if (this.pc !== pc) {
                return;
            }

            const url = new URL(this.stream.whep, location.href);
            const res = await fetch(url, {
                method: 'POST',
                headers: { 'Content-Type': 'application/sdp' },
                body: pc.localDescription.sdp,
            });
            const body = await res.text();

            if (this.pc !== pc) {
                const loc = res.headers.get('Location');
                if (res.status === 201 && loc) {
                    fetch(new URL(loc, url), { method: 'DELETE' })
                        .catch(() => {});
                }
                return;
            }

            if (res.status !== 201) {
                const text = res.status + ' ' + (body.trim()
                                                 || res.statusText);
                const after = parseInt(res.headers.get('Retry-After'), 10);
                this.retry(text, after > 0 ? after * 1000 : 0);
                return;
            }

            const loc = res.headers.get('Location');
            this.session = loc ? new URL(loc, url).href : null;
            await pc.setRemoteDescription({ type: 'answer', sdp: body });

            /*
             * The server ends a session with DTLS's close_notify (a stop,
             * a reload to another zone): the transport closes while the
             * connection state stays "connected".
             */
            const dtls = pc.getReceivers().map((r) => r.transport)
                         .find((t) => t);
            if (dtls) {
                dtls.onstatechange = () => {
                    if (this.pc === pc && dtls.state === 'closed') {
                        this.session = null;
                        this.retry('ended by the server');
                    }
                };
            }

        } catch (err) {
            if (this.pc === pc) {
                this.retry(String(err.message || err));
            }
        }
    }

    /* end this session and start another after the backoff */

    retry(why, delay) {
        if (this.timer) {
            return;
        }
        this.close();
        this.show('retrying', why);
        this.reconnects++;
        const ms = Math.max(delay || 0, this.backoff);
        this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
        this.timer = setTimeout(() => {
            this.timer = null;
            this.start();
        }, ms);
    }

    close(keepalive) {
        if (this.session) {
            fetch(this.session, { method: 'DELETE', keepalive: !!keepalive })
                .catch(() => {});
            this.session = null;
        }
        if (this.pc) {
            this.pc.close();
            this.pc = null;
        }
    }

    async sample() {
        const pc = this.pc;
        if (!pc) {
            return;
        }

        let video = null;
        let audio = null;
        let pair = null;
        const codecs = new Map();
        const report = await pc.getStats();

        report.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
                video = s;
            } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
                audio = s;
            } else if (s.type === 'codec') {
                codecs.set(s.id, s.mimeType);
            } else if (s.type === 'candidate-pair' && s.nominated
                       && s.state === 'succeeded') {
                pair = s;
            }
        });

        const now = Date.now();
        const st = {
            framesDecoded: video ? video.framesDecoded || 0 : 0,
            codec: video ? codecs.get(video.codecId) || '' : '',
            audioCodec: audio ? codecs.get(audio.codecId) || '' : '',
            width: video ? video.frameWidth || 0 : 0,
            height: video ? video.frameHeight || 0 : 0,
            packetsLost: video ? video.packetsLost || 0 : 0,
            packetsReceived: video ? video.packetsReceived || 0 : 0,
            bytes: (video ? video.bytesReceived || 0 : 0)
                   + (audio ? audio.bytesReceived || 0 : 0),
            rtt: pair && pair.currentRoundTripTime !== undefined
                 ? Math.round(pair.currentRoundTripTime * 1000) : null,
            kbps: 0,
            loss: 0,
            time: now,
        };

        if (this.prev && this.prev.time < now) {
            st.kbps = Math.round((st.bytes - this.prev.bytes) * 8
                                 / (now - this.prev.time));
            const got = st.packetsReceived - this.prev.packetsReceived;
            const lost = st.packetsLost - this.prev.packetsLost;
            st.loss = got + lost > 0 ? 100 * lost / (got + lost) : 0;
        }

        if (st.framesDecoded > this.stats.framesDecoded) {
            this.progress = now;
            this.backoff = BACKOFF_MIN;
            if (this.state !== 'playing') {
                this.show('playing');
            }
        }

        this.prev = st;
        this.stats = st;

        this.statsEl.textContent = (st.codec.replace('video/', '') || '-')
            + (st.audioCodec ? ' + ' + st.audioCodec.replace('audio/', '')
                             : '')
            + '  ' + st.width + 'x' + st.height
            + '\n' + st.kbps + ' kbit/s  loss ' + st.loss.toFixed(1) + '%'
            + '  rtt ' + (st.rtt === null ? '-' : st.rtt + ' ms');

        /* a session that stopped delivering: start another */
        if (this.downSince && now - this.downSince > DISCONNECTED_MS) {
            this.retry('disconnected');
        } else if (pc.connectionState === 'connected'
                   && now - this.progress > STALL_MS) {
            this.retry('no frames for ' + (STALL_MS / 1000) + ' s');
        }
    }

    report() {
        return {
            name: this.stream.name,
            state: this.state,
            error: this.error,
            reconnects: this.reconnects,
            sessions: this.sessions,
            session: this.session,
            muted: this.video.muted,
            large: this.root.classList.contains('large'),
            framesDecoded: this.stats.framesDecoded,
            codec: this.stats.codec || '',
            width: this.stats.width || 0,
            height: this.stats.height || 0,
            kbps: this.stats.kbps || 0,
            rtt: this.stats.rtt === undefined ? null : this.stats.rtt,
        };
    }
}


async function load() {
    let list;

    for (let delay = BACKOFF_MIN; ; delay = Math.min(delay * 2, BACKOFF_MAX)) {
        try {
            const res = await fetch('streams.json', { cache: 'no-store' });
            if (!res.ok) {
                throw new Error(res.status + ' ' + res.statusText);
            }
            list = (await res.json()).streams;
            break;
        } catch (err) {
            info.textContent = 'streams.json: ' + (err.message || err)
                               + ', retrying';
            await new Promise((r) => setTimeout(r, delay));
        }
    }

    const only = params.get('stream');
    if (only) {
        list = list.filter((s) => s.name === only);
        grid.classList.add('single');
    }

    info.textContent = list.length + (list.length === 1 ? ' stream'
                                                        : ' streams');
    document.getElementById('empty').hidden = list.length > 0;

    for (const s of list) {
        const t = new Tile(s);
        tiles.push(t);
        t.start();
    }

    setInterval(() => {
        for (const t of tiles) {
            t.sample().catch(() => {});
        }
    }, 1000);
}


window.rtcTiles = () => tiles.map((t) => t.report());

window.addEventListener('pagehide', () => {
    for (const t of tiles) {
        clearTimeout(t.timer);
        t.close(true);
    }
});

load();

})();
