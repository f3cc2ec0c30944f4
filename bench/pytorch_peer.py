#!/usr/bin/python3
"""PyTorch reference peer for the DJL ResNet-34 benchmarks (issue 6).

Runs torchvision's ResNet-34 (10 classes) on synthetic data, with the same
workloads as the Java `benchmark` command, and prints ONE JSON line on stdout:
  {"impl":"pytorch","workload":..,"mode":..,"batch":..,"images_per_sec":..,
   "steps":..,"seconds":..,"threads":..,"peak_rss_mib":..}

Usage (run with Debian's /usr/bin/python3 + python3-torch/python3-torchvision):
  pytorch_peer.py --workload w224|w32|w28g --mode train|infer
                  [--seconds N | --steps N] [--warmup K] [--threads T]
                  [--rss-every K] [--seed S] [--profile TRACE.json]
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torchvision

# workload -> (batch size, channels, height/width)
WORKLOADS = {
    "w224": (32, 3, 224),
    "w32": (128, 3, 32),
    "w28g": (128, 1, 28),
}


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


def build_model(workload):
    model = torchvision.models.resnet34(num_classes=10)
    if workload == "w28g":
        # Grayscale 1x28x28 input: same 7x7/2 stem, but one input channel.
        model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


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
    a = p.parse_args()

    # Debian's build defaults to one intra-op thread: set it explicitly.
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)

    batch, ch, hw = WORKLOADS[a.workload]
    warmup = a.warmup if a.warmup is not None else (3 if a.workload == "w224" else 5)

    # Synthetic inputs/labels, created once.
    x = torch.randn(batch, ch, hw, hw)
    y = torch.randint(0, 10, (batch,))
    model = build_model(a.workload)

    if a.mode == "train":
        model.train()
        loss_fn = nn.CrossEntropyLoss()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                              weight_decay=1e-4)

        def step():
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss.item()  # forces completion of the step
        ctx = torch.enable_grad
    else:
        model.eval()

        def step():
            return model(x).sum().item()
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
        "workload": a.workload,
        "mode": a.mode,
        "batch": batch,
        "images_per_sec": round(steps * batch / elapsed, 2),
        "steps": steps,
        "seconds": round(elapsed, 3),
        "threads": a.threads,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
