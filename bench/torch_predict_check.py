#!/usr/bin/python3
"""Loads `export --format safetensors` output into torchvision and checks it against `predict`.

Builds torchvision's resnet18/34 as the export's README says (num_classes, and for 1 channel or the
small stem the conv1/maxpool lines), loads model.safetensors with load_state_dict(strict=True),
classifies the images as DJL's translator does (RGB or grayscale, [0, 1], the exported mean/std;
images must already be the model's size), and compares every class probability that the
project's `predict` prints (4 decimals) with torch's. Exits 1 if any differs by more than 1e-4.

Usage, from the project root after `mvn -q compile`:
  bench/torch_predict_check.py --torch DIR --model MODEL_DIR IMAGE...
DIR is what `export --run MODEL_DIR --format safetensors --output DIR` wrote. Reads safetensors
without the safetensors package (8-byte length, JSON header, raw data). Debian: python3-torch,
python3-torchvision, python3-pil.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}


def load_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).clone()
    return tensors, meta


def build(state):
    blocks = [1 + max(int(k.split(".")[1]) for k in state if k.startswith(f"layer{s}.")) for s in range(1, 5)]
    depth = {(2, 2, 2, 2): 18, (3, 4, 6, 3): 34}[tuple(blocks)]
    classes = state["fc.weight"].shape[0]
    out, channels, k, _ = state["conv1.weight"].shape
    model = getattr(torchvision.models, f"resnet{depth}")(num_classes=classes)
    if k == 3:  # the small stem
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    elif channels != 3:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    model.load_state_dict(state, strict=True)
    return model.eval(), channels, f"resnet{depth}, {classes} classes, {channels} channel(s), {k}x{k} stem"


def djl_predict(model_dir, images, top_k):
    cp_file = os.path.join(ROOT, "target", "classpath.txt")
    if not os.path.exists(cp_file):
        subprocess.run(["mvn", "-q", "-o", "dependency:build-classpath", f"-Dmdep.outputFile={cp_file}"], cwd=ROOT,
                       check=True)
    cp = os.path.join(ROOT, "target", "classes") + ":" + open(cp_file).read().strip()
    out = subprocess.run(["java", "-cp", cp, "io.github.djlresnet.cli.Main", "predict", "--model", model_dir,
                          "--top-k", str(top_k)] + images, capture_output=True, text=True, check=True).stdout
    result, current = {}, None
    for line in out.splitlines():
        m = re.match(r"\s+\d+\. (.+?)\s+([0-9.]+)$", line)
        if m and current is not None:
            result[current][m.group(1).strip()] = float(m.group(2))
        elif line.strip() and not line.startswith(" "):
            current = line.strip()
            result[current] = {}
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--torch", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("images", nargs="+")
    a = p.parse_args()
    torch.set_num_threads(2)
    state, meta = load_safetensors(os.path.join(a.torch, "model.safetensors"))
    model, channels, what = build(state)
    mean = torch.tensor([float(v) for v in meta["djl-resnet.normalizeMean"].split(",")]).reshape(1, -1, 1, 1)
    std = torch.tensor([float(v) for v in meta["djl-resnet.normalizeStd"].split(",")]).reshape(1, -1, 1, 1)
    size = int(meta["djl-resnet.imageSize"])
    synset = open(os.path.join(a.torch, "synset.txt")).read().splitlines()
    pixels = []
    for f in a.images:
        img = Image.open(f).convert("RGB" if channels == 3 else "L")
        if img.size != (size, size):
            sys.exit(f"{f} is {img.size}, the model takes {size}x{size}: resize it first (resampling differs)")
        x = np.asarray(img, dtype=np.float32) / 255
        pixels.append(torch.from_numpy(x.reshape(size, size, channels).transpose(2, 0, 1).copy()))
    with torch.no_grad():
        probs = torch.softmax(model((torch.stack(pixels) - mean) / std), dim=1)
    djl = djl_predict(a.model, a.images, len(synset))
    worst = 0.0
    for i, f in enumerate(a.images):
        for name, p_djl in djl[f].items():
            worst = max(worst, abs(probs[i, synset.index(name)].item() - p_djl))
    print(f"torchvision {torchvision.__version__} ({what}) vs djl-resnet predict: {len(a.images)} images x"
          f" {len(synset)} classes, max |probability difference| {worst:.2e} (predict prints 4 decimals)")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
