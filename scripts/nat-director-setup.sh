#!/bin/sh
# nat-director-setup.sh — prepare the director's routing for lbd's transparent=yes services.
#
# With transparent=yes lbd connects to a real server from the client's own address, as LVS-NAT shows it. The real
# server answers that address through its default route, which must be the director (as with LVS-NAT). On the
# director, a packet for another host's address would be forwarded on towards the client; it must be delivered to
# lbd's socket instead. This script sets up the three pieces for that, for IPv4 and (when the kernel has it) IPv6:
#   - an nft table "inet lbd_transparent" whose prerouting chain marks every TCP and UDP packet that belongs
#     to a transparent socket (socket transparent 1 meta mark set MARK);
#   - a policy rule "ip rule add fwmark MARK lookup TABLE";
#   - in TABLE, "ip route add local default dev lo": every marked packet is for this host.
# lbd checks these pieces when it starts and refuses transparent=yes services without them. lbd also needs
# CAP_NET_ADMIN (root, or the packaged unit's AmbientCapabilities=).
# "stop" undoes exactly what "start" added (a rule or route that was there before is left alone): what was
# added is recorded in a state file under /run, one per network namespace, so the script also works inside
# "ip netns exec".
#
# Usage: nat-director-setup.sh [--mark MARK] [--table TABLE] start
#        nat-director-setup.sh stop
#        nat-director-setup.sh [--mark MARK] [--table TABLE] status
#
# --mark   the firewall mark (default 0x1); choose another when the host uses 0x1 for something else.
# --table  the routing table's number (default 100).
#
# Exit status: 0 success (status: every piece present), 1 error, 2 usage error, 3 status: a piece is missing.

set -eu

PROG='nat-director-setup.sh'
NFT_TABLE=lbd_transparent
STATE_DIR=${LBD_NAT_STATE_DIR:-/run/lbd-nat-director-setup}

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    printf 'usage: %s [--mark MARK] [--table TABLE] start|stop|status\n' "$PROG" >&2
    exit 2
}

