package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.ParameterList;
import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.model.TorchvisionNames;
import io.github.djlresnet.runtime.ModelSpec;
import io.github.djlresnet.runtime.TorchWeights;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns torchvision-named safetensors weights (torchvision's or timm's ResNet-18/34, or this
 * project's {@code export --format safetensors}) into a model folder, as {@code export} writes one.
 * The architecture comes from the tensors: depth from the blocks per stage, classes from
 * {@code fc.weight}, input channels and stem from {@code conv1.weight}. Every check runs before
 * anything is written; a failure is one {@link IllegalArgumentException} line.
 */
public final class WeightsImport {

    /** Gray images get the average of ImageNet's three means and stds. */
    static final Normalization IMAGENET_GRAY = new Normalization(new float[] {0.449f}, new float[] {0.226f});

    private static final Pattern BLOCK = Pattern.compile("layer([1-4])\\.(\\d+)\\.conv1\\.weight");
    private static final Pattern BOTTLENECK = Pattern.compile("layer\\d\\.\\d+\\.(conv3|bn3)\\..*");
    private static final int LISTED = 3;

    /** What was imported. */
    public record Result(Path dir, ResNetConfig config, int tensors, int imageSize, Normalization normalization) {}

    private WeightsImport() {}

    /**
     * @param weights a safetensors file
     * @param output the model folder to write (must be missing or empty)
     * @param synsetFile class names, one per line; null: ImageNet's for 1000 classes, else class indices
     * @param imageSize input side in pixels; 0: the file's own (written by this project) or 224 (ImageNet stem), 32 (small)
     * @param commandLine for the model card
     */
    public static Result run(Path weights, Path output, Path synsetFile, int imageSize, String commandLine) {
        if (Files.isDirectory(weights)) {
            throw new InvalidInputException(weights + " is a folder; import reads a .safetensors file");
        }
        if (Files.exists(output) && (!Files.isDirectory(output) || !ModelExporter.isEmptyOrMissing(output))) {
            throw new InvalidInputException("model folder " + output + " already exists and is not empty; choose another --output");
        }
        TorchWeights source = TorchWeights.fromSafeTensors(weights);
        ResNetConfig config = inferConfig(source);
        List<TorchvisionNames.Tensor> expected = TorchvisionNames.of(config);
        checkTensors(source, expected, config);
        Map<String, String> meta = source.metadata();
        int size = imageSize > 0 ? imageSize
                : meta.containsKey(SafeTensorsExport.META_IMAGE_SIZE)
                        ? parseInt(meta.get(SafeTensorsExport.META_IMAGE_SIZE), weights)
                        : config.stem() == Stem.IMAGENET ? 224 : 32;
        Normalization normalization = normalization(meta, config.inputChannels(), weights);
        List<String> synset = synset(synsetFile, config.classes());
        ModelSpec spec = new ModelSpec(config, size, normalization, synset);
        config.checkInputSize(size, size);

        String name = output.toAbsolutePath().normalize().getFileName().toString();
        ModelCard card = ModelCard.today("imported from " + weights.getFileName(), Double.NaN, commandLine);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Block net = ResNet.build(config);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, config.inputChannels(), size, size));
            ParameterList params = net.getParameters();
            for (TorchvisionNames.Tensor t : expected) {
                params.get(t.djlPath()).getArray().set(source.floats(t.torchName()));
            }
            Path dir = ModelExporter.export(net, spec, output, name, 0, card, false);
            return new Result(dir, config, expected.size(), size, normalization);
        }
    }

    /** Depth, classes, channels and stem from the tensors' names and shapes. */
    static ResNetConfig inferConfig(TorchWeights source) {
        Map<String, long[]> shapes = source.shapes();
        String file = source.origin();
        List<String> bottleneck = shapes.keySet().stream().filter(n -> BOTTLENECK.matcher(n).matches())
                .limit(LISTED).toList();
        if (!bottleneck.isEmpty()) {
            throw new InvalidInputException(file + " holds Bottleneck ResNet weights (ResNet-50/101/152: "
                    + String.join(", ", bottleneck) + "); only BasicBlock ResNet-18 and ResNet-34 import");
        }
        long[] conv1 = shapes.get("conv1.weight");
        long[] fc = shapes.get("fc.weight");
        if (conv1 == null || fc == null) {
            List<String> sample = shapes.keySet().stream().limit(LISTED).toList();
            throw new InvalidInputException(file + " is not a torchvision ResNet: no "
                    + (conv1 == null ? "conv1.weight" : "fc.weight") + " (its tensors: "
                    + (sample.isEmpty() ? "none" : String.join(", ", sample) + (shapes.size() > LISTED ? ", ..." : ""))
                    + ")");
        }
        if (conv1.length != 4 || conv1[0] != 64 || (conv1[1] != 1 && conv1[1] != 3) || conv1[2] != conv1[3]
                || (conv1[2] != 7 && conv1[2] != 3)) {
            throw new InvalidInputException(file + ": conv1.weight is " + Arrays.toString(conv1)
                    + "; a ResNet-18/34 stem is [64, 1 or 3, 7, 7] (or 3x3 for the small stem)");
        }
        if (fc.length != 2 || fc[0] < 1 || fc[0] > Integer.MAX_VALUE) {
            throw new InvalidInputException(file + ": fc.weight is " + Arrays.toString(fc)
                    + ", expected [classes, 512]");
        }
        int[] blocks = new int[4];
        for (String n : shapes.keySet()) {
            Matcher m = BLOCK.matcher(n);
            if (m.matches()) {
                int stage = Integer.parseInt(m.group(1)) - 1;
                blocks[stage] = Math.max(blocks[stage], Integer.parseInt(m.group(2)) + 1);
            }
        }
        int depth;
        if (Arrays.equals(blocks, new int[] {2, 2, 2, 2})) {
            depth = 18;
        } else if (Arrays.equals(blocks, new int[] {3, 4, 6, 3})) {
            depth = 34;
        } else {
            throw new InvalidInputException(file + " has " + Arrays.stream(blocks).mapToObj(String::valueOf)
                    .collect(Collectors.joining(", ")) + " blocks in layer1-4; ResNet-18 has 2, 2, 2, 2 and"
                    + " ResNet-34 3, 4, 6, 3");
        }
        return new ResNetConfig(depth, (int) fc[0], (int) conv1[1], conv1[2] == 7 ? Stem.IMAGENET : Stem.SMALL,
                Shortcut.B);
    }

    /** Missing, mis-shaped, non-float and unexpected tensors, the first few of each named. */
    static void checkTensors(TorchWeights source, List<TorchvisionNames.Tensor> expected, ResNetConfig config) {
        Map<String, long[]> shapes = source.shapes();
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        List<String> notFloat = new ArrayList<>();
        Set<String> unexpected = new LinkedHashSet<>(shapes.keySet());
        for (TorchvisionNames.Tensor t : expected) {
            unexpected.remove(t.torchName());
            long[] shape = shapes.get(t.torchName());
            if (shape == null) {
                missing.add(t.torchName());
            } else if (!Arrays.equals(shape, t.shape())) {
                misShaped.add(t.torchName() + " is " + Arrays.toString(shape) + " not " + t.shapeText());
            } else if (!source.isFloat(t.torchName())) {
                notFloat.add(t.torchName() + " (" + source.dtypes().get(t.torchName()) + ")");
            }
        }
        String what = source.origin() + " does not fit " + ArchitectureCheck.describe(config) + ": ";
        if (!missing.isEmpty()) {
            throw new InvalidInputException(what + count(missing.size(), "tensor") + " missing: " + first(missing));
        }
        if (!misShaped.isEmpty()) {
            throw new InvalidInputException(what + count(misShaped.size(), "tensor") + " mis-shaped: " + first(misShaped));
        }
        if (!unexpected.isEmpty()) {
            throw new InvalidInputException(what + count(unexpected.size(), "unexpected tensor") + ": "
                    + first(new ArrayList<>(unexpected)));
        }
        if (!notFloat.isEmpty()) {
            throw new InvalidInputException(source.origin() + " has tensors of an unsupported dtype: "
                    + first(notFloat) + "; supported: F32, F16, BF16, F64");
        }
    }

    private static Normalization normalization(Map<String, String> meta, int channels, Path file) {
        String mean = meta.get(SafeTensorsExport.META_MEAN);
        String std = meta.get(SafeTensorsExport.META_STD);
        if (mean != null && std != null) {
            try {
                Normalization n = new Normalization(floats(mean), floats(std));
                if (n.channels() == channels) {
                    return n;
                }
            } catch (RuntimeException e) {
                // fall through: a foreign file's metadata that is not ours
            }
        }
        return channels == 3 ? Normalization.IMAGENET : IMAGENET_GRAY;
    }

    private static float[] floats(String text) {
        String[] parts = text.split("\\s*,\\s*");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Float.parseFloat(parts[i].trim());
        }
        return v;
    }

    /** The class names: the file's, ImageNet's for 1000 classes, else "0".."K-1". */
    static List<String> synset(Path file, int classes) {
        if (file != null) {
            List<String> names;
            try {
                names = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read synset " + file + ": " + e.getMessage());
            }
            // a trailing empty line is the file's end, not a class
            while (!names.isEmpty() && names.get(names.size() - 1).isBlank()) {
                names.remove(names.size() - 1);
            }
            if (names.size() != classes) {
                throw new InvalidInputException("synset " + file + " has " + names.size()
                        + " class names but the weights have " + classes + " classes");
            }
            return names;
        }
        if (classes == 1000) {
            try (InputStream in = WeightsImport.class.getResourceAsStream("/imagenet/classes.txt")) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            } catch (IOException | NullPointerException e) {
                throw new IllegalStateException("the ImageNet class list is missing from the build", e);
            }
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            names.add(String.valueOf(i));
        }
        return names;
    }

    private static int parseInt(String text, Path file) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(file + ": metadata " + SafeTensorsExport.META_IMAGE_SIZE
                    + " is not an integer: '" + text + "'");
        }
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static String first(List<String> items) {
        return items.stream().limit(LISTED).collect(Collectors.joining(", "))
                + (items.size() > LISTED ? ", ..." : "");
    }
}
