#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# An RTSP server that misbehaves on purpose, for the client's robustness
# tests.  Plain sockets, one thread per connection; the mode is the first
# path segment of the URL the client asks for:
#
#   rtsp://HOST:PORT/malformed       an invalid status line
#   rtsp://HOST:PORT/huge_header     a response header block of 1 MB
#   rtsp://HOST:PORT/huge_body       Content-Length: 10000000
#   rtsp://HOST:PORT/close_mid_body  DESCRIBE: 100 of 500 body bytes, close
#   rtsp://HOST:PORT/unauthorized    401 with a fresh stale Digest nonce,
#                                    for ever
#   rtsp://HOST:PORT/stall           accepts, reads, never answers
#   rtsp://HOST:PORT/chatty          answers OPTIONS, never DESCRIBE, and
#                                    meanwhile sends requests of its own
#                                    (GET_PARAMETER) every 2 s
#   rtsp://HOST:PORT/truncated       plays, then a '$' frame of 1000 bytes
#                                    cut after 100, and close
#   rtsp://HOST:PORT/oversized       plays, then 64 KB '$' frames of junk
#   rtsp://HOST:PORT/garbage         plays, then interleaved frames that
#                                    are not RTP
#   rtsp://HOST:PORT/digest_qop      a correct server behind Digest with
#                                    qop="auth" (RFC 2617 3.2.2): checks
#                                    the client's answer, plays, sends no
#                                    media
#   rtsp://HOST:PORT/udp             a correct server for RTP over UDP:
#                                    sends RTP (H.264 non-IDR slices, 50
#                                    a second) to the client_port SETUP
#                                    gave, reports each RTCP receiver
#                                    report it gets on its server port
#                                    ("EVENT udp rr ssrc=... highest=...
#                                    lost=... jitter=...")
#
#   /usr/bin/python3 t/lib/hostile_camera.py --host 127.0.0.1 --port 8555 \
#       [--user admin --password 'p@ss w0rd']
#
# stdout: "READY <port>" once listening, "CONN <mode> <n>" for each
# connection, "EVENT <mode> <text>" for what a test may check ("auth-ok
# qop=auth", "auth-bad ...").  SIGTERM ends it.

import argparse
import hashlib
import os
import re
import select
import signal
import socket
import socketserver
import struct
import sys
import threading
import time


MODES = ('malformed', 'huge_header', 'huge_body', 'close_mid_body',
         'unauthorized', 'stall', 'chatty', 'truncated', 'oversized',
         'garbage', 'digest_qop', 'udp')

REALM = 'hostile camera'

lock = threading.Lock()
counts = {}


def say(line):
    with lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Request:

    def __init__(self, method, uri, headers, body):
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower(), '')


class Conn:

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def read_request(self):
        """The next request, or None when the client closed."""

        while True:
            # interleaved data from the client (RTCP receiver reports)
            while self.buf.startswith(b'$'):
                if len(self.buf) < 4:
                    break
                n = int.from_bytes(self.buf[2:4], 'big')
                if len(self.buf) < 4 + n:
                    break
                self.buf = self.buf[4 + n:]

            end = self.buf.find(b'\r\n\r\n')
            if end >= 0 and not self.buf.startswith(b'$'):
                head = self.buf[:end].decode('latin-1')
                lines = head.split('\r\n')
                headers = {}
                for line in lines[1:]:
                    if ':' in line:
                        k, v = line.split(':', 1)
                        headers[k.strip().lower()] = v.strip()
                clen = int(headers.get('content-length', '0') or 0)
                if len(self.buf) >= end + 4 + clen:
                    body = self.buf[end + 4:end + 4 + clen]
                    self.buf = self.buf[end + 4 + clen:]
                    parts = lines[0].split(' ')
                    if len(parts) < 3:
                        return None
                    return Request(parts[0], parts[1], headers, body)

            try:
                data = self.sock.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            self.buf += data

    def send(self, data):
        if isinstance(data, str):
            data = data.encode('latin-1')
        self.sock.sendall(data)

    def respond(self, req, status='200 OK', headers=(), body=b''):
        out = 'RTSP/1.0 %s\r\nCSeq: %s\r\n' % (status, req.header('CSeq'))
        for h in headers:
            out += h + '\r\n'
        if body:
            out += 'Content-Length: %d\r\n' % len(body)
        out += '\r\n'
        self.send(out.encode('latin-1') + body)

    def drain(self):
        """Reads (and drops) until the client closes."""
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass


