package io.github.djlresnet.serving;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.github.djlresnet.model.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Classifies image files with an exported model, the way any DJL app would: DJL's image
 * translator converts each PNG/JPEG to the model's channels (GRAYSCALE or COLOR flag) and size
 * (resize), the block normalizes, softmax gives probabilities. Named apart from DJL's
 * {@link Predictor}, which it uses.
 */
public final class ImagePredictor implements AutoCloseable {

    /** One image's top classes, most probable first. */
    public record Prediction(Path file, List<Classifications.Classification> top) {}

    private final ZooModel<Image, Classifications> model;
    private final Predictor<Image, Classifications> predictor;
    private final int classes;

    private ImagePredictor(ZooModel<Image, Classifications> model, int classes) {
        this.model = model;
        this.predictor = model.newPredictor();
        this.classes = classes;
    }

    /** Loads an exported folder or zip; failures are one-line {@link IllegalArgumentException}s. */
    public static ImagePredictor open(Path modelPath) {
        return open(modelPath, false);
    }

    /** As {@link #open(Path)}, with channels-last convolutions if asked ({@link ModelLoader#logits(Path, boolean)}). */
    public static ImagePredictor open(Path modelPath, boolean channelsLast) {
        ZooModel<Image, Classifications> model = ModelLoader.classifier(modelPath, channelsLast);
        int classes = Integer.parseInt(model.getProperty(ServingArguments.CLASSES));
        return new ImagePredictor(model, classes);
    }

    /** Number of classes the model tells apart. */
    public int classes() {
        return classes;
    }

    /** Reads an image file, failing with a message that names it when it is not an image. */
    public static Image readImage(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("image " + file + " does not exist or is not a file");
        }
        try {
            return ImageFactory.getInstance().fromFile(file);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(file + " is not a readable image (PNG or JPEG expected)", e);
        }
    }

    /** The {@code topK} most probable classes of an image file. */
    public Prediction classify(Path file, int topK) {
        return new Prediction(file, classify(readImage(file)).topK(topK));
    }

    /** All class probabilities of an image. */
    public Classifications classify(Image image) {
        try {
            return predictor.predict(image);
        } catch (TranslateException e) {
            throw new IllegalStateException("classification failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
