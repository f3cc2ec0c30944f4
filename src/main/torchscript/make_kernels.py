#!/usr/bin/python3
"""Writes the weight-free TorchScript modules behind `--precision bf16`, channels-last (`--channels-last`,
and fp32's own layout: channels-last for maps of 7 px or more, NCHW below) and folded inference:
conv_kernel.pt (one convolution; src/main/java/io/github/djlresnet/runtime/TorchScriptConvKernel.java)
and features_kernel.pt (the stem and every BasicBlock in one call;
.../runtime/TorchScriptFeaturesKernel.java), and the one behind every SGD step: sgd_kernel.pt
(all parameters updated in one call; .../runtime/TorchScriptSgdStep.java).

DJL 0.36 cannot express either itself: its JNI has no memory-format call, and a BFLOAT16 array
aborts the JVM. A scripted module can do both inside LibTorch, so that DJL only ever sees fp32
arrays in the default (NCHW-strided or channels-last) layout it does not look at.

Run once from the repository root, conv and features with Debian's torch (python3-torch 1.13.1),
sgd with torch 2.13 (fused SGD on the CPU needs torch >= 2.4; LibTorch 2.7.1 runs it):

    /usr/bin/python3 src/main/torchscript/make_kernels.py conv features
    /opt/torch213/bin/python src/main/torchscript/make_kernels.py sgd

The modules are committed, so neither the build nor the app needs Python. They have no parameters
and no buffers; TorchScript from torch 1.13 and 2.13 loads in LibTorch 2.7.1 (the runtime tests
load them).
Run with a torch >= 2.0 (e.g. /opt/torch213/bin/python) to also self-check the features kernel's bf16
path: torch 1.13's CPU BatchNorm does not take a bf16 input with fp32 statistics, LibTorch 2.7.1's
does, and the module is always scripted by whatever torch runs this file (1.13 is what the
committed conv and features kernels were written with).
"""
import os
import sys

from typing import List, Optional

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


def channels_last_at(side: int, cl_from: int) -> bool:
    """Whether maps of side px a side run channels-last: cl_from > 0 and side >= cl_from."""
    return cl_from > 0 and side >= cl_from


def to_layout(h: torch.Tensor, side: int, cl_from: int) -> torch.Tensor:
    """h in the layout its next maps (side px a side) take (channels_last_at), else NCHW. Either
    is a no-op when h already has it."""
    if channels_last_at(side, cl_from):
        return h.contiguous(memory_format=torch.channels_last)
    return h.contiguous()


def conv3x3(h: torch.Tensor, w: torch.Tensor, b: Optional[torch.Tensor], stride: int,
            channels_last: bool) -> torch.Tensor:
    """A 3x3 convolution with padding 1 of h by w (cast to h's dtype), plus the bias b if given.

    Maps of 1 or 2 px a side take matrix products instead (small_map_conv; channels_last says
    which layout their result gets, as larger maps keep h's), because oneDNN's
    weight gradient for them runs its im2col GEMM at 12 GFLOP/s (1x1 maps) and 55 GFLOP/s (2x2)
    here, in LibTorch 2.7.1 and torch 2.13 alike: for ResNet's stages 3 and 4 at 28 and 32 px
    input (w28g, w32) that was 400 ms of a 890 ms training step (bench/RESULTS.md, 2026-12-07
    02:54-04:00)."""
    if h.size(2) <= 2 and h.size(3) == h.size(2):
        return small_map_conv(h, w, b, stride, channels_last)
    bias: Optional[torch.Tensor] = None
    if b is not None:
        bias = b.to(h.dtype)
    return torch.conv2d(h, w.to(h.dtype), bias, [stride, stride], [1, 1])


