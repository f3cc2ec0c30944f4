package io.github.djlresnet.train;

import io.github.djlresnet.model.InvalidInputException;
import java.util.Locale;

/**
 * Learning rate as a function of training progress (epochs done, fractional), so that a resumed run
 * picks up exactly where it stopped.
 *
 * <ul>
 *   <li>constant: the base rate;
 *   <li>step: the base rate divided by 10 at 50% and 75% of the epochs (He et al. divide by 10 at
 *       fixed points);
 *   <li>cosine: from the base rate down to 0 over the epochs after warm-up.
 * </ul>
 *
 * A linear warm-up from base/10 over the first {@code warmupEpochs} applies to all three.
 */
public record LrSchedule(Kind kind, float base, int epochs, double warmupEpochs) {

    public enum Kind {
        CONSTANT,
        STEP,
        COSINE;

        public static Kind parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(
                        "--lr-schedule must be constant, step or cosine, got '" + text + "'");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The rate at {@code progress} epochs (e.g. 2.5 = halfway through the third epoch). */
    public float at(double progress) {
        if (progress < warmupEpochs) {
            double start = base / 10.0;
            return (float) (start + (base - start) * progress / warmupEpochs);
        }
        switch (kind) {
            case STEP:
                if (progress >= 0.75 * epochs) {
                    return base / 100f;
                }
                return progress >= 0.5 * epochs ? base / 10f : base;
            case COSINE:
                double span = Math.max(epochs - warmupEpochs, 1e-9);
                double t = Math.min(1.0, (progress - warmupEpochs) / span);
                return (float) (0.5 * base * (1 + Math.cos(Math.PI * t)));
            default:
                return base;
        }
    }
}
