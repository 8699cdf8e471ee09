#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# An RTSP camera (plain sockets, one thread per connection) that streams
# a real H.264 clip (t/lib/quirk_camera.h264: x264, 320x240, 40 frames at
# 10 fps, a keyframe a second with SPS/PPS in band) over TCP interleaved,
# looping, with one field quirk of real cameras chosen by the first path
# segment of the URL (from the review rv1):
#
#   normal          reference: STAP-A(SPS,PPS), single NAL / FU-A, marker
#   stap_pad        STAP-A with 2 trailing zero bytes (padding)
#   annexb          the whole AU, with start codes, in one packet
#   empty_rtp       a zero-length RTP packet (own ts, marker) 2 frames
#                   after each keyframe
#   bad_stap        STAP-A whose last size is 5 bytes too big (a broken
#                   camera: no picture, but a line in nginx's log)
#   noclen          DESCRIBE answered without Content-Length
#   junk            "\r\n" between '$' frames every 20 frames
#   stale           a second SSRC on channel 0 (a stale live555 session)
#   short_timeout   Session timeout=4: closes if no request for 5 s
#   early_rtp       RTP right after SETUP, PLAY answered 1 s later
#   server_req      SET_PARAMETER with a body between '$' frames
#   no_interleaved  Transport answer without interleaved=
#   other_channels  Transport answer interleaved=6-7, data on 6
#   jpeg_first      SDP: m=video JPEG (pt 26) first, H.264 second
#   backchannel     SDP: ONVIF backchannel audio (sendonly) first
#   ssrc_change     after 3 s new SSRC, seq and ts base
#   ts_back         after 3 s ts jumps back by 10 s
#   bye             after 3 s RTCP BYE and no more media (TCP stays)
#   cseq_echo0      every response carries "CSeq: 0"
#
# stdout: READY <port>, CONN <mode> <n>, EVENT <mode> <text>.
#
#   /usr/bin/python3 t/lib/quirk_camera.py [--host 127.0.0.1] [--port 8556]

import argparse
import os
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

CLIP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    'quirk_camera.h264')
lock = threading.Lock()
counts = {}


def say(line):
    with lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def load_aus():
    d = open(CLIP, 'rb').read()
    starts = [m.start() for m in re.finditer(b'\x00\x00\x01', d)]
    nals = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(d)
        n = d[s + 3:e]
        while n.endswith(b'\x00'):
            n = n[:-1]
        nals.append(n)
    aus, cur = [], []
    for n in nals:
        cur.append(n)
        if n[0] & 0x1f in (1, 5):
            aus.append(cur)
            cur = []
    return aus


AUS = load_aus()
SPS = [n for n in AUS[0] if n[0] & 0x1f == 7][0]
PPS = [n for n in AUS[0] if n[0] & 0x1f == 8][0]


def b64(b):
    import base64
    return base64.b64encode(b).decode()


def sdp(mode):
    v = ('m=video 0 RTP/AVP 96\r\n'
         'a=rtpmap:96 H264/90000\r\n'
         'a=fmtp:96 packetization-mode=1;profile-level-id=42c00d;'
         'sprop-parameter-sets=%s,%s\r\n'
         'a=control:trackID=1\r\n' % (b64(SPS), b64(PPS)))
    s = ('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=quirk\r\nt=0 0\r\n'
         'a=control:*\r\n')
    if mode == 'jpeg_first':
        s += ('m=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\n'
              'a=control:trackID=0\r\n')
    if mode == 'backchannel':
        s += ('m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'
              'a=control:trackID=5\r\na=sendonly\r\n')
    s += v
    if mode == 'backchannel':
        s += ('m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n'
              'a=control:trackID=2\r\na=recvonly\r\n')
    return s.encode()


