package io.github.djlresnet.cli;

import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.train.Benchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        sortOptions = false,
        description = {
            "Time ResNet-34 (10 classes) training or inference steps on this machine and print one"
                    + " JSON line: images/s, steps, seconds, threads, peak RSS.",
            "Workloads: w224 = batch 32 of 3x224x224, w32 = batch 128 of 3x32x32,"
                    + " w28g = batch 128 of 1x28x28 (these three with the ImageNet stem),"
                    + " s28g = batch 128 of 1x28x28 with the small stem (3x3/1 conv, no pool:"
                    + " the Fashion-MNIST recipe's network).",
            "bench/compare.py runs this and bench/pytorch_peer.py alternately."
        })
final class BenchmarkCommand implements Callable<Integer> {

    /** What a step does. */
    enum Mode {
        TRAIN,
        INFER;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where the batches come from. */
    enum Data {
        SYNTHETIC,
        REAL;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--workload", defaultValue = "w28g", paramLabel = "w224|w32|w28g|s28g",
            description = "Input size and batch (default: ${DEFAULT-VALUE}).")
    Benchmark.Workload workload;

    @Option(names = "--mode", defaultValue = "train", paramLabel = "train|infer",
            description = "train: forward, loss, backward, SGD step; infer: forward without gradients, on the network evaluate runs (fp32: BatchNorm folded into the convolutions) (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "30", description = "Time the steps for at least this long (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "0", description = "Run at least this many timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "-1", description = "Untimed steps first (default: 3 for w224 and s28g, 5 otherwise).")
    int warmup;

    @Option(names = "--data", defaultValue = "synthetic", paramLabel = "synthetic|real",
            description = "real: Fashion-MNIST through the data pipeline with augmentation (w28g, s28g only) (default: ${DEFAULT-VALUE}).")
    Data data;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
            description = "Threads preparing batches for --data real (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "Arithmetic: bf16 runs the stem and each residual block in bfloat16, as PyTorch's"
                    + " CPU autocast does, on fp32 master weights; fast only on CPUs with AVX-512 or AMX"
                    + " (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--channels-last", description = "Run every layer on channels-last (NHWC) activations (without it, fp32"
            + " inference runs channels-last where it measured faster, as evaluate does, and so does training"
            + " as train does).")
    boolean channelsLast;

    @Option(names = "--rss-every", defaultValue = "0", paramLabel = "K",
            description = "Also print the resident memory every K steps to stderr (leak check).")
    int rssEvery;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "Also record the timed steps with LibTorch's profiler and write its Chrome trace"
                    + " (JSON) to FILE; bench/op_profile.py compares it per operator with PyTorch's.")
    Path profile;

    @Override
    public Integer call() {
        Benchmark.Workload w = workload;
        if (seconds < 0 || steps < 0) {
            throw new UserError("--seconds and --steps must not be negative");
        }
        if (profile != null && (Files.exists(profile) || !Files.isDirectory(
                profile.toAbsolutePath().getParent()))) {
            throw new UserError("--profile " + profile + ": the file exists or its folder does not");
        }
        int warm = warmup >= 0 ? warmup
                : (w == Benchmark.Workload.W224 || w == Benchmark.Workload.S28G ? 3 : 5);
        Benchmark.Result result = new Benchmark(w, mode == Mode.TRAIN, data == Data.REAL, workers)
                .profileTo(profile)
                .withPrecision(precision, channelsLast)
                .run(
                warm, steps, seconds,
                step -> {
                    if (rssEvery > 0 && step % rssEvery == 0) {
                        System.err.printf(Locale.ROOT, "rss_mib step=%d %.1f%n", step, Benchmark.rssMib());
                    }
                });
        spec.commandLine().getOut().println(result.toJson());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
