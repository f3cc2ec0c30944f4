package io.github.djlresnet.train;

import io.github.djlresnet.data.DataOptions;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.DurableFiles;
import io.github.djlresnet.runtime.Precision;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * Every setting of a training run. Saved as {@code run.properties} in the run folder so that
 * {@code --resume} continues with exactly the same settings.
 */
public record TrainOptions(
        String dataset,
        Path dataDir,
        int depth,
        Shortcut shortcut,
        Stem stem,
        int imageSize,
        int epochs,
        int batchSize,
        String optimizer,
        float lr,
        float momentum,
        float weightDecay,
        LrSchedule.Kind lrSchedule,
        double warmupEpochs,
        long seed,
        int limit,
        double valSplit,
        boolean augment,
        double randomErasing,
        String devices,
        int workers,
        boolean trackTest,
        Path init,
        int freeze,
        Precision precision,
        boolean channelsLast,
        Recipe recipe) {

    /** Stages a run can freeze after the stem: 1-4. */
    public static final int STAGES = 4;

    /**
     * A run from its own initialization (no --init, nothing frozen), fp32 with DJL's own
     * convolutions: the settings of runs made before those options existed.
     */
    public TrainOptions(String dataset, Path dataDir, int depth, Shortcut shortcut, Stem stem, int imageSize,
            int epochs, int batchSize, String optimizer, float lr, float momentum, float weightDecay,
            LrSchedule.Kind lrSchedule, double warmupEpochs, long seed, int limit, double valSplit, boolean augment,
            double randomErasing, String devices, int workers, boolean trackTest) {
        this(dataset, dataDir, depth, shortcut, stem, imageSize, epochs, batchSize, optimizer, lr, momentum,
                weightDecay, lrSchedule, warmupEpochs, seed, limit, valSplit, augment, randomErasing, devices,
                workers, trackTest, null, 0, Precision.FP32, false);
    }

    /** The settings of runs made before the recipe options ({@link Recipe}) existed: their defaults. */
    public TrainOptions(String dataset, Path dataDir, int depth, Shortcut shortcut, Stem stem, int imageSize,
            int epochs, int batchSize, String optimizer, float lr, float momentum, float weightDecay,
            LrSchedule.Kind lrSchedule, double warmupEpochs, long seed, int limit, double valSplit, boolean augment,
            double randomErasing, String devices, int workers, boolean trackTest, Path init, int freeze,
            Precision precision, boolean channelsLast) {
        this(dataset, dataDir, depth, shortcut, stem, imageSize, epochs, batchSize, optimizer, lr, momentum,
                weightDecay, lrSchedule, warmupEpochs, seed, limit, valSplit, augment, randomErasing, devices,
                workers, trackTest, init, freeze, precision, channelsLast, null);
    }

    public TrainOptions {
        check(freeze >= 0 && freeze <= STAGES, "--freeze must be 0 to " + STAGES + " stages, got " + freeze);
        check(freeze == 0 || init != null, "--freeze keeps loaded weights fixed, so it needs --init");
        check(epochs >= 1, "--epochs must be at least 1, got " + epochs);
        check(batchSize >= 1, "--batch-size must be at least 1, got " + batchSize);
        check(lr > 0 && Float.isFinite(lr), "--lr must be a positive number, got " + lr);
        check(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        check(weightDecay >= 0, "--weight-decay must be 0 or more, got " + weightDecay);
        check(warmupEpochs >= 0, "--warmup-epochs must be 0 or more, got " + warmupEpochs);
        check(limit >= 0, "--limit must be 0 (all) or more, got " + limit);
        check(imageSize >= 0, "--image-size must be 0 (native) or positive, got " + imageSize);
        check(randomErasing >= 0 && randomErasing <= 1,
                "--random-erasing must be in [0, 1], got " + randomErasing);
        if (recipe == null) {
            // the settings of a run before --augment: crop and flip with augment on, erase with P > 0
            check(augment || randomErasing == 0,
                    "--random-erasing needs augmentation on (it was turned off with --no-augment)");
            recipe = Recipe.DEFAULT.withAugmentations(Recipe.legacy(augment, randomErasing));
        }
        boolean erase = recipe.augmentations().contains(io.github.djlresnet.data.Augmentation.ERASE);
        check(!erase || randomErasing > 0, "--augment erase needs --random-erasing P (its probability)");
        check(erase || randomErasing == 0, recipe.augmentations().isEmpty()
                ? "--random-erasing needs augmentation on (it was turned off with --no-augment)"
                : "--random-erasing needs erase in --augment");
        // augment: whether any training augmentation runs (what the loader needs to know)
        augment = recipe.augments();
        check(workers >= 1, "--workers must be at least 1, got " + workers);
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        check(optimizer.equals("sgd") || optimizer.equals("adam"),
                "--optimizer must be sgd or adam, got '" + optimizer + "'");
        check(depth == 18 || depth == 34, "--depth must be 18 or 34, got " + depth);
        check(precision != null, "--precision must be fp32 or bf16");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    /**
     * The quick default run: ResNet-34 on the shipped mini subset, the paper's SGD recipe ({@code
     * train}'s defaults). lr 0.025 is the paper's 0.1 per 256 images at batch 64; 0.05 diverged in
     * some seeds' first epoch (final accuracy 0.18-0.63 over 7 seeds, against 0.51-0.68 at 0.025,
     * docs/TRAINING.md).
     */
    public static TrainOptions defaults() {
        return new TrainOptions(
                DataOptions.DEFAULT_DATASET, null, 34, Shortcut.B, Stem.IMAGENET, 0, 5, 64, "sgd",
                0.025f, 0.9f, 1e-4f, LrSchedule.Kind.COSINE, 0, 42, 0, 0, true, 0, "cpu", 1, false);
    }

    public DataOptions dataOptions() {
        return new DataOptions(dataset, dataDir, imageSize, valSplit, seed, limit);
    }

    public LrSchedule schedule() {
        return new LrSchedule(lrSchedule, lr, epochs, warmupEpochs);
    }

    /** The same settings with another epoch count (to extend a resumed run). */
    public TrainOptions withEpochs(int newEpochs) {
        return new TrainOptions(dataset, dataDir, depth, shortcut, stem, imageSize, newEpochs,
                batchSize, optimizer, lr, momentum, weightDecay, lrSchedule, warmupEpochs, seed,
                limit, valSplit, augment, randomErasing, devices, workers, trackTest, init, freeze,
                precision, channelsLast, recipe);
    }

    /** The same settings starting from {@code newInit}'s weights (null: none), with {@code stages} frozen. */
    public TrainOptions withInit(Path newInit, int stages) {
        return new TrainOptions(dataset, dataDir, depth, shortcut, stem, imageSize, epochs,
                batchSize, optimizer, lr, momentum, weightDecay, lrSchedule, warmupEpochs, seed,
                limit, valSplit, augment, randomErasing, devices, workers, trackTest, newInit, stages,
                precision, channelsLast, recipe);
    }

    /** The same settings with another convolution precision and layout. */
    public TrainOptions withPrecision(Precision newPrecision, boolean newChannelsLast) {
        return new TrainOptions(dataset, dataDir, depth, shortcut, stem, imageSize, epochs,
                batchSize, optimizer, lr, momentum, weightDecay, lrSchedule, warmupEpochs, seed,
                limit, valSplit, augment, randomErasing, devices, workers, trackTest, init, freeze,
                newPrecision, newChannelsLast, recipe);
    }

    /** The same settings with another {@link Recipe} (its augmentations replace crop/flip/erase). */
    public TrainOptions withRecipe(Recipe newRecipe) {
        return new TrainOptions(dataset, dataDir, depth, shortcut, stem, imageSize, epochs,
                batchSize, optimizer, lr, momentum, weightDecay, lrSchedule, warmupEpochs, seed,
                limit, valSplit, augment, randomErasing, devices, workers, trackTest, init, freeze,
                precision, channelsLast, newRecipe);
    }

    /**
     * The command line's recipe options on top of these settings. {@code augmentList} null keeps
     * the augmentations these settings have (crop and flip unless {@code --no-augment}, erase with
     * {@code --random-erasing P}); {@code --no-augment} is {@code --augment none}, so giving both
     * is refused.
     */
    public TrainOptions withRecipe(String augmentList, boolean noAugment, String autoAugment, double labelSmoothing,
            double mixupAlpha, double cutmixAlpha, boolean modelEma, double emaDecay, double normWeightDecay) {
        check(augmentList == null || !noAugment, "--no-augment is --augment none: give one of them, not both");
        java.util.Set<io.github.djlresnet.data.Augmentation> set = augmentList == null
                ? recipe.augmentations()
                : io.github.djlresnet.data.Augmentation.parseList(augmentList);
        return withRecipe(new Recipe(set, io.github.djlresnet.data.AutoAugment.parse(autoAugment), labelSmoothing,
                mixupAlpha, cutmixAlpha, modelEma, emaDecay, normWeightDecay));
    }

    public void save(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("dataset", dataset);
        if (dataDir != null) {
            p.setProperty("dataDir", dataDir.toAbsolutePath().toString());
        }
        p.setProperty("depth", String.valueOf(depth));
        p.setProperty("shortcut", shortcut.name());
        p.setProperty("stem", stem.toString());
        p.setProperty("imageSize", String.valueOf(imageSize));
        p.setProperty("epochs", String.valueOf(epochs));
        p.setProperty("batchSize", String.valueOf(batchSize));
        p.setProperty("optimizer", optimizer);
        p.setProperty("lr", String.valueOf(lr));
        p.setProperty("momentum", String.valueOf(momentum));
        p.setProperty("weightDecay", String.valueOf(weightDecay));
        p.setProperty("lrSchedule", lrSchedule.toString());
        p.setProperty("warmupEpochs", String.valueOf(warmupEpochs));
        p.setProperty("seed", String.valueOf(seed));
        p.setProperty("limit", String.valueOf(limit));
        p.setProperty("valSplit", String.valueOf(valSplit));
        p.setProperty("augment", String.valueOf(augment));
        p.setProperty("randomErasing", String.valueOf(randomErasing));
        p.setProperty("devices", devices);
        p.setProperty("workers", String.valueOf(workers));
        p.setProperty("trackTest", String.valueOf(trackTest));
        if (init != null) {
            p.setProperty("init", init.toAbsolutePath().toString());
        }
        p.setProperty("freeze", String.valueOf(freeze));
        p.setProperty("precision", precision.toString());
        p.setProperty("channelsLast", String.valueOf(channelsLast));
        p.setProperty("augmentations", io.github.djlresnet.data.Augmentation.format(recipe.augmentations()));
        p.setProperty("autoAugment", recipe.autoAugment().toString());
        p.setProperty("labelSmoothing", String.valueOf(recipe.labelSmoothing()));
        p.setProperty("mixupAlpha", String.valueOf(recipe.mixupAlpha()));
        p.setProperty("cutmixAlpha", String.valueOf(recipe.cutmixAlpha()));
        p.setProperty("modelEma", String.valueOf(recipe.modelEma()));
        p.setProperty("emaDecay", String.valueOf(recipe.emaDecay()));
        p.setProperty("normWeightDecay", String.valueOf(recipe.normWeightDecay()));
        DurableFiles.write(file, (OutputStream out) -> p.store(out, "djl-resnet training run"));
    }

    public static TrainOptions load(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            String dataDir = p.getProperty("dataDir");
            return new TrainOptions(
                    p.getProperty("dataset"),
                    dataDir == null ? null : Path.of(dataDir),
                    Integer.parseInt(p.getProperty("depth")),
                    Shortcut.parse(p.getProperty("shortcut")),
                    Stem.parse(p.getProperty("stem")),
                    Integer.parseInt(p.getProperty("imageSize")),
                    Integer.parseInt(p.getProperty("epochs")),
                    Integer.parseInt(p.getProperty("batchSize")),
                    p.getProperty("optimizer"),
                    Float.parseFloat(p.getProperty("lr")),
                    Float.parseFloat(p.getProperty("momentum")),
                    Float.parseFloat(p.getProperty("weightDecay")),
                    LrSchedule.Kind.parse(p.getProperty("lrSchedule")),
                    Double.parseDouble(p.getProperty("warmupEpochs")),
                    Long.parseLong(p.getProperty("seed")),
                    Integer.parseInt(p.getProperty("limit")),
                    Double.parseDouble(p.getProperty("valSplit")),
                    Boolean.parseBoolean(p.getProperty("augment")),
                    // absent in runs made before the option existed
                    Double.parseDouble(p.getProperty("randomErasing", "0")),
                    p.getProperty("devices"),
                    Integer.parseInt(p.getProperty("workers")),
                    // absent in runs made before the option existed
                    Boolean.parseBoolean(p.getProperty("trackTest", "false")),
                    // absent in runs made before --init existed
                    p.getProperty("init") == null ? null : Path.of(p.getProperty("init")),
                    Integer.parseInt(p.getProperty("freeze", "0")),
                    // absent in runs made before the options existed: fp32, DJL's layout
                    Precision.parse(p.getProperty("precision", "fp32")),
                    Boolean.parseBoolean(p.getProperty("channelsLast", "false")),
                    // absent in runs made before the recipe options: crop/flip/erase from augment and randomErasing
                    p.getProperty("augmentations") == null ? null : new Recipe(
                            io.github.djlresnet.data.Augmentation.parseList(p.getProperty("augmentations")),
                            io.github.djlresnet.data.AutoAugment.parse(p.getProperty("autoAugment")),
                            Double.parseDouble(p.getProperty("labelSmoothing")),
                            Double.parseDouble(p.getProperty("mixupAlpha")),
                            Double.parseDouble(p.getProperty("cutmixAlpha")),
                            Boolean.parseBoolean(p.getProperty("modelEma")),
                            Double.parseDouble(p.getProperty("emaDecay")),
                            Double.parseDouble(p.getProperty("normWeightDecay"))));
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(
                    file + " is not a readable run settings file: " + e.getMessage());
        }
    }
}
