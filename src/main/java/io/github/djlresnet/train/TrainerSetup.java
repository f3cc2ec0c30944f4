package io.github.djlresnet.train;

import ai.djl.Device;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.listener.EvaluatorTrainingListener;
import ai.djl.training.optimizer.Optimizer;

/**
 * The training configuration every trainer of this project uses (the training app and the
 * benchmark alike): softmax cross-entropy, accuracy (and top-5 with more than 5 classes), DJL's
 * evaluator listener, the divergence check and the progress bar. The evaluators are DJL's with
 * running totals that a mid-epoch checkpoint keeps ({@link ResumableEvaluators}).
 */
public final class TrainerSetup {

    private TrainerSetup() {}

    public static DefaultTrainingConfig config(Optimizer optimizer, Device[] devices, int classes) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(new ResumableEvaluators.CrossEntropy("loss"))
                        .optOptimizer(optimizer)
                        .optDevices(devices)
                        .addEvaluator(new ResumableEvaluators.Top1("accuracy"))
                        .addTrainingListeners(
                                new EvaluatorTrainingListener(),
                                new DivergenceCheck(),
                                new ProgressListener());
        if (classes > 5) {
            config.addEvaluator(new ResumableEvaluators.TopK("top5", 5));
        }
        return config;
    }
}
