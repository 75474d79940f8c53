#!/usr/bin/env bash
# Ad-hoc harness of the 2026-12-06 deoptimization measurements (benchmarks/RESULTS.md, "Warm start"), kept with its
# results: what a JVM option costs at the plateau, as lbd's CPU time (all its threads: event loop, GC, JIT) per
# request, which a loaded machine disturbs far less than a rate (the method of results/memory-2026-12-06).
#
#   cpu-per-request.sh LIBDIR ROUNDS NAME JAVA_OPTS [NAME JAVA_OPTS]...
#
# LIBDIR: an lbd installation (packaging/target/build/root/usr/lib/lbd after packaging/build-deb), run by its own
# launcher with LBD_JAVA_OPTS=JAVA_OPTS. Each round runs every NAME once, in order (interleaved): a fresh lbd (one
# event loop, CPU 0, its self warm-up) before an nginx on CPU 1; wrk (CPU 1) 13 s new connections and 3 s
# keep-alive to reach the plateau, then 8 s of each, measured. Prints: the warm-up's line, then NAME close|keep requests cpu_us_per_req.
set -u
lib=$1 rounds=$2; shift 2
names=() opts=()
while [ $# -gt 0 ]; do names+=("$1"); opts+=("$2"); shift 2; done
d=$(mktemp -d)
trap 'kill $(cat $d/nginx.pid) 2>/dev/null; rm -rf $d' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
backend=$(free_port)
mkdir -p $d/www $d/logs
head -c 100 /dev/zero | tr '\0' 'x' >$d/www/small.txt
cat >$d/nginx.conf <<NGINX
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
    server { listen 127.0.0.1:$backend backlog=4096; root $d/www; }
}
NGINX
taskset -c 1 nginx -p $d -e $d/logs/error.log -c $d/nginx.conf
ulimit -n $(ulimit -Hn)
for round in $(seq $rounds); do
  for i in "${!names[@]}"; do
    vip=$(free_port)
    printf 'eventloops=1\nvirtual=127.0.0.1:%s\n\treal=127.0.0.1:%s masq\n\tchecktype=connect\n\tcheckinterval=5\n' \
        $vip $backend >$d/lbd.cf
    LBD_JAVA_OPTS="${opts[$i]}" taskset -c 0 $lib/bin/lbd --config $d/lbd.cf --socket $d/lbd.sock >$d/out 2>&1 &
    pid=$!
    until grep -q 'warm-up' $d/out; do sleep 0.2; kill -0 $pid || { cat $d/out; exit 1; }; done
    echo "${names[$i]} $(grep -h 'warm-up' $d/out | sed 's/^[^ ]* //')"
    url=http://127.0.0.1:$vip/small.txt
    taskset -c 1 wrk -t1 -c32 -d13s -H 'Connection: close' $url >/dev/null 2>&1
    taskset -c 1 wrk -t1 -c32 -d3s $url >/dev/null 2>&1
    cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
    for w in close keep; do
      h=""; [ $w = close ] && h="Connection: close"
      c0=$(cpu)
      n=$(taskset -c 1 wrk -t1 -c32 -d8s ${h:+-H "$h"} $url 2>&1 | awk '/requests in/{print $1}')
      c1=$(cpu)
      echo "${names[$i]} $w requests=$n cpu_us_per_req=$(awk -v a=$c0 -v b=$c1 -v n=$n 'BEGIN{printf "%.1f", (b-a)*10000/n}') load=$(cut -d' ' -f1 /proc/loadavg)"
    done
    kill -TERM $pid; wait $pid 2>/dev/null
  done
done
