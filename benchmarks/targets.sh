#!/usr/bin/env bash
# Every performance target of lbd measured in one run, and one table of where each stands: the peer comparison
# (new connections, keep-alive, corrected latency, bulk, memory) at each thread count, the DR path end to end
# against the kernel, and the health checks' CPU against the C prober's floor. Meant for a quiet machine:
# anything else running moves every rate (see RESULTS.md); ~35 minutes per thread count, plus ~5 for DR and
# health. The table is targets.md in the output directory, next to every tool's own output.
#
#   benchmarks/targets.sh [--quick] [--threads-list 1,2] [--out DIR] [--skip peers,dr,health]
#
# --quick: compare.sh --quick, 200,000 DR packets per run, 5 s health points: a smoke test of the pipeline, not a
# measurement. Needs what compare.sh needs (it says what to install), and for DR root and trafgen
# (netsniff-ng); a part that cannot run says why and is left out of the table.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
quick=0
threads_list=1
skip=""
out="$repo/benchmarks/results/targets-$(date -u +%Y-%m-%dT%H%MZ)"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --threads-list) threads_list=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --skip) skip=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "targets.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
skipped() { case ",$skip," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

mkdir -p "$out"
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java" ] || java=java
jar="$repo/benchmarks/target/benchmarks.jar"
if [ ! -f "$jar" ]; then
    echo "targets.sh: building $jar once (mvn -q -DskipTests package)..." >&2
    (cd "$repo" && mvn -q -DskipTests package) >&2
fi
{
    echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ); commit $(git -C "$repo" rev-parse --short HEAD)"
    echo "kernel $(uname -r); $(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/env.txt"

# 1. Peers, at each thread count: the proxies on the first N CPUs, the load on the rest (all CPUs when none are left).
if ! skipped peers; then
    cpus=$(nproc)
    for n in ${threads_list//,/ }; do
        if [ "$cpus" -gt "$n" ]; then
            proxy_cpus="0-$((n - 1))"; load_cpus="$n-$((cpus - 1))"
        else
            proxy_cpus="0-$((cpus - 1))"; load_cpus="0-$((cpus - 1))"
        fi
        args=(--threads "$n" --proxy-cpus "$proxy_cpus" --load-cpus "$load_cpus"
            --workloads keepalive,connclose,bulk1m,iperf3,idle,latency
            --targets direct,haproxy,nginx,pen,lbd-io_uring,lbd-epoll,lbd-nio,haproxy-splice-always
            --out "$out/peers-threads-$n")
        [ "$quick" = 1 ] && args+=(--quick)
        echo "targets.sh: peers, $n thread(s): compare.sh ${args[*]}" >&2
        "$here/peers/compare.sh" "${args[@]}" 2>&1 | tee "$out/peers-threads-$n.log" >&2
    done
fi

# 2. DR end to end (root, trafgen).
if ! skipped dr; then
    packets=1000000
    [ "$quick" = 1 ] && packets=200000
    if [ "$(id -u)" -ne 0 ]; then
        echo "DR: skipped: needs root (network namespaces, AF_PACKET)" >"$out/dr.txt"
    elif ! command -v trafgen >/dev/null 2>&1; then
        echo "DR: skipped: needs trafgen (apt-get install netsniff-ng)" >"$out/dr.txt"
    else
        # Three runs of each receive path (packet sockets, with the AF_XDP floor; xdp=yes), in turn, each with its own
        # kernel reference: the table takes each run's ratio and shows their median.
        : >"$out/dr.txt"
        : >"$out/dr-xdp.txt"
        for rep in 1 2 3; do
            echo "targets.sh: DR, run $rep of 3: dr-bench.sh $packets --xdp-floor" >&2
            "$here/dr/dr-bench.sh" "$packets" --xdp-floor 2>&1 | tee -a "$out/dr.txt" >&2
            echo "targets.sh: DR, run $rep of 3: dr-bench.sh $packets --xdp" >&2
            "$here/dr/dr-bench.sh" "$packets" --xdp 2>&1 | tee -a "$out/dr-xdp.txt" >&2
        done
    fi
fi

# 3. Health checks at 10,000 real servers, each check type next to its C floor, twice in alternation.
if ! skipped health; then
    seconds=15
    [ "$quick" = 1 ] && seconds=5
    floor="$out/connect-floor"
    gcc -O2 -o "$floor" "$here/health/connect-floor.c"
    : >"$out/health.txt"
    for round in 1 2; do
        for kind in connect http; do
            flag=""
            [ "$kind" = http ] && flag="--http"
            echo "targets.sh: health, round $round, $kind" >&2
            echo "# round $round $kind lbd" >>"$out/health.txt"
            # lbd checks the C floor's own servers (another process): both probers face the same servers
            serve_port=$((21000 + 200 * round))
            "$floor" --serve "$serve_port" $flag &
            server=$!
            sleep 0.5
            "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" lbd.bench.health.HealthCheckCost 10000 "$seconds" $flag \
                --external-servers "$serve_port" 2>&1 | grep -v '^SLF4J' >>"$out/health.txt"
            kill "$server"; wait "$server" 2>/dev/null || true
            echo "# round $round $kind floor" >>"$out/health.txt"
            # ports below the ephemeral range (32768-60999): no outgoing connection of the machine holds them
            "$floor" 10000 "$seconds" $((20000 + 200 * round)) $flag >>"$out/health.txt" 2>&1 || true
        done
    done
fi

echo "finished $(date -u +%Y-%m-%dT%H:%M:%SZ); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/env.txt"
python3 "$here/targets_table.py" "$out" >"$out/targets.md"
cat "$out/targets.md"
echo "targets.sh: everything is in $out" >&2
