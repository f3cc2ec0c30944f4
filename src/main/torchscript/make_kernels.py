#!/usr/bin/python3
"""Writes the weight-free TorchScript modules behind `--precision bf16` and `--channels-last`:
conv_kernel.pt (one convolution; src/main/java/io/github/djlresnet/runtime/TorchScriptConvKernel.java)
and block_kernel.pt (a whole BasicBlock as `forward`, the stem as `stem`;
.../runtime/TorchScriptBlockKernel.java).

DJL 0.36 cannot express either itself: its JNI has no memory-format call, and a BFLOAT16 array
aborts the JVM. A scripted module can do both inside LibTorch, so that DJL only ever sees fp32
arrays in the default (NCHW-strided or channels-last) layout it does not look at.

Run once with Debian's torch (python3-torch 1.13.1), from the repository root:

    /usr/bin/python3 src/main/torchscript/make_kernels.py

The modules are committed, so neither the build nor the app needs Python. They have no parameters
and no buffers; TorchScript from torch 1.13 loads in LibTorch 2.7.1 (the runtime tests load them).
Run with a torch >= 2.0 (e.g. /opt/torch213/bin/python) to also self-check the block kernel's bf16
path: torch 1.13's CPU BatchNorm does not take a bf16 input with fp32 statistics, LibTorch 2.7.1's
does, and the module is always scripted by whatever torch runs this file (1.13 is what the
committed files were written with).
"""
import os
import sys

import torch


def conv1x1_channels_last(x: torch.Tensor, w: torch.Tensor, stride: int) -> torch.Tensor:
    """A 1x1 convolution of a channels-last fp32 x as one GEMM over its (N*H*W, C) rows.

    LibTorch 2.7.1's fp32 channels-last 1x1 convolution returned wrong values for 256 -> 512
    channels at 2x2 to 7x7 maps (ResNet's stage-4 projection; 8 and 64 input channels were right;
    bf16 was right; found by ChannelsLastNetworkTest). The result is channels-last again.
    """
    if stride > 1:
        x = x[:, :, ::stride, ::stride]
    y = torch.matmul(x.permute(0, 2, 3, 1), w.flatten(1).t())
    return y.permute(0, 3, 1, 2)


class ConvKernel(torch.nn.Module):
    """forward(x, w, cfg): a bias-free 2-D convolution of fp32 x with fp32 w.

    cfg is an int64 tensor [stride, padding, bf16, channels_last] (DJL passes tensors only):
    - bf16 = 1: x and w are cast to bfloat16, convolved, and the result cast back to fp32; autograd
      sends w's gradient back through the cast as fp32 (the master weight stays fp32).
    - channels_last = 1: x is made channels-last first (a no-op when it already is, which is the
      case for every convolution after the first: LibTorch keeps the layout through BN, ReLU,
      max pool and add).
    """

    def forward(self, x: torch.Tensor, w: torch.Tensor, cfg: torch.Tensor) -> torch.Tensor:
        stride = int(cfg[0])
        padding = int(cfg[1])
        if int(cfg[3]) == 1:
            x = x.contiguous(memory_format=torch.channels_last)
            if w.size(2) == 1 and w.size(3) == 1 and padding == 0 and int(cfg[2]) == 0:
                return conv1x1_channels_last(x, w, stride)
        if int(cfg[2]) == 1:
            y = torch.conv2d(x.to(torch.bfloat16), w.to(torch.bfloat16), None,
                             [stride, stride], [padding, padding])
            return y.to(torch.float32)
        return torch.conv2d(x, w, None, [stride, stride], [padding, padding])


