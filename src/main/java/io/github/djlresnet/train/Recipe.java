package io.github.djlresnet.train;

import io.github.djlresnet.data.Augmentation;
import io.github.djlresnet.data.AutoAugment;
import io.github.djlresnet.model.InvalidInputException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The training-recipe settings of torchvision's reference {@code train.py} that a run adds to the
 * paper's SGD (docs/TRAINING.md describes each, its definition and its torchvision counterpart).
 *
 * @param augmentations per-image augmentations ({@code --augment}); erase needs {@code --random-erasing P}
 * @param autoAugment TrivialAugmentWide, RandAugment or none ({@code --auto-augment})
 * @param labelSmoothing e in target = (1 - e) onehot + e / K ({@code --label-smoothing})
 * @param mixupAlpha Beta(a, a) of mixup; 0 = off ({@code --mixup-alpha})
 * @param cutmixAlpha Beta(a, a) of cutmix; 0 = off ({@code --cutmix-alpha})
 * @param modelEma keep, validate and export an exponential moving average of the weights ({@code --model-ema})
 * @param emaDecay ema = decay ema + (1 - decay) w after every step ({@code --ema-decay})
 * @param normWeightDecay weight decay of BatchNorm weights and biases and of all biases; NaN = the
 *     run's weight decay ({@code --norm-weight-decay})
 */
public record Recipe(Set<Augmentation> augmentations, AutoAugment autoAugment, double labelSmoothing,
        double mixupAlpha, double cutmixAlpha, boolean modelEma, double emaDecay, double normWeightDecay) {

    /** {@code --ema-decay}'s default: an average over about the last 1,000 steps. */
    public static final double DEFAULT_EMA_DECAY = 0.999;

    /** What a run gets without these options: crop and flip, nothing else. */
    public static final Recipe DEFAULT = new Recipe(EnumSet.of(Augmentation.CROP, Augmentation.FLIP),
            AutoAugment.NONE, 0, 0, 0, false, DEFAULT_EMA_DECAY, Double.NaN);

    public Recipe {
        EnumSet<Augmentation> copy = EnumSet.noneOf(Augmentation.class);
        copy.addAll(augmentations);
        augmentations = Collections.unmodifiableSet(copy);
        check(autoAugment != null, "--auto-augment must be none, trivialaugment or randaugment");
        check(labelSmoothing >= 0 && labelSmoothing < 1, "--label-smoothing must be in [0, 1), got " + labelSmoothing);
        check(mixupAlpha >= 0 && Double.isFinite(mixupAlpha), "--mixup-alpha must be 0 (off) or positive, got " + mixupAlpha);
        check(cutmixAlpha >= 0 && Double.isFinite(cutmixAlpha),
                "--cutmix-alpha must be 0 (off) or positive, got " + cutmixAlpha);
        check(emaDecay > 0 && emaDecay < 1, "--ema-decay must be in (0, 1), got " + emaDecay);
        check(Double.isNaN(normWeightDecay) || (normWeightDecay >= 0 && Double.isFinite(normWeightDecay)),
                "--norm-weight-decay must be 0 or more, got " + normWeightDecay);
    }

    /** The augmentations a run made before {@code --augment} existed had. */
    static Set<Augmentation> legacy(boolean augment, double randomErasing) {
        EnumSet<Augmentation> set = EnumSet.noneOf(Augmentation.class);
        if (augment) {
            set.add(Augmentation.CROP);
            set.add(Augmentation.FLIP);
            if (randomErasing > 0) {
                set.add(Augmentation.ERASE);
            }
        }
        return set;
    }

    /** Whether any per-image augmentation runs. */
    public boolean augments() {
        return !augmentations.isEmpty() || autoAugment != AutoAugment.NONE;
    }

    /** Whether batches carry class probabilities instead of class indices. */
    public boolean softTargets() {
        return labelSmoothing > 0 || mixupAlpha > 0 || cutmixAlpha > 0;
    }

    public Recipe withAugmentations(Set<Augmentation> set) {
        return new Recipe(set, autoAugment, labelSmoothing, mixupAlpha, cutmixAlpha, modelEma, emaDecay,
                normWeightDecay);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }
}
