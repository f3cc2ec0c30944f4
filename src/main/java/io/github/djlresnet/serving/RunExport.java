package io.github.djlresnet.serving;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.runtime.CheckpointFile;
import io.github.djlresnet.runtime.ModelSpec;
import io.github.djlresnet.runtime.RunFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Exports a training run from its folder alone: the model spec the run recorded when it started,
 * a checkpoint, and metrics.csv for the model card. Checkpoint -> {@link ResNet#build} ->
 * {@link ModelExporter}; no dataset, no Trainer, no loader threads.
 */
public final class RunExport {

    /** What was exported: the folder, and the checkpoint's epochs done and steps into the next. */
    public record Result(Path dir, int epochsDone, int stepsIntoNext) {}

    private RunExport() {}

    /** Writes checkpoint {@code which} (last or best) of {@code run} as a new model folder {@code output}. */
    public static Result exportTo(Path run, String which, Path output, boolean overwrite, String command) {
        RunFolder folder = RunFolder.forExport(run, which);
        String name = output.toAbsolutePath().normalize().getFileName().toString();
        return withCheckpoint(folder, which, command, (model, spec, epoch, card) ->
                ModelExporter.export(model.getBlock(), spec, output, name, epoch, card, overwrite));
    }

    /** Writes the run's last checkpoint into the run folder itself (what {@code train} does at the end). */
    public static Result exportIntoRun(Path run, String command) {
        RunFolder folder = RunFolder.forExport(run, "last");
        return withCheckpoint(folder, "last", command, (model, spec, epoch, card) ->
                ModelExporter.exportInto(model.getBlock(), spec, folder.dir(), folder.name(), epoch, card));
    }

    private interface Export {
        Path write(Model model, ModelSpec spec, int epoch, ModelCard card);
    }

    private static Result withCheckpoint(RunFolder folder, String which, String command, Export export) {
        ModelSpec spec = ModelSpec.load(folder.modelSpec());
        try (Model model = Model.newInstance(folder.name(), "PyTorch")) {
            model.setBlock(ResNet.build(spec.config()));
            CheckpointFile.Contents contents = CheckpointFile.read(
                    folder.checkpoint(which), model.getBlock(), model.getNDManager(), true);
            // a --model-ema run exports its averaged weights, as it validated them
            boolean averaged = CheckpointFile.applyAverages(model.getBlock(), contents.arrays()) > 0;
            contents.arrays().values().forEach(ai.djl.ndarray.NDArray::close);
            // DJL saves a block with its input shape; initializing after loading keeps the values
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1,
                    spec.config().inputChannels(), spec.imageSize(), spec.imageSize()));
            int epochs = Integer.parseInt(contents.properties().get("epochsDone"));
            int steps = Integer.parseInt(contents.properties().getOrDefault("stepsDone", "0"));
            ModelCard card = ModelCard.today(ModelSpec.dataset(folder.modelSpec()),
                    steps == 0 ? validationAccuracy(folder.metrics(), epochs) : Double.NaN, command,
                    averaged ? "exponential moving average of the training weights (decay "
                            + contents.properties().get(CheckpointFile.EMA_DECAY) + ", --model-ema)" : "");
            Path dir = export.write(model, spec, epochs, card);
            return new Result(dir, epochs, steps);
        }
    }

    /** The validation accuracy metrics.csv gives for {@code epoch}; NaN if it has none. */
    static double validationAccuracy(Path metrics, int epoch) {
        if (!Files.isRegularFile(metrics)) {
            return Double.NaN;
        }
        try {
            List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
            List<String> header = Arrays.asList(lines.get(0).split(","));
            int column = header.indexOf("val_accuracy");
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",");
                if (Integer.parseInt(cells[0]) == epoch && column >= 0 && column < cells.length) {
                    double accuracy = Double.parseDouble(cells[column]);
                    return accuracy >= 0 && accuracy <= 1 ? accuracy : Double.NaN;
                }
            }
            return Double.NaN;
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("cannot read " + metrics + ": " + e.getMessage());
        }
    }
}