def small_map_conv(h: torch.Tensor, w: torch.Tensor, b: Optional[torch.Tensor], stride: int,
                   channels_last: bool) -> torch.Tensor:
    """conv3x3 on square maps of s <= 2 px a side as one matrix product: each image's pixels and
    channels are one row (s*s*C values), and the matrix maps them to every output pixel's
    channels through the kernel tap that joins the two pixels (zero where none does, i.e. where
    the convolution meets the padding). On 1x1 maps that matrix is the kernel's centre; on 2x2
    maps it has 16 C x O blocks, each one of the nine taps. So the product does per image just the
    C x O tap products that meet the input: 16 at 2x2, where the convolution does 36, and 1 at 1x1,
    where it does 9; the rest meet padding. Autograd sends the gradient back to w through the
    same construction, so w's gradient is the convolution's (zero for the taps that meet only
    padding)."""
    n = h.size(0)
    c = h.size(1)
    o = w.size(0)
    side = h.size(2)
    out = (side - 1) // stride + 1
    wt = w.to(h.dtype)
    if side == 1:
        m = wt[:, :, 1, 1].t()
    else:
        # taps[p, q, k] = 1 where tap k joins input pixel p to output pixel q
        p = torch.arange(side * side).view(-1, 1)
        q = torch.arange(out * out).view(1, -1)
        ki = torch.div(p, side, rounding_mode="floor") - stride * torch.div(q, out, rounding_mode="floor") + 1
        kj = torch.remainder(p, side) - stride * torch.remainder(q, out) + 1
        inside = (ki >= 0) & (ki < 3) & (kj >= 0) & (kj < 3)
        k = torch.where(inside, ki * 3 + kj, torch.full_like(ki, -1))
        taps = (k.unsqueeze(-1) == torch.arange(9).view(1, 1, 9)).to(h.dtype)
        m = torch.mm(taps.view(-1, 9), wt.permute(2, 3, 1, 0).reshape(9, c * o))
        m = m.view(side * side, out * out, c, o).permute(0, 2, 1, 3).reshape(side * side * c, out * out * o)
    x = h.permute(0, 2, 3, 1).reshape(n, side * side * c)
    if b is None:
        y = torch.mm(x, m)
    else:
        y = torch.addmm(b.to(h.dtype).repeat(out * out), x, m)
    y = y.view(n, out, out, o).permute(0, 3, 1, 2)
    if channels_last:
        return y
    return y.contiguous()


def option_a(h: torch.Tensor, channels: int, stride: int) -> torch.Tensor:
    """Option A's shortcut: every stride-th pixel of h, zero channels appended up to channels."""
    kept = h[:, :, ::stride, ::stride]
    zeros = torch.zeros([kept.size(0), channels - kept.size(1), kept.size(2), kept.size(3)], dtype=kept.dtype)
    return torch.cat([kept, zeros], 1)


class ConvKernel(torch.nn.Module):
    """forward(x, w, cfg): a bias-free 2-D convolution of fp32 x with fp32 w.

    cfg is an int64 tensor [stride, padding, bf16, channels_last] (DJL passes tensors only):
    - bf16 = 1: x and w are cast to bfloat16, convolved, and the result cast back to fp32; autograd
      sends w's gradient back through the cast as fp32 (the master weight stays fp32).
    - channels_last = 1: x is made channels-last first (a no-op when it already is, which is the
      case for every convolution after the first: LibTorch keeps the layout through BN, ReLU,
      max pool and add).
    A 3x3 convolution with padding 1 of 2x2 or 1x1 maps is a matrix product (conv3x3).
    """

    def forward(self, x: torch.Tensor, w: torch.Tensor, cfg: torch.Tensor) -> torch.Tensor:
        stride = int(cfg[0])
        padding = int(cfg[1])
        if int(cfg[3]) == 1:
            x = x.contiguous(memory_format=torch.channels_last)
            if w.size(2) == 1 and w.size(3) == 1 and padding == 0 and int(cfg[2]) == 0:
                return conv1x1_channels_last(x, w, stride)
        if int(cfg[2]) == 1:
            x = x.to(torch.bfloat16)
        if w.size(2) == 3 and w.size(3) == 3 and padding == 1:
            y = conv3x3(x, w, None, stride, int(cfg[3]) == 1)
        else:
            y = torch.conv2d(x, w.to(x.dtype), None, [stride, stride], [padding, padding])
        return y.to(torch.float32)


