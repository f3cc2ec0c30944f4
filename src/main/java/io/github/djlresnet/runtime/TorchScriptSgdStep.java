package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.util.List;

/**
 * One SGD step over a list of parameters as a single call into {@code sgd_kernel.pt} (written by
 * {@code src/main/torchscript/make_kernels.py}; see its {@code SgdKernel}): torch's fused SGD
 * ({@code torch.optim.SGD(fused=True)}, no dampening, no Nesterov), which reads each parameter's
 * gradient itself, updates parameters and momentum buffers in one pass, then zeroes the gradients.
 *
 * <p>Why: with DJL's NDArray calls a parameter's update takes eight JNI calls and two temporary
 * arrays (about 900 calls a ResNet-34 step) and many passes over memory; measured in
 * bench/RESULTS.md. DJL runs a TorchScript method without autograd, which is what an in-place
 * update of a leaf needs.
 */
public final class TorchScriptSgdStep {

    static final String RESOURCE = "sgd_kernel.pt";

    private TorchScriptSgdStep() {}

    /**
     * {@code g = grad + weightDecay * p; buf = momentum * buf + g; p -= lr * buf}, then grad = 0,
     * for every parameter; {@code buffers} pairs with {@code parameters} by index (zeros before a
     * parameter's first step). With {@code momentum} 0, {@code buffers} is empty and
     * {@code p -= lr * g}. Every parameter must already have a gradient.
     */
    public static void step(List<NDArray> parameters, List<NDArray> buffers, double lr, double momentum,
            double weightDecay) {
        checkBuffers(parameters, buffers, momentum);
        if (parameters.isEmpty()) {
            return;
        }
        run("forward", parameters.size(), IValue.listFrom(TorchScriptModules.pt(parameters)),
                IValue.listFrom(TorchScriptModules.pt(buffers)), IValue.from(lr), IValue.from(momentum),
                IValue.from(weightDecay));
    }

    /**
     * The backward pass of the scalar {@code loss} and the step above in one call, the gradients
     * taken with {@code torch.autograd.grad} and freed after the step (never stored in the
     * parameters, as torch's {@code zero_grad(set_to_none=True)}: no zeroing, no accumulation).
     * {@code parameters} come in groups of {@code sizes[k]} with weight decay {@code decays[k]};
     * every parameter must take part in the loss (LibTorch says which does not).
     */
    public static void backwardAndStep(NDArray loss, List<NDArray> parameters, List<NDArray> buffers,
            long[] sizes, double[] decays, double lr, double momentum) {
        checkBuffers(parameters, buffers, momentum);
        run("backward_step", parameters.size(), IValue.from((PtNDArray) loss),
                IValue.listFrom(TorchScriptModules.pt(parameters)), IValue.listFrom(TorchScriptModules.pt(buffers)),
                IValue.listFrom(sizes), IValue.listFrom(decays), IValue.from(lr), IValue.from(momentum));
    }

    /** One momentum buffer per parameter, or none without momentum. */
    private static void checkBuffers(List<NDArray> parameters, List<NDArray> buffers, double momentum) {
        if (buffers.size() != (momentum == 0 ? 0 : parameters.size())) {
            throw new IllegalArgumentException(
                    buffers.size() + " momentum buffers for " + parameters.size() + " parameters, momentum " + momentum);
        }
    }

    /** Runs {@code method} and checks the count of parameters it says it updated. */
    private static void run(String method, int parameters, IValue... args) {
        long updated = TorchScriptModules.runMethod(RESOURCE, method, IValue::toLong, args);
        if (updated != parameters) {
            throw new IllegalStateException("sgd_kernel updated " + updated + " parameters");
        }
    }
}
