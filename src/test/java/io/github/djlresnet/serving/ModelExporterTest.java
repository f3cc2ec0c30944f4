package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.ModelSpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelExporterTest {

    private static Model model;

    @TempDir Path tmp;

    @BeforeAll
    static void train() {
        model = Fixtures.model();
    }

    private Path export(Path dir) {
        return ModelExporter.export(model, Fixtures.SPEC, dir, Fixtures.NAME, Fixtures.EPOCH, Fixtures.CARD);
    }

    @Test
    void writesADjlModelFolder() throws IOException {
        Path dir = export(tmp.resolve("out/model"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("README.md", "djl-resnet-model.jar", "fmnist-resnet18-0002.params", "serving.properties",
                            "synset.txt"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(Fixtures.SYNSET, Files.readAllLines(dir.resolve("synset.txt")));

        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve("serving.properties"))) {
            p.load(r);
        }
        assertEquals("PyTorch", p.getProperty("engine"));
        assertEquals("io.github.djlresnet.serving.ResNetBlockFactory", p.getProperty("blockFactory"));
        assertEquals("ai.djl.modality.cv.translator.ImageClassificationTranslatorFactory",
                p.getProperty("translatorFactory"));
        assertEquals("GRAYSCALE", p.getProperty("flag"));
        assertEquals("28", p.getProperty("width"));
        assertEquals("28", p.getProperty("height"));
        assertEquals("true", p.getProperty("resize"));
        assertEquals("true", p.getProperty("applySoftmax"));
        assertEquals("18", p.getProperty("depth"));
        assertEquals("B", p.getProperty("shortcut"));
        assertEquals("imagenet", p.getProperty("stem"));
        assertEquals("1", p.getProperty("inputChannels"));
        assertEquals("10", p.getProperty("classes"));
        assertEquals("0.286", p.getProperty("normalizeMean"));
        assertEquals("0.353", p.getProperty("normalizeStd"));
        assertEquals(ModelExporter.sha256(dir.resolve("fmnist-resnet18-0002.params")), p.getProperty("paramsSha256"));
        // DJL's own parser of the arguments sees the same model
        ServingArguments args = ModelLoader.inspect(dir);
        assertEquals(Fixtures.CONFIG, args.config());

        String readme = Files.readString(dir.resolve("README.md"));
        assertTrue(readme.contains("fashion-mnist-mini"), readme);
        assertTrue(readme.contains("12.34 %"), readme);
        assertTrue(readme.contains("2025-01-02"), readme);
        assertTrue(readme.contains("djl-resnet train --depth 18"), readme);

        try (JarFile jar = new JarFile(dir.resolve("djl-resnet-model.jar").toFile())) {
            assertNotNull(jar.getEntry("io/github/djlresnet/serving/ResNetBlockFactory.class"));
            assertNotNull(jar.getEntry("io/github/djlresnet/serving/NormalizedBlock.class"));
            assertNotNull(jar.getEntry("io/github/djlresnet/model/ResNet.class"));
            assertNotNull(jar.getEntry("io/github/djlresnet/model/BasicBlock.class"));
            assertNull(jar.getEntry("io/github/djlresnet/serving/ModelExporter.class"));
            assertTrue(jar.stream().noneMatch(e -> e.getName().contains("/cli/") || e.getName().contains("/train/")));
        }
        assertNoLeftovers(dir.getParent());
    }

    @Test
    void neverOverwritesAnExistingModelUnlessAsked() throws IOException {
        Path dir = export(tmp.resolve("model"));
        Map<String, byte[]> before = Fixtures.snapshot(dir);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> export(dir));
        assertTrue(e.getMessage().contains("already exists and is not empty"), e.getMessage());
        Fixtures.assertSameFiles(before, Fixtures.snapshot(dir));

        ModelCard newer = new ModelCard("fashion-mnist-mini", 0.5, LocalDate.of(2025, 3, 4), "");
        ModelExporter.export(model, Fixtures.SPEC, dir, Fixtures.NAME, 3, newer, true);
        assertTrue(Files.readString(dir.resolve("README.md")).contains("50.00 %"));
        assertTrue(Files.exists(dir.resolve("fmnist-resnet18-0003.params")));
        assertFalse(Files.exists(dir.resolve("fmnist-resnet18-0002.params")), "the old model is replaced, not mixed in");
        assertNoLeftovers(tmp);

        // an empty folder is not a model: export into it without overwrite
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        export(empty);
        assertTrue(Files.exists(empty.resolve("serving.properties")));
    }

    @Test
    void aFailedExportLeavesTheTargetAlone() throws IOException {
        Path dir = export(tmp.resolve("model"));
        Map<String, byte[]> before = Fixtures.snapshot(dir);
        ModelSpec depth34 = new ModelSpec(new ResNetConfig(34, 10, 1, Stem.IMAGENET, Shortcut.B), 28,
                Normalization.FASHION_MNIST, Fixtures.SYNSET);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelExporter.export(model, depth34, dir, Fixtures.NAME, 1, Fixtures.CARD, true));
        assertTrue(e.getMessage().contains("does not match the spec"), e.getMessage());
        Fixtures.assertSameFiles(before, Fixtures.snapshot(dir));

        e = assertThrows(IllegalArgumentException.class,
                () -> ModelExporter.export(model, Fixtures.SPEC, tmp.resolve("x"), "../evil", 1, Fixtures.CARD));
        assertTrue(e.getMessage().contains("model name"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("x")));
        assertNoLeftovers(tmp);
    }

    /** No hidden temp folders (partial exports or set-aside old models) remain. */
    private static void assertNoLeftovers(Path parent) throws IOException {
        try (Stream<Path> files = Files.list(parent)) {
            List<String> hidden = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            assertEquals(List.of(), hidden);
        }
    }
}
