package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.ParameterList;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.model.TorchvisionNames;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.InteropFormula;
import io.github.djlresnet.runtime.InteropFormula.Named;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --init and --freeze on a real (short) run, from ImageNet-shaped RGB weights given by a formula. */
class InitialWeightsTest {

    /** What torchvision's resnet18 for ImageNet looks like: RGB, 1000 classes. */
    static final ResNetConfig IMAGENET18 = new ResNetConfig(18, 1000, 3, Stem.IMAGENET, Shortcut.B);

    static final List<String> TEN = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    @TempDir static Path tmp;
    static Path weights;
    static Map<String, Named> formula;

    @BeforeAll
    static void write() throws Exception {
        EngineSetup.engine();
        List<Named> tensors = InteropFormula.weights(IMAGENET18);
        formula = InteropFormula.byName(tensors);
        weights = InteropFormula.write(tmp.resolve("imagenet18.safetensors"), tensors);
    }

    static TrainOptions options(Stem stem, int freeze) {
        return new TrainOptions("fashion-mnist-mini", null, 18, Shortcut.B, stem, 0, 1, 32, "sgd", 0.05f, 0.9f,
                1e-4f, LrSchedule.Kind.CONSTANT, 0, 7, 64, 0, false, 0, "cpu", 1, false).withInit(weights, freeze);
    }

    private static Map<String, float[]> values(TrainingRun run) {
        ParameterList params = run.model().getBlock().getParameters();
        Map<String, float[]> out = new HashMap<>();
        for (TorchvisionNames.Tensor t : TorchvisionNames.of(new ResNetConfig(18, 10, 1, Stem.IMAGENET, Shortcut.B))) {
            out.put(t.torchName(), params.get(t.djlPath()).getArray().toFloatArray());
        }
        return out;
    }

