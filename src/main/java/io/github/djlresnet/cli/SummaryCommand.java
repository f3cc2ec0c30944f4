package io.github.djlresnet.cli;

import io.github.djlresnet.model.ModelSummary;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.EngineSetup;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "summary",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = "Print each stage's output shape and parameter count for an input shape.")
final class SummaryCommand implements Callable<Integer> {

    @Option(names = "--depth", paramLabel = "18|34", defaultValue = "34", description = "18 or 34 (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--classes", paramLabel = "N", defaultValue = "10", description = "Output classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(
            names = "--input",
            defaultValue = "3,224,224",
            description = "Input shape channels,height,width (default: ${DEFAULT-VALUE}).")
    String input;

    @Option(names = "--stem", defaultValue = "imagenet", description = "imagenet or small (default: ${DEFAULT-VALUE}).")
    Stem stem;

    @Option(names = "--shortcut", defaultValue = "B", description = "A, B or C (default: ${DEFAULT-VALUE}).")
    Shortcut shortcut;

    @Override
    public Integer call() {
        int[] chw = InputShape.parse(input);
        ResNetConfig config =
                new ResNetConfig(depth, classes, chw[0], stem, shortcut);
        EngineSetup.engine();
        System.out.print(ModelSummary.of(config, chw[1], chw[2]).format());
        return 0;
    }
}
