package io.github.djlresnet.data;

import ai.djl.basicdataset.cv.classification.Cifar10;
import ai.djl.basicdataset.cv.classification.FashionMnist;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.util.ProgressBar;
import ai.djl.util.Utils;
import java.io.IOException;
import java.util.List;

/**
 * Last resort when a dataset is not on disk and DJL may go online: lets DJL basicdataset download
 * it, then copies it once into an ImageSet so the rest of the pipeline is the same as for files.
 */
final class DjlDownload {

    private DjlDownload() {}

    /** DJL's own offline switch ({@code DJL_OFFLINE} env, else {@code ai.djl.offline}). */
    static boolean offline() {
        return Utils.isOfflineMode();
    }

    static ImageSet fashionMnist(boolean train, List<String> synset) {
        try (NDManager manager = NDManager.newBaseManager()) {
            FashionMnist ds = FashionMnist.builder()
                    .optManager(manager)
                    .optUsage(train ? Dataset.Usage.TRAIN : Dataset.Usage.TEST)
                    .setSampling(1, false)
                    .build();
            return convert(ds, manager, "fashion-mnist(djl)/" + (train ? "train" : "test"), synset);
        }
    }

    static ImageSet cifar10(boolean train) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Cifar10 ds = Cifar10.builder()
                    .optManager(manager)
                    .optUsage(train ? Dataset.Usage.TRAIN : Dataset.Usage.TEST)
                    .setSampling(1, false)
                    .build();
            return convert(ds, manager, "cifar10(djl)/" + (train ? "train" : "test"), CifarReader.CLASSES);
        }
    }

    /** Whole dataset as one (N, H, W, C) batch, copied to channel-first bytes. */
    private static ImageSet convert(ArrayDataset ds, NDManager manager, String name, List<String> synset) {
        try {
            ds.prepare(new ProgressBar());
            long n = ds.size();
            Batch batch = ds.getByRange(manager, 0, n);
            NDArray x = batch.getData().head();
            Shape s = x.getShape();
            if (s.dimension() != 4) {
                throw new DataException(name + ": DJL returned images of shape " + s + ", expected (N, H, W, C)");
            }
            int h = (int) s.get(1);
            int w = (int) s.get(2);
            int c = (int) s.get(3);
            byte[] hwc = x.toType(DataType.UINT8, false).toByteArray();
            int[] labels = batch.getLabels().head().toType(DataType.INT32, false).toIntArray();
            byte[] chw = new byte[hwc.length];
            int plane = h * w;
            for (int i = 0; i < labels.length; i++) {
                int base = i * c * plane;
                for (int p = 0; p < plane; p++) {
                    for (int ch = 0; ch < c; ch++) {
                        chw[base + ch * plane + p] = hwc[base + p * c + ch];
                    }
                }
            }
            return new ImageSet(name, chw, labels, c, h, w, synset);
        } catch (IOException e) {
            throw new DataException(name + ": DJL download failed (" + e.getMessage() + ")", e);
        }
    }
}
