#!/bin/sh
# vip-setup.sh — prepare a real server for lbd direct routing (LVS-DR, "gate").
#
# A DR real server must accept packets addressed to the VIP as local, yet never answer ARP for it (the
# director owns the VIP on the wire). This script:
#   - adds each VIP to lo as a /32 with the label lo:0;
#   - sets arp_ignore=1 (answer ARP only for addresses on the interface the request came in on) and
#     arp_announce=2 (never use the VIP as the sender of our own ARP requests) on "all" and on the
#     outward interface.
# An IPv6 VIP goes on lo as a /128 with "nodad". IPv6 needs no arp_ignore: Linux answers a neighbour
# solicitation only for an address of the interface it came in on (ndisc looks the target up on that device
# only), so a VIP on lo is never advertised on the wire; "nodad" skips duplicate address detection, whose
# probes would otherwise ask the segment about the VIP (and find the director answering for it).
# With --tunnel, the real server of an ipip (LVS-TUN) service, which receives the client's packets inside
# IPv4-in-IPv4 from the director: the same, and the tunnel device tunl0 up (loading the kernel's ipip module
# when it is not there) with reverse-path filtering relaxed on it (rp_filter=0 on tunl0, and "all" lowered
# from strict 1 to loose 2 if it was 1: the kernel applies the higher of the two), since the decapsulated
# packets come in on tunl0 from clients that the routes reach through another interface. For an IPv6 VIP,
# IPv6-in-IPv6: ip6tnl0 up (module ip6_tunnel); IPv6 has no rp_filter.
# "stop" undoes exactly what "start" did: the prior values are recorded in a state file under /run, one
# per network namespace, so the script also works inside "ip netns exec".
#
# Usage: vip-setup.sh [--persist] [--iface IFACE] [--tunnel] start VIP...   (IPv4 or IPv6 VIPs)
#        vip-setup.sh [--persist] stop
#        vip-setup.sh status
#
# --persist  start: also write a sysctl.d drop-in and a systemd unit so that the setup survives reboots;
#            stop: also remove them.
# --iface    the outward interface (default: the interface of the default route, else the only non-lo one).
# --tunnel   start: set up for ipip as well (tunl0 up and rp_filter relaxed; ip6tnl0 up for IPv6 VIPs).
#
# Exit status: 0 success (status: VIPs configured), 1 error, 2 usage error, 3 status: not configured.

set -eu

PROG='vip-setup.sh'
LABEL=lo:0
SYSCONFDIR=${LBD_VIP_SYSCONFDIR:-/etc}
STATE_DIR=${LBD_VIP_STATE_DIR:-/run/lbd-vip-setup}
SYSCTL_DROPIN=$SYSCONFDIR/sysctl.d/90-lbd-vip.conf
UNIT_FILE=$SYSCONFDIR/systemd/system/lbd-vip.service

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage() {
    printf 'usage: %s [--persist] [--iface IFACE] [--tunnel] start VIP...\n       %s [--persist] stop\n       %s status\n' \
        "$PROG" "$PROG" "$PROG" >&2
    exit 2
}

TUNNEL_DEV=tunl0
TUNNEL6_DEV=ip6tnl0

has_dev() {
    ip link show dev "$1" >/dev/null 2>&1
}

has_tunnel_dev() {
    has_dev "$TUNNEL_DEV"
}

# tunl0 (ip6tnl0) exists once the kernel's ipip (ip6_tunnel) module is loaded, in every network namespace.
ensure_dev() { # device, module, what, kernel option
    if ! has_dev "$1"; then
        modprobe "$2" >/dev/null 2>&1 || true
    fi
    has_dev "$1" || die "no $1 device: this kernel has no $3 tunnelling ('modprobe $2' failed);" \
        "an ipip real server needs it ($4)"
}

is_up() {
    ip -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'
}

# Records once in the state file whether the device was up before start (KEY=1 or KEY=0).
record_up() { # device, key
    if ! grep -q "^$2=" "$STATE"; then
        if is_up "$1"; then
            printf '%s=1\n' "$2" >>"$STATE"
        else
            printf '%s=0\n' "$2" >>"$STATE"
        fi
    fi
}

