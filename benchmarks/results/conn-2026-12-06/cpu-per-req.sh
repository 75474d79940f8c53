#!/usr/bin/env bash
# cpu-per-req.sh LABEL PID PORT [SECONDS] [CONC]: the process's CPU (user, system; all threads) per Connection: close request
label=$1 pid=$2 port=$3 secs=${4:-8} c=${5:-32}
cpu() { awk '{print $14, $15}' /proc/$pid/stat; }
loop=$(grep -l 'lbd-nat' /proc/$pid/task/*/comm 2>/dev/null | head -1 | xargs -r dirname)
lcpu() { [ -n "$loop" ] && awk '{print $14, $15}' $loop/stat || echo "0 0"; }
read u0 s0 < <(cpu); read lu0 ls0 < <(lcpu)
out=$(taskset -c 1 wrk -t1 -c$c -d${secs}s -H 'Connection: close' http://127.0.0.1:$port/small.txt 2>&1)
read u1 s1 < <(cpu); read lu1 ls1 < <(lcpu)
n=$(echo "$out" | awk '/requests in/{print $1}')
awk -v l="$label" -v n=$n -v u=$((u1-u0)) -v s=$((s1-s0)) -v lu=$((lu1-lu0)) -v ls=$((ls1-ls0)) -v ld="$(cut -d" " -f1 /proc/loadavg)" \
  'BEGIN{printf "%s: requests=%d cpu_us_per_req=%.1f (user %.1f, sys %.1f); event loop %.1f (user %.1f, sys %.1f); load %s\n", l, n, (u+s)*10000/n, u*10000/n, s*10000/n, (lu+ls)*10000/n, lu*10000/n, ls*10000/n, load}'
