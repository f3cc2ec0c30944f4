#!/usr/bin/env bash
# Loader throughput (images/s through BatchLoader with augmentation) for the full Fashion-MNIST
# and for a folder of 2000 32x32 PNGs made from the shipped mini subset. Results go in
# bench/data_loading.md by hand.
# usage: bench/data-throughput.sh [workers]
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${1:-$(nproc)}
FOLDER=${FOLDER:-/tmp/djl-resnet-folder32}

mvn -q -B -o compile
mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/data-bench.cp -Dmdep.includeScope=runtime
CP="target/classes:$(cat target/data-bench.cp)"

if [ ! -d "$FOLDER" ]; then
  # 2000 real images: the mini training set padded to 32x32, as RGB PNGs in one folder per class
  python3 - "$FOLDER" <<'PY'
import gzip, os, struct, sys, zlib
out = sys.argv[1]
src = "data/fashion-mnist-mini"
img = gzip.open(f"{src}/train-images-idx3-ubyte.gz").read()[16:]
lab = gzip.open(f"{src}/train-labels-idx1-ubyte.gz").read()[8:]
names = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
for i, y in enumerate(lab):
    px = img[i * 784:(i + 1) * 784]
    rows = []
    for r in range(32):
        row = bytearray([0])  # filter: none
        for c in range(32):
            v = px[(r - 2) * 28 + (c - 2)] if 2 <= r < 30 and 2 <= c < 30 else 0
            row += bytes((v, 255 - v, v // 2))
        rows.append(bytes(row))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
    d = os.path.join(out, names[y])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{i:04d}.png"), "wb") as f:
        f.write(png)
print(f"wrote {len(lab)} PNGs under {out}")
PY
fi

run() { echo "\$ java -cp ... io.github.djlresnet.data.LoaderBenchmark $*"; java -Xmx4g -cp "$CP" io.github.djlresnet.data.LoaderBenchmark "$@"; echo; }
# short epochs are noisy (JIT, GC): many epochs, median after the first
run --dataset fashion-mnist --workers "$WORKERS" --epochs 10
run --dataset fashion-mnist --workers "$WORKERS" --epochs 3 --image-size 224 --batch 64
run --dataset "folder:$FOLDER" --workers "$WORKERS" --epochs 20
run --dataset "folder:$FOLDER" --workers "$WORKERS" --epochs 20 --image-size 224 --batch 64
run --dataset fashion-mnist --workers 1 --epochs 10
