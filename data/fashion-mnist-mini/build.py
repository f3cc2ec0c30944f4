#!/usr/bin/env python3
"""Builds the class-balanced Fashion-MNIST mini subset shipped in this folder.

Takes, in file order, the first 200 training and the first 50 test images of each of the 10
classes from the full Fashion-MNIST (Debian package dataset-fashion-mnist) and writes them in
the original IDX gz format under the original file names. Standard library only; gzip headers
carry mtime=0 and no file name, so rebuilding gives byte-identical files.

usage: python3 build.py [SOURCE_DIR]   (default /usr/share/datasets/fashion-mnist)
"""
import gzip
import os
import struct
import sys

PER_CLASS = {"train": 200, "t10k": 50}
CLASSES = 10
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got = struct.unpack(">i", data[:4])[0]
    if got != magic:
        sys.exit(f"{path}: magic {got}, expected {magic}")
    dims = 3 if magic == IMAGE_MAGIC else 1
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def write_gz(path, payload):
    # mtime=0 and an empty name keep the gzip header free of build-time facts
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(payload)


def build(source, out, split, per_class):
    (n, rows, cols), pixels = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"), IMAGE_MAGIC)
    (n_labels,), labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"), LABEL_MAGIC)
    if n != n_labels:
        sys.exit(f"{source}: {n} images but {n_labels} labels in {split}")
    taken = [0] * CLASSES
    keep = []
    for i, label in enumerate(labels):  # file order, so the subset is a prefix per class
        if taken[label] < per_class:
            taken[label] += 1
            keep.append(i)
    if taken != [per_class] * CLASSES:
        sys.exit(f"{source}: {split} has too few images for {per_class} per class: {taken}")
    size = rows * cols
    write_gz(os.path.join(out, f"{split}-images-idx3-ubyte.gz"),
             struct.pack(">iiii", IMAGE_MAGIC, len(keep), rows, cols)
             + b"".join(pixels[i * size:(i + 1) * size] for i in keep))
    write_gz(os.path.join(out, f"{split}-labels-idx1-ubyte.gz"),
             struct.pack(">ii", LABEL_MAGIC, len(keep)) + bytes(labels[i] for i in keep))
    print(f"{split}: {len(keep)} images ({per_class} per class)")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out = os.path.dirname(os.path.abspath(__file__))
    for split, per_class in PER_CLASS.items():
        build(source, out, split, per_class)


if __name__ == "__main__":
    main()
