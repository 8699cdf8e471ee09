/*
 * Copyright (C) nginx-rtc authors
 */

/*
 * A STUN server for tests, Binding only: answers a request with its
 * source address, in XOR-MAPPED-ADDRESS with a FINGERPRINT (RFC 8489), or
 * in MAPPED-ADDRESS to a classic RFC 3489 request, which has no magic
 * cookie (libnice discovers server-reflexive candidates with those).
 * IPv4.  Prints "READY <port>" once bound.
 *
 *   node t/e2e/lib/stun_server.js ADDRESS PORT
 */

'use strict';

const dgram = require('node:dgram');
const zlib = require('node:zlib');

const MAGIC = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAPPED_ADDRESS = 0x0001;
const XOR_MAPPED_ADDRESS = 0x0020;
const FINGERPRINT = 0x8028;


/* RFC 8489, 14.7: CRC-32 of the message up to it, XOR 0x5354554e */

function fingerprint(msg) {
    return (zlib.crc32(msg) ^ 0x5354554e) >>> 0;
}


function address(rinfo) {
    const ip = rinfo.address.split('.').map(Number);
    return (ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3]) >>> 0;
}


/* RFC 3489, 11.2.1: the header's 16 bytes after the length are its id */

function answer3489(req, rinfo) {
    const res = Buffer.alloc(20 + 12);

    res.writeUInt16BE(BINDING_SUCCESS, 0);
    res.writeUInt16BE(12, 2);
    req.copy(res, 4, 4, 20);

    res.writeUInt16BE(MAPPED_ADDRESS, 20);
    res.writeUInt16BE(8, 22);
    res.writeUInt8(0, 24);
    res.writeUInt8(0x01, 25);
    res.writeUInt16BE(rinfo.port, 26);
    res.writeUInt32BE(address(rinfo), 28);

    return res;
}


function answer(req, rinfo) {
    if (req.length < 20 || req.readUInt16BE(0) !== BINDING_REQUEST
        || req.readUInt16BE(2) + 20 !== req.length)
    {
        return null;
    }

    if (req.readUInt32BE(4) !== MAGIC) {
        return answer3489(req, rinfo);
    }

    const res = Buffer.alloc(20 + 12 + 8);

    res.writeUInt16BE(BINDING_SUCCESS, 0);
    res.writeUInt16BE(12 + 8, 2);
    res.writeUInt32BE(MAGIC, 4);
    req.copy(res, 8, 8, 20);                       /* transaction id */

    res.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
    res.writeUInt16BE(8, 22);
    res.writeUInt8(0, 24);
    res.writeUInt8(0x01, 25);                      /* IPv4 */
    res.writeUInt16BE(rinfo.port ^ (MAGIC >>> 16), 26);
    res.writeUInt32BE((address(rinfo) ^ MAGIC) >>> 0, 28);

    res.writeUInt16BE(FINGERPRINT, 32);
    res.writeUInt16BE(4, 34);
    res.writeUInt32BE(fingerprint(res.subarray(0, 32)), 36);

    return res;
}


if (require.main === module) {
    const [address, port] = process.argv.slice(2);
    const sock = dgram.createSocket('udp4');

    sock.on('message', (msg, rinfo) => {
        const res = answer(msg, rinfo);
        if (res) {
            process.stderr.write(`binding from ${rinfo.address}:`
                                 + `${rinfo.port}\n`);
            sock.send(res, rinfo.port, rinfo.address);
        }
    });

    sock.bind(Number(port), address, () => {
        process.stdout.write(`READY ${sock.address().port}\n`);
    });
}


module.exports = { answer };
