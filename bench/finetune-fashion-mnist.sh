#!/usr/bin/env bash
# Fine-tuning measured on real data (docs/RESULTS.md, "Fine-tuning from other weights"):
# ResNet-18 trained on Fashion-MNIST classes 0-4, then --init on classes 5-9 with 50 training images per
# class, against the same run from scratch (same options, same epochs), for three seeds; plus --freeze 2,
# and one run initialized from the source's safetensors export instead of its folder (same numbers expected).
#
# Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), python3-pil and numpy, and
# `mvn -q compile`. One LibTorch thread per run (-Dai.djl.pytorch.num_threads=1): on a shared 2-core
# machine two 2-thread processes slowed each other ten-fold. About 10 minutes in all.
#
# Usage: bench/finetune-fashion-mnist.sh [WORK_DIR=/tmp/finetune] [EPOCHS=15]
# (EPOCHS other than 15 names the target runs <variant>-e<EPOCHS>-<seed> and skips the extra runs.)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/finetune}
EPOCHS=${2:-15}
TAG=$([ "$EPOCHS" = 15 ] && echo "" || echo "e$EPOCHS-")
mkdir -p "$WORK"
[ -f target/classpath.txt ] || mvn -q -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
CP="target/classes:$(cat target/classpath.txt)"
app() { java -Dai.djl.pytorch.num_threads=1 -cp "$CP" io.github.djlresnet.cli.Main "$@"; }

[ -d "$WORK/data/target" ] || /usr/bin/python3 bench/fashion_mnist_split.py /usr/share/datasets/fashion-mnist "$WORK/data"
[ -d "$WORK/source" ] || app train --dataset "folder:$WORK/data/source" --depth 18 --epochs 4 --output "$WORK/source"
[ -d "$WORK/source-torch" ] || app export --run "$WORK/source" --format safetensors --output "$WORK/source-torch"

target() { # name, seed, extra options...
    local name=$1 seed=$2; shift 2
    [ -d "$WORK/$name" ] || app train --dataset "folder:$WORK/data/target" --depth 18 --epochs $EPOCHS \
        --batch-size 32 --lr 0.02 --seed "$seed" --output "$WORK/$name" "$@" 2>&1 | grep -v NNPACK
}
for seed in 1 2 3; do
    target "scratch-$TAG$seed" $seed
    target "init-$TAG$seed" $seed --init "$WORK/source"
    [ -n "$TAG" ] || target "freeze2-$seed" $seed --init "$WORK/source" --freeze 2
done
[ -n "$TAG" ] || target "init-safetensors-1" 1 --init "$WORK/source-torch/model.safetensors"

echo
echo "run                  best val acc (epoch)   final val acc   seconds"
for run in "$WORK"/scratch-$TAG[0-9] "$WORK"/init-$TAG[0-9] "$WORK"/init-safetensors-* "$WORK"/freeze2-*; do
    [ -n "$TAG" ] && case $run in *safetensors*|*freeze2*) continue ;; esac
    [ -f "$run/metrics.csv" ] || continue
    awk -F, -v run="$(basename "$run")" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        { acc = $col["val_accuracy"]; if (acc > best) { best = acc; at = $col["epoch"] } last = acc; secs += $col["epoch_seconds"] }
        END { printf "%-20s %.4f (%2d)            %.4f          %.0f\n", run, best, at, last, secs }' "$run/metrics.csv"
done
