package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import java.util.List;
import java.util.Locale;

/**
 * Counts of (true class, predicted class) pairs: rows are true classes, columns predicted ones,
 * so the diagonal holds the correct predictions and row {@code t} sums to the images of class t.
 */
public final class ConfusionMatrix {

    private final List<String> classes;
    private final long[][] counts;

    public ConfusionMatrix(List<String> classes) {
        if (classes.isEmpty()) {
            throw new InvalidInputException("a confusion matrix needs at least one class");
        }
        this.classes = List.copyOf(classes);
        this.counts = new long[classes.size()][classes.size()];
    }

    /** Counts one image of class {@code truth} predicted as {@code predicted}. */
    public void add(int truth, int predicted) {
        add(truth, predicted, 1);
    }

    /** Counts {@code images} images of class {@code truth} predicted as {@code predicted}. */
    public void add(int truth, int predicted, long images) {
        if (truth < 0 || truth >= counts.length || predicted < 0 || predicted >= counts.length) {
            throw new InvalidInputException(
                    "class index out of range [0, " + counts.length + "): true " + truth + ", predicted " + predicted);
        }
        counts[truth][predicted] += images;
    }

    public List<String> classes() {
        return classes;
    }

    public int size() {
        return counts.length;
    }

    public long count(int truth, int predicted) {
        return counts[truth][predicted];
    }

    /** Images of class {@code truth} (its row sum). */
    public long images(int truth) {
        long n = 0;
        for (long c : counts[truth]) {
            n += c;
        }
        return n;
    }

    public long total() {
        long n = 0;
        for (int t = 0; t < counts.length; t++) {
            n += images(t);
        }
        return n;
    }

    public long correct() {
        long n = 0;
        for (int t = 0; t < counts.length; t++) {
            n += counts[t][t];
        }
        return n;
    }

    /** Correct / total; NaN when nothing was counted. */
    public double accuracy() {
        long total = total();
        return total == 0 ? Double.NaN : (double) correct() / total;
    }

    /** Recall of one class: correct / images of that class; NaN when the class has no images. */
    public double accuracy(int truth) {
        long n = images(truth);
        return n == 0 ? Double.NaN : (double) counts[truth][truth] / n;
    }

    /** confusion.csv: a header row of class names, then one row per true class. */
    public String toCsv() {
        StringBuilder sb = new StringBuilder(csvField("true \\ predicted"));
        for (String c : classes) {
            sb.append(',').append(csvField(c));
        }
        sb.append('\n');
        for (int t = 0; t < counts.length; t++) {
            sb.append(csvField(classes.get(t)));
            for (long c : counts[t]) {
                sb.append(',').append(c);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** per_class.csv: images, correct and accuracy of each true class (accuracy empty if no images). */
    public String perClassCsv() {
        StringBuilder sb = new StringBuilder("index,class,images,correct,accuracy\n");
        for (int t = 0; t < counts.length; t++) {
            double a = accuracy(t);
            sb.append(t).append(',').append(csvField(classes.get(t))).append(',').append(images(t)).append(',')
                    .append(counts[t][t]).append(',')
                    .append(Double.isNaN(a) ? "" : String.format(Locale.ROOT, "%.6f", a)).append('\n');
        }
        return sb.toString();
    }

    /** The per-class table as printed on the console. */
    public String perClassTable() {
        int w = nameWidth();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + (w + 4) + "s %7s %8s %9s%n", "class", "images", "correct", "accuracy"));
        for (int t = 0; t < counts.length; t++) {
            double a = accuracy(t);
            sb.append(String.format(Locale.ROOT, "%3d %-" + w + "s %7d %8d %9s%n", t, classes.get(t), images(t),
                    counts[t][t], Double.isNaN(a) ? "-" : String.format(Locale.ROOT, "%.4f", a)));
        }
        return sb.toString();
    }

    /** The console report of evaluate and score: the per-class table, then the matrix. */
    public String report() {
        return perClassTable() + "\n" + "confusion matrix (rows: true class, columns: predicted class)\n"
                + table() + "\n";
    }

    /**
     * The matrix as printed on the console. Columns are headed by class index rather than name so
     * that ten classes still fit a terminal; the rows give index and name.
     */
    public String table() {
        int w = nameWidth();
        int cell = Math.max(String.valueOf(maxCount()).length(), String.valueOf(counts.length - 1).length()) + 2;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + (w + 4) + "s", "true \\ predicted"));
        for (int p = 0; p < counts.length; p++) {
            sb.append(String.format(Locale.ROOT, "%" + cell + "d", p));
        }
        sb.append(System.lineSeparator());
        for (int t = 0; t < counts.length; t++) {
            sb.append(String.format(Locale.ROOT, "%3d %-" + w + "s", t, classes.get(t)));
            for (long c : counts[t]) {
                sb.append(String.format(Locale.ROOT, "%" + cell + "d", c));
            }
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }

    long maxCount() {
        long max = 0;
        for (long[] row : counts) {
            for (long c : row) {
                max = Math.max(max, c);
            }
        }
        return max;
    }

    private int nameWidth() {
        int w = "true \\ predicted".length() - 4;
        for (String c : classes) {
            w = Math.max(w, c.length());
        }
        return w;
    }

    /** RFC 4180 quoting, only where needed (class names come from folder names and may hold commas). */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
