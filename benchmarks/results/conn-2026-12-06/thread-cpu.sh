#!/usr/bin/env bash
# thread-cpu.sh PID PORT SECS: CPU per thread (user+sys ticks) during a Connection: close run, per request
pid=$1 port=$2 secs=${3:-8}
snap() { for t in /proc/$pid/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat) $(tr ' ' _ < $t/comm)"; done; }
mkdir -p ${WORK:-/tmp/lbd-conn}; snap > ${WORK:-/tmp/lbd-conn}/tc0
out=$(taskset -c 1 wrk -t1 -c32 -d${secs}s -H 'Connection: close' http://127.0.0.1:$port/small.txt 2>&1)
snap > ${WORK:-/tmp/lbd-conn}/tc1
n=$(echo "$out" | awk '/requests in/{print $1}')
echo "requests=$n load=$(cut -d' ' -f1 /proc/loadavg)"
join <(sort ${WORK:-/tmp/lbd-conn}/tc0) <(sort ${WORK:-/tmp/lbd-conn}/tc1) | awk -v n=$n '{d=$4-$2; if (d>0) printf "  %-20s %6.1f us/req\n", $3, d*10000/n}' | sort -k2 -rn
