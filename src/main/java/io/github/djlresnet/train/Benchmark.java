package io.github.djlresnet.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import io.github.djlresnet.data.BatchLoader;
import io.github.djlresnet.data.DataOptions;
import io.github.djlresnet.data.Datasets;
import io.github.djlresnet.data.HostBatch;
import io.github.djlresnet.data.LoadedData;
import io.github.djlresnet.model.BatchNormFolding;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ModelSummary;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.BatchStager;
import io.github.djlresnet.runtime.CpuFlags;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.NoGrad;
import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.runtime.TorchScriptFeaturesKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times ResNet-34 (10 classes; ImageNet stem, or the small stem for s28g) training or inference
 * steps the way the training app runs them: host batches copied into a per-step NDManager,
 * {@link TrainBatch} (DJL's {@code EasyTrain.trainBatch} with the optimizer's fused backward pass and
 * step) with the app's trainer configuration;
 * inference under no-grad, on the network the serving commands run.
 */
public final class Benchmark {

    private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);

    /** The workloads compared with PyTorch (bench/pytorch_peer.py runs the same ones). */
    public enum Workload {
        W224(32, 3, 224),
        W32(128, 3, 32),
        W28G(128, 1, 28),
        /** The Fashion-MNIST recipe's network: small stem (3x3/1 conv, no pool), 1x28x28. */
        S28G(128, 1, 28, Stem.SMALL);

        final int batch;
        final int channels;
        final int side;
        final Stem stem;

        Workload(int batch, int channels, int side) {
            this(batch, channels, side, Stem.IMAGENET);
        }

        Workload(int batch, int channels, int side, Stem stem) {
            this.batch = batch;
            this.channels = channels;
            this.side = side;
            this.stem = stem;
        }

        public static Workload parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(
                        "--workload must be w224, w32, w28g or s28g, got '" + text + "'");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One measurement; printed as one JSON line. {@code params}: trainable parameters. */
    public record Result(String workload, String mode, String data, int batch, double imagesPerSec,
            int steps, double seconds, int threads, double peakRssMib, long params, String precision,
            boolean channelsLast) {

        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"impl\":\"djl\",\"workload\":\"%s\",\"mode\":\"%s\",\"data\":\"%s\",\"batch\":%d,"
                            + "\"images_per_sec\":%.2f,\"steps\":%d,\"seconds\":%.3f,\"threads\":%d,"
                            + "\"peak_rss_mib\":%.1f,\"params\":%d,\"precision\":\"%s\",\"channels_last\":%b}",
                    workload, mode, data, batch, imagesPerSec, steps, seconds, threads, peakRssMib,
                    params, precision, channelsLast);
        }
    }

    private final BatchStager stager = new BatchStager();
    private final Workload workload;
    private final boolean train;
    private final boolean realData;
    private final int workers;
    private Path profileTrace;
    private Precision precision = Precision.FP32;
    private boolean channelsLast;

    /**
     * @param workload the input size and batch
     * @param train training steps (else inference)
     * @param realData feed Fashion-MNIST through the data pipeline (w28g only) instead of one
     *     synthetic batch
     * @param workers threads preparing real batches
     */
    public Benchmark(Workload workload, boolean train, boolean realData, int workers) {
        if (realData && workload.side != 28) {
            throw new InvalidInputException(
                    "--data real is available for w28g and s28g (Fashion-MNIST) only");
        }
        this.workload = workload;
        this.train = train;
        this.realData = realData;
        this.workers = workers;
    }

    /**
     * Records the timed steps with LibTorch's profiler and writes its Chrome trace (JSON) to
     * {@code trace}; bench/op_profile.py sums it per operator next to PyTorch's. Null: no profile.
     */
    public Benchmark profileTo(Path trace) {
        this.profileTrace = trace;
        return this;
    }

    /** Convolutions in this precision and layout (default fp32, DJL's own Conv2d). */
    public Benchmark withPrecision(Precision newPrecision, boolean newChannelsLast) {
        this.precision = newPrecision;
        this.channelsLast = newChannelsLast;
        return this;
    }

    /**
     * Runs {@code warmup} untimed steps, then timed steps until both {@code minSteps} steps and
     * {@code seconds} seconds have passed. {@code onStep} sees every timed step's index (for RSS
     * sampling).
     */
    public Result run(int warmup, int minSteps, double seconds, IntConsumer onStep) {
        EngineSetup.engine();
        Engine.getInstance().setRandomSeed(1);
        ResNetConfig config = new ResNetConfig(34, 10, workload.channels, workload.stem, Shortcut.B);
        Shape inputShape = new Shape(1, workload.channels, workload.side, workload.side);
        try (Model model = Model.newInstance("bench", Device.cpu(), "PyTorch")) {
            if (precision == Precision.BF16) {
                CpuFlags.bf16Warning().ifPresent(LOG::warn);
            }
            model.setBlock(ResNet.build(config, precision.kernel(channelsLast),
                    precision.featuresKernel(channelsLast, config.firstStageSide(workload.side))));
            if (train) {
                MomentumSgd sgd = new MomentumSgd(0.01f, 0.9f, 1e-4f);
                try (Trainer trainer = model.newTrainer(
                        TrainerSetup.config(sgd, new Device[] {Device.cpu()}, 10))) {
                    trainer.initialize(inputShape);
                    return time(warmup, minSteps, seconds, onStep, ModelSummary.trainableParameters(model.getBlock()),
                            hb -> trainStep(trainer, sgd, hb));
                }
            }
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, inputShape);
            long params = ModelSummary.trainableParameters(model.getBlock());
            Block net = inferenceNet(model, config, inputShape);
            return time(warmup, minSteps, seconds, onStep, params, hb -> inferStep(model.getNDManager(), net, hb));
        }
    }

    private Result time(int warmup, int minSteps, double seconds, IntConsumer onStep, long params,
            Consumer<HostBatch> step) {
        Iterator<HostBatch> batches = batches();
        for (int i = 0; i < warmup; i++) {
            step.accept(batches.next());
        }
        if (profileTrace != null) {
            JniUtils.startProfile(false, false, false);
        }
        long start = System.nanoTime();
        int steps = 0;
        while (steps < minSteps || (System.nanoTime() - start) / 1e9 < seconds) {
            step.accept(batches.next());
            onStep.accept(steps++);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (profileTrace != null) {
            JniUtils.stopProfile(profileTrace.toString());
        }
        return new Result(workload.toString(), train ? "train" : "infer",
                realData ? "real" : "synthetic", workload.batch,
                steps * workload.batch / elapsed, steps, elapsed,
                EngineSetup.threads(), peakRssMib(), params, precision.toString(), channelsLast);
    }

    /**
     * The network inference runs, as the serving commands load it: the trained block's inference
     * form ({@link BatchNormFolding}; the trained block is spent), its stem and stages in one
     * {@link TorchScriptFeaturesKernel} call in the precision and layout asked for.
     */
    private Block inferenceNet(Model model, ResNetConfig config, Shape inputShape) {
        Block folded = ResNet.buildFolded(config, precision.inferenceKernel(channelsLast));
        BatchNormFolding.fold(model.getBlock(), folded, model.getNDManager(), inputShape);
        return folded;
    }

    private void trainStep(Trainer trainer, MomentumSgd sgd, HostBatch hb) {
        try (Batch batch = stager.stage(trainer.getManager().newSubManager(), hb, 0, 1)) {
            TrainBatch.run(trainer, batch, sgd);
        }
    }

    private void inferStep(NDManager manager, Block net, HostBatch hb) {
        try (Batch batch = stager.stage(manager.newSubManager(), hb, 0, 1); NoGrad g = new NoGrad()) {
            NDList out = net.forward(new ParameterStore(batch.getManager(), false), batch.getData(), false);
            out.head().getFloat(0, 0); // wait for the result, as a caller would
        }
    }

    /** An endless stream of batches: real Fashion-MNIST epochs, or one synthetic batch again. */
    private Iterator<HostBatch> batches() {
        if (realData) {
            LoadedData data = Datasets.load(new DataOptions("fashion-mnist", null, 0, 0, 1, 0));
            BatchLoader loader = new BatchLoader(data.train(), data.normalization(), 0,
                    workload.batch, true, train, 1, workers);
            return new Iterator<>() {
                int epoch = 0;
                Iterator<HostBatch> current = loader.epoch(epoch);

                @Override
                public boolean hasNext() {
                    return true;
                }

                @Override
                public HostBatch next() {
                    HostBatch hb = current.hasNext() ? current.next() : null;
                    if (hb == null || hb.size() < workload.batch) {
                        current = loader.epoch(++epoch);
                        hb = current.next();
                    }
                    return hb;
                }
            };
        }
        Random random = new Random(1);
        int n = workload.batch * workload.channels * workload.side * workload.side;
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) random.nextGaussian();
        }
        float[] labels = new float[workload.batch];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(10);
        }
        HostBatch hb = new HostBatch(data, labels, workload.batch, workload.channels,
                workload.side, workload.side);
        return java.util.stream.Stream.generate(() -> hb).iterator();
    }

    /** Peak resident set size of this process, from /proc/self/status (VmHWM), in MiB. */
    public static double peakRssMib() {
        return procStatusMib("VmHWM:");
    }

    /** Current resident set size, in MiB. */
    public static double rssMib() {
        return procStatusMib("VmRSS:");
    }

    private static double procStatusMib(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: no figure
        }
        return Double.NaN;
    }
}
