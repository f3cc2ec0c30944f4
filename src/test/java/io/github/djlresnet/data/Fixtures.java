package io.github.djlresnet.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writes small real-format files (IDX, CIFAR binary, PNG) for the tests. */
final class Fixtures {

    static final Path MINI = Path.of("data", "fashion-mnist-mini");

    private Fixtures() {}

    static ImageSet miniTrain() {
        return Datasets.load(DataOptions.defaults()).train();
    }

    static byte[] idxImages(int magic, int n, int rows, int cols, byte[] pixels) {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(magic).putInt(n).putInt(rows).putInt(cols).put(pixels);
        return b.array();
    }

    static byte[] idxLabels(int magic, int n, byte[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(magic).putInt(n).put(labels);
        return b.array();
    }

    static Path gz(Path file, byte[] content) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content);
        }
        return file;
    }

    /** One CIFAR record per image: label byte then the 3072 channel-first pixels. */
    static byte[] cifarRecords(int[] labels, byte[] pixels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < labels.length; i++) {
            out.write(labels[i]);
            out.write(pixels, i * 3072, 3072);
        }
        return out.toByteArray();
    }

    /** Image {@code i} of a one-channel set as a grayscale PNG. */
    static void grayPng(ImageSet set, int i, Path file) throws IOException {
        int h = set.height();
        int w = set.width();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, w, h, java.util.Arrays.copyOfRange(set.pixels(), i * h * w, (i + 1) * h * w));
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    /** Image {@code i} of a one-channel set as an RGB PNG with channels (v, 255 - v, v / 2). */
    static void rgbPng(ImageSet set, int i, Path file) throws IOException {
        int h = set.height();
        int w = set.width();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = set.pixels()[i * h * w + y * w + x] & 0xFF;
                img.setRGB(x, y, (v << 16) | ((255 - v) << 8) | (v / 2));
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }
}
