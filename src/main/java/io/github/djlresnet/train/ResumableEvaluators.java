package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.evaluator.TopKAccuracy;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DJL's loss, accuracy and top-k evaluators with running totals that a checkpoint can save and
 * restore, so that an epoch resumed from a mid-epoch checkpoint reports the same training loss
 * and accuracy as an uninterrupted one. DJL keeps those totals in protected (accuracy) or
 * private (loss) fields with no setter, hence these subclasses; the values they compute are
 * DJL's.
 */
public final class ResumableEvaluators {

    private ResumableEvaluators() {}

    /** An evaluator whose totals for one accumulator key can be saved as text and restored. */
    public interface Resumable {
        Map<String, String> save(String key);

        void restore(String key, Map<String, String> saved);
    }

    /** Saves the totals of every resumable evaluator, as {@code <evaluator>.<field>} properties. */
    public static Map<String, String> save(List<Evaluator> evaluators, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Evaluator e : evaluators) {
            if (e instanceof Resumable r) {
                r.save(key).forEach((field, value) -> out.put(e.getName() + "." + field, value));
            }
        }
        return out;
    }

    /** Restores what {@link #save} wrote; evaluators with nothing saved start from zero. */
    public static void restore(List<Evaluator> evaluators, String key, Map<String, String> saved) {
        for (Evaluator e : evaluators) {
            if (e instanceof Resumable r) {
                Map<String, String> fields = new LinkedHashMap<>();
                String prefix = e.getName() + ".";
                saved.forEach((k, v) -> {
                    if (k.startsWith(prefix)) {
                        fields.put(k.substring(prefix.length()), v);
                    }
                });
                if (!fields.isEmpty()) {
                    r.restore(key, fields);
                }
            }
        }
    }

    /**
     * Class indices for class-probability labels (label smoothing, mixup, cutmix): each row's
     * argmax, the class with the larger share (ties: the lower index); index labels as they are.
     */
    static NDList hardLabels(NDList labels, NDList predictions) {
        NDArray label = labels.head();
        if (label.getShape().dimension() == 2 && label.getShape().equals(predictions.head().getShape())) {
            return new NDList(label.argMax(1));
        }
        return labels;
    }

    /**
     * Top-1 accuracy (DJL's Accuracy). With class-probability labels it counts a prediction as
     * right when it is the label's argmax ({@link #hardLabels}).
     */
    public static final class Top1 extends Accuracy implements Resumable {
        public Top1(String name) {
            super(name);
        }

        @Override
        protected Pair<Long, NDArray> accuracyHelper(NDList labels, NDList predictions) {
            return super.accuracyHelper(hardLabels(labels, predictions), predictions);
        }

        @Override
        public Map<String, String> save(String key) {
            return saveCounts(totalInstances, correctInstances, key);
        }

        @Override
        public void restore(String key, Map<String, String> saved) {
            restoreCounts(totalInstances, correctInstances, key, saved);
        }
    }

    /** Top-k accuracy (DJL's TopKAccuracy), against {@link #hardLabels} as Top1. */
    public static final class TopK extends TopKAccuracy implements Resumable {
        public TopK(String name, int k) {
            super(name, k);
        }

        @Override
        protected Pair<Long, NDArray> accuracyHelper(NDList labels, NDList predictions) {
            return super.accuracyHelper(hardLabels(labels, predictions), predictions);
        }

        @Override
        public Map<String, String> save(String key) {
            return saveCounts(totalInstances, correctInstances, key);
        }

        @Override
        public void restore(String key, Map<String, String> saved) {
            restoreCounts(totalInstances, correctInstances, key, saved);
        }
    }

    /** An accuracy's totals (DJL's protected maps, passed in by the subclass). */
    private static Map<String, String> saveCounts(Map<String, Long> total, Map<String, Long> correct, String key) {
        return Map.of("total", String.valueOf(total.getOrDefault(key, 0L)),
                "correct", String.valueOf(correct.getOrDefault(key, 0L)));
    }

    private static void restoreCounts(Map<String, Long> total, Map<String, Long> correct, String key,
            Map<String, String> saved) {
        total.put(key, Long.parseLong(saved.get("total")));
        correct.put(key, Long.parseLong(saved.get("correct")));
    }

    /**
     * Softmax cross-entropy (DJL's), whose accumulator is DJL's: the sum of the batches' mean
     * losses over the number of batches. Kept here because DJL's sum is a private field.
     */
    public static final class CrossEntropy extends SoftmaxCrossEntropyLoss implements Resumable {
        private final Map<String, Float> sums = new ConcurrentHashMap<>();
        private final SoftmaxCrossEntropyLoss soft;

        public CrossEntropy(String name) {
            super(name);
            // DJL's dense form: -sum_k target_k log softmax(logits)_k, averaged over the batch
            soft = new SoftmaxCrossEntropyLoss(name, 1, -1, false, true);
        }

        /**
         * Cross-entropy against class indices (DJL's sparse form) or, for labels shaped like the
         * predictions, against class probabilities (its dense form; what label smoothing, mixup
         * and cutmix give the training batches). Validation batches keep class indices, so the
         * validation loss is the plain cross-entropy.
         */
        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray label = labels.head();
            if (label.getShape().dimension() == 2 && label.getShape().equals(predictions.head().getShape())) {
                return soft.evaluate(labels, predictions);
            }
            return super.evaluate(labels, predictions);
        }

        @Override
        public void addAccumulator(String key) {
            totalInstances.put(key, 0L);
            sums.put(key, 0f);
        }

        @Override
        public void updateAccumulator(String key, NDList labels, NDList predictions) {
            updateAccumulators(new String[] {key}, labels, predictions);
        }

        @Override
        public void updateAccumulators(String[] keys, NDList labels, NDList predictions) {
            float value;
            try (NDArray loss = evaluate(labels, predictions); NDArray sum = loss.sum()) {
                value = sum.getFloat();
            }
            for (String key : keys) {
                totalInstances.merge(key, 1L, Long::sum);
                sums.merge(key, value, Float::sum);
            }
        }

        @Override
        public void resetAccumulator(String key) {
            totalInstances.put(key, 0L);
            sums.put(key, 0f);
        }

        @Override
        public float getAccumulator(String key) {
            Long total = totalInstances.get(key);
            if (total == null) {
                throw new IllegalArgumentException("no loss accumulator for key " + key);
            }
            return total == 0 ? Float.NaN : sums.get(key) / total;
        }

        @Override
        public Map<String, String> save(String key) {
            // Float.toString is the shortest text that parses back to the same float
            return Map.of("batches", String.valueOf(totalInstances.getOrDefault(key, 0L)),
                    "sum", Float.toString(sums.getOrDefault(key, 0f)));
        }

        @Override
        public void restore(String key, Map<String, String> saved) {
            totalInstances.put(key, Long.parseLong(saved.get("batches")));
            sums.put(key, Float.parseFloat(saved.get("sum")));
        }
    }
}
