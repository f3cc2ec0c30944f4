package io.github.djlresnet.serving;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.github.djlresnet.data.IdxReader;
import io.github.djlresnet.data.ImageSet;
import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.ModelSpec;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** A small real model, trained two SGD steps on real Fashion-MNIST images, and helpers around it. */
final class Fixtures {

    static final List<String> SYNSET =
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot");
    static final ResNetConfig CONFIG = new ResNetConfig(18, 10, 1, Stem.IMAGENET, Shortcut.B);
    static final ModelSpec SPEC = new ModelSpec(CONFIG, 28, Normalization.FASHION_MNIST, SYNSET);
    static final ModelCard CARD = new ModelCard("fashion-mnist-mini", 0.1234, LocalDate.of(2025, 1, 2),
            "djl-resnet train --depth 18");
    static final String NAME = "fmnist-resnet18";
    static final int EPOCH = 2;

    private static final Path DATA = Paths.get(System.getProperty("basedir", "."), "data", "fashion-mnist-mini");

    private static Model model;
    private static Path exported;

    private Fixtures() {}

    /** The trained model, shared by all serving tests (training it is the slow part). */
    static synchronized Model model() {
        if (model == null) {
            model = trainedModel();
        }
        return model;
    }

    /** The model exported once into a temporary folder; tests that break files work on copies. */
    static synchronized Path exported() throws IOException {
        if (exported == null) {
            Path root = Files.createTempDirectory("djl-resnet-serving-test-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> ModelExporter.deleteQuietly(root)));
            exported = ModelExporter.export(model(), SPEC, root.resolve("model"), NAME, EPOCH, CARD);
        }
        return exported;
    }

    static ImageSet train() {
        return IdxReader.read(DATA.resolve("train-images-idx3-ubyte.gz"), DATA.resolve("train-labels-idx1-ubyte.gz"),
                "train", SYNSET);
    }

    static ImageSet test() {
        return IdxReader.read(DATA.resolve("t10k-images-idx3-ubyte.gz"), DATA.resolve("t10k-labels-idx1-ubyte.gz"),
                "test", SYNSET);
    }

    /**
     * ResNet-18 for 1x28x28, initialized on the engine, trained two SGD steps, then its BN running
     * statistics settled by training-mode forward passes: with the initial statistics (0, 1) the
     * inference-mode logits are in the hundreds and every softmax is a one-hot, which would let
     * probability comparisons pass for the wrong reasons.
     */
    static Model trainedModel() {
        EngineSetup.engine();
        Model model = Model.newInstance("fixture", "PyTorch");
        model.setBlock(ResNet.build(CONFIG));
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build());
        ImageSet train = train();
        int batch = 16;
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.initialize(new Shape(batch, 1, 28, 28));
            for (int step = 0; step < 2; step++) {
                try (NDManager m = model.getNDManager().newSubManager()) {
                    NDArray x = normalized(pixels01(m, train, step * batch, batch));
                    NDArray y = m.create(labels(train, step * batch, batch));
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDList out = trainer.forward(new NDList(x));
                        gc.backward(trainer.getLoss().evaluate(new NDList(y), out));
                    }
                    trainer.step();
                }
            }
        }
        for (int pass = 0; pass < 40; pass++) {
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDArray x = normalized(pixels01(m, train, (pass % 8) * batch, batch));
                model.getBlock().forward(new ParameterStore(m, false), new NDList(x), true);
            }
        }
        return model;
    }

    /** Images [from, from + n) as float (n, 1, 28, 28) in [0, 1]. */
    static NDArray pixels01(NDManager m, ImageSet set, int from, int n) {
        int bytes = set.imageBytes();
        byte[] px = new byte[n * bytes];
        System.arraycopy(set.pixels(), from * bytes, px, 0, px.length);
        return m.create(java.nio.ByteBuffer.wrap(px), new Shape(n, 1, set.height(), set.width()), DataType.UINT8)
                .toType(DataType.FLOAT32, false)
                .div(255f);
    }

    static NDArray normalized(NDArray x01) {
        Normalization n = Normalization.FASHION_MNIST;
        return x01.sub(n.mean()[0]).div(n.std()[0]);
    }

    static float[] labels(ImageSet set, int from, int n) {
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = set.labels()[from + i];
        }
        return y;
    }

    /** The in-memory model's logits for [0, 1] pixels (normalized the way training does). */
    static float[] logits(Model model, NDArray x01) {
        NDManager m = x01.getManager();
        return model.getBlock().forward(new ParameterStore(m, false), new NDList(normalized(x01)), false)
                .singletonOrThrow().toFloatArray();
    }

    /** Writes image {@code i} of the set as an 8-bit grayscale PNG. */
    static Path writeGrayPng(ImageSet set, int i, Path file) throws IOException {
        BufferedImage img = new BufferedImage(set.width(), set.height(), BufferedImage.TYPE_BYTE_GRAY);
        int[] px = new int[set.imageBytes()];
        for (int k = 0; k < px.length; k++) {
            px[k] = set.pixels()[i * set.imageBytes() + k] & 0xFF;
        }
        img.getRaster().setPixels(0, 0, set.width(), set.height(), px);
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /** Every file under {@code dir} with its bytes, to prove nothing changed. */
    static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
                }
            }
        }
        return files;
    }

    static void assertSameFiles(Map<String, byte[]> before, Map<String, byte[]> after) {
        org.junit.jupiter.api.Assertions.assertEquals(before.keySet(), after.keySet(), "same files");
        for (String f : before.keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(before.get(f), after.get(f), f + " unchanged");
        }
    }

    /** Copies a folder (flat) so a test can break the copy. */
    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
