package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import io.github.djlresnet.runtime.NoGrad;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An optimizer the training app steps itself, with a learning rate the schedule sets before every
 * step and a state that checkpoints save and restore exactly.
 *
 * <p>DJL's own optimizers keep their state private (so a resumed run cannot continue them) and
 * take their rate from a tracker; {@code Trainer.step()} also routes every update through DJL's
 * LocalParameterServer, which first copies each gradient (85 MB a step for ResNet-34). Here each
 * gradient is read in place and cleared after its update, since LibTorch accumulates gradients.
 */
public abstract class StepOptimizer extends Optimizer {

    private volatile float learningRate;
    private List<Parameter> trainable;
    private float normWeightDecay = Float.NaN;
    private final java.util.Set<String> normGroup = new java.util.HashSet<>();

    protected StepOptimizer(float learningRate) {
        super(new Builder());
        this.learningRate = learningRate;
    }

    /**
     * Gives BatchNorm weights and biases (DJL's {@code GAMMA} and {@code BETA} parameters) and all
     * biases ({@code BIAS}: in a ResNet the fully connected layer's) this weight decay instead of
     * the optimizer's; NaN (the default) keeps one value for all, as torchvision's
     * {@code set_weight_decay} with {@code norm_weight_decay=None}.
     */
    public StepOptimizer withNormWeightDecay(float decay) {
        this.normWeightDecay = decay;
        return this;
    }

    /** The weight decay of parameter {@code parameterId}: {@code weightDecay} or the norm group's. */
    protected float weightDecayOf(String parameterId, float weightDecay) {
        return !Float.isNaN(normWeightDecay) && normGroup.contains(parameterId) ? normWeightDecay : weightDecay;
    }

    /** Whether a parameter of this type is in the norm group of {@link #withNormWeightDecay}. */
    static boolean inNormGroup(Parameter.Type type) {
        return type == Parameter.Type.GAMMA || type == Parameter.Type.BETA || type == Parameter.Type.BIAS;
    }

    /** Sets the rate for the following steps. */
    public void setLearningRate(float learningRate) {
        this.learningRate = learningRate;
    }

    public float learningRate() {
        return learningRate;
    }

    /** One step over every trainable parameter of {@code block}, after a backward pass. */
    public void step(Block block) {
        beforeStep();
        updateAll(trainable(block));
    }

    /**
     * The backward pass of {@code loss} (inside {@code collector}) and one step. This one runs
     * DJL's backward, then {@link #step}; an optimizer may do both at once.
     */
    public void backwardAndStep(GradientCollector collector, NDArray loss, Block block) {
        collector.backward(loss);
        try (NoGrad off = new NoGrad()) { // in-place updates of leaves must not be recorded
            step(block);
        }
    }

    /** The parameters of {@code block} that take gradients, in the block's order (found once). */
    protected List<Parameter> trainable(Block block) {
        if (trainable == null) {
            trainable = new ArrayList<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    trainable.add(p.getValue());
                    if (inNormGroup(p.getValue().getType())) {
                        normGroup.add(p.getValue().getId());
                    }
                }
            }
        }
        return trainable;
    }

    /** Updates every parameter in {@code trainable} and clears its gradient: one {@link #update} each. */
    protected void updateAll(List<Parameter> trainable) {
        for (Parameter p : trainable) {
            NDArray weight = p.getArray();
            try (NDArray grad = weight.getGradient()) {
                update(p.getId(), weight, grad);
            }
            JniUtils.zeroGrad((PtNDArray) weight);
        }
    }

    /** Called once before each step's updates (Adam counts its steps here). */
    protected void beforeStep() {}

    /**
     * The state by key: a parameter id, optionally followed by {@code #} and a part name, or
     * {@code #} and a name for state that belongs to no parameter. Live arrays; do not close.
     */
    public abstract Map<String, NDArray> state();

    /** Replaces the state with copies of {@code saved} (keys as in {@link #state()}), owned by {@code manager}. */
    public abstract void restoreState(Map<String, NDArray> saved, NDManager manager);

    /** torch's L2 weight decay: {@code grad += weightDecay * weight}, in place. */
    static void addWeightDecay(NDArray weight, NDArray grad, float weightDecay) {
        if (weightDecay != 0f) {
            try (NDArray decay = weight.mul(weightDecay)) {
                grad.addi(decay);
            }
        }
    }

    /** A copy of {@code array} owned by {@code manager}. */
    static NDArray copy(NDArray array, NDManager manager) {
        NDArray copy = array.duplicate();
        copy.attach(manager);
        return copy;
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
