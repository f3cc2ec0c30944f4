package io.github.djlresnet.serving;

import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.model.BatchNormFolding;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.runtime.TorchScriptFeaturesKernel;
import java.io.EOFException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads an exported model folder, or a zip of one, through DJL's {@link Criteria} exactly as
 * another DJL app would, after checking the folder so that a broken model gives a one-line
 * message naming the file at fault instead of DJL's exception chain. Every failure is an
 * {@link IllegalArgumentException} (the CLI prints its message and exits with code 2). The loaded
 * network is then swapped for its inference form: BatchNorm folded into the convolutions, the
 * stem and stages in one TorchScript call (NCHW or channels-last).
 */
public final class ModelLoader {

    private ModelLoader() {}

    /** Images in, class probabilities out (DJL's image-classification translator). */
    public static ZooModel<Image, Classifications> classifier(Path model) {
        return classifier(model, false);
    }

    /** As {@link #classifier(Path)}, with channels-last convolutions if asked ({@link #logits(Path, boolean)}). */
    public static ZooModel<Image, Classifications> classifier(Path model, boolean channelsLast) {
        return load(model, Image.class, Classifications.class, channelsLast);
    }

    /** Float tensors (N, C, H, W) with pixels in [0, 1] in, logits (N, classes) out. */
    public static ZooModel<NDList, NDList> logits(Path model) {
        return logits(model, false);
    }

    /**
     * As {@link #logits(Path)}; with {@code channelsLast}, the convolutions run on channels-last
     * tensors inside LibTorch (fp32), the same outputs within float rounding.
     */
    public static ZooModel<NDList, NDList> logits(Path model, boolean channelsLast) {
        return load(model, NDList.class, NDList.class, channelsLast);
    }

    /** What the folder says about the model, checked; fails like the loaders do. */
    public static ServingArguments inspect(Path folder) {
        return check(folder).arguments();
    }

    private static <I, O> ZooModel<I, O> load(Path model, Class<I> input, Class<O> output, boolean channelsLast) {
        if (!Files.exists(model)) {
            throw new InvalidInputException("model " + model + " does not exist");
        }
        if (Files.isDirectory(model)) {
            return loadFolder(nested(model), input, output, channelsLast);
        }
        if (!ModelArchive.isZip(model)) {
            throw new InvalidInputException(model + " is neither a model folder nor a .zip of one");
        }
        Path dir = ModelArchive.extract(model);
        try {
            ZooModel<I, O> loaded = loadFolder(nested(dir), input, output, channelsLast);
            // the translator reads synset.txt on first use, so the files live as long as the model
            return new ZooModel<>(loaded.getWrappedModel(), loaded.getTranslator()) {
                @Override
                public void close() {
                    try {
                        super.close();
                    } finally {
                        ModelExporter.deleteQuietly(dir);
                    }
                }
            };
        } catch (RuntimeException e) {
            ModelExporter.deleteQuietly(dir);
            throw e;
        }
    }

    /** What a checked folder holds. */
    private record Checked(ServingArguments arguments, Path params, boolean headerHasArchitecture) {}

    private static <I, O> ZooModel<I, O> loadFolder(Path folder, Class<I> input, Class<O> output,
            boolean channelsLast) {
        Checked checked = check(folder);
        ResNetConfig config = checked.arguments().config();
        Criteria.Builder<I, O> builder = Criteria.builder().setTypes(input, output).optModelPath(folder).optEngine("PyTorch");
        Criteria<I, O> criteria = builder.build();
        ZooModel<I, O> model;
        try {
            model = criteria.loadModel();
        } catch (MalformedModelException | EOFException e) {
            throw broken(checked, e);
        } catch (ModelNotFoundException e) {
            throw new InvalidInputException("DJL finds no loadable model in " + folder + ": " + firstLine(e), e);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read the model in " + folder + ": " + firstLine(e), e);
        } catch (EngineException e) {
            throw broken(checked, e);
        } catch (IllegalArgumentException e) {
            if (String.valueOf(e.getMessage()).startsWith("Failed to load BlockFactory")) {
                throw new InvalidInputException(
                        "cannot load " + ResNetBlockFactory.class.getName() + " (from the class path or "
                                + ModelFolder.JAR + " in " + folder + ")", e);
            }
            throw broken(checked, e);
        } catch (RuntimeException e) {
            throw broken(checked, e);
        }
        Block block = model.getBlock();
        Block net = block instanceof NormalizedBlock n ? n.net() : block;
        String mismatch = net == null ? "no block" : ArchitectureCheck.mismatch(net, config, checked.arguments().width());
        if (mismatch != null) {
            model.close();
            throw new InvalidInputException(
                    "model parameters in " + checked.params() + " do not match the architecture in "
                            + ModelFolder.SERVING_PROPERTIES + ", " + ArchitectureCheck.describe(config) + ": " + mismatch);
        }
        if (block instanceof NormalizedBlock loaded) {
            foldBatchNorm(model, loaded, checked.arguments(), channelsLast);
        }
        return model;
    }

