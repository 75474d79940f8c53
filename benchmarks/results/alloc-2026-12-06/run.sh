#!/bin/bash
# Bytes allocated per request on lbd's event-loop thread (JFR's per-thread allocation counter, read every second),
# keep-alive then a new connection per request, wrk -t1 -c32 for 10 s each after 8 s of warm-up; the allocating
# call sites from JFR's allocation samples. Work directory /tmp/alloc (nginx on 127.0.0.1:28081, lbd on :28080).
#   run.sh TRANSPORT                  then: python3 alloc.py TRANSPORT; python3 samples.py TRANSPORT ka|cc [DEPTH]
#   EXTRA="JVM flags" run.sh TRANSPORT   (added to lbd's through LBD_JAVA_OPTS)
set -u
t=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
d=/tmp/alloc
mkdir -p "$d/www"
cp "$here/nginx.conf" "$here/lbd.cf" "$here/alloc.py" "$here/samples.py" "$d/"
[ -f "$d/www/small.txt" ] || head -c 100 /dev/zero | tr '\0' 'x' >"$d/www/small.txt"
[ -f "$d/nginx.pid" ] && kill -0 "$(cat "$d/nginx.pid")" 2>/dev/null || nginx -c "$d/nginx.conf"
rm -f "$d/$t.jfr" "$d/lbd-$t.sock"
LBD_JAVA_OPTS="${EXTRA:-} -XX:StartFlightRecording:filename=$d/$t.jfr,settings=profile,jdk.ThreadAllocationStatistics#period=1s,jdk.ObjectAllocationSample#throttle=2000/s" \
    "$repo/bin/lbd" --config "$d/lbd.cf" --transport "$t" --event-loops 1 --socket "$d/lbd-$t.sock" >"$d/lbd-$t.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -s -m 1 127.0.0.1:28080/small.txt >/dev/null && break; sleep 0.2; done
wrk -t1 -c32 -d8s http://127.0.0.1:28080/small.txt >/dev/null
date +%s.%N >"$d/$t.ka-start"
wrk -t1 -c32 -d10s http://127.0.0.1:28080/small.txt >"$d/$t.ka.txt"
date +%s.%N >"$d/$t.cc-start"
wrk -t1 -c32 -d10s -H "Connection: close" http://127.0.0.1:28080/small.txt >"$d/$t.cc.txt"
date +%s.%N >"$d/$t.end"
sleep 1.5
kill "$pid"
wait "$pid" || true
cd "$d" && python3 alloc.py "$t"
