/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * GStreamer's webrtcbin as a WHEP viewer (t/lib/webrtcbin_client.py), run
 * to its end:
 *
 *   const { webrtcbin } = require('./lib/webrtcbin');
 *   const r = await webrtcbin(ngx.url('/whep/cam'),
 *                             ['--codecs', 'h264', '--frames', '50']);
 *   // r.code (the exit code), r.result (its JSON line, or null),
 *   // r.out (stdout), r.err (the end of stderr)
 */

'use strict';

const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO, live } = require('./nginx');

const PYTHON = process.env.TEST_PYTHON || '/usr/bin/python3';
const CLIENT = path.join(REPO, 't', 'lib', 'webrtcbin_client.py');


function webrtcbin(url, args) {
    return new Promise((resolve, reject) => {
        const proc = spawn(PYTHON, [CLIENT, '--url', url].concat(args || []),
                           { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';

        live.add(proc);
        proc.stdout.on('data', (c) => { out += c; });
        proc.stderr.on('data', (c) => { err = (err + c).slice(-4096); });
        proc.on('error', reject);
        proc.on('exit', (code) => {
            live.delete(proc);
            let result = null;
            try {
                result = JSON.parse(out.trim().split('\n').pop());
            } catch (e) {
                /* no JSON line: the client failed, err says why */
            }
            resolve({ code, result, out, err });
        });
    });
}


module.exports = { webrtcbin, PYTHON, CLIENT };
