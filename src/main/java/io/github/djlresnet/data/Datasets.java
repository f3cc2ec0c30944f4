package io.github.djlresnet.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Entry point: turns {@link DataOptions} into in-memory image sets. Files are read here, once per
 * run; batching is {@link BatchLoader}'s job.
 *
 * <ul>
 *   <li>{@code fashion-mnist-mini} (default): {@code data/fashion-mnist-mini} under the working
 *       directory, or {@code --data-dir}
 *   <li>{@code fashion-mnist}: {@code --data-dir}, else {@value #DEBIAN_FASHION_MNIST}, else (only
 *       when DJL is not offline) DJL's download
 *   <li>{@code cifar10}: {@code --data-dir} with the binary version, else (online) DJL's download
 *   <li>{@code folder:<path>}: one subfolder per class, see {@link ImageFolderReader}
 * </ul>
 *
 * For fashion-mnist and cifar10 the validation set is the official test set, unless
 * {@code valSplit > 0}: then a seeded fraction of the training set is held out, and the test set
 * comes only from {@link #loadTest}.
 */
public final class Datasets {

    public static final String MINI = "fashion-mnist-mini";
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final String CIFAR10 = "cifar10";
    public static final String FOLDER_PREFIX = "folder:";
    public static final String CHOICES = MINI + ", " + FASHION_MNIST + ", " + CIFAR10 + ", " + FOLDER_PREFIX + "<path>";

    public static final Path MINI_DIR = Path.of("data", "fashion-mnist-mini");
    public static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";
    public static final List<String> FASHION_MNIST_CLASSES =
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private enum Split { TRAIN, TEST }

    private Datasets() {}

    /** Train and validation sets plus the dataset's normalization. */
    public static LoadedData load(DataOptions o) {
        String name = o.dataset();
        if (name.startsWith(FOLDER_PREFIX)) {
            ImageFolderReader reader = folderReader(o);
            ValidationSplit sets = reader.read(o.valSplit(), o.seed());
            return new LoadedData(
                    sets.train().limit(o.limit()), sets.validation().limit(o.limit()), normalization(name));
        }
        ImageSet train = read(o, Split.TRAIN);
        ImageSet validation;
        if (o.valSplit() > 0) {
            ValidationSplit split = ValidationSplit.of(train, o.valSplit(), o.seed());
            train = split.train();
            validation = split.validation();
        } else {
            validation = read(o, Split.TEST);
        }
        return new LoadedData(train.limit(o.limit()), validation.limit(o.limit()), normalization(name));
    }

    /** The official test set (a folder's {@code test/}), for final reporting; limit applies. */
    public static ImageSet loadTest(DataOptions o) {
        if (o.dataset().startsWith(FOLDER_PREFIX)) {
            return folderReader(o).readTest().limit(o.limit());
        }
        return read(o, Split.TEST).limit(o.limit());
    }

    /** The normalization of a dataset name (validates the name). */
    public static Normalization normalization(String dataset) {
        if (dataset.startsWith(FOLDER_PREFIX)) {
            return Normalization.IMAGENET;
        }
        return switch (dataset) {
            case MINI, FASHION_MNIST -> Normalization.FASHION_MNIST;
            case CIFAR10 -> Normalization.CIFAR10;
            default -> throw unknown(dataset);
        };
    }

    private static ImageSet read(DataOptions o, Split split) {
        return switch (o.dataset()) {
            case MINI -> readIdx(MINI, o.dataDir() != null ? o.dataDir() : MINI_DIR, split,
                    " (run from the project root or pass --data-dir)");
            case FASHION_MNIST -> readFashionMnist(o.dataDir(), split);
            case CIFAR10 -> readCifar(o.dataDir(), split);
            default -> throw unknown(o.dataset());
        };
    }

    private static ImageSet readFashionMnist(Path dataDir, Split split) {
        if (dataDir != null) {
            return readIdx(FASHION_MNIST, dataDir, split, "");
        }
        Path debian = Path.of(DEBIAN_FASHION_MNIST);
        if (Files.isDirectory(debian)) {
            return readIdx(FASHION_MNIST, debian, split, "");
        }
        if (DjlDownload.offline()) {
            throw new DataException(
                    "fashion-mnist: not found in " + DEBIAN_FASHION_MNIST
                            + " and DJL is offline; run `apt-get install dataset-fashion-mnist` or pass --data-dir");
        }
        return DjlDownload.fashionMnist(split == Split.TRAIN, FASHION_MNIST_CLASSES);
    }

    private static ImageSet readCifar(Path dataDir, Split split) {
        if (dataDir == null) {
            if (DjlDownload.offline()) {
                throw new DataException(
                        "cifar10: pass --data-dir with the CIFAR-10 binary version (data_batch_1..5.bin,"
                                + " test_batch.bin), or set -Dai.djl.offline=false to let DJL download it");
            }
            return DjlDownload.cifar10(split == Split.TRAIN);
        }
        // accept the extracted archive's parent as well as the batches folder itself
        Path nested = dataDir.resolve("cifar-10-batches-bin");
        Path dir = !Files.exists(dataDir.resolve(CifarReader.TEST_FILE)) && Files.isDirectory(nested) ? nested : dataDir;
        return split == Split.TRAIN ? CifarReader.readTrain(dir) : CifarReader.readTest(dir);
    }

    private static ImageSet readIdx(String dataset, Path dir, Split split, String hint) {
        if (!Files.isDirectory(dir)) {
            throw new DataException(dataset + ": data directory " + dir + " does not exist" + hint);
        }
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        return IdxReader.read(
                idxFile(dir, prefix + "-images-idx3-ubyte"),
                idxFile(dir, prefix + "-labels-idx1-ubyte"),
                dataset + "/" + (split == Split.TRAIN ? "train" : "test"),
                FASHION_MNIST_CLASSES);
    }

    /** {@code base.gz}, or the unzipped {@code base} when only that exists. */
    private static Path idxFile(Path dir, String base) {
        Path gz = dir.resolve(base + ".gz");
        Path plain = dir.resolve(base);
        return !Files.exists(gz) && Files.exists(plain) ? plain : gz;
    }

    private static ImageFolderReader folderReader(DataOptions o) {
        String path = o.dataset().substring(FOLDER_PREFIX.length());
        if (path.isBlank()) {
            throw new DataException("dataset 'folder:' needs a path, e.g. folder:/data/pets");
        }
        return new ImageFolderReader(Path.of(path), 3, o.imageSize());
    }

    private static DataException unknown(String dataset) {
        return new DataException("unknown dataset '" + dataset + "'; choose one of " + CHOICES);
    }
}
