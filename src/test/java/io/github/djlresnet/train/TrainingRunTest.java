package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.NoGrad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real training runs on the shipped Fashion-MNIST subset, kept small (ResNet-18, 128 images). */
class TrainingRunTest {

    @TempDir Path tmp;

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    static TrainOptions small(int epochs, float lr) {
        return new TrainOptions("fashion-mnist-mini", null, 18, Shortcut.B, Stem.IMAGENET, 0,
                epochs, 32, "sgd", lr, 0.9f, 1e-4f, LrSchedule.Kind.COSINE, 0, 7, 128, 0, true, 0,
                "cpu", 2, false);
    }

    @Test
    void smokeRunWritesParametersMetricsAndCurves() throws Exception {
        Path dir = tmp.resolve("smoke");
        try (TrainingRun run = TrainingRun.start(small(1, 0.05f), dir)) {
            EpochStats stats = run.run();
            assertEquals(1, stats.epoch());
            assertTrue(stats.trainLoss() > 0 && Double.isFinite(stats.trainLoss()));
            assertTrue(stats.validationAccuracy() >= 0 && stats.validationAccuracy() <= 1);
        }
        // ResNet-18's 11.2M weights and as many momentum buffers, 4 bytes each
        assertTrue(Files.size(dir.resolve("checkpoints/last.ckpt")) > 80_000_000L, "ResNet-18 weights and momentum");
        assertTrue(Files.isRegularFile(dir.resolve("model-spec.properties")), "the run records its model spec");
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(2, csv.size());
        assertTrue(csv.get(0).startsWith("epoch,train_loss,train_accuracy"));
        assertTrue(csv.get(1).startsWith("1,"));
        var png = ImageIO.read(dir.resolve("curves.png").toFile());
        assertNotNull(png, "curves.png is a readable PNG");
        assertEquals(1120, png.getWidth());
        assertTrue(Files.readString(dir.resolve("model-spec.properties")).contains("class.1=Trouser"));
        assertTrue(Files.isRegularFile(dir.resolve("checkpoints/last.ckpt")));
        assertTrue(Files.isRegularFile(dir.resolve("checkpoints/best.ckpt")));
    }

    @Test
    void trackedTestAccuracyIsMeasuredOnTheTestImagesWithoutTouchingSelection() throws Exception {
        // with no --val-split the validation set is the test set (same first 128 images), so the
        // separately measured test accuracy must equal the Trainer's validation accuracy exactly
        TrainOptions base = small(1, 0.05f);
        TrainOptions tracked = new TrainOptions(base.dataset(), null, 18, Shortcut.B, Stem.IMAGENET,
                0, 1, 32, "sgd", 0.05f, 0.9f, 1e-4f, LrSchedule.Kind.COSINE, 0, 7, 128, 0, true, 0,
                "cpu", 2, true);
        Path dir = tmp.resolve("tracked");
        EpochStats stats;
        try (TrainingRun run = TrainingRun.start(tracked, dir)) {
            stats = run.run();
        }
        assertEquals(stats.validationAccuracy(), stats.testAccuracy(), 1e-9);
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertTrue(csv.get(0).endsWith(",test_accuracy"), csv.get(0));
        assertEquals(String.format(java.util.Locale.ROOT, "%.6f", stats.testAccuracy()),
                csv.get(1).substring(csv.get(1).lastIndexOf(',') + 1));
        assertTrue(TrainOptions.load(dir.resolve("run.properties")).trackTest());
        try (TrainingRun run = TrainingRun.start(base, tmp.resolve("untracked"))) {
            assertTrue(Double.isNaN(run.run().testAccuracy()), "not measured unless asked");
        }
    }

    @Test
    void sameSeedGivesSameFirstEpoch() throws Exception {
        double[] losses = new double[2];
        for (int i = 0; i < 2; i++) {
            try (TrainingRun run = TrainingRun.start(small(1, 0.05f), tmp.resolve("seed" + i))) {
                losses[i] = run.run().trainLoss();
            }
        }
        assertEquals(losses[0], losses[1], 1e-5, "same seed, same first-epoch loss");
    }

    @Test
    void resumedRunRestoresMomentumAndMatchesUninterruptedRun() throws Exception {
        EpochStats uninterrupted;
        Map<String, float[]> straightParams;
        try (TrainingRun run = TrainingRun.start(small(2, 0.05f), tmp.resolve("straight"))) {
            uninterrupted = run.run();
            straightParams = parameters(run);
        }

        Path dir = tmp.resolve("stopped");
        Map<String, float[]> momentumAfterEpoch1 = new HashMap<>();
        try (TrainingRun run = TrainingRun.start(small(2, 0.05f), dir)) {
            run.run(1);
            momentumByName(run).forEach((k, v) -> momentumAfterEpoch1.put(k, v.toFloatArray()));
        }
        assertFalse(momentumAfterEpoch1.isEmpty());

        try (TrainingRun resumed = TrainingRun.resume(dir, 0)) {
            assertEquals(1, resumed.state().epochsDone());
            Map<String, NDArray> restored = momentumByName(resumed);
            assertEquals(momentumAfterEpoch1.keySet(), restored.keySet());
            momentumAfterEpoch1.forEach((k, v) ->
                    assertTrue(java.util.Arrays.equals(v, restored.get(k).toFloatArray()),
                            "momentum buffer " + k + " restored exactly"));
            double sum = restored.values().stream().mapToDouble(a -> a.abs().sum().getFloat()).sum();
            assertTrue(sum > 0, "momentum buffers are not all zero");

            EpochStats finished = resumed.run();
            assertEquals(2, finished.epoch());
            assertEquals(uninterrupted.trainLoss(), finished.trainLoss(), 1e-4);
            assertEquals(uninterrupted.validationAccuracy(), finished.validationAccuracy(), 1e-6);
            Map<String, float[]> resumedParams = parameters(resumed);
            straightParams.forEach((k, v) -> {
                float[] r = resumedParams.get(k);
                for (int i = 0; i < v.length; i++) {
                    assertEquals(v[i], r[i], 1e-4f, k);
                }
            });
        }
        assertEquals(3, Files.readAllLines(dir.resolve("metrics.csv")).size(), "header + 2 epochs");
    }

