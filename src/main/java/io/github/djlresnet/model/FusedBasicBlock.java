package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** A BasicBlock computed by one {@link BlockKernel#basicBlock} call (children as built by {@link BasicBlock}). */
final class FusedBasicBlock extends FusedSequentialBlock {

    private final int stride;
    private final boolean projects;

    FusedBasicBlock(BlockKernel kernel, int stride, boolean projects) {
        super(kernel, projects ? 3 : 2);
        this.stride = stride;
        this.projects = projects;
    }

    @Override
    NDArray compute(NDArray x, NDList arrays, boolean training) {
        return kernel.basicBlock(x, arrays, stride, projects, training);
    }
}
