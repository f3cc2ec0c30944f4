package io.github.djlresnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.djlresnet.cli.Main;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MallocArenaRelaunchTest {

    @TempDir Path tmp;

    private static Properties linux(String malloc) {
        Properties p = new Properties();
        p.setProperty("os.name", "Linux");
        if (malloc != null) {
            p.setProperty("djlresnet.malloc", malloc);
        }
        return p;
    }

    @Test
    void relaunchesOnlyWhenNothingChoseAnArenaSetting() {
        assertTrue(MallocArenaRelaunch.wanted(Map.of(), linux(null)));
        assertFalse(MallocArenaRelaunch.wanted(Map.of("MALLOC_ARENA_MAX", "4"), linux(null)));
        assertFalse(MallocArenaRelaunch.wanted(Map.of("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"), linux(null)));
        assertTrue(MallocArenaRelaunch.wanted(Map.of("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0"), linux(null)));
        assertFalse(MallocArenaRelaunch.wanted(Map.of(MallocArenaRelaunch.MARKER, "1"), linux(null)));
        assertFalse(MallocArenaRelaunch.wanted(Map.of(), linux("default")));
        Properties mac = new Properties();
        mac.setProperty("os.name", "Mac OS X");
        assertFalse(MallocArenaRelaunch.wanted(Map.of(), mac));
    }

    @Test
    void theChildHasOneArenaOurPropertiesAndGivesBackItsExitCode() throws Exception {
        Path seen = tmp.resolve("seen.txt");
        System.setProperty("djlresnet.probe", "passed-on");
        try {
            List<String> command = MallocArenaRelaunch.command(EnvironmentProbe.class, new String[] {seen.toString(), "7"});
            assertEquals(7, MallocArenaRelaunch.run(command).getAsInt());
        } finally {
            System.clearProperty("djlresnet.probe");
        }
        assertEquals("1 1 passed-on", Files.readString(seen));
    }

    /** The real entry point, as `java -cp ... Main` runs it: relaunched, same output and exit codes. */
    @Test
    void mainRunsInARelaunchedChildWithTheSameOutputAndExitCodes() throws Exception {
        Process bad = start("train", "--batch-size", "0");
        assertEquals(Main.EXIT_BAD_INPUT, bad.exitValue());
        List<String> errors = Files.readAllLines(tmp.resolve("err.txt"));
        assertEquals(List.of("error: --batch-size must be at least 1, got 0"), errors);

        Process summary = start("summary", "--depth", "18");
        assertEquals(0, summary.exitValue());
        String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
        assertTrue(out.contains("ResNet-18"), out);
        assertTrue(Files.readString(tmp.resolve("err.txt")).contains("arenas 1")
                || out.contains("arenas 1"), "the engine log line should show one arena");
    }

    private Process start(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(tmp.resolve("out.txt").toFile())
                .redirectError(tmp.resolve("err.txt").toFile());
        builder.environment().remove("MALLOC_ARENA_MAX");
        builder.environment().remove(MallocArenaRelaunch.MARKER);
        builder.environment().remove("GLIBC_TUNABLES");
        Process p = builder.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out");
        return p;
    }
}
