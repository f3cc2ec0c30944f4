package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.djlresnet.model.BasicBlock;
import io.github.djlresnet.model.BlockKernel;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A whole BasicBlock in one call into {@code block_kernel.pt} (see
 * {@code src/main/torchscript/make_kernels.py} for what it computes). With bf16 the block's input
 * is cast to bfloat16 once and its activations stay bf16 until the output, as under PyTorch's CPU
 * autocast; DJL only ever holds the fp32 input and output. BatchNorm's gamma, beta and running
 * statistics stay fp32 and are the DJL parameter arrays themselves (the running statistics are
 * updated in place in training, with DJL's momentum and epsilon).
 *
 * <p>As with {@link TorchScriptConvKernel}, the call runs with autograd whenever gradients are
 * wanted, so every parameter's fp32 gradient reaches DJL.
 */
public final class TorchScriptBlockKernel implements BlockKernel {

    static final String RESOURCE = "block_kernel.pt";

    /** [stride, projects, bf16, channelsLast, training] tensors, made once per JVM and reused. */
    private static final Map<Integer, NDArray> CONFIGS = new ConcurrentHashMap<>();

    /** Other small constant tensors (the stem's configurations, the method marker), by key. */
    private static final Map<String, NDArray> CONSTANTS = new ConcurrentHashMap<>();

    /** [momentum, epsilon] in torch's convention: DJL's BatchNorm passes 1 - momentum to LibTorch. */
    private static NDArray batchNorm;

    private final boolean bf16;
    private final boolean channelsLast;

    public TorchScriptBlockKernel(boolean bf16, boolean channelsLast) {
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
    public NDArray basicBlock(NDArray x, NDList parameters, int stride, boolean projects, boolean training) {
        NDList in = new NDList(18);
        in.add(x);
        in.addAll(parameters);
        for (int i = parameters.size(); i < 15; i++) {
            in.add(x); // the projection's slots, ignored without one
        }
        in.add(config(stride, projects, training));
        in.add(batchNorm());
        NDList out = IValueUtils.forward(TorchScriptModules.load(RESOURCE), in, training || JniUtils.isGradMode());
        return out.singletonOrThrow();
    }

    /**
     * The stem through the module's {@code stem} method: DJL calls the method that an input array
     * named {@code module_method:NAME} names (the array itself is not passed), with autograd as
     * for {@code forward}.
     */
    @Override
    public NDArray stem(NDArray x, NDList parameters, int stride, int padding, boolean maxPool, boolean training) {
        NDList in = new NDList(9);
        in.add(x);
        in.addAll(parameters);
        in.add(stemConfig(stride, padding, maxPool, training));
        in.add(batchNorm());
        in.add(constant("module_method:stem", new long[] {0}));
        NDList out = IValueUtils.forward(TorchScriptModules.load(RESOURCE), in, training || JniUtils.isGradMode());
        return out.singletonOrThrow();
    }

    private NDArray stemConfig(int stride, int padding, boolean maxPool, boolean training) {
        long[] values = {stride, padding, maxPool ? 1 : 0, bf16 ? 1 : 0, channelsLast ? 1 : 0, training ? 1 : 0};
        return constant("stem" + Arrays.toString(values), values);
    }

    private NDArray config(int stride, boolean projects, boolean training) {
        int key = stride << 4 | (projects ? 8 : 0) | (bf16 ? 4 : 0) | (channelsLast ? 2 : 0) | (training ? 1 : 0);
        return CONFIGS.computeIfAbsent(key, k -> {
            NDArray cfg = TorchScriptModules.manager().create(new long[] {
                stride, projects ? 1 : 0, bf16 ? 1 : 0, channelsLast ? 1 : 0, training ? 1 : 0});
            cfg.setName("cfg");
            return cfg;
        });
    }

    /** A constant int64 tensor, made once per JVM; {@code key} is also its name when it is a method marker. */
    private static NDArray constant(String key, long[] values) {
        return CONSTANTS.computeIfAbsent(key, k -> {
            NDArray array = TorchScriptModules.manager().create(values);
            array.setName(k.startsWith("module_method:") ? k : "cfg");
            return array;
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
