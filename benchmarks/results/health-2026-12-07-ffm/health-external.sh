#!/bin/bash
# As health-ffm.sh, with the real servers out of lbd's process: connect-floor.c's own listeners (--serve), the servers
# the C floor checks, so both probers face the same servers and neither pays for them in its own CPU time.
#   OLD=/tmp/bench-old.jar NEW=/tmp/bench-new.jar benchmarks/results/health-2026-12-07-ffm/health-external.sh > out.txt
set -u
here=$(cd "$(dirname "$0")" && pwd)
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OLD=${OLD:-/tmp/bench-old.jar}
NEW=${NEW:-/tmp/bench-new.jar}
gcc -O2 -o /tmp/connect-floor "$here/../../health/connect-floor.c"
for round in 1 2; do
  for kind in connect http; do
    flag=""; [ $kind = http ] && flag=--http
    port=$((21000 + 300 * round))
    /tmp/connect-floor --serve $port $flag &
    server=$!
    sleep 0.5
    for v in old new; do
      jar=$OLD; [ $v = new ] && jar=$NEW
      echo "# round $round $kind $v, load $(cut -d' ' -f1 /proc/loadavg)"
      $J --enable-native-access=ALL-UNNAMED -cp $jar lbd.bench.health.HealthCheckCost 10000 10 $flag \
          --external-servers $port 2>&1 | grep -E "measured|split"
    done
    kill $server; wait $server 2>/dev/null
    echo "# round $round $kind floor"
    # ports below the ephemeral range (32768-60999)
    /tmp/connect-floor 10000 10 $((20000 + 300 * round)) $flag
  done
done
