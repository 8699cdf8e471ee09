/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A JPEG from nginx, as ffprobe sees it:
 *
 *   const { probeJpeg } = require('./lib/jpeg');
 *   probeJpeg(buf)        // { codec: 'mjpeg', width, height }
 *
 * Throws if ffprobe cannot read it or ffmpeg cannot decode the picture.
 */

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');


function probeJpeg(buf) {
    const f = path.join(os.tmpdir(), `nginx-rtc-jpeg-${process.pid}.jpg`);
    fs.writeFileSync(f, buf);
    try {
        const out = execFileSync('ffprobe', ['-v', 'error',
            '-show_entries', 'stream=codec_name,width,height',
            '-of', 'csv=p=0', f], { encoding: 'utf8' }).trim();
        /* decoding the picture must not fail either */
        execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', f,
                                '-f', 'null', '-']);
        const [codec, w, h] = out.split(',');
        return { codec, width: Number(w), height: Number(h) };
    } finally {
        fs.rmSync(f, { force: true });
    }
}


module.exports = { probeJpeg };
