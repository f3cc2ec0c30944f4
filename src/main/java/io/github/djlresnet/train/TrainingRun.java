package io.github.djlresnet.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.EvaluatorTrainingListener;
import io.github.djlresnet.data.BatchLoader;
import io.github.djlresnet.data.Datasets;
import io.github.djlresnet.data.HostBatch;
import io.github.djlresnet.data.ImageSet;
import io.github.djlresnet.data.LoadedData;
import io.github.djlresnet.data.SoftTargets;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.runtime.BatchStager;
import io.github.djlresnet.runtime.CpuFlags;
import io.github.djlresnet.runtime.DeviceOption;
import io.github.djlresnet.runtime.DurableFiles;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.ModelSpec;
import io.github.djlresnet.runtime.NoGrad;
import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.runtime.RunFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires dataset, model, loss, optimizer, evaluators and listeners into DJL's {@link Trainer} and
 * runs the epochs: train, validate, log, plot, checkpoint. Deterministic given the seed: data order
 * and augmentation are functions of (seed, epoch), mixup/cutmix of (seed, epoch, batch)
 * ({@link SoftTargets}), and nothing else in training draws random numbers, so a resumed run
 * repeats an uninterrupted one, also from a checkpoint taken inside an epoch
 * ({@link CheckpointPolicy}); the checkpoint holds the weights' moving average with --model-ema
 * ({@link ModelEma}), which is what validation sees.
 *
 * <p>When it starts, a run records its model spec (architecture, input size, normalization,
 * classes) in the run folder, so that exporting needs only the folder, not the dataset.
 */
