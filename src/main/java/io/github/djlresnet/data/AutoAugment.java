package io.github.djlresnet.data;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * torchvision's automatic augmentation policies on the in-memory uint8 images
 * ({@code torchvision.transforms.TrivialAugmentWide} and {@code RandAugment(num_ops=2,
 * magnitude=9)}, both with 31 magnitude bins, nearest-neighbour interpolation and fill 0, as
 * torchvision's {@code references/classification/train.py} builds them).
 *
 * <p>The 14 operations, their magnitude ranges and the arithmetic are torchvision's
 * ({@code transforms/autoaugment.py}, {@code _apply_op}, and the tensor functions of
 * {@code transforms/_functional_tensor.py}): blends are computed in float and truncated to uint8,
 * affine operations sample the nearest pixel of torchvision's output grid (pixel centres, half
 * rounded to even) and fill with 0. On one channel, as torchvision on 1-channel tensors:
 * {@code Color} (saturation) returns the image unchanged and {@code Contrast} blends with the
 * image's own mean; on three channels both use torchvision's uint8 grayscale
 * (0.2989 R + 0.587 G + 0.114 B). Other channel counts are refused.
 *
 * <p>Random draws come from the caller's generator, in torchvision's order: TrivialAugmentWide
 * draws an operation (uniform over 14), a magnitude bin (uniform over 31) if the operation has
 * magnitudes, and a sign (1/2) if it is signed; RandAugment draws, twice, an operation and a sign
 * at the fixed bin 9. Known difference: torchvision builds its sampling grid in float32, this
 * code in double, so a pixel exactly on a rounding boundary may come from the neighbour.
 */
public enum AutoAugment {
    NONE,
    TRIVIALAUGMENT,
    RANDAUGMENT;

    /** Magnitude bins of both policies (torchvision's default num_magnitude_bins). */
    static final int BINS = 31;
    /** RandAugment's magnitude bin (torchvision's default magnitude). */
    static final int RANDAUGMENT_MAGNITUDE = 9;
    /** RandAugment's operations per image (torchvision's default num_ops). */
    static final int RANDAUGMENT_OPS = 2;

    /** The operations, in torchvision's order (the index a policy draws). */
    enum Op {
        IDENTITY(false), SHEAR_X(true), SHEAR_Y(true), TRANSLATE_X(true), TRANSLATE_Y(true),
        ROTATE(true), BRIGHTNESS(true), COLOR(true), CONTRAST(true), SHARPNESS(true),
        POSTERIZE(false), SOLARIZE(false), AUTO_CONTRAST(false), EQUALIZE(false);

        final boolean signed;

        Op(boolean signed) {
            this.signed = signed;
        }

        boolean hasMagnitudes() {
            return this != IDENTITY && this != AUTO_CONTRAST && this != EQUALIZE;
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** none, trivialaugment or randaugment (any case). */
    public static AutoAugment parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new DataException("--auto-augment must be none, trivialaugment or randaugment, got '" + text + "'");
        }
    }

    /** Refuses images this policy cannot work on (other than 1 or 3 channels). */
    public void check(int channels) {
        if (this != NONE && channels != 1 && channels != 3) {
            throw new DataException("--auto-augment " + this + " works on 1- or 3-channel images, these have "
                    + channels);
        }
    }

    /** Applies the policy to {@code img} (c*h*w values 0-255), drawing from {@code rng}. */
    int[] apply(int[] img, int c, int h, int w, SplittableRandom rng) {
        Op[] ops = Op.values();
        switch (this) {
            case TRIVIALAUGMENT -> {
                Op op = ops[rng.nextInt(ops.length)];
                double magnitude = op.hasMagnitudes() ? magnitude(op, rng.nextInt(BINS), h, w) : 0;
                if (op.signed && rng.nextBoolean()) {
                    magnitude = -magnitude;
                }
                return applyOp(img, c, h, w, op, magnitude);
            }
            case RANDAUGMENT -> {
                for (int i = 0; i < RANDAUGMENT_OPS; i++) {
                    Op op = ops[rng.nextInt(ops.length)];
                    double magnitude = op.hasMagnitudes() ? magnitude(op, RANDAUGMENT_MAGNITUDE, h, w) : 0;
                    if (op.signed && rng.nextBoolean()) {
                        magnitude = -magnitude;
                    }
                    img = applyOp(img, c, h, w, op, magnitude);
                }
                return img;
            }
            default -> {
                return img;
            }
        }
    }

