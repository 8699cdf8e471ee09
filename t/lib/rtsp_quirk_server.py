#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# An RTSP camera with the quirks of real ones, for the RTSP client's tests
# (t/e2e/rtsp_client_quirks.test.js) and the NAL depacketizer's
# (t/e2e/rtsp_field_quirks.test.js).  Plain sockets, one thread per
# connection; it streams a real H.264 clip (made by ffmpeg at start:
# 320x240, 10 fps, a keyframe a second, SPS and PPS in band) over TCP
# interleaved, looping.  The quirk is the first path segment of the URL:
#
#   normal        none: SPS, PPS and the others as single NAL unit
#                 packets, FU-A above 1400 bytes, the marker on the last
#   junk          stray bytes between '$' frames: a CRLF, the rest of a
#                 cut frame, a '$' on a channel not set up, every 3rd frame
#   flood         on the first connection, 2 s in, 80 KB of stray bytes
#                 and no more frames; on the next ones normal
#   stale         a second SSRC on the video channel, a stale session's,
#                 each of its packets after ours (old live555, Reolink)
#   stale_setup   the same, the stale packets first; SETUP's Transport
#                 gives our ssrc=
#   ssrc_change   3 s in: a new SSRC, sequence number and timestamp base
#                 (an encoder restart)
#   ssrc_gop      a new SSRC, sequence number and timestamp base at every
#                 keyframe (a Uniview camera, gortsplib #687)
#   ssrc_alt      two sources taking turns, a GOP each
#   jpeg_first    SDP: m=video JPEG first, then m=video H.264
#   backchannel   SDP: an ONVIF backchannel m=audio (a=sendonly) first,
#                 then the video, then the camera's m=audio (a=recvonly)
#   cseq0         every response says "CSeq: 0"
#   dup_answer    every response sent twice
#   bye           on the first connection, 2 s in, an RTCP BYE and no
#                 more frames (the connection stays open); then normal
#   play_stall    PLAY never answered
#   noclen        the DESCRIBE answer's SDP without Content-Length (some
#                 live555-based firmware), after the header in 4 writes
#                 120 ms apart
#   slow_*        DESCRIBE answered after 3 s (a slow NVR)
#
# Redirects, answers to DESCRIBE; ALIAS (127.0.0.2, same port) is
# "another host", served too when --host is 127.0.0.1:
#
#   redirect      302 to this server's /redirected
#   redirected    asks for Basic credentials (401 without), "auth U:P"
#   redirect_other  307 to ALIAS's /other (asks for credentials)
#   redirect_cred   301 to rtsp://v:q%40x@ALIAS/other_cred (the same)
#   redirect_loop   302 to itself, for ever
#   redirect_name   303 to rtsp://camera.invalid/normal (a host name)
#
# The depacketizer's modes: SPS and PPS in a STAP-A (and in the SDP's
# sprop-parameter-sets), the rest as in normal, but for the quirk:
#
#   stap          none: the reference of the four below
#   stap_pad      the STAP-A ends in 2 zero bytes (padding)
#   annexb        the whole AU (SPS and PPS too), each NAL unit after a
#                 start code 00 00 00 01, in one single NAL unit packet
#   empty_rtp     2 frames after each keyframe, an RTP packet without
#                 payload (its own timestamp, half a frame on; marker)
#   bad_stap      the STAP-A's last size 5 bytes too big (a broken
#                 camera: no picture, a line in nginx's log)
#
#   /usr/bin/python3 t/lib/rtsp_quirk_server.py --host 127.0.0.1 --port N
#
# stdout: "READY <port>", "CONN <mode> <n>" for each connection, "EVENT
# <mode> <text>": "req METHOD URI" for each request, "changed",
# "flooding", "auth USER:PASSWORD".

import argparse
import base64
import random
import re
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time


FPS = 10
ALIAS = '127.0.0.2'
AUTH = ('redirected', 'other', 'other_cred')
SSRC = 0x11111111
STALE = 0x22222222
NEW = 0x33333333

lock = threading.Lock()
counts = {}


