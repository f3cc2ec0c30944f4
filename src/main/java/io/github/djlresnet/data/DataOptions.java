package io.github.djlresnet.data;

import java.nio.file.Path;

/**
 * What to load (mirrors the CLI's data options).
 *
 * @param dataset {@code fashion-mnist-mini} (default when null), {@code fashion-mnist},
 *     {@code cifar10} or {@code folder:<path>}
 * @param dataDir where the dataset's files are; null for the dataset's default place
 * @param imageSize side of the square images fed to the model; 0 keeps the native size
 * @param valSplit fraction of the training set held out for validation, in [0, 1); 0 uses the
 *     official test set (or a folder's {@code val/}) as validation
 * @param seed seed of the validation split
 * @param limit keep only the first N images of train and of validation; 0 keeps all
 */
public record DataOptions(
        String dataset, Path dataDir, int imageSize, double valSplit, long seed, int limit) {

    public static final String DEFAULT_DATASET = "fashion-mnist-mini";

    public DataOptions {
        if (dataset == null || dataset.isBlank()) {
            dataset = DEFAULT_DATASET;
        }
        if (imageSize < 0) {
            throw new DataException("--image-size must be 0 (native) or positive, got " + imageSize);
        }
        if (!(valSplit >= 0 && valSplit < 1)) {
            throw new DataException("--val-split must be in [0, 1), got " + valSplit);
        }
        if (limit < 0) {
            throw new DataException("--limit must be 0 (all) or positive, got " + limit);
        }
    }

    /** The shipped mini subset at native size, official test set as validation. */
    public static DataOptions defaults() {
        return new DataOptions(DEFAULT_DATASET, null, 0, 0, 42, 0);
    }
}
