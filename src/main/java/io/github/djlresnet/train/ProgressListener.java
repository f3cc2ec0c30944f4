package io.github.djlresnet.train;

import ai.djl.training.Trainer;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.util.ProgressBar;
import java.util.Locale;

/**
 * DJL's progress bar within an epoch, showing the running loss and accuracy. Quiet when the output
 * is not a terminal (CI logs), where one line per epoch says enough.
 */
final class ProgressListener extends TrainingListenerAdapter {

    private final boolean enabled = System.console() != null;
    private ProgressBar training;
    private ProgressBar validation;

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (!enabled) {
            return;
        }
        if (training == null || batchData.getBatch().getProgress() == 0) {
            training = new ProgressBar("Training", batchData.getBatch().getProgressTotal());
        }
        StringBuilder status = new StringBuilder();
        for (Evaluator e : trainer.getEvaluators()) {
            status.append(String.format(Locale.ROOT, "%s %.4f  ", e.getName(),
                    e.getAccumulator(EvaluatorTrainingListener.TRAIN_EPOCH)));
        }
        training.update(batchData.getBatch().getProgress(), status.toString().trim());
    }

    @Override
    public void onValidationBatch(Trainer trainer, BatchData batchData) {
        if (!enabled) {
            return;
        }
        if (validation == null || batchData.getBatch().getProgress() == 0) {
            validation = new ProgressBar("Validating", batchData.getBatch().getProgressTotal());
        }
        validation.update(batchData.getBatch().getProgress());
    }
}
