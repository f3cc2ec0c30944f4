package io.github.djlresnet.serving;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.translate.TranslateException;
import io.github.djlresnet.runtime.NoGrad;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * Scores one partition of {@code binaryFile} rows (path, content) inside a Spark task: decodes each
 * file, classifies the images in batches with the JVM's shared {@link ScoreModel} (autograd off,
 * as {@code evaluate} runs), and returns one
 * row per file: its {@link #SCHEMA}. A file that does not decode is a row with an error, not a
 * failed task. Logs one progress line per partition.
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

    private final String model;
    private final ArrayList<String> synset;
    private final int batchSize;
    private final int topK;
    private final int partitions;
    private final int threads;

    /**
     * @param model the {@code --model} location, resolved on each executor ({@link ScoreModel#resolve})
     * @param synset the model's class names, to tell which parent folders name a class
     * @param partitions how many partitions the job has, for the progress lines
     * @param threads LibTorch threads per task, used if this JVM loads the model
     */
    ScorePartition(String model, List<String> synset, int batchSize, int topK, int partitions, int threads) {
        this.model = model;
        this.synset = new ArrayList<>(synset);
        this.batchSize = batchSize;
        this.topK = Math.min(topK, synset.size());
        this.partitions = partitions;
        this.threads = threads;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> files) {
        long start = System.nanoTime();
        Map<String, String> classOfFolder = classOfFolder(synset);
        List<Row> out = new ArrayList<>();
        List<String> paths = new ArrayList<>(batchSize);
        List<String> labels = new ArrayList<>(batchSize);
        List<Image> images = new ArrayList<>(batchSize);
        int scored = 0;
        int failed = 0;
        try (Predictor<Image, Classifications> predictor = ScoreModel.get(model, threads).newPredictor();
                NoGrad noGrad = new NoGrad()) {
            while (files.hasNext()) {
                Row file = files.next();
                String path = file.getString(0);
                String label = classOfFolder.get(parentFolder(path));
                Image image = decode(file.getAs(1));
                if (image == null) {
                    out.add(RowFactory.create(path, label, null, null, null, NOT_AN_IMAGE));
                    failed++;
                    continue;
                }
                paths.add(path);
                labels.add(label);
                images.add(image);
                if (images.size() == batchSize) {
                    scored += classify(predictor, paths, labels, images, out);
                }
            }
            scored += classify(predictor, paths, labels, images, out);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        TaskContext task = TaskContext.get();
        LOG.info(String.format(Locale.ROOT,
                "partition %d/%d: %d images%s in %.2f s (%.1f img/s); %d scored in this JVM so far",
                task == null ? 0 : task.partitionId() + 1, partitions, scored,
                failed == 0 ? "" : ", " + failed + (failed == 1 ? " file" : " files") + " not an image", seconds, scored / seconds, SCORED.addAndGet(scored)));
        return out.iterator();
    }

    /** Classifies a batch, appends its rows and empties the lists; returns the images scored. */
    private int classify(
            Predictor<Image, Classifications> predictor, List<String> paths, List<String> labels, List<Image> images,
            List<Row> out) {
        if (images.isEmpty()) {
            return 0;
        }
        List<Classifications> results;
        try {
            results = predictor.batchPredict(images);
        } catch (TranslateException e) {
            throw new IllegalStateException("classification failed: " + e.getMessage(), e);
        }
        for (int i = 0; i < results.size(); i++) {
            List<Classifications.Classification> top = results.get(i).topK(topK);
            List<Row> topRows = new ArrayList<>(top.size());
            for (Classifications.Classification c : top) {
                topRows.add(RowFactory.create(c.getClassName(), c.getProbability()));
            }
            out.add(RowFactory.create(paths.get(i), labels.get(i), top.get(0).getClassName(),
                    top.get(0).getProbability(), JavaConverters.asScalaBuffer(topRows), null));
        }
        int n = images.size();
        paths.clear();
        labels.clear();
        images.clear();
        return n;
    }

    /** The image in a file's bytes, or null when they are not one ImageIO decodes. */
    static Image decode(byte[] content) {
        try {
            return ImageFactory.getInstance().fromInputStream(new ByteArrayInputStream(content));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Folder names that label an image: each class name, and, for a name with a '/' (Fashion-MNIST's
     * "T-shirt/top"), which no folder can be called, the same name with '_' in its place.
     */
    static Map<String, String> classOfFolder(List<String> synset) {
        Map<String, String> map = new HashMap<>();
        for (String c : synset) {
            map.putIfAbsent(c.replace('/', '_'), c);
        }
        for (String c : synset) {
            map.put(c, c);
        }
        return map;
    }

    /** The name of the folder holding the file at a Hadoop path string ({@code file:/a/b/x.png} gives b). */
    static String parentFolder(String path) {
        org.apache.hadoop.fs.Path parent = new org.apache.hadoop.fs.Path(path).getParent();
        return parent == null ? "" : parent.getName();
    }
}
