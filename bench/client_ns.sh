#!/bin/bash
#
# Copyright (C) nginx-rtc authors
#
# bench/client_ns.sh CMD [ARGS...]
#
# Runs CMD (whep-load) in a network namespace of its own, as if the
# viewers were another machine: inside a test namespace (t/lib/netns.sh),
# a veth pair cl0 (10.98.0.1/24, here) <-> cl1 (10.98.0.2/24, CMD's
# namespace, default route via 10.98.0.1), and cl1 receives in NAPI (GRO
# on) run by a kernel thread of its own ("threaded" NAPI: napi/cl1-N).
#
# Why: when the server and the load generator share a namespace, the
# server's sends are delivered to the generator's sockets on loopback in
# the sender's own system call (the softirq the send raises runs
# there), so the server's CPU time includes the viewers' receive: IP and
# UDP input, the socket lookup, queueing, waking whep-load.  Here the
# server's send ends where a NIC driver's would (veth_xmit queues the
# packet for the peer and wakes its NAPI thread), and the receive is billed
# to napi/cl1-N, which the benchmark reports beside whep-load.
#
# IPv4 only: an IPv6 address in duplicate address detection when the
# sessions start delayed some answers by ~1 s.  cl0 has a pfifo qdisc: when the peer's ring (256 entries) is full, veth
# stops the queue and the packets wait in it, as behind a NIC's TX ring,
# instead of being dropped (without it, 20-30 % of a 1000-viewer fan-out
# was lost at cl0).  NGX_RTC_CLIENT_NS_STATS=1: both ends' counters, the
# qdisc's and CMD's namespace's UDP counters on stderr when CMD ends.
#
# Needs ethtool (GRO on cl1), and root in a test namespace; one at a time
# per test namespace (the names and addresses are fixed).  The pair goes
# away with CMD's namespace when CMD exits.  CMD's exit status is ours.

set -e

if [ "${NGX_RTC_NETNS:-}" != 1 ]; then
    echo "$0: run inside t/lib/netns.sh" >&2
    exit 1
fi

if ! command -v ethtool >/dev/null 2>&1; then
    echo "$0: ethtool not found (apt-get install ethtool)" >&2
    exit 1
fi

ip link del cl0 2>/dev/null || true
ip link add cl0 type veth peer name cl1
sysctl -qw net.ipv6.conf.cl0.disable_ipv6=1
ip addr add 10.98.0.1/24 dev cl0
tc qdisc replace dev cl0 root pfifo limit 50000
ip link set cl0 up

# CMD's namespace waits (at most 10 s) for cl1 to be moved into it

export NGX_RTC_CLIENT_NS_OUTER=$$

unshare -n -- /bin/bash -c '
    set -e
    for i in $(seq 1 100); do
        ip link show cl1 >/dev/null 2>&1 && break
        sleep 0.1
    done
    ip link set lo up
    sysctl -qw net.ipv6.conf.cl1.disable_ipv6=1
    ip addr add 10.98.0.2/24 dev cl1
    ethtool -K cl1 gro on rx-udp-gro-forwarding on >/dev/null
    ip link set cl1 up
    ip route add default via 10.98.0.1
    unshare -m -- /bin/sh -c "mount -t sysfs sysfs /sys \
        && echo 1 > /sys/class/net/cl1/threaded"
    if [ -n "${NGX_RTC_CLIENT_NS_STATS:-}" ]; then
        "$@"
        rc=$?
        ip -s link show cl1 >&2
        nsenter --net=/proc/$NGX_RTC_CLIENT_NS_OUTER/ns/net ip -s link show cl0 >&2
        nsenter --net=/proc/$NGX_RTC_CLIENT_NS_OUTER/ns/net tc -s qdisc show dev cl0 >&2
        grep Udp: /proc/net/snmp >&2
        exit $rc
    fi
    exec "$@"
' client_ns "$@" &

child=$!

# unshare(1) has made the namespace once its net link differs from ours

self=$(readlink /proc/self/ns/net)

for i in $(seq 1 100); do
    [ "$(readlink /proc/$child/ns/net 2>/dev/null)" != "$self" ] && break
    sleep 0.1
done

ip link set cl1 netns $child

set +e
wait $child
