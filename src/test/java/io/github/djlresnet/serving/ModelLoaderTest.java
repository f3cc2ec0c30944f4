package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.data.ImageSet;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {

    private static Model model;
    private static Path exported;
    private static ImageSet test;

    @TempDir Path tmp;

    @BeforeAll
    static void export() throws IOException {
        model = Fixtures.model();
        exported = Fixtures.exported();
        test = Fixtures.test();
    }

    @Test
    void folderLoadsThroughCriteriaWithTheInMemoryLogits() throws Exception {
        assertSameLogits(exported);
    }

    @Test
    void aZipOfTheFolderLoadsTheSame() throws Exception {
        Path zip = zip(exported, tmp.resolve("model.zip"), "fmnist/");
        assertSameLogits(zip);
        // the zip is unpacked into a temporary folder that goes away with the model
        Path unpacked;
        try (ZooModel<NDList, NDList> loaded = ModelLoader.logits(zip)) {
            unpacked = loaded.getModelPath();
            assertTrue(Files.isRegularFile(unpacked.resolve("synset.txt")), unpacked.toString());
        }
        assertFalse(Files.exists(unpacked.getParent()), unpacked.getParent() + " is deleted on close");
    }

    /**
     * Logits of 8 test images from the loaded model equal the in-memory model's within 1e-5 of the
     * largest (the loaded network has its BatchNorms folded into the convolutions: float rounding).
     */
    private static void assertSameLogits(Path path) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                ZooModel<NDList, NDList> loaded = ModelLoader.logits(path);
                Predictor<NDList, NDList> predictor = loaded.newPredictor()) {
            assertInstanceOf(NormalizedBlock.class, loaded.getBlock(), "block built by ResNetBlockFactory");
            assertFalse(hasBatchNorm(loaded.getBlock()), "the inference form, BatchNorm folded");
            NDArray x = Fixtures.pixels01(m, test, 0, 8);
            float[] expected = Fixtures.logits(model, x);
            NDArray out = predictor.predict(new NDList(x)).singletonOrThrow();
            assertEquals(8, out.getShape().get(0));
            assertEquals(10, out.getShape().get(1));
            float[] actual = out.toFloatArray();
            float maxDiff = 0;
            float largest = 0;
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
                largest = Math.max(largest, Math.abs(expected[i]));
            }
            assertTrue(maxDiff <= 1e-5f * largest, "max |logit difference| " + maxDiff + ", largest |logit| " + largest);
            // and the logits are not trivially equal (all zero, say)
            assertTrue(NDArrays.spread(expected) > 1e-3f);
        }
    }

    private static boolean hasBatchNorm(Block block) {
        return block instanceof BatchNorm || block.getChildren().values().stream().anyMatch(ModelLoaderTest::hasBatchNorm);
    }

    @Test
    void truncatedParamsAreReported() throws IOException {
        Path dir = Fixtures.copy(exported, tmp.resolve("truncated"));
        Path params = dir.resolve(params());
        byte[] bytes = Files.readAllBytes(params);
        Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertFailsUnchanged(dir, "model parameters in " + params + " are corrupt or truncated");
    }

    @Test
    void truncatedParamsWithoutChecksumAreReportedToo() throws IOException {
        // DJL itself must hit the end of the file: no checksum to catch it first
        Path dir = Fixtures.copy(exported, tmp.resolve("truncated-no-sha"));
        editProperties(dir, Map.of("paramsSha256", ""));
        Path params = dir.resolve(params());
        byte[] bytes = Files.readAllBytes(params);
        Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length - 1000));
        assertFailsUnchanged(dir, "model parameters in " + params + " are corrupt or truncated");
    }

    @Test
    void corruptParamsAreReported() throws IOException {
        Path dir = Fixtures.copy(exported, tmp.resolve("corrupt"));
        Path params = dir.resolve(params());
        byte[] bytes = Files.readAllBytes(params);
        for (int i = bytes.length / 2; i < bytes.length / 2 + 64; i++) {
            bytes[i] ^= 0x5a;
        }
        Files.write(params, bytes);
        assertFailsUnchanged(dir, "model parameters in " + params + " are corrupt or truncated");

        // garbage instead of DJL's header: DJL alone would skip the file and serve random weights
        bytes = Files.readAllBytes(exported.resolve(params()));
        bytes[0] = 'X';
        Files.write(params, bytes);
        editProperties(dir, Map.of("paramsSha256", ""));
        assertFailsUnchanged(dir, "model parameters in " + params + " are corrupt or truncated");
    }

    @Test
    void parametersOfAnotherArchitectureAreReported() throws IOException {
        Path dir = Fixtures.copy(exported, tmp.resolve("depth34"));
        editProperties(dir, Map.of("depth", "34"));
        assertFailsUnchanged(dir, "were saved for ResNet-18 (10 classes, 1 input channel, imagenet stem, shortcut B)"
                + " and do not match serving.properties, which describes ResNet-34");

        dir = Fixtures.copy(exported, tmp.resolve("shortcutC"));
        editProperties(dir, Map.of("shortcut", "C"));
        assertFailsUnchanged(dir, "do not match serving.properties");
    }

    @Test
    void parametersOfAnotherArchitectureWithoutExportHeaderAreReported() throws IOException {
        // a bare DJL Model.save of the depth-18 block, served as depth 34 / shortcut C
        Path dir = Fixtures.copy(exported, tmp.resolve("bare"));
        Files.delete(dir.resolve(params()));
        try (Model saver = Model.newInstance(Fixtures.NAME, "PyTorch")) {
            saver.setBlock(model.getBlock());
            saver.setProperty("Epoch", String.valueOf(Fixtures.EPOCH));
            saver.save(dir, Fixtures.NAME);
        }
        String[][] changes = {{"depth", "34"}, {"shortcut", "C"}, {"stem", "small"}, {"classes", "5"}};
        for (String[] change : changes) {
            Files.copy(exported.resolve("serving.properties"), dir.resolve("serving.properties"),
                    StandardCopyOption.REPLACE_EXISTING);
            editProperties(dir, Map.of("paramsSha256", "", change[0], change[1]));
            Files.writeString(dir.resolve("synset.txt"),
                    String.join("\n", Fixtures.SYNSET.subList(0, change[0].equals("classes") ? 5 : 10)) + "\n");
            // DJL reads the 10-class head into a 5-class block without complaint: the shape check catches it
            assertFailsUnchanged(dir, change[0].equals("classes")
                    ? "do not match the architecture in serving.properties, ResNet-18 (5 classes"
                    : "do not match the architecture in serving.properties");
        }
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path dir = Fixtures.copy(exported, tmp.resolve("no-synset"));
        Files.delete(dir.resolve("synset.txt"));
        assertFailsUnchanged(dir, dir + " has no synset.txt");

        dir = Fixtures.copy(exported, tmp.resolve("short-synset"));
        Files.writeString(dir.resolve("synset.txt"), "a\nb\n");
        assertFailsUnchanged(dir, "synset.txt has 2 lines but serving.properties says classes=10");

        dir = Fixtures.copy(exported, tmp.resolve("no-properties"));
        Files.delete(dir.resolve("serving.properties"));
        assertFailsUnchanged(dir, dir + " has no serving.properties");

        dir = Fixtures.copy(exported, tmp.resolve("no-params"));
        Files.delete(dir.resolve(params()));
        assertFailsUnchanged(dir, "has no " + params());

        dir = Fixtures.copy(exported, tmp.resolve("bad-argument"));
        editProperties(dir, Map.of("stem", "tiny"));
        assertFailsUnchanged(dir, "stem must be 'imagenet' or 'small', got 'tiny'");

        dir = Fixtures.copy(exported, tmp.resolve("missing-argument"));
        editProperties(dir, Map.of("inputChannels", ""));
        assertFailsUnchanged(dir, "missing model argument 'inputChannels'");

        Path notZip = Files.writeString(tmp.resolve("model.zip"), "not a zip");
        assertFailsUnchanged(notZip, "is neither a model folder nor a .zip of one");
        assertFailsUnchanged(tmp.resolve("nothing"), "does not exist");
    }

    @Test
    void blockFactoryNamesMissingAndBadArguments() {
        Map<String, Object> args = new HashMap<>(Map.of(
                "depth", "18", "classes", "10", "inputChannels", "1", "stem", "imagenet", "shortcut", "B",
                "width", "28", "height", "28", "normalizeMean", "0.5", "normalizeStd", "0.25"));
        assertInstanceOf(NormalizedBlock.class, new ResNetBlockFactory().newBlock(null, null, args));
        for (String key : args.keySet()) {
            Map<String, Object> missing = new HashMap<>(args);
            missing.remove(key);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ResNetBlockFactory().newBlock(null, null, missing));
            assertEquals("missing model argument '" + key + "'", e.getMessage());
        }
        assertBad(args, "depth", "x", "model argument 'depth' must be an integer, got 'x'");
        assertBad(args, "depth", "50", "depth must be 18 or 34, got 50");
        assertBad(args, "shortcut", "D", "shortcut must be one of A, B, C");
        assertBad(args, "normalizeMean", "0.1,0.2,0.3", "one value per input channel (1)");
        assertBad(args, "normalizeStd", "0", "'normalizeStd' must be positive");
        assertBad(args, "width", "8", "too small");
    }

    private static void assertBad(Map<String, Object> args, String key, String value, String expected) {
        Map<String, Object> bad = new HashMap<>(args);
        bad.put(key, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ResNetBlockFactory().newBlock(null, null, bad));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static String params() {
        return ModelFolder.paramsFile(Fixtures.NAME, Fixtures.EPOCH);
    }

    /** Loading fails with {@code expected} in a one-line message and leaves every file as it was. */
    private static void assertFailsUnchanged(Path path, String expected) throws IOException {
        Map<String, byte[]> before = Files.isDirectory(path) ? Fixtures.snapshot(path) : null;
        for (Executable load : new Executable[] {() -> ModelLoader.logits(path).close(),
                () -> ModelLoader.classifier(path).close()}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, load);
            assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + e.getMessage());
        }
        if (before != null) {
            Fixtures.assertSameFiles(before, Fixtures.snapshot(path));
        }
    }

    /** Replaces (or, with an empty value, removes) keys of serving.properties, keeping the rest. */
    static void editProperties(Path dir, Map<String, String> changes) throws IOException {
        Path file = dir.resolve("serving.properties");
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            String key = eq < 0 || line.startsWith("#") ? null : line.substring(0, eq);
            if (key == null || !changes.containsKey(key)) {
                sb.append(line).append('\n');
            } else if (!changes.get(key).isEmpty()) {
                sb.append(key).append('=').append(changes.get(key)).append('\n');
            }
        }
        Files.writeString(file, sb.toString());
    }

    /** Zips the folder's files under {@code prefix} (as "zip -r x.zip folder" would). */
    static Path zip(Path dir, Path zip, String prefix) throws IOException {
        try (OutputStream out = Files.newOutputStream(zip);
                ZipOutputStream zos = new ZipOutputStream(out);
                Stream<Path> files = Files.list(dir)) {
            zos.putNextEntry(new ZipEntry(prefix));
            zos.closeEntry();
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                zos.putNextEntry(new ZipEntry(prefix + f.getFileName()));
                Files.copy(f, zos);
                zos.closeEntry();
            }
        }
        return zip;
    }

    /** Tiny helper so the spread check reads well. */
    private static final class NDArrays {
        static float spread(float[] v) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float f : v) {
                min = Math.min(min, f);
                max = Math.max(max, f);
            }
            return max - min;
        }
    }
}
