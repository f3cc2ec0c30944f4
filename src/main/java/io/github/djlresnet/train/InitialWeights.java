package io.github.djlresnet.train;

import io.github.djlresnet.model.InvalidInputException;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.TorchvisionNames;
import io.github.djlresnet.runtime.TorchWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code train --init}: starts a run from earlier weights (a torchvision-named safetensors file or a
 * model folder) and {@code --freeze K} keeps the stem and the first K stages fixed.
 *
 * <p>Every tensor whose torchvision name and shape match is loaded. Where they do not, the run's own
 * initialization stays: a head for another class count, the small stem (3x3) from ImageNet-stem
 * (7x7) weights, and then the stem's BatchNorm too, since its statistics describe the other
 * convolution, and the head whenever the source names other classes (its synset.txt). One exception, as timm's {@code adapt_input_conv}: a 1-channel run given RGB stem
 * weights gets them summed over the three channels (a gray image is R = G = B, so the summed filter
 * responds to it as the RGB one did).
 *
 * <p>The plan is made from shapes alone, before the run folder exists, so that a bad file is bad
 * input with nothing written; {@link #apply} then copies the values.
 */
public final class InitialWeights {

    private static final int LISTED = 4;
    private static final int HEAD = 5;

    private final TorchWeights source;
    private final List<TorchvisionNames.Tensor> loaded;
    private final List<TorchvisionNames.Tensor> fresh;
    private final boolean adaptStem;
    private final Set<String> unused;
    private final boolean otherClasses;

    private InitialWeights(TorchWeights source, List<TorchvisionNames.Tensor> loaded,
            List<TorchvisionNames.Tensor> fresh, boolean adaptStem, Set<String> unused, boolean otherClasses) {
        this.source = source;
        this.loaded = loaded;
        this.fresh = fresh;
        this.adaptStem = adaptStem;
        this.unused = unused;
        this.otherClasses = otherClasses;
    }

    /**
     * Reads {@code path}'s names and shapes and decides what loads into a ResNet of {@code config}
     * whose classes are {@code classNames}. A head of the same shape loads only when the source's
     * class names are unknown or the same: a head for other classes would start the run from
     * confidently wrong answers.
     */
    public static InitialWeights plan(Path path, ResNetConfig config, List<String> classNames) {
        TorchWeights source = TorchWeights.open(path);
        boolean otherClasses = source.classNames() != null && !source.classNames().equals(classNames);
        List<TorchvisionNames.Tensor> loaded = new ArrayList<>();
        List<TorchvisionNames.Tensor> fresh = new ArrayList<>();
        Set<String> unused = new LinkedHashSet<>(source.shapes().keySet());
        boolean adaptStem = false;
        boolean stemConvLoaded = false;
        for (TorchvisionNames.Tensor t : TorchvisionNames.of(config)) {
            long[] shape = source.shapes().get(t.torchName());
            boolean matches = shape != null && Arrays.equals(shape, t.shape());
            if (t.torchName().equals("conv1.weight") && !matches && shape != null && isRgbStemFor(shape, t.shape())) {
                adaptStem = true;
                matches = true;
            }
            if (t.torchName().equals("conv1.weight")) {
                stemConvLoaded = matches;
            } else if (t.torchName().startsWith("bn1.") && !stemConvLoaded) {
                matches = false; // statistics of a convolution that starts fresh
            } else if (t.part() == HEAD && otherClasses) {
                matches = false;
            }
            if (matches && !source.isFloat(t.torchName())) {
                throw new InvalidInputException("--init " + path + ": tensor " + t.torchName() + " is "
                        + source.dtypes().get(t.torchName()) + "; supported: F32, F16, BF16, F64");
            }
            (matches ? loaded : fresh).add(t);
            if (matches) {
                unused.remove(t.torchName());
            }
        }
        if (loaded.stream().noneMatch(t -> t.part() >= 1 && t.part() <= 4)) {
            throw new InvalidInputException("--init " + path + ": no residual-stage tensor matches "
                    + describe(config) + " by torchvision name and shape (tensors such as "
                    + source.shapes().keySet().stream().limit(3).collect(Collectors.joining(", "))
                    + "); expected torchvision ResNet-18/34 names like layer1.0.conv1.weight");
        }
        return new InitialWeights(source, loaded, fresh, adaptStem, unused, otherClasses);
    }

    /** A [64, 3, k, k] stem for a [64, 1, k, k] one. */
    private static boolean isRgbStemFor(long[] source, long[] target) {
        return source.length == 4 && target[1] == 1 && source[1] == 3 && source[0] == target[0]
                && source[2] == target[2] && source[3] == target[3];
    }

    /** Copies the planned values into {@code block} (initialized, of the planned config). */
    public void apply(Block block) {
        ParameterList params = block.getParameters();
        for (TorchvisionNames.Tensor t : loaded) {
            float[] values = source.floats(t.torchName());
            if (adaptStem && t.torchName().equals("conv1.weight")) {
                values = sumOverChannels(values, t.shape());
            }
            params.get(t.djlPath()).getArray().set(values);
        }
    }

    /** [out, 3, k, k] to [out, 1, k, k] by summing the input channels. */
    static float[] sumOverChannels(float[] rgb, long[] target) {
        int out = (int) target[0];
        int kk = (int) (target[2] * target[3]);
        float[] gray = new float[out * kk];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < kk; i++) {
                    gray[o * kk + i] += rgb[(o * 3 + c) * kk + i];
                }
            }
        }
        return gray;
    }

    /** What the log says: what was loaded, adapted and new, and what the source had that went unused. */
    public List<String> report() {
        List<String> lines = new ArrayList<>();
        lines.add("init from " + source.origin() + ": loaded " + loaded.size() + " of " + (loaded.size() + fresh.size())
                + " tensors" + (adaptStem ? " (conv1.weight: RGB filters summed over channels for 1-channel input)" : ""));
        if (!fresh.isEmpty()) {
            lines.add("new (this run's own initialization): " + fresh.size() + " tensors: " + list(fresh.stream()
                    .map(t -> t.torchName() + " " + t.shapeText()).toList())
                    + (otherClasses ? " (the head: the source's classes are others, "
                            + list(source.classNames()) + ")" : ""));
        }
        if (!unused.isEmpty()) {
            lines.add("not used from " + source.origin() + ": " + unused.size() + " tensors: " + list(unused.stream()
                    .map(n -> n + " " + Arrays.toString(source.shapes().get(n))).toList()));
        }
        return lines;
    }

    /**
     * Freezes the stem and the first {@code stages} stages: their weights, BatchNorm scales and
     * shifts get no gradient, so the app's optimizers (which step parameters that require one)
     * leave them as they are. Their BatchNorm running statistics still follow the new data, as in
     * torchvision's usual fine-tuning in train mode.
     *
     * @return the number of parameters frozen
     */
    public static int freeze(Block block, ResNetConfig config, int stages) {
        if (stages <= 0) {
            return 0;
        }
        ParameterList params = block.getParameters();
        int frozen = 0;
        for (TorchvisionNames.Tensor t : TorchvisionNames.of(config)) {
            Parameter p = params.get(t.djlPath());
            if (t.part() <= stages && p.requiresGradient()) {
                p.freeze(true);
                frozen++;
            }
        }
        return frozen;
    }

    private static String describe(ResNetConfig c) {
        return "ResNet-" + c.depth() + " (" + c.classes() + " classes, " + c.inputChannels() + " channel(s), "
                + c.stem() + " stem)";
    }

    private static String list(List<String> items) {
        return items.stream().limit(LISTED).collect(Collectors.joining(", ")) + (items.size() > LISTED ? ", ..." : "");
    }
}
