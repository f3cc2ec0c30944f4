#!/usr/bin/python3
"""Why the TorchScript kernels run 3x3 convolutions of 2x2 and 1x1 maps as matrix products
(src/main/torchscript/make_kernels.py, small_map_conv): one convolution's forward pass and both
gradients, timed as torch's conv2d and as the matrix products, at ResNet-34's stage sizes for
28-32 px inputs (batch 128, channels-last, fp32), with the largest difference between the two.

Usage: /opt/torch213/bin/python bench/small_map_conv.py   (or /usr/bin/python3 for torch 1.13)
Prints, per shape, the median of 10 timed repetitions after 2 untimed ones, in ms.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "src", "main", "torchscript"))
from make_kernels import small_map_conv  # noqa: E402 (the kernels' own function, not a copy)


def timed(step):
    times = []
    for _ in range(12):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times[2:])[5]


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, 2 threads; forward + input and weight gradients, ms (median of 10)")
    for channels, side, stride in ((512, 1, 1), (256, 2, 1), (256, 2, 2), (128, 4, 1)):
        x = torch.randn(128, channels, side, side).contiguous(memory_format=torch.channels_last)
        x.requires_grad_()
        out_channels = channels * stride
        w = torch.randn(out_channels, channels, 3, 3, requires_grad=True)
        g = torch.randn_like(torch.conv2d(x, w, None, stride, 1))
        variants = {"conv2d": lambda: torch.conv2d(x, w, None, stride, 1)}
        if side <= 2:
            variants["matrix products"] = lambda: small_map_conv(x, w, None, stride, True)
        results = {}
        for name, forward in variants.items():
            y = forward()
            results[name] = [y.detach()] + list(torch.autograd.grad(y, (x, w), g))

            def step(forward=forward):
                torch.autograd.grad(forward(), (x, w), g)
            results[name].append(timed(step))
        line = f"{channels:>3} ch {side}x{side} stride {stride}: " + ", ".join(
            f"{name} {r[-1]:.2f}" for name, r in results.items())
        if len(results) == 2:
            a, b = results.values()
            worst = max(float((p - q).abs().max() / q.abs().max()) for p, q in zip(b[:3], a[:3]))
            line += f" (largest difference {worst:.1e} of the largest value)"
        print(line)


if __name__ == "__main__":
    main()
