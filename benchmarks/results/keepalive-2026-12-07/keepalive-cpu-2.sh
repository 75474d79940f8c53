#!/usr/bin/env bash
# keepalive-cpu-2.sh LABEL PID PORT [SECONDS] [CONC]: the two-thread case, nothing pinned (as targets.sh runs compare.sh
# at --threads 2 on a 2-CPU machine: proxy, wrk and the nginx backend all share both CPUs). One keep-alive wrk -t2 run
# through the proxy PID on PORT: requests/s, and the CPU per request of the proxy (all its threads), of nginx (all its
# workers) and of wrk, and how busy the machine was.
label=$1 pid=$2 port=$3 secs=${4:-8} c=${5:-32}
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
nginx_ticks() { local s=0; for p in $(pgrep -f "nginx: worker process"); do s=$((s + $(ticks $p))); done; echo $s; }
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
read pu0 ps0 < <(awk '{print $14, $15}' /proc/$pid/stat); n0=$(nginx_ticks); b0=$(busy)
out=$( { /usr/bin/time -f "wrk-cpu %U %S" wrk -t2 -c$c -d${secs}s http://127.0.0.1:$port/small.txt; } 2>&1)
read pu1 ps1 < <(awk '{print $14, $15}' /proc/$pid/stat); n1=$(nginx_ticks); b1=$(busy)
n=$(echo "$out" | awk '/requests in/{print $1}')
read wu ws < <(echo "$out" | awk '/^wrk-cpu/{print $2, $3}')
awk -v l="$label" -v n=$n -v s=$secs -v pu=$((pu1-pu0)) -v ps=$((ps1-ps0)) -v ng=$((n1-n0)) -v b=$((b1-b0)) \
    -v wu=$wu -v ws=$ws -v ld="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN{
  printf "%s: %.0f req/s; us CPU per request: proxy %.1f (user %.1f, sys %.1f), nginx %.1f, wrk %.1f; machine %.0f %% of 2 CPUs busy; load %s\n",
    l, n/s, (pu+ps)*10000/n, pu*10000/n, ps*10000/n, ng*10000/n, (wu+ws)*1e6/n, b/s/2, ld}'
