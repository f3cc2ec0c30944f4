package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * ResNet whose stem and stages run as one {@link FeaturesKernel} call, followed by the DJL head.
 * Its children are exactly those of the plain network (built by {@link ResNet}), so
 * initialization, output shapes, parameter names, saving and loading are the plain network's, and
 * parameters and checkpoints move freely between the two; only {@code forward} differs.
 */
final class FusedResNet extends ReleasingSequentialBlock {

    /** The parameter names of one convolution and its BatchNorm, in the order the kernel takes them. */
    private static final List<String> CONV_BN = List.of("weight", "gamma", "beta", "runningMean", "runningVar");

    /** The same in the inference form (BatchNorm folded): one convolution's weight and bias. */
    private static final List<String> CONV_BIAS = List.of("weight", "bias");

    private final FeaturesKernel kernel;
    private final long[] layout;
    private final boolean folded;
    private List<Parameter> order;

    FusedResNet(FeaturesKernel kernel, long[] layout, boolean folded) {
        this.kernel = kernel;
        this.layout = layout.clone();
        this.folded = folded;
    }

    FeaturesKernel kernel() {
        return kernel;
    }

    /** Stem stride, stem padding, max pool, blocks, then per block stride and shortcut code. */
    long[] layout() {
        return layout.clone();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        if (folded && training) {
            throw new IllegalStateException("the folded network is an inference form: it cannot train");
        }
        NDArray x = inputs.singletonOrThrow();
        List<Parameter> parameters = featureParameters();
        NDList arrays = new NDList(parameters.size());
        for (Parameter p : parameters) {
            arrays.add(parameterStore.getValue(p, x.getDevice(), training));
        }
        NDList features = new NDList(folded ? kernel.foldedFeatures(x, arrays, layout)
                : kernel.features(x, arrays, layout, training));
        NDList out = head().forward(parameterStore, features, training);
        features.close(); // autograd keeps what backward needs
        return out;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList data,
            NDList labels,
            PairList<String, Object> params) {
        return forwardInternal(parameterStore, data, true, params);
    }

    private Block head() {
        return children.values().get(children.size() - 1);
    }

    /**
     * The parameters of every child but the head, in DJL's order, checked once against the order
     * the kernel expects (per convolution: weight, then its BatchNorm's four), so that a change in
     * how DJL lists them fails loudly instead of feeding a variance where a weight belongs.
     */
    private List<Parameter> featureParameters() {
        if (order == null) {
            List<Parameter> all = new ArrayList<>();
            List<Block> parts = children.values();
            for (Block part : parts.subList(0, parts.size() - 1)) {
                all.addAll(part.getParameters().values());
            }
            List<String> names = folded ? CONV_BIAS : CONV_BN;
            if (all.size() % names.size() != 0) {
                throw new IllegalStateException("fused ResNet: " + all.size()
                        + " parameters before the head, not a multiple of " + names.size());
            }
            for (int i = 0; i < all.size(); i++) {
                String expected = names.get(i % names.size());
                if (!all.get(i).getName().equals(expected)) {
                    throw new IllegalStateException("parameter " + i + " of a fused ResNet is '"
                            + all.get(i).getName() + "', expected '" + expected + "'");
                }
            }
            order = all;
        }
        return order;
    }
}
