#!/bin/sh
# dr-bench.sh — lbd's direct-routing data path end to end, next to the kernel forwarding the same traffic.
#
# Three network namespaces joined by veth pairs: a generator (trafgen, netsniff-ng), a two-NIC director, and a
# sink on the director's second network. The generator sends TCP to the VIP through the director:
#   syn   SYNs from random client addresses and ports: every packet a new connection (lbd schedules it, rr,
#         and inserts it in its flow table);
#   ack   ACKs of 4096 connections opened first (one SYN each): the established-flow path (look-up, state,
#         counters, MAC rewrite);
#   ipip  the same ACKs to an ipip real server (lbd encapsulates each packet);
#   bulk  the established connections' ACKs carrying 1440 bytes each (1494-byte frames: room for ipip's 20-byte
#         header within a 1500-byte MTU), for Gbit/s; "ipip-bulk" the same through an ipip real server.
# "lbd" forwards with lbd (gate or ipip, checktype=on, eventloops=1: one DR worker); "kernel" with the
# director's kernel routing the VIP to the sink (ip_forward=1: a route look-up, TTL and MAC rewrite — what
# IPVS's direct routing does per packet besides its connection table; IPVS itself is not in every kernel).
# The sink's interface counts the packets, then drops them at its ingress hook (an nft netdev chain), before its
# IP layer: a sink on the same machine runs in the sender's softirq, on the forwarder's CPU, and its IP layer's
# drop (a failed route look-up per packet) held the kernel forwarder to ~0.7 of what it forwards to this sink.
# Without nft, the sink drops in its IP layer as before (said on the first line).
#
# Usage: dr-bench.sh [PACKETS] [--perf DIR] [--workers N] [--services N] [--xdp-floor] [--xdp] [--one-arm]   (root; default 2000000 per
# run, 1 worker, 1 service)
# Prints one line per run: mode, forwarder, packets sent, packets delivered, seconds, delivered packets/s and
# Gbit/s (the bytes of the frames the sink received, Ethernet headers included); after each lbd configuration's runs,
# a "lbd-counters" line: lbd's own count of frames forwarded, sent through AF_XDP, and dropped by reason.
# --perf DIR: each lbd run under `perf record -g -p <lbd>` into DIR/MODE.perf, with lbd's JIT symbols in
# /tmp/perf-<pid>.map (-XX:+DumpPerfMapAtExit): then perf report -i DIR/MODE.perf --comm lbd-dr-0.
# --workers N: lbd with N DR workers (eventloops=N), whose sockets share the frames through a fanout group (a flow
# hash per frame); the generator has one queue, so they share one softirq's frames.
# --services N (at most 100): lbd with N DR services, N-1 of them on other VIPs (198.18.0.99 down) that no traffic
# is sent to, ordered before the measured one (198.18.0.100): what a director with many services pays per frame.
# --xdp-floor: also the syn, ack and bulk traffic through xdp-floor.c (built with gcc), a forwarder in C that receives
# through AF_XDP (generic XDP) and does nothing per frame but the MAC rewrite: where lbd could stand if its workers
# received through AF_XDP instead of an AF_PACKET ring. Its lines say "xdp-floor".
# --xdp: lbd with xdp=yes (its workers receive the services' frames through AF_XDP).
# --one-arm: a one-armed director instead: generator, director and sink on one switch (a bridge in a namespace of its
# own), one subnet, the director forwarding out of the interface the frames came in on (the kernel with ICMP
# redirects off); with --xdp, lbd then sends each frame from where it was received. Not with --xdp-floor (the floor
# opens a second AF_XDP socket on the receiving queue).
set -eu

PACKETS=2000000
PERF_DIR=
WORKERS=1
SERVICES=1
XDP_FLOOR=0
LBD_XDP=no
ONE_ARM=0
while [ $# -gt 0 ]; do
    case $1 in
        --perf) PERF_DIR=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2
                   [ "$WORKERS" -ge 1 ] 2>/dev/null || { echo "dr-bench.sh: --workers 1 or more" >&2; exit 1; } ;;
        --services) SERVICES=$2; shift 2
                    [ "$SERVICES" -ge 1 ] && [ "$SERVICES" -le 100 ] || { echo "dr-bench.sh: --services 1..100" >&2; exit 1; } ;;
        --xdp-floor) XDP_FLOOR=1; shift ;;
        --xdp) LBD_XDP=yes; shift ;;
        --one-arm) ONE_ARM=1; shift ;;
        *) PACKETS=$1; shift ;;
    esac
