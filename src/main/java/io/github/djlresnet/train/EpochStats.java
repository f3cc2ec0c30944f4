package io.github.djlresnet.train;

/**
 * One epoch's results: a row of metrics.csv and a point on the curves. Top-5 values are NaN for
 * datasets with 5 classes or fewer; validation values are NaN when there is no validation set.
 * Test accuracy is NaN unless the run tracks it ({@code --track-test}); it is reported, never used
 * to pick a checkpoint.
 */
public record EpochStats(
        int epoch,
        double trainLoss,
        double trainAccuracy,
        double trainTop5,
        double validationLoss,
        double validationAccuracy,
        double validationTop5,
        double learningRate,
        double imagesPerSecond,
        double epochSeconds,
        double elapsedSeconds,
        double testAccuracy) {

    static final String CSV_HEADER =
            "epoch,train_loss,train_accuracy,train_top5,val_loss,val_accuracy,val_top5,"
                    + "learning_rate,images_per_sec,epoch_seconds,elapsed_seconds,test_accuracy";

    String toCsv() {
        return String.format(
                java.util.Locale.ROOT,
                "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6g,%.2f,%.2f,%.2f,%.6f",
                epoch, trainLoss, trainAccuracy, trainTop5, validationLoss, validationAccuracy,
                validationTop5, learningRate, imagesPerSecond, epochSeconds, elapsedSeconds,
                testAccuracy);
    }

    static EpochStats fromCsv(String line) {
        String[] f = line.split(",");
        double[] v = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            v[i] = Double.parseDouble(f[i]);
        }
        // files written before test tracking existed have 11 columns
        double test = v.length > 11 ? v[11] : Double.NaN;
        return new EpochStats((int) v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                test);
    }

    /** The one log line per epoch. */
    String logLine(int epochs) {
        String test = Double.isNaN(testAccuracy)
                ? "" : String.format(java.util.Locale.ROOT, "  test acc %.4f", testAccuracy);
        return String.format(
                java.util.Locale.ROOT,
                "epoch %d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f%s  lr %.3g  %.1f img/s  %.1fs (total %.1fs)",
                epoch, epochs, trainLoss, trainAccuracy, validationLoss, validationAccuracy, test,
                learningRate, imagesPerSecond, epochSeconds, elapsedSeconds);
    }
}
