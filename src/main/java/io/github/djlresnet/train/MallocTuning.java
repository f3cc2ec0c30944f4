package io.github.djlresnet.train;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Keeps glibc's malloc from handing LibTorch's freed tensor memory straight back to the kernel.
 *
 * <p>A training step allocates and frees tens of MB of activations and gradients. By default glibc
 * serves blocks above a (dynamic) threshold with fresh mmaps, and trims freed memory from the
 * per-thread arenas that JVM threads use, so every step faults its memory in again: measured on
 * w28g training, 3-5x the page faults of PyTorch and about a quarter of the speed lost. Raising
 * the mmap and trim thresholds keeps that memory in the process for reuse, as PyTorch's main-thread
 * arena effectively does. Skipped when the user sets {@code MALLOC_MMAP_THRESHOLD_} or
 * {@code MALLOC_TRIM_THRESHOLD_} themselves, or {@code -Ddjlresnet.malloc=default}.
 */
final class MallocTuning {

    /** mallopt parameter numbers from glibc's malloc.h. */
    private static final int M_TRIM_THRESHOLD = -1;

    private static final int M_MMAP_THRESHOLD = -3;

    static final int MMAP_THRESHOLD = 64 << 20;

    static final int TRIM_THRESHOLD = 128 << 20;

    private MallocTuning() {}

    /** Applies the tuning where it can; returns what was done, for the engine log line. */
    static String apply() {
        if (!Platform.isLinux() || "default".equals(System.getProperty("djlresnet.malloc"))) {
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
            return ok ? "keeps freed memory (mmap/trim thresholds 64/128 MiB)" : "default (mallopt refused)";
        } catch (UnsatisfiedLinkError e) {
            return "default (no glibc mallopt)"; // musl and others: nothing to tune
        }
    }
}
