package io.github.djlresnet.serving;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.util.Pair;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;

/**
 * Compares a block's parameters, name by name and shape by shape, with those of a freshly built
 * ResNet of a given configuration. DJL's parameter loading checks names but not shapes, so this is
 * what tells a wrong architecture from a right one.
 */
final class ArchitectureCheck {

    private ArchitectureCheck() {}

    /** Null when {@code block} has exactly the parameters of {@code config}, else what differs. */
    static String mismatch(Block block, ResNetConfig config, int imageSize) {
        ParameterList actual = block.getParameters();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block expectedNet = ResNet.build(config);
            expectedNet.initialize(
                    manager,
                    DataType.FLOAT32,
                    new Shape(1, config.inputChannels(), imageSize, imageSize));
            ParameterList expected = expectedNet.getParameters();
            if (actual.size() != expected.size()) {
                return actual.size() + " parameter arrays, expected " + expected.size();
            }
            for (int i = 0; i < expected.size(); i++) {
                Pair<String, Parameter> e = expected.get(i);
                Parameter a = actual.get(i).getValue();
                Shape shape = a.isInitialized() ? a.getArray().getShape() : null;
                if (!e.getValue().getName().equals(a.getName())
                        || !e.getValue().getArray().getShape().equals(shape)) {
                    return "parameter " + e.getKey() + " is " + a.getName() + " " + shape + ", expected "
                            + e.getValue().getName() + " " + e.getValue().getArray().getShape();
                }
            }
        }
        return null;
    }

    static String describe(ResNetConfig c) {
        return "ResNet-" + c.depth() + " (" + c.classes() + " classes, " + c.inputChannels()
                + " input channel" + (c.inputChannels() == 1 ? "" : "s") + ", " + c.stem()
                + " stem, shortcut " + c.shortcut() + ")";
    }
}
