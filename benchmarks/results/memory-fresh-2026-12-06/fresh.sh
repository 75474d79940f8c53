#!/usr/bin/env bash
# Harness of benchmarks/RESULTS.md "Memory: the fresh process after the warm-up" (2026-12-06), kept with its results.
# fresh.sh LABEL [WAIT]: one lbd started by its launcher (LBD=path, default this tree's bin/lbd) as compare.sh starts
# its lbd targets (two NAT services, TRANSPORT (io_uring), 1 event loop, CPU 0), waits for the warm-up's log line
# (WAITFOR=... else, e.g. 'lbd running' with EXTRA_ARGS=--warmup=no), then WAIT s (default 10); prints VmRSS,
# RssAnon, RssFile and the thread count. NMT=1: with native memory tracking, keeps OUT/nmt-LABEL.txt and
# OUT/map-LABEL.txt (jcmd System.map, summed by map-breakdown.py). CONNS=N: then hold.py opens N idle connections
# and prints the RSS per connection (needs an HTTP server on 127.0.0.1:29380: nginx, worker_connections 20200).
# LBD_JAVA_OPTS and MALLOC_ARENA_MAX pass through to the launcher.
set -u
out=${OUT:-.}
label=$1; wait_s=${2:-10}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
launcher=${LBD:-$repo/bin/lbd}
transport=${TRANSPORT:-io_uring}
d=$(mktemp -d)
port=$(( 20000 + RANDOM % 6000 * 2 ))
cat > $d/ldirectord.cf <<CF
checkinterval=5
virtual=127.0.0.1:$port
	real=127.0.0.1:29380 masq
	scheduler=rr
	protocol=tcp
	checktype=on
	service=none
virtual=127.0.0.1:$((port+1))
	real=127.0.0.1:29081 masq
	scheduler=rr
	protocol=tcp
	checktype=on
	service=none
CF
opts="${LBD_JAVA_OPTS:-}"
if [ "${NMT:-0}" = 1 ]; then opts="$opts -XX:NativeMemoryTracking=summary"; fi
LBD_JAVA_OPTS="$opts" taskset -c 0 "$launcher" --config $d/ldirectord.cf --transport $transport --event-loops 1 --socket $d/lbd.sock ${EXTRA_ARGS:-} >$d/out 2>$d/err &
pid=$!
t0=$(date +%s.%N)
for i in $(seq 1 600); do
  grep -q "${WAITFOR:-warm-up}" $d/err && break
  kill -0 $pid 2>/dev/null || { echo "$label FAILED: $(tail -1 $d/err)"; exit 1; }
  sleep 0.1
done
t1=$(date +%s.%N)
jpid=$(pgrep -P $pid java || echo $pid)
[ -r /proc/$jpid/smaps_rollup ] || jpid=$pid
sleep $wait_s
r() { awk '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^RssFile:/{f=$2} END{printf "rss=%.1fMiB anon=%.1fMiB file=%.1fMiB", r/1024, a/1024, f/1024}' /proc/$jpid/status; }
line="$label warmup_s=$(echo "$t1 - $t0" | bc | cut -c1-5) $(r) threads=$(ls /proc/$jpid/task | wc -l)"
grep -o 'warm-up: .*' $d/err | head -1 | cut -c1-150 > $d/wu
echo "$line | $(cat $d/wu)"
if [ "${NMT:-0}" = 1 ]; then
  jcmd=$(dirname $(readlink -f /proc/$jpid/exe))/jcmd
  [ -x $jcmd ] || jcmd=/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd
  $jcmd $jpid VM.native_memory summary > $d/nmt.txt 2>&1
  grep -E '^Total|^-  ' $d/nmt.txt | sed -E 's/ +/ /g' | grep -v 'committed=0KB' | head -30
  cp $d/nmt.txt $out/nmt-$label.txt
  cp /proc/$jpid/smaps $out/smaps-$label.txt
  $jcmd $jpid System.map >$out/map-$label.txt 2>&1 || true
  $jcmd $jpid VM.classloader_stats >$out/cls-$label.txt 2>&1 || true
fi
[ -n "${HOOK:-}" ] && eval "$HOOK"
if [ -n "${CONNS:-}" ]; then ulimit -n $(ulimit -Hn); FRESHWAIT=0 HOLDWAIT=${HOLDWAIT:-10} python3 $repo/benchmarks/results/memory-2026-12-06/hold.py $jpid $port $CONNS | sed "s/^/$label /"; fi
kill -TERM $pid; wait $pid 2>/dev/null
cp $d/err $out/err-$label.txt
rm -rf $d
