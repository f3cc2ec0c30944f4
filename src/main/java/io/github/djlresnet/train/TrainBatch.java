package io.github.djlresnet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener.BatchData;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One training step: what DJL's {@code EasyTrain.trainBatch} does (forward, loss, backward, the
 * listeners' batch callback), with the optimizer's step taken inside, so that an optimizer can run
 * the backward pass and its update as one call ({@link StepOptimizer#backwardAndStep}). A trainer
 * on several devices keeps EasyTrain's split and the separate step.
 */
final class TrainBatch {

    private TrainBatch() {}

    static void run(Trainer trainer, Batch batch, StepOptimizer optimizer) {
        if (trainer.getDevices().length > 1) {
            EasyTrain.trainBatch(trainer, batch);
            optimizer.step(trainer.getModel().getBlock());
            return;
        }
        Batch split = batch.split(trainer.getDevices(), false)[0];
        BatchData data = new BatchData(batch, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
        try (GradientCollector collector = trainer.newGradientCollector()) {
            NDList labels = split.getLabels();
            NDList predictions = trainer.forward(split.getData(), labels);
            long start = System.nanoTime();
            NDArray loss = trainer.getLoss().evaluate(labels, predictions);
            optimizer.backwardAndStep(collector, loss, trainer.getModel().getBlock());
            trainer.addMetric("backward", start);
            data.getLabels().put(labels.get(0).getDevice(), labels);
            data.getPredictions().put(predictions.get(0).getDevice(), predictions);
        }
        trainer.notifyListeners(listener -> listener.onTrainingBatch(trainer, data));
    }
}
