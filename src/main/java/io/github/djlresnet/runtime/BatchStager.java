package io.github.djlresnet.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import io.github.djlresnet.data.HostBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns host batches into a DJL {@link Batch} owned by a per-step NDManager, through one reused
 * direct buffer.
 *
 * <p>{@code NDManager.create(FloatBuffer)} allocates a new direct buffer for every call, which
 * LibTorch then reads in place; those buffers are only freed when the JVM's garbage collector
 * happens to run, so a training loop's resident memory grows by one batch per step between
 * collections (19 MB a step at 32x3x224x224). One step uses one batch at a time, and its arrays
 * are closed with the step, so a single buffer can serve every step.
 */
public final class BatchStager {

    private ByteBuffer buffer;

    /**
     * Copies {@code hb} into NDArrays of {@code manager}; the batch (and the manager) must be closed
     * before the next call.
     */
    public Batch stage(NDManager manager, HostBatch hb, int step, int steps) {
        int bytes = hb.data().length * Float.BYTES;
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        buffer.clear();
        buffer.asFloatBuffer().put(hb.data());
        buffer.limit(bytes);
        NDArray x = manager.create(buffer.slice().order(ByteOrder.nativeOrder()),
                new Shape(hb.size(), hb.channels(), hb.height(), hb.width()), DataType.FLOAT32);
        // class indices, or (label smoothing, mixup, cutmix) one row of class probabilities per image
        NDArray y = hb.labels().length == hb.size()
                ? manager.create(hb.labels())
                : manager.create(hb.labels(), new Shape(hb.size(), hb.labels().length / hb.size()));
        return new Batch(manager, new NDList(x), new NDList(y), hb.size(), Batchifier.STACK,
                Batchifier.STACK, step, steps);
    }
}