class BasicBlockKernel(torch.nn.Module):
    """forward(x, conv1 w, bn1 gamma, beta, mean, var, conv2 w, bn2 (4), projection w, its BN (4),
    cfg, bn): one whole BasicBlock, relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    - cfg is an int64 tensor [stride, projects, bf16, channels_last, training]. Without a
      projection the five projection tensors are ignored (DJL passes x in their place).
    - bn is a float tensor [momentum, eps] in torch's convention (new = (1 - m) old + m batch).
    - bf16 = 1: x is cast to bfloat16 once and stays bf16 through the block, as under PyTorch's
      CPU autocast: bf16 convolutions (the fp32 weights cast per call), BatchNorm on the bf16
      activations with fp32 gamma, beta and running statistics (updated in place, in fp32), bf16
      ReLU and addition; the output is cast back to fp32, the only dtype DJL can hold. So a block
      pays two activation casts instead of two per convolution, and keeps bf16 copies for backward.
    - training = 1: BatchNorm uses the batch statistics and updates the running ones in place (the
      DJL parameter arrays themselves); 0: it uses the running ones.
    The ReLUs are in place, as torchvision's are.
    """

    def forward(self, x: torch.Tensor, w1: torch.Tensor, g1: torch.Tensor, b1: torch.Tensor,
                m1: torch.Tensor, v1: torch.Tensor, w2: torch.Tensor, g2: torch.Tensor,
                b2: torch.Tensor, m2: torch.Tensor, v2: torch.Tensor, wd: torch.Tensor,
                gd: torch.Tensor, bd: torch.Tensor, md: torch.Tensor, vd: torch.Tensor,
                cfg: torch.Tensor, bn: torch.Tensor) -> torch.Tensor:
        stride = int(cfg[0])
        projects = int(cfg[1]) == 1
        bf16 = int(cfg[2]) == 1
        channels_last = int(cfg[3]) == 1
        training = int(cfg[4]) == 1
        momentum = float(bn[0])
        eps = float(bn[1])
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        h = x
        if bf16:
            h = x.to(torch.bfloat16)
        y = torch.conv2d(h, w1.to(h.dtype), None, [stride, stride], [1, 1])
        y = torch.batch_norm(y, g1, b1, m1, v1, training, momentum, eps, False)
        y = torch.relu_(y)
        y = torch.conv2d(y, w2.to(h.dtype), None, [1, 1], [1, 1])
        y = torch.batch_norm(y, g2, b2, m2, v2, training, momentum, eps, False)
        if projects:
            if channels_last and not bf16:
                s = conv1x1_channels_last(h, wd, stride)
            else:
                s = torch.conv2d(h, wd.to(h.dtype), None, [stride, stride], [0, 0])
            s = torch.batch_norm(s, gd, bd, md, vd, training, momentum, eps, False)
        else:
            s = h
        y = torch.relu_(y + s)
        if bf16:
            return y.to(torch.float32)
        return y

    @torch.jit.export
    def stem(self, x: torch.Tensor, w: torch.Tensor, g: torch.Tensor, b: torch.Tensor,
             m: torch.Tensor, v: torch.Tensor, cfg: torch.Tensor, bn: torch.Tensor) -> torch.Tensor:
        """The stem: relu(bn(conv(x))), then a 3x3/2 max pool (padding 1) when cfg asks for it.

        cfg is [stride, padding, max_pool, bf16, channels_last, training]; bn as in forward. In
        bf16 the convolution's output stays bf16 through BatchNorm, ReLU and the pool.
        """
        stride = int(cfg[0])
        padding = int(cfg[1])
        bf16 = int(cfg[3]) == 1
        training = int(cfg[5]) == 1
        if int(cfg[4]) == 1:
            x = x.contiguous(memory_format=torch.channels_last)
        h = x
        if bf16:
            h = x.to(torch.bfloat16)
        y = torch.conv2d(h, w.to(h.dtype), None, [stride, stride], [padding, padding])
        y = torch.batch_norm(y, g, b, m, v, training, float(bn[0]), float(bn[1]), False)
        y = torch.relu_(y)
        if int(cfg[2]) == 1:
            y = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1])
        if bf16:
            return y.to(torch.float32)
        return y


def reference_block(x, p, stride, projects, training):
    """The block in plain fp32 torch, for the self-check."""
    f = torch.nn.functional
    y = f.relu(f.batch_norm(f.conv2d(x, p[0], None, stride, 1), p[3], p[4], p[1], p[2], training, 0.1, 1e-5))
    y = f.batch_norm(f.conv2d(y, p[5], None, 1, 1), p[8], p[9], p[6], p[7], training, 0.1, 1e-5)
    s = f.batch_norm(f.conv2d(x, p[10], None, stride, 0), p[13], p[14], p[11], p[12], training, 0.1, 1e-5) if projects else x
    return f.relu(y + s)


