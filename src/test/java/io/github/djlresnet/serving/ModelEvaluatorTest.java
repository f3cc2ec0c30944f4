package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.data.ImageSet;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.runtime.NoGrad;
import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.runtime.TorchScriptFeaturesKernel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ModelEvaluator on the shared real fixture model, and its checks and outputs. */
class ModelEvaluatorTest {

    @TempDir Path tmp;

    @Test
    void channelsLastGivesTheSameLogitsAndCounts() throws Exception {
        int n = 64;
        try (NDManager m = NDManager.newBaseManager();
                ZooModel<NDList, NDList> plain = ModelLoader.logits(Fixtures.exported(), false);
                ZooModel<NDList, NDList> channelsLast = ModelLoader.logits(Fixtures.exported(), true);
                Predictor<NDList, NDList> p = plain.newPredictor();
                Predictor<NDList, NDList> c = channelsLast.newPredictor();
                NoGrad noGrad = new NoGrad()) {
            // fp32's own layout for this CPU, as Precision picks it (per block with AVX-512, channels-last
            // throughout without: then both models below run the same layout; the rule is checked on
            // fixed flags in CpuFlagsTest, every layout's logits in BatchNormFoldingTest)
            assertEquals(Precision.FP32.inferenceKernel(false).channelsLastFrom(), kernel(plain.getBlock()).channelsLastFrom(),
                    "the folded network in fp32's own layout");
            assertEquals(TorchScriptFeaturesKernel.CHANNELS_LAST, kernel(channelsLast.getBlock()).channelsLastFrom(),
                    "the folded network in channels-last");
            NDArray x = Fixtures.pixels01(m, Fixtures.test(), 0, n);
            float[] expected = p.predict(new NDList(x)).singletonOrThrow().toFloatArray();
            float[] actual = c.predict(new NDList(x)).singletonOrThrow().toFloatArray();
            assertEquals(n * 10, actual.length);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "logit " + i);
            }
        }
        ModelEvaluator.Evaluation plain = ModelEvaluator.evaluate(new ModelEvaluator.Options(Fixtures.exported(),
                "fashion-mnist-mini", null, "test", 0, 100, 0, 42, false));
        ModelEvaluator.Evaluation channelsLast = ModelEvaluator.evaluate(new ModelEvaluator.Options(Fixtures.exported(),
                "fashion-mnist-mini", null, "test", 0, 100, 0, 42, true));
        assertEquals(plain.confusion().toCsv(), channelsLast.confusion().toCsv());
        assertEquals(plain.loss(), channelsLast.loss(), 1e-5);
    }

    /** The fp32 one-call kernel of a loaded (and folded) network. */
    private static TorchScriptFeaturesKernel kernel(Block loaded) {
        Block net = ((NormalizedBlock) loaded).net();
        TorchScriptFeaturesKernel kernel = (TorchScriptFeaturesKernel) ResNet.featuresKernel(net).orElseThrow();
        assertFalse(kernel.bf16());
        return kernel;
    }

    @Test
    void evaluationAgreesWithTheInMemoryModelImageByImage() throws Exception {
        int n = 48;
        ModelEvaluator.Options o = new ModelEvaluator.Options(Fixtures.exported(), "fashion-mnist-mini", null,
                "test", n, 20, 0, 42, false);
        ModelEvaluator.Evaluation e = ModelEvaluator.evaluate(o);

        // the same images through the in-memory model, normalized the way training does
        ImageSet test = Fixtures.test();
        ConfusionMatrix expected = new ConfusionMatrix(Fixtures.SYNSET);
        double loss = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = Fixtures.pixels01(m, test, 0, n);
            float[] logits = Fixtures.logits(Fixtures.model(), x);
            for (int i = 0; i < n; i++) {
                int truth = test.labels()[i];
                int best = 0;
                for (int k = 1; k < 10; k++) {
                    best = logits[i * 10 + k] > logits[i * 10 + best] ? k : best;
                }
                expected.add(truth, best);
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < 10; k++) {
                    max = Math.max(max, logits[i * 10 + k]);
                }
                double sum = 0;
                for (int k = 0; k < 10; k++) {
                    sum += Math.exp(logits[i * 10 + k] - max);
                }
                loss += max + Math.log(sum) - logits[i * 10 + truth];
            }
        }
        assertEquals(n, e.images());
        assertEquals(expected.toCsv(), e.confusion().toCsv());
        assertEquals(loss / n, e.loss(), 1e-4);
        assertTrue(e.headline().startsWith(String.format(java.util.Locale.ROOT, "accuracy %.4f  loss ", e.accuracy())),
                e.headline());
        assertTrue(e.headline().endsWith("(48 images, fashion-mnist-mini, test)"), e.headline());
    }

    @Test
    void confusionMatrixCountsRowsAsTrueClasses() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("cat", "dog, big", "fox"));
        m.add(0, 0);
        m.add(0, 1);
        m.add(1, 1);
        m.add(1, 1);
        m.add(1, 0);
        assertEquals(5, m.total());
        assertEquals(3, m.correct());
        assertEquals(0.6, m.accuracy(), 1e-12);
        assertEquals(2, m.images(0));
        assertEquals(2.0 / 3, m.accuracy(1), 1e-12);
        assertTrue(Double.isNaN(m.accuracy(2)), "no fox images");
        assertEquals("true \\ predicted,cat,\"dog, big\",fox\ncat,1,1,0\n\"dog, big\",1,2,0\nfox,0,0,0\n", m.toCsv());
        assertEquals("index,class,images,correct,accuracy\n0,cat,2,1,0.500000\n1,\"dog, big\",3,2,0.666667\n2,fox,0,0,\n",
                m.perClassCsv());
        assertTrue(m.perClassTable().contains("fox"));
        assertThrows(IllegalArgumentException.class, () -> m.add(3, 0));
        assertThrows(IllegalArgumentException.class, () -> m.add(0, -1));
    }

    @Test
    void plotIsAReadablePng() throws Exception {
        ConfusionMatrix m = new ConfusionMatrix(Fixtures.SYNSET);
        for (int i = 0; i < 100; i++) {
            m.add(i % 10, (i * 7) % 10);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ConfusionPlot.write(m, "test", png);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
        assertNotNull(img);
        assertEquals(940, img.getWidth());
        assertEquals(860, img.getHeight());
    }

    @Test
    void dataMustHaveTheModelsClassesAndChannels() {
        var config = Fixtures.CONFIG; // 10 classes, 1 channel
        ModelEvaluator.Options o = ModelEvaluator.Options.of(tmp);
        ImageSet gray = set(1, Fixtures.SYNSET, 2);
        ModelEvaluator.checkFits(config, Fixtures.SYNSET, gray, o);

        var e = assertThrows(IllegalArgumentException.class,
                () -> ModelEvaluator.checkFits(config, Fixtures.SYNSET, set(1, List.of("a", "b", "c"), 2), o));
        assertTrue(e.getMessage().contains("the model has 10 classes but fashion-mnist-mini (validation) has 3"),
                e.getMessage());
        List<String> renamed = new java.util.ArrayList<>(Fixtures.SYNSET);
        renamed.set(4, "Jacket");
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelEvaluator.checkFits(config, Fixtures.SYNSET, set(1, renamed, 2), o));
        assertTrue(e.getMessage().contains("class 4 of the model is 'Coat'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelEvaluator.checkFits(config, Fixtures.SYNSET, set(3, Fixtures.SYNSET, 2), o));
        assertTrue(e.getMessage().contains("1-channel images but fashion-mnist-mini (validation) has 3-channel"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelEvaluator.checkFits(config, Fixtures.SYNSET, set(1, Fixtures.SYNSET, 0), o));
        assertTrue(e.getMessage().contains("has no images"), e.getMessage());
    }

    @Test
    void optionsAndOutputFoldersAreChecked() throws Exception {
        assertThrows(IllegalArgumentException.class,
                () -> new ModelEvaluator.Options(tmp, null, null, "train", 0, 128, 0, 42, false));
        assertThrows(IllegalArgumentException.class,
                () -> new ModelEvaluator.Options(tmp, null, null, "test", -1, 128, 0, 42, false));
        assertThrows(IllegalArgumentException.class,
                () -> new ModelEvaluator.Options(tmp, null, null, "test", 0, 128, 1.0, 42, false));
        assertEquals("test", new ModelEvaluator.Options(tmp, null, null, "TEST", 0, 1, 0, 42, false).split());

        Path model = Files.createDirectories(tmp.resolve("m"));
        assertEquals(model.toAbsolutePath().resolve("evaluation-fashion-mnist-mini-test"),
                ModelEvaluator.defaultOutput(model, "fashion-mnist-mini", "test"));
        Path zip = Files.writeString(tmp.resolve("resnet.zip"), "PK");
        assertEquals(tmp.toAbsolutePath().resolve("resnet-evaluation-folder-flowers-validation"),
                ModelEvaluator.defaultOutput(zip, "folder:/data/flowers/", "validation"));
        assertEquals("cifar10", ModelEvaluator.slug("cifar10"));

        ModelEvaluator.checkOutput(tmp.resolve("new/deeper"));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(IllegalArgumentException.class, () -> ModelEvaluator.checkOutput(file));
        assertThrows(IllegalArgumentException.class, () -> ModelEvaluator.checkOutput(file.resolve("under")));
        assertEquals("x", Files.readString(file));
    }

    private static ImageSet set(int channels, List<String> synset, int n) {
        return new ImageSet("t", new byte[n * channels * 4], new int[n], channels, 2, 2, synset);
    }
}
