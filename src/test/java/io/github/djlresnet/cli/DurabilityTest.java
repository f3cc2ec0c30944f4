package io.github.djlresnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short {@code train} under strace: every rename that puts a checkpoint, the metrics or an
 * exported file in place comes after an fsync of its data in the same thread, and is followed by
 * an fsync of the folder. Needs strace (Debian's package; .ci/run installs it).
 */
class DurabilityTest {

    private static final Pattern CALL = Pattern.compile("^(\\d+)\\s+(fsync|fdatasync|rename|renameat|renameat2)\\((.*)$");

    @TempDir Path tmp;

    @Test
    void everyRenameOfACheckpointFollowsAnFsync() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "strace is not installed");
        Path run = tmp.resolve("run");
        Path trace = tmp.resolve("strace.txt");
        List<String> command = new ArrayList<>(List.of("/usr/bin/strace", "-f", "-qq", "-o", trace.toString(),
                "-e", "trace=fsync,fdatasync,rename,renameat,renameat2",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Ddjlresnet.malloc=default", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "train", "--depth", "18", "--limit", "64", "--batch-size", "32", "--epochs", "1",
                "--checkpoint-every", "1", "--output", run.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out");
        assumeTrue(!Files.readString(tmp.resolve("out.txt")).contains("PTRACE_TRACEME"),
                "strace cannot trace here (no ptrace)");
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("out.txt")));

        // per thread: has its data been fsync'ed since its last rename?
        Map<String, Boolean> synced = new HashMap<>();
        int checkpointRenames = 0;
        int renames = 0;
        for (String line : Files.readAllLines(trace)) {
            Matcher m = CALL.matcher(line);
            if (!m.find()) {
                continue;
            }
            String tid = m.group(1);
            if (m.group(2).startsWith("f")) {
                synced.put(tid, true);
                continue;
            }
            String target = m.group(3);
            if (!target.contains(run.toString())) {
                continue;
            }
            renames++;
            if (target.contains(".ckpt\"")) {
                checkpointRenames++;
            }
            // the export moves a whole fsync'ed folder's files in a row; the rest rename one file each
            if (!target.contains("/.export-")) {
                assertTrue(synced.getOrDefault(tid, false), "rename without an fsync before it: " + line);
                synced.put(tid, false);
            }
        }
        // two mid-epoch steps: one checkpoint inside the epoch, one at its end, and best.ckpt
        assertEquals(3, checkpointRenames, "checkpoint renames");
        assertTrue(renames >= 8, "settings, spec, checkpoints, metrics, curves, model files: " + renames);
    }
}
