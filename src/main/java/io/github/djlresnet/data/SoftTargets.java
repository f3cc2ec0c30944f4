package io.github.djlresnet.data;

import java.util.SplittableRandom;

/**
 * Batch-level training targets: label smoothing and torchvision's {@code RandomMixup} /
 * {@code RandomCutmix} (references/classification/transforms.py), applied to a {@link HostBatch}
 * on the host before it is staged.
 *
 * <p>For a batch x with labels y (one-hot over K classes), rolled by one along the batch
 * ({@code roll(1, 0)}: image i is paired with image i-1, image 0 with the last):
 * <ul>
 *   <li>mixup: lambda ~ Beta(a, a); x = lambda x + (1 - lambda) x_rolled;
 *   <li>cutmix: lambda ~ Beta(a, a); a centre (r_x, r_y) uniform over the pixels, half-sides
 *       int(r W), int(r H) with r = sqrt(1 - lambda) / 2, the box clipped to the image is pasted
 *       from x_rolled, and lambda becomes 1 - box area / image area;
 *   <li>target = lambda onehot(y) + (1 - lambda) onehot(y_rolled), then with smoothing e:
 *       (1 - e) target + e / K (torch's {@code CrossEntropyLoss(label_smoothing=e)}).
 * </ul>
 * With both alphas given, each batch uses one of the two with probability 1/2 (torchvision's
 * {@code RandomChoice}); every batch is mixed (p = 1, as train.py builds them). The draws come
 * from a generator seeded by (seed, epoch, batch index), so a resumed run mixes the same way.
 */
public final class SoftTargets {

    private static final long SALT = 0x6d69787570L; // "mixup": a stream apart from the per-image ones

    private final int classes;
    private final double smoothing;
    private final double mixupAlpha;
    private final double cutmixAlpha;
    private final long seed;

    public SoftTargets(int classes, double smoothing, double mixupAlpha, double cutmixAlpha, long seed) {
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new DataException("--label-smoothing must be in [0, 1), got " + smoothing);
        }
        if (!(mixupAlpha >= 0 && Double.isFinite(mixupAlpha))) {
            throw new DataException("--mixup-alpha must be 0 (off) or positive, got " + mixupAlpha);
        }
        if (!(cutmixAlpha >= 0 && Double.isFinite(cutmixAlpha))) {
            throw new DataException("--cutmix-alpha must be 0 (off) or positive, got " + cutmixAlpha);
        }
        this.classes = classes;
        this.smoothing = smoothing;
        this.mixupAlpha = mixupAlpha;
        this.cutmixAlpha = cutmixAlpha;
        this.seed = seed;
    }

    /** Whether this changes anything (otherwise batches keep their class-index labels). */
    public boolean active() {
        return smoothing > 0 || mixupAlpha > 0 || cutmixAlpha > 0;
    }

    /**
     * What one batch got: which mix ("none", "mixup" or "cutmix"), the lambda its labels use (for
     * cutmix corrected to the box), the Beta draw it came from, and for cutmix the box's centre
     * (rx, ry) and corners [x1, x2) x [y1, y2).
     */
    public record Mix(String kind, double lambda, double drawn, int rx, int ry, int x1, int y1, int x2, int y2) {}

    /** The mix batch {@code batch} of epoch {@code epoch} gets (the draws {@link #apply} makes). */
    public Mix draw(int epoch, int batch, int height, int width) {
        if (mixupAlpha == 0 && cutmixAlpha == 0) {
            return new Mix("none", 1, 1, 0, 0, 0, 0, 0, 0);
        }
        SplittableRandom rng = new SplittableRandom(mix(mix(mix(seed, SALT), epoch), batch));
        boolean cutmix = mixupAlpha > 0 && cutmixAlpha > 0 ? rng.nextBoolean() : cutmixAlpha > 0;
        double lambda = beta(rng, cutmix ? cutmixAlpha : mixupAlpha);
        if (!cutmix) {
            return new Mix("mixup", lambda, lambda, 0, 0, 0, 0, 0, 0);
        }
        int rx = rng.nextInt(width);
        int ry = rng.nextInt(height);
        double r = 0.5 * Math.sqrt(1.0 - lambda);
        int rw = (int) (r * width);
        int rh = (int) (r * height);
        int x1 = Math.max(rx - rw, 0);
        int y1 = Math.max(ry - rh, 0);
        int x2 = Math.min(rx + rw, width);
        int y2 = Math.min(ry + rh, height);
        double corrected = 1.0 - (double) (x2 - x1) * (y2 - y1) / ((double) width * height);
        return new Mix("cutmix", corrected, lambda, rx, ry, x1, y1, x2, y2);
    }

    /**
     * Batch {@code batch} of epoch {@code epoch} with mixed images and soft labels
     * ({@code size * classes} floats, row by row); the input is not changed.
     */
    public HostBatch apply(HostBatch hb, int epoch, int batch) {
        int n = hb.size();
        int image = hb.channels() * hb.height() * hb.width();
        Mix m = draw(epoch, batch, hb.height(), hb.width());
        float[] x = hb.data();
        float[] out = x;
        float lambda = (float) m.lambda();
        if (m.kind().equals("mixup")) {
            out = new float[x.length];
            float rest = (float) (1.0 - m.lambda());
            for (int i = 0; i < n; i++) {
                int from = ((i + n - 1) % n) * image;
                for (int p = 0; p < image; p++) {
                    out[i * image + p] = lambda * x[i * image + p] + rest * x[from + p];
                }
            }
        } else if (m.kind().equals("cutmix")) {
            out = x.clone();
            int plane = hb.height() * hb.width();
            for (int i = 0; i < n; i++) {
                int from = ((i + n - 1) % n) * image;
                for (int c = 0; c < hb.channels(); c++) {
                    for (int y = m.y1(); y < m.y2(); y++) {
                        int row = c * plane + y * hb.width();
                        System.arraycopy(x, from + row + m.x1(), out, i * image + row + m.x1(), m.x2() - m.x1());
                    }
                }
            }
        }
        float[] labels = new float[n * classes];
        float keep = (float) m.lambda();
        float other = (float) (1.0 - m.lambda());
        for (int i = 0; i < n; i++) {
            int y = (int) hb.labels()[i];
            int yRolled = (int) hb.labels()[(i + n - 1) % n];
            labels[i * classes + y] += keep;
            labels[i * classes + yRolled] += other;
        }
        if (smoothing > 0) {
            float scale = (float) (1.0 - smoothing);
            float floor = (float) (smoothing / classes);
            for (int k = 0; k < labels.length; k++) {
                labels[k] = labels[k] * scale + floor;
            }
        }
        return new HostBatch(out, labels, n, hb.channels(), hb.height(), hb.width());
    }

    /** Beta(a, a) as a normalized pair of Gamma(a) draws (what torch's _sample_dirichlet does). */
    static double beta(SplittableRandom rng, double a) {
        double x = gamma(rng, a);
        double y = gamma(rng, a);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /** Gamma(a, 1) by Marsaglia and Tsang (2000); for a < 1 boosted by U^(1/a). */
    static double gamma(SplittableRandom rng, double a) {
        if (a < 1) {
            double u = rng.nextDouble();
            return gamma(rng, a + 1) * Math.pow(u, 1 / a);
        }
        double d = a - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double z = rng.nextGaussian();
            double v = 1 + c * z;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rng.nextDouble();
            if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }

    /** SplitMix64 finalizer over two values. */
    private static long mix(long a, long b) {
        return BatchLoader.mix(a, b);
    }
}
