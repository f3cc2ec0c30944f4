package io.github.djlresnet.serving;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/** confusion.png: the confusion matrix as an XChart heat map with class names and counts. */
public final class ConfusionPlot {

    private ConfusionPlot() {}

    /** Writes the PNG to {@code out} (the caller makes the file appear atomically). */
    public static void write(ConfusionMatrix m, String title, OutputStream out) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BitmapEncoder.saveBitmap(chart(m, title), out, BitmapEncoder.BitmapFormat.PNG);
    }

    static HeatMapChart chart(ConfusionMatrix m, String title) {
        int n = m.size();
        // about 60 px per cell so the counts stay readable, within sane bounds for many classes
        int side = Math.max(480, Math.min(2400, 60 * n + 260));
        HeatMapChart chart = new HeatMapChartBuilder().width(side + 80).height(side).title(title)
                .xAxisTitle("predicted class").yAxisTitle("true class").build();
        var s = chart.getStyler();
        s.setShowValue(true);
        s.setHeatMapValueDecimalPattern("#");
        s.setValueFont(new Font(Font.SANS_SERIF, Font.BOLD, n <= 12 ? 13 : 10));
        s.setValueFontColor(Color.BLACK);
        // light colours only, so black counts are readable on every cell, the darkest included
        s.setRangeColors(new Color[] {Color.WHITE, new Color(0xFF, 0xE0, 0x80), new Color(0xF0, 0x80, 0x50)});
        s.setMin(0);
        s.setMax(Math.max(1, m.maxCount()));
        s.setDrawBorder(true);
        s.setXAxisLabelRotation(45);
        s.setPlotContentSize(1.0);
        s.setLegendVisible(true);

        List<String> x = new ArrayList<>(m.classes());
        // XChart puts y index 0 at the bottom; reverse so the first class is the top row, as in the tables
        List<String> y = new ArrayList<>(m.classes());
        Collections.reverse(y);
        List<Number[]> cells = new ArrayList<>(n * n);
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                cells.add(new Number[] {p, n - 1 - t, m.count(t, p)});
            }
        }
        chart.addSeries("images", x, y, cells);
        return chart;
    }
}
