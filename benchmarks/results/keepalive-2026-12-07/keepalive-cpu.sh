#!/usr/bin/env bash
# keepalive-cpu.sh LABEL PID PORT [SECONDS] [CONC]: one keep-alive wrk run (wrk -t1 on CPU 1) through the proxy PID
# listening on PORT: requests/s, the proxy's CPU per request (user, system; all its threads) and how busy each CPU
# was: the proxy's share of its CPU (it is pinned to CPU 0), and CPU 1's, where wrk and the nginx backend share it.
# CLOSE=1 in the environment: a new connection per request (wrk -H 'Connection: close') instead of keep-alive.
label=$1 pid=$2 port=$3 secs=${4:-8} c=${5:-32}
nginx=$(pgrep -f "nginx: worker process" | head -1)
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
split() { awk '{print $14, $15}' /proc/$1/stat; }
read pu0 ps0 < <(split $pid); n0=$(ticks $nginx)
read c0 < <(awk '/^cpu1 /{print $2+$3+$4+$7+$8}' /proc/stat)
header=(); [ "${CLOSE:-0}" = 1 ] && header=(-H 'Connection: close')
out=$(taskset -c 1 wrk -t1 -c$c -d${secs}s "${header[@]}" http://127.0.0.1:$port/small.txt 2>&1)
read pu1 ps1 < <(split $pid); n1=$(ticks $nginx)
read c1 < <(awk '/^cpu1 /{print $2+$3+$4+$7+$8}' /proc/stat)
n=$(echo "$out" | awk '/requests in/{print $1}')
awk -v l="$label" -v n=$n -v s=$secs -v pu=$((pu1-pu0)) -v ps=$((ps1-ps0)) -v ng=$((n1-n0)) -v c1=$((c1-c0)) \
    -v ld="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN{
  printf "%s: %.0f req/s; proxy %.1f us CPU per request (user %.1f, sys %.1f), %.0f %% of CPU 0; CPU 1 %.0f %% busy (nginx %.0f %%, the rest wrk); load %s\n",
    l, n/s, (pu+ps)*10000/n, pu*10000/n, ps*10000/n, (pu+ps)/s, c1/s, ng/s, ld}'
