package io.github.djlresnet.serving;

import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.runtime.ModelSpec;
import java.util.Arrays;
import java.util.List;

/** The model card: a {@code README.md} that tells a person what the folder holds and how to use it. */
final class ModelReadme {

    private ModelReadme() {}

    static String text(ModelSpec spec, ModelCard card, String paramsFile, String sha256) {
        ResNetConfig c = spec.config();
        List<String> synset = spec.synset();
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(ArchitectureCheck.describe(c)).append("\n\n");
        sb.append("| | |\n|---|---|\n");
        row(sb, "dataset", card.dataset());
        row(sb, "validation accuracy", card.accuracyText());
        row(sb, "exported", card.date().toString());
        if (!card.weights().isEmpty()) {
            row(sb, "weights", card.weights());
        }
        row(sb, "command", card.commandLine().isEmpty() ? "-" : "`" + card.commandLine().replace("`", "'") + "`");
        row(sb, "input", spec.imageSize() + "x" + spec.imageSize() + ", "
                + (c.inputChannels() == 1 ? "grayscale" : "RGB"));
        row(sb, "normalization", "mean " + Arrays.toString(spec.normalization().mean()) + ", std "
                + Arrays.toString(spec.normalization().std()) + " (inside the block)");
        row(sb, "classes", c.classes() + ": " + String.join(", ", synset).replace("|", "\\|"));
        row(sb, "parameters", "`" + paramsFile + "` (SHA-256 " + sha256 + ")");
        sb.append("\n## Files\n\n");
        sb.append("- `").append(paramsFile).append("`: DJL parameters (`Model.save`), engine PyTorch\n");
        sb.append("- `").append(ModelFolder.SYNSET).append("`: class names, one per line, line i = class i\n");
        sb.append("- `").append(ModelFolder.SERVING_PROPERTIES)
                .append("`: architecture and pre-processing for DJL's Criteria and DJL Serving\n");
        sb.append("- `").append(ModelFolder.JAR).append("`: `")
                .append(ResNetBlockFactory.class.getName())
                .append("` and the model classes; DJL loads it from this folder\n");
        sb.append("\n## Use\n\n```java\n");
        sb.append("Criteria<Image, Classifications> criteria = Criteria.builder()\n");
        sb.append("        .setTypes(Image.class, Classifications.class)\n");
        sb.append("        .optModelPath(Paths.get(\"this-folder\"))   // or the folder zipped\n");
        sb.append("        .optEngine(\"PyTorch\")\n");
        sb.append("        .build();\n");
        sb.append("try (ZooModel<Image, Classifications> model = criteria.loadModel();\n");
        sb.append("        Predictor<Image, Classifications> predictor = model.newPredictor()) {\n");
        sb.append("    Classifications result = predictor.predict(ImageFactory.getInstance().fromFile(path));\n");
        sb.append("}\n```\n\n");
        sb.append("Any PNG or JPEG works: it is converted to ")
                .append(c.inputChannels() == 1 ? "grayscale" : "RGB")
                .append(" and resized to ").append(spec.imageSize()).append("x").append(spec.imageSize())
                .append(". With `setTypes(NDList.class, NDList.class)` the model takes float32 (N, ")
                .append(c.inputChannels()).append(", ").append(spec.imageSize()).append(", ")
                .append(spec.imageSize()).append(") pixels in [0, 1] and returns logits (N, ")
                .append(c.classes()).append(").\n");
        sb.append("The class path needs DJL's api and pytorch-engine (0.36.0) with a LibTorch 2.7.1 native.\n");
        return sb.toString();
    }

    private static void row(StringBuilder sb, String key, String value) {
        sb.append("| ").append(key).append(" | ").append(value.replace("\n", " ")).append(" |\n");
    }
}
