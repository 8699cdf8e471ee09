#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# Makes the seeds of the camera-side corpora from a real camera: Debian's
# gst-rtsp-server (1.22) streaming x264/x265 over RTSP, interleaved TCP,
# behind Digest or Basic authentication, read by a plain socket client
# that speaks as ngx_rtc_rtsp.c does (OPTIONS, DESCRIBE, 401, DESCRIBE with
# credentials, SETUP, PLAY).  Writes into t/fuzz/corpus/:
#
#   rtsp/        the camera's byte stream: each response, and the stream
#                from the PLAY response on with interleaved RTP and RTCP
#   auth_digest/ the WWW-Authenticate Digest values
#   rtp/ rtcp/   single RTP packets (SPS/PPS, FU start/end, slices) and
#                the camera's RTCP sender reports
#   h264/ h265/  runs of RTP payloads in the harness format (fuzz_h264.c)
#   sdp/         the DESCRIBE bodies
#
#   /usr/bin/python3 t/fuzz/capture.py            (needs python3-gi,
#                                                  gir1.2-gst-rtsp-server)
# Files are named cam-*; running it again replaces them.

import base64
import hashlib
import os
import re
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')


def serve(codec, auth, port):
    # codec 'aac': H.264 video and an AAC track (RFC 3640, mpeg4-generic)
    import gi
    gi.require_version('Gst', '1.0')
    gi.require_version('GstRtsp', '1.0')
    gi.require_version('GstRtspServer', '1.0')
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

    Gst.init(None)

    if codec in ('h264', 'aac'):
        enc = ('x264enc tune=zerolatency speed-preset=ultrafast '
               'key-int-max=10 ! rtph264pay name=pay0 pt=96 mtu=300 aggregate-mode=zero-latency '
               'config-interval=-1')
    else:
        enc = ('x265enc tune=zerolatency speed-preset=ultrafast '
               'key-int-max=10 ! rtph265pay name=pay0 pt=96 mtu=300 aggregate-mode=zero-latency '
               'config-interval=-1')

    if codec == 'aac':
        enc += (' audiotestsrc is-live=true wave=sine ! '
                'audio/x-raw,rate=16000,channels=1 ! audioconvert ! '
                'avenc_aac ! rtpmp4gpay name=pay1 pt=97')

    launch = ('( videotestsrc is-live=true pattern=ball ! '
              'video/x-raw,width=128,height=96,framerate=10/1,format=I420 ! '
              '%s )' % enc)

    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)

    if auth != 'none':
        a = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'user')

        if auth == 'digest':
            a.add_digest('admin', 'secret', token)
            a.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            a.add_basic(GstRtspServer.RTSPAuth.make_basic('admin', 'secret'),
                        token)
            a.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)

        server.set_auth(a)

        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role('user', 'media.factory.access', True)
        perms.add_permission_for_role('user', 'media.factory.construct', True)
        factory.set_permissions(perms)

    server.get_mount_points().add_factory('/cam', factory)
    server.attach(None)
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    GLib.MainLoop().run()


class Client:

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), 5)
        self.buf = b''
        self.raw = b''
        self.cseq = 0
        self.auth = None
        self.session = None

    def read_some(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError('camera closed the connection')
        self.buf += data
        self.raw += data

    def response(self):
        """the next RTSP response (skipping interleaved frames)"""
        while True:
            while self.buf.startswith(b'$'):
                if len(self.buf) < 4:
                    self.read_some()
                    continue
                n = struct.unpack('>H', self.buf[2:4])[0]
                if len(self.buf) < 4 + n:
                    self.read_some()
                    continue
                self.buf = self.buf[4 + n:]

            end = self.buf.find(b'\r\n\r\n')
            if end < 0:
                self.read_some()
                continue

            head = self.buf[:end + 4]
            m = re.search(rb'(?i)\r\nContent-Length:\s*(\d+)', head)
            clen = int(m.group(1)) if m else 0
            if len(self.buf) < end + 4 + clen:
                self.read_some()
                continue

            msg = self.buf[:end + 4 + clen]
            self.buf = self.buf[end + 4 + clen:]
            return msg, head.decode('latin-1'), msg[end + 4:]

    def request(self, method, url, extra=''):
        self.cseq += 1
        req = '%s %s RTSP/1.0\r\nCSeq: %d\r\n' % (method, url, self.cseq)
        if self.auth:
            req += 'Authorization: %s\r\n' % self.auth(method, url)
        if self.session:
            req += 'Session: %s\r\n' % self.session
        req += extra + '\r\n'
        self.sock.sendall(req.encode())
        return self.response()


def digest_auth(challenge):
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))

    def make(method, url):
        ha1 = hashlib.md5(('admin:%s:secret' % params['realm']).encode())
        ha2 = hashlib.md5(('%s:%s' % (method, url)).encode())
        resp = hashlib.md5(('%s:%s:%s' % (ha1.hexdigest(), params['nonce'],
                                          ha2.hexdigest())).encode())
        return ('Digest username="admin", realm="%s", nonce="%s", uri="%s", '
                'response="%s"' % (params['realm'], params['nonce'], url,
                                   resp.hexdigest()))
    return make