def block_params(cin, cout):
    p = []
    for w in (torch.randn(cout, cin, 3, 3) * 0.1, torch.randn(cout, cout, 3, 3) * 0.1,
              torch.randn(cout, cin, 1, 1) * 0.1):
        p += [w, torch.rand(cout) + 0.5, torch.randn(cout) * 0.1, torch.randn(cout) * 0.1, torch.rand(cout) + 0.5]
    return p


def check_stem(module):
    bn = torch.tensor([0.1, 1e-5])
    f = torch.nn.functional
    for kernel, stride, padding, pool, cl in ((7, 2, 3, 1, 0), (3, 1, 1, 0, 0), (7, 2, 3, 1, 1)):
        x = torch.randn(4, 3, 20, 20)
        for training in (0, 1):
            p = [torch.randn(8, 3, kernel, kernel) * 0.1, torch.rand(8) + 0.5, torch.randn(8) * 0.1,
                 torch.randn(8) * 0.1, torch.rand(8) + 0.5]
            q = [t.clone() for t in p]
            ref = f.relu(f.batch_norm(f.conv2d(x, q[0], None, stride, padding), q[3], q[4], q[1], q[2],
                                      training == 1, 0.1, 1e-5))
            if pool:
                ref = f.max_pool2d(ref, 3, 2, 1)
            got = module.stem(x, *p, torch.tensor([stride, padding, pool, 0, cl, training]), bn)
            assert torch.allclose(ref, got, atol=1e-4), "fp32 stem differs"
            assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(p, q)), "stem running statistics differ"
            if int(torch.__version__.split(".")[0]) >= 2:
                got = module.stem(x, *p, torch.tensor([stride, padding, pool, 1, cl, training]), bn)
                assert (got - ref).abs().max() < 0.05 * ref.abs().max(), "bf16 stem differs"


def check_block(module):
    bn = torch.tensor([0.1, 1e-5])
    for stride, cin, cout, cl in ((1, 8, 8, 0), (2, 8, 16, 0), (2, 8, 16, 1), (1, 8, 8, 1)):
        projects = cin != cout
        x = torch.randn(4, cin, 9, 9)
        for training in (0, 1):
            p = block_params(cin, cout)
            q = [t.clone() for t in p]
            ref = reference_block(x, q, stride, projects, training == 1)
            got = module(x, *p, torch.tensor([stride, int(projects), 0, cl, training]), bn)
            assert torch.allclose(ref, got, atol=1e-4), "fp32 block differs"
            assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(p, q)), "running statistics differ"
            if int(torch.__version__.split(".")[0]) >= 2:
                p = block_params(cin, cout)
                ref = reference_block(x, p, stride, projects, training == 1)
                got = module(x, *p, torch.tensor([stride, int(projects), 1, cl, training]), bn)
                assert (got - ref).abs().max() < 0.05 * ref.abs().max(), "bf16 block differs"


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    out = os.path.join(root, "src/main/resources/io/github/djlresnet/runtime/conv_kernel.pt")
    module = torch.jit.script(ConvKernel())
    # self-check before writing: the scripted module against torch's own conv
    x = torch.randn(2, 3, 9, 9)
    w = torch.randn(4, 3, 3, 3)
    ref = torch.conv2d(x, w, None, 2, 1)
    got = module(x, w, torch.tensor([2, 1, 0, 1]))
    assert torch.allclose(ref, got, atol=1e-5), "fp32 channels-last path differs"
    w1 = torch.randn(6, 3, 1, 1)
    got = module(x, w1, torch.tensor([2, 0, 0, 1]))
    assert torch.allclose(torch.conv2d(x, w1, None, 2, 0), got, atol=1e-5), "1x1 channels-last path differs"
    got = module(x, w, torch.tensor([2, 1, 1, 0]))
    assert (got - ref).abs().max() < 0.05 * ref.abs().max(), "bf16 path differs"
    module.save(out)
    print("wrote", out, "with torch", torch.__version__, file=sys.stderr)
    block = torch.jit.script(BasicBlockKernel())
    check_block(block)
    check_stem(block)
    out = os.path.join(os.path.dirname(out), "block_kernel.pt")
    block.save(out)
    print("wrote", out, "with torch", torch.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
