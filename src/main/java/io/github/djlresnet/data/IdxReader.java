package io.github.djlresnet.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads an IDX image file and its label file (MNIST / Fashion-MNIST format, gzipped or plain).
 *
 * <p>Why not DJL basicdataset's {@code FashionMnist}: it only loads from its own repository or
 * download, straight into per-sample NDArrays. We need the local Debian or shipped files, read
 * once per run into plain bytes, and errors that say which file is wrong and how.
 */
public final class IdxReader {

    public static final int IMAGE_MAGIC = 2051;
    public static final int LABEL_MAGIC = 2049;

    private IdxReader() {}

    /**
     * Reads {@code images} (magic 2051, N x rows x cols uint8) and {@code labels} (magic 2049, N
     * uint8) into a one-channel ImageSet; labels must be below {@code synset.size()}.
     */
    public static ImageSet read(Path images, Path labels, String name, List<String> synset) {
        ByteBuffer img = ByteBuffer.wrap(readAll(images));
        int[] dims = header(img, images, IMAGE_MAGIC, 3);
        int n = dims[0];
        int rows = dims[1];
        int cols = dims[2];
        long pixelBytes = (long) n * rows * cols;
        if (img.remaining() < pixelBytes) {
            throw new DataException(
                    images + ": truncated, header says " + n + " images of " + rows + "x" + cols + " ("
                            + pixelBytes + " bytes) but only " + img.remaining() + " bytes follow");
        }
        byte[] pixels = new byte[(int) pixelBytes];
        img.get(pixels);

        ByteBuffer lab = ByteBuffer.wrap(readAll(labels));
        int count = header(lab, labels, LABEL_MAGIC, 1)[0];
        if (lab.remaining() < count) {
            throw new DataException(
                    labels + ": truncated, header says " + count + " labels but only "
                            + lab.remaining() + " bytes follow");
        }
        if (count != n) {
            throw new DataException(
                    labels + ": " + count + " labels but " + images.getFileName() + " has " + n + " images");
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lab.get() & 0xFF;
            if (y[i] >= synset.size()) {
                throw new DataException(
                        labels + ": label " + y[i] + " at index " + i + " is out of range 0.."
                                + (synset.size() - 1));
            }
        }
        return new ImageSet(name, pixels, y, 1, rows, cols, synset);
    }

    /** Checks the magic number and returns the {@code ndim} dimensions that follow it. */
    private static int[] header(ByteBuffer buf, Path file, int magic, int ndim) {
        if (buf.remaining() < 4 + 4 * ndim) {
            throw new DataException(file + ": truncated, " + buf.remaining() + " bytes is shorter than the IDX header");
        }
        int got = buf.getInt(); // IDX is big-endian, ByteBuffer's default
        if (got != magic) {
            throw new DataException(
                    file + ": wrong IDX magic number " + got + ", expected " + magic + " ("
                            + (magic == IMAGE_MAGIC ? "images" : "labels") + ")");
        }
        int[] dims = new int[ndim];
        for (int d = 0; d < ndim; d++) {
            dims[d] = buf.getInt();
            if (dims[d] < 0) {
                throw new DataException(file + ": negative dimension " + dims[d] + " in IDX header");
            }
        }
        return dims;
    }

    /** Whole file, gunzipped when it starts with the gzip magic (whatever its name says). */
    private static byte[] readAll(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            if (!gzip) {
                return raw.readAllBytes();
            }
            try (InputStream in = new GZIPInputStream(raw, 1 << 16)) {
                return in.readAllBytes();
            }
        } catch (NoSuchFileException e) {
            throw new DataException("missing file " + file);
        } catch (EOFException e) {
            throw new DataException(file + ": truncated gzip stream");
        } catch (ZipException e) {
            throw new DataException(file + ": corrupt gzip data (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }
}
