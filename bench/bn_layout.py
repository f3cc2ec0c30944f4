#!/usr/bin/python3
"""BatchNorm forward + backward in training mode, NCHW against a channels-last round trip
(x.contiguous(channels_last) -> batch_norm -> .contiguous()), at ResNet-34's small-input shapes
(batch 128: w28g/w32 stage 3 at 2x2, stage 4 at 1x1, stage 2 at 4x4, stage 1 at 7x7, and 3x3). Median of 80
calls, microseconds, 2 threads. Run with each torch to compare versions:

    /usr/bin/python3 bench/bn_layout.py; /opt/torch213/bin/python bench/bn_layout.py

LibTorch 2.7.1 (DJL's) is measured in the DJL benchmark's profile (bench/op_profile.py); this
script shows what the layout would change (bench/RESULTS.md, "BatchNorm's backward at 2x2 maps").
"""
import time

import torch


def median_us(shape, channels_last, backward_only):
    x = torch.randn(*shape, requires_grad=True)
    gamma = torch.ones(shape[1], requires_grad=True)
    beta = torch.zeros(shape[1], requires_grad=True)
    mean, var = torch.zeros(shape[1]), torch.ones(shape[1])
    gy = torch.randn(*shape)
    if backward_only and channels_last:
        x = x.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)
        gy = gy.contiguous(memory_format=torch.channels_last)
    times = []
    for _ in range(80):
        start = time.perf_counter()
        h = x.contiguous(memory_format=torch.channels_last) if channels_last and not backward_only else x
        y = torch.batch_norm(h, gamma, beta, mean, var, True, 0.1, 1e-5, False)
        if channels_last and not backward_only:
            y = y.contiguous()
        if backward_only:
            start = time.perf_counter()
        y.backward(gy)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e6


def main():
    torch.set_num_threads(2)
    for shape in [(128, 256, 2, 2), (128, 512, 1, 1), (128, 128, 4, 4), (128, 256, 3, 3), (128, 64, 7, 7)]:
        print(f"torch {torch.__version__} {shape}: backward NCHW {median_us(shape, False, True):.0f} us, "
              f"channels-last {median_us(shape, True, True):.0f} us; forward + backward NCHW "
              f"{median_us(shape, False, False):.0f} us, through channels-last {median_us(shape, True, False):.0f} us")


if __name__ == "__main__":
    main()
