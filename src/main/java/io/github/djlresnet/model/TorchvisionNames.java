package io.github.djlresnet.model;

import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Names the parameters of a {@link ResNet} as torchvision's {@code resnet18}/{@code resnet34}
 * state dict does ({@code conv1.weight}, {@code bn1.running_mean}, {@code layer2.0.downsample.0.weight},
 * {@code fc.bias}, ...), next to their paths in the DJL block and their shapes.
 *
 * <p>Both lists come in the same order (stem, stages, head; in each BatchNorm weight, bias, running
 * mean, running variance), so the names are paired by position and each pair's DJL parameter type
 * is checked against the torch name. Shortcut B is torchvision's layout; C names its extra
 * projections {@code downsample} too, and A has none, so their names are useful for loading
 * matching tensors but neither exports to a torchvision model ({@link #requireTorchvision}).
 */
public final class TorchvisionNames {

    /**
     * One parameter.
     *
     * @param torchName torchvision's state-dict key
     * @param djlPath the key in the DJL block's {@code getParameters()}
     * @param shape its shape (the same in both: DJL's Linear weight is (out, in) as torch's)
     */
    public record Tensor(String torchName, String djlPath, long[] shape) {

        /** Index into {@link ResNet#PARTS}: 0 stem, 1-4 the stages, 5 the head. */
        public int part() {
            return partOf(torchName);
        }

        public String shapeText() {
            return Arrays.toString(shape);
        }
    }

    private static final String[] BN = {"weight", "bias", "running_mean", "running_var"};

    private TorchvisionNames() {}

    /** Every parameter of {@code ResNet.build(config)}, in the block's order, with torchvision's name. */
    public static List<Tensor> of(ResNetConfig config) {
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        int stemKernel = config.stem() == Stem.IMAGENET ? 7 : 3;
        conv(names, shapes, "conv1", 64, config.inputChannels(), stemKernel);
        bn(names, shapes, "bn1", 64);
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int out = ResNetConfig.WIDTHS.get(stage);
            for (int i = 0; i < config.blocksPerStage().get(stage); i++) {
                String block = "layer" + (stage + 1) + "." + i + ".";
                boolean shapeChanges = in != out; // every stage's first block strides exactly when it widens
                conv(names, shapes, block + "conv1", out, in, 3);
                bn(names, shapes, block + "bn1", out);
                conv(names, shapes, block + "conv2", out, out, 3);
                bn(names, shapes, block + "bn2", out);
                if (config.shortcut().projects(shapeChanges)) {
                    conv(names, shapes, block + "downsample.0", out, in, 1);
                    bn(names, shapes, block + "downsample.1", out);
                }
                in = out;
            }
        }
        names.add("fc.weight");
        shapes.add(new long[] {config.classes(), in});
        names.add("fc.bias");
        shapes.add(new long[] {config.classes()});

        ParameterList djl = ResNet.build(config).getParameters();
        if (djl.size() != names.size()) {
            throw new IllegalStateException("the block has " + djl.size() + " parameters, the torchvision map "
                    + names.size() + ": ResNet and TorchvisionNames disagree");
        }
        List<Tensor> tensors = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            Parameter p = djl.get(i).getValue();
            if (!typeMatches(p.getType(), names.get(i))) {
                throw new IllegalStateException("parameter " + djl.get(i).getKey() + " (" + p.getType()
                        + ") does not pair with " + names.get(i) + ": ResNet and TorchvisionNames disagree");
            }
            tensors.add(new Tensor(names.get(i), djl.get(i).getKey(), shapes.get(i)));
        }
        return List.copyOf(tensors);
    }

    /** Throws, naming the reason, when {@code config} has no torchvision counterpart to load into. */
    public static void requireTorchvision(ResNetConfig config) {
        if (config.shortcut() != Shortcut.B) {
            throw new InvalidInputException("shortcut " + config.shortcut() + " has no torchvision equivalent:"
                    + " torchvision's ResNet uses projection shortcuts only where the shape changes (option B)");
        }
    }

    /** Index into {@link ResNet#PARTS} of a torchvision name: 0 stem, 1-4 the stages, 5 the head, -1 unknown. */
    public static int partOf(String torchName) {
        if (torchName.startsWith("conv1.") || torchName.startsWith("bn1.")) {
            return 0;
        }
        if (torchName.startsWith("layer") && torchName.length() > 6 && torchName.charAt(6) == '.') {
            int stage = torchName.charAt(5) - '0';
            return stage >= 1 && stage <= 4 ? stage : -1;
        }
        return torchName.startsWith("fc.") ? 5 : -1;
    }

    private static void conv(List<String> names, List<long[]> shapes, String prefix, int out, int in, int k) {
        names.add(prefix + ".weight");
        shapes.add(new long[] {out, in, k, k});
    }

    private static void bn(List<String> names, List<long[]> shapes, String prefix, int channels) {
        for (String suffix : BN) {
            names.add(prefix + "." + suffix);
            shapes.add(new long[] {channels});
        }
    }

    private static boolean typeMatches(Parameter.Type type, String torchName) {
        boolean bn = torchName.contains(".bn") || torchName.startsWith("bn") || torchName.contains("downsample.1.");
        if (torchName.endsWith(".running_mean")) {
            return type == Parameter.Type.RUNNING_MEAN;
        }
        if (torchName.endsWith(".running_var")) {
            return type == Parameter.Type.RUNNING_VAR;
        }
        if (torchName.endsWith(".bias")) {
            return type == (bn ? Parameter.Type.BETA : Parameter.Type.BIAS);
        }
        return type == (bn ? Parameter.Type.GAMMA : Parameter.Type.WEIGHT);
    }
}
