package io.github.djlresnet.model;

import java.util.Locale;

/**
 * How a BasicBlock's input reaches the addition, as in He et al. 2015, Table 3.
 *
 * <ul>
 *   <li>{@link #A}: identity; where the shape changes, a stride-2 subsample with the extra channels
 *       zero-padded (no parameters).
 *   <li>{@link #B}: identity; where the shape changes, a 1x1 convolution + BN projection.
 *   <li>{@link #C}: a 1x1 convolution + BN projection on every block.
 * </ul>
 */
public enum Shortcut {
    A,
    B,
    C;

    /** Parses "a", "B", ... with an error that lists the choices. */
    public static Shortcut parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(
                    "shortcut must be one of A, B, C (He et al. 2015, Table 3), got '" + text + "'");
        }
    }

    /** Whether this option uses a projection for a block whose shape is (or is not) changing. */
    boolean projects(boolean shapeChanges) {
        return this == C || (this == B && shapeChanges);
    }
}
