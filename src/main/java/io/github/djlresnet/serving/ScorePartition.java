package io.github.djlresnet.serving;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.github.djlresnet.data.ImageDecoder;
import io.github.djlresnet.runtime.NoGrad;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * Scores one partition of {@code binaryFile} rows (path, content) inside a Spark task: decodes each
 * file to the model's input size ({@link ImageDecoder}, as image folders are read for
 * {@code evaluate}), classifies the images in batches with the JVM's shared {@link ScoreModel}
 * (logits, autograd off, as {@code evaluate} runs), and returns one row per file: its
 * {@link #SCHEMA}. A file that does not decode is a row with an error, not a failed task. Adds the
 * partition's counts to the job's accumulator ({@link Tally}) and logs one progress line.
 *
 * <p>Why not DJL's image-classification translator: it runs several small NDArray operations per
 * image (to tensor, resize, normalize, softmax), which together cost more than the forward pass
 * of a 28x28 image; one float array per batch and the softmax in Java cost a fraction of that
 * (bench/RESULTS.md, "Scoring on Spark").
 */
final class ScorePartition implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(ScorePartition.class);

    static final String PATH = "path";
    static final String LABEL = "label";
    static final String TOP1 = "top1";
    static final String PROBABILITY = "probability";
    static final String TOP_K = "top_k";
    static final String CLASS_NAME = "class_name";
    static final String ERROR = "error";

    static final String NOT_AN_IMAGE = "not a readable image (PNG, JPEG, BMP or GIF expected)";

    /** One row per file; label (the parent folder, when it names a class), top1 and top_k null on error. */
    static final StructType SCHEMA = new StructType(new StructField[] {
        new StructField(PATH, DataTypes.StringType, false, Metadata.empty()),
        new StructField(LABEL, DataTypes.StringType, true, Metadata.empty()),
        new StructField(TOP1, DataTypes.StringType, true, Metadata.empty()),
        new StructField(PROBABILITY, DataTypes.DoubleType, true, Metadata.empty()),
        new StructField(TOP_K, DataTypes.createArrayType(new StructType(new StructField[] {
            new StructField(CLASS_NAME, DataTypes.StringType, false, Metadata.empty()),
            new StructField(PROBABILITY, DataTypes.DoubleType, false, Metadata.empty())
        }), false), true, Metadata.empty()),
        new StructField(ERROR, DataTypes.StringType, true, Metadata.empty())
    });

    /** Images this JVM has scored, for the progress lines. */
    private static final AtomicLong SCORED = new AtomicLong();

    /** 1/255 as a float, the factor BatchLoader applies for a model that normalizes itself (mean 0, std 1). */
    private static final float PIXEL_SCALE = 1f / (255f * 1f);

    private final String model;
    private final ArrayList<String> synset;
    private final int channels;
    private final int height;
    private final int width;
    private final int batchSize;
    private final int topK;
    private final int files;
    private final int threads;
    private final boolean channelsLast;
    private final CollectionAccumulator<Tally> tallies;

    /**
     * @param model the {@code --model} location, resolved on each executor ({@link ScoreModel#resolve})
     * @param synset the model's class names, to tell which parent folders name a class
     * @param input the model's input (channels, height, width), to which images are decoded and resized
     * @param files how many files the job reads, for the progress lines
     * @param threads LibTorch threads per task, used if this JVM loads the model
     * @param channelsLast the model's convolutions on channels-last tensors
     * @param tallies where each task adds its {@link Tally} (Spark merges them on the driver)
     */
    ScorePartition(String model, List<String> synset, int[] input, int batchSize, int topK, int files, int threads,
            boolean channelsLast, CollectionAccumulator<Tally> tallies) {
        this.model = model;
        this.synset = new ArrayList<>(synset);
        this.channels = input[0];
        this.height = input[1];
        this.width = input[2];
        this.batchSize = batchSize;
        this.topK = Math.min(topK, synset.size());
        this.files = files;
        this.threads = threads;
        this.channelsLast = channelsLast;
        this.tallies = tallies;
    }

    /**
     * What one task counted: its files, the files that are not images (the first
     * {@value ScoreJob#LISTED_NOT_IMAGES} of their sorted paths) and, for the labelled images,
     * {@code confusion[truth][predicted]}. Added to an accumulator, so the driver has the job's
     * totals without reading the Parquet output back; Spark applies a result task's update once
     * per partition, even when a task is retried.
     */
    record Tally(long files, long notImages, List<String> firstNotImages, long[][] confusion) implements Serializable {}

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws TranslateException {
        long start = System.nanoTime();
        Map<String, Integer> classOfFolder = classOfFolder(synset);
        int classes = synset.size();
        List<Row> out = new ArrayList<>();
        Batch batch = new Batch(batchSize, channels * height * width);
        long[][] confusion = new long[classes][classes];
        List<String> notImages = new ArrayList<>();
        int scored = 0;
        ZooModel<NDList, NDList> loaded = ScoreModel.get(model, threads, channelsLast);
        try (Predictor<NDList, NDList> predictor = loaded.newPredictor(); NoGrad noGrad = new NoGrad()) {
            while (rows.hasNext()) {
                Row file = rows.next();
                String path = file.getString(0);
                Integer label = classOfFolder.get(parentFolder(path));
                byte[] pixels = ImageDecoder.decode(file.getAs(1), channels, height, width);
                if (pixels == null) {
                    out.add(RowFactory.create(path, label == null ? null : synset.get(label), null, null, null, NOT_AN_IMAGE));
                    notImages.add(path);
                    continue;
                }
                batch.add(path, label, pixels);
                if (batch.size() == batchSize) {
                    scored += classify(loaded, predictor, batch, confusion, out);
                }
            }
            scored += classify(loaded, predictor, batch, confusion, out);
        }
        Collections.sort(notImages);
        int failed = notImages.size();
        tallies.add(new Tally(scored + failed, failed,
                new ArrayList<>(notImages.subList(0, Math.min(ScoreJob.LISTED_NOT_IMAGES, failed))), confusion));
        double seconds = (System.nanoTime() - start) / 1e9;
        TaskContext task = TaskContext.get();
        LOG.info(String.format(Locale.ROOT,
                "partition %d: %d images%s in %.2f s (%.1f img/s); %d images scored in this JVM so far (the job has %d files)",
                task == null ? 0 : task.partitionId() + 1, scored,
                failed == 0 ? "" : ", " + failed + (failed == 1 ? " file" : " files") + " not an image", seconds, scored / seconds, SCORED.addAndGet(scored), files));
        return out.iterator();
    }

    /** The images of one forward pass: paths, labels (class index or null) and pixels scaled to [0, 1]. */
    private static final class Batch {
        final List<String> paths = new ArrayList<>();
        final List<Integer> labels = new ArrayList<>();
        final float[] x;
        final int imageLength;

        Batch(int capacity, int imageLength) {
            this.x = new float[capacity * imageLength];
            this.imageLength = imageLength;
        }

        int size() {
            return paths.size();
        }

        void add(String path, Integer label, byte[] pixels) {
            int o = size() * imageLength;
            for (int i = 0; i < imageLength; i++) {
                x[o + i] = (pixels[i] & 0xFF) * PIXEL_SCALE;
            }
            paths.add(path);
            labels.add(label);
        }

        void clear() {
            paths.clear();
            labels.clear();
        }
    }

    /**
     * Classifies a batch: logits from the model (the top-1 is their argmax, as in {@code evaluate}),
     * softmax and top-k here; appends its rows, counts the labelled ones, empties the batch; returns
     * the images scored.
     */
    private int classify(ZooModel<NDList, NDList> loaded, Predictor<NDList, NDList> predictor, Batch batch,
            long[][] confusion, List<Row> out) throws TranslateException {
        int n = batch.size();
        if (n == 0) {
            return 0;
        }
        int classes = synset.size();
        float[] logits;
        try (NDManager step = loaded.getNDManager().newSubManager()) {
            NDArray x = step.create(FloatBuffer.wrap(batch.x, 0, n * batch.imageLength), new Shape(n, channels, height, width));
            NDList result = predictor.predict(new NDList(x));
            result.attach(step);
            logits = result.singletonOrThrow().toFloatArray();
        }
        for (int i = 0; i < n; i++) {
            double[] p = softmax(logits, i * classes, classes);
            int top1 = ModelEvaluator.argMax(logits, i * classes, classes);
            List<Row> topRows = new ArrayList<>(topK);
            for (int k : topK(p, topK)) {
                topRows.add(RowFactory.create(synset.get(k), p[k]));
            }
            Integer label = batch.labels.get(i);
            if (label != null) {
                confusion[label][top1]++;
            }
            out.add(RowFactory.create(batch.paths.get(i), label == null ? null : synset.get(label), synset.get(top1),
                    p[top1], JavaConverters.asScalaBuffer(topRows), null));
        }
        batch.clear();
        return n;
    }

    /** Softmax of {@code n} logits from {@code from}, in double. */
    static double[] softmax(float[] z, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, z[from + k]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            p[k] = Math.exp(z[from + k] - max);
            sum += p[k];
        }
        for (int k = 0; k < n; k++) {
            p[k] /= sum;
        }
        return p;
    }

    /** The indices of the {@code k} largest values, largest first; on ties the lower index first. */
    static int[] topK(double[] p, int k) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int[] top = new int[Math.min(k, p.length)];
        for (int i = 0; i < top.length; i++) {
            top[i] = order[i];
        }
        return top;
    }

    /**
     * Folder names that label an image: each class name, and, for a name with a '/' (Fashion-MNIST's
     * "T-shirt/top"), which no folder can be called, the same name with '_' in its place.
     */
    static Map<String, Integer> classOfFolder(List<String> synset) {
        Map<String, Integer> map = new HashMap<>();
        for (int i = 0; i < synset.size(); i++) {
            map.putIfAbsent(synset.get(i).replace('/', '_'), i);
        }
        for (int i = 0; i < synset.size(); i++) {
            map.put(synset.get(i), i);
        }
        return map;
    }

    /** The name of the folder holding the file at a Hadoop path string ({@code file:/a/b/x.png} gives b). */
    static String parentFolder(String path) {
        org.apache.hadoop.fs.Path parent = new org.apache.hadoop.fs.Path(path).getParent();
        return parent == null ? "" : parent.getName();
    }
}
