package io.github.djlresnet.cli;

import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.serving.SafeTensorsExport;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** {@code export --format safetensors}: kept out of ExportCommand so that the command stays one option larger. */
final class SafeTensorsExportCall {

    private SafeTensorsExportCall() {}

    static int call(CommandSpec spec, String format, Path model, Path output, boolean overwrite) {
        if (!format.equals("safetensors")) {
            throw new UserError("--format must be djl or safetensors, got '" + format + "'");
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--checkpoint")) {
            throw new UserError("--checkpoint applies to --format djl; --format safetensors converts the model"
                    + " folder's own parameters (a run's exported last epoch): export the checkpoint first");
        }
        EngineSetup.engine();
        SafeTensorsExport.Result r = SafeTensorsExport.run(model, output, overwrite);
        spec.commandLine().getOut().printf("exported %s as %d torchvision-named tensors to %s%n",
                model, r.tensors(), r.dir().resolve(SafeTensorsExport.FILE));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
