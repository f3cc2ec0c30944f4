package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.djlresnet.runtime.EngineSetup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link MomentumSgd#step} on a real block against torch.optim.SGD's formula computed in doubles:
 * {@code g = grad + wd * w; buf = m * buf + g (buf = g at the first step); w -= lr * buf}, with a
 * separate decay for the bias (the norm group) and a rate that changes every step; the same for
 * {@link MomentumSgd#backwardAndStep}, which takes the backward pass and the step in one call.
 */
class MomentumSgdTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    private static final float[] RATES = {0.1f, 0.05f, 0.02f};

    /** The gradient of weight element i at step t (bias elements continue the numbering). */
    private static float grad(int t, int i) {
        return (float) Math.sin(1.7 * i + 0.9 * t) * (i % 3 == 0 ? 3f : 0.25f);
    }

    /**
     * Both entry points: {@code step(block)} after DJL's backward pass (gradients left zeroed), and
     * {@code backwardAndStep} as training calls it (no gradient left in the parameters).
     */
    @ParameterizedTest(name = "one call for backward and step {3}: momentum {0}, weight decay {1}, norm decay {2}")
    @CsvSource({"0.9, 0.01, 0.0, false", "0.9, 0.0, 0.0, false", "0.0, 0.01, 0.001, false", "0.5, 0.1, 0.1, false",
        "0.9, 0.01, 0.0, true", "0.9, 0.0, 0.0, true", "0.0, 0.01, 0.001, true", "0.5, 0.1, 0.1, true"})
    void threeStepsFollowTorchsFormula(float momentum, float weightDecay, float normDecay, boolean oneCall) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block linear = Linear.builder().setUnits(3).build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(2, 4));
            Parameter weight = linear.getParameters().get("weight");
            Parameter bias = linear.getParameters().get("bias");
            double[] w = toDoubles(weight.getArray().toFloatArray());
            double[] b = toDoubles(bias.getArray().toFloatArray());
            double[] wBuf = new double[w.length];
            double[] bBuf = new double[b.length];

            MomentumSgd sgd = new MomentumSgd(RATES[0], momentum, weightDecay);
            sgd.withNormWeightDecay(normDecay);
            for (int t = 0; t < RATES.length; t++) {
                float[] gw = new float[w.length];
                float[] gb = new float[b.length];
                for (int i = 0; i < gw.length; i++) {
                    gw[i] = grad(t, i);
                }
                for (int i = 0; i < gb.length; i++) {
                    gb[i] = grad(t, gw.length + i);
                }
                sgd.setLearningRate(RATES[t]);
                // real gradients: d/dp sum(p * G) = G, exactly
                try (NDManager step = manager.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = weight.getArray().mul(step.create(gw, weight.getArray().getShape())).sum()
                            .add(bias.getArray().mul(step.create(gb)).sum());
                    if (oneCall) {
                        sgd.backwardAndStep(collector, loss, linear);
                    } else {
                        collector.backward(loss);
                    }
                }
                if (!oneCall) {
                    sgd.step(linear);
                }
                reference(w, wBuf, gw, RATES[t], momentum, weightDecay, t);
                reference(b, bBuf, gb, RATES[t], momentum, normDecay, t);

                assertClose(w, weight.getArray().toFloatArray(), "weight after step " + (t + 1));
                assertClose(b, bias.getArray().toFloatArray(), "bias after step " + (t + 1));
                for (Parameter p : new Parameter[] {weight, bias}) {
                    try (PtNDArray g = JniUtils.getGradient((PtNDArray) p.getArray())) {
                        if (oneCall) {
                            assertNull(g, p.getName() + " holds no gradient");
                        } else {
                            assertEquals(0f, g.abs().sum().getFloat(), p.getName() + "'s gradient cleared");
                        }
                    }
                }
            }
            if (momentum != 0f) {
                assertEquals(2, sgd.state().size());
                assertClose(wBuf, sgd.state().get(weight.getId()).toFloatArray(), "weight's momentum buffer");
                assertClose(bBuf, sgd.state().get(bias.getId()).toFloatArray(), "bias's momentum buffer");
            } else {
                assertTrue(sgd.state().isEmpty(), "no buffers without momentum");
            }
        }
    }

    @Test
    void aParameterWithoutGradientIsNamed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block linear = Linear.builder().setUnits(3).build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(2, 4));
            Parameter weight = linear.getParameters().get("weight");
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(weight.getArray().sum()); // the bias takes no part
            }
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new MomentumSgd(0.1f, 0.9f, 0f).step(linear));
            assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("no gradient"), e.getMessage());
        }
    }

    private static void reference(double[] p, double[] buf, float[] grad, float lr, float momentum,
            float decay, int t) {
        for (int i = 0; i < p.length; i++) {
            double g = grad[i] + (double) decay * p[i];
            buf[i] = t == 0 ? g : momentum * buf[i] + g;
            p[i] -= lr * (momentum != 0f ? buf[i] : g);
        }
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    private static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
