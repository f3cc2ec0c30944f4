package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir Path dir;

    private static int[] perClass(ImageSet set) {
        int[] counts = new int[set.synset().size()];
        for (int y : set.labels()) {
            counts[y]++;
        }
        return counts;
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void miniSubsetHasExactBalancedCounts() {
        LoadedData d = Datasets.load(DataOptions.defaults());
        assertEquals(2000, d.train().size());
        assertEquals(500, d.validation().size());
        assertEquals(10, d.classes());
        assertArrayEquals(filled(10, 200), perClass(d.train()));
        assertArrayEquals(filled(10, 50), perClass(d.validation()));
        // Fashion-MNIST's README, label 0..9
        assertEquals(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot"), d.train().synset());
        assertEquals(1, d.train().channels());
        assertEquals(28, d.train().height());
        assertEquals(28, d.train().width());
        assertArrayEquals(new float[] {0.2860f}, d.normalization().mean());
        assertArrayEquals(new float[] {0.3530f}, d.normalization().std());
        // the published statistics fit the shipped images too
        double sum = 0;
        double squares = 0;
        for (byte b : d.train().pixels()) {
            double v = (b & 0xFF) / 255.0;
            sum += v;
            squares += v * v;
        }
        double n = d.train().pixels().length;
        double mean = sum / n;
        assertEquals(0.2860, mean, 0.01);
        assertEquals(0.3530, Math.sqrt(squares / n - mean * mean), 0.01);
    }

    @Test
    void miniIsThePrefixPerClassOfTheFullSet() {
        Path debian = Path.of(Datasets.DEBIAN_FASHION_MNIST);
        Assumptions.assumeTrue(Files.isDirectory(debian), "needs apt-get install dataset-fashion-mnist");
        ImageSet mini = Datasets.loadTest(DataOptions.defaults());
        ImageSet full = Datasets.loadTest(new DataOptions("fashion-mnist", null, 0, 0, 1, 0));
        // build.py keeps the first 50 test images of each class, in file order
        int[] taken = new int[10];
        int m = 0;
        for (int i = 0; i < full.size() && m < mini.size(); i++) {
            int y = full.labels()[i];
            if (taken[y]++ < 50) {
                assertEquals(y, mini.labels()[m]);
                assertArrayEquals(full.select(new int[] {i}, "f").pixels(), mini.select(new int[] {m}, "m").pixels());
                m++;
            }
        }
        assertEquals(500, m);
    }

    @Test
    void fullFashionMnistFromDebian() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of(Datasets.DEBIAN_FASHION_MNIST)),
                "needs apt-get install dataset-fashion-mnist");
        LoadedData d = Datasets.load(new DataOptions("fashion-mnist", null, 0, 0, 1, 0));
        assertEquals(60_000, d.train().size());
        assertEquals(10_000, d.validation().size());
        assertArrayEquals(filled(10, 6000), perClass(d.train()));
        assertArrayEquals(filled(10, 1000), perClass(d.validation()));
    }

    @Test
    void valSplitHoldsOutPartOfTrainAndTestStaysSeparate() {
        LoadedData d = Datasets.load(new DataOptions(null, null, 0, 0.2, 7, 0));
        assertEquals(1600, d.train().size());
        assertEquals(400, d.validation().size());
        assertEquals(500, Datasets.loadTest(new DataOptions(null, null, 0, 0.2, 7, 0)).size());
        // train + validation is exactly the training file, as a multiset (the file may hold duplicates)
        List<String> parts = images(d.train());
        parts.addAll(images(d.validation()));
        Collections.sort(parts);
        List<String> all = images(Fixtures.miniTrain());
        Collections.sort(all);
        assertEquals(all, parts);
    }

    private static List<String> images(ImageSet s) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            out.add(s.labels()[i] + ":" + java.util.Arrays.toString(s.select(new int[] {i}, "").pixels()));
        }
        return out;
    }

    @Test
    void limitAppliesToTrainAndValidation() {
        LoadedData d = Datasets.load(new DataOptions(null, null, 0, 0, 1, 30));
        assertEquals(30, d.train().size());
        assertEquals(30, d.validation().size());
        ImageSet all = Fixtures.miniTrain();
        assertArrayEquals(java.util.Arrays.copyOf(all.labels(), 30), d.train().labels());
    }

    @Test
    void unknownDatasetListsChoices() {
        DataException e = assertThrows(DataException.class,
                () -> Datasets.load(new DataOptions("mnist", null, 0, 0, 1, 0)));
        assertEquals("unknown dataset 'mnist'; choose one of fashion-mnist-mini, fashion-mnist, cifar10, folder:<path>",
                e.getMessage());
    }

    @Test
    void missingDataDirectory() {
        Path missing = dir.resolve("absent");
        DataException e = assertThrows(DataException.class,
                () -> Datasets.load(new DataOptions("fashion-mnist", missing, 0, 0, 1, 0)));
        assertEquals("fashion-mnist: data directory " + missing + " does not exist", e.getMessage());
    }

    @Test
    void missingFileInDataDirectory() throws Exception {
        Files.copy(Fixtures.MINI.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-images-idx3-ubyte.gz"));
        DataException e = assertThrows(DataException.class,
                () -> Datasets.load(new DataOptions("fashion-mnist-mini", dir, 0, 0, 1, 0)));
        assertEquals("missing file " + dir.resolve("train-labels-idx1-ubyte.gz"), e.getMessage());
    }

    @Test
    void cifarWithoutDirectoryWhileOfflineSaysWhatToDo() {
        Assumptions.assumeTrue(DjlDownload.offline(), "surefire runs DJL offline");
        DataException e = assertThrows(DataException.class,
                () -> Datasets.load(new DataOptions("cifar10", null, 0, 0, 1, 0)));
        assertTrue(e.getMessage().startsWith("cifar10: pass --data-dir with the CIFAR-10 binary version"), e.getMessage());
    }

    @Test
    void badOptions() {
        assertEquals("--val-split must be in [0, 1), got 1.0",
                assertThrows(DataException.class, () -> new DataOptions(null, null, 0, 1.0, 1, 0)).getMessage());
        assertEquals("--image-size must be 0 (native) or positive, got -1",
                assertThrows(DataException.class, () -> new DataOptions(null, null, -1, 0, 1, 0)).getMessage());
        assertEquals("--limit must be 0 (all) or positive, got -5",
                assertThrows(DataException.class, () -> new DataOptions(null, null, 0, 0, 1, -5)).getMessage());
    }

    @Test
    void normalizationPerDataset() {
        assertArrayEquals(new float[] {0.4914f, 0.4822f, 0.4465f}, Datasets.normalization("cifar10").mean());
        assertArrayEquals(new float[] {0.2470f, 0.2435f, 0.2616f}, Datasets.normalization("cifar10").std());
        // torchvision's ImageNet statistics, what pretrained weights expect
        assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, Datasets.normalization("folder:/x").mean());
        assertArrayEquals(new float[] {0.229f, 0.224f, 0.225f}, Datasets.normalization("folder:/x").std());
    }
}
