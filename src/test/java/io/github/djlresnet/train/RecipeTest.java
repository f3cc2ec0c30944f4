package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djlresnet.data.Augmentation;
import io.github.djlresnet.data.AutoAugment;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.CheckpointFile;
import io.github.djlresnet.runtime.EngineSetup;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recipe options of issue 29 on the real engine, each against its definition computed here:
 * soft-label cross-entropy and accuracy, the EMA update rule, norm weight decay, the settings file,
 * and a resumed run with all of them on against an uninterrupted one.
 */
class RecipeTest {

    @TempDir Path tmp;

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    @Test
    void softLabelLossIsCrossEntropyAgainstTheDistributionAndAccuracyUsesItsArgmax() {
        float[][] logits = {{2.0f, -1.0f, 0.5f, 0.0f}, {-0.3f, 0.2f, 1.5f, -2.0f}, {0.1f, 0.1f, 0.1f, 3.0f}};
        float[][] targets = {{0.7f, 0.1f, 0.1f, 0.1f}, {0.025f, 0.625f, 0.325f, 0.025f}, {0f, 0f, 0.4f, 0.6f}};
        double want = 0;
        for (int i = 0; i < 3; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float z : logits[i]) {
                max = Math.max(max, z);
            }
            double sum = 0;
            for (float z : logits[i]) {
                sum += Math.exp(z - max);
            }
            double logSum = max + Math.log(sum);
            for (int k = 0; k < 4; k++) {
                want -= targets[i][k] * (logits[i][k] - logSum);
            }
        }
        want /= 3;
        try (NDManager m = NDManager.newBaseManager()) {
            NDList predictions = new NDList(m.create(logits));
            NDList soft = new NDList(m.create(targets));
            var loss = new ResumableEvaluators.CrossEntropy("loss");
            assertEquals(want, loss.evaluate(soft, predictions).getFloat(), 1e-5);
            // class indices keep DJL's sparse form: -log softmax at the label
            NDList hard = new NDList(m.create(new float[] {0, 1, 3}));
            double sparse = 0;
            for (int i = 0; i < 3; i++) {
                int y = new int[] {0, 1, 3}[i];
                double s = 0;
                for (float z : logits[i]) {
                    s += Math.exp(z);
                }
                sparse -= logits[i][y] - Math.log(s);
            }
            assertEquals(sparse / 3, loss.evaluate(hard, predictions).getFloat(), 1e-5);
            // argmax of the targets: 0, 1, 3; of the logits: 0, 2, 3 -> 2 of 3 right
            var top1 = new ResumableEvaluators.Top1("accuracy");
            top1.addAccumulator("t");
            top1.updateAccumulator("t", soft, predictions);
            assertEquals(2f / 3, top1.getAccumulator("t"), 1e-6);
            var top2 = new ResumableEvaluators.TopK("top2", 2);
            top2.addAccumulator("t");
            top2.updateAccumulator("t", soft, predictions);
            // top-2 of the logits: {0, 2}, {2, 1}, {3, 0|1|2}: all three contain the target's argmax
            assertEquals(1f, top2.getAccumulator("t"), 1e-6);
        }
    }

    private static SequentialBlock smallNet(NDManager m) {
        SequentialBlock net = new SequentialBlock()
                .add(Linear.builder().setUnits(3).build())
                .add(BatchNorm.builder().build());
        net.initialize(m, DataType.FLOAT32, new Shape(5, 4));
        return net;
    }

    private static Map<String, float[]> values(Block block) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            out.put(p.getKey(), p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    /** Gives every array of the block new values (as training would), in place. */
    private static void perturb(Block block, NDManager m, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rng.nextDouble(-1, 1);
            }
            CheckpointFile.copyInto(a, m.create(v, a.getShape()));
        }
    }

    @Test
    void emaIsDecayTimesEmaPlusOneMinusDecayTimesWeightsOverEveryArray() {
        double decay = 0.9;
        try (NDManager m = NDManager.newBaseManager(); ModelEma ema = new ModelEma(decay)) {
            SequentialBlock net = smallNet(m);
            Map<String, float[]> first = values(net);
            ema.update(net, false);
            // the first update copies (torchvision's n_averaged == 0), every array included:
            // Linear weight and bias, BatchNorm gamma, beta and its running mean and variance
            assertEquals(6, ema.averages().size());
            first.forEach((k, v) -> assertArrayEquals(v, ema.averages().get(k).toFloatArray(), k));
            perturb(net, m, 1);
            Map<String, float[]> second = values(net);
            ema.update(net, false);
            first.forEach((k, v) -> {
                float[] got = ema.averages().get(k).toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    double want = decay * v[i] + (1 - decay) * second.get(k)[i];
                    assertEquals(want, got[i], 1e-6, k);
                }
            });
            Map<String, float[]> averaged = new LinkedHashMap<>();
            ema.averages().forEach((k, v) -> averaged.put(k, v.toFloatArray()));
            // swap: the block holds the averages, the EMA the raw weights; swapping back restores both
            ema.swap(net);
            averaged.forEach((k, v) -> assertArrayEquals(v, values(net).get(k), k));
            ema.swap(net);
            second.forEach((k, v) -> assertArrayEquals(v, values(net).get(k), k));
            averaged.forEach((k, v) -> assertArrayEquals(v, ema.averages().get(k).toFloatArray(), k));
            // a warm-up update averages once more, then the next one copies (torchvision resets n_averaged)
            ema.update(net, true);
            assertEquals(0, ema.updates());
            perturb(net, m, 2);
            Map<String, float[]> third = values(net);
            ema.update(net, false);
            third.forEach((k, v) -> assertArrayEquals(v, ema.averages().get(k).toFloatArray(), k));
            assertEquals(1, ema.updates());
        }
    }

    @Test
    void normWeightDecaySparesBatchNormAndBiases() {
        // zero loss gradient, momentum 0, lr 1: a step is w -= decay * w, with the parameter's decay
        for (float norm : new float[] {0f, Float.NaN}) {
            try (NDManager m = NDManager.newBaseManager()) {
                SequentialBlock net = smallNet(m);
                perturb(net, m, 3);
                Map<String, float[]> before = values(net);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = net.forward(new ParameterStore(m, false), new NDList(m.ones(new Shape(5, 4))), true)
                            .head();
                    gc.backward(out.mul(0).sum());
                }
                Map<String, float[]> statistics = values(net); // the forward pass moved BN's running stats
                MomentumSgd sgd = new MomentumSgd(1f, 0f, 0.1f);
                sgd.withNormWeightDecay(norm);
                sgd.step(net);
                Map<String, float[]> after = values(net);
                for (String k : after.keySet()) {
                    boolean weight = k.endsWith("weight") && !k.contains("BatchNorm");
                    boolean running = k.contains("running");
                    float decay = running ? 0f : weight || Float.isNaN(norm) ? 0.1f : norm;
                    float[] from = running ? statistics.get(k) : before.get(k);
                    for (int i = 0; i < from.length; i++) {
                        assertEquals(from[i] * (1 - decay), after.get(k)[i], 1e-6, k + " norm decay " + norm);
                    }
                }
            }
        }
    }

    @Test
    void recipeSettingsSaveAndLoadAndRefuseBadValues() throws Exception {
        TrainOptions options = RecipeRuns.options(2);
        Path file = tmp.resolve("run.properties");
        options.save(file);
        TrainOptions loaded = TrainOptions.load(file);
        assertEquals(options, loaded);
        assertEquals(EnumSet.of(Augmentation.CROP, Augmentation.ERASE), loaded.recipe().augmentations());
        assertEquals(AutoAugment.TRIVIALAUGMENT, loaded.recipe().autoAugment());
        TrainOptions d = TrainOptions.defaults();
        assertEquals(Recipe.DEFAULT, d.recipe());
        assertEquals(d, d.withRecipe(null, false, "none", 0, 0, 0, false, Recipe.DEFAULT_EMA_DECAY, Double.NaN));
        assertEquals(EnumSet.noneOf(Augmentation.class),
                d.withRecipe("none", false, "none", 0, 0, 0, false, 0.999, Double.NaN).recipe().augmentations());
        assertFalse(d.withRecipe("none", false, "none", 0, 0, 0, false, 0.999, Double.NaN).augment());
        String[][] bad = {
            {"crop,flip", "true", "none", "0", "0.999"}, // --augment and --no-augment
            {"crop,rotate", "false", "none", "0", "0.999"},
            {null, "false", "autoaugment", "0", "0.999"},
            {null, "false", "none", "1.5", "0.999"}, // --label-smoothing
            {null, "false", "none", "0", "1"}, // --ema-decay
            {"crop,erase", "false", "none", "0", "0.999"}, // erase without --random-erasing
        };
        for (String[] b : bad) {
            assertThrows(InvalidInputException.class, () -> d.withRecipe(b[0], Boolean.parseBoolean(b[1]), b[2],
                    Double.parseDouble(b[3]), 0, 0, true, Double.parseDouble(b[4]), Double.NaN), String.join(" ", b[0]));
        }
        assertThrows(InvalidInputException.class,
                () -> d.withRecipe(null, false, "none", 0, -0.2, 0, false, 0.999, Double.NaN));
        assertThrows(InvalidInputException.class,
                () -> d.withRecipe(null, false, "none", 0, 0, 0, false, 0.999, -1));
    }

    @Test
    void resumedRecipeRunWithEmaMatchesTheUninterruptedRun() throws Exception {
        Map<String, float[]> straightParams;
        Map<String, float[]> straightAverages = new LinkedHashMap<>();
        EpochStats uninterrupted;
        try (TrainingRun run = TrainingRun.start(RecipeRuns.options(2), tmp.resolve("straight"))) {
            uninterrupted = run.run();
            straightParams = values(run.model().getBlock());
            run.ema().averages().forEach((k, v) -> straightAverages.put(k, v.toFloatArray()));
        }
        assertEquals(straightParams.size(), straightAverages.size(), "every array averaged, BN statistics too");

        Path dir = tmp.resolve("stopped");
        Map<String, float[]> averagesAfterEpoch1 = new LinkedHashMap<>();
        try (TrainingRun run = TrainingRun.start(RecipeRuns.options(2), dir)) {
            run.run(1);
            run.ema().averages().forEach((k, v) -> averagesAfterEpoch1.put(k, v.toFloatArray()));
        }
        try (TrainingRun resumed = TrainingRun.resume(dir, 0)) {
            assertEquals(averagesAfterEpoch1.keySet(), resumed.ema().averages().keySet());
            averagesAfterEpoch1.forEach((k, v) ->
                    assertArrayEquals(v, resumed.ema().averages().get(k).toFloatArray(), "EMA " + k + " restored"));
            EpochStats finished = resumed.run();
            assertEquals(uninterrupted.trainLoss(), finished.trainLoss(), 1e-4);
            assertEquals(uninterrupted.trainAccuracy(), finished.trainAccuracy(), 1e-6);
            assertEquals(uninterrupted.validationLoss(), finished.validationLoss(), 1e-4);
            assertEquals(uninterrupted.validationAccuracy(), finished.validationAccuracy(), 1e-6);
            assertClose(straightParams, values(resumed.model().getBlock()), "parameter");
            Map<String, float[]> averages = new LinkedHashMap<>();
            resumed.ema().averages().forEach((k, v) -> averages.put(k, v.toFloatArray()));
            assertClose(straightAverages, averages, "EMA");
        }
    }

    private static void assertClose(Map<String, float[]> want, Map<String, float[]> got, String what) {
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> {
            float[] g = got.get(k);
            for (int i = 0; i < v.length; i++) {
                assertEquals(v[i], g[i], 1e-4f, what + " " + k);
            }
        });
    }

    /** The run settings these tests share. */
    static final class RecipeRuns {
        private RecipeRuns() {}

        /** ResNet-18 on 128 mini images, 4 steps an epoch, every recipe option on. */
        static TrainOptions options(int epochs) {
            // half an epoch of warm-up: the EMA copies the weights in epoch 1 and averages in epoch 2
            return new TrainOptions("fashion-mnist-mini", null, 18, Shortcut.B, Stem.IMAGENET, 0, epochs, 32, "sgd",
                    0.05f, 0.9f, 1e-4f, LrSchedule.Kind.COSINE, 0.5, 7, 128, 0, true, 0.25, "cpu", 2, false)
                    .withRecipe(new Recipe(EnumSet.of(Augmentation.CROP, Augmentation.ERASE),
                            AutoAugment.TRIVIALAUGMENT, 0.1, 0.2, 1.0, true, 0.9, 0));
        }
    }
}
