// Times single convolutions, forward + backward, through DJL's Conv2d and the TorchScript kernels
// (bf16, channels-last), and the per-call overhead of the TorchScript call on a tiny convolution.
// Run (Java's single-file launcher, after `mvn -q -B compile` and `bench/compare.py` or
// `mvn dependency:build-classpath -Dmdep.outputFile=target/classpath.txt` wrote the class path):
//
//   java -cp target/classes:$(cat target/classpath.txt) bench/ConvKernelTiming.java
//
// Prints the best of 3 repetitions per variant, 3 rounds alternating the variants.
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.TorchScriptConvKernel;

public class ConvKernelTiming {

    public static void main(String[] args) {
        EngineSetup.engine();
        // {batch, in, out, side, kernel, stride}: w224 stem, stage 1, stage 3; w28g/s28g sizes
        int[][] layers = {{32, 3, 64, 224, 7, 2}, {32, 64, 64, 56, 3, 1}, {32, 256, 256, 14, 3, 1},
            {128, 64, 64, 7, 3, 1}, {128, 64, 64, 28, 3, 1}};
        TorchScriptConvKernel[] kernels = {null, new TorchScriptConvKernel(true, false),
            new TorchScriptConvKernel(true, true), new TorchScriptConvKernel(false, true)};
        String[] names = {"fp32", "bf16", "bf16-cl", "fp32-cl"};
        for (int[] l : layers) {
            for (int round = 0; round < 3; round++) {
                StringBuilder sb = new StringBuilder(java.util.Arrays.toString(l) + " round " + round);
                for (int k = 0; k < kernels.length; k++) {
                    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
                        NDArray x = m.randomNormal(new Shape(l[0], l[1], l[3], l[3]));
                        NDArray w = m.randomNormal(0, 0.05f, new Shape(l[2], l[1], l[4], l[4]), DataType.FLOAT32);
                        w.setRequiresGradient(true);
                        long best = Long.MAX_VALUE;
                        for (int i = 0; i < 4; i++) {
                            long t0 = System.nanoTime();
                            try (NDManager step = m.newSubManager();
                                    GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                                NDArray xs = x.duplicate();
                                xs.attach(step);
                                xs.setRequiresGradient(true);
                                NDArray y = kernels[k] == null
                                        ? Conv2d.conv2d(xs, w, null, new Shape(l[5], l[5]),
                                                new Shape(l[4] / 2, l[4] / 2)).head()
                                        : kernels[k].conv2d(xs, w, l[5], l[4] / 2, true);
                                y.attach(step);
                                gc.backward(y.sum());
                                w.getGradient().getFloat(0, 0, 0, 0);
                            }
                            if (i > 0) { // the first is warm-up
                                best = Math.min(best, System.nanoTime() - t0);
                            }
                        }
                        sb.append(String.format("  %s %.1f ms", names[k], best / 1e6));
                    }
                }
                System.out.println(sb);
            }
        }
        // per-call overhead: a 1x8x4x4 convolution, no gradients, DJL vs TorchScript (fp32 NCHW)
        TorchScriptConvKernel plain = new TorchScriptConvKernel(false, false);
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(1, 8, 4, 4));
            NDArray w = m.randomNormal(new Shape(8, 8, 3, 3));
            for (int round = 0; round < 3; round++) {
                for (int variant = 0; variant < 2; variant++) {
                    int n = 5000;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        try (NDManager step = m.newSubManager()) {
                            NDArray y = variant == 0
                                    ? Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1)).head()
                                    : plain.conv2d(x, w, 1, 1, false);
                            y.attach(step);
                        }
                    }
                    System.out.printf("tiny conv round %d %s: %.1f us/call%n", round,
                            variant == 0 ? "DJL Conv2d" : "TorchScript", (System.nanoTime() - t0) / 1e3 / n);
                }
            }
        }
    }
}
