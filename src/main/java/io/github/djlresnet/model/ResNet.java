package io.github.djlresnet.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds ResNet-18/34 from BasicBlocks, readable against He et al. 2015, Table 1:
 *
 * <pre>
 *   stem     7x7/2 conv 64, BN, ReLU, 3x3/2 max pool   (or 3x3/1 conv 64 for small images)
 *   stage 1  [3x3 64,  3x3 64 ]  x 2 (18) / x 3 (34)
 *   stage 2  [3x3 128, 3x3 128]  x 2 / x 4    first block stride 2
 *   stage 3  [3x3 256, 3x3 256]  x 2 / x 6    first block stride 2
 *   stage 4  [3x3 512, 3x3 512]  x 2 / x 3    first block stride 2
 *   head     global average pool, fully connected (classes)
 * </pre>
 *
 * The returned block is a {@link SequentialBlock} whose six children are, in order: stem, stage 1,
 * stage 2, stage 3, stage 4, head. Every block has its own parameters.
 */
public final class ResNet {

    /** Names of the top-level children, in order, for summaries. */
    public static final String[] PARTS = {"stem", "stage1", "stage2", "stage3", "stage4", "head"};

    private ResNet() {}

    public static SequentialBlock build(ResNetConfig config) {
        return build(config, null);
    }

    /**
     * The same network with every convolution computed by {@code convKernel} (null: DJL's Conv2d),
     * e.g. in bfloat16 or channels-last. Block structure and parameter names are those of
     * {@link #build(ResNetConfig)}, so parameters and checkpoints move freely between the two.
     */
    public static SequentialBlock build(ResNetConfig config, ConvKernel convKernel) {
        return build(config, convKernel, null);
    }

    /**
     * The same network with the stem and all stages computed in one {@code featuresKernel} call
     * (null: layer by layer as above), e.g. keeping bfloat16 activations from the first layer to
     * the last; the head stays DJL's. Block structure and parameter names are again those of
     * {@link #build(ResNetConfig)}.
     */
    public static SequentialBlock build(ResNetConfig config, ConvKernel convKernel, FeaturesKernel featuresKernel) {
        return build(config, convKernel, featuresKernel, false);
    }

    /**
     * The inference form of the network: every BatchNorm folded into the convolution before it
     * (which then has a bias), the same function as the trained network in eval mode once
     * {@link BatchNormFolding#fold} has filled its parameters from it, in DJL's layers one by one.
     * The serving commands and {@code benchmark} run the one-call form below, 2-4% faster.
     */
    public static SequentialBlock buildFolded(ResNetConfig config) {
        return build(config, null, null, true);
    }

    /**
     * The inference form as above with the stem and all stages computed in one
     * {@code featuresKernel} call ({@link FeaturesKernel#foldedFeatures}).
     */
    public static SequentialBlock buildFolded(ResNetConfig config, FeaturesKernel featuresKernel) {
        return build(config, null, featuresKernel, true);
    }

    /** The kernel that computes {@code net}'s stem and stages in one call, if it is such a network. */
    public static Optional<FeaturesKernel> featuresKernel(Block net) {
        return net instanceof FusedResNet fused ? Optional.of(fused.kernel()) : Optional.empty();
    }

    private static SequentialBlock build(ResNetConfig config, ConvKernel convKernel,
            FeaturesKernel featuresKernel, boolean foldedNorm) {
        boolean imagenet = config.stem() == Stem.IMAGENET;
        // the kernel's layout: stem stride, padding, max pool, blocks, then (stride, shortcut) per block
        List<Long> layout = new ArrayList<>(List.of(imagenet ? 2L : 1L, imagenet ? 3L : 1L, imagenet ? 1L : 0L,
                (long) config.blocksPerStage().stream().mapToInt(Integer::intValue).sum()));
        SequentialBlock net = featuresKernel == null ? new ReleasingSequentialBlock() : null;
        List<Block> parts = new ArrayList<>();
        parts.add(stem(config.stem(), convKernel, foldedNorm));
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int out = ResNetConfig.WIDTHS.get(stage);
            int firstStride = stage == 0 ? 1 : 2;
            SequentialBlock blocks = new ReleasingSequentialBlock();
            for (int i = 0; i < config.blocksPerStage().get(stage); i++) {
                int stride = i == 0 ? firstStride : 1;
                blocks.add(BasicBlock.of(in, out, stride, config.shortcut(), convKernel, foldedNorm));
                boolean shapeChanges = stride != 1 || in != out;
                layout.add((long) stride);
                layout.add(config.shortcut().projects(shapeChanges) ? 1L : shapeChanges ? 2L : 0L);
                in = out;
            }
            parts.add(blocks);
        }
        parts.add(head(config.classes()));
        if (net == null) {
            net = new FusedResNet(featuresKernel, layout.stream().mapToLong(Long::longValue).toArray(), foldedNorm);
        }
        for (Block part : parts) {
            net.add(part);
        }
        return net;
    }

    private static Block stem(Stem stem, ConvKernel convKernel, boolean foldedNorm) {
        SequentialBlock block = new ReleasingSequentialBlock();
        int kernel = stem == Stem.IMAGENET ? 7 : 3;
        BasicBlock.convNorm(block, 64, kernel, stem == Stem.IMAGENET ? 2 : 1, convKernel, foldedNorm);
        block.add(Activation.reluBlock());
        if (stem == Stem.IMAGENET) {
            block.add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        }
        return block;
    }

    private static Block head(int classes) {
        return new ReleasingSequentialBlock()
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(classes).build());
    }
}
