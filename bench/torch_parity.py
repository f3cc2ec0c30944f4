#!/usr/bin/python3
"""Checks the training step against PyTorch's: same ResNet-18, same start, same batch, same steps.

Runs the Java `TorchParityDump` (test classes) to get the initial parameters of the project's
ResNet-18 (1x28x28, 10 classes), a fixed batch, and the parameters after each SGD step taken the
way the training app takes them. Loads the initial parameters into torchvision's resnet18 (in
order: both list conv, BN weight/bias/running mean/running var, ... fc in the same order), takes
the same steps with torch.optim.SGD and nn.CrossEntropyLoss, and prints the largest difference
after each step, relative to the largest value of the tensor.

Usage (from the project root, after `mvn -q test-compile`):
  bench/torch_parity.py [--steps 3] [--lr 0.1] [--weight-decay 5e-4]
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.data, self.pos)
        self.pos += struct.calcsize(">" + fmt)
        return v

    def floats(self, n):
        return torch.tensor(self.take(f"{n}f"), dtype=torch.float32)

    def utf(self):
        (n,) = self.take("H")
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s


def read_dump(path):
    r = Reader(open(path, "rb").read())
    (n,) = r.take("i")
    x = r.floats(n * 28 * 28).reshape(n, 1, 28, 28)
    y = r.floats(n).long()
    steps, count = r.take("ii")
    snapshots = []
    for _ in range(steps + 1):
        params = []
        for _ in range(count):
            name = r.utf()
            (rank,) = r.take("i")
            shape = r.take(f"{rank}q")
            size = 1
            for d in shape:
                size *= d
            params.append((name, r.floats(size).reshape(shape)))
        snapshots.append(params)
    return x, y, snapshots


def torch_tensors(model):
    """The model's parameters and BN statistics in state_dict order, without the step counters."""
    return [(k, v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    a = p.parse_args()
    torch.set_num_threads(2)

    cp = open(os.path.join(ROOT, "target", "classpath.txt")).read().strip()
    classes = os.path.join(ROOT, "target", "test-classes") + ":" + os.path.join(ROOT, "target", "classes")
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "dump.bin")
        subprocess.run(["java", "-Dai.djl.offline=true", "-cp", classes + ":" + cp,
                        "io.github.djlresnet.train.TorchParityDump", dump, str(a.steps), str(a.lr),
                        str(a.weight_decay)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        x, y, snapshots = read_dump(dump)

    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    ours = torch_tensors(model)
    if len(ours) != len(snapshots[0]):
        sys.exit(f"torchvision has {len(ours)} tensors, the dump {len(snapshots[0])}")
    with torch.no_grad():
        for (tname, t), (dname, d) in zip(ours, snapshots[0]):
            if tuple(t.shape) != tuple(d.shape):
                sys.exit(f"shape mismatch: {tname} {tuple(t.shape)} vs {dname} {tuple(d.shape)}")
            t.copy_(d)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    worst_overall = 0.0
    for step in range(1, a.steps + 1):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        worst, worst_name = 0.0, ""
        for (tname, t), (_, d) in zip(torch_tensors(model), snapshots[step]):
            rel = ((t - d).abs().max() / t.abs().max().clamp_min(1e-12)).item()
            if rel > worst:
                worst, worst_name = rel, tname
        worst_overall = max(worst_overall, worst)
        print(f"step {step}: loss {loss.item():.6f}; largest difference {worst:.2e} of the tensor's"
              f" largest value ({worst_name})")
    print(f"largest relative difference over {a.steps} steps: {worst_overall:.2e}")
    if worst_overall > 1e-3:
        sys.exit("the steps differ from PyTorch's by more than 1e-3")


if __name__ == "__main__":
    main()
