package io.github.djlresnet.runtime;

import io.github.djlresnet.model.FeaturesKernel;
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
     * bfloat16 on fp32 master weights, as under PyTorch's CPU autocast: the stem and all blocks
     * are one TorchScript call whose activations stay bf16 from the input to the global pool
     * (convolutions, BatchNorm with fp32 statistics, ReLU, pooling, additions). DJL never holds a
     * bf16 array (DJL 0.36 aborts the JVM on one). Gradients arrive in fp32.
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
     * The first-stage map sides (px, inclusive) for which fp32 training runs the stem and blocks as
     * one {@link TorchScriptFeaturesKernel} call in fp32's own layout
     * ({@link TorchScriptFeaturesKernel#FP32_CHANNELS_LAST_FROM}). Measured (bench/RESULTS.md,
     * "Channels-last where it pays"): s28g (28 px) 49.3-51.8 img/s against 44.6-46.2 through DJL's
     * layers. Below, w28g (7 px): 448-463 against 457-468, nothing is large enough for channels-last
     * and DJL's layers keep their 2x2 BatchNorm row layout. Above, w224 (56 px): 8-11% faster, but
     * the peak RSS of channels-last training there was 1518-1528 or 1713-1802 MiB from run to run
     * (NCHW 1466-1499, torch 2.13 1564); {@code --channels-last} still gives that speed.
     */
    public static final int FP32_FEATURES_FIRST_STAGE_MIN = 14;
    public static final int FP32_FEATURES_FIRST_STAGE_MAX = 28;

    /**
     * The training network's kernel for the stem and all blocks at once, or null for DJL's layers
     * one by one: bf16 always (NCHW or channels-last as asked); fp32 without --channels-last when the
     * first stage's maps ({@code firstStageSide} px a side) are in
     * {@link #FP32_FEATURES_FIRST_STAGE_MIN}..{@link #FP32_FEATURES_FIRST_STAGE_MAX}, in fp32's own
     * layout (channels-last where the maps are large, NCHW below).
     */
    public FeaturesKernel featuresKernel(boolean channelsLast, int firstStageSide) {
        if (this == BF16) {
            return new TorchScriptFeaturesKernel(true, channelsLast);
        }
        boolean pays = firstStageSide >= FP32_FEATURES_FIRST_STAGE_MIN && firstStageSide <= FP32_FEATURES_FIRST_STAGE_MAX;
        return !channelsLast && pays
                ? new TorchScriptFeaturesKernel(false, TorchScriptFeaturesKernel.FP32_CHANNELS_LAST_FROM)
                : null;
    }

    /**
     * The kernel of the folded inference network: channels-last throughout if asked; else NCHW in
     * bf16 and fp32's own layout (channels-last where the maps are at least
     * {@link TorchScriptFeaturesKernel#FP32_CHANNELS_LAST_FROM} px a side) in fp32.
     */
    public TorchScriptFeaturesKernel inferenceKernel(boolean channelsLast) {
        if (channelsLast) {
            return new TorchScriptFeaturesKernel(this == BF16, TorchScriptFeaturesKernel.CHANNELS_LAST);
        }
        return this == BF16 ? new TorchScriptFeaturesKernel(true, TorchScriptFeaturesKernel.NCHW)
                : new TorchScriptFeaturesKernel(false, TorchScriptFeaturesKernel.FP32_CHANNELS_LAST_FROM);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
