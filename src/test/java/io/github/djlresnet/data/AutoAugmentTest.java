package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlresnet.data.AutoAugment.Op;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Each operation of torchvision's TrivialAugmentWide / RandAugment against its definition,
 * worked out by hand or by a closed formula here (not by the code under test).
 */
class AutoAugmentTest {

    private static int[] apply(int[] img, int c, int h, int w, Op op, double magnitude) {
        return AutoAugment.applyOp(img.clone(), c, h, w, op, magnitude);
    }

    /** A 1-channel h x w image with distinct values. */
    private static int[] ramp(int h, int w) {
        int[] img = new int[h * w];
        for (int i = 0; i < img.length; i++) {
            img[i] = (7 * i + 3) % 256;
        }
        return img;
    }

    @Test
    void posterizeKeepsTheHighBits() {
        // 183 = 0b10110111: 4 bits -> 0b10110000 = 176, 3 bits -> 0b10100000 = 160, 8 bits -> itself
        assertArrayEquals(new int[] {176}, apply(new int[] {183}, 1, 1, 1, Op.POSTERIZE, 4));
        assertArrayEquals(new int[] {160}, apply(new int[] {183}, 1, 1, 1, Op.POSTERIZE, 3));
        assertArrayEquals(new int[] {183}, apply(new int[] {183}, 1, 1, 1, Op.POSTERIZE, 8));
    }

    @Test
    void solarizeInvertsValuesAtOrAboveTheThreshold() {
        assertArrayEquals(new int[] {0, 127, 127, 55, 0},
                apply(new int[] {0, 127, 128, 200, 255}, 1, 1, 5, Op.SOLARIZE, 128));
        assertArrayEquals(new int[] {10, 178, 76}, apply(new int[] {10, 178, 179}, 1, 1, 3, Op.SOLARIZE, 178.5));
    }

    @Test
    void brightnessScalesClampsAndTruncates() {
        // factor 1 + 0.5: 101 * 1.5 = 151.5 -> 151 (uint8 cast truncates), 200 * 1.5 -> 255
        assertArrayEquals(new int[] {0, 15, 151, 255}, apply(new int[] {0, 10, 101, 200}, 1, 1, 4, Op.BRIGHTNESS, 0.5));
        // factor 1 - 0.5: 101 * 0.5 = 50.5 -> 50
        assertArrayEquals(new int[] {0, 5, 50, 100}, apply(new int[] {0, 10, 101, 200}, 1, 1, 4, Op.BRIGHTNESS, -0.5));
    }

    @Test
    void contrastOfOneChannelBlendsWithItsMean() {
        // mean 100; factor 1.5: 1.5 v - 0.5 * 100
        assertArrayEquals(new int[] {0, 100, 250, 100}, apply(new int[] {0, 100, 200, 100}, 1, 2, 2, Op.CONTRAST, 0.5));
        // factor 0: every pixel becomes the mean
        assertArrayEquals(new int[] {100, 100, 100, 100}, apply(new int[] {0, 100, 200, 100}, 1, 2, 2, Op.CONTRAST, -1));
    }

    @Test
    void colorLeavesOneChannelAsItIsAndDesaturatesThree() {
        int[] gray = ramp(4, 4);
        assertArrayEquals(gray, apply(gray, 1, 4, 4, Op.COLOR, 0.9));
        assertArrayEquals(gray, apply(gray, 1, 4, 4, Op.COLOR, -0.9));
        // RGB (100, 50, 200): grayscale 0.2989*100 + 0.587*50 + 0.114*200 = 82.04 -> 82; factor 0 gives it
        assertArrayEquals(new int[] {82, 82, 82}, apply(new int[] {100, 50, 200}, 3, 1, 1, Op.COLOR, -1));
    }

    @Test
    void autocontrastStretchesEachChannelToTheFullRange() {
        // min 50, max 150: (v - 50) * 255 / 100 -> 0, 127.5 -> 127, 255
        assertArrayEquals(new int[] {0, 127, 255}, apply(new int[] {50, 100, 150}, 1, 1, 3, Op.AUTO_CONTRAST, 0));
        assertArrayEquals(new int[] {9, 9, 9}, apply(new int[] {9, 9, 9}, 1, 1, 3, Op.AUTO_CONTRAST, 0), "flat stays");
    }