class FeaturesKernel(torch.nn.Module):
    """forward(x, p, cfg, bn): ResNet's stem and all its BasicBlocks (everything before the global
    pool) in one call, as PyTorch's CPU autocast would run them.

    - p is the list of the convolutions' weights, each followed by its BatchNorm's gamma, beta,
      running mean and running variance, in the network's order: the stem, then per block conv1,
      conv2 and, when its shortcut projects, the projection.
    - cfg is an int64 tensor [bf16, cl_from, training, stem stride, stem padding, max pool,
      blocks, then per block: stride, shortcut], shortcut 0 = identity, 1 = 1x1 projection with
      BatchNorm, 2 = option A (every stride-th pixel, zero channels appended).
    - cl_from: the memory layout. 0 = NCHW throughout; k >= 1 = channels-last for the stem and every
      block whose maps are at least k px a side, NCHW from the first block below (1 = channels-last
      throughout). Maps only shrink, so the layout changes at most once, at a block's input.
    - bn is a float tensor [momentum, eps] in torch's convention (new = (1 - m) old + m batch).
    - bf16 = 1: x is cast to bfloat16 once and stays bf16 to the end: bf16 convolutions (the fp32
      weights cast per call), BatchNorm on the bf16 activations with fp32 gamma, beta and running
      statistics (updated in place, in fp32), bf16 ReLU, pooling and additions; the output is cast
      back to fp32, the only dtype DJL can hold.
    - training = 1: BatchNorm uses the batch statistics and updates the running ones in place (the
      DJL parameter arrays themselves); 0: it uses the running ones.
    The ReLUs are in place, as torchvision's are. The blocks' 3x3 convolutions of 2x2 and 1x1 maps
    are matrix products (conv3x3).
    """

    def forward(self, x: torch.Tensor, p: List[torch.Tensor], cfg: torch.Tensor,
                bn: torch.Tensor) -> torch.Tensor:
        bf16 = int(cfg[0]) == 1
        cl_from = int(cfg[1])
        training = int(cfg[2]) == 1
        momentum = float(bn[0])
        eps = float(bn[1])
        x = to_layout(x, x.size(2), cl_from)
        h = x
        if bf16:
            h = x.to(torch.bfloat16)
        stride = int(cfg[3])
        padding = int(cfg[4])
        h = torch.conv2d(h, p[0].to(h.dtype), None, [stride, stride], [padding, padding])
        # a one-channel input (28x28 grayscale) is NCHW and channels-last at once, and LibTorch then
        # keeps NCHW for the stem's output; the 64-channel output is where the layout starts
        h = to_layout(h, h.size(2), cl_from)
        h = torch.relu_(torch.batch_norm(h, p[1], p[2], p[3], p[4], training, momentum, eps, False))
        if int(cfg[5]) == 1:
            h = torch.max_pool2d(h, [3, 3], [2, 2], [1, 1])
        i = 5
        for k in range(int(cfg[6])):
            stride = int(cfg[7 + 2 * k])
            shortcut = int(cfg[8 + 2 * k])
            side = (h.size(2) + stride - 1) // stride
            h = to_layout(h, side, cl_from)
            cl = channels_last_at(side, cl_from)
            y = conv3x3(h, p[i], None, stride, cl)
            y = torch.relu_(torch.batch_norm(y, p[i + 1], p[i + 2], p[i + 3], p[i + 4], training,
                                             momentum, eps, False))
            y = conv3x3(y, p[i + 5], None, 1, cl)
            y = torch.batch_norm(y, p[i + 6], p[i + 7], p[i + 8], p[i + 9], training, momentum, eps, False)
            if shortcut == 1:
                if cl and not bf16:
                    s = conv1x1_channels_last(h, p[i + 10], stride)
                else:
                    s = torch.conv2d(h, p[i + 10].to(h.dtype), None, [stride, stride], [0, 0])
                s = torch.batch_norm(s, p[i + 11], p[i + 12], p[i + 13], p[i + 14], training,
                                     momentum, eps, False)
                i += 15
            elif shortcut == 2:
                s = option_a(h, y.size(1), stride)
                i += 10
            else:
                s = h
                i += 10
            h = torch.relu_(y + s)
        if bf16:
            return h.to(torch.float32)
        return h

    @torch.jit.export
    def folded(self, x: torch.Tensor, p: List[torch.Tensor], cfg: torch.Tensor) -> torch.Tensor:
        """The same network for inference with every BatchNorm folded into the convolution before
        it: p holds per convolution its folded weight and bias (fp32, cast per call with bf16), in
        the same order as forward's p; cfg as forward's (training is ignored). ReLUs and residual
        additions are in place: nothing here is kept for a backward pass."""
        bf16 = int(cfg[0]) == 1
        cl_from = int(cfg[1])
        x = to_layout(x, x.size(2), cl_from)
        h = x
        if bf16:
            h = x.to(torch.bfloat16)
        dt = h.dtype
        stride = int(cfg[3])
        padding = int(cfg[4])
        h = torch.relu_(torch.conv2d(h, p[0].to(dt), p[1].to(dt), [stride, stride], [padding, padding]))
        h = to_layout(h, h.size(2), cl_from)
        if int(cfg[5]) == 1:
            h = torch.max_pool2d(h, [3, 3], [2, 2], [1, 1])
        i = 2
        for k in range(int(cfg[6])):
            stride = int(cfg[7 + 2 * k])
            shortcut = int(cfg[8 + 2 * k])
            side = (h.size(2) + stride - 1) // stride
            h = to_layout(h, side, cl_from)
            cl = channels_last_at(side, cl_from)
            y = torch.relu_(conv3x3(h, p[i], p[i + 1], stride, cl))
            y = conv3x3(y, p[i + 2], p[i + 3], 1, cl)
            if shortcut == 1:
                if cl and not bf16:
                    s = conv1x1_channels_last(h, p[i + 4], stride).add_(p[i + 5].view(1, -1, 1, 1))
                else:
                    s = torch.conv2d(h, p[i + 4].to(dt), p[i + 5].to(dt), [stride, stride], [0, 0])
                i += 6
            elif shortcut == 2:
                s = option_a(h, y.size(1), stride)
                i += 4
            else:
                s = h
                i += 4
            h = torch.relu_(y.add_(s))
        if bf16:
            return h.to(torch.float32)
        return h