# The state file is keyed by the network namespace, since /run is shared between namespaces.
netns_id() {
    ns=$(readlink /proc/self/ns/net 2>/dev/null) || ns='net:[unknown]'
    ns=${ns#net:[}
    printf '%s\n' "${ns%]}"
}

state_file() {
    printf '%s/netns-%s.state\n' "$STATE_DIR" "$(netns_id)"
}

is_ipv4() {
    case $1 in
        *[!0-9.]* | .* | *. | *..*) return 1 ;;
    esac
    old_ifs=$IFS
    IFS=.
    # shellcheck disable=SC2086 # splitting on dots is the point
    set -- $1
    IFS=$old_ifs
    [ $# -eq 4 ] || return 1
    for octet in "$@"; do
        [ "$octet" -le 255 ] || return 1
    done
    return 0
}

conf_path() { # interface, key
    printf '/proc/sys/net/ipv4/conf/%s/%s\n' "$1" "$2"
}

read_conf() {
    cat "$(conf_path "$1" "$2")"
}

write_conf() { # interface, key, value
    printf '%s\n' "$3" >"$(conf_path "$1" "$2")" || die "cannot set net.ipv4.conf.$1.$2=$3"
}

default_iface() {
    dev=$(ip -4 route show default 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)
    if [ -n "$dev" ]; then
        printf '%s\n' "$dev"
        return 0
    fi
    # No default route (e.g. an isolated namespace): accept the only interface other than lo.
    candidates=$(ip -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | grep -vx lo || true)
    count=$(printf '%s\n' "$candidates" | grep -c . || true)
    [ "$count" -eq 1 ] || die "cannot tell the outward interface (no default route, $count interfaces); pass --iface IFACE"
    printf '%s\n' "$candidates"
}

is_ipv6() {
    case $1 in
        *:*) ;;
        *) return 1 ;;
    esac
    case $1 in
        *[!0-9a-fA-F:.]* | *:::*) return 1 ;;
    esac
    return 0
}

# The VIP with its host prefix: /32, or /128 for IPv6.
vip_prefix() {
    case $1 in
        *:*) printf '%s/128\n' "$1" ;;
        *) printf '%s/32\n' "$1" ;;
    esac
}

has_vip() {
    case $1 in
        *:*) ip -6 -o addr show dev lo | grep -q " inet6 $1/128 " ;;
        *) ip -4 -o addr show dev lo | grep -q " inet $1/32 " ;;
    esac
}

state_get() { # key -> value (first match)
    sed -n "s/^$1=//p" "$STATE" | head -n 1
}

