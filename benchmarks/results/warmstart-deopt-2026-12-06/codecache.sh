#!/usr/bin/env bash
# Ad-hoc harness of the 2026-12-06 deoptimization measurements (benchmarks/RESULTS.md, "Warm start"): LIB as
# for cpu-per-request.sh; needs jcmd of the same JDK 25 (the path below), nginx, wrk.
# codecache.sh LIB NAME OPTS: a fresh lbd, its warm-up, 10 s wrk close + 3 s keep-alive, then the code cache and the
# number of C2 (tier 4) methods.
set -u
lib=$1 name=$2 opts=$3
d=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
backend=$(free_port)
mkdir -p $d/www $d/logs; head -c 100 /dev/zero | tr '\0' 'x' >$d/www/small.txt
cat >$d/nginx.conf <<NGINX
worker_processes 1; pid $d/nginx.pid; error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi; server { listen 127.0.0.1:$backend backlog=4096; root $d/www; } }
NGINX
taskset -c 1 nginx -p $d -e $d/logs/error.log -c $d/nginx.conf
vip=$(free_port)
printf 'eventloops=1\nvirtual=127.0.0.1:%s\n\treal=127.0.0.1:%s masq\n\tchecktype=connect\n\tcheckinterval=5\n' $vip $backend >$d/lbd.cf
LBD_JAVA_OPTS="$opts" taskset -c 0 $lib/bin/lbd --config $d/lbd.cf --socket $d/lbd.sock >$d/out 2>&1 &
pid=$!
until grep -q 'warm-up' $d/out; do sleep 0.2; done
taskset -c 1 wrk -t1 -c32 -d10s -H 'Connection: close' http://127.0.0.1:$vip/small.txt >/dev/null 2>&1
taskset -c 1 wrk -t1 -c32 -d3s http://127.0.0.1:$vip/small.txt >/dev/null 2>&1
sleep 2
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd
nm=$($J $pid Compiler.codecache | grep -E "^ *(CodeHeap 'non-profiled|CodeHeap 'profiled)" -A0 | tr '\n' ' ')
c2=$($J $pid Compiler.codelist | awk '$2 == 4' | wc -l)
c2path=$($J $pid Compiler.codelist | awk '$2 == 4 && $4 ~ /^(lbd|io\.netty|org\.HdrHistogram)\./' | wc -l)
echo "$name tier4_methods=$c2 tier4_path_methods=$c2path | $nm"
kill $pid; wait $pid 2>/dev/null; kill $(cat $d/nginx.pid); rm -rf $d