    @Test
    void loadsMatchingTensorsAdaptsTheRgbStemAndFreezesTheFirstStages() throws Exception {
        try (TrainingRun run = TrainingRun.start(options(Stem.IMAGENET, 2), tmp.resolve("frozen"))) {
            Map<String, float[]> before = values(run);
            assertArrayEquals(formula.get("layer3.1.conv2.weight").values(), before.get("layer3.1.conv2.weight"));
            assertArrayEquals(formula.get("bn1.running_var").values(), before.get("bn1.running_var"));
            // 1-channel stem: the RGB filters summed over their 3 input channels
            float[] rgb = formula.get("conv1.weight").values();
            float[] gray = before.get("conv1.weight");
            assertEquals(64 * 49, gray.length);
            for (int o = 0; o < 64; o++) {
                for (int i = 0; i < 49; i++) {
                    float sum = rgb[o * 147 + i] + rgb[o * 147 + 49 + i] + rgb[o * 147 + 98 + i];
                    assertEquals(sum, gray[o * 49 + i], 1e-6f, "conv1 filter " + o);
                }
            }
            assertEquals(10 * 512, before.get("fc.weight").length, "a new head for 10 classes");

            run.run();
            Map<String, float[]> after = values(run);
            for (String name : before.keySet()) {
                int part = TorchvisionNames.partOf(name);
                boolean statistic = name.contains("running_");
                boolean same = java.util.Arrays.equals(before.get(name), after.get(name));
                if (part <= 2 && !statistic) {
                    assertTrue(same, name + " is frozen and must not change");
                } else if (!statistic) {
                    assertFalse(same, name + " trains");
                }
            }
            // documented: frozen stages' BatchNorm statistics keep following the data
            assertFalse(java.util.Arrays.equals(before.get("layer1.0.bn1.running_mean"), after.get("layer1.0.bn1.running_mean")));

            // the run folder, once exported, is itself an --init source: every tensor, exactly
            // what train does at the end: serving exports the run folder from its checkpoint
            io.github.djlresnet.serving.RunExport.exportIntoRun(run.folder().dir(), "test");
            ResNetConfig gray10 = new ResNetConfig(18, 10, 1, Stem.IMAGENET, Shortcut.B);
            List<String> classes = Files.readAllLines(tmp.resolve("frozen/synset.txt"));
            InitialWeights fromFolder = InitialWeights.plan(tmp.resolve("frozen"), gray10, classes);
            assertTrue(fromFolder.report().get(0).endsWith("loaded 102 of 102 tensors"), fromFolder.report().toString());
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
                ai.djl.nn.Block block = io.github.djlresnet.model.ResNet.build(gray10);
                block.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 1, 28, 28));
                fromFolder.apply(block);
                for (TorchvisionNames.Tensor t : TorchvisionNames.of(gray10)) {
                    assertArrayEquals(after.get(t.torchName()),
                            block.getParameters().get(t.djlPath()).getArray().toFloatArray(), t.torchName());
                }
            }
            // the same shapes for other classes: the head starts fresh
            List<String> others = new java.util.ArrayList<>(classes);
            java.util.Collections.reverse(others);
            List<String> report = InitialWeights.plan(tmp.resolve("frozen"), gray10, others).report();
            assertTrue(report.get(0).endsWith("loaded 100 of 102 tensors"), report.toString());
            assertEquals("new (this run's own initialization): 2 tensors: fc.weight [10, 512], fc.bias [10] (the head:"
                    + " the source's classes are others, T-shirt/top, Trouser, Pullover, Dress, ...)", report.get(1));
        }
        List<String> props = Files.readAllLines(tmp.resolve("frozen/run.properties"));
        assertTrue(props.contains("freeze=2"), props.toString());
        assertTrue(props.stream().anyMatch(l -> l.startsWith("init=")), props.toString());
    }

    @Test
    void reportSaysWhatLoadedAndWhatIsNew() {
        ResNetConfig gray10 = new ResNetConfig(18, 10, 1, Stem.IMAGENET, Shortcut.B);
        List<String> report = InitialWeights.plan(weights, gray10, TEN).report();
        assertTrue(report.get(0).endsWith("loaded 100 of 102 tensors (conv1.weight: RGB filters summed over channels"
                + " for 1-channel input)"), report.get(0));
        assertEquals("new (this run's own initialization): 2 tensors: fc.weight [10, 512], fc.bias [10]", report.get(1));
        assertTrue(report.get(2).endsWith("2 tensors: fc.weight [1000, 512], fc.bias [1000]"), report.get(2));

        // the small stem (3x3) starts fresh, its BatchNorm with it
        List<String> small = InitialWeights.plan(weights, new ResNetConfig(18, 10, 1, Stem.SMALL, Shortcut.B), TEN)
                .report();
        assertTrue(small.get(0).endsWith("loaded 95 of 102 tensors"), small.get(0));
        assertTrue(small.get(1).contains("7 tensors: conv1.weight [64, 1, 3, 3], bn1.weight [64], bn1.bias [64], bn1.running_mean [64], ..."),
                small.get(1));
    }

    @Test
    void badInitIsBadInputBeforeAnyFolderExists() throws Exception {
        Path foreign = InteropFormula.write(tmp.resolve("foreign.safetensors"),
                List.of(new Named("encoder.weight", new long[] {2}, new float[] {1, 2}, "F32")));
        Path dir = tmp.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingRun.start(
                new TrainOptions("fashion-mnist-mini", null, 18, Shortcut.B, Stem.IMAGENET, 0, 1, 32, "sgd", 0.05f,
                        0.9f, 1e-4f, LrSchedule.Kind.CONSTANT, 0, 7, 64, 0, false, 0, "cpu", 1, false)
                        .withInit(foreign, 0), dir));
        assertTrue(e.getMessage().contains("no residual-stage tensor matches"), e.getMessage());
        assertFalse(Files.exists(dir));
        assertThrows(IllegalArgumentException.class, () -> options(Stem.IMAGENET, 5));
        IllegalArgumentException noInit = assertThrows(IllegalArgumentException.class,
                () -> options(Stem.IMAGENET, 0).withInit(null, 2));
        assertTrue(noInit.getMessage().contains("needs --init"), noInit.getMessage());
    }
}
