package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run.properties keeps every setting, so that --resume continues with exactly the same ones. */
class TrainOptionsTest {

    @Test
    void savedSettingsLoadBackEqual(@TempDir Path dir) throws Exception {
        TrainOptions d = TrainOptions.defaults();
        TrainOptions options = new TrainOptions("fashion-mnist", dir, 18, d.shortcut(), d.stem(), 56,
                40, 128, "sgd", 0.1f, 0.9f, 5e-4f, LrSchedule.Kind.STEP, 1, 7, 0, 0.1, true, 0.25,
                "cpu", 1, true);
        Path file = dir.resolve("run.properties");
        options.save(file);
        assertEquals(options, TrainOptions.load(file));
    }

    @Test
    void runsSavedBeforeRandomErasingExistedLoadWithItOff(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.properties");
        TrainOptions.defaults().withEpochs(3).save(file);
        List<String> older = Files.readAllLines(file).stream()
                .filter(line -> !line.startsWith("randomErasing="))
                .collect(Collectors.toList());
        Files.write(file, older);
        assertEquals(0.0, TrainOptions.load(file).randomErasing());
    }
}
