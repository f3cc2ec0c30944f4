#!/usr/bin/python3
"""Writes two disjoint Fashion-MNIST class splits as image folders, for the fine-tuning measurement.

  OUT/source/{train,val}/<k>-<name>/*.png   classes 0-4, SOURCE_TRAIN per class from the training set,
                                            VAL per class from the test set
  OUT/target/{train,val}/<k>-<name>/*.png   classes 5-9, TARGET_TRAIN per class (the first ones of
                                            each class in the training set), VAL per class from the test set

Usage: bench/fashion_mnist_split.py IDX_DIR OUT [SOURCE_TRAIN=1000] [TARGET_TRAIN=50] [VAL=300]
(IDX_DIR: /usr/share/datasets/fashion-mnist from Debian's dataset-fashion-mnist; needs python3-pil, numpy.)
"""
import gzip
import os
import sys

import numpy as np
from PIL import Image

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read(idx_dir, prefix):
    with gzip.open(os.path.join(idx_dir, prefix + "-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(os.path.join(idx_dir, prefix + "-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def write(images, labels, classes, per_class, folder):
    for k in classes:
        d = os.path.join(folder, f"{k}-{NAMES[k]}")
        os.makedirs(d, exist_ok=True)
        for n, i in enumerate(np.flatnonzero(labels == k)[:per_class]):
            Image.fromarray(images[i], mode="L").save(os.path.join(d, f"{i:05d}.png"))


def main():
    idx_dir, out = sys.argv[1], sys.argv[2]
    source_train, target_train, val = (int(a) for a in (sys.argv[3:] + ["1000", "50", "300"][len(sys.argv) - 3:]))
    train = read(idx_dir, "train")
    test = read(idx_dir, "t10k")
    for split, classes, per_class in (("source", range(0, 5), source_train), ("target", range(5, 10), target_train)):
        write(*train, classes, per_class, os.path.join(out, split, "train"))
        write(*test, classes, val, os.path.join(out, split, "val"))
    print(f"wrote {out}/source (classes 0-4, {source_train}/class) and {out}/target (classes 5-9,"
          f" {target_train}/class), {val}/class validation each")


if __name__ == "__main__":
    main()
