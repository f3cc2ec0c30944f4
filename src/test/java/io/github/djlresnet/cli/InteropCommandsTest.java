package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.InteropFormula;
import io.github.djlresnet.runtime.InteropFormula.Named;
import io.github.djlresnet.runtime.ModelSpec;
import io.github.djlresnet.runtime.SafeTensors;
import io.github.djlresnet.serving.ModelCard;
import io.github.djlresnet.serving.ModelExporter;
import io.github.djlresnet.serving.ModelLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * import and export --format safetensors end to end: torchvision's logits (bench/interop_fixture.py)
 * from formula weights through import and Criteria, the exact round trip, and bad input.
 */
class InteropCommandsTest {

    static final ResNetConfig RGB18 = new ResNetConfig(18, 1000, 3, Stem.IMAGENET, Shortcut.B);
    static final ResNetConfig GRAY34 = new ResNetConfig(34, 10, 1, Stem.SMALL, Shortcut.B);

    @TempDir static Path tmp;
    static Path rgbFile;
    static Path grayFile;
    static Path rgbModel;
    static Path grayModel;

    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void importBoth() throws IOException {
        rgbFile = InteropFormula.write(tmp.resolve("r18.safetensors"), InteropFormula.weights(RGB18));
        grayFile = InteropFormula.write(tmp.resolve("r34g.safetensors"), InteropFormula.weights(GRAY34));
        rgbModel = tmp.resolve("r18");
        grayModel = tmp.resolve("r34g");
        Outcome a = run("import", "--weights", rgbFile.toString(), "--output", rgbModel.toString(),
                "--image-size", "64");
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().contains("imported ResNet-18 (1000 classes, 3 input channels, imagenet stem)"), a.out());
        Path synset = Files.write(tmp.resolve("ten.txt"),
                List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        Outcome b = run("import", "--weights", grayFile.toString(), "--output", grayModel.toString(),
                "--image-size", "28", "--synset", synset.toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("imported ResNet-34 (10 classes, 1 input channel, small stem)"), b.out());
    }

    /** The loaded folder's logits against torchvision's, within 1e-4 of the largest logit. */
    private static void assertTorchvisionLogits(Path model, String caseName, Shape input) throws Exception {
        float[] expected = InteropFormula.torchLogits(caseName);
        try (NDManager m = NDManager.newBaseManager();
                ZooModel<NDList, NDList> loaded = ModelLoader.logits(model);
                Predictor<NDList, NDList> predictor = loaded.newPredictor()) {
            NDArray x = m.create(InteropFormula.input((int) input.size()), input);
            float[] actual = predictor.predict(new NDList(x)).singletonOrThrow().toFloatArray();
            assertEquals(expected.length, actual.length);
            float largest = 0;
            float diff = 0;
            for (int i = 0; i < expected.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
            }
            System.out.printf("parity %s: max |logit difference| %.3g, largest |logit| %.4f%n", caseName, diff, largest);
            assertTrue(largest > 1, "logits of a size worth comparing");
            assertTrue(diff <= 1e-4 * largest, caseName + ": max |difference| " + diff + ", largest " + largest);
        }
    }

    @Test
    void importedResNet18GivesTorchvisionsLogits() throws Exception {
        assertTorchvisionLogits(rgbModel, "resnet18-rgb-1000", new Shape(2, 3, 64, 64));
        List<String> synset = Files.readAllLines(rgbModel.resolve("synset.txt"));
        assertEquals(1000, synset.size());
        assertEquals("tench", synset.get(0));
        assertEquals("toilet tissue", synset.get(999));
    }

    @Test
    void importedGraySmallStemResNet34GivesTorchvisionsLogits() throws Exception {
        assertTorchvisionLogits(grayModel, "resnet34-gray-small-10", new Shape(2, 1, 28, 28));
        Properties p = properties(grayModel);
        assertEquals("0.449", p.getProperty("normalizeMean"));
        assertEquals("0.226", p.getProperty("normalizeStd"));
        assertEquals("28", p.getProperty("width"));
    }

