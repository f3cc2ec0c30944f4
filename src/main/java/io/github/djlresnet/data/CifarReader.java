package io.github.djlresnet.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the CIFAR-10 binary version from a directory: {@code data_batch_1.bin} ..
 * {@code data_batch_5.bin} (train), {@code test_batch.bin} (test) and, if present,
 * {@code batches.meta.txt} (class names, one per line). Each record is one label byte followed by
 * 3x32x32 pixel bytes, already channel-first (all red, then green, then blue).
 */
public final class CifarReader {

    public static final int SIDE = 32;
    public static final int RECORD = 1 + 3 * SIDE * SIDE; // 3073
    public static final List<String> TRAIN_FILES =
            List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    public static final String TEST_FILE = "test_batch.bin";
    public static final List<String> CLASSES =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private CifarReader() {}

    public static ImageSet readTrain(Path dir) {
        return read(dir, TRAIN_FILES, "cifar10/train");
    }

    public static ImageSet readTest(Path dir) {
        return read(dir, List.of(TEST_FILE), "cifar10/test");
    }

    private static ImageSet read(Path dir, List<String> names, String setName) {
        if (!Files.isDirectory(dir)) {
            throw new DataException("cifar10: data directory " + dir + " does not exist");
        }
        List<String> synset = synset(dir);
        List<Path> files = new ArrayList<>();
        long records = 0;
        for (String name : names) { // check every file before reading any
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new DataException("cifar10: missing file " + file);
            }
            long size = size(file);
            if (size == 0 || size % RECORD != 0) {
                throw new DataException(
                        file + ": size " + size + " bytes is not a positive multiple of " + RECORD
                                + " (1 label byte + 3x32x32 pixels per image)");
            }
            files.add(file);
            records += size / RECORD;
        }
        int imageBytes = RECORD - 1;
        byte[] pixels = new byte[Math.toIntExact(records * imageBytes)];
        int[] labels = new int[(int) records];
        int i = 0;
        for (Path file : files) {
            byte[] data = bytes(file);
            for (int r = 0; r < data.length / RECORD; r++, i++) {
                int label = data[r * RECORD] & 0xFF;
                if (label >= synset.size()) {
                    throw new DataException(
                            file + ": label " + label + " in record " + r + " is out of range 0.."
                                    + (synset.size() - 1));
                }
                labels[i] = label;
                System.arraycopy(data, r * RECORD + 1, pixels, i * imageBytes, imageBytes);
            }
        }
        return new ImageSet(setName, pixels, labels, 3, SIDE, SIDE, synset);
    }

    /** Class names from batches.meta.txt when present, else the standard ten. */
    private static List<String> synset(Path dir) {
        Path meta = dir.resolve("batches.meta.txt");
        if (!Files.isRegularFile(meta)) {
            return CLASSES;
        }
        List<String> names = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) { // the official file ends with blank lines
                    names.add(line.trim());
                }
            }
        } catch (IOException e) {
            throw new DataException(meta + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (names.size() != CLASSES.size()) {
            throw new DataException(
                    meta + ": " + names.size() + " class names, expected " + CLASSES.size());
        }
        return names;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }
}
