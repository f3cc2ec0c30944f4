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
 */
public record ModelCard(String dataset, double accuracy, LocalDate date, String commandLine) {

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
    }

    /** A card dated today. */
    public static ModelCard today(String dataset, double accuracy, String commandLine) {
        return new ModelCard(dataset, accuracy, LocalDate.now(), commandLine);
    }

    /** The accuracy as text: a percentage, or "not measured". */
    public String accuracyText() {
        return Double.isNaN(accuracy)
                ? "not measured"
                : String.format(Locale.ROOT, "%.2f %%", 100 * accuracy);
    }
}
