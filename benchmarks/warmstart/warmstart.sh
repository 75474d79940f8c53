#!/usr/bin/env bash
# warmstart.sh — new connections per second in each of the first seconds after a fresh lbd says READY=1, and
# the time from exec to READY=1, in several start modes, on 127.0.0.1 only.
#
#   benchmarks/warmstart/warmstart.sh LIBDIR [--seconds N] [--runs N] [--connections N] [--logs DIR] [--levels]
#                                            [--again IDLE_SECONDS] [--mode NAME JAVA_OPTS LBD_ARGS]...
#
# LIBDIR is an lbd installation: /usr/lib/lbd after installing the .deb, or packaging/target/build/root/usr/lib/lbd
# after packaging/build-deb. Without --mode, three modes: warm (as installed: the ahead-of-time cache and the
# self warm-up before READY=1), no-warmup (--warmup=no), no-aot (-XX:AOTMode=off --warmup=no). Each --mode
# adds one instead: JAVA_OPTS go to the JVM (LBD_JAVA_OPTS), LBD_ARGS to lbd's command line (either may be "").
# For each run and mode a fresh lbd (one event loop, pinned to CPU 0) proxies to an nginx backend (CPU 1); the
# moment lbd sends READY=1 on its NOTIFY_SOCKET (as systemd would receive it), wrk opens a new connection per
# request (Connection: close) for N consecutive one-second runs (CPU 1). Prints one CSV line per second:
# mode,run,second,conn_per_s — then, per mode, the median of each second and of the time from exec to READY=1,
# and the deoptimizations after READY=1: each lbd logs HotSpot's (-Xlog:deoptimization=debug, with wall-clock
# times), and those of a method of lbd, Netty or HdrHistogram (the connection path) are counted in the first 3 s
# after READY=1 and in all the measured seconds — each is a compiled method sent back to the interpreter and
# compiled again, on the CPU the event loop needs. On stderr, lbd's warm-up line of each run. --logs DIR keeps
# each run's lbd output there (MODE-RUN.log) and those deoptimizations (MODE-RUN.deopt: ms after READY=1, line).
# The summary's "1st/plateau" is, per run, the first second's rate over the median of its third and later seconds.
# --levels asks the JIT at READY=1 and again after the last second (jcmd PID Compiler.codelist) which tier each
# compiled method is at, and counts, of the methods of lbd and Netty at C2's tier 4 at the end (the path as served),
# how many were there at READY=1 ("tier 4 at READY" per run; the codelists go to --logs DIR). The command runs in
# lbd's process as its first second begins and costs that second some of its rate: a diagnosis, not a measurement.
# --again S measures the same lbd again after S seconds idle, as mode NAME-again: its own warm rate, a control for
# the measurement (wrk's first second, nginx, the ports) as opposed to lbd's start.
# Needs: nginx, wrk, python3, taskset (and a JDK's jcmd for --levels: bin/find-jdk).
set -euo pipefail

lib=${1:?usage: warmstart.sh LIBDIR [--seconds N] [--runs N] [--connections N]}
shift
seconds=10 runs=3 connections=32 logs="" jcmd="" again=""
modes=() mode_java=() mode_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --mode) [ $# -ge 4 ] || { echo "warmstart.sh: --mode NAME JAVA_OPTS LBD_ARGS" >&2; exit 2; }
            modes+=("$2"); mode_java+=("$3"); mode_args+=("$4"); shift 4 ;;
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --logs) logs=$2; mkdir -p "$logs"; shift 2 ;;
        --again) again=$2; shift 2 ;;
        --levels) jcmd="$(cd "$(dirname "$0")/../.." && bin/find-jdk)/bin/jcmd" || exit 1; shift ;;
        *) echo "warmstart.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ ${#modes[@]} -eq 0 ]; then
    modes=(warm no-warmup no-aot)
    mode_java=("" "" "-XX:AOTMode=off")
    mode_args=("" "--warmup=no" "--warmup=no")
