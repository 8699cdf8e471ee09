#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# A WHEP viewer made of GStreamer's webrtcbin: the client here that can
# receive H.265 (Debian's Chromium cannot).  It offers recvonly video with
# the codecs asked for, POSTs the offer to the WHEP URL (again while the
# server answers 503), applies the answer, decodes what comes (decodebin:
# rtph265depay/rtph264depay, avdec_*) and counts the decoded frames.
#
#   /usr/bin/python3 t/lib/webrtcbin_client.py \
#       --url http://127.0.0.1:8080/whep/cam [--codecs h265,h264] \
#       [--frames 30] [--timeout 30] [--no-delete]
#
# --codecs h264-mode0 offers H.264 as gst-plugins-rs's whepsrc does with
# its default video-caps (encoding-name and clock-rate only): no a=fmtp,
# so packetization-mode 0 (RFC 6184, 8.1); vp8 a VP8 format before it.
#
# Prints "session <Location>" on stdout once the answer comes (the status
# page shows only a prefix of session ids), then, last, one JSON line on
# stdout, e.g. {"status": 201, "frames": 30,
# "encoding": "H265", "caps": "video/x-raw, format=(string)I420, ...",
# "session": "/whep/cam/0a1b..."}, and exits 0 once --frames frames were
# decoded, 1 otherwise.  Deletes the session at the end unless --no-delete.
#
# Needs Debian's gstreamer1.0-plugins-bad, gstreamer1.0-nice,
# gir1.2-gst-plugins-bad-1.0, gstreamer1.0-libav; run with
# /usr/bin/python3.  In a network namespace (t/lib/netns.sh) libnice
# gathers 10.99.0.1.  Promise callbacks run in webrtcbin's threads: they
# only hand work to the main loop, never wait on another promise.

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('GstWebRTC', '1.0')

from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


CODEC_CAPS = {
    'h265': 'application/x-rtp,media=video,encoding-name=H265,'
            'clock-rate=90000,payload=%d,'
            'rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true',
    'h264': 'application/x-rtp,media=video,encoding-name=H264,'
            'clock-rate=90000,payload=%d,'
            'packetization-mode=(string)1,'
            'profile-level-id=(string)42e01f,'
            'rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true',
    'h264-mode0': 'application/x-rtp,media=video,encoding-name=H264,'
                  'clock-rate=90000,payload=%d',
    'vp8': 'application/x-rtp,media=video,encoding-name=VP8,'
           'clock-rate=90000,payload=%d',
}

AUDIO_CAPS = ('application/x-rtp,media=audio,encoding-name=OPUS,'
              'clock-rate=48000,payload=111')


