package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** The stem computed by one {@link BlockKernel#stem} call (children as built by {@link ResNet}). */
final class FusedStem extends FusedSequentialBlock {

    private final int stride;
    private final int padding;
    private final boolean maxPool;

    FusedStem(BlockKernel kernel, int stride, int padding, boolean maxPool) {
        super(kernel, 1);
        this.stride = stride;
        this.padding = padding;
        this.maxPool = maxPool;
    }

    @Override
    NDArray compute(NDArray x, NDList arrays, boolean training) {
        return kernel.stem(x, arrays, stride, padding, maxPool, training);
    }
}
