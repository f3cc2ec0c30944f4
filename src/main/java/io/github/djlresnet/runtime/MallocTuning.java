package io.github.djlresnet.runtime;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Keeps glibc's malloc from handing LibTorch's freed tensor memory straight back to the kernel.
 *
 * <p>A training step allocates and frees tens to hundreds of MB of activations and gradients. By
 * default glibc serves blocks above a (dynamic) threshold with fresh mmaps and trims freed memory,
 * so every step faults its memory in again: measured on w28g training, 3-5x the page faults of
 * PyTorch and about a quarter of the speed lost. An mmap threshold of 1 GiB (above any activation
 * of the benchmark workloads; a 224 px batch of 32 has 103 MB ones) and no trimming keep that memory
 * in the process for reuse. Fully effective with one arena ({@link AllocatorRelaunch}): a
 * secondary arena cannot hold blocks above 64 MiB whatever the threshold. Skipped when the user
 * sets {@code MALLOC_MMAP_THRESHOLD_} or {@code MALLOC_TRIM_THRESHOLD_} themselves, with
 * {@code -Ddjlresnet.malloc=default}, and when tcmalloc is the allocator (the relaunch preloads it
 * where it is installed).
 */
final class MallocTuning {

    /** mallopt parameter numbers from glibc's malloc.h. */
    private static final int M_TRIM_THRESHOLD = -1;

    private static final int M_MMAP_THRESHOLD = -3;

    static final int MMAP_THRESHOLD = 1 << 30;

    static final int TRIM_THRESHOLD = Integer.MAX_VALUE;

    private MallocTuning() {}

    /** Applies the tuning where it can; returns what was done, for the engine log line. */
    static String apply() {
        Optional<String> tcmalloc = loadedTcmalloc();
        if (tcmalloc.isPresent()) {
            return "tcmalloc (" + tcmalloc.get() + ")"; // glibc's malloc, and so mallopt, is not in use
        }
        String arenas = System.getenv(AllocatorRelaunch.ARENA_MAX);
        return thresholds() + (arenas == null ? "" : ", arenas " + arenas);
    }

    /** The tcmalloc library mapped into this process (preloaded by the relaunch), if any. */
    static Optional<String> loadedTcmalloc() {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(file -> file.contains("/libtcmalloc"))
                    .findFirst();
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty(); // not Linux
        }
    }

    private static String thresholds() {
        if (!Platform.isLinux() || "default".equals(System.getProperty(AllocatorRelaunch.SETTING))) {
            return "default";
        }
        if (System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || System.getenv("MALLOC_TRIM_THRESHOLD_") != null) {
            return "as set in the environment";
        }
        try {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            boolean ok = mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, MMAP_THRESHOLD}) == 1
                    & mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, TRIM_THRESHOLD}) == 1;
            return ok ? "keeps freed memory (mmap threshold 1 GiB, no trim)" : "default (mallopt refused)";
        } catch (UnsatisfiedLinkError e) {
            return "default (no glibc mallopt)"; // musl and others: nothing to tune
        }
    }
}
