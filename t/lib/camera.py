#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# A real RTSP camera for tests and the demo: gst-rtsp-server serving a live
# test picture as H.264 or H.265 on rtsp://HOST:PORT/PATH.
#
#   /usr/bin/python3 t/lib/camera.py --host 127.0.0.1 --port 8554 \
#       --path /cam --codec h264 --size 640x360 --fps 25 --gop 50 \
#       [--user U --password P [--auth basic|digest]] \
#       [--profile baseline|main|high] [--audio pcma|pcmu|opus|aac] \
#       [--tls-cert cert.pem --tls-key key.pem] \
#       [--switch-size 320x180 --switch-after 3] \
#       [--ts-offset 4294000000 --seq-offset 65000]
#
# Prints "READY <port>" on stdout once the server listens; exits 0 on
# SIGTERM or SIGINT.  The media factory is shared: every client of the same
# path sees one encoder pipeline, as with a real camera.
#
# --auth digest asks for RFC 2617 Digest (MD5, no qop: gst-rtsp-server's
# kind) instead of Basic.  --tls-cert/--tls-key (PEM files) make it an
# rtsps:// server.  --switch-size changes the picture size --switch-after
# seconds after the pipeline starts, as a camera does when its resolution
# is changed in its settings: the encoder starts again with a new SPS and
# an IDR; "SWITCHED WxH" is printed on stdout then.  --ts-offset and
# --seq-offset set where the video's RTP timestamps and sequence numbers
# start, to make them wrap early.
#
# Run with Debian's interpreter (/usr/bin/python3): it needs python3-gi and
# gir1.2-gst-rtsp-server-1.0.

import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')

from gi.repository import Gio, GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def have(element):
    return Gst.ElementFactory.find(element) is not None


def rtp_offsets(args):
    """Where the video's RTP timestamps and sequence numbers start."""

    opts = ''
    if args.ts_offset is not None:
        opts += ' timestamp-offset=%d' % args.ts_offset
    if args.seq_offset is not None:
        opts += ' seqnum-offset=%d' % args.seq_offset
    return opts


def launch_line(args):
    width, height = args.size.lower().split('x')

    # a named capsfilter: --switch-size changes its caps at run time
    src = ('videotestsrc is-live=true pattern=%s ! '
           'capsfilter name=vcaps caps="video/x-raw,width=%s,height=%s,'
           'framerate=%d/1,format=I420"'
           % (args.pattern, width, height, args.fps))

    if have('timeoverlay'):
        # a running clock (gstreamer1.0-x has the pango plugin)
        src += (' ! timeoverlay halignment=left valignment=top'
                ' font-desc="Sans 24"')

    if args.codec == 'h264':
        # ultrafast turns off CABAC and 8x8 transforms, and x264 then
        # signals Constrained Baseline: turn them back on for main/high
        tools = {'baseline': '',
                 'main': ' cabac=true',
                 'high': ' cabac=true dct8x8=true'}[args.profile]
        enc = ('x264enc tune=zerolatency speed-preset=ultrafast '
               'key-int-max=%d bitrate=%d%s ! '
               'video/x-h264,profile=%s ! '
               'rtph264pay name=pay0 pt=96 config-interval=-1%s'
               % (args.gop, args.bitrate, tools, args.profile,
                  rtp_offsets(args)))
    else:
        # x265enc makes Main profile whatever --profile says
        enc = ('x265enc tune=zerolatency speed-preset=ultrafast '
               'key-int-max=%d bitrate=%d ! '
               'video/x-h265,profile=main ! '
               'rtph265pay name=pay0 pt=96 config-interval=-1%s'
               % (args.gop, args.bitrate, rtp_offsets(args)))

    line = '( %s ! queue ! %s' % (src, enc)

    # G.711 in 20 ms packets, as cameras send it
    if args.audio == 'pcma':
        line += (' audiotestsrc is-live=true wave=sine freq=440 volume=0.1 '
                 'samplesperbuffer=160 ! '
                 'audio/x-raw,rate=8000,channels=1 ! alawenc ! '
                 'rtppcmapay name=pay1 pt=8')
    elif args.audio == 'pcmu':
        line += (' audiotestsrc is-live=true wave=sine freq=440 volume=0.1 '
                 'samplesperbuffer=160 ! '
                 'audio/x-raw,rate=8000,channels=1 ! mulawenc ! '
                 'rtppcmupay name=pay1 pt=0')
    elif args.audio == 'opus':
        line += (' audiotestsrc is-live=true wave=sine freq=440 volume=0.1 ! '
                 'audioconvert ! audioresample ! opusenc ! '
                 'rtpopuspay name=pay1 pt=111')
    elif args.audio == 'aac':
        # what cameras send: AAC-LC, 16 kHz mono, RFC 3640 AAC-hbr
        line += (' audiotestsrc is-live=true wave=sine freq=440 volume=0.1 ! '
                 'audio/x-raw,rate=16000,channels=1 ! avenc_aac ! '
                 'rtpmp4gpay name=pay1 pt=97')

    return line + ' )'