    /**
     * Swaps the loaded network for its inference form, BatchNorm folded into the convolutions
     * ({@link BatchNormFolding}) and the stem and stages run as one {@link TorchScriptFeaturesKernel}
     * call (in-place ReLUs and additions), channels-last for maps of 7 px or more and NCHW below on AVX-512 CPUs (throughout on AVX2-only CPUs, or if asked): the same logits up
     * to float rounding, faster than DJL's layers one by one (bench/RESULTS.md).
     */
    private static void foldBatchNorm(ZooModel<?, ?> model, NormalizedBlock loaded, ServingArguments args,
            boolean channelsLast) {
        ResNetConfig config = args.config();
        Block folded = ResNet.buildFolded(config, Precision.FP32.inferenceKernel(channelsLast));
        Shape inputShape = new Shape(1, config.inputChannels(), args.height(), args.width());
        BatchNormFolding.fold(loaded.net(), folded, model.getNDManager(), inputShape);
        model.setBlock(new NormalizedBlock(folded, args.mean(), args.std()));
    }

    /** Checks the folder's files before DJL sees them. */
    private static Checked check(Path folder) {
        Path propsFile = folder.resolve(ModelFolder.SERVING_PROPERTIES);
        if (!Files.isRegularFile(propsFile)) {
            throw new InvalidInputException(
                    folder + " has no " + ModelFolder.SERVING_PROPERTIES + ": not an exported model folder");
        }
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(propsFile, StandardCharsets.ISO_8859_1)) {
            props.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidInputException("cannot read " + propsFile + ": " + e.getMessage(), e);
        }
        Map<String, String> args = new HashMap<>();
        props.stringPropertyNames().forEach(k -> args.put(k, props.getProperty(k)));
        ServingArguments arguments;
        try {
            arguments = ServingArguments.parse(args);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(propsFile + ": " + e.getMessage(), e);
        }
        ResNetConfig config = arguments.config();
        checkSynset(folder, config);

