package io.github.djlresnet.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.runtime.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * Draws a bench/compare.py results file (JSON lines, DJL and PyTorch alternating by round) as
 * two bar charts: the DJL/PyTorch speed ratio per workload and mode (median of the per-round
 * ratios; XChart's whiskers are symmetric, so they reach the farther of the smallest and largest
 * ratio), against the 1.10 target; and the median peak RSS of both.
 *
 * <pre>java -cp ... io.github.djlresnet.train.BenchmarkPlot bench/results/X.jsonl out.png</pre>
 */
public final class BenchmarkPlot {

    private BenchmarkPlot() {}

    /** One workload and mode: per-round DJL/PyTorch speed ratios and both sides' peak RSS. */
    record Row(String label, List<Double> ratios, List<Double> djlRss, List<Double> torchRss) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: BenchmarkPlot <results.jsonl> <out.png>");
            System.exit(2);
        }
        write(read(Path.of(args[0])), Path.of(args[1]));
    }

    /** Pairs round i of DJL with round i of PyTorch for every workload and mode, in file order. */
    static List<Row> read(Path jsonl) throws IOException {
        Map<String, Map<Integer, JsonObject[]>> byLabel = new LinkedHashMap<>();
        for (String line : Files.readAllLines(jsonl)) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (!o.has("images_per_sec") || !o.has("round")) {
                continue; // a failed run
            }
            String label = o.get("workload").getAsString() + " " + o.get("mode").getAsString();
            int side = o.get("impl").getAsString().equals("djl") ? 0 : 1;
            byLabel.computeIfAbsent(label, k -> new LinkedHashMap<>())
                    .computeIfAbsent(o.get("round").getAsInt(), k -> new JsonObject[2])[side] = o;
        }
        List<Row> rows = new ArrayList<>();
        byLabel.forEach((label, rounds) -> {
            Row row = new Row(label, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (JsonObject[] pair : rounds.values()) {
                if (pair[0] != null && pair[1] != null) {
                    row.ratios().add(pair[0].get("images_per_sec").getAsDouble()
                            / pair[1].get("images_per_sec").getAsDouble());
                    row.djlRss().add(pair[0].get("peak_rss_mib").getAsDouble());
                    row.torchRss().add(pair[1].get("peak_rss_mib").getAsDouble());
                }
            }
            if (!row.ratios().isEmpty()) {
                rows.add(row);
            }
        });
        return rows;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static void write(List<Row> rows, Path png) throws IOException {
        if (rows.isEmpty()) {
            throw new InvalidInputException("no complete DJL/PyTorch round pairs to plot");
        }
        System.setProperty("java.awt.headless", "true");
        List<String> labels = rows.stream().map(Row::label).toList();

        CategoryChart speed = new CategoryChartBuilder().width(640).height(420)
                .title("speed, DJL / PyTorch (median of rounds; whiskers cover min and max)")
                .xAxisTitle("workload").yAxisTitle("ratio of images/s").build();
        speed.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        speed.getStyler().setOverlapped(true);
        List<Double> medians = rows.stream().map(r -> median(r.ratios())).toList();
        List<Double> spread = new ArrayList<>();
        for (Row r : rows) {
            // XChart draws symmetric whiskers; use the larger distance so min and max are inside
            double m = median(r.ratios());
            spread.add(Math.max(Collections.max(r.ratios()) - m, m - Collections.min(r.ratios())));
        }
        speed.addSeries("DJL / PyTorch", labels, medians, spread);
        CategorySeries target = speed.addSeries("target 1.10", labels, Collections.nCopies(labels.size(), 1.10));
        target.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        CategorySeries parity = speed.addSeries("parity 1.00", labels, Collections.nCopies(labels.size(), 1.0));
        parity.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);

        CategoryChart memory = new CategoryChartBuilder().width(640).height(420)
                .title("peak RSS (median of rounds)").xAxisTitle("workload").yAxisTitle("MiB").build();
        memory.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        memory.addSeries("DJL", labels, rows.stream().map(r -> median(r.djlRss())).toList());
        memory.addSeries("PyTorch", labels, rows.stream().map(r -> median(r.torchRss())).toList());

        DurableFiles.write(png, out -> BitmapEncoder.saveBitmap(List.of(speed, memory), 1, 2, out,
                BitmapEncoder.BitmapFormat.PNG));
    }
}