def payloads(au, mode):
    """RTP payloads of one AU: (payload, marker)."""
    if mode == 'annexb':
        return [(b''.join(b'\x00\x00\x00\x01' + n for n in au), 1)]
    out = []
    ps = [n for n in au if n[0] & 0x1f in (7, 8)]
    rest = [n for n in au if n[0] & 0x1f not in (7, 8)]
    if ps:
        p = bytes([0x78])
        for n in ps:
            p += struct.pack('!H', len(n)) + n
        if mode == 'stap_pad':
            p += b'\x00\x00'
        if mode == 'bad_stap':
            n = len(ps[-1]) + 5
            p = p[:-len(ps[-1]) - 2] + struct.pack('!H', n) + ps[-1]
        out.append([p, 0])
    for n in rest:
        if len(n) <= 1400:
            out.append([n, 0])
            continue
        hdr, body = n[0], n[1:]
        chunks = [body[i:i + 1400] for i in range(0, len(body), 1400)]
        for i, c in enumerate(chunks):
            fu = (hdr & 0x1f) | (0x80 if i == 0 else 0) \
                | (0x40 if i == len(chunks) - 1 else 0)
            out.append([bytes([(hdr & 0xe0) | 28, fu]) + c, 0])
    out[-1][1] = 1
    return [tuple(x) for x in out]


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b''
        self.wlock = threading.Lock()
        self.last_req = time.monotonic()

    def read_request(self, timeout=None):
        self.sock.settimeout(timeout)
        while True:
            while self.buf.startswith(b'$') and len(self.buf) >= 4:
                n = int.from_bytes(self.buf[2:4], 'big')
                if len(self.buf) < 4 + n:
                    break
                self.buf = self.buf[4 + n:]
            end = self.buf.find(b'\r\n\r\n')
            if end >= 0 and not self.buf.startswith(b'$'):
                head = self.buf[:end].decode('latin-1')
                lines = head.split('\r\n')
                hdrs = {}
                for l in lines[1:]:
                    if ':' in l:
                        k, v = l.split(':', 1)
                        hdrs[k.strip().lower()] = v.strip()
                clen = int(hdrs.get('content-length', '0') or 0)
                if len(self.buf) >= end + 4 + clen:
                    self.buf = self.buf[end + 4 + clen:]
                    parts = lines[0].split(' ')
                    self.last_req = time.monotonic()
                    return parts[0], parts[1], hdrs
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return 'TIMEOUT', None, None
            except OSError:
                return None, None, None
            if not data:
                return None, None, None
            self.buf += data

    def send(self, data):
        if isinstance(data, str):
            data = data.encode('latin-1')
        with self.wlock:
            self.sock.sendall(data)

    def respond(self, mode, hdrs, status='200 OK', extra=(), body=b'',
                clen=True):
        cseq = '0' if mode == 'cseq_echo0' else hdrs.get('cseq', '0')
        out = 'RTSP/1.0 %s\r\nCSeq: %s\r\n' % (status, cseq)
        for h in extra:
            out += h + '\r\n'
        if body and clen:
            out += 'Content-Length: %d\r\n' % len(body)
        out += '\r\n'
        self.send(out.encode() + body)


