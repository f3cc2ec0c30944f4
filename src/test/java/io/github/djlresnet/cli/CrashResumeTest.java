package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.runtime.CheckpointFile;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.ModelSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training JVM killed with SIGKILL in the middle of an epoch, after a mid-epoch checkpoint,
 * resumes to the same per-epoch metrics and parameters as a run that was never interrupted.
 */
class CrashResumeTest {

    /** ResNet-18, 256 images in batches of 32: 8 steps an epoch, checkpoints after steps 3 and 6. */
    private static final List<String> RUN = List.of("train", "--depth", "18", "--limit", "256",
            "--batch-size", "32", "--epochs", "2", "--seed", "7", "--lr", "0.02");

    /** Columns of metrics.csv that must agree: epoch and every loss and accuracy. */
    private static final List<String> COMPARED = List.of("epoch", "train_loss", "train_accuracy",
            "train_top5", "val_loss", "val_accuracy", "val_top5", "learning_rate");

    /** Stated tolerance; on this project's CPUs both runs came out bit-identical. */
    private static final double TOLERANCE = 1e-4;

    @TempDir Path tmp;

    /** Issue 29's options, all on: the EMA, mixup/cutmix and auto-augment state must resume too. */
    private static final List<String> RECIPE = List.of("--augment", "crop,erase", "--random-erasing", "0.25",
            "--auto-augment", "trivialaugment", "--label-smoothing", "0.1", "--mixup-alpha", "0.2",
            "--cutmix-alpha", "1.0", "--model-ema", "--ema-decay", "0.9", "--norm-weight-decay", "0");

    @Test
    void killedMidEpochResumesToTheUninterruptedRun() throws Exception {
        killAndResume(List.of());
    }

    @Test
    void killedMidEpochWithTheRecipeOptionsResumesToTheUninterruptedRun() throws Exception {
        killAndResume(RECIPE);
    }

    private void killAndResume(List<String> extra) throws Exception {
        EngineSetup.engine();
        Path straight = tmp.resolve("straight");
        List<String> args = new ArrayList<>(RUN);
        args.addAll(extra);
        args.addAll(List.of("--checkpoint-minutes", "0", "--output", straight.toString()));
        assertEquals(0, Main.execute(args.toArray(String[]::new)));

        Path killed = tmp.resolve("killed");
        String seen = trainInChildAndKill(killed, extra, "checkpoint: epoch 1 step 3/8");
        assertTrue(seen.contains("checkpoint: epoch 1 step 3/8"), seen);
        assertFalse(Files.exists(killed.resolve("metrics.csv")) && metricRows(killed).size() > 0,
                "killed before epoch 1 ended");

        assertEquals(0, Main.execute("train", "--resume", killed.toString()));

        List<Map<String, String>> expected = metricRows(straight);
        List<Map<String, String>> actual = metricRows(killed);
        assertEquals(2, expected.size());
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            for (String column : COMPARED) {
                double e = Double.parseDouble(expected.get(i).get(column));
                double a = Double.parseDouble(actual.get(i).get(column));
                assertEquals(e, a, TOLERANCE, "epoch " + (i + 1) + " " + column);
            }
        }
        Map<String, float[]> a = checkpointParameters(straight);
        Map<String, float[]> b = checkpointParameters(killed);
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (Map.Entry<String, float[]> e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
        }
        assertTrue(worst <= TOLERANCE, "largest parameter difference " + worst);
    }

    /** Runs RUN in a child JVM with mid-epoch checkpoints and SIGKILLs it once {@code line} is logged. */
    private static String trainInChildAndKill(Path output, List<String> extra, String line) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // one process: no allocator relaunch, so the process killed is the one training
        command.addAll(List.of("-Ddjlresnet.malloc=default", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(RUN);
        command.addAll(extra);
        command.addAll(List.of("--checkpoint-every", "3", "--output", output.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = out.readLine()) != null; ) {
                log.append(l).append('\n');
                if (l.contains(line)) {
                    child.destroyForcibly(); // SIGKILL on Linux
                    break;
                }
            }
        } finally {
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
        assertNotEquals(0, child.exitValue(), "the child was killed, not finished:\n" + log);
        return log.toString();
    }

    private static List<Map<String, String>> metricRows(Path run) throws Exception {
        List<String> lines = Files.readAllLines(run.resolve("metrics.csv"));
        String[] header = lines.get(0).split(",");
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length && i < cells.length; i++) {
                row.put(header[i], cells[i]);
            }
            rows.add(row);
        }
        return rows;
    }

    private static Map<String, float[]> checkpointParameters(Path run) {
        ModelSpec spec = ModelSpec.load(run.resolve("model-spec.properties"));
        try (Model model = Model.newInstance("check", "PyTorch")) {
            model.setBlock(ResNet.build(spec.config()));
            var contents = CheckpointFile.read(run.resolve("checkpoints/last.ckpt"), model.getBlock(),
                    model.getNDManager(), true);
            Map<String, float[]> values = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                NDArray array = p.getValue().getArray();
                values.put(p.getKey(), array.toFloatArray());
            }
            // with --model-ema, the averages too
            contents.arrays().forEach((k, v) -> {
                if (k.startsWith(CheckpointFile.EMA_PREFIX)) {
                    values.put(k, v.toFloatArray());
                }
            });
            return values;
        }
    }

}
