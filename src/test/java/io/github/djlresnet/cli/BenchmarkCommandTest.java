package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlresnet.runtime.Precision;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark command's output contract (speed itself is measured in bench/, not here). */
class BenchmarkCommandTest {

    private static String run(int expectedCode, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(expectedCode, code, err.toString());
        return expectedCode == 0 ? out.toString() : err.toString();
    }

    @Test
    void printsOneJsonLineWithTheMeasurement() {
        for (String mode : new String[] {"train", "infer"}) {
            String json = run(0, "benchmark", "--workload", "w28g", "--mode", mode,
                    "--seconds", "0", "--steps", "2", "--warmup", "1").strip();
            assertEquals(1, json.lines().count(), json);
            assertTrue(json.startsWith("{\"impl\":\"djl\",\"workload\":\"w28g\",\"mode\":\"" + mode), json);
            assertEquals(2, (int) number(json, "steps"));
            assertEquals(128, (int) number(json, "batch"));
            double seconds = number(json, "seconds");
            assertEquals(2 * 128 / seconds, number(json, "images_per_sec"), 0.05 * 256 / seconds);
            assertTrue(number(json, "peak_rss_mib") > 100, json);
            // torchvision's resnet34(num_classes=10) with a 1-channel conv1
            assertEquals(21_283_530L, (long) number(json, "params"), json);
        }
    }

    @Test
    void s28gRunsTheSmallStemNetwork() {
        String json = run(0, "benchmark", "--workload", "s28g", "--mode", "train",
                "--steps", "1", "--seconds", "0", "--warmup", "0").strip();
        assertEquals(1, json.lines().count(), json);
        assertTrue(json.startsWith("{\"impl\":\"djl\",\"workload\":\"s28g\",\"mode\":\"train\""), json);
        assertEquals(128, (int) number(json, "batch"));
        assertEquals(1, (int) number(json, "steps"));
        // torchvision's 1-channel ResNet-34 (21,283,530) with its 7x7 conv1 (7*7*1*64 = 3,136)
        // replaced by a 3x3 one (3*3*1*64 = 576)
        assertEquals(21_283_530L - 3_136 + 576, (long) number(json, "params"), json);
    }

    @Test
    void profileRecordsExactlyTheTimedSteps(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("trace.json");
        run(0, "benchmark", "--workload", "w28g", "--mode", "train", "--seconds", "0", "--steps", "1",
                "--warmup", "1", "--profile", trace.toString());
        String text = Files.readString(trace);
        // one timed step of ResNet-34: 33 3x3/7x7 convolutions + 3 projections, forward and backward;
        // the warm-up step is not in the trace. Where fp32 training runs through the features kernel
        // (CPUs without AVX-512) the projections are GEMMs (make_kernels.py, conv1x1_channels_last),
        // and so are the 17 convolutions whose input maps are 2x2 or 1x1 at 28 px (small_map_conv):
        // the stem, stage 1's 6, stage 2's 8 and stage 3's first are left
        int convolutions = Precision.FP32.featuresKernel(false, 7) == null ? 36 : 16;
        assertEquals(convolutions, count(text, "\"aten::mkldnn_convolution\""), "forward convolutions");
        assertEquals(convolutions, count(text, "\"aten::convolution_backward\""), "backward convolutions");

        String before = Files.readString(trace);
        assertTrue(run(2, "benchmark", "--steps", "1", "--seconds", "0", "--profile", trace.toString())
                .contains("the file exists"));
        assertEquals(before, Files.readString(trace), "an existing trace is left alone");
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void bf16AndChannelsLastRunAndSayWhichTheyAre() {
        String json = run(0, "benchmark", "--workload", "w28g", "--mode", "train", "--seconds", "0",
                "--steps", "1", "--warmup", "1", "--precision", "bf16", "--channels-last").strip();
        assertTrue(json.contains("\"precision\":\"bf16\",\"channels_last\":true"), json);
        json = run(0, "benchmark", "--workload", "w28g", "--mode", "infer", "--seconds", "0",
                "--steps", "1", "--warmup", "1", "--precision", "bf16").strip();
        assertTrue(json.contains("\"precision\":\"bf16\",\"channels_last\":false"), json);
        String bad = run(2, "benchmark", "--precision", "fp16").toLowerCase(java.util.Locale.ROOT);
        assertTrue(bad.contains("--precision") && bad.contains("[fp32, bf16]"), bad);
    }

    @Test
    void badOptionsAreOneLine() {
        // picocli names the option and its choices
        String workload = run(2, "benchmark", "--workload", "w64").toLowerCase(java.util.Locale.ROOT);
        assertTrue(workload.contains("--workload") && workload.contains("[w224, w32, w28g, s28g]") && workload.contains("w64"),
                workload);
        String mode = run(2, "benchmark", "--mode", "fit").toLowerCase(java.util.Locale.ROOT);
        assertTrue(mode.contains("--mode") && mode.contains("[train, infer]"), mode);
        assertTrue(run(2, "benchmark", "--workload", "w32", "--data", "real")
                .contains("w28g and s28g (Fashion-MNIST) only"));
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":([0-9.]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }
}
