package io.github.djlresnet.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.util.Pair;
import io.github.djlresnet.data.HostBatch;
import io.github.djlresnet.model.ResNet;
import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.Shortcut;
import io.github.djlresnet.model.Stem;
import io.github.djlresnet.runtime.BatchStager;
import io.github.djlresnet.runtime.EngineSetup;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes what {@code bench/torch_parity.py} needs to check the training step against PyTorch's:
 * the initial parameters of a ResNet-18 (1x28x28, 10 classes), one fixed batch, and the
 * parameters (with BatchNorm running statistics) after each of a few SGD steps taken exactly as
 * the training app takes them ({@link TrainBatch}: forward, then {@link MomentumSgd}'s backward
 * pass and step in one call).
 *
 * <p>Usage: {@code TorchParityDump OUT_FILE [STEPS] [LR] [WEIGHT_DECAY]}. Format, big-endian: int
 * batch size, the batch (floats), the labels (floats), int steps, int parameter count; then for
 * each snapshot (initial, after step 1, ...) every parameter as UTF name, int rank, the dims as
 * longs, the values as floats.
 */
public final class TorchParityDump {

    private TorchParityDump() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        float lr = args.length > 2 ? Float.parseFloat(args[2]) : 0.1f;
        float wd = args.length > 3 ? Float.parseFloat(args[3]) : 5e-4f;
        EngineSetup.engine();
        Engine.getInstance().setRandomSeed(1);
        int n = 16;
        Random rng = new Random(7);
        float[] data = new float[n * 28 * 28];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rng.nextGaussian();
        }
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
        }
        HostBatch hb = new HostBatch(data, labels, n, 1, 28, 28);
        MomentumSgd sgd = new MomentumSgd(lr, 0.9f, wd);
        try (Model model = Model.newInstance("parity", Device.cpu(), "PyTorch");
                DataOutputStream os = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(out)))) {
            model.setBlock(ResNet.build(new ResNetConfig(18, 10, 1, Stem.IMAGENET, Shortcut.B)));
            Trainer trainer = model.newTrainer(TrainerSetup.config(sgd, new Device[] {Device.cpu()}, 10));
            trainer.initialize(new Shape(1, 1, 28, 28));
            os.writeInt(n);
            for (float f : data) {
                os.writeFloat(f);
            }
            for (float f : labels) {
                os.writeFloat(f);
            }
            os.writeInt(steps);
            os.writeInt(model.getBlock().getParameters().size());
            BatchStager stager = new BatchStager();
            dump(model, os);
            for (int s = 0; s < steps; s++) {
                try (Batch batch = stager.stage(trainer.getManager().newSubManager(), hb, s, steps)) {
                    TrainBatch.run(trainer, batch, sgd);
                }
                dump(model, os);
            }
            trainer.close();
        }
    }

    private static void dump(Model model, DataOutputStream os) throws IOException {
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            NDArray a = p.getValue().getArray();
            os.writeUTF(p.getKey());
            long[] shape = a.getShape().getShape();
            os.writeInt(shape.length);
            for (long d : shape) {
                os.writeLong(d);
            }
            for (float f : a.toFloatArray()) {
                os.writeFloat(f);
            }
        }
    }
}
