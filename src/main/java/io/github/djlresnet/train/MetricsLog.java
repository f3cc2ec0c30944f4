package io.github.djlresnet.train;

import io.github.djlresnet.model.InvalidInputException;
import io.github.djlresnet.runtime.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** metrics.csv: one row per epoch, rewritten whole (atomically) after every epoch. */
public final class MetricsLog {

    private final Path file;
    private final List<EpochStats> rows = new ArrayList<>();

    public MetricsLog(Path file) {
        this.file = file;
    }

    /** Reads the rows of epochs 1..{@code upToEpoch} from an existing file (for a resumed run). */
    public static MetricsLog resume(Path file, int upToEpoch) {
        MetricsLog log = new MetricsLog(file);
        if (Files.exists(file)) {
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (String line : lines.subList(1, lines.size())) {
                    EpochStats row = EpochStats.fromCsv(line);
                    if (row.epoch() <= upToEpoch) {
                        log.rows.add(row);
                    }
                }
            } catch (IOException | RuntimeException e) {
                throw new InvalidInputException("cannot read " + file + ": " + e.getMessage());
            }
        }
        return log;
    }

    public void add(EpochStats row) {
        rows.add(row);
        StringBuilder sb = new StringBuilder(EpochStats.CSV_HEADER).append('\n');
        for (EpochStats r : rows) {
            sb.append(r.toCsv()).append('\n');
        }
        try {
            DurableFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<EpochStats> rows() {
        return List.copyOf(rows);
    }

    /** Seconds of training already spent before this session (for a resumed run). */
    public double elapsedSeconds() {
        return rows.isEmpty() ? 0 : rows.get(rows.size() - 1).elapsedSeconds();
    }
}
