package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.model.TorchvisionNames;
import io.github.djlresnet.runtime.DurableFiles;
import io.github.djlresnet.runtime.SafeTensors;
import io.github.djlresnet.runtime.TorchWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a model folder's weights for PyTorch: {@code model.safetensors} with torchvision's names
 * (float32; {@code load_state_dict(..., strict=True)} into {@code torchvision.models.resnet18/34}
 * takes it), {@code synset.txt}, and a {@code README.md} with the lines that load it. Only shortcut
 * B has a torchvision counterpart; A and C are refused. The folder is written aside and moved into
 * place, so a failure leaves nothing behind.
 */
public final class SafeTensorsExport {

    public static final String FILE = "model.safetensors";

    /** Metadata keys that let {@code import} restore the input size and normalization. */
    static final String META_IMAGE_SIZE = "djl-resnet.imageSize";
    static final String META_MEAN = "djl-resnet.normalizeMean";
    static final String META_STD = "djl-resnet.normalizeStd";

    /** What was written. */
    public record Result(Path dir, ResNetConfig config, int tensors) {}

    private SafeTensorsExport() {}

    /**
     * @param model a model folder (a finished run, an export or an import)
     * @param output folder to write; must be missing or empty unless {@code overwrite}
     */
    public static Result run(Path model, Path output, boolean overwrite) {
        if (!Files.isDirectory(model)) {
            throw new InvalidInputException(model + " is not a model folder");
        }
        ServingArguments args = ModelLoader.inspect(model);
        ResNetConfig config = args.config();
        TorchvisionNames.requireTorchvision(config);
        Path target = output.toAbsolutePath().normalize();
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new InvalidInputException(target + " exists and is not a folder");
        }
        if (!overwrite && !ModelExporter.isEmptyOrMissing(target)) {
            throw new InvalidInputException("folder " + target + " already exists and is not empty; choose"
                    + " another --output or pass --overwrite");
        }
        TorchWeights weights = TorchWeights.fromModelFolder(model);
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        for (TorchvisionNames.Tensor t : TorchvisionNames.of(config)) {
            tensors.put(t.torchName(), new SafeTensors.Tensor(t.shape(), weights.floats(t.torchName())));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt"); // what torch's safetensors loader expects of a state dict
        meta.put(META_IMAGE_SIZE, String.valueOf(args.width()));
        meta.put(META_MEAN, join(args.mean()));
        meta.put(META_STD, join(args.std()));
        meta.put("djl-resnet.architecture", ArchitectureCheck.describe(config));

        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".partial-");
            // temp folders are owner-only; the result should read like any other output folder
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            SafeTensors.write(tmp.resolve(FILE), tensors, meta);
            Files.copy(model.resolve(ModelFolder.SYNSET), tmp.resolve(ModelFolder.SYNSET));
            Files.writeString(tmp.resolve(ModelFolder.README), readme(config, args, model), StandardCharsets.UTF_8);
            // the same durable placement as a DJL model folder: fsync, rename, fsync the parent
            DurableFiles.syncTree(tmp);
            ModelExporter.moveIntoPlace(tmp, target);
            return new Result(target, config, tensors.size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null && Files.exists(tmp)) {
                ModelExporter.deleteQuietly(tmp);
            }
        }
    }


    /** The PyTorch lines that load the file, with the input the model expects. */
    static String readme(ResNetConfig c, ServingArguments args, Path source) {
        boolean small = c.stem() == Stem.SMALL;
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(ArchitectureCheck.describe(c)).append(" for PyTorch\n\n");
        sb.append("Exported by djl-resnet from `").append(source.toAbsolutePath().normalize().getFileName())
                .append("`: `").append(FILE).append("` holds every parameter and BatchNorm running statistic")
                .append(" under torchvision's names, float32 (no `num_batches_tracked`: torch fills it in).\n\n");
        sb.append("```python\nimport torch, torchvision\nfrom safetensors.torch import load_file   # pip install safetensors\n\n");
        sb.append("model = torchvision.models.resnet").append(c.depth()).append("(num_classes=").append(c.classes())
                .append(")\n");
        if (small) {
            sb.append("model.conv1 = torch.nn.Conv2d(").append(c.inputChannels())
                    .append(", 64, kernel_size=3, stride=1, padding=1, bias=False)   # the small stem\n");
            sb.append("model.maxpool = torch.nn.Identity()                                  # no pool in it\n");
        } else if (c.inputChannels() != 3) {
            sb.append("model.conv1 = torch.nn.Conv2d(").append(c.inputChannels())
                    .append(", 64, kernel_size=7, stride=2, padding=3, bias=False)   # ")
                    .append(c.inputChannels()).append(" input channel\n");
        }
        sb.append("model.load_state_dict(load_file(\"").append(FILE).append("\"), strict=True)\nmodel.eval()\n");
        sb.append("```\n\n");
        sb.append("Input: ").append(c.inputChannels() == 1 ? "grayscale" : "RGB").append(" ")
                .append(args.width()).append("x").append(args.height())
                .append(", pixels scaled to [0, 1], then `(x - mean) / std` per channel with mean ")
                .append(Arrays.toString(args.mean())).append(" and std ").append(Arrays.toString(args.std()))
                .append(" (the DJL model folder does this inside its block; here it is yours to do).\n");
        sb.append("Output: logits for the ").append(c.classes())
                .append(" classes named in `synset.txt` (line i = class i); softmax gives probabilities.\n\n");
        sb.append("Without the `safetensors` package, the file is an 8-byte little-endian header length, a JSON")
                .append(" header (dtype, shape, data_offsets per tensor) and the raw float32 data.\n");
        return sb.toString();
    }

    private static String join(float[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(Float.toString(values[i]).toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }
}
