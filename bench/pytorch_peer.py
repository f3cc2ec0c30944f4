#!/usr/bin/python3
"""PyTorch reference peer for the DJL ResNet-34 benchmarks (issues 6 and 28).

Runs torchvision's ResNet-34 (10 classes) on synthetic data, with the same
workloads as the Java `benchmark` command, and prints ONE JSON line on stdout:
  {"impl":"pytorch","torch":..,"workload":..,"mode":..,"memory_format":..,
   "autocast":..,"batch":..,"images_per_sec":..,"steps":..,"seconds":..,
   "threads":..,"peak_rss_mib":..,"params":..}

Runs with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision) and
with PyTorch 2.x in a venv (bench/setup-peers.sh: /opt/torch213/bin/python). Where
torchvision does not import (the local torchvision wheels are CUDA builds that fail
next to a +cpu torch), the same ResNet-34 is defined below; its trainable parameter
count is checked against torchvision's published one either way.

Usage:
  pytorch_peer.py --workload w224|w32|w28g|s28g --mode train|infer
                  [--memory-format contiguous|channels_last] [--autocast none|bf16]
                  [--seconds N | --steps N] [--warmup K] [--threads T]
                  [--rss-every K] [--seed S] [--profile TRACE.json]
                  [--model torchvision|local] [--fold-bn]
  pytorch_peer.py --workload W --count-macs   (forward multiply-adds per image, then exit)
"""
import argparse
import contextlib
import json
import resource
import sys
import time

import torch
import torch.nn as nn

try:
    import torchvision
except Exception:  # missing, or a build that does not match this torch
    torchvision = None

# workload -> (batch size, channels, height/width, stem)
WORKLOADS = {
    "w224": (32, 3, 224, "imagenet"),
    "w32": (128, 3, 32, "imagenet"),
    "w28g": (128, 1, 28, "imagenet"),
    # the Fashion-MNIST recipe's network: 3x3/1 stem convolution, no max pool
    "s28g": (128, 1, 28, "small"),
}

