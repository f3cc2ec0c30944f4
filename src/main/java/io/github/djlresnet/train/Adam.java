package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adam as torch.optim.Adam computes it (L2 weight decay added to the gradient, not AdamW):
 *
 * <pre>
 *   g = grad + weightDecay * w
 *   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
 *   w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * DJL's {@code Adam} keeps m, v and t private and takes its rate from a tracker, so a resumed run
 * restarted its moments and the app's schedule did not reach it; this one takes the schedule's rate
 * every step and exposes its state for checkpoints.
 */
public final class Adam extends StepOptimizer {

    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    static final float EPSILON = 1e-8f;
    private static final String STEPS = "#steps";

    private final float weightDecay;
    private final Map<String, NDArray> moments = new TreeMap<>();
    private long steps;
    private NDArray stepsRecord;

    public Adam(float learningRate, float weightDecay) {
        super(learningRate);
        this.weightDecay = weightDecay;
    }

    @Override
    protected void beforeStep() {
        steps++;
    }

    /** Steps taken so far (t in the formula). */
    public long steps() {
        return steps;
    }

    /** Updates one parameter; {@code grad} is modified in place (weight decay). */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        addWeightDecay(weight, grad, weightDecayOf(parameterId, weightDecay));
        // zerosLike allocates in the weight's manager, so the moments live as long as the model
        NDArray m = moments.computeIfAbsent(parameterId + "#m", k -> weight.zerosLike());
        NDArray v = moments.computeIfAbsent(parameterId + "#v", k -> weight.zerosLike());
        try (NDArray scaledGrad = grad.mul(1 - BETA1);
                NDArray squared = grad.square()) {
            m.muli(BETA1).addi(scaledGrad);
            v.muli(BETA2).addi(squared.muli(1 - BETA2));
        }
        double correction1 = 1 - Math.pow(BETA1, steps);
        double correction2 = 1 - Math.pow(BETA2, steps);
        float stepSize = (float) (learningRate() / correction1);
        try (NDArray denominator = v.sqrt()) {
            denominator.divi((float) Math.sqrt(correction2)).addi(EPSILON);
            try (NDArray delta = m.div(denominator)) {
                weight.subi(delta.muli(stepSize));
            }
        }
    }

    /** The first and second moments by {@code <parameter id>#m} / {@code #v}, and {@code #steps}. */
    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> state = new TreeMap<>(moments);
        if (!moments.isEmpty()) {
            if (stepsRecord != null) {
                stepsRecord.close();
            }
            stepsRecord = moments.values().iterator().next().getManager().create(new long[] {steps});
            state.put(STEPS, stepsRecord);
        }
        return state;
    }

    @Override
    public void restoreState(Map<String, NDArray> saved, NDManager manager) {
        moments.values().forEach(NDArray::close);
        moments.clear();
        steps = 0;
        saved.forEach((key, array) -> {
            if (key.equals(STEPS)) {
                steps = array.toLongArray()[0];
            } else {
                moments.put(key, copy(array, manager));
            }
        });
    }
}
