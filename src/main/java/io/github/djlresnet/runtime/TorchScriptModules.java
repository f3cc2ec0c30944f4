package io.github.djlresnet.runtime;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The weight-free TorchScript kernels shipped on the class path ({@code conv_kernel.pt},
 * {@code features_kernel.pt}, {@code sgd_kernel.pt}, written by
 * {@code src/main/torchscript/make_kernels.py}), each loaded
 * once per JVM, and the manager that holds them and their small configuration tensors for the
 * JVM's lifetime.
 */
final class TorchScriptModules {

    private static final Map<String, PtSymbolBlock> MODULES = new HashMap<>();
    private static NDManager manager;

    private TorchScriptModules() {}

    /** The module in {@code resource}, loaded on first use; a missing one is a packaging bug. */
    static synchronized PtSymbolBlock load(String resource) {
        PtSymbolBlock module = MODULES.get(resource);
        if (module == null) {
            try (InputStream in = TorchScriptModules.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + " is missing from the class path");
                }
                module = JniUtils.loadModule((PtNDManager) manager(),
                        new ByteArrayInputStream(in.readAllBytes()), false, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            MODULES.put(resource, module);
        }
        return module;
    }

    /**
     * Runs {@code method} of the module in {@code resource} (without autograd, as DJL's
     * {@code runMethod} does) and reads its result with {@code read}; the arguments and the result
     * are closed after the call.
     */
    static <T> T runMethod(String resource, String method, Function<IValue, T> read, IValue... args) {
        unoptimized();
        try (IValue result = IValueUtils.runMethod(load(resource), method, args)) {
            return read.apply(result);
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }

    /**
     * Runs the module in {@code resource} on {@code inputs}, with autograd when {@code training} or
     * when the caller records gradients (as DJL's own blocks decide), else under inference mode.
     */
    static NDList forward(String resource, NDList inputs, boolean training) {
        unoptimized();
        return IValueUtils.forward(load(resource), inputs, training || JniUtils.isGradMode());
    }

    /**
     * Turns TorchScript's graph optimizer off on this thread; called before every kernel call, so
     * that each call computes what the module's code says, as eager PyTorch does. With it on
     * (LibTorch's default) every call after a module's first ran the profiling executor's optimized
     * plan, whose autodiff gradients through the features kernel were about 3e-3 of a step away from
     * the first call's (and from the per-convolution path's, bit for bit equal to the first) after
     * one training step and a whole step away after two (ResNet-18, channels-last, fp32;
     * ChannelsLastStepTest, found 2026-12-07). LibTorch keeps the setting per thread; it is the one
     * DJL's {@code ai.djl.pytorch.graph_optimizer=false} sets, and it stays off for other TorchScript
     * models run on the same thread.
     */
    private static void unoptimized() {
        JniUtils.setGraphExecutorOptimize(false);
    }

    /** The arrays as the PyTorch engine's own, for a TorchScript list argument. */
    static PtNDArray[] pt(List<NDArray> arrays) {
        PtNDArray[] pt = new PtNDArray[arrays.size()];
        for (int i = 0; i < pt.length; i++) {
            pt[i] = (PtNDArray) arrays.get(i);
        }
        return pt;
    }

    /** A manager that lives as long as the JVM, for the modules' configuration tensors. */
    static synchronized NDManager manager() {
        if (manager == null) {
            EngineSetup.engine();
            manager = Engine.getEngine("PyTorch").newBaseManager();
        }
        return manager;
    }
}