def dense_like(g: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """g itself if it is laid out as p (same strides), else a copy of g in p's layout: what fused
    SGD needs, as it reads p, g and the momentum buffer (made like p) element by element in memory."""
    if g.stride() == p.stride():
        return g
    return torch.empty_like(p).copy_(g)


class SgdKernel(torch.nn.Module):
    """forward(params, bufs, lr, momentum, weight_decay): one step of torch.optim.SGD (no dampening,
    no Nesterov) over every parameter in the list, then the gradients zeroed.

    - params are the leaf tensors themselves (DJL's parameter arrays); each one's gradient is read
      from it (p.grad) and everything is updated in place, so nothing is copied or returned. Every
      parameter must have a gradient (TorchScript sees a missing one as an undefined tensor it
      cannot test for; the Java side checks once, before the first step).
    - bufs are the momentum buffers, one per parameter in the same order (empty with momentum 0).
      DJL passes zeros before a parameter's first step: 0 * momentum + g is g exactly, torch's
      clone of the first gradient.
    - The update is torch's fused SGD (torch.optim.SGD(fused=True), CPU since torch 2.4): one pass
      over each parameter, gradient and buffer. DJL calls it without autograd, so updating leaves
      that require grad is allowed.
    - That pass walks the three tensors' memory in step, ignoring strides (torch 2.7 and 2.13: its
      CPU kernel makes a contiguous copy of the gradient and then reads the original), so a
      gradient must be laid out as its parameter. p.grad is (autograd's AccumulateGrad stores it in
      p's layout, which is also why torch.optim.SGD never meets this); autograd.grad's results
      (backward_step) are not: a convolution fed channels-last activations returns its weight's
      gradient channels-last while DJL's weights are NCHW, and without a copy into the weight's
      layout (dense_like) each 3x3 filter's gradient was applied permuted.
    Why: DJL's NDArray calls need eight JNI calls and two temporary arrays per parameter (about
    900 calls a ResNet-34 step) and many passes over memory; measured in bench/RESULTS.md.
    """

    def forward(self, params: List[torch.Tensor], bufs: List[torch.Tensor], lr: float, momentum: float,
                weight_decay: float) -> int:
        grads = [p.grad for p in params]
        torch._fused_sgd_(params, grads, bufs, weight_decay=weight_decay, momentum=momentum, lr=lr,
                          dampening=0.0, nesterov=False, maximize=False, is_first_step=False)
        torch._foreach_zero_(grads)
        return len(params)

    @torch.jit.export
    def backward_step(self, loss: torch.Tensor, params: List[torch.Tensor], bufs: List[torch.Tensor],
                      sizes: List[int], decays: List[float], lr: float, momentum: float) -> int:
        """The backward pass of the scalar loss and the step, without ever filling p.grad: the
        gradients come from torch.autograd.grad (as torch's zero_grad(set_to_none=True) lets the
        engine hand them over instead of adding them into zeroed ones) and are freed after the
        step. params come in groups of sizes[k] parameters with weight decay decays[k]."""
        grads = torch.autograd.grad([loss], params)
        gs: List[torch.Tensor] = []
        for g, p in zip(grads, params):
            assert g is not None
            gs.append(dense_like(g, p))
        start = 0
        for k in range(len(sizes)):
            end = start + sizes[k]
            group = params[start:end]
            torch._fused_sgd_(group, gs[start:end], bufs[start:end], weight_decay=decays[k],
                              momentum=momentum, lr=lr, dampening=0.0, nesterov=False, maximize=False,
                              is_first_step=False)
            # reading the slice after the call keeps it: TorchScript's dead-code elimination drops
            # a _fused_sgd_ whose freshly sliced lists are never used again (seen with torch 2.13)
            start += len(group)
        return start


def check_sgd(module):
    """Three steps against torch.optim.SGD itself, with and without momentum and weight decay and a
    rate that changes every step: forward (after a separate backward) with one weight decay, and
    backward_step with two groups (the second without weight decay)."""
    def loss_of(ps, step):
        return (ps[0] * torch.sin(ps[0] + step)).sum() + (ps[1] ** 2).sum()

    def reference_step(sgd, ps, step, lr):
        loss_of(ps, step).backward()
        for group in sgd.param_groups:
            group["lr"] = lr
        sgd.step()
        sgd.zero_grad()

    for momentum, decay in ((0.9, 1e-2), (0.9, 0.0), (0.0, 1e-2)):
        torch.manual_seed(0)
        start = [torch.randn(5, 3), torch.randn(7)]
        ref, mine, grouped_ref, fused = ([t.clone().requires_grad_(True) for t in start] for _ in range(4))
        bufs = [torch.zeros_like(t) for t in start] if momentum != 0.0 else []
        fused_bufs = [torch.zeros_like(t) for t in start] if momentum != 0.0 else []
        sgd = torch.optim.SGD(ref, lr=0.1, momentum=momentum, weight_decay=decay)
        grouped = torch.optim.SGD([{"params": [grouped_ref[0]], "weight_decay": decay},
                                   {"params": [grouped_ref[1]], "weight_decay": 0.0}], lr=0.1, momentum=momentum)
        for step, lr in enumerate((0.1, 0.05, 0.02)):
            reference_step(sgd, ref, step, lr)
            loss_of(mine, step).backward()
            with torch.no_grad():
                n = module(mine, bufs, lr, momentum, decay)
            assert n == 2, "not every parameter was updated"
            assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(ref, mine)), "SGD step differs from torch's"
            assert all(float(p.grad.abs().sum()) == 0.0 for p in mine), "gradients not zeroed"
            reference_step(grouped, grouped_ref, step, lr)
            loss = loss_of(fused, step)
            with torch.no_grad():
                n = module.backward_step(loss, fused, fused_bufs, [1, 1], [decay, 0.0], lr, momentum)
            assert n == 2 and all(p.grad is None for p in fused), "backward_step stored gradients"
            assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(grouped_ref, fused)), \
                "backward_step differs from torch's"
    check_sgd_channels_last(module)


