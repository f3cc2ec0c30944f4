package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.cli.Main;
import io.github.djlresnet.data.ImageSet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code score} on real Spark in {@code local[2]}: the shipped Fashion-MNIST test images written as
 * PNGs into class folders, scored by the shared fixture model, and checked against an evaluation
 * of the same pixels that does not go through Spark, DJL's image translator or the job's code.
 */
class ScoreJobTest {

    @TempDir Path tmp;

    @Test
    void scoresEveryImageWithEvaluatesAccuracyAndWritesParquet() throws Exception {
        Path model = Fixtures.exported();
        ImageSet test = Fixtures.test();
        Path images = tmp.resolve("images");
        for (int i = 0; i < test.size(); i++) {
            Path dir = images.resolve(Fixtures.SYNSET.get(test.labels()[i]).replace('/', '_'));
            Files.createDirectories(dir);
            Fixtures.writeGrayPng(test, i, dir.resolve(i + ".png"));
        }
        Path broken = Files.writeString(images.resolve("Bag").resolve("broken.png"), "not an image");
        Files.writeString(images.resolve("notes.txt"), "not read: not an image extension");

        // what evaluate counts on the same pixels: the IDX images as logits through Criteria, no Spark
        ModelEvaluator.Evaluation expected;
        try (ZooModel<NDList, NDList> logits = ModelLoader.logits(model)) {
            expected = ModelEvaluator.evaluate(logits, test, 28, 100, "fashion-mnist-mini", "test");
        }

        Path out = tmp.resolve("scores");
        Run run = run("score", "--model", model.toString(), "--input", images.toString(), "--output", out.toString(),
                "--master", "local[2]", "--batch-size", "32", "--top-k", "3");
        assertEquals(0, run.code, run.err);
        assertTrue(run.out.startsWith("scored 500 images (1 file not an image) in "), run.out);
        assertTrue(run.out.contains("\n  " + broken.toUri().toString().replace("file:///", "file:/") + "\n"), run.out);
        assertTrue(run.out.contains(String.format(Locale.ROOT, "accuracy %.4f  (500 labelled images)%n",
                expected.accuracy())), run.out);
        assertEquals(expected.confusion().toCsv(),
                Files.readString(out.resolve(ModelEvaluator.CONFUSION_CSV), StandardCharsets.UTF_8));
        assertEquals(expected.confusion().perClassCsv(),
                Files.readString(out.resolve(ModelEvaluator.PER_CLASS_CSV), StandardCharsets.UTF_8));
        assertTrue(Files.size(out.resolve(ModelEvaluator.CONFUSION_PNG)) > 0);

        // the Parquet output, read back by Spark
        SparkSession spark = SparkSession.builder().master("local[1]").appName("read back")
                .config("spark.ui.enabled", "false").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.resolve(ScoreJob.PREDICTIONS).toString()).collectAsList();
            assertEquals(501, rows.size(), "every image and the broken file; notes.txt is not read");
            Set<String> paths = new HashSet<>();
            int correct = 0;
            for (Row r : rows) {
                String path = r.getAs("path");
                assertTrue(paths.add(path), "one row per file: " + path);
                String folder = Path.of(path.substring(path.indexOf(':') + 1)).getParent().getFileName().toString();
                String label = r.getAs("label");
                assertEquals(Fixtures.SYNSET.stream().filter(c -> c.replace('/', '_').equals(folder)).findFirst()
                        .orElseThrow(), label, path);
                if (path.endsWith("broken.png")) {
                    assertEquals(ScorePartition.NOT_AN_IMAGE, r.getAs("error"));
                    assertNull(r.getAs("top1"));
                    continue;
                }
                assertNull(r.getAs("error"), path);
                List<Row> topK = r.getList(r.fieldIndex("top_k"));
                assertEquals(3, topK.size());
                assertEquals(r.<String>getAs("top1"), topK.get(0).getAs("class_name"));
                assertEquals(r.<Double>getAs("probability"), topK.get(0).<Double>getAs("probability"));
                assertTrue(topK.get(0).<Double>getAs("probability") >= topK.get(1).<Double>getAs("probability"));
                assertTrue(topK.get(1).<Double>getAs("probability") >= topK.get(2).<Double>getAs("probability"));
                if (label.equals(r.getAs("top1"))) {
                    correct++;
                }
            }
            assertEquals(expected.confusion().correct(), correct);