    /** Exports {@code model} as safetensors and checks every tensor against the formula, bit for bit. */
    private static Path exportAndCompare(Path model, ResNetConfig config, Path out) {
        Outcome o = run("export", "--run", model.toString(), "--format", "safetensors", "--output", out.toString());
        assertEquals(0, o.code(), o.err());
        SafeTensors st = SafeTensors.open(out.resolve("model.safetensors"));
        List<Named> formula = InteropFormula.weights(config);
        assertEquals(formula.stream().map(Named::name).toList(), List.copyOf(st.entries().keySet()));
        for (Named t : formula) {
            assertEquals("F32", st.entries().get(t.name()).dtype());
            assertArrayEquals(t.shape(), st.entries().get(t.name()).shape(), t.name());
            assertArrayEquals(t.values(), st.floats(t.name()), t.name() + " bit for bit");
        }
        return out;
    }

    @Test
    void exportReproducesEveryTensorExactlyAndImportsBack() throws Exception {
        Path out = exportAndCompare(grayModel, GRAY34, tmp.resolve("torch-gray"));
        assertEquals(Files.readAllLines(grayModel.resolve("synset.txt")), Files.readAllLines(out.resolve("synset.txt")));
        String readme = Files.readString(out.resolve("README.md"));
        assertTrue(readme.contains("torchvision.models.resnet34(num_classes=10)"), readme);
        assertTrue(readme.contains("model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1, bias=False)"), readme);
        assertTrue(readme.contains("model.maxpool = torch.nn.Identity()"), readme);
        assertTrue(readme.contains("strict=True"), readme);

        Path again = tmp.resolve("again");
        Outcome i = run("import", "--weights", out.resolve("model.safetensors").toString(), "--output", again.toString(),
                "--synset", out.resolve("synset.txt").toString());
        assertEquals(0, i.code(), i.err());
        Properties a = properties(again);
        Properties b = properties(grayModel);
        for (String key : List.of("width", "normalizeMean", "normalizeStd", "depth", "stem", "classes", "inputChannels")) {
            assertEquals(b.getProperty(key), a.getProperty(key), key);
        }
        // and exporting the re-import gives the same file, byte for byte
        Path twice = tmp.resolve("torch-gray-twice");
        assertEquals(0, run("export", "--run", again.toString(), "--format", "safetensors", "--output", twice.toString()).code());
        assertArrayEquals(Files.readAllBytes(out.resolve("model.safetensors")), Files.readAllBytes(twice.resolve("model.safetensors")));
    }

    @Test
    void rgbRoundTripIsExactAndReadmeHasNoStemLines() throws Exception {
        Path out = exportAndCompare(rgbModel, RGB18, tmp.resolve("torch-rgb"));
        String readme = Files.readString(out.resolve("README.md"));
        assertTrue(readme.contains("torchvision.models.resnet18(num_classes=1000)"), readme);
        assertFalse(readme.contains("model.conv1 ="), readme);
    }

    @Test
    void resNet34ImportTakesSeconds() throws IOException {
        Path file = InteropFormula.write(tmp.resolve("r34.safetensors"), InteropFormula.weights(ResNetConfig.resnet34(1000, 3)));
        long start = System.nanoTime();
        Outcome o = run("import", "--weights", file.toString(), "--output", tmp.resolve("r34").toString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, o.code(), o.err());
        System.out.printf("import of ResNet-34 (1000 classes, %d MB): %.1f s%n", Files.size(file) >> 20, seconds);
        assertTrue(seconds < 60, seconds + " s");
        assertEquals("224", properties(tmp.resolve("r34")).getProperty("width"));
    }

