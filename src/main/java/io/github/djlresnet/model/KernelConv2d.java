package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A DJL {@link Conv2d} whose forward pass is computed by a {@link ConvKernel}. Everything else is
 * Conv2d's: the weight parameter (its name, shape and initializer), output shapes, saving and
 * loading. {@link ReleasingSequentialBlock} names it "Conv2d" among its children, so a model built
 * with kernels has the same parameter names as one built without, and its parameters and
 * checkpoints are interchangeable with the plain model's (a bf16-trained model exports as the
 * ordinary fp32 model folder).
 */
public final class KernelConv2d extends Conv2d {

    private final ConvKernel kernel;

    KernelConv2d(Conv2d.Builder builder, ConvKernel kernel) {
        super(builder);
        if (stride.get(0) != stride.get(1) || padding.get(0) != padding.get(1)) {
            throw new IllegalArgumentException("square strides and paddings only");
        }
        this.kernel = kernel;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        return new NDList(
                kernel.conv2d(x, w, (int) stride.get(0), (int) padding.get(0), training));
    }

    /** The kernel doing the arithmetic. */
    public ConvKernel kernel() {
        return kernel;
    }
}
