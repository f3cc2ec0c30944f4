package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import io.github.djlresnet.data.ImageSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exported folder works in a JVM that has DJL and nothing of this project. */
class ForeignJvmTest {

    @TempDir Path tmp;

    @Test
    void aPlainDjlAppClassifiesLikeOurPredictor() throws Exception {
        Path folder = Fixtures.exported();
        Path zip = ModelLoaderTest.zip(folder, tmp.resolve("model.zip"), "fmnist-resnet18/");
        ImageSet test = Fixtures.test();
        List<Path> pngs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            pngs.add(Fixtures.writeGrayPng(test, i, tmp.resolve("img" + i + ".png")));
        }

        String out = ForeignApp.run(tmp, List.of(folder, zip), pngs);
        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("isolated true"), "the child cannot see this project's classes:\n" + out);
        for (int m = 0; m < 2; m++) {
            String prefix = "block " + m + " " + NormalizedBlock.class.getName() + " from ";
            String block = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(
                    () -> new AssertionError("no block line:\n" + out));
            assertTrue(block.endsWith(ModelFolder.JAR), "factory classes come from the model's jar: " + block);
        }

        try (ImagePredictor ours = ImagePredictor.open(folder)) {
            for (int i = 0; i < pngs.size(); i++) {
                Classifications.Classification best = ours.classify(pngs.get(i), 1).top().get(0);
                for (int m = 0; m < 2; m++) {
                    String start = "result " + m + " " + i + " ";
                    String line = lines.stream().filter(l -> l.startsWith(start)).findFirst().orElseThrow(
                            () -> new AssertionError("no " + start + "line:\n" + out));
                    String[] parts = line.substring(start.length()).split(" ", 2);
                    assertEquals(best.getClassName(), parts[1], "image " + i + ", model " + m);
                    assertEquals(best.getProbability(), Double.parseDouble(parts[0]), 1e-5, "image " + i);
                }
            }
        }
    }
}
