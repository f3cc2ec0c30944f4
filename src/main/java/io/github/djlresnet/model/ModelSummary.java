package io.github.djlresnet.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's table for one input shape: each part's output shape, the (n+2p-f)/s+1 arithmetic that
 * gives its side, and its trainable parameter count.
 */
public final class ModelSummary {

    /** One row: a top-level part of the network. */
    public record Row(String part, String arithmetic, Shape output, long parameters) {}

    private final ResNetConfig config;
    private final Shape input;
    private final List<Row> rows;

    private ModelSummary(ResNetConfig config, Shape input, List<Row> rows) {
        this.config = config;
        this.input = input;
        this.rows = rows;
    }

    /**
     * Builds the network, initializes it for {@code (1, c, h, w)} and reads each part's shape and
     * parameters.
     */
    public static ModelSummary of(ResNetConfig config, int height, int width) {
        config.checkInputSize(height, width);
        Shape input = new Shape(1, config.inputChannels(), height, width);
        SequentialBlock net = ResNet.build(config);
        List<Row> rows = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            net.initialize(manager, DataType.FLOAT32, input);
            Shape shape = input;
            int index = 0;
            for (Pair<String, Block> child : net.getChildren()) {
                Block part = child.getValue();
                String arithmetic = arithmetic(config, index, shape);
                shape = part.getOutputShapes(new Shape[] {shape})[0];
                rows.add(new Row(ResNet.PARTS[index], arithmetic, shape, trainableParameters(part)));
                index++;
            }
        }
        return new ModelSummary(config, input, rows);
    }

    /** Parameters that training updates (BN running mean/var excluded, as torchvision counts). */
    public static long trainableParameters(Block block) {
        long total = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().requiresGradient()) {
                total += p.getValue().getArray().size();
            }
        }
        return total;
    }

    public List<Row> rows() {
        return rows;
    }

    public long totalParameters() {
        return rows.stream().mapToLong(Row::parameters).sum();
    }

    /** The side arithmetic of part {@code index} for an input of {@code shape}. */
    private static String arithmetic(ResNetConfig config, int index, Shape shape) {
        long n = shape.get(shape.dimension() - 1);
        if (index == 0) {
            if (config.stem() == Stem.SMALL) {
                return side(n, 1, 3, 1) + " (conv 3x3/1)";
            }
            long conv = out(n, 3, 7, 2);
            return side(n, 3, 7, 2) + " (conv 7x7/2), " + side(conv, 1, 3, 2) + " (max pool 3x3/2)";
        }
        if (index == 1) {
            return side(n, 1, 3, 1) + " (3x3/1)";
        }
        if (index <= 4) {
            return side(n, 1, 3, 2) + " (3x3/2, first block)";
        }
        return "global average pool, fc " + config.classes();
    }

    private static long out(long n, int p, int f, int s) {
        return (n + 2L * p - f) / s + 1;
    }

    private static String side(long n, int p, int f, int s) {
        return "(" + n + "+2*" + p + "-" + f + ")/" + s + "+1=" + out(n, p, f, s);
    }

    /** A printable table. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        "ResNet-%d, %s stem, shortcut %s, input %s, %d classes%n",
                        config.depth(), config.stem(), config.shortcut(), input, config.classes()));
        sb.append(String.format("%-7s %-22s %14s  %s%n", "part", "output", "parameters", "side"));
        for (Row r : rows) {
            sb.append(
                    String.format(
                            "%-7s %-22s %,14d  %s%n",
                            r.part(), r.output(), r.parameters(), r.arithmetic()));
        }
        sb.append(String.format("%-7s %-22s %,14d%n", "total", "", totalParameters()));
        return sb.toString();
    }
}