done
[ "$ONE_ARM" = 0 ] || [ "$XDP_FLOOR" = 0 ] || { echo "dr-bench.sh: --one-arm and --xdp-floor do not go together" >&2; exit 1; }
P="lbb$$-"
NAMESPACES="gen dir srv"
[ "$ONE_ARM" = 0 ] || NAMESPACES="gen dir srv sw"
HERE=$(cd "$(dirname "$0")/../.." && pwd)
VIP=198.18.0.100
TMP=$(mktemp -d)
LBD_PID=
LBD_JAVA=

[ "$(id -u)" -eq 0 ] || { echo "dr-bench.sh: needs root (namespaces, AF_PACKET)" >&2; exit 1; }
command -v trafgen >/dev/null 2>&1 || { echo "dr-bench.sh: needs trafgen (apt-get install netsniff-ng)" >&2; exit 1; }

cleanup() {
    if [ -n "$LBD_PID" ]; then
        kill "$LBD_PID" 2>/dev/null || true
        wait "$LBD_PID" 2>/dev/null || true
    fi
    for ns in $NAMESPACES; do
        ip netns del "$P$ns" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

n() { # namespace, command...
    ns=$1
    shift
    ip netns exec "$P$ns" "$@"
}

for ns in $NAMESPACES; do
    ip netns add "$P$ns"
    n "$ns" ip link set lo up
done
if [ "$ONE_ARM" = 1 ]; then
    n sw ip link add br0 type bridge
    n sw ip link set br0 up
    for ns in gen dir srv; do
        ip -n "$P$ns" link add eth0 type veth peer name "p$ns" netns "${P}sw"
        n sw ip link set "p$ns" master br0 up
    done
    n dir ip addr add 198.18.1.1/24 dev eth0
    n srv ip addr add 198.18.1.3/24 dev eth0
    n dir sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
    RS=198.18.1.3
    EGRESS=eth0
else
    ip -n "${P}gen" link add eth0 type veth peer name eth0 netns "${P}dir"
    ip -n "${P}dir" link add eth1 type veth peer name eth0 netns "${P}srv"
    n dir ip addr add 198.18.1.1/24 dev eth0
    n dir ip addr add 198.18.2.1/24 dev eth1
    n srv ip addr add 198.18.2.2/24 dev eth0
    n dir ip link set eth1 up
    RS=198.18.2.2
    EGRESS=eth1
fi
n gen ip addr add 198.18.1.2/24 dev eth0
for ns in gen dir srv; do
    n "$ns" ip link set eth0 up
done
DIR_MAC=$(n dir cat /sys/class/net/eth0/address)
GEN_MAC=$(n gen cat /sys/class/net/eth0/address)
sink="ingress drop (nft)"
if ! command -v nft >/dev/null 2>&1 || ! n srv nft add table netdev sink 2>/dev/null \
    || ! n srv nft add chain netdev sink in '{ type filter hook ingress device eth0 priority 0; policy drop; }'; then
    sink="IP-layer drop (no nft)"
fi
n dir ip neigh replace $RS lladdr "$(n srv cat /sys/class/net/eth0/address)" dev $EGRESS nud permanent

# conf MODE COUNT: a trafgen configuration
conf() {
    case $1 in
        syn) tcp='tcp(sp=drnd(1024, 65535), dp=80, seq=drnd(), syn)'
             ip="ipv4(sa=198.18.128.0, sa[2]=drnd(), sa[3]=drnd(), da=$VIP, ttl=64, df)" ;;
        open) tcp='tcp(sp=dinc(10000, 14095), dp=80, seq=1, syn)'
              ip="ipv4(sa=198.18.1.2, da=$VIP, ttl=64, df)" ;;
        ack|bulk) tcp='tcp(sp=dinc(10000, 14095), dp=80, seq=2, aseq=1, ack)'
             ip="ipv4(sa=198.18.1.2, da=$VIP, ttl=64, df)" ;;
    esac
    payload=6
    [ "$1" != bulk ] || payload=1440
    printf '{ eth(da=%s, sa=%s, type=0x0800), %s, %s, fill(0x00, %d) }\n' "$DIR_MAC" "$GEN_MAC" "$ip" "$tcp" \
        "$payload" >"$TMP/$1.cfg"
}

