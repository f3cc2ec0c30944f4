package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlresnet.data.DataOptions;
import io.github.djlresnet.data.Datasets;
import io.github.djlresnet.data.ImageSet;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.train.EpochStats;
import io.github.djlresnet.train.LrSchedule;
import io.github.djlresnet.train.TrainOptions;
import io.github.djlresnet.train.TrainingRun;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluate command on a real training run (ResNet-18, 128 shipped Fashion-MNIST images, one
 * epoch): it must reproduce the run's own validation accuracy, and refuse bad input without
 * writing anything.
 */
class EvaluateCommandTest {

    private static final Pattern HEADLINE =
            Pattern.compile("accuracy (\\d\\.\\d{4})  loss (\\d+\\.\\d{4})  \\((\\d+) images, ([^,]+), (\\w+)\\)");

    @TempDir static Path tmp;
    static Path run;
    static EpochStats stats;

    record Outcome(int code, String out, String err) {}

    static Outcome evaluate(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "evaluate";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), all);
        return new Outcome(code, out.toString(), err.toString());
    }

    /**
     * lr 0.01: after four steps at 0.05 the BatchNorm running statistics are so far off that
     * every image gets the same class, and equal accuracies would prove little.
     */
    @BeforeAll
    static void trainTinyRun() throws Exception {
        EngineSetup.engine();
        run = tmp.resolve("run");
        TrainOptions options = new TrainOptions("fashion-mnist-mini", null, 18, Shortcut.B, Stem.IMAGENET, 0,
                1, 32, "sgd", 0.01f, 0.9f, 1e-4f, LrSchedule.Kind.COSINE, 0, 7, 128, 0, true, 0, "cpu", 2, false);
        try (TrainingRun r = TrainingRun.start(options, run)) {
            stats = r.run();
        }
        // the export train does at the end, from the run folder's checkpoint
        {
            io.github.djlresnet.serving.RunExport.exportIntoRun(run, "test");
        }
    }

    @Test
    void reproducesTheRunsValidationAccuracyAndWritesTheMatrix() throws Exception {
        Outcome o = evaluate("--model", run.toString(), "--limit", "128");
        assertEquals(0, o.code(), o.err());
        Matcher m = HEADLINE.matcher(o.out());
        assertTrue(m.find(), o.out());
        // the model the run validated is the one exported: same images, same accuracy
        assertEquals(String.format(Locale.ROOT, "%.4f", stats.validationAccuracy()), m.group(1), o.out());
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        double csvAccuracy = Double.parseDouble(metrics.get(1).split(",")[5]);
        assertEquals(String.format(Locale.ROOT, "%.4f", csvAccuracy), m.group(1), "metrics.csv val_accuracy");
        // four equal batches of 32: the trainer's mean of batch means is the mean over images
        assertEquals(stats.validationLoss(), Double.parseDouble(m.group(2)), 2e-4, o.out());
        assertEquals("128", m.group(3));
        assertEquals("fashion-mnist-mini", m.group(4));
        assertEquals("validation", m.group(5));
        assertTrue(o.out().contains("Ankle boot"), "per-class table names the classes");

        Path dir = run.resolve("evaluation-fashion-mnist-mini-validation");
        List<String> csv = Files.readAllLines(dir.resolve("confusion.csv"));
        List<String> synset = Files.readAllLines(run.resolve("synset.txt"));
        assertEquals("true \\ predicted," + String.join(",", synset), csv.get(0));
        assertEquals(11, csv.size(), "header + 10 rows");

        // the true labels, counted independently from the dataset itself
        ImageSet validation = Datasets.load(new DataOptions("fashion-mnist-mini", null, 0, 0, 42, 128)).validation();
        long[] perClass = new long[10];
        for (int label : validation.labels()) {
            perClass[label]++;
        }
        long total = 0;
        long diagonal = 0;
        long[] rowSums = new long[10];
        boolean[] predicted = new boolean[10];
        for (int t = 0; t < 10; t++) {
            String[] f = csv.get(t + 1).split(",");
            assertEquals(synset.get(t), f[0]);
            for (int p = 0; p < 10; p++) {
                long c = Long.parseLong(f[p + 1]);
                rowSums[t] += c;
                predicted[p] |= c > 0;
                if (p == t) {
                    diagonal += c;
                }
            }
            total += rowSums[t];
        }
        assertArrayEquals(perClass, rowSums, "row sums are the images of each true class");
        assertEquals(128, total);
        int columns = 0;
        for (boolean b : predicted) {
            columns += b ? 1 : 0;
        }
        assertTrue(columns >= 2, "the model predicts more than one class, so equal accuracies mean something");
        assertEquals(m.group(1), String.format(Locale.ROOT, "%.4f", diagonal / 128.0), "diagonal / total");

        List<String> perClassCsv = Files.readAllLines(dir.resolve("per_class.csv"));
        assertEquals("index,class,images,correct,accuracy", perClassCsv.get(0));
        for (int t = 0; t < 10; t++) {
            String[] f = perClassCsv.get(t + 1).split(",");
            assertEquals(String.valueOf(perClass[t]), f[2], perClassCsv.get(t + 1));
        }

        BufferedImage png = ImageIO.read(dir.resolve("confusion.png").toFile());
        assertNotNull(png, "confusion.png is a readable PNG");
        assertTrue(png.getWidth() >= 480 && png.getHeight() >= 480);
    }

    @Test
    void aZipOfTheModelGivesTheSameLineAndWritesNextToIt() throws Exception {
        Path zip = zipModel(run, tmp.resolve("model.zip"));
        Outcome folder = evaluate("--model", run.toString(), "--limit", "64", "--split", "test",
                "--output", tmp.resolve("from-folder").toString());
        Outcome zipped = evaluate("--model", zip.toString(), "--limit", "64", "--split", "test", "--batch-size", "20");
        assertEquals(0, folder.code(), folder.err());
        assertEquals(0, zipped.code(), zipped.err());
        String line = folder.out().lines().findFirst().orElseThrow();
        assertTrue(line.contains("(64 images, fashion-mnist-mini, test)"), line);
        assertEquals(line, zipped.out().lines().findFirst().orElseThrow(), "batch size and packaging change nothing");
        assertTrue(Files.isRegularFile(tmp.resolve("model-evaluation-fashion-mnist-mini-test/confusion.csv")));
        assertTrue(Files.isRegularFile(tmp.resolve("from-folder/confusion.png")));
    }

    @Test
    void badInputExitsWith2AndOneLineAndWritesNothing() throws Exception {
        Path file = Files.writeString(tmp.resolve("results.txt"), "keep me");
        Path threeClasses = tmp.resolve("three");
        for (String cls : List.of("cat", "dog", "fox")) {
            Files.createDirectories(threeClasses.resolve(cls));
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
            img.setRGB(3, 4, 0xFF8040);
            ImageIO.write(img, "png", threeClasses.resolve(cls).resolve("1.png").toFile());
        }
        Map<String, byte[]> withData = snapshot(tmp);

        String[][] cases = {
            {"--model", tmp.resolve("no-such-model").toString()},
            {"--model", run.toString(), "--dataset", "folder:" + threeClasses, "--limit", "16"},
            {"--model", run.toString(), "--output", file.toString(), "--limit", "16"},
            {"--model", run.toString(), "--output", file.resolve("sub").toString(), "--limit", "16"},
            {"--model", run.toString(), "--split", "train"},
            {"--model", run.toString(), "--batch-size", "0"},
            {"--model", run.toString(), "--dataset", "imagenet-21k"},
        };
        String[] expected = {
            "does not exist",
            "the model has 10 classes but folder:" + threeClasses + " (validation) has 3",
            "is a file, not a folder",
            "is a file, not a folder",
            "--split must be validation or test",
            "--batch-size must be at least 1",
            "unknown dataset 'imagenet-21k'",
        };
        for (int i = 0; i < cases.length; i++) {
            Outcome o = evaluate(cases[i]);
            String what = String.join(" ", cases[i]);
            assertEquals(2, o.code(), what + " -> " + o.err() + o.out());
            List<String> lines = o.err().lines().toList();
            assertEquals(1, lines.size(), what + ": one line, got " + o.err());
            assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(expected[i]),
                    what + ": " + lines.get(0));
            assertEquals("", o.out(), what + ": nothing printed on stdout");
        }
        Map<String, byte[]> after = snapshot(tmp);
        assertEquals(withData.keySet(), after.keySet(), "no file written or removed");
        for (String f : withData.keySet()) {
            assertArrayEquals(withData.get(f), after.get(f), f + " unchanged");
        }
        assertFalse(Files.exists(tmp.resolve("no-such-model")));
    }

    /** The exported model's files (not checkpoints or metrics) in a zip with one top folder. */
    private static Path zipModel(Path dir, Path zip) throws Exception {
        try (OutputStream os = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(os);
                Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".params") || name.equals("synset.txt") || name.equals("serving.properties")
                        || name.endsWith(".jar")) {
                    z.putNextEntry(new ZipEntry("model/" + name));
                    Files.copy(f, z);
                    z.closeEntry();
                }
            }
        }
        return zip;
    }

    /** Every file under {@code dir} with its bytes. */
    private static Map<String, byte[]> snapshot(Path dir) throws Exception {
        Map<String, byte[]> files = new TreeMap<>();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(all::add);
        }
        for (Path p : all) {
            files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
        return files;
    }
}
