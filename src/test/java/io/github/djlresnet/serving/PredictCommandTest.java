package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.djlresnet.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictCommandTest {

    @TempDir Path tmp;

    @Test
    void predictPrintsTopClassesAndRejectsNonImages() throws IOException {
        Path model = Fixtures.exported();
        Path png = Fixtures.writeGrayPng(Fixtures.test(), 0, tmp.resolve("shoe.png"));
        // the expected answer: the in-memory model that was exported, on the image's pixels,
        // with a softmax computed here (not the predictor's translator)
        double[] probabilities = new double[10];
        try (NDManager m = NDManager.newBaseManager()) {
            float[] logits = Fixtures.logits(Fixtures.model(), Fixtures.pixels01(m, Fixtures.test(), 0, 1));
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double sum = 0;
            for (int k = 0; k < 10; k++) {
                probabilities[k] = Math.exp(logits[k] - max);
                sum += probabilities[k];
            }
            for (int k = 0; k < 10; k++) {
                probabilities[k] /= sum;
            }
        }
        Integer[] ranked = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        java.util.Arrays.sort(ranked, (a, b) -> Double.compare(probabilities[b], probabilities[a]));

        for (String layout : List.of("", "--channels-last")) {
            List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--top-k", "3"));
            if (!layout.isEmpty()) {
                args.add(layout);
            }
            args.add(png.toString());
            Run ok = run(args.toArray(String[]::new));
            assertEquals(0, ok.code, ok.err);
            String[] lines = ok.out.split("\n");
            assertEquals(png.toString(), lines[0]);
            assertEquals(4, lines.length, ok.out);
            for (int rank = 1; rank <= 3; rank++) {
                String line = lines[rank];
                int k = ranked[rank - 1];
                assertTrue(line.startsWith("  " + rank + ". " + Fixtures.SYNSET.get(k)), layout + ok.out);
                double printed = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                assertEquals(probabilities[k], printed, 1e-4, layout + line);
            }
        }

        Path text = Files.writeString(tmp.resolve("readme.txt"), "hello");
        Run bad = run("predict", "--model", model.toString(), png.toString(), text.toString());
        assertEquals(2, bad.code);
        assertEquals("error: " + text + " is not a readable image (PNG or JPEG expected)\n", bad.err);
        assertEquals("", bad.out, "nothing printed before the bad file is found");

        Run noModel = run("predict", "--model", tmp.resolve("none").toString(), png.toString());
        assertEquals(2, noModel.code);
        assertEquals("error: model " + tmp.resolve("none") + " does not exist\n", noModel.err);
    }

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            System.out.flush();
            System.err.flush();
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
