#!/bin/bash
# Health checks at 10,000 real servers: the selector loop (OLD jar) against the FFM/epoll loop (NEW jar), connect and
# --http, each beside its C floor, 2 rounds alternating, 10 s per point after HealthCheckCost's 5 s of warm-up.
#   OLD=/tmp/bench-old.jar NEW=/tmp/bench-new.jar benchmarks/results/health-2026-12-07-ffm/health-ffm.sh > out.txt
# (the jars: `mvn -q -o -DskipTests package` at each commit, benchmarks/target/benchmarks.jar copied aside)
set -u
here=$(cd "$(dirname "$0")" && pwd)
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OLD=${OLD:-/tmp/bench-old.jar}
NEW=${NEW:-/tmp/bench-new.jar}
gcc -O2 -o /tmp/connect-floor "$here/../../health/connect-floor.c"
for round in 1 2; do
  for kind in connect http; do
    flag=""; [ $kind = http ] && flag=--http
    for v in old new; do
      jar=$OLD; [ $v = new ] && jar=$NEW
      echo "# round $round $kind $v, load $(cut -d' ' -f1 /proc/loadavg)"
      $J --enable-native-access=ALL-UNNAMED -cp $jar lbd.bench.health.HealthCheckCost 10000 10 $flag 2>&1 | grep -E "measured|split"
    done
    echo "# round $round $kind floor"
    # ports below the ephemeral range (32768-60999)
    /tmp/connect-floor 10000 10 $((20000 + 300 * round)) $flag
  done
done