class Streamer(threading.Thread):
    def __init__(self, conn, mode, channel):
        super().__init__(daemon=True)
        self.conn, self.mode, self.channel = conn, mode, channel
        self.stop = False

    def frame(self, ch, payload, marker, seq, ts, ssrc, pt=96):
        pkt = struct.pack('!BBHII', 0x80, (0x80 if marker else 0) | pt,
                          seq & 0xffff, ts & 0xffffffff, ssrc) + payload
        return b'$' + bytes([ch]) + struct.pack('!H', len(pkt)) + pkt

    def run(self):
        mode, ch = self.mode, self.channel
        seq, ts, ssrc = 1000, 123456, 0x11111111
        sseq, sts = 40000, 999999        # the stale session
        t0 = time.monotonic()
        n = 0
        changed = False
        try:
            while not self.stop:
                au = AUS[n % len(AUS)]
                key = any(x[0] & 0x1f == 5 for x in au)
                out = b''
                for p, m in payloads(au, mode):
                    out += self.frame(ch, p, m, seq, ts, ssrc)
                    seq += 1
                if mode == 'stale':
                    for p, m in payloads(au, 'normal'):
                        out += self.frame(ch, p, m, sseq, sts, 0x22222222)
                        sseq += 1
                    sts += 9000
                if mode == 'empty_rtp' and n % 10 == 2:
                    out += self.frame(ch, b'', 1, seq, ts + 4500, ssrc)
                    seq += 1
                if mode == 'junk' and n % 20 == 19:
                    out += b'\r\n'
                if mode == 'server_req' and n % 20 == 19:
                    body = b'foo: bar\r\n'
                    out += (b'SET_PARAMETER rtsp://127.0.0.1/ RTSP/1.0\r\n'
                            b'CSeq: %d\r\nContent-Type: text/parameters\r\n'
                            b'Content-Length: %d\r\n\r\n' % (n, len(body))
                            + body)
                self.conn.send(out)
                ts += 9000
                n += 1
                el = time.monotonic() - t0
                if el > 3 and not changed:
                    changed = True
                    if mode == 'ssrc_change':
                        ssrc, seq, ts = 0x33333333, 7, 5
                        say('EVENT %s changed' % mode)
                    elif mode == 'ts_back':
                        ts -= 900000
                        say('EVENT %s changed' % mode)
                    elif mode == 'bye':
                        bye = struct.pack('!BBHI', 0x81, 203, 1, ssrc)
                        self.conn.send(b'$' + bytes([ch + 1])
                                       + struct.pack('!H', len(bye)) + bye)
                        say('EVENT %s bye' % mode)
                        return
                time.sleep(max(0, t0 + n * 0.1 - time.monotonic()))
        except OSError:
            pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = Conn(self.request)
        method, uri, hdrs = conn.read_request()
        if method is None:
            return
        m = re.match(r'rtsps?://[^/]*/([a-z_0-9]+)', uri)
        mode = m.group(1) if m else 'unknown'
        with lock:
            counts[mode] = counts.get(mode, 0) + 1
            k = counts[mode]
        say('CONN %s %d' % (mode, k))
        streamer = None
        session = 'a1b2c3'
        timeout = 4 if mode == 'short_timeout' else 60
        try:
            while method is not None:
                if method == 'TIMEOUT':
                    say('EVENT %s session timed out' % mode)
                    break
                if method != 'TIMEOUT':
                    say('EVENT %s req %s %s' % (mode, method, uri))
                if method == 'OPTIONS':
                    conn.respond(mode, hdrs, extra=[
                        'Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, '
                        'GET_PARAMETER, SET_PARAMETER'])
                elif method == 'DESCRIBE':
                    base = uri if uri.endswith('/') else uri + '/'
                    conn.respond(mode, hdrs, extra=[
                        'Content-Type: application/sdp',
                        'Content-Base: ' + base], body=sdp(mode),
                        clen=(mode != 'noclen'))
                elif method == 'SETUP':
                    tr = hdrs.get('transport', '')
                    im = re.search(r'interleaved=(\d+)', tr)
                    ch = int(im.group(1)) if im else 0
                    if mode == 'other_channels':
                        ch = 6
                    if mode == 'no_interleaved':
                        t = 'RTP/AVP/TCP;unicast'
                    else:
                        t = 'RTP/AVP/TCP;unicast;interleaved=%d-%d' % (
                            ch, ch + 1)
                    conn.respond(mode, hdrs, extra=[
                        'Transport: ' + t,
                        'Session: %s;timeout=%d' % (session, timeout)])
                    if 'trackID=1' in uri:
                        vch = ch
                        if mode == 'early_rtp':
                            streamer = Streamer(conn, mode, vch)
                            streamer.start()
                elif method == 'PLAY':
                    if mode == 'early_rtp':
                        time.sleep(1)
                    conn.respond(mode, hdrs, extra=['Session: ' + session])
                    if streamer is None:
                        streamer = Streamer(conn, mode, vch)
                        streamer.start()
                else:
                    conn.respond(mode, hdrs, extra=['Session: ' + session])
                method, uri, hdrs = conn.read_request(
                    timeout + 1 if streamer else None)
        finally:
            if streamer:
                streamer.stop = True
            try:
                self.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8556)
    a = ap.parse_args()
    server = Server((a.host, a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(
        target=server.shutdown, daemon=True).start())
    say('READY %d' % server.server_address[1])
    server.serve_forever(poll_interval=0.2)


if __name__ == '__main__':
    main()