class Client:

    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.result = {'status': None, 'frames': 0, 'encoding': None,
                       'caps': None, 'session': None, 'error': None,
                       'bundle_only': None, 'offer_fmtp': None,
                       'answer_fmtp': None}
        self.lock = threading.Lock()
        self.offered = False
        self.location = None

        self.pipe = Gst.Pipeline.new('viewer')
        self.webrtc = Gst.ElementFactory.make('webrtcbin', 'recv')
        self.webrtc.set_property('bundle-policy',
                                 GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.webrtc)

        # as simple-whep-client and gst-plugins-rs's whepsrc: an audio
        # transceiver first, so the video's section is port 0, bundle-only
        if args.audio_first:
            self.webrtc.emit('add-transceiver',
                             GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                             Gst.Caps.from_string(AUDIO_CAPS))

        caps = ';'.join(CODEC_CAPS[c] % (96 + i)
                        for i, c in enumerate(args.codecs))
        self.webrtc.emit('add-transceiver',
                         GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                         Gst.Caps.from_string(caps))

        self.webrtc.connect('pad-added', self.on_pad)
        self.webrtc.connect('notify::ice-gathering-state', self.on_gathering)

        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self.on_error)

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)

        promise = Gst.Promise.new_with_change_func(self.on_offer, None)
        self.webrtc.emit('create-offer', None, promise)

        GLib.timeout_add(int(self.args.timeout * 1000), self.on_timeout)
        self.loop.run()

        # the DELETE before the pipeline's teardown, which sends no DTLS
        # close_notify: a session whose DELETE a teardown gone wrong kept
        # from going out would last until it is found silent (20 s)
        if self.location and not self.args.no_delete:
            self.http('DELETE', self.location)

        self.pipe.set_state(Gst.State.NULL)

        return self.result

    def finish(self, error=None):
        if error and not self.result['error']:
            self.result['error'] = error
        self.loop.quit()
        return GLib.SOURCE_REMOVE

    def on_timeout(self):
        return self.finish('timed out with %d frames'
                           % self.result['frames'])

    def on_error(self, bus, msg):
        err, dbg = msg.parse_error()
        GLib.idle_add(self.finish, 'pipeline: %s' % err.message)

    # webrtcbin's thread: set the offer, the main loop posts it later

    def on_offer(self, promise, _):
        reply = promise.get_reply()
        offer = reply.get_value('offer')
        self.webrtc.emit('set-local-description', offer, None)
        GLib.timeout_add(3000, self.post_offer)

    def on_gathering(self, webrtc, _):
        state = webrtc.get_property('ice-gathering-state')
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.post_offer)

    # the main loop

    def http(self, method, url, body=None):
        req = urllib.request.Request(
            urllib.parse.urljoin(self.args.url, url), data=body,
            method=method, headers={'Content-Type': 'application/sdp'})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, dict(res.headers), res.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def post_offer(self):
        desc = self.webrtc.get_property('local-description')

        if self.offered or desc is None:
            return GLib.SOURCE_REMOVE

        self.offered = True
        sdp = desc.sdp.as_text()
        self.result['bundle_only'] = 'a=bundle-only' in sdp
        self.result['offer_fmtp'] = [l for l in sdp.splitlines()
                                     if l.startswith('a=fmtp:')]
        deadline = time.monotonic() + self.args.timeout

        while True:
            status, headers, body = self.http('POST', self.args.url,
                                              sdp.encode())
            if status != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)

        self.result['status'] = status

        if status != 201:
            return self.finish('POST: %d %s' % (status, body.strip()))

        self.location = headers.get('Location')
        self.result['answer_fmtp'] = [l for l in body.splitlines()
                                      if l.startswith('a=fmtp:')]
        self.result['session'] = self.location

        # the session's URL, at once: the status page shows no full ids
        sys.stdout.write('session %s\n' % self.location)
        sys.stdout.flush()

        ok, msg = GstSdp.SDPMessage.new_from_text(body)
        if ok != GstSdp.SDPResult.OK:
            return self.finish('cannot parse the answer')

        answer = GstWebRTC.WebRTCSessionDescription.new(
            GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit('set-remote-description', answer, None)

        return GLib.SOURCE_REMOVE

    # streaming threads

    def on_pad(self, webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return

        caps = pad.get_current_caps() or pad.query_caps(None)
        s = caps.get_structure(0)

        if s.get_string('media') == 'audio':
            sink = Gst.ElementFactory.make('fakesink')
            self.pipe.add(sink)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad('sink'))
            return

        with self.lock:
            self.result['encoding'] = s.get_string('encoding-name')

        dec = Gst.ElementFactory.make('decodebin')
        dec.connect('pad-added', self.on_decoded_pad)
        self.pipe.add(dec)
        dec.sync_state_with_parent()
        pad.link(dec.get_static_pad('sink'))

    def on_decoded_pad(self, dec, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)

        if not caps.to_string().startswith('video/x-raw'):
            return

        with self.lock:
            self.result['caps'] = caps.to_string()

        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad('sink'))
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_frame)

    def on_frame(self, pad, info):
        with self.lock:
            self.result['frames'] += 1
            if self.result['frames'] == self.args.frames:
                GLib.idle_add(self.finish)
        return Gst.PadProbeReturn.OK


def main():
    ap = argparse.ArgumentParser(description='webrtcbin WHEP viewer')
    ap.add_argument('--url', required=True, help='the WHEP endpoint')
    ap.add_argument('--codecs', default='h265,h264',
                    help='offered in this order: h265, h264, '
                         'h264-mode0, vp8')
    ap.add_argument('--frames', type=int, default=30,
                    help='decoded frames to wait for')
    ap.add_argument('--timeout', type=float, default=30, help='seconds')
    ap.add_argument('--audio-first', action='store_true',
                    help='an Opus audio transceiver before the video')
    ap.add_argument('--no-delete', action='store_true',
                    help='leave the session (DELETE not sent)')
    args = ap.parse_args()

    args.codecs = [c.strip().lower() for c in args.codecs.split(',') if c]

    for c in args.codecs:
        if c not in CODEC_CAPS:
            ap.error('unknown codec %s' % c)

    Gst.init(None)

    for element in ('webrtcbin', 'nicesrc', 'decodebin'):
        if Gst.ElementFactory.find(element) is None:
            sys.stderr.write('webrtcbin_client: GStreamer element "%s" is '
                             'missing (gstreamer1.0-plugins-bad, '
                             'gstreamer1.0-nice)\n' % element)
            return 2

    result = Client(args).run()

    sys.stdout.write(json.dumps(result) + '\n')
    sys.stdout.flush()

    return 0 if result['frames'] >= args.frames else 1


if __name__ == '__main__':
    sys.exit(main())