    /** The magnitude of bin {@code bin} (0-30) of {@code op} in this policy's augmentation space. */
    double magnitude(Op op, int bin, int h, int w) {
        boolean wide = this == TRIVIALAUGMENT;
        return switch (op) {
            case SHEAR_X, SHEAR_Y -> linspace(0, wide ? 0.99 : 0.3, bin);
            case TRANSLATE_X -> linspace(0, wide ? 32.0 : 150.0 / 331.0 * w, bin);
            case TRANSLATE_Y -> linspace(0, wide ? 32.0 : 150.0 / 331.0 * h, bin);
            case ROTATE -> linspace(0, wide ? 135.0 : 30.0, bin);
            case BRIGHTNESS, COLOR, CONTRAST, SHARPNESS -> linspace(0, wide ? 0.99 : 0.9, bin);
            // 8 - (arange(bins) / ((bins - 1) / k)).round().int(), k = 6 (wide) or 4
            case POSTERIZE -> 8 - (int) Math.rint((float) bin / (float) ((BINS - 1) / (wide ? 6.0 : 4.0)));
            case SOLARIZE -> linspace(255.0, 0.0, bin);
            default -> 0;
        };
    }

    /** torch.linspace(start, end, 31)[bin] in float32, as torch computes it. */
    static double linspace(double start, double end, int bin) {
        float s = (float) start;
        float e = (float) end;
        float step = (e - s) / (BINS - 1);
        return bin < BINS / 2 ? s + step * bin : e - step * (BINS - 1 - bin);
    }

    /** One operation with a signed magnitude, as torchvision's {@code _apply_op}. */
    static int[] applyOp(int[] img, int c, int h, int w, Op op, double magnitude) {
        return switch (op) {
            case IDENTITY -> img;
            // F.affine(shear=[degrees(atan(m)), 0], center=[0, 0])
            case SHEAR_X -> sample(img, c, h, w,
                    inverseAffine(-0.5 * w, -0.5 * h, 0, 0, 0, Math.toDegrees(Math.atan(magnitude)), 0));
            case SHEAR_Y -> sample(img, c, h, w,
                    inverseAffine(-0.5 * w, -0.5 * h, 0, 0, 0, 0, Math.toDegrees(Math.atan(magnitude))));
            // F.affine(translate=[int(m), 0]); int() truncates
            case TRANSLATE_X -> sample(img, c, h, w, inverseAffine(0, 0, 0, (int) magnitude, 0, 0, 0));
            case TRANSLATE_Y -> sample(img, c, h, w, inverseAffine(0, 0, 0, 0, (int) magnitude, 0, 0));
            // F.rotate(m): counter-clockwise about the centre; torchvision passes -angle to the matrix
            case ROTATE -> sample(img, c, h, w, inverseAffine(0, 0, -magnitude, 0, 0, 0, 0));
            case BRIGHTNESS -> blend(img, new int[img.length], 1 + magnitude);
            case COLOR -> c == 1 ? img : blend(img, grayscale(img, h, w), 1 + magnitude);
            case CONTRAST -> blend(img, constant(img.length, mean(c == 1 ? img : grayscale(img, h, w))),
                    1 + magnitude);
            case SHARPNESS -> h <= 2 || w <= 2 ? img : blend(img, blurred(img, c, h, w), 1 + magnitude);
            case POSTERIZE -> posterize(img, (int) magnitude);
            case SOLARIZE -> solarize(img, magnitude);
            case AUTO_CONTRAST -> autocontrast(img, c, h, w);
            case EQUALIZE -> equalize(img, c, h, w);
        };
    }

    /**
     * torchvision's {@code _get_inverse_affine_matrix} (scale 1): the 2x3 matrix mapping output to
     * input coordinates, both relative to the image centre. Angles in degrees.
     */
    static double[] inverseAffine(double cx, double cy, double angle, double tx, double ty, double shearX,
            double shearY) {
        double rot = Math.toRadians(angle);
        double sx = Math.toRadians(shearX);
        double sy = Math.toRadians(shearY);
        double a = Math.cos(rot - sy) / Math.cos(sy);
        double b = -Math.cos(rot - sy) * Math.tan(sx) / Math.cos(sy) - Math.sin(rot);
        double c = Math.sin(rot - sy) / Math.cos(sy);
        double d = -Math.sin(rot - sy) * Math.tan(sx) / Math.cos(sy) + Math.cos(rot);
        double[] m = {d, -b, 0, -c, a, 0};
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
        m[2] += cx;
        m[5] += cy;
        return m;
    }

    /**
     * Nearest-neighbour resampling as torchvision's {@code _gen_affine_grid} + {@code grid_sample}
     * (align_corners=False, zeros padding): output pixel (i, j) has centre (j + 0.5 - w/2,
     * i + 0.5 - h/2); {@code m} maps it into the input, whose pixel index is that point
     * + (w/2, h/2) - 0.5, rounded half to even; outside the image the value is 0.
     */
    static int[] sample(int[] img, int c, int h, int w, double[] m) {
        int[] out = new int[img.length];
        for (int i = 0; i < h; i++) {
            double y = i + 0.5 - 0.5 * h;
            for (int j = 0; j < w; j++) {
                double x = j + 0.5 - 0.5 * w;
                double ix = Math.rint(m[0] * x + m[1] * y + m[2] + 0.5 * w - 0.5);
                double iy = Math.rint(m[3] * x + m[4] * y + m[5] + 0.5 * h - 0.5);
                if (ix < 0 || iy < 0 || ix >= w || iy >= h) {
                    continue;
                }
                int from = (int) iy * w + (int) ix;
                for (int ch = 0; ch < c; ch++) {
                    out[ch * h * w + i * w + j] = img[ch * h * w + from];
                }
            }
        }
        return out;
    }