def put(kind, name, data):
    d = os.path.join(CORPUS, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def record(pkt):
    """an RTP packet as a record of the depacketizer harnesses"""
    cc = pkt[0] & 0x0f
    hl = 12 + 4 * cc
    if pkt[0] & 0x10:
        hl += 4 + 4 * struct.unpack('>H', pkt[hl + 2:hl + 4])[0]
    payload = pkt[hl:]
    seq, ts = struct.unpack('>HI', pkt[2:8])
    return struct.pack('>HHIB', len(payload), seq, ts,
                       1 if pkt[1] & 0x80 else 0) + payload


def capture(codec, auth, port):
    srv = subprocess.Popen([sys.executable, __file__, '--serve', codec, auth,
                            str(port)], stdout=subprocess.PIPE)
    try:
        assert srv.stdout.readline().strip() == b'READY'
        url = 'rtsp://127.0.0.1:%d/cam' % port
        tag = 'cam-%s-%s' % (codec, auth)

        c = Client(port)
        msg, head, _ = c.request('OPTIONS', url)
        put('rtsp', tag + '-options', msg)

        msg, head, body = c.request('DESCRIBE', url,
                                    'Accept: application/sdp\r\n')
        if auth != 'none':
            put('rtsp', tag + '-401', msg)
            m = re.search(r'(?i)WWW-Authenticate:\s*(\w+)\s*([^\r\n]*)', head)
            if m.group(1).lower() == 'digest':
                put('auth_digest', tag, m.group(2).encode())
                c.auth = digest_auth(m.group(2))
            else:
                cred = base64.b64encode(b'admin:secret').decode()
                c.auth = lambda method, u: 'Basic ' + cred
            msg, head, body = c.request('DESCRIBE', url,
                                        'Accept: application/sdp\r\n')

        put('rtsp', tag + '-describe', msg)
        put('sdp', tag + '-describe', body)

        base = re.search(r'(?i)Content-Base:\s*(\S+)', head).group(1)
        msg, head, _ = c.request('SETUP', base.rstrip('/') + '/stream=0',
                                 'Transport: RTP/AVP/TCP;unicast;'
                                 'interleaved=0-1\r\n')
        put('rtsp', tag + '-setup', msg)
        c.session = re.search(r'(?i)Session:\s*([^;\r\n]+)', head).group(1)

        if codec == 'aac':
            c.request('SETUP', base.rstrip('/') + '/stream=1',
                      'Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\n')

        c.raw = c.buf
        mark = len(c.raw)
        msg, head, _ = c.request('PLAY', base)
        c.raw = c.raw[mark:] if c.raw.startswith(b'$') else c.raw

        deadline = time.time() + 3
        while time.time() < deadline and len(c.raw) < 300000:
            c.read_some()

        stream = c.raw
        put('rtsp', tag + '-play', stream[:6000])

        # the interleaved frames
        rtp, rtcp, audio = [], [], []
        p = stream.find(b'$')
        while p >= 0 and p + 4 <= len(stream):
            if stream[p:p + 1] != b'$':
                e = stream.find(b'\r\n\r\n', p)
                p = stream.find(b'$', e) if e >= 0 else -1
                continue
            ch, n = stream[p + 1], struct.unpack('>H', stream[p + 2:p + 4])[0]
            if p + 4 + n > len(stream):
                break
            if ch in (0, 1):
                (rtp if ch == 0 else rtcp).append(stream[p + 4:p + 4 + n])
            elif ch == 2:
                audio.append(stream[p + 4:p + 4 + n])
            p += 4 + n

        for i, pkt in enumerate(rtcp[:2]):
            put('rtcp', '%s-%d' % (tag, i), pkt)

        if auth != 'none':
            return

        if codec == 'aac':
            # fuzz_audio.c: name MPEG4-GENERIC, clock 16000, 1 channel
            fmtp = re.search(rb'a=fmtp:97 ([^\r\n]*)', body).group(1)
            head = bytes([0x00 | (1 << 3) | (1 << 5)])
            head += struct.pack('>H', len(fmtp)) + fmtp
            for i in range(0, min(len(audio), 30), 10):
                put('audio', '%s-%03d' % (tag, i),
                    head + b''.join(record(a) for a in audio[i:i + 10]))
            return

        # single packets of each kind, and runs for the depacketizer
        seen = set()
        for pkt in rtp:
            pl = pkt[12:]
            if codec == 'h264':
                t = pl[0] & 0x1f
                kind = (t, (pl[1] >> 6) if t == 28 else 0)
            else:
                t = (pl[0] >> 1) & 0x3f
                kind = (t, (pl[2] >> 6) if t == 49 else 0)
            if kind not in seen:
                seen.add(kind)
                put('rtp', '%s-%d-%d' % (tag, kind[0], kind[1]), pkt)

        cfg = bytes([0x71])       # AU buffer 4096, MTU 1200
        run = b''
        first = 0
        for i, pkt in enumerate(rtp):
            run += record(pkt)
            if len(run) > 3000 or i == len(rtp) - 1:
                put(codec, '%s-%03d' % (tag, first), cfg + run)
                run = b''
                first = i + 1
                if first > 120:
                    break
    finally:
        srv.terminate()
        srv.wait()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--serve':
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return

    port = 18954
    for codec, auth in (('h264', 'none'), ('h265', 'none'),
                        ('h264', 'digest'), ('h264', 'basic'),
                        ('aac', 'none')):
        capture(codec, auth, port)
        port += 1

    au_seeds()


def au_seeds():
    """fuzz_au.c: what libavformat hands over, from ffmpeg's encoders"""
    for codec, enc in (('h264', 'libx264'), ('h265', 'libx265')):
        es = subprocess.run(
            ['ffmpeg', '-loglevel', 'error', '-f', 'lavfi', '-i',
             'testsrc=size=64x64:rate=5', '-frames:v', '3',
             '-pix_fmt', 'yuv420p', '-c:v', enc, '-g', '2', '-bf', '0']
            + (['-x265-params', 'log-level=error'] if enc == 'libx265'
               else [])
            + ['-f', codec.replace('h265', 'hevc'), '-'],
            check=True, stdout=subprocess.PIPE).stdout

        nals = [n for n in re.split(b'\x00\x00\x00\x01|\x00\x00\x01', es)
                if n]
        h265 = codec == 'h265'
        kind = (lambda n: (n[0] >> 1) & 0x3f) if h265 else (
            lambda n: n[0] & 0x1f)
        params = [n for n in nals if kind(n) in ((32, 33, 34) if h265
                                                 else (7, 8))]
        vcl = [n for n in nals if kind(n) < (32 if h265 else 6)]
        cfg = bytes([(1 if h265 else 0) | 2])

        # Annex-B: no configuration, the first access unit as it is
        first = es[:es.find(b'\x00\x00\x00\x01' + vcl[1][:2])] \
            if len(vcl) > 1 else es
        put('au', '%s-annexb' % codec, cfg + b'\0\0' + first)

        # avcC / hvcC and the keyframe with 4-byte lengths
        if h265:
            rec = bytes([1]) + params[1][3:15] + bytes(
                [0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 3])
            for n in params:
                rec += bytes([0x80 | kind(n)]) + struct.pack('>HH', 1, len(n))
                rec += n
        else:
            sps, pps = params[0], params[1]
            rec = bytes([1, sps[1], sps[2], sps[3], 0xff, 0xe1])
            rec += struct.pack('>H', len(sps)) + sps + bytes([1])
            rec += struct.pack('>H', len(pps)) + pps
        au = b''.join(struct.pack('>I', len(n)) + n for n in vcl[:1])
        put('au', '%s-config' % codec, cfg + struct.pack('>H', len(rec))
            + rec + au)

    # an ADTS frame (AAC in MPEG-TS)
    adts = subprocess.run(
        ['ffmpeg', '-loglevel', 'error', '-f', 'lavfi', '-i',
         'sine=frequency=440:sample_rate=16000:duration=0.2', '-c:a', 'aac',
         '-f', 'adts', '-'], check=True, stdout=subprocess.PIPE).stdout
    flen = ((adts[3] & 3) << 11) | (adts[4] << 3) | (adts[5] >> 5)
    put('au', 'aac-adts', b'\0\0\0' + adts[:flen])


if __name__ == '__main__':
    main()
