#!/usr/bin/env bash
# sqes.sh LABEL PID PORT N CONC: io_uring requests submitted by PID per request, by opcode (perf tracepoint)
label=$1 pid=$2 port=$3 n=${4:-2000} c=${5:-8}
d=${WORK:-/tmp/lbd-conn}/sqe-$label; rm -rf $d; mkdir -p $d
perf record -q -e io_uring:io_uring_submit_req -p $pid -o $d/perf.data 2>$d/perf.err & sp=$!
sleep 2
res=$(N=$n taskset -c 1 wrk -t1 -c$c -d120s -s "$(dirname "$0")/stopat.lua" -H 'Connection: close' http://127.0.0.1:$port/small.txt 2>&1)
sleep 0.5
kill -INT $sp; wait $sp 2>/dev/null
reqs=$(echo "$res" | awk '/requests in/{print $1}')
echo "$label: wrk requests=$reqs load=$(cut -d' ' -f1-3 /proc/loadavg)"
perf script -i $d/perf.data 2>/dev/null > $d/script.txt
grep -o 'opcode [A-Z_]*' $d/script.txt | sort | uniq -c | sort -rn | awk -v n=$reqs '{s+=$1; printf "    %-22s %6.2f\n", $3, $1/n} END{printf "    %-22s %6.2f\n", "total", s/n}'
