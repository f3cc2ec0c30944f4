package io.github.djlresnet.cli;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import io.github.djlresnet.runtime.EngineSetup;
import io.github.djlresnet.serving.ImagePredictor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description = {
            "Classify PNG/JPEG images with an exported model folder (or a .zip of it).",
            "Images are converted to the model's channels and size. Exit code 2: bad model or image."
        })
final class PredictCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Exported model folder or .zip.")
    Path model;

    @Option(names = "--top-k", defaultValue = "5", description = "Classes to print per image (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--channels-last",
            description = "Keep every layer's activations channels-last (NHWC) inside LibTorch, as for evaluate.")
    boolean channelsLast;

    @Parameters(arity = "1..*", paramLabel = "<image>", description = "Image files.")
    List<Path> images;

    @Override
    public Integer call() {
        if (topK < 1) {
            throw new UserError("--top-k must be at least 1, got " + topK);
        }
        // read every image first: a bad file fails the run before anything is printed
        List<Image> decoded = new ArrayList<>();
        for (Path file : images) {
            decoded.add(ImagePredictor.readImage(file));
        }
        EngineSetup.engine();
        try (ImagePredictor predictor = ImagePredictor.open(model, channelsLast)) {
            int k = Math.min(topK, predictor.classes());
            for (int i = 0; i < images.size(); i++) {
                System.out.println(images.get(i));
                int rank = 1;
                for (Classifications.Classification c : predictor.classify(decoded.get(i)).topK(k)) {
                    System.out.printf(Locale.ROOT, "  %d. %-20s %.4f%n", rank++, c.getClassName(), c.getProbability());
                }
            }
        }
        return 0;
    }
}