def sdp_for(req):
    return ('v=0\r\n'
            'o=- 1 1 IN IP4 127.0.0.1\r\n'
            's=hostile\r\n'
            't=0 0\r\n'
            'a=control:*\r\n'
            'm=video 0 RTP/AVP 96\r\n'
            'a=rtpmap:96 H264/90000\r\n'
            'a=fmtp:96 packetization-mode=1\r\n'
            'a=control:trackID=0\r\n').encode()


def play(conn, req, mode):
    """OPTIONS, DESCRIBE, SETUP, PLAY as a camera; False if it went away."""

    while req is not None:
        m = req.method

        if m == 'OPTIONS':
            conn.respond(req, headers=['Public: OPTIONS, DESCRIBE, SETUP, '
                                       'PLAY, TEARDOWN, GET_PARAMETER'])
        elif m == 'DESCRIBE':
            base = req.uri if req.uri.endswith('/') else req.uri + '/'
            conn.respond(req, headers=['Content-Type: application/sdp',
                                       'Content-Base: ' + base],
                         body=sdp_for(req))
        elif m == 'SETUP':
            conn.respond(req, headers=[
                'Transport: RTP/AVP/TCP;unicast;interleaved=0-1',
                'Session: 6b8f2c;timeout=60'])
        elif m == 'PLAY':
            conn.respond(req, headers=['Session: 6b8f2c',
                                       'Range: npt=0.000-'])
            return True
        else:
            conn.respond(req, headers=['Session: 6b8f2c'])

        req = conn.read_request()

    return False


