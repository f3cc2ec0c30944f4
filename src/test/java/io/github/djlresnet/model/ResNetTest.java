package io.github.djlresnet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.github.djlresnet.runtime.EngineSetup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ResNetTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    private static long params(ResNetConfig config, int size) {
        return ModelSummary.of(config, size, size).totalParameters();
    }

    @Test
    void parameterCountsEqualTorchvision() {
        assertEquals(21_797_672L, params(ResNetConfig.resnet34(1000, 3), 224));
        assertEquals(21_289_802L, params(ResNetConfig.resnet34(10, 3), 224));
        assertEquals(21_283_530L, params(ResNetConfig.resnet34(10, 1), 224));
        assertEquals(
                11_689_512L,
                params(new ResNetConfig(18, 1000, 3, Stem.IMAGENET, Shortcut.B), 224));
    }

    @Test
    void optionAHasNoShortcutParametersAndOptionCHasMoreThanB() {
        for (Shortcut option : Shortcut.values()) {
            SequentialBlock net = initialized(new ResNetConfig(34, 10, 3, Stem.IMAGENET, option), 32);
            long shortcutParams = 0;
            for (Block block : basicBlocks(net)) {
                shortcutParams += ModelSummary.trainableParameters(shortcutOf(block));
            }
            if (option == Shortcut.A) {
                assertEquals(0, shortcutParams);
            } else {
                assertTrue(shortcutParams > 0, option + " has projection parameters");
            }
        }
        long a = params(new ResNetConfig(34, 10, 3, Stem.IMAGENET, Shortcut.A), 224);
        long b = params(new ResNetConfig(34, 10, 3, Stem.IMAGENET, Shortcut.B), 224);
        long c = params(new ResNetConfig(34, 10, 3, Stem.IMAGENET, Shortcut.C), 224);
        assertTrue(a < b && b < c, "A < B < C, got " + a + ", " + b + ", " + c);
    }

    @Test
    void stageShapesFor224And28() {
        List<ModelSummary.Row> rows = ModelSummary.of(ResNetConfig.resnet34(10, 3), 224, 224).rows();
        assertEquals(new Shape(1, 64, 56, 56), rows.get(1).output());
        assertEquals(new Shape(1, 128, 28, 28), rows.get(2).output());
        assertEquals(new Shape(1, 256, 14, 14), rows.get(3).output());
        assertEquals(new Shape(1, 512, 7, 7), rows.get(4).output());
        assertEquals(new Shape(1, 10), rows.get(5).output());

        // 28x28 with the ImageNet stem: 14 -> 7 after the stem, then 7, 4, 2, 1
        rows = ModelSummary.of(ResNetConfig.resnet34(10, 1), 28, 28).rows();
        long[] sides = rows.subList(0, 5).stream().mapToLong(r -> r.output().get(3)).toArray();
        assertEquals(List.of(7L, 7L, 4L, 2L, 1L), boxed(sides));

        rows = ModelSummary.of(new ResNetConfig(34, 10, 1, Stem.SMALL, Shortcut.B), 28, 28).rows();
        sides = rows.subList(0, 5).stream().mapToLong(r -> r.output().get(3)).toArray();
        assertEquals(List.of(28L, 28L, 14L, 7L, 4L), boxed(sides));
    }

    @Test
    void forwardGivesLogitsPerImage() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = ResNet.build(ResNetConfig.resnet34(7, 3));
            Shape input = new Shape(3, 3, 64, 64);
            net.initialize(manager, DataType.FLOAT32, input);
            NDArray logits =
                    net.forward(new ParameterStore(manager, false),
                                    new NDList(manager.randomNormal(input)), false)
                            .singletonOrThrow();
            assertEquals(new Shape(3, 7), logits.getShape());
        }
    }

    @Test
    void the16BlocksOfResNet34OwnDistinctParameters() {
        SequentialBlock net = initialized(ResNetConfig.resnet34(10, 3), 32);
        List<Block> blocks = basicBlocks(net);
        assertEquals(16, blocks.size());
        Set<Object> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> ids = new java.util.HashSet<>();
        int count = 0;
        for (Block block : blocks) {
            for (Pair<String, Parameter> p : block.getParameters()) {
                arrays.add(p.getValue().getArray());
                ids.add(p.getValue().getId());
                count++;
            }
        }
        assertEquals(count, arrays.size(), "no parameter array is shared between blocks");
        assertEquals(count, ids.size(), "no parameter is shared between blocks");
        // same-shaped convolutions of two repeated blocks hold different values
        NDArray w1 = firstConvWeight(blocks.get(1));
        NDArray w2 = firstConvWeight(blocks.get(2));
        assertEquals(w1.getShape(), w2.getShape());
        assertFalse(w1.contentEquals(w2));
    }

    @Test
    void optionAZeroPadsAndSubsamples() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block pad = BasicBlock.zeroPadShortcut(4, 2);
            NDArray x = manager.arange(2f * 4 * 6 * 6).reshape(2, 4, 6, 6);
            pad.initialize(manager, DataType.FLOAT32, x.getShape());
            NDArray y = pad.forward(new ParameterStore(manager, false), new NDList(x), false)
                    .singletonOrThrow();
            assertEquals(new Shape(2, 8, 3, 3), y.getShape());
            assertTrue(y.get(":, 0:4").contentEquals(x.get(":, :, ::2, ::2")));
            assertEquals(0f, y.get(":, 4:").abs().sum().getFloat());
            // and the sub-sampled values are the real ones: x[1, 3, 4, 2] = ((1*4+3)*6+4)*6+2
            assertEquals(((1 * 4 + 3) * 6 + 4) * 6 + 2, y.getFloat(1, 3, 2, 1));
        }
    }

    @Test
    void badArgumentsNameTheArgument() {
        assertMessage("depth", () -> new ResNetConfig(20, 10, 3, Stem.IMAGENET, Shortcut.B));
        assertMessage("classes", () -> new ResNetConfig(34, 0, 3, Stem.IMAGENET, Shortcut.B));
        assertMessage("input channels", () -> new ResNetConfig(34, 10, 2, Stem.IMAGENET, Shortcut.B));
        assertMessage("too small for the imagenet stem",
                () -> ModelSummary.of(ResNetConfig.resnet34(10, 3), 16, 16));
        assertMessage("shortcut", () -> Shortcut.parse("D"));
        assertMessage("stem", () -> Stem.parse("tiny"));
        // the smallest accepted size really gives stage 4 (row 4) a 2x2 input (row 3's output)
        assertEquals(17, ResNetConfig.resnet34(10, 3).minInputSize());
        assertEquals(new Shape(1, 256, 2, 2),
                ModelSummary.of(ResNetConfig.resnet34(10, 3), 17, 17).rows().get(3).output());
    }

    private static void assertMessage(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static SequentialBlock initialized(ResNetConfig config, int size) {
        SequentialBlock net = ResNet.build(config);
        net.initialize(NDManager.newBaseManager(), DataType.FLOAT32,
                new Shape(1, config.inputChannels(), size, size));
        return net;
    }

    /** The BasicBlocks of the four stages (children 1..4 of the network). */
    private static List<Block> basicBlocks(SequentialBlock net) {
        List<Block> blocks = new ArrayList<>();
        for (int stage = 1; stage <= 4; stage++) {
            for (Pair<String, Block> b : net.getChildren().get(stage).getValue().getChildren()) {
                blocks.add(b.getValue());
            }
        }
        return blocks;
    }

    private static Block shortcutOf(Block basicBlock) {
        ParallelBlock parallel = (ParallelBlock) basicBlock.getChildren().get(0).getValue();
        return parallel.getChildren().get(1).getValue();
    }

    private static NDArray firstConvWeight(Block basicBlock) {
        ParallelBlock parallel = (ParallelBlock) basicBlock.getChildren().get(0).getValue();
        Block residual = parallel.getChildren().get(0).getValue();
        return residual.getChildren().get(0).getValue().getParameters().get(0).getValue().getArray();
    }

    private static List<Long> boxed(long[] values) {
        List<Long> list = new ArrayList<>();
        for (long v : values) {
            list.add(v);
        }
        return list;
    }
}
