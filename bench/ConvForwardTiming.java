// Times single fp32 3x3 convolutions, forward only with autograd off, through DJL's Conv2d on
// LibTorch 2.7.1: the s28g network's four stage shapes at batch 128. Best of 10 after 2 warm-ups.
// Its PyTorch twin is bench/conv_forward.py; run them alternately, both on tcmalloc:
//   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
//     java -Dai.djl.offline=true -cp target/classes:$(cat target/classpath.txt) bench/ConvForwardTiming.java
//   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 /opt/torch213/bin/python bench/conv_forward.py
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.runtime.NoGrad;

public class ConvForwardTiming {
    public static void main(String[] args) {
        EngineSetup.engine();
        int[][] layers = {{128, 64, 28}, {128, 128, 14}, {128, 256, 7}, {128, 512, 4}};
        try (NDManager m = NDManager.newBaseManager(); NoGrad g = new NoGrad()) {
            for (int[] l : layers) {
                NDArray x = m.randomNormal(new Shape(l[0], l[1], l[2], l[2]));
                NDArray w = m.randomNormal(new Shape(l[1], l[1], 3, 3)).mul(0.05);
                double best = 1e9;
                for (int r = 0; r < 12; r++) {
                    long t = System.nanoTime();
                    try (NDManager s = m.newSubManager()) {
                        NDArray y = Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).head();
                        y.attach(s);
                        y.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).getFloat(0, 0, 0, 0); // sync
                    }
                    double ms = (System.nanoTime() - t) / 1e6;
                    if (r >= 2) best = Math.min(best, ms);
                }
                System.out.printf("djl  mb%d ic%d %dx%d: %.2f ms%n", l[0], l[1], l[2], l[2], best);
            }
        }
    }
}