    /** torchvision's {@code _blend}: (ratio a + (1 - ratio) b) in float, clamped to 0-255, truncated. */
    static int[] blend(int[] a, int[] b, double ratio) {
        float[] fb = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            fb[i] = b[i];
        }
        return blend(a, fb, ratio);
    }

    private static int[] blend(int[] a, float[] b, double ratio) {
        float r = (float) ratio;
        float q = (float) (1.0 - ratio);
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            float v = r * a[i] + q * b[i];
            out[i] = (int) Math.min(255f, Math.max(0f, v));
        }
        return out;
    }

    private static float[] constant(int n, float value) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    private static float mean(int[] img) {
        double sum = 0;
        for (int v : img) {
            sum += v;
        }
        return (float) (sum / img.length);
    }

    /** torchvision's rgb_to_grayscale on uint8 (truncated), repeated over the 3 channels. */
    static int[] grayscale(int[] img, int h, int w) {
        int plane = h * w;
        int[] out = new int[img.length];
        for (int p = 0; p < plane; p++) {
            float l = 0.2989f * img[p] + 0.587f * img[plane + p] + 0.114f * img[2 * plane + p];
            int g = (int) l;
            out[p] = g;
            out[plane + p] = g;
            out[2 * plane + p] = g;
        }
        return out;
    }

    /** The 3x3 smoothing filter (1 1 1 / 1 5 1 / 1 1 1) / 13 inside, rounded; borders kept. */
    static int[] blurred(int[] img, int c, int h, int w) {
        float side = 1f / 13f;
        float centre = 5f / 13f;
        int[] out = img.clone();
        for (int ch = 0; ch < c; ch++) {
            int o = ch * h * w;
            for (int i = 1; i < h - 1; i++) {
                for (int j = 1; j < w - 1; j++) {
                    float sum = 0;
                    for (int di = -1; di <= 1; di++) {
                        for (int dj = -1; dj <= 1; dj++) {
                            sum += (di == 0 && dj == 0 ? centre : side) * img[o + (i + di) * w + j + dj];
                        }
                    }
                    out[o + i * w + j] = (int) Math.rint(sum);
                }
            }
        }
        return out;
    }

    /** Keeps the {@code bits} high bits of every value. */
    static int[] posterize(int[] img, int bits) {
        int mask = (0xFF << (8 - bits)) & 0xFF;
        int[] out = new int[img.length];
        for (int i = 0; i < img.length; i++) {
            out[i] = img[i] & mask;
        }
        return out;
    }

    /** 255 - v for every value at or above {@code threshold}. */
    static int[] solarize(int[] img, double threshold) {
        int[] out = new int[img.length];
        for (int i = 0; i < img.length; i++) {
            out[i] = img[i] >= threshold ? 255 - img[i] : img[i];
        }
        return out;
    }

    /** Per channel: (v - min) * 255 / (max - min), truncated; a flat channel stays as it is. */
    static int[] autocontrast(int[] img, int c, int h, int w) {
        int plane = h * w;
        int[] out = new int[img.length];
        for (int ch = 0; ch < c; ch++) {
            int lo = 255;
            int hi = 0;
            for (int p = 0; p < plane; p++) {
                lo = Math.min(lo, img[ch * plane + p]);
                hi = Math.max(hi, img[ch * plane + p]);
            }
            float min = hi == lo ? 0 : lo;
            float scale = hi == lo ? 1 : 255f / (hi - lo);
            for (int p = 0; p < plane; p++) {
                float v = (img[ch * plane + p] - min) * scale;
                out[ch * plane + p] = (int) Math.min(255f, Math.max(0f, v));
            }
        }
        return out;
    }

    /** torchvision's per-channel histogram equalization ({@code _scale_channel}). */
    static int[] equalize(int[] img, int c, int h, int w) {
        int plane = h * w;
        int[] out = img.clone();
        for (int ch = 0; ch < c; ch++) {
            long[] hist = new long[256];
            for (int p = 0; p < plane; p++) {
                hist[img[ch * plane + p]]++;
            }
            long lastNonZero = 0;
            long nonZeroSum = 0;
            for (long count : hist) {
                if (count != 0) {
                    nonZeroSum += count;
                    lastNonZero = count;
                }
            }
            long step = (nonZeroSum - lastNonZero) / 255;
            if (step == 0) {
                continue;
            }
            int[] lut = new int[256];
            long cumulative = 0;
            for (int v = 0; v < 256; v++) {
                // lut shifted right by one: entry v is (cumsum[v - 1] + step / 2) / step, entry 0 is 0
                lut[v] = (int) Math.min(255, Math.max(0, v == 0 ? 0 : (cumulative + step / 2) / step));
                cumulative += hist[v];
            }
            for (int p = 0; p < plane; p++) {
                out[ch * plane + p] = lut[img[ch * plane + p]];
            }
        }
        return out;
    }
}
