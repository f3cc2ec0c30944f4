package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import java.util.Arrays;
import java.util.Map;

/**
 * The architecture and input settings a served model is rebuilt from, parsed from the arguments
 * DJL hands a {@link ai.djl.nn.BlockFactory} (the keys of {@code serving.properties}).
 *
 * <p>This class travels in the model folder's jar, so it depends on nothing but DJL and the model
 * package.
 *
 * @param config the architecture
 * @param mean per-channel mean applied inside the block, after pixels are scaled to [0, 1]
 * @param std per-channel std applied inside the block
 * @param width input width in pixels
 * @param height input height in pixels
 */
public record ServingArguments(ResNetConfig config, float[] mean, float[] std, int width, int height) {

    public static final String DEPTH = "depth";
    public static final String CLASSES = "classes";
    public static final String INPUT_CHANNELS = "inputChannels";
    public static final String STEM = "stem";
    public static final String SHORTCUT = "shortcut";
    public static final String MEAN = "normalizeMean";
    public static final String STD = "normalizeStd";
    public static final String WIDTH = "width";
    public static final String HEIGHT = "height";

    public ServingArguments {
        if (mean.length != config.inputChannels() || std.length != config.inputChannels()) {
            throw new InvalidInputException(
                    "argument '" + MEAN + "' and '" + STD + "' need one value per input channel ("
                            + config.inputChannels() + "), got " + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new InvalidInputException(
                        "argument '" + STD + "' must be positive, got " + Arrays.toString(std));
            }
        }
        config.checkInputSize(height, width);
        mean = mean.clone();
        std = std.clone();
    }

    /** Parses the arguments; the message of a failure names the missing or bad argument. */
    public static ServingArguments parse(Map<String, ?> arguments) {
        ResNetConfig config =
                new ResNetConfig(
                        intArg(arguments, DEPTH),
                        intArg(arguments, CLASSES),
                        intArg(arguments, INPUT_CHANNELS),
                        Stem.parse(required(arguments, STEM)),
                        Shortcut.parse(required(arguments, SHORTCUT)));
        return new ServingArguments(
                config,
                floats(arguments, MEAN),
                floats(arguments, STD),
                intArg(arguments, WIDTH),
                intArg(arguments, HEIGHT));
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    private static String required(Map<String, ?> arguments, String key) {
        Object value = arguments.get(key);
        if (value == null || value.toString().isBlank()) {
            throw new InvalidInputException("missing model argument '" + key + "'");
        }
        return value.toString().trim();
    }

    private static int intArg(Map<String, ?> arguments, String key) {
        String text = required(arguments, key);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(
                    "model argument '" + key + "' must be an integer, got '" + text + "'");
        }
    }

    private static float[] floats(Map<String, ?> arguments, String key) {
        String[] parts = required(arguments, key).split("\\s*,\\s*");
        float[] values = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                values[i] = Float.parseFloat(parts[i]);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(
                        "model argument '" + key + "' must be comma-separated numbers, got '"
                                + arguments.get(key) + "'");
            }
        }
        return values;
    }
}
