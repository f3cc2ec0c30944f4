package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.TreeMap;

/**
 * SGD with momentum and weight decay as torch.optim.SGD computes it:
 *
 * <pre>
 *   g = grad + weightDecay * w;   buf = momentum * buf + g;   w = w - lr * buf
 * </pre>
 *
 * DJL's own {@code Sgd} folds the learning rate into its buffer and keeps the buffers private;
 * this one keeps the torch formula (so a schedule changes the step, not the history) and exposes
 * its buffers so that checkpoints can save and restore them exactly.
 */
public final class MomentumSgd extends StepOptimizer {

    private final float momentum;
    private final float weightDecay;
    private final Map<String, NDArray> buffers = new TreeMap<>();

    public MomentumSgd(float learningRate, float momentum, float weightDecay) {
        super(learningRate);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    /**
     * Updates one parameter. {@code grad} is modified (weight decay is added to it in place): it is
     * the parameter's own gradient, which {@link #step} clears right after.
     */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        addWeightDecay(weight, grad, weightDecayOf(parameterId, weightDecay));
        NDArray step;
        if (momentum != 0f) {
            NDArray buffer = buffers.get(parameterId);
            if (buffer == null) {
                // torch starts the buffer at the first gradient
                buffer = copy(grad, weight.getManager());
                buffers.put(parameterId, buffer);
            } else {
                buffer.muli(momentum).addi(grad);
            }
            step = buffer;
        } else {
            step = grad;
        }
        try (NDArray scaled = step.mul(learningRate())) {
            weight.subi(scaled);
        }
    }

    /** The momentum buffers by parameter id. */
    @Override
    public Map<String, NDArray> state() {
        return buffers;
    }

    @Override
    public void restoreState(Map<String, NDArray> saved, NDManager manager) {
        buffers.values().forEach(NDArray::close);
        buffers.clear();
        saved.forEach((id, array) -> buffers.put(id, copy(array, manager)));
    }
}
