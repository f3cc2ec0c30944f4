"""Times single fp32 3x3 convolutions, forward only under torch.no_grad(), in the PyTorch that runs
it: the s28g network's four stage shapes at batch 128, 2 threads, best of 10 after 2 warm-ups.
The DJL twin is bench/ConvForwardTiming.java (see there for the alternating commands)."""
import time, torch
torch.set_num_threads(2); torch.set_num_interop_threads(1)
with torch.no_grad():
    for mb, c, s in [(128, 64, 28), (128, 128, 14), (128, 256, 7), (128, 512, 4)]:
        x = torch.randn(mb, c, s, s); w = torch.randn(c, c, 3, 3) * 0.05
        best = 1e9
        for r in range(12):
            t = time.perf_counter(); y = torch.conv2d(x, w, None, 1, 1); float(y[0, 0, 0, 0])
            ms = (time.perf_counter() - t) * 1e3
            if r >= 2: best = min(best, ms)
        print(f"{torch.__version__[:4]} mb{mb} ic{c} {s}x{s}: {best:.2f} ms")
