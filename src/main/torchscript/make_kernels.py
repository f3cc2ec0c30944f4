#!/usr/bin/python3
"""Writes conv_kernel.pt, the weight-free TorchScript module behind `--precision bf16` and
`--channels-last` (src/main/java/io/github/djlresnet/runtime/TorchScriptConvKernel.java).

DJL 0.36 cannot express either itself: its JNI has no memory-format call, and a BFLOAT16 array
aborts the JVM. A scripted module can do both inside LibTorch, so that DJL only ever sees fp32
arrays in the default (NCHW-strided or channels-last) layout it does not look at.

Run once with Debian's torch (python3-torch 1.13.1), from the repository root:

    /usr/bin/python3 src/main/torchscript/make_kernels.py

The module is committed, so neither the build nor the app needs Python. It has no parameters and
no buffers; TorchScript from torch 1.13 loads in LibTorch 2.7.1 (KernelModuleTest checks it).
"""
import os
import sys

import torch


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
                # LibTorch 2.7.1's fp32 channels-last 1x1 convolution returned wrong values here
                # for 256 -> 512 channels at 2x2 to 7x7 maps (ResNet's stage-4 projection; 8 and 64
                # input channels were right; bf16 was right; found by ChannelsLastNetworkTest).
                # A 1x1 convolution is a matrix product over channels: on a channels-last x that
                # is one GEMM on its (N*H*W, C) rows, and the result is channels-last again.
                if stride > 1:
                    x = x[:, :, ::stride, ::stride]
                y = torch.matmul(x.permute(0, 2, 3, 1), w.flatten(1).t())
                return y.permute(0, 3, 1, 2)
        if int(cfg[2]) == 1:
            y = torch.conv2d(x.to(torch.bfloat16), w.to(torch.bfloat16), None,
                             [stride, stride], [padding, padding])
            return y.to(torch.float32)
        return torch.conv2d(x, w, None, [stride, stride], [padding, padding])


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


if __name__ == "__main__":
    main()
