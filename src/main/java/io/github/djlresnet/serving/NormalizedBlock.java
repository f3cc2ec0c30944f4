package io.github.djlresnet.serving;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.djlresnet.model.InvalidInputException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A served network: per-channel {@code (x - mean) / std} on [0, 1] pixels, then the trained ResNet.
 *
 * <p>Why inside the block and not DJL's {@code normalize} translator argument: that argument takes
 * exactly three means and three stds and broadcasts them to three channels, which breaks
 * one-channel (grayscale) models. Here one contract holds for every model: the input is an image
 * (through DJL's translator) or a float tensor (N, C, H, W) in [0, 1].
 *
 * <p>Parameters are saved and loaded as the wrapped network's alone, so the {@code .params} file is
 * exactly what {@code Model.save} writes for the bare ResNet that training produced.
 */
public final class NormalizedBlock extends AbstractBlock {

    private final Block net;
    private final float[] mean;
    private final float[] std;

    public NormalizedBlock(Block net, float[] mean, float[] std) {
        this.net = addChildBlock("net", net);
        this.mean = mean.clone();
        this.std = std.clone();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || shape.get(1) != mean.length) {
            throw new InvalidInputException(
                    "expected input (N, " + mean.length + ", H, W) in [0, 1], got " + shape);
        }
        NDManager manager = x.getManager();
        Shape perChannel = new Shape(1, mean.length, 1, 1);
        try (NDArray m = manager.create(mean, perChannel).toDevice(x.getDevice(), false);
                NDArray s = manager.create(std, perChannel).toDevice(x.getDevice(), false)) {
            NDArray normalized = x.toType(DataType.FLOAT32, false).sub(m).div(s);
            return net.forward(parameterStore, new NDList(normalized), training, params);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return net.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        net.initialize(manager, dataType, inputShapes);
    }

    @Override
    public boolean isInitialized() {
        return net.isInitialized();
    }

    @Override
    public PairList<String, Shape> describeInput() {
        return net.describeInput();
    }

    @Override
    public void saveParameters(DataOutputStream os) throws IOException {
        net.saveParameters(os);
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is)
            throws IOException, MalformedModelException {
        net.loadParameters(manager, is);
    }

    /** The wrapped ResNet. */
    public Block net() {
        return net;
    }
}
