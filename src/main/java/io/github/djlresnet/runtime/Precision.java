package io.github.djlresnet.runtime;

import io.github.djlresnet.model.BlockKernel;
import io.github.djlresnet.model.ConvKernel;
import io.github.djlresnet.model.InvalidInputException;
import java.util.Locale;

/**
 * The arithmetic of the convolutions ({@code --precision}). Everything else (BatchNorm, the
 * fully connected layer, the loss, the optimizer and the saved parameters) is fp32 either way.
 */
public enum Precision {
    /** DJL's own fp32 convolution. */
    FP32,
    /**
     * bfloat16 convolutions on fp32 master weights, as under PyTorch's CPU autocast: each
     * BasicBlock is one TorchScript call whose activations stay bf16 from its input to its output
     * (BatchNorm, ReLU and the addition on bf16 arrays with fp32 statistics); the stem's
     * convolution casts in and out on its own. DJL never holds a bf16 array (DJL 0.36 aborts the
     * JVM on one). Gradients arrive in fp32.
     */
    BF16;

    public static Precision parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidInputException("precision must be fp32 or bf16, got '" + text + "'");
        }
    }

    /**
     * The convolution kernel for this precision and layout: null (DJL's Conv2d) for plain fp32,
     * else a {@link TorchScriptConvKernel}.
     */
    public ConvKernel kernel(boolean channelsLast) {
        if (this == FP32 && !channelsLast) {
            return null;
        }
        return new TorchScriptConvKernel(this == BF16, channelsLast);
    }

    /**
     * The whole-block kernel for this precision and layout: a {@link TorchScriptBlockKernel} for
     * bf16, null (block by block) for fp32.
     */
    public BlockKernel blockKernel(boolean channelsLast) {
        return this == BF16 ? new TorchScriptBlockKernel(true, channelsLast) : null;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
