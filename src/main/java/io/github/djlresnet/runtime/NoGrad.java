package io.github.djlresnet.runtime;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns LibTorch's autograd off for a scope: evaluation then records no graph, which is both
 * faster and lighter (the equivalent of torch.no_grad()).
 */
public final class NoGrad implements AutoCloseable {

    private final boolean previous;

    public NoGrad() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
