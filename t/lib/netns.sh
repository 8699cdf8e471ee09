#!/bin/bash
#
# Copyright (C) nginx-rtc authors
#
# t/lib/netns.sh CMD [ARGS...]
#
# Runs CMD inside a fresh network namespace made for it, so that WebRTC
# stacks (Chromium, libnice, werift) gather a real host candidate
# (10.99.0.1, they never gather loopback) and no media leaves the machine:
# the namespace has lo and one veth pair (v0 10.99.0.1/24 <-> v1, v1 has no
# address and nothing listens behind it) with a default route via v0.
# Everything goes away when the last process in the namespace exits.
#
# Inside a namespace made by this script (NGX_RTC_NETNS=1) CMD is just run.
# Needs root (unshare -n).

set -e

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

if [ "${NGX_RTC_NETNS:-}" = 1 ]; then
    exec "$@"
fi

if [ "$(id -u)" != 0 ]; then
    echo "$0: end-to-end WebRTC tests need a network namespace of their" \
         "own (unshare -n), which needs root; run as root" >&2
    exit 1
fi

for tool in unshare ip; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "$0: '$tool' not found (util-linux, iproute2)" >&2
        exit 1
    fi
done

export NGX_RTC_NETNS=1

exec unshare -n -- /bin/bash -c '
    set -e
    ip link set lo up
    # no IPv6 duplicate address detection: its end (~1 s after the links
    # come up) changes the link-local addresses, which Chromium takes for
    # a network change and fails its requests then (ERR_NETWORK_CHANGED)
    for f in /proc/sys/net/ipv6/conf/default/accept_dad \
             /proc/sys/net/ipv6/conf/all/accept_dad; do
        if [ -w $f ]; then echo 0 > $f; fi
    done
    ip link add v0 type veth peer name v1
    ip addr add 10.99.0.1/24 dev v0
    ip link set v1 up
    ip link set v0 up
    ip route add default dev v0
    exec "$@"
' netns "$@"
