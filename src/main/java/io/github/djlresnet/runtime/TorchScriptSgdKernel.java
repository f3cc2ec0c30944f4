package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.jni.IValueUtils;
import java.util.List;

/**
 * One step of torch.optim.SGD (momentum and weight decay) over every parameter in one call into
 * {@code sgd_kernel.pt} (see {@code src/main/torchscript/make_kernels.py}): the gradients are
 * updated with weight decay, the momentum buffers and the weights in place with torch's own alpha
 * forms, and the gradients are zeroed. Built from DJL operations the same step took seven calls and
 * two temporaries per parameter (w224: 110 parameters, 85 MB each pass); the measurement is in
 * bench/RESULTS.md ("The optimizer in one call").
 *
 * <p>Runs without autograd (the kernel also says {@code no_grad}). The arrays travel as views named
 * {@code p[]} so that the callers' own arrays keep their names.
 */
public final class TorchScriptSgdKernel {

    static final String RESOURCE = "sgd_kernel.pt";

    private TorchScriptSgdKernel() {}

    /**
     * Updates {@code weights} and {@code buffers} in place and zeroes {@code gradients}; the three
     * lists are parallel, {@code weightDecays} has one value per weight.
     */
    public static void step(List<NDArray> weights, List<NDArray> gradients, List<NDArray> buffers,
            float learningRate, float momentum, double[] weightDecays) {
        int n = weights.size();
        if (gradients.size() != n || buffers.size() != n || weightDecays.length != n) {
            throw new IllegalArgumentException("weights, gradients, buffers and decays differ in length");
        }
        double[] h = new double[n + 2];
        h[0] = learningRate;
        h[1] = momentum;
        System.arraycopy(weightDecays, 0, h, 2, n);
        NDList in = new NDList(3 * n + 1);
        try {
            for (int i = 0; i < n; i++) {
                in.add(view(weights.get(i)));
                in.add(view(gradients.get(i)));
                in.add(view(buffers.get(i)));
            }
            NDArray hyper = TorchScriptModules.manager().create(h);
            hyper.setName("h");
            in.add(hyper);
            IValueUtils.forward(TorchScriptModules.load(RESOURCE), in, false).close();
        } finally {
            in.close();
        }
    }

    private static NDArray view(NDArray array) {
        NDArray view = array.reshape(array.getShape());
        view.setName("p[]");
        return view;
    }
}
