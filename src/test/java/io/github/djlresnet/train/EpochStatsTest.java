package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EpochStatsTest {

    @Test
    void rowsWrittenBeforeTestTrackingStillResume() {
        // metrics.csv of a run made before --track-test existed: 11 columns
        EpochStats old = EpochStats.fromCsv("3,0.5,0.8,0.99,0.4,0.85,0.99,0.01,300.0,60.0,180.0");
        assertEquals(3, old.epoch());
        assertEquals(0.85, old.validationAccuracy(), 1e-12);
        assertEquals(180.0, old.elapsedSeconds(), 1e-12);
        assertTrue(Double.isNaN(old.testAccuracy()));
    }

    @Test
    void csvRowRoundTripsWithTestAccuracy() {
        EpochStats row = new EpochStats(2, 0.5, 0.8, 0.99, 0.4, 0.85, 0.99, 0.01, 300.0, 60.0, 120.0, 0.8421);
        EpochStats back = EpochStats.fromCsv(row.toCsv());
        assertEquals(0.8421, back.testAccuracy(), 1e-9);
        assertEquals(EpochStats.CSV_HEADER.split(",").length, row.toCsv().split(",").length);
        assertTrue(row.logLine(5).contains("test acc 0.8421"), row.logLine(5));
    }
}
