package io.github.djlresnet.cli;

import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.serving.WeightsImport;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Write a model folder (as export does) from PyTorch weights: a .safetensors file with"
                    + " torchvision's names (torchvision's or timm's resnet18/resnet34, or export --format"
                    + " safetensors). Depth, classes, channels and stem come from the tensors.",
            "F32, F16, BF16 and F64 tensors are read; num_batches_tracked is ignored.",
            "Exit code 2: not a ResNet-18/34 file, missing or mis-shaped tensors, unsupported dtype, or"
                    + " a truncated or foreign file; nothing is written then."
        })
final class ImportCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "The .safetensors file.")
    Path weights;

    @Option(names = "--output", required = true, paramLabel = "DIR",
            description = "Model folder to write (missing or empty); its last path element is the model name.")
    Path output;

    @Option(names = "--synset", paramLabel = "FILE",
            description = "Class names, one per line. Default: ImageNet's for 1000 classes, else 0..K-1.")
    Path synset;

    @Option(names = "--image-size", defaultValue = "0", paramLabel = "PX",
            description = "Input side in pixels. Default: the size recorded by export --format safetensors,"
                    + " else 224 (ImageNet stem) or 32 (small stem).")
    int imageSize;

    @Override
    public Integer call() {
        if (imageSize < 0) {
            throw new UserError("--image-size must be positive (or 0 for the default), got " + imageSize);
        }
        EngineSetup.engine();
        long start = System.nanoTime();
        WeightsImport.Result r = WeightsImport.run(weights, output, synset, imageSize,
                "djl-resnet " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        var c = r.config();
        spec.commandLine().getOut().printf(Locale.ROOT,
                "imported ResNet-%d (%d classes, %d input channel%s, %s stem) from %s: %d tensors in %.1f s%n"
                        + "model folder %s (input %dx%d, normalization mean %s std %s inside the block)%n",
                c.depth(), c.classes(), c.inputChannels(), c.inputChannels() == 1 ? "" : "s", c.stem(), weights,
                r.tensors(), (System.nanoTime() - start) / 1e9, r.dir(), r.imageSize(), r.imageSize(),
                Arrays.toString(r.normalization().mean()), Arrays.toString(r.normalization().std()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