        Path params = paramsFile(folder, args);
        ParamsHeader header;
        try {
            header = ParamsHeader.read(params);
        } catch (IOException e) {
            throw corrupt(params, e instanceof EOFException ? "ends inside the header" : e.getMessage());
        }
        String sha = args.get(ModelFolder.PARAMS_SHA256);
        Map<String, String> saved = architectureInHeader(header);
        if (!saved.isEmpty()) {
            Map<String, String> expected = ModelExporter.architectureProperties(config);
            if (!saved.equals(expected)) {
                throw new InvalidInputException(
                        "model parameters in " + params + " were saved for " + describeSaved(saved)
                                + " and do not match " + ModelFolder.SERVING_PROPERTIES + ", which describes "
                                + ArchitectureCheck.describe(config));
            }
        }
        if (sha != null) {
            String actual;
            try {
                actual = ModelExporter.sha256(params);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read " + params + ": " + e.getMessage(), e);
            }
            if (!actual.equalsIgnoreCase(sha.trim())) {
                throw corrupt(params, "SHA-256 differs from the one in " + ModelFolder.SERVING_PROPERTIES);
            }
        }
        return new Checked(arguments, params, !saved.isEmpty());
    }

    private static void checkSynset(Path folder, ResNetConfig config) {
        Path synset = folder.resolve(ModelFolder.SYNSET);
        if (!Files.isRegularFile(synset)) {
            throw new InvalidInputException(
                    folder + " has no " + ModelFolder.SYNSET + " (the class names, one per line)");
        }
        List<String> names;
        try {
            names = Files.readAllLines(synset, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + synset + ": " + e.getMessage(), e);
        }
        // DJL keeps every line; a trailing empty line would become an extra class
        if (names.size() != config.classes()) {
            throw new InvalidInputException(
                    synset + " has " + names.size() + " lines but " + ModelFolder.SERVING_PROPERTIES
                            + " says classes=" + config.classes());
        }
    }

    /** The params file DJL will read: {@code <modelName>-<epoch>.params}, epoch pinned or latest. */
    private static Path paramsFile(Path folder, Map<String, String> args) {
        String name = args.getOrDefault("option.modelName", folder.getFileName().toString());
        String epoch = args.get("option.epoch");
        if (epoch != null) {
            Path p;
            try {
                p = folder.resolve(ModelFolder.paramsFile(name, Integer.parseInt(epoch.trim())));
            } catch (NumberFormatException e) {
                throw new InvalidInputException(
                        folder.resolve(ModelFolder.SERVING_PROPERTIES) + ": option.epoch must be an integer, got '" + epoch + "'");
            }
            if (!Files.isRegularFile(p)) {
                throw new InvalidInputException(folder + " has no " + p.getFileName() + " (the model parameters)");
            }
            return p;
        }
        Pattern pattern = Pattern.compile(Pattern.quote(name) + "-(\\d{4})\\.params");
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> pattern.matcher(f.getFileName().toString()).matches())
                    .max((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .orElseThrow(() -> new InvalidInputException(
                            folder + " has no " + name + "-NNNN.params file (the model parameters)"));
        } catch (IOException e) {
            throw new InvalidInputException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> architectureInHeader(ParamsHeader header) {
        Map<String, String> saved = new HashMap<>();
        header.properties().forEach((k, v) -> {
            if (k.startsWith(ModelFolder.PARAMS_PROPERTY_PREFIX)) {
                saved.put(k, v);
            }
        });
        return saved;
    }

    /** The saved architecture in the words of {@link ArchitectureCheck#describe}. */
    private static String describeSaved(Map<String, String> saved) {
        String p = ModelFolder.PARAMS_PROPERTY_PREFIX;
        String channels = saved.get(p + ServingArguments.INPUT_CHANNELS);
        return "ResNet-" + saved.get(p + ServingArguments.DEPTH) + " (" + saved.get(p + ServingArguments.CLASSES)
                + " classes, " + channels + " input channel" + ("1".equals(channels) ? "" : "s") + ", "
                + saved.get(p + ServingArguments.STEM) + " stem, shortcut " + saved.get(p + ServingArguments.SHORTCUT)
                + ")";
    }

    private static InvalidInputException broken(Checked checked, Exception e) {
        if (checked.headerHasArchitecture()) {
            return corrupt(checked.params(), firstLine(e));
        }
        return new InvalidInputException(
                "model parameters in " + checked.params() + " are corrupt or truncated, or do not match the"
                        + " architecture in " + ModelFolder.SERVING_PROPERTIES + ", "
                        + ArchitectureCheck.describe(checked.arguments().config()) + " (" + firstLine(e) + ")",
                e);
    }

    private static InvalidInputException corrupt(Path params, String detail) {
        return new InvalidInputException("model parameters in " + params + " are corrupt or truncated (" + detail + ")");
    }

    /** A folder holding exactly one folder is that folder (DJL's rule, e.g. for zips of a folder). */
    private static Path nested(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> visible = s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
            if (visible.size() == 1 && Files.isDirectory(visible.get(0))) {
                return visible.get(0);
            }
            return dir;
        } catch (IOException e) {
            throw new InvalidInputException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof EOFException) {
            m = "ends early";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
