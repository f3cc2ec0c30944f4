package io.github.djlresnet.data;

import io.github.djlresnet.model.InvalidInputException;
import java.util.List;

/**
 * A labelled image set held in memory as unsigned bytes, channel-first (N, C, H, W). Read once per
 * run; batches are cut from it by {@link BatchLoader}.
 *
 * @param name where it came from, for messages ("fashion-mnist-mini/train")
 * @param pixels N*C*H*W bytes, image i at offset i*C*H*W
 * @param labels N labels in [0, synset.size())
 * @param channels C
 * @param height H
 * @param width W
 * @param synset class names, index = label
 */
public record ImageSet(
        String name, byte[] pixels, int[] labels, int channels, int height, int width, List<String> synset) {

    public ImageSet {
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw new InvalidInputException(
                    name + ": " + pixels.length + " pixel bytes for " + labels.length + " images of "
                            + channels + "x" + height + "x" + width + " (expected " + expected + ")");
        }
        synset = List.copyOf(synset);
    }

    public int size() {
        return labels.length;
    }

    public int imageBytes() {
        return channels * height * width;
    }

    /** The images at {@code indices}, in that order (copies). */
    public ImageSet select(int[] indices, String newName) {
        int bytes = imageBytes();
        byte[] px = new byte[indices.length * bytes];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * bytes, px, i * bytes, bytes);
            lb[i] = labels[indices[i]];
        }
        return new ImageSet(newName, px, lb, channels, height, width, synset);
    }

    /** The first {@code n} images (all when n is 0 or not smaller than the size). */
    public ImageSet limit(int n) {
        if (n <= 0 || n >= size()) {
            return this;
        }
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        return select(idx, name);
    }
}
