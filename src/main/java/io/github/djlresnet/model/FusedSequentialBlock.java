package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * A part of ResNet (a BasicBlock, the stem) whose forward pass is one {@link BlockKernel} call.
 * Its children are exactly those of the plain part, so initialization, output shapes, parameter
 * names, saving and loading are the plain part's, and parameters and checkpoints move freely
 * between the two; only {@code forward} differs. {@link ReleasingSequentialBlock} names it as the
 * ReleasingSequentialBlock it stands for.
 */
abstract class FusedSequentialBlock extends ReleasingSequentialBlock {

    /** The parameter names of one convolution and its BatchNorm, in the order kernels take them. */
    private static final List<String> CONV_BN = List.of("weight", "gamma", "beta", "runningMean", "runningVar");

    protected final BlockKernel kernel;
    private final int convolutions;
    private List<Parameter> order;

    FusedSequentialBlock(BlockKernel kernel, int convolutions) {
        this.kernel = kernel;
        this.convolutions = convolutions;
    }

    /** The kernel call on the input and the part's arrays, in {@link #parameterOrder()}. */
    abstract NDArray compute(NDArray x, NDList arrays, boolean training);

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        List<Parameter> parameters = parameterOrder();
        NDList arrays = new NDList(parameters.size());
        for (Parameter p : parameters) {
            arrays.add(parameterStore.getValue(p, x.getDevice(), training));
        }
        return new NDList(compute(x, arrays, training));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList data,
            NDList labels,
            PairList<String, Object> params) {
        return forwardInternal(parameterStore, data, true, params);
    }

    /**
     * The part's parameters in DJL's order, checked once against the order the kernel expects
     * (per convolution: weight, then its BatchNorm's four), so that a change in how DJL lists
     * them fails loudly instead of feeding a variance where a weight belongs.
     */
    private List<Parameter> parameterOrder() {
        if (order == null) {
            List<Parameter> all = getParameters().values();
            if (all.size() != convolutions * CONV_BN.size()) {
                throw new IllegalStateException(getClass().getSimpleName() + " needs "
                        + convolutions * CONV_BN.size() + " parameters, found " + all.size());
            }
            for (int i = 0; i < all.size(); i++) {
                String expected = CONV_BN.get(i % CONV_BN.size());
                if (!all.get(i).getName().equals(expected)) {
                    throw new IllegalStateException("parameter " + i + " of a " + getClass().getSimpleName()
                            + " is '" + all.get(i).getName() + "', expected '" + expected + "'");
                }
            }
            order = all;
        }
        return order;
    }
}
