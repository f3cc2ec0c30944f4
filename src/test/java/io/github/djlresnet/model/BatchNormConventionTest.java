package io.github.djlresnet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.github.djlresnet.runtime.EngineSetup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The BatchNorm of our blocks follows torch.nn.BatchNorm2d: running = 0.9 running + 0.1 batch
 * (unbiased variance), and inference normalizes with the running statistics.
 */
class BatchNormConventionTest {

    @BeforeAll
    static void engine() {
        EngineSetup.engine();
    }

    @Test
    void runningStatisticsMoveATenthOfTheWayAsInTorch() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block bn = BasicBlock.batchNorm();
            Shape shape = new Shape(4, 2, 3, 3);
            bn.initialize(manager, DataType.FLOAT32, shape);
            // channel 0: mean 5, channel 1: mean -3; spread known exactly
            NDArray x = manager.randomNormal(shape).mul(2f)
                    .add(manager.create(new float[] {5f, -3f}).reshape(1, 2, 1, 1));
            NDArray perChannel = x.transpose(1, 0, 2, 3).reshape(2, -1);
            NDArray batchMean = perChannel.mean(new int[] {1});
            long n = 4 * 3 * 3;
            NDArray batchVar = perChannel.sub(batchMean.reshape(2, 1)).square().sum(new int[] {1})
                    .div(n - 1);
            ParameterStore store = new ParameterStore(manager, false);
            bn.forward(store, new NDList(x), true);

            NDArray runningMean = bn.getParameters().get("runningMean").getArray();
            NDArray runningVar = bn.getParameters().get("runningVar").getArray();
            assertArrayEquals(batchMean.mul(0.1f).toFloatArray(), runningMean.toFloatArray(), 1e-4f);
            assertArrayEquals(batchVar.mul(0.1f).add(0.9f).toFloatArray(), runningVar.toFloatArray(), 1e-4f);

            NDArray inferred = bn.forward(store, new NDList(x), false).singletonOrThrow();
            NDArray expected = x.sub(runningMean.reshape(1, 2, 1, 1))
                    .div(runningVar.add(1e-5f).sqrt().reshape(1, 2, 1, 1));
            assertArrayEquals(expected.toFloatArray(), inferred.toFloatArray(), 1e-3f);
        }
    }
}
