#!/bin/sh
# The chaos soak (not CI): lbd with a load through a masq VIP and a fault every few seconds on its three real
# servers or on lbd itself, for MINUTES (default 30). Writes a tab-separated line every 30 s, to REPORT and to
# standard output: requests, failures (and any not in flight at a fault), lbd's descriptors, threads and RSS.
# Exits 1 if a failure was not in flight at a fault, descriptors or threads did not come back, or lbd logged an
# exception. The program is lb-director's test class lbd.director.chaos.ChaosSoak, run as a plain java
# process (outside the test runner, which bounds a test's time); benchmarks/RESULTS.md ("Chaos soak") has a
# run's figures.
#
# usage: benchmarks/soak.sh [MINUTES] [REPORT.tsv] [SECONDS_BETWEEN_FAULTS]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-30}
report=$(realpath -m "${2:-soak-$(date -u +%Y%m%dT%H%M%SZ).tsv}")
every=${3:-5}
cd "$here"
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -ntp -q -pl lb-director -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$cpfile"
jdk=$(bin/find-jdk runtime)
echo "soak: $minutes min, a fault every $every s; report in $report" >&2
"$jdk/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "lb-director/target/test-classes:lb-director/target/classes:$(cat "$cpfile")" \
    lbd.director.chaos.ChaosSoak "$minutes" "$every" "$report"