    @Test
    void equalizeFollowsTorchvisionsLookUpTable() {
        // 512 pixels at 10, 256 at 20, 256 at 30: step = (512 + 256) / 255 = 3; lut(v) = (pixels below v + 1) / 3
        int[] img = new int[1024];
        java.util.Arrays.fill(img, 0, 512, 10);
        java.util.Arrays.fill(img, 512, 768, 20);
        java.util.Arrays.fill(img, 768, 1024, 30);
        int[] out = apply(img, 1, 32, 32, Op.EQUALIZE, 0);
        assertEquals(0, out[0]); // (0 + 1) / 3
        assertEquals(171, out[600]); // (512 + 1) / 3
        assertEquals(255, out[900]); // (768 + 1) / 3 = 256, clamped
        // fewer than 255 pixels outside the most populated last level: step 0, unchanged
        int[] few = {0, 0, 128, 255};
        assertArrayEquals(few, apply(few, 1, 2, 2, Op.EQUALIZE, 0));
    }

    @Test
    void sharpnessBlendsWithTheSmoothedInterior() {
        // a single 13 in the middle of a 3x3 of zeros: smoothed centre (5 * 13) / 13 = 5, border kept
        int[] img = {0, 0, 0, 0, 13, 0, 0, 0, 0};
        assertArrayEquals(new int[] {0, 0, 0, 0, 5, 0, 0, 0, 0}, apply(img, 1, 3, 3, Op.SHARPNESS, -1), "factor 0");
        assertArrayEquals(new int[] {0, 0, 0, 0, 21, 0, 0, 0, 0}, apply(img, 1, 3, 3, Op.SHARPNESS, 1), "2*13 - 5");
        int[] tiny = {1, 2, 3, 4};
        assertArrayEquals(tiny, apply(tiny, 1, 2, 2, Op.SHARPNESS, 0.9), "2x2 is left alone, as torchvision");
    }

