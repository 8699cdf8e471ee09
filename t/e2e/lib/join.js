/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * One WHEP join timed inside a Chromium page, as a user would see it:
 * from the POST to the first decoded frame (requestVideoFrameCallback).
 *
 *   const { join } = require('./lib/join');
 *   const page = await browser.open(ngx.url('/player/whep-player.html'));
 *   const j = await join(page, '/whep/cam');
 *   // { session, answer, ice, connected, first, framesDecoded, ... }:
 *   // ms from the POST; session: the session id (hex)
 *   const k = await join(page, '/whep/cam', 3000);
 *   // the same after 3 s more of playing, with playout: the median
 *   // delay from a frame's arrival to its display over the last second
 *
 * The page's RTCPeerConnection stays open until leave(page, j) (DELETE).
 */

'use strict';


/* runs in the page */

async function pageJoin(url, keepMs) {
    const ev = {};
    const pc = new RTCPeerConnection();

    pc.addTransceiver('video', { direction: 'recvonly' });

    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.appendChild(video);

    let t0 = 0;
    const mark = (k) => {
        if (t0 && ev[k] === undefined) {
            ev[k] = performance.now() - t0;
        }
    };

    pc.oniceconnectionstatechange = () => {
        if (pc.iceConnectionState === 'connected') {
            mark('ice');
        }
    };
    /*
     * The state change reaches the page through the signalling thread,
     * the first frame through the decoder: under load the frame can come
     * first, so the join waits for both.
     */
    const connected = new Promise((resolve) => {
        pc.onconnectionstatechange = () => {
            if (pc.connectionState === 'connected') {
                mark('connected');
                resolve();
            }
        };
    });

    const shown = [];
    const first = new Promise((resolve) => {
        const cb = (now, meta) => {
            if (!shown.length) {
                resolve(performance.now());
            }
            shown.push({ at: performance.now(),
                         delay: meta.expectedDisplayTime
                                - (meta.receiveTime || meta.presentationTime)
                       });
            video.requestVideoFrameCallback(cb);
        };
        video.requestVideoFrameCallback(cb);
    });

    pc.ontrack = (e) => {
        video.srcObject = new MediaStream([e.track]);
    };

    await pc.setLocalDescription(await pc.createOffer());

    await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') {
            resolve();
            return;
        }
        pc.onicegatheringstatechange = () => {
            if (pc.iceGatheringState === 'complete') {
                resolve();
            }
        };
        setTimeout(resolve, 2000);
    });

    t0 = performance.now();

    const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: pc.localDescription.sdp,
    });

    const answer = await res.text();
    mark('answer');

    if (res.status !== 201) {
        pc.close();
        video.remove();
        throw new Error(`POST ${url}: ${res.status} ${answer}`);
    }

    const loc = new URL(res.headers.get('Location'), window.location.href);
    ev.location = loc.pathname;
    ev.session = loc.pathname.split('/').pop();

    await pc.setRemoteDescription({ type: 'answer', sdp: answer });

    const deadline = new Promise((resolve) => setTimeout(resolve, 15000));
    const t = await Promise.race([first, deadline]);
    ev.first = t ? t - t0 : null;

    if (t) {
        await Promise.race([connected, deadline]);
    }

    if (keepMs) {
        await new Promise((resolve) => setTimeout(resolve, keepMs));

        const since = performance.now() - 1000;
        const d = shown.filter((f) => f.at >= since).map((f) => f.delay)
                       .sort((a, b) => a - b);
        ev.playout = d.length ? d[d.length >> 1] : null;
    }

    const stats = await pc.getStats();
    stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
            ev.framesDecoded = s.framesDecoded;
            ev.packetsLost = s.packetsLost;
            ev.packetsReceived = s.packetsReceived;
            ev.nackCount = s.nackCount;
            ev.pliCount = s.pliCount;
        }
    });

    window.__joins = window.__joins || {};
    window.__joins[ev.session] = { pc, video, url: ev.location };

    return ev;
}


/* runs in the page */

async function pageLeave(session) {
    const j = (window.__joins || {})[session];

    if (!j) {
        return;
    }

    delete window.__joins[session];
    j.pc.close();
    j.video.remove();
    await fetch(j.url, { method: 'DELETE' }).catch(() => {});
}


function join(page, url, keepMs) {
    return page.evaluate(`(${pageJoin})(${JSON.stringify(url)}, `
                         + `${Number(keepMs) || 0})`);
}


function leave(page, j) {
    return page.evaluate(`(${pageLeave})(${JSON.stringify(j.session)})`);
}


module.exports = { join, leave };
