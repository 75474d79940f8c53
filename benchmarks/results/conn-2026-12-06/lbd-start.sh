#!/usr/bin/env bash
# lbd-start.sh JAR TRANSPORT PORT [java opts...]: starts lbd on CPU 0, prints its pid
jar=$1 transport=$2 port=$3; shift 3
d=${WORK:-/tmp/lbd-conn}/lbd-$transport-$port; rm -rf $d; mkdir -p $d
printf 'checkinterval=5\nvirtual=127.0.0.1:%s\n\treal=127.0.0.1:29080 masq\n\tscheduler=rr\n\tprotocol=tcp\n\tchecktype=on\n' $port >$d/ldirectord.cf
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
ulimit -n $(ulimit -Hn)
setsid taskset -c 0 $java --enable-native-access=ALL-UNNAMED -XX:+UseG1GC -Xms16m -XX:+UseCompactObjectHeaders -Xss512k \
  -XX:TrimNativeHeapInterval=5000 -Dio.netty.jfr.enabled=false -Xmx1g -XX:+ExitOnOutOfMemoryError "$@" \
  -Dlbd.home=$(cd "$(dirname "$0")/../../.." && pwd) -cp $jar lbd.director.cli.LbdMain --config $d/ldirectord.cf --transport $transport \
  --event-loops 1 --socket $d/lbd.sock >$d/out 2>$d/err </dev/null &
echo $! > $d/pid
for i in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
cat $d/pid
