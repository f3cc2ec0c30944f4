package io.github.djlresnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.djlresnet.cli.Main;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllocatorRelaunchTest {

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
        assertTrue(AllocatorRelaunch.wanted(Map.of(), linux(null)));
        assertFalse(AllocatorRelaunch.wanted(Map.of("MALLOC_ARENA_MAX", "4"), linux(null)));
        assertFalse(AllocatorRelaunch.wanted(Map.of("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"), linux(null)));
        assertTrue(AllocatorRelaunch.wanted(Map.of("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0"), linux(null)));
        assertFalse(AllocatorRelaunch.wanted(Map.of(AllocatorRelaunch.MARKER, "1"), linux(null)));
        assertFalse(AllocatorRelaunch.wanted(Map.of(), linux("default")));
        Properties mac = new Properties();
        mac.setProperty("os.name", "Mac OS X");
        assertFalse(AllocatorRelaunch.wanted(Map.of(), mac));
    }

    @Test
    void onlyTheThreeSettingsAreAccepted() {
        assertEquals(Optional.empty(), AllocatorRelaunch.settingError(linux(null)));
        for (String ok : List.of("auto", "glibc", "default")) {
            assertEquals(Optional.empty(), AllocatorRelaunch.settingError(linux(ok)), ok);
        }
        assertEquals(Optional.of("-Ddjlresnet.malloc must be one of auto, glibc, default, got 'tuned'"),
                AllocatorRelaunch.settingError(linux("tuned")));
    }

    @Test
    void tcmallocIsTakenFromTheLibraryFoldersUnlessGlibcOrAnotherPreloadWasChosen() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path libs = Files.createDirectories(tmp.resolve("lib"));
        Path lib = Files.createFile(libs.resolve("libtcmalloc_minimal.so.4"));
        List<Path> dirs = List.of(empty, libs);
        assertEquals(Optional.of(lib), AllocatorRelaunch.tcmalloc(Map.of(), linux(null), dirs));
        assertEquals(Optional.of(lib), AllocatorRelaunch.tcmalloc(Map.of(), linux("auto"), dirs));
        assertEquals(Optional.empty(), AllocatorRelaunch.tcmalloc(Map.of(), linux("glibc"), dirs));
        assertEquals(Optional.empty(), AllocatorRelaunch.tcmalloc(Map.of("LD_PRELOAD", "/x/libjemalloc.so.2"), linux(null), dirs));
        assertEquals(Optional.empty(), AllocatorRelaunch.tcmalloc(Map.of(), linux(null), List.of(empty)));
    }

    @Test
    void theChildHasOneArenaOurPropertiesAndGivesBackItsExitCode() throws Exception {
        Path seen = tmp.resolve("seen.txt");
        System.setProperty("djlresnet.probe", "passed-on");
        try {
            List<String> command = AllocatorRelaunch.command(EnvironmentProbe.class, new String[] {seen.toString(), "7"});
            assertEquals(7, AllocatorRelaunch.run(command, Optional.empty()).getAsInt());
        } finally {
            System.clearProperty("djlresnet.probe");
        }
        assertEquals("1 1 passed-on no-tcmalloc", Files.readString(seen));
    }

    /** Needs Debian's libtcmalloc-minimal4, which .ci/run installs. */
    @Test
    void theChildRunsOnTheInstalledTcmalloc() throws Exception {
        Optional<Path> tcmalloc = AllocatorRelaunch.tcmalloc(Map.of(), linux(null), AllocatorRelaunch.libraryDirs());
        assumeTrue(tcmalloc.isPresent(), "tcmalloc is not installed (apt-get install libtcmalloc-minimal4)");
        Path seen = tmp.resolve("seen.txt");
        List<String> command = AllocatorRelaunch.command(EnvironmentProbe.class, new String[] {seen.toString(), "0"});
        assertEquals(0, AllocatorRelaunch.run(command, tcmalloc).getAsInt());
        String[] words = Files.readString(seen).split(" ");
        assertEquals(Path.of(words[3]).toRealPath(), tcmalloc.get().toRealPath(), "the child maps the preloaded tcmalloc");
    }

    /** The real entry point, as `java -cp ... Main` runs it: relaunched, same output and exit codes. */
    @Test
    void mainRunsInARelaunchedChildWithTheSameOutputAndExitCodes() throws Exception {
        Process bad = start("train", "--batch-size", "0");
        assertEquals(Main.EXIT_BAD_INPUT, bad.exitValue());
        List<String> errors = Files.readAllLines(tmp.resolve("err.txt"));
        assertEquals(List.of("error: --batch-size must be at least 1, got 0"), errors);

        Process benchmark = start("benchmark", "--workload", "w28g", "--steps", "1", "--seconds", "0", "--warmup", "0");
        assertEquals(0, benchmark.exitValue());
        String out = Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
        assertTrue(out.contains("\"workload\":\"w28g\""), out);
        boolean tcmalloc = AllocatorRelaunch.tcmalloc(Map.of(), linux(null), AllocatorRelaunch.libraryDirs()).isPresent();
        String expected = tcmalloc ? "malloc tcmalloc (" : "arenas 1";
        assertTrue((Files.readString(tmp.resolve("err.txt")) + out).contains(expected),
                "the engine log line should show " + expected);

        String log = Files.readString(tmp.resolve("err.txt")) + out;
        assertTrue(log.contains("java gc ") && log.contains("Copy") && log.contains("MarkSweepCompact"),
                "with no heap options of the user's, the child runs the serial collector (HeapDefaults): " + log);

        Process chosenGc = start(List.of("-XX:+UseParallelGC"),
                "benchmark", "--workload", "w28g", "--steps", "1", "--seconds", "0", "--warmup", "0");
        assertEquals(0, chosenGc.exitValue());
        String chosenLog = Files.readString(tmp.resolve("err.txt")) + Files.readString(tmp.resolve("out.txt"));
        assertTrue(chosenLog.contains("PS Scavenge") && !chosenLog.contains("MarkSweepCompact"),
                "the user's collector is kept: " + chosenLog);

        // summary is not worth a second JVM: it runs in this one, with glibc's malloc
        Process summary = start("summary", "--depth", "18");
        assertEquals(0, summary.exitValue());
        String summaryLog = Files.readString(tmp.resolve("err.txt")) + Files.readString(tmp.resolve("out.txt"));
        assertTrue(summaryLog.contains("ResNet-18"), summaryLog);
        assertFalse(summaryLog.contains("malloc tcmalloc") || summaryLog.contains("arenas 1"), summaryLog);

        Process badSetting = start(List.of("-Ddjlresnet.malloc=tuned"), "summary");
        assertEquals(Main.EXIT_BAD_INPUT, badSetting.exitValue());
        assertEquals(List.of("error: -Ddjlresnet.malloc must be one of auto, glibc, default, got 'tuned'"),
                Files.readAllLines(tmp.resolve("err.txt")));
    }

    @Test
    void heapDefaultsGoToTrainAndBenchmarkUnlessTheUserSizedTheHeapOrChoseACollector() {
        String[] train = {"train", "--epochs", "1"};
        assertEquals(List.of("-XX:+UseSerialGC", "-Xms32m", "-Xmn16m"), HeapDefaults.forChild(train, user(List.of("-Dx=1"), "")));
        assertEquals(HeapDefaults.OPTIONS, HeapDefaults.forChild(new String[] {"benchmark"}, user(List.of(), " ")));
        assertEquals(List.of(), HeapDefaults.forChild(new String[] {"score"}, user(List.of(), "")));
        assertEquals(List.of(), HeapDefaults.forChild(new String[] {}, user(List.of(), "")));
        for (String user : List.of("-Xmx4g", "-Xms1g", "-Xmn64m", "-XX:+UseG1GC", "-XX:+UseZGC", "-XX:MaxRAMPercentage=50")) {
            assertEquals(List.of(), HeapDefaults.forChild(train, user(List.of(user), "")), user);
            assertEquals(List.of(), HeapDefaults.forChild(train, user(List.of(), "-Dy=2 " + user)), user + " in JAVA_TOOL_OPTIONS");
        }
        assertEquals(HeapDefaults.OPTIONS, HeapDefaults.forChild(train, user(List.of("-XX:+UseCompressedOops"), "")),
                "a -XX:+Use... flag that is not a collector is no choice of heap");
    }

    @Test
    void jitDefaultsGoToScoreUnlessTheUserChoseHowToCompile() {
        String[] score = {"score", "--model", "m"};
        assertEquals(List.of("-XX:TieredStopAtLevel=1"), JitDefaults.forChild(score, user(List.of("-Xmx2g"), "")));
        for (String command : List.of("train", "benchmark", "evaluate")) {
            assertEquals(List.of(), JitDefaults.forChild(new String[] {command}, user(List.of(), "")), command);
        }
        for (String user : List.of("-XX:TieredStopAtLevel=4", "-XX:-TieredCompilation", "-XX:CICompilerCount=4", "-Xint")) {
            assertEquals(List.of(), JitDefaults.forChild(score, user(List.of(user), "")), user);
            assertEquals(List.of(), JitDefaults.forChild(score, user(List.of(), user + " -Dz=1")), user + " in JDK_JAVA_OPTIONS");
        }
        List<String> child = AllocatorRelaunch.command(Main.class, score);
        assertTrue(child.contains("-XX:TieredStopAtLevel=1") && child.indexOf("-XX:TieredStopAtLevel=1") < child.indexOf("-cp"),
                "a JVM option before the class path: " + child);
    }

    private static UserJvmOptions user(List<String> jvmOptions, String toolOptions) {
        return new UserJvmOptions(jvmOptions, toolOptions);
    }

    private Process start(String... args) throws Exception {
        return start(List.of(), args);
    }

    private Process start(List<String> jvmOptions, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(tmp.resolve("out.txt").toFile())
                .redirectError(tmp.resolve("err.txt").toFile());
        builder.environment().remove("MALLOC_ARENA_MAX");
        builder.environment().remove(AllocatorRelaunch.MARKER);
        builder.environment().remove("GLIBC_TUNABLES");
        builder.environment().remove(AllocatorRelaunch.PRELOAD);
        Process p = builder.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out");
        return p;
    }
}