            // top-k classes and probabilities as DJL's own image-classification translator gives them
            try (ZooModel<Image, Classifications> classifier = ModelLoader.classifier(model);
                    Predictor<Image, Classifications> predictor = classifier.newPredictor()) {
                for (Row r : rows.subList(0, 20)) {
                    String path = r.getAs("path");
                    if (path.endsWith("broken.png")) {
                        continue;
                    }
                    List<Classifications.Classification> djl = predictor.predict(
                            ImageFactory.getInstance().fromFile(Path.of(path.substring(path.indexOf(':') + 1)))).topK(3);
                    List<Row> topK = r.getList(r.fieldIndex("top_k"));
                    for (int k = 0; k < 3; k++) {
                        assertEquals(djl.get(k).getClassName(), topK.get(k).getAs("class_name"), path);
                        assertEquals(djl.get(k).getProbability(), topK.get(k).<Double>getAs("probability"), 1e-5, path);
                    }
                }
            }
        } finally {
            spark.stop();
        }

        // with channels-last convolutions: the same counts as evaluate's
        Run channelsLast = run("score", "--model", model.toString(), "--input", images.toString(), "--output",
                out.toString(), "--master", "local[2]", "--overwrite", "--channels-last");
        assertEquals(0, channelsLast.code, channelsLast.err);
        assertTrue(ScoreModel.holds(model.toString(), true), "the job loaded the channels-last model");
        assertEquals(expected.confusion().toCsv(),
                Files.readString(out.resolve(ModelEvaluator.CONFUSION_CSV), StandardCharsets.UTF_8));

        // --overwrite replaces the results; images in folders that name no class have no label and
        // leave no confusion files behind
        Path unlabelled = Files.createDirectories(tmp.resolve("unlabelled").resolve("misc"));
        for (int i = 0; i < 5; i++) {
            Fixtures.writeGrayPng(test, i, unlabelled.resolve(i + ".png"));
        }
        Run again = run("score", "--model", model.toString(), "--input", unlabelled.getParent().toString(),
                "--output", out.toString(), "--master", "local[2]", "--overwrite");
        assertEquals(0, again.code, again.err);
        assertTrue(again.out.startsWith("scored 5 images in "), again.out);
        assertFalse(again.out.contains("accuracy"), again.out);
        assertFalse(Files.exists(out.resolve(ModelEvaluator.CONFUSION_CSV)));
        assertFalse(Files.exists(out.resolve(ModelEvaluator.CONFUSION_PNG)));
    }

    @Test
    void refusesBadInputWithOneLineAndWritesNothing() throws Exception {
        Path model = Fixtures.exported();
        Path images = Files.createDirectories(tmp.resolve("images").resolve("Bag"));
        Fixtures.writeGrayPng(Fixtures.test(), 0, images.resolve("0.png"));
        Path taken = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(taken.resolve("keep.txt"), "mine");
        Path empty = Files.createDirectories(tmp.resolve("no-images").resolve("Bag"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        Map<String, byte[]> before = Fixtures.snapshot(tmp);

        Run exists = run("score", "--model", model.toString(), "--input", images.toString(), "--output", taken.toString());
        assertEquals(2, exists.code);
        assertEquals("error: --output " + taken + " exists and is not empty: pass --overwrite to replace its results\n",
                exists.err);

        Run noModel = run("score", "--model", tmp.resolve("none").toString(), "--input", images.toString(),
                "--output", tmp.resolve("out").toString());
        assertEquals(2, noModel.code);
        assertEquals("error: model " + tmp.resolve("none") + " does not exist\n", noModel.err);

        Path notModel = Files.createDirectories(tmp.resolve("not-a-model"));
        Run unreadable = run("score", "--model", notModel.toString(), "--input", images.toString(),
                "--output", tmp.resolve("out").toString());
        assertEquals(2, unreadable.code);
        assertEquals("error: " + notModel + " has no serving.properties: not an exported model folder\n", unreadable.err);

        Run noInput = run("score", "--model", model.toString(), "--input", tmp.resolve("nowhere").toString(),
                "--output", tmp.resolve("out").toString());
        assertEquals(2, noInput.code);
        assertEquals("error: --input " + tmp.resolve("nowhere") + " does not exist\n", noInput.err);

        Run badK = run("score", "--model", model.toString(), "--input", images.toString(),
                "--output", tmp.resolve("out").toString(), "--top-k", "0");
        assertEquals(2, badK.code);
        assertEquals("error: --top-k must be at least 1, got 0\n", badK.err);

        Run noImages = run("score", "--model", model.toString(), "--input", empty.getParent().toString(),
                "--output", tmp.resolve("out").toString(), "--master", "local[2]");
        assertEquals(2, noImages.code);
        assertEquals("error: no images (" + ScoreJob.IMAGE_GLOB + ") under --input " + empty.getParent() + "\n",
                noImages.err);
        Fixtures.assertSameFiles(before, Fixtures.snapshot(tmp));
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void theCommandLineRelaunchesWithSparksModuleOptionsAndTheClientCompiler() throws Exception {
        Path model = Fixtures.exported();
        Path images = Files.createDirectories(tmp.resolve("images").resolve("Bag"));
        for (int i = 0; i < 3; i++) {
            Fixtures.writeGrayPng(Fixtures.test(), i, images.resolve(i + ".png"));
        }
        // a plain `java -cp ... Main`, as bench/score-vs-evaluate.sh runs it: no --add-opens of its own
        Path javaTmp = Files.createDirectories(tmp.resolve("java-tmp"));
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Djava.io.tmpdir=" + javaTmp, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "score",
                "--model", model.toString(), "--input", images.getParent().toString(),
                "--output", tmp.resolve("out").toString(), "--master", "local[2]")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile());
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        Process score = builder.start();
        assertEquals(0, score.waitFor(), Files.readString(tmp.resolve("log.txt")));
        String log = Files.readString(tmp.resolve("log.txt"));
        assertTrue(log.contains("scored 3 images in "), log);
        assertTrue(log.contains("jit C1 only"), "the child runs C1 alone (JitDefaults): " + log);
        try (var left = Files.list(javaTmp)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("djl-resnet-score-warm-up"))
                    .toList(), "PlannerWarmUp deletes its folder");
        }
    }

    @Test
    void theDefaultBatchHoldsAtMost32MiBOfInput() {
        assertEquals(256, ScoreJob.defaultBatchSize(new int[] {1, 28, 28}));
        assertEquals(256, ScoreJob.defaultBatchSize(new int[] {3, 104, 104}), "256 x 3 x 104 x 104 floats is 31.7 MiB");
        assertEquals(222, ScoreJob.defaultBatchSize(new int[] {3, 112, 112}), "32 MiB / (3 x 112 x 112 x 4 B) = 222.9");
        assertEquals(55, ScoreJob.defaultBatchSize(new int[] {3, 224, 224}));
        assertEquals(1, ScoreJob.defaultBatchSize(new int[] {3, 4096, 4096}));
    }

    @Test
    void parentFoldersNamingAClassLabelTheirImages() {
        Map<String, Integer> folders = ScorePartition.classOfFolder(Fixtures.SYNSET);
        assertEquals("T-shirt/top", Fixtures.SYNSET.get(folders.get("T-shirt_top")));
        assertEquals("Ankle boot", Fixtures.SYNSET.get(folders.get("Ankle boot")));
        assertNull(folders.get("misc"));
        assertEquals("Ankle boot", ScorePartition.parentFolder("file:/data/shoes/Ankle boot/1.png"));
        assertEquals("b", ScorePartition.parentFolder("hdfs://namenode:8020/a/b/x.jpg"));
    }

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }
}
