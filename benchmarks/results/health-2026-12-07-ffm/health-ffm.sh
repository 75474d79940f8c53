#!/bin/bash
# Health checks at 10,000 real servers: two benchmark jars (OLD, NEW), connect and --http, each beside its C floor,
# 2 rounds alternating, 10 s per point after HealthCheckCost's 5 s of warm-up.
#   OLD=/tmp/bench-old.jar NEW=/tmp/bench-new.jar benchmarks/results/health-2026-12-07-ffm/health-ffm.sh [--external] > out.txt
# (the jars: `mvn -q -o -DskipTests package` at each commit, benchmarks/target/benchmarks.jar copied aside)
# --external: lbd checks the C floor's own listeners, run as a process of their own (connect-floor --serve), so
# both probers face the same servers and neither pays for them (needs jars with --external-servers, a57734a on).
# Outputs here: selector-vs-ffm.txt and ffm-vs-ffm-intrusive-wheel.txt without --external; external-servers.txt
# with it, OLD=NEW=the a57734a jar.
set -u
here=$(cd "$(dirname "$0")" && pwd)
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OLD=${OLD:-/tmp/bench-old.jar}
NEW=${NEW:-/tmp/bench-new.jar}
external=0
[ "${1:-}" = --external ] && external=1
gcc -O2 -o /tmp/connect-floor "$here/../../health/connect-floor.c"
for round in 1 2; do
  for kind in connect http; do
    flag=""; [ $kind = http ] && flag=--http
    servers=()
    if [ $external = 1 ]; then
      port=$((21000 + 300 * round))
      /tmp/connect-floor --serve $port $flag &
      server=$!
      sleep 0.5
      servers=(--external-servers $port)
    fi
    for v in old new; do
      jar=$OLD; [ $v = new ] && jar=$NEW
      echo "# round $round $kind $v, load $(cut -d' ' -f1 /proc/loadavg)"
      $J --enable-native-access=ALL-UNNAMED -cp $jar lbd.bench.health.HealthCheckCost 10000 10 $flag "${servers[@]}" 2>&1 \
          | grep -E "measured|split"
    done
    [ $external = 1 ] && { kill $server; wait $server 2>/dev/null; }
    echo "# round $round $kind floor"
    # ports below the ephemeral range (32768-60999)
    /tmp/connect-floor 10000 10 $((20000 + 300 * round)) $flag
  done
done
