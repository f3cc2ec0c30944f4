package io.github.djlresnet.serving;

import ai.djl.Model;
import ai.djl.nn.Block;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.runtime.DurableFiles;
import io.github.djlresnet.runtime.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a trained model as a DJL model folder that other DJL apps and DJL Serving can load:
 *
 * <pre>
 *   &lt;name&gt;-NNNN.params    parameters (DJL Model.save)
 *   synset.txt             class names
 *   serving.properties     engine, block factory, translator and architecture arguments
 *   README.md              model card
 *   djl-resnet-model.jar   the block factory and model classes
 * </pre>
 *
 * Everything is written into a hidden folder next to the target and moved into place at the end,
 * so a failed export leaves no half-written model and an existing model is only replaced when
 * asked to.
 */
public final class ModelExporter {

    private ModelExporter() {}

    /** Exports without replacing an existing model; see {@link #export(Model, ModelSpec, Path, String, int, ModelCard, boolean)}. */
    public static Path export(Model model, ModelSpec spec, Path dir, String name, int epoch, ModelCard card) {
        return export(model, spec, dir, name, epoch, card, false);
    }

    /**
     * Exports {@code model}'s block (a ResNet built from {@code spec.config()}, initialized or
     * trained) into {@code dir}. The model itself is not changed.
     *
     * @param name model name: the params file is {@code <name>-<epoch>.params}
     * @param epoch the epoch number in the params file name (0..9999)
     * @param overwrite replace {@code dir} when it exists and is not empty
     * @return the folder written (absolute)
     * @throws IllegalArgumentException for bad arguments or an existing model without {@code overwrite}
     * @throws UncheckedIOException when writing fails (nothing is left behind, {@code dir} unchanged)
     */
    public static Path export(
            Model model, ModelSpec spec, Path dir, String name, int epoch, ModelCard card, boolean overwrite) {
        return export(model.getBlock(), spec, dir, name, epoch, card, overwrite);
    }

    /** The same for a bare block (e.g. one filled from a training checkpoint). */
    public static Path export(
            Block block, ModelSpec spec, Path dir, String name, int epoch, ModelCard card, boolean overwrite) {
        Path target = dir.toAbsolutePath().normalize();
        check(block, spec, name, epoch, card);
        checkTarget(target, overwrite);
        return writeAndPlace(block, spec, name, epoch, card, target, target.getParent(),
                "." + target.getFileName() + ".partial-", tmp -> moveIntoPlace(tmp, target));
    }

    /**
     * Exports into a folder that also holds other files, such as a training run with its
     * checkpoints and metrics: the model's files are written aside, then moved in one by one,
     * replacing those of an earlier export (an older {@code <name>-NNNN.params} is removed) and
     * leaving every other file alone.
     */
    public static Path exportInto(
            Block block, ModelSpec spec, Path dir, String name, int epoch, ModelCard card) {
        Path target = dir.toAbsolutePath().normalize();
        check(block, spec, name, epoch, card);
        return writeAndPlace(block, spec, name, epoch, card, target, target, ".export-",
                tmp -> mergeInto(tmp, target, name, epoch));
    }

    /** How a finished temp folder takes its place. */
    private interface Placement {
        void place(Path tmp) throws IOException;
    }

