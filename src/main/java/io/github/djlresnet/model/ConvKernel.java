package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;

/**
 * How a ResNet convolution is computed, when not by DJL's own {@code Conv2d}: the block keeps its
 * DJL parameter (so names, initialization, saving, loading and the optimizer are unchanged) and
 * hands the arithmetic to this kernel. The model package only defines the interface; the
 * TorchScript kernels (bfloat16, channels-last) live in the runtime package.
 */
public interface ConvKernel {

    /**
     * A bias-free 2-D convolution with a square stride and padding.
     *
     * @param x the input, fp32, NCHW (strided as NCHW or channels-last)
     * @param weight the fp32 weight (filters, channels, k, k); during training it carries a
     *     gradient, and the result must stay connected to it through autograd
     * @param stride the stride along both sides
     * @param padding the zero padding on every side
     * @param training whether the call is part of a training forward pass
     * @return the fp32 output, in the same manager as {@code x}
     */
    NDArray conv2d(NDArray x, NDArray weight, int stride, int padding, boolean training);
}