def check_sgd_channels_last(module):
    """A 3x3 convolution's weight (NCHW, as DJL's) fed channels-last activations gets its gradient
    channels-last from autograd.grad: backward_step must still update each weight by its own
    gradient (torch.optim.SGD as the reference; fused SGD alone applies it permuted)."""
    torch.manual_seed(1)
    x = torch.randn(4, 8, 6, 6).contiguous(memory_format=torch.channels_last)
    start = torch.randn(16, 8, 3, 3)
    ref = start.clone().requires_grad_(True)
    mine = start.clone().requires_grad_(True)
    sgd = torch.optim.SGD([ref], lr=0.1, momentum=0.9, weight_decay=1e-2)
    bufs = [torch.zeros_like(mine)]
    for step in range(3):
        (torch.conv2d(x, ref, None, 1, 1).sin().sum() * (step + 1)).backward()
        sgd.step()
        sgd.zero_grad()
        loss = torch.conv2d(x, mine, None, 1, 1).sin().sum() * (step + 1)
        (g,) = torch.autograd.grad([loss], [mine], retain_graph=True)
        assert g.is_contiguous(memory_format=torch.channels_last) and not g.is_contiguous(), \
            "this check needs a channels-last gradient"
        with torch.no_grad():
            module.backward_step(loss, [mine], bufs, [1], [1e-2], 0.1, 0.9)
        assert torch.allclose(ref, mine, atol=1e-5), "backward_step with a channels-last gradient differs from torch's"
    # forward reads p.grad, which backward() stores in the weight's own layout
    mine = start.clone().requires_grad_(True)
    ref = start.clone().requires_grad_(True)
    sgd = torch.optim.SGD([ref], lr=0.1, momentum=0.9, weight_decay=1e-2)
    bufs = [torch.zeros_like(mine)]
    for step in range(3):
        for w in (ref, mine):
            (torch.conv2d(x, w, None, 1, 1).sin().sum() * (step + 1)).backward()
        sgd.step()
        sgd.zero_grad()
        with torch.no_grad():
            module([mine], bufs, 0.1, 0.9, 1e-2)
        assert torch.allclose(ref, mine, atol=1e-5), "forward after backward() differs from torch's"


