package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Label smoothing, mixup and cutmix against their definitions (torchvision's
 * references/classification/transforms.py and torch's CrossEntropyLoss(label_smoothing)), with the
 * expected images and labels computed here from the batch and the drawn lambda.
 */
class SoftTargetsTest {

    private static final int K = 10;

    /** A batch of n 2x3x4 images with distinct pixel values and labels 0, 3, 6, 9, 2, ... */
    private static HostBatch batch(int n) {
        int image = 2 * 3 * 4;
        float[] data = new float[n * image];
        SplittableRandom rng = new SplittableRandom(5);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextDouble(-2, 2);
        }
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (3 * i) % K;
        }
        return new HostBatch(data, labels, n, 2, 3, 4);
    }

    private static double[] onehot(int y) {
        double[] v = new double[K];
        v[y] = 1;
        return v;
    }

    /** The expected soft label: lambda onehot(y) + (1 - lambda) onehot(y_rolled), smoothed. */
    private static double[] expected(int y, int yRolled, double lambda, double e) {
        double[] a = onehot(y);
        double[] b = onehot(yRolled);
        double[] t = new double[K];
        for (int k = 0; k < K; k++) {
            t[k] = (1 - e) * (lambda * a[k] + (1 - lambda) * b[k]) + e / K;
        }
        return t;
    }

    private static void assertLabels(HostBatch in, HostBatch out, double lambda, double e) {
        int n = in.size();
        assertEquals(n * K, out.labels().length);
        for (int i = 0; i < n; i++) {
            // torch's roll(1, 0): image i is mixed with image i - 1, image 0 with the last
            int rolled = (i - 1 + n) % n;
            double[] t = expected((int) in.labels()[i], (int) in.labels()[rolled], lambda, e);
            for (int k = 0; k < K; k++) {
                assertEquals(t[k], out.labels()[i * K + k], 1e-6, "image " + i + " class " + k);
            }
        }
    }

    @Test
    void labelSmoothingAloneIsOneMinusEOnehotPlusEOverK() {
        HostBatch in = batch(5);
        HostBatch out = new SoftTargets(K, 0.1, 0, 0, 1).apply(in, 1, 0);
        assertArrayEquals(in.data(), out.data(), "images unchanged");
        for (int i = 0; i < 5; i++) {
            for (int k = 0; k < K; k++) {
                float want = k == (int) in.labels()[i] ? 0.9f + 0.01f : 0.01f;
                assertEquals(want, out.labels()[i * K + k], 1e-7);
            }
        }
    }

    @Test
    void mixupMixesTheBatchWithItselfRolledByOne() {
        HostBatch in = batch(6);
        SoftTargets targets = new SoftTargets(K, 0.1, 0.2, 0, 3);
        SoftTargets.Mix m = targets.draw(2, 7, 3, 4);
        assertEquals("mixup", m.kind());
        HostBatch out = targets.apply(in, 2, 7);
        double l = m.lambda();
        int image = 24;
        for (int i = 0; i < 6; i++) {
            int rolled = (i + 5) % 6;
            for (int p = 0; p < image; p++) {
                double want = l * in.data()[i * image + p] + (1 - l) * in.data()[rolled * image + p];
                assertEquals(want, out.data()[i * image + p], 1e-6);
            }
        }
        assertLabels(in, out, l, 0.1);
    }

    @Test
    void cutmixPastesTorchvisionsBoxAndCorrectsLambdaToItsArea() {
        HostBatch in = batch(4);
        SoftTargets targets = new SoftTargets(K, 0, 0, 1.0, 11);
        int h = 3;
        int w = 4;
        int boxes = 0;
        for (int b = 0; b < 30; b++) {
            SoftTargets.Mix m = targets.draw(1, b, h, w);
            assertEquals("cutmix", m.kind());
            // torchvision: r = sqrt(1 - lambda) / 2, half-sides int(r W), int(r H), clipped to the image
            double r = 0.5 * Math.sqrt(1 - m.drawn());
            int x1 = Math.max(m.rx() - (int) (r * w), 0);
            int x2 = Math.min(m.rx() + (int) (r * w), w);
            int y1 = Math.max(m.ry() - (int) (r * h), 0);
            int y2 = Math.min(m.ry() + (int) (r * h), h);
            assertEquals(x1, m.x1());
            assertEquals(x2, m.x2());
            assertEquals(y1, m.y1());
            assertEquals(y2, m.y2());
            assertTrue(m.rx() >= 0 && m.rx() < w && m.ry() >= 0 && m.ry() < h);
            double lambda = 1 - (double) (x2 - x1) * (y2 - y1) / (w * h);
            assertEquals(lambda, m.lambda(), 1e-12);
            boxes += (x2 - x1) * (y2 - y1) > 0 ? 1 : 0;
            HostBatch out = targets.apply(in, 1, b);
            for (int i = 0; i < 4; i++) {
                int rolled = (i + 3) % 4;
                for (int c = 0; c < 2; c++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            boolean inside = x >= x1 && x < x2 && y >= y1 && y < y2;
                            int p = c * h * w + y * w + x;
                            float want = in.data()[(inside ? rolled : i) * 24 + p];
                            assertEquals(want, out.data()[i * 24 + p]);
                        }
                    }
                }
            }
            assertLabels(in, out, lambda, 0);
        }
        assertTrue(boxes > 5, boxes + " of 30 batches got a non-empty box");
    }

    @Test
    void withBothAlphasEachBatchPicksOneWithProbabilityOneHalf() {
        SoftTargets targets = new SoftTargets(K, 0, 0.2, 1.0, 42);
        int cutmix = 0;
        for (int b = 0; b < 1000; b++) {
            cutmix += targets.draw(3, b, 28, 28).kind().equals("cutmix") ? 1 : 0;
        }
        assertTrue(cutmix > 440 && cutmix < 560, cutmix + " of 1000");
        // seeded by (seed, epoch, batch): the same batch mixes the same way, another batch not
        assertEquals(targets.draw(3, 17, 28, 28), targets.draw(3, 17, 28, 28));
        assertNotEquals(targets.draw(3, 17, 28, 28), targets.draw(4, 17, 28, 28));
        assertNotEquals(new SoftTargets(K, 0, 0.2, 1.0, 43).draw(3, 17, 28, 28), targets.draw(3, 17, 28, 28));
    }

    @Test
    void lambdaHasTheMomentsOfBetaAlphaAlpha() {
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1))
        for (double a : new double[] {0.2, 1.0, 2.0}) {
            SplittableRandom rng = new SplittableRandom(9);
            int n = 20000;
            double sum = 0;
            double sumSq = 0;
            for (int i = 0; i < n; i++) {
                double x = SoftTargets.beta(rng, a);
                assertTrue(x >= 0 && x <= 1);
                sum += x;
                sumSq += x * x;
            }
            double mean = sum / n;
            double variance = sumSq / n - mean * mean;
            assertEquals(0.5, mean, 0.01, "mean, alpha " + a);
            double want = 1 / (4 * (2 * a + 1));
            assertEquals(want, variance, 0.05 * want, "variance, alpha " + a);
        }
    }

    @Test
    void badValuesAreUserErrors() {
        assertThrows(DataException.class, () -> new SoftTargets(K, 1.5, 0, 0, 1));
        assertThrows(DataException.class, () -> new SoftTargets(K, 0, -1, 0, 1));
        assertThrows(DataException.class, () -> new SoftTargets(K, 0, 0, Double.NaN, 1));
    }
}
