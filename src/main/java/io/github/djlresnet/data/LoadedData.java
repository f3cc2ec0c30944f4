package io.github.djlresnet.data;

/**
 * A dataset ready for training.
 *
 * @param train the training images
 * @param validation images to validate on each epoch (a held-out part of train when
 *     {@code --val-split} > 0, else the official test set or a folder's {@code val/}); may be
 *     empty for an image folder without {@code val/} and without {@code --val-split}
 * @param normalization the dataset's per-channel mean and std
 */
public record LoadedData(ImageSet train, ImageSet validation, Normalization normalization) {

    public int classes() {
        return train.synset().size();
    }
}
