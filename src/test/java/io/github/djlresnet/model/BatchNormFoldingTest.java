package io.github.djlresnet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.NoGrad;
import io.github.djlresnet.runtime.Precision;
import io.github.djlresnet.runtime.TorchScriptFeaturesKernel;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The inference form (BatchNorm folded into the convolutions), in DJL's layers or in one kernel
 * call, computes what DJL's own BatchNorm computes in eval mode, for every stem and shortcut, with
 * statistics far from the initial ones.
 */
class BatchNormFoldingTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    /**
     * The folded network in DJL's layers (kernel "djl") and in one {@link TorchScriptFeaturesKernel}
     * call (fp32 NCHW, channels-last, channels-last from the stem while the maps are 7 px or more
     * and then NCHW ("fp32-7", what AVX-512 CPUs run), or the layout this CPU's fp32 inference picks
     * ("fp32-auto"); bf16): the eval-mode logits, to float rounding in fp32 and
     * to bf16's precision (and not equal) in bf16. The kernel's form refuses a training call.
     */
    @ParameterizedTest(name = "{0} stem, shortcut {1}, {2}x{3}x{3}, {4}")
    @CsvSource({
        "IMAGENET, B, 3, 64, djl, 1e-4", "SMALL, A, 1, 28, djl, 1e-4", "SMALL, C, 3, 32, djl, 1e-4",
        "IMAGENET, B, 3, 64, fp32, 1e-4", "IMAGENET, B, 3, 64, fp32-cl, 1e-4", "IMAGENET, B, 3, 64, bf16-cl, 5e-2",
        "SMALL, A, 1, 28, fp32, 1e-4", "SMALL, A, 1, 28, bf16, 5e-2",
        "SMALL, C, 3, 32, fp32-cl, 1e-4", "SMALL, C, 3, 32, bf16-cl, 5e-2",
        "IMAGENET, B, 3, 64, fp32-7, 1e-4", "SMALL, A, 1, 28, fp32-7, 1e-4", "SMALL, C, 3, 32, fp32-7, 1e-4",
        "IMAGENET, B, 3, 64, fp32-auto, 1e-4", "SMALL, A, 1, 28, fp32-auto, 1e-4"})
    void foldedNetworkGivesTheEvalModeLogits(Stem stem, Shortcut shortcut, int channels, int side, String kernel,
            float bound) {
        ResNetConfig config = new ResNetConfig(18, 10, channels, stem, shortcut);
        Shape input = new Shape(1, channels, side, side);
        try (NDManager manager = NDManager.newBaseManager(); NoGrad g = new NoGrad()) {
            manager.getEngine().setRandomSeed(7);
            Block trained = ResNet.build(config);
            trained.initialize(manager, DataType.FLOAT32, input);
            int norms = randomStatistics(trained, manager);
            assertEquals(norms, count(trained, BatchNorm.class));
            NDArray x = manager.randomNormal(new Shape(4, channels, side, side));
            float[] expected = forward(trained, x, manager);

            boolean bf16 = kernel.startsWith("bf16");
            Block folded = kernel.equals("djl") ? ResNet.buildFolded(config)
                    : kernel.equals("fp32-auto") ? ResNet.buildFolded(config, Precision.FP32.inferenceKernel(false))
                    : kernel.equals("fp32-7") ? ResNet.buildFolded(config,
                            new TorchScriptFeaturesKernel(false, TorchScriptFeaturesKernel.FP32_CHANNELS_LAST_FROM))
                    : ResNet.buildFolded(config, new TorchScriptFeaturesKernel(bf16, kernel.endsWith("-cl")));
            BatchNormFolding.fold(trained, folded, manager, input);
            float[] actual = forward(folded, x, manager);

            assertEquals(0, count(folded, BatchNorm.class), "no BatchNorm left");
            assertEquals(norms, count(folded, Conv2d.class), "one convolution per BatchNorm");
            float largest = 0;
            float diff = 0;
            for (int i = 0; i < expected.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
            }
            System.out.printf("folded %s stem, shortcut %s, %s: max |logit difference| %.3g, largest |logit| %.4f%n",
                    stem, shortcut, kernel, diff, largest);
            assertTrue(largest > 0.1, "logits of a size worth comparing: " + largest);
            assertTrue(diff <= bound * largest, "max |difference| " + diff + ", largest |logit| " + largest);
            if (bf16) {
                assertTrue(diff > 0, "bf16 differs from fp32 somewhere (else the kernel ran fp32)");
            }
            if (!kernel.equals("djl")) {
                NDList in = new NDList(x);
                assertThrows(IllegalStateException.class, () -> folded.forward(new ParameterStore(manager, false), in, true),
                        "the folded kernel network refuses to train");
            }
        }
    }

    @Test
    void trainedArraysAreMovedNotCopied() {
        ResNetConfig config = new ResNetConfig(18, 10, 1, Stem.SMALL, Shortcut.B);
        Shape input = new Shape(1, 1, 28, 28);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block trained = ResNet.build(config);
            trained.initialize(manager, DataType.FLOAT32, input);
            Block folded = ResNet.buildFolded(config);
            BatchNormFolding.fold(trained, folded, manager, input);
            List<Parameter> from = trained.getParameters().values();
            List<Parameter> to = folded.getParameters().values();
            int head = from.size() - 2; // the fully connected layer's weight and bias
            for (int i = 0; i < head; i++) {
                assertFalse(from.get(i).isInitialized(), from.get(i).getName() + " is closed once folded");
            }
            for (int k = 0; k < 2; k++) {
                assertSame(from.get(head + k).getArray(), to.get(to.size() - 2 + k).getArray(), "the head is handed over");
            }
        }
    }

    @Test
    void refusesANetworkOfAnotherArchitecture() {
        Shape input = new Shape(1, 3, 32, 32);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block trained = ResNet.build(new ResNetConfig(18, 10, 3, Stem.IMAGENET, Shortcut.B));
            trained.initialize(manager, DataType.FLOAT32, input);
            Block other = ResNet.buildFolded(new ResNetConfig(34, 10, 3, Stem.IMAGENET, Shortcut.B));
            assertThrows(IllegalArgumentException.class, () -> BatchNormFolding.fold(trained, other, manager, input));
            Block unfolded = ResNet.build(new ResNetConfig(18, 10, 3, Stem.IMAGENET, Shortcut.B));
            assertThrows(IllegalArgumentException.class, () -> BatchNormFolding.fold(trained, unfolded, manager, input));
        }
    }

    /** Gives every BatchNorm scales, shifts and running statistics well away from 1 and 0; returns their count. */
    private static int randomStatistics(Block net, NDManager manager) {
        int norms = 0;
        for (Parameter p : net.getParameters().values()) {
            NDArray a = p.getArray();
            Shape s = a.getShape();
            switch (p.getType()) {
                case GAMMA -> {
                    a.set(manager.randomUniform(0.5f, 1.5f, s).toFloatArray());
                    norms++;
                }
                case BETA -> a.set(manager.randomNormal(0f, 0.3f, s, DataType.FLOAT32).toFloatArray());
                case RUNNING_MEAN -> a.set(manager.randomNormal(0f, 0.5f, s, DataType.FLOAT32).toFloatArray());
                case RUNNING_VAR -> a.set(manager.randomUniform(0.3f, 3f, s).toFloatArray());
                default -> { }
            }
        }
        return norms;
    }

    private static float[] forward(Block net, NDArray x, NDManager manager) {
        return net.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow().toFloatArray();
    }

    private static int count(Block block, Class<? extends Block> kind) {
        int found = kind.isInstance(block) ? 1 : 0;
        for (Block child : block.getChildren().values()) {
            found += count(child, kind);
        }
        return found;
    }
}
