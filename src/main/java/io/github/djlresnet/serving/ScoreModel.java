package io.github.djlresnet.serving;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.runtime.EngineSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model of a {@code score} job, loaded once per JVM (driver or executor) and shared by every
 * task that JVM runs: loading a ResNet takes seconds, a partition of images less. Each task makes
 * its own DJL {@code Predictor} from the shared model (predictors are not thread-safe, models are).
 *
 * <p>Before the engine loads, LibTorch's intra-op threads are set to the task's CPUs
 * ({@code spark.task.cpus}, 1 by default) unless {@value EngineSetup#THREADS} is set: an executor
 * runs as many tasks at once as it has cores, and each task's LibTorch would otherwise start one
 * thread per core, so that n tasks fight over n cores with n x n threads.
 */
final class ScoreModel {

    private static final Logger LOG = LoggerFactory.getLogger(ScoreModel.class);

    private static final Map<String, ZooModel<NDList, NDList>> MODELS = new HashMap<>();

    private ScoreModel() {}

    /**
     * The model at {@code location} (as given to {@code --model}), loaded on first use in this JVM,
     * with channels-last convolutions if {@code channelsLast} ({@link ModelLoader#logits(Path, boolean)}).
     */
    static synchronized ZooModel<NDList, NDList> get(String location, int threads, boolean channelsLast) {
        String key = key(location, channelsLast);
        ZooModel<NDList, NDList> model = MODELS.get(key);
        if (model != null) {
            return model;
        }
        if (System.getProperty(EngineSetup.THREADS) == null) {
            System.setProperty(EngineSetup.THREADS, String.valueOf(threads));
        }
        EngineSetup.engine();
        long start = System.nanoTime();
        model = ModelLoader.logits(resolve(location), channelsLast);
        LOG.info(String.format(Locale.ROOT, "model %s loaded in %.2f s (once in this JVM; LibTorch threads %s)",
                location, (System.nanoTime() - start) / 1e9, System.getProperty(EngineSetup.THREADS)));
        if (MODELS.isEmpty()) {
            // a zip is unpacked into a temporary folder, which closing the model deletes
            Runtime.getRuntime().addShutdownHook(new Thread(ScoreModel::closeAll));
        }
        MODELS.put(key, model);
        return model;
    }

    /** Whether this JVM holds the model at {@code location}, loaded with or without channels-last. */
    static synchronized boolean holds(String location, boolean channelsLast) {
        return MODELS.containsKey(key(location, channelsLast));
    }

    private static String key(String location, boolean channelsLast) {
        return channelsLast ? location + "#channels-last" : location;
    }

    /**
     * Where the model is on this machine: the path itself (a local or shared folder, or where
     * {@code --archives model.zip#model} unpacked it in the executor's working folder), else the
     * copy {@code spark-submit --files} shipped under that file name.
     */
    static Path resolve(String location) {
        Path path = Path.of(location);
        if (Files.exists(path) || TaskContext.get() == null) {
            return path;
        }
        Path shipped = Path.of(SparkFiles.get(path.getFileName().toString()));
        return Files.exists(shipped) ? shipped : path;
    }

    private static synchronized void closeAll() {
        MODELS.values().forEach(ZooModel::close);
        MODELS.clear();
    }
}
