package io.github.djlresnet.model;

import java.util.List;

/**
 * Everything that fixes a ResNet's architecture. The exported model's {@code serving.properties}
 * carries these fields so that another app can rebuild the same block.
 *
 * @param depth 18 or 34
 * @param classes number of output classes (at least 1)
 * @param inputChannels 1 (grayscale) or 3 (RGB)
 * @param stem the stem before stage 1
 * @param shortcut the shortcut option of He et al. Table 3
 */
public record ResNetConfig(int depth, int classes, int inputChannels, Stem stem, Shortcut shortcut) {

    /** Output channels of the four stages. */
    public static final List<Integer> WIDTHS = List.of(64, 128, 256, 512);

    public ResNetConfig {
        if (depth != 18 && depth != 34) {
            throw new InvalidInputException("depth must be 18 or 34, got " + depth);
        }
        if (classes < 1) {
            throw new InvalidInputException("classes must be at least 1, got " + classes);
        }
        if (inputChannels != 1 && inputChannels != 3) {
            throw new InvalidInputException(
                    "input channels must be 1 (grayscale) or 3 (RGB), got " + inputChannels);
        }
        if (stem == null || shortcut == null) {
            throw new InvalidInputException("stem and shortcut must be given");
        }
    }

    /** ResNet-34 with the paper's defaults (ImageNet stem, option B). */
    public static ResNetConfig resnet34(int classes, int inputChannels) {
        return new ResNetConfig(34, classes, inputChannels, Stem.IMAGENET, Shortcut.B);
    }

    /** BasicBlocks per stage (He et al. 2015, Table 1). */
    public List<Integer> blocksPerStage() {
        return depth == 18 ? List.of(2, 2, 2, 2) : List.of(3, 4, 6, 3);
    }

    /**
     * Smallest square input side that still gives the last stage a map of at least 2x2 to halve.
     * Smaller inputs would make stage 4 stride over a single pixel.
     */
    public int minInputSize() {
        int size = 2;
        for (int i = 0; i < 2; i++) { // undo the stride-2 stages 2 and 3
            size = 2 * size - 1;
        }
        // undo the stem: two halvings (conv/2, pool/2) for imagenet, none for small
        for (int s = stem.stride(); s > 1; s /= 2) {
            size = 2 * size - 1;
        }
        return size;
    }

    /** Throws when a (height, width) input is too small for this network. */
    public void checkInputSize(long height, long width) {
        int min = minInputSize();
        if (height < min || width < min) {
            throw new InvalidInputException(
                    "input "
                            + height
                            + "x"
                            + width
                            + " is too small for the "
                            + stem
                            + " stem: at least "
                            + min
                            + "x"
                            + min
                            + " is needed so that stage 4 gets a map of 2x2 or more");
        }
    }

    /** The side (px) of the first stage's maps for a square input of {@code inputSide} px. */
    public int firstStageSide(int inputSide) {
        int side = inputSide;
        for (int s = stem.stride(); s > 1; s /= 2) { // each stride-2 layer rounds up (padding)
            side = (side + 1) / 2;
        }
        return side;
    }
}