def say(line):
    with lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def clip():
    """access units of a 2 s clip, each a list of NAL units"""

    d = subprocess.run(
        ['ffmpeg', '-v', 'error', '-f', 'lavfi', '-i',
         'testsrc=size=320x240:rate=%d' % FPS, '-t', '2', '-c:v', 'libx264',
         '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', str(FPS),
         '-bf', '0', '-x264-params', 'repeat-headers=1', '-f', 'h264', '-'],
        check=True, stdout=subprocess.PIPE).stdout

    nals = [n.rstrip(b'\x00') for n in re.split(b'\x00\x00\x01', d)]
    aus, cur = [], []

    for n in nals:
        if not n:
            continue
        cur.append(n)
        if n[0] & 0x1f in (1, 5):
            aus.append(cur)
            cur = []

    return aus


AUS = clip()


SPS = [n for n in AUS[0] if n[0] & 0x1f == 7][0]
PPS = [n for n in AUS[0] if n[0] & 0x1f == 8][0]

# the depacketizer's modes: SPS and PPS in the SDP, and in a STAP-A (but
# annexb)
STAP = ('stap', 'stap_pad', 'annexb', 'empty_rtp', 'bad_stap')


def payloads(au, mode):
    """RFC 6184 payloads of an access unit, with the mode's quirk: single
    NAL units and FU-A, SPS and PPS in a STAP-A in the STAP modes"""

    if mode == 'annexb':
        return [b''.join(b'\x00\x00\x00\x01' + n for n in au)]

    out = []

    if mode in STAP:
        ps = [n for n in au if n[0] & 0x1f in (7, 8)]
        au = [n for n in au if n[0] & 0x1f not in (7, 8)]

        if ps:
            p = b'\x78'                 # F 0, NRI 3, type 24
            for n in ps:
                p += struct.pack('!H', len(n)) + n

            if mode == 'stap_pad':
                p += b'\x00\x00'

            if mode == 'bad_stap':
                p = (p[:-len(ps[-1]) - 2]
                     + struct.pack('!H', len(ps[-1]) + 5) + ps[-1])

            out.append(p)

    for n in au:
        if len(n) <= 1400:
            out.append(n)
            continue

        body = n[1:]
        chunks = [body[i:i + 1400] for i in range(0, len(body), 1400)]

        for i, c in enumerate(chunks):
            fu = (n[0] & 0x1f) | (0x80 if i == 0 else 0) \
                | (0x40 if i == len(chunks) - 1 else 0)
            out.append(bytes([(n[0] & 0xe0) | 28, fu]) + c)

    return out


class Rtp:

    def __init__(self, ssrc, seq, ts):
        self.ssrc, self.seq, self.ts = ssrc, seq, ts

    def packet(self, ch, payload, marker, ts):
        pkt = struct.pack('!BBHII', 0x80, (0x80 if marker else 0) | 96,
                          self.seq & 0xffff, ts & 0xffffffff,
                          self.ssrc) + payload
        self.seq += 1
        return b'$' + bytes([ch]) + struct.pack('!H', len(pkt)) + pkt

    def au(self, ch, au, mode='normal'):
        pl = payloads(au, mode)
        out = b''.join(self.packet(ch, p, i == len(pl) - 1, self.ts)
                       for i, p in enumerate(pl))
        self.ts += 90000 // FPS
        return out


def junk(n, rnd):
    """stray bytes: no '$' in them but where said"""

    kind = n % 3

    if kind == 0:
        return b'\r\n'

    if kind == 1:
        # the rest of a cut frame
        return bytes(b if b != 0x24 else 0x25
                     for b in rnd.randbytes(rnd.randint(20, 900)))

    # a frame on a channel we did not set up, cut short
    return b'\x00\x07$\x07\x05\x00\x80\x60'


