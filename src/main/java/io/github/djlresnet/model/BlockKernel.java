package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * How a whole BasicBlock (or the stem) is computed, when not by its DJL children one by one: the
 * block keeps its DJL parameters (names, initialization, saving, loading, the optimizer) and
 * hands the arithmetic of conv1, bn1, ReLU, conv2, bn2, the shortcut, the addition and the last
 * ReLU to this kernel in one call. That lets the activations inside a block stay in a dtype DJL cannot
 * hold (bfloat16). The TorchScript kernel lives in the runtime package.
 */
public interface BlockKernel {

    /**
     * One BasicBlock.
     *
     * @param x the block's fp32 input
     * @param parameters the block's arrays in its parameter order: conv1's weight, bn1's gamma,
     *     beta, running mean and running variance, conv2's weight, bn2's four, then, when the
     *     shortcut projects, the projection's weight and its BatchNorm's four. In training the
     *     running statistics are updated in place, as DJL's BatchNorm does.
     * @param stride the stride of conv1 and of the projection
     * @param projects whether the shortcut is a 1x1 convolution with BatchNorm (else the identity)
     * @param training whether the call is part of a training forward pass
     * @return the block's fp32 output, in the same manager as {@code x}
     */
    NDArray basicBlock(NDArray x, NDList parameters, int stride, boolean projects, boolean training);

    /**
     * The stem: ReLU(BatchNorm(conv(x))), then a 3x3/2 max pool with padding 1 if asked.
     *
     * @param x the network's fp32 input
     * @param parameters the convolution's weight, then its BatchNorm's gamma, beta, running mean
     *     and running variance
     * @param stride the convolution's stride
     * @param padding the convolution's zero padding
     * @param maxPool whether the max pool follows (the ImageNet stem)
     * @param training whether the call is part of a training forward pass
     * @return the stem's fp32 output, in the same manager as {@code x}
     */
    NDArray stem(NDArray x, NDList parameters, int stride, int padding, boolean maxPool, boolean training);
}
