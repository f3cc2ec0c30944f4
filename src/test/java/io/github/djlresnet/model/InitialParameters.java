package io.github.djlresnet.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A freshly initialized ResNet's parameters as DJL saves them, for tests that load the same start
 * into a network built several ways (kernels, layouts, dtypes) and compare what they compute.
 */
public final class InitialParameters {

    private InitialParameters() {}

    /** The parameters of {@code config} initialized for {@code input} under engine seed {@code seed}. */
    public static byte[] of(ResNetConfig config, Shape input, int seed) throws IOException {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            m.getEngine().setRandomSeed(seed);
            Block net = ResNet.build(config);
            net.initialize(m, DataType.FLOAT32, input);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            net.saveParameters(new DataOutputStream(bytes));
            return bytes.toByteArray();
        }
    }
}
