"""Times single fp32 3x3 convolutions in the PyTorch that runs it, 2 threads, best of 10 after 2
warm-ups: forward only under torch.no_grad() (default), or forward and backward ("train": the
input's and the weight's gradients through (y * dy).sum(); a first layer, 3 input channels or
fewer, gets no input gradient). Shapes are BATCHxCHANNELSxSIZE for a 3x3 convolution with as many
output channels, or BATCHxCHANNELSxSIZExOUTxKERNELxSTRIDE (padding KERNEL/2); by default the s28g
network's four stages at batch 128.
The DJL twin is bench/ConvForwardTiming.java (see there for the alternating commands).
Usage: conv_forward.py [train] [SHAPE...]"""
import sys, time, torch
torch.set_num_threads(2); torch.set_num_interop_threads(1)
args = sys.argv[1:]
train = bool(args) and args[0] == "train"
def spec(a):
    v = [int(p) for p in a.split("x")]
    return tuple(v) + ((v[1], 3, 1)[len(v) - 3:] if len(v) < 6 else ())
shapes = [spec(a) for a in args[1 if train else 0:]] or \
    [(128, 64, 28, 64, 3, 1), (128, 128, 14, 128, 3, 1), (128, 256, 7, 256, 3, 1), (128, 512, 4, 512, 3, 1)]
for mb, c, s, oc, k, stride in shapes:
    out = (s + 2 * (k // 2) - k) // stride + 1
    x = torch.randn(mb, c, s, s, requires_grad=train and c > 3); w = (torch.randn(oc, c, k, k) * 0.05).requires_grad_(train)
    dy = torch.randn(mb, oc, out, out)
    best = 1e9
    for r in range(12):
        t = time.perf_counter()
        if train:
            x.grad = None; w.grad = None
            (torch.conv2d(x, w, None, stride, k // 2) * dy).sum().backward(); float(w.grad[0, 0, 0, 0])
        else:
            with torch.no_grad():
                y = torch.conv2d(x, w, None, stride, k // 2); float(y[0, 0, 0, 0])
        ms = (time.perf_counter() - t) * 1e3
        if r >= 2: best = min(best, ms)
    print(f"{torch.__version__[:4]} {'fwd+bwd' if train else 'fwd'} mb{mb} ic{c} {s}x{s} oc{oc} k{k} s{stride}: {best:.2f} ms")