# Trainable parameters of each workload's network (10 classes). torchvision's resnet34 has
# 21,289,802 at 10 classes; a 1-channel 7x7 conv1 has 2*7*7*64 = 6,272 fewer weights, and the
# 3x3 one of the small stem 7*7*64 - 3*3*64 = 2,560 fewer again.
EXPECTED_PARAMS = {
    "w224": 21_289_802,
    "w32": 21_289_802,
    "w28g": 21_289_802 - 2 * 7 * 7 * 64,
    "s28g": 21_289_802 - 2 * 7 * 7 * 64 - (7 * 7 - 3 * 3) * 64,
}


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU (torchvision's layout and names)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:  # option B: project only where the shape changes
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y += x if self.downsample is None else self.downsample(x)
        return self.relu(y)


class ResNet34(nn.Module):
    """ResNet-34 as torchvision builds it: same modules, order, in-place ops and initialization."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
            layer = []
            for b in range(blocks):
                layer.append(BasicBlock(cin, width, 2 if (b == 0 and i > 0) else 1))
                cin = width
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def fold_batchnorm(model):
    """Folds every BatchNorm into the convolution before it (eval mode), as djl-resnet's inference
    does: torch's own fuse_conv_bn_eval on conv1/bn1, conv2/bn2 and downsample[0]/[1]."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    for m in [model] + [b for layer in (model.layer1, model.layer2, model.layer3, model.layer4) for b in layer]:
        for conv, bn in (("conv1", "bn1"), ("conv2", "bn2")):
            if hasattr(m, bn):
                setattr(m, conv, fuse_conv_bn_eval(getattr(m, conv), getattr(m, bn)))
                setattr(m, bn, nn.Identity())
        if getattr(m, "downsample", None) is not None:
            m.downsample = nn.Sequential(fuse_conv_bn_eval(m.downsample[0], m.downsample[1]))
    return model


def current_rss_mib():
    """Current resident set size from /proc/self/status (VmRSS, in KiB)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mib():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def trainable_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(workload, source="auto"):
    """ResNet-34, 10 classes, for the workload: torchvision's where it imports (or `source`)."""
    if source == "torchvision" or (source == "auto" and torchvision is not None):
        if torchvision is None:
            sys.exit("torchvision does not import here: use --model local")
        model = torchvision.models.resnet34(num_classes=10)
    else:
        model = ResNet34(num_classes=10)
    _, ch, _, stem = WORKLOADS[workload]
    if stem == "small":
        # 3x3/1 convolution and no max pool: keeps the 28x28 map for stage 1.
        model.conv1 = nn.Conv2d(ch, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    elif ch != 3:
        # Grayscale input: same 7x7/2 stem, but one input channel.
        model.conv1 = nn.Conv2d(ch, 64, kernel_size=7, stride=2, padding=3, bias=False)
    if ch != 3 or stem == "small":
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    n = trainable_params(model)
    if n != EXPECTED_PARAMS[workload]:
        sys.exit(f"{type(model).__name__} for {workload} has {n} trainable parameters, "
                 f"expected {EXPECTED_PARAMS[workload]}")
    return model


def forward_macs(model, x):
    """Multiply-adds of one forward pass per image, counted from the convolutions' and the
    linear layer's output shapes (BN, ReLU, pooling and the adds are left out)."""
    total = [0]

    def conv_hook(m, inp, out):
        k = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]  # (cin/groups) * kh * kw
        total[0] += out.numel() * k

    def linear_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    hooks = [m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    return total[0] // x.shape[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    p.add_argument("--mode", choices=["train", "infer"], required=True)
    p.add_argument("--seconds", type=float, default=30.0,
                   help="time the loop for at least this long (default 30)")
    p.add_argument("--steps", type=int, default=None,
                   help="run exactly this many timed steps (overrides --seconds)")
    p.add_argument("--warmup", type=int, default=None,
                   help="warm-up steps (default 3 for w224, 5 otherwise)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rss-every", type=int, default=None,
                   help="print current RSS to stderr every K timed steps")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--profile", default=None,
                   help="record the timed steps with torch's profiler and write its Chrome trace here")
    p.add_argument("--memory-format", choices=["contiguous", "channels_last"],
                   default="contiguous", help="model and input memory format (default contiguous)")
    p.add_argument("--autocast", choices=["none", "bf16"], default="none",
                   help="bf16: forward and loss under torch.autocast('cpu', dtype=torch.bfloat16)")
    p.add_argument("--model", choices=["auto", "torchvision", "local"], default="auto",
                   help="torchvision's resnet34, or this script's definition (default: torchvision "
                        "where it imports)")
    p.add_argument("--fold-bn", action="store_true",
                   help="infer only: fold each BatchNorm into the convolution before it, as "
                        "djl-resnet's inference does (torch.nn.utils.fusion.fuse_conv_bn_eval)")
    p.add_argument("--count-macs", action="store_true",
                   help="print the forward multiply-adds per image as JSON and exit")
    a = p.parse_args()

    # Debian's build defaults to one intra-op thread: set it explicitly.
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)

    batch, ch, hw, _ = WORKLOADS[a.workload]
    warmup = a.warmup if a.warmup is not None else (3 if a.workload in ("w224", "s28g") else 5)

    # Synthetic inputs/labels, created once.
    x = torch.randn(batch, ch, hw, hw)
    y = torch.randint(0, 10, (batch,))
    model = build_model(a.workload, a.model)
    params = trainable_params(model)
    if a.count_macs:
        macs = forward_macs(model, x[:2])
        print(json.dumps({"workload": a.workload, "forward_macs_per_image": macs,
                          "params": params, "torch": torch.__version__},
                         separators=(",", ":")), flush=True)
        return
    if a.fold_bn and a.mode != "infer":
        sys.exit("--fold-bn is for --mode infer")
    if a.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if a.autocast == "bf16":
        autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext

    if a.mode == "train":
        model.train()
        loss_fn = nn.CrossEntropyLoss()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                              weight_decay=1e-4)

        def step():
            with autocast():  # forward and loss; backward runs outside, as torch recommends
                loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss.item()  # forces completion of the step
        ctx = torch.enable_grad
    else:
        model.eval()
        if a.fold_bn:
            fold_batchnorm(model)

        def step():
            with autocast():
                return model(x).float().sum().item()
        ctx = getattr(torch, "inference_mode", torch.no_grad)

    with ctx():
        for _ in range(warmup):
            step()
        if a.rss_every:
            print(f"rss_mib step=0 {current_rss_mib():.1f}", file=sys.stderr, flush=True)
        profiler = None
        if a.profile:
            # the legacy (non-Kineto) profiler, as DJL's JniUtils.startProfile uses
            profiler = torch.autograd.profiler.profile(use_kineto=False)
            profiler.__enter__()
        steps = 0
        t0 = time.perf_counter()
        while True:
            step()
            steps += 1
            if a.rss_every and steps % a.rss_every == 0:
                print(f"rss_mib step={steps} {current_rss_mib():.1f}",
                      file=sys.stderr, flush=True)
            elapsed = time.perf_counter() - t0
            if a.steps is not None:
                if steps >= a.steps:
                    break
            elif elapsed >= a.seconds:
                break
        if profiler is not None:
            profiler.__exit__(None, None, None)
            profiler.export_chrome_trace(a.profile)

    print(json.dumps({
        "impl": "pytorch",
        "torch": torch.__version__,
        "workload": a.workload,
        "mode": a.mode,
        "memory_format": a.memory_format,
        "autocast": a.autocast,
        "fold_bn": a.fold_bn,
        "batch": batch,
        "images_per_sec": round(steps * batch / elapsed, 2),
        "steps": steps,
        "seconds": round(elapsed, 3),
        "threads": a.threads,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "params": params,
    }, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
