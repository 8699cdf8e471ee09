#!/usr/bin/python3
#
# Copyright (C) nginx-rtc authors
#
# A network that reorders and duplicates UDP datagrams, for tests on a
# kernel without the netem qdisc: datagrams redirected to it (an nftables
# "redirect" in the test's network namespace) go on to where they were
# going, some of them late.
#
#   t/lib/udp_reorder.py --host 127.0.0.1 --map 29900:19900 \
#       [--map 29902:19902 ...] [--every 8] [--depth 2] [--hold-ms 15] \
#       [--dup-every 50] [--mark 42]
#
# Each --map LISTEN:TARGET receives on LISTEN and sends to TARGET on
# --host, from --host (the receiver checks the sender's address), with
# SO_MARK --mark so that the redirect lets them through.  Of each port's
# datagrams, every --every-th is held until --depth more have passed (or
# --hold-ms, if the stream pauses), and every --dup-every-th is sent twice.
# The pattern is fixed: the same input gives the same output.
#
# Prints "READY" once it listens, then "STATS forwarded=N reordered=N
# duplicated=N" every 200 ms.  Exits on SIGTERM.

import argparse
import select
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--map', action='append', required=True)
    ap.add_argument('--every', type=int, default=8)
    ap.add_argument('--depth', type=int, default=2)
    ap.add_argument('--hold-ms', type=float, default=15)
    ap.add_argument('--dup-every', type=int, default=50)
    ap.add_argument('--mark', type=int, default=42)
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, args.mark)
    out.bind((args.host, 0))

    ports = {}

    for m in args.map:
        listen, target = (int(x) for x in m.split(':'))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        s.bind((args.host, listen))
        s.setblocking(False)
        # n: datagrams seen; held: [data, passed, deadline] or None
        ports[s] = {'target': (args.host, target), 'n': 0, 'held': None}

    stats = {'forwarded': 0, 'reordered': 0, 'duplicated': 0}

    def send(p, data):
        out.sendto(data, p['target'])
        stats['forwarded'] += 1

    def release(p, reordered):
        send(p, p['held'][0])
        if reordered:
            stats['reordered'] += 1
        p['held'] = None

    print('READY', flush=True)

    next_stats = time.monotonic()

    while True:
        now = time.monotonic()

        if now >= next_stats:
            print('STATS forwarded=%d reordered=%d duplicated=%d'
                  % (stats['forwarded'], stats['reordered'],
                     stats['duplicated']), flush=True)
            next_stats = now + 0.2

        timeout = next_stats - now

        for p in ports.values():
            if p['held']:
                timeout = min(timeout, max(0, p['held'][2] - now))

        ready, _, _ = select.select(list(ports), [], [], timeout)

        for s in ready:
            p = ports[s]

            while True:
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    break

                p['n'] += 1

                if p['held'] is None and p['n'] % args.every == 0:
                    p['held'] = [data, 0, time.monotonic()
                                 + args.hold_ms / 1000.0]
                    continue

                send(p, data)

                if p['n'] % args.dup_every == 0:
                    send(p, data)
                    stats['duplicated'] += 1

                if p['held']:
                    p['held'][1] += 1
                    if p['held'][1] >= args.depth:
                        release(p, True)

        now = time.monotonic()

        for p in ports.values():
            if p['held'] and now >= p['held'][2]:
                release(p, p['held'][1] > 0)


if __name__ == '__main__':
    main()
