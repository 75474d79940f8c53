#!/bin/bash
# old (c4902e8) vs new HealthCheckCost, connect and --http, alternating, 2 rounds; the C floors beside
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
NEW=/work/main/benchmarks/target/benchmarks.jar
OLD=/tmp/bench-old.jar
gcc -O2 -o /tmp/connect-floor /work/main/benchmarks/health/connect-floor.c
for round in 1 2; do
  for kind in connect http; do
    flag=""; [ $kind = http ] && flag=--http
    for v in old new; do
      jar=$OLD; [ $v = new ] && jar=$NEW
      echo "# round $round $kind $v $(cut -d' ' -f1 /proc/loadavg)"
      $J -cp $jar lbd.bench.health.HealthCheckCost 10000 10 $flag 2>&1 | grep -E "measured|split"
    done
    echo "# round $round $kind floor"
    /tmp/connect-floor 10000 10 $((20000 + 300 * round)) $flag
  done
done
