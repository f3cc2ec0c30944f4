package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.github.djlresnet.runtime.TorchScriptSgdKernel;
import java.util.ArrayList;
import java.util.List;
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
     * With momentum, all parameters in one call into LibTorch ({@link TorchScriptSgdKernel}, the
     * same formula with torch's own in-place operations); a buffer starts as zeros, which the first
     * step turns into the gradient exactly, as torch starts it.
     */
    @Override
    protected void updateAll(List<Parameter> trainable) {
        if (momentum == 0f) {
            super.updateAll(trainable);
            return;
        }
        List<NDArray> weights = new ArrayList<>(trainable.size());
        List<NDArray> buffersInOrder = new ArrayList<>(trainable.size());
        double[] decays = new double[trainable.size()];
        NDList gradients = new NDList(trainable.size());
        try {
            for (int i = 0; i < trainable.size(); i++) {
                Parameter p = trainable.get(i);
                NDArray weight = p.getArray();
                weights.add(weight);
                gradients.add(weight.getGradient());
                buffersInOrder.add(buffers.computeIfAbsent(p.getId(), id -> zerosLike(weight)));
                decays[i] = weightDecayOf(p.getId(), weightDecay);
            }
            TorchScriptSgdKernel.step(weights, gradients, buffersInOrder, learningRate(), momentum, decays);
        } finally {
            gradients.close();
        }
    }

    private static NDArray zerosLike(NDArray weight) {
        NDArray zeros = weight.zerosLike();
        zeros.attach(weight.getManager());
        return zeros;
    }

    /**
     * Updates one parameter: DJL's per-parameter entry point, and {@link #step}'s path without
     * momentum (with momentum {@link #updateAll} updates all at once). {@code grad} is modified
     * (weight decay is added to it in place): it is the parameter's own gradient, which
     * {@link #step} clears right after.
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
