/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * An Annex B H.264 stream whose SPS units say another picture size, the
 * rest of each SPS and every other unit kept: a hostile stream for the
 * decoders (t/e2e/pool_lifecycle.test.js).  Profiles without the
 * chroma_format_idc fields only (baseline, main, extended), any
 * pic_order_cnt_type.
 *
 *   resizeSps(annexB, 16000, 16000)   a Buffer
 */

'use strict';


function unescape(b) {
    const out = [];

    for (let i = 0; i < b.length; i++) {
        if (i >= 2 && b[i] === 3 && b[i - 1] === 0 && b[i - 2] === 0
            && out.length >= 2 && out[out.length - 1] === 0
            && out[out.length - 2] === 0)
        {
            continue;
        }
        out.push(b[i]);
    }
    return out;
}


function escape(bytes) {
    const out = [];
    let zeros = 0;

    for (const v of bytes) {
        if (zeros >= 2 && v <= 3) {
            out.push(3);
            zeros = 0;
        }
        out.push(v);
        zeros = v === 0 ? zeros + 1 : 0;
    }
    return Buffer.from(out);
}


class Bits {

    constructor(bytes) {
        this.bytes = bytes;
        this.pos = 0;
    }

    u(n) {
        let v = 0;
        for (let i = 0; i < n; i++, this.pos++) {
            v = v * 2 + ((this.bytes[this.pos >> 3] >> (7 - (this.pos & 7)))
                         & 1);
        }
        return v;
    }

    ue() {
        let zeros = 0;
        while (this.u(1) === 0) {
            zeros++;
        }
        return (2 ** zeros) - 1 + this.u(zeros);
    }

    se() {
        const k = this.ue();
        return k & 1 ? (k + 1) / 2 : -k / 2;
    }
}


class Writer {

    constructor() {
        this.bits = [];
    }

    u(n, v) {
        for (let i = n - 1; i >= 0; i--) {
            this.bits.push(Math.floor(v / (2 ** i)) & 1);
        }
    }

    ue(v) {
        const x = v + 1;
        const len = Math.floor(Math.log2(x));
        this.u(len, 0);
        this.u(len + 1, x);
    }

    bytes() {
        const out = [];
        for (let i = 0; i < this.bits.length; i += 8) {
            let v = 0;
            for (let j = 0; j < 8; j++) {
                v = v * 2 + (this.bits[i + j] || 0);
            }
            out.push(v);
        }
        return out;
    }
}


/* one SPS (the NAL header byte first), escaped */

function resize(nal, width, height) {
    const rbsp = unescape(nal);
    const r = new Bits(rbsp);
    const w = new Writer();
    const copy = (n) => w.u(n, r.u(n));
    const copyUe = () => w.ue(r.ue());

    copy(8);                                /* NAL header */
    const profile = r.u(8);
    w.u(8, profile);

    if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]
        .includes(profile))
    {
        throw new Error(`SPS of profile ${profile}: not handled`);
    }

    copy(16);                               /* constraints, level */
    copyUe();                               /* seq_parameter_set_id */
    copyUe();                               /* log2_max_frame_num_minus4 */

    const poc = r.ue();
    w.ue(poc);

    if (poc === 0) {
        copyUe();
    } else if (poc === 1) {
        copy(1);
        w.ue(r.ue());                       /* offsets: se, as ue codes */
        w.ue(r.ue());
        const n = r.ue();
        w.ue(n);
        for (let i = 0; i < n; i++) {
            copyUe();
        }
    }

    copyUe();                               /* max_num_ref_frames */
    copy(1);                                /* gaps */

    r.ue();
    r.ue();
    w.ue(Math.ceil(width / 16) - 1);
    w.ue(Math.ceil(height / 16) - 1);

    /* the rest as it is, the trailing bits included */

    while (r.pos < rbsp.length * 8) {
        copy(1);
    }

    /* no trailing zero byte of our own making */

    const out = w.bytes();
    while (out.length > 1 && out[out.length - 1] === 0) {
        out.pop();
    }
    return escape(out);
}


function resizeSps(annexB, width, height) {
    const parts = [];
    let i = 0;
    const starts = [];

    while (i + 3 <= annexB.length) {
        if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
            starts.push(i + 3);
            i += 3;
        } else {
            i++;
        }
    }

    for (let k = 0; k < starts.length; k++) {
        let end = k + 1 < starts.length ? starts[k + 1] - 3 : annexB.length;

        while (end > starts[k] && annexB[end - 1] === 0) {
            end--;
        }

        const nal = annexB.subarray(starts[k], end);

        parts.push(Buffer.from([0, 0, 0, 1]));
        parts.push((nal[0] & 0x1f) === 7 ? resize(nal, width, height) : nal);
    }

    return Buffer.concat(parts);
}


module.exports = { resizeSps };
