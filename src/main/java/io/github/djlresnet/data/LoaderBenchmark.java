package io.github.djlresnet.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures images/s through the whole {@link BatchLoader} pipeline (resize, augmentation,
 * normalization, prefetch), with a consumer that does nothing but touch each batch, so the
 * number is the loader's ceiling, not training speed. File reading is timed separately.
 *
 * <pre>
 * java -cp ... io.github.djlresnet.data.LoaderBenchmark --dataset fashion-mnist \
 *     [--data-dir DIR] [--image-size 0] [--batch 128] [--workers 2] [--epochs 5] [--no-augment]
 * </pre>
 */
public final class LoaderBenchmark {

    private LoaderBenchmark() {}

    public static void main(String[] args) {
        String dataset = DataOptions.DEFAULT_DATASET;
        Path dataDir = null;
        int imageSize = 0;
        int batch = 128;
        int workers = Runtime.getRuntime().availableProcessors();
        int epochs = 5;
        boolean augment = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--dataset" -> dataset = args[++i];
                case "--data-dir" -> dataDir = Path.of(args[++i]);
                case "--image-size" -> imageSize = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--no-augment" -> augment = false;
                default -> throw new DataException("unknown option " + a);
            }
        }
        long t0 = System.nanoTime();
        LoadedData data = Datasets.load(new DataOptions(dataset, dataDir, imageSize, 0, 42, 0));
        double loadSec = (System.nanoTime() - t0) / 1e9;
        ImageSet train = data.train();
        System.out.printf(Locale.ROOT, "dataset %s: %d train images %dx%dx%d, read in %.2f s%n",
                dataset, train.size(), train.channels(), train.height(), train.width(), loadSec);
        double[] rates = new double[epochs];
        double checksum = 0;
        try (BatchLoader loader = new BatchLoader(train, data.normalization(), imageSize, batch, true, augment, 42, workers)) {
            System.out.printf(Locale.ROOT, "batch %d, workers %d, augment %s, output %dx%dx%d%n",
                    batch, workers, augment, loader.channels(), loader.height(), loader.width());
            for (int e = 0; e < epochs; e++) {
                long start = System.nanoTime();
                int images = 0;
                try (BatchLoader.Epoch it = loader.epoch(e)) {
                    while (it.hasNext()) {
                        HostBatch b = it.next();
                        checksum += b.data()[b.data().length - 1]; // keep the work observable
                        images += b.size();
                    }
                }
                double sec = (System.nanoTime() - start) / 1e9;
                rates[e] = images / sec;
                System.out.printf(Locale.ROOT, "epoch %d: %d images in %.3f s = %.0f images/s%n", e, images, sec, rates[e]);
            }
        }
        // epoch 0 includes JIT warm-up; report the median of the rest
        double[] warm = Arrays.copyOfRange(rates, Math.min(1, epochs - 1), epochs);
        Arrays.sort(warm);
        System.out.printf(Locale.ROOT, "median after warm-up: %.0f images/s (checksum %.3f)%n", warm[warm.length / 2], checksum);
    }
}
