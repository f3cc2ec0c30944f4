package io.github.djlresnet.cli;

import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.serving.RunExport;
import io.github.djlresnet.train.CheckpointPolicy;
import io.github.djlresnet.train.EpochStats;
import io.github.djlresnet.train.LrSchedule;
import io.github.djlresnet.train.TrainOptions;
import io.github.djlresnet.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpWidth = 100,
        description = {
            "Train a ResNet through DJL's Trainer, validating after every epoch.",
            "Writes models/<run>/: metrics.csv, curves.png, checkpoints/{last,best}.ckpt and the"
                    + " exported model (params, synset.txt, serving.properties).",
            "With no options: ResNet-34 on the shipped fashion-mnist-mini subset for 5 epochs."
        },
        footer = {
            "",
            "Examples:",
            "  train --limit 64 --epochs 1                      smoke run",
            "  train --dataset fashion-mnist --epochs 15        full Fashion-MNIST (Debian package)",
            "  train --dataset folder:/data/flowers --image-size 128 --val-split 0.2",
            "  train --resume models/<run> --epochs 20          continue a run",
            "  train --augment crop,erase --random-erasing 0.25 --auto-augment trivialaugment --label-smoothing 0.1",
            "        --mixup-alpha 0.2 --cutmix-alpha 1.0 --model-ema --norm-weight-decay 0   torchvision's recipe options",
            "",
            "Exit codes: 0 done, 2 bad input, 3 training diverged."
        })
