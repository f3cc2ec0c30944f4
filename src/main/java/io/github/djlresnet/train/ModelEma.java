package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djlresnet.runtime.CheckpointFile;
import io.github.djlresnet.runtime.NoGrad;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exponential moving average of a block's weights, as torchvision's
 * {@code utils.ExponentialMovingAverage} ({@code torch.optim.swa_utils.AveragedModel} with
 * {@code use_buffers=True}): after every optimizer step, for every array of the block (the
 * trainable weights and BatchNorm's running mean and variance, which torchvision calls buffers),
 *
 * <pre>
 *   ema = decay * ema + (1 - decay) * w
 * </pre>
 *
 * except that the first update copies w (torchvision's {@code n_averaged == 0}), and that during
 * the warm-up epochs every update copies (torchvision's train.py resets {@code n_averaged} there).
 * Unlike train.py, the update runs every step with the given decay, not every
 * {@code model_ema_steps} steps with a decay adjusted by batch size and epochs.
 *
 * <p>The averages are kept by the parameter's path in the block, saved in the checkpoint as named
 * arrays ({@link CheckpointFile#EMA_PREFIX}) with the update count, validated by swapping them into
 * the block ({@link #swap}) and exported instead of the raw weights.
 */
public final class ModelEma implements AutoCloseable {

    private final double decay;
    private final Map<String, NDArray> averages = new LinkedHashMap<>();
    private long updates;
    private List<Pair<String, Parameter>> parameters;

    public ModelEma(double decay) {
        this.decay = decay;
    }

    public double decay() {
        return decay;
    }

    /** Updates done since the last copy (0: the next update copies). */
    public long updates() {
        return updates;
    }

    /** The averages by parameter path; live arrays, do not close. */
    public Map<String, NDArray> averages() {
        return averages;
    }

    /** One update from {@code block}'s current arrays; {@code copy} makes it a copy (warm-up). */
    public void update(Block block, boolean copy) {
        if (parameters == null) {
            parameters = new ArrayList<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                parameters.add(p);
            }
        }
        float keep = (float) decay;
        float take = (float) (1.0 - decay);
        try (NoGrad noGrad = new NoGrad()) {
            for (Pair<String, Parameter> p : parameters) {
                NDArray w = p.getValue().getArray();
                NDArray avg = averages.get(p.getKey());
                if (avg == null || updates == 0) {
                    if (avg != null) {
                        avg.close();
                    }
                    averages.put(p.getKey(), StepOptimizer.copy(w, w.getManager()));
                } else {
                    try (NDArray part = w.mul(take)) {
                        avg.muli(keep).addi(part);
                    }
                }
            }
        }
        updates = copy ? 0 : updates + 1;
    }

    /**
     * Exchanges the block's arrays with the averages in place (call again to undo): validation
     * then sees the averaged weights, training the raw ones.
     */
    public void swap(Block block) {
        try (NoGrad noGrad = new NoGrad()) {
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray avg = averages.get(p.getKey());
                if (avg == null) {
                    continue;
                }
                NDArray w = p.getValue().getArray();
                try (NDArray raw = w.duplicate()) {
                    CheckpointFile.copyInto(w, avg);
                    CheckpointFile.copyInto(avg, raw);
                }
            }
        }
    }

    /** The state for a checkpoint: arrays by {@code EMA_PREFIX + path}. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        averages.forEach((k, v) -> out.put(CheckpointFile.EMA_PREFIX + k, v));
        return out;
    }

    /** Replaces the averages with copies of a checkpoint's ({@code EMA_PREFIX + path} keys). */
    public void restore(Map<String, NDArray> saved, long savedUpdates, NDManager manager) {
        averages.values().forEach(NDArray::close);
        averages.clear();
        saved.forEach((k, v) -> {
            if (k.startsWith(CheckpointFile.EMA_PREFIX)) {
                averages.put(k.substring(CheckpointFile.EMA_PREFIX.length()), StepOptimizer.copy(v, manager));
            }
        });
        updates = savedUpdates;
    }

    @Override
    public void close() {
        averages.values().forEach(NDArray::close);
        averages.clear();
    }
}