# The state file is keyed by the network namespace, since /run is shared between namespaces.
netns_id() {
    ns=$(readlink /proc/self/ns/net 2>/dev/null) || ns='net:[unknown]'
    ns=${ns#net:[}
    printf '%s\n' "${ns%]}"
}

state_get() { # key -> value (first match)
    sed -n "s/^$1=//p" "$STATE" | head -n 1
}

state_has() { # line
    grep -qx "$1" "$STATE"
}

families() {
    printf '4\n'
    if [ -d /proc/sys/net/ipv6 ]; then
        printf '6\n'
    fi
}

any_address() { # family
    if [ "$1" = 6 ]; then printf '::/0\n'; else printf '0.0.0.0/0\n'; fi
}

has_rule() { # family
    ip "-$1" rule show | grep -q "fwmark $MARK lookup $TABLE\$"
}

has_route() { # family
    ip "-$1" route show table "$TABLE" 2>/dev/null | grep -q '^local default .*dev lo'
}

has_mark() {
    nft list table inet "$NFT_TABLE" 2>/dev/null \
        | grep -q "l4proto { tcp, udp } socket transparent 1 meta mark set $(printf '0x%08x' "$MARK") "
}

do_start() {
    command -v nft >/dev/null 2>&1 || die "nft is not installed (apt-get install nftables)"
    mkdir -p "$STATE_DIR"
    if [ -f "$STATE" ]; then
        if [ "$(state_get mark)" != "$MARK" ] || [ "$(state_get table)" != "$TABLE" ]; then
            die "already set up with mark $(state_get mark) and table $(state_get table); run '$PROG stop' first"
        fi
    else
        printf 'mark=%s\ntable=%s\n' "$MARK" "$TABLE" >"$STATE"
    fi
    # The local routes go through lo, which must be up (it is on any running host; not in a new namespace).
    if ! ip -o link show dev lo | grep -q '[<,]UP[,>]'; then
        ip link set dev lo up || die "cannot bring lo up"
        printf 'lo_was_down=1\n' >>"$STATE"
    fi
    if has_mark; then
        printf '%s: nft table inet %s already marks transparent sockets with %s\n' "$PROG" "$NFT_TABLE" "$MARK"
    else
        # Declare, delete and define: the table ends up exactly as written, whatever was there.
        nft -f - <<EOF || die "cannot load the nft table inet $NFT_TABLE (does the kernel have nft_socket?)"
table inet $NFT_TABLE
delete table inet $NFT_TABLE
table inet $NFT_TABLE {
    chain prerouting {
        type filter hook prerouting priority mangle; policy accept;
        meta l4proto { tcp, udp } socket transparent 1 meta mark set $MARK accept
    }
}
EOF
        state_has nft=1 || printf 'nft=1\n' >>"$STATE"
        printf '%s: nft table inet %s marks transparent sockets'"'"' packets with %s\n' "$PROG" "$NFT_TABLE" "$MARK"
    fi
    for family in $(families); do
        if has_rule "$family"; then
            printf '%s: ip -%s rule fwmark %s lookup %s already there\n' "$PROG" "$family" "$MARK" "$TABLE"
        else
            ip "-$family" rule add fwmark "$MARK" lookup "$TABLE" || die "cannot add ip -$family rule fwmark $MARK lookup $TABLE"
            printf 'rule=%s\n' "$family" >>"$STATE"
            printf '%s: added ip -%s rule fwmark %s lookup %s\n' "$PROG" "$family" "$MARK" "$TABLE"
        fi
        if has_route "$family"; then
            printf '%s: ip -%s route local default dev lo table %s already there\n' "$PROG" "$family" "$TABLE"
        else
            ip "-$family" route add local "$(any_address "$family")" dev lo table "$TABLE" \
                || die "cannot add ip -$family route local $(any_address "$family") dev lo table $TABLE"
            printf 'route=%s\n' "$family" >>"$STATE"
            printf '%s: added ip -%s route local %s dev lo table %s\n' "$PROG" "$family" "$(any_address "$family")" "$TABLE"
        fi
    done
}

do_stop() {
    if [ ! -f "$STATE" ]; then
        printf '%s: nothing to stop (no state in %s)\n' "$PROG" "$STATE"
        return 0
    fi
    MARK=$(state_get mark)
    TABLE=$(state_get table)
    sed -n 's/^rule=//p' "$STATE" | while read -r family; do
        if has_rule "$family"; then
            ip "-$family" rule del fwmark "$MARK" lookup "$TABLE" || die "cannot remove ip -$family rule fwmark $MARK lookup $TABLE"
            printf '%s: removed ip -%s rule fwmark %s lookup %s\n' "$PROG" "$family" "$MARK" "$TABLE"
        fi
    done
    sed -n 's/^route=//p' "$STATE" | while read -r family; do
        if has_route "$family"; then
            ip "-$family" route del local "$(any_address "$family")" dev lo table "$TABLE" \
                || die "cannot remove ip -$family route local default dev lo table $TABLE"
            printf '%s: removed ip -%s route local default dev lo table %s\n' "$PROG" "$family" "$TABLE"
        fi
    done
    if state_has nft=1 && nft list table inet "$NFT_TABLE" >/dev/null 2>&1; then
        nft delete table inet "$NFT_TABLE" || die "cannot delete the nft table inet $NFT_TABLE"
        printf '%s: deleted nft table inet %s\n' "$PROG" "$NFT_TABLE"
    fi
    if state_has lo_was_down=1; then
        ip link set dev lo down
    fi
    rm -f "$STATE"
}

do_status() {
    missing=0
    if command -v nft >/dev/null 2>&1 && has_mark; then
        printf 'mark: nft table inet %s marks transparent sockets with %s\n' "$NFT_TABLE" "$MARK"
    else
        printf 'mark: missing (no nft table inet %s setting %s)\n' "$NFT_TABLE" "$MARK"
        missing=1
    fi
    for family in $(families); do
        if has_rule "$family"; then
            printf 'ipv%s rule: fwmark %s lookup %s\n' "$family" "$MARK" "$TABLE"
        else
            printf 'ipv%s rule: missing (fwmark %s lookup %s)\n' "$family" "$MARK" "$TABLE"
            missing=1
        fi
        if has_route "$family"; then
            printf 'ipv%s route: local default dev lo table %s\n' "$family" "$TABLE"
        else
            printf 'ipv%s route: missing (local default dev lo table %s)\n' "$family" "$TABLE"
            missing=1
        fi
    done
    if [ -f "$STATE" ]; then
        printf 'state: %s (started by %s)\n' "$STATE" "$PROG"
    else
        printf 'state: not started\n'
    fi
    [ "$missing" = 0 ] || exit 3
}

MARK=0x1
TABLE=100
while [ $# -gt 0 ]; do
    case $1 in
        --mark)
            [ $# -ge 2 ] || usage
            MARK=$2
            shift
            ;;
        --table)
            [ $# -ge 2 ] || usage
            TABLE=$2
            shift
            ;;
        -h | --help) usage ;;
        -*) printf '%s: unknown option %s\n' "$PROG" "$1" >&2 && usage ;;
        *) break ;;
    esac
    shift
done
[ $# -eq 1 ] || usage
case $MARK in
    0x*) case ${MARK#0x} in '' | *[!0-9a-fA-F]*) die "not a mark: '$MARK' (give a number, e.g. 0x1)" ;; esac ;;
    '' | *[!0-9]*) die "not a mark: '$MARK' (give a number, e.g. 0x1)" ;;
esac
if [ "$MARK" = 0 ] || [ "$MARK" = 0x0 ]; then
    die "the mark must not be 0 (every unmarked packet has it)"
fi
case $TABLE in
    '' | *[!0-9]*) die "not a table number: '$TABLE' (give a number from 1 to 252, e.g. 100)" ;;
esac
# As ip prints them: the mark in lower-case hexadecimal.
MARK=$(printf '0x%x' "$MARK")

if [ "$(id -u)" -ne 0 ]; then
    die "must run as root: it changes policy rules, routes and the nft ruleset (try: sudo $0 $1)"
fi
STATE=$STATE_DIR/netns-$(netns_id).state

case $1 in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) usage ;;
esac