    private static void assertBadInput(String expected, String... args) throws IOException {
        Path output = Path.of(args[Arrays.asList(args).indexOf("--output") + 1]);
        boolean existed = Files.exists(output);
        Outcome o = run(args);
        assertEquals(2, o.code(), o.out() + o.err());
        assertTrue(o.err().contains(expected), o.err());
        assertEquals(1, o.err().strip().lines().count(), "one line: " + o.err());
        if (!existed) {
            assertFalse(Files.exists(output), "nothing written: " + output);
        }
        try (var s = Files.list(output.toAbsolutePath().getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".partial-")), "no temp folder left");
        }
    }

    @Test
    void badWeightsExit2WithOneLineAndWriteNothing() throws IOException {
        List<Named> good = InteropFormula.weights(new ResNetConfig(18, 10, 3, Stem.IMAGENET, Shortcut.B));
        Path out = tmp.resolve("bad-out");

        // ResNet-50: Bottleneck blocks have conv3/bn3
        List<Named> r50 = new ArrayList<>(good);
        r50.add(new Named("layer1.0.conv3.weight", new long[] {256, 64, 1, 1}, new float[256 * 64], "F32"));
        r50.add(new Named("layer1.0.bn3.weight", new long[] {256}, new float[256], "F32"));
        Path f50 = InteropFormula.write(tmp.resolve("r50.safetensors"), r50);
        assertBadInput("Bottleneck ResNet weights (ResNet-50/101/152: layer1.0.conv3.weight, layer1.0.bn3.weight)",
                "import", "--weights", f50.toString(), "--output", out.toString());

        List<Named> missing = good.stream().filter(t -> !t.name().startsWith("layer3.1.bn2")).toList();
        Path fm = InteropFormula.write(tmp.resolve("missing.safetensors"), missing);
        assertBadInput("4 tensors missing: layer3.1.bn2.weight, layer3.1.bn2.bias, layer3.1.bn2.running_mean, ...",
                "import", "--weights", fm.toString(), "--output", out.toString());

        List<Named> shaped = new ArrayList<>(good);
        shaped.set(shaped.size() - 1, new Named("fc.bias", new long[] {11}, new float[11], "F32"));
        Path fs = InteropFormula.write(tmp.resolve("shape.safetensors"), shaped);
        assertBadInput("1 tensor mis-shaped: fc.bias is [11] not [10]",
                "import", "--weights", fs.toString(), "--output", out.toString());

        List<Named> ints = new ArrayList<>(good);
        ints.set(1, new Named(good.get(1).name(), good.get(1).shape(), good.get(1).values(), "I32"));
        Path fi = InteropFormula.write(tmp.resolve("int.safetensors"), ints);
        assertBadInput("unsupported dtype: bn1.weight (I32); supported: F32, F16, BF16, F64",
                "import", "--weights", fi.toString(), "--output", out.toString());

        byte[] bytes = Files.readAllBytes(InteropFormula.write(tmp.resolve("whole.safetensors"), good));
        Path cut = Files.write(tmp.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length / 2));
        assertBadInput("is truncated", "import", "--weights", cut.toString(), "--output", out.toString());

        Path png = Files.write(tmp.resolve("image.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13});
        assertBadInput("does not start with a safetensors header",
                "import", "--weights", png.toString(), "--output", out.toString());

        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertBadInput("already exists and is not empty",
                "import", "--weights", rgbFile.toString(), "--output", out.toString());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }

    @Test
    void exportRefusesShortcutsWithoutATorchvisionEquivalent() throws IOException {
        ResNetConfig a = new ResNetConfig(18, 10, 1, Stem.IMAGENET, Shortcut.A);
        Path model;
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = ResNet.build(a);
            net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            model = ModelExporter.export(net, new ModelSpec(a, 28, Normalization.FASHION_MNIST,
                    List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")), tmp.resolve("option-a"), "option-a", 1,
                    ModelCard.today("test", Double.NaN, "test"), false);
        }
        assertBadInput("shortcut A has no torchvision equivalent",
                "export", "--run", model.toString(), "--format", "safetensors", "--output", tmp.resolve("a-out").toString());
        assertBadInput("--format must be djl or safetensors",
                "export", "--run", model.toString(), "--format", "onnx", "--output", tmp.resolve("a-out").toString());
        assertBadInput("has no serving.properties",
                "export", "--run", tmp.toString(), "--format", "safetensors", "--output", tmp.resolve("a-out").toString());
    }

    private static Properties properties(Path dir) throws IOException {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(dir.resolve("serving.properties"))) {
            p.load(r);
        }
        return p;
    }

}