    @Test
    void resumedAdamRunRestoresItsMomentsAndFollowsTheSchedule() throws Exception {
        TrainOptions sgd = small(2, 1e-3f);
        TrainOptions adam = new TrainOptions(sgd.dataset(), null, 18, Shortcut.B, Stem.IMAGENET, 0,
                2, 32, "adam", 1e-3f, 0.9f, 1e-4f, LrSchedule.Kind.COSINE, 0, 7, 128, 0, true, 0,
                "cpu", 2, false);
        Map<String, float[]> straightParams;
        try (TrainingRun run = TrainingRun.start(adam, tmp.resolve("adam-straight"))) {
            run.run();
            straightParams = parameters(run);
            // the cosine schedule reaches the optimizer: near 0 at the end of the last epoch
            assertTrue(run.optimizer().learningRate() < 1e-4f, "lr " + run.optimizer().learningRate());
        }
        Path dir = tmp.resolve("adam-stopped");
        try (TrainingRun run = TrainingRun.start(adam, dir)) {
            run.run(1);
        }
        try (TrainingRun resumed = TrainingRun.resume(dir, 0)) {
            Adam restored = (Adam) resumed.optimizer();
            assertEquals(4, restored.steps(), "128 images / batch 32 = 4 steps in epoch 1");
            resumed.run();
            Map<String, float[]> resumedParams = parameters(resumed);
            straightParams.forEach((k, v) -> {
                float[] r = resumedParams.get(k);
                for (int i = 0; i < v.length; i++) {
                    assertEquals(v[i], r[i], 1e-4f, k);
                }
            });
        }
    }

    @Test
    void divergingRunStopsAndKeepsItsLastGoodCheckpoint() throws Exception {
        Path dir = tmp.resolve("diverge");
        try (TrainingRun run = TrainingRun.start(small(1, 0.05f), dir)) {
            run.run();
        }
        byte[] good = Files.readAllBytes(dir.resolve("checkpoints/last.ckpt"));
        // continue the same run with an absurd rate: rewrite its settings, then resume
        TrainOptions.load(dir.resolve("run.properties"));
        TrainOptions wild = new TrainOptions("fashion-mnist-mini", null, 18, Shortcut.B,
                Stem.IMAGENET, 0, 3, 32, "sgd", 1e12f, 0.9f, 1e-4f, LrSchedule.Kind.CONSTANT, 0, 7,
                128, 0, true, 0, "cpu", 2, false);
        wild.save(dir.resolve("run.properties"));
        try (TrainingRun run = TrainingRun.resume(dir, 0)) {
            TrainingRun.TrainingDiverged e = assertThrows(TrainingRun.TrainingDiverged.class, run::run);
            assertTrue(e.getMessage().startsWith("training diverged at epoch 2"), e.getMessage());
            assertTrue(e.getMessage().contains("last good checkpoint is kept"), e.getMessage());
        }
        assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(dir.resolve("checkpoints/last.ckpt"))));
        try (TrainingRun again = TrainingRun.resume(dir, 0)) {
            assertEquals(1, again.state().epochsDone(), "the previous checkpoint still loads");
        }
    }

    @Test
    void oneStepLowersThatBatchsLoss() throws Exception {
        try (TrainingRun run = TrainingRun.start(small(1, 0.02f), tmp.resolve("step"))) {
            var hb = new io.github.djlresnet.data.BatchLoader(run.data().train(),
                    run.data().normalization(), 0, 16, false, false, 1, 1).epoch(0).next();
            float before = batchLoss(run, hb);
            try (var batch = run.stager().stage(run.trainer().getManager().newSubManager(), hb, 0, 1)) {
                TrainBatch.run(run.trainer(), batch, run.optimizer());
            }
            float after = batchLoss(run, hb);
            assertTrue(after < before, "loss " + before + " -> " + after);
        }
    }

    private static float batchLoss(TrainingRun run, io.github.djlresnet.data.HostBatch hb) {
        try (var batch = run.stager().stage(run.trainer().getManager().newSubManager(), hb, 0, 1);
                NoGrad g = new NoGrad()) {
            // training-mode forward (batch statistics), as the step itself sees the batch
            var pred = run.trainer().forward(batch.getData());
            return run.trainer().getLoss().evaluate(batch.getLabels(), pred).getFloat();
        }
    }

    /** Momentum buffers keyed by parameter name (ids differ between block instances). */
    private static Map<String, NDArray> momentumByName(TrainingRun run) {
        Map<String, NDArray> map = new HashMap<>();
        for (Pair<String, Parameter> p : run.model().getBlock().getParameters()) {
            NDArray buffer = run.optimizer().state().get(p.getValue().getId());
            if (buffer != null) {
                map.put(p.getKey(), buffer);
            }
        }
        return map;
    }

    static Map<String, float[]> parameters(TrainingRun run) {
        Map<String, float[]> map = new HashMap<>();
        for (Pair<String, Parameter> p : run.model().getBlock().getParameters()) {
            map.put(p.getKey(), p.getValue().getArray().toFloatArray());
        }
        return map;
    }
}
