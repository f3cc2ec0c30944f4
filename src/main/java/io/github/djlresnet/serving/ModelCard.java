package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import java.time.LocalDate;
import java.util.Locale;

/**
 * Where an exported model comes from, for the {@code README.md} model card in its folder.
 *
 * @param dataset what it was trained on, e.g. {@code fashion-mnist-mini}
 * @param accuracy validation accuracy in [0, 1]; NaN when not measured
 * @param date the day of the export
 * @param commandLine the command that produced the model (or empty)
 * @param weights which weights these are when not the plain training weights, e.g. an
 *     exponential moving average (or empty)
 */
public record ModelCard(String dataset, double accuracy, LocalDate date, String commandLine, String weights) {

    public ModelCard(String dataset, double accuracy, LocalDate date, String commandLine) {
        this(dataset, accuracy, date, commandLine, "");
    }

    public ModelCard {
        if (dataset == null || dataset.isBlank()) {
            throw new InvalidInputException("model card needs the dataset's name");
        }
        if (!Double.isNaN(accuracy) && !(accuracy >= 0 && accuracy <= 1)) {
            throw new InvalidInputException("accuracy must be in [0, 1] or NaN, got " + accuracy);
        }
        if (date == null) {
            date = LocalDate.now();
        }
        commandLine = commandLine == null ? "" : commandLine;
        weights = weights == null ? "" : weights;
    }

    /** A card dated today. */
    public static ModelCard today(String dataset, double accuracy, String commandLine) {
        return new ModelCard(dataset, accuracy, LocalDate.now(), commandLine);
    }

    /** A card dated today for weights that are not the plain training weights (see {@code weights}). */
    public static ModelCard today(String dataset, double accuracy, String commandLine, String weights) {
        return new ModelCard(dataset, accuracy, LocalDate.now(), commandLine, weights);
    }

    /** The accuracy as text: a percentage, or "not measured". */
    public String accuracyText() {
        return Double.isNaN(accuracy)
                ? "not measured"
                : String.format(Locale.ROOT, "%.2f %%", 100 * accuracy);
    }
}
