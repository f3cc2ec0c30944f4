package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.djlresnet.runtime.EngineSetup;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Adam's update against torch.optim.Adam's formula computed in double precision. */
class AdamTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    private static final float[] START = {0.5f, -1.25f, 2f, 0f, 3e-3f};
    private static final float[][] GRADS = {
        {0.1f, -0.2f, 0.3f, 1e-6f, -4f},
        {-0.3f, 0.1f, 0.2f, 0f, -3f},
        {0.05f, 0.4f, -0.1f, 2f, 1f},
    };
    private static final float[] RATES = {0.01f, 0.005f, 0.002f}; // as a schedule would set them

    /** torch.optim.Adam (amsgrad off, maximize off), one element at a time, in doubles. */
    private static double[] reference(float weightDecay, int steps) {
        double[] w = new double[START.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = START[i];
        }
        double[] m = new double[w.length];
        double[] v = new double[w.length];
        for (int t = 1; t <= steps; t++) {
            for (int i = 0; i < w.length; i++) {
                double g = GRADS[t - 1][i] + weightDecay * w[i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
                w[i] -= RATES[t - 1] / (1 - Math.pow(0.9, t)) * m[i] / denom;
            }
        }
        return w;
    }

    private static void step(Adam adam, NDArray weight, int t) {
        adam.setLearningRate(RATES[t]);
        adam.beforeStep();
        try (NDArray grad = weight.getManager().create(GRADS[t])) {
            adam.update("w", weight, grad);
        }
    }

    @Test
    void threeStepsFollowTorchsFormula() {
        for (float wd : new float[] {0f, 0.1f}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray weight = manager.create(START.clone());
                Adam adam = new Adam(RATES[0], wd);
                for (int t = 0; t < 3; t++) {
                    step(adam, weight, t);
                }
                assertEquals(3, adam.steps());
                float[] got = weight.toFloatArray();
                double[] want = reference(wd, 3);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])),
                            "element " + i + ", weight decay " + wd);
                }
            }
        }
    }

    @Test
    void restoredStateContinuesExactly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray straight = manager.create(START.clone());
            Adam one = new Adam(RATES[0], 0.1f);
            NDArray resumed = manager.create(START.clone());
            Adam first = new Adam(RATES[0], 0.1f);
            for (int t = 0; t < 2; t++) {
                step(one, straight, t);
                step(first, resumed, t);
            }
            Map<String, NDArray> saved = new HashMap<>();
            first.state().forEach((k, v) -> saved.put(k, v.duplicate()));
            Adam second = new Adam(RATES[0], 0.1f);
            second.restoreState(saved, manager);
            assertEquals(2, second.steps());
            step(one, straight, 2);
            step(second, resumed, 2);
            assertEquals(java.util.Arrays.toString(straight.toFloatArray()),
                    java.util.Arrays.toString(resumed.toFloatArray()));
        }
    }
}
