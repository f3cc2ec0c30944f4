#!/usr/bin/python3
"""Writes the PyTorch side of the interop tests (src/test/resources/interop/), once; CI never runs it.

1. parity-*.txt: torchvision's logits for a ResNet whose every tensor is given by a formula that
   the Java test computes too (InteropFormula), on an input given by a formula. The Java test
   writes the same tensors as a safetensors file, runs `import`, loads the folder with Criteria and
   compares its logits with these (tolerance 1e-4 of the largest logit).
2. dtypes.safetensors: small tensors stored as F16, BF16, F64 and F32 by PyTorch's own
   conversions, each with its float32 value beside it (name + ".f32"), to check SafeTensors'
   conversions against torch's, not against themselves.

Formula (state-dict order without num_batches_tracked, tensor index t, flat element index j,
b = the hash below mapped to [-1, 1), computed in float64 and rounded to float32):
  h = (j * 2654435761 + t * 40503 + 12345) mod 2^32;  h ^= h >> 15;
  h = (h * 2146121005) mod 2^32;  h ^= h >> 13;  b = h / 2^31 - 1
  conv and fc weights  b * sqrt(3 / fan_in)       BN weight     1 + 0.2 b
  BN bias, fc bias     0.1 b                      running_mean  0.1 b
  running_var          1 + 0.25 b
Input (N, C, H, W): 0.5 + 0.5 b with tensor index t = 1000, in [0, 1]; the model normalizes it with
the import's default mean/std (ImageNet's for RGB, their averages 0.449/0.226 for one channel).

Usage (Debian: apt-get install python3-torch python3-torchvision), from the project root:
  /usr/bin/python3 bench/interop_fixture.py
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "test", "resources", "interop")

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
GRAY_MEAN, GRAY_STD = [0.449], [0.226]

CASES = {
    # name: (depth, classes, channels, small stem, input shape)
    "resnet18-rgb-1000": (18, 1000, 3, False, (2, 3, 64, 64)),
    "resnet34-gray-small-10": (34, 10, 1, True, (2, 1, 28, 28)),
}


def uniform(n, t):
    """n values in [-1, 1) from an integer hash of (t, j): exact on both sides, no libm involved."""
    j = torch.arange(n, dtype=torch.int64)
    h = (j * 2654435761 + t * 40503 + 12345) % 2**32
    h = h ^ (h >> 15)
    h = (h * 2146121005) % 2**32
    h = h ^ (h >> 13)
    return h.to(torch.float64) / 2**31 - 1


def formula_value(name, shape, t):
    n = 1
    for d in shape:
        n *= d
    b = uniform(n, t)
    if name.endswith("running_var"):
        v = 1 + 0.25 * b
    elif name.endswith("running_mean"):
        v = 0.1 * b
    elif name.endswith("bias"):
        v = 0.1 * b
    elif len(shape) > 1:
        fan_in = n // shape[0]
        v = b * math.sqrt(3.0 / fan_in)
    else:
        v = 1 + 0.2 * b
    return v.to(torch.float32).reshape(shape)


def build(depth, classes, channels, small):
    model = (torchvision.models.resnet18 if depth == 18 else torchvision.models.resnet34)(num_classes=classes)
    if small:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    elif channels != 3:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def parity(name, depth, classes, channels, small, shape):
    model = build(depth, classes, channels, small)
    state = {}
    t = 0
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        state[key] = formula_value(key, tuple(value.shape), t)
        t += 1
    model.load_state_dict(state, strict=False)
    model.eval()
    n = 1
    for d in shape:
        n *= d
    x = (0.5 + 0.5 * uniform(n, 1000)).to(torch.float32).reshape(shape)
    mean, std = (IMAGENET_MEAN, IMAGENET_STD) if channels == 3 else (GRAY_MEAN, GRAY_STD)
    m = torch.tensor(mean).reshape(1, channels, 1, 1)
    s = torch.tensor(std).reshape(1, channels, 1, 1)
    with torch.no_grad():
        logits = model((x - m) / s)
    path = os.path.join(OUT, f"parity-{name}.txt")
    with open(path, "w") as f:
        f.write(f"# torchvision {torchvision.__version__} (torch {torch.__version__}) logits, shape {list(logits.shape)};"
                f" written by bench/interop_fixture.py\n")
        for v in logits.flatten().tolist():
            f.write(repr(v) + "\n")
    print(f"{path}: {t} tensors, logits {list(logits.shape)}, max |logit| {logits.abs().max().item():.4f}")


def dtypes():
    base = torch.tensor([0.0, -0.0, 1.0, -2.5, 3.14159265, 65504.0, 1e-7, 6e-8, -1e-3, 1234.567, float("inf"),
                         float("-inf"), 0.1, 1.0 / 3.0, 3.0e38, 1e-40], dtype=torch.float64)
    tensors = {}
    for dtype, tag in [(torch.float16, "F16"), (torch.bfloat16, "BF16"), (torch.float64, "F64"),
                       (torch.float32, "F32")]:
        stored = base.to(dtype)
        tensors[f"values_{tag.lower()}"] = (tag, stored)
        tensors[f"values_{tag.lower()}.f32"] = ("F32", stored.to(torch.float32))
    tensors["matrix_bf16"] = ("BF16", torch.arange(6, dtype=torch.float32).reshape(2, 3).to(torch.bfloat16) / 7)
    tensors["matrix_bf16.f32"] = ("F32", tensors["matrix_bf16"][1].to(torch.float32))
    tensors["steps_i64"] = ("I64", torch.tensor([7], dtype=torch.int64))
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for key, (tag, value) in tensors.items():
        # raw little-endian bytes as torch holds them (bf16 through its int16 view)
        raw = value.contiguous().view(torch.int16).numpy().tobytes() if tag == "BF16" else value.contiguous().numpy().tobytes()
        header[key] = {"dtype": tag, "shape": list(value.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path = os.path.join(OUT, "dtypes.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    print(f"{path}: {len(tensors)} tensors")


def main():
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    for name, case in CASES.items():
        parity(name, *case)
    dtypes()


if __name__ == "__main__":
    main()
