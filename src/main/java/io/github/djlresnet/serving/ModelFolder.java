package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** File names and extra keys of an exported model folder (DJL Serving's model-folder layout). */
public final class ModelFolder {

    public static final String SERVING_PROPERTIES = "serving.properties";
    public static final String SYNSET = "synset.txt";
    public static final String README = "README.md";
    /** Holds {@link ResNetBlockFactory} and the model classes; DJL scans jars in the folder root. */
    public static final String JAR = "djl-resnet-model.jar";

    /** serving.properties key: SHA-256 of the params file, to tell corruption from a good file. */
    public static final String PARAMS_SHA256 = "paramsSha256";

    /** Prefix of the architecture properties saved inside the params file's header. */
    static final String PARAMS_PROPERTY_PREFIX = "resnet.";

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private ModelFolder() {}

    /** The class names of a model folder; an unreadable synset.txt is a one-line input error. */
    public static List<String> synset(Path folder) {
        try {
            return Files.readAllLines(folder.resolve(SYNSET), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + folder.resolve(SYNSET) + ": " + e.getMessage(), e);
        }
    }

    /** DJL's params file name for a model name and epoch. */
    public static String paramsFile(String name, int epoch) {
        return String.format(Locale.ROOT, "%s-%04d.params", name, epoch);
    }
}
