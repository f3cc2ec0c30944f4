package io.github.djlresnet.model;

import java.util.Locale;

/** The layers before the first residual stage. */
public enum Stem {
    /** 7x7/2 conv 64, BN, ReLU, 3x3/2 max pool: the paper's ImageNet stem (/4 in all). */
    IMAGENET(4),
    /** 3x3/1 conv 64, BN, ReLU, no pool: keeps 28-32 px images at full resolution. */
    SMALL(1);

    private final int stride;

    Stem(int stride) {
        this.stride = stride;
    }

    /** How much the stem shrinks each spatial side. */
    public int stride() {
        return stride;
    }

    public static Stem parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(
                    "stem must be 'imagenet' or 'small', got '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
