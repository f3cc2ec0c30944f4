package io.github.djlresnet.serving;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.github.djlresnet.data.BatchLoader;
import io.github.djlresnet.data.DataOptions;
import io.github.djlresnet.data.Datasets;
import io.github.djlresnet.data.HostBatch;
import io.github.djlresnet.data.ImageSet;
import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.runtime.DurableFiles;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.NoGrad;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Evaluates an exported model (folder or zip) on a labelled dataset: accuracy, mean softmax
 * cross-entropy, per-class accuracy and the confusion matrix. The model is loaded through
 * {@link ModelLoader#logits}, as any DJL app would load it, and fed the same pixels training
 * validated on, so a run folder evaluated on its validation set gives the run's validation
 * accuracy. Bad input fails with a one-line {@link IllegalArgumentException} before any file is
 * written.
 */
public final class ModelEvaluator {

    public static final String VALIDATION = "validation";
    public static final String TEST = "test";

    public static final String CONFUSION_CSV = "confusion.csv";
    public static final String CONFUSION_PNG = "confusion.png";
    public static final String PER_CLASS_CSV = "per_class.csv";

    /**
     * What to evaluate.
     *
     * @param model exported model folder or .zip of one
     * @param dataset dataset name as for training ({@link Datasets#CHOICES}); null for the default
     * @param dataDir where its files are; null for the dataset's default place
     * @param split {@value #VALIDATION} (what training validated on) or {@value #TEST}
     * @param limit first N images only; 0 for all
     * @param batchSize images per forward pass (results do not depend on it)
     * @param valSplit the training run's {@code --val-split}, so "validation" is the same held-out part
     * @param seed the training run's {@code --seed} (only matters with valSplit > 0)
     * @param channelsLast convolutions on channels-last tensors ({@link ModelLoader#logits(Path, boolean)})
     */
    public record Options(
            Path model, String dataset, Path dataDir, String split, int limit, int batchSize, double valSplit,
            long seed, boolean channelsLast) {

        public Options {
            if (model == null) {
                throw new InvalidInputException("--model is required");
            }
            if (dataset == null || dataset.isBlank()) {
                dataset = DataOptions.DEFAULT_DATASET;
            }
            if (split == null) {
                split = VALIDATION;
            }
            split = split.toLowerCase(Locale.ROOT);
            if (!split.equals(VALIDATION) && !split.equals(TEST)) {
                throw new InvalidInputException("--split must be validation or test, got '" + split + "'");
            }
            if (limit < 0) {
                throw new InvalidInputException("--limit must be 0 (all) or positive, got " + limit);
            }
            if (batchSize < 1) {
                throw new InvalidInputException("--batch-size must be at least 1, got " + batchSize);
            }
            if (!(valSplit >= 0 && valSplit < 1)) {
                throw new InvalidInputException("--val-split must be in [0, 1), got " + valSplit);
            }
        }

        /** The defaults of the evaluate command for a model. */
        public static Options of(Path model) {
            return new Options(model, null, null, VALIDATION, 0, 128, 0, 42, false);
        }
    }

    /**
     * The results.
     *
     * @param confusion counts per (true class, predicted class)
     * @param loss mean softmax cross-entropy over all images (natural log)
     * @param dataset the dataset's name
     * @param split {@value #VALIDATION} or {@value #TEST}
     */
    public record Evaluation(ConfusionMatrix confusion, double loss, String dataset, String split) {

        public double accuracy() {
            return confusion.accuracy();
        }

        public long images() {
            return confusion.total();
        }

        /** The one-line summary: {@code accuracy 0.7440  loss 0.6810  (500 images, fashion-mnist-mini, validation)}. */
        public String headline() {
            return String.format(Locale.ROOT, "accuracy %.4f  loss %.4f  (%d images, %s, %s)",
                    accuracy(), loss, images(), dataset, split);
        }
    }

    private ModelEvaluator() {}

    /** Loads the model and the data, checks that they fit each other, and evaluates. */
    public static Evaluation evaluate(Options o) {
        if (!Files.exists(o.model())) {
            throw new InvalidInputException("model " + o.model() + " does not exist");
        }
        EngineSetup.engine();
        try (ZooModel<NDList, NDList> model = ModelLoader.logits(o.model(), o.channelsLast())) {
            // the folder DJL loaded (for a zip, its unpacked copy): the arguments and class names
            Path folder = model.getModelPath();
            ServingArguments args = ModelLoader.inspect(folder);
            List<String> synset = ModelFolder.synset(folder);
            int size = args.width();
            // a folder dataset is decoded straight to the model's size, as training read it
            DataOptions data = new DataOptions(o.dataset(), o.dataDir(), size, o.valSplit(), o.seed(), o.limit());
            ImageSet images = o.split().equals(TEST) ? Datasets.loadTest(data) : Datasets.load(data).validation();
            checkFits(args.config(), synset, images, o);
            return evaluate(model, images, size, o.batchSize(), o.dataset(), o.split());
        }
    }

    /**
     * Evaluates a loaded model on images whose labels index the model's classes. Pixels are
     * scaled to [0, 1] only: the model's {@link NormalizedBlock} applies its mean and std.
     *
     * @param imageSize side the images are resized to (bilinear, as training does)
     */
    public static Evaluation evaluate(
            ZooModel<NDList, NDList> model, ImageSet images, int imageSize, int batchSize, String dataset,
            String split) {
        if (images.size() == 0) {
            throw new InvalidInputException(dataset + " has no " + split + " images");
        }
        int channels = images.channels();
        float[] zeros = new float[channels];
        float[] ones = new float[channels];
        Arrays.fill(ones, 1f);
        ConfusionMatrix confusion = new ConfusionMatrix(images.synset());
        int classes = confusion.size();
        double lossSum = 0;
        // one worker prepares the next batch while LibTorch's threads run the current one
        try (BatchLoader loader = new BatchLoader(images, new Normalization(zeros, ones), imageSize, batchSize,
                        false, false, 0, 1);
                BatchLoader.Epoch batches = loader.epoch(0);
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NoGrad noGrad = new NoGrad()) {
            while (batches.hasNext()) {
                HostBatch hb = batches.next();
                // per-step manager: the batch's input and output arrays are freed every step
                try (NDManager step = model.getNDManager().newSubManager()) {
                    NDArray x = step.create(FloatBuffer.wrap(hb.data()),
                            new Shape(hb.size(), hb.channels(), hb.height(), hb.width()));
                    NDList out = predictor.predict(new NDList(x));
                    out.attach(step);
                    NDArray logits = out.singletonOrThrow();
                    if (logits.getShape().dimension() != 2 || logits.getShape().get(1) != classes) {
                        throw new IllegalStateException(
                                "the model returned " + logits.getShape() + ", expected (" + hb.size() + ", " + classes + ")");
                    }
                    float[] z = logits.toFloatArray();
                    float[] logp = logits.logSoftmax(1).toFloatArray();
                    for (int i = 0; i < hb.size(); i++) {
                        int truth = (int) hb.labels()[i];
                        confusion.add(truth, argMax(z, i * classes, classes));
                        lossSum -= logp[i * classes + truth];
                    }
                }
            }
        } catch (TranslateException e) {
            throw new IllegalStateException("inference failed: " + e.getMessage(), e);
        }
        return new Evaluation(confusion, lossSum / confusion.total(), dataset, split);
    }

    /** Index of the largest of {@code n} values from {@code from}; the first one on ties, like torch. */
    static int argMax(float[] v, int from, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (v[from + k] > v[from + best]) {
                best = k;
            }
        }
        return best;
    }

    /** The data must have the model's classes, in the model's order, and its channels. */
    static void checkFits(ResNetConfig config, List<String> synset, ImageSet images, Options o) {
        String name = o.dataset() + " (" + o.split() + ")";
        if (images.synset().size() != config.classes()) {
            throw new InvalidInputException(
                    "the model has " + config.classes() + " classes but " + name + " has " + images.synset().size()
                            + ": evaluate it on data with the classes it was trained on");
        }
        if (!images.synset().equals(synset)) {
            int i = 0;
            while (images.synset().get(i).equals(synset.get(i))) {
                i++;
            }
            throw new InvalidInputException(
                    "class " + i + " of the model is '" + synset.get(i) + "' but of " + name + " '"
                            + images.synset().get(i) + "': the labels would not mean the same classes");
        }
        if (images.channels() != config.inputChannels()) {
            throw new InvalidInputException(
                    "the model takes " + config.inputChannels() + "-channel images but " + name + " has "
                            + images.channels() + "-channel images");
        }
        if (images.size() == 0) {
            throw new InvalidInputException(
                    name + " has no images" + (o.split().equals(VALIDATION)
                            ? " (an image folder without val/: pass the run's --val-split, or use --split test)"
                            : ""));
        }
    }


    /**
     * Where results go by default: {@code <model folder>/evaluation-<dataset>-<split>}, or for a
     * zip {@code <zip name>-evaluation-<dataset>-<split>} next to the zip.
     */
    public static Path defaultOutput(Path model, String dataset, String split) {
        String folder = "evaluation-" + slug(dataset == null ? DataOptions.DEFAULT_DATASET : dataset) + "-"
                + (split == null ? VALIDATION : split.toLowerCase(Locale.ROOT));
        Path abs = model.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            return abs.resolve(folder);
        }
        String file = abs.getFileName().toString();
        String stem = file.toLowerCase(Locale.ROOT).endsWith(".zip") ? file.substring(0, file.length() - 4) : file;
        return abs.resolveSibling(stem + "-" + folder);
    }

    /** {@code folder:/data/flowers} becomes {@code folder-flowers}: a name fit for a folder. */
    static String slug(String dataset) {
        String s = dataset;
        if (s.startsWith(Datasets.FOLDER_PREFIX)) {
            Path p = Path.of(s.substring(Datasets.FOLDER_PREFIX.length())).normalize();
            s = "folder-" + (p.getFileName() == null ? "root" : p.getFileName().toString());
        }
        return s.replaceAll("[^A-Za-z0-9._-]+", "-");
    }

    /**
     * Fails unless {@code output} is, or can become, a folder: checked before the slow work, so a
     * bad {@code --output} costs nothing and changes nothing.
     */
    public static void checkOutput(Path output) {
        Path abs = output.toAbsolutePath().normalize();
        for (Path p = abs; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new InvalidInputException(
                            "--output " + output + (p.equals(abs) ? " is a file, not a folder" : ": " + p + " is a file, not a folder"));
                }
                if (!Files.isWritable(p)) {
                    throw new InvalidInputException("--output " + output + ": cannot write in " + p);
                }
                return;
            }
        }
    }

    /**
     * Writes {@value #CONFUSION_CSV}, {@value #PER_CLASS_CSV} and {@value #CONFUSION_PNG} into
     * {@code dir} (created if needed), each atomically, replacing the results of an earlier run.
     */
    public static void write(Evaluation e, Path dir) {
        checkOutput(dir);
        try {
            Files.createDirectories(dir);
            DurableFiles.write(dir.resolve(CONFUSION_CSV), e.confusion().toCsv().getBytes(StandardCharsets.UTF_8));
            DurableFiles.write(dir.resolve(PER_CLASS_CSV), e.confusion().perClassCsv().getBytes(StandardCharsets.UTF_8));
            String title = String.format(Locale.ROOT, "%s, %s: accuracy %.4f (%d images)",
                    e.dataset(), e.split(), e.accuracy(), e.images());
            DurableFiles.write(dir.resolve(CONFUSION_PNG), out -> ConfusionPlot.write(e.confusion(), title, out));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the evaluation to " + dir + ": " + ex.getMessage(), ex);
        }
    }
}