def schedule_switch(args, media):
    """Changes the picture size of the (shared) pipeline once."""

    width, height = args.switch_size.lower().split('x')

    def switch():
        vcaps = media.get_element().get_by_name('vcaps')
        if vcaps is None:
            return GLib.SOURCE_REMOVE
        vcaps.set_property('caps', Gst.Caps.from_string(
            'video/x-raw,width=%s,height=%s,framerate=%d/1,format=I420'
            % (width, height, args.fps)))
        sys.stdout.write('SWITCHED %sx%s\n' % (width, height))
        sys.stdout.flush()
        return GLib.SOURCE_REMOVE

    GLib.timeout_add(int(args.switch_after * 1000), switch)


def not_seekable(pad, info):
    # HANDLED answers the query as it was made: a new SEEKING query says
    # "not seekable" (PyGObject cannot write into the query here)
    if info.get_query().type == Gst.QueryType.SEEKING:
        return Gst.PadProbeReturn.HANDLED
    return Gst.PadProbeReturn.OK


def live_only(media):
    """
    Makes the media say it cannot seek, as a camera's live picture cannot.
    A PLAY with "Range: npt=0.000-" (nginx-rtc's, ffmpeg's) made
    gst-rtsp-server 1.22 seek the shared media, which flushes it; a PLAY
    answered while the flush had taken a stream's segment away aborted
    the process (gst_rtsp_media_get_rates: assertion failed), now and
    then when several clients PLAY at once.  The server asks the pipeline
    whether it can seek before it does: the payloaders answer no.  An
    RTSP client still gets its 200 to such a PLAY, from the live edge.
    """

    bin = media.get_element()
    i = 0
    while True:
        pay = bin.get_by_name('pay%d' % i)
        if pay is None:
            break
        pay.get_static_pad('src').add_probe(Gst.PadProbeType.QUERY_UPSTREAM,
                                            not_seekable)
        i += 1


def main():
    ap = argparse.ArgumentParser(description='test RTSP camera')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8554)
    ap.add_argument('--path', default='/cam')
    ap.add_argument('--codec', choices=('h264', 'h265'), default='h264')
    ap.add_argument('--size', default='640x360')
    ap.add_argument('--fps', type=int, default=25)
    ap.add_argument('--gop', type=int, default=50)
    ap.add_argument('--bitrate', type=int, default=800, help='kbit/s')
    ap.add_argument('--profile', choices=('baseline', 'main', 'high'),
                    default='baseline')
    ap.add_argument('--pattern', default='ball',
                    help='videotestsrc pattern (ball, smpte, ...)')
    ap.add_argument('--audio',
                    choices=('none', 'pcma', 'pcmu', 'opus', 'aac'),
                    default='none')
    ap.add_argument('--user')
    ap.add_argument('--password')
    ap.add_argument('--auth', choices=('basic', 'digest'), default='basic')
    ap.add_argument('--tls-cert', help='PEM certificate: serve rtsps://')
    ap.add_argument('--tls-key', help='PEM private key of --tls-cert')
    ap.add_argument('--ts-offset', type=int,
                    help='first video RTP timestamp (0-4294967295)')
    ap.add_argument('--seq-offset', type=int,
                    help='first video RTP sequence number (0-65535)')
    ap.add_argument('--switch-size', help='WxH to switch to')
    ap.add_argument('--switch-after', type=float, default=3.0,
                    help='seconds after the pipeline starts')
    args = ap.parse_args()

    if not args.path.startswith('/'):
        args.path = '/' + args.path

    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_shared(True)
    # a camera keeps running when a client leaves and comes back
    factory.set_suspend_mode(GstRtspServer.RTSPSuspendMode.NONE)
    factory.set_latency(0)

    auth = None

    if args.user is not None or args.tls_cert:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'user')

        if args.user is None:
            # TLS only: every client gets the role
            auth.set_default_token(token)

        elif args.auth == 'digest':
            auth.add_digest(args.user, args.password or '', token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)

        else:
            basic = GstRtspServer.RTSPAuth.make_basic(args.user,
                                                      args.password or '')
            auth.add_basic(basic, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)

        if args.tls_cert:
            cert = Gio.TlsCertificate.new_from_files(args.tls_cert,
                                                     args.tls_key
                                                     or args.tls_cert)
            auth.set_tls_certificate(cert)

        server.set_auth(auth)

        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role('user', 'media.factory.access', True)
        perms.add_permission_for_role('user', 'media.factory.construct', True)
        factory.set_permissions(perms)

    if args.switch_size:
        factory.connect('media-configure',
                        lambda f, media: schedule_switch(args, media))

    factory.connect('media-configure', lambda f, media: live_only(media))
    server.get_mount_points().add_factory(args.path, factory)

    loop = GLib.MainLoop()

    if server.attach(None) == 0:
        sys.stderr.write('camera: cannot listen on %s:%d\n'
                         % (args.host, args.port))
        return 1

    def stop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, stop)

    sys.stdout.write('READY %d\n' % server.get_bound_port())
    sys.stdout.flush()

    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
