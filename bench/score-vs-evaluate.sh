#!/usr/bin/env bash
# Images/s of `score` (Spark, local[2], one LibTorch thread per task) against `evaluate` and
# `predict` (one JVM, LibTorch on both cores) on the same PNG files, alternating, ROUNDS rounds.
# Every figure is end to end: JVM start, model load (and Spark start for score), reading, scoring,
# writing. score's own in-job rate (after Spark and the model started) is printed too.
# Images: the official Fashion-MNIST test set as PNGs (apt-get install dataset-fashion-mnist), or its
# training set (60,000 images) with IMAGES=train (use another WORK folder), else the shipped 500 test
# images written COPIES times. The model: ResNet-34 trained one epoch on the
# shipped training images as PNGs (an image-folder run, so evaluate can read the same files).
# predict (batch 1) runs on the first PREDICT_IMAGES of them, only if PREDICT_IMAGES is set.
# FIRST_ROUND=n numbers the rounds from n (to continue an interrupted run into another CSV).
# Usage: bench/score-vs-evaluate.sh [ROUNDS]      (WORK=/tmp/... to place the files elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=${WORK:-/tmp/djl-resnet-score-bench}
full=/usr/share/datasets/fashion-mnist
mini=data/fashion-mnist-mini
mkdir -p "$work"
# the test class path: the only one with both the provided Spark and the runtime LibTorch jars
mvn -q -B compile dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt" >&2
# Main relaunches itself with tcmalloc (or one glibc arena) and, for score, Spark's --add-opens list
main=(java -Dai.djl.offline=true -cp "target/classes:$(cat "$work/classpath.txt")" io.github.djlresnet.cli.Main)

png="$work/png"
if [ ! -d "$png/test" ]; then
  python3 bench/idx_to_png.py $mini/train-images-idx3-ubyte.gz $mini/train-labels-idx1-ubyte.gz "$png/train" >&2
  python3 bench/idx_to_png.py $mini/t10k-images-idx3-ubyte.gz $mini/t10k-labels-idx1-ubyte.gz "$png/val" >&2
  idx=t10k; [ "${IMAGES:-test}" = train ] && idx=train
  if [ -f $full/$idx-images-idx3-ubyte.gz ]; then
    python3 bench/idx_to_png.py $full/$idx-images-idx3-ubyte.gz $full/$idx-labels-idx1-ubyte.gz "$png/test" >&2
  else
    python3 bench/idx_to_png.py $mini/t10k-images-idx3-ubyte.gz $mini/t10k-labels-idx1-ubyte.gz "$png/test" \
      --copies "${COPIES:-20}" >&2
  fi
fi
images=$(find "$png/test" -name '*.png' | wc -l)
model="$work/model"
[ -f "$model/serving.properties" ] || "${main[@]}" train --dataset "folder:$png" --epochs 1 --output "$model" >&2
# predict classifies one image at a time (batch 1, two LibTorch threads); on a machine shared with
# other work it crawled (0.8 img/s on 2026-12-02), so it runs only on request, on a subset
predict_images=${PREDICT_IMAGES:-0}
mapfile -t some < <(find "$png/test" -name '*.png' | sort | head -n "$predict_images")
first=${FIRST_ROUND:-1}

results="$work/results.csv"
echo "round,command,images,seconds,images_per_s,in_job_images_per_s" > "$results"
timed() { # name, images, command...: one CSV row
  local name=$1 n=$2; shift 2
  local start end log
  log="$work/$name.log"
  start=$(date +%s.%N)
  "$@" > "$log" 2> "$work/$name.err"
  end=$(date +%s.%N)
  local in_job
  in_job=$(sed -n 's/^scored .* \([0-9.]*\) img\/s$/\1/p' "$log")
  python3 -c "import sys; s=$end-$start; print('%s,%s,%d,%.2f,%.1f,%s' % ($r, '$name', $n, s, $n / s, '$in_job'))" \
    | tee -a "$results"
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%FT%TZ)" >&2
for ((r = first; r < first + rounds; r++)); do
  timed score "$images" "${main[@]}" score --model "$model" --input "$png/test" --output "$work/score" --master 'local[2]' --overwrite
  timed evaluate "$images" "${main[@]}" evaluate --model "$model" --dataset "folder:$png" --split test --output "$work/evaluate"
  [ "$predict_images" -eq 0 ] || timed predict "${#some[@]}" "${main[@]}" predict --model "$model" --top-k 5 "${some[@]}"
done
echo "machine load $(cut -d' ' -f1-3 /proc/loadavg) at the end" >&2
python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def summary(name, key):
    v = [float(r[key]) for r in rows if r["command"] == name and r[key]]
    return statistics.median(v), min(v), max(v)
print("command   images/s end to end: median (range), %d rounds" % len([r for r in rows if r["command"] == "score"]))
med = {}
for name in [n for n in ("score", "evaluate", "predict") if any(r["command"] == n for r in rows)]:
    m, lo, hi = summary(name, "images_per_s")
    med[name] = m
    print("%-9s %7.1f (%.1f-%.1f)" % (name, m, lo, hi))
m, lo, hi = summary("score", "in_job_images_per_s")
print("score in job (after Spark and model start): %.1f (%.1f-%.1f)" % (m, lo, hi))
for peer in [n for n in ("evaluate", "predict") if n in med]:
    print("score / %s %.2fx" % (peer, med["score"] / med[peer]))
PY