def conv_bn(cout, cin, k):
    return [torch.randn(cout, cin, k, k) * 0.1, torch.rand(cout) + 0.5, torch.randn(cout) * 0.1,
            torch.randn(cout) * 0.1, torch.rand(cout) + 0.5]


def reference_features(x, p, stem, blocks, training):
    """The network in plain fp32 torch.nn.functional, for the self-check."""
    f = torch.nn.functional

    def cbn(h, i, stride, padding):
        return f.batch_norm(f.conv2d(h, p[i], None, stride, padding), p[i + 3], p[i + 4], p[i + 1], p[i + 2],
                            training, 0.1, 1e-5)
    h = f.relu(cbn(x, 0, stem[0], stem[1]))
    if stem[2]:
        h = f.max_pool2d(h, 3, 2, 1)
    i = 5
    for stride, shortcut in blocks:
        y = cbn(f.relu(cbn(h, i, stride, 1)), i + 5, 1, 1)
        if shortcut == 1:
            s = cbn(h, i + 10, stride, 0)
            i += 15
        elif shortcut == 2:
            kept = h[:, :, ::stride, ::stride]
            s = torch.cat([kept, torch.zeros(kept.size(0), y.size(1) - kept.size(1), kept.size(2), kept.size(3))], 1)
            i += 10
        else:
            s = h
            i += 10
        h = f.relu(y + s)
    return h


