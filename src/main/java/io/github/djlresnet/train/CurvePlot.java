package io.github.djlresnet.train;

import io.github.djlresnet.runtime.DurableFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** curves.png: loss and accuracy per epoch, train vs validation (and test when tracked), side by side (XChart). */
public final class CurvePlot {

    private CurvePlot() {}

    public static void write(List<EpochStats> rows, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart loss = chart(title + " - loss", "loss");
        XYChart accuracy = chart(title + " - accuracy", "accuracy");
        // early epochs' validation loss can be 100x the rest (BN statistics still settling)
        loss.getStyler().setYAxisLogarithmic(true);
        loss.setYAxisTitle("loss (log scale)");
        accuracy.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        addSeries(loss, "train", rows, EpochStats::trainLoss);
        addSeries(loss, "validation", rows, EpochStats::validationLoss);
        addSeries(accuracy, "train", rows, EpochStats::trainAccuracy);
        addSeries(accuracy, "validation", rows, EpochStats::validationAccuracy);
        addSeries(accuracy, "test (reported only)", rows, EpochStats::testAccuracy);
        // write next to the target, then rename, so a viewer never sees half a PNG
        DurableFiles.write(
                png,
                out -> BitmapEncoder.saveBitmap(List.of(loss, accuracy), 1, 2, out,
                        BitmapEncoder.BitmapFormat.PNG));
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart =
                new XYChartBuilder().width(560).height(400).title(title).xAxisTitle("epoch")
                        .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisDecimalPattern("#");
        return chart;
    }

    private static void addSeries(
            XYChart chart, String name, List<EpochStats> rows, ToDoubleFunction<EpochStats> value) {
        double[] x = rows.stream().mapToDouble(EpochStats::epoch).toArray();
        double[] y = rows.stream().mapToDouble(value).toArray();
        boolean any = java.util.Arrays.stream(y).anyMatch(v -> !Double.isNaN(v));
        if (x.length == 0 || !any) {
            return;
        }
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
    }
}