final class TrainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--dataset", defaultValue = "fashion-mnist-mini", paramLabel = "NAME",
            description = "fashion-mnist-mini, fashion-mnist, cifar10 or folder:<path> (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the dataset's files are (default: the dataset's usual place).")
    Path dataDir;

    @Option(names = "--depth", paramLabel = "18|34", defaultValue = "34", description = "18 or 34 (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--shortcut", defaultValue = "B", paramLabel = "A|B|C",
            description = "Shortcut option of He et al. Table 3 (default: ${DEFAULT-VALUE}).")
    Shortcut shortcut;

    @Option(names = "--stem", defaultValue = "imagenet", paramLabel = "imagenet|small",
            description = "imagenet: 7x7/2 conv + max pool; small: 3x3/1 conv, no pool (default: ${DEFAULT-VALUE}).")
    Stem stem;

    @Option(names = "--image-size", defaultValue = "0", paramLabel = "PX",
            description = "Resize images to PX x PX; 0 keeps the native size (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "5", description = "Epochs to train (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "sgd", paramLabel = "sgd|adam",
            description = "sgd (momentum, the paper's) or adam (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", paramLabel = "RATE", defaultValue = "0.025",
            description = "Base learning rate: the paper's 0.1 for 256 images a step, scaled to --batch-size's "
                    + "default; scale it with the batch size (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    float momentum;

    @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "1e-4", description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--lr-schedule", defaultValue = "cosine", paramLabel = "constant|step|cosine",
            description = "step divides by 10 at 50%% and 75%% of the epochs (default: ${DEFAULT-VALUE}).")
    LrSchedule.Kind lrSchedule;

    @Option(names = "--warmup-epochs", paramLabel = "E", defaultValue = "0",
            description = "Linear warm-up from lr/10 over this many epochs (default: ${DEFAULT-VALUE}).")
    double warmupEpochs;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of initialization, data order and augmentation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N",
            description = "Use only the first N training and N validation images; 0 = all (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--val-split", defaultValue = "0", paramLabel = "FRACTION",
            description = "Hold out this seeded fraction of the training set for validation; 0 validates on the test set / val folder (default: ${DEFAULT-VALUE}).")
    double valSplit;

    @Option(names = "--augment", paramLabel = "LIST",
            description = "Per-image augmentations, comma-separated, from crop (4-pixel padding, random crop),"
                    + " flip (horizontal; wrong for digits and text) and erase (needs --random-erasing P); none for"
                    + " none (default: crop,flip, plus erase with --random-erasing).")
    String augment;

    @Option(names = "--no-augment", description = "The same as --augment none.")
    boolean noAugment;

    @Option(names = "--random-erasing", paramLabel = "P", defaultValue = "0",
            description = "Also erase one random rectangle (2-33%% of the image, aspect 0.3-3.3) to the mean with probability P, after crop and flip (Zhong et al. 2017; torchvision's RandomErasing); 0 = off (default: ${DEFAULT-VALUE}).")
    double randomErasing;

    @Option(names = "--auto-augment", defaultValue = "none", paramLabel = "POLICY",
            description = "none, trivialaugment or randaugment: torchvision's TrivialAugmentWide or RandAugment"
                    + " (2 ops, magnitude 9) on the uint8 pixels after crop and flip (default: ${DEFAULT-VALUE}).")
    String autoAugment;

    @Option(names = "--label-smoothing", defaultValue = "0", paramLabel = "E",
            description = "Train against (1-E) onehot + E/classes (torch's CrossEntropyLoss label_smoothing)"
                    + " (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--mixup-alpha", defaultValue = "0", paramLabel = "A",
            description = "Mixup: each batch mixed with itself rolled by one, lambda ~ Beta(A, A); 0 = off"
                    + " (default: ${DEFAULT-VALUE}).")
    double mixupAlpha;

    @Option(names = "--cutmix-alpha", defaultValue = "0", paramLabel = "A",
            description = "CutMix: a box of the rolled batch pasted in, lambda ~ Beta(A, A) corrected to the box;"
                    + " with --mixup-alpha, one of the two per batch (p=0.5); 0 = off (default: ${DEFAULT-VALUE}).")
    double cutmixAlpha;

    @Option(names = "--model-ema",
            description = "Keep an exponential moving average of the weights (BatchNorm statistics included),"
                    + " validate it, keep it in checkpoints and export it instead of the raw weights.")
    boolean modelEma;

    @Option(names = "--ema-decay", defaultValue = "0.999", paramLabel = "D",
            description = "With --model-ema: ema = D*ema + (1-D)*w after every step (default: ${DEFAULT-VALUE}).")
    double emaDecay;

    @Option(names = "--norm-weight-decay", paramLabel = "WD",
            description = "Weight decay of BatchNorm weights and biases and of all biases (torchvision's"
                    + " norm_weight_decay; 0 is usual) (default: --weight-decay's).")
    Double normWeightDecay;

    @Option(names = "--track-test",
            description = "Also measure test-set accuracy after every epoch, for time-to-accuracy reports; it is logged and plotted, never used to pick a checkpoint.")
    boolean trackTest;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16",
            description = "Arithmetic: bf16 runs the stem and each residual block in bfloat16, as"
                    + " PyTorch's CPU autocast does, on fp32 master weights (BatchNorm statistics,"
                    + " the classifier, loss, optimizer and saved parameters stay fp32); fast only on"
                    + " CPUs with AVX-512 or AMX, far slower than fp32 on AVX2-only ones (a warning says so)"
                    + " (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--channels-last",
            description = "Run every convolution on channels-last (NHWC) activations: the same results up to"
                    + " rounding (without it, fp32 training runs channels-last on CPUs without AVX-512 when"
                    + " the images are small, 28 px maps or less after the stem).")
    boolean channelsLast;

    @Option(names = "--devices", defaultValue = "cpu", paramLabel = "cpu|gpu|N",
            description = "cpu, gpu (all GPUs) or a number of GPUs (default: ${DEFAULT-VALUE}).")
    String devices;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
            description = "Threads preparing batches ahead of the trainer; more than 1 competes with LibTorch on small machines (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", defaultValue = "0",
            description = "Also write checkpoints/last.ckpt every STEPS optimizer steps inside an epoch; a resumed run continues from that step exactly; 0 = off (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--checkpoint-minutes", paramLabel = "M", defaultValue = "10",
            description = "Also write checkpoints/last.ckpt after every M minutes of training inside an epoch; 0 = off (default: ${DEFAULT-VALUE}).")
    double checkpointMinutes;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Run folder to create (default: models/<dataset>-resnet<depth>-<time>).")
    Path output;

    @Option(names = "--init", paramLabel = "FILE|DIR",
            description = "Start from these weights: a torchvision-named .safetensors file or a model folder."
                    + " Tensors whose name and shape match load; the rest (e.g. a head for other classes) start fresh.")
    Path init;

    @Option(names = "--freeze", paramLabel = "K", defaultValue = "0",
            description = "With --init: keep the stem and the first K stages (0-4) fixed (default: ${DEFAULT-VALUE}).")
    int freeze;

    @Option(names = "--resume", paramLabel = "RUN",
            description = "Continue the run in this folder from its last checkpoint (an epoch's end or inside one), with its settings (only --epochs and the checkpoint options may change).")
    Path resume;

    /** The settings of a new run, as parsed. */
    TrainOptions options() {
        return new TrainOptions(dataset, dataDir, depth, shortcut,
                stem, imageSize, epochs, batchSize, optimizer, lr, momentum,
                weightDecay, lrSchedule, warmupEpochs, seed, limit,
                valSplit, !noAugment, randomErasing, devices, workers, trackTest).withInit(init, freeze)
                .withPrecision(precision, channelsLast)
                .withRecipe(augment, noAugment, autoAugment, labelSmoothing, mixupAlpha, cutmixAlpha, modelEma,
                        emaDecay, normWeightDecay == null ? Double.NaN : normWeightDecay);
    }

    @Override
    public Integer call() throws Exception {
        CheckpointPolicy checkpoints = new CheckpointPolicy(checkpointEvery, checkpointMinutes);
        TrainingRun run;
        if (resume != null) {
            var parsed = spec.commandLine().getParseResult();
            // a resumed run keeps its own settings; say so rather than ignore what was asked
            for (var option : parsed.matchedOptions()) {
                String name = option.longestName();
                if (!List.of("--resume", "--epochs", "--checkpoint-every", "--checkpoint-minutes").contains(name)) {
                    throw new UserError(name + " cannot be combined with --resume: a resumed run"
                            + " keeps its settings (only --epochs may change)");
                }
            }
            boolean epochsGiven = parsed.hasMatchedOption("--epochs");
            if (epochsGiven && epochs < 1) {
                throw new UserError("--epochs must be at least 1, got " + epochs);
            }
            run = TrainingRun.resume(resume, epochsGiven ? epochs : 0);
        } else {
            run = TrainingRun.start(options(), output != null ? output : defaultOutput());
        }
        run.withCheckpoints(checkpoints);
        try (run) {
            int done = run.state().epochsDone();
            EpochStats last = run.run();
            var out = spec.commandLine().getOut();
            if (run.state().epochsDone() == done) {
                throw new UserError("nothing to train: " + run.folder().dir() + " already has "
                        + done + " epochs; pass a larger --epochs to continue it");
            }
            RunExport.exportIntoRun(run.folder().dir(), commandLine());
            out.printf(Locale.ROOT, "model saved to %s%n", run.folder().dir().toAbsolutePath());
            if (last != null) {
                out.printf(Locale.ROOT, "final validation accuracy %.4f (epoch %d)%n",
                        last.validationAccuracy(), last.epoch());
            }
            out.flush();
            return 0;
        } catch (TrainingRun.TrainingDiverged e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return Main.EXIT_DIVERGED;
        }
    }

    private Path defaultOutput() {
        String name = dataset.startsWith("folder:") ? "folder" : dataset;
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = Path.of("models", name + "-resnet" + depth + "-" + time);
        return Files.exists(dir) ? Path.of(dir + "-" + System.nanoTime() % 1000) : dir;
    }

    private String commandLine() {
        return "djl-resnet " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }
}
