package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A {@link SequentialBlock} that closes each intermediate result as soon as the next child has
 * consumed it.
 *
 * <p>DJL keeps every NDArray a forward pass creates until the step's NDManager closes, so a plain
 * SequentialBlock holds all of ResNet's activations at once, including those that backward never
 * reads (a BN output whose ReLU saved its own result). LibTorch's autograd keeps the tensors that
 * backward needs by itself, so dropping DJL's handle early frees the rest as soon as possible, as
 * eager PyTorch does. Saved parameters are the same as a SequentialBlock's.
 *
 * <p>In training, a BatchNorm child on 2x2 maps runs through {@link RowsBatchNorm} (the same block
 * and parameters, a faster layout for LibTorch's kernel).
 */
public class ReleasingSequentialBlock extends SequentialBlock {

    /**
     * Adds a child named as SequentialBlock names it ("01Conv2d", ...), except that a
     * {@link KernelConv2d} is named as the Conv2d it stands for, so that parameter names do not
     * depend on how the convolutions are computed.
     */
    @Override
    public SequentialBlock add(Block block) {
        if (block instanceof KernelConv2d) {
            addChildBlock(Conv2d.class.getSimpleName(), block);
            return this;
        }
        return super.add(block);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList current = inputs;
        for (Block block : children.values()) {
            NDList next = RowsBatchNorm.applies(block, current, training)
                    ? RowsBatchNorm.forward(block, parameterStore, current, params)
                    : block.forward(parameterStore, current, training);
            release(current, inputs, next);
            current = next;
        }
        return current;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList data,
            NDList labels,
            PairList<String, Object> params) {
        NDList current = data;
        for (Block block : children.values()) {
            NDList next = RowsBatchNorm.applies(block, current, true)
                    ? RowsBatchNorm.forward(block, parameterStore, current, params)
                    : block.forward(parameterStore, current, labels, params);
            release(current, data, next);
            current = next;
        }
        return current;
    }

    /** Closes the arrays of {@code used} that are neither the caller's input nor passed on. */
    static void release(NDList used, NDList input, NDList next) {
        if (used == input) {
            return;
        }
        for (NDArray array : used) {
            if (!contains(input, array) && !contains(next, array)) {
                array.close();
            }
        }
    }

    private static boolean contains(NDList list, NDArray array) {
        for (NDArray a : list) {
            if (a == array) {
                return true;
            }
        }
        return false;
    }
}
