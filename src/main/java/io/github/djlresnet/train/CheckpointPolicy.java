package io.github.djlresnet.train;

import io.github.djlresnet.model.InvalidInputException;

/**
 * When a run writes a checkpoint inside an epoch, besides the one at every epoch's end: every
 * {@code everySteps} optimizer steps, or once {@code everyMinutes} of training have passed since
 * the last checkpoint (0 turns either off). An epoch of the full Fashion-MNIST at 28x28 with the
 * small stem takes about 15 minutes here, one of an ImageNet-sized set hours: a crash should not
 * lose all of it. A checkpoint of ResNet-34 with SGD state is about 170 MB and takes well under a
 * second to write, so 10 minutes costs nothing measurable.
 */
public record CheckpointPolicy(int everySteps, double everyMinutes) {

    /** Every 10 minutes of training. */
    public static final CheckpointPolicy DEFAULT = new CheckpointPolicy(0, 10);

    public CheckpointPolicy {
        if (everySteps < 0) {
            throw new InvalidInputException("--checkpoint-every must be 0 (off) or more steps, got " + everySteps);
        }
        if (!(everyMinutes >= 0)) {
            throw new InvalidInputException("--checkpoint-minutes must be 0 (off) or more, got " + everyMinutes);
        }
    }

    /** Whether to checkpoint after {@code step} steps of the epoch, {@code nanosSinceLast} after the last one. */
    boolean due(int step, long nanosSinceLast) {
        return (everySteps > 0 && step % everySteps == 0)
                || (everyMinutes > 0 && nanosSinceLast >= everyMinutes * 60e9);
    }
}
