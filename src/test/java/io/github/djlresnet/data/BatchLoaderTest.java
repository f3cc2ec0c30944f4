package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {

    private static final Normalization NORM = Normalization.FASHION_MNIST;
    private static final float MEAN = 0.2860f;
    private static final float STD = 0.3530f;

    private static ImageSet mini;

    @BeforeAll
    static void readMini() {
        mini = Fixtures.miniTrain();
    }

    private static List<HostBatch> epoch(BatchLoader loader, int epoch) {
        List<HostBatch> out = new ArrayList<>();
        try (BatchLoader.Epoch it = loader.epoch(epoch)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    private static float[] image(HostBatch b, int k) {
        int n = b.channels() * b.height() * b.width();
        return Arrays.copyOfRange(b.data(), k * n, (k + 1) * n);
    }

    /** Independent reference: pad 4 with 0, crop at (4+dy, 4+dx), flip, normalize. */
    private static float[] reference(byte[] raw28, int dy, int dx, boolean flip) {
        int[][] padded = new int[36][36];
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                padded[y + 4][x + 4] = raw28[y * 28 + x] & 0xFF;
            }
        }
        float[] out = new float[784];
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int cx = flip ? 27 - x : x;
                out[y * 28 + x] = (padded[y + 4 + dy][cx + 4 + dx] / 255f - MEAN) / STD;
            }
        }
        return out;
    }

    private static byte[] raw(int i) {
        return Arrays.copyOfRange(mini.pixels(), i * 784, (i + 1) * 784);
    }

    private static boolean close(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1e-5f) {
                return false;
            }
        }
        return true;
    }

    @Test
    void evaluationBatchesAreNormalizedPixelsInOrder() {
        try (BatchLoader loader = new BatchLoader(mini, NORM, 0, 128, false, false, 1, 2)) {
            assertEquals(16, loader.batchesPerEpoch());
            List<HostBatch> batches = epoch(loader, 0);
            assertEquals(16, batches.size());
            assertEquals(128, batches.get(0).size());
            assertEquals(2000 - 15 * 128, batches.get(15).size()); // last partial batch kept
            assertEquals(80 * 784, batches.get(15).data().length);
            HostBatch last = batches.get(15);
            assertEquals(1, last.channels());
            assertEquals(28, last.height());
            assertEquals(28, last.width());
            for (int k = 0; k < last.size(); k++) {
                int i = 15 * 128 + k;
                assertEquals(mini.labels()[i], last.labels()[k]);
                assertArrayEquals(reference(raw(i), 0, 0, false), image(last, k), 1e-5f);
            }
        }
    }

    @Test
    void augmentOffGivesTheSameBytesAsEvaluation() {
        try (BatchLoader train = new BatchLoader(mini, NORM, 0, 100, true, false, 9, 2);
                BatchLoader eval = new BatchLoader(mini, NORM, 0, 100, true, false, 9, 1)) {
            List<HostBatch> a = epoch(train, 2);
            List<HostBatch> b = epoch(eval, 2);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i).data(), b.get(i).data());
            }
        }
    }

    @Test
    void augmentationIsACropOfThePaddedImagePlusFlip() {
        try (BatchLoader loader = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2)) {
            HostBatch b = epoch(loader, 1).get(0);
            assertEquals(50 * 784, b.data().length); // shape unchanged
            int changed = 0;
            int flipped = 0;
            for (int k = 0; k < 50; k++) {
                assertEquals(mini.labels()[k], b.labels()[k]);
                float[] got = image(b, k);
                boolean matched = false;
                for (int dy = -4; dy <= 4 && !matched; dy++) {
                    for (int dx = -4; dx <= 4 && !matched; dx++) {
                        for (boolean flip : new boolean[] {false, true}) {
                            if (close(reference(raw(k), dy, dx, flip), got)) {
                                matched = true;
                                flipped += flip ? 1 : 0;
                                break;
                            }
                        }
                    }
                }
                assertTrue(matched, "image " + k + " is not a padded crop / flip of the original");
                if (!close(reference(raw(k), 0, 0, false), got)) {
                    changed++;
                }
            }
            assertTrue(changed > 40, changed + " of 50 images changed");
            assertTrue(flipped > 10 && flipped < 40, flipped + " of 50 flipped");
        }
    }

    @Test
    void randomErasingSetsOneRectangleToTheMeanAndLeavesTheRestAsItWas() {
        List<HostBatch> plain;
        List<HostBatch> always;
        List<HostBatch> half;
        try (BatchLoader a = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2);
                BatchLoader b = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2).withRandomErasing(1);
                BatchLoader c = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2).withRandomErasing(0.5)) {
            plain = epoch(a, 1);
            always = epoch(b, 1);
            half = epoch(c, 1);
        }
        int erasedInHalf = 0;
        for (int k = 0; k < 50; k++) {
            float[] base = image(plain.get(0), k);
            float[] erased = image(always.get(0), k);
            int top = 28;
            int bottom = -1;
            int left = 28;
            int right = -1;
            for (int i = 0; i < base.length; i++) {
                if (base[i] != erased[i]) {
                    top = Math.min(top, i / 28);
                    bottom = Math.max(bottom, i / 28);
                    left = Math.min(left, i % 28);
                    right = Math.max(right, i % 28);
                }
            }
            assertTrue(bottom >= 0, "image " + k + " was not erased with probability 1");
            double area = (bottom - top + 1) * (right - left + 1) / 784.0;
            assertTrue(area >= 0.015 && area <= 0.36, "image " + k + ": erased area " + area);
            for (int y = top; y <= bottom; y++) {
                for (int x = left; x <= right; x++) {
                    assertEquals(0f, erased[y * 28 + x], "image " + k + " at " + y + "," + x);
                }
            }
            float[] maybe = image(half.get(0), k);
            if (!Arrays.equals(base, maybe)) {
                erasedInHalf++;
            }
        }
        assertTrue(erasedInHalf > 12 && erasedInHalf < 38, erasedInHalf + " of 50 erased at p = 0.5");
        assertThrows(DataException.class, () -> new BatchLoader(mini, NORM, 0, 8, false, true, 1, 1)
                .withRandomErasing(1.5));
    }

    @Test
    void sameSeedAndEpochGiveEqualBatchesWhateverTheThreads() {
        List<HostBatch> a;
        List<HostBatch> b;
        List<HostBatch> other;
        try (BatchLoader one = new BatchLoader(mini, NORM, 0, 64, true, true, 21, 1);
                BatchLoader two = new BatchLoader(mini, NORM, 0, 64, true, true, 21, 3)) {
            a = epoch(one, 3);
            b = epoch(two, 3);
            other = epoch(two, 4);
        }
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).data(), b.get(i).data());
            assertArrayEquals(a.get(i).labels(), b.get(i).labels());
        }
        assertFalse(Arrays.equals(a.get(0).labels(), other.get(0).labels()), "epoch 4 must reshuffle");
    }

    @Test
    void shuffledEpochVisitsEveryImageOnce() {
        try (BatchLoader loader = new BatchLoader(mini, NORM, 0, 300, true, false, 5, 2)) {
            int[] counts = new int[10];
            int total = 0;
            List<HostBatch> batches = epoch(loader, 0);
            for (HostBatch b : batches) {
                for (int k = 0; k < b.size(); k++) {
                    counts[(int) b.labels()[k]]++;
                }
                total += b.size();
            }
            assertEquals(2000, total);
            int[] expected = new int[10];
            Arrays.fill(expected, 200);
            assertArrayEquals(expected, counts);
            int[] order = loader.order(0);
            int[] sorted = order.clone();
            Arrays.sort(sorted);
            assertArrayEquals(java.util.stream.IntStream.range(0, 2000).toArray(), sorted);
            assertFalse(Arrays.equals(sorted, order), "shuffle=true must not keep file order");
            for (int k = 0; k < 300; k++) {
                assertEquals(mini.labels()[order[k]], batches.get(0).labels()[k]);
            }
        }
    }

    @Test
    void resizeGivesTheAskedSize() {
        ImageSet four = mini.limit(4);
        try (BatchLoader loader = new BatchLoader(four, NORM, 32, 4, false, false, 1, 1)) {
            HostBatch b = epoch(loader, 0).get(0);
            assertEquals(32, b.height());
            assertEquals(32, b.width());
            assertEquals(4 * 32 * 32, b.data().length);
            float[] raw = new float[32 * 32];
            Bilinear.resize(four.pixels(), 784, 1, 28, 28, raw, 32, 32);
            float[] expected = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                expected[i] = (raw[i] / 255f - MEAN) / STD;
            }
            assertArrayEquals(expected, image(b, 1), 1e-5f);
        }
        try (BatchLoader same = new BatchLoader(four, NORM, 28, 4, false, false, 1, 1)) {
            assertArrayEquals(reference(raw(0), 0, 0, false), image(epoch(same, 0).get(0), 0), 1e-5f);
        }
    }

    @Test
    void abandonedEpochDoesNotBlockTheNext() {
        try (BatchLoader loader = new BatchLoader(mini, NORM, 0, 10, false, false, 1, 2)) {
            try (BatchLoader.Epoch e = loader.epoch(0)) {
                e.next();
            }
            assertEquals(200, epoch(loader, 1).size());
        }
    }

    @Test
    void badArguments() {
        assertEquals("fashion-mnist-mini/train: normalization has 3 channels but the images have 1",
                assertThrows(DataException.class,
                        () -> new BatchLoader(mini, Normalization.CIFAR10, 0, 8, false, false, 1, 1)).getMessage());
        assertEquals("--batch-size must be positive, got 0",
                assertThrows(DataException.class, () -> new BatchLoader(mini, NORM, 0, 0, false, false, 1, 1)).getMessage());
    }

    @Test
    void augmentListChoosesCropAndFlipSeparately() {
        java.util.Set<Augmentation> flipOnly = java.util.EnumSet.of(Augmentation.FLIP);
        java.util.Set<Augmentation> cropOnly = java.util.EnumSet.of(Augmentation.CROP);
        try (BatchLoader flips = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2).withAugmentations(flipOnly);
                BatchLoader crops = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2).withAugmentations(cropOnly);
                BatchLoader both = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2)
                        .withAugmentations(java.util.EnumSet.of(Augmentation.CROP, Augmentation.FLIP));
                BatchLoader legacy = new BatchLoader(mini, NORM, 0, 50, false, true, 4, 2)) {
            HostBatch f = epoch(flips, 1).get(0);
            HostBatch c = epoch(crops, 1).get(0);
            int flipped = 0;
            int shifted = 0;
            for (int k = 0; k < 50; k++) {
                boolean plain = close(reference(raw(k), 0, 0, false), image(f, k));
                boolean mirror = close(reference(raw(k), 0, 0, true), image(f, k));
                assertTrue(plain || mirror, "flip only: image " + k + " is the original or its mirror, not shifted");
                flipped += mirror && !plain ? 1 : 0;
                boolean matched = false;
                for (int dy = -4; dy <= 4 && !matched; dy++) {
                    for (int dx = -4; dx <= 4 && !matched; dx++) {
                        matched = close(reference(raw(k), dy, dx, false), image(c, k));
                    }
                }
                assertTrue(matched, "crop only: image " + k + " is an unflipped crop");
                shifted += close(reference(raw(k), 0, 0, false), image(c, k)) ? 0 : 1;
            }
            assertTrue(flipped > 10 && flipped < 40, flipped + " of 50 flipped");
            assertTrue(shifted > 40, shifted + " of 50 shifted");
            // crop,flip draws what the loader drew before the list existed
            assertArrayEquals(epoch(legacy, 2).get(3).data(), epoch(both, 2).get(3).data());
        }
        assertEquals(java.util.EnumSet.of(Augmentation.CROP, Augmentation.ERASE), Augmentation.parseList(" erase, crop"));
        assertTrue(Augmentation.parseList("none").isEmpty());
        assertEquals("crop,erase", Augmentation.format(Augmentation.parseList("erase,crop")));
        assertThrows(DataException.class, () -> Augmentation.parseList("crop,rotate"));
        assertThrows(DataException.class, () -> Augmentation.parseList("crop,crop"));
    }

    @Test
    void autoAugmentedBatchesAreUint8ImagesSeededByPosition() {
        try (BatchLoader aa = new BatchLoader(mini, NORM, 0, 32, true, true, 4, 2)
                        .withAugmentations(java.util.EnumSet.noneOf(Augmentation.class))
                        .withAutoAugment(AutoAugment.TRIVIALAUGMENT);
                BatchLoader ra = new BatchLoader(mini, NORM, 0, 32, true, true, 4, 1)
                        .withAutoAugment(AutoAugment.RANDAUGMENT)) {
            List<HostBatch> a = epoch(aa, 1);
            List<HostBatch> again = epoch(aa, 1);
            List<HostBatch> tail = new ArrayList<>();
            try (BatchLoader.Epoch it = aa.epoch(1, 5)) {
                it.forEachRemaining(tail::add);
            }
            assertArrayEquals(a.get(0).data(), again.get(0).data());
            assertArrayEquals(a.get(5).data(), tail.get(0).data(), "resuming at batch 5 gives the same images");
            int[] order = aa.order(1);
            int unchanged = 0;
            for (int k = 0; k < 32; k++) {
                float[] got = image(a.get(0), k);
                for (float v : got) {
                    double pixel = (v * STD + MEAN) * 255;
                    assertEquals(Math.rint(pixel), pixel, 2e-3, "a uint8 value, normalized");
                }
                unchanged += close(reference(raw(order[k]), 0, 0, false), got) ? 1 : 0;
            }
            assertTrue(unchanged < 16, unchanged + " of 32 left as they were");
            assertEquals(32, epoch(ra, 1).get(0).size());
        }
    }
}
