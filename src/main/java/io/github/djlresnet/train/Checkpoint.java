package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.runtime.CheckpointFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to continue training exactly, in the {@link CheckpointFile} format: the
 * block's parameters (BN running statistics included), the optimizer's state (SGD's momentum
 * buffers, or Adam's moments and step count), the epochs done, the best validation accuracy so
 * far and, for a checkpoint taken inside an epoch, the steps done in it with the running totals of
 * the epoch's training metrics. The learning rate and the data order are functions of (epoch,
 * step), so those counters restore them.
 */
public final class Checkpoint {

    private static final String EPOCHS_DONE = "epochsDone";
    private static final String BEST_ACCURACY = "bestAccuracy";
    private static final String BEST_EPOCH = "bestEpoch";
    private static final String STEPS = "stepsDone";
    private static final String IMAGES = "imagesDone";
    private static final String SECONDS = "secondsDone";
    private static final String EVALUATOR = "evaluator.";
    private static final String EMA_UPDATES = "emaUpdates";

    /**
     * Where a run is.
     *
     * @param epochsDone whole epochs done
     * @param bestAccuracy best validation accuracy so far (NaN before the first epoch)
     * @param bestEpoch the epoch that reached it
     * @param inEpoch progress inside epoch {@code epochsDone + 1}; {@link InEpoch#NONE} at an epoch's end
     */
    public record State(int epochsDone, double bestAccuracy, int bestEpoch, InEpoch inEpoch) {
        public State(int epochsDone, double bestAccuracy, int bestEpoch) {
            this(epochsDone, bestAccuracy, bestEpoch, InEpoch.NONE);
        }
    }

    /**
     * Progress inside an epoch: steps and images done, training seconds spent, and the training
     * evaluators' running totals ({@link ResumableEvaluators#save}).
     */
    public record InEpoch(int steps, long images, double seconds, Map<String, String> evaluators) {
        public static final InEpoch NONE = new InEpoch(0, 0, 0, Map.of());

        public InEpoch {
            evaluators = Map.copyOf(evaluators);
        }
    }

    private Checkpoint() {}

    public static void save(Path file, Block block, StepOptimizer optimizer, State state)
            throws IOException {
        save(file, block, optimizer, null, state);
    }

    /** Also saves {@code ema}'s averages and update count (null: no EMA). */
    public static void save(Path file, Block block, StepOptimizer optimizer, ModelEma ema, State state)
            throws IOException {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(EPOCHS_DONE, String.valueOf(state.epochsDone()));
        properties.put(BEST_ACCURACY, String.valueOf(state.bestAccuracy()));
        properties.put(BEST_EPOCH, String.valueOf(state.bestEpoch()));
        InEpoch in = state.inEpoch();
        properties.put(STEPS, String.valueOf(in.steps()));
        properties.put(IMAGES, String.valueOf(in.images()));
        properties.put(SECONDS, String.valueOf(in.seconds()));
        in.evaluators().forEach((k, v) -> properties.put(EVALUATOR + k, v));
        // parameter ids are random per block instance; store the optimizer state by the
        // parameter's path in the block, which a rebuilt block shares
        Map<String, String> names = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            names.put(p.getValue().getId(), p.getKey());
        }
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : optimizer.state().entrySet()) {
            arrays.put(translate(e.getKey(), names), e.getValue());
        }
        if (ema != null) {
            properties.put(CheckpointFile.EMA_DECAY, String.valueOf(ema.decay()));
            properties.put(EMA_UPDATES, String.valueOf(ema.updates()));
            arrays.putAll(ema.state());
        }
        CheckpointFile.write(file, properties, block, arrays);
    }

    /**
     * Call before the trainer initializes the block, so that it keeps these values and marks them
     * as requiring gradients.
     *
     * <p>Loads parameters into {@code block} and buffers into {@code optimizer}; returns the run state.
     * Throws InvalidInputException with a one-line message for a missing, foreign, truncated or
     * mismatched file.
     */
    public static State load(Path file, Block block, StepOptimizer optimizer, NDManager manager) {
        return load(file, block, optimizer, null, manager);
    }

    /**
     * Also restores {@code ema} (null: none). A checkpoint without averages leaves {@code ema}
     * empty, so that its next update copies the weights.
     */
    public static State load(Path file, Block block, StepOptimizer optimizer, ModelEma ema, NDManager manager) {
        CheckpointFile.Contents contents = CheckpointFile.read(file, block, manager, true);
        try {
            Map<String, String> ids = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                ids.put(p.getKey(), p.getValue().getId());
            }
            Map<String, NDArray> buffers = new LinkedHashMap<>();
            Map<String, NDArray> averages = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : contents.arrays().entrySet()) {
                if (e.getKey().startsWith(CheckpointFile.EMA_PREFIX)) {
                    averages.put(e.getKey(), e.getValue());
                    continue;
                }
                String key = translate(e.getKey(), ids);
                if (key == null) {
                    throw new InvalidInputException(
                            file + " has optimizer state for " + e.getKey() + ", which this model lacks");
                }
                buffers.put(key, e.getValue());
            }
            optimizer.restoreState(buffers, manager);
            if (ema != null && !averages.isEmpty()) {
                try {
                    ema.restore(averages, Long.parseLong(contents.properties().get(EMA_UPDATES)), manager);
                } catch (RuntimeException e) {
                    throw new InvalidInputException(file + " has a damaged EMA state: " + e.getMessage());
                }
            }
            return state(file, contents.properties());
        } finally {
            // restoreState keeps copies
            contents.arrays().values().forEach(NDArray::close);
        }
    }

    private static State state(Path file, Map<String, String> p) {
        try {
            Map<String, String> evaluators = new LinkedHashMap<>();
            p.forEach((k, v) -> {
                if (k.startsWith(EVALUATOR)) {
                    evaluators.put(k.substring(EVALUATOR.length()), v);
                }
            });
            InEpoch in = new InEpoch(Integer.parseInt(p.getOrDefault(STEPS, "0")),
                    Long.parseLong(p.getOrDefault(IMAGES, "0")),
                    Double.parseDouble(p.getOrDefault(SECONDS, "0")), evaluators);
            return new State(Integer.parseInt(p.get(EPOCHS_DONE)), Double.parseDouble(p.get(BEST_ACCURACY)),
                    Integer.parseInt(p.get(BEST_EPOCH)), in.steps() == 0 ? InEpoch.NONE : in);
        } catch (RuntimeException e) {
            throw new InvalidInputException(file + " has a damaged run state: " + e.getMessage());
        }
    }

    /**
     * Maps the parameter part of an optimizer state key ({@code <parameter>[#part]}, see
     * {@link StepOptimizer#state()}) through {@code map}; keys of no parameter ({@code #name}) stay
     * as they are. Null when the parameter is not in {@code map}.
     */
    private static String translate(String key, Map<String, String> map) {
        int hash = key.indexOf('#');
        if (hash == 0) {
            return key;
        }
        String parameter = hash < 0 ? key : key.substring(0, hash);
        String mapped = map.get(parameter);
        return mapped == null ? null : mapped + (hash < 0 ? "" : key.substring(hash));
    }
}
