package io.github.djlresnet.train;

import ai.djl.TrainingDivergedException;
import ai.djl.training.Trainer;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;

/**
 * Stops training when a batch's loss is NaN or infinite (DJL's own check catches only NaN). Must
 * come after the {@link EvaluatorTrainingListener}, which computes the loss.
 */
final class DivergenceCheck extends TrainingListenerAdapter {

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        float loss = trainer.getLoss().getAccumulator(EvaluatorTrainingListener.TRAIN_ALL);
        if (!Float.isFinite(loss)) {
            throw new TrainingDivergedException("loss is " + loss);
        }
    }
}