rx() { # packets|bytes
    n srv cat "/sys/class/net/eth0/statistics/rx_$1"
}

# run MODE FORWARDER: send PACKETS (after the opening SYNs for ack), report what the sink got
run() {
    mode=$1
    case $mode in
        syn) gen=syn ;;
        bulk|ipip-bulk) gen=bulk ;;
        *) gen=ack ;;
    esac
    if [ "$gen" != syn ]; then
        conf open
        # Paced: at the generator's full speed a forwarder's receive ring overflows (with AF_XDP the generator
        # outruns one worker), the lost SYNs' connections stay unknown to lbd, and their ACKs are then dropped
        # (unknown-flow-not-syn) instead of forwarded: a measure of the opening, not of established flows.
        n gen trafgen -q -o eth0 -i "$TMP/open.cfg" -n 4096 -b 100000pps -P 1 >/dev/null 2>&1
    fi
    conf "$gen"
    perf_pid=
    if [ -n "$PERF_DIR" ] && [ "$2" = lbd ]; then
        perf record -q -F 2999 -g -p "$LBD_JAVA" -o "$PERF_DIR/$mode.perf" 2>/dev/null &
        perf_pid=$!
        sleep 0.5
    fi
    before=$(rx packets)
    bytes_before=$(rx bytes)
    start=$(date +%s.%N)
    n gen trafgen -q -o eth0 -i "$TMP/$gen.cfg" -n "$PACKETS" -P 1 >/dev/null 2>&1
    sleep 1 # the forwarder drains what is queued (the sink's counter is read after)
    end=$(date +%s.%N)
    after=$(rx packets)
    bytes_after=$(rx bytes)
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
    fi
    awk -v m="$mode" -v f="$2" -v s="$PACKETS" -v d=$((after - before)) -v b=$((bytes_after - bytes_before)) \
        -v t0="$start" -v t1="$end" 'BEGIN { t = t1 - t0 - 1;
            printf "%-9s %-6s sent %d delivered %d in %.2f s: %.0f packets/s, %.2f Gbit/s\n", m, f, s, d, t, d / t,
                b * 8 / t / 1e9 }'
}

start_lbd() { # forwarding method
    cat >"$TMP/lbd.cf" <<CF
autoreload=no
logfile="$TMP/lbd.log"
eventloops=$WORKERS
xdp=$LBD_XDP
CF
    i=1
    while [ "$i" -lt "$SERVICES" ]; do # VIPs below the measured one's: lbd orders its rules by address
        printf 'virtual=198.18.0.%d:80\n\treal=%s:80 %s\n\tchecktype=on\n' $((100 - i)) "$RS" "$1" >>"$TMP/lbd.cf"
        i=$((i + 1))
    done
    cat >>"$TMP/lbd.cf" <<CF
virtual=$VIP:80
	real=$RS:80 $1
	checktype=on
	scheduler=rr
CF
    : >"$TMP/lbd.log"
    # Not through n(): a function in the background is a subshell, and its PID would not be lbd's.
    perf_map=
    [ -z "$PERF_DIR" ] || perf_map="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"
    LBD_JAVA_OPTS="${LBD_JAVA_OPTS:-} $perf_map" ip netns exec "${P}dir" "$HERE/bin/lbd" --config "$TMP/lbd.cf" \
        --socket "$TMP/lbd.sock" >"$TMP/lbd.out" 2>&1 &
    LBD_PID=$!
    i=0
    until grep -q "receiving on" "$TMP/lbd.log" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "dr-bench.sh: lbd did not start:" >&2; cat "$TMP/lbd.log" "$TMP/lbd.out" >&2; exit 1; }
        sleep 0.1
    done
    LBD_JAVA=$(pgrep -P "$LBD_PID" java || echo "$LBD_PID") # bin/lbd execs java: the same process
    sleep 2 # the first resolution publishes the real server's egress
}