public final class TrainingRun implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

    private final TrainOptions options;
    private final RunFolder folder;
    private final LoadedData data;
    private final ResNetConfig config;
    private final int imageSide;
    private final Model model;
    private final Trainer trainer;
    private final StepOptimizer optimizer;
    private final BatchLoader trainLoader;
    private final BatchLoader validationLoader;
    private final BatchLoader testLoader; // null unless --track-test
    private final MetricsLog metrics;
    private final ModelEma ema; // null unless --model-ema
    private final SoftTargets targets; // null unless label smoothing, mixup or cutmix
    private final BatchStager stager = new BatchStager();
    private Checkpoint.State state;
    private CheckpointPolicy checkpoints = CheckpointPolicy.DEFAULT;
    private long lastCheckpointNanos = System.nanoTime();

    /**
     * Checks everything the user gave (data, architecture, devices) before the run folder is
     * created or changed, so bad input leaves no half-made run behind.
     */
    private TrainingRun(TrainOptions options, Path dir, boolean resume) {
        this.options = options;
        EngineSetup.engine();
        data = Datasets.load(options.dataOptions());
        ImageSet test = options.trackTest() ? Datasets.loadTest(options.dataOptions()) : null;
        ImageSet train = data.train();
        imageSide = options.imageSize() > 0 ? options.imageSize() : train.height();
        config = new ResNetConfig(options.depth(), data.classes(), train.channels(), options.stem(),
                options.shortcut());
        config.checkInputSize(imageSide, imageSide);
        Device[] devices = DeviceOption.parse(options.devices());
        if (devices.length > 1) {
            // StepOptimizer updates each parameter's own array; DJL's ParameterStore would keep a
            // copy per device that this update does not reach (see README, "CPU and GPU")
            throw new InvalidInputException("--devices " + options.devices() + ": training on more than one"
                    + " device is not supported yet; use one GPU (--devices 1) or the CPU");
        }
        // read and matched before the folder exists: a bad --init file is bad input, nothing written
        InitialWeights initial = resume || options.init() == null ? null : InitialWeights.plan(options.init(), config,
                train.synset());
        ModelSpec spec = new ModelSpec(config, imageSide, data.normalization(), train.synset());
        folder = resume ? RunFolder.existing(dir) : RunFolder.create(dir);
        // a resumed run keeps its settings file as it is unless --epochs changed it
        if (!resume || !options.equals(TrainOptions.load(folder.options()))) {
            try {
                options.save(folder.options());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        try {
            if (!resume || !Files.exists(folder.modelSpec())) {
                spec.save(folder.modelSpec(), options.dataset());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        Engine.getInstance().setRandomSeed((int) options.seed());
        // parameters live on the training device, where the optimizer updates them
        model = Model.newInstance(folder.name(), devices[0], "PyTorch");
        // --precision / --channels-last change how the convolutions compute, not the parameters:
        // the block has the same parameter names either way (see KernelConv2d)
        if (options.precision() == Precision.BF16) {
            CpuFlags.bf16Warning().ifPresent(LOG::warn);
        }
        model.setBlock(ResNet.build(config, options.precision().kernel(options.channelsLast()),
                options.precision().featuresKernel(options.channelsLast(), config.firstStageSide(imageSide))));
        optimizer = options.optimizer().equals("adam")
                ? new Adam(options.lr(), options.weightDecay())
                : new MomentumSgd(options.lr(), options.momentum(), options.weightDecay());
        Recipe recipe = options.recipe();
        optimizer.withNormWeightDecay((float) recipe.normWeightDecay());
        ema = recipe.modelEma() ? new ModelEma(recipe.emaDecay()) : null;
        targets = recipe.softTargets() ? new SoftTargets(data.classes(), recipe.labelSmoothing(),
                recipe.mixupAlpha(), recipe.cutmixAlpha(), options.seed()) : null;
        DefaultTrainingConfig trainingConfig = TrainerSetup.config(
                optimizer, devices, data.classes());
        if (resume) {
            // before the trainer initializes the block, so the loaded values are kept
            state = Checkpoint.load(folder.lastCheckpoint(), model.getBlock(), optimizer, ema,
                    model.getNDManager());
            metrics = MetricsLog.resume(folder.metrics(), state.epochsDone());
            LOG.info("resuming {} after epoch {}{} (best val accuracy {} at epoch {})",
                    folder.dir(), state.epochsDone(),
                    state.inEpoch().steps() > 0 ? " and " + state.inEpoch().steps() + " steps of the next" : "",
                    state.bestAccuracy(), state.bestEpoch());
        } else {
            state = new Checkpoint.State(0, Double.NaN, 0);
            metrics = new MetricsLog(folder.metrics());
            if (initial != null) {
                // initialized here so that the trainer keeps the loaded values, as with a checkpoint
                model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32,
                        new Shape(1, train.channels(), imageSide, imageSide));
                initial.apply(model.getBlock());
                initial.report().forEach(LOG::info);
            }
        }
        int frozen = InitialWeights.freeze(model.getBlock(), config, options.freeze());
        if (frozen > 0) {
            LOG.info("frozen: the stem and stages 1-{} ({} parameter arrays; their BatchNorm running statistics"
                    + " still update)", options.freeze(), frozen);
        }
        trainer = model.newTrainer(trainingConfig);
        trainer.initialize(new Shape(1, train.channels(), imageSide, imageSide));
        if (state.inEpoch().steps() > 0) {
            ResumableEvaluators.restore(trainer.getEvaluators(), EvaluatorTrainingListener.TRAIN_EPOCH,
                    state.inEpoch().evaluators());
        }

        trainLoader = new BatchLoader(train, data.normalization(), options.imageSize(),
                options.batchSize(), true, options.augment(), options.seed(), options.workers())
                .withRandomErasing(options.randomErasing())
                .withAugmentations(recipe.augmentations())
                .withAutoAugment(recipe.autoAugment());
        validationLoader = new BatchLoader(data.validation(), data.normalization(),
                options.imageSize(), options.batchSize(), false, false, options.seed(),
                options.workers());
        testLoader = test == null ? null : new BatchLoader(test, data.normalization(),
                options.imageSize(), options.batchSize(), false, false, options.seed(),
                options.workers());
    }

    /** A fresh run writing into a new run folder. */
    public static TrainingRun start(TrainOptions options, Path runDir) {
        return new TrainingRun(options, runDir, false);
    }

    /** Continues a run from its last checkpoint; {@code epochs} > 0 changes the epoch count. */
    public static TrainingRun resume(Path runDir, int epochs) {
        TrainOptions options = TrainOptions.load(RunFolder.existing(runDir).options());
        return new TrainingRun(epochs > 0 ? options.withEpochs(epochs) : options, runDir, true);
    }

    /** When to write mid-epoch checkpoints (the default: every 10 minutes of training). */
    public TrainingRun withCheckpoints(CheckpointPolicy policy) {
        this.checkpoints = policy;
        return this;
    }

    /** Trains the remaining epochs; returns the last epoch's stats (null if none were left). */
    public EpochStats run() throws IOException {
        return run(options.epochs());
    }

    /** Trains up to epoch {@code stopAfter} (for tests that stop a run part way). */
    public EpochStats run(int stopAfter) throws IOException {
        EpochStats last = metrics.rows().isEmpty() ? null : metrics.rows().get(metrics.rows().size() - 1);
        int end = Math.min(stopAfter, options.epochs());
        LrSchedule schedule = options.schedule();
        for (int epoch = state.epochsDone() + 1; epoch <= end; epoch++) {
            last = trainEpoch(epoch, schedule);
            LOG.info(last.logLine(options.epochs()));
            metrics.add(last);
            CurvePlot.write(metrics.rows(), folder.name(), folder.curves());
            boolean best = !(last.validationAccuracy() <= state.bestAccuracy());
            state = best
                    ? new Checkpoint.State(epoch, last.validationAccuracy(), epoch)
                    : new Checkpoint.State(epoch, state.bestAccuracy(), state.bestEpoch());
            Checkpoint.save(folder.lastCheckpoint(), model.getBlock(), optimizer, ema, state);
            lastCheckpointNanos = System.nanoTime();
            if (best) {
                // durably too: a run stopped mid-copy must not leave a torn best checkpoint
                DurableFiles.write(folder.bestCheckpoint(), out -> Files.copy(folder.lastCheckpoint(), out));
            }
        }
        return last;
    }

    private EpochStats trainEpoch(int epoch, LrSchedule schedule) throws IOException {
        long start = System.nanoTime();
        int batches = trainLoader.batchesPerEpoch();
        // a run resumed from a mid-epoch checkpoint continues that epoch where it stopped
        Checkpoint.InEpoch done = state.epochsDone() == epoch - 1 ? state.inEpoch() : Checkpoint.InEpoch.NONE;
        int step = done.steps();
        long images = done.images();
        double earlierSeconds = done.seconds();
        float lr = optimizer.learningRate();
        try (BatchLoader.Epoch it = trainLoader.epoch(epoch, step)) {
            while (it.hasNext()) {
                HostBatch hb = it.next();
                if (targets != null) {
                    hb = targets.apply(hb, epoch, step);
                }
                lr = schedule.at(epoch - 1 + (double) step / batches);
                optimizer.setLearningRate(lr);
                try (Batch batch = stager.stage(trainer.getManager().newSubManager(), hb, step, batches)) {
                    TrainBatch.run(trainer, batch, optimizer);
                    if (ema != null) {
                        // torchvision's train.py keeps copying the weights during the warm-up epochs
                        ema.update(trainer.getModel().getBlock(), epoch - 1 < options.warmupEpochs());
                    }
                } catch (ai.djl.TrainingDivergedException e) {
                    throw new TrainingDiverged(epoch, step + 1, folder);
                }
                images += hb.size();
                step++;
                if (step < batches && checkpoints.due(step, System.nanoTime() - lastCheckpointNanos)) {
                    double seconds = earlierSeconds + (System.nanoTime() - start) / 1e9;
                    saveInEpoch(epoch, new Checkpoint.InEpoch(step, images, seconds,
                            ResumableEvaluators.save(trainer.getEvaluators(), EvaluatorTrainingListener.TRAIN_EPOCH)));
                }
            }
        }
        double trainSeconds = earlierSeconds + (System.nanoTime() - start) / 1e9;
        // with --model-ema the averaged weights are validated (and tested, checkpointed as best, exported)
        if (ema != null) {
            ema.swap(model.getBlock());
        }
        double testAccuracy;
        try {
            validate();
            testAccuracy = testLoader == null ? Double.NaN : testAccuracy();
        } finally {
            if (ema != null) {
                ema.swap(model.getBlock());
            }
        }
        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
        var evals = trainer.getTrainingResult().getEvaluations();
        double epochSeconds = earlierSeconds + (System.nanoTime() - start) / 1e9;
        return new EpochStats(epoch,
                value(evals.get("train_loss")), value(evals.get("train_accuracy")),
                value(evals.get("train_top5")), value(evals.get("validate_loss")),
                value(evals.get("validate_accuracy")), value(evals.get("validate_top5")), lr,
                images / trainSeconds, epochSeconds, metrics.elapsedSeconds() + epochSeconds,
                testAccuracy);
    }

    /** Writes last.ckpt inside epoch {@code epoch}; best.ckpt stays per epoch. */
    private void saveInEpoch(int epoch, Checkpoint.InEpoch progress) throws IOException {
        Checkpoint.State now = new Checkpoint.State(epoch - 1, state.bestAccuracy(), state.bestEpoch(), progress);
        Checkpoint.save(folder.lastCheckpoint(), model.getBlock(), optimizer, ema, now);
        lastCheckpointNanos = System.nanoTime();
        LOG.info("checkpoint: epoch {} step {}/{} -> {}", epoch, progress.steps(),
                trainLoader.batchesPerEpoch(), folder.lastCheckpoint());
    }

    private void validate() {
        if (data.validation().size() > 0) {
            inference(validationLoader, batch -> EasyTrain.validateBatch(trainer, batch));
        }
    }

    /** Runs {@code action} on every batch of {@code loader} in order, with autograd off. */
    private void inference(BatchLoader loader, Consumer<Batch> action) {
        int batches = loader.batchesPerEpoch();
        Iterator<HostBatch> it = loader.epoch(0);
        int step = 0;
        try (NoGrad noGrad = new NoGrad()) {
            while (it.hasNext()) {
                try (Batch batch = stager.stage(trainer.getManager().newSubManager(), it.next(), step++,
                        batches)) {
                    action.accept(batch);
                }
            }
        }
    }

    /**
     * Top-1 accuracy on the test set, outside the Trainer's evaluators so that it cannot mix with
     * the validation numbers that choose the best checkpoint.
     */
    private double testAccuracy() {
        long[] correctAndTotal = new long[2];
        inference(testLoader, batch -> {
            NDArray logits = trainer.evaluate(batch.getData()).singletonOrThrow();
            NDArray labels = batch.getLabels().singletonOrThrow();
            correctAndTotal[0] += logits.argMax(1).toType(DataType.INT64, false)
                    .eq(labels.toType(DataType.INT64, false)).countNonzero().getLong();
            correctAndTotal[1] += labels.size();
        });
        return correctAndTotal[1] == 0 ? Double.NaN : (double) correctAndTotal[0] / correctAndTotal[1];
    }

    private static double value(Float f) {
        return f == null ? Double.NaN : f;
    }

    public Model model() {
        return model;
    }

    public Trainer trainer() {
        return trainer;
    }

    public StepOptimizer optimizer() {
        return optimizer;
    }

    /** The weights' moving average; null unless --model-ema. */
    public ModelEma ema() {
        return ema;
    }

    public RunFolder folder() {
        return folder;
    }

    /** Stages host batches for this run's trainer (one batch in flight at a time). */
    public BatchStager stager() {
        return stager;
    }

    public LoadedData data() {
        return data;
    }

    public Checkpoint.State state() {
        return state;
    }

    @Override
    public void close() {
        trainLoader.close();
        validationLoader.close();
        if (testLoader != null) {
            testLoader.close();
        }
        if (ema != null) {
            ema.close();
        }
        trainer.close();
        model.close();
    }

    /** Raised when the loss stops being finite; the last good checkpoint is left as it was. */
    public static final class TrainingDiverged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TrainingDiverged(int epoch, int step, RunFolder folder) {
            super("training diverged at epoch " + epoch + ", step " + step
                    + " (loss is NaN or infinite); try a lower --lr."
                    + (Files.exists(folder.lastCheckpoint())
                            ? " The last good checkpoint is kept: " + folder.lastCheckpoint()
                            : " No epoch had finished, so there is no checkpoint."));
        }
    }
}
