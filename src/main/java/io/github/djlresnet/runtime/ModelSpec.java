package io.github.djlresnet.runtime;

import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * What another app needs, beside the parameters, to run a trained model: the architecture, the
 * input it expects and the class names.
 *
 * @param config the architecture (depth, classes, input channels, stem, shortcut)
 * @param imageSize side of the square input images, in pixels
 * @param normalization per-channel mean and std applied after scaling pixels to [0, 1]
 * @param synset class names, index = label
 */
public record ModelSpec(
        ResNetConfig config, int imageSize, Normalization normalization, List<String> synset) {

    public ModelSpec {
        synset = List.copyOf(synset);
        if (synset.size() != config.classes()) {
            throw new InvalidInputException(
                    "synset has " + synset.size() + " names for " + config.classes() + " classes");
        }
    }

    /**
     * Writes the spec as a properties file (durably), so that a run's model can be rebuilt without
     * its dataset; {@code dataset} names what it is trained on, for the model card.
     */
    public void save(Path file, String dataset) throws IOException {
        Properties p = new Properties();
        p.setProperty("dataset", dataset);
        p.setProperty("depth", String.valueOf(config.depth()));
        p.setProperty("classes", String.valueOf(config.classes()));
        p.setProperty("inputChannels", String.valueOf(config.inputChannels()));
        p.setProperty("stem", config.stem().toString());
        p.setProperty("shortcut", config.shortcut().name());
        p.setProperty("imageSize", String.valueOf(imageSize));
        p.setProperty("mean", floats(normalization.mean()));
        p.setProperty("std", floats(normalization.std()));
        for (int i = 0; i < synset.size(); i++) {
            p.setProperty("class." + i, synset.get(i));
        }
        DurableFiles.write(file, out -> p.store(out, "djl-resnet model spec"));
    }

    /** Reads a spec written by {@link #save}; a missing or damaged file is a one-line error. */
    public static ModelSpec load(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            int classes = Integer.parseInt(p.getProperty("classes"));
            ResNetConfig config = new ResNetConfig(Integer.parseInt(p.getProperty("depth")), classes,
                    Integer.parseInt(p.getProperty("inputChannels")), Stem.parse(p.getProperty("stem")),
                    Shortcut.parse(p.getProperty("shortcut")));
            List<String> synset = new ArrayList<>();
            for (int i = 0; i < classes; i++) {
                synset.add(Objects.requireNonNull(p.getProperty("class." + i), "class." + i));
            }
            return new ModelSpec(config, Integer.parseInt(p.getProperty("imageSize")),
                    new Normalization(parseFloats(p.getProperty("mean")), parseFloats(p.getProperty("std"))),
                    synset);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + " does not exist");
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(file + " is not a readable model spec: " + e.getMessage());
        }
    }

    /** The dataset name a spec file records ("unknown" if none). */
    public static String dataset(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            return p.getProperty("dataset", "unknown");
        } catch (IOException e) {
            throw new InvalidInputException(file + " is not a readable model spec: " + e.getMessage());
        }
    }

    private static String floats(float[] values) {
        StringBuilder sb = new StringBuilder();
        for (float v : values) {
            sb.append(sb.length() == 0 ? "" : ",").append(v);
        }
        return sb.toString();
    }

    private static float[] parseFloats(String text) {
        String[] parts = text.split(",");
        float[] values = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = Float.parseFloat(parts[i].trim());
        }
        return values;
    }
}