# One line of lbd's own counters before it stops (lbadm -L --json): what it forwarded, how much of that left through
# AF_XDP (xdp=yes), and its drops by reason (receive-ring-full: the worker fell behind the generator).
lbd_counters() { # forwarding method
    ip netns exec "${P}dir" "$HERE/bin/lbadm" -L --json --socket "$TMP/lbd.sock" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["directRouting"]
print("lbd-counters %s: forwarded %d, sent through AF_XDP %d, dropped %s" % (sys.argv[1], d["forwarded"],
      d.get("sentThroughAfXdp", 0), ", ".join("%s %d" % kv for kv in sorted(d["dropped"].items()) if kv[1]) or "none"))
' "$1" || echo "lbd-counters $1: not read"
}

stop_lbd() {
    if ! kill "$LBD_PID" 2>/dev/null; then
        echo "dr-bench.sh: lbd ended before its stop:" >&2
        cat "$TMP/lbd.log" "$TMP/lbd.out" >&2
    fi
    wait "$LBD_PID" 2>/dev/null || true
    LBD_PID=
    rm -f "$TMP/lbd.sock"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -r), $(nproc) cores, $PACKETS packets per run (60-byte frames; bulk 1494-byte); sink: $sink; lbd DR workers: $WORKERS, services: $SERVICES, xdp=$LBD_XDP$( [ "$ONE_ARM" = 0 ] || echo ', one-armed')"
n dir sysctl -qw net.ipv4.ip_forward=1
n dir ip route add $VIP/32 via $RS
for mode in syn ack bulk; do
    run "$mode" kernel
done
n dir ip route del $VIP/32
n dir sysctl -qw net.ipv4.ip_forward=0

if [ "$XDP_FLOOR" = 1 ]; then
    gcc -O2 -o "$TMP/xdp-floor" "$HERE/benchmarks/dr/xdp-floor.c"
    # Not through n(), for the same reason as lbd (below): $! must be the forwarder's PID.
    ip netns exec "${P}dir" "$TMP/xdp-floor" eth0 eth1 $VIP "$(n srv cat /sys/class/net/eth0/address)" skb \
        >"$TMP/xdp-floor.out" 2>&1 &
    LBD_PID=$!
    i=0
    until grep -q "forwarding" "$TMP/xdp-floor.out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "dr-bench.sh: xdp-floor did not start:" >&2; cat "$TMP/xdp-floor.out" >&2; exit 1; }
        sleep 0.1
    done
    for mode in ack bulk syn; do
        run "$mode" xdp-floor
    done
    kill "$LBD_PID"
    wait "$LBD_PID" 2>/dev/null || true
    LBD_PID=
fi

# SYN runs last: a SYN run leaves lbd's flow table full of half-open entries (those made under pressure expire 5 s
# later), and their expiry, in the runs after it, is a quarter of the worker's time (FlowExpiryWheel.expire in a
# --perf profile of the ACK run that followed). Each forwarding path is warmed up (the JIT) before it is measured.
start_lbd gate
run ack warm-up >/dev/null
for mode in ack bulk; do
    run "$mode" lbd
done
run syn warm-up >/dev/null
run syn lbd
lbd_counters gate
stop_lbd

# The kernel again, right after lbd's gate runs ("kernel-after"): this machine's speed changes by up to a third from
# one minute to the next (another tenant's load), and a ratio to the mean of the runs before and after, and their
# spread, tell a change of lbd's from a change of the machine's (targets_table.py).
n dir sysctl -qw net.ipv4.ip_forward=1
n dir ip route add $VIP/32 via $RS
for mode in syn ack bulk; do
    run "$mode" kernel-after
done
n dir ip route del $VIP/32
n dir sysctl -qw net.ipv4.ip_forward=0

# ipip: the sink decapsulates nothing; it counts the tunnelled packets on its interface all the same.
start_lbd ipip
run ipip warm-up >/dev/null
run ipip lbd
run ipip-bulk lbd
lbd_counters ipip
stop_lbd
