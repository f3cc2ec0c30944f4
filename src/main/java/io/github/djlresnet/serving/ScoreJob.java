package io.github.djlresnet.serving;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.runtime.SparkModuleOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.spark.SparkException;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code score}: classifies a collection of images with an exported model on Apache Spark and
 * writes one Parquet row per file. Spark's {@code binaryFile} source lists and reads the images
 * (recursively, by extension); each task decodes its partition's files and classifies them in
 * batches through the model its JVM loaded once ({@link ScoreModel}, via {@link ModelLoader} and
 * DJL's {@code Criteria}), in {@link ScorePartition}. Where an image's parent folder names a class
 * of the model, that is its label, and the labelled images give an accuracy and a confusion matrix
 * ({@value ModelEvaluator#CONFUSION_CSV}, {@value ModelEvaluator#PER_CLASS_CSV},
 * {@value ModelEvaluator#CONFUSION_PNG}) that count like {@code evaluate}'s.
 *
 * <p>Bad input fails with a one-line {@link InvalidInputException} before anything is written:
 * an unreadable model (checked on the driver before Spark starts), a missing input, no images, an
 * output folder that holds files (unless overwriting). A file that is not an image is a row with
 * an {@code error}, counted and listed, not a failure.
 */
public final class ScoreJob {

    private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);

    public static final String DEFAULT_MASTER = "local[*]";

    /** The Parquet folder inside {@code --output}. */
    public static final String PREDICTIONS = "predictions";

    /** The file names read: the formats ImageIO decodes, as for image-folder datasets. */
    public static final String IMAGE_GLOB = "*.{png,jpg,jpeg,bmp,gif,PNG,JPG,JPEG,BMP,GIF}";

    /** How many files that are not images the result names (all are in the Parquet output). */
    static final int LISTED_NOT_IMAGES = 20;

    /** Loggers of Spark and its libraries, kept to warnings (the job logs its own progress). */
    private static final List<String> QUIET_LOGGERS = List.of("org.apache.spark", "org.apache.hadoop",
            "org.sparkproject", "org.apache.parquet", "org.apache.orc", "io.netty", "org.apache.hadoop.util.NativeCodeLoader");

    private static final String OPEN_COST = "spark.sql.files.openCostInBytes";

    /**
     * What a file costs in Spark's packing of files into partitions, in bytes (its default: 4 MB,
     * which put 32 small images in a task, so that per-task costs, a Parquet file each, dominated).
     * Images cost their scoring, so partitions are sized by count: with 16 KB and
     * {@value #PARTITIONS_PER_CORE} partitions per core ({@code spark.sql.files.minPartitionNum}),
     * 10,000 or 60,000 28x28 PNGs make 8 equal partitions in {@code local[2]}; a partition still ends
     * at 128 MB ({@code spark.sql.files.maxPartitionBytes}), about 7,800 such images. (64 KB made
     * 60,000 images 29 partitions of 2,000 and one of 1,000, which one core ran alone at the end:
     * 1-2 s slower, bench/RESULTS.md.) Both settings can be overridden.
     */
    static final long IMAGE_OPEN_COST = 16 * 1024;

    static final int PARTITIONS_PER_CORE = 4;

    private static final String MIN_PARTITIONS = "spark.sql.files.minPartitionNum";

    private static final String WHOLE_STAGE_CODEGEN = "spark.sql.codegen.wholeStage";

    private static final String LOG4J_CONTEXT_FACTORY = "log4j2.loggerContextFactory";

    /** Images a forward pass by default, unless their input would pass {@link #BATCH_INPUT_BYTES}. */
    public static final int DEFAULT_BATCH_SIZE = 256;

    /** The most input a default batch holds: 32 MiB, 256 images up to 3x104x104 floats, 55 at 3x224x224. */
    static final long BATCH_INPUT_BYTES = 32L << 20;

    /**
     * What to score.
     *
     * @param model exported model folder or .zip of one, readable on the driver and on every executor
     * @param input folder (or file, or Hadoop URI such as {@code hdfs://...}) of images; read recursively
     * @param output folder for {@value #PREDICTIONS}/ and the confusion files
     * @param master Spark master; null for spark-submit's, else {@value #DEFAULT_MASTER}
     * @param batchSize images per forward pass within a task (results do not depend on it); null for
     *     {@link #defaultBatchSize}
     * @param topK classes kept per image
     * @param overwrite replace the results in an output folder that holds files
     * @param channelsLast convolutions on channels-last tensors ({@link ModelLoader#logits(Path, boolean)})
     */
    public record Options(
            Path model, String input, Path output, String master, Integer batchSize, int topK, boolean overwrite,
            boolean channelsLast) {

        public Options {
            if (model == null) {
                throw new InvalidInputException("--model is required");
            }
            if (input == null || input.isBlank()) {
                throw new InvalidInputException("--input is required");
            }
            if (output == null) {
                throw new InvalidInputException("--output is required");
            }
            if (batchSize != null && batchSize < 1) {
                throw new InvalidInputException("--batch-size must be at least 1, got " + batchSize);
            }
            if (topK < 1) {
                throw new InvalidInputException("--top-k must be at least 1, got " + topK);
            }
        }
    }

    /**
     * What a job did.
     *
     * @param files files read (images and files that are not images)
     * @param notImages files that did not decode
     * @param listedNotImages the first {@value #LISTED_NOT_IMAGES} of them
     * @param confusion counts of the labelled images; null when no parent folder names a class
     * @param seconds wall time of reading, scoring and writing (after Spark and the model started)
     * @param predictions the Parquet folder
     */
    public record Result(
            long files, long notImages, List<String> listedNotImages, ConfusionMatrix confusion, double seconds,
            Path predictions) {

        public long scored() {
            return files - notImages;
        }

        public double imagesPerSecond() {
            return scored() / seconds;
        }

        /** {@code scored 500 images (1 file not an image) in 8.41 s, 59.4 img/s}. */
        public String headline() {
            return String.format(Locale.ROOT, "scored %d images%s in %.2f s, %.1f img/s", scored(),
                    notImages == 0 ? "" : " (" + notImages + (notImages == 1 ? " file" : " files") + " not an image)",
                    seconds, imagesPerSecond());
        }

        /** {@code accuracy 0.5940  (500 labelled images)}, or null without labels. */
        public String accuracyLine() {
            return confusion == null ? null : String.format(Locale.ROOT, "accuracy %.4f  (%d labelled images)",
                    confusion.accuracy(), confusion.total());
        }
    }

    private ScoreJob() {}

    /**
     * The batch size for a model's input (channels, height, width) when none is given:
     * {@value #DEFAULT_BATCH_SIZE}, or as many float images as fit in {@link #BATCH_INPUT_BYTES}.
     * Measured on 60,000 28x28 PNGs in {@code local[2]}: 256 took 1.4-4 s less than 128 and 64
     * (one LibTorch thread a task spends less on each op's fixed cost per image).
     */
    static int defaultBatchSize(int[] input) {
        long imageBytes = (long) Float.BYTES * input[0] * input[1] * input[2];
        return (int) Math.max(1, Math.min(DEFAULT_BATCH_SIZE, BATCH_INPUT_BYTES / imageBytes));
    }

    /** Checks the input, loads the model, runs the Spark job and writes its results. */
    public static Result run(Options o) {
        Path output = o.output().toAbsolutePath().normalize();
        ModelEvaluator.checkOutput(output);
        if (!o.overwrite() && !ModelExporter.isEmptyOrMissing(output)) {
            throw new InvalidInputException(
                    "--output " + o.output() + " exists and is not empty: pass --overwrite to replace its results");
        }
        String input = inputUri(o.input());
        if (!SparkModuleOptions.inEffect()) {
            throw new InvalidInputException("Spark needs Java's module options (--add-opens) in this JVM: run"
                    + " `score` through djl-resnet's launcher, which adds them, or see docs/SCALING.md");
        }
        quietSparkLogging();
        // Spark starts and lists the files while the driver loads the model (each takes seconds).
        // The driver's model tells the tasks the classes and input size; in local mode the tasks,
        // which run in this JVM, reuse it. A bad model fails with its one line, after the session
        // is stopped, and before the job could touch the output.
        CompletableFuture<SparkSession> starting = CompletableFuture.supplyAsync(() -> session(o.master()));
        CompletableFuture<Void> warmUp = starting.thenCompose(PlannerWarmUp::start);
        CompletableFuture<Listing> listing = starting.thenApplyAsync(spark -> list(spark, input, o.input()));
        int threads = Integer.parseInt(System.getProperty("spark.task.cpus", "1"));
        String modelLocation = o.model().toString();
        List<String> synset;
        int[] modelInput;
        try {
            ZooModel<NDList, NDList> model = ScoreModel.get(modelLocation, threads, o.channelsLast());
            synset = ModelFolder.synset(model.getModelPath());
            ServingArguments args = ModelLoader.inspect(model.getModelPath());
            modelInput = new int[] {args.config().inputChannels(), args.height(), args.width()};
        } catch (RuntimeException e) {
            try {
                listing.exceptionally(failed -> null).join();
                warmUp.exceptionally(failed -> null).join();
                joined(starting).stop();
            } catch (RuntimeException stopFailed) {
                e.addSuppressed(stopFailed);
            }
            throw e;
        }

        SparkSession spark = joined(starting);
        try {
            Listing listed = joined(listing);
            Dataset<Row> files = listed.files();
            int count = listed.count();
            int batchSize = o.batchSize() != null ? o.batchSize() : defaultBatchSize(modelInput);
            LOG.info("scoring {} files under {} on {} with {}", count, o.input(), spark.sparkContext().master(),
                    modelLocation);
            long start = System.nanoTime();
            Path predictions = output.resolve(PREDICTIONS);
            CollectionAccumulator<ScorePartition.Tally> tallies = spark.sparkContext().collectionAccumulator("tallies");
            try {
                files.mapPartitions(new ScorePartition(modelLocation, synset, modelInput, batchSize, o.topK(), count,
                                threads, o.channelsLast(), tallies),
                                Encoders.row(ScorePartition.SCHEMA))
                        .write()
                        .mode(o.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
                        .parquet(predictions.toUri().toString());
            } catch (Exception e) { // SparkException, undeclared by the Java API: a task failed
                if (e instanceof SparkException failed) {
                    throw taskFailure(failed);
                }
                throw e;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Result result = summarize(tallies.value(), synset, seconds, predictions);
            writeConfusion(result, o.input(), output);
            return result;
        } finally {
            warmUp.exceptionally(failed -> null).join();
            spark.stop();
        }
    }

    /** The images under {@code input} as Spark's {@code binaryFile} source lists them, and their count. */
    private record Listing(Dataset<Row> files, int count) {}

    /**
     * Lists the images under {@code input} (its URI; {@code given} as the user wrote it): a missing
     * path or a folder without images is an {@link InvalidInputException}.
     */
    private static Listing list(SparkSession spark, String input, String given) {
        if (!spark.conf().contains(MIN_PARTITIONS)) {
            // a few partitions per core, so that no core idles while the last one runs
            spark.conf().set(MIN_PARTITIONS, PARTITIONS_PER_CORE * spark.sparkContext().defaultParallelism());
        }
        Dataset<Row> files;
        try {
            files = spark.read().format("binaryFile")
                    .option("pathGlobFilter", IMAGE_GLOB)
                    .option("recursiveFileLookup", "true")
                    .load(input)
                    .select(ScorePartition.PATH, "content");
        } catch (Exception e) { // AnalysisException, undeclared by the Java API: a missing path
            if (e instanceof AnalysisException) {
                throw new InvalidInputException("cannot read --input " + given + ": " + e.getMessage(), e);
            }
            throw e;
        }
        // the file index listed them already: no Spark job needed to know
        int count = files.inputFiles().length;
        if (count == 0) {
            throw new InvalidInputException("no images (" + IMAGE_GLOB + ") under --input " + given);
        }
        return new Listing(files, count);
    }

    /** The result of {@code future}, or its failure as it was thrown. */
    private static <T> T joined(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /**
     * A failed job as one line: its root cause, an {@link InvalidInputException} when a task met
     * bad input (a model an executor cannot read), else an {@link IllegalStateException}.
     */
    static RuntimeException taskFailure(SparkException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = String.valueOf(root.getMessage()).lines().findFirst().orElse("");
        return root instanceof InvalidInputException
                ? new InvalidInputException(message, e)
                : new IllegalStateException("the Spark job failed: " + root.getClass().getSimpleName() + ": " + message, e);
    }

    /** The job's totals from its tasks' tallies: files, the files that are not images, the confusion matrix. */
    static Result summarize(List<ScorePartition.Tally> tallies, List<String> synset, double seconds, Path folder) {
        long files = 0;
        long notImages = 0;
        List<String> listed = new ArrayList<>();
        ConfusionMatrix confusion = new ConfusionMatrix(synset);
        for (ScorePartition.Tally t : tallies) {
            files += t.files();
            notImages += t.notImages();
            listed.addAll(t.firstNotImages());
            for (int truth = 0; truth < synset.size(); truth++) {
                for (int predicted = 0; predicted < synset.size(); predicted++) {
                    confusion.add(truth, predicted, t.confusion()[truth][predicted]);
                }
            }
        }
        Collections.sort(listed);
        return new Result(files, notImages, List.copyOf(listed.subList(0, Math.min(LISTED_NOT_IMAGES, listed.size()))),
                confusion.total() == 0 ? null : confusion, seconds, folder);
    }

    /** The confusion files of the labelled images; stale ones of an overwritten run go. */
    private static void writeConfusion(Result result, String input, Path output) {
        if (result.confusion() != null) {
            ModelEvaluator.write(new ModelEvaluator.Evaluation(result.confusion(), Double.NaN, input, "score"), output);
            return;
        }
        for (String f : List.of(ModelEvaluator.CONFUSION_CSV, ModelEvaluator.PER_CLASS_CSV, ModelEvaluator.CONFUSION_PNG)) {
            try {
                Files.deleteIfExists(output.resolve(f));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + output.resolve(f) + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The input as a URI for Spark: a Hadoop URI ({@code hdfs://}, {@code s3a://}) as given, a local
     * path checked to exist (so a typo fails before Spark starts) and made absolute.
     */
    static String inputUri(String input) {
        URI uri;
        try {
            uri = URI.create(input);
        } catch (IllegalArgumentException e) {
            uri = null; // a local path with characters a URI does not allow (spaces)
        }
        if (uri != null && uri.getScheme() != null && uri.getScheme().length() > 1 && !"file".equals(uri.getScheme())) {
            return input;
        }
        Path path = uri != null && "file".equals(uri.getScheme()) ? Path.of(uri) : Path.of(input);
        if (!Files.exists(path)) {
            throw new InvalidInputException("--input " + input + " does not exist");
        }
        return path.toAbsolutePath().normalize().toUri().toString();
    }

    /**
     * The session: spark-submit's master unless {@code master} is given, else
     * {@value #DEFAULT_MASTER}; in local mode without the web UI and bound to the loopback address.
     */
    private static SparkSession session(String master) {
        SparkSession.Builder builder = SparkSession.builder().appName("djl-resnet score");
        String chosen = master != null ? master : System.getProperty("spark.master", DEFAULT_MASTER);
        builder.master(chosen);
        // Spark packs small files into a partition as if opening each cost reading 4 MB: 32 images
        // a task, so that per-task costs (a Parquet file each) dominate; images cost their scoring
        builder.config(OPEN_COST, System.getProperty(OPEN_COST, String.valueOf(IMAGE_OPEN_COST)));
        // Whole-stage code generation fuses the scan and projection in front of the tasks, work that
        // is nothing beside a forward pass; compiling it (Janino, then the JIT) held the first tasks
        // back by about a second on 2 cores (bench/RESULTS.md, "Scoring on Spark")
        builder.config(WHOLE_STAGE_CODEGEN, System.getProperty(WHOLE_STAGE_CODEGEN, "false"));
        if (chosen.startsWith("local")) {
            // its warning that the host name resolves to 127.0.0.1 does not matter on one machine
            quiet("org.apache.spark.util.Utils", "ERROR");
            builder.config("spark.ui.enabled", System.getProperty("spark.ui.enabled", "false"))
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.driver.host", "127.0.0.1");
        }
        return builder.getOrCreate();
    }

    /** Spark's and Hadoop's INFO lines off where logback is the binding (on a cluster, Spark's log4j2 decides). */
    private static void quietSparkLogging() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            // Spark's log4j2 API calls go to SLF4J (log4j-to-slf4j), not to log4j-core, which Spark also needs
            if (System.getProperty(LOG4J_CONTEXT_FACTORY) == null) {
                System.setProperty(LOG4J_CONTEXT_FACTORY, "org.apache.logging.slf4j.SLF4JLoggerContextFactory");
            }
            QUIET_LOGGERS.forEach(name -> quiet(name, name.endsWith("NativeCodeLoader") ? "ERROR" : "WARN"));
        }
    }

    /** Sets a logback logger's level unless the logging configuration set one. */
    private static void quiet(String name, String level) {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context
                && (context.exists(name) == null || context.exists(name).getLevel() == null)) {
            context.getLogger(name).setLevel(ch.qos.logback.classic.Level.toLevel(level));
        }
    }

}
