package io.github.djlresnet.runtime;

import io.github.djlresnet.model.FeaturesKernel;
import io.github.djlresnet.model.ConvKernel;
import io.github.djlresnet.model.InvalidInputException;
import java.util.Locale;
import java.util.Set;

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
     * The largest first-stage map side (px) at which fp32 training runs channels-last on CPUs
     * without AVX-512 (s28g: 28, w32: 8, w28g: 7; w224: 56 stays NCHW: its channels-last training
     * used more peak memory than torch's on the Intel machine, bench/RESULTS.md).
     */
    public static final int FP32_TRAINING_CHANNELS_LAST_UP_TO = 28;

    /**
     * The training network's kernel for the stem and all blocks at once, or null for DJL's layers
     * one by one: bf16 always (NCHW or channels-last as asked); fp32 without {@code --channels-last}
     * when {@link #fp32TrainsChannelsLast} says so for this CPU, channels-last throughout.
     */
    public FeaturesKernel featuresKernel(boolean channelsLast, int firstStageSide) {
        if (this == BF16) {
            return new TorchScriptFeaturesKernel(true, channelsLast);
        }
        return !channelsLast && fp32TrainsChannelsLast(CpuFlags.read(), firstStageSide)
                ? new TorchScriptFeaturesKernel(false, TorchScriptFeaturesKernel.CHANNELS_LAST) : null;
    }

    /**
     * Whether fp32 training runs channels-last (through the one-call features kernel) on a CPU with
     * these flags, for first-stage maps of {@code firstStageSide} px: on CPUs without AVX-512, up to
     * {@link #FP32_TRAINING_CHANNELS_LAST_UP_TO} px. There oneDNN's NCHW convolutions run on its
     * blocked direct kernels (see {@link #fp32InferenceLayout}), and s28g trained at 21.5-26.1 img/s
     * against 18.1-23.4 with DJL's NCHW layers (AMD Zen 3, 2026-12-07). On AVX-512 CPUs DJL's NCHW
     * layers stay (channels-last gained 8-10% at s28g on the Intel machine, not re-measured since
     * the two fixes of 2026-12-07 in bench/RESULTS.md).
     */
    static boolean fp32TrainsChannelsLast(Set<String> cpuFlags, int firstStageSide) {
        return CpuFlags.lacksAvx512(cpuFlags) && firstStageSide <= FP32_TRAINING_CHANNELS_LAST_UP_TO;
    }

    /**
     * The kernel of the folded inference network: channels-last throughout if asked; else NCHW in
     * bf16 and fp32's own layout for this CPU in fp32 ({@link #fp32InferenceLayout}).
     */
    public TorchScriptFeaturesKernel inferenceKernel(boolean channelsLast) {
        if (channelsLast) {
            return new TorchScriptFeaturesKernel(this == BF16, TorchScriptFeaturesKernel.CHANNELS_LAST);
        }
        return this == BF16 ? new TorchScriptFeaturesKernel(true, TorchScriptFeaturesKernel.NCHW)
                : new TorchScriptFeaturesKernel(false, fp32InferenceLayout(CpuFlags.read()));
    }

    /**
     * fp32 inference's layout on a CPU with these flags: with AVX-512, channels-last where the maps
     * are at least {@link TorchScriptFeaturesKernel#FP32_CHANNELS_LAST_FROM} px a side and NCHW
     * below (measured faster there); without it, channels-last throughout. On AVX2, oneDNN runs
     * NCHW convolutions on its blocked direct kernels, which took 1.5-7x the time of its
     * channels-last brgemm kernels at 4, 2 and 1 px maps (ONEDNN_VERBOSE, AMD Zen 3, 2026-12-06),
     * and channels-last throughout ran w28g inference at 856-962 img/s against 517-733 (bench/RESULTS.md).
     */
    static int fp32InferenceLayout(Set<String> cpuFlags) {
        return CpuFlags.lacksAvx512(cpuFlags)
                ? TorchScriptFeaturesKernel.CHANNELS_LAST : TorchScriptFeaturesKernel.FP32_CHANNELS_LAST_FROM;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
