#!/usr/bin/env python3
"""Writes the images of a Fashion-MNIST IDX pair as 8-bit grayscale PNGs, <out>/<class>/<n>.png.

The class folders carry Fashion-MNIST's class names ('/' written as '_', as `score` reads them), so
`score` labels every image. Standard library only (zlib): no imaging package needed.

usage: idx_to_png.py IMAGES.gz LABELS.gz OUT [--limit N] [--copies C]
--copies C writes each image C times (n, n+N, ...) for a larger collection of the same pixels.
"""
import argparse
import gzip
import os
import struct
import zlib

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def png(width, height, pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("images")
    p.add_argument("labels")
    p.add_argument("out")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--copies", type=int, default=1)
    a = p.parse_args()
    with gzip.open(a.images) as f:
        magic, n, h, w = struct.unpack(">IIII", f.read(16))
        assert magic == 2051, a.images
        data = f.read()
    with gzip.open(a.labels) as f:
        magic, m = struct.unpack(">II", f.read(8))
        assert magic == 2049 and m == n, a.labels
        labels = f.read()
    if a.limit:
        n = min(n, a.limit)
    for c in CLASSES:
        os.makedirs(os.path.join(a.out, c), exist_ok=True)
    for i in range(n):
        body = png(w, h, data[i * h * w:(i + 1) * h * w])
        for k in range(a.copies):
            with open(os.path.join(a.out, CLASSES[labels[i]], "%d.png" % (i + k * n)), "wb") as f:
                f.write(body)
    print("wrote %d PNGs to %s" % (n * a.copies, a.out))


if __name__ == "__main__":
    main()