    /** Writes the model into a temp folder under {@code tmpParent}, then places it. */
    private static Path writeAndPlace(Block block, ModelSpec spec, String name, int epoch,
            ModelCard card, Path target, Path tmpParent, String tmpPrefix, Placement placement) {
        Path tmp = null;
        try {
            Files.createDirectories(tmpParent);
            tmp = Files.createTempDirectory(tmpParent, tmpPrefix);
            writeFolder(tmp, block, spec, name, epoch, card);
            // the files' content must be on disk before a rename makes them the model
            DurableFiles.syncTree(tmp);
            placement.place(tmp);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export the model to " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null && Files.exists(tmp)) {
                deleteQuietly(tmp);
            }
        }
    }

    /**
     * Moves the model's files into a folder that holds other files too, so that the folder holds a
     * loadable model at every moment: the new params file first (its name has the new epoch, so the
     * old one stays), serving.properties, which names the params file, last; the old params go
     * only after that.
     */
    private static void mergeInto(Path tmp, Path target, String name, int epoch) throws IOException {
        String params = ModelFolder.paramsFile(name, epoch);
        List<String> order = new ArrayList<>();
        try (Stream<Path> files = Files.list(tmp)) {
            files.map(f -> f.getFileName().toString()).sorted().forEach(order::add);
        }
        order.remove(params);
        order.remove(ModelFolder.SERVING_PROPERTIES);
        order.add(0, params);
        order.add(ModelFolder.SERVING_PROPERTIES);
        for (String file : order) {
            Files.move(tmp.resolve(file), target.resolve(file),
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        DurableFiles.syncFolder(target);
        try (Stream<Path> old = Files.list(target)) {
            for (Path p : old.toList()) {
                String file = p.getFileName().toString();
                if (!file.equals(params) && file.matches(Pattern.quote(name) + "-\\d{4}\\.params")) {
                    Files.delete(p);
                }
            }
        }
        DurableFiles.syncFolder(target);
    }

    private static void check(Block block, ModelSpec spec, String name, int epoch, ModelCard card) {
        if (spec == null || card == null) {
            throw new InvalidInputException("export needs the model spec and the model card");
        }
        if (name == null || !ModelFolder.NAME.matcher(name).matches()) {
            throw new InvalidInputException(
                    "model name must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got '"
                            + name + "'");
        }
        if (epoch < 0 || epoch > 9999) {
            throw new InvalidInputException("epoch must be in 0..9999, got " + epoch);
        }
        ResNetConfig config = spec.config();
        if (spec.normalization().channels() != config.inputChannels()) {
            throw new InvalidInputException(
                    "normalization has " + spec.normalization().channels() + " channels, the model "
                            + config.inputChannels());
        }
        config.checkInputSize(spec.imageSize(), spec.imageSize());
        for (String label : spec.synset()) {
            if (label.isBlank() || label.contains("\n") || label.contains("\r")) {
                throw new InvalidInputException("class names must be non-blank single lines, got '" + label + "'");
            }
        }
        if (block == null || !block.isInitialized()) {
            throw new InvalidInputException("the model has no initialized block to export");
        }
        String mismatch = ArchitectureCheck.mismatch(block, config, spec.imageSize());
        if (mismatch != null) {
            throw new InvalidInputException(
                    "the model's block does not match the spec, " + ArchitectureCheck.describe(config) + ": " + mismatch);
        }
    }

    private static void checkTarget(Path target, boolean overwrite) {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new InvalidInputException(target + " exists and is not a folder");
        }
        if (!overwrite && !isEmptyOrMissing(target)) {
            throw new InvalidInputException(
                    "model folder " + target + " already exists and is not empty; choose another"
                            + " folder or pass overwrite to replace it");
        }
    }

    private static void writeFolder(Path tmp, Block block, ModelSpec spec, String name, int epoch, ModelCard card)
            throws IOException {
        String paramsFile = ModelFolder.paramsFile(name, epoch);
        saveParameters(tmp, block, spec.config(), name, epoch);
        String sha = sha256(tmp.resolve(paramsFile));
        Files.writeString(tmp.resolve(ModelFolder.SYNSET), String.join("\n", spec.synset()) + "\n",
                StandardCharsets.UTF_8);
        Map<String, String> props = ServingProperties.of(spec, name, epoch, sha);
        Files.writeString(tmp.resolve(ModelFolder.SERVING_PROPERTIES),
                ServingProperties.text(props, spec.config(), card.weights()), StandardCharsets.ISO_8859_1);
        Files.writeString(tmp.resolve(ModelFolder.README), ModelReadme.text(spec, card, paramsFile, sha),
                StandardCharsets.UTF_8);
        ModelJar.write(tmp.resolve(ModelFolder.JAR));
    }

    /**
     * Saves through a model of our own so that the caller's model is left as it was: the params
     * file carries only the epoch and the architecture (which the loader checks before DJL reads
     * the arrays). The arrays stay owned by the caller's model.
     */
    private static void saveParameters(Path dir, Block block, ResNetConfig config, String name, int epoch)
            throws IOException {
        String engine = block.getParameters().get(0).getValue().getArray().getManager().getEngine().getEngineName();
        try (Model saver = Model.newInstance(name, engine)) {
            saver.setBlock(block);
            saver.setProperty("Epoch", String.valueOf(epoch));
            for (Map.Entry<String, String> e : architectureProperties(config).entrySet()) {
                saver.setProperty(e.getKey(), e.getValue());
            }
            saver.save(dir, name);
        }
    }

    /** The architecture as saved in the params file's header. */
    static Map<String, String> architectureProperties(ResNetConfig c) {
        String p = ModelFolder.PARAMS_PROPERTY_PREFIX;
        return Map.of(
                p + ServingArguments.DEPTH, String.valueOf(c.depth()),
                p + ServingArguments.CLASSES, String.valueOf(c.classes()),
                p + ServingArguments.INPUT_CHANNELS, String.valueOf(c.inputChannels()),
                p + ServingArguments.STEM, c.stem().toString(),
                p + ServingArguments.SHORTCUT, c.shortcut().name());
    }

    /** Swaps the finished folder in; an existing one is set aside and only deleted after the move. */
    static void moveIntoPlace(Path tmp, Path target) throws IOException {
        if (Files.isDirectory(target) && isEmptyOrMissing(target)) {
            Files.delete(target);
        }
        Path parent = target.getParent();
        if (!Files.exists(target)) {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.syncFolder(parent);
            return;
        }
        Path old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
        Files.delete(old);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        DurableFiles.syncFolder(parent);
        deleteQuietly(old);
    }

    static boolean isEmptyOrMissing(Path dir) {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover hidden temp folder is harmless
        }
    }
}
