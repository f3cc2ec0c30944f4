package io.github.djlresnet.cli;

import io.github.djlresnet.serving.ModelEvaluator;
import io.github.djlresnet.serving.ScoreJob;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Classify a collection of images (PNG, JPEG, BMP, GIF; folders read recursively) with an exported"
                    + " model on Apache Spark, and write one Parquet row per file to <output>/predictions:"
                    + " path, label, top1, probability, top_k, error.",
            "An image whose parent folder is named after a class of the model (a '/' in the name written as"
                    + " '_') is labelled with it; labelled images give the accuracy and confusion.csv,"
                    + " per_class.csv, confusion.png as evaluate does. Files that are not images are counted"
                    + " and listed, not fatal.",
            "Runs the same under spark-submit (see docs/SCALING.md). Exit code 2: bad model, input or options."
        })
final class ScoreCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|ZIP",
            description = "Exported model folder or .zip, readable on every executor (shared storage, or a .zip"
                    + " shipped with spark-submit --files).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Folder or file of images, or a Hadoop URI (hdfs://...).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for predictions/ (Parquet) and the confusion files.")
    Path output;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master (default: spark-submit's, else " + ScoreJob.DEFAULT_MASTER + ").")
    String master;

    @Option(names = "--batch-size", paramLabel = "N", description = "Images per forward pass in a task (default: "
            + ScoreJob.DEFAULT_BATCH_SIZE + ", fewer where that is over 32 MiB of input, e.g. 55 at 3x224x224).")
    Integer batchSize;

    @Option(names = "--top-k", defaultValue = "5", paramLabel = "K", description = "Classes kept per image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--overwrite", description = "Replace the results in an output folder that holds files.")
    boolean overwrite;

    @Option(names = "--channels-last",
            description = "Keep every layer's activations channels-last (NHWC) inside LibTorch, as for evaluate.")
    boolean channelsLast;

    @Override
    public Integer call() {
        ScoreJob.Result r = ScoreJob.run(
                new ScoreJob.Options(model, input, output, master, batchSize, topK, overwrite, channelsLast));
        PrintWriter w = spec.commandLine().getOut();
        w.println(r.headline());
        if (r.notImages() > 0) {
            w.println("not images (rows with an error in the output" + (r.notImages() > r.listedNotImages().size()
                    ? ", first " + r.listedNotImages().size() + " of " + r.notImages() + " here" : "") + "):");
            r.listedNotImages().forEach(p -> w.println("  " + p));
        }
        if (r.confusion() != null) {
            w.println(r.accuracyLine());
            w.println();
            w.print(r.confusion().report());
        }
        w.println("wrote " + r.predictions()
                + (r.confusion() == null ? "" : " and " + ModelEvaluator.CONFUSION_CSV + ", " + ModelEvaluator.PER_CLASS_CSV
                        + ", " + ModelEvaluator.CONFUSION_PNG + " beside it"));
        w.flush();
        return 0;
    }
}
