#!/usr/bin/env bash
# Training speed and peak RSS of the DJL benchmark under each malloc the app can run on, with the
# PyTorch peer after each set, alternating (bench/RESULTS.md, change 7). One process per run.
# Needs Debian's libtcmalloc-minimal4 and libjemalloc2 (apt-get install libtcmalloc-minimal4 libjemalloc2).
# Usage: bench/allocators.sh [WORKLOADS] [ROUNDS] [SECONDS]    e.g. bench/allocators.sh "w224 w28g" 1 20
set -euo pipefail
cd "$(dirname "$0")/.."
workloads=${1:-w224 w28g w32}
rounds=${2:-1}
seconds=${3:-20}
mvn -q -B -o compile >&2
[ -f target/classpath.txt ] || mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >&2
java=(java -Xms32m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -Xss512k
  -XX:CICompilerCount=1 -Dai.djl.offline=true)
main=(-cp "target/classes:$(cat target/classpath.txt)" io.github.djlresnet.cli.Main)
jemalloc=$(compgen -G "/usr/lib/*/libjemalloc.so.2" | head -1 || true)

run() { # label, command...: prints the label and the benchmark's JSON line
  local label=$1; shift
  echo "$label $("$@" 2>/dev/null | tail -1)"
}

for w in $workloads; do
  for ((r = 1; r <= rounds; r++)); do
    args=(benchmark --workload "$w" --mode train --seconds "$seconds")
    # glibc: the relaunch with one arena, 1 GiB mmap threshold, no trim (the app without tcmalloc)
    run "$w round $r glibc" "${java[@]}" -Ddjlresnet.malloc=glibc "${main[@]}" "${args[@]}"
    # auto: the relaunch preloads tcmalloc where installed (the app's default)
    run "$w round $r tcmalloc" "${java[@]}" "${main[@]}" "${args[@]}"
    if [ -n "$jemalloc" ]; then # jemalloc 5 with its defaults, preloaded by hand
      run "$w round $r jemalloc" env LD_PRELOAD="$jemalloc" "${java[@]}" -Ddjlresnet.malloc=default "${main[@]}" "${args[@]}"
    fi
    run "$w round $r pytorch" /usr/bin/python3 bench/pytorch_peer.py --threads 2 --workload "$w" --mode train --seconds "$seconds"
  done
done
