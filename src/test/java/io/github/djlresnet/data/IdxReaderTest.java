package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    private static final List<String> CLASSES = Datasets.FASHION_MNIST_CLASSES;

    @TempDir Path dir;

    private static byte[] gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    @Test
    void plainAndGzipReadTheSame() throws IOException {
        Path images = Fixtures.MINI.resolve("t10k-images-idx3-ubyte.gz");
        Path labels = Fixtures.MINI.resolve("t10k-labels-idx1-ubyte.gz");
        Path plainImages = Files.write(dir.resolve("img"), gunzip(images));
        Path plainLabels = Files.write(dir.resolve("lab"), gunzip(labels));
        ImageSet gz = IdxReader.read(images, labels, "gz", CLASSES);
        ImageSet plain = IdxReader.read(plainImages, plainLabels, "plain", CLASSES);
        assertEquals(500, gz.size());
        assertEquals(28, gz.height());
        assertEquals(1, gz.channels());
        assertArrayEquals(gz.pixels(), plain.pixels());
        assertArrayEquals(gz.labels(), plain.labels());
        // the pixels are the file's bytes after the 16-byte header
        byte[] raw = gunzip(images);
        assertArrayEquals(Arrays.copyOfRange(raw, 16, raw.length), gz.pixels());
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope-images-idx3-ubyte.gz");
        DataException e = assertThrows(DataException.class,
                () -> IdxReader.read(missing, Fixtures.MINI.resolve("t10k-labels-idx1-ubyte.gz"), "x", CLASSES));
        assertEquals("missing file " + missing, e.getMessage());
    }

    @Test
    void wrongMagic() throws IOException {
        // a label file given where the image file is expected
        Path labels = Fixtures.MINI.resolve("t10k-labels-idx1-ubyte.gz");
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(labels, labels, "x", CLASSES));
        assertEquals(labels + ": wrong IDX magic number 2049, expected 2051 (images)", e.getMessage());
    }

    @Test
    void truncatedImageFile() throws IOException {
        Path images = Fixtures.gz(dir.resolve("img.gz"), Fixtures.idxImages(2051, 3, 28, 28, new byte[2 * 784 + 10]));
        Path labels = Fixtures.gz(dir.resolve("lab.gz"), Fixtures.idxLabels(2049, 3, new byte[3]));
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(images, labels, "x", CLASSES));
        assertEquals(images + ": truncated, header says 3 images of 28x28 (2352 bytes) but only 1578 bytes follow",
                e.getMessage());
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.MINI.resolve("t10k-images-idx3-ubyte.gz"));
        Path cut = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(whole, whole.length / 2));
        DataException e = assertThrows(DataException.class,
                () -> IdxReader.read(cut, Fixtures.MINI.resolve("t10k-labels-idx1-ubyte.gz"), "x", CLASSES));
        assertEquals(cut + ": truncated gzip stream", e.getMessage());
    }

    @Test
    void imageCountDiffersFromLabelCount() throws IOException {
        Path images = Fixtures.gz(dir.resolve("img.gz"), Fixtures.idxImages(2051, 3, 2, 2, new byte[12]));
        Path labels = Fixtures.gz(dir.resolve("lab.gz"), Fixtures.idxLabels(2049, 2, new byte[2]));
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(images, labels, "x", CLASSES));
        assertEquals(labels + ": 2 labels but img.gz has 3 images", e.getMessage());
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path images = Fixtures.gz(dir.resolve("img.gz"), Fixtures.idxImages(2051, 3, 2, 2, new byte[12]));
        Path labels = Fixtures.gz(dir.resolve("lab.gz"), Fixtures.idxLabels(2049, 3, new byte[] {9, 0, 10}));
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(images, labels, "x", CLASSES));
        assertEquals(labels + ": label 10 at index 2 is out of range 0..9", e.getMessage());
    }

    @Test
    void messagesAreOneLine() throws IOException {
        Path labels = Fixtures.MINI.resolve("t10k-labels-idx1-ubyte.gz");
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(labels, labels, "x", CLASSES));
        assertTrue(!e.getMessage().contains("\n"));
        // the CLI maps the app's own input errors to exit code 2: a labels file in the images' place
        Path broken = Files.createDirectories(dir.resolve("broken"));
        for (String f : new String[] {"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            Files.copy(Fixtures.MINI.resolve(f), broken.resolve(f));
        }
        Files.copy(labels, broken.resolve("train-images-idx3-ubyte.gz"));
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.github.djlresnet.cli.Main.execute(new java.io.PrintWriter(java.io.Writer.nullWriter()),
                new java.io.PrintWriter(err, true), "train", "--dataset", "fashion-mnist", "--data-dir",
                broken.toString(), "--output", dir.resolve("run").toString());
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().startsWith("error: " + broken.resolve("train-images-idx3-ubyte.gz")), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
