// Times single fp32 3x3 convolutions through DJL's Conv2d on LibTorch 2.7.1, best of 10 after 2
// warm-ups: forward only with autograd off (default), or forward and backward ("train": the input's
// and the weight's gradients, as a training step needs them, through (y * dy).sum(); a first layer,
// 3 input channels or fewer, gets no input gradient). Shapes are BATCHxCHANNELSxSIZE for a 3x3
// convolution with as many output channels, or BATCHxCHANNELSxSIZExOUTxKERNELxSTRIDE (padding
// KERNEL/2); by default the s28g network's four stages at batch 128. w32's stages are
// 128x64x8 128x128x4 128x256x2 128x512x1, its stem 128x3x32x64x7x2 (w28g's 128x1x28x64x7x2).
// Its PyTorch twin is bench/conv_forward.py (same arguments); run them alternately, both on tcmalloc:
//   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
//     java -Dai.djl.offline=true -cp target/classes:$(cat target/classpath.txt) bench/ConvForwardTiming.java [train] [SHAPE...]
//   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 /opt/torch213/bin/python bench/conv_forward.py [train] [SHAPE...]
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.NoGrad;
import java.util.ArrayList;
import java.util.List;

public class ConvForwardTiming {
    public static void main(String[] args) {
        EngineSetup.engine();
        boolean train = args.length > 0 && args[0].equals("train");
        List<int[]> layers = new ArrayList<>();
        for (int i = train ? 1 : 0; i < args.length; i++) {
            String[] p = args[i].split("x");
            int c = Integer.parseInt(p[1]);
            layers.add(new int[] {Integer.parseInt(p[0]), c, Integer.parseInt(p[2]),
                p.length > 3 ? Integer.parseInt(p[3]) : c, p.length > 4 ? Integer.parseInt(p[4]) : 3,
                p.length > 5 ? Integer.parseInt(p[5]) : 1});
        }
        if (layers.isEmpty()) {
            layers = List.of(new int[] {128, 64, 28, 64, 3, 1}, new int[] {128, 128, 14, 128, 3, 1},
                    new int[] {128, 256, 7, 256, 3, 1}, new int[] {128, 512, 4, 512, 3, 1});
        }
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] l : layers) {
                NDArray x = m.randomNormal(new Shape(l[0], l[1], l[2], l[2]));
                int k = l[4];
                int stride = l[5];
                int out = (l[2] + 2 * (k / 2) - k) / stride + 1;
                NDArray w = m.randomNormal(new Shape(l[3], l[1], k, k)).mul(0.05);
                NDArray dy = m.randomNormal(new Shape(l[0], l[3], out, out));
                Shape kernelStride = new Shape(stride, stride);
                Shape pad = new Shape(k / 2, k / 2);
                if (train) {
                    x.setRequiresGradient(l[1] > 3);
                    w.setRequiresGradient(true);
                }
                double best = 1e9;
                for (int r = 0; r < 12; r++) {
                    long t = System.nanoTime();
                    try (NDManager s = m.newSubManager()) {
                        if (train) {
                            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                NDArray y = Conv2d.conv2d(x, w, null, kernelStride, pad, new Shape(1, 1), 1).head();
                                y.attach(s);
                                NDArray loss = y.mul(dy).sum();
                                loss.attach(s);
                                gc.backward(loss);
                            }
                            w.getGradient().getFloat(0, 0, 0, 0); // sync
                        } else {
                            try (NoGrad g = new NoGrad()) {
                                NDArray y = Conv2d.conv2d(x, w, null, kernelStride, pad, new Shape(1, 1), 1).head();
                                y.attach(s);
                                y.getFloat(0, 0, 0, 0); // sync
                            }
                        }
                    }
                    double ms = (System.nanoTime() - t) / 1e6;
                    if (r >= 2) best = Math.min(best, ms);
                }
                System.out.printf("djl  %s mb%d ic%d %dx%d oc%d k%d s%d: %.2f ms%n", train ? "fwd+bwd" : "fwd", l[0], l[1],
                        l[2], l[2], l[3], k, stride, best);
            }
        }
    }
}
