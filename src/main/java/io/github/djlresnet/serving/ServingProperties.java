package io.github.djlresnet.serving;

import ai.djl.modality.cv.translator.ImageClassificationTranslatorFactory;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.runtime.ModelSpec;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code serving.properties} of an exported model: what DJL's {@code Criteria} and DJL Serving
 * read to rebuild the block ({@link ResNetBlockFactory}) and to turn images into input tensors
 * (DJL's {@link ImageClassificationTranslatorFactory}).
 */
final class ServingProperties {

    /** How many classes DJL's Classifications print by default. */
    static final int DEFAULT_TOP_K = 5;

    private ServingProperties() {}

    /** The properties, in the order written. */
    static Map<String, String> of(ModelSpec spec, String name, int epoch, String paramsSha256) {
        ResNetConfig c = spec.config();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("engine", "PyTorch");
        // the params file is <modelName>-<epoch>.params whatever the folder is called
        p.put("option.modelName", name);
        p.put("option.epoch", String.valueOf(epoch));
        p.put("blockFactory", ResNetBlockFactory.class.getName());
        p.put("translatorFactory", ImageClassificationTranslatorFactory.class.getName());
        p.put(ServingArguments.WIDTH, String.valueOf(spec.imageSize()));
        p.put(ServingArguments.HEIGHT, String.valueOf(spec.imageSize()));
        p.put("resize", "true");
        p.put("flag", c.inputChannels() == 1 ? "GRAYSCALE" : "COLOR");
        p.put("topK", String.valueOf(Math.min(DEFAULT_TOP_K, c.classes())));
        p.put("applySoftmax", "true");
        p.put(ServingArguments.DEPTH, String.valueOf(c.depth()));
        p.put(ServingArguments.SHORTCUT, c.shortcut().name());
        p.put(ServingArguments.STEM, c.stem().toString());
        p.put(ServingArguments.INPUT_CHANNELS, String.valueOf(c.inputChannels()));
        p.put(ServingArguments.CLASSES, String.valueOf(c.classes()));
        p.put(ServingArguments.MEAN, join(spec.normalization().mean()));
        p.put(ServingArguments.STD, join(spec.normalization().std()));
        p.put(ModelFolder.PARAMS_SHA256, paramsSha256);
        return p;
    }

    /** The file's text, with comments saying why the less obvious keys are there. */
    static String text(Map<String, String> properties, ResNetConfig config) {
        return text(properties, config, "");
    }

    /** The same, with a comment saying which weights the params file holds when they are not the plain ones. */
    static String text(Map<String, String> properties, ResNetConfig config, String weights) {
        StringBuilder sb = new StringBuilder();
        sb.append("# djl-resnet export: ").append(ArchitectureCheck.describe(config)).append('\n');
        if (!weights.isEmpty()) {
            sb.append("# weights: ").append(weights.replace('\n', ' ')).append('\n');
        }
        sb.append("# Load with DJL Criteria (optModelPath = this folder) or DJL Serving.\n");
        sb.append("# resize/flag/width/height: DJL's image translator converts any PNG/JPEG to the input.\n");
        sb.append("# normalizeMean/normalizeStd are applied inside the block (DJL's 'normalize'\n");
        sb.append("# argument only handles 3 channels), so tensors fed directly must be in [0, 1].\n");
        for (Map.Entry<String, String> e : properties.entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    private static String join(float[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(Float.toString(values[i]));
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
