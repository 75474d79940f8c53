#!/usr/bin/env bash
# Ad-hoc harness of the 2026-12-06 memory measurements (benchmarks/RESULTS.md, "Memory: collector, heap and
# per-connection objects"), kept with its results. Needs an HTTP server on 127.0.0.1:29080 serving /small.txt
# (the runs used nginx on CPU 1, worker_connections 20200) and lb-director/target/lbd.jar built.
# exp.sh LABEL TRANSPORT CONNS [java opts...]: fresh lbd with exactly these JVM opts on CPU 0, 127.0.0.1:29090 -> nginx 29080
set -eu
label=$1 transport=$2 conns=$3; shift 3
repo=$(cd "$(dirname "$0")/../../.." && pwd)
d=$(mktemp -d)
ulimit -n $(ulimit -Hn)
cat > $d/ldirectord.cf <<CF
checkinterval=5
virtual=127.0.0.1:29090
	real=127.0.0.1:29080 masq
	scheduler=rr
	protocol=tcp
	checktype=on
	service=none
virtual=127.0.0.1:29091
	real=127.0.0.1:29081 masq
	scheduler=rr
	protocol=tcp
	checktype=on
	service=none
CF
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
taskset -c 0 $java --enable-native-access=ALL-UNNAMED "$@" -XX:+ExitOnOutOfMemoryError -Dlbd.home=$repo -cp $repo/lb-director/target/lbd.jar lbd.director.cli.LbdMain --config $d/ldirectord.cf --transport $transport --event-loops 1 --socket $d/lbd.sock >$d/out 2>$d/err &
pid=$!
for i in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/29090) 2>/dev/null && break; kill -0 $pid 2>/dev/null || { cat $d/err; exit 1; }; sleep 0.2; done
sleep 1
python3 "$(dirname "$0")/hold.py" $pid 29090 $conns ${HOLDCMD:-} | sed "s/^/$label $transport /"
kill -TERM $pid; wait $pid 2>/dev/null || true
rm -rf "$d"
