package io.github.djlresnet.cli;

import io.github.djlresnet.train.TrainingRun;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Write a model folder that other DJL apps load with Criteria, from a training run's"
                    + " checkpoint: <name>-NNNN.params, synset.txt, serving.properties, README.md"
                    + " (model card) and djl-resnet-model.jar (the BlockFactory).",
            "The run's dataset must still be readable (it gives the class names and input size)."
        })
final class ExportCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Training run folder (models/<run>).")
    Path run;

    @Option(names = "--checkpoint", defaultValue = "best", paramLabel = "last|best",
            description = "Which checkpoint to export (default: ${DEFAULT-VALUE}).")
    String checkpoint;

    @Option(names = "--output", required = true, paramLabel = "DIR",
            description = "Model folder to write; its last path element is the model name.")
    Path output;

    @Option(names = "--overwrite", description = "Replace the output folder if it holds a model already.")
    boolean overwrite;

    @Option(names = "--format", defaultValue = "djl", paramLabel = "djl|safetensors",
            description = "djl: a DJL model folder; safetensors: model.safetensors with torchvision's names,"
                    + " synset.txt and a README with the PyTorch lines, from --run or any model folder"
                    + " (its exported model; shortcut B only) (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        if (!format.equals("djl")) {
            return SafeTensorsExportCall.call(spec, format, run, output, overwrite);
        }
        try (TrainingRun opened = TrainingRun.open(run, checkpoint)) {
            Path dir = opened.exportTo(output, overwrite, "djl-resnet "
                    + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            spec.commandLine().getOut().printf("exported %s checkpoint (epoch %d) of %s to %s%n",
                    checkpoint, opened.state().epochsDone(), run, dir);
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
