package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarReaderTest {

    private static final int PER_BATCH = 4;

    @TempDir Path dir;

    private ImageSet mini;
    private byte[] pixels; // 6 * PER_BATCH CIFAR-shaped images made from Fashion-MNIST ones
    private int[] labels;

    /** Fashion-MNIST image i centred in 32x32, channels (v, 255 - v, v / 2). */
    private static byte[] cifarImage(ImageSet mini, int i) {
        byte[] out = new byte[3072];
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = mini.pixels()[i * 784 + y * 28 + x] & 0xFF;
                int p = (y + 2) * 32 + x + 2;
                out[p] = (byte) v;
                out[1024 + p] = (byte) (255 - v);
                out[2048 + p] = (byte) (v / 2);
            }
        }
        return out;
    }

    @BeforeEach
    void writeBinaryVersion() throws IOException {
        mini = Fixtures.miniTrain();
        int n = 6 * PER_BATCH;
        pixels = new byte[n * 3072];
        labels = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(cifarImage(mini, i), 0, pixels, i * 3072, 3072);
            labels[i] = mini.labels()[i];
        }
        for (int b = 0; b < 6; b++) {
            String name = b < 5 ? "data_batch_" + (b + 1) + ".bin" : "test_batch.bin";
            int from = b * PER_BATCH;
            Files.write(dir.resolve(name), Fixtures.cifarRecords(
                    Arrays.copyOfRange(labels, from, from + PER_BATCH),
                    Arrays.copyOfRange(pixels, from * 3072, (from + PER_BATCH) * 3072)));
        }
    }

    @Test
    void loadsThroughTheCifar10Path() {
        LoadedData d = Datasets.load(new DataOptions("cifar10", dir, 0, 0, 1, 0));
        assertEquals(5 * PER_BATCH, d.train().size());
        assertEquals(PER_BATCH, d.validation().size());
        assertEquals(3, d.train().channels());
        assertEquals(32, d.train().height());
        assertEquals(CifarReader.CLASSES, d.train().synset());
        assertArrayEquals(Arrays.copyOf(labels, 5 * PER_BATCH), d.train().labels());
        assertArrayEquals(Arrays.copyOf(pixels, 5 * PER_BATCH * 3072), d.train().pixels());
        assertArrayEquals(Arrays.copyOfRange(labels, 5 * PER_BATCH, 6 * PER_BATCH), d.validation().labels());
        assertArrayEquals(Arrays.copyOfRange(pixels, 5 * PER_BATCH * 3072, pixels.length), d.validation().pixels());
        assertEquals(Normalization.CIFAR10, d.normalization());
    }

    @Test
    void acceptsTheExtractedArchiveParent() throws IOException {
        Path parent = dir.resolve("download");
        Path nested = Files.createDirectories(parent.resolve("cifar-10-batches-bin"));
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, nested.resolve(f.getFileName()));
            }
        }
        LoadedData d = Datasets.load(new DataOptions("cifar10", parent, 0, 0, 1, 0));
        assertEquals(5 * PER_BATCH, d.train().size());
        assertArrayEquals(Arrays.copyOfRange(labels, 5 * PER_BATCH, 6 * PER_BATCH), d.validation().labels());
    }

    @Test
    void metaFileNamesTheClasses() throws IOException {
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", names) + "\n\n");
        assertEquals(names, CifarReader.readTest(dir).synset());
    }

    @Test
    void sizeNotMultipleOfRecord() throws IOException {
        Path bad = dir.resolve("data_batch_3.bin");
        Files.write(bad, new byte[3073 * 2 + 100]);
        DataException e = assertThrows(DataException.class, () -> CifarReader.readTrain(dir));
        assertEquals(bad + ": size 6246 bytes is not a positive multiple of 3073 (1 label byte + 3x32x32 pixels per image)",
                e.getMessage());
    }

    @Test
    void missingBatchFile() throws IOException {
        Files.delete(dir.resolve("data_batch_5.bin"));
        DataException e = assertThrows(DataException.class,
                () -> Datasets.load(new DataOptions("cifar10", dir, 0, 0, 1, 0)));
        assertEquals("cifar10: missing file " + dir.resolve("data_batch_5.bin"), e.getMessage());
    }

    @Test
    void missingDirectory() {
        Path missing = dir.resolve("nowhere");
        DataException e = assertThrows(DataException.class, () -> CifarReader.readTest(missing));
        assertEquals("cifar10: data directory " + missing + " does not exist", e.getMessage());
    }

    @Test
    void labelOutOfRange() throws IOException {
        int[] bad = {1, 2, 10, 3};
        Path test = dir.resolve("test_batch.bin");
        Files.write(test, Fixtures.cifarRecords(bad, Arrays.copyOf(pixels, 4 * 3072)));
        DataException e = assertThrows(DataException.class, () -> CifarReader.readTest(dir));
        assertEquals(test + ": label 10 in record 2 is out of range 0..9", e.getMessage());
    }
}
