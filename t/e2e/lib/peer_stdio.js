/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A werift viewer driven over stdin/stdout, for a network namespace the
 * test process is not in (t/e2e/nat.test.js runs it with nsenter): the
 * test does the HTTP, this process the WebRTC.  One JSON object a line.
 *
 *   out: {"offer": SDP}            the H.264 recvonly offer, gathered
 *   in:  {"answer": SDP}
 *   out: {"packets": N, "keyframes": K, "state": S, "remote": "ip:port"}
 *        every 250 ms; "remote" is the nominated pair's remote candidate
 *
 * Exits when stdin ends.
 */

'use strict';

const readline = require('node:readline');
const { countH264, peerConnection } = require('./werift');


function send(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}


function nominated(pc) {
    try {
        const t = pc.iceTransports && pc.iceTransports[0];
        const n = t && t.connection && t.connection.nominated;
        if (n && n.remoteCandidate) {
            return `${n.remoteCandidate.host}:${n.remoteCandidate.port}`;
        }
    } catch (err) {
        /* werift internals changed: no answer */
    }
    return null;
}


async function main() {
    const pc = peerConnection();

    const got = countH264(pc);
    let state = 'new';

    pc.connectionStateChange.subscribe((s) => { state = s; });

    pc.addTransceiver('video', { direction: 'recvonly' });

    await pc.setLocalDescription(await pc.createOffer());

    for (let i = 0; i < 60 && pc.iceGatheringState !== 'complete'; i++) {
        await new Promise((r) => setTimeout(r, 50));
    }

    send({ offer: pc.localDescription.sdp });

    const timer = setInterval(() => {
        send({ packets: got.packets, keyframes: got.keyframes, state,
               remote: nominated(pc) });
    }, 250);

    const rl = readline.createInterface({ input: process.stdin });

    rl.on('line', async (line) => {
        const msg = JSON.parse(line);
        if (msg.answer) {
            await pc.setRemoteDescription({ type: 'answer', sdp: msg.answer });
        }
    });

    rl.on('close', async () => {
        clearInterval(timer);
        await pc.close().catch(() => {});
        process.exit(0);
    });
}


main().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
});