class Conn:

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''
        self.wlock = threading.Lock()

    def read_request(self):
        while True:
            while self.buf[:1] == b'$' and len(self.buf) >= 4:
                n = int.from_bytes(self.buf[2:4], 'big')
                if len(self.buf) < 4 + n:
                    break
                self.buf = self.buf[4 + n:]

            end = self.buf.find(b'\r\n\r\n')

            if end >= 0 and self.buf[:1] != b'$':
                lines = self.buf[:end].decode('latin-1').split('\r\n')
                hdrs = {}
                for l in lines[1:]:
                    if ':' in l:
                        k, v = l.split(':', 1)
                        hdrs[k.strip().lower()] = v.strip()
                clen = int(hdrs.get('content-length', '0') or 0)
                if len(self.buf) >= end + 4 + clen:
                    self.buf = self.buf[end + 4 + clen:]
                    parts = lines[0].split(' ')
                    return parts[0], parts[1], hdrs

            try:
                data = self.sock.recv(65536)
            except OSError:
                return None, None, None

            if not data:
                return None, None, None

            self.buf += data

    def send(self, data):
        with self.wlock:
            self.sock.sendall(data)

    def respond(self, mode, hdrs, extra=(), body=b'', status='200 OK'):
        cseq = '0' if mode == 'cseq0' else hdrs.get('cseq', '0')
        out = 'RTSP/1.0 %s\r\nCSeq: %s\r\n' % (status, cseq)
        for h in extra:
            out += h + '\r\n'
        if body and mode != 'noclen':
            out += 'Content-Length: %d\r\n' % len(body)
        data = out.encode() + b'\r\n' + body

        if mode == 'noclen' and body:
            # the header, then the SDP in 4 writes 120 ms apart (a slow
            # link, or a camera writing it line by line): 360 ms in all,
            # never 200 ms without data
            self.send(out.encode() + b'\r\n')
            step = (len(body) + 3) // 4
            for i in range(0, len(body), step):
                time.sleep(0.12)
                self.send(body[i:i + step])
            return

        self.send(data + data if mode == 'dup_answer' else data)


def sdp(mode):
    fmtp = 'packetization-mode=1'

    if mode in STAP:
        fmtp += ';profile-level-id=%s;sprop-parameter-sets=%s,%s' % (
            SPS[1:4].hex(), base64.b64encode(SPS).decode(),
            base64.b64encode(PPS).decode())

    video = ('m=video 0 RTP/AVP 96\r\n'
             'a=rtpmap:96 H264/90000\r\n'
             'a=fmtp:96 %s\r\n'
             'a=control:trackID=1\r\n' % fmtp)
    s = ('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=quirk\r\nt=0 0\r\n'
         'a=control:*\r\n')

    if mode == 'jpeg_first':
        s += ('m=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\n'
              'a=control:trackID=0\r\n')

    if mode == 'backchannel':
        s += ('m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'
              'a=control:trackID=5\r\na=sendonly\r\n')
        s += video.replace('\r\n', '\r\na=recvonly\r\n', 1)
        s += ('m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n'
              'a=control:trackID=2\r\na=recvonly\r\n')
        return s.encode()

    return (s + video).encode()


