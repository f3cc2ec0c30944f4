#!/bin/bash
# A/B speed of two (or more) builds of the project, alternating: each round runs every variant
# once as a fresh JVM, in forward order in odd rounds and reversed in even ones, and prints
# images/s and peak RSS per run. Copy each build's classes aside first (cp -r target/classes
# /tmp/cls-X) so that no rebuild reaches a running JVM; nothing else should run meanwhile.
#
#   bench/ab.sh ROUNDS "BENCHMARK ARGS" LABEL:CLASSES[:EXTRA ARGS[:JVM FLAGS]] ...
#   bench/ab.sh 4 "--workload w28g --mode train --seconds 15" before:/tmp/cls-a after:/tmp/cls-b
#   bench/ab.sh 2 "--workload w28g --mode train --seconds 10" fp32:/tmp/cls-a cl:/tmp/cls-a:--channels-last
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 3 ] || { sed -n 2,10p "$0"; exit 2; }
ROUNDS=$1
COMMON=$2
shift 2
CP=$(cat "$ROOT/target/classpath.txt")
for r in $(seq 1 "$ROUNDS"); do
    specs=("$@")
    if (( r % 2 == 0 )); then
        mapfile -t specs < <(printf '%s\n' "$@" | tac)
    fi
    for spec in "${specs[@]}"; do
        IFS=: read -r label classes extra jvm <<< "$spec"
        # shellcheck disable=SC2086 # word splitting of the argument strings is wanted
        out=$(java ${jvm:-} -Xms32m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dai.djl.offline=true \
            -cp "$classes:$CP" io.github.djlresnet.cli.Main benchmark $COMMON ${extra:-} 2>/dev/null \
            | grep -o '"images_per_sec":[0-9.]*\|"peak_rss_mib":[0-9.]*' | tr '\n' ' ')
        echo "round $r $label $out"
    done
done