    @Test
    void translateShiftsByTheTruncatedMagnitudeAndFillsWithZero() {
        int h = 5;
        int w = 6;
        int[] img = ramp(h, w);
        int[] right = apply(img, 1, h, w, Op.TRANSLATE_X, 2.7); // int(2.7) = 2 pixels to the right
        int[] up = apply(img, 1, h, w, Op.TRANSLATE_Y, -1.9); // int(-1.9) = -1: one pixel up
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                assertEquals(j - 2 >= 0 ? img[i * w + j - 2] : 0, right[i * w + j], "x " + i + "," + j);
                assertEquals(i + 1 < h ? img[(i + 1) * w + j] : 0, up[i * w + j], "y " + i + "," + j);
            }
        }
    }

    @Test
    void rotateByNinetyDegreesIsACounterClockwiseQuarterTurn() {
        int n = 4;
        int[] img = ramp(n, n);
        int[] out = apply(img, 1, n, n, Op.ROTATE, 90);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                // numpy's rot90: out[i][j] = in[j][n-1-i]
                assertEquals(img[j * n + (n - 1 - i)], out[i * n + j], i + "," + j);
            }
        }
    }

    @Test
    void shearIsAboutTheTopLeftCornerWithNearestPixels() {
        // torchvision: affine(shear=[degrees(atan(m)), 0], center=[0, 0]) reads, for output (i, j),
        // the input pixel (i, j + m (i + 1/2)) rounded; shearY likewise with the roles swapped
        int h = 6;
        int w = 7;
        int[] img = ramp(h, w);
        double m = 0.5;
        int[] sx = apply(img, 1, h, w, Op.SHEAR_X, m);
        int[] sy = apply(img, 1, h, w, Op.SHEAR_Y, -m);
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                long x = Math.round(j + m * (i + 0.5));
                assertEquals(x < w ? img[i * w + (int) x] : 0, sx[i * w + j], "x " + i + "," + j);
                long y = Math.round(i - m * (j + 0.5));
                assertEquals(y >= 0 ? img[(int) y * w + j] : 0, sy[i * w + j], "y " + i + "," + j);
            }
        }
    }

    @Test
    void magnitudeBinsAreTorchvisionsLinspaces() {
        AutoAugment ta = AutoAugment.TRIVIALAUGMENT;
        AutoAugment ra = AutoAugment.RANDAUGMENT;
        assertEquals(0.99, ta.magnitude(Op.SHEAR_X, 30, 28, 28), 1e-6);
        assertEquals(0.99 * 7 / 30, ta.magnitude(Op.SHEAR_Y, 7, 28, 28), 1e-6);
        assertEquals(32.0, ta.magnitude(Op.TRANSLATE_X, 30, 28, 28), 1e-5);
        assertEquals(135.0 * 20 / 30, ta.magnitude(Op.ROTATE, 20, 28, 28), 1e-4);
        assertEquals(0.99 * 3 / 30, ta.magnitude(Op.CONTRAST, 3, 28, 28), 1e-6);
        assertEquals(255.0 * 21 / 30, ta.magnitude(Op.SOLARIZE, 9, 28, 28), 1e-4);
        // 8 - round(bin / 5)
        assertEquals(8, ta.magnitude(Op.POSTERIZE, 0, 28, 28));
        assertEquals(6, ta.magnitude(Op.POSTERIZE, 12, 28, 28));
        assertEquals(2, ta.magnitude(Op.POSTERIZE, 30, 28, 28));
        // RandAugment at magnitude 9 of 30
        assertEquals(0.3 * 9 / 30, ra.magnitude(Op.SHEAR_X, 9, 28, 28), 1e-6);
        assertEquals(150.0 / 331.0 * 28 * 9 / 30, ra.magnitude(Op.TRANSLATE_X, 9, 28, 28), 1e-5);
        assertEquals(150.0 / 331.0 * 20 * 9 / 30, ra.magnitude(Op.TRANSLATE_Y, 9, 20, 28), 1e-5);
        assertEquals(9.0, ra.magnitude(Op.ROTATE, 9, 28, 28), 1e-5);
        assertEquals(0.27, ra.magnitude(Op.SHARPNESS, 9, 28, 28), 1e-6);
        assertEquals(7, ra.magnitude(Op.POSTERIZE, 9, 28, 28)); // 8 - round(9 / 7.5)
        assertEquals(178.5, ra.magnitude(Op.SOLARIZE, 9, 28, 28), 1e-4);
        assertEquals(14, Op.values().length);
    }

    @Test
    void trivialAugmentDrawsOneOpAndRandAugmentTwoFromTheCallersGenerator() {
        // the same generator state gives the same image; the policies only ever produce uint8 values
        int[] img = ramp(28, 28);
        int identical = 0;
        for (int s = 0; s < 200; s++) {
            int[] a = AutoAugment.TRIVIALAUGMENT.apply(img.clone(), 1, 28, 28, new SplittableRandom(s));
            int[] b = AutoAugment.TRIVIALAUGMENT.apply(img.clone(), 1, 28, 28, new SplittableRandom(s));
            assertArrayEquals(a, b);
            int[] r = AutoAugment.RANDAUGMENT.apply(img.clone(), 1, 28, 28, new SplittableRandom(s));
            for (int v : a) {
                assertTrue(v >= 0 && v <= 255);
            }
            for (int v : r) {
                assertTrue(v >= 0 && v <= 255);
            }
            identical += java.util.Arrays.equals(a, img) ? 1 : 0;
        }
        // Identity (1/14) and the magnitude-0 bins leave the image unchanged, the rest change it
        assertTrue(identical > 5 && identical < 60, identical + " of 200 unchanged");
    }

    @Test
    void otherChannelCountsAndUnknownPoliciesAreUserErrors() {
        assertThrows(DataException.class, () -> AutoAugment.TRIVIALAUGMENT.check(2));
        AutoAugment.RANDAUGMENT.check(3);
        AutoAugment.NONE.check(4);
        assertThrows(DataException.class, () -> AutoAugment.parse("autoaugment"));
        assertEquals(AutoAugment.TRIVIALAUGMENT, AutoAugment.parse("TrivialAugment"));
    }
}