do_start() {
    [ $# -ge 1 ] || usage
    need4=0
    need6=0
    for vip in "$@"; do
        is_ipv4 "$vip" || is_ipv6 "$vip" || die "not an IP address: '$vip' (give the VIP as a.b.c.d or an IPv6 address)"
        if is_ipv6 "$vip"; then need6=1; else need4=1; fi
    done
    [ -n "$IFACE" ] || IFACE=$(default_iface)
    [ -d "/proc/sys/net/ipv4/conf/$IFACE" ] || die "no such interface: '$IFACE' (see 'ip link'); pass --iface IFACE"
    if [ "$TUNNEL" = 1 ] && [ "$need4" = 1 ]; then
        ensure_dev "$TUNNEL_DEV" ipip IPv4-in-IPv4 CONFIG_NET_IPIP
    fi
    if [ "$TUNNEL" = 1 ] && [ "$need6" = 1 ]; then
        ensure_dev "$TUNNEL6_DEV" ip6_tunnel IPv6-in-IPv6 CONFIG_IPV6_TUNNEL
    fi

    mkdir -p "$STATE_DIR"
    if [ -f "$STATE" ]; then
        # Already started: keep the values recorded the first time, so that stop restores the originals.
        recorded=$(state_get iface)
        [ "$recorded" = "$IFACE" ] || die "already set up for interface '$recorded'; run '$PROG stop' first to change it"
        recorded=$(state_get tunnel)
        [ "${recorded:-0}" = "$TUNNEL" ] || die "already set up $( [ "$TUNNEL" = 1 ] && printf without || printf with )" \
            "--tunnel; run '$PROG stop' first to change it"
    else
        tmp=$STATE.tmp
        {
            printf 'iface=%s\n' "$IFACE"
            for dev in all "$IFACE"; do
                printf 'sysctl=%s arp_ignore %s\n' "$dev" "$(read_conf "$dev" arp_ignore)"
                printf 'sysctl=%s arp_announce %s\n' "$dev" "$(read_conf "$dev" arp_announce)"
            done
            if ip -o link show dev lo | grep -q '[<,]UP[,>]'; then
                printf 'lo_was_up=1\n'
            else
                printf 'lo_was_up=0\n'
            fi
            printf 'tunnel=%s\n' "$TUNNEL"
        } >"$tmp"
        mv "$tmp" "$STATE"
    fi

    # Sysctls first: the VIP must never be announced, not even for a moment.
    for dev in all "$IFACE"; do
        write_conf "$dev" arp_ignore 1
        write_conf "$dev" arp_announce 2
    done
    ip link set dev lo up
    if [ "$TUNNEL" = 1 ] && [ "$need4" = 1 ]; then
        if ! grep -q '^tunnel_was_up=' "$STATE"; then # the first IPv4 VIP: record what this changes
            for dev in all "$TUNNEL_DEV"; do
                printf 'sysctl=%s rp_filter %s\n' "$dev" "$(read_conf "$dev" rp_filter)" >>"$STATE"
            done
        fi
        record_up "$TUNNEL_DEV" tunnel_was_up
        write_conf "$TUNNEL_DEV" rp_filter 0
        if [ "$(read_conf all rp_filter)" = 1 ]; then
            write_conf all rp_filter 2
        fi
        ip link set dev "$TUNNEL_DEV" up || die "cannot bring $TUNNEL_DEV up"
    fi
    if [ "$TUNNEL" = 1 ] && [ "$need6" = 1 ]; then
        record_up "$TUNNEL6_DEV" tunnel6_was_up
        ip link set dev "$TUNNEL6_DEV" up || die "cannot bring $TUNNEL6_DEV up"
    fi
    for vip in "$@"; do
        if has_vip "$vip"; then
            printf '%s: %s already on lo\n' "$PROG" "$vip"
        else
            if is_ipv6 "$vip"; then
                ip -6 addr add "$vip/128" dev lo nodad || die "cannot add $vip/128 to lo"
            else
                ip addr add "$vip/32" dev lo label "$LABEL" || die "cannot add $vip/32 to lo"
            fi
            printf 'vip=%s\n' "$vip" >>"$STATE"
            printf '%s: added %s on lo (%s)\n' "$PROG" "$(vip_prefix "$vip")" "$LABEL"
        fi
    done
    if [ "$PERSIST" = 1 ]; then
        # The unit brings back every VIP this setup holds, not only the ones named this time.
        # shellcheck disable=SC2046 # one VIP per word
        persist $(sed -n 's/^vip=//p' "$STATE" | tr '\n' ' ') "$@"
    fi
}

persist() {
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    mkdir -p "$(dirname "$SYSCTL_DROPIN")" "$(dirname "$UNIT_FILE")"
    {
        printf '# Written by %s: LVS-DR real server (lbd). Removed by "%s stop --persist".\n' "$PROG" "$PROG"
        for dev in all "$IFACE"; do
            printf 'net.ipv4.conf.%s.arp_ignore = 1\n' "$dev"
            printf 'net.ipv4.conf.%s.arp_announce = 2\n' "$dev"
        done
        if [ "$TUNNEL" = 1 ]; then
            printf 'net.ipv4.conf.%s.rp_filter = 0\n' "$TUNNEL_DEV"
        fi
    } >"$SYSCTL_DROPIN"
    {
        printf '[Unit]\nDescription=lbd direct-routing VIPs on lo (%s)\n' "$PROG"
        printf 'After=network-pre.target\nBefore=network.target\n\n'
        printf '[Service]\nType=oneshot\nRemainAfterExit=yes\n'
        if [ "$TUNNEL" = 1 ]; then
            printf 'ExecStart=%s --iface %s --tunnel start' "$self" "$IFACE"
        else
            printf 'ExecStart=%s --iface %s start' "$self" "$IFACE"
        fi
        printf '%s\n' "$*" | tr ' ' '\n' | sort -u | while read -r vip; do
            [ -z "$vip" ] || printf ' %s' "$vip"
        done
        printf '\n'
        printf 'ExecStop=%s stop\n\n' "$self"
        printf '[Install]\nWantedBy=multi-user.target\n'
    } >"$UNIT_FILE"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        if ! { systemctl daemon-reload && systemctl enable lbd-vip.service >/dev/null 2>&1; }; then
            die "wrote $UNIT_FILE but 'systemctl enable lbd-vip.service' failed; enable it by hand"
        fi
    fi
    printf '%s: persisted in %s and %s\n' "$PROG" "$SYSCTL_DROPIN" "$UNIT_FILE"
}

unpersist() {
    if [ -f "$UNIT_FILE" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl disable lbd-vip.service >/dev/null 2>&1 || true
    fi
    rm -f "$UNIT_FILE" "$SYSCTL_DROPIN"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl daemon-reload || true
    fi
    printf '%s: removed %s and %s\n' "$PROG" "$SYSCTL_DROPIN" "$UNIT_FILE"
}

do_stop() {
    [ $# -eq 0 ] || usage
    if [ -f "$STATE" ]; then
        sed -n 's/^vip=//p' "$STATE" | while read -r vip; do
            if has_vip "$vip"; then
                ip addr del "$(vip_prefix "$vip")" dev lo || die "cannot remove $(vip_prefix "$vip") from lo"
                printf '%s: removed %s from lo\n' "$PROG" "$(vip_prefix "$vip")"
            fi
        done
        sed -n 's/^sysctl=//p' "$STATE" | while read -r dev key value; do
            if [ -e "$(conf_path "$dev" "$key")" ]; then
                write_conf "$dev" "$key" "$value"
            fi
        done
        if [ "$(state_get lo_was_up)" = 0 ]; then
            ip link set dev lo down
        fi
        if [ "$(state_get tunnel_was_up)" = 0 ] && has_tunnel_dev; then
            ip link set dev "$TUNNEL_DEV" down
        fi
        if [ "$(state_get tunnel6_was_up)" = 0 ] && has_dev "$TUNNEL6_DEV"; then
            ip link set dev "$TUNNEL6_DEV" down
        fi
        rm -f "$STATE"
        printf '%s: restored the previous settings\n' "$PROG"
    else
        printf '%s: nothing to stop (no state in %s)\n' "$PROG" "$STATE"
    fi
    if [ "$PERSIST" = 1 ]; then
        unpersist
    fi
}

do_status() {
    [ $# -eq 0 ] || usage
    vips=$(ip -4 -o addr show dev lo | sed -n "s/.* inet \([0-9.]*\)\/32 .*$LABEL.*/\1/p" | tr '\n' ' ')
    if [ -f "$STATE" ]; then
        vips="$vips$(sed -n 's/^vip=\(.*:.*\)/\1/p' "$STATE" | tr '\n' ' ')"
    fi
    printf 'VIPs on lo (%s): %s\n' "$LABEL" "${vips:-none}"
    iface=
    if [ -f "$STATE" ]; then
        iface=$(state_get iface)
    fi
    for dev in all $iface; do
        printf 'net.ipv4.conf.%s.arp_ignore = %s\n' "$dev" "$(read_conf "$dev" arp_ignore)"
        printf 'net.ipv4.conf.%s.arp_announce = %s\n' "$dev" "$(read_conf "$dev" arp_announce)"
    done
    if [ -f "$STATE" ] && [ "$(state_get tunnel)" = 1 ]; then
        for dev in all "$TUNNEL_DEV"; do
            if [ -e "$(conf_path "$dev" rp_filter)" ]; then
                printf 'net.ipv4.conf.%s.rp_filter = %s\n' "$dev" "$(read_conf "$dev" rp_filter)"
            fi
        done
        if grep -q '^tunnel_was_up=' "$STATE"; then
            printf 'tunnel: %s\n' "$(is_up "$TUNNEL_DEV" && printf up || printf down)"
        fi
        if grep -q '^tunnel6_was_up=' "$STATE"; then
            printf 'tunnel6: %s\n' "$(is_up "$TUNNEL6_DEV" && printf up || printf down)"
        fi
    fi
    if [ -f "$STATE" ]; then
        printf 'state: %s (started by %s)\n' "$STATE" "$PROG"
    else
        printf 'state: not started\n'
    fi
    if [ -f "$UNIT_FILE" ]; then
        printf 'persistent: %s\n' "$UNIT_FILE"
    else
        printf 'persistent: no\n'
    fi
    [ -f "$STATE" ] || exit 3
}

PERSIST=0
TUNNEL=0
IFACE=
while [ $# -gt 0 ]; do
    case $1 in
        --persist) PERSIST=1 ;;
        --tunnel) TUNNEL=1 ;;
        --iface)
            [ $# -ge 2 ] || usage
            IFACE=$2
            shift
            ;;
        --iface=*) IFACE=${1#--iface=} ;;
        -h | --help) usage ;;
        -*) printf '%s: unknown option %s\n' "$PROG" "$1" >&2 && usage ;;
        *) break ;;
    esac
    shift
done
[ $# -ge 1 ] || usage
COMMAND=$1
shift
# Options may also follow the command (e.g. "stop --persist").
ARGS=
for arg in "$@"; do
    case $arg in
        --persist) PERSIST=1 ;;
        --tunnel) TUNNEL=1 ;;
        --iface=*) IFACE=${arg#--iface=} ;;
        *) ARGS="$ARGS $arg" ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    die "must run as root: it changes addresses on lo and net.ipv4.conf sysctls (try: sudo $0 $COMMAND ...)"
fi
STATE=$(state_file)

# shellcheck disable=SC2086 # ARGS holds VIPs, which never contain blanks
case $COMMAND in
    start) do_start $ARGS ;;
    stop) do_stop $ARGS ;;
    status) do_status $ARGS ;;
    *) usage ;;
esac