def fold(p):
    """Each convolution's weight and BatchNorm (5 tensors) as a folded weight and bias."""
    out = []
    for i in range(0, len(p), 5):
        w, gamma, beta, mean, var = p[i:i + 5]
        scale = gamma / torch.sqrt(var + 1e-5)
        out += [w * scale.view(-1, 1, 1, 1), beta - mean * scale]
    return out


def check_features(module):
    """Both stems; identity, projection and option A shortcuts; fp32 (and bf16 on torch >= 2),
    NCHW and channels-last, training and inference: outputs and running statistics."""
    bn = torch.tensor([0.1, 1e-5])
    nets = (((2, 3, 1), 7, [(1, 0), (2, 1), (1, 0), (2, 2)]),
            ((1, 1, 0), 3, [(1, 0), (2, 1), (2, 2)]))
    for stem, k, blocks in nets:
        p = conv_bn(8, 3, k)
        c = 8
        for stride, shortcut in blocks:
            out = c * 2 if stride == 2 else c
            p += conv_bn(out, c, 3) + conv_bn(out, out, 3)
            if shortcut == 1:
                p += conv_bn(out, c, 1)
            c = out
        x = torch.randn(4, 3, 20, 20)
        flat = [v for b in blocks for v in b]
        for training in (0, 1):
            for cl in (0, 1, 7):
                q = [t.clone() for t in p]
                ref = reference_features(x, q, stem, blocks, training == 1)
                mine = [t.clone() for t in p]
                cfg = torch.tensor([0, cl, training, stem[0], stem[1], stem[2], len(blocks)] + flat)
                got = module(x, mine, cfg, bn)
                assert torch.allclose(ref, got, atol=1e-4), "fp32 features differ"
                assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(mine, q)), "running statistics differ"
                if int(torch.__version__.split(".")[0]) >= 2:
                    cfg[0] = 1
                    got = module(x, [t.clone() for t in p], cfg, bn)
                    assert (got - ref).abs().max() < 0.05 * ref.abs().max(), "bf16 features differ"
        # the folded inference form against the same network in eval mode
        folded = fold(p)
        ref = reference_features(x, [t.clone() for t in p], stem, blocks, False)
        for cl in (0, 1, 7):
            cfg = torch.tensor([0, cl, 0, stem[0], stem[1], stem[2], len(blocks)] + flat)
            with torch.no_grad():
                got = module.folded(x, folded, cfg)
            assert torch.allclose(ref, got, atol=1e-4), "fp32 folded features differ"
            if int(torch.__version__.split(".")[0]) >= 2:
                cfg[0] = 1
                with torch.no_grad():
                    got = module.folded(x, folded, cfg)
                assert (got - ref).abs().max() < 0.05 * ref.abs().max(), "bf16 folded features differ"
    # channels-last from a one-channel input (28x28 grayscale), where LibTorch would keep NCHW
    p = conv_bn(8, 1, 3) + conv_bn(8, 8, 3) + conv_bn(8, 8, 3)
    got = module(torch.randn(2, 1, 12, 12), p, torch.tensor([0, 1, 1, 1, 1, 0, 1, 1, 0]), bn)
    assert got.is_contiguous(memory_format=torch.channels_last) and not got.is_contiguous(), \
        "channels-last lost on a one-channel input"
    # 2x2 and 1x1 maps, where a block's 3x3 convolutions are matrix products (small_map_conv):
    # 4x4 -> 2x2 (stride 2), 2x2, 2x2 -> 1x1 (stride 2), 1x1; training outputs, running
    # statistics and gradients, and the folded form
    blocks = [(2, 1), (1, 0), (2, 1)]
    q = conv_bn(8, 1, 3) + conv_bn(16, 8, 3) + conv_bn(16, 16, 3) + conv_bn(16, 8, 1)
    q += conv_bn(16, 16, 3) + conv_bn(16, 16, 3)
    q += conv_bn(32, 16, 3) + conv_bn(32, 32, 3) + conv_bn(32, 16, 1)
    x = torch.randn(4, 1, 4, 4)
    for cl in (0, 1):
        cfg = torch.tensor([0, cl, 1, 1, 1, 0, len(blocks)] + [v for blk in blocks for v in blk])
        mine = [t.clone().requires_grad_(t.dim() == 4) for t in q]
        ref_q = [t.clone().requires_grad_(t.dim() == 4) for t in q]
        ref = reference_features(x, ref_q, (1, 1, 0), blocks, True)
        got = module(x, mine, cfg, bn)
        assert got.shape == (4, 32, 1, 1) and torch.allclose(ref, got, atol=1e-4), "small maps differ"
        assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(mine, ref_q)), "small maps' running statistics differ"
        weights = [t for t in mine if t.dim() == 4]
        ref_weights = [t for t in ref_q if t.dim() == 4]
        grads = torch.autograd.grad(got.sin().sum(), weights)
        ref_grads = torch.autograd.grad(ref.sin().sum(), ref_weights)
        # (BatchNorm over 4 values a channel amplifies rounding: compare against each gradient's size)
        assert all((a - b).abs().max() < 1e-4 * b.abs().max() for a, b in zip(grads, ref_grads)), \
            "small maps' gradients differ"
        ref = reference_features(x, [t.clone() for t in q], (1, 1, 0), blocks, False)
        with torch.no_grad():
            got = module.folded(x, fold(q), cfg)
        assert torch.allclose(ref, got, atol=1e-4), "small maps differ folded"
    # from 7 px: the 12x12 stem and first block channels-last, the 6x6 second block NCHW again
    p += conv_bn(16, 8, 3) + conv_bn(16, 16, 3) + conv_bn(16, 8, 1)
    got = module(torch.randn(2, 1, 12, 12), p, torch.tensor([0, 7, 1, 1, 1, 0, 2, 1, 0, 2, 1]), bn)
    assert got.is_contiguous() and got.size(2) == 6, "NCHW below cl_from"


