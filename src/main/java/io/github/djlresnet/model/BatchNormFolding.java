package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.Parameter.Type;
import ai.djl.training.initializer.Initializer;
import java.util.List;
import java.util.function.Supplier;

/**
 * Makes the inference form of a trained network ({@link ResNet#buildFolded}): with the running
 * statistics, a convolution followed by BatchNorm is one convolution with weight {@code w * s} and
 * bias {@code beta - mean * s}, {@code s = gamma / sqrt(var + eps)} per output channel (what
 * torch's {@code fuse_conv_bn_eval} computes). Inference then skips a pass over every
 * convolution's output; the logits are the trained network's in eval mode up to float rounding.
 */
public final class BatchNormFolding {

    private BatchNormFolding() {}

    /**
     * Initializes {@code folded}, built by {@link ResNet#buildFolded} for {@code trained}'s
     * architecture, with {@code trained}'s parameters, each BatchNorm folded into the convolution
     * before it. The trained arrays move: each convolution's weight and BatchNorm are closed once
     * folded (so the two networks never take twice the memory) and the rest is handed over, so
     * {@code trained} is spent afterwards.
     *
     * @throws IllegalArgumentException if the two networks do not correspond
     */
    public static void fold(Block trained, Block folded, NDManager manager, Shape inputShape) {
        List<Parameter> from = trained.getParameters().values();
        List<Parameter> to = folded.getParameters().values();
        int j = 0;
        for (int i = 0; i < from.size(); i++, j++) {
            if (j >= to.size()) {
                throw new IllegalArgumentException("the folded network has only " + to.size() + " parameters");
            }
            Parameter p = from.get(i);
            if (p.getType() == Type.WEIGHT && i + 1 < from.size() && from.get(i + 1).getType() == Type.GAMMA) {
                if (i + 4 >= from.size()) {
                    throw new IllegalArgumentException("BatchNorm " + from.get(i + 1).getName() + " is incomplete");
                }
                ConvNorm pair = new ConvNorm(p, from.subList(i + 1, i + 5));
                expect(to.get(j), Type.WEIGHT).setInitializer(initializer(pair::weight));
                expect(to.get(++j), Type.BIAS).setInitializer(initializer(pair::bias));
                i += 4;
            } else {
                expect(to.get(j), p.getType()).setInitializer(initializer(p::getArray));
            }
        }
        if (j != to.size()) {
            throw new IllegalArgumentException("the folded network has " + to.size() + " parameters, " + j + " were filled");
        }
        folded.initialize(manager, DataType.FLOAT32, inputShape);
    }

    private static Parameter expect(Parameter target, Type type) {
        if (target.getType() != type) {
            throw new IllegalArgumentException("cannot fold into " + target.getName() + ": it is a " + target.getType()
                    + " where the trained network has a " + type);
        }
        return target;
    }

    /** Hands over {@code value}'s array, checked against the shape the folded network expects. */
    private static Initializer initializer(Supplier<NDArray> value) {
        return (manager, shape, dataType) -> {
            NDArray array = value.get();
            if (!array.getShape().equals(shape)) {
                throw new IllegalArgumentException("cannot fold a " + array.getShape() + " array into a " + shape + " parameter");
            }
            array.attach(manager);
            return array;
        };
    }

    /** One convolution and the BatchNorm after it; folded on first use, then closed. */
    private static final class ConvNorm {
        private final Parameter conv;
        private final List<Parameter> norm;
        private NDArray weight;
        private NDArray bias;

        ConvNorm(Parameter conv, List<Parameter> norm) {
            Type[] expected = {Type.GAMMA, Type.BETA, Type.RUNNING_MEAN, Type.RUNNING_VAR};
            for (int k = 0; k < expected.length; k++) {
                if (norm.get(k).getType() != expected[k]) {
                    throw new IllegalArgumentException("expected a BatchNorm " + expected[k] + " at "
                            + norm.get(k).getName() + ", found " + norm.get(k).getType());
                }
            }
            this.conv = conv;
            this.norm = norm;
        }

        NDArray weight() {
            compute();
            return weight;
        }

        NDArray bias() {
            compute();
            return bias;
        }

        private void compute() {
            if (weight != null) {
                return;
            }
            NDArray w = conv.getArray();
            NDArray gamma = norm.get(0).getArray();
            NDArray beta = norm.get(1).getArray();
            NDArray mean = norm.get(2).getArray();
            NDArray var = norm.get(3).getArray();
            try (NDManager scratch = w.getManager().newSubManager()) {
                NDArray stdDev = var.add(BasicBlock.BN_EPSILON).sqrt();
                stdDev.attach(scratch);
                NDArray scale = gamma.div(stdDev);
                scale.attach(scratch);
                NDArray perFilter = scale.reshape(scale.size(), 1, 1, 1);
                perFilter.attach(scratch);
                NDArray shift = mean.mul(scale);
                shift.attach(scratch);
                weight = w.mul(perFilter);
                bias = beta.sub(shift);
            }
            conv.close();
            norm.forEach(Parameter::close);
        }
    }
}
