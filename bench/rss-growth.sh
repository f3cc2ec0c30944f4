#!/usr/bin/env bash
# RSS of the DJL trainer over many w28g training steps (default 2000): it must stay flat, i.e. no
# NDArray is left behind by a step. Prints the samples and the growth from step 100 to the end.
# Usage: bench/rss-growth.sh [STEPS] [DATA=synthetic|real]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-2000}
data=${2:-synthetic}
mvn -q -B -o compile >&2
[ -f target/classpath.txt ] || mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
log=$(mktemp)
java -Xms64m -Xmx2g -XX:+UseSerialGC -Dai.djl.offline=true -cp "target/classes:$(cat target/classpath.txt)" \
  io.github.djlresnet.cli.Main benchmark --workload w28g --mode train --data "$data" \
  --seconds 0 --steps "$steps" --rss-every 100 2> >(grep '^rss_mib' > "$log") | tail -1
sleep 1
cat "$log"
awk '/^rss_mib/ { split($2, s, "="); if (s[2] == 100) first = $3; last = $3; lastStep = s[2] }
     END { printf "rss growth from step 100 to step %d: %.1f MiB -> %.1f MiB (%+.2f%%)\n", lastStep, first, last, 100 * (last - first) / first }' "$log"
rm -f "$log"
