package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlresnet.data.IdxReader;
import io.github.djlresnet.data.ImageSet;
import io.github.djlresnet.serving.ForeignApp;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export --run R} needs only the run folder: the dataset it was trained on may be gone. */
class ExportCommandTest {

    private static final Path MINI = Path.of("data", "fashion-mnist-mini");

    @TempDir Path tmp;

    @Test
    void exportsARunWhoseDatasetIsGoneAndAPlainDjlAppLoadsIt() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("fashion"));
        try (Stream<Path> files = Files.list(MINI)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".gz")).toList()) {
                Files.copy(f, data.resolve(f.getFileName()));
            }
        }
        Path run = tmp.resolve("run");
        Outcome trained = cli("train", "--dataset", "fashion-mnist", "--data-dir", data.toString(), "--depth", "18",
                "--limit", "64", "--batch-size", "32", "--epochs", "1", "--lr", "0.01", "--output", run.toString());
        assertEquals(0, trained.code(), trained.err());
        // a few test images as PNG files, then the dataset goes
        ImageSet test = IdxReader.read(data.resolve("t10k-images-idx3-ubyte.gz"),
                data.resolve("t10k-labels-idx1-ubyte.gz"), "test", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        List<Path> pngs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pngs.add(png(test, i, tmp.resolve("img" + i + ".png")));
        }
        try (Stream<Path> walk = Files.walk(data)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertFalse(Files.exists(data));

        Path out = tmp.resolve("shipped");
        Outcome exported = cli("export", "--run", run.toString(), "--checkpoint", "last", "--output", out.toString());
        assertEquals(0, exported.code(), exported.err());
        assertTrue(exported.out().startsWith("exported last checkpoint (epoch 1) of " + run), exported.out());
        assertTrue(Files.isRegularFile(out.resolve("shipped-0001.params")));
        assertTrue(Files.readString(out.resolve("README.md")).contains("fashion-mnist"), "model card names the dataset");

        String app = ForeignApp.run(tmp, List.of(out), pngs);
        for (int i = 0; i < pngs.size(); i++) {
            String prefix = "result 0 " + i + " ";
            assertTrue(app.lines().anyMatch(l -> l.startsWith(prefix)), app);
        }
        assertTrue(app.contains("Ankle boot") || app.contains("Trouser") || app.contains("Pullover")
                || app.contains("T-shirt/top") || app.contains("Bag") || app.contains("Sneaker")
                || app.contains("Coat") || app.contains("Dress") || app.contains("Sandal") || app.contains("Shirt"),
                "class names from the run's recorded synset: " + app);
    }

    @Test
    void badRunsAreOneLineErrors() throws Exception {
        Outcome missing = cli("export", "--run", tmp.resolve("none").toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, missing.code());
        assertEquals("error: cannot export " + tmp.resolve("none") + ": no such folder", missing.err().strip());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Outcome notARun = cli("export", "--run", empty.toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, notARun.code());
        assertTrue(notARun.err().contains("it is not a training run"), notARun.err());
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    private record Outcome(int code, String out, String err) {}

    private static Outcome cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static Path png(ImageSet set, int i, Path file) throws Exception {
        BufferedImage img = new BufferedImage(set.width(), set.height(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < set.height(); y++) {
            for (int x = 0; x < set.width(); x++) {
                int v = set.pixels()[i * set.imageBytes() + y * set.width() + x] & 0xFF;
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }
}
