package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A BatchNorm's training forward at 2x2 maps, run on the activations laid out as rows: (N, C, 2, 2)
 * transposed to (N*4, C), normalized per column by the same {@link BatchNorm} block (same
 * parameters, same running statistics), and copied back to contiguous NCHW.
 *
 * <p>Why: LibTorch 2.7.1's NCHW BatchNorm backward reduces over H x W = 4 elements at a time and
 * takes about 1.5 ms per call at ResNet-34's stage 3 at 28 and 32 px (128 x 256 x 2 x 2), where
 * the row layout takes its channels-last kernel; measured in bench/RESULTS.md. At other map
 * sizes the copies cost more than they save, so they keep the plain path.
 */
final class RowsBatchNorm {

    private RowsBatchNorm() {}

    /** Whether {@code block} on {@code inputs} takes the row layout: a BatchNorm on 2x2 maps, training. */
    static boolean applies(Block block, NDList inputs, boolean training) {
        if (!training || !(block instanceof BatchNorm) || inputs.size() != 1) {
            return false;
        }
        Shape s = inputs.head().getShape();
        return s.dimension() == 4 && s.get(2) == 2 && s.get(3) == 2;
    }

    /** {@code block}'s training forward of {@code inputs} through the row layout. */
    static NDList forward(Block block, ParameterStore parameterStore, NDList inputs, PairList<String, Object> params) {
        NDArray x = inputs.head();
        Shape shape = x.getShape();
        long n = shape.get(0);
        long c = shape.get(1);
        try (NDArray nhwc = x.transpose(0, 2, 3, 1);
                NDArray rows = nhwc.reshape(n * 4, c)) { // a copy: rows of C channels
            NDList normalized = block.forward(parameterStore, new NDList(rows), true, params);
            try (NDArray y = normalized.head();
                    NDArray grid = y.reshape(n, 2, 2, c);
                    NDArray nchw = grid.transpose(0, 3, 1, 2);
                    NDArray flat = nchw.reshape(-1)) { // a copy, in NCHW order
                return new NDList(flat.reshape(shape));
            }
        }
    }
}