fi
for tool in nginx wrk python3 taskset; do
    command -v "$tool" >/dev/null || { echo "warmstart.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$lib/bin/lbd" ] || { echo "warmstart.sh: $lib/bin/lbd: not an lbd installation" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

backend=$(free_port)
mkdir -p "$work/www" "$work/backend/logs"
head -c 100 /dev/zero | tr '\0' 'x' >"$work/www/small.txt"
cat >"$work/backend/nginx.conf" <<EOF
worker_processes 1;
pid $work/backend/nginx.pid;
error_log $work/backend/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/backend/body;
    proxy_temp_path $work/backend/proxy;
    fastcgi_temp_path $work/backend/fastcgi;
    uwsgi_temp_path $work/backend/uwsgi;
    scgi_temp_path $work/backend/scgi;
    server { listen 127.0.0.1:$backend backlog=4096; root $work/www; }
}
EOF
taskset -c 1 nginx -p "$work/backend" -e "$work/backend/logs/error.log" -c "$work/backend/nginx.conf" \
    -g 'daemon off;' &
pids+=($!)

# Of the methods of lbd and Netty with tier-4 code in use at the end, how many had it at READY=1: "N/M". A
# Compiler.codelist line: <compile id> <tier> <state: 0 in use> <class.method(signature)> [addresses].
tier4_at_ready() { # tier4_at_ready READY_CODELIST END_CODELIST
    python3 - "$1" "$2" <<'EOF'
import re, sys
def tier4(path):
    names = set()
    for line in open(path):
        f = line.split(" ", 3)
        if len(f) == 4 and f[0].isdigit() and f[1] == "4" and f[2] == "0" and re.match(r"(lbd|io\.netty)\.", f[3]):
            names.add(f[3].split(" [")[0])
    return names
end = tier4(sys.argv[2])
print(f"{len(end & tier4(sys.argv[1]))}/{len(end)}")
EOF
}

# measure LABEL: new connections per second through the current run's VIP, one line per second, as LABEL
measure() {
    for s in $(seq "$seconds"); do
        rate=$(taskset -c 1 wrk -t1 -c"$connections" -d1s -H 'Connection: close' \
            "http://127.0.0.1:$vip/small.txt" | awk '/^Requests\/sec:/ { print $2 }')
        echo "$1,$run,$s,$rate"
    done | tee -a "$work/rates.csv"
}

echo "mode,run,second,conn_per_s"
for run in $(seq "$runs"); do
    for m in "${!modes[@]}"; do
        mode=${modes[$m]}
        vip=$(free_port)
        cat >"$work/lbd.cf" <<EOF
eventloops=1
virtual=127.0.0.1:$vip
	real=127.0.0.1:$backend masq
	checktype=connect
	checkinterval=5
