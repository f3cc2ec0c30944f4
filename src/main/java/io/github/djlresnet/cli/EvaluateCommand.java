package io.github.djlresnet.cli;

import io.github.djlresnet.serving.ModelEvaluator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Accuracy, mean cross-entropy loss, per-class accuracy and the confusion matrix (rows: true"
                    + " class, columns: predicted) of an exported model folder or .zip on a dataset.",
            "Writes confusion.csv, per_class.csv and confusion.png. The dataset must have the model's"
                    + " classes and channels; images are resized to the model's input size.",
            "Exit code 2: bad model, data or options (nothing is written)."
        })
final class EvaluateCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|ZIP", description = "Exported model folder or .zip (a run folder is one).")
    Path model;

    @Option(names = "--dataset", defaultValue = "fashion-mnist-mini", paramLabel = "NAME",
            description = "fashion-mnist-mini, fashion-mnist, cifar10 or folder:<path> (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the dataset's files are (default: its usual place).")
    Path dataDir;

    @Option(names = "--split", defaultValue = "validation", paramLabel = "validation|test",
            description = "validation: what training validated on (the official test set unless --val-split);"
                    + " test: the official test set, or a folder's test/ (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Only the first N images (default: all).")
    int limit;

    @Option(names = "--batch-size", defaultValue = "128", paramLabel = "N", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--val-split", defaultValue = "0", paramLabel = "F",
            description = "The training run's --val-split, to evaluate on the same held-out images (default: ${DEFAULT-VALUE}).")
    double valSplit;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "The training run's --seed, used with --val-split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--channels-last",
            description = "Keep every layer's activations channels-last (NHWC) inside LibTorch. Without it the"
                    + " network already runs channels-last where its maps are 7 px or more and NCHW below on"
                    + " AVX-512 CPUs, and channels-last throughout on AVX2-only ones, which measured fastest"
                    + " at 28x28 and 224x224; the results agree within float rounding.")
    boolean channelsLast;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Folder for the results (default: <model>/evaluation-<dataset>-<split>, next to a .zip"
                    + " as <name>-evaluation-<dataset>-<split>).")
    Path output;

    @Override
    public Integer call() {
        ModelEvaluator.Options options =
                new ModelEvaluator.Options(model, dataset, dataDir, split, limit, batchSize, valSplit, seed, channelsLast);
        Path out = output != null ? output : ModelEvaluator.defaultOutput(model, dataset, options.split());
        // before the slow part, so a bad --output fails at once
        ModelEvaluator.checkOutput(out);
        ModelEvaluator.Evaluation e = ModelEvaluator.evaluate(options);
        PrintWriter w = spec.commandLine().getOut();
        w.println(e.headline());
        w.println();
        w.print(e.confusion().report());
        w.flush();
        ModelEvaluator.write(e, out);
        w.println("wrote " + ModelEvaluator.CONFUSION_CSV + ", " + ModelEvaluator.PER_CLASS_CSV + ", "
                + ModelEvaluator.CONFUSION_PNG + " to " + out.toAbsolutePath().normalize());
        w.flush();
        return 0;
    }
}
