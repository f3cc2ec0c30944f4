package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djlresnet.model.BasicBlock;
import io.github.djlresnet.model.FeaturesKernel;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ResNet's stem and all its BasicBlocks in one call into {@code features_kernel.pt} (see
 * {@code src/main/torchscript/make_kernels.py} for what it computes). With bf16 the input is cast
 * to bfloat16 once and the activations stay bf16 to the end of the last block, as under PyTorch's
 * CPU autocast; DJL only ever holds the fp32 input and output. BatchNorm's gamma, beta and running
 * statistics stay fp32 and are the DJL parameter arrays' storage (the running statistics are
 * updated in place in training, with DJL's momentum and epsilon).
 *
 * <p>The parameters travel as one TorchScript list: DJL groups input arrays named {@code p[]} into
 * a list argument. The parameter arrays keep their own names, so each is passed as a view (same
 * storage, tracked by autograd), named for the call and closed after it. As with
 * {@link TorchScriptConvKernel}, the call runs with autograd whenever gradients are wanted, so
 * every parameter's fp32 gradient reaches DJL.
 */
public final class TorchScriptFeaturesKernel implements FeaturesKernel {

    static final String RESOURCE = "features_kernel.pt";

    /** [bf16, channelsLast, training, layout...] tensors, made once per JVM and reused. */
    private static final Map<String, NDArray> CONFIGS = new ConcurrentHashMap<>();

    /** [momentum, epsilon] in torch's convention: DJL's BatchNorm passes 1 - momentum to LibTorch. */
    private static NDArray batchNorm;

    private final boolean bf16;
    private final boolean channelsLast;

    public TorchScriptFeaturesKernel(boolean bf16, boolean channelsLast) {
        this.bf16 = bf16;
        this.channelsLast = channelsLast;
        TorchScriptModules.load(RESOURCE);
    }

    public boolean bf16() {
        return bf16;
    }

    public boolean channelsLast() {
        return channelsLast;
    }

    @Override
    public NDArray features(NDArray x, NDList parameters, long[] layout, boolean training) {
        NDList views = new NDList(parameters.size());
        for (NDArray p : parameters) {
            NDArray view = p.reshape(p.getShape());
            view.setName("p[]");
            views.add(view);
        }
        NDList in = new NDList(parameters.size() + 3);
        in.add(x);
        in.addAll(views);
        in.add(config(layout, training));
        in.add(batchNorm());
        try {
            NDList out = IValueUtils.forward(TorchScriptModules.load(RESOURCE), in,
                    training || JniUtils.isGradMode());
            return out.singletonOrThrow();
        } finally {
            views.close();
        }
    }

    @Override
    public NDArray foldedFeatures(NDArray x, NDList parameters, long[] layout) {
        return TorchScriptModules.runMethod(RESOURCE, "folded", out -> out.toTensor((PtNDManager) x.getManager()),
                IValue.from((PtNDArray) x), IValue.listFrom(TorchScriptModules.pt(parameters)),
                IValue.from((PtNDArray) config(layout, false)));
    }

    private NDArray config(long[] layout, boolean training) {
        long[] values = new long[layout.length + 3];
        values[0] = bf16 ? 1 : 0;
        values[1] = channelsLast ? 1 : 0;
        values[2] = training ? 1 : 0;
        System.arraycopy(layout, 0, values, 3, layout.length);
        return CONFIGS.computeIfAbsent(Arrays.toString(values), k -> {
            NDArray cfg = TorchScriptModules.manager().create(values);
            cfg.setName("cfg");
            return cfg;
        });
    }

    private static synchronized NDArray batchNorm() {
        if (batchNorm == null) {
            batchNorm = TorchScriptModules.manager().create(
                    new float[] {1f - BasicBlock.BN_MOMENTUM, BasicBlock.BN_EPSILON});
            batchNorm.setName("bn");
        }
        return batchNorm;
    }
}
