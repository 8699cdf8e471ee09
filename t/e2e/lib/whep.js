/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * WHEP PATCH helpers (RFC 9725, 4.3; RFC 8840 SDP fragments), client side.
 *
 *   const w = require('./lib/whep');
 *   const ice = w.iceOf(offerSdp);      // { ufrag, pwd, mid, candidates }
 *   const frag = w.fragment(ice);       // trickle or restart fragment
 *   const a = await w.post(ngx, '/whep/cam', offer);   // riding out 503s
 *   const r = await w.patch(ngx, sessionPath, frag, etag);
 *   const ours = w.parseFragment(r.body);   // after a restart: 200
 *   const answer2 = w.withCredentials(answer, ours.ufrag, ours.pwd);
 *   w.links(r.headers)                  // Link: rel="ice-server" entries
 */

'use strict';

const FRAG_TYPE = 'application/trickle-ice-sdpfrag';


function lines(sdp) {
    return sdp.split(/\r?\n/).filter((l) => l.length);
}


/*
 * The ICE part of an SDP: credentials (media level first, as Chromium
 * writes them), the first bundled m= line and mid, every candidate.
 */

function iceOf(sdp) {
    const out = { ufrag: null, pwd: null, mline: null, mid: null,
                  candidates: [] };

    for (const l of lines(sdp)) {
        let m;
        if ((m = l.match(/^a=ice-ufrag:(.+)$/)) && !out.ufrag) {
            out.ufrag = m[1].trim();
        } else if ((m = l.match(/^a=ice-pwd:(.+)$/)) && !out.pwd) {
            out.pwd = m[1].trim();
        } else if (l.startsWith('m=') && !out.mline) {
            const f = l.slice(2).split(' ');
            out.mline = `m=${f[0]} 9 ${f[2]} ${f[3] || '0'}`;
        } else if ((m = l.match(/^a=mid:(.+)$/)) && out.mid === null) {
            out.mid = m[1].trim();
        } else if (l.startsWith('a=candidate:')) {
            if (!out.candidates.includes(l.slice(2))) {
                out.candidates.push(l.slice(2));
            }
        }
    }

    return out;
}


/*
 * An SDP fragment (RFC 8840, 9): credentials at session level, then one
 * media section with its mid and the candidates.
 */

function fragment(ice, opts) {
    const o = opts || {};
    const out = [];

    if (ice.ufrag && !o.noCredentials) {
        out.push(`a=ice-ufrag:${ice.ufrag}`, `a=ice-pwd:${ice.pwd}`);
    }

    out.push(ice.mline || 'm=video 9 UDP/TLS/RTP/SAVPF 0');
    out.push(`a=mid:${ice.mid === null ? '0' : ice.mid}`);

    for (const c of ice.candidates) {
        out.push(c.startsWith('a=') ? c : `a=${c}`);
    }

    if (o.end) {
        out.push('a=end-of-candidates');
    }

    return out.join('\r\n') + '\r\n';
}


function parseFragment(text) {
    return iceOf(text);
}


/*
 * POST an offer; while the server answers 503 (the camera is starting),
 * again until retryMs passed.  The last response.
 */

async function post(ngx, path, sdp, retryMs) {
    const end = Date.now() + (retryMs === undefined ? 20000 : retryMs);

    for ( ;; ) {
        const r = await ngx.http('POST', path, sdp,
                                 { 'Content-Type': 'application/sdp' });
        if (r.status !== 503 || Date.now() >= end) {
            return r;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}


/* PATCH the session; etag (If-Match) may be '*', a value, or undefined */

function patch(ngx, sessionPath, body, etag, type) {
    const h = { 'Content-Type': type || FRAG_TYPE };
    if (etag !== undefined && etag !== null) {
        h['If-Match'] = etag;
    }
    return ngx.http('PATCH', sessionPath, body, h);
}


/* the answer with new ice-ufrag/ice-pwd values (after an ICE restart) */

function withCredentials(sdp, ufrag, pwd) {
    return sdp.replace(/^a=ice-ufrag:.*$/mg, `a=ice-ufrag:${ufrag}`)
              .replace(/^a=ice-pwd:.*$/mg, `a=ice-pwd:${pwd}`);
}


/*
 * Link header values (node joins repeated headers with ", ") with
 * rel="ice-server": [{ url, username, credential, credentialType }]
 */

function links(headers) {
    const raw = headers.link;
    if (!raw) {
        return [];
    }

    const out = [];
    const re = /<([^>]*)>((?:\s*;\s*[a-z-]+="(?:[^"\\]|\\.)*")*)/g;
    let m;

    while ((m = re.exec(raw)) !== null) {
        const params = {};
        const pre = /;\s*([a-z-]+)="((?:[^"\\]|\\.)*)"/g;
        let p;
        while ((p = pre.exec(m[2])) !== null) {
            params[p[1]] = p[2].replace(/\\(.)/g, '$1');
        }
        if (params.rel === 'ice-server') {
            out.push({
                url: m[1],
                username: params.username,
                credential: params.credential,
                credentialType: params['credential-type'],
            });
        }
    }

    return out;
}


/* RTCIceServer objects for RTCPeerConnection from those Link entries */

function iceServers(headers) {
    return links(headers).map((l) => {
        const s = { urls: l.url };
        if (l.username !== undefined) {
            s.username = l.username;
            s.credential = l.credential;
        }
        return s;
    });
}


module.exports = {
    FRAG_TYPE, iceOf, fragment, parseFragment, post, patch,
    withCredentials, links, iceServers,
};
