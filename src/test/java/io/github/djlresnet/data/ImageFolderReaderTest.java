package io.github.djlresnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class ImageFolderReaderTest {

    private static ImageSet mini;

    @TempDir Path dir;

    @BeforeAll
    static void readMini() {
        mini = Fixtures.miniTrain();
    }

    /** Index of the k-th mini image of a class. */
    private static int nth(int label, int k) {
        for (int i = 0, seen = 0; i < mini.size(); i++) {
            if (mini.labels()[i] == label && seen++ == k) {
                return i;
            }
        }
        throw new AssertionError();
    }

    private static byte[] gray(int i) {
        return Arrays.copyOfRange(mini.pixels(), i * 784, (i + 1) * 784);
    }

    /** Class folders bag (8), coat (4), trouser (1) with n gray PNGs each under root. */
    private static void writeClasses(Path root, int n, int firstK) throws IOException {
        String[] names = {"trouser", "coat", "bag"};
        int[] labels = {1, 4, 8};
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < n; k++) {
                Fixtures.grayPng(mini, nth(labels[c], firstK + k), root.resolve(names[c]).resolve(k + ".png"));
            }
        }
    }

    private static DataOptions folder(Path root, int imageSize, double valSplit, long seed) {
        return new DataOptions("folder:" + root, null, imageSize, valSplit, seed, 0);
    }

    @Test
    void grayPngsLoadWithSortedSynsetLabelsAndThreeEqualChannels() throws IOException {
        writeClasses(dir, 3, 0);
        LoadedData d = Datasets.load(folder(dir, 0, 0, 1));
        ImageSet train = d.train();
        assertEquals(List.of("bag", "coat", "trouser"), train.synset());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1, 2, 2, 2}, train.labels());
        assertEquals(3, train.channels());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        assertEquals(0, d.validation().size());
        assertEquals(Normalization.IMAGENET, d.normalization());
        // image 3 is coat/0.png: the first coat (label 4) of the mini set, exact in every channel
        byte[] expected = gray(nth(4, 0));
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(expected, Arrays.copyOfRange(train.pixels(), 3 * 2352 + c * 784, 3 * 2352 + (c + 1) * 784));
        }
    }

    @Test
    void rgbPngKeepsChannels() throws IOException {
        int i = nth(7, 0);
        Fixtures.rgbPng(mini, i, dir.resolve("sneaker").resolve("a.png"));
        ImageSet s = new ImageFolderReader(dir, 3, 0).read(0, 1).train();
        byte[] v = gray(i);
        for (int p = 0; p < 784; p++) {
            int g = v[p] & 0xFF;
            assertEquals(g, s.pixels()[p] & 0xFF);
            assertEquals(255 - g, s.pixels()[784 + p] & 0xFF);
            assertEquals(g / 2, s.pixels()[2 * 784 + p] & 0xFF);
        }
    }

    @Test
    void trainAndValSubfoldersAreUsedAsIs() throws IOException {
        writeClasses(dir.resolve("train"), 4, 0);
        writeClasses(dir.resolve("val"), 2, 4);
        writeClasses(dir.resolve("test"), 1, 6);
        LoadedData d = Datasets.load(folder(dir, 0, 0.5, 1)); // val/ wins over --val-split
        assertEquals(12, d.train().size());
        assertEquals(6, d.validation().size());
        assertEquals(List.of("bag", "coat", "trouser"), d.validation().synset());
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, d.validation().labels());
        ImageSet test = Datasets.loadTest(folder(dir, 0, 0, 1));
        assertEquals(3, test.size());
        assertArrayEquals(new int[] {0, 1, 2}, test.labels());
    }

    @Test
    void valSplitIsSeededAndDisjoint() throws IOException {
        writeClasses(dir, 10, 0);
        LoadedData a = Datasets.load(folder(dir, 0, 0.3, 5));
        LoadedData b = Datasets.load(folder(dir, 0, 0.3, 5));
        LoadedData c = Datasets.load(folder(dir, 0, 0.3, 6));
        assertEquals(21, a.train().size());
        assertEquals(9, a.validation().size());
        assertArrayEquals(a.validation().pixels(), b.validation().pixels());
        assertFalse(Arrays.equals(a.validation().pixels(), c.validation().pixels()));
        for (int v = 0; v < 9; v++) { // no held-out image is also a training image
            byte[] img = a.validation().select(new int[] {v}, "v").pixels();
            for (int t = 0; t < 21; t++) {
                assertFalse(Arrays.equals(img, a.train().select(new int[] {t}, "t").pixels()));
            }
        }
    }

    @Test
    void imageSizeResizesEveryImage() throws IOException {
        writeClasses(dir, 1, 0);
        ImageSet s = Datasets.load(folder(dir, 40, 0, 1)).train();
        assertEquals(40, s.height());
        assertEquals(40, s.width());
        assertEquals(3 * 3 * 40 * 40, s.pixels().length);
    }

    @Test
    void mixedSizesAreResizedToTheFirstImage() throws IOException {
        // a/0.png is 28x28; b/0.png is 20x36 RGB and must come out 28x28, bilinearly resized
        Fixtures.grayPng(mini, 0, dir.resolve("a").resolve("0.png"));
        BufferedImage odd = new BufferedImage(36, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 36; x++) {
                int v = mini.pixels()[y * 28 + (x * 28 / 36)] & 0xFF;
                odd.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        Files.createDirectories(dir.resolve("b"));
        ImageIO.write(odd, "png", dir.resolve("b").resolve("0.png").toFile());
        ImageSet s = new ImageFolderReader(dir, 3, 0).read(0, 1).train();
        assertEquals(2, s.size());
        assertEquals(28, s.height());
        assertEquals(28, s.width());
        byte[] native3 = new byte[3 * 20 * 36];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 720; p++) {
                native3[c * 720 + p] = (byte) (odd.getRGB(p % 36, p / 36) & 0xFF);
            }
        }
        assertArrayEquals(Bilinear.resizeToBytes(native3, 0, 3, 20, 36, 28, 28), s.select(new int[] {1}, "b").pixels());
    }

    @Test
    void undecodableFileIsSkippedWithWarning() throws IOException {
        writeClasses(dir, 2, 0);
        Path junk = dir.resolve("coat").resolve("notes.png");
        Files.writeString(junk, "not an image");
        Logger logger = (Logger) LoggerFactory.getLogger(ImageFolderReader.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            ImageSet s = new ImageFolderReader(dir, 3, 0).read(0, 1).train();
            assertEquals(6, s.size());
        } finally {
            logger.detachAppender(logs);
        }
        assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().equals("skipping " + junk + ": not a decodable image")),
                logs.list.toString());
    }

    @Test
    void classFolderWithOnlyUndecodableFiles() throws IOException {
        writeClasses(dir, 1, 0);
        Files.createDirectories(dir.resolve("zzz"));
        Files.writeString(dir.resolve("zzz").resolve("a.jpg"), "junk");
        DataException e = assertThrows(DataException.class, () -> new ImageFolderReader(dir, 3, 0).read(0, 1));
        assertEquals("class folder " + dir.resolve("zzz") + " has no decodable image (1 skipped)", e.getMessage());
    }

    @Test
    void missingFolder() {
        Path missing = dir.resolve("absent");
        DataException e = assertThrows(DataException.class, () -> Datasets.load(folder(missing, 0, 0, 1)));
        assertEquals("image folder " + missing + " does not exist", e.getMessage());
    }

    @Test
    void noClassSubfolders() throws IOException {
        Fixtures.grayPng(mini, 0, dir.resolve("loose.png"));
        DataException e = assertThrows(DataException.class, () -> Datasets.load(folder(dir, 0, 0, 1)));
        assertEquals("image folder " + dir + " has no class subfolders (expected " + dir + "/<class>/<image>)",
                e.getMessage());
    }

    @Test
    void emptyClassFolder() throws IOException {
        writeClasses(dir, 1, 0);
        Files.createDirectories(dir.resolve("dress"));
        DataException e = assertThrows(DataException.class, () -> Datasets.load(folder(dir, 0, 0, 1)));
        assertEquals("class folder " + dir.resolve("dress") + " is empty", e.getMessage());
    }

    @Test
    void validationClassUnknownToTrain() throws IOException {
        writeClasses(dir.resolve("train"), 1, 0);
        Fixtures.grayPng(mini, 0, dir.resolve("val").resolve("shirt").resolve("0.png"));
        DataException e = assertThrows(DataException.class, () -> Datasets.load(folder(dir, 0, 0, 1)));
        assertEquals(dir.resolve("val").resolve("shirt") + ": class 'shirt' is not among the training classes [bag, coat, trouser]",
                e.getMessage());
    }
}
