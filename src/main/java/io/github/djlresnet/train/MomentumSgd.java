package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
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
public final class MomentumSgd extends Optimizer {

    private final float momentum;
    private final float weightDecay;
    private volatile float learningRate;
    private final Map<String, NDArray> buffers = new TreeMap<>();
    private List<Parameter> trainable;

    public MomentumSgd(float learningRate, float momentum, float weightDecay) {
        super(new Builder());
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    /** Sets the rate for the following steps (the schedule calls this before every step). */
    public void setLearningRate(float learningRate) {
        this.learningRate = learningRate;
    }

    public float learningRate() {
        return learningRate;
    }

    /**
     * One optimizer step over every trainable parameter of {@code block}, reading each gradient in
     * place. {@code Trainer.step()} would route the update through DJL's LocalParameterServer,
     * which first copies every gradient (85 MB a step for ResNet-34); on one device that copy
     * buys nothing.
     */
    public void step(Block block) {
        if (trainable == null) {
            trainable = new ArrayList<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    trainable.add(p.getValue());
                }
            }
        }
        for (Parameter p : trainable) {
            NDArray weight = p.getArray();
            try (NDArray grad = weight.getGradient()) {
                update(p.getId(), weight, grad);
            }
        }
    }

    /**
     * Updates one parameter. {@code grad} is modified (weight decay is added to it in place): it is
     * either DJL's private copy or the gradient that is zeroed right after.
     */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        if (weightDecay != 0f) {
            try (NDArray decay = weight.mul(weightDecay)) {
                grad.addi(decay);
            }
        }
        NDArray step;
        if (momentum != 0f) {
            NDArray buffer = buffers.get(parameterId);
            if (buffer == null) {
                // torch starts the buffer at the first gradient
                buffer = grad.duplicate();
                buffer.attach(weight.getManager());
                buffers.put(parameterId, buffer);
            } else {
                buffer.muli(momentum).addi(grad);
            }
            step = buffer;
        } else {
            step = grad;
        }
        try (NDArray scaled = step.mul(learningRate)) {
            weight.subi(scaled);
        }
        zeroGradient(weight);
    }

    /** PyTorch accumulates gradients; clear the parameter's own gradient for the next step. */
    private static void zeroGradient(NDArray weight) {
        JniUtils.zeroGrad((PtNDArray) weight);
    }

    /** The momentum buffers by parameter id (live arrays; do not close). */
    public Map<String, NDArray> buffers() {
        return buffers;
    }

    /** Replaces the momentum buffers with copies of {@code saved}, owned by {@code manager}. */
    public void restoreBuffers(Map<String, NDArray> saved, NDManager manager) {
        buffers.values().forEach(NDArray::close);
        buffers.clear();
        for (Map.Entry<String, NDArray> e : saved.entrySet()) {
            NDArray copy = e.getValue().duplicate();
            copy.attach(manager);
            buffers.put(e.getKey(), copy);
        }
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