def main():
    """Writes the kernels named on the command line (conv, features, sgd; default: all)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    folder = os.path.join(root, "src/main/resources/io/github/djlresnet/runtime")
    wanted = sys.argv[1:] or ["conv", "features", "sgd"]
    if "conv" in wanted:
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
        # 2x2 and 1x1 maps as matrix products (small_map_conv): outputs and both gradients
        for side, stride, cl in ((1, 1, 1), (2, 1, 1), (2, 2, 1), (2, 1, 0)):
            x = torch.randn(4, 8, side, side, requires_grad=True)
            w = torch.randn(6, 8, 3, 3, requires_grad=True)
            got = module(x, w, torch.tensor([stride, 1, 0, cl]))
            gx, gw = torch.autograd.grad(got.sin().sum(), [x, w])
            ref = torch.conv2d(x, w, None, stride, 1)
            rx, rw = torch.autograd.grad(ref.sin().sum(), [x, w])
            assert got.shape == ref.shape and torch.allclose(ref, got, atol=1e-5), "small maps differ"
            assert torch.allclose(rx, gx, atol=1e-5) and torch.allclose(rw, gw, atol=1e-5), "small maps' gradients differ"
        save(module, os.path.join(folder, "conv_kernel.pt"))
    if "features" in wanted:
        features = torch.jit.script(FeaturesKernel())
        check_features(features)
        save(features, os.path.join(folder, "features_kernel.pt"))
    if "sgd" in wanted:
        if not hasattr(torch, "_fused_sgd_"):
            sys.exit("sgd_kernel.pt needs torch >= 2.4 (fused SGD on the CPU): run with /opt/torch213/bin/python")
        sgd = torch.jit.script(SgdKernel())
        check_sgd(sgd)
        save(sgd, os.path.join(folder, "sgd_kernel.pt"))


def save(module, path):
    module.save(path)
    print("wrote", path, "with torch", torch.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
