/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * getStats() of a peer connection in a page, per kind: the inbound-rtp
 * entry with its codec's mimeType.  By default the example player's
 * (its top-level "pc"), else window[name].
 *
 *   const { inbound } = require('./lib/rtcstats');
 *   const st = await inbound(page);   // or inbound(page, 'pc2')
 *   st.video.framesDecoded, st.video.nackCount, st.audio.packetsReceived,
 *   st.audio.codec                  // 'audio/PCMA'; null members if none
 */

'use strict';


function inbound(page, name) {
    return page.evaluate(async (name) => {
        const out = { video: null, audio: null };

        /* eslint-disable-next-line no-undef */
        const conn = name ? window[name] : (typeof pc === 'undefined' ? null
                                                                       : pc);
        if (!conn) {
            return out;
        }

        const report = await conn.getStats();

        report.forEach((s) => {
            if (s.type !== 'inbound-rtp' || !(s.kind in out)) {
                return;
            }

            const codec = s.codecId && report.get(s.codecId);

            out[s.kind] = {
                codec: codec ? codec.mimeType : null,
                packetsReceived: s.packetsReceived || 0,
                packetsLost: s.packetsLost || 0,
                nackCount: s.nackCount || 0,
                retransmittedPacketsReceived:
                    s.retransmittedPacketsReceived || 0,
                pliCount: s.pliCount || 0,
                firCount: s.firCount || 0,
                framesDecoded: s.framesDecoded || 0,
                jitter: s.jitter || 0,
                totalSamplesReceived: s.totalSamplesReceived || 0,
            };
        });

        return out;
    }, name || null);
}


module.exports = { inbound };
