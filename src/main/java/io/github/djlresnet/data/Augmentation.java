package io.github.djlresnet.data;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The per-image training augmentations {@code --augment} chooses from. Each is independent of the
 * others; {@link BatchLoader} applies them in this order (crop, flip, then, after any
 * {@link AutoAugment} policy and normalization, erase), as torchvision's classification preset does.
 */
public enum Augmentation {
    /** pad 4 pixels with 0 on every side, take a random crop of the original size */
    CROP,
    /** flip horizontally with probability 1/2 (wrong for digits and text) */
    FLIP,
    /** random erasing (Zhong et al. 2017), with the probability {@code --random-erasing} gives */
    ERASE;

    /** The name on the command line and in run.properties. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a comma-separated list such as {@code crop,erase}; {@code none} or an empty string is
     * the empty set. Unknown or repeated items are a {@link DataException}.
     */
    public static Set<Augmentation> parseList(String list) {
        EnumSet<Augmentation> set = EnumSet.noneOf(Augmentation.class);
        String trimmed = list == null ? "" : list.strip();
        if (trimmed.isEmpty() || trimmed.equalsIgnoreCase("none")) {
            return set;
        }
        for (String item : trimmed.split(",", -1)) {
            String name = item.strip().toUpperCase(Locale.ROOT);
            Augmentation a;
            try {
                a = valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new DataException("--augment: unknown augmentation '" + item.strip()
                        + "'; expected a comma-separated list of crop, flip, erase (or none)");
            }
            if (!set.add(a)) {
                throw new DataException("--augment: '" + a + "' is listed twice");
            }
        }
        return set;
    }

    /** The canonical text of a set: its items in declaration order, comma-separated; "none" if empty. */
    public static String format(Set<Augmentation> set) {
        if (set.isEmpty()) {
            return "none";
        }
        StringJoiner j = new StringJoiner(",");
        for (Augmentation a : values()) {
            if (set.contains(a)) {
                j.add(a.toString());
            }
        }
        return j.toString();
    }
}
