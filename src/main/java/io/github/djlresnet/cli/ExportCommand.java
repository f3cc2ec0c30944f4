package io.github.djlresnet.cli;

import io.github.djlresnet.serving.RunExport;
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
            "Needs only the run folder (its model-spec.properties and checkpoint), not the dataset."
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
        RunExport.Result done = RunExport.exportTo(run, checkpoint, output, overwrite, "djl-resnet "
                + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        spec.commandLine().getOut().printf("exported %s checkpoint (epoch %d%s) of %s to %s%n",
                checkpoint, done.epochsDone(),
                done.stepsIntoNext() > 0 ? " and " + done.stepsIntoNext() + " steps of the next" : "", run, done.dir());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
