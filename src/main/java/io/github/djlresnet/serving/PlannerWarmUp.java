package io.github.djlresnet.serving;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code score}'s query shape once on a one-byte file in a temporary folder (a
 * {@code binaryFile} scan, {@code mapPartitions} to {@link ScorePartition#SCHEMA}, a Parquet write),
 * in the background while Spark lists the real input. A session's first query loads and
 * initializes Catalyst's analyzer, optimizer and planner and the Parquet writer; done here, that
 * work runs on a core the listing leaves idle instead of in front of the first task.
 *
 * <p>Why: on 2 cores the real job's planning took 1.3-1.4 s for 500 files and 1.9 s for 60,000 after
 * the listing (3.0 s for 60,000), with one core idle (bench/RESULTS.md, "Scoring on Spark").
 * Local mode only: on a cluster the temporary folder is not shared storage. Its failure is only
 * logged: the real job does not depend on it.
 */
final class PlannerWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(PlannerWarmUp.class);

    private PlannerWarmUp() {}

    /** Starts the warm-up on {@code spark} if it runs in local mode; the future never fails. */
    static CompletableFuture<Void> start(SparkSession spark) {
        if (!spark.sparkContext().isLocal()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> {
            Path dir = null;
            try {
                dir = Files.createTempDirectory("djl-resnet-score-warm-up");
                Path input = Files.write(dir.resolve("in.bin"), new byte[] {0});
                spark.read().format("binaryFile").load(input.toUri().toString())
                        .select(ScorePartition.PATH, "content")
                        .mapPartitions(new Placeholder(), Encoders.row(ScorePartition.SCHEMA))
                        .write().mode(SaveMode.Overwrite).parquet(dir.resolve("out").toUri().toString());
            } catch (Exception | LinkageError e) { // never the job's failure
                LOG.debug("warm-up query failed (the job does not depend on it): {}", e.toString());
            } finally {
                if (dir != null) {
                    ModelExporter.deleteQuietly(dir);
                }
            }
        });
    }

    /** One row of {@link ScorePartition#SCHEMA} per file, with only the path and an error set. */
    private static final class Placeholder implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            List<Row> out = new ArrayList<>();
            rows.forEachRemaining(r -> out.add(RowFactory.create(r.getString(0), null, null, null, null, "warm-up")));
            return out.iterator();
        }
    }
}
