package io.github.djlresnet.data;

import java.util.Arrays;
import java.util.Random;

/**
 * Holds out a seeded random fraction of a set for validation. Same seed, same split; the two
 * parts are disjoint and each keeps the original order (not stratified).
 *
 * @param train the images kept for training
 * @param validation the held-out images
 */
public record ValidationSplit(ImageSet train, ImageSet validation) {

    public static ValidationSplit of(ImageSet set, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new DataException("--val-split must be in (0, 1) to hold out images, got " + fraction);
        }
        int n = set.size();
        // at least one image on each side, or there is nothing to train or validate on
        int held = (int) Math.round(n * fraction);
        if (n < 2 || held < 1 || held > n - 1) {
            throw new DataException(
                    set.name() + ": --val-split " + fraction + " of " + n + " images leaves an empty part");
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] val = Arrays.copyOfRange(perm, 0, held);
        int[] train = Arrays.copyOfRange(perm, held, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new ValidationSplit(
                set.select(train, set.name() + "[train part]"), set.select(val, set.name() + "[val part]"));
    }
}
