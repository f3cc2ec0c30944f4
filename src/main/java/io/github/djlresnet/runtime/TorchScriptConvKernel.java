package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import io.github.djlresnet.model.ConvKernel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Convolutions in bfloat16 and/or channels-last, which DJL 0.36 cannot express (no memory-format
 * call in its JNI; a BFLOAT16 array aborts the JVM), done inside LibTorch by a small TorchScript
 * module: {@code conv_kernel.pt}, written by {@code src/main/torchscript/make_kernels.py} (weight
 * free, committed; see that script for what it computes). DJL only ever sees fp32 arrays.
 *
 * <p>The module is loaded once per JVM from the class path. Each convolution is one call into it
 * (about as many JNI calls as DJL's own conv plus the TorchScript interpreter's dispatch; measured
 * in bench/RESULTS.md). The call runs with autograd whenever gradients are wanted (training, or
 * grad mode on), so the weight's fp32 gradient reaches the DJL parameter and the optimizer; the
 * output then needs no clone. Without autograd (inference under {@link NoGrad}) DJL runs it as
 * inference.
 *
 * <p>Channels-last: the module makes its input channels-last, which costs one copy at the first
 * convolution; LibTorch keeps the layout through BatchNorm, ReLU, max pooling and the residual
 * additions, so every later call gets channels-last input and the conversion is a no-op.
 */
public final class TorchScriptConvKernel implements ConvKernel {

    static final String RESOURCE = "conv_kernel.pt";

    /** [stride, padding, bf16, channelsLast] tensors, made once per JVM and reused. */
    private static final Map<Long, NDArray> CONFIGS = new ConcurrentHashMap<>();

    private final boolean bf16;
    private final boolean channelsLast;

    public TorchScriptConvKernel(boolean bf16, boolean channelsLast) {
        this.bf16 = bf16;
        this.channelsLast = channelsLast;
        module();
    }

    public boolean bf16() {
        return bf16;
    }

    public boolean channelsLast() {
        return channelsLast;
    }

    @Override
    public NDArray conv2d(NDArray x, NDArray weight, int stride, int padding, boolean training) {
        return TorchScriptModules.forward(RESOURCE, new NDList(x, weight, config(stride, padding)), training)
                .singletonOrThrow();
    }

    private NDArray config(int stride, int padding) {
        long key = ((long) stride << 32) | ((long) padding << 2) | (bf16 ? 2 : 0) | (channelsLast ? 1 : 0);
        return CONFIGS.computeIfAbsent(key, k -> {
            NDArray cfg = TorchScriptModules.manager().create(new long[] {stride, padding, bf16 ? 1 : 0, channelsLast ? 1 : 0});
            cfg.setName("cfg");
            return cfg;
        });
    }

    /** The module, loaded on first use. */
    static PtSymbolBlock module() {
        return TorchScriptModules.load(RESOURCE);
    }
}