class Streamer(threading.Thread):

    def __init__(self, conn, mode, ch, k):
        super().__init__(daemon=True)
        self.conn, self.mode, self.ch, self.k = conn, mode, ch, k
        self.stop = False

    def run(self):
        mode, ch = self.mode, self.ch
        ours = Rtp(SSRC, 1000, 123456)
        stale = Rtp(STALE, 40000, 999999)
        rnd = random.Random(7)
        t0 = time.monotonic()
        n = 0

        try:
            while not self.stop:
                au = AUS[n % len(AUS)]

                if mode in ('ssrc_gop', 'ssrc_alt') and n and n % FPS == 0:
                    if mode == 'ssrc_gop':
                        ours = Rtp(NEW + n, rnd.randrange(65536),
                                   rnd.randrange(1 << 32))
                    else:
                        ours, stale = stale, ours
                        ours.ts += 90000        # its clock ran meanwhile

                out = ours.au(ch, au, mode)

                if mode == 'empty_rtp' and n % FPS == 2:
                    out += ours.packet(ch, b'', True,
                                       ours.ts - 90000 // FPS // 2)

                if mode == 'stale':
                    out = out + stale.au(ch, au)
                elif mode == 'stale_setup':
                    out = stale.au(ch, au) + out

                if mode == 'junk' and n % 3 == 2:
                    out += junk(n // 3, rnd)

                if mode == 'bye' and self.k == 1 and n == 2 * FPS:
                    say('EVENT %s bye' % mode)
                    rtcp = (struct.pack('!BBHI', 0x80, 201, 1, SSRC)
                            + struct.pack('!BBHI', 0x81, 203, 1, SSRC))
                    self.conn.send(b'$' + bytes([ch + 1])
                                   + struct.pack('!H', len(rtcp)) + rtcp)
                    return

                if mode == 'flood' and self.k == 1 and n == 2 * FPS:
                    say('EVENT %s flooding' % mode)
                    self.conn.send(b'\r\n' + b'\x17' * 80000)
                    return

                if mode == 'ssrc_change' and n == 3 * FPS:
                    ours = Rtp(NEW, 7, 5)
                    say('EVENT %s changed' % mode)

                self.conn.send(out)
                n += 1
                time.sleep(max(0, t0 + n / FPS - time.monotonic()))

        except OSError:
            pass


class Handler(socketserver.BaseRequestHandler):

    def handle(self):
        conn = Conn(self.request)
        method, uri, hdrs = conn.read_request()

        if method is None:
            return

        m = re.match(r'rtsp://[^/]*/([a-z_0-9]+)', uri)
        mode = m.group(1) if m else 'unknown'

        with lock:
            counts[mode] = counts.get(mode, 0) + 1
            k = counts[mode]

        say('CONN %s %d' % (mode, k))

        streamer = None
        vch = 0

        try:
            while method is not None:
                say('EVENT %s req %s %s' % (mode, method, uri))

                if method == 'DESCRIBE' and (mode == 'redirect'
                                             or mode.startswith('redirect_')):
                    here = '%s:%d' % self.request.getsockname()[:2]
                    port = self.request.getsockname()[1]
                    status, loc = {
                        'redirect': ('302 Found', 'rtsp://%s/redirected'
                                     % here),
                        'redirect_other': ('307 Temporary Redirect',
                                           'rtsp://%s:%d/other'
                                           % (ALIAS, port)),
                        'redirect_cred': ('301 Moved Permanently',
                                          'rtsp://v:q%%40x@%s:%d/other_cred'
                                          % (ALIAS, port)),
                        'redirect_loop': ('302 Found',
                                          'rtsp://%s/redirect_loop' % here),
                        'redirect_name': ('303 See Other',
                                          'rtsp://camera.invalid:%d/normal'
                                          % port),
                    }[mode]
                    conn.respond(mode, hdrs, status=status,
                                 extra=['Location: ' + loc])

                elif method == 'DESCRIBE' and mode in AUTH \
                        and 'authorization' not in hdrs:
                    conn.respond(mode, hdrs, status='401 Unauthorized',
                                 extra=['WWW-Authenticate: Basic '
                                        'realm="quirk"'])

                elif method == 'DESCRIBE':
                    if mode in AUTH:
                        a = hdrs['authorization'].split(' ', 1)[1]
                        say('EVENT %s auth %s'
                            % (mode, base64.b64decode(a).decode()))
                    if mode.startswith('slow_'):
                        time.sleep(3)
                    base = uri if uri.endswith('/') else uri + '/'
                    conn.respond(mode, hdrs, extra=[
                        'Content-Type: application/sdp',
                        'Content-Base: ' + base], body=sdp(mode))

                elif method == 'SETUP':
                    im = re.search(r'interleaved=(\d+)',
                                   hdrs.get('transport', ''))
                    ch = int(im.group(1)) if im else 0
                    tr = 'RTP/AVP/TCP;unicast;interleaved=%d-%d' % (ch,
                                                                   ch + 1)
                    if mode == 'stale_setup' and 'trackID=1' in uri:
                        tr += ';ssrc=%08X' % SSRC
                    if 'trackID=1' in uri:
                        vch = ch
                    conn.respond(mode, hdrs, extra=[
                        'Transport: ' + tr, 'Session: 12345678;timeout=60'])

                elif method == 'PLAY' and mode == 'play_stall':
                    pass

                elif method == 'PLAY':
                    conn.respond(mode, hdrs, extra=['Session: 12345678'])
                    if streamer is None:
                        streamer = Streamer(conn, mode, vch, k)
                        streamer.start()

                elif method == 'TEARDOWN':
                    conn.respond(mode, hdrs)
                    break

                else:
                    conn.respond(mode, hdrs, extra=[
                        'Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, '
                        'GET_PARAMETER'])

                method, uri, hdrs = conn.read_request()

        except OSError:
            pass                # a slow_ answer to a client gone

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
    servers = [server]

    if a.host == '127.0.0.1':
        alias = Server((ALIAS, server.server_address[1]), Handler)
        servers.append(alias)
        threading.Thread(target=alias.serve_forever, args=(0.2,),
                         daemon=True).start()

    def stop(*_):
        for s in servers:
            threading.Thread(target=s.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)

    say('READY %d' % server.server_address[1])
    server.serve_forever(poll_interval=0.2)


if __name__ == '__main__':
    main()