def digest_check(req, user, password, qop):
    """RFC 2617 3.2.2: True if the Authorization header is right."""

    authz = req.header('Authorization')
    if not authz.startswith('Digest '):
        return False, 'no Digest credentials'

    params = {k: a or b for k, a, b in
              re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', authz[7:])}

    if params.get('username') != user:
        return False, 'wrong user'
    if params.get('realm') != REALM or params.get('uri') != req.uri:
        return False, 'wrong realm or uri'

    ha1 = md5('%s:%s:%s' % (user, REALM, password))
    ha2 = md5('%s:%s' % (req.method, params.get('uri')))

    if qop:
        if params.get('qop') != 'auth' or not params.get('cnonce') \
           or not params.get('nc'):
            return False, 'qop=auth expected'
        want = md5('%s:%s:%s:%s:auth:%s' % (ha1, params.get('nonce'),
                                            params['nc'], params['cnonce'],
                                            ha2))
    else:
        want = md5('%s:%s:%s' % (ha1, params.get('nonce'), ha2))

    if params.get('response') != want:
        return False, 'wrong response'

    return True, 'qop=auth' if qop else 'no qop'


class Handler(socketserver.BaseRequestHandler):

    def handle(self):
        conn = Conn(self.request)
        req = conn.read_request()
        if req is None:
            return

        m = re.match(r'rtsps?://[^/]*/([a-z_]+)', req.uri)
        mode = m.group(1) if m else 'unknown'

        with lock:
            counts[mode] = counts.get(mode, 0) + 1
            n = counts[mode]

        say('CONN %s %d' % (mode, n))

        try:
            getattr(self, 'mode_' + mode, self.mode_unknown)(conn, req, mode)
        except OSError:
            pass

    def mode_unknown(self, conn, req, mode):
        conn.respond(req, '404 Not Found')
        conn.drain()

    def mode_malformed(self, conn, req, mode):
        conn.send('RTSP/1.0 2x0 Okay\r\nCSeq: %s\r\n\r\n'
                  % req.header('CSeq'))
        conn.drain()

    def mode_huge_header(self, conn, req, mode):
        conn.send('RTSP/1.0 200 OK\r\nCSeq: %s\r\nX-Filler: '
                  % req.header('CSeq'))
        chunk = b'a' * 65536
        for _ in range(16):
            conn.send(chunk)
        conn.send('\r\n\r\n')
        conn.drain()

    def mode_huge_body(self, conn, req, mode):
        conn.send('RTSP/1.0 200 OK\r\nCSeq: %s\r\nContent-Length: 10000000'
                  '\r\n\r\n' % req.header('CSeq'))
        conn.drain()

    def mode_close_mid_body(self, conn, req, mode):
        while req is not None and req.method != 'DESCRIBE':
            conn.respond(req)
            req = conn.read_request()
        if req is None:
            return
        conn.send('RTSP/1.0 200 OK\r\nCSeq: %s\r\n'
                  'Content-Type: application/sdp\r\n'
                  'Content-Length: 500\r\n\r\n' % req.header('CSeq'))
        conn.send(b'v=0\r\n' + b'x' * 95)
        self.request.shutdown(socket.SHUT_RDWR)

    def mode_unauthorized(self, conn, req, mode):
        while req is not None:
            nonce = os.urandom(8).hex()
            conn.respond(req, '401 Unauthorized', headers=[
                'WWW-Authenticate: Digest realm="%s", nonce="%s", '
                'stale=TRUE' % (REALM, nonce)])
            req = conn.read_request()

    def mode_stall(self, conn, req, mode):
        conn.drain()

    def mode_chatty(self, conn, req, mode):
        while req is not None and req.method != 'DESCRIBE':
            conn.respond(req)
            req = conn.read_request()
        if req is None:
            return
        cseq = 0
        while True:
            cseq += 1
            conn.send('GET_PARAMETER * RTSP/1.0\r\nCSeq: %d\r\n\r\n' % cseq)
            # the client's answers are read and dropped
            end = time.monotonic() + 2
            while time.monotonic() < end:
                r, _, _ = select.select([conn.sock], [], [],
                                        end - time.monotonic())
                if r and not conn.sock.recv(65536):
                    return

    def mode_truncated(self, conn, req, mode):
        if play(conn, req, mode):
            conn.send(b'$\x00\x03\xe8' + b'\x80' * 100)
            self.request.shutdown(socket.SHUT_RDWR)

    def mode_oversized(self, conn, req, mode):
        if play(conn, req, mode):
            frame = b'$\x00\xff\xff' + b'\x00' * 65535
            for _ in range(2000):
                conn.send(frame)
            conn.drain()

    def mode_garbage(self, conn, req, mode):
        if play(conn, req, mode):
            for _ in range(2000):
                junk = bytearray(os.urandom(200))
                junk[0] &= 0x3f                 # RTP version 0
                conn.send(b'$\x00\x00\xc8' + bytes(junk))
            conn.drain()

    def mode_digest_qop(self, conn, req, mode):
        server = self.server
        nonce = os.urandom(12).hex()

        while req is not None:
            ok, why = digest_check(req, server.user, server.password, True)

            if not ok:
                if req.header('Authorization'):
                    say('EVENT %s auth-bad %s' % (mode, why))
                conn.respond(req, '401 Unauthorized', headers=[
                    'WWW-Authenticate: Digest realm="%s", nonce="%s", '
                    'qop="auth", algorithm=MD5' % (REALM, nonce)])
                req = conn.read_request()
                continue

            say('EVENT %s auth-ok %s %s' % (mode, req.method, why))

            if req.method == 'PLAY':
                conn.respond(req, headers=['Session: 6b8f2c'])
                conn.drain()
                return

            if req.method == 'DESCRIBE':
                base = req.uri if req.uri.endswith('/') else req.uri + '/'
                conn.respond(req, headers=['Content-Type: application/sdp',
                                           'Content-Base: ' + base],
                             body=sdp_for(req))
            elif req.method == 'SETUP':
                conn.respond(req, headers=[
                    'Transport: RTP/AVP/TCP;unicast;interleaved=0-1',
                    'Session: 6b8f2c;timeout=60'])
            else:
                conn.respond(req, headers=['Public: OPTIONS, DESCRIBE, '
                                           'SETUP, PLAY, TEARDOWN'])

            req = conn.read_request()


    def mode_udp(self, conn, req, mode):
        host = self.client_address[0]
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((self.server.server_address[0], 0))
        rtcp.bind((self.server.server_address[0], 0))
        client = None

        try:
            while req is not None:
                m = req.method

                if m == 'DESCRIBE':
                    base = req.uri if req.uri.endswith('/') else req.uri + '/'
                    conn.respond(req, headers=[
                        'Content-Type: application/sdp',
                        'Content-Base: ' + base], body=sdp_for(req))

                elif m == 'SETUP':
                    t = re.search(r'client_port=(\d+)-(\d+)',
                                  req.header('Transport'))
                    if t is None:
                        conn.respond(req, '461 Unsupported Transport')
                    else:
                        client = int(t.group(1))
                        say('EVENT %s setup client_port=%s-%s'
                            % (mode, t.group(1), t.group(2)))
                        conn.respond(req, headers=[
                            'Transport: RTP/AVP;unicast;client_port=%s-%s;'
                            'server_port=%d-%d;ssrc=1A2B3C4D'
                            % (t.group(1), t.group(2), rtp.getsockname()[1],
                               rtcp.getsockname()[1]),
                            'Session: 77aa;timeout=60'])

                elif m == 'PLAY' and client:
                    conn.respond(req, headers=['Session: 77aa'])
                    self.udp_send(rtp, rtcp, (host, client), mode)
                    return

                else:
                    conn.respond(req, headers=['Public: OPTIONS, DESCRIBE, '
                                               'SETUP, PLAY, TEARDOWN'])

                req = conn.read_request()
        finally:
            rtp.close()
            rtcp.close()

    def udp_send(self, rtp, rtcp, dest, mode):
        """RTP until the control connection closes; RTCP reports in."""

        seq = 1000
        ts = 90000
        ctl = self.request
        next_at = time.monotonic()

        while True:
            r, _, _ = select.select([ctl, rtcp], [], [],
                                    max(0, next_at - time.monotonic()))

            if ctl in r:
                data = ctl.recv(65536)
                if not data:
                    return

            if rtcp in r:
                data, _ = rtcp.recvfrom(2048)
                # RFC 3550 6.4.2: RR, one report block
                if len(data) >= 32 and data[1] == 201 and data[0] & 0x1f:
                    ssrc, lost, high, jitter = struct.unpack(
                        '!I I I I', data[8:24])
                    say('EVENT %s rr ssrc=%08X highest=%d lost=%d '
                        'jitter=%d' % (mode, ssrc, high, lost & 0xffffff,
                                       jitter))
                elif len(data) >= 8 and data[1] == 201:
                    say('EVENT %s rr empty' % mode)

            if time.monotonic() >= next_at:
                # a non-IDR slice NAL unit, marker set: one AU a packet
                pkt = struct.pack('!BBHII', 0x80, 0x80 | 96, seq & 0xffff,
                                  ts & 0xffffffff, 0x1A2B3C4D)
                rtp.sendto(pkt + b'\x41\x9a' + b'\x00' * 100, dest)
                seq += 1
                ts += 1800
                next_at += 0.02


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description='misbehaving RTSP server')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8555)
    ap.add_argument('--user', default='admin')
    ap.add_argument('--password', default='p@ss w0rd')
    args = ap.parse_args()

    server = Server((args.host, args.port), Handler)
    server.user = args.user
    server.password = args.password

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    say('READY %d' % server.server_address[1])

    server.serve_forever(poll_interval=0.2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
