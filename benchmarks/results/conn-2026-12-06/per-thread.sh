#!/usr/bin/env bash
# per-thread.sh LABEL PID PORT N CONC: strace -ff over N requests; syscalls per request by thread and call
label=$1 pid=$2 port=$3 n=${4:-2000} c=${5:-8}
d=${WORK:-/tmp/lbd-conn}/ff-$label; rm -rf $d; mkdir -p $d
strace -ff -tt -p $pid -o $d/t 2>/dev/null & sp=$!
sleep 2
res=$(N=$n taskset -c 1 wrk -t1 -c$c -d120s -s "$(dirname "$0")/stopat.lua" -H 'Connection: close' http://127.0.0.1:$port/small.txt 2>&1)
sleep 0.5
kill -INT $sp; wait $sp 2>/dev/null
reqs=$(echo "$res" | awk '/requests in/{print $1}')
echo "$label: wrk requests=$reqs load=$(cut -d' ' -f1-3 /proc/loadavg)"
for f in $d/t.*; do
  tid=${f##*.}; name=$(cat /proc/$pid/task/$tid/comm 2>/dev/null || echo '?')
  cnt=$(grep -c -v -E 'resumed>|^[0-9:.]+ \+\+\+|^[0-9:.]+ ---' $f)
  [ "$cnt" -gt 20 ] || continue
  echo "$name ($tid): $(awk -v c=$cnt -v n=$reqs 'BEGIN{printf "%.2f", c/n}') per request"
  grep -v -E 'resumed>|^[0-9:.]+ \+\+\+|^[0-9:.]+ ---' $f | sed -E 's/^[0-9:.]+ ([a-z_0-9]+)\(.*/\1/' | sort | uniq -c | sort -rn | awk -v n=$reqs '{printf "    %-18s %6.2f\n", $2, $1/n}' | head -15
done
