package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.djlresnet.runtime.TorchScriptSgdStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 *
 * <p>The arithmetic is LibTorch's fused SGD ({@link TorchScriptSgdStep}, as
 * {@code torch.optim.SGD(fused=True)}), one call instead of eight DJL calls per parameter: in
 * training ({@link TrainBatch}) the backward pass and the step together
 * ({@link #backwardAndStep}), after a separate backward pass one call per weight decay
 * ({@link #step}). {@link #update} is the same formula for one parameter in DJL operations, for
 * DJL's own {@code Trainer.step()}.
 */
public final class MomentumSgd extends StepOptimizer {

    private final float momentum;
    private final float weightDecay;
    private final Map<String, NDArray> buffers = new TreeMap<>();
    /** The trainable parameters by weight decay, in the block's order; built at the first step. */
    private Map<Float, List<Parameter>> groups;
    private boolean gradientsChecked;

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

    @Override
    protected void updateAll(List<Parameter> trainable) {
        if (!gradientsChecked) {
            gradientsChecked = true;
            for (Parameter p : trainable) {
                // the kernel cannot tell a missing gradient (and DJL's getGradient would invent zeros)
                try (PtNDArray grad = JniUtils.getGradient((PtNDArray) p.getArray())) {
                    if (grad == null) {
                        throw new IllegalStateException("parameter " + p.getName() + " (" + p.getId()
                                + ") has no gradient: every trainable parameter must take part in the loss");
                    }
                }
            }
        }
        for (Map.Entry<Float, List<Parameter>> group : groups(trainable).entrySet()) {
            List<NDArray> weights = new ArrayList<>(group.getValue().size());
            List<NDArray> steps = new ArrayList<>(group.getValue().size());
            collect(group.getValue(), weights, steps);
            TorchScriptSgdStep.step(weights, steps, learningRate(), momentum, group.getKey());
        }
    }

    /**
     * The backward pass and the step as one call into LibTorch: the gradients are handed from the
     * backward pass to the update and freed, never zeroed or accumulated into (torch's
     * {@code zero_grad(set_to_none=True)}), so the parameters hold no gradient afterwards.
     */
    @Override
    public void backwardAndStep(GradientCollector collector, NDArray loss, Block block) {
        beforeStep();
        Map<Float, List<Parameter>> byDecay = groups(trainable(block));
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> steps = new ArrayList<>();
        long[] sizes = new long[byDecay.size()];
        double[] decays = new double[byDecay.size()];
        int k = 0;
        for (Map.Entry<Float, List<Parameter>> group : byDecay.entrySet()) {
            collect(group.getValue(), weights, steps);
            sizes[k] = group.getValue().size();
            decays[k++] = group.getKey();
        }
        TorchScriptSgdStep.backwardAndStep(loss, weights, steps, sizes, decays, learningRate(), momentum);
    }

    /** The trainable parameters by weight decay, in the block's order; built once. */
    private Map<Float, List<Parameter>> groups(List<Parameter> trainable) {
        if (groups == null) {
            groups = new LinkedHashMap<>();
            for (Parameter p : trainable) {
                groups.computeIfAbsent(weightDecayOf(p.getId(), weightDecay), k -> new ArrayList<>()).add(p);
            }
        }
        return groups;
    }

    /** Adds each parameter's array to {@code weights} and, with momentum, its buffer to {@code steps}. */
    private void collect(List<Parameter> group, List<NDArray> weights, List<NDArray> steps) {
        for (Parameter p : group) {
            NDArray weight = p.getArray();
            weights.add(weight);
            if (momentum != 0f) {
                // zeros: 0 * momentum + g is torch's first buffer, the gradient itself, exactly
                steps.add(buffers.computeIfAbsent(p.getId(), id -> weight.zerosLike()));
            }
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
