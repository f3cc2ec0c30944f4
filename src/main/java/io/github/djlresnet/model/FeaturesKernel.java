package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * How ResNet's convolutional part (the stem and every BasicBlock, everything before the global
 * pool) is computed when not by its DJL blocks one by one: the network keeps its DJL blocks and
 * parameters (names, initialization, saving, loading, the optimizer) and hands their arithmetic to
 * this kernel in one call, which lets the activations stay in a dtype DJL cannot hold (bfloat16)
 * from the first layer to the last. The TorchScript kernel lives in the runtime package.
 */
public interface FeaturesKernel {

    /**
     * The stem and all blocks.
     *
     * @param x the network's fp32 input
     * @param parameters every convolution's weight, each followed by its BatchNorm's gamma, beta,
     *     running mean and running variance, in the network's order (the stem; per block conv1,
     *     conv2, then the projection if there is one). In training the running statistics are
     *     updated in place, as DJL's BatchNorm does.
     * @param layout {@link FusedResNet#layout()}: stem stride, stem padding, max pool (1 or 0), the
     *     number of blocks, then per block its stride and its shortcut (0 identity, 1 projection,
     *     2 option A's zero padding)
     * @param training whether the call is part of a training forward pass
     * @return the fp32 features, in the same manager as {@code x}
     */
    NDArray features(NDArray x, NDList parameters, long[] layout, boolean training);

    /**
     * The stem and all blocks of the inference form, every BatchNorm folded into the convolution
     * before it ({@link BatchNormFolding}); no gradients.
     *
     * @param x the network's fp32 input
     * @param parameters every convolution's folded weight, each followed by its bias, in the same
     *     order as {@link #features}
     * @param layout as for {@link #features}
     * @return the fp32 features, in the same manager as {@code x}
     */
    NDArray foldedFeatures(NDArray x, NDList parameters, long[] layout);
}
