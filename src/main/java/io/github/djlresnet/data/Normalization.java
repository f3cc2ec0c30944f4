package io.github.djlresnet.data;

import java.util.Arrays;

/**
 * Per-channel normalization applied after scaling pixels to [0, 1]: {@code (x/255 - mean) / std}.
 *
 * @param mean one value per channel
 * @param std one value per channel, all positive
 */
public record Normalization(float[] mean, float[] std) {

    /** Fashion-MNIST training-set statistics (one channel). */
    public static final Normalization FASHION_MNIST =
            new Normalization(new float[] {0.2860f}, new float[] {0.3530f});

    /** CIFAR-10 training-set statistics (RGB). */
    public static final Normalization CIFAR10 =
            new Normalization(
                    new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f});

    /** ImageNet statistics (RGB), the usual choice for arbitrary photo folders. */
    public static final Normalization IMAGENET =
            new Normalization(
                    new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    public Normalization {
        if (mean.length == 0 || mean.length != std.length) {
            throw new DataException(
                    "normalization needs one mean and one std per channel, got "
                            + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new DataException("normalization std must be positive, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    public int channels() {
        return mean.length;
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    // records compare arrays by reference; value equality is what callers and tests expect
    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
