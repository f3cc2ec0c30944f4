package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench/compare.py's results drawn as a chart: rounds paired, failed runs left out. */
class BenchmarkPlotTest {

    private static String line(String impl, String workload, String mode, double ips, double rss, int round) {
        return String.format(java.util.Locale.ROOT,
                "{\"impl\": \"%s\", \"workload\": \"%s\", \"mode\": \"%s\", \"images_per_sec\": %.1f,"
                        + " \"peak_rss_mib\": %.1f, \"round\": %d}",
                impl, workload, mode, ips, rss, round);
    }

    @Test
    void pairsRoundsAndDrawsBothCharts(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("r.jsonl");
        Files.write(jsonl, List.of(
                line("djl", "w28g", "train", 400, 600, 1), line("pytorch", "w28g", "train", 200, 650, 1),
                line("djl", "w28g", "train", 300, 610, 2), line("pytorch", "w28g", "train", 300, 640, 2),
                line("djl", "w28g", "train", 330, 620, 3),
                "{\"impl\": \"pytorch\", \"workload\": \"w28g\", \"mode\": \"train\", \"error\": \"run failed\", \"round\": 3}",
                line("djl", "w224", "infer", 33, 850, 1), line("pytorch", "w224", "infer", 11, 680, 1)));
        List<BenchmarkPlot.Row> rows = BenchmarkPlot.read(jsonl);
        assertEquals(2, rows.size());
        assertEquals("w28g train", rows.get(0).label());
        assertEquals(List.of(2.0, 1.0), rows.get(0).ratios(), "round 3 has no PyTorch result");
        assertEquals(1.5, BenchmarkPlot.median(rows.get(0).ratios()), 1e-12);
        assertEquals(645.0, BenchmarkPlot.median(rows.get(0).torchRss()), 1e-12);
        assertEquals(3.0, rows.get(1).ratios().get(0), 1e-12);

        Path png = dir.resolve("r.png");
        BenchmarkPlot.write(rows, png);
        var image = ImageIO.read(png.toFile());
        assertNotNull(image, "a readable PNG");
        assertEquals(1280, image.getWidth());
    }
}
