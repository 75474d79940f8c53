#!/bin/sh
# The chaos soak (not CI): lbd with a load through a masq VIP and a fault every few seconds on its three real
# servers or on lbd itself, for MINUTES (default 30). Writes a tab-separated report every 30 s: requests,
# failures (and any not in flight at a fault), lbd's descriptors, threads and RSS. Fails if a failure was not
# in flight at a fault, or descriptors or threads did not come back, or lbd logged an exception.
# The code is lb-director's ChaosSoakTest; benchmarks/RESULTS.md ("Chaos soak") has a run's figures.
#
# usage: benchmarks/soak.sh [MINUTES] [REPORT.tsv] [SECONDS_BETWEEN_FAULTS]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-30}
report=$(realpath -m "${2:-soak-$(date -u +%Y%m%dT%H%M%SZ).tsv}")
every=${3:-5}
echo "soak: $minutes min, a fault every $every s; report in $report" >&2
cd "$here"
mvn -B -ntp -q verify -pl lb-director -am -Dtest=ChaosSoakTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dlbd.test.forkTimeout=0 -Dlbd.soak.minutes="$minutes" -Dlbd.soak.every="$every" -Dlbd.soak.report="$report"
cat "$report"
