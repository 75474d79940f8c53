#!/usr/bin/env bash
# Ad-hoc harness of the 2026-12-06 memory measurements (benchmarks/RESULTS.md, "Memory: collector, heap and
# per-connection objects"), kept with its results. Needs an HTTP server on 127.0.0.1:29080 serving /small.txt
# (the runs used nginx on CPU 1, worker_connections 20200) and lb-director/target/lbd.jar built.
# JAR: the lbd.jar to run (before/after); writes a two-service config like idle-one-lbd.sh
# cpu.sh LABEL TRANSPORT [java opts]: lbd CPU per connection (connclose) and per keep-alive request, and GC pauses
set -u
label=$1 transport=$2; shift 2
repo=$(cd "$(dirname "$0")/../../.." && pwd); d=$(mktemp -d); JAR=${JAR:-$repo/lb-director/target/lbd.jar}
printf 'checkinterval=5\nvirtual=127.0.0.1:29090\n\treal=127.0.0.1:29080 masq\n\tscheduler=rr\n\tprotocol=tcp\n\tchecktype=on\n' >$d/ldirectord.cf
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
ulimit -n $(ulimit -Hn)
taskset -c 0 $java --enable-native-access=ALL-UNNAMED "$@" -Xlog:gc:file=$d/gc.log -XX:+ExitOnOutOfMemoryError -Dlbd.home=$repo -cp $JAR lbd.director.cli.LbdMain --config $d/ldirectord.cf --transport $transport --event-loops 1 --socket $d/lbd.sock >$d/out 2>$d/err &
pid=$!
for i in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/29090) 2>/dev/null && break; sleep 0.2; done
url=http://127.0.0.1:29090/small.txt
taskset -c 1 wrk -t1 -c32 -d10s -H 'Connection: close' $url >/dev/null 2>&1   # warm-up
taskset -c 1 wrk -t1 -c32 -d3s $url >/dev/null 2>&1
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
for w in close keep; do
  h=""; [ $w = close ] && h="Connection: close"
  c0=$(cpu); g0=$(grep -c "Pause" $d/gc.log)
  out=$(taskset -c 1 wrk -t1 -c32 -d8s ${h:+-H "$h"} --latency $url 2>&1)
  c1=$(cpu); g1=$(grep -c "Pause" $d/gc.log)
  n=$(echo "$out" | awk '/requests in/{print $1}'); p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$label $transport $w: requests=$n  lbd_cpu_us_per_req=$(awk -v a=$c0 -v b=$c1 -v n=$n 'BEGIN{printf "%.1f", (b-a)*10000/n}') p99=$p99 gc_pauses=$((g1-g0))"
done
grep Pause $d/gc.log | awk '{print $NF}' | sed 's/ms//' | sort -n | awk '{a[NR]=$1} END{if(NR) printf "  gc pauses: n=%d median=%sms max=%sms\n", NR, a[int((NR+1)/2)], a[NR]}'
kill -TERM $pid; wait $pid 2>/dev/null
