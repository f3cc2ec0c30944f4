package io.github.djlresnet.data;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cuts {@link HostBatch}es from an in-memory {@link ImageSet}: optional bilinear resize to
 * {@code imageSize}, optional training augmentation, then {@code (x/255 - mean) / std} per
 * channel. Never reads files.
 *
 * <p>Augmentation is He et al.'s CIFAR recipe: pad 4 pixels with raw value 0 on every side,
 * take a random crop of the original size, flip horizontally with probability 1/2. The crop is
 * done on raw pixels before normalizing, so padding normalizes to {@code -mean/std} like a black
 * border. {@link #withAugmentations} picks crop and flip separately (flip is wrong for digits and
 * text), {@link #withAutoAugment} adds torchvision's TrivialAugmentWide or RandAugment on the uint8
 * pixels after them. Optionally, {@link #withRandomErasing random erasing} (Zhong et al. 2017) then
 * sets a random rectangle of the normalized image to 0, the dataset mean.
 *
 * <p>Deterministic for a given (seed, epoch): the shuffle comes from a Random seeded by (seed,
 * epoch) and each sample's augmentation from a generator seeded by (seed, epoch, position in the
 * epoch), so results do not depend on which worker thread prepares which batch. Batches are
 * prepared by {@code workers} daemon threads, a few batches ahead, and delivered in order.
 */
public final class BatchLoader implements AutoCloseable {

    static final int PAD = 4;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ImageSet set;
    private final float[] scale; // 1 / (255 std) per channel
    private final float[] offset; // -mean / std per channel
    private final int height;
    private final int width;
    private final boolean resize;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean augment;
    private boolean crop;
    private boolean flip;
    private AutoAugment autoAugment = AutoAugment.NONE;
    private final long seed;
    private double erasing;
    private final int prefetch;
    private final ExecutorService pool;

    public BatchLoader(
            ImageSet set,
            Normalization norm,
            int imageSize,
            int batchSize,
            boolean shuffle,
            boolean augment,
            long seed,
            int workers) {
        if (norm.channels() != set.channels()) {
            throw new DataException(
                    set.name() + ": normalization has " + norm.channels() + " channels but the images have "
                            + set.channels());
        }
        if (imageSize < 0) {
            throw new DataException("--image-size must be 0 (native) or positive, got " + imageSize);
        }
        if (batchSize < 1) {
            throw new DataException("--batch-size must be positive, got " + batchSize);
        }
        if (workers < 1) {
            throw new DataException("data loader workers must be positive, got " + workers);
        }
        this.set = set;
        float[] mean = norm.mean();
        float[] std = norm.std();
        scale = new float[mean.length];
        offset = new float[mean.length];
        for (int c = 0; c < mean.length; c++) {
            scale[c] = 1f / (255f * std[c]);
            offset[c] = -mean[c] / std[c];
        }
        height = imageSize == 0 ? set.height() : imageSize;
        width = imageSize == 0 ? set.width() : imageSize;
        resize = height != set.height() || width != set.width();
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.augment = augment;
        this.crop = augment;
        this.flip = augment;
        this.seed = seed;
        // enough batches ahead to keep every worker busy, few enough to bound memory
        prefetch = Math.min(4, workers + 1);
        int id = POOLS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        ThreadFactory daemons = r -> {
            Thread t = new Thread(r, "batch-loader-" + id + "-" + threads.incrementAndGet());
            t.setDaemon(true); // an abandoned loader must not keep the JVM alive
            return t;
        };
        pool = Executors.newFixedThreadPool(workers, daemons);
    }

    /**
     * With {@code augment}, also erases one random rectangle per image with probability
     * {@code probability}, as torchvision's {@code RandomErasing} with its defaults: 2–33% of the
     * area, aspect ratio 0.3–3.3 (uniform in log), up to 10 tries to fit; the rectangle is set to
     * 0 after normalizing, i.e. to the dataset's mean. 0 (the default) draws nothing extra, so the
     * other augmentations stay exactly as without it.
     */
    public BatchLoader withRandomErasing(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new DataException("--random-erasing must be in [0, 1], got " + probability);
        }
        this.erasing = probability;
        return this;
    }

    /**
     * With {@code augment}, chooses which of crop and flip run ({@link Augmentation#ERASE} is
     * turned on by {@link #withRandomErasing}); the default is both. Draws are made only for the
     * chosen ones, so crop and flip together draw exactly what they did before this option existed.
     */
    public BatchLoader withAugmentations(java.util.Set<Augmentation> items) {
        this.crop = augment && items.contains(Augmentation.CROP);
        this.flip = augment && items.contains(Augmentation.FLIP);
        return this;
    }

    /**
     * With {@code augment}, applies {@code policy} ({@link AutoAugment}) to each image's uint8
     * pixels after crop and flip and before normalizing and erasing, as torchvision's
     * classification preset does; its draws follow the crop's and flip's from the same per-image
     * generator.
     */
    public BatchLoader withAutoAugment(AutoAugment policy) {
        policy.check(set.channels());
        this.autoAugment = policy;
        return this;
    }

    /** Batches per epoch; the last one may be partial. */
    public int batchesPerEpoch() {
        return (set.size() + batchSize - 1) / batchSize;
    }

    public int size() {
        return set.size();
    }

    public int channels() {
        return set.channels();
    }

    /** Height of the batches' images (after any resize). */
    public int height() {
        return height;
    }

    /** Width of the batches' images (after any resize). */
    public int width() {
        return width;
    }

    /** The batches of one epoch, in order; close it to drop batches not yet taken. */
    public Epoch epoch(int epoch) {
        return new Epoch(epoch, 0);
    }

    /**
     * The batches of one epoch from batch {@code fromBatch} on (to resume mid-epoch): the same
     * batches, with the same augmentation, as the rest of {@code epoch(epoch)}.
     */
    public Epoch epoch(int epoch, int fromBatch) {
        if (fromBatch < 0 || fromBatch > batchesPerEpoch()) {
            throw new DataException("batch " + fromBatch + " is outside an epoch of " + batchesPerEpoch() + " batches");
        }
        return new Epoch(epoch, fromBatch);
    }

    /** Stops the worker threads. */
    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** Order in which an epoch visits the images. */
    int[] order(int epoch) {
        int n = set.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random rng = new Random(mix(seed, epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Builds batch {@code b} of an epoch; runs on a worker thread. */
    private HostBatch prepare(int epoch, int[] order, int b) {
        int from = b * batchSize;
        int size = Math.min(set.size(), from + batchSize) - from;
        int channels = set.channels();
        int plane = height * width;
        int imageOut = channels * plane;
        float[] data = new float[size * imageOut];
        float[] labels = new float[size];
        float[] raw = new float[imageOut];
        byte[] pixels = set.pixels();
        int imageIn = set.imageBytes();
        for (int k = 0; k < size; k++) {
            int pos = from + k;
            int idx = order[pos];
            labels[k] = set.labels()[idx];
            if (resize) {
                Bilinear.resize(pixels, idx * imageIn, channels, set.height(), set.width(), raw, height, width);
            } else {
                for (int i = 0; i < imageIn; i++) {
                    raw[i] = pixels[idx * imageIn + i] & 0xFF;
                }
            }
            int dy = 0;
            int dx = 0;
            boolean flipped = false;
            SplittableRandom rng = null;
            if (augment) {
                rng = new SplittableRandom(mix(mix(seed, epoch), pos));
                if (crop) {
                    dy = rng.nextInt(2 * PAD + 1) - PAD;
                    dx = rng.nextInt(2 * PAD + 1) - PAD;
                }
                if (flip) {
                    flipped = rng.nextBoolean();
                }
            }
            if (rng != null && autoAugment != AutoAugment.NONE) {
                int[] img = cropFlip(raw, channels, dy, dx, flipped);
                img = autoAugment.apply(img, channels, height, width, rng);
                for (int i = 0; i < imageOut; i++) {
                    raw[i] = img[i];
                }
                write(raw, data, k * imageOut, 0, 0, false);
            } else {
                write(raw, data, k * imageOut, dy, dx, flipped);
            }
            if (rng != null && erasing > 0 && rng.nextDouble() < erasing) {
                erase(data, k * imageOut, channels, rng);
            }
        }
        return new HostBatch(data, labels, size, channels, height, width);
    }

    /**
     * out(c, y, x) = normalize(raw(c, y + dy, x' + dx)) with x' = flipped x, and raw 0 outside the
     * image: a crop of the zero-padded image followed by a flip.
     */
    private void write(float[] raw, float[] out, int o, int dy, int dx, boolean flip) {
        int plane = height * width;
        for (int c = 0; c < scale.length; c++) {
            float s = scale[c];
            float z = offset[c];
            int in = c * plane;
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                if (sy < 0 || sy >= height) {
                    java.util.Arrays.fill(out, o, o + width, z);
                    o += width;
                    continue;
                }
                int row = in + sy * width;
                for (int x = 0; x < width; x++) {
                    int sx = (flip ? width - 1 - x : x) + dx;
                    out[o++] = sx < 0 || sx >= width ? z : raw[row + sx] * s + z;
                }
            }
        }
    }

    /**
     * The crop and flip of {@link #write} on raw pixels, rounded and clamped to uint8 (needed after
     * a bilinear resize): the input of the {@link AutoAugment} policies.
     */
    private int[] cropFlip(float[] raw, int channels, int dy, int dx, boolean flipped) {
        int[] out = new int[channels * height * width];
        int o = 0;
        for (int c = 0; c < channels; c++) {
            int in = c * height * width;
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                for (int x = 0; x < width; x++) {
                    int sx = (flipped ? width - 1 - x : x) + dx;
                    boolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                    out[o++] = inside ? Math.max(0, Math.min(255, Math.round(raw[in + sy * width + sx]))) : 0;
                }
            }
        }
        return out;
    }

    /** Sets one random rectangle of the image at {@code o} to 0 in every channel, if one fits. */
    private void erase(float[] out, int o, int channels, SplittableRandom rng) {
        int area = height * width;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (0.02 + rng.nextDouble() * (0.33 - 0.02));
            double aspect = Math.exp(Math.log(0.3) + rng.nextDouble() * (Math.log(1 / 0.3) - Math.log(0.3)));
            int h = (int) Math.round(Math.sqrt(target * aspect));
            int w = (int) Math.round(Math.sqrt(target / aspect));
            if (h < 1 || w < 1 || h >= height || w >= width) {
                continue;
            }
            int top = rng.nextInt(height - h + 1);
            int left = rng.nextInt(width - w + 1);
            for (int c = 0; c < channels; c++) {
                for (int y = top; y < top + h; y++) {
                    int row = o + (c * height + y) * width;
                    java.util.Arrays.fill(out, row + left, row + left + w, 0f);
                }
            }
            return;
        }
    }

    /** SplitMix64 finalizer over two values: well-spread seeds from (seed, epoch, position). */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One epoch's batches, prepared ahead by the workers and handed out in order. */
    public final class Epoch implements Iterator<HostBatch>, AutoCloseable {

        private final int epoch;
        private final int[] order;
        private final int batches = batchesPerEpoch();
        private final ArrayDeque<Future<HostBatch>> pending = new ArrayDeque<>();
        private int submitted;

        private Epoch(int epoch, int fromBatch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.submitted = fromBatch;
            fill();
        }

        private void fill() {
            while (submitted < batches && pending.size() < prefetch) {
                int b = submitted++;
                pending.add(pool.submit(() -> prepare(epoch, order, b)));
            }
        }

        @Override
        public boolean hasNext() {
            return !pending.isEmpty();
        }

        @Override
        public HostBatch next() {
            Future<HostBatch> head = pending.poll();
            if (head == null) {
                throw new NoSuchElementException("epoch " + epoch + " has " + batches + " batches");
            }
            fill();
            try {
                return head.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted while waiting for a batch");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("batch preparation failed", e.getCause());
            }
        }

        /** Cancels batches prepared ahead but not taken. */
        @Override
        public void close() {
            for (Future<HostBatch> f : pending) {
                f.cancel(false);
            }
            pending.clear();
        }
    }
}
