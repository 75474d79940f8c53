#!/bin/sh
# netns-lab.sh — a small L2 lab of network namespaces for lbd's end-to-end tests (root only).
#
# One "switch" namespace holds a bridge br0; each host namespace gets an eth0 whose veth peer is a port of
# that bridge, so the hosts share one Ethernet segment (as a director and its DR real servers must).
# The tests use it from JUnit (lb-dataplane's DR test, lb-director's seed test), so the namespace plumbing
# lives in this one place.
#
# Usage: netns-lab.sh clean PREFIX              delete every namespace whose name starts with PREFIX
#        netns-lab.sh switch NS                 create NS with the bridge br0 (up)
#        netns-lab.sh host SWITCH NS ADDR/LEN   create NS with eth0 (ADDR/LEN, up) cabled to SWITCH's br0
#        netns-lab.sh link SWITCH NS IFACE ADDR/LEN
#                                               give the existing NS another interface IFACE (ADDR/LEN, up)
#                                               cabled to SWITCH's br0 (a director or router with two NICs)
#
# Exit status: 0 success, 1 error, 2 usage error.

set -eu

PROG='netns-lab.sh'

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    printf 'usage: %s clean PREFIX | switch NS | host SWITCH NS ADDR/LEN | link SWITCH NS IFACE ADDR/LEN\n' \
        "$PROG" >&2
    exit 2
}

[ "$(id -u)" -eq 0 ] || die "network namespaces need root; run as root (e.g. sudo $PROG ...)"
[ $# -ge 1 ] || usage

case $1 in
    clean)
        [ $# -eq 2 ] || usage
        [ -n "$2" ] || die "an empty PREFIX would delete every namespace"
        ip netns list | while read -r name _; do
            case $name in
                "$2"*) ip netns del "$name" || true ;;
            esac
        done
        ;;
    switch)
        [ $# -eq 2 ] || usage
        ip netns add "$2"
        ip -n "$2" link add br0 type bridge
        ip -n "$2" link set br0 up
        ip -n "$2" link set lo up
        ;;
    host)
        [ $# -eq 4 ] || usage
        sw=$2
        ns=$3
        # The bridge port's name: "p-" and the host's name, cut to the 15 characters a Linux name allows.
        port=$(printf 'p-%s' "$ns" | cut -c1-15)
        ip netns add "$ns"
        ip -n "$sw" link add "$port" type veth peer name eth0 netns "$ns"
        ip -n "$sw" link set "$port" master br0 up
        ip -n "$ns" addr add "$4" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ;;
    link)
        [ $# -eq 5 ] || usage
        sw=$2
        ns=$3
        port=$(printf 'p-%s-%s' "$ns" "$4" | cut -c1-15)
        ip -n "$sw" link add "$port" type veth peer name "$4" netns "$ns"
        ip -n "$sw" link set "$port" master br0 up
        ip -n "$ns" addr add "$5" dev "$4"
        ip -n "$ns" link set "$4" up
        ;;
    *)
        usage
        ;;
esac
