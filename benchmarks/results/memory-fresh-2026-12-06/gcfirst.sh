#!/usr/bin/env bash
# gcfirst.sh LABEL (cpu.sh plus the young collections of the first 3 s of new connections): bin/lbd (LBD=launcher) on CPU 0, wrk on CPU 1 against nginx on 29380; lbd CPU us per request
set -u
label=$1; launcher=${LBD:-$(cd "$(dirname "$0")/../../.." && pwd)/bin/lbd}; d=$(mktemp -d)
port=$(( 20000 + RANDOM % 6000 * 2 ))
printf 'checkinterval=5\nvirtual=127.0.0.1:%s\n\treal=127.0.0.1:29380 masq\n\tscheduler=rr\n\tprotocol=tcp\n\tchecktype=on\n' $port >$d/ldirectord.cf
ulimit -n $(ulimit -Hn)
LBD_JAVA_OPTS="-Xlog:gc:file=$d/gc.log" taskset -c 0 $launcher --config $d/ldirectord.cf --transport ${TRANSPORT:-io_uring} --event-loops 1 --socket $d/lbd.sock >$d/out 2>$d/err &
pid=$!
for i in $(seq 1 600); do grep -q 'warm-up' $d/err && break; sleep 0.1; done
url=http://127.0.0.1:$port/
g0=$(grep -c Pause $d/gc.log); o=$(taskset -c 1 wrk -t1 -c32 -d3s -H "Connection: close" $url 2>&1); echo "$label first3s: requests=$(echo "$o" | awk "/requests in/{print \$1}") gc_pauses=$(( $(grep -c Pause $d/gc.log) - g0 )) heap_after=$(grep Pause $d/gc.log | tail -1 | grep -oE "[0-9]+M->[0-9]+M\([0-9]+M\)")"
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
for w in close keep; do
  h=""; [ $w = close ] && h="Connection: close"
  c0=$(cpu); g0=$(grep -c "Pause" $d/gc.log)
  out=$(taskset -c 1 wrk -t1 -c32 -d8s ${h:+-H "$h"} --latency $url 2>&1)
  c1=$(cpu); g1=$(grep -c "Pause" $d/gc.log)
  n=$(echo "$out" | awk '/requests in/{print $1}')
  echo "$label $w: requests=$n lbd_cpu_us_per_req=$(awk -v a=$c0 -v b=$c1 -v n=$n 'BEGIN{printf "%.1f", (b-a)*10000/n}') gc_pauses=$((g1-g0)) rss=$(awk '/^VmRSS/{printf "%.0fMiB", $2/1024}' /proc/$pid/status)"
done
kill -TERM $pid; wait $pid 2>/dev/null; rm -rf $d
