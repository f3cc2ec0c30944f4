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
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A BatchNorm in a {@link ReleasingSequentialBlock} (2x2 maps in training: the row layout of
 * {@link RowsBatchNorm}) against the same BatchNorm in DJL's plain SequentialBlock: output,
 * gradients of the input, gamma and beta, and the running statistics, in training; at 4x4 maps
 * (the plain path in both) as a control. Both outputs are also checked against the normalization
 * computed in doubles, on well-scaled inputs and on inputs whose mean is 600 standard deviations
 * (where the row layout's float sums are about 3x less exact than the plain path's double sums:
 * 1.5e-4 against 5e-5 at outputs up to 5.7).
 */
class RowsBatchNormTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    @ParameterizedTest(name = "{0}x{0} maps, mean {1}, sd {2}")
    @CsvSource({"2, 0.5, 2, 1e-5", "4, 0.5, 2, 1e-5", "2, 300, 0.5, 1e-4", "4, 300, 0.5, 1e-4"})
    void sameOutputGradientsAndStatisticsAsDjlsBatchNorm(int side, float mean, float sd, float tolerance) {
        Shape shape = new Shape(16, 24, side, side);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            NDArray x = manager.randomNormal(0, sd, shape, DataType.FLOAT32).add(mean);
            NDArray r = manager.randomNormal(shape);
            float[] gamma = manager.randomUniform(0.5f, 1.5f, new Shape(24)).toFloatArray();
            float[] beta = manager.randomNormal(new Shape(24)).toFloatArray();
            Result rows = run(new ReleasingSequentialBlock(), manager, x, r, gamma, beta);
            Result plain = run(new SequentialBlock(), manager, x, r, gamma, beta);
            double[] expected = normalizedInDoubles(x.toFloatArray(), side * side, gamma, beta);
            double scale = largestMagnitude(expected);
            assertTrue(largestError(rows.output(), expected) <= tolerance * scale, "row layout against doubles");
            assertTrue(largestError(plain.output(), expected) <= tolerance * scale, "plain path against doubles");
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
                assertTrue(diff <= tolerance * largest, what + ": largest difference " + diff + " at largest " + largest);
            }
        }
    }

    /** The training-mode output computed in doubles: batch mean, biased variance, eps 1e-5. */
    private static double[] normalizedInDoubles(float[] x, int plane, float[] gamma, float[] beta) {
        int channels = gamma.length;
        int n = x.length / (channels * plane);
        double[] y = new double[x.length];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < plane; i++) {
                    sum += x[(b * channels + c) * plane + i];
                }
            }
            double mean = sum / (n * plane);
            double squares = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < plane; i++) {
                    double d = x[(b * channels + c) * plane + i] - mean;
                    squares += d * d;
                }
            }
            double invStd = 1 / Math.sqrt(squares / (n * plane) + 1e-5);
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < plane; i++) {
                    int at = (b * channels + c) * plane + i;
                    y[at] = (x[at] - mean) * invStd * gamma[c] + beta[c];
                }
            }
        }
        return y;
    }

    private static double largestError(float[] actual, double[] expected) {
        double error = 0;
        for (int i = 0; i < actual.length; i++) {
            error = Math.max(error, Math.abs(actual[i] - expected[i]));
        }
        return error;
    }

    private static double largestMagnitude(double[] values) {
        double largest = 0;
        for (double v : values) {
            largest = Math.max(largest, Math.abs(v));
        }
        return largest;
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