EOF
        rm -f "$work/notify" "$work/deopt"
        python3 "$(dirname "$0")/../await-ready.py" "$work/notify" >"$work/ready" &
        ready_pid=$!
        while [ ! -S "$work/notify" ]; do sleep 0.01; done
        started=$(date +%s.%N)
        # shellcheck disable=SC2086 # LBD_ARGS is a list of arguments
        NOTIFY_SOCKET="$work/notify" \
            LBD_JAVA_OPTS="-Xlog:deoptimization=debug:file=$work/deopt:timemillis ${mode_java[$m]}" taskset -c 0 "$lib/bin/lbd" \
            --config "$work/lbd.cf" --socket "$work/lbd.sock" ${mode_args[$m]} >"$work/lbd-$mode-$run.log" 2>&1 &
        lbd=$!
        pids+=("$lbd")
        wait "$ready_pid" || {
            echo "warmstart.sh: no READY=1 from lbd ($mode, run $run) within 120 s; its log:" >&2
            tail -n 20 "$work/lbd-$mode-$run.log" >&2
            exit 1
        }
        echo "$mode,$run,$(python3 -c "print(f'{$(cat "$work/ready") - $started:.2f}')")" >>"$work/ready.csv"
        if [ -n "$jcmd" ]; then "$jcmd" "$lbd" Compiler.codelist >"$work/codelist-$mode-$run.ready"; fi
        grep -h 'warm-up' "$work/lbd-$mode-$run.log" | sed "s/^/# $mode,$run: /" >&2 || true
        measure "$mode"
        measured=$(date +%s.%N)
        if [ -n "$again" ]; then
            sleep "$again"
            measure "$mode-again"
        fi
        if [ -n "$jcmd" ]; then
            "$jcmd" "$lbd" Compiler.codelist >"$work/codelist-$mode-$run.end"
            echo "$mode,$run,$(tier4_at_ready "$work/codelist-$mode-$run.ready" "$work/codelist-$mode-$run.end")" \
                >>"$work/levels.csv"
        fi
        kill "$lbd"
        wait "$lbd" 2>/dev/null || true
        # The path's deoptimizations from READY=1 on; a line: [<epoch ms>ms] cid=.. level=4 <class.method(sig)>
        # trap_bci=.. <reason> <action> pc=...
        awk -v ready="$(cat "$work/ready")" -v measured="$measured" '{ t = substr($1, 2) + 0 }
            t >= ready * 1000 && t < measured * 1000 && / (lbd|io\.netty|org\.HdrHistogram)\./ {
                print t - ready * 1000, $0 }' \
            "$work/deopt" >"$work/deopt-$mode-$run"
        echo "$mode,$run,$(awk '$1 < 3000' "$work/deopt-$mode-$run" | wc -l),$(wc -l <"$work/deopt-$mode-$run")" \
            >>"$work/deopts.csv"
        if [ -n "$logs" ]; then
            cp "$work/lbd-$mode-$run.log" "$logs/$mode-$run.log"
            cp "$work/deopt-$mode-$run" "$logs/$mode-$run.deopt"
            if [ -n "$jcmd" ]; then cp "$work/codelist-$mode-$run".* "$logs/"; fi
        fi
    done
done

echo
echo "median conn/s per second after READY=1, median seconds from exec to READY=1, per run the first second over the"
echo "median of the third and later, and the connection path's deoptimizations after READY=1 in the first 3 s / all"
echo "$seconds s ($runs runs):"
touch "$work/levels.csv"
summary_modes=()
for mode in "${modes[@]}"; do
    summary_modes+=("$mode")
    if [ -n "$again" ]; then summary_modes+=("$mode-again"); fi
done
python3 - "$work/rates.csv" "$work/ready.csv" "$seconds" "$work/deopts.csv" "$work/levels.csv" "${summary_modes[@]}" <<'EOF'
import csv, statistics, sys
rows = list(csv.reader(open(sys.argv[1])))
ready = list(csv.reader(open(sys.argv[2])))
deopts = list(csv.reader(open(sys.argv[4])))
levels = list(csv.reader(open(sys.argv[5])))
for mode in sys.argv[6:]:
    cells = []
    for s in range(1, int(sys.argv[3]) + 1):
        values = [float(r[3]) for r in rows if r[0] == mode and int(r[2]) == s and r[3]]
        cells.append(f"{statistics.median(values):,.0f}" if values else "-")
    start = [float(r[2]) for r in ready if r[0] == mode.removesuffix("-again")]
    counts = " ".join(f"{r[2]}/{r[3]}" for r in deopts if r[0] == mode)
    ratios = []
    for run in sorted({r[1] for r in rows if r[0] == mode}):
        rates = {int(r[2]): float(r[3]) for r in rows if r[0] == mode and r[1] == run and r[3]}
        later = [v for s, v in rates.items() if s >= 3]
        if 1 in rates and later:
            ratios.append(rates[1] / statistics.median(later))
    first = " ".join(f"{x:.0%}" for x in ratios) if ratios else "-"
    tiers = " ".join(r[2] for r in levels if r[0] == mode)
    print(f"| {mode} | {statistics.median(start):.2f} s | " + " | ".join(cells) + f" | 1st/plateau {first} | deopts {counts} |"
          + (f" tier 4 at READY {tiers} |" if tiers else ""))
EOF
