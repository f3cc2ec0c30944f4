package io.github.djlresnet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.github.djlresnet.runtime.EngineSetup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A BatchNorm in a {@link ReleasingSequentialBlock} (2x2 maps in training: the row layout of
 * {@link RowsBatchNorm}) against the same BatchNorm in DJL's plain SequentialBlock: output,
 * gradients of the input, gamma and beta, and the running statistics, in training; at 4x4 maps
 * (the plain path in both) as a control.
 */
class RowsBatchNormTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    @ParameterizedTest(name = "{0}x{0} maps")
    @ValueSource(ints = {2, 4})
    void sameOutputGradientsAndStatisticsAsDjlsBatchNorm(int side) {
        Shape shape = new Shape(16, 24, side, side);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            NDArray x = manager.randomNormal(0, 2, shape, DataType.FLOAT32).add(0.5f);
            NDArray r = manager.randomNormal(shape);
            float[] gamma = manager.randomUniform(0.5f, 1.5f, new Shape(24)).toFloatArray();
            float[] beta = manager.randomNormal(new Shape(24)).toFloatArray();
            Result rows = run(new ReleasingSequentialBlock(), manager, x, r, gamma, beta);
            Result plain = run(new SequentialBlock(), manager, x, r, gamma, beta);
            for (String what : new String[] {"output", "input gradient", "gamma gradient", "beta gradient",
                "running mean", "running var"}) {
                float[] a = rows.get(what);
                float[] b = plain.get(what);
                assertEquals(b.length, a.length, what);
                float largest = 0;
                float diff = 0;
                for (int i = 0; i < a.length; i++) {
                    largest = Math.max(largest, Math.abs(b[i]));
                    diff = Math.max(diff, Math.abs(a[i] - b[i]));
                }
                assertTrue(largest > 0, what + " is not all zero");
                assertTrue(diff <= 1e-5f * largest, what + ": largest difference " + diff + " at largest " + largest);
            }
        }
    }

    private record Result(float[] output, float[] inputGradient, float[] gammaGradient, float[] betaGradient,
            float[] runningMean, float[] runningVar) {
        float[] get(String what) {
            return switch (what) {
                case "output" -> output;
                case "input gradient" -> inputGradient;
                case "gamma gradient" -> gammaGradient;
                case "beta gradient" -> betaGradient;
                case "running mean" -> runningMean;
                default -> runningVar;
            };
        }
    }

    private static Result run(SequentialBlock net, NDManager manager, NDArray x0, NDArray r, float[] gamma,
            float[] beta) {
        net.add(BasicBlock.batchNorm());
        net.initialize(manager, DataType.FLOAT32, x0.getShape());
        Parameter g = net.getParameters().valueAt(0);
        Parameter b = net.getParameters().valueAt(1);
        g.getArray().set(gamma);
        b.getArray().set(beta);
        NDArray x = x0.duplicate();
        x.setRequiresGradient(true);
        float[] out;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray y = net.forward(new ParameterStore(manager, false), new NDList(x), true).head();
            out = y.toFloatArray();
            collector.backward(y.mul(r).sum());
        }
        return new Result(out, x.getGradient().toFloatArray(), g.getArray().getGradient().toFloatArray(),
                b.getArray().getGradient().toFloatArray(), net.getParameters().valueAt(2).getArray().toFloatArray(),
                net.getParameters().valueAt(3).getArray().toFloatArray());
    }
}
