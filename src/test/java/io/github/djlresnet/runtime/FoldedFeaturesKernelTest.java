package io.github.djlresnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.github.djlresnet.model.BatchNormFolding;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The inference form in one kernel call ({@code features_kernel.pt}'s {@code folded}: BatchNorm
 * folded into the convolutions, in-place ReLUs and additions) gives the logits of DJL's own
 * network in eval mode: fp32 in NCHW and channels-last to float rounding, bf16 to bf16's
 * precision; every stem and shortcut; BatchNorm statistics far from their initial values.
 */
class FoldedFeaturesKernelTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    @ParameterizedTest(name = "{0} stem, shortcut {1}, {2}x{3}x{3}, bf16 {4}, channels-last {5}")
    @CsvSource({
        "IMAGENET, B, 3, 64, false, false, 1e-4",
        "IMAGENET, B, 3, 64, false, true, 1e-4",
        "IMAGENET, B, 3, 64, true, true, 5e-2",
        "SMALL, A, 1, 28, false, false, 1e-4",
        "SMALL, A, 1, 28, true, false, 5e-2",
        "SMALL, C, 3, 32, false, true, 1e-4",
        "SMALL, C, 3, 32, true, true, 5e-2"})
    void foldedKernelGivesTheEvalModeLogits(Stem stem, Shortcut shortcut, int channels, int side, boolean bf16,
            boolean channelsLast, float bound) {
        ResNetConfig config = new ResNetConfig(18, 10, channels, stem, shortcut);
        Shape input = new Shape(1, channels, side, side);
        try (NDManager manager = NDManager.newBaseManager(); NoGrad g = new NoGrad()) {
            manager.getEngine().setRandomSeed(7);
            Block trained = ResNet.build(config);
            trained.initialize(manager, DataType.FLOAT32, input);
            randomStatistics(trained, manager);
            NDArray x = manager.randomNormal(new Shape(4, channels, side, side));
            float[] expected = forward(trained, x, manager);

            Block folded = ResNet.buildFolded(config, new TorchScriptFeaturesKernel(bf16, channelsLast));
            BatchNormFolding.fold(trained, folded, manager, input);
            float[] actual = forward(folded, x, manager);

            assertEquals(expected.length, actual.length);
            float largest = 0;
            float diff = 0;
            for (int i = 0; i < expected.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
            }
            assertTrue(largest > 0.1, "logits of a size worth comparing: " + largest);
            assertTrue(diff <= bound * largest, "max |difference| " + diff + ", largest |logit| " + largest);
            if (bf16) {
                assertTrue(diff > 0, "bf16 differs from fp32 somewhere (else the kernel ran fp32)");
            }
        }
    }

    @Test
    void theFoldedNetworkDoesNotTrain() {
        ResNetConfig config = new ResNetConfig(18, 10, 1, Stem.SMALL, Shortcut.B);
        Shape input = new Shape(2, 1, 28, 28);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block trained = ResNet.build(config);
            trained.initialize(manager, DataType.FLOAT32, input);
            Block folded = ResNet.buildFolded(config, new TorchScriptFeaturesKernel(false, false));
            BatchNormFolding.fold(trained, folded, manager, input);
            NDList in = new NDList(manager.randomNormal(input));
            assertThrows(IllegalStateException.class,
                    () -> folded.forward(new ParameterStore(manager, false), in, true));
        }
    }

    /** Gives every BatchNorm scales, shifts and running statistics well away from 1 and 0. */
    private static void randomStatistics(Block net, NDManager manager) {
        for (Parameter p : net.getParameters().values()) {
            NDArray a = p.getArray();
            Shape s = a.getShape();
            switch (p.getType()) {
                case GAMMA -> a.set(manager.randomUniform(0.5f, 1.5f, s).toFloatArray());
                case BETA -> a.set(manager.randomNormal(0f, 0.3f, s, DataType.FLOAT32).toFloatArray());
                case RUNNING_MEAN -> a.set(manager.randomNormal(0f, 0.5f, s, DataType.FLOAT32).toFloatArray());
                case RUNNING_VAR -> a.set(manager.randomUniform(0.3f, 3f, s).toFloatArray());
                default -> { }
            }
        }
    }

    private static float[] forward(Block net, NDArray x, NDManager manager) {
        return net.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow().toFloatArray();
    }
}
