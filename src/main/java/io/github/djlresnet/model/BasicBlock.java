package io.github.djlresnet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.initializer.XavierInitializer;
import java.util.List;

/**
 * The ResNet BasicBlock: conv3x3(stride) - BN - ReLU - conv3x3 - BN, added to the shortcut, then
 * ReLU. Built from DJL blocks so that it saves, loads and trains like any DJL model.
 */
public final class BasicBlock {

    /** torchvision's BN defaults: eps 1e-5, torch momentum 0.1 (DJL keeps 0.9 of the old value). */
    public static final float BN_EPSILON = 1e-5f;

    public static final float BN_MOMENTUM = 0.9f;

    private BasicBlock() {}

    /**
     * Builds one block.
     *
     * @param inChannels channels of the block's input
     * @param outChannels channels of the block's output
     * @param stride 1, or 2 at the first block of a downsampling stage
     * @param shortcut the shortcut option (He et al. Table 3)
     */
    public static Block of(int inChannels, int outChannels, int stride, Shortcut shortcut) {
        return of(inChannels, outChannels, stride, shortcut, null);
    }

    /**
     * Builds one block whose convolutions run on {@code convKernel} (null: DJL's own Conv2d). The
     * parameters are the same either way.
     */
    public static Block of(
            int inChannels, int outChannels, int stride, Shortcut shortcut, ConvKernel convKernel) {
        return of(inChannels, outChannels, stride, shortcut, convKernel, false);
    }

    /**
     * As above; with {@code foldedNorm}, the inference form: each convolution has a bias and no
     * BatchNorm follows it ({@link BatchNormFolding}).
     */
    static Block of(int inChannels, int outChannels, int stride, Shortcut shortcut,
            ConvKernel convKernel, boolean foldedNorm) {
        SequentialBlock residual = new ReleasingSequentialBlock();
        convNorm(residual, outChannels, 3, stride, convKernel, foldedNorm);
        residual.add(Activation.reluBlock());
        convNorm(residual, outChannels, 3, 1, convKernel, foldedNorm);
        boolean shapeChanges = stride != 1 || inChannels != outChannels;
        // the shortcut's output is a new array unless it is the identity (the block's own input)
        boolean freshShortcut = shortcut.projects(shapeChanges) || shapeChanges;
        return new ReleasingSequentialBlock()
                .add(
                        new ParallelBlock(
                                branches -> addBranches(branches, freshShortcut),
                                List.of(
                                        residual,
                                        shortcutBranch(inChannels, outChannels, stride,
                                                shortcut, shapeChanges, convKernel, foldedNorm))))
                .add(Activation.reluBlock());
    }

    /** residual + shortcut; the branch outputs are closed once summed (see ReleasingSequentialBlock). */
    private static NDList addBranches(List<NDList> branches, boolean freshShortcut) {
        NDArray residual = branches.get(0).singletonOrThrow();
        NDArray shortcut = branches.get(1).singletonOrThrow();
        NDArray sum = residual.add(shortcut);
        residual.close();
        if (freshShortcut) {
            shortcut.close();
        }
        return new NDList(sum);
    }

    private static Block shortcutBranch(int inChannels, int outChannels, int stride,
            Shortcut shortcut, boolean shapeChanges, ConvKernel convKernel, boolean foldedNorm) {
        if (shortcut.projects(shapeChanges)) {
            SequentialBlock projection = new ReleasingSequentialBlock();
            convNorm(projection, outChannels, 1, stride, convKernel, foldedNorm);
            return projection;
        }
        if (!shapeChanges) {
            return LambdaBlock.singleton(x -> x, "identity");
        }
        return zeroPadShortcut(outChannels - inChannels, stride);
    }

    /**
     * Option A where the shape changes: keep every {@code stride}-th pixel and append zero channels.
     * It has no parameters, as the paper's option A.
     */
    static Block zeroPadShortcut(int extraChannels, int stride) {
        String step = "::" + stride;
        return LambdaBlock.singleton(
                x -> {
                    NDArray kept = x.get(":, :, " + step + ", " + step);
                    Shape s = kept.getShape();
                    NDArray zeros =
                            kept.getManager()
                                    .zeros(new Shape(s.get(0), extraChannels, s.get(2), s.get(3)),
                                            kept.getDataType(), kept.getDevice());
                    NDArray padded = NDArrays.concat(new NDList(kept, zeros), 1);
                    kept.close();
                    zeros.close();
                    return padded;
                },
                "zeroPadShortcut");
    }

    /** Appends a convolution and its BatchNorm, or (folded) one convolution with a bias. */
    static void convNorm(SequentialBlock target, int filters, int kernel, int stride,
            ConvKernel convKernel, boolean foldedNorm) {
        if (foldedNorm) {
            target.add(conv(filters, kernel, stride, convKernel, true));
        } else {
            target.add(conv(filters, kernel, stride, convKernel)).add(batchNorm());
        }
    }

    /**
     * A bias-free convolution (BN follows) with "same" padding and Kaiming-normal (fan_out) init,
     * computed by DJL's Conv2d, or by {@code convKernel} when it is not null (same parameters).
     */
    static Block conv(int filters, int kernel, int stride, ConvKernel convKernel) {
        return conv(filters, kernel, stride, convKernel, false);
    }

    private static Block conv(int filters, int kernel, int stride, ConvKernel convKernel, boolean bias) {
        Conv2d.Builder builder =
                Conv2d.builder()
                        .setFilters(filters)
                        .setKernelShape(new Shape(kernel, kernel))
                        .optStride(new Shape(stride, stride))
                        .optPadding(new Shape(kernel / 2, kernel / 2))
                        .optBias(bias);
        Conv2d conv = convKernel == null ? builder.build() : new KernelConv2d(builder, convKernel);
        conv.setInitializer(kaimingFanOut(), Parameter.Type.WEIGHT);
        return conv;
    }

    static Block batchNorm() {
        return BatchNorm.builder().optEpsilon(BN_EPSILON).optMomentum(BN_MOMENTUM).build();
    }

    /** Kaiming normal, mode fan_out, gain sqrt(2): what torchvision's ResNet uses for convs. */
    static XavierInitializer kaimingFanOut() {
        return new XavierInitializer(
                XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.OUT, 2f);
    }
}
