/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * Helpers of the cluster tests: the configurations of examples/cluster/
 * with some strings replaced, and an HTTPS client for the front that
 * lib/werift.js and lib/whep.js take for an nginx.
 *
 *   const { fromExample, frontClient } = require('./lib/cluster');
 *   const conf = fromExample('front.conf', [['listen 443 ssl;', '...']]);
 *   const front = frontClient(port, caPem, token);
 *   await front.http('POST', '/cams/whep/lobby', sdp, headers);
 *   new Viewer(front, '/cams/whep/lobby');
 */

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const https = require('node:https');
const { REPO } = require('./nginx');

const EXAMPLES = path.join(REPO, 'examples', 'cluster');


/*
 * An example file with some strings replaced: each must be in the file
 * exactly once, so that the test fails when the example changes under it.
 */

function fromExample(file, pairs) {
    let text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');

    for (const [from, to] of pairs) {
        const n = text.split(from).length - 1;
        if (n !== 1) {
            throw new Error(`examples/cluster/${file}: "${from}" is there `
                            + `${n} times, not once`);
        }
        text = text.replace(from, () => to);
    }

    return text;
}


/*
 * An HTTP(S) client for an nginx on 127.0.0.1:port, as lib/werift.js and
 * lib/whep.js take one: opts.tls (HTTPS), opts.ca (the certificate to
 * trust), opts.headers (on every request, a request's own win).
 */

function httpClient(port, o) {
    const opts = Object.assign({ tls: false, headers: {} }, o);
    const scheme = opts.tls ? 'https' : 'http';
    const url = (p) => `${scheme}://127.0.0.1:${port}${p || '/'}`;

    return {
        url,
        http(method, urlPath, body, headers) {
            const h = Object.assign({}, opts.headers, headers || {});

            return new Promise((resolve, reject) => {
                if (body !== undefined && body !== null) {
                    body = Buffer.from(String(body));
                    h['Content-Length'] = body.length;
                }

                const req = (opts.tls ? https : http).request(url(urlPath), {
                    method, headers: h, ca: opts.ca, agent: false,
                }, (res) => {
                    const chunks = [];
                    res.on('data', (c) => chunks.push(c));
                    res.on('end', () => resolve({
                        status: res.statusCode,
                        headers: res.headers,
                        rawHeaders: res.rawHeaders,
                        body: Buffer.concat(chunks).toString('utf8'),
                    }));
                    res.on('error', reject);
                });

                req.setTimeout(15000, () => {
                    req.destroy(new Error(`${method} ${urlPath}: timeout`));
                });
                req.on('error', reject);
                if (body !== undefined && body !== null) {
                    req.write(body);
                }
                req.end();
            });
        },
    };
}


/*
 * The front on 127.0.0.1:port over HTTPS (ca: the certificate to trust),
 * with Authorization: Bearer token on every request when token is given.
 */

function frontClient(port, ca, token) {
    return httpClient(port, {
        tls: true, ca,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
}


module.exports = { fromExample, frontClient, httpClient, EXAMPLES };
