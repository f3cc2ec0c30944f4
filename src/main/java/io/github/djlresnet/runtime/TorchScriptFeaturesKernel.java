package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
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

    /** NCHW throughout. */
    public static final int NCHW = 0;

    /** Channels-last throughout ({@code --channels-last}). */
    public static final int CHANNELS_LAST = 1;

    /**
     * fp32's own layout: channels-last for the stem and every block whose maps are at least this
     * many px a side, NCHW below. Measured (bench/RESULTS.md, "Channels-last where it pays"): a
     * 3x3 fp32 convolution with its backward at batch 128 took 80-91 ms channels-last against
     * 98-100 NCHW at 28x28 (64 channels), 72-74 against 75-78 at 14x14, the same at 7x7, and 119-121
     * against 91-95 at 4x4 (512 channels). Those were AVX-512 numbers (Intel machine); on AVX2-only
     * CPUs fp32 inference runs channels-last throughout instead ({@link Precision#inferenceKernel}).
     */
    public static final int FP32_CHANNELS_LAST_FROM = 7;

    /** [bf16, channelsLastFrom, training, layout...] tensors, made once per JVM and reused. */
    private static final Map<String, NDArray> CONFIGS = new ConcurrentHashMap<>();

    /** [momentum, epsilon] in torch's convention: DJL's BatchNorm passes 1 - momentum to LibTorch. */
    private static NDArray batchNorm;

    private final boolean bf16;
    private final int channelsLastFrom;

    /** NCHW or channels-last throughout. */
    public TorchScriptFeaturesKernel(boolean bf16, boolean channelsLast) {
        this(bf16, channelsLast ? CHANNELS_LAST : NCHW);
    }

    /**
     * @param channelsLastFrom {@link #NCHW}, {@link #CHANNELS_LAST}, or k: channels-last for the
     *     stem and every block whose maps are at least k px a side, NCHW below
     */
    public TorchScriptFeaturesKernel(boolean bf16, int channelsLastFrom) {
        if (channelsLastFrom < 0) {
            throw new IllegalArgumentException("channelsLastFrom must be 0 or more, got " + channelsLastFrom);
        }
        this.bf16 = bf16;
        this.channelsLastFrom = channelsLastFrom;
        TorchScriptModules.load(RESOURCE);
    }

    public boolean bf16() {
        return bf16;
    }

    /** {@link #NCHW}, {@link #CHANNELS_LAST} or the smallest map side kept channels-last. */
    public int channelsLastFrom() {
        return channelsLastFrom;
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
            return TorchScriptModules.forward(RESOURCE, in, training).singletonOrThrow();
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
        values[1] = channelsLastFrom;
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
