package io.github.djlresnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import io.github.djlresnet.model.ConvKernel;
import io.github.djlresnet.model.InvalidInputException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TorchScript convolution against DJL's own fp32 convolution ({@link Conv2d#conv2d}), on the
 * same inputs: outputs, and the gradients that autograd sends back to the weight and the input.
 */
class TorchScriptConvKernelTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    /** Output, weight gradient and input gradient of one convolution plus a fixed linear loss. */
    private record Result(float[] out, float[] weightGrad, float[] inputGrad) {}

    private static Result run(ConvKernel kernel, int stride, int padding, Shape xShape, Shape wShape) {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray x = m.randomNormal(xShape);
            NDArray w = m.randomNormal(0, 0.1f, wShape, DataType.FLOAT32);
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = kernel == null
                        ? Conv2d.conv2d(x, w, null, new Shape(stride, stride),
                                new Shape(padding, padding)).singletonOrThrow()
                        : kernel.conv2d(x, w, stride, padding, true);
                // a loss whose gradient differs per output element: sum(y * r)
                NDArray r = m.randomUniform(-1, 1, y.getShape());
                gc.backward(y.mul(r).sum());
                return new Result(y.toFloatArray(), w.getGradient().toFloatArray(),
                        x.getGradient().toFloatArray());
            }
        }
    }

    private static double relativeL1(float[] got, float[] expected) {
        assertEquals(expected.length, got.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < got.length; i++) {
            diff += Math.abs(got[i] - expected[i]);
            norm += Math.abs(expected[i]);
        }
        return diff / norm;
    }

    /** Largest |got - expected| over the largest |expected|. */
    static double relativeMax(float[] got, float[] expected) {
        assertEquals(expected.length, got.length);
        double diff = 0;
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            diff = Math.max(diff, Math.abs(got[i] - expected[i]));
            max = Math.max(max, Math.abs(expected[i]));
        }
        return diff / max;
    }

    @Test
    void fp32ChannelsLastEqualsDjlConvolution() {
        for (int[] sp : new int[][] {{1, 1}, {2, 1}, {2, 0}, {2, 3}}) {
            int k = sp[1] == 3 ? 7 : sp[1] == 0 ? 1 : 3;
            Shape x = new Shape(4, 8, 15, 15);
            Shape w = new Shape(16, 8, k, k);
            Result plain = run(null, sp[0], sp[1], x, w);
            Result cl = run(new TorchScriptConvKernel(false, true), sp[0], sp[1], x, w);
            assertTrue(relativeMax(cl.out(), plain.out()) < 1e-5, "output");
            assertTrue(relativeMax(cl.weightGrad(), plain.weightGrad()) < 1e-5, "weight gradient");
            assertTrue(relativeMax(cl.inputGrad(), plain.inputGrad()) < 1e-5, "input gradient");
        }
        // the small stem: one input channel (NCHW and channels-last strides nearly coincide)
        Result plain1 = run(null, 1, 1, new Shape(4, 1, 28, 28), new Shape(64, 1, 3, 3));
        Result cl1 = run(new TorchScriptConvKernel(false, true), 1, 1, new Shape(4, 1, 28, 28),
                new Shape(64, 1, 3, 3));
        assertTrue(relativeMax(cl1.out(), plain1.out()) < 1e-5, "1-channel output");
        assertTrue(relativeMax(cl1.weightGrad(), plain1.weightGrad()) < 1e-5, "1-channel weight gradient "
                + relativeMax(cl1.weightGrad(), plain1.weightGrad()));
        // ResNet's 3x3 convolutions at the small stem's sizes: {in, out, side, stride}
        for (int[] c : new int[][] {{256, 256, 7, 1}, {128, 256, 7, 2}, {512, 512, 4, 1}, {256, 512, 7, 2}, {64, 64, 28, 1}, {128, 128, 14, 1}}) {
            Shape x = new Shape(4, c[0], c[2], c[2]);
            Shape w = new Shape(c[1], c[0], 3, 3);
            Result plain = run(null, c[3], 1, x, w);
            Result cl = run(new TorchScriptConvKernel(false, true), c[3], 1, x, w);
            String what = "3x3 " + java.util.Arrays.toString(c) + ": ";
            assertTrue(relativeMax(cl.out(), plain.out()) < 1e-5, what + "output");
            assertTrue(relativeMax(cl.weightGrad(), plain.weightGrad()) < 1e-5, what + "weight gradient");
            assertTrue(relativeMax(cl.inputGrad(), plain.inputGrad()) < 1e-5, what + "input gradient");
        }
        // ResNet's stage-4 projection (256 -> 512, 1x1, stride 2) on small maps, and the same at
        // stride 1: LibTorch 2.7.1's own channels-last 1x1 convolution got these wrong here
        for (int side : new int[] {2, 4, 7, 14}) {
            for (int stride : new int[] {1, 2}) {
                Shape x = new Shape(4, 256, side, side);
                Shape w = new Shape(512, 256, 1, 1);
                Result plain = run(null, stride, 0, x, w);
                Result cl = run(new TorchScriptConvKernel(false, true), stride, 0, x, w);
                String what = "1x1/" + stride + " at " + side + "x" + side + ": ";
                assertTrue(relativeMax(cl.out(), plain.out()) < 1e-5, what + "output");
                assertTrue(relativeMax(cl.weightGrad(), plain.weightGrad()) < 1e-5, what + "weight gradient");
                assertTrue(relativeMax(cl.inputGrad(), plain.inputGrad()) < 1e-5, what + "input gradient");
            }
        }
    }

    /**
     * bf16 keeps 8 significant bits (relative rounding error up to 2^-9 = 0.2% per operand), and
     * oneDNN accumulates in fp32: each product carries at most about 0.4% error, and over hundreds
     * of terms of random sign the errors partly cancel. Measured here: 2.8e-3 relative L1 for the
     * output and both gradients, 3.3e-3 of the largest value at most (the shared README's trial
     * gave 2.4e-3 for the weight gradient). We allow 6e-3 relative L1 and 1e-2 of the largest value
     * for any element; a wrong stride, padding or a lost gradient is off by far more.
     */
    @Test
    void bf16IsCloseToDjlFp32ConvolutionAndGradientsReachTheWeight() {
        Shape x = new Shape(8, 64, 14, 14);
        Shape w = new Shape(64, 64, 3, 3);
        Result plain = run(null, 1, 1, x, w);
        for (boolean channelsLast : new boolean[] {false, true}) {
            Result bf16 = run(new TorchScriptConvKernel(true, channelsLast), 1, 1, x, w);
            double out = relativeL1(bf16.out(), plain.out());
            double grad = relativeL1(bf16.weightGrad(), plain.weightGrad());
            double inGrad = relativeL1(bf16.inputGrad(), plain.inputGrad());
            assertTrue(out < 6e-3 && out > 0, "bf16 output rel L1 " + out);
            assertTrue(grad < 6e-3 && grad > 0, "bf16 weight gradient rel L1 " + grad);
            assertTrue(inGrad < 6e-3 && inGrad > 0, "bf16 input gradient rel L1 " + inGrad);
            assertTrue(relativeMax(bf16.out(), plain.out()) < 1e-2, "bf16 output max");
            assertTrue(relativeMax(bf16.weightGrad(), plain.weightGrad()) < 1e-2, "bf16 gradient max");
        }
    }

    @Test
    void inferenceWithoutGradientsGivesTheSameOutput() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
                NoGrad g = new NoGrad()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 9, 9));
            NDArray w = m.randomNormal(new Shape(5, 3, 3, 3));
            NDArray plain = Conv2d.conv2d(x, w, null, new Shape(2, 2), new Shape(1, 1)).singletonOrThrow();
            NDArray cl = new TorchScriptConvKernel(false, true).conv2d(x, w, 2, 1, false);
            assertEquals(plain.getShape(), cl.getShape());
            assertTrue(relativeMax(cl.toFloatArray(), plain.toFloatArray()) < 1e-5);
            assertEquals(DataType.FLOAT32, new TorchScriptConvKernel(true, false).conv2d(x, w, 2, 1, false).getDataType());
        }
    }

    @Test
    void precisionParsesAndRefusesOtherValues() {
        assertEquals(Precision.BF16, Precision.parse("bf16"));
        assertEquals(Precision.FP32, Precision.parse(" FP32 "));
        assertNull(Precision.FP32.kernel(false), "plain fp32 is DJL's own Conv2d");
        assertTrue(Precision.BF16.kernel(false) instanceof TorchScriptConvKernel);
        assertFalse(((TorchScriptConvKernel) Precision.BF16.kernel(false)).channelsLast());
        // fp32 training: DJL's layers at 56 px and with --channels-last (the per-convolution
        // kernel), this CPU's rule at 28 px (on fixed flags: CpuFlagsTest); bf16: the one-call
        // kernel, NCHW or channels-last as asked
        assertNull(Precision.FP32.featuresKernel(false, 56));
        assertNull(Precision.FP32.featuresKernel(true, 28));
        assertEquals(Precision.fp32TrainsChannelsLast(CpuFlags.read(), 28), Precision.FP32.featuresKernel(false, 28) != null);
        if (Precision.FP32.featuresKernel(false, 28) instanceof TorchScriptFeaturesKernel k) {
            assertEquals(TorchScriptFeaturesKernel.CHANNELS_LAST, k.channelsLastFrom());
            assertFalse(k.bf16());
        }
        assertEquals(TorchScriptFeaturesKernel.CHANNELS_LAST,
                ((TorchScriptFeaturesKernel) Precision.BF16.featuresKernel(true, 28)).channelsLastFrom());
        assertEquals(TorchScriptFeaturesKernel.NCHW,
                ((TorchScriptFeaturesKernel) Precision.BF16.featuresKernel(false, 56)).channelsLastFrom());
        // inference: fp32 in this CPU's own layout (per block with AVX-512, else channels-last
        // throughout; the rule on fixed flags: CpuFlagsTest) unless channels-last is asked
        assertEquals(Precision.fp32InferenceLayout(CpuFlags.read()), Precision.FP32.inferenceKernel(false).channelsLastFrom());
        assertEquals(TorchScriptFeaturesKernel.CHANNELS_LAST, Precision.FP32.inferenceKernel(true).channelsLastFrom());
        assertEquals(TorchScriptFeaturesKernel.NCHW, Precision.BF16.inferenceKernel(false).channelsLastFrom());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Precision.parse("fp16"));
        assertEquals("precision must be fp32 or bf16, got 'fp16'", e.getMessage());
    }
}
